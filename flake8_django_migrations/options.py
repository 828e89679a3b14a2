"""Every option, declared once: flake8's ``djm-*`` options, the command's arguments, the settings they build and
their documentation are all generated from ``PLUGIN_OPTIONS`` (and ``FORWARDED_OPTIONS``, the flake8 options of
its own that the command hands to flake8).

This module is imported by the plugin and by the command on every run: it imports neither the rules nor the
project pass (the documentation imports the registry when it is asked for).
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from flake8_django_migrations.settings import DATABASES, DEPLOY_MODELS, Settings, build_settings, is_true

__all__ = [
    "FLAKE8_GROUP_TITLE",
    "FORWARDED_OPTIONS",
    "PLUGIN_OPTIONS",
    "ForwardedOption",
    "Kind",
    "OptionRegistry",
    "PluginOption",
    "add_command_arguments",
    "add_flake8_options",
    "describe_option",
    "flake8_argv",
    "options_markdown",
    "plugin_option",
    "settings_from_flake8_options",
]


class Kind(enum.Enum):
    """How an option is written and merged."""

    VALUE = "value"  # one string; the last one given wins
    LIST = "list"  # comma-separated entries; every occurrence adds to the list
    FLAG = "flag"  # on when given
    REPEATED = "repeated"  # one value per occurrence, each handed to flake8 on its own (--append-config)


@dataclass(frozen=True, slots=True)
class PluginOption:
    """One option of this plugin: a flake8 option (``--djm-database``, ``djm-database =`` in flake8's files),
    a key of ``pyproject.toml``'s table (``database =``) and an argument of the command (both spellings)."""

    flake8_name: str  # "--djm-database"
    command_alias: str  # "--database"
    command_dest: str  # the command's argparse dest
    kind: Kind
    settings_keyword: str  # the keyword of build_settings it feeds
    help: str  # one or two sentences; `backticks` are kept in Markdown, dropped in the terminal
    default: str  # what applies when it is not given, in words (the value itself is decided by build_settings)
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    negated: bool = False  # feeds `not value` (djm-no-cache -> use_cache)

    @property
    def config_key(self) -> str:
        """The key in flake8's configuration files, and the name rules use in ``Rule.options``."""
        return self.flake8_name.removeprefix("--")

    @property
    def pyproject_key(self) -> str:
        return self.config_key.removeprefix("djm-")

    @property
    def flake8_dest(self) -> str:
        """Where flake8's namespace holds the value (argparse's dest for the long name)."""
        return self.config_key.replace("-", "_")


@dataclass(frozen=True, slots=True)
class ForwardedOption:
    """One of flake8's own options that the command takes and hands to flake8 unchanged."""

    flake8_name: str
    dest: str
    kind: Kind
    help: str
    metavar: str | None = None


PLUGIN_OPTIONS: Final[tuple[PluginOption, ...]] = (
    PluginOption(
        "--djm-database", "--database", "database", Kind.VALUE, "database",
        help="The database the migrations run on. The rules that read this option check what PostgreSQL does and"
        " report only on `postgresql`.",
        default="the `ENGINE` of the Django settings' default database, else `postgresql`",
        choices=DATABASES,
    ),
    PluginOption(
        "--djm-settings", "--settings", "settings_module", Kind.VALUE, "settings_module",
        help="The Django settings module (dotted, or a `.py` path), read as text without importing it; `none` to"
        " read no settings.",
        default=(
            "`DJANGO_SETTINGS_MODULE`, else the one `wsgi.py`/`asgi.py` or a deploy file (Dockerfile, compose,"
            " Procfile, `.env`) names, else `manage.py`'s, else pytest-django's"
        ),
        metavar="MODULE",
    ),
    PluginOption(
        "--djm-project-root", "--project-root", "project_root", Kind.VALUE, "project_root",
        help="The root of the Django project whose migration graph is checked.",
        default="the nearest folder above each file holding `manage.py`, `pyproject.toml`, `setup.cfg`, `tox.ini`"
        " or `.git`",
        metavar="PATH",
    ),
    PluginOption(
        "--djm-app-label", "--app-label", "app_labels", Kind.LIST, "app_labels",
        help="`path/to/app=label`: the app label of an app folder whose label is neither the folder's name nor a"
        " literal `label = \"...\"` in its `apps.py`.",
        default="read from `apps.py`, else the folder's name",
        metavar="PATH=LABEL",
    ),
    PluginOption(
        "--djm-migration-modules", "--migration-modules", "migration_modules", Kind.LIST, "migration_modules",
        help="`label=dotted.module`, as Django's `MIGRATION_MODULES`: for migrations kept in another package.",
        default="the Django settings' `MIGRATION_MODULES`, else `label.migrations`",
        metavar="LABEL=MODULE",
    ),
    PluginOption(
        "--djm-swappable", "--swappable", "swappable", Kind.LIST, "swappable",
        help="`SETTING=app.Model` for `swappable_dependency(settings.SETTING)`, e.g."
        " `AUTH_USER_MODEL=accounts.User`.",
        default="the Django settings' `AUTH_USER_MODEL`, else `auth.User`",
        metavar="SETTING=APP.MODEL",
    ),
    PluginOption(
        "--djm-base", "--base", "base", Kind.VALUE, "base",
        help="The git revision that is deployed (`origin/main`, a tag), whose migrations are taken as applied;"
        " the rules that read this option find nothing without it. A revision git does not know is a usage error.",
        default="none",
        metavar="REF",
    ),
    PluginOption(
        "--djm-applied", "--applied", "applied", Kind.VALUE, "applied",
        help="Which migrations a database has applied: an SQLite database file, a PostgreSQL URL (`env`: the one in"
        " `DATABASE_URL`; needs the `[postgres]` extra), or a text file (`app name` or `app.name` lines, the output"
        " of `showmigrations --list` or `--plan`, a CSV export of `django_migrations`). Read once per run in a"
        " read-only transaction, never written; the rules that read this option find nothing without it. A source"
        " that cannot be read is a usage error.",
        default="none",
        metavar="SOURCE",
    ),
    PluginOption(
        "--djm-new-only", "--new-only", "new_only", Kind.FLAG, "new_only",
        help="With `--djm-base`, report only findings about migrations added or changed since that revision.",
        default="off",
    ),
    PluginOption(
        "--djm-baseline", "--baseline", "baseline", Kind.VALUE, "baseline",
        help="A baseline file (written by `django-migrations-lint check --write-baseline`): the findings in it"
        " are not reported, and the command counts those that no longer occur.",
        default="none",
        metavar="FILE",
    ),
    PluginOption(
        "--djm-cache-dir", "--cache-dir", "cache_dir", Kind.VALUE, "cache_dir",
        help="Where facts about migration files, findings and (for the command) flake8's configuration are"
        " cached.",
        default="`$XDG_CACHE_HOME/flake8-django-migrations`, else `~/.cache/flake8-django-migrations`",
        metavar="PATH",
    ),
    PluginOption(
        "--djm-no-cache", "--no-cache", "no_cache", Kind.FLAG, "use_cache",
        help="Neither read nor write the cache: parse every file.",
        default="off",
        negated=True,
    ),
    PluginOption(
        "--djm-deploy", "--deploy", "deploy", Kind.VALUE, "deploy",
        help="How the project is deployed: `rolling` (old code keeps serving requests while the migrations run and"
        " until the new code is everywhere) or `downtime` (the application is stopped while the migrations run, as"
        " a self-hosted application is upgraded). With `downtime`, the rules whose claim needs a rolling deploy are"
        " not run. A project whose Django settings list django-safemigrate or django-syzygy in `INSTALLED_APPS`"
        " (read statically) deploys rolling by definition, whatever this says.",
        default="`rolling`",
        choices=DEPLOY_MODELS,
    ),
)

FLAKE8_GROUP_TITLE: Final = "flake8's options (merged with flake8's configuration files, as in flake8)"
FORWARDED_OPTIONS: Final[tuple[ForwardedOption, ...]] = (
    ForwardedOption("--config", "config", Kind.VALUE, "read flake8's configuration from FILE only", "FILE"),
    ForwardedOption(
        "--append-config", "append_config", Kind.REPEATED, "read FILE after flake8's configuration (repeatable)",
        "FILE",
    ),
    ForwardedOption("--isolated", "isolated", Kind.FLAG, "read no configuration file"),
    ForwardedOption("--select", "select", Kind.LIST, "comma-separated code prefixes to report", "CODES"),
    ForwardedOption("--ignore", "ignore", Kind.LIST, "comma-separated code prefixes to skip", "CODES"),
    ForwardedOption(
        "--extend-select", "extend_select", Kind.LIST,
        "code prefixes to report in addition (DJM902 turns on an off-by-default rule)", "CODES",
    ),
    ForwardedOption("--extend-ignore", "extend_ignore", Kind.LIST, "code prefixes to skip in addition", "CODES"),
    ForwardedOption(
        "--per-file-ignores", "per_file_ignores", Kind.VALUE,
        "code prefixes to skip in the files matching each pattern, as in flake8", "PATTERN:CODES",
    ),
    ForwardedOption(
        "--exclude", "exclude", Kind.LIST, "comma-separated glob patterns of files and folders not to check",
        "PATTERNS",
    ),
    ForwardedOption(
        "--extend-exclude", "extend_exclude", Kind.LIST, "glob patterns not to check, in addition to --exclude",
        "PATTERNS",
    ),
    ForwardedOption("--disable-noqa", "disable_noqa", Kind.FLAG, "report findings on lines with # noqa too"),
)

_BY_CONFIG_KEY: Final = {option.config_key: option for option in PLUGIN_OPTIONS}


def plugin_option(config_key: str) -> PluginOption:
    """The option a rule names in ``Rule.options`` (``"djm-database"``); KeyError for one that does not exist."""
    return _BY_CONFIG_KEY[config_key]


class OptionRegistry(Protocol):
    """What ``add_flake8_options`` needs of flake8's ``OptionManager``."""

    def add_option(self, *args: Any, **kwargs: Any) -> None: ...


def add_flake8_options(manager: OptionRegistry) -> None:
    """Register every ``djm-*`` option with flake8, also read from its configuration files."""
    for option in PLUGIN_OPTIONS:
        manager.add_option(option.flake8_name, help=_terminal_help(option), **_flake8_keywords(option))


def add_command_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments that are flake8's (``flake8_argv`` hands them over): flake8's own, in a group of
    their own, and this plugin's under both spellings, so that a README line works for flake8 and the command."""
    group = parser.add_argument_group(FLAKE8_GROUP_TITLE)
    for forwarded in FORWARDED_OPTIONS:
        keywords = _argparse_keywords(forwarded.kind, forwarded.metavar)
        if forwarded.kind is Kind.REPEATED:
            keywords["default"] = []  # flake8_argv hands on each one; flake8's own lists stay None when not given
        group.add_argument(forwarded.flake8_name, dest=forwarded.dest, help=forwarded.help, **keywords)
    for option in PLUGIN_OPTIONS:
        keywords = _argparse_keywords(option.kind, option.metavar, option.choices)
        if option.kind is Kind.LIST:
            keywords["default"] = []  # as flake8 has it (it needs a list for a comma-separated option)
        parser.add_argument(option.flake8_name, option.command_alias, dest=option.command_dest,
                            help=_terminal_help(option), **keywords)


def flake8_argv(args: argparse.Namespace) -> list[str]:
    """The command's flake8 options (``add_command_arguments``) as flake8's command line: a list given several
    times is one list."""
    argv: list[str] = []
    named = [(o.flake8_name, o.dest, o.kind) for o in FORWARDED_OPTIONS]
    named += [(o.flake8_name, o.command_dest, o.kind) for o in PLUGIN_OPTIONS]
    for flake8_name, dest, kind in named:
        value = getattr(args, dest)
        if kind is Kind.FLAG:
            argv.extend([flake8_name] if value else [])
        elif kind is Kind.REPEATED:
            argv.extend(f"{flake8_name}={item}" for item in value)
        elif kind is Kind.LIST:
            argv.extend([f"{flake8_name}={','.join(value)}"] if value else [])
        elif value is not None:
            argv.append(f"{flake8_name}={value}")
    return argv


def settings_from_flake8_options(
    options: argparse.Namespace, pyproject: Mapping[str, Sequence[str]], *, enabled_codes: frozenset[str] | None
) -> Settings:
    """The settings for flake8's parsed ``options`` and ``pyproject.toml``'s table (``pyproject_options``: every
    value a list of strings, keyed ``djm-*``). flake8 does not read pyproject.toml, so its table fills what
    flake8's options left unset; its lists come first, then flake8's. Raises ``SettingsError``."""
    keywords: dict[str, Any] = {}
    for option in PLUGIN_OPTIONS:
        given = getattr(options, option.flake8_dest)
        written = pyproject.get(option.config_key, [])
        if option.kind is Kind.LIST:
            value: Any = [*written, *given]
        elif option.kind is Kind.FLAG:
            value = bool(given) or is_true(next(iter(written), None))
        else:
            value = given if given is not None else next(iter(written), None)
        keywords[option.settings_keyword] = not value if option.negated else value
    flake8_exclude = (*(getattr(options, "exclude", ()) or ()), *(getattr(options, "extend_exclude", ()) or ()))
    return build_settings(exclude=flake8_exclude, enabled_codes=enabled_codes, **keywords)


def describe_option(option: PluginOption) -> str:
    """One Markdown line for a rule's page: every way to write the option, and what it does."""
    values = f"; one of `{'`, `'.join(option.choices)}`" if option.choices else ""
    written = (
        f"`{_config_line(option)}` under `[flake8]`, `{_pyproject_line(option)}` in `pyproject.toml`,"
        f" `{option.command_alias}` for the command{values}"
    )
    return f"`{option.flake8_name}` ({written}): {option.help} Default: {option.default}."


def options_markdown() -> str:
    """A Markdown table of every option: how to give it on each front end and in each configuration file."""
    rows = [
        "| flake8 | command | `[flake8]` (`setup.cfg`, `tox.ini`, `.flake8`) | `[tool.django-migrations-lint]`"
        " (`pyproject.toml`) | default | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for option in PLUGIN_OPTIONS:
        values = f" One of `{'`, `'.join(option.choices)}`." if option.choices else ""
        rows.append(
            f"| `{option.flake8_name}` | `{option.command_alias}` | `{_config_line(option)}` |"
            f" `{_pyproject_line(option)}` | {option.default} | {option.help}{values}{_read_by(option)} |"
        )
    return "\n".join(rows)


def _read_by(option: PluginOption) -> str:
    """The rules whose records name the option, linked to their pages: derived, so it cannot go stale."""
    from flake8_django_migrations.registry import RULES  # the documentation only: not on a lint run's path

    codes = [code for code, rule in RULES.items() if option.config_key in rule.option_names]
    links = ", ".join(f"[{code}](docs/rules/{code}.md)" for code in codes)
    return f" Read by {links}." if codes else ""


def _config_line(option: PluginOption) -> str:
    return f"{option.config_key} = {_example_value(option, quote=False)}"


def _pyproject_line(option: PluginOption) -> str:
    return f"{option.pyproject_key} = {_example_value(option, quote=True)}"


def _example_value(option: PluginOption, *, quote: bool) -> str:
    if option.kind is Kind.FLAG:
        return "true"
    example = option.metavar or (option.choices[0] if option.choices else "VALUE")
    if not quote:
        return example if option.kind is Kind.VALUE else f"{example},..."
    return f'"{example}"' if option.kind is Kind.VALUE else f'["{example}", ...]'


def _terminal_help(option: PluginOption) -> str:
    # argparse formats help with %: a literal one must be doubled.
    return f"{option.help} (Default: {option.default})".replace("`", "").replace("%", "%%")


def _flake8_keywords(option: PluginOption) -> dict[str, Any]:
    """The keywords of flake8's ``add_option`` for ``option``, besides its name and help."""
    keywords: dict[str, Any] = {"parse_from_config": True}
    if option.kind is Kind.FLAG:
        keywords.update(action="store_true", default=False)
    elif option.kind is Kind.LIST:
        keywords.update(comma_separated_list=True, default=[])
    else:
        keywords.update(default=None)
    return keywords | _shown_as(option.metavar, option.choices)


def _argparse_keywords(kind: Kind, metavar: str | None, choices: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The keywords of the command's ``add_argument`` for an option of ``kind``: a list is given once per
    occurrence (``flake8_argv`` joins them), and each occurrence may itself be comma-separated."""
    keywords: dict[str, Any] = {}
    if kind is Kind.FLAG:
        keywords.update(action="store_true")
    elif kind in (Kind.LIST, Kind.REPEATED):
        keywords.update(action="append")
    return keywords | _shown_as(metavar, choices)


def _shown_as(metavar: str | None, choices: tuple[str, ...] | None) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if metavar is not None:
        shown["metavar"] = metavar
    if choices is not None:
        shown["choices"] = choices
    return shown

"""Each option is declared once (options.py) and everything else is generated from it: flake8's options, the
command's arguments, what the command hands to flake8, the settings, the docs. The expectations are literal: they
are what plugin.py and cli.py declared by hand before options.py, so the generated ones parse exactly as those did.
"""

from __future__ import annotations

import argparse
import configparser
import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flake8.options.aggregator import aggregate_options  # type: ignore[import-untyped]
from flake8.options.manager import OptionManager  # type: ignore[import-untyped]
from flake8.options.parse_args import parse_args as flake8_parse_args  # type: ignore[import-untyped]

from flake8_django_migrations import cli, plugin
from flake8_django_migrations.options import (
    FLAKE8_GROUP_TITLE,
    FORWARDED_OPTIONS,
    PLUGIN_OPTIONS,
    add_command_arguments,
    add_flake8_options,
    flake8_argv,
    options_markdown,
    plugin_option,
    settings_from_flake8_options,
)
from flake8_django_migrations.plugin import MigrationChecker
from flake8_django_migrations.project.discover import ROOT_MARKERS
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.settings import DATABASES, Settings, SettingsError, build_settings, pyproject_options


def _manager() -> OptionManager:
    return OptionManager(version="0", plugin_versions="", parents=[], formatter_names=[])


@pytest.fixture
def manager() -> OptionManager:
    """flake8's options as the plugin registers them."""
    registered = _manager()
    MigrationChecker.add_options(registered)
    return registered


# flake8 -------------------------------------------------------------------------------------------------------


def test_the_plugin_registers_every_declared_option(manager: OptionManager) -> None:
    assert [option.long_option_name for option in manager.options] == [o.flake8_name for o in PLUGIN_OPTIONS]


def test_flake8_options_have_the_kind_they_declare() -> None:
    manager = _manager()
    add_flake8_options(manager)
    by_name = {option.long_option_name: option for option in manager.options}
    assert by_name["--djm-no-cache"].action == "store_true" and by_name["--djm-no-cache"].default is False
    assert by_name["--djm-swappable"].comma_separated_list and by_name["--djm-swappable"].default == []
    assert by_name["--djm-database"].choices == DATABASES and by_name["--djm-database"].default is None
    assert all(option.parse_from_config for option in manager.options)


def test_flake8_configuration_files_are_read(manager: OptionManager) -> None:
    cfg = configparser.RawConfigParser()
    cfg.read_string(
        "[flake8]\n"
        "djm-database = oracle\n"
        "djm_app_label = a=b,\n  c=d\n"
        "djm-no-cache = true\n"
        "djm-swappable = AUTH_USER_MODEL=accounts.User\n"
    )
    generated = aggregate_options(manager, cfg, "/project", ["--djm-cache-dir=x"])
    assert (generated.djm_database, generated.djm_app_label, generated.djm_no_cache) == ("oracle", ["a=b", "c=d"], True)


@pytest.fixture
def checker_state() -> Iterator[None]:
    """flake8 hands the options to the plugin's class: put back what it held."""
    settings, runs = MigrationChecker.settings, MigrationChecker.lint_runs
    yield
    MigrationChecker.settings, MigrationChecker.lint_runs = settings, runs


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_flake8_reads_the_options_through_the_installed_plugin(checker_state: None, in_tmp: Path) -> None:
    _, options = flake8_parse_args(["--isolated", "--djm-database=sqlite", "--djm-app-label=a=b,c=d", "--djm-no-cache"])
    assert (options.djm_database, options.djm_app_label, options.djm_no_cache) == ("sqlite", ["a=b", "c=d"], True)
    settings = settings_from_flake8_options(options, {}, enabled_codes=None)
    assert (settings.database, dict(settings.app_labels), settings.use_cache) == ("sqlite", {"a": "b", "c": "d"}, False)


# The command ------------------------------------------------------------------------------------------------


def _command_parser() -> argparse.ArgumentParser:
    generated = argparse.ArgumentParser()
    add_command_arguments(generated)
    return generated


def test_the_command_groups_flake8s_own_options() -> None:
    generated = cli._parser()._subparsers._group_actions[0].choices["check"]  # noqa: SLF001
    group = next(group for group in generated._action_groups if group.title == FLAKE8_GROUP_TITLE)  # noqa: SLF001
    assert [action.dest for action in group._group_actions] == [o.dest for o in FORWARDED_OPTIONS]  # noqa: SLF001


# A command line, and the flake8 command line it becomes (what the hand-written cli._flake8_argv made of it).
COMMAND_LINES = [
    ([], []),
    (["--database", "sqlite", "--no-cache", "--app-label", "a=b", "--djm-app-label=c=d,e=f"],
     ["--djm-database=sqlite", "--djm-app-label=a=b,c=d,e=f", "--djm-no-cache"]),
    (["--select", "DJM1,DJM2", "--select=DJM3", "--extend-ignore", "DJM9", "--isolated", "--disable-noqa"],
     ["--isolated", "--select=DJM1,DJM2,DJM3", "--extend-ignore=DJM9", "--disable-noqa"]),
    (["--config", "x.cfg", "--append-config", "a.cfg", "--append-config=b.cfg", "--per-file-ignores", "a.py:DJM101"],
     ["--config=x.cfg", "--append-config=a.cfg", "--append-config=b.cfg", "--per-file-ignores=a.py:DJM101"]),
    (["--exclude", "build,dist", "--extend-exclude", ".venv", "--ignore=E1"],
     ["--ignore=E1", "--exclude=build,dist", "--extend-exclude=.venv"]),
    (["--djm-base", "origin/main", "--new-only", "--baseline", "b.json", "--cache-dir", "c", "--project-root", "."],
     ["--djm-project-root=.", "--djm-base=origin/main", "--djm-new-only", "--djm-baseline=b.json",
      "--djm-cache-dir=c"]),
    (["--settings", "none", "--swappable", "AUTH_USER_MODEL=a.U", "--migration-modules", "shop=shop.m",
      "--djm-settings=s"],
     ["--djm-settings=s", "--djm-migration-modules=shop=shop.m", "--djm-swappable=AUTH_USER_MODEL=a.U"]),
    (["--extend-select", "", "--select", ""], ["--select=", "--extend-select="]),
]


@pytest.mark.parametrize("argv, expected", COMMAND_LINES)
def test_command_lines_reach_flake8_as_they_did(argv: list[str], expected: list[str]) -> None:
    generated = _command_parser()
    assert flake8_argv(generated.parse_args(argv)) == expected


@pytest.mark.parametrize("command", ["check", "graph"])
def test_the_commands_parser_hands_flake8_the_same_argv(command: str) -> None:
    argv = [command, "--database=mysql", "--select", "DJM2", "--app-label", "a=b"]
    args = cli._parser().parse_args(argv)  # noqa: SLF001
    assert flake8_argv(args) == ["--select=DJM2", "--djm-database=mysql", "--djm-app-label=a=b"]


def test_flake8_argv_joins_lists_and_repeats_append_config() -> None:
    parser = _command_parser()
    args = parser.parse_args(["--append-config", "a.cfg", "--append-config", "b.cfg", "--swappable", "A=b.C",
                              "--djm-swappable=D=e.F", "--isolated", "--no-cache", "--config=x"])
    assert flake8_argv(args) == ["--config=x", "--append-config=a.cfg", "--append-config=b.cfg", "--isolated",
                                 "--djm-swappable=A=b.C,D=e.F", "--djm-no-cache"]


def test_the_help_reads_in_a_terminal() -> None:
    parser = _command_parser()
    text = parser.format_help()  # argparse fails here on a stray %
    manager = _manager()
    add_flake8_options(manager)
    assert "`" not in text + manager.parser.format_help()
    assert "--djm-database DATABASE" not in text and "--djm-database {postgresql,mysql,sqlite,oracle}" in text


# Settings ---------------------------------------------------------------------------------------------------


SETTINGS_CASES = {
    "nothing given": ([], "", "", {"database": "postgresql", "use_cache": True, "app_labels": {}}),
    "pyproject fills what flake8 left unset": (
        [],
        '[tool.django-migrations-lint]\ndatabase = "sqlite"\nsettings = "none"\nno_cache = true\n'
        'cache-dir = "pcache"\nproject_root = "."\nswappable = ["AUTH_USER_MODEL=accounts.User"]\n',
        "",
        {"database": "sqlite", "read_django_settings": False, "use_cache": False, "cache_dir": "pcache",
         "swappable": {"AUTH_USER_MODEL": "accounts.User"}},
    ),
    "flake8 wins, lists add up": (
        ["--djm-database=mysql", "--djm-app-label=c=d,a=z", "--exclude=build", "--extend-exclude=dist",
         "--djm-cache-dir=given"],
        '[tool.django-migrations-lint]\ndatabase = "sqlite"\napp_label = ["a=b", "x=y"]\ncache_dir = "pcache"\n',
        "",
        # pyproject's list first: an entry flake8 is given for the same key comes later and wins
        {"database": "mysql", "app_labels": {"a": "z", "x": "y", "c": "d"}, "cache_dir": "given"},
    ),
    "flake8's file wins over pyproject": (
        ["--select=DJM2,E"],
        '[tool.django-migrations-lint]\ndatabase = "sqlite"\nmigration_modules = ["a=a.m"]\n',
        "[flake8]\ndjm-database = oracle\ndjm-no-cache = true\ndjm-migration-modules = b=b.m\n",
        {"database": "oracle", "use_cache": False, "migration_modules": {"a": "a.m", "b": "b.m"}},
    ),
    "a settings module and no pyproject table": (
        ["--djm-settings=conf.settings"], "", "", {"settings_module": "conf.settings", "read_django_settings": True},
    ),
}


@pytest.mark.parametrize("argv, pyproject, setup_cfg, expected", SETTINGS_CASES.values(), ids=list(SETTINGS_CASES))
def test_settings_are_those_the_plugin_builds(
    checker_state: None, in_tmp: Path, argv: list[str], pyproject: str, setup_cfg: str, expected: dict[str, object],
) -> None:
    (in_tmp / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (in_tmp / "setup.cfg").write_text(setup_cfg, encoding="utf-8")
    _, options = flake8_parse_args(argv)  # which hands them to MigrationChecker.parse_options, as flake8 does
    table = pyproject_options(os.getcwd())
    enabled = plugin._selected_codes(options)  # noqa: SLF001
    settings = settings_from_flake8_options(options, table, enabled_codes=enabled)
    assert settings == MigrationChecker.settings
    for name, value in expected.items():
        assert getattr(settings, name) == value, name
    if "--exclude=build" in argv:
        assert settings.exclude == ("build", "dist")
    if "--select=DJM2,E" in argv:
        assert enabled is not None and enabled and all(code.startswith("DJM2") for code in enabled)


def _nothing_given_to_flake8() -> argparse.Namespace:
    """flake8's namespace when no djm-* option is given on its command line or in its files."""
    manager = _manager()
    add_flake8_options(manager)
    options: argparse.Namespace = manager.parse_args([])
    return options


def test_a_value_that_makes_no_sense_is_a_settings_error(checker_state: None, in_tmp: Path) -> None:
    (in_tmp / "pyproject.toml").write_text("[tool.django-migrations-lint]\nnew_only = true\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        flake8_parse_args([])  # the plugin: a usage error
    assert exit_.value.code == 2
    options = _nothing_given_to_flake8()
    with pytest.raises(SettingsError, match="djm-new-only needs djm-base"):
        settings_from_flake8_options(options, pyproject_options(str(in_tmp)), enabled_codes=None)


def test_a_pyproject_list_is_not_left_out_when_flake8_has_none() -> None:
    options = _nothing_given_to_flake8()
    settings = settings_from_flake8_options(options, {"djm-app-label": ["a=b"], "djm-no-cache": ["yes"]},
                                            enabled_codes=frozenset({"DJM101"}))
    assert settings == Settings(app_labels={"a": "b"}, use_cache=False, enabled_codes=frozenset({"DJM101"}))


# The declaration itself -----------------------------------------------------------------------------------------


def test_every_option_feeds_build_settings_once() -> None:
    keywords = [option.settings_keyword for option in PLUGIN_OPTIONS]
    taken = set(inspect.signature(build_settings).parameters) - {"exclude", "enabled_codes"}
    assert sorted(keywords) == sorted(taken)


def test_names_are_unique_and_consistent() -> None:
    for attribute in ("flake8_name", "command_alias", "command_dest", "pyproject_key"):
        values = [getattr(option, attribute) for option in PLUGIN_OPTIONS]
        assert len(values) == len(set(values)), attribute
    for option in PLUGIN_OPTIONS:
        assert option.flake8_name == "--djm-" + option.command_alias.removeprefix("--")
        assert plugin_option(option.config_key) is option
        assert option.help.endswith(".") and option.default and not option.default.endswith(".")
    with pytest.raises(KeyError):
        plugin_option("djm-nonsense")


def test_the_project_root_default_names_every_root_marker() -> None:
    default = plugin_option("djm-project-root").default
    assert all(f"`{marker}`" in default for marker in ROOT_MARKERS)


def test_the_markdown_table_has_a_row_per_option_and_the_rules_that_read_it() -> None:
    rows = options_markdown().splitlines()[2:]
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == [f"`{o.flake8_name}`" for o in PLUGIN_OPTIONS]
    database = rows[[o.flake8_name for o in PLUGIN_OPTIONS].index("--djm-database")]
    readers = [code for code, rule in RULES.items() if "djm-database" in rule.options]
    assert readers and all(f"[{code}](docs/rules/{code}.md)" in database for code in readers)
    assert "DJM101" not in database
    assert "`djm-app-label = PATH=LABEL,...`" in rows[3] and '`app-label = ["PATH=LABEL", ...]`' in rows[3]

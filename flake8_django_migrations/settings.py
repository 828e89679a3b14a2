"""Settings: one frozen record, from flake8's options and configuration files, and ``pyproject.toml``'s
``[tool.django-migrations-lint]`` table (the command line wins, then flake8's files, then pyproject)."""

from __future__ import annotations

import os

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.files import read_regular_file

if TYPE_CHECKING:
    from flake8_django_migrations.project.django_settings import DjangoSettings

__all__ = ["DATABASES", "DEFAULT_SWAPPABLE", "Settings", "SettingsError", "build_settings", "is_true"]

DATABASES: Final = ("postgresql", "mysql", "sqlite", "oracle")
# Django's own default for the one swappable setting every project has.
DEFAULT_SWAPPABLE: Final[Mapping[str, str]] = {"AUTH_USER_MODEL": "auth.User"}


@dataclass(frozen=True, slots=True)
class Settings:
    database: str = "postgresql"
    # Project pass (the migration graph of the whole tree).
    project_root: str | None = None
    app_labels: Mapping[str, str] = field(default_factory=dict)  # app folder path -> label
    migration_modules: Mapping[str, str] = field(default_factory=dict)  # label -> dotted module
    swappable: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SWAPPABLE))
    exclude: tuple[str, ...] = ()
    cache_dir: str | None = None
    use_cache: bool = True
    # The codes flake8 will report (None: all). Rules whose code is off are not run at all.
    enabled_codes: frozenset[str] | None = None
    # The project's Django settings: the module named by djm-settings (else found, see project/django_settings.py),
    # and, once read for a project root, what was read. Options win: `given` names the values set explicitly
    # (`database`, `swappable.AUTH_USER_MODEL`), which the Django settings do not change.
    settings_module: str | None = None
    read_django_settings: bool = True
    given: frozenset[str] = frozenset()
    django: DjangoSettings | None = None
    # History (rules/history.py): the deployed git revision as written and the commit it named when the options
    # were read; with `new_only`, only what changed since it is reported. `baseline`: a file of accepted findings.
    base: str | None = None
    base_commit: str | None = None
    new_only: bool = False
    baseline: str | None = None

    def is_enabled(self, code: str) -> bool:
        return self.enabled_codes is None or code in self.enabled_codes

    @property
    def is_postgresql(self) -> bool:
        return self.database == "postgresql"


class SettingsError(ValueError):
    """An option value that makes no sense; both front ends report it as a usage error (exit status 2)."""


def build_settings(
    *,
    database: str | None = None,
    project_root: str | None = None,
    app_labels: Iterable[str] = (),
    migration_modules: Iterable[str] = (),
    swappable: Iterable[str] = (),
    exclude: Iterable[str] = (),
    cache_dir: str | None = None,
    use_cache: bool = True,
    enabled_codes: frozenset[str] | None = None,
    settings_module: str | None = None,
    base: str | None = None,
    new_only: bool = False,
    baseline: str | None = None,
) -> Settings:
    """Settings from option values as written (``KEY=VALUE`` entries, comma-separated or not), the one place
    where they are checked and where defaults apply. Raises ``SettingsError`` for a value that makes no sense."""
    given = {"database"} if database else set()
    database = database or "postgresql"
    if database not in DATABASES:
        raise SettingsError(f"djm-database must be one of {', '.join(DATABASES)}, not {database!r}")
    swappable_options = _pairs(swappable, "djm-swappable")
    given.update(f"swappable.{setting}" for setting in swappable_options)
    swappable_models = {**DEFAULT_SWAPPABLE, **swappable_options}
    for setting, model in swappable_models.items():
        app, dot, name = model.partition(".")
        if not (dot and app and name and "." not in name):
            raise SettingsError(f"djm-swappable: {setting}={model!r} is not of the form app_label.ModelName")
    if new_only and not base:
        raise SettingsError("djm-new-only needs djm-base, the revision to compare with")
    base_commit = None
    if base:
        from flake8_django_migrations.project.history import HistoryError, resolve_revision

        try:
            base_commit = resolve_revision(base, project_root or os.getcwd())
        except HistoryError as error:
            raise SettingsError(str(error)) from None
    return Settings(
        database=database,
        project_root=project_root or None,
        app_labels=_pairs(app_labels, "djm-app-label"),
        migration_modules=_pairs(migration_modules, "djm-migration-modules"),
        swappable=swappable_models,
        exclude=tuple(exclude),
        cache_dir=cache_dir or None,
        use_cache=use_cache,
        enabled_codes=enabled_codes,
        settings_module=_settings_module(settings_module),
        read_django_settings=(settings_module or "").strip().lower() not in _NO_SETTINGS,
        given=frozenset(given),
        base=base or None,
        base_commit=base_commit,
        new_only=new_only,
        baseline=baseline or None,
    )


# `djm-settings = none`: do not look for Django settings at all.
_NO_SETTINGS: Final = frozenset({"none", "off", "false"})


def _settings_module(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and value.lower() not in _NO_SETTINGS else None


def _pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """``["a=b", "c=d,e=f"]`` -> ``{"a": "b", "c": "d", "e": "f"}``."""
    pairs: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            key, equals, target = item.partition("=")
            if not equals or not key.strip() or not target.strip():
                raise SettingsError(f"{option} takes KEY=VALUE entries, got {item.strip()!r}")
            pairs[key.strip()] = target.strip()
    return pairs


def is_true(value: str | None) -> bool:
    """A boolean written in a configuration file, as flake8 reads one."""
    return value is not None and value.strip().lower() in ("true", "1", "yes", "on")


# Configuration files are small; a larger one (or a FIFO, or a device) is not read at all.
CONFIG_FILE_LIMIT: Final = 1 << 20
# The table under the distribution's name; the name of earlier builds is read too (the first one found wins).
PYPROJECT_TABLES: Final = ("django-migrations-lint", "flake8-django-migrations")


def pyproject_options(directory: str) -> dict[str, list[str]]:
    """``[tool.django-migrations-lint]`` of the nearest ``pyproject.toml`` holding one, from ``directory`` upwards
    as flake8 looks for its own configuration (it stops below the home folder), under the same ``djm-*`` names as
    flake8's options (``database = "sqlite"``, ``swappable = ["AUTH_USER_MODEL=accounts.User"]``). An unreadable
    or malformed file counts as absent: it is not ours to report."""
    table = _pyproject_table(os.path.abspath(directory))
    options: dict[str, list[str]] = {}
    for key, value in (table or {}).items():
        values = value if isinstance(value, list) else [value]
        options["djm-" + key.replace("_", "-")] = [
            str(item).lower() if isinstance(item, bool) else str(item) for item in values
        ]
    return options


def _pyproject_table(directory: str) -> dict[str, object] | None:
    home = os.path.expanduser("~")
    folder = directory
    while True:
        table = _table_in(os.path.join(folder, "pyproject.toml"))
        if table is not None:
            return table
        parent = os.path.dirname(folder)
        if parent == folder or (parent == home and home != "~"):
            return None
        folder = parent


def _table_in(path: str) -> dict[str, object] | None:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib

    data = read_regular_file(path, CONFIG_FILE_LIMIT)
    if data is None:
        return None
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeError, ValueError):
        return None
    tables = [tool.get(name) for name in PYPROJECT_TABLES] if isinstance(tool, dict) else []
    return next((found for found in tables if isinstance(found, dict)), None)

"""Settings: one frozen record, from flake8's options and configuration files, and ``pyproject.toml``'s
``[tool.django-migrations-lint]`` table (the command line wins, then flake8's files, then pyproject)."""

from __future__ import annotations

import os

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from flake8_django_migrations.files import read_regular_file

__all__ = [
    "CONFIGURATION_VARIABLE",
    "DATABASES",
    "DEFAULT_SWAPPABLE",
    "DEPLOY_MODELS",
    "READ_SETTINGS",
    "SETTINGS_VARIABLE",
    "AppliedMigrations",
    "DjangoSettings",
    "ReadSetting",
    "Settings",
    "SettingsError",
    "build_settings",
    "database_of_engine",
    "is_true",
]

DATABASES: Final = ("postgresql", "mysql", "sqlite", "oracle")
# djm-deploy: old code keeps serving while and after the migrations run, or the application is stopped meanwhile.
DEPLOY_MODELS: Final = ("rolling", "downtime")
# The INSTALLED_APPS entries (a module, or one of its AppConfig classes) of the tools whose migrations run before or
# after the deploy: a project that installs one deploys rolling by definition.
STAGED_DEPLOY_APPS: Final = ("django_safemigrate", "syzygy")
# The environment variables that name the settings module and django-configurations' class, as Django and that
# library read them.
SETTINGS_VARIABLE: Final = "DJANGO_SETTINGS_MODULE"
CONFIGURATION_VARIABLE: Final = "DJANGO_CONFIGURATION"
# Django's own default for the one swappable setting every project has.
DEFAULT_SWAPPABLE: Final[Mapping[str, str]] = {"AUTH_USER_MODEL": "auth.User"}


# The settings that decide what the linter sees, in the order they are shown.
READ_SETTINGS: Final = (
    "INSTALLED_APPS", "AUTH_USER_MODEL", "MIGRATION_MODULES", "DEFAULT_AUTO_FIELD", "DATABASES",
)


# What project/django_settings.py read of a project's Django settings (it reads them; this is the record).
@dataclass(frozen=True, slots=True)
class ReadSetting:
    """One setting's literal value and the statement that gave it its final value."""

    name: str
    value: object  # str, tuple of str, a Mapping of literals, None
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class DjangoSettings:
    """What was read from a project's settings. ``values`` holds the settings known to be literals; ``unknown``
    says for each other setting of ``READ_SETTINGS`` why it could not be known, and for a value only partly known
    (an open list, a default database whose engine is not read) what is not. ``open`` names the lists of ``values``
    that may hold more entries than those read (``INSTALLED_APPS += PLUGINS``), with why."""

    root: str
    module: str | None = None
    module_origin: str = ""  # where the module's name came from: "manage.py:9", "DJANGO_SETTINGS_MODULE", ...
    path: str | None = None  # the settings module's file
    values: Mapping[str, ReadSetting] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)  # setting -> why it is unknown
    # Folders a module name is looked up in, as ``sys.path`` would hold them when Django runs: manage.py's folder,
    # the project root, ``src``, pytest's ``pythonpath``.
    import_roots: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # every file read or that could name another module, to notice a change
    # (module, where it was named) of every candidate, most authoritative first; the first one found won.
    candidates: tuple[tuple[str, str], ...] = ()
    open: Mapping[str, str] = field(default_factory=dict)  # setting -> why the list may hold more
    configuration: str | None = None  # the django-configurations class the values were read from
    # Conditional imports of modules the project does not hold (a local settings file a deploy may add): not run.
    absent: tuple[str, ...] = ()

    @property
    def listed_apps(self) -> tuple[str, ...] | None:
        """The ``INSTALLED_APPS`` entries read, also of an open list (which may hold more)."""
        value = self.value("INSTALLED_APPS")
        return value if isinstance(value, tuple) else None

    def value(self, name: str) -> object:
        read = self.values.get(name)
        return read.value if read is not None else None

    @property
    def installed_apps(self) -> tuple[str, ...] | None:
        """Every app Django loads; None when that is not known (also when the list is open)."""
        return None if "INSTALLED_APPS" in self.open else self.listed_apps

    @property
    def auth_user_model(self) -> str | None:
        value = self.value("AUTH_USER_MODEL")
        return value if isinstance(value, str) else None

    @property
    def migration_modules(self) -> Mapping[str, str | None]:
        value = self.value("MIGRATION_MODULES")
        return value if isinstance(value, Mapping) else {}

    @property
    def database_engine(self) -> str | None:
        databases = self.value("DATABASES")
        default = databases.get("default") if isinstance(databases, Mapping) else None
        engine = default.get("ENGINE") if isinstance(default, Mapping) else None
        return engine if isinstance(engine, str) else None

    def as_json(self) -> dict[str, object]:
        """What was read and from where, for ``graph --format json`` and ``check -v``."""
        values: dict[str, object] = {}
        for name in READ_SETTINGS:
            read = self.values.get(name)
            if read is None:
                continue
            shown = read.value
            if name == "DATABASES":
                shown = {"default": {"ENGINE": self.database_engine}}
            entry: dict[str, object] = {"value": _as_json_value(shown), "path": read.path, "line": read.line}
            if name in self.open:
                entry["open"] = self.open[name]
            values[name] = entry
        described: dict[str, object] = {
            "module": self.module,
            "module_origin": self.module_origin,
            "path": self.path,
            "values": values,
            "unknown": dict(self.unknown),
        }
        if self.configuration is not None:
            described["configuration"] = self.configuration
        return described


def _as_json_value(value: object) -> object:
    if isinstance(value, tuple):
        return [_as_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _as_json_value(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class AppliedMigrations:
    """What ``djm-applied`` read (``project/applied.py`` reads it, ``run.resolve_options`` once per run): the rows of
    a database's ``django_migrations`` table, or what a file says of them."""

    source: str  # as messages show it: a file's path, or a database URL without its password
    rows: frozenset[tuple[str, str]]  # (app, name) recorded as applied
    # Shown as applied by `showmigrations`, which names a squash for the migrations it replaces: each of these that
    # is a squash on disk stands for its `replaces` too (project/applied.py adds them).
    via_replaces: frozenset[tuple[str, str]] = frozenset()


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
    # and, once read for a project root, what was read. Options win: `set_explicitly` names the values an option set
    # (`database`, `swappable.AUTH_USER_MODEL`), which the Django settings do not change.
    settings_module: str | None = None
    read_django_settings: bool = True
    set_explicitly: frozenset[str] = frozenset()
    django: DjangoSettings | None = None
    # History (rules/history.py): the deployed git revision as written and the commit it named when the options
    # were read (run.resolve_options asks git); with `new_only`, only what changed since it is reported.
    # `baseline`: a file of accepted findings.
    base: str | None = None
    base_commit: str | None = None
    base_repository: str | None = None  # the top folder of the repository base_commit was resolved in
    new_only: bool = False
    baseline: str | None = None
    # Applied migrations (rules/applied.py, the `plan` command): the source as written (it may hold a password: never
    # shown) and, once run.resolve_options read it, what it holds.
    applied: str | None = None
    applied_migrations: AppliedMigrations | None = None
    # djm-deploy, as configured: "rolling" or "downtime" (see `rolling_deploy` for what the rules follow).
    deploy: str = "rolling"

    def is_enabled(self, code: str) -> bool:
        return self.enabled_codes is None or code in self.enabled_codes

    @property
    def rolling_deploy(self) -> bool:
        """Whether old code may run against the new schema, so the rules whose claim needs that run: `djm-deploy =
        rolling`, or a project whose Django settings install django-safemigrate or django-syzygy."""
        return self.deploy == "rolling" or self.staged_deploy_app is not None

    @property
    def staged_deploy_app(self) -> str | None:
        """The ``INSTALLED_APPS`` entry (read statically) of django-safemigrate or django-syzygy, if any: both run
        migrations before or after a deploy, so their project deploys rolling."""
        for entry in (self.django.listed_apps if self.django is not None else None) or ():
            if entry.partition(".")[0] in STAGED_DEPLOY_APPS:
                return entry
        return None

    @property
    def is_postgresql(self) -> bool:
        return self.database == "postgresql"

    def with_django(self, read: DjangoSettings) -> Settings:
        """These settings with what the project's Django settings say (``read``), where no option said otherwise:
        ``AUTH_USER_MODEL`` for swappable dependencies, ``MIGRATION_MODULES``, ``INSTALLED_APPS`` and the default
        database's engine. Settings that already hold what was read for ``read.root`` are returned as they are."""
        if self.django is not None and self.django.root == read.root:
            return self
        swappable = dict(self.swappable)
        user_model = read.auth_user_model
        if user_model and "swappable.AUTH_USER_MODEL" not in self.set_explicitly and _is_model_label(user_model):
            swappable["AUTH_USER_MODEL"] = user_model
        migration_modules = {
            label: module if module is not None else "None" for label, module in read.migration_modules.items()
        }
        migration_modules.update(self.migration_modules)
        database = self.database
        engine = read.database_engine
        if "database" not in self.set_explicitly and engine is not None:
            database = database_of_engine(engine) or database
        return replace(
            self, swappable=swappable, migration_modules=migration_modules, database=database, django=read
        )


def database_of_engine(engine: str) -> str | None:
    """The ``djm-database`` value for a ``DATABASES`` engine, also for GIS backends and wrappers named after
    their database (``django.contrib.gis.db.backends.postgis``, ``django_prometheus.db.backends.mysql``)."""
    last = engine.rsplit(".", 1)[-1].lower()
    for database, words in (
        ("postgresql", ("postgres", "postgis", "psycopg")),
        ("mysql", ("mysql",)),
        ("sqlite", ("sqlite", "spatialite")),
        ("oracle", ("oracle",)),
    ):
        if any(word in last for word in words):
            return database
    return None


def _is_model_label(value: str) -> bool:
    app, dot, model = value.partition(".")
    return bool(dot and app and model and "." not in model)


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
    applied: str | None = None,
    deploy: str | None = None,
) -> Settings:
    """Settings from option values as written (``KEY=VALUE`` entries, comma-separated or not), the one place
    where they are checked and where defaults apply. Raises ``SettingsError`` for a value that makes no sense."""
    set_explicitly = {"database"} if database else set()
    database = database or "postgresql"
    if database not in DATABASES:
        raise SettingsError(f"djm-database must be one of {', '.join(DATABASES)}, not {database!r}")
    swappable_options = _pairs(swappable, "djm-swappable")
    set_explicitly.update(f"swappable.{setting}" for setting in swappable_options)
    swappable_models = {**DEFAULT_SWAPPABLE, **swappable_options}
    for setting, model in swappable_models.items():
        app, dot, name = model.partition(".")
        if not (dot and app and name and "." not in name):
            raise SettingsError(f"djm-swappable: {setting}={model!r} is not of the form app_label.ModelName")
    if new_only and not base:
        raise SettingsError("djm-new-only needs djm-base, the revision to compare with")
    deploy = (deploy or "rolling").strip().lower()
    if deploy not in DEPLOY_MODELS:
        raise SettingsError(f"djm-deploy must be one of {', '.join(DEPLOY_MODELS)}, not {deploy!r}")
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
        set_explicitly=frozenset(set_explicitly),
        base=base or None,
        new_only=new_only,
        baseline=baseline or None,
        applied=(applied or "").strip() or None,
        deploy=deploy,
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
    data = read_regular_file(path, CONFIG_FILE_LIMIT)
    if data is None or b"migrations" not in data:
        return None  # no table of ours: not parsed (an editor's run on one file pays for the parser's import)
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib

    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeError, ValueError):
        return None
    tables = [tool.get(name) for name in PYPROJECT_TABLES] if isinstance(tool, dict) else []
    return next((found for found in tables if isinstance(found, dict)), None)

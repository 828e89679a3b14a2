"""Database URLs, read as dj-database-url and django-environ read them: their scheme tables, the settings a URL
gives, and the calls of each library that read one from the environment (``dj_database_url.config``,
``environ.Env().db``). What a variable holds is unknown; its default (what the settings say when it is not set) is
kept, for the default database's engine."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qs

from flake8_django_migrations.project.settings_values import NO_DEFAULT, EnvValue, Prefixed, call_arguments

# The engine of each URL scheme, as each library maps it (they differ: `mssql`).
# dj-database-url (dj_database_url/__init__.py, SCHEMES); an unknown scheme raises ValueError.
DJ_DATABASE_URL_SCHEMES: Final[Mapping[str, str]] = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "postgis": "django.contrib.gis.db.backends.postgis",
    "mongodb": "django_mongodb",
    "mongodb+srv": "django_mongodb",
    "mysql": "django.db.backends.mysql",
    "mysql2": "django.db.backends.mysql",
    "mysqlgis": "django.contrib.gis.db.backends.mysql",
    "mysql-connector": "mysql.connector.django",
    "mssql": "sql_server.pyodbc",
    "mssqlms": "mssql",
    "spatialite": "django.contrib.gis.db.backends.spatialite",
    "sqlite": "django.db.backends.sqlite3",
    "oracle": "django.db.backends.oracle",
    "oraclegis": "django.contrib.gis.db.backends.oracle",
    "redshift": "django_redshift_backend",
    "cockroach": "django_cockroachdb",
    "timescale": "timescale.db.backends.postgresql",
    "timescalegis": "timescale.db.backends.postgis",
}
# django-environ (environ/environ.py, Env.DB_SCHEMES); an unknown scheme is taken as the engine itself.
ENVIRON_DB_SCHEMES: Final[Mapping[str, str]] = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "psql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "postgis": "django.contrib.gis.db.backends.postgis",
    "prometheus-postgresql": "django_prometheus.db.backends.postgresql",
    "prometheus-postgis": "django_prometheus.db.backends.postgis",
    "cockroachdb": "django_cockroachdb",
    "mysql": "django.db.backends.mysql",
    "mysql2": "django.db.backends.mysql",
    "mysql-connector": "mysql.connector.django",
    "mysqlgis": "django.contrib.gis.db.backends.mysql",
    "prometheus-mysql": "django_prometheus.db.backends.mysql",
    "mssql": "mssql",
    "oracle": "django.db.backends.oracle",
    "pyodbc": "sql_server.pyodbc",
    "redshift": "django_redshift_backend",
    "spatialite": "django.contrib.gis.db.backends.spatialite",
    "prometheus-spatialite": "django_prometheus.db.backends.spatialite",
    "sqlite": "django.db.backends.sqlite3",
    "prometheus-sqlite": "django_prometheus.db.backends.sqlite3",
    "ldap": "ldapdb.backends.ldap",
}
_ENVIRON_BASE_OPTIONS: Final = frozenset({
    "CONN_MAX_AGE", "ATOMIC_REQUESTS", "AUTOCOMMIT", "DISABLE_SERVER_SIDE_CURSORS", "CONN_HEALTH_CHECKS",
})


def url_config(url: object, engine: object, library: str) -> dict[object, object] | None:
    """The database settings a URL gives, as dj-database-url's ``parse`` or django-environ's ``db_url_config``
    gives them: the engine from the scheme (or ``engine``), and ``OPTIONS`` from the query string."""
    if isinstance(url, EnvValue):
        url = url.default
    known = isinstance(url, str)
    if isinstance(url, Prefixed):
        url = url.prefix
    if not isinstance(url, str) or not url:
        return {"ENGINE": engine} if isinstance(engine, str) and engine else None
    if url == "sqlite://:memory:" and known:
        return {"ENGINE": engine if isinstance(engine, str) and engine else "django.db.backends.sqlite3",
                "NAME": ":memory:"}
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    scheme = match.group(1).lower() if match else ""
    config: dict[object, object] = {}
    query = url.partition("?")[2].partition("#")[0] if known else ""  # of a URL only partly known: not read
    options: dict[object, object] = {}
    for key, values in parse_qs(query).items():
        if library == "environ":
            if key.upper() in _ENVIRON_BASE_OPTIONS:
                continue
            options[key] = int(values[0]) if values[0].isdigit() and len(values[0]) < 20 else values[0]
        else:
            value: object = values[-1]
            if isinstance(value, str) and value.isdigit() and len(value) < 20:
                value = int(value)
            elif isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            options[key] = value
    if options:
        if library != "environ" and "currentSchema" in options and scheme in (
                "postgres", "postgresql", "pgsql", "postgis", "redshift", "timescale", "timescalegis"):
            options["options"] = f"-c search_path={options.pop('currentSchema')}"
        config["OPTIONS"] = options
    if isinstance(engine, str) and engine:
        config["ENGINE"] = engine
    elif library == "environ":
        if not scheme:
            return None
        config["ENGINE"] = ENVIRON_DB_SCHEMES.get(scheme, scheme)
    else:
        found = DJ_DATABASE_URL_SCHEMES.get(scheme)
        if found is None:
            return None  # dj-database-url raises ValueError
        config["ENGINE"] = found
    return config


def environ_call(path: str, scheme: tuple[tuple[str, object], ...], args: list[object],
                 keywords: dict[str, object], reads: str) -> object | None:
    method = path.rpartition(".")[2] if path != "environ.Env()" else "__call__"
    if method == "db_url_config":
        url, engine = call_arguments(args, keywords, ("url", "engine"))
        return url_config(url, engine, "environ")
    parameters = {
        "__call__": ("var", "cast", "default"), "str": ("var", "default"), "db": ("var", "default", "engine"),
        "db_url": ("var", "default", "engine"),
    }.get(method)
    if parameters is None:
        return None
    values = call_arguments(args, keywords, parameters)
    variable = values[0] if values[0] is not NO_DEFAULT else "DATABASE_URL"
    name = variable if isinstance(variable, str) else "?"
    default = values[parameters.index("default")]
    if default is NO_DEFAULT:
        schemed = dict(scheme).get(name)
        if isinstance(schemed, tuple) and len(schemed) == 2:
            default = schemed[1]
    reason = f"{reads} reads the environment variable `{name}`"
    if method in ("db", "db_url"):
        engine = values[2]
        url = default if default is not NO_DEFAULT else None
        parsed = url_config(url, engine, "environ") if url is not None or isinstance(engine, str) else None
        return EnvValue(name, parsed if parsed is not None else NO_DEFAULT, reason)
    return EnvValue(name, default, reason)


def dj_database_url_call(path: str, args: list[object], keywords: dict[str, object],
                         reads: str) -> object | None:
    if path == "dj_database_url.parse":
        url, engine = call_arguments(args, keywords, ("url", "engine"))
        if isinstance(url, EnvValue):
            given = url.default if isinstance(url.default, (str, Prefixed)) else None
            parsed = url_config(given, engine, "dj_database_url") if given else None
            return EnvValue(url.variable, parsed if parsed is not None else NO_DEFAULT, url.reason)
        return url_config(url, engine, "dj_database_url")
    variable, default, engine = call_arguments(args, keywords, ("env", "default", "engine"))
    name = variable if isinstance(variable, str) else "DATABASE_URL"
    if isinstance(default, EnvValue):
        default = default.default
    reason = f"{reads} reads the environment variable `{name}`"
    if not isinstance(default, (str, Prefixed)) or not default:
        if isinstance(engine, str) and engine:
            return EnvValue(name, {"ENGINE": engine}, reason)
        return EnvValue(name, NO_DEFAULT, reason)
    parsed = url_config(default, engine, "dj_database_url")
    return EnvValue(name, parsed if parsed is not None else NO_DEFAULT, reason)

"""Settings: one frozen record, from flake8's options and configuration files, and ``pyproject.toml``'s
``[tool.flake8-django-migrations]`` table (the command line wins, then flake8's files, then pyproject)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["DATABASES", "Settings"]

DATABASES: Final = ("postgresql", "mysql", "sqlite", "oracle")


@dataclass(frozen=True, slots=True)
class Settings:
    database: str = "postgresql"
    # Project pass (the migration graph of the whole tree).
    project_root: str | None = None
    app_labels: Mapping[str, str] = field(default_factory=dict)  # app folder path -> label
    migration_modules: Mapping[str, str] = field(default_factory=dict)  # label -> dotted module
    swappable: Mapping[str, str] = field(default_factory=lambda: {"AUTH_USER_MODEL": "auth.User"})
    exclude: tuple[str, ...] = ()
    cache_dir: str | None = None
    use_cache: bool = True
    # The codes flake8 will report (None: all). Rules whose code is off are not run at all.
    enabled_codes: frozenset[str] | None = None

    def is_enabled(self, code: str) -> bool:
        return self.enabled_codes is None or code in self.enabled_codes

    @property
    def is_postgresql(self) -> bool:
        return self.database == "postgresql"


# flake8 reads the first of these that has a [flake8] section, in the directory it runs in.
FLAKE8_CONFIG_FILES: Final = ("setup.cfg", "tox.ini", ".flake8")


def flake8_config_options(directory: str) -> dict[str, list[str]]:
    """The ``djm-*`` options of flake8's configuration in ``directory``, so that the command reads what the
    plugin reads: one configuration for both. Lists are split as flake8 splits them (commas and new lines)."""
    import configparser
    import os
    import re

    for name in FLAKE8_CONFIG_FILES:
        parser = configparser.RawConfigParser()
        try:
            parser.read(os.path.join(directory, name), encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        if parser.has_section("flake8"):
            return {
                key.replace("_", "-"): [item for item in re.split(r"[,\s]+", value.strip()) if item]
                for key, value in parser.items("flake8")
                if key.replace("_", "-").startswith("djm-")
            }
    return {}


PYPROJECT_TABLE: Final = "flake8-django-migrations"


def pyproject_options(directory: str) -> dict[str, list[str]]:
    """``[tool.flake8-django-migrations]`` of ``pyproject.toml`` in ``directory``, under the same ``djm-*`` names
    as flake8's options (``database = "sqlite"``, ``swappable = ["AUTH_USER_MODEL=accounts.User"]``). An
    unreadable or malformed file counts as absent: it is not ours to report."""
    import os
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib

    try:
        with open(os.path.join(directory, "pyproject.toml"), "rb") as file:
            tool = tomllib.load(file).get("tool")
    except (OSError, ValueError):
        return {}
    table = tool.get(PYPROJECT_TABLE) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return {}
    options: dict[str, list[str]] = {}
    for key, value in table.items():
        values = value if isinstance(value, list) else [value]
        options["djm-" + key.replace("_", "-")] = [
            str(item).lower() if isinstance(item, bool) else str(item) for item in values
        ]
    return options


def configured_options(directory: str) -> dict[str, list[str]]:
    """The ``djm-*`` options of the configuration files in ``directory``: flake8's win over ``pyproject.toml``."""
    return {**pyproject_options(directory), **flake8_config_options(directory)}

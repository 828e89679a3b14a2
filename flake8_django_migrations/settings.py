"""Settings: one frozen record, read from flake8 options or from ``[tool.flake8-django-migrations]``."""

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

    @property
    def is_postgresql(self) -> bool:
        return self.database == "postgresql"

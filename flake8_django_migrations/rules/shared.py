"""Helpers shared by several rule families: what an operation or a field means for the table, and how a message
names a value. This module declares no rule; ``registry`` looks through it and finds none."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation, Value, django_field_class

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex

__all__ = [
    "AUTO_INCREMENT_FIELDS",
    "TO_ONE_RELATIONS",
    "changes_existing_table",
    "creates_no_table",
    "field_indexes",
    "installed_packages",
    "migrations_holding",
    "name_or_ellipsis",
    "project_migrations",
]

TO_ONE_RELATIONS: Final = frozenset({"ForeignKey", "OneToOneField"})
AUTO_INCREMENT_FIELDS: Final = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})
_INDEXED_BY_DEFAULT: Final = frozenset({"ForeignKey", "OneToOneField", "SlugField"})
_UNIQUE_BY_DEFAULT: Final = frozenset({"OneToOneField"})


def name_or_ellipsis(value: Value) -> str:
    """The name a message shows for a value: the string itself, or "..." when it is not a literal string."""
    return value if isinstance(value, str) else "..."


def creates_no_table(create_model_options: Value) -> bool:
    """Whether ``CreateModel`` options make a proxy or unmanaged model, for which Django creates no table."""
    if not isinstance(create_model_options, tuple):
        return False
    pairs = dict(pair for pair in create_model_options if isinstance(pair, tuple) and len(pair) == 2)
    return pairs.get("proxy") is True or pairs.get("managed") is False


def field_indexes(field: Call) -> frozenset[str]:
    """Which indexes Django builds for a plain Django field: "unique" and/or "index" (none for a custom class)."""
    field_class = django_field_class(field)
    if field_class is None:
        return frozenset()
    # A unique constraint or a primary key is backed by an index in PostgreSQL, so "index" is only a plain one.
    unique = field.kwarg("primary_key") is True or field.kwarg("unique", field_class in _UNIQUE_BY_DEFAULT) is True
    index = field.kwarg("db_index", field_class in _INDEXED_BY_DEFAULT) is True
    return frozenset(name for name, built in (("unique", unique), ("index", index and not unique)) if built)


def changes_existing_table(created: Mapping[str, int], position: int, op: Operation) -> bool:
    """Whether the operation at ``position`` drops, renames or alters a table running code already uses."""
    # Unlike facts.on_existing_table, a RenameModel is judged by its old name, and a DeleteModel of a model the
    # migration creates again (before or after) drops nothing running code would miss: a table of that name stays.
    model = op.param("old_name") if op.kind == "RenameModel" else op.model_name
    if not isinstance(model, str):
        return False
    if op.kind == "DeleteModel" and model.lower() in created:
        return False
    return created.get(model.lower(), position) >= position


def installed_packages(index: ProjectIndex) -> frozenset[str | None]:
    """The labels of the apps of installed packages, whose migrations are not the project's own."""
    # An installed package's migrations (django.contrib.contenttypes) join the graph for their dependencies and
    # models, but their operations are not the project's to change.
    return frozenset(app.label for app in index.discovery.installed_apps if app.external)


def project_migrations(index: ProjectIndex) -> Iterator[tuple[Key, MigrationFacts]]:
    """The migrations of the project's own apps, without those of installed packages."""
    packages = installed_packages(index)
    for key, facts in index.migrations.items():
        if key[0] not in packages:
            yield key, facts


def migrations_holding(index: ProjectIndex, *kinds: str, own: bool = False) -> Iterator[tuple[Key, MigrationFacts]]:
    """The migrations holding an operation of one of ``kinds`` (``RunSQL`` for a rule that reads ``sql_steps``), in
    the order of ``index.migrations``; with ``own``, only the project's own (``project_migrations``)."""
    packages = installed_packages(index) if own else frozenset[str | None]()
    for key, facts in index.state.migrations_with(*kinds):
        if key[0] not in packages:
            yield key, facts

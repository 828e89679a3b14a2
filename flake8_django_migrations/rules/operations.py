"""DJM201-206: schema operations that break running code or lock tables during a rolling deploy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts import UNKNOWN, Call, MigrationFacts, Operation, Value, django_field_class
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings

# Fields with no column of their own, or whose value the database computes.
_NO_WRITTEN_COLUMN: Final = frozenset(
    {"ManyToManyField", "GenericRelation", "ForeignObject", "GeneratedField", "AutoField", "BigAutoField",
     "SmallAutoField"}
)
_INDEXED_BY_DEFAULT: Final = frozenset({"ForeignKey", "OneToOneField", "SlugField"})
_RENAMES: Final = {
    "RenameField": ("model_name", "old_name"),
    "RenameModel": (None, "old_name"),
    "AlterModelTable": (None, "name"),
}
_CONCURRENT_OPERATIONS: Final = frozenset({"AddIndexConcurrently", "RemoveIndexConcurrently"})


def _name(value: Value) -> str:
    return value if isinstance(value, str) else "..."


def _on_existing_table(facts: MigrationFacts, index: int, op: Operation) -> bool:
    """The operation's model was not created earlier in this migration (a new table is empty)."""
    model = op.model_name
    return model is not None and model.lower() not in facts.created_models_before(index)


def add_not_null_column_without_db_default(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for index, op in enumerate(facts.operations):
        if op.kind != "AddField" or not op.touches_database or not _on_existing_table(facts, index, op):
            continue
        field = op.param("field")
        field_class = django_field_class(field)
        if field_class is None or field_class in _NO_WRITTEN_COLUMN or not isinstance(field, Call):
            continue
        if "**" in field.kwargs or "db_default" in field.kwargs or field.kwarg("null", False) is not False:
            continue
        yield RULES["DJM201"].finding(
            facts.path, op.line, op.col, model=_name(op.param("model_name")), field=_name(op.param("name"))
        )


def _destructive(facts: MigrationFacts, kind: str) -> Iterator[Operation]:
    if facts.is_post_deploy:
        return
    for op in facts.operations:
        if op.kind == kind and op.touches_database:
            yield op


def drop_column(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for op in _destructive(facts, "RemoveField"):
        yield RULES["DJM202"].finding(
            facts.path, op.line, op.col, model=_name(op.param("model_name")), field=_name(op.param("name"))
        )


def drop_table(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for op in _destructive(facts, "DeleteModel"):
        yield RULES["DJM203"].finding(facts.path, op.line, op.col, model=_name(op.param("name")))


def rename_column_or_table(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for op in facts.operations:
        if op.kind not in _RENAMES or not op.touches_database:
            continue
        owner, renamed = _RENAMES[op.kind]
        target = _name(op.param(renamed))
        if owner is not None:
            target = f"{_name(op.param(owner))}.{target}"
        yield RULES["DJM204"].finding(facts.path, op.line, op.col, operation=op.kind, target=target)


def _builds_index(op: Operation) -> bool:
    if op.kind == "AddIndex":
        return True
    if op.kind == "AddConstraint":
        constraint = op.param("constraint")
        return isinstance(constraint, Call) and (constraint.func or "").endswith(".UniqueConstraint")
    if op.kind in ("AlterUniqueTogether", "AlterIndexTogether"):
        together = op.param("unique_together" if op.kind == "AlterUniqueTogether" else "index_together", UNKNOWN)
        return isinstance(together, tuple) and len(together) > 0
    if op.kind == "AddField":
        field = op.param("field")
        if not isinstance(field, Call) or "**" in field.kwargs:
            return False
        if field.kwarg("db_index") is True or field.kwarg("unique") is True:
            return True
        return django_field_class(field) in _INDEXED_BY_DEFAULT and field.kwarg("db_index", True) is True
    return False


def non_concurrent_index(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    if not settings.is_postgresql:
        return
    for index, op in enumerate(facts.operations):
        if op.touches_database and _builds_index(op) and _on_existing_table(facts, index, op):
            yield RULES["DJM205"].finding(
                facts.path, op.line, op.col, operation=op.kind, model=_name(op.model_name)
            )


def _sql_strings(value: Value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for element in value:
            yield from _sql_strings(element)


def concurrent_operation_in_atomic_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    if not settings.is_postgresql or facts.atomic is not True:
        return
    for op in facts.operations:
        concurrent = op.kind in _CONCURRENT_OPERATIONS or (
            op.kind == "RunSQL" and any("CONCURRENTLY" in sql.upper() for sql in _sql_strings(op.param("sql")))
        )
        if concurrent and op.touches_database:
            yield RULES["DJM206"].finding(facts.path, op.line, op.col, operation=op.kind)

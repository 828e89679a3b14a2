"""Turn a migration module's AST into plain, picklable facts, once per file.

Rules are small pure functions over these facts, and the project pass caches them on disk. A newcomer reads one
module at a time: ``model`` (the records), ``migration`` (the ``Migration`` class), ``functions`` (what
``RunPython`` code does), ``live_models`` (today's models used where historical ones must be), ``names`` (imports).
"""

from flake8_django_migrations.facts.migration import (
    extract_facts,
    find_migration_class,
    is_migration_path,
    operation_kind,
)
from flake8_django_migrations.facts.model import (
    UNKNOWN,
    Call,
    CallSite,
    Dependency,
    FunctionFacts,
    LiveModelUse,
    MalformedDependency,
    MigrationFacts,
    ModelRead,
    Operation,
    QuerysetUse,
    Ref,
    Site,
    Value,
    django_field_class,
    on_existing_table,
)
from flake8_django_migrations.files import is_migration_module_name  # where discovery finds it without the facts
from flake8_django_migrations.source import module_level_statements

__all__ = [
    "UNKNOWN",
    "Call",
    "CallSite",
    "Dependency",
    "FunctionFacts",
    "LiveModelUse",
    "MalformedDependency",
    "MigrationFacts",
    "ModelRead",
    "Operation",
    "QuerysetUse",
    "Ref",
    "Site",
    "Value",
    "django_field_class",
    "extract_facts",
    "find_migration_class",
    "is_migration_module_name",
    "is_migration_path",
    "module_level_statements",
    "on_existing_table",
    "operation_kind",
]

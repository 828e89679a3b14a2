"""Per-file rules: small pure functions from a migration's facts to findings, one module per family."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.registry import Finding
from flake8_django_migrations.rules import data, imports, naming, operations, reversibility
from flake8_django_migrations.settings import Settings

__all__ = ["FILE_RULES", "check_facts"]

FileRule = Callable[[MigrationFacts, Settings], Iterable[Finding]]

FILE_RULES: Final[Mapping[str, FileRule]] = {
    "DJM101": reversibility.run_python_without_reverse,
    "DJM102": reversibility.run_sql_without_reverse,
    "DJM103": imports.live_model_use,
    "DJM104": data.mixed_schema_and_data,
    "DJM105": data.side_effect_in_migration,
    "DJM201": operations.add_not_null_column_without_db_default,
    "DJM202": operations.drop_column,
    "DJM203": operations.drop_table,
    "DJM204": operations.rename_column_or_table,
    "DJM205": operations.non_concurrent_index,
    "DJM206": operations.concurrent_operation_in_atomic_migration,
    "DJM301": naming.latest_dependency,
    "DJM306": naming.generic_merge_name,
    "DJM901": naming.auto_generated_name,
    "DJM902": data.row_by_row_save,
    "DJM903": data.missing_db_alias,
}


def check_facts(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    """Every per-file finding for one migration; flake8 or the CLI then applies select, ignore and noqa."""
    for code, rule in FILE_RULES.items():
        if settings.is_enabled(code):
            yield from rule(facts, settings)

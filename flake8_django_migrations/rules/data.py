"""DJM104-105, DJM902-903: what data migrations do besides changing rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings

_DATA_OPERATIONS: Final = frozenset({"RunPython", "RunSQL", "SeparateDatabaseAndState"})
_SIDE_EFFECT_MODULES: Final = (
    "requests", "httpx", "urllib.request", "urllib3", "aiohttp", "smtplib", "socket", "boto3", "django.core.mail",
)
_TASK_QUEUE_METHODS: Final = frozenset({"delay", "apply_async"})


def mixed_schema_and_data(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    if facts.atomic is not True or not facts.operations_complete:
        return  # with operations from alternative branches, the two kinds may never run together
    changes_schema = any(
        op.kind is not None and op.kind not in _DATA_OPERATIONS and op.touches_database for op in facts.operations
    )
    if changes_schema:
        for op in facts.operations:
            if op.kind == "RunPython":
                yield RULES["DJM104"].finding(facts.path, op.line, op.col)


def _is_side_effect(callee: str) -> bool:
    if callee.rpartition(".")[2] in _TASK_QUEUE_METHODS:
        return True
    return any(callee == module or callee.startswith(module + ".") for module in _SIDE_EFFECT_MODULES)


def side_effect_in_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for function in facts.run_python_functions():
        for call in function.calls:
            if _is_side_effect(call.name):
                callee = call.written if call.name.startswith(".") else call.name
                yield RULES["DJM105"].finding(facts.path, call.line, call.col, call=callee + "()")


def row_by_row_save(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for function in facts.run_python_functions():
        for site in function.saves_in_loops:
            yield RULES["DJM902"].finding(facts.path, site.line, site.col)


def missing_db_alias(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for function in facts.run_python_functions():
        for queryset in function.querysets:
            if not queryset.routed:
                yield RULES["DJM903"].finding(facts.path, queryset.line, queryset.col)

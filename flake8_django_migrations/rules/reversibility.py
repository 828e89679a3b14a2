"""DJM101-102: data operations that make a migration irreversible."""

from __future__ import annotations

from collections.abc import Iterator

from flake8_django_migrations.facts import UNKNOWN, MigrationFacts, Ref, Value
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings


def _describe(value: Value) -> str:
    if isinstance(value, Ref):
        return value.path.rpartition(".")[2]
    return "..." if value is UNKNOWN else repr(value)


def run_python_without_reverse(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for op in facts.operations:
        if op.kind == "RunPython" and "code" in op.params and op.param("reverse_code") is None:
            yield RULES["DJM101"].finding(facts.path, op.line, op.col, code=_describe(op.params["code"]))


def run_sql_without_reverse(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for op in facts.operations:
        if op.kind == "RunSQL" and "sql" in op.params and op.param("reverse_sql") is None:
            yield RULES["DJM102"].finding(facts.path, op.line, op.col)

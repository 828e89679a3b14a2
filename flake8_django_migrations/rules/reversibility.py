"""DJM101-102: data operations that make a migration irreversible."""

from __future__ import annotations

from collections.abc import Iterator

from flake8_django_migrations.facts import Call, MigrationFacts, Operation, Ref, Value
from flake8_django_migrations.rules.rule import AddArgument, Fix, Flag, file_rule
from flake8_django_migrations.settings import Settings


def _describe(value: Value) -> str:
    """The ``RunPython`` code as a reader recognises it: its name, ``make_fill(...)`` for a call, else ``...``."""
    if isinstance(value, Ref):
        return "lambda ..." if value.path.startswith("<lambda") else value.path.rpartition(".")[2]
    if isinstance(value, Call) and value.func is not None:
        return value.func.rpartition(".")[2] + "(...)"
    return "..."


@file_rule(
    code="DJM101",
    fix=("unsafe", "passes `reverse_code=migrations.RunPython.noop`, declaring that undoing it does nothing"),
    name="run-python-without-reverse",
    message="`RunPython({code})` has no reverse, so this migration can never be unapplied",
    hint="pass `reverse_code=`, or `migrations.RunPython.noop` when there is nothing to undo",
    what_it_does="Checks for `RunPython` operations without a reverse function.",
    why_bad=(
        "Django refuses to unapply a migration with an irreversible operation. When a release has to be rolled"
        " back, `migrate app 0041` stops with `IrreversibleError` at exactly the moment you need it, and every"
        " migration before it in the app is stuck too."
    ),
    example=(
        "migrations.RunPython(fill_slugs)\n"
    ),
    use_instead=(
        "migrations.RunPython(fill_slugs, migrations.RunPython.noop)\n"
        "# or, when the data change can be undone:\n"
        "migrations.RunPython(fill_slugs, reverse_code=clear_slugs)\n"
    ),
)
def run_python_without_reverse(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for op in facts.operations:
        if op.kind == "RunPython" and "code" in op.params and op.param("reverse_code") is None:
            yield Flag(op.line, op.col, code=_describe(op.params["code"])).with_fix(_noop(facts, op, "reverse_code"))


@file_rule(
    code="DJM102",
    fix=("unsafe", "passes `reverse_sql=migrations.RunSQL.noop`, declaring that undoing it does nothing"),
    name="run-sql-without-reverse",
    message="`RunSQL` has no `reverse_sql`, so this migration can never be unapplied",
    hint="pass `reverse_sql=`, or `migrations.RunSQL.noop` when there is nothing to undo",
    what_it_does="Checks for `RunSQL` operations without reverse SQL.",
    why_bad=(
        "Like a `RunPython` without a reverse, a `RunSQL` without `reverse_sql` makes the whole migration"
        " irreversible: rolling back a release stops with `IrreversibleError`."
    ),
    example='migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm")\n',
    use_instead=(
        "migrations.RunSQL(\n"
        '    "CREATE EXTENSION IF NOT EXISTS pg_trgm",\n'
        '    reverse_sql="DROP EXTENSION IF EXISTS pg_trgm",\n'
        ")\n"
    ),
)
def run_sql_without_reverse(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for op in facts.operations:
        if op.kind == "RunSQL" and "sql" in op.params and op.param("reverse_sql") is None:
            yield Flag(op.line, op.col).with_fix(_noop(facts, op, "reverse_sql"))


def _noop(facts: MigrationFacts, op: Operation, keyword: str) -> Fix:
    """Unsafe: the operation's own ``noop`` as its reverse declares that undoing it does nothing, which only the
    author can tell; the migration can be unapplied, and the data stays as the forward step left it."""
    return Fix.unsafe(
        f"pass `{keyword}={op.kind}.noop`, declaring that undoing it does nothing",
        AddArgument(facts.path, op.line, op.col, keyword, "{callee}.noop", position=1),
    )

"""DJM214-217: hazards only SQL can express, in the statements of ``RunSQL`` read by PostgreSQL's own parser.

The statements come from ``facts.sql`` (the optional ``[sql]`` extra); without it these rules see no statement and
report nothing. ``sql_steps`` is also how the operation rules (DJM201-205, DJM207-211) read ``RunSQL``: each statement
with its operation and what the migration did to its table before it, so that a table created earlier in the same
migration stays exempt as for the operations themselves. A finding from SQL is reported at its ``RunSQL`` and quotes
the statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation
from flake8_django_migrations.facts.sql import SqlStatement, quote_statement, run_sql_statements
from flake8_django_migrations.rules.rule import Flag, file_rule
from flake8_django_migrations.settings import Settings

_MANUAL: Final = "https://www.postgresql.org/docs/current/"
FORWARD: Final = ("sql",)
BOTH_DIRECTIONS: Final = ("sql", "reverse_sql")


@dataclass(frozen=True, slots=True)
class SqlStep:
    """One statement of a ``RunSQL`` of the migration, with what the migration did before it."""

    position: int  # of the RunSQL among the migration's operations
    operation: Operation
    statement: SqlStatement
    new_table: bool  # the statement's table was created earlier in this migration: empty, nothing waits on it
    added_here: bool  # its column (``AddField``, ``ADD COLUMN``) or index (``AddIndex``, ``CREATE INDEX``) too

    @property
    def quoted(self) -> str:
        """The statement as a message quotes it, for the ``{operation}`` field of the operation rules."""
        return f"RunSQL: {quote_statement(self.statement.text)}"

    def flag(self, path: str | None = None, **names: object) -> Flag:
        return Flag(self.operation.line, self.operation.col, path, **names)


def model_table(app_label: str, model: str, options: object = None) -> str:
    """The table Django gives a model: ``db_table`` when its ``CreateModel`` options say, else ``app_model``."""
    for pair in options if isinstance(options, tuple) else ():
        if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == "db_table" and isinstance(pair[1], str):
            return pair[1]
    return f"{app_label}_{model.lower()}"


def sql_steps(facts: MigrationFacts, settings: Settings, directions: tuple[str, ...] = FORWARD) -> Iterator[SqlStep]:
    """Every parsed statement of the migration's ``RunSQL`` operations that touch the database, in the order they
    run; none unless the database is PostgreSQL, whose parser reads them. Only the forward ``sql`` by default: a
    ``reverse_sql`` runs only on a rollback, where undoing what the forward SQL did (``DROP COLUMN`` after
    ``ADD COLUMN``) is the point."""
    if not settings.is_postgresql:
        return
    for op in facts.operations:  # a loop, not any(): a dozen rules ask of every migration, most hold no RunSQL
        if op.kind == "RunSQL":
            break
    else:
        return
    tables: set[str] = set()  # created by this migration so far
    models: dict[str, str] = {}  # model (lower-cased) -> table, for those created here
    columns: set[tuple[str, str]] = set()  # (table, column) added so far
    indexes: set[str] = set()  # index and constraint names built so far
    for position, op in enumerate(facts.operations):
        model = op.model_name
        if op.kind == "CreateModel" and model is not None:
            table = model_table(facts.app_label, model, op.param("options"))
            models[model.lower()] = table
            tables.add(table)
        elif op.kind == "AddField" and model is not None and isinstance(op.param("name"), str):
            table = models.get(model.lower(), model_table(facts.app_label, model))
            columns.add((table, str(op.param("name")).lower()))
        elif op.kind in ("AddIndex", "AddConstraint"):
            built = op.param("index" if op.kind == "AddIndex" else "constraint")
            name = built.kwarg("name") if isinstance(built, Call) else None
            if isinstance(name, str):
                indexes.add(name)
        if op.kind != "RunSQL" or not op.touches_database:
            continue
        for direction in directions:
            statements, _ = run_sql_statements(op.param(direction))
            for statement in statements:
                table = statement.table or ""
                added = (
                    (table, statement.column or "") in columns
                    if statement.column is not None
                    else statement.name in indexes
                )
                yield SqlStep(position, op, statement, table in tables, added)
                if direction != "sql":
                    continue  # what a rollback creates does not exist when the forward SQL runs
                if statement.kind == "create_table":
                    tables.add(table)
                elif statement.kind == "add_column" and statement.column is not None:
                    columns.add((table, statement.column))
                elif statement.kind == "create_index" and statement.name is not None:
                    indexes.add(statement.name)


# DJM214 --------------------------------------------------------------------------------------------------------


def _as_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@file_rule(
    code="DJM214",
    deploy=("any", "PostgreSQL refuses the statement, so the migration fails whatever the deploy"),
    name="enum-value-used-in-its-transaction",
    message=(
        "`{statement}` adds `{value}` to the enum `{type}`, and this atomic migration uses it before the value is"
        " committed, which PostgreSQL refuses"
    ),
    hint="add the value in a migration of its own, or one with `atomic = False`, and use it in a later migration",
    what_it_does=(
        "On PostgreSQL, with the `[sql]` extra, checks atomic migrations for `ALTER TYPE ... ADD VALUE` in a `RunSQL`"
        " followed, in the same migration, by SQL that uses the new value as a literal (`UPDATE ... SET mood ="
        " 'ecstatic'`, `DEFAULT 'ecstatic'`, in the same `RunSQL` or a later one). A `RunPython` that may use it"
        " is not read, and an `ADD VALUE` that nothing in its migration uses is fine: since PostgreSQL 12 it may"
        " run in a transaction ([ALTER TYPE](" + _MANUAL + "sql-altertype.html))."
    ),
    why_bad=(
        "PostgreSQL lets `ALTER TYPE ... ADD VALUE` run inside a transaction block, but the new value cannot be"
        " used until that transaction has committed: the statement that uses it fails with `unsafe use of new"
        " value`, and Django runs an atomic migration as one transaction, so the migration fails on every"
        " database, every time (the test suite shows it on a real server).\n\n"
        "The safe sequence:\n\n"
        "1. A migration that adds the value (`ALTER TYPE ... ADD VALUE IF NOT EXISTS`), alone or with"
        " `atomic = False`; it takes a lock on the type only, for an instant.\n"
        "2. A later migration that uses it: each migration is committed before the next one starts."
    ),
    example=(
        "operations = [\n"
        "    migrations.RunSQL(\"ALTER TYPE mood ADD VALUE 'ecstatic'\"),\n"
        "    migrations.RunSQL(\"UPDATE shop_person SET mood = 'ecstatic' WHERE score > 90\"),\n"
        "]\n"
    ),
    use_instead=(
        "# 0012_add_ecstatic.py\n"
        "operations = [migrations.RunSQL(\"ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic'\")]\n"
        "# 0013_use_ecstatic.py\n"
        "operations = [migrations.RunSQL(\"UPDATE shop_person SET mood = 'ecstatic' WHERE score > 90\")]\n"
    ),
    options=("djm-database",),
)
def enum_value_used_in_its_transaction(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.atomic is not True:
        return
    added: list[SqlStep] = []
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "alter_type_add_value":
            added.append(step)
            continue
        for adding in list(added):
            if adding.statement.value is not None and _as_literal(adding.statement.value) in statement.text:
                added.remove(adding)
                yield adding.flag(
                    statement=quote_statement(adding.statement.text), value=adding.statement.value,
                    type=adding.statement.name,
                )


# DJM215 --------------------------------------------------------------------------------------------------------


@file_rule(
    code="DJM215",
    deploy=("any", "a `COMMIT` or `ROLLBACK` half-way leaves the migration half applied whatever the deploy"),
    name="transaction-control-in-atomic-migration",
    message="`RunSQL` runs `{command}` inside the transaction Django runs this atomic migration in",
    hint=(
        "remove it: the migration is already one transaction; for SQL that must run outside one, set"
        " `atomic = False` on the migration"
    ),
    what_it_does=(
        "On PostgreSQL, with the `[sql]` extra, checks `RunSQL` (its `sql` and its `reverse_sql`, which a rollback"
        " runs in the same way) in an atomic migration for `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`,"
        " `ROLLBACK`, `ABORT` and the prepared-transaction commands. `SAVEPOINT`, `RELEASE` and `ROLLBACK TO`"
        " work inside the migration's transaction and are fine, and so is all of it with `atomic = False`."
    ),
    why_bad=(
        "Django runs an atomic migration in one transaction and records it as applied at its end. A `COMMIT`"
        " in the SQL commits that transaction half-way: if a later operation fails, what ran before the `COMMIT`"
        " stays and the migration is neither applied nor undone. A `ROLLBACK` silently undoes the operations"
        " before it, and Django goes on and records the migration as applied. A `BEGIN` only draws a warning"
        " (`there is already a transaction in progress`), so the `COMMIT` written to close it ends Django's"
        " transaction instead ([transactions](" + _MANUAL + "tutorial-transactions.html))."
    ),
    example=(
        "migrations.RunSQL(\"BEGIN; UPDATE shop_order SET region = 'eu'; COMMIT;\")\n"
    ),
    use_instead=(
        "migrations.RunSQL(\"UPDATE shop_order SET region = 'eu'\")\n"
    ),
    options=("djm-database",),
)
def transaction_control_in_atomic_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.atomic is not True:
        return
    reported: set[int] = set()  # one finding per RunSQL, naming its first transaction command
    for step in sql_steps(facts, settings, BOTH_DIRECTIONS):
        if step.statement.kind == "transaction_control" and step.position not in reported:
            reported.add(step.position)
            yield step.flag(command=step.statement.name)


# DJM216 --------------------------------------------------------------------------------------------------------


@file_rule(
    code="DJM216",
    deploy=("any", "the rows are deleted on every database the migration runs on, whatever the deploy"),
    name="truncate-table",
    message="`{statement}` deletes every row of `{table}` under an ACCESS EXCLUSIVE lock that stalls every query on it",
    hint=(
        "delete the rows you mean with `DELETE ... WHERE`, in batches; if the table is really disposable, say so"
        " with `# noqa: DJM216`"
    ),
    what_it_does=(
        "On PostgreSQL, with the `[sql]` extra, checks the `sql` of `RunSQL` for `TRUNCATE` of a table that the"
        " migration did not create earlier (`CreateModel`, `CREATE TABLE`). A `TRUNCATE` in `reverse_sql` (undoing"
        " a seed) runs only on a rollback and is not reported."
    ),
    why_bad=(
        "`TRUNCATE` takes an ACCESS EXCLUSIVE lock, which waits for every transaction using the table and makes"
        " every query, even a `SELECT`, queue behind it; with `CASCADE` it empties the tables that reference this"
        " one too ([TRUNCATE](" + _MANUAL + "sql-truncate.html)). The rows are gone for the code still running"
        " during the deploy, and rolling the code back does not bring them back. A migration runs on every"
        " database, production included: a `TRUNCATE` meant for a development reset deletes real data."
    ),
    example='migrations.RunSQL("TRUNCATE shop_cart_item")\n',
    use_instead=(
        "# Delete what must go, in batches, from a data migration or a job:\n"
        "migrations.RunSQL(\"DELETE FROM shop_cart_item WHERE created_at < now() - interval '90 days'\")\n"
    ),
    options=("djm-database",),
)
def truncate_table(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for step in sql_steps(facts, settings):
        if step.statement.kind == "truncate" and not step.new_table:
            yield step.flag(statement=quote_statement(step.statement.text), table=step.statement.table)


# DJM217 --------------------------------------------------------------------------------------------------------


@file_rule(
    code="DJM217",
    deploy=(
        "rolling",
        "old code still uses what the schema holds; with the application stopped, only the new code runs, and it"
        " no longer does",
    ),
    name="drop-schema",
    message="`{statement}` drops the schema `{schema}` with everything in it, which running code may still use",
    hint=(
        "stop using what it holds first and drop it in a later release marked post-deploy (or `# noqa: DJM217`)"
    ),
    what_it_does=(
        "On PostgreSQL, with the `[sql]` extra, checks the `sql` of `RunSQL` for `DROP SCHEMA`, unless the"
        " migration is marked to run after deploy (django-safemigrate `safe = Safe.after_deploy()`, django-syzygy"
        " `stage = Stage.POST_DEPLOY`) or declared safe at either moment (`Safe.always()`),"
        " as for DJM202 and DJM203. A `DROP SCHEMA` in `reverse_sql` (undoing a"
        " `CREATE SCHEMA`) is not reported."
    ),
    why_bad=(
        "A schema holds tables, views, functions and types; `DROP SCHEMA ... CASCADE` drops them all, taking an"
        " ACCESS EXCLUSIVE lock on every table in it ([DROP SCHEMA](" + _MANUAL + "sql-dropschema.html)). Code"
        " still running during the deploy fails on every query that touches them, and no code rollback restores"
        " the data."
    ),
    example='migrations.RunSQL("DROP SCHEMA reporting CASCADE")\n',
    use_instead=(
        "class Migration(migrations.Migration):\n"
        "    stage = Stage.POST_DEPLOY  # after no running code reads reporting.*\n"
        '    operations = [migrations.RunSQL("DROP SCHEMA reporting CASCADE")]\n'
    ),
    options=("djm-database",),
)
def drop_schema(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.drops_are_declared_safe:
        return
    for step in sql_steps(facts, settings):
        if step.statement.kind == "drop_schema":
            yield step.flag(statement=quote_statement(step.statement.text), schema=step.statement.name)

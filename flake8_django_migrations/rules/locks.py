"""DJM209-211, DJM213, DJM905: PostgreSQL lock hazards beyond building indexes and changing columns (``schema``).

Each rule names the lock PostgreSQL takes and the safe sequence; ``tests/test_postgres_truth.py`` shows every lock
claimed here on a real server. A table created earlier in the same migration is empty and exempt, as for DJM205.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation, Value, django_field_class, on_existing_table
from flake8_django_migrations.facts.model import FIELDS_WITHOUT_COLUMN
from flake8_django_migrations.rules.raw_sql import sql_steps
from flake8_django_migrations.rules.rule import Flag, file_rule, project_rule
from flake8_django_migrations.rules.schema import (
    RENAMES,
    TOGETHER_OPTIONS,
    add_not_null_constraint,
    alter_column_type,
    column_renames,
    renames_nothing,
    together_change,
)
from flake8_django_migrations.rules.shared import (
    AUTO_INCREMENT_FIELDS,
    TO_ONE_RELATIONS,
    changes_existing_table,
    field_indexes,
    migrations_holding,
    name_or_ellipsis,
    project_migrations,
)
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex

_MANUAL: Final = "https://www.postgresql.org/docs/current/"
# Functions PostgreSQL marks VOLATILE: as a column default they are evaluated for every existing row, so adding the
# column rewrites the table (a STABLE or IMMUTABLE default such as now() is stored once, in the catalog).
_VOLATILE_FUNCTIONS: Final = frozenset(
    {"gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "random", "clock_timestamp",
     "timeofday", "nextval", "gen_random_bytes", "random_normal"}
)
_VOLATILE_EXPRESSIONS: Final = frozenset(
    {"django.contrib.postgres.functions.RandomUUID", "django.db.models.functions.Random",
     "django.db.models.functions.math.Random"}
)


def _is_django(value: Value, class_name: str) -> bool:
    """A call of one of Django's own classes named ``class_name`` (resolved through the imports)."""
    func = value.func if isinstance(value, Call) else None
    return func is not None and func.startswith("django.") and func.rpartition(".")[2] == class_name


# DJM209 --------------------------------------------------------------------------------------------------------


def _constraint_name(constraint: Value) -> str | None:
    name = constraint.kwarg("name") if isinstance(constraint, Call) else None
    return name if isinstance(name, str) else None


def _constraints_set(op: Operation) -> Iterator[tuple[str, str, Call]]:
    """(lower-cased model, constraint name, constraint) for each constraint an operation puts on a table."""
    model = (op.model_name or "").lower()
    if op.kind == "AddConstraint":
        constraint = op.param("constraint")
        name = _constraint_name(constraint)
        if isinstance(constraint, Call) and name is not None:
            yield model, name, constraint
    elif op.kind == "CreateModel":
        options = op.param("options")
        for pair in options if isinstance(options, tuple) else ():
            if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == "constraints" and isinstance(pair[1], tuple):
                for constraint in pair[1]:
                    name = _constraint_name(constraint)
                    if isinstance(constraint, Call) and name is not None:
                        yield model, name, constraint


def _removed_constraint(index: ProjectIndex, node: Key, position: int, op: Operation) -> Call | None:
    """The constraint a ``RemoveConstraint`` drops, from the last operation of its app that set it before it."""
    model, name = (op.model_name or "").lower(), op.param("name")
    migrations, state = index.migrations, index.state
    # The app's migrations before this one along the graph, each after its own ancestors (a descendant has more),
    # then this one up to the removal.
    earlier = sorted(
        (key for key in state.ancestors(node) if key[0] == node[0] and key in migrations),
        key=lambda key: (len(state.ancestors(key)), key),
    )
    operations = [op for key in earlier for op in migrations[key].operations if op.side != "state"]
    operations += [op for op in migrations[node].operations[:position] if op.side != "state"]
    found: Call | None = None
    for candidate in operations:
        if candidate.kind == "RemoveConstraint" and (candidate.model_name or "").lower() == model:
            if candidate.param("name") == name:
                found = None
        for owner, constraint_name, constraint in _constraints_set(candidate):
            if owner == model and constraint_name == name:
                found = constraint
    return found


def _added_in(facts: MigrationFacts, position: int, kind: str, name: Value) -> bool:
    """Whether an operation of ``kind`` before ``position`` in the same migration built what is dropped (a squash
    builds and drops the same index: the table lock was taken to build it anyway)."""
    for op in facts.operations[:position]:
        built = op.param("index") if kind == "AddIndex" else op.param("constraint")
        if op.kind == kind and isinstance(built, Call) and built.kwarg("name") == name:
            return True
    return False


@project_rule(
    code="DJM209",
    deploy=(
        "rolling",
        "the ACCESS EXCLUSIVE lock makes the queries of the requests served meanwhile queue behind it; with the"
        " application stopped, no query waits",
    ),
    fix_requires="Django 3.0 for `RemoveIndexConcurrently` (`django.contrib.postgres.operations`)",
    name="non-concurrent-index-removal",
    message=(
        "`{operation}` drops the index of `{target}` without `CONCURRENTLY`, waiting for an ACCESS EXCLUSIVE lock"
        " that stalls every query on the table"
    ),
    hint=(
        "use `RemoveIndexConcurrently` (or `DROP INDEX CONCURRENTLY` in a `RunSQL` beside the state change) with"
        " `atomic = False`; a unique constraint has no concurrent drop: set a short `lock_timeout` and retry"
    ),
    what_it_does=(
        "On PostgreSQL, checks for operations that drop an index on an existing table the blocking way:"
        " `RemoveIndex`, `RemoveConstraint` of a `UniqueConstraint` (what the constraint was is found along the"
        " migration graph), and `AlterField` that takes `db_index=True` or `unique=True` (or a class indexed by"
        " default, such as `ForeignKey`) away from a column, compared with its previous definition, and"
        " `AlterUniqueTogether` or `AlterIndexTogether` that removes an entry (compared with the model's previous"
        " value along the graph; one finding per entry removed). Models created in the same migration, proxy and"
        " unmanaged models, and indexes built earlier in it, are skipped; so is a removal from state only, and one"
        " on a model the migration then deletes (makemigrations drops a deleted model's `unique_together` first:"
        " the table's drop is DJM203's)."
        " With the `[sql]` extra, `DROP INDEX` without `CONCURRENTLY` in the `sql` of a `RunSQL` is reported too."
        " Django's SQL is `DROP INDEX` (`ALTER TABLE ... DROP CONSTRAINT` for a unique constraint), which takes an"
        " ACCESS EXCLUSIVE lock on the table ([ALTER TABLE](" + _MANUAL + "sql-altertable.html),"
        " [DROP INDEX](" + _MANUAL + "sql-dropindex.html), [lock modes](" + _MANUAL + "explicit-locking.html))."
    ),
    why_bad=(
        "Dropping the index is instant once the lock is granted, but ACCESS EXCLUSIVE conflicts with every other"
        " lock, even a plain `SELECT`'s: the drop waits for every transaction that touched the table, and while it"
        " waits, every new query on the table queues behind it. One long report or an idle transaction turns a"
        " drop of a few milliseconds into an outage. `DROP INDEX CONCURRENTLY` takes a SHARE UPDATE EXCLUSIVE"
        " lock, which lets reads and writes go on while it waits.\n\n"
        "The safe sequence:\n\n"
        "1. In a migration with `atomic = False` (PostgreSQL refuses `CONCURRENTLY` in a transaction, DJM206),"
        " `RemoveIndexConcurrently(model_name, name)`: SHARE UPDATE EXCLUSIVE, reads and writes go on.\n"
        "2. For an index Django made from a field's `db_index=True`, run `DROP INDEX CONCURRENTLY IF EXISTS <name>`"
        " in a `RunSQL` and put the `AlterField` in its `state_operations`.\n"
        "3. A unique constraint (`UniqueConstraint` without a condition or expressions, `unique=True`) is dropped"
        " with `ALTER TABLE ... DROP CONSTRAINT`, which has no concurrent form: run it with"
        " `SET lock_timeout = '2s'` first so it gives up instead of queueing everyone, and retry."
    ),
    example=(
        'migrations.RemoveIndex("order", "order_created_idx")\n'
        'migrations.AlterField("order", "reference", models.CharField(max_length=20))  # was db_index=True\n'
    ),
    use_instead=(
        "from django.contrib.postgres.operations import RemoveIndexConcurrently\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [\n"
        '        RemoveIndexConcurrently("order", "order_created_idx"),\n'
        "        migrations.RunSQL(\n"
        '            "DROP INDEX CONCURRENTLY IF EXISTS shop_order_reference_1d4c8a1b",\n'
        '            state_operations=[migrations.AlterField("order", "reference", models.CharField(max_length=20))],\n'
        "        ),\n"
        "    ]\n"
    ),
    options=("djm-database",),
)
def non_concurrent_index_removal(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    for key, facts in migrations_holding(index, *TOGETHER_OPTIONS, "RemoveIndex", "RemoveConstraint", "RunSQL"):
        created = facts.model_creations()
        deleted = _deleted_after(facts)
        for position, op in enumerate(facts.operations):
            if deleted.get((op.model_name or "").lower(), -1) > position:
                continue  # makemigrations drops a model's unique_together before its table: DJM203 reports the drop
            if op.kind in TOGETHER_OPTIONS and op.touches_database and on_existing_table(created, position, op):
                for entry in _together_entries_dropped(index, key, position, op):
                    target = f"{name_or_ellipsis(op.model_name)}({', '.join(entry)})"
                    yield Flag(op.line, op.col, index.path_of(key), operation=op.kind, target=target)
            if op.kind not in ("RemoveIndex", "RemoveConstraint") or not op.touches_database:
                continue
            if not on_existing_table(created, position, op):
                continue
            name = op.param("name")
            if op.kind == "RemoveIndex" and _added_in(facts, position, "AddIndex", name):
                continue
            if op.kind == "RemoveConstraint":
                if _added_in(facts, position, "AddConstraint", name):
                    continue
                constraint = _removed_constraint(index, key, position, op)
                if not _is_django(constraint, "UniqueConstraint"):
                    continue
            target = f"{name_or_ellipsis(op.model_name)}.{name_or_ellipsis(name)}"
            yield Flag(op.line, op.col, index.path_of(key), operation=op.kind, target=target)
        for step in sql_steps(facts, settings):
            statement = step.statement
            # An index built earlier in the same migration (AddIndex, CREATE INDEX) took the table's lock anyway.
            if statement.kind == "drop_index" and not statement.concurrently and not step.added_here:
                yield step.flag(index.path_of(key), operation=step.quoted, target=statement.name)
    for node, op, field, before, after, added_here in index.state.field_alterations():
        if added_here or django_field_class(after) is None:
            continue
        # Django drops a unique constraint that goes, and a plain index that goes or gives way to a unique one.
        now = field_indexes(after)
        dropped = {kind for kind in field_indexes(before) if kind not in now}
        if dropped and _altered_earlier_in(index.migrations[node], op):
            # A second change of the field in one migration (a squash) may drop what the first built, whose lock
            # the migration took anyway: only what existed before the migration counts.
            model, _, name = field.partition(".")
            existing = index.state.definition_before(node, (node[0], model, name))
            dropped &= field_indexes(existing) if existing is not None else set()
        if dropped and django_field_class(before) is not None:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, target=field)


def _deleted_after(facts: MigrationFacts) -> dict[str, int]:
    """The lower-cased models whose table a ``DeleteModel`` of the migration drops, with its last position: what
    an operation before it drops of the table is gone with the table, under the same lock."""
    return {
        name.lower(): position for position, op in enumerate(facts.operations)
        if op.kind == "DeleteModel" and op.touches_database and isinstance(name := op.param("name"), str)
    }


def _together_entries_dropped(index: ProjectIndex, node: Key, position: int, op: Operation) -> list[tuple[str, ...]]:
    """The entries an ``AlterUniqueTogether``/``AlterIndexTogether`` removes that the model had before its migration
    began (an entry added earlier in the same migration was built under the lock the migration holds anyway)."""
    change = together_change(index.state, node, position, op)
    if change is None or not change[1] or op.model_name is None:
        return []
    at_start = together_change(index.state, node, 0, op)  # the operation's value against the migration's start
    if at_start is None:
        return []
    return sorted(change[1] & at_start[1])


def _altered_earlier_in(facts: MigrationFacts, op: Operation) -> bool:
    """Whether an operation before ``op`` in its migration set the same field's definition."""
    model, name = (op.model_name or "").lower(), op.param("name")
    for other in facts.operations:
        if other is op:
            return False
        if other.kind in ("AddField", "AlterField") and (other.model_name or "").lower() == model:
            if other.param("name") == name:
                return True
    return False


# DJM210 --------------------------------------------------------------------------------------------------------


def _has_constraint(field: Call) -> bool:
    """A ``ForeignKey``/``OneToOneField`` whose database constraint is on (``db_constraint`` literal, default on)."""
    if django_field_class(field) not in TO_ONE_RELATIONS or "**" in field.kwargs:
        return False
    return field.kwarg("db_constraint", True) is True


def _fills_existing_rows(field: Call) -> bool:
    """Whether adding the column gives existing rows a value (a default other than NULL) that the constraint must
    check: PostgreSQL skips the check of a foreign key on a new column that is NULL everywhere."""
    return any(field.kwarg(name) is not None for name in ("default", "db_default"))


@project_rule(
    code="DJM210",
    deploy=(
        "rolling",
        "the locks block the writes of the requests served during the check; with the application stopped nothing"
        " writes, and a later validation checks the same rows",
    ),
    name="add-foreign-key-constraint",
    message=(
        "`{operation}` adds a foreign key constraint on `{field}`, which checks every row while both tables are"
        " locked against writes"
    ),
    hint=(
        "add the column `null=True` without a default (PostgreSQL has nothing to check) and fill it in batches;"
        " for a column with values, add the constraint `NOT VALID` in `RunSQL`, then `VALIDATE CONSTRAINT` it"
    ),
    what_it_does=(
        "On PostgreSQL, checks for `AddField` of a `ForeignKey` or `OneToOneField` with its database constraint"
        " (the default, `db_constraint=True`) and a `default` or `db_default` that fills the existing rows, on a"
        " model not created earlier in the same migration, and for"
        " `AlterField` that gives a column a foreign key constraint it did not have (from `db_constraint=False`, or"
        " from a field that was no relation), compared with its previous definition along the migration graph."
        " Django adds the constraint with `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY` (inline `REFERENCES` in"
        " `ADD COLUMN`), which takes a SHARE ROW EXCLUSIVE lock on both tables (ACCESS EXCLUSIVE on the"
        " referencing one when the column is added in the same statement) and checks every existing row before it"
        " lets go ([ALTER TABLE](" + _MANUAL + "sql-altertable.html),"
        " [lock modes](" + _MANUAL + "explicit-locking.html)). A new column without a default is NULL in every"
        " row, and PostgreSQL then checks nothing (the test suite measures it: no scan, an instant lock), so"
        " `AddField(..., null=True)` is not reported. With the `[sql]` extra, `ADD CONSTRAINT ... FOREIGN KEY`"
        " without `NOT VALID` in the `sql` of a `RunSQL`, and `ADD COLUMN ... REFERENCES` with a default, are"
        " reported too."
    ),
    why_bad=(
        "While every row of the referencing table is checked, nothing can write to either table (and with"
        " `AddField` nothing can even read the referencing one): on a large table that is minutes of failed"
        " requests, also for the referenced table, which the migration does not seem to touch.\n\n"
        "The safe sequence for a new column:\n\n"
        "1. `AddField` of the foreign key with `null=True` and no default: the column is NULL everywhere, so"
        " PostgreSQL checks no row and holds its ACCESS EXCLUSIVE and SHARE ROW EXCLUSIVE locks for an instant.\n"
        "2. Fill it in batches (each update checks its own rows under row locks).\n"
        "3. If it must be NOT NULL, see DJM208.\n\n"
        "The safe sequence for a column that already has values (PostgreSQL's `NOT VALID`: the constraint holds"
        " for new rows at once, the old ones are checked later under a lock that lets reads and writes go on):\n\n"
        "1. `RunSQL('ALTER TABLE <table> ADD CONSTRAINT <name> FOREIGN KEY (<column>) REFERENCES <other> (id)"
        " DEFERRABLE INITIALLY DEFERRED NOT VALID')`: SHARE ROW EXCLUSIVE on both tables, held for an instant"
        " since no row is checked.\n"
        "2. In a later migration, `RunSQL('ALTER TABLE <table> VALIDATE CONSTRAINT <name>')`: SHARE UPDATE"
        " EXCLUSIVE on the table and ROW SHARE on the referenced one, so reads and writes go on during the check;"
        " give it `state_operations=[AlterField(...)]` with the field as it now is, so Django's state matches."
    ),
    example=(
        'migrations.AddField("order", "customer", models.ForeignKey("shop.customer", models.CASCADE, default=1))\n'
        "# or, for a column that had db_constraint=False:\n"
        'migrations.AlterField("order", "buyer", models.ForeignKey("shop.customer", models.CASCADE, null=True))\n'
    ),
    use_instead=(
        'migrations.AddField("order", "customer", models.ForeignKey("shop.customer", models.CASCADE, null=True))\n'
        "# then fill it in batches; and for the existing column:\n"
        "migrations.RunSQL(\n"
        '    "ALTER TABLE shop_order ADD CONSTRAINT shop_order_buyer_fk FOREIGN KEY (buyer_id)"\n'
        '    " REFERENCES shop_customer (id) DEFERRABLE INITIALLY DEFERRED NOT VALID",\n'
        '    reverse_sql="ALTER TABLE shop_order DROP CONSTRAINT shop_order_buyer_fk",\n'
        ")\n"
        "# and in the next migration:\n"
        "migrations.RunSQL(\n"
        '    "ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_buyer_fk",\n'
        "    state_operations=[migrations.AlterField(\n"
        '        "order", "buyer", models.ForeignKey("shop.customer", models.CASCADE, null=True),\n'
        "    )],\n"
        ")\n"
    ),
    options=("djm-database",),
)
def add_foreign_key_constraint(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    for key, facts in migrations_holding(index, "AddField"):
        created: dict[str, int] | None = None  # read once a key with a default is added
        for position, op in enumerate(facts.operations):
            field = op.param("field")
            if op.kind != "AddField" or not op.touches_database or not isinstance(field, Call):
                continue
            if not (_has_constraint(field) and _fills_existing_rows(field)):
                continue
            created = facts.model_creations() if created is None else created
            if on_existing_table(created, position, op):
                target = f"{name_or_ellipsis(op.model_name)}.{name_or_ellipsis(op.param('name'))}"
                yield Flag(op.line, op.col, index.path_of(key), operation=op.kind, field=target)
    for node, op, field_name, before, after, _ in index.state.field_alterations():
        if django_field_class(before) is None or not _has_constraint(after):
            continue
        if django_field_class(before) not in TO_ONE_RELATIONS or before.kwarg("db_constraint", True) is False:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, field=field_name)
    for key, facts in migrations_holding(index, "RunSQL"):
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind != "add_foreign_key" or statement.not_valid or step.new_table:
                continue
            # A new column without a default is NULL in every row: PostgreSQL has nothing to check.
            if statement.new_column and not statement.has_default:
                continue
            field = statement.table if statement.column is None else f"{statement.table}.{statement.column}"
            yield step.flag(index.path_of(key), operation=step.quoted, field=field)


# DJM211 --------------------------------------------------------------------------------------------------------


@file_rule(
    code="DJM211",
    deploy=(
        "rolling",
        "the lock stalls the requests served during the scan; with the application stopped, a later validation"
        " would scan the same rows",
    ),
    fix_requires=(
        "Django 4.0 for `AddConstraintNotValid` and `ValidateConstraint`; `condition=` is Django 5.1's name for"
        " `CheckConstraint(check=...)`"
    ),
    name="add-check-constraint-without-not-valid",
    message=(
        "`{operation}` adds the check constraint `{name}` to `{model}`, scanning the whole table under an"
        " ACCESS EXCLUSIVE lock"
    ),
    hint=(
        "use `AddConstraintNotValid` (django.contrib.postgres.operations), then `ValidateConstraint` in a later"
        " migration"
    ),
    what_it_does=(
        "On PostgreSQL, checks for `AddConstraint` of a `CheckConstraint` on a model not created earlier in the"
        " same migration (a removal from state only is skipped). Django's SQL is `ALTER TABLE ... ADD CONSTRAINT"
        " ... CHECK (...)`, which takes an ACCESS EXCLUSIVE lock and reads every row before it lets go"
        " ([ALTER TABLE](" + _MANUAL + "sql-altertable.html), [lock modes](" + _MANUAL + "explicit-locking.html))."
        " With the `[sql]` extra, `ADD CONSTRAINT ... CHECK` without `NOT VALID` in the `sql` of a `RunSQL` is"
        " reported too."
    ),
    why_bad=(
        "ACCESS EXCLUSIVE blocks reads as well as writes: every query on the table waits until the whole table"
        " has been checked, minutes on a large one.\n\n"
        "The safe sequence (`NOT VALID`: new and updated rows are checked at once, the old ones later under a"
        " lock that lets reads and writes go on):\n\n"
        "1. `AddConstraintNotValid(model_name, constraint)` (django.contrib.postgres.operations, Django 4.0+):"
        " `ADD CONSTRAINT ... NOT VALID`, an ACCESS EXCLUSIVE lock held for an instant since no row is read.\n"
        "2. In a later migration, `ValidateConstraint(model_name, name)`: `VALIDATE CONSTRAINT` reads every row"
        " under a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on."
    ),
    example=(
        'migrations.AddConstraint("order", models.CheckConstraint(condition=models.Q(amount__gte=0),'
        ' name="amount_gte_0"))\n'
    ),
    use_instead=(
        "from django.contrib.postgres.operations import AddConstraintNotValid, ValidateConstraint\n\n"
        'AddConstraintNotValid("order", models.CheckConstraint(condition=models.Q(amount__gte=0),'
        ' name="amount_gte_0"))\n'
        "# and in the next migration:\n"
        'ValidateConstraint("order", name="amount_gte_0")\n'
    ),
    options=("djm-database",),
)
def add_check_constraint_without_not_valid(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    created: dict[str, int] | None = None  # read for the first check constraint, not for every migration
    for position, op in enumerate(facts.operations):
        constraint = op.param("constraint")
        if op.kind != "AddConstraint" or not op.touches_database or not isinstance(constraint, Call):
            continue
        if not _is_django(constraint, "CheckConstraint"):
            continue
        created = facts.model_creations() if created is None else created
        if on_existing_table(created, position, op):
            yield Flag(
                op.line, op.col, operation=op.kind, name=name_or_ellipsis(constraint.kwarg("name")),
                model=name_or_ellipsis(op.model_name),
            )
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "add_check" and not statement.not_valid and not statement.new_column:
            if not step.new_table:
                yield step.flag(operation=step.quoted, name=statement.name or "...", model=statement.table)


# DJM213 --------------------------------------------------------------------------------------------------------


def _volatile(default: Value) -> str | None:
    """The volatile function a database default calls, as written, when it is one we know."""
    if not isinstance(default, Call) or default.func is None:
        return None
    if default.func in _VOLATILE_EXPRESSIONS:
        return f"{default.func.rpartition('.')[2]}()"
    if default.func == "django.db.models.Func":
        function = default.kwarg("function")
        if isinstance(function, str) and function.lower() in _VOLATILE_FUNCTIONS:
            return f"{function}()"
    return None


def _rewrite(op: Operation) -> tuple[str, str] | None:
    """(what the operation adds, what PostgreSQL does to the table) when it rewrites or scans the whole table."""
    if op.kind == "AddConstraint":
        constraint = op.param("constraint")
        if isinstance(constraint, Call) and _is_django(constraint, "ExclusionConstraint"):
            name = name_or_ellipsis(constraint.kwarg("name"))
            return f"the exclusion constraint `{name}`", "scans the table to build its index"
        return None
    field = op.param("field")
    if op.kind != "AddField" or not isinstance(field, Call) or "**" in field.kwargs:
        return None
    column, field_class = name_or_ellipsis(op.param("name")), django_field_class(field)
    if field_class == "GeneratedField" and field.kwarg("db_persist") is True:
        return f"the stored generated column `{column}`", "rewrites the whole table"
    if field_class in AUTO_INCREMENT_FIELDS:
        return f"the auto-increment column `{column}`", "rewrites the whole table"
    volatile = _volatile(field.kwarg("db_default"))
    if field_class is not None and volatile is not None:
        return f"the column `{column}` with the volatile default `{volatile}`", "rewrites the whole table"
    return None


@file_rule(
    code="DJM213",
    deploy=("any", "the rewrite takes as long with the application stopped, and makes the downtime that long"),
    name="table-rewrite",
    message="`{operation}` adds {change} to `{model}`: PostgreSQL {effect} under an ACCESS EXCLUSIVE lock",
    hint=(
        "add a nullable column (or one with a stable `db_default`) and fill it in batches; an exclusion constraint"
        " has no lock-free form: add it at a quiet time with a short `lock_timeout`"
    ),
    what_it_does=(
        "On PostgreSQL, checks for operations that make PostgreSQL rewrite or scan the whole table while holding"
        " an ACCESS EXCLUSIVE lock, on a model not created earlier in the same migration: `AddField` of a stored"
        " `GeneratedField` (`db_persist=True`), of an auto-increment column (`AutoField`, `BigAutoField`,"
        " `SmallAutoField`: an identity column), or with a volatile `db_default` (`RandomUUID()`, `Random()`,"
        " `Func(function=\"gen_random_uuid\")` and other functions PostgreSQL marks VOLATILE, such as"
        " `clock_timestamp`), and `AddConstraint` of an `ExclusionConstraint`, whose index is built under that"
        " lock. A stable default such as `Now()` is stored once in the catalog and rewrites nothing"
        " ([ALTER TABLE, notes](" + _MANUAL + "sql-altertable.html#SQL-ALTERTABLE-NOTES),"
        " [lock modes](" + _MANUAL + "explicit-locking.html))."
    ),
    why_bad=(
        "PostgreSQL writes a new copy of the table (and rebuilds every index on it) while no query, not even a"
        " `SELECT`, can use the table: minutes of outage on a large table. The relation gets a new file, which"
        " is how the test suite observes the rewrite.\n\n"
        "The safe sequence for a column:\n\n"
        "1. `AddField` of a nullable column, or with a stable `db_default`: a catalog change, an instant ACCESS"
        " EXCLUSIVE lock.\n"
        "2. Fill existing rows in batches from a data migration or a job (row locks only), with the application"
        " writing the value for new rows (or a trigger computing it).\n"
        "3. Then, if needed, `SET NOT NULL` the safe way (see DJM208).\n\n"
        "An exclusion constraint cannot be built concurrently nor attached from a concurrently built index: add it"
        " when the table is small or traffic is low, with `SET lock_timeout` so that it gives up rather than queue"
        " every query."
    ),
    example=(
        "from django.contrib.postgres.functions import RandomUUID\n\n"
        'migrations.AddField("order", "token", models.UUIDField(db_default=RandomUUID()))\n'
    ),
    use_instead=(
        'migrations.AddField("order", "token", models.UUIDField(null=True))\n'
        "# then fill it in batches: Order.objects.filter(pk__in=batch).update(token=RandomUUID())\n"
    ),
    options=("djm-database",),
)
def table_rewrite(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    created: dict[str, int] | None = None  # read for the first rewrite, not for every migration
    for position, op in enumerate(facts.operations):
        if not op.touches_database or op.kind not in ("AddField", "AddConstraint"):
            continue
        rewrite = _rewrite(op)
        if rewrite is None:
            continue
        created = facts.model_creations() if created is None else created
        if on_existing_table(created, position, op):
            change, effect = rewrite
            model = name_or_ellipsis(op.model_name)
            yield Flag(op.line, op.col, operation=op.kind, change=change, model=model, effect=effect)


# DJM905 --------------------------------------------------------------------------------------------------------

# `SET [SESSION | LOCAL] lock_timeout = ...` and `set_config('lock_timeout', ..., is_local)`; a value of 0 turns the
# timeout off, and DEFAULT or RESET go back to the server's (usually off).
_SET_LOCK_TIMEOUT: Final = re.compile(
    r"\bset\s+(?:(?P<scope>session|local)\s+)?lock_timeout\s*(?:=|\bto\b)\s*'?(?P<value>[^';\s]+)"
    r"|\bset_config\s*\(\s*'lock_timeout'\s*,\s*'(?P<config_value>[^']*)'\s*,\s*(?P<is_local>true|false)",
    re.IGNORECASE,
)
_NO_TIMEOUT: Final = frozenset({"0", "0s", "0ms", "default"})
# `OPTIONS = {"options": "-c lock_timeout=5s"}` of the default database (libpq's options, which psycopg passes on).
_OPTIONS_LOCK_TIMEOUT: Final = re.compile(r"lock_timeout\s*=\s*'?(?P<value>[^'\s]+)")
_DROPS_AND_RENAMES: Final = frozenset({"RemoveField", "DeleteModel", "RenameField", "RenameModel", "AlterModelTable"})


def _sets_lock_timeout(sql: Value, atomic: bool | None) -> bool:
    """Whether literal ``RunSQL`` text sets a lock timeout that holds for the operations after it: ``SET LOCAL``
    lasts until the transaction ends, so in a non-atomic migration (a transaction per statement) it is lost."""
    texts = sql if isinstance(sql, tuple) else (sql,)
    for text in texts:
        text = text[0] if isinstance(text, tuple) and text else text
        for match in _SET_LOCK_TIMEOUT.finditer(text if isinstance(text, str) else ""):
            value = match["value"] if match["value"] is not None else match["config_value"]
            local = (match["scope"] or "").lower() == "local" or (match["is_local"] or "").lower() == "true"
            if value.strip("'").lower() not in _NO_TIMEOUT and not (local and atomic is False):
                return True
    return False


def _lock_timeout_in_options(settings: Settings) -> bool:
    """Whether the default database's ``OPTIONS`` read from the Django settings set a lock timeout."""
    databases = settings.django.value("DATABASES") if settings.django is not None else None
    default = databases.get("default") if isinstance(databases, Mapping) else None
    options = default.get("OPTIONS") if isinstance(default, Mapping) else None
    libpq_options = options.get("options") if isinstance(options, Mapping) else None
    match = _OPTIONS_LOCK_TIMEOUT.search(libpq_options) if isinstance(libpq_options, str) else None
    return match is not None and match["value"].lower() not in _NO_TIMEOUT


def _drops_renames_and_columns(index: ProjectIndex, key: Key, facts: MigrationFacts) -> Iterator[Operation]:
    """Drops, renames and added columns of tables that existed before the migration: each an ``ALTER TABLE`` or
    ``DROP TABLE`` under an ACCESS EXCLUSIVE lock, however short. Not of a proxy or unmanaged model (Django's schema
    editor leaves it alone), nor a rename that renames nothing (DJM204's ``renames_nothing``)."""
    for position, op in _drops_renames_and_added_columns(facts):
        model = op.param("old_name") if op.kind == "RenameModel" else op.model_name
        if isinstance(model, str) and index.state.has_no_table(key, position, model):
            continue
        if op.kind in RENAMES and renames_nothing(index.state, key, position, op):
            continue
        yield op


def _drops_renames_and_added_columns(facts: MigrationFacts) -> Iterator[tuple[int, Operation]]:
    created = facts.model_creations()
    added: set[tuple[str, Value]] = set()
    for position, op in enumerate(facts.operations):
        if op.kind == "AddField":
            added.add(((op.model_name or "").lower(), op.param("name")))
        if not op.touches_database or not changes_existing_table(created, position, op):
            continue
        if op.kind == "AddField":
            # A project's own field class may have no column (taggit's TaggableManager): only Django's are known.
            if django_field_class(op.param("field")) not in (None, *FIELDS_WITHOUT_COLUMN):
                yield position, op
        elif op.kind in _DROPS_AND_RENAMES:
            if op.kind != "RemoveField" or ((op.model_name or "").lower(), op.param("name")) not in added:
                yield position, op


@project_rule(
    code="DJM905",
    deploy=(
        "rolling",
        "queries queue behind a waiting lock only while requests are served; with the application stopped,"
        " nothing holds the tables",
    ),
    name="missing-lock-timeout",
    message=(
        "`{operation}` takes an ACCESS EXCLUSIVE lock on `{model}` with no `lock_timeout` set: while it waits for"
        " the lock, every query on the table queues behind it"
    ),
    hint=(
        "make the migration's first operation `RunSQL(\"SET LOCAL lock_timeout = '5s'\", \"\")` (plain `SET` in a"
        " non-atomic migration), or set it in the database `OPTIONS`, and run the migration again when it times out"
    ),
    what_it_does=(
        "On PostgreSQL, checks for migrations that take an ACCESS EXCLUSIVE lock on a table that existed before"
        " them without setting `lock_timeout` first. The operations: those DJM204 (a column renamed by an"
        " `AlterField`), DJM207, DJM208, DJM209, DJM211 and DJM213 report, `AddField` of a"
        " column (of one of Django's field classes), `RemoveField`, `DeleteModel` (not of a model the migration"
        " creates again), `RenameField`, `RenameModel` and `AlterModelTable` (also in a migration marked"
        " post-deploy: the lock is the same; not of a proxy or unmanaged model, nor a rename that renames nothing,"
        " as DJM203 and DJM204 tell them), not on a model created earlier in the same"
        " migration nor in an initial migration (`initial = True`: its tables are new). A lock timeout counts"
        " when a `RunSQL` before the first such operation runs literal `SET lock_timeout = ...`, `SET LOCAL"
        " lock_timeout = ...` (not in a non-atomic migration, where it ends with its own statement) or"
        " `set_config('lock_timeout', ...)` with a value other than 0, or when the Django settings read for the"
        " project give the default database `OPTIONS = {\"options\": \"-c lock_timeout=...\"}`. A timeout set"
        " for the database role (`ALTER ROLE ... SET lock_timeout`) or by the deploy script is invisible here:"
        " keep this rule off, or silence it. One finding per migration, on its first such operation"
        " ([lock_timeout](" + _MANUAL + "runtime-config-client.html#GUC-LOCK-TIMEOUT),"
        " [lock modes](" + _MANUAL + "explicit-locking.html))."
    ),
    why_bad=(
        "An ACCESS EXCLUSIVE lock conflicts with every other lock, even a `SELECT`'s. The statement first waits"
        " for every transaction that has touched the table, and while it waits, every new query on the table"
        " queues behind it: one slow report or idle transaction turns an `ALTER TABLE` of a millisecond into"
        " minutes of stalled requests. With `lock_timeout` the migration gives up instead (error 55P03,"
        " `lock_not_available`), the queue drains at once, and the migration can simply run again (the test suite"
        " shows both on a real server).\n\n"
        "The safe sequence:\n\n"
        "1. First operation of the migration: `RunSQL(\"SET LOCAL lock_timeout = '5s'\", \"\")` in an atomic"
        " migration (it lasts until the migration's transaction ends), `SET lock_timeout = '5s'` in a non-atomic"
        " one (then `RESET lock_timeout` at its end, since the connection is reused).\n"
        "2. The locking operations: each waits at most 5 seconds for its lock, and the queries queued behind it"
        " wait no longer.\n"
        "3. When it times out, run `migrate` again (a deploy step can retry a few times); the transaction was"
        " rolled back, nothing half-done is left in an atomic migration."
    ),
    example=(
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        '        migrations.RemoveField("order", "legacy_code"),\n'
        "    ]\n"
    ),
    use_instead=(
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.RunSQL(\"SET LOCAL lock_timeout = '5s'\", migrations.RunSQL.noop),\n"
        '        migrations.RemoveField("order", "legacy_code"),\n'
        "    ]\n"
    ),
    options=("djm-database",),
    default_enabled=False,
)
def missing_lock_timeout(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql or _lock_timeout_in_options(settings):
        return
    flagged: dict[str, set[tuple[int, int]]] = {}
    for rule in (alter_column_type, add_not_null_constraint, non_concurrent_index_removal):
        for flag in rule.check(index, settings):
            flagged.setdefault(flag.path or "", set()).add((flag.line, flag.col))
    for node, op, _ in column_renames(index):  # RENAME COLUMN
        flagged.setdefault(index.path_of(node), set()).add((op.line, op.col))
    for key, facts in project_migrations(index):
        if facts.initial is True:
            continue  # an app's initial migrations create its tables: nothing else uses them yet
        path = index.path_of(key)
        sites = set(flagged.get(path, ()))
        for rule in (add_check_constraint_without_not_valid, table_rewrite):
            sites.update((flag.line, flag.col) for flag in rule.check(facts, settings))
        sites.update((op.line, op.col) for op in _drops_renames_and_columns(index, key, facts))
        for op in facts.operations:
            if op.kind == "RunSQL" and op.touches_database and _sets_lock_timeout(op.param("sql"), facts.atomic):
                break
            if (op.line, op.col) in sites and op.touches_database:
                model = op.param("old_name") if op.kind == "RenameModel" else op.model_name
                yield Flag(op.line, op.col, path, operation=op.kind, model=name_or_ellipsis(model))
                break

"""DJM201-208, DJM907: schema operations that break running code or lock tables during a rolling deploy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, TYPE_CHECKING

from flake8_django_migrations.facts import (
    UNKNOWN,
    Call,
    MigrationFacts,
    Operation,
    Value,
    django_field_class,
    on_existing_table,
)
from flake8_django_migrations.facts.model import FIELDS_WITHOUT_COLUMN, Ref
from flake8_django_migrations.rules.raw_sql import SqlStep, sql_steps
from flake8_django_migrations.rules.rule import Flag, file_rule, project_rule
from flake8_django_migrations.rules.shared import (
    AUTO_INCREMENT_FIELDS,
    TO_ONE_RELATIONS,
    creates_no_table,
    field_indexes,
    name_or_ellipsis,
)
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex

# Fields with no column of their own, or whose value the database computes.
_NO_WRITTEN_COLUMN: Final = FIELDS_WITHOUT_COLUMN | AUTO_INCREMENT_FIELDS | {"GeneratedField"}
_RENAMES: Final = {
    "RenameField": ("model_name", "old_name"),
    "RenameModel": (None, "old_name"),
    "AlterModelTable": (None, "name"),
}
_CONCURRENT_OPERATIONS: Final = frozenset({"AddIndexConcurrently", "RemoveIndexConcurrently"})


@file_rule(
    code="DJM201",
    fix_requires=(
        "Django 5.0 for `db_default`; before it, add the column with `null=True` and make it NOT NULL in a later"
        " release"
    ),
    name="add-not-null-column-without-db-default",
    message="`{operation}` adds the NOT NULL column `{model}.{field}` without a database default",
    hint="add it with `null=True` (or `db_default=`) first, backfill, then make it NOT NULL later",
    what_it_does=(
        "Checks for `AddField` of a column that is not nullable and has no `db_default`, on a model not"
        " created earlier in the same migration. Fields without a column (many-to-many) are skipped, and so is"
        " a column that django-add-default-value's `AddDefaultValue` gives a database default in the same"
        " migration, and an initial migration (`initial = True`: the app's tables are new and no code inserts"
        " into them yet). `db_default=None` counts as no default: it is `DEFAULT NULL`, which a NOT NULL column"
        " rejects. With the `[sql]` extra, `ALTER TABLE ... ADD COLUMN ... NOT NULL` without a `DEFAULT` (nor"
        " identity, generated or serial) in a `RunSQL` is reported too."
    ),
    why_bad=(
        "Django's `default=` is applied once to existing rows and then dropped from the database. During a"
        " rolling deploy the old code, which does not know the field, keeps inserting rows, and every insert"
        " fails with a NOT NULL violation until the new code is everywhere."
    ),
    example='migrations.AddField("order", "region", models.CharField(max_length=10, default="eu"))\n',
    use_instead=(
        'migrations.AddField("order", "region", models.CharField(max_length=10, db_default="eu"))\n'
        "# or null=True now, and NOT NULL in a later release\n"
    ),
)
def add_not_null_column_without_db_default(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.initial is True:
        return  # an app's initial migrations create its tables: no code inserts into them yet
    created = facts.model_creations()
    database_defaults = _database_defaults_set(facts)
    for index, op in enumerate(facts.operations):
        if op.kind != "AddField" or not op.touches_database or not on_existing_table(created, index, op):
            continue
        field = op.param("field")
        field_class = django_field_class(field)
        if field_class is None or field_class in _NO_WRITTEN_COLUMN or not isinstance(field, Call):
            continue
        if "**" in field.kwargs or field.kwarg("null", False) is not False:
            continue
        # `db_default=None` is `DEFAULT NULL`: no default at all for a NOT NULL column.
        if field.kwarg("db_default") is not None or database_defaults is None:
            continue
        model, name = op.model_name, op.param("name")
        if isinstance(model, str) and isinstance(name, str) and (model.lower(), name.lower()) in database_defaults:
            continue
        yield Flag(
            op.line, op.col, operation=op.kind, model=name_or_ellipsis(op.param("model_name")),
            field=name_or_ellipsis(op.param("name")),
        )
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "add_column" and statement.not_null and not statement.has_default and not step.new_table:
            yield step.flag(operation=step.quoted, model=statement.table, field=statement.column)


def _database_defaults_set(facts: MigrationFacts) -> set[tuple[str, str]] | None:
    """The (model, field) columns that django-add-default-value's ``AddDefaultValue`` gives a database default in
    this migration; None when one of them names its column in a way that cannot be read (it may be any)."""
    columns: set[tuple[str, str]] = set()
    for op in facts.operations:
        if op.kind is None and (op.func or "").rpartition(".")[2] == "AddDefaultValue":
            model, name = op.param("model_name"), op.param("name")
            if not isinstance(model, str) or not isinstance(name, str):
                return None
            columns.add((model.lower(), name.lower()))
    return columns


def _destructive(facts: MigrationFacts, kind: str) -> Iterator[Operation]:
    """The drops of ``kind`` that remove something that existed before the migration ran: not a model this
    migration created, nor a field it added (a squash often creates and later drops the same thing)."""
    if facts.drops_are_declared_safe:
        return
    created = facts.model_creations()
    added: set[tuple[str, str]] = set()
    for position, op in enumerate(facts.operations):
        model, field = op.model_name, op.param("name")
        if op.kind == "AddField" and model is not None and isinstance(field, str):
            added.add((model.lower(), field.lower()))
        if op.kind != kind or not op.touches_database or not on_existing_table(created, position, op):
            continue
        if kind == "RemoveField" and model is not None and isinstance(field, str):
            if (model.lower(), field.lower()) in added:
                continue
        yield op


@file_rule(
    code="DJM202",
    name="drop-column",
    message="`{operation}` drops the column `{model}.{field}` while running code may still read it",
    hint="stop reading it first and drop it in a later release marked post-deploy (or `# noqa: DJM202`)",
    what_it_does=(
        "Checks for `RemoveField` operations that drop a column (not state-only removals), unless the"
        " migration is marked to run after deploy (django-safemigrate `safe = Safe.after_deploy()`,"
        " django-syzygy `stage = Stage.POST_DEPLOY`) or declared safe at either moment (`Safe.always()`). A"
        " column that the same migration added, or of a model it"
        " created (a squash often creates and later drops both), existed for no running code and is skipped; a"
        " column of a table the migration then drops is left to DJM203, which reports the table once."
        " With the `[sql]` extra, `ALTER TABLE ... DROP COLUMN` in the `sql` of a `RunSQL` is reported the same"
        " way (at the `RunSQL`; its `state_operations` change only Django's state and add no second finding)."
    ),
    why_bad=(
        "During a rolling deploy the old code keeps running while the migration runs. It still selects the"
        " column, so every request that touches the model fails until the old code is gone."
    ),
    example='migrations.RemoveField("product", "legacy_sku")\n',
    use_instead=(
        "# Release 1: remove every use of the field from the code (and the model).\n"
        "# Release 2: drop the column after the deploy.\n"
        "class Migration(migrations.Migration):\n"
        "    safe = Safe.after_deploy()\n"
        '    operations = [migrations.RemoveField("product", "legacy_sku")]\n'
    ),
)
def drop_column(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    # makemigrations removes a deleted model's fields first: the table drop (DJM203) is the one finding.
    dropped_tables = {name.lower() for op in _destructive(facts, "DeleteModel")
                      if isinstance(name := op.param("name"), str)}
    for op in _destructive(facts, "RemoveField"):
        model = op.param("model_name")
        if isinstance(model, str) and model.lower() in dropped_tables:
            continue
        yield Flag(
            op.line, op.col, operation=op.kind, model=name_or_ellipsis(op.param("model_name")),
            field=name_or_ellipsis(op.param("name")),
        )
    for step in _destructive_sql(facts, settings, "drop_column"):
        yield step.flag(operation=step.quoted, model=step.statement.table, field=step.statement.column)


def _destructive_sql(facts: MigrationFacts, settings: Settings, kind: str) -> Iterator[SqlStep]:
    """The SQL statements of ``kind`` that drop what existed before the migration ran, as ``_destructive``."""
    if facts.drops_are_declared_safe:
        return
    for step in sql_steps(facts, settings):
        if step.statement.kind == kind and not step.new_table and not step.added_here:
            yield step


@file_rule(
    code="DJM203",
    name="drop-table",
    message="`{operation}` drops the table of `{model}` while running code may still use it",
    hint="stop using the model first and delete it in a later release marked post-deploy (or `# noqa: DJM203`)",
    what_it_does=(
        "Checks for `DeleteModel` operations that drop a table (not state-only deletions), unless the"
        " migration is marked to run after deploy or declared safe at either moment, as for DJM202. A"
        " model that the same migration created (as squashes do)"
        " is skipped. With the `[sql]` extra, `DROP TABLE` in the `sql` of a `RunSQL` is reported the same way."
    ),
    why_bad=(
        "Code that is still running during the deploy queries the table and fails, exactly as with a"
        " dropped column, only for every query on the model."
    ),
    example='migrations.DeleteModel("LegacyInvoice")\n',
    use_instead=(
        "class Migration(migrations.Migration):\n"
        "    stage = Stage.POST_DEPLOY\n"
        '    operations = [migrations.DeleteModel("LegacyInvoice")]\n'
    ),
)
def drop_table(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for op in _destructive(facts, "DeleteModel"):
        yield Flag(op.line, op.col, operation=op.kind, model=name_or_ellipsis(op.param("name")))
    for step in _destructive_sql(facts, settings, "drop_table"):
        yield step.flag(operation=step.quoted, model=step.statement.table)


@file_rule(
    code="DJM204",
    name="rename-column-or-table",
    message="`{operation}` renames `{target}` in the database, which breaks code still using the old name",
    hint="add the new column or table, copy and dual-write, then remove the old one in a later release",
    what_it_does=(
        "Checks for `RenameField`, `RenameModel` and `AlterModelTable` that change the database, and with the"
        " `[sql]` extra for `ALTER TABLE ... RENAME` of a table or a column in the `sql` of a `RunSQL` (not of a"
        " table the migration created)."
    ),
    why_bad=(
        "A rename is a drop and an add at once: the old code still running during a deploy uses the old"
        " name and fails, and the new code fails against any database not yet migrated."
    ),
    example='migrations.RenameField("customer", "name", "full_name")\n',
    use_instead=(
        "# Keep the column, rename only the Python attribute:\n"
        'full_name = models.CharField(max_length=200, db_column="name")\n'
    ),
)
def rename_column_or_table(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for op in facts.operations:
        if op.kind not in _RENAMES or not op.touches_database:
            continue
        owner, renamed = _RENAMES[op.kind]
        target = name_or_ellipsis(op.param(renamed))
        if owner is not None:
            target = f"{name_or_ellipsis(op.param(owner))}.{target}"
        yield Flag(op.line, op.col, operation=op.kind, target=target)
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "rename" and statement.object_type in ("table", "column") and not step.new_table:
            old_name = statement.table if statement.column is None else f"{statement.table}.{statement.column}"
            yield step.flag(operation=step.quoted, target=old_name)


def builds_index(op: Operation) -> bool:
    """Whether the operation builds an index on its model's table (given the field it adds, for ``AddField``)."""
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
        return isinstance(field, Call) and "**" not in field.kwargs and bool(field_indexes(field))
    return False


def _alter_builds_index(before: Call, after: Call) -> bool:
    """An ``AlterField`` that adds a unique constraint, or a plain index where the column had none (also when it
    trades a unique constraint for one: Django drops the constraint and builds the index)."""
    was, now = field_indexes(before), field_indexes(after)
    if django_field_class(before) is None or not now:
        return False
    return ("unique" in now and "unique" not in was) or ("index" in now and "index" not in was)


@project_rule(
    code="DJM205",
    fix_requires="Django 3.0 for `AddIndexConcurrently` (`django.contrib.postgres.operations`)",
    name="non-concurrent-index",
    message="`{operation}` builds an index on `{model}` without `CONCURRENTLY`, locking the table against writes",
    hint="use `AddIndexConcurrently` (django.contrib.postgres.operations) in a migration with `atomic = False`",
    what_it_does=(
        "On PostgreSQL, checks for operations that build an index on an existing table the blocking way:"
        " `AddIndex`, `AddConstraint` with a `UniqueConstraint`, `AlterUniqueTogether`, `AlterIndexTogether`,"
        " and `AddField` of a field that gets an index (`db_index=True`, `unique=True`, `ForeignKey`,"
        " `OneToOneField`, `SlugField`, unless `db_index=False`), and `AlterField` that adds `unique=True`,"
        " `db_index=True` or a class indexed by default to a column that had no such index before (also one"
        " that trades `unique=True` for `db_index=True`: Django drops the constraint and builds a plain index; the"
        " previous definition is found along the migration graph). Models created in the same migration are empty and"
        " skipped, and so are initial migrations (`initial = True`), which create the app's tables. With the"
        " `[sql]` extra, `CREATE INDEX` without `CONCURRENTLY` and `ADD CONSTRAINT ... UNIQUE`/`PRIMARY KEY` (not"
        " `USING INDEX`) in the `sql` of a `RunSQL` are reported the same way."
    ),
    why_bad=(
        "`CREATE INDEX` without `CONCURRENTLY` holds a lock that blocks every insert, update and delete on"
        " the table until the index is built, minutes on a large table: an outage during the deploy."
    ),
    example='migrations.AddIndex("order", models.Index(fields=["created_at"], name="order_created_idx"))\n',
    use_instead=(
        "from django.contrib.postgres.operations import AddIndexConcurrently\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [\n"
        '        AddIndexConcurrently("order", models.Index(fields=["created_at"], name="order_created_idx")),\n'
        "    ]\n"
    ),
    options=("djm-database",),
)
def non_concurrent_index(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    for key, facts in index.migrations.items():
        if facts.initial is True:
            continue  # an app's initial migrations create its tables: empty while they run
        created = facts.model_creations()
        for position, op in enumerate(facts.operations):
            if op.touches_database and builds_index(op) and on_existing_table(created, position, op):
                model = name_or_ellipsis(op.model_name)
                yield Flag(op.line, op.col, index.path_of(key), operation=op.kind, model=model)
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind == "create_index" and not statement.concurrently and not step.new_table:
                yield step.flag(index.path_of(key), operation=step.quoted, model=statement.table)
    for node, op, _, before, after, _ in index.state.field_alterations():
        if _alter_builds_index(before, after):
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, model=name_or_ellipsis(op.model_name))


def _sql_strings(value: Value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for element in value:
            yield from _sql_strings(element)


@file_rule(
    code="DJM206",
    name="concurrent-operation-in-atomic-migration",
    message=(
        "`{operation}` runs `CONCURRENTLY`, which PostgreSQL refuses inside the transaction of an atomic"
        " migration"
    ),
    hint="set `atomic = False` on the migration",
    what_it_does=(
        "On PostgreSQL, checks for `AddIndexConcurrently`, `RemoveIndexConcurrently` and `RunSQL` containing"
        " `CONCURRENTLY` in a migration that does not set `atomic = False`."
    ),
    why_bad=(
        "PostgreSQL cannot build or drop an index concurrently inside a transaction block, and Django wraps"
        " atomic migrations in one: the migration fails when it runs."
    ),
    example=(
        "class Migration(migrations.Migration):\n"
        "    operations = [AddIndexConcurrently(\"order\", index)]\n"
    ),
    use_instead=(
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [AddIndexConcurrently(\"order\", index)]\n"
    ),
    options=("djm-database",),
)
def concurrent_operation_in_atomic_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql or facts.atomic is not True:
        return
    for op in facts.operations:
        concurrent = op.kind in _CONCURRENT_OPERATIONS or (
            op.kind == "RunSQL" and any("CONCURRENTLY" in sql.upper() for sql in _sql_strings(op.param("sql")))
        )
        if concurrent and op.touches_database:
            yield Flag(op.line, op.col, operation=op.kind)


# Fields stored as varchar, with the max_length Django gives them when none is written: changing one into
# another rewrites nothing unless the length shrinks. varchar -> text rewrites nothing either.
VARCHAR_DEFAULT_LENGTH: Final[Mapping[str, int | None]] = {
    "CharField": None, "SlugField": 50, "EmailField": 254, "URLField": 200, "FileField": 100, "ImageField": 100,
    "FilePathField": 100,
}
# The PostgreSQL column type of Django's other fields (its backend's `data_types`; a test checks them against the
# installed Django). A change between classes with the same column type rewrites nothing; relation and custom
# fields are not here and compare by class.
COLUMN_TYPES: Final[Mapping[str, str]] = {
    **dict.fromkeys(VARCHAR_DEFAULT_LENGTH, "varchar"),
    "AutoField": "integer", "IntegerField": "integer", "PositiveIntegerField": "integer",
    "BigAutoField": "bigint", "BigIntegerField": "bigint", "PositiveBigIntegerField": "bigint",
    "SmallAutoField": "smallint", "SmallIntegerField": "smallint", "PositiveSmallIntegerField": "smallint",
    "BooleanField": "boolean", "NullBooleanField": "boolean", "BinaryField": "bytea", "DateField": "date",
    "DateTimeField": "timestamp with time zone", "TimeField": "time", "DurationField": "interval",
    "DecimalField": "numeric", "FloatField": "double precision", "TextField": "text", "JSONField": "jsonb",
    "UUIDField": "uuid", "GenericIPAddressField": "inet", "IPAddressField": "inet",
}


@project_rule(
    code="DJM207",
    name="alter-column-type",
    message="`{operation}` changes the column of `{field}` ({change}), which rewrites or locks the table",
    hint="add a new column, backfill it in batches and switch over, or accept the lock knowingly",
    what_it_does=(
        "Checks `AlterField` operations that change a column's field class or its type parameters (a smaller"
        " `max_length`, fewer `max_digits`, other `decimal_places`), comparing with the field's previous"
        " definition found along the migration graph. Fields stored as `varchar` (`CharField`, `SlugField`,"
        " `EmailField`, `URLField`, `FileField`...) may change into one another, or into `TextField`, without"
        " a rewrite as long as the length does not shrink: that is fine, and so are classes that share a column"
        " type (`PositiveIntegerField` and `IntegerField` are both `integer`). PostgreSQL only: the column"
        " types of the other databases are not modelled yet (MySQL's integers differ by sign, for one), so the"
        " rule stays silent there rather than guess. With the `[sql]` extra, `ALTER COLUMN ... TYPE` in the `sql`"
        " of a `RunSQL` is reported too, unless the new type is one a change into may need no rewrite (`varchar`,"
        " `text`, `bpchar`, `numeric`, `timestamp`, `timestamptz`, `varbit`: the old type is not known there)."
    ),
    why_bad=(
        "Changing a column's type makes PostgreSQL rewrite the table or check every row under an"
        " exclusive lock: reads and writes wait for minutes on a large table, and code still running expects"
        " the old type."
    ),
    example='migrations.AlterField("product", "name", models.CharField(max_length=120))  # was 200\n',
    use_instead=(
        "# Keep max_length=200 and validate the length in forms and serializers,\n"
        "# or add name_short, backfill it in batches, and switch the code over.\n"
    ),
    options=("djm-database",),
)
def alter_column_type(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return  # the column types of the other backends are not modelled: no finding rather than a guess
    for node, op, field, before, after, _ in index.state.field_alterations():
        change = _type_change(before, after)
        if change is not None:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, field=field, change=change)
    for key, facts in index.migrations.items():
        if facts.initial is True:
            continue
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind != "alter_column_type" or step.new_table or step.added_here:
                continue
            if statement.name not in _MAYBE_BINARY_COERCIBLE:
                field = f"{statement.table}.{statement.column}"
                yield step.flag(index.path_of(key), operation=step.quoted, field=field, change=f"to `{statement.name}`")


# Types that a column may change into without a rewrite, from some other type (varchar(10) -> varchar(20), numeric
# precision up, timestamp -> timestamptz in UTC): from SQL alone the old type is not known, so no finding.
_MAYBE_BINARY_COERCIBLE: Final = frozenset(
    {"varchar", "text", "bpchar", "numeric", "timestamp", "timestamptz", "varbit"}
)


@project_rule(
    code="DJM208",
    name="add-not-null-constraint",
    message="`{operation}` makes `{field}` NOT NULL, which scans the whole table under an exclusive lock",
    hint="backfill NULLs first; on PostgreSQL add a `CHECK (... IS NOT NULL) NOT VALID` constraint and validate it",
    what_it_does=(
        "Checks `AlterField` operations that turn a nullable column (`null=True` in its previous definition"
        " along the migration graph) NOT NULL. Not reported in an initial migration, on a model created in the"
        " same migration, or on a column the same migration added (its `AddField` already holds the table's"
        " lock; a backfill in between is DJM104's). With the `[sql]` extra, `ALTER COLUMN ... SET NOT NULL` in the"
        " `sql` of a `RunSQL` is reported the same way."
    ),
    why_bad=(
        "`SET NOT NULL` scans the whole table while holding an exclusive lock, and code still running during"
        " the deploy may keep writing NULLs, which now fail."
    ),
    example='migrations.AlterField("order", "region", models.CharField(max_length=10))  # was null=True\n',
    use_instead=(
        "# 1. backfill: Order.objects.filter(region=None).update(region=\"eu\") in batches\n"
        "# 2. RunSQL: ALTER TABLE ... ADD CONSTRAINT region_not_null CHECK (region IS NOT NULL) NOT VALID\n"
        "# 3. RunSQL: ALTER TABLE ... VALIDATE CONSTRAINT region_not_null; then AlterField(null=False)\n"
    ),
)
def add_not_null_constraint(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    for node, op, field, before, after, added_here in index.state.field_alterations():
        # A column the same migration added (nullable, backfilled, then NOT NULL): its AddField already holds the
        # table's exclusive lock; the data step in between is DJM104's.
        if added_here:
            continue
        if before.kwarg("null") is True and after.kwarg("null", False) is False:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, field=field)
    for key, facts in index.migrations.items():
        if facts.initial is True:
            continue
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind == "set_not_null" and not step.new_table and not step.added_here:
                field = f"{statement.table}.{statement.column}"
                yield step.flag(index.path_of(key), operation=step.quoted, field=field)


def _relation_target(field: Call) -> Value:
    target = field.kwarg("to", field.args[0] if field.args else None)
    return target.lower() if isinstance(target, str) else None


def _type_change(before: Call, after: Call) -> str | None:
    """How the column's type changes, when that makes the database rewrite or re-check the table."""
    old, new = django_field_class(before), django_field_class(after)
    if old is None or new is None:
        return None
    old_type, new_type = COLUMN_TYPES.get(old), COLUMN_TYPES.get(new)
    if {old, new} <= TO_ONE_RELATIONS and _relation_target(before) == _relation_target(after) is not None:
        return None  # the same column; the unique constraint a OneToOneField adds is DJM205's
    if old_type is None or new_type is None:
        return None if old == new else f"{old} to {new}"
    if old_type == "varchar" and new_type == "text":
        return None
    if old_type == new_type == "varchar":
        was = before.kwarg("max_length", VARCHAR_DEFAULT_LENGTH[old])
        now = after.kwarg("max_length", VARCHAR_DEFAULT_LENGTH[new])
        if isinstance(was, int) and isinstance(now, int) and now < was:
            return f"max_length {was} to {now}"
        return None
    if old_type != new_type:
        return f"{old} to {new}"
    if new.startswith("Positive") and not old.startswith("Positive"):
        return f"{old} to {new}, a new CHECK constraint"
    for parameter, shrinks_only in (("max_digits", True), ("decimal_places", False)):
        was, now = before.kwarg(parameter), after.kwarg(parameter)
        if isinstance(was, int) and isinstance(now, int) and (now < was if shrinks_only else now != was):
            return f"{parameter} {was} to {now}"
    return None


# DJM907 --------------------------------------------------------------------------------------------------------

# How DEFAULT_AUTO_FIELD names AutoField (both import paths work in Django's settings).
_AUTO_FIELD_PATHS: Final = frozenset({"django.db.models.AutoField", "django.db.models.fields.AutoField"})


def _primary_key(fields: Value) -> tuple[str, Call] | bool | None:
    """The (name, field) of the primary key a ``CreateModel``'s ``fields`` declare; False when they declare none
    (Django adds ``id``); None when that cannot be known (fields not written as literal pairs of calls)."""
    if not isinstance(fields, tuple):
        return None
    for pair in fields:
        field = pair[1] if isinstance(pair, tuple) and len(pair) == 2 else None
        if not isinstance(field, Call) or not isinstance(pair, tuple):
            return None
        name = pair[0]
        primary_key = field.kwarg("primary_key")
        if primary_key is True:
            return (name if isinstance(name, str) else "...", field)
        if "**" in field.kwargs or primary_key not in (None, False):
            return None
    return False


@file_rule(
    code="DJM907",
    fix_requires="Django 3.2 for `DEFAULT_AUTO_FIELD`",
    name="32-bit-primary-key",
    message=(
        "`CreateModel` gives `{model}` the primary key `{field}` as an `AutoField`, whose ids run out at"
        " 2147483647"
    ),
    hint="use `models.BigAutoField(primary_key=True)` (and `DEFAULT_AUTO_FIELD = \"django.db.models.BigAutoField\"`)",
    what_it_does=(
        "Checks for `CreateModel` of a model with a table whose primary key is an `AutoField`: written out"
        " (`models.AutoField(primary_key=True)`, and the `(\"id\", models.AutoField(auto_created=True,"
        " primary_key=True, ...))` that `makemigrations` writes), or left to Django (no field is the primary key)"
        " when the project's settings, read statically, set `DEFAULT_AUTO_FIELD = \"django.db.models.AutoField\"`."
        " When `DEFAULT_AUTO_FIELD` is not read (no settings found, not a literal, `--djm-settings none`), a"
        " model without a declared primary key is not reported. Proxy and unmanaged models have no table and are"
        " skipped. The rule reports every model created that way, also in migrations long applied: enable it"
        " with `--djm-new-only` (or a baseline) on a project with history."
    ),
    why_bad=(
        "`AutoField` is a 32-bit `integer` column (`serial` or an identity column on PostgreSQL, `int` on MySQL):"
        " after 2,147,483,647 rows inserted (deleted rows and rolled back inserts count too), every insert fails,"
        " and changing the column to `bigint` then rewrites the table and every index on it, and every foreign"
        " key column pointing at it, under an exclusive lock, at the worst moment. A `bigint` costs 4 more bytes a"
        " row; that is why Django made `BigAutoField` the default of new projects.\n\n"
        "The safe sequence: create the table with `BigAutoField` from the start, and set `DEFAULT_AUTO_FIELD ="
        " \"django.db.models.BigAutoField\"` so that new models get it."
    ),
    example=(
        "migrations.CreateModel(\n"
        '    "Event",\n'
        '    fields=[("id", models.AutoField(auto_created=True, primary_key=True, serialize=False,'
        ' verbose_name="ID"))],\n'
        ")\n"
    ),
    use_instead=(
        "migrations.CreateModel(\n"
        '    "Event",\n'
        '    fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,'
        ' verbose_name="ID"))],\n'
        ")\n"
    ),
    default_enabled=False,
)
def auto_field_primary_key(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    default_auto_field = settings.django.value("DEFAULT_AUTO_FIELD") if settings.django is not None else None
    for op in facts.operations:
        if op.kind != "CreateModel" or not op.touches_database or creates_no_table(op.param("options")):
            continue
        primary_key = _primary_key(op.param("fields"))
        model = name_or_ellipsis(op.param("name"))
        if isinstance(primary_key, tuple) and django_field_class(primary_key[1]) == "AutoField":
            field = primary_key[1]
            yield Flag(field.line, field.col, model=model, field=primary_key[0])
        elif primary_key is False and default_auto_field in _AUTO_FIELD_PATHS and not _has_parent(op):
            yield Flag(op.line, op.col, model=model, field="id")


def _has_parent(op: Operation) -> bool:
    """Whether ``CreateModel`` names a base other than ``models.Model`` (multi-table inheritance: the key is the
    parent's link, declared as a field; a base that cannot be read may bring it too)."""
    bases = op.param("bases")
    if bases is None:
        return False
    if not isinstance(bases, tuple):
        return True
    return any(not (isinstance(base, Ref) and base.path == "django.db.models.Model") for base in bases)

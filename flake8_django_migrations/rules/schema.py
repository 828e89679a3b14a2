"""DJM201-208, DJM907: schema operations that break running code or lock tables during a rolling deploy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
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
from flake8_django_migrations.project.state import together_entries
from flake8_django_migrations.rules.raw_sql import SqlStep, model_table, sql_steps
from flake8_django_migrations.rules.rule import (
    AddImport,
    Edit,
    Fix,
    Flag,
    RenameCallee,
    SetClassAttribute,
    file_rule,
    project_rule,
)
from flake8_django_migrations.rules.shared import (
    AUTO_INCREMENT_FIELDS,
    TO_ONE_RELATIONS,
    changes_existing_table,
    creates_no_table,
    field_indexes,
    installed_packages,
    migrations_holding,
    name_or_ellipsis,
)
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.project.state import ModelOptions, ModelState

# Fields with no column of their own, or whose value the database computes.
_NO_WRITTEN_COLUMN: Final = FIELDS_WITHOUT_COLUMN | AUTO_INCREMENT_FIELDS | {"GeneratedField"}
RENAMES: Final = {
    "RenameField": ("model_name", "old_name"),
    "RenameModel": (None, "old_name"),
    "AlterModelTable": (None, "name"),
}
_CONCURRENT_OPERATIONS: Final = frozenset({"AddIndexConcurrently", "RemoveIndexConcurrently"})
# DatabaseOperations.max_name_length() of Django's backends; SQLite's is None (names are not shortened).
_MAX_NAME_LENGTH: Final = {"postgresql": 63, "mysql": 64, "oracle": 30}
_ALWAYS_NULLABLE: Final = frozenset({"NullBooleanField"})  # its __init__ sets null=True, whatever is written


@file_rule(
    code="DJM201",
    deploy=(
        "rolling",
        "old code, which does not know the column, inserts rows without it; with the application stopped, only"
        " the new code inserts, and it writes the column",
    ),
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
        " rejects. `NullBooleanField` (still in old migrations) is always nullable. With the `[sql]` extra, a"
        " column that a later `RunSQL` of the same atomic migration gives a database default (`ALTER TABLE"
        " app_model ALTER COLUMN col SET DEFAULT ...`, the table and column named as Django names them) is"
        " skipped: the column has a default when the migration commits, and the `AddField`'s lock keeps every"
        " insert out until then. `ALTER TABLE ... ADD COLUMN ... NOT NULL` without a `DEFAULT` (nor identity,"
        " generated or serial) in a `RunSQL` is reported too."
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
    # What the migration's other operations say is read only once an AddField needs it: most migrations hold none.
    created: dict[str, int] | None = None
    defaults: tuple[set[tuple[str, str]] | None, dict[tuple[str, str], list[tuple[int, bool]]]] | None = None
    for index, op in enumerate(facts.operations):
        if op.kind != "AddField" or not op.touches_database:
            continue
        if created is None:
            created = facts.model_creations()
        if not on_existing_table(created, index, op):
            continue
        field = op.param("field")
        field_class = django_field_class(field)
        if field_class is None or field_class in _NO_WRITTEN_COLUMN or not isinstance(field, Call):
            continue
        if field_class in _ALWAYS_NULLABLE or "**" in field.kwargs or field.kwarg("null", False) is not False:
            continue
        # `db_default=None` is `DEFAULT NULL`: no default at all for a NOT NULL column.
        if field.kwarg("db_default") is not None:
            continue
        if defaults is None:
            defaults = _database_defaults_set(facts), _defaults_set_in_sql(facts, settings)
        database_defaults, defaults_in_sql = defaults
        if database_defaults is None:
            continue
        model, name = op.model_name, op.param("name")
        if isinstance(model, str) and isinstance(name, str) and (model.lower(), name.lower()) in database_defaults:
            continue
        column = column_name(name, field) if isinstance(name, str) else None
        if model is not None and column is not None:
            # The last SET/DROP DEFAULT of the column after this operation decides what the migration commits.
            set_later = defaults_in_sql.get((model_table(facts.app_label, model), column), ())
            later = [has_default for position, has_default in set_later if position > index]
            if later and later[-1]:
                continue
        yield Flag(
            op.line, op.col, operation=op.kind, model=name_or_ellipsis(op.param("model_name")),
            field=name_or_ellipsis(op.param("name")),
        )
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "add_column" and statement.not_null and not statement.has_default and not step.new_table:
            yield step.flag(operation=step.quoted, model=statement.table, field=statement.column)


def _defaults_set_in_sql(facts: MigrationFacts, settings: Settings) -> dict[tuple[str, str], list[tuple[int, bool]]]:
    """(table, column) -> (position of the ``RunSQL``, whether it sets a default rather than drop it) for each
    ``ALTER COLUMN ... SET DEFAULT``/``DROP DEFAULT`` in the ``RunSQL`` of an atomic migration, in order. Outside a
    transaction old code may insert between the ``AddField`` and the ``RunSQL``: nothing counts there."""
    found: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    if facts.atomic is not True:
        return found
    for step in sql_steps(facts, settings):
        statement = step.statement
        if statement.kind == "set_default" and statement.table is not None and statement.column is not None:
            found.setdefault((statement.table, statement.column), []).append((step.position, statement.has_default))
    return found


def column_name(name: str, field: Value) -> str | None:
    """The column Django gives the field ``name``: ``db_column`` when written, ``<name>_id`` for a foreign key or
    one-to-one field; None when that is not known (a class of the project's own, a ``db_column`` not literal)."""
    field_class = django_field_class(field)
    if field_class is None or not isinstance(field, Call) or "**" in field.kwargs:
        return None
    db_column = field.kwarg("db_column")
    if db_column is not None:
        return db_column if isinstance(db_column, str) and db_column else None
    return f"{name}_id" if field_class in TO_ONE_RELATIONS else name


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


def _destructive(facts: MigrationFacts, kind: str) -> Iterator[tuple[int, Operation]]:
    """The drops of ``kind`` (with their positions) that remove something that existed before the migration ran:
    not a model this migration created, nor a field it added (a squash often creates and later drops the same
    thing)."""
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
        yield position, op


@project_rule(
    code="DJM202",
    deploy=(
        "rolling",
        "old code still selects the column; with the application stopped, only the new code runs, and it no"
        " longer reads it",
    ),
    name="drop-column",
    message="`{operation}` drops the {what} `{name}` while running code may still read it",
    hint="stop reading it first and drop it in a later release marked post-deploy (or `# noqa: DJM202`)",
    what_it_does=(
        "Checks for `RemoveField` operations that drop a column (not state-only removals), unless the"
        " migration is marked to run after deploy (django-safemigrate `safe = Safe.after_deploy()`,"
        " django-syzygy `stage = Stage.POST_DEPLOY`) or declared safe at either moment (`Safe.always()`). A"
        " column that the same migration added, or of a model it"
        " created (a squash often creates and later drops both), existed for no running code and is skipped; a"
        " column of a table the migration then drops is left to DJM203, which reports the table once."
        " The removed field is found along the migration graph: a `ManyToManyField` drops no column but its join"
        " table (`app_model_field`, or its `db_table`), which is what the message names, and nothing at all when"
        " a `through` model holds the rows; a field with no column (`GenericRelation`, `ForeignObject`) and a"
        " field of a proxy or unmanaged model drop nothing and are skipped."
        " With the `[sql]` extra, `ALTER TABLE ... DROP COLUMN` in the `sql` of a `RunSQL` is reported the same"
        " way (at the `RunSQL`; its `state_operations` change only Django's state and add no second finding)."
    ),
    why_bad=(
        "During a rolling deploy the old code keeps running while the migration runs. It still selects the"
        " column (or joins the many-to-many table), so every request that touches the model fails until the old"
        " code is gone."
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
def drop_column(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    state = index.state
    for key, facts in migrations_holding(index, "RemoveField", "RunSQL", own=True):
        path = index.path_of(key)
        # makemigrations removes a deleted model's fields first: the table drop (DJM203) is the one finding.
        dropped_tables = {name.lower() for _, op in _destructive(facts, "DeleteModel")
                          if isinstance(name := op.param("name"), str)}
        for position, op in _destructive(facts, "RemoveField"):
            model, field = op.param("model_name"), op.param("name")
            if isinstance(model, str) and model.lower() in dropped_tables:
                continue
            dropped = _dropped_by_removal(state, key, position, model, field, settings)
            if dropped is not None:
                yield Flag(op.line, op.col, path, operation=op.kind, what=dropped[0], name=dropped[1])
        for step in _destructive_sql(facts, settings, "drop_column"):
            yield step.flag(path, operation=step.quoted, what="column",
                            name=f"{step.statement.table}.{step.statement.column}")


def _dropped_by_removal(
    state: ModelState, node: Key, position: int, model: Value, name: Value, settings: Settings,
) -> tuple[str, str] | None:
    """What a ``RemoveField`` drops, as Django's ``schema_editor.remove_field`` does: ``("column", "model.field")``,
    ``("join table", table)`` for a many-to-many field without ``through`` (``("join table of", "model.field")``
    when its name is not known), None when it drops nothing (a ``through`` model holds the rows, a field with no
    column, a proxy or unmanaged model)."""
    column = ("column", f"{name_or_ellipsis(model)}.{name_or_ellipsis(name)}")
    if not isinstance(model, str) or not isinstance(name, str):
        return column
    if state.has_no_table(node, position, model):
        return None  # Django's schema editor skips a proxy or unmanaged model
    field = state.field_before(node, position, model, name)
    field_class = django_field_class(field)
    if not isinstance(field, Call) or field_class not in FIELDS_WITHOUT_COLUMN:
        return column
    if field_class != "ManyToManyField":
        return None  # a GenericRelation, a ForeignObject: no column of its own
    join_table = ("join table of", column[1])
    if "**" in field.kwargs:
        return join_table
    if field.kwarg("through") is not None:
        return None  # the through model's table stays: Django drops nothing
    db_table = field.kwarg("db_table")
    if isinstance(db_table, str) and db_table != "":
        return "join table", db_table
    if db_table is not None:
        return join_table
    table = _table_of(state.options_before(node, position, model), node[0], model)
    if table is None:
        return join_table
    # ManyToManyField._get_m2m_db_table: the model's table and the field's name, shortened to the backend's
    # max_name_length() (SQLite has none).
    length = _MAX_NAME_LENGTH.get(settings.database)
    return "join table", f"{table}_{name}" if length is None else _truncated(f"{table}_{name}", length)


def _table_of(options: ModelOptions | None, app: str, model: str) -> str | None:
    """The table of a model with these options (``db_table``, else Django's ``app_model``); None when not known."""
    if options is None:
        return None
    db_table = options.get("db_table")
    if db_table is None or db_table == "":
        return _truncated(f"{app}_{model.lower()}")
    return db_table if isinstance(db_table, str) else None


def _truncated(name: str, length: int = 63, hash_length: int = 4) -> str:
    """A name Django makes (a default table, a join table) as it shortens it to PostgreSQL's 63 characters
    (``django.db.backends.utils.truncate_name``)."""
    if len(name) <= length:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:hash_length]
    return name[: length - hash_length] + digest


def _destructive_sql(facts: MigrationFacts, settings: Settings, kind: str) -> Iterator[SqlStep]:
    """The SQL statements of ``kind`` that drop what existed before the migration ran, as ``_destructive``."""
    if facts.drops_are_declared_safe:
        return
    for step in sql_steps(facts, settings):
        if step.statement.kind == kind and not step.new_table and not step.added_here:
            yield step


@project_rule(
    code="DJM203",
    deploy=(
        "rolling",
        "old code still queries the table; with the application stopped, only the new code runs, and it no longer"
        " uses it",
    ),
    name="drop-table",
    message="`{operation}` drops the table of `{model}` while running code may still use it",
    hint="stop using the model first and delete it in a later release marked post-deploy (or `# noqa: DJM203`)",
    what_it_does=(
        "Checks for `DeleteModel` operations that drop a table (not state-only deletions), unless the"
        " migration is marked to run after deploy or declared safe at either moment, as for DJM202. A"
        " model that the same migration created (as squashes do)"
        " is skipped, and so is a proxy or unmanaged model (`proxy: True`, `managed: False` in its options"
        " along the migration graph), which has no table of its own to drop."
        " With the `[sql]` extra, `DROP TABLE` in the `sql` of a `RunSQL` is reported the same way."
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
def drop_table(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    for key, facts in migrations_holding(index, "DeleteModel", "RunSQL", own=True):
        path = index.path_of(key)
        for position, op in _destructive(facts, "DeleteModel"):
            model = op.param("name")
            if isinstance(model, str) and index.state.has_no_table(key, position, model):
                continue  # Django's schema editor skips a proxy or unmanaged model: no table is dropped
            yield Flag(op.line, op.col, path, operation=op.kind, model=name_or_ellipsis(model))
        for step in _destructive_sql(facts, settings, "drop_table"):
            yield step.flag(path, operation=step.quoted, model=step.statement.table)


@project_rule(
    code="DJM204",
    deploy=(
        "rolling",
        "old code uses the old name while the new code needs the new one; with the application stopped, only the"
        " new code runs, after the rename",
    ),
    name="rename-column-or-table",
    message="`{operation}` renames `{target}` in the database, which breaks code still using the old name",
    hint="add the new column or table, copy and dual-write, then remove the old one in a later release",
    what_it_does=(
        "Checks for `RenameField`, `RenameModel` and `AlterModelTable` that change the database, and for"
        " `AlterField` that changes a column's name: a field that becomes a `ForeignKey` or `OneToOneField` (`x`"
        " becomes `x_id`) or stops being one, or another `db_column`. What the model and the field were is found"
        " along the migration graph, and renames that rename nothing are skipped: a `RenameModel` of a model"
        " whose `db_table` is set (its table keeps its name; unless a many-to-many join table without `through`"
        " names a column after the model), an `AlterModelTable` to the name the table already has (set, or"
        " Django's `app_model`), a `RenameField` of a field with a `db_column`, of a many-to-many field with a"
        " `through` model, or of a field the same migration added (squashes do that), any rename of a proxy or"
        " unmanaged model, and renames of a model the same migration created. With the `[sql]` extra,"
        " `ALTER TABLE ... RENAME` of a table or a column in the `sql` of a `RunSQL` is reported too (not of a"
        " table the migration created, nor of a sequence: `ALTER SEQUENCE ... RENAME`, or `ALTER TABLE"
        " x_id_seq RENAME`, since no code names a sequence)."
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
def rename_column_or_table(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    state = index.state
    for key, facts in migrations_holding(index, *RENAMES, "RunSQL", own=True):
        path = index.path_of(key)
        for position, op in _renames(facts):
            if renames_nothing(state, key, position, op):
                continue
            owner, renamed = RENAMES[op.kind or ""]
            target = name_or_ellipsis(op.param(renamed))
            if owner is not None:
                target = f"{name_or_ellipsis(op.param(owner))}.{target}"
            yield Flag(op.line, op.col, path, operation=op.kind, target=target)
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind != "rename" or statement.object_type not in ("table", "column") or step.new_table:
                continue
            if statement.column is None and (statement.table or "").endswith("_seq"):
                continue  # ALTER TABLE works on a sequence too; Django names them <table>_<column>_seq
            old_name = statement.table if statement.column is None else f"{statement.table}.{statement.column}"
            yield step.flag(path, operation=step.quoted, target=old_name)
    packages = installed_packages(index)
    for node, op, old_column in column_renames(index):
        if node[0] not in packages:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, target=old_column)


def column_renames(index: ProjectIndex) -> Iterator[tuple[Key, Operation, str]]:
    """Each ``AlterField`` that renames its column (a field that becomes a foreign key, ``x`` to ``x_id``, or stops
    being one; another ``db_column``), with the old column as ``model.column``: an ``ALTER TABLE ... RENAME
    COLUMN``."""
    state = index.state
    for node, op, field, before, after, _ in state.field_alterations():
        model, _, name = field.partition(".")
        old_column, new_column = column_name(name, before), column_name(name, after)
        if old_column is None or new_column is None or old_column == new_column:
            continue
        position = next(position for position, other in enumerate(index.migrations[node].operations) if other is op)
        if not state.has_no_table(node, position, model):
            yield node, op, f"{model}.{old_column}"


def _renames(facts: MigrationFacts) -> Iterator[tuple[int, Operation]]:
    """The renames of the migration (with their positions) of what existed before it ran: not of a model it
    created, nor of a field it added (no running code knows the first name)."""
    created = facts.model_creations()
    added: set[tuple[str, str]] = set()
    for position, op in enumerate(facts.operations):
        model, name = (op.model_name or "").lower(), op.param("name")
        if op.kind == "AddField" and op.touches_database and isinstance(name, str):
            added.add((model, name.lower()))
        if op.kind not in RENAMES or not op.touches_database or not changes_existing_table(created, position, op):
            continue
        if op.kind == "RenameField":
            old, new = op.param("old_name"), op.param("new_name")
            if isinstance(old, str) and (model, old.lower()) in added:
                if isinstance(new, str):
                    added.add((model, new.lower()))
                continue
        yield position, op


def renames_nothing(state: ModelState, node: Key, position: int, op: Operation) -> bool:
    """Whether a rename leaves the database as it is, as Django's schema editor runs it."""
    model = op.param("old_name") if op.kind == "RenameModel" else op.model_name
    if not isinstance(model, str):
        return False
    if state.has_no_table(node, position, model):
        return True
    if op.kind == "RenameField":
        old = op.param("old_name")
        field = state.field_before(node, position, model, old) if isinstance(old, str) else None
        field_class = django_field_class(field)
        if field_class in FIELDS_WITHOUT_COLUMN and isinstance(field, Call):
            if field_class != "ManyToManyField":
                return True  # a GenericRelation, a ForeignObject: nothing in the database
            # The join table is named after the field, unless a through model holds the rows or db_table names it.
            return field.kwarg("through") is not None or isinstance(field.kwarg("db_table"), str)
        db_column = field.kwarg("db_column") if isinstance(field, Call) and "**" not in field.kwargs else None
        return isinstance(db_column, str) and db_column != ""
    options = state.options_before(node, position, model)
    if op.kind == "RenameModel":
        # Django renames nothing when db_table is set (the table keeps it), but a join table's column named after
        # the model (`client_id`).
        explicit = options is not None and options.get("db_table") not in (None, "")
        return explicit and not state.in_auto_many_to_many(node[0], model)
    table = op.param("table")
    new_table = _truncated(f"{node[0]}_{model.lower()}") if table in (None, "") else table
    return isinstance(new_table, str) and _table_of(options, node[0], model) == new_table


# The operations `builds_index` may find building one.
_BUILDS_INDEX: Final = ("AddIndex", "AddConstraint", "AlterUniqueTogether", "AlterIndexTogether", "AddField")


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


TOGETHER_OPTIONS: Final = {"AlterUniqueTogether": "unique_together", "AlterIndexTogether": "index_together"}
Entries = frozenset[tuple[str, ...]]


def together_change(state: ModelState, node: Key, position: int, op: Operation) -> tuple[Entries, Entries] | None:
    """(entries added, entries removed) by the ``AlterUniqueTogether``/``AlterIndexTogether`` at ``position`` of
    ``node``, compared with the model's value just before it along the migration graph; nothing either way for a
    proxy or unmanaged model (Django's schema editor skips it); None when the values are not known."""
    model = op.model_name
    if model is None:
        return None
    option = TOGETHER_OPTIONS[op.kind or ""]
    now = together_entries(op.param(option, UNKNOWN))
    options = state.options_before(node, position, model)
    was = together_entries(options.get(option)) if options is not None else None
    if now is None or was is None:
        return None
    if options is not None and (options.get("proxy") is True or options.get("managed") is False):
        return frozenset(), frozenset()
    return now - was, was - now


def _alter_builds_index(before: Call, after: Call) -> bool:
    """An ``AlterField`` that adds a unique constraint, or a plain index where the column had none (also when it
    trades a unique constraint for one: Django drops the constraint and builds the index)."""
    was, now = field_indexes(before), field_indexes(after)
    if django_field_class(before) is None or not now:
        return False
    return ("unique" in now and "unique" not in was) or ("index" in now and "index" not in was)


@project_rule(
    code="DJM205",
    fix=(
        "unsafe",
        "turns `AddIndex` into `AddIndexConcurrently`, imports it, and sets `atomic = False` when the migration holds"
        " nothing else; not offered for a migration that holds other operations and is atomic",
    ),
    deploy=(
        "rolling",
        "the lock blocks the writes of the requests served during the build; with the application stopped nothing"
        " writes, and a plain build takes less time than a concurrent one",
    ),
    fix_requires="Django 3.0 for `AddIndexConcurrently` (`django.contrib.postgres.operations`)",
    name="non-concurrent-index",
    message="`{operation}` builds an index on `{model}` without `CONCURRENTLY`, locking the table against writes",
    hint="use `AddIndexConcurrently` (django.contrib.postgres.operations) in a migration with `atomic = False`",
    what_it_does=(
        "On PostgreSQL, checks for operations that build an index on an existing table the blocking way:"
        " `AddIndex`, `AddConstraint` with a `UniqueConstraint`, `AlterUniqueTogether` and `AlterIndexTogether`"
        " that add an entry (compared with the model's previous value along the migration graph: restating it, or"
        " only removing entries, builds nothing; removing is DJM209's), and `AddField` of a field that gets an"
        " index (`db_index=True`, `unique=True`, `ForeignKey`, `OneToOneField`, `SlugField`, unless"
        " `db_index=False`), and `AlterField` that adds `unique=True`,"
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
    for key, facts in migrations_holding(index, *_BUILDS_INDEX, "RunSQL"):
        if facts.initial is True:
            continue  # an app's initial migrations create its tables: empty while they run
        created: dict[str, int] | None = None  # read once an operation builds an index
        for position, op in enumerate(facts.operations):
            together = op.kind in TOGETHER_OPTIONS
            if not op.touches_database or not together and not builds_index(op):
                continue
            created = facts.model_creations() if created is None else created
            if not on_existing_table(created, position, op):
                continue
            if together:
                change = together_change(index.state, key, position, op)
                if change is None and not builds_index(op) or change is not None and not change[0]:
                    continue
            flag = Flag(op.line, op.col, index.path_of(key), operation=op.kind, model=name_or_ellipsis(op.model_name))
            yield flag.with_fix(_concurrently(facts, op, index.path_of(key)) if op.kind == "AddIndex" else None)
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind == "create_index" and not statement.concurrently and not step.new_table:
                yield step.flag(index.path_of(key), operation=step.quoted, model=statement.table)
    for node, op, _, before, after, _ in index.state.field_alterations():
        if _alter_builds_index(before, after):
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, model=name_or_ellipsis(op.model_name))


def _concurrently(facts: MigrationFacts, op: Operation, path: str) -> Fix | None:
    """DJM205's fix: ``AddIndexConcurrently`` for ``AddIndex``, imported, out of the transaction (``atomic = False``)
    when the migration holds nothing else; none when it holds other operations in a transaction (they would lose
    it: split the migration by hand)."""
    if facts.atomic is not False and any(other.kind != "AddIndex" for other in facts.operations):
        return None
    edits: list[Edit] = [
        RenameCallee(path, op.line, op.col, "AddIndex", "AddIndexConcurrently"),
        AddImport(path, "django.contrib.postgres.operations", "AddIndexConcurrently"),
    ]
    if facts.atomic is not False:
        edits.append(SetClassAttribute(path, "atomic", "False"))
    return Fix.unsafe("build the index with `AddIndexConcurrently`, outside a transaction", *edits)


def _sql_strings(value: Value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for element in value:
            yield from _sql_strings(element)


@file_rule(
    code="DJM206",
    fix=("unsafe", "sets `atomic = False` on the migration, which then runs outside a transaction"),
    deploy=("any", "PostgreSQL refuses the statement, so the migration fails whatever the deploy"),
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
            # Unsafe: out of its transaction, a migration that fails half way stays half applied.
            fix = Fix.unsafe("set `atomic = False` on the migration", SetClassAttribute(facts.path, "atomic", "False"))
            yield Flag(op.line, op.col, operation=op.kind).with_fix(fix)


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
    deploy=("any", "the rewrite takes as long with the application stopped, and makes the downtime that long"),
    name="alter-column-type",
    message="`{operation}` changes the column of `{field}` ({change}), which rewrites or locks the table",
    hint="add a new column, backfill it in batches and switch over, or accept the lock knowingly",
    what_it_does=(
        "Checks `AlterField` operations that change a column's field class or its type parameters (a smaller"
        " `max_length`, fewer `max_digits`, other `decimal_places`), comparing with the field's previous"
        " definition found along the migration graph. Fields stored as `varchar` (`CharField`, `SlugField`,"
        " `EmailField`, `URLField`, `FileField`...) may change into one another, or into `TextField`, without"
        " a rewrite as long as the length does not shrink: that is fine, and so are classes that share a column"
        " type (`PositiveIntegerField` and `IntegerField` are both `integer`). A field that becomes a `ForeignKey`"
        " or `OneToOneField`, or stops being one, changes type only when the key it points at has another column"
        " type (`UUIDField` to a foreign key to a model keyed by a UUID keeps `uuid`: Django only renames the"
        " column, which is DJM204's); the key is found along the migration graph. PostgreSQL only: the column"
        " types of the other databases are not modelled yet (MySQL's integers differ by sign, for one), so the"
        " rule stays silent there rather than guess. With the `[sql]` extra, `ALTER COLUMN ... TYPE` in the `sql`"
        " of a `RunSQL` is reported too, unless the new type is one a change into may need no rewrite (`varchar`,"
        " `text`, `bpchar`, `numeric`, `timestamp`, `timestamptz`, `varbit`: the old type is not known there)."
        " A change of `db_collation` of a column Django indexes is reported too: PostgreSQL rebuilds each index"
        " on the column under the ACCESS EXCLUSIVE lock; the table is not rewritten."
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
    state = index.state
    for node, op, field, before, after, _ in state.field_alterations():
        model = field.partition(".")[0]
        change = _type_change(before, after, lambda relation: _key_column_type(state, relation, node[0], model))
        change = change or collation_change(before, after)
        if change is not None:
            yield Flag(op.line, op.col, index.path_of(node), operation=op.kind, field=field, change=change)
    for key, facts in migrations_holding(index, "RunSQL"):
        if facts.initial is True:
            continue
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind != "alter_column_type" or step.new_table or step.added_here:
                continue
            if statement.name not in _MAYBE_BINARY_COERCIBLE:
                field = f"{statement.table}.{statement.column}"
                yield step.flag(index.path_of(key), operation=step.quoted, field=field, change=f"to `{statement.name}`")


def collation_change(before: Call, after: Call) -> str | None:
    """How an ``AlterField`` changes the collation of an indexed column (``db_collation``, either side indexed by
    Django: ``db_index``, ``unique``, a primary key, a relation), when it does: PostgreSQL then rebuilds the column's
    indexes under the ACCESS EXCLUSIVE lock of ``ALTER COLUMN ... TYPE ... COLLATE``; the table itself is not
    rewritten. None when the collation stays, is not a literal, or the column has no index Django made."""
    was, now = before.kwarg("db_collation"), after.kwarg("db_collation")
    if was == now or not (was is None or isinstance(was, str)) or not (now is None or isinstance(now, str)):
        return None
    if not (field_indexes(before) or field_indexes(after)):
        return None
    return f"db_collation {was or 'default'} to {now or 'default'}, its indexes rebuilt"


# Types that a column may change into without a rewrite, from some other type (varchar(10) -> varchar(20), numeric
# precision up, timestamp -> timestamptz in UTC): from SQL alone the old type is not known, so no finding.
_MAYBE_BINARY_COERCIBLE: Final = frozenset(
    {"varchar", "text", "bpchar", "numeric", "timestamp", "timestamptz", "varbit"}
)


@project_rule(
    code="DJM208",
    deploy=(
        "rolling",
        "the lock stalls the requests served during the scan, and old code writes NULLs; with the application"
        " stopped, the scan costs what the safe sequence's validation would",
    ),
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
    for key, facts in migrations_holding(index, "RunSQL"):
        if facts.initial is True:
            continue
        for step in sql_steps(facts, settings):
            statement = step.statement
            if statement.kind == "set_not_null" and not step.new_table and not step.added_here:
                field = f"{statement.table}.{statement.column}"
                yield step.flag(index.path_of(key), operation=step.quoted, field=field)


def column_type(field: Value) -> str | None:
    """The PostgreSQL column type of one of Django's plain fields with its length or precision (``varchar(20)``,
    ``numeric(10, 2)``, ``uuid``); an auto-increment field gives the type a foreign key to it has (``integer``),
    as does a positive integer field (its CHECK constraint stays behind). None when not known."""
    field_class = django_field_class(field)
    base = COLUMN_TYPES.get(field_class or "")
    if base is None or not isinstance(field, Call) or "**" in field.kwargs:
        return None
    if base == "varchar":
        length = field.kwarg("max_length", VARCHAR_DEFAULT_LENGTH[field_class or ""])
        if length is None:
            return "varchar"  # CharField without max_length: varchar without a limit (Django 4.2+)
        return f"varchar({length})" if isinstance(length, int) else None
    if base == "numeric":
        digits, places = field.kwarg("max_digits"), field.kwarg("decimal_places")
        return f"numeric({digits}, {places})" if isinstance(digits, int) and isinstance(places, int) else None
    return base


def _key_column_type(state: ModelState, relation: Call, app: str, model: str, depth: int = 0) -> str | None:
    """The column type of a foreign key or one-to-one field of ``app.model``: that of the field it points at (its
    ``to_field``, else the target's primary key, the same in every definition the project's history gives it);
    None when not known (an implicit ``id``, a renamed target, a key that changed type)."""
    target = state.relation_target(relation, app, model)
    to_field = relation.kwarg("to_field")
    if target is None or depth > _MAX_KEY_DEPTH or not isinstance(to_field, (str, type(None))):
        return None
    keys = state.primary_keys(*target) if to_field is None else state.field_definitions(*target, to_field)
    types = {
        _key_column_type(state, key, *target, depth + 1) if django_field_class(key) in TO_ONE_RELATIONS
        else column_type(key)
        for key in keys
    }
    found = types.pop() if len(types) == 1 else None
    return found


_MAX_KEY_DEPTH: Final = 8  # a key that is a one-to-one link to a parent's key, whose key is a link... (inheritance)


def _relation_target(field: Call) -> Value:
    target = field.kwarg("to", field.args[0] if field.args else None)
    return target.lower() if isinstance(target, str) else None


def _type_change(before: Call, after: Call, key_type: Callable[[Call], str | None] | None = None) -> str | None:
    """How the column's type changes, when that makes the database rewrite or re-check the table. ``key_type``
    gives the column type of a foreign key (that of the field it points at)."""
    old, new = django_field_class(before), django_field_class(after)
    if old is None or new is None:
        return None
    if key_type is not None and (old in TO_ONE_RELATIONS) != (new in TO_ONE_RELATIONS):
        # A field that becomes a relation, or stops being one, keeps its column type when the key pointed at has it
        # (UUIDField -> ForeignKey to a model keyed by a UUID): the column is only renamed (DJM204).
        old_column = key_type(before) if old in TO_ONE_RELATIONS else column_type(before)
        new_column = key_type(after) if new in TO_ONE_RELATIONS else column_type(after)
        if old_column is not None and old_column == new_column:
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
    deploy=("any", "the ids run out, and the later change to `bigint` rewrites the table, whatever the deploy"),
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

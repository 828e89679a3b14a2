"""DJM104-105, DJM902-903, DJM906: what data migrations do besides changing rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts import MigrationFacts, Operation, Ref, Value, on_existing_table
from flake8_django_migrations.facts.sql import (
    DML_KINDS,
    changes_rows_by_keywords,
    run_sql_statements,
    sql_parser_available,
    written_sql,
)
from flake8_django_migrations.rules.rule import Flag, file_rule
from flake8_django_migrations.rules.shared import creates_no_table
from flake8_django_migrations.settings import Settings

_DATA_OPERATIONS: Final = frozenset({"RunPython", "RunSQL", "SeparateDatabaseAndState"})
# Schema operations whose `database_forwards` does nothing: they change only Django's state.
_STATE_ONLY_OPERATIONS: Final = frozenset({"AlterModelOptions", "AlterModelManagers", "AlterConstraint"})
_HTTP_VERBS: Final = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# The callables of each module that reach the network or send mail; the rest of them (``urllib3.util.parse_url``,
# ``requests.utils.quote``, ``socket.gethostname``) compute locally.
_SIDE_EFFECTS: Final = {
    "requests": frozenset({*_HTTP_VERBS, "Session", "session"}),
    "httpx": frozenset({*_HTTP_VERBS, "stream", "Client", "AsyncClient"}),
    "urllib.request": frozenset({"urlopen", "urlretrieve"}),
    "urllib3": frozenset({"request", "PoolManager", "ProxyManager", "HTTPConnectionPool", "HTTPSConnectionPool",
                          "connection_from_url"}),
    "aiohttp": frozenset({"request", "ClientSession"}),
    "smtplib": frozenset({"SMTP", "SMTP_SSL", "LMTP"}),
    "socket": frozenset({"socket", "create_connection", "create_server", "getaddrinfo", "gethostbyname",
                         "gethostbyname_ex", "gethostbyaddr"}),
    "boto3": frozenset({"client", "resource", "Session"}),
    "django.core.mail": frozenset({"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "EmailMessage",
                                   "EmailMultiAlternatives", "get_connection"}),
}
_TASK_QUEUE_METHODS: Final = frozenset({"delay", "apply_async"})


def _run_sql_changes_rows(value: Value, settings: Settings) -> bool:
    """Whether literal ``RunSQL`` text changes rows: a string, or a list of strings and ``(sql, params)`` pairs.
    On PostgreSQL with the ``[sql]`` extra the parser answers (SQL that does not parse is unknown); otherwise the
    keyword scanner, which reads any database's SQL. SQL that is not written as a literal is unknown and reported
    as nothing."""
    if settings.is_postgresql and sql_parser_available():
        statements, _ = run_sql_statements(value)
        return any(statement.kind in DML_KINDS for statement in statements)
    return any(text is not None and changes_rows_by_keywords(text) for _, text, _ in written_sql(value))


def _is_noop(value: Value) -> bool:
    return value is None or (isinstance(value, Ref) and value.path.endswith("RunPython.noop"))


def _changes_data(op: Operation, settings: Settings) -> bool:
    """A ``RunPython`` that runs code, or a ``RunSQL`` whose literal SQL changes rows, when the migration is applied
    (the direction every deploy runs; a reverse-only data step matters only to a rollback)."""
    if not op.touches_database:
        return False
    if op.kind == "RunPython":
        return not _is_noop(op.param("code"))
    if op.kind == "RunSQL":
        return _run_sql_changes_rows(op.param("sql"), settings)
    return False


def _changes_schema(op: Operation) -> bool:
    if op.kind is None or op.kind in _DATA_OPERATIONS or op.kind in _STATE_ONLY_OPERATIONS:
        return False
    if op.kind == "CreateModel" and creates_no_table(op.param("options")):
        return False
    return op.touches_database


@file_rule(
    code="DJM104",
    deploy=(
        "any",
        "the pending trigger events and a failed backfill that undoes the schema change happen whatever the"
        " deploy",
    ),
    name="mixed-schema-and-data",
    message="this atomic migration changes data with `{operation}` and also changes the schema",
    hint="move the `{operation}` into a migration of its own, or set `atomic = False` deliberately",
    what_it_does=(
        "Checks for atomic migrations that contain both an operation that changes rows (a `RunPython` that runs"
        " code, or a `RunSQL` whose literal SQL has an `INSERT`, `UPDATE`, `DELETE` or `MERGE` statement) and an"
        " operation that changes the schema (any other Django operation that touches the database; not"
        " `AlterModelOptions`, `AlterModelManagers`, `AlterConstraint`, a proxy or unmanaged `CreateModel`, or a"
        " state-only `SeparateDatabaseAndState`). Only the forward direction counts (a `RunPython` whose code is"
        " `RunPython.noop` changes nothing when applied), and creating tables does not count, nor changing tables"
        " the migration created before its data step (a squash filling its new tables). Initial migrations"
        " (`initial = True`) are not reported: their tables are new, and they run on every fresh database, so the"
        " project's own test runs meet a failure first. SQL that is not a literal, and a migration whose `atomic`"
        " cannot be read, are not reported. On PostgreSQL with the `[sql]` extra, PostgreSQL's parser reads the SQL"
        " (SQL it does not accept is unknown); otherwise a scanner that skips comments and quoted text."
    ),
    why_bad=(
        "One transaction then holds schema locks for as long as the data migration runs, and on PostgreSQL"
        " an `ALTER TABLE` after rows were changed in the same transaction can fail with 'pending trigger"
        " events'. A failed backfill also rolls back the schema change, which is hard to reason about. An"
        " `UPDATE` in `RunSQL` is the same data migration written in SQL."
    ),
    example=(
        "operations = [\n"
        '    migrations.AddField("order", "region", models.CharField(max_length=10, null=True)),\n'
        "    migrations.RunPython(fill_region, migrations.RunPython.noop),\n"
        "]\n"
    ),
    use_instead=(
        "# 0012_order_region.py\n"
        'operations = [migrations.AddField("order", "region", models.CharField(max_length=10, null=True))]\n'
        "# 0013_fill_order_region.py\n"
        "operations = [migrations.RunPython(fill_region, migrations.RunPython.noop)]\n"
    ),
)
def mixed_schema_and_data(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.atomic is not True or not facts.operations_complete:
        return  # not atomic, or unknown; with operations from alternative branches, both may never run together
    if facts.initial is True:
        return  # the app's tables are new, and it runs on every fresh database: its own tests would fail first
    data = [position for position, op in enumerate(facts.operations) if _changes_data(op, settings)]
    if not data:
        return
    created = facts.model_creations()
    # Tables this migration creates are new and empty: nothing waits on their locks (a squash or an initial
    # migration that fills what it created, or creates more tables after). A change to a table that existed
    # before, or to any table after the data step (PostgreSQL's "pending trigger events"), is the hazard.
    if any(
        _changes_schema(op)
        and op.kind != "CreateModel"
        # An operation naming no model (an unknown one) counts as touching an existing table.
        and (position > data[0] or op.model_name is None or on_existing_table(created, position, op))
        for position, op in enumerate(facts.operations)
    ):
        for position in data:
            op = facts.operations[position]
            yield Flag(op.line, op.col, operation=op.kind)


def _is_side_effect(callee: str) -> bool:
    module, _, name = callee.rpartition(".")
    return name in _TASK_QUEUE_METHODS or name in _SIDE_EFFECTS.get(module, ())


@file_rule(
    code="DJM105",
    deploy=(
        "any",
        "the side effect happens on every database the migration runs on, in CI and on every machine, whatever"
        " the deploy",
    ),
    name="side-effect-in-migration",
    message="the `RunPython` function calls `{call}`, a side effect outside the database",
    hint="do it in a management command or a deploy step; a migration may run many times, anywhere",
    what_it_does=(
        "Checks `RunPython` functions for calls to the network, mail or task queues. It looks at the"
        " functions defined in the migration and the module's functions they call, for the calls of `requests`,"
        " `httpx`, `urllib.request`, `urllib3`, `aiohttp`, `smtplib`, `socket`, `boto3` and `django.core.mail`"
        " that reach the network or send mail (not their local helpers such as `urllib3.util.parse_url`), and"
        " `.delay()`/`.apply_async()`. A function handed to a signal (`post_migrate.connect(handler)`, also"
        " through `functools.partial`) or to"
        " `transaction.on_commit` is not checked: it runs after the migration, outside its transaction, which is"
        " the usual way to start a long backfill once every app has migrated."
    ),
    why_bad=(
        "Migrations run on every fresh database: in CI, on every developer machine, on every staging"
        " rebuild. A side effect there sends real mail, calls real services or enqueues real tasks each"
        " time, and it cannot be rolled back with the transaction."
    ),
    example=(
        "def notify(apps, schema_editor):\n"
        '    requests.post("https://hooks.example.com/migrated")\n'
    ),
    use_instead="# Trigger the notification from your deploy pipeline instead.\n",
)
def side_effect_in_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for function in facts.run_python_functions():
        for call in function.calls:
            if _is_side_effect(call.name):
                callee = call.written if call.name.startswith(".") else call.name
                yield Flag(call.line, call.col, call=callee + "()")


@file_rule(
    code="DJM902",
    deploy=("any", "a query per row makes the migration, and any downtime, that much longer"),
    name="row-by-row-save",
    message="`.save()` is called inside a loop in a `RunPython` function, one query per row",
    hint="use `QuerySet.update()` or `bulk_update()` in batches",
    what_it_does="Checks `RunPython` functions for `.save()` calls inside a loop or comprehension.",
    why_bad=(
        "A query per row turns a backfill of a million rows into a migration that runs for hours inside a"
        " transaction."
    ),
    example=(
        "for order in Order.objects.all():\n"
        "    order.region = \"eu\"\n"
        "    order.save()\n"
    ),
    use_instead='Order.objects.filter(region__isnull=True).update(region="eu")\n',
    default_enabled=False,
)
def row_by_row_save(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for function in facts.run_python_functions():
        for site in function.saves_in_loops:
            yield Flag(site.line, site.col)


@file_rule(
    code="DJM903",
    deploy=("any", "an unrouted queryset reads and writes the wrong database whatever the deploy"),
    name="missing-db-alias",
    message="the queryset is not routed to the database being migrated",
    hint="chain `.using(schema_editor.connection.alias)` (or `db_manager(...)`)",
    what_it_does=(
        "Checks `RunPython` functions for manager and queryset chains that do not call `.using(...)` or"
        " `.db_manager(...)`."
    ),
    why_bad=(
        "With several databases, `migrate --database=other` runs the function for `other`, but an unrouted"
        " queryset reads and writes the default database."
    ),
    example='Order.objects.filter(region="").update(region="eu")\n',
    use_instead=(
        "alias = schema_editor.connection.alias\n"
        'Order.objects.using(alias).filter(region="").update(region="eu")\n'
    ),
    default_enabled=False,
)
def missing_db_alias(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for function in facts.run_python_functions():
        for queryset in function.querysets:
            if not queryset.routed:
                yield Flag(queryset.line, queryset.col)


@file_rule(
    code="DJM906",
    deploy=(
        "any",
        "loading every row into memory, the dead rows of one update and the replication lag it causes cost the"
        " same with the application stopped",
    ),
    name="unbatched-data-migration",
    message="`{query}` {action} the whole table at once inside the migration's transaction",
    hint=(
        "work in batches of primary keys (`filter(pk__in=batch)`), each in its own transaction: `atomic = False`"
        " on the migration and `transaction.atomic()` per batch"
    ),
    what_it_does=(
        "Checks `RunPython` functions of an atomic migration (and the module's functions they call) for a"
        " queryset that updates or iterates a model's whole table in one go: `.update(...)` on a manager or on"
        " `.all()`, and `for ... in Model.objects.all()` (also in a comprehension), where the chain after the"
        " manager has only methods that keep every row (`all`, `using`, `order_by`, `only`, `select_related`,"
        " `values`, ...). A `filter`, `exclude`, slice or `.iterator()` anywhere in the chain is taken as"
        " batching and not reported; a queryset built in one statement and iterated in another is not followed."
        " A migration with `atomic = False`, or whose `atomic` cannot be read, is not reported."
    ),
    why_bad=(
        "The migration runs in one transaction. An `UPDATE` of every row locks every row until that transaction"
        " commits, so any write to the table waits for the whole migration (shown on PostgreSQL in the test"
        " suite), and the dead row versions it leaves, and the replication lag it causes, grow with the table."
        " Iterating `Model.objects.all()` loads every row into memory at once. On a table of millions of rows"
        " that is minutes of blocked writes, or a migration killed for running out of memory.\n\n"
        "The safe sequence:\n\n"
        "1. Put the data migration in a migration of its own with `atomic = False`.\n"
        "2. Loop over batches of primary keys (`values_list(\"pk\", flat=True)[:1000]` of the rows still to do),"
        " and update each batch with `filter(pk__in=batch).update(...)` inside `transaction.atomic()`: each"
        " batch's row locks are released when it commits.\n"
        "3. Give it a `reverse_code`, and make it safe to run again (filter on the rows not yet done)."
    ),
    example=(
        "def fill_region(apps, schema_editor):\n"
        '    Order = apps.get_model("shop", "Order")\n'
        '    Order.objects.all().update(region="eu")\n'
    ),
    use_instead=(
        "def fill_region(apps, schema_editor):\n"
        '    Order = apps.get_model("shop", "Order")\n'
        "    alias = schema_editor.connection.alias\n"
        "    while True:\n"
        "        with transaction.atomic(using=alias):\n"
        '            batch = list(Order.objects.using(alias).filter(region=None).values_list("pk", flat=True)[:1000])\n'
        '            Order.objects.using(alias).filter(pk__in=batch).update(region="eu")\n'
        "        if not batch:\n"
        "            break\n"
        "\n\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [migrations.RunPython(fill_region, migrations.RunPython.noop)]\n"
    ),
    default_enabled=False,
)
def unbatched_data_migration(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if facts.atomic is not True:
        return
    for function in facts.run_python_functions():
        for query in function.whole_table_queries:
            action = "updates" if query.action == "update" else "loads"
            yield Flag(query.line, query.col, query=query.written, action=action)

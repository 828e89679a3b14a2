"""The PostgreSQL behaviour the lock rules claim, shown on a real server.

Each case takes the SQL that Django 5's own schema editor generates for a migration operation (collected, in a
subprocess, against the test cluster, so the backend sees the real server version), creates the tables the
operation needs in a schema of its own with rows in them, runs the statement inside an open transaction in one
session, and reads ``pg_locks`` (or tries to read and write the table with a short ``lock_timeout``) from another.
The safe sequences the rules' docs recommend (``NOT VALID`` then ``VALIDATE CONSTRAINT``, ``DROP INDEX
CONCURRENTLY``) are run the same way and shown lighter.

Run as a module (``python -m tests.test_postgres_truth CONNINFO_JSON``) it prints the SQL of every case as JSON:
that is the subprocess, which keeps Django's settings out of the test process.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.postgres_server import PostgresServer, SchemaCase, collect_django_sql, django_sql_of, postgres_server

__all__ = ["postgres_server"]  # the session fixture, used here

APP = "shop"

# Rows in every table before the statement runs: an empty table would make a scan or a rewrite look free.
ROWS = (
    "INSERT INTO shop_customer (id, name) SELECT i, 'c' || i FROM generate_series(1, 20) i",
    "INSERT INTO shop_order (number, reference, code, amount, customer_id)"
    " SELECT i::text, i::text, i::text, i, 1 + i % 20 FROM generate_series(1, 200) i",
)

# Table lock modes as pg_locks names them, weakest first (each conflicts with more modes than the one before).
LOCK_MODES = (
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
    "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
)
ROW_SHARE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, ACCESS_EXCLUSIVE = (
    LOCK_MODES[1], LOCK_MODES[3], LOCK_MODES[4], LOCK_MODES[5], LOCK_MODES[7],
)


# The migration operations, built in the subprocess where Django is configured ---------------------------------


def _operations() -> dict[str, tuple[list[Any], list[Any]]]:
    """case -> (operations that set the tables up, the operation under test)."""
    from django.contrib.postgres.constraints import ExclusionConstraint
    from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
    from django.contrib.postgres.functions import RandomUUID
    from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
    from django.db import migrations, models
    from django.db.models.functions import Now

    tables = [
        migrations.CreateModel("Customer", [
            ("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20)),
        ]),
        migrations.CreateModel("Order", [
            ("id", models.AutoField(primary_key=True)),
            ("number", models.CharField(max_length=20)),
            ("reference", models.CharField(max_length=20, db_index=True)),
            ("code", models.CharField(max_length=20, unique=True)),
            ("amount", models.IntegerField(null=True)),
            ("customer", models.ForeignKey("shop.customer", models.CASCADE, null=True, db_constraint=False)),
        ]),
        migrations.CreateModel("Tag", [("name", models.CharField(max_length=20, primary_key=True))]),
        migrations.CreateModel("Booking", [
            ("id", models.AutoField(primary_key=True)), ("period", DateTimeRangeField()),
        ]),
    ]
    number_index = models.Index(fields=["number"], name="order_number_idx")
    number_unique = models.UniqueConstraint(fields=["number"], name="order_number_uniq")
    return {
        "add_index": (tables, [migrations.AddIndex("order", number_index)]),
        "add_index_concurrently": (tables, [AddIndexConcurrently("order", number_index)]),
        "alter_column_type": (tables, [migrations.AlterField("order", "amount", models.BigIntegerField(null=True))]),
        "set_not_null": (tables, [migrations.AlterField("order", "amount", models.IntegerField())]),
        "remove_index": (
            [*tables, migrations.AddIndex("order", number_index)], [migrations.RemoveIndex("order", number_index.name)],
        ),
        "remove_index_concurrently": (
            [*tables, migrations.AddIndex("order", number_index)],
            [RemoveIndexConcurrently("order", number_index.name)],
        ),
        "remove_unique_constraint": (
            [*tables, migrations.AddConstraint("order", number_unique)],
            [migrations.RemoveConstraint("order", number_unique.name)],
        ),
        "alter_field_drops_index": (
            tables, [migrations.AlterField("order", "reference", models.CharField(max_length=20))],
        ),
        "alter_field_drops_unique": (tables, [migrations.AlterField("order", "code", models.CharField(max_length=20))]),
        "add_foreign_key_field": (
            tables,
            [migrations.AddField("order", "buyer", models.ForeignKey("shop.customer", models.CASCADE, default=1))],
        ),
        "add_nullable_foreign_key_field": (
            tables,
            [migrations.AddField("order", "buyer", models.ForeignKey("shop.customer", models.CASCADE, null=True))],
        ),
        "turn_db_constraint_on": (
            tables,
            [migrations.AlterField("order", "customer", models.ForeignKey("shop.customer", models.CASCADE, null=True))],
        ),
        "add_check_constraint": (
            tables,
            [migrations.AddConstraint(
                "order", models.CheckConstraint(condition=models.Q(amount__gte=0), name="order_amount_gte_0"),
            )],
        ),
        "add_stored_generated_field": (
            tables,
            [migrations.AddField("order", "doubled", models.GeneratedField(
                expression=models.F("amount") * 2, output_field=models.IntegerField(), db_persist=True,
            ))],
        ),
        "add_volatile_db_default": (
            tables, [migrations.AddField("order", "token", models.UUIDField(db_default=RandomUUID()))],
        ),
        "add_stable_db_default": (
            tables, [migrations.AddField("order", "stamp", models.DateTimeField(db_default=Now()))],
        ),
        "add_auto_increment_column": (  # a natural key gives way to an id, as in a primary key change
            tables,
            [migrations.AlterField("tag", "name", models.CharField(max_length=20, unique=True)),
             migrations.AddField("tag", "id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        # DJM905: the drops, renames and added columns it counts as ACCESS EXCLUSIVE.
        "remove_field": (tables, [migrations.RemoveField("order", "number")]),
        "rename_field": (tables, [migrations.RenameField("order", "number", "label")]),
        "add_nullable_field": (
            tables, [migrations.AddField("order", "region", models.CharField(max_length=10, null=True))],
        ),
        "delete_model": (tables, [migrations.DeleteModel("Tag")]),
        "add_exclusion_constraint": (
            tables,
            [migrations.AddConstraint("booking", ExclusionConstraint(
                name="booking_no_overlap", expressions=[("period", RangeOperators.OVERLAPS)],
            ))],
        ),
    }


def _precision_operations(tables: list[Any]) -> dict[str, tuple[list[Any], list[Any]]]:
    """Cases for what the schema rules leave alone because Django's schema editor changes nothing, or only renames
    (issue 23): case -> (operations that set the tables up, the operations under test)."""
    from django.db import migrations, models

    client = migrations.CreateModel(
        "Client", [("id", models.AutoField(primary_key=True))], options={"db_table": "crm_client"},
    )
    proxy = migrations.CreateModel("OrderProxy", [], options={"proxy": True}, bases=("shop.order",))
    ledger = migrations.CreateModel("Ledger", [("id", models.AutoField(primary_key=True))], options={"managed": False})
    through = [
        migrations.CreateModel("OrderTag", [
            ("id", models.AutoField(primary_key=True)), ("order", models.ForeignKey("shop.order", models.CASCADE)),
            ("tag", models.ForeignKey("shop.tag", models.CASCADE)),
        ]),
        migrations.AddField(
            "order", "links", models.ManyToManyField("shop.tag", through="shop.OrderTag", related_name="+"),
        ),
    ]
    no_index = {"null": True, "db_index": False, "db_constraint": False}
    unique_together = [*tables, migrations.AlterUniqueTogether("order", {("number", "amount")})]
    return {
        # DJM201
        "add_field_then_set_default": (tables, [
            migrations.AddField("order", "paid", models.BooleanField(default=False)),
            migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN paid SET DEFAULT false"),
        ]),
        "add_null_boolean_field": (tables, [migrations.AddField("order", "gift", models.NullBooleanField())]),
        # DJM202
        "remove_many_to_many_field": (
            [*tables, migrations.AddField("order", "tags", models.ManyToManyField("shop.tag"))],
            [migrations.RemoveField("order", "tags")],
        ),
        "remove_many_to_many_field_with_through": ([*tables, *through], [migrations.RemoveField("order", "links")]),
        "remove_many_to_many_field_with_db_table": (
            [*tables, migrations.AddField("order", "topics", models.ManyToManyField("shop.tag", db_table="topics"))],
            [migrations.RemoveField("order", "topics")],
        ),
        # DJM203
        "delete_proxy_model": ([*tables, proxy], [migrations.DeleteModel("OrderProxy")]),
        "delete_unmanaged_model": ([*tables, ledger], [migrations.DeleteModel("Ledger")]),
        "delete_model_managed_again": (
            [*tables, ledger, migrations.AlterModelOptions("ledger", {"verbose_name": "ledger"})],
            [migrations.DeleteModel("Ledger")],
        ),
        # DJM204
        "rename_model_with_db_table": ([*tables, client], [migrations.RenameModel("Client", "Buyer")]),
        "rename_model_with_db_table_and_join_table": (
            [*tables, client, migrations.AddField("order", "clients", models.ManyToManyField("shop.client"))],
            [migrations.RenameModel("Client", "Buyer")],
        ),
        "alter_model_table_to_its_name": (tables, [migrations.AlterModelTable("order", "shop_order")]),
        "rename_field_with_db_column": (
            [*tables, migrations.AddField("order", "ref", models.CharField(max_length=9, null=True, db_column="rc"))],
            [migrations.RenameField("order", "ref", "ref_code")],
        ),
        "rename_many_to_many_field": (
            [*tables, migrations.AddField("order", "tags", models.ManyToManyField("shop.tag"))],
            [migrations.RenameField("order", "tags", "labels")],
        ),
        "rename_many_to_many_field_with_through": (
            [*tables, *through], [migrations.RenameField("order", "links", "tag_links")],
        ),
        "rename_many_to_many_field_with_db_table": (
            [*tables, migrations.AddField("order", "topics", models.ManyToManyField("shop.tag", db_table="topics"))],
            [migrations.RenameField("order", "topics", "subjects")],
        ),
        "rename_proxy_model": ([*tables, proxy], [migrations.RenameModel("OrderProxy", "SaleProxy")]),
        # DJM204 and DJM207
        "field_becomes_foreign_key": (
            [*tables, migrations.CreateModel("Voucher", [("id", models.UUIDField(primary_key=True))]),
             migrations.AddField("order", "voucher", models.UUIDField(null=True))],
            [migrations.AlterField("order", "voucher", models.ForeignKey("shop.voucher", models.CASCADE, **no_index))],
        ),
        "field_becomes_foreign_key_of_another_type": (
            [*tables, migrations.CreateModel("Ticket", [("id", models.BigAutoField(primary_key=True))]),
             migrations.AddField("order", "ticket", models.IntegerField(null=True))],
            [migrations.AlterField("order", "ticket", models.ForeignKey("shop.ticket", models.CASCADE, **no_index))],
        ),
        # DJM205 and DJM209
        "restate_unique_together": (
            unique_together, [migrations.AlterUniqueTogether("order", {("number", "amount")})],
        ),
        "rename_field_in_unique_together": (unique_together, [
            migrations.RenameField("order", "number", "label"),
            migrations.AlterUniqueTogether("order", {("label", "amount")}),
        ]),
        "remove_unique_together": (unique_together, [migrations.AlterUniqueTogether("order", set())]),
        "remove_index_together": (
            [*tables, migrations.AlterIndexTogether("order", {("number", "amount")})],
            [migrations.AlterIndexTogether("order", set())],
        ),
    }


def _collect_sql(database: dict[str, object]) -> dict[str, dict[str, list[str]]]:
    def cases() -> dict[str, tuple[list[Any], list[Any]]]:
        found = _operations()
        found.update(_precision_operations(found["add_index"][0]))
        return found

    return collect_django_sql(database, APP, cases)


if __name__ == "__main__":
    print(json.dumps(_collect_sql(json.loads(sys.argv[1]))))
    sys.exit(0)


# The test side: sessions on the cluster ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def django_sql(postgres_server: PostgresServer) -> dict[str, dict[str, list[str]]]:
    return django_sql_of("tests.test_postgres_truth", postgres_server)


class Case(SchemaCase):
    """One case's tables, in a schema of their own, and what the lock rules' claims are checked with."""

    def __init__(self, server: PostgresServer, name: str, sql: dict[str, list[str]]) -> None:
        super().__init__(server, f"case_{name}", sql, ROWS)

    def locks(self, holder: Any) -> dict[str, str]:
        """table -> the strongest lock mode the holder's session has been granted on it."""
        with self.session() as observer:
            rows = observer.execute(
                "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE l.pid = %s AND l.granted AND n.nspname = %s AND c.relkind IN ('r', 'p')",
                (holder.info.backend_pid, self.schema),
            ).fetchall()
        held: dict[str, str] = {}
        for table, mode in rows:
            held[table] = max(mode, held.get(table, LOCK_MODES[0]), key=LOCK_MODES.index)
        return held

    def waits(self, statement: str) -> bool:
        """Whether another session's statement waits for a lock (then gives up after a moment); its changes are
        rolled back either way."""
        psycopg = pytest.importorskip("psycopg")
        with self.session() as other:
            other.execute("SET lock_timeout = '300ms'")
            try:
                with other.transaction(force_rollback=True):
                    other.execute(statement)
            except psycopg.errors.LockNotAvailable:
                return True
        return False

    def scans(self, session: Any, table: str) -> int:
        """How many times the session's open transaction has read the whole table."""
        value: int = session.execute(
            "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE schemaname = %s AND relname = %s",
            (self.schema, table),
        ).fetchone()[0]
        return value

    def filenode(self, session: Any, table: str) -> int:
        value: int = session.execute("SELECT pg_relation_filenode(%s)", (table,)).fetchone()[0]
        return value


READ_ORDER = "SELECT count(*) FROM shop_order"
WRITE_ORDER = "INSERT INTO shop_order (number, reference, code) VALUES ('x', 'x', 'x')"
WRITE_CUSTOMER = "INSERT INTO shop_customer (id, name) VALUES (1000, 'x')"


@pytest.fixture
def case(request: pytest.FixtureRequest, postgres_server: PostgresServer,
         django_sql: dict[str, dict[str, list[str]]]) -> Callable[[str], Case]:
    return lambda name: Case(postgres_server, name, django_sql[name])


def _statements(case: Case, *fragments: str) -> None:
    """The generated SQL is the statement the rule is about (guards against testing some other SQL)."""
    text = " ".join(case.statement)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


# DJM205 / DJM206 ---------------------------------------------------------------------------------------------


def test_create_index_takes_a_share_lock_that_blocks_writes_not_reads(case: Callable[[str], Case]) -> None:
    add_index = case("add_index")
    _statements(add_index, "CREATE INDEX", '"shop_order"')
    with add_index.open_transaction() as migration:
        assert add_index.locks(migration)["shop_order"] == SHARE
        assert add_index.waits(WRITE_ORDER)
        assert not add_index.waits(READ_ORDER)


def test_create_index_concurrently_is_refused_inside_a_transaction(case: Callable[[str], Case]) -> None:
    psycopg = pytest.importorskip("psycopg")
    concurrently = case("add_index_concurrently")
    _statements(concurrently, "CREATE INDEX CONCURRENTLY")
    with pytest.raises(psycopg.errors.ActiveSqlTransaction, match="cannot run inside a transaction block"):
        with concurrently.open_transaction():
            pass
    with concurrently.session() as outside_a_transaction:  # what `atomic = False` gives it
        for statement in concurrently.statement:
            outside_a_transaction.execute(statement)


# DJM207 / DJM208 ---------------------------------------------------------------------------------------------


def test_alter_column_type_rewrites_the_table_under_an_access_exclusive_lock(case: Callable[[str], Case]) -> None:
    alter = case("alter_column_type")
    _statements(alter, "ALTER COLUMN", "TYPE bigint")
    with alter.session() as before:
        filenode = alter.filenode(before, "shop_order")
    with alter.open_transaction() as migration:
        assert alter.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
        assert alter.filenode(migration, "shop_order") != filenode  # a new file: the table was rewritten
        assert alter.waits(READ_ORDER)


def test_set_not_null_scans_under_an_access_exclusive_lock(case: Callable[[str], Case]) -> None:
    psycopg = pytest.importorskip("psycopg")
    not_null = case("set_not_null")
    _statements(not_null, "SET NOT NULL")
    with not_null.open_transaction() as migration:
        assert not_null.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
        assert not_null.waits(READ_ORDER)
    with not_null.session() as session:  # it reads every row: one NULL anywhere and it fails
        session.execute("UPDATE shop_order SET amount = NULL WHERE id = 150")
    with pytest.raises(psycopg.errors.NotNullViolation):
        with not_null.open_transaction():
            pass


# DJM209 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("remove_index", "DROP INDEX IF EXISTS"),
        ("alter_field_drops_index", "DROP INDEX IF EXISTS"),
        ("remove_unique_constraint", "DROP CONSTRAINT"),
        ("alter_field_drops_unique", "DROP CONSTRAINT"),
        ("remove_unique_together", "DROP CONSTRAINT"),
        ("remove_index_together", "DROP INDEX IF EXISTS"),
    ],
)
def test_dropping_an_index_takes_an_access_exclusive_lock(case: Callable[[str], Case], name: str,
                                                          fragment: str) -> None:
    drop = case(name)
    _statements(drop, fragment)
    assert "CONCURRENTLY" not in " ".join(drop.statement)
    with drop.open_transaction() as migration:
        assert drop.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
        assert drop.waits(READ_ORDER)


def _queues_readers(case: Case) -> bool:
    """While a long transaction reads the table, run the drop: does a new reader then wait behind the drop?
    (The drop itself is instant once it has its lock; the outage is the queue it forms while waiting for it.)"""
    with case.session() as long_reader:
        long_reader.execute("BEGIN")
        long_reader.execute(READ_ORDER)
        with case.session() as migration:
            pid = migration.info.backend_pid
            worker = threading.Thread(target=lambda: [migration.execute(s) for s in case.statement], daemon=True)
            worker.start()
            with case.session() as observer:
                deadline = time.monotonic() + 10
                while not observer.execute(
                    "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)
                ).fetchone()[0]:
                    assert time.monotonic() < deadline, "the drop never waited for the long reader"
                    time.sleep(0.02)
            queued = case.waits(READ_ORDER)
            long_reader.execute("COMMIT")
            worker.join(timeout=30)
            assert not worker.is_alive()
    return queued


def test_a_waiting_drop_index_stalls_every_reader_but_drop_index_concurrently_does_not(
    case: Callable[[str], Case],
) -> None:
    assert _queues_readers(case("remove_index"))
    concurrently = case("remove_index_concurrently")
    _statements(concurrently, "DROP INDEX CONCURRENTLY")
    assert not _queues_readers(concurrently)


# DJM210 ------------------------------------------------------------------------------------------------------


def test_adding_a_foreign_key_field_with_a_default_checks_every_row_under_locks_on_both_tables(
    case: Callable[[str], Case],
) -> None:
    add_field = case("add_foreign_key_field")
    _statements(add_field, "ADD COLUMN", "DEFAULT", 'REFERENCES "shop_customer"')
    assert "NOT VALID" not in " ".join(add_field.statement)
    add_column = add_field.statement[:1]  # then come the index (DJM205's) and dropping the default
    _statements(add_field, 'ADD COLUMN "buyer_id" integer DEFAULT 1 NOT NULL CONSTRAINT')
    with add_field.open_transaction(add_column) as migration:
        locks = add_field.locks(migration)
        assert locks == {"shop_order": ACCESS_EXCLUSIVE, "shop_customer": SHARE_ROW_EXCLUSIVE}
        assert add_field.scans(migration, "shop_order") == 1
        assert add_field.waits(WRITE_CUSTOMER)


def test_a_nullable_foreign_key_field_without_a_default_checks_nothing(case: Callable[[str], Case]) -> None:
    """Why DJM210 leaves `AddField(ForeignKey(null=True))` alone: NULL everywhere, so PostgreSQL reads no row and
    its locks (the same ones) last an instant."""
    add_field = case("add_nullable_foreign_key_field")
    _statements(add_field, "ADD COLUMN", 'REFERENCES "shop_customer"')
    assert "DEFAULT" not in " ".join(add_field.statement)
    _statements(add_field, 'ADD COLUMN "buyer_id" integer NULL CONSTRAINT')
    with add_field.open_transaction(add_field.statement[:1]) as migration:
        assert add_field.scans(migration, "shop_order") == 0


def test_adding_a_foreign_key_validates_every_row_under_share_row_exclusive_locks(
    case: Callable[[str], Case],
) -> None:
    psycopg = pytest.importorskip("psycopg")
    constraint_on = case("turn_db_constraint_on")
    _statements(constraint_on, "ADD CONSTRAINT", "FOREIGN KEY")
    with constraint_on.open_transaction() as migration:
        locks = constraint_on.locks(migration)
        assert locks == {"shop_order": SHARE_ROW_EXCLUSIVE, "shop_customer": SHARE_ROW_EXCLUSIVE}
        assert constraint_on.scans(migration, "shop_order") == 1
        assert constraint_on.waits(WRITE_ORDER) and constraint_on.waits(WRITE_CUSTOMER)
    with constraint_on.session() as session:  # every existing row is checked: one dangling reference fails it
        session.execute("UPDATE shop_order SET customer_id = 999 WHERE id = 150")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        with constraint_on.open_transaction():
            pass


def test_a_foreign_key_added_not_valid_then_validated_never_blocks_writes_for_long(case: Callable[[str], Case]) -> None:
    steps = case("turn_db_constraint_on")
    add = [statement for statement in steps.statement if "FOREIGN KEY" in statement]
    assert len(add) == 1
    not_valid = [add[0].rstrip().rstrip(";") + " NOT VALID"]
    with steps.session() as session:
        session.execute("UPDATE shop_order SET customer_id = 999 WHERE id = 150")
    # Step 1 takes the same locks but checks no existing row (the dangling one is accepted): held for an instant.
    with steps.open_transaction(not_valid) as migration:
        assert steps.locks(migration) == {"shop_order": SHARE_ROW_EXCLUSIVE, "shop_customer": SHARE_ROW_EXCLUSIVE}
        assert steps.scans(migration, "shop_order") == 0
    with steps.session() as session:
        for statement in not_valid:
            session.execute(statement)
        session.execute("UPDATE shop_order SET customer_id = 1 WHERE id = 150")
        name = session.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'shop_order'::regclass"
        ).fetchone()[0]
    # Step 2 scans the table but lets reads and writes of both tables go on.
    with steps.open_transaction([f'ALTER TABLE "shop_order" VALIDATE CONSTRAINT "{name}"']) as migration:
        locks = steps.locks(migration)
        assert locks == {"shop_order": SHARE_UPDATE_EXCLUSIVE, "shop_customer": ROW_SHARE}
        assert not steps.waits(WRITE_ORDER) and not steps.waits(WRITE_CUSTOMER) and not steps.waits(READ_ORDER)


# DJM211 ------------------------------------------------------------------------------------------------------


def test_adding_a_check_constraint_scans_under_an_access_exclusive_lock(case: Callable[[str], Case]) -> None:
    psycopg = pytest.importorskip("psycopg")
    check = case("add_check_constraint")
    _statements(check, "ADD CONSTRAINT", "CHECK")
    with check.open_transaction() as migration:
        assert check.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
        assert check.scans(migration, "shop_order") == 1
        assert check.waits(READ_ORDER)
    with check.session() as session:
        session.execute("UPDATE shop_order SET amount = -1 WHERE id = 150")
    with pytest.raises(psycopg.errors.CheckViolation):
        with check.open_transaction():
            pass


def test_a_check_constraint_added_not_valid_then_validated_does_not_block(case: Callable[[str], Case]) -> None:
    check = case("add_check_constraint")
    not_valid = [check.statement[0].rstrip().rstrip(";") + " NOT VALID"]
    with check.session() as session:
        session.execute("UPDATE shop_order SET amount = -1 WHERE id = 150")
    with check.open_transaction(not_valid) as migration:  # no row is checked: the violating one is accepted
        assert check.scans(migration, "shop_order") == 0
    with check.session() as session:
        session.execute(not_valid[0])
        session.execute("UPDATE shop_order SET amount = 1 WHERE id = 150")
    validate = ['ALTER TABLE "shop_order" VALIDATE CONSTRAINT "order_amount_gte_0"']
    with check.open_transaction(validate) as migration:
        assert check.locks(migration)["shop_order"] == SHARE_UPDATE_EXCLUSIVE
        assert not check.waits(WRITE_ORDER) and not check.waits(READ_ORDER)


# DJM213 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table", "fragment"),
    [
        ("add_stored_generated_field", "shop_order", "GENERATED ALWAYS AS"),
        ("add_volatile_db_default", "shop_order", "GEN_RANDOM_UUID()"),
        ("add_auto_increment_column", "shop_tag", "GENERATED BY DEFAULT AS IDENTITY"),
    ],
)
def test_these_columns_rewrite_the_table_under_an_access_exclusive_lock(
    case: Callable[[str], Case], name: str, table: str, fragment: str,
) -> None:
    rewrite = case(name)
    _statements(rewrite, "ADD COLUMN", fragment)
    with rewrite.session() as session:
        if table == "shop_tag":
            session.execute("INSERT INTO shop_tag (name) SELECT 't' || i FROM generate_series(1, 50) i")
        filenode = rewrite.filenode(session, table)
    with rewrite.open_transaction() as migration:
        assert rewrite.locks(migration)[table] == ACCESS_EXCLUSIVE
        assert rewrite.filenode(migration, table) != filenode


def test_a_stable_db_default_rewrites_nothing(case: Callable[[str], Case]) -> None:
    stable = case("add_stable_db_default")
    _statements(stable, "ADD COLUMN", "STATEMENT_TIMESTAMP()")
    with stable.session() as session:
        filenode = stable.filenode(session, "shop_order")
    with stable.open_transaction() as migration:
        assert stable.filenode(migration, "shop_order") == filenode  # the default is stored once, in the catalog


def test_an_exclusion_constraint_builds_its_index_under_an_access_exclusive_lock(case: Callable[[str], Case]) -> None:
    exclusion = case("add_exclusion_constraint")
    _statements(exclusion, "ADD CONSTRAINT", "EXCLUDE USING GIST")
    with exclusion.session() as session:
        session.execute(
            "INSERT INTO shop_booking (period) SELECT tstzrange(now() + i * interval '1 day',"
            " now() + (i + 1) * interval '1 day') FROM generate_series(1, 100) i"
        )
    with exclusion.open_transaction() as migration:
        assert exclusion.locks(migration)["shop_booking"] == ACCESS_EXCLUSIVE
        assert exclusion.waits("SELECT count(*) FROM shop_booking")


# DJM905 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table", "fragment"),
    [
        ("remove_field", "shop_order", "DROP COLUMN"),
        ("rename_field", "shop_order", "RENAME COLUMN"),
        ("add_nullable_field", "shop_order", "ADD COLUMN"),
        ("delete_model", "shop_tag", "DROP TABLE"),
    ],
)
def test_drops_renames_and_new_columns_take_an_access_exclusive_lock(
    case: Callable[[str], Case], name: str, table: str, fragment: str,
) -> None:
    change = case(name)
    _statements(change, fragment)
    with change.open_transaction() as migration:
        assert change.locks(migration)[table] == ACCESS_EXCLUSIVE
        assert change.waits(f"SELECT count(*) FROM {table}")


def test_a_lock_timeout_makes_a_waiting_drop_give_up_instead_of_stalling_every_reader(
    case: Callable[[str], Case],
) -> None:
    psycopg = pytest.importorskip("psycopg")
    drop = case("remove_field")
    with drop.session() as long_reader:
        long_reader.execute("BEGIN")
        long_reader.execute(READ_ORDER)
        with drop.session() as migration:
            migration.execute("BEGIN")
            migration.execute("SET LOCAL lock_timeout = '200ms'")  # what the rule asks for, first in the migration
            started = time.monotonic()
            with pytest.raises(psycopg.errors.LockNotAvailable):
                for statement in drop.statement:
                    migration.execute(statement)
            assert time.monotonic() - started < 5
            migration.execute("ROLLBACK")
        assert not drop.waits(READ_ORDER)  # the queue is gone with the drop that gave up
        long_reader.execute("COMMIT")
    assert _queues_readers(case("remove_field"))  # without the timeout, the waiting drop stalls every reader


# Issue 23: what Django's schema editor leaves alone, or only renames ------------------------------------------


def test_a_database_default_set_in_the_same_atomic_migration_lets_old_code_insert(case: Callable[[str], Case]) -> None:
    """DJM201 skips a NOT NULL column that a `RunSQL` of the same atomic migration gives a database default: Django's
    `AddField` drops the default it added with the column, so alone it makes old code's inserts fail; with the
    `SET DEFAULT` after it, nothing can insert in between (ACCESS EXCLUSIVE until the migration commits), and old
    code's inserts, which do not name the column, get the default."""
    psycopg = pytest.importorskip("psycopg")
    steps = case("add_field_then_set_default")
    _statements(steps, 'ADD COLUMN "paid" boolean DEFAULT false NOT NULL', "DROP DEFAULT", "SET DEFAULT false")
    add_field = [statement for statement in steps.statement if "SET DEFAULT" not in statement]
    with pytest.raises(psycopg.errors.NotNullViolation):
        with steps.open_transaction(add_field) as migration:
            migration.execute(WRITE_ORDER)
    with steps.open_transaction() as migration:
        assert steps.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
        assert steps.waits(WRITE_ORDER)
        migration.execute(WRITE_ORDER)
        assert migration.execute("SELECT paid FROM shop_order WHERE number = 'x'").fetchone()[0] is False


def test_a_null_boolean_field_is_a_nullable_column(case: Callable[[str], Case]) -> None:
    """DJM201 skips `NullBooleanField`: Django makes its column nullable whatever is written."""
    null_boolean = case("add_null_boolean_field")
    _statements(null_boolean, 'ADD COLUMN "gift" boolean NULL')
    with null_boolean.open_transaction() as migration:
        migration.execute(WRITE_ORDER)  # old code, which does not know the column


@pytest.mark.parametrize(
    "name",
    [
        "remove_many_to_many_field_with_through",  # DJM202: the through model's table stays
        "delete_proxy_model",  # DJM203
        "delete_unmanaged_model",
        "rename_model_with_db_table",  # DJM204
        "alter_model_table_to_its_name",
        "rename_field_with_db_column",
        "rename_many_to_many_field_with_through",
        "rename_many_to_many_field_with_db_table",
        "rename_proxy_model",
        "restate_unique_together",  # DJM205
    ],
)
def test_operations_that_change_nothing_in_the_database(django_sql: dict[str, dict[str, list[str]]],
                                                        name: str) -> None:
    assert django_sql[name]["statement"] == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        # AlterModelOptions without `managed` takes it out of Django's state: the model is managed again.
        ("delete_model_managed_again", 'DROP TABLE "shop_ledger"'),
        # db_table keeps the table's name, but the join table's column is named after the model.
        ("rename_model_with_db_table_and_join_table", 'RENAME COLUMN "client_id" TO "buyer_id"'),
        ("rename_many_to_many_field", 'ALTER TABLE "shop_order_tags" RENAME TO "shop_order_labels"'),
        # DJM202: a many-to-many field without `through` drops its join table, not a column of `shop_order`.
        ("remove_many_to_many_field", 'DROP TABLE "shop_order_tags"'),
        ("remove_many_to_many_field_with_db_table", 'DROP TABLE "topics"'),
    ],
)
def test_operations_that_still_drop_or_rename(django_sql: dict[str, dict[str, list[str]]], name: str,
                                              fragment: str) -> None:
    assert fragment in " ".join(django_sql[name]["statement"])


def test_a_field_renamed_in_unique_together_keeps_its_constraint(django_sql: dict[str, dict[str, list[str]]]) -> None:
    """RenameField renames the field in Django's `unique_together` too: restating the entry under its new name
    builds nothing (DJM205 follows the rename)."""
    statements = django_sql["rename_field_in_unique_together"]["statement"]
    assert statements == ['ALTER TABLE "shop_order" RENAME COLUMN "number" TO "label";']


def test_a_field_that_becomes_a_foreign_key_of_its_type_is_renamed_not_rewritten(case: Callable[[str], Case]) -> None:
    """DJM207 skips `UUIDField` -> `ForeignKey` to a model keyed by a UUID: the column keeps its type, no rewrite;
    Django renames it `voucher_id` under an ACCESS EXCLUSIVE lock, and old code selecting `voucher` fails (DJM204)."""
    psycopg = pytest.importorskip("psycopg")
    change = case("field_becomes_foreign_key")
    _statements(change, 'RENAME COLUMN "voucher" TO "voucher_id"')
    assert " TYPE " not in " ".join(change.statement)
    with change.session() as before:
        filenode = change.filenode(before, "shop_order")
    with change.open_transaction() as migration:
        assert change.filenode(migration, "shop_order") == filenode
        assert change.locks(migration)["shop_order"] == ACCESS_EXCLUSIVE
    with pytest.raises(psycopg.errors.UndefinedColumn):
        with change.open_transaction() as migration:
            migration.execute("SELECT voucher FROM shop_order")


def test_a_field_that_becomes_a_foreign_key_of_another_type_is_rewritten(case: Callable[[str], Case]) -> None:
    """`IntegerField` -> `ForeignKey` to a `BigAutoField` key: the column is renamed and becomes `bigint` (DJM207)."""
    change = case("field_becomes_foreign_key_of_another_type")
    _statements(change, 'RENAME COLUMN "ticket" TO "ticket_id"', "TYPE bigint")
    with change.session() as before:
        filenode = change.filenode(before, "shop_order")
    with change.open_transaction() as migration:
        assert change.filenode(migration, "shop_order") != filenode


# DJM906 ------------------------------------------------------------------------------------------------------


def test_a_whole_table_update_locks_every_row_until_the_migration_commits(case: Callable[[str], Case]) -> None:
    table = case("add_index")  # any case: only its tables and rows are used
    with table.open_transaction(["UPDATE shop_order SET amount = amount + 1"]):
        assert table.waits("UPDATE shop_order SET amount = 0 WHERE id = 150")
        assert table.waits("DELETE FROM shop_order WHERE id = 7")
        assert not table.waits(READ_ORDER)
    with table.open_transaction(["UPDATE shop_order SET amount = amount + 1 WHERE id <= 50"]):  # one batch
        assert not table.waits("UPDATE shop_order SET amount = 0 WHERE id = 150")


# DJM907 ------------------------------------------------------------------------------------------------------


def test_an_auto_field_key_is_32_bit_and_runs_out_at_2147483647(case: Callable[[str], Case]) -> None:
    psycopg = pytest.importorskip("psycopg")
    table = case("add_index")  # shop_customer's key is the AutoField Django's CreateModel made
    with table.session() as session:
        column_type = session.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = %s AND table_name ="
            " 'shop_customer' AND column_name = 'id'", (table.schema,),
        ).fetchone()[0]
        assert column_type == "integer"
        session.execute("SELECT setval(pg_get_serial_sequence('shop_customer', 'id'), 2147483646)")
        session.execute("INSERT INTO shop_customer (name) VALUES ('last')")  # id 2147483647
        with pytest.raises(psycopg.errors.SequenceGeneratorLimitExceeded):
            session.execute("INSERT INTO shop_customer (name) VALUES ('one too many')")


def test_the_index_of_a_unique_constraint_has_no_concurrent_drop(postgres_server: PostgresServer) -> None:
    """DJM209's doc: a `UniqueConstraint` (or `unique=True`) is backed by an index that only `ALTER TABLE ... DROP
    CONSTRAINT` removes, under ACCESS EXCLUSIVE; `DROP INDEX CONCURRENTLY` refuses it, so a short `lock_timeout`
    and a retry is the only way to keep readers from queuing."""
    psycopg = pytest.importorskip("psycopg")
    connection = postgres_server.connect(autocommit=True)
    try:
        connection.execute("DROP SCHEMA IF EXISTS case_unique_index CASCADE")
        connection.execute("CREATE SCHEMA case_unique_index")
        connection.execute("SET search_path TO case_unique_index")
        connection.execute("CREATE TABLE shop_order (id integer PRIMARY KEY, number text)")
        connection.execute("ALTER TABLE shop_order ADD CONSTRAINT shop_order_number_uniq UNIQUE (number)")
        index = connection.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'shop_order'::regclass"
            " AND NOT indisprimary"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.DependentObjectsStillExist, match="constraint shop_order_number_uniq"):
            connection.execute(f"DROP INDEX CONCURRENTLY {index}")
        connection.execute("ALTER TABLE shop_order DROP CONSTRAINT shop_order_number_uniq")  # what does drop it
        assert connection.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'shop_order'::regclass"
                                  " AND NOT indisprimary").fetchone()[0] == 0
    finally:
        connection.close()

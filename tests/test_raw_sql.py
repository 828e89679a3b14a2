"""Raw SQL read with PostgreSQL's own parser: the statement records of ``facts.sql``, the SQL-only rules DJM214-DJM217
end to end, and the PostgreSQL behaviour they claim, shown on a real server.

The rules' fixtures (``tests/fixtures/DJM21x_sql*.py``) run in ``test_rules.py`` and ``test_flake8_e2e.py``; they need
the ``[sql]`` extra (pglast), which the ``test`` extra installs.
"""

from __future__ import annotations

import ast
import pickle
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.facts import Ref, extract_facts
from flake8_django_migrations.facts import sql as sql_facts
from flake8_django_migrations.facts.sql import (
    SQL_NOT_ANALYSED,
    SqlStatement,
    changes_rows_by_keywords,
    parse_sql,
    quote_statement,
    run_sql_statements,
    sql_parser_available,
)
from flake8_django_migrations.registry import check_facts
from flake8_django_migrations.rules.raw_sql import sql_steps
from flake8_django_migrations.settings import Settings
from tests.flake8_runner import run_flake8
from tests.postgres_server import PostgresServer, postgres_server

__all__ = ["postgres_server"]  # the session fixture, used below

needs_parser = pytest.mark.skipif(
    not sql_parser_available(), reason="pglast is not installed (pip install -e '.[sql]'): RunSQL is not analysed"
)


def _kinds(sql: str) -> list[tuple[str, str | None, str | None]]:
    parsed = parse_sql(sql)
    assert parsed is not None, sql
    return [(s.kind, s.table, s.column) for s in parsed]


# Statement records ---------------------------------------------------------------------------------------------


@needs_parser
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ALTER TABLE shop_order DROP COLUMN sku", [("drop_column", "shop_order", "sku")]),
        ('ALTER TABLE "Shop" RENAME COLUMN Name TO full_name', [("rename", "Shop", "name")]),
        ("ALTER TABLE shop_order ALTER COLUMN amount TYPE bigint", [("alter_column_type", "shop_order", "amount")]),
        ("ALTER TABLE shop_order ALTER amount SET NOT NULL", [("set_not_null", "shop_order", "amount")]),
        ("DROP TABLE IF EXISTS a, public.b", [("drop_table", "a", None), ("drop_table", "b", None)]),
        ("CREATE UNIQUE INDEX i ON shop_order (code)", [("create_index", "shop_order", None)]),
        ("ALTER TABLE t ADD CONSTRAINT u UNIQUE (code)", [("create_index", "t", None)]),
        ("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i", []),
        ("TRUNCATE a", [("truncate", "a", None)]),
        ("INSERT INTO a VALUES (1)", [("dml_insert", "a", None)]),
        ("WITH gone AS (DELETE FROM a RETURNING *) SELECT count(*) FROM gone", [("dml_delete", "a", None)]),
        ("SELECT 'UPDATE a' /* DELETE */", [("other", None, None)]),
        ("DO $$ BEGIN UPDATE a SET x = 1; END $$", [("other", None, None)]),  # a block: not looked into
    ],
)
def test_statements_are_what_postgresql_parses(sql: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert _kinds(sql) == expected


@needs_parser
def test_alter_table_gives_one_record_per_subcommand_with_its_details() -> None:
    parsed = parse_sql(
        "ALTER TABLE shop_order ADD COLUMN region varchar(10) NOT NULL,"
        " ADD COLUMN buyer_id int DEFAULT 1 REFERENCES shop_customer (id),"
        " ADD COLUMN n bigserial,"
        " ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID,"
        " ADD CONSTRAINT buyer_fk FOREIGN KEY (buyer_id) REFERENCES shop_customer (id)"
    )
    assert parsed is not None
    region, buyer, buyer_fk_inline, serial, check, foreign_key = parsed
    assert (region.kind, region.column, region.not_null, region.has_default) == ("add_column", "region", True, False)
    assert (buyer.kind, buyer.has_default) == ("add_column", True)
    assert (buyer_fk_inline.kind, buyer_fk_inline.new_column, buyer_fk_inline.has_default) == (
        "add_foreign_key", True, True,
    )
    assert (serial.column, serial.has_default) == ("n", True)  # a serial column fills existing rows
    assert (check.kind, check.name, check.not_valid) == ("add_check", "amount_positive", True)
    assert (foreign_key.kind, foreign_key.name, foreign_key.not_valid, foreign_key.new_column) == (
        "add_foreign_key", "buyer_fk", False, False,
    )


@needs_parser
def test_indexes_enum_values_transactions_and_schemas() -> None:
    parsed = parse_sql(
        "CREATE INDEX CONCURRENTLY i ON t (a); DROP INDEX s.j; ALTER TYPE s.mood ADD VALUE 'x' AFTER 'y';"
        " COMMIT; DROP SCHEMA reporting CASCADE"
    )
    assert parsed is not None
    create, drop, enum, commit, schema = parsed
    assert (create.kind, create.name, create.concurrently) == ("create_index", "i", True)
    assert (drop.kind, drop.schema, drop.name, drop.concurrently) == ("drop_index", "s", "j", False)
    assert (enum.kind, enum.schema, enum.name, enum.value) == ("alter_type_add_value", "s", "mood", "x")
    assert (commit.kind, commit.name) == ("transaction_control", "COMMIT")
    assert (schema.kind, schema.name) == ("drop_schema", "reporting")


@needs_parser
def test_positions_are_characters_of_the_written_sql_even_after_non_ascii_text() -> None:
    sql = "-- créé\nUPDATE t SET a = 'é';\n  DROP TABLE t"
    parsed = parse_sql(sql)
    assert parsed is not None
    update, drop = parsed
    assert sql[update.offset:].startswith("UPDATE") and update.text == "UPDATE t SET a = 'é'"
    assert sql[drop.offset:].startswith("DROP TABLE t") and drop.text == "DROP TABLE t"


@needs_parser
def test_lists_pairs_noop_and_unknown_parts() -> None:
    value = (
        "ALTER TABLE a DROP COLUMN b",
        ("DELETE FROM a WHERE c = %s AND d LIKE 'x%%' AND e = %(name)s", ("x", 1)),
        "this is not sql",
        Ref("some_module.STATEMENTS"),
    )
    statements, complete = run_sql_statements(value)
    assert [(s.kind, s.entry) for s in statements] == [("drop_column", 0), ("dml_delete", 1)]
    assert statements[1].text.startswith("DELETE FROM a WHERE c = %s")  # quoted as written, placeholders and all
    assert not complete  # the third and fourth parts are unknown: no statement is guessed from them
    assert run_sql_statements(Ref("django.db.migrations.RunSQL.noop")) == ((), True)
    assert run_sql_statements(None) == ((), True)
    # Without parameters psycopg leaves `%` alone, and neither does PostgreSQL accept `%s`.
    assert run_sql_statements(("SELECT %s", None)) == ((), False)


@needs_parser
def test_records_are_plain_picklable_data() -> None:
    parsed = parse_sql("ALTER TABLE t ADD COLUMN a int NOT NULL")
    assert parsed is not None
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    assert all(isinstance(s, SqlStatement) for s in parsed)


def test_quoting_drops_leading_comments_and_shortens() -> None:
    assert quote_statement("/* why */ -- what\n  ALTER   TABLE a\n DROP COLUMN b;") == "ALTER TABLE a DROP COLUMN b"
    long = quote_statement("UPDATE t SET a = " + "1 + " * 40 + "1")
    assert len(long) <= 80 and long.endswith("...")


def test_without_the_parser_nothing_is_analysed_and_that_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_facts, "_parser", lambda: None)
    parse_sql.cache_clear()
    try:
        assert not sql_parser_available()
        assert run_sql_statements("TRUNCATE shop_cart_item") == ((), False)
        assert "[sql]" in SQL_NOT_ANALYSED
        facts = _facts('migrations.RunSQL("TRUNCATE shop_cart_item")')
        assert [f.code for f in check_facts(facts, Settings()) if f.code.startswith("DJM21")] == []
        # The keyword scanner still answers the one question asked of any database's SQL (DJM104).
        assert changes_rows_by_keywords("-- x\nupdate t set a = 1")
    finally:
        parse_sql.cache_clear()


def test_the_parser_is_not_imported_by_linting_a_migration_without_run_sql() -> None:
    import subprocess
    import sys

    code = textwrap.dedent(
        """
        import ast, sys
        from flake8_django_migrations.facts import extract_facts
        from flake8_django_migrations.registry import check_facts
        from flake8_django_migrations.settings import Settings
        source = "from django.db import migrations\\nclass Migration(migrations.Migration):\\n"
        source += "    operations = [migrations.RemoveField('a', 'b')]\\n"
        facts = extract_facts(ast.parse(source), '/x/shop/migrations/0002_x.py')
        list(check_facts(facts, Settings()))
        print('pglast' in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# What the rules see --------------------------------------------------------------------------------------------


def _facts(*operations: str, atomic: bool = True) -> Any:
    source = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    source += f"    atomic = {atomic}\n    operations = [\n"
    source += "".join(f"        {operation},\n" for operation in operations) + "    ]\n"
    facts = extract_facts(ast.parse(source), "/project/shop/migrations/0002_x.py")
    assert facts is not None
    return facts


@needs_parser
def test_steps_know_what_the_migration_created_before_them() -> None:
    facts = _facts(
        'migrations.RunSQL("DROP TABLE shop_invoice")',
        'migrations.CreateModel("Invoice", fields=[("id", models.AutoField(primary_key=True))])',
        'migrations.CreateModel("Refund", fields=[], options={"db_table": "refunds"})',
        'migrations.AddField("order", "region", models.TextField(null=True))',
        'migrations.RunSQL(["DROP TABLE shop_invoice", "TRUNCATE refunds", "ALTER TABLE shop_order DROP region"])',
        'migrations.RunSQL("CREATE TABLE t (a int); ALTER TABLE t ADD b int; ALTER TABLE t DROP b; DROP TABLE u")',
        'migrations.RunSQL(migrations.RunSQL.noop, "CREATE TABLE u (a int)")',
        'migrations.RunSQL("TRUNCATE u")',
    )
    steps = [
        (s.position, s.statement.kind, s.statement.table, s.new_table, s.added_here)
        for s in sql_steps(facts, Settings())
    ]
    assert steps == [
        (0, "drop_table", "shop_invoice", False, False),  # before its CreateModel: the table existed
        (4, "drop_table", "shop_invoice", True, False),
        (4, "truncate", "refunds", True, False),  # db_table
        (4, "drop_column", "shop_order", False, True),  # AddField above
        (5, "create_table", "t", False, False),
        (5, "add_column", "t", True, False),
        (5, "drop_column", "t", True, True),
        (5, "drop_table", "u", False, False),
        (7, "truncate", "u", False, False),  # what a reverse_sql creates does not exist going forward
    ]


@needs_parser
def test_state_operations_beside_the_sql_do_not_double_a_finding() -> None:
    facts = _facts(
        'migrations.RunSQL("DROP SCHEMA reporting CASCADE",'
        ' state_operations=[migrations.RunSQL("DROP SCHEMA reporting CASCADE")])',
    )
    assert [f.code for f in check_facts(facts, Settings()) if f.code.startswith("DJM21")] == ["DJM217"]


# End to end --------------------------------------------------------------------------------------------------


@needs_parser
def test_flake8_reports_sql_findings_at_the_run_sql_with_the_statement(tmp_path: Path) -> None:
    folder = tmp_path / "shop" / "migrations"
    folder.mkdir(parents=True)
    (folder / "__init__.py").touch()
    (folder / "0002_cleanup.py").write_text(
        textwrap.dedent(
            """\
            from django.db import migrations


            class Migration(migrations.Migration):
                operations = [
                    migrations.RunSQL(
                        "UPDATE shop_cart SET state = 'x'; TRUNCATE shop_cart_item",
                    ),
                    migrations.RunSQL("COMMIT"),
                    migrations.RunSQL("TRUNCATE shop_session"),  # noqa: DJM216 sessions are disposable
                ]
            """
        ),
        encoding="utf-8",
    )
    result = run_flake8("--isolated", "--select", "DJM21", "--djm-no-cache", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "./shop/migrations/0002_cleanup.py:6:9: DJM216 `TRUNCATE shop_cart_item` deletes every row of"
        " `shop_cart_item` under an ACCESS EXCLUSIVE lock that stalls every query on it; delete the rows you mean"
        " with `DELETE ... WHERE`, in batches; if the table is really disposable, say so with `# noqa: DJM216`",
        "./shop/migrations/0002_cleanup.py:9:9: DJM215 `RunSQL` runs `COMMIT` inside the transaction Django runs"
        " this atomic migration in; remove it: the migration is already one transaction; for SQL that must run"
        " outside one, set `atomic = False` on the migration",
    ], result.stderr


# Truth against PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def schema(postgres_server: PostgresServer) -> Iterator[str]:
    """A schema of its own with a table of rows, dropped afterwards."""
    name = "raw_sql_truth"
    with postgres_server.connect() as setup:
        setup.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        setup.execute(f"CREATE SCHEMA {name}")
        setup.execute(f"CREATE TYPE {name}.mood AS ENUM ('sad', 'happy')")
        setup.execute(f"CREATE TABLE {name}.person (id int PRIMARY KEY, mood {name}.mood)")
        setup.execute(f"INSERT INTO {name}.person SELECT i, 'sad' FROM generate_series(1, 100) i")
    yield name
    with postgres_server.connect() as teardown:
        teardown.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _lock_held(server: PostgresServer, holder: Any, table: str) -> str | None:
    with server.connect() as observer:
        row = observer.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND granted AND relation = %s::regclass"
            " ORDER BY mode = 'AccessExclusiveLock' DESC LIMIT 1",
            (holder.info.backend_pid, table),
        ).fetchone()
    return row[0] if row else None


def _reader_waits(server: PostgresServer, table: str) -> bool:
    psycopg = pytest.importorskip("psycopg")
    with server.connect() as reader:
        reader.execute("SET lock_timeout = '300ms'")
        try:
            reader.execute(f"SELECT count(*) FROM {table}")
        except psycopg.errors.LockNotAvailable:
            return True
    return False


def test_a_new_enum_value_cannot_be_used_in_the_transaction_that_added_it(
    postgres_server: PostgresServer, schema: str,
) -> None:
    psycopg = pytest.importorskip("psycopg")
    with postgres_server.connect(autocommit=False) as migration:  # what Django's atomic migration gives
        migration.execute(f"ALTER TYPE {schema}.mood ADD VALUE 'ecstatic'")  # accepted in a transaction
        with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage, match="unsafe use of new value"):
            migration.execute(f"UPDATE {schema}.person SET mood = 'ecstatic' WHERE id = 1")
        migration.rollback()
    with postgres_server.connect() as non_atomic:  # atomic = False: each statement commits first
        non_atomic.execute(f"ALTER TYPE {schema}.mood ADD VALUE 'ecstatic'")
        non_atomic.execute(f"UPDATE {schema}.person SET mood = 'ecstatic' WHERE id = 1")


def test_commit_in_run_sql_ends_the_migrations_transaction_half_way(
    postgres_server: PostgresServer, schema: str,
) -> None:
    psycopg = pytest.importorskip("psycopg")
    with postgres_server.connect(autocommit=False) as migration:
        migration.execute(f"UPDATE {schema}.person SET mood = 'happy' WHERE id <= 10")  # an earlier operation
        notices: list[str] = []
        migration.add_notice_handler(lambda notice: notices.append(notice.message_primary))
        migration.execute("BEGIN")  # inside a transaction, only a warning...
        assert notices == ["there is already a transaction in progress"]
        migration.execute("COMMIT")  # ...so the COMMIT written to close it ends Django's transaction
        with pytest.raises(psycopg.errors.DivisionByZero):
            migration.execute("SELECT 1 / 0")  # a later operation fails: Django rolls the migration back...
        migration.rollback()
    with postgres_server.connect() as observer:  # ...but what ran before the COMMIT stayed
        happy = observer.execute(f"SELECT count(*) FROM {schema}.person WHERE mood = 'happy'").fetchone()[0]
    assert happy == 10


def test_truncate_takes_an_access_exclusive_lock_that_stalls_readers(
    postgres_server: PostgresServer, schema: str,
) -> None:
    table = f"{schema}.person"
    with postgres_server.connect(autocommit=False) as migration:
        migration.execute(f"TRUNCATE {table}")
        assert _lock_held(postgres_server, migration, table) == "AccessExclusiveLock"
        assert _reader_waits(postgres_server, table)
        migration.rollback()
    with postgres_server.connect(autocommit=False) as batched:  # the DELETE the hint gives: row locks only
        batched.execute(f"DELETE FROM {table} WHERE id <= 10")
        assert _lock_held(postgres_server, batched, table) == "RowExclusiveLock"
        assert not _reader_waits(postgres_server, table)
        batched.rollback()


def test_drop_schema_cascade_drops_its_tables_under_access_exclusive_locks(
    postgres_server: PostgresServer, schema: str,
) -> None:
    psycopg = pytest.importorskip("psycopg")
    table = f"{schema}.person"
    with postgres_server.connect(autocommit=False) as migration:
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            migration.execute(f"DROP SCHEMA {schema}")  # without CASCADE it refuses while it holds anything
        migration.rollback()
        migration.execute(f"DROP SCHEMA {schema} CASCADE")
        with postgres_server.connect() as observer:
            modes = observer.execute(
                "SELECT l.mode FROM pg_locks l WHERE l.pid = %s AND l.granted AND l.locktype = 'relation'"
                " AND l.relation = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = 'person')",
                (migration.info.backend_pid, schema),
            ).fetchall()
        assert ("AccessExclusiveLock",) in modes
        assert _reader_waits(postgres_server, table)
        migration.commit()
    with postgres_server.connect() as after:
        with pytest.raises(psycopg.errors.UndefinedTable):  # running code's next query
            after.execute(f"SELECT count(*) FROM {table}")


def test_the_command_says_once_when_runsql_was_not_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the `[sql]` extra, a project with RunSQL hears it once per project and cache (the first run; later
    ones with -v, and every run without a cache), one without does not, nor one on SQLite, where no SQL rule
    applies."""
    from flake8_django_migrations import cli
    from flake8_django_migrations.facts import sql as sql_facts
    from tests.graph_trees import app, migration, tree, write_tree

    monkeypatch.setattr(sql_facts, "sql_parser_available", lambda: False)
    with_sql = migration(("shop", "0001_initial")).replace(
        "operations = []", 'operations = [migrations.RunSQL("DROP TABLE a", "SELECT 1"), migrations.RunSQL("SELECT 2")]'
    )
    assert "RunSQL" in with_sql
    write_tree(tmp_path / "sql", tree(app("shop", {"0001_initial": migration(), "0002_sql": with_sql,
                                                   "0003_sql": with_sql.replace("0001_initial", "0002_sql")})))
    write_tree(tmp_path / "plain", tree(app("shop", {"0001_initial": migration()})))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for folder, args, said in (
        ("sql", [], 1), ("sql", [], 0), ("sql", ["-v"], 1), ("sql", [], 0), ("sql", ["--djm-no-cache"], 1),
        ("sql", ["--djm-no-cache"], 1),
        ("plain", [], 0), ("sql", ["--djm-database", "sqlite"], 0),
    ):
        monkeypatch.chdir(tmp_path / folder)
        cli.main(["check", "--djm-settings", "none", *args, "."])
        assert capsys.readouterr().err.count("were not analysed") == said, (folder, args)

"""``--djm-applied SOURCE``: every kind of source read as written, and every source that cannot be read refused
with its reason (a usage error in both front ends), never a hang, a traceback or a silent clean run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.project.applied import parse_applied_text, read_applied, shown_url
from flake8_django_migrations.settings import SettingsError
from tests.graph_trees import app, migration, tree, write_tree

SHOWMIGRATIONS_LIST = (
    "orders\n"
    " [X] 0001_initial\n"
    " [ ] 0002_mapping\n"
    "shop\n"
    " \x1b[1m[X] 0001_squashed_0003_y (3 squashed migrations)\x1b[0m\n"
    " [-] 0004_squashed_0005_b (2 squashed migrations) Run 'manage.py migrate' to finish recording.\n"
    " [X] 0006_c (applied at 2026-01-02 03:04:05)\n"
    "users\n"
    " (no migrations)\n"
)
SHOWMIGRATIONS_PLAN = (
    "[X]  users.0001_initial\n"
    "[X]  orders.0001_initial ... (users.0001_initial)\n"
    "[ ]  orders.0002_mapping ... (orders.0001_initial)\n"
)


@pytest.mark.parametrize(("text", "rows", "via_replaces"), [
    pytest.param(
        "# exported by hand\nshop 0001_initial\nshop.0002_x\n\norders\t0001_initial\n",
        {("shop", "0001_initial"), ("shop", "0002_x"), ("orders", "0001_initial")}, set(), id="app-name-lines",
    ),
    pytest.param(
        "1|contenttypes|0001_initial|2024-01-01 00:00:00\n2|shop|0001_initial|2024-01-01 00:00:01\n",
        {("contenttypes", "0001_initial"), ("shop", "0001_initial")}, set(), id="sqlite3-shell-select-star",
    ),
    pytest.param(
        "   app   |     name\n---------+--------------\n shop    | 0001_initial\n orders  | 0001_initial\n(2 rows)\n",
        {("shop", "0001_initial"), ("orders", "0001_initial")}, set(), id="psql-table",
    ),
    pytest.param(
        "id,app,name,applied\n1,shop,0001_initial,2024-01-01 00:00:00+00\n2,shop,0002_x,2024-01-02\n",
        {("shop", "0001_initial"), ("shop", "0002_x")}, set(), id="csv-with-header",
    ),
    pytest.param(
        "name,app\n0001_initial,shop\n", {("shop", "0001_initial")}, set(), id="csv-columns-by-header",
    ),
    pytest.param(
        '1,shop,0001_initial,"2024-01-01 00:00:00+00"\n', {("shop", "0001_initial")}, set(), id="csv-copy",
    ),
    pytest.param(
        SHOWMIGRATIONS_LIST,
        {("orders", "0001_initial"), ("shop", "0001_squashed_0003_y"), ("shop", "0006_c")},
        {("shop", "0001_squashed_0003_y"), ("shop", "0004_squashed_0005_b")}, id="showmigrations-list",
    ),
    pytest.param(
        SHOWMIGRATIONS_PLAN, {("users", "0001_initial"), ("orders", "0001_initial")},
        {("users", "0001_initial"), ("orders", "0001_initial")}, id="showmigrations-plan",
    ),
])
def test_text_formats(text: str, rows: set[tuple[str, str]], via_replaces: set[tuple[str, str]]) -> None:
    assert parse_applied_text(text, "applied.txt") == (frozenset(rows), frozenset(via_replaces))


@pytest.mark.parametrize(("text", "says"), [
    pytest.param("", "is empty", id="empty"),
    pytest.param("# nothing\n\n", "is empty", id="only-comments"),
    pytest.param("shop 0001_initial\nthis is not a row\n", "line 2 is not `app name`", id="prose"),
    pytest.param("1shop 0001_initial\n", "line 1 is not a line naming an app label",
                 id="app-label"),
    pytest.param("shop\n [X] 0001_initial\n bogus\n", "line 3 is not a line of `showmigrations --list`",
                 id="list-garbage"),
    pytest.param("shop\n [-] 0001_initial\n", "[-] marks only a squash", id="list-dash-on-plain-migration"),
    pytest.param("[X]  shop.0001_initial\nshop 0002_x\n", "line 2 is not a line of `showmigrations --plan`",
                 id="plan-then-plain"),
    pytest.param("a,b,c,d,e\n", "is not a CSV row of `django_migrations`", id="csv-shape"),
    pytest.param("shop 0001\x1b]0;pwned\x07 x\n", "line 1 is not", id="control-characters"),
    # A file the configuration names may be anyone's secret: its lines are never echoed.
    pytest.param("machine github.com login me password ghp_SECRET\n", "line 1 is not", id="never-echoed"),
])
def test_a_text_that_is_no_history_is_refused(text: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        parse_applied_text(text, "applied.txt")
    assert says in str(refused.value)
    assert "\x1b" not in str(refused.value) and "\x07" not in str(refused.value)
    assert "SECRET" not in str(refused.value) and "pwned" not in str(refused.value)


def _sqlite(path: Path, rows: list[tuple[object, object]] | None) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE other (x)")
        if rows is not None:
            connection.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app, name, applied)")
            connection.executemany("INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, 'now')", rows)
    connection.close()
    return path


def test_an_sqlite_database_is_read_and_left_as_it_was(tmp_path: Path) -> None:
    database = _sqlite(tmp_path / "db.sqlite3", [("shop", "0001_initial"), ("shop", "0001_initial"), ("a", "b")])
    before = (database.read_bytes(), os.stat(database).st_mtime_ns, sorted(os.listdir(tmp_path)))
    read = read_applied(str(database))
    assert read.rows == {("shop", "0001_initial"), ("a", "b")} and read.source == str(database)
    assert (database.read_bytes(), os.stat(database).st_mtime_ns, sorted(os.listdir(tmp_path))) == before
    assert read_applied(f"sqlite:///{database}").rows == read.rows  # dj-database-url's spelling, absolute path


def test_a_database_in_wal_mode_gets_no_file_beside_it(tmp_path: Path) -> None:
    """A read-only connection to a WAL database would create its -wal and -shm files: it is read as immutable."""
    database = tmp_path / "wal.sqlite3"
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app, name, applied)")
    connection.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('shop', '0001_initial', 'now')")
    connection.commit()
    assert read_applied(str(database)).rows == {("shop", "0001_initial")}  # in use: through its WAL
    connection.close()
    before = (database.read_bytes(), sorted(os.listdir(tmp_path)))
    assert read_applied(str(database)).rows == {("shop", "0001_initial")}
    assert (database.read_bytes(), sorted(os.listdir(tmp_path))) == before == (before[0], ["wal.sqlite3"])


def test_an_sqlite_database_never_migrated_has_applied_nothing(tmp_path: Path) -> None:
    assert read_applied(str(_sqlite(tmp_path / "fresh.sqlite3", None))).rows == frozenset()


def test_rows_that_are_not_names_are_refused(tmp_path: Path) -> None:
    database = _sqlite(tmp_path / "odd.sqlite3", [("shop", 1)])
    with pytest.raises(SettingsError, match="a row of `django_migrations` is not two strings"):
        read_applied(str(database))


def test_the_database_url_is_shown_without_its_password() -> None:
    assert shown_url({"user": "app", "password": "x", "host": "db.internal", "port": "5433", "dbname": "shop"}) == (
        "postgresql://app@db.internal:5433/shop"
    )
    assert shown_url({"host": "/run/postgresql", "dbname": "shop"}) == "postgresql:///shop?host=%2Frun%2Fpostgresql"


@pytest.mark.parametrize(("source", "says"), [
    pytest.param("missing.txt", "missing.txt: no such file", id="missing"),
    pytest.param(".", "is a folder", id="folder"),
    pytest.param("mysql://u:pw@host/db", "'mysql' databases are not read here", id="mysql"),
    pytest.param("sqlite:///:memory:", "must name a database file", id="sqlite-memory"),
    pytest.param("env", "DATABASE_URL is not set", id="env-unset"),
    pytest.param("postgresql://u:s3cr3t pw@h:x/db", "malformed (the driver's message is withheld", id="malformed-url"),
])
def test_a_source_that_cannot_be_read_is_refused(
    source: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SettingsError) as refused:
        read_applied(source)
    assert says in str(refused.value) and "s3cr3t" not in str(refused.value)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "applied.fifo"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="is not a regular file"):
        read_applied(str(fifo))


def test_binary_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dump.bin").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SettingsError, match="neither an SQLite database nor UTF-8 text"):
        read_applied(str(tmp_path / "dump.bin"))


def test_postgresql_without_psycopg_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg.conninfo", None)
    with pytest.raises(SettingsError, match=r"needs psycopg 3: pip install 'django-migrations-lint\[postgres\]'"):
        read_applied("postgresql://u:pw@localhost/db")


# Both front ends -----------------------------------------------------------------------------------------------


def _project(root: Path) -> Path:
    return write_tree(root, tree(
        app("users", {
            "0001_initial": migration(initial=True),
            "0002_add_unique_id": migration(("users", "0001_initial")),
        }),
        app("orders", {"0001_initial": migration(("users", "0002_add_unique_id"), initial=True)}),
    ))


def test_the_command_refuses_an_unreadable_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(_project(tmp_path / "project"))
    for command in (["check", "."], ["plan"]):
        assert cli.main([*command, "--djm-applied", "nothere.txt", "--djm-settings", "none"]) == 2
        printed = capsys.readouterr()
        assert "djm-applied: nothere.txt: no such file" in printed.err and printed.out == ""
    assert cli.main(["plan", "--djm-settings", "none"]) == 2
    assert "plan needs --djm-applied SOURCE" in capsys.readouterr().err


def test_plan_refuses_an_app_or_migration_migrate_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "project")
    (root / "applied.txt").write_text("users.0001_initial\n")
    monkeypatch.chdir(root)
    assert cli.main(["plan", "nothere", "--djm-applied", "applied.txt", "--djm-settings", "none"]) == 2
    assert "plan: No installed app with label 'nothere'." in capsys.readouterr().err
    assert cli.main(["plan", "users", "0009", "--djm-applied", "applied.txt", "--djm-settings", "none"]) == 2
    assert "Cannot find a migration matching '0009' from app 'users'." in capsys.readouterr().err


def test_names_from_the_source_are_escaped_in_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "project")
    database = _sqlite(tmp_path / "db.sqlite3", [("users", "0001_initial"), ("evil", "0001_\x1b[2J\u202e")])
    monkeypatch.chdir(root)
    assert cli.main(["plan", "--djm-applied", str(database), "--djm-settings", "none", "--djm-no-cache"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "not in this plan: the migrations of evil" in out


def _flake8(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM5", *args, "."],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )


def test_flake8_reads_the_source_once_and_reports_as_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "project")
    (root / "applied.txt").write_text("users.0001_initial\norders.0001_initial\n")
    expected = (
        "./orders/migrations/0001_initial.py:7:21: DJM504 `orders.0001_initial` is recorded as applied in"
        " `applied.txt`, but its dependency `users.0002_add_unique_id` is not: `migrate` refuses to run there"
        " (`InconsistentMigrationHistory`); `django-migrations-lint plan` prints the rows to add or delete and which"
        " is safe; if the dependency was added after `orders.0001_initial` was applied, move it to a new migration"
        " instead"
    )
    for jobs in ("1", "2"):
        result = _flake8(root, "--djm-applied", "applied.txt", "--jobs", jobs)
        assert (result.returncode, result.stdout.splitlines(), result.stderr) == (1, [expected], "")
    monkeypatch.chdir(root)
    assert cli.main(["check", "--select", "DJM5", "--djm-applied", "applied.txt", "."]) == 1
    assert capsys.readouterr().out.splitlines() == [expected.removeprefix("./")]
    unreadable = _flake8(root, "--djm-applied", "nothere.txt")
    assert unreadable.returncode == 2 and "djm-applied: nothere.txt: no such file" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr


def test_the_command_reads_the_source_again_on_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The configuration and the findings are cached; the applied migrations are not served from the cache."""
    root = _project(tmp_path / "project")
    applied = root / "applied.txt"
    monkeypatch.chdir(root)
    applied.write_text("users.0001_initial\norders.0001_initial\n")
    argv = ["check", "--select", "DJM5", "--djm-applied", "applied.txt", "--djm-settings", "none", "."]
    assert cli.main(argv) == 1
    assert "DJM504" in capsys.readouterr().out
    applied.write_text("users.0001_initial\nusers.0002_add_unique_id\norders.0001_initial\n")
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == ""

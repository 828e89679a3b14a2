"""``--djm-applied postgresql://...`` against a real PostgreSQL server: the reader's answers are Django's (seed 001
migrated there with Django), it runs exactly one read-only statement in one transaction it rolls back (the server
logs every statement of the database), and the password is never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.project.applied import read_applied
from flake8_django_migrations.settings import SettingsError
from tests.postgres_server import PostgresServer, postgres_server
from tests.test_applied_truth import STORIES, _apps, django, our_findings, our_plans
from tests.graph_trees import write_tree

__all__ = ["postgres_server"]  # the session fixture, used here

PASSWORD = "s3cret-Pa55"  # the cluster trusts its socket: any password connects, none may be shown
_STATEMENT = re.compile(r"\bLOG:\s+statement: (?P<sql>.*)$")


def _database(server: PostgresServer, name: str) -> str:
    admin = server.connect(autocommit=True)
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        admin.execute(f"ALTER DATABASE {name} SET log_statement = 'all'")
    finally:
        admin.close()
    return f"postgresql://{server.user}:{PASSWORD}@/{name}?host={server.socket_dir}&port={server.port}"


def _statements_since(log: Path, offset: int) -> list[str]:
    with open(log, "rb") as file:
        file.seek(offset)
        text = file.read().decode("utf-8", "replace")
    return [match["sql"].strip() for line in text.splitlines() if (match := _STATEMENT.search(line))]


def test_postgresql_history_reads_as_django_sees_it(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgres]')")
    story = next(story for story in STORIES if story.id == "dependency_added_to_applied_migration")
    url = _database(postgres_server, "applied_truth")
    database = {**postgres_server.django_database(), "NAME": "applied_truth"}
    deployed = write_tree(tmp_path / "deployed", story.deployed)
    django(deployed, database, _apps(story.deployed), "deploy", commands=story.commands)
    root = write_tree(tmp_path / "now", story.now)
    theirs = django(root, database, _apps(story.now), "ask", targets=[list(t) for t in story.targets])
    assert theirs["consistency"]["error"] == "InconsistentMigrationHistory"

    log = Path(postgres_server.socket_dir) / "server.log"
    offset = log.stat().st_size
    read = read_applied(url)
    assert _statements_since(log, offset) == ["BEGIN READ ONLY", "SELECT app, name FROM django_migrations", "ROLLBACK"]
    assert sorted(read.rows) == sorted(tuple(row) for row in theirs["rows"])
    assert read.source == f"postgresql://{postgres_server.user}@/applied_truth?host=" + re.sub(
        "/", "%2F", postgres_server.socket_dir) + f"&port={postgres_server.port}"

    found = our_findings(root, url)
    assert [(path, code) for path, code, _ in found] == [("orders/migrations/0001_initial.py", "DJM504")]
    assert all(PASSWORD not in message for _, _, message in found)
    assert our_plans(root, url, story.targets) == [
        {"error": plan["error"], "message": plan["message"]} for plan in theirs["plans"]
    ]

    # The command, with the URL from DATABASE_URL: the plan and its recovery rows, no password anywhere.
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(root)
    code = cli.main(["plan", "--djm-applied", "env", "--djm-settings", "none", "--djm-no-cache"])
    printed = capsys.readouterr()
    assert code == 1
    assert "InconsistentMigrationHistory" in printed.out and "INSERT INTO django_migrations" in printed.out
    assert PASSWORD not in printed.out + printed.err


def test_a_failed_connection_says_why_without_the_password(postgres_server: PostgresServer) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgres]')")
    missing = f"postgresql://{postgres_server.user}:{PASSWORD}@/no_such_database?host={postgres_server.socket_dir}"
    with pytest.raises(SettingsError) as refused:
        read_applied(missing)
    assert "no_such_database" in str(refused.value) and "does not exist" in str(refused.value)
    assert PASSWORD not in str(refused.value)

"""A real PostgreSQL server for the truth tests of the lock rules: a throwaway cluster per test session.

The cluster is created with the installed server's own ``initdb`` in a fresh temporary folder and listens only on
a unix socket in that folder (no TCP port, so parallel runs and a system server never clash). PostgreSQL refuses to
run as root, so under root both ``initdb`` and ``postgres`` run as an unprivileged system user (``postgres``, which
Debian's package creates, else ``nobody``); otherwise they run as the current user. When no server is installed
(``.ci/run`` installs Debian's ``postgresql``) or it cannot start, the tests that need it are skipped and say why.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "djm"  # the cluster's superuser, trusted on the socket: the cluster lives only as long as the session
PORT = 5432  # names the socket file (.s.PGSQL.5432) inside the private folder; no TCP port is opened
_UNPRIVILEGED_USERS = ("postgres", "nobody")
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class PostgresServer:
    """A running cluster: where its socket is and how to connect to it."""

    socket_dir: str
    version: int  # the server's major version, from its installation folder
    port: int = PORT
    user: str = SUPERUSER
    database: str = "postgres"

    @property
    def conninfo(self) -> str:
        return f"host={self.socket_dir} port={self.port} user={self.user} dbname={self.database}"

    def connect(self, autocommit: bool = True) -> Any:
        """A psycopg connection, or a skip when psycopg (a test dependency) is missing."""
        psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
        return psycopg.connect(self.conninfo, autocommit=autocommit)

    def django_database(self) -> dict[str, object]:
        """The ``DATABASES["default"]`` entry that points Django at this cluster."""
        return {
            "ENGINE": "django.db.backends.postgresql", "NAME": self.database, "USER": self.user,
            "HOST": self.socket_dir, "PORT": str(self.port),
        }


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder (Debian keeps them under /usr/lib/postgresql/<major>)."""
    found = [Path(path).parent for path in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    found = [path for path in found if (path / "initdb").exists() and path.parent.name.isdigit()]
    return max(found, key=lambda path: int(path.parent.name)) if found else None


def _run_as() -> pwd.struct_passwd | None:
    """The user the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip(f"running as root and none of the users {', '.join(_UNPRIVILEGED_USERS)} exists to run PostgreSQL")


def _as_user(account: pwd.struct_passwd | None) -> dict[str, Any]:
    """subprocess arguments that drop root for the server's processes."""
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": [],
            "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/", "LC_ALL": "C"}}


def _wait_until_ready(process: subprocess.Popen[bytes], socket_dir: Path, log: Path, binaries: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        ready = subprocess.run(
            [str(binaries / "pg_isready"), "-q", "-h", str(socket_dir), "-p", str(PORT), "-U", SUPERUSER],
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"postgres did not accept connections within {_START_TIMEOUT:.0f}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server is installed (/usr/lib/postgresql/*/bin); `.ci/run` installs Debian's")
    account = _run_as()
    # Not pytest's tmp_path: under root that folder is private to root, and the server's user must own its cluster.
    root = Path(tempfile.mkdtemp(prefix="djm-postgres-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        data, log = root / "data", root / "server.log"
        initdb = subprocess.run(
            [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--no-sync",
             "--encoding=UTF8", "--locale=C"],
            capture_output=True, text=True, check=False, **_as_user(account),
        )
        if initdb.returncode != 0:
            pytest.skip(f"initdb failed: {initdb.stderr.strip() or initdb.stdout.strip()}")
        with open(log, "wb") as log_file:
            if account is not None:
                os.chown(log, account.pw_uid, account.pw_gid)
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data), "-k", str(root), "-p", str(PORT),
                 "-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off",
                 "-c", "synchronous_commit=off"],
                stdout=log_file, stderr=subprocess.STDOUT, **_as_user(account),
            )
        try:
            _wait_until_ready(process, root, log, binaries)
        except RuntimeError as error:
            pytest.skip(f"PostgreSQL did not start: {error}")
        yield PostgresServer(socket_dir=str(root), version=int(binaries.parent.name))
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back open sessions and stop
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


# A case of a truth test: what Django's schema editor writes, run on the cluster --------------------------------

_REPOSITORY = Path(__file__).resolve().parent.parent


def django_sql_of(module: str, server: PostgresServer) -> dict[str, dict[str, list[str]]]:
    """The SQL Django writes for each case of the test ``module`` (``python -m module DATABASE`` prints it as JSON):
    in a process of its own, so that Django is set up against this cluster without touching the test run's."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [sys.executable, "-m", module, json.dumps(server.django_database())],
        cwd=_REPOSITORY, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    sql: dict[str, dict[str, list[str]]] = json.loads(result.stdout)
    return sql


class SchemaCase:
    """One case's tables with rows, in a schema of its own (``schema``), and sessions on them: ``sql["setup"]``
    makes the tables, ``rows`` fills them, ``sql["statement"]`` is what the migration runs."""

    def __init__(self, server: PostgresServer, schema: str, sql: dict[str, list[str]], rows: Sequence[str]) -> None:
        self.server = server
        self.schema = schema
        self.statement = sql["statement"]
        with self.session() as setup:
            setup.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            setup.execute(f"CREATE SCHEMA {self.schema}")
            setup.execute(f"SET search_path TO {self.schema}")
            for statement in [*sql["setup"], *rows]:
                setup.execute(statement)

    @contextmanager
    def session(self) -> Iterator[Any]:
        connection = self.server.connect(autocommit=True)
        try:
            connection.execute(f"SET search_path TO {self.schema}")
            yield connection
        finally:
            connection.close()

    @contextmanager
    def open_transaction(self, statements: list[str] | None = None) -> Iterator[Any]:
        """A session that has run the statements (the case's by default) in a transaction still open."""
        with self.session() as session:
            session.execute("BEGIN")
            try:
                for statement in self.statement if statements is None else statements:
                    session.execute(statement)
                yield session
            finally:
                session.execute("ROLLBACK")


def collect_django_sql(
    database: dict[str, object], app: str, make_cases: Callable[[], dict[str, tuple[list[Any], list[Any]]]]
) -> dict[str, dict[str, list[str]]]:
    """Configure Django for the cluster and collect the SQL of each case ``make_cases`` gives (called once Django
    is set up: operations build fields): {case: {"setup": [...], "statement": [...]}}. The side of
    ``django_sql_of`` that runs in its own process."""
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": database}, INSTALLED_APPS=["django.contrib.postgres"], USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.db import connection
    from django.db.migrations.state import ProjectState

    collected: dict[str, dict[str, list[str]]] = {}
    for case, (setup, under_test) in make_cases().items():
        state = ProjectState()
        collected[case] = {}
        # The tables are really created, in a schema dropped afterwards: for an AlterField Django reads the names
        # of the indexes and constraints to drop from the database, and would collect nothing against no table.
        # (Not a transaction rolled back: Django refuses to collect a concurrent operation inside one.)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA collect_{case}; SET search_path TO collect_{case}")
        for part, operations in (("setup", setup), ("statement", under_test)):
            with connection.schema_editor(collect_sql=True, atomic=False) as editor:
                for operation in operations:
                    before = state.clone()
                    operation.state_forwards(app, state)
                    operation.database_forwards(app, editor, before, state)
            collected[case][part] = list(editor.collected_sql)
            if part == "setup":
                with connection.cursor() as cursor:
                    for statement in editor.collected_sql:
                        cursor.execute(statement)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA collect_{case} CASCADE; RESET search_path")
    return collected

"""Which migrations a database has applied (``djm-applied``): read from the database itself or from a file.

Sources, told apart by what ``SOURCE`` is:

- ``env``: the URL in ``DATABASE_URL``, read as below;
- a PostgreSQL URL (``postgresql://``, ``postgres://``): with psycopg 3 (the ``[postgres]`` extra), in one read-only
  transaction holding one statement, ``SELECT app, name FROM django_migrations``, under a short
  ``statement_timeout``, then rolled back. The password is never shown: messages name the database by its URL
  without it, and a driver message that holds it is withheld;
- an SQLite database file (or a ``sqlite:///`` URL): opened with the ``mode=ro`` URI (SQLite refuses every write),
  ``query_only`` on;
- any other file is text: ``app name`` or ``app.name`` per line (also ``app|name``, as the ``sqlite3`` and ``psql``
  shells print rows), the output of ``manage.py showmigrations --list`` or ``--plan``, or a CSV export of the table
  (``\\copy django_migrations to 'applied.csv' csv header``).

A database without a ``django_migrations`` table has applied nothing (Django's recorder says the same). A source
that cannot be read, or a file with a line that is none of these, is a ``SettingsError``: both front ends report it
as a usage error, never as a clean run. Nothing here writes anywhere.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.settings import AppliedMigrations, SettingsError

__all__ = [
    "MAX_ROWS",
    "STATEMENT_TIMEOUT_MS",
    "TEXT_FILE_LIMIT",
    "parse_applied_text",
    "read_applied",
    "shown_url",
]

Key = tuple[str, str]

STATEMENT_TIMEOUT_MS: Final = 5000  # the one SELECT; a table of a few thousand rows takes milliseconds
CONNECT_TIMEOUT_S: Final = 10
TEXT_FILE_LIMIT: Final = 64 * 1024 * 1024
MAX_ROWS: Final = 1_000_000  # far more than any project's history; a larger table is not django_migrations
SQLITE_HEADER: Final = b"SQLite format 3\x00"
_POSTGRES_SCHEMES: Final = ("postgresql", "postgres", "pgsql", "postgis")
_QUERY: Final = "SELECT app, name FROM django_migrations"
_APP_LABEL: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# showmigrations --plan: "[X]  app.0001_initial", with " ... (app.0000_parent, ...)" at verbosity 2.
_PLAN_LINE: Final = re.compile(r"^\[(?P<mark>[ X])\]\s+(?P<app>[^\s.]+)\.(?P<name>\S+)(?:\s+\.\.\.\s+\(.*\))?$")
# showmigrations --list: an app's label alone on its line, then " [X] 0001_initial" per migration; a squash is
# titled " (4 squashed migrations)", and "[-]" marks one whose replaced migrations are applied but itself unrecorded.
_LIST_HEADER: Final = re.compile(r"^(?P<app>[A-Za-z_][A-Za-z0-9_]*)$")
_LIST_ENTRY: Final = re.compile(r"^\s+\[(?P<mark>[ X-])\]\s+(?P<name>\S+)(?P<rest>.*)$")
_SQUASHED: Final = re.compile(r"^\s+\(\d+ squashed migrations\)")
_NO_MIGRATIONS: Final = "(no migrations)"
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # showmigrations --force-color
_TABLE_RULE: Final = re.compile(r"^[-+=\s]+$")  # psql's line under the column names
_ROW_COUNT: Final = re.compile(r"^\(\d+ rows?\)$")  # psql's last line
_HEADERS: Final = (("app", "name"), ("id", "app", "name"), ("id", "app", "name", "applied"), ("app", "name", "applied"))


def read_applied(source: str, environ: Mapping[str, str] | None = None) -> AppliedMigrations:
    """The migrations ``source`` (the value of ``djm-applied``) says are applied. ``SettingsError`` when it cannot
    be read, with the reason; the message never holds a password."""
    environ = os.environ if environ is None else environ
    source = source.strip()
    if source.lower() == "env":
        url = environ.get("DATABASE_URL", "").strip()
        if not url:
            raise SettingsError("djm-applied env: DATABASE_URL is not set (write ./env for a file named env)")
        return _read_url(url, "DATABASE_URL")
    scheme = source.partition("://")[0].lower() if "://" in source else ""
    if scheme:
        return _read_url(source, "djm-applied")
    return _read_file(source)


def _read_url(url: str, option: str) -> AppliedMigrations:
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme in _POSTGRES_SCHEMES:
        return _read_postgresql(url)
    if scheme == "sqlite":
        # dj-database-url's spelling: sqlite:///relative/path, sqlite:////absolute/path
        path = urllib.parse.unquote(url.partition("://")[2])
        path = path[1:] if path.startswith("/") else path
        if not path or path == ":memory:":
            raise SettingsError(f"{option}: an SQLite URL must name a database file, not {_shown_text(url)!r}")
        return _read_file(path, sqlite_only=True)
    shown = _shown_text(scheme or url.partition(":")[0])
    raise SettingsError(
        f"{option}: {shown!r} databases are not read here: use an SQLite file, a PostgreSQL URL, or export the"
        " table (a CSV file, or the output of `manage.py showmigrations --plan`)"
    )


# Files -------------------------------------------------------------------------------------------------------------


def _read_file(path: str, *, sqlite_only: bool = False) -> AppliedMigrations:
    shown = _shown_text(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise SettingsError(f"djm-applied: {shown}: no such file") from None
    except (OSError, ValueError) as error:
        raise SettingsError(f"djm-applied: {shown}: cannot be read ({_reason(error)})") from None
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise SettingsError(f"djm-applied: {shown} is {kind}: name a database file or a text file")
    header = _header(path)
    if header.startswith(SQLITE_HEADER):
        return _read_sqlite(path, shown, header)
    if sqlite_only:
        raise SettingsError(f"djm-applied: {shown} is not an SQLite database")
    data = read_regular_file(path, TEXT_FILE_LIMIT)
    if data is None:
        raise SettingsError(f"djm-applied: {shown} cannot be read (or is larger than {TEXT_FILE_LIMIT >> 20} MiB)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"djm-applied: {shown} is neither an SQLite database nor UTF-8 text (byte {error.start})"
        ) from None
    rows, via_replaces = parse_applied_text(text, shown)
    return AppliedMigrations(shown, rows, via_replaces)


def _header(path: str) -> bytes:
    """The first 100 bytes of a regular file (an SQLite database's header), else what there is; nothing for a file
    that is no longer a regular one (opened without waiting: a FIFO put in its place has no writer)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    try:
        return os.read(descriptor, 100) if stat.S_ISREG(os.fstat(descriptor).st_mode) else b""
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def _read_sqlite(path: str, shown: str, header: bytes) -> AppliedMigrations:
    import sqlite3

    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    if header[18:20] == b"\x02\x02" and not os.path.exists(path + "-wal"):
        # A database in WAL mode that nothing has open: even a read-only connection would create its -wal and -shm
        # files beside it. Nothing writes it meanwhile, so it is read as an immutable file, which creates none.
        uri += "&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as error:
        raise SettingsError(f"djm-applied: {shown}: cannot open the SQLite database ({_reason(error)})") from None
    try:
        connection.execute("PRAGMA query_only = ON")
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
        ).fetchone()
        if found is None:
            return AppliedMigrations(shown, frozenset())  # a database nothing was ever migrated on
        rows = _rows(_fetched(connection.execute(_QUERY)), shown)
    except sqlite3.Error as error:
        raise SettingsError(f"djm-applied: {shown}: cannot read `django_migrations` ({_reason(error)})") from None
    finally:
        connection.close()
    return AppliedMigrations(shown, rows)


def _fetched(cursor: Any) -> Iterator[tuple[object, ...]]:
    while True:
        batch = cursor.fetchmany(5000)
        if not batch:
            return
        yield from batch


def _rows(found: Iterable[tuple[object, ...]], shown: str) -> frozenset[Key]:
    rows: set[Key] = set()
    for count, row in enumerate(found, start=1):
        if count > MAX_ROWS:
            raise SettingsError(f"djm-applied: {shown}: `django_migrations` holds more than {MAX_ROWS} rows")
        app, name = row[0], row[1]
        if not isinstance(app, str) or not isinstance(name, str):
            raise SettingsError(f"djm-applied: {shown}: a row of `django_migrations` is not two strings: {row!r:.80}")
        rows.add((app, name))
    return frozenset(rows)


# PostgreSQL --------------------------------------------------------------------------------------------------------


def _read_postgresql(url: str) -> AppliedMigrations:
    secrets = _secrets(url)
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise SettingsError(
            "djm-applied: reading a PostgreSQL database needs psycopg 3:"
            " pip install 'django-migrations-lint[postgres]' (or export the table to a file)"
        ) from None
    try:
        params: dict[str, Any] = dict(conninfo_to_dict(url))
    except Exception:  # noqa: BLE001 - libpq's message quotes the malformed part, which may be the password
        raise SettingsError(
            "djm-applied: the PostgreSQL URL is malformed (the driver's message is withheld: it could show the"
            " password)"
        ) from None
    secrets.update(str(value) for key, value in params.items() if key == "password" and value)
    shown = shown_url(params)
    return AppliedMigrations(shown, _select_rows(params, shown, secrets))


def _select_rows(params: dict[str, Any], shown: str, secrets: set[str]) -> frozenset[Key]:
    import psycopg
    from psycopg import errors, pq

    # Every statement of the session is read-only and times out; the user's own `options` (a search_path) stay.
    limits = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c default_transaction_read_only=on"
    params["options"] = f"{params.get('options') or ''} {limits}".strip()
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    params.setdefault("application_name", "django-migrations-lint")
    if pq.version() >= 120000:
        params.setdefault("tcp_user_timeout", str(CONNECT_TIMEOUT_S * 1000))  # a server gone silent mid-query
    try:
        connection = psycopg.connect(autocommit=False, **params)
    except Exception as error:  # noqa: BLE001 - the driver's errors, and whatever a hostile URL makes of it
        raise SettingsError(f"djm-applied: cannot connect to {shown}: {_redacted(error, secrets)}") from None
    try:
        connection.read_only = True  # BEGIN READ ONLY
        with connection.cursor() as cursor:
            try:
                cursor.execute(_QUERY)
            except errors.UndefinedTable:
                return frozenset()  # nothing was ever migrated on it (Django's recorder says the same)
            return _rows(_fetched(cursor), shown)
    except SettingsError:
        raise
    except Exception as error:  # noqa: BLE001 - as above
        raise SettingsError(f"djm-applied: cannot read {shown}: {_redacted(error, secrets)}") from None
    finally:
        try:
            connection.rollback()
        finally:
            connection.close()


def shown_url(params: Mapping[str, Any]) -> str:
    """A PostgreSQL connection as messages show it: user, host, port and database, never the password."""
    user = str(params.get("user") or "")
    host = str(params.get("host") or "")
    port = str(params.get("port") or "")
    dbname = str(params.get("dbname") or "")
    on_socket = host.startswith("/") or "," in host
    netloc = (f"{user}@" if user else "") + ("" if on_socket else host) + (f":{port}" if port and not on_socket else "")
    query = urllib.parse.urlencode({"host": host, **({"port": port} if port else {})}) if on_socket else ""
    return f"postgresql://{netloc}/{dbname}" + (f"?{query}" if query else "")


def _secrets(url: str) -> set[str]:
    """The password a URL may hold, in every spelling a message could repeat it."""
    found: set[str] = set()
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
        query = urllib.parse.parse_qs(parts.query)
    except ValueError:
        password, query = None, {}
    netloc = url.partition("://")[2].split("/", 1)[0]
    userinfo = netloc.rpartition("@")[0]
    candidates = [password, userinfo.partition(":")[2], userinfo, *query.get("password", [])]
    for candidate in candidates:
        if candidate:
            found.update({candidate, urllib.parse.unquote(candidate)})
    return found


def _redacted(error: BaseException, secrets: set[str]) -> str:
    text = _reason(error)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            if len(secret) < 4:
                return f"{type(error).__name__} (its message is withheld: it could show the password)"
            text = text.replace(secret, "***")
    return text


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# Text --------------------------------------------------------------------------------------------------------------


def parse_applied_text(text: str, shown: str) -> tuple[frozenset[Key], frozenset[Key]]:
    """The rows a text file records, and the migrations it shows as applied through their squash
    (``AppliedMigrations.via_replaces``). ``SettingsError`` naming the first line that is none of the formats."""
    lines = [
        (number, _ANSI.sub("", line).rstrip())
        for number, line in enumerate(text.splitlines(), start=1)
    ]
    lines = [(number, line) for number, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise SettingsError(
            f"djm-applied: {shown} is empty: an export that failed? (a database with nothing applied: export it"
            " with `showmigrations --plan`, which lists what is not applied too)"
        )
    first = lines[0][1]
    if _PLAN_LINE.match(first) or first.strip() == _NO_MIGRATIONS:
        return _showmigrations_plan(lines, shown)
    if _LIST_HEADER.match(first):
        return _showmigrations_list(lines, shown)
    if "," in first:
        return _csv_rows(lines, shown), frozenset()
    return _plain_rows(lines, shown), frozenset()


def _showmigrations_plan(lines: list[tuple[int, str]], shown: str) -> tuple[frozenset[Key], frozenset[Key]]:
    rows: set[Key] = set()
    for number, line in lines:
        match = _PLAN_LINE.match(line)
        if match is None:
            if line.strip() == _NO_MIGRATIONS:
                continue
            raise _not_a_line(shown, number, line, "a line of `showmigrations --plan` ([X]  app.name)")
        key = _checked_key(match["app"], match["name"], shown, number, line)
        if match["mark"] == "X":
            rows.add(key)
    # `--plan` marks a squash [X] when every migration it replaces is applied, recorded or not.
    return _bounded(rows, shown), frozenset(rows)


def _showmigrations_list(lines: list[tuple[int, str]], shown: str) -> tuple[frozenset[Key], frozenset[Key]]:
    rows: set[Key] = set()
    via_replaces: set[Key] = set()
    app: str | None = None
    for number, line in lines:
        header = _LIST_HEADER.match(line)
        if header is not None:
            app = header["app"]
            continue
        if line.strip() == _NO_MIGRATIONS and app is not None:
            continue
        entry = _LIST_ENTRY.match(line)
        if entry is None or app is None:
            raise _not_a_line(shown, number, line, "a line of `showmigrations --list` (an app, or ` [X] name`)")
        key = _checked_key(app, entry["name"], shown, number, line)
        squash = _SQUASHED.match(entry["rest"]) is not None
        if entry["mark"] == "X":
            rows.add(key)
        if entry["mark"] in "X-" and squash:
            via_replaces.add(key)
        if entry["mark"] == "-" and not squash:
            raise _not_a_line(shown, number, line, "a line of `showmigrations --list` ([-] marks only a squash)")
    return _bounded(rows, shown), frozenset(via_replaces)


def _csv_rows(lines: list[tuple[int, str]], shown: str) -> frozenset[Key]:
    rows: set[Key] = set()
    columns: tuple[int, int] | None = None
    for (number, line), cells in zip(lines, csv.reader(line for _, line in lines)):
        cells = [cell.strip() for cell in cells]
        lowered = tuple(cell.lower() for cell in cells)
        if columns is None and "app" in lowered and "name" in lowered:
            columns = (lowered.index("app"), lowered.index("name"))
            continue
        if columns is not None:
            at = columns
        elif len(cells) == 2 or (len(cells) == 3 and not cells[0].isdigit()):
            at = (0, 1)  # app,name[,applied]
        elif len(cells) in (3, 4) and cells[0].isdigit():
            at = (1, 2)  # id,app,name[,applied]: the table's own columns, as COPY writes them
        else:
            raise _not_a_line(shown, number, line, "a CSV row of `django_migrations` (app,name or id,app,name,applied)")
        if max(at) >= len(cells):
            raise _not_a_line(shown, number, line, "a CSV row with the `app` and `name` columns of its header")
        rows.add(_checked_key(cells[at[0]], cells[at[1]], shown, number, line))
    return _bounded(rows, shown)


def _plain_rows(lines: list[tuple[int, str]], shown: str) -> frozenset[Key]:
    rows: set[Key] = set()
    for number, line in lines:
        stripped = line.strip()
        if _TABLE_RULE.match(stripped) or _ROW_COUNT.match(stripped):
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")] if "|" in stripped else stripped.split()
        if tuple(cell.lower() for cell in cells) in _HEADERS:
            continue
        if len(cells) == 1 and "." in cells[0]:
            cells = list(cells[0].partition(".")[::2])
        elif len(cells) >= 3 and cells[0].isdigit():
            cells = cells[1:3]  # id, app, name, applied: `SELECT * FROM django_migrations` in a shell
        if len(cells) != 2:
            raise _not_a_line(shown, number, line, "`app name` or `app.name`")
        rows.add(_checked_key(cells[0], cells[1], shown, number, line))
    return _bounded(rows, shown)


def _checked_key(app: str, name: str, shown: str, number: int, line: str) -> Key:
    if not _APP_LABEL.match(app):
        raise _not_a_line(shown, number, line, "a line naming an app label (a Python identifier)")
    if not name or any(char.isspace() for char in name):
        raise _not_a_line(shown, number, line, "a line naming a migration")
    return (app, name)


def _bounded(rows: set[Key], shown: str) -> frozenset[Key]:
    if len(rows) > MAX_ROWS:
        raise SettingsError(f"djm-applied: {shown} names more than {MAX_ROWS} migrations")
    return frozenset(rows)


def _not_a_line(shown: str, number: int, line: str, what: str) -> SettingsError:
    # The line itself is not shown: a repository's configuration can name any file the user can read (a token in
    # ~/.netrc), and the message reaches a CI log anyone may read.
    return SettingsError(f"djm-applied: {shown}, line {number} is not {what}")


def _shown_text(text: str) -> str:
    """A path or scheme as a message shows it: its control characters escaped, its length bounded."""
    from flake8_django_migrations.finding import escape_controls

    shown = escape_controls(text)
    return shown if len(shown) <= 200 else shown[:197] + "..."

"""The migrations as they were at a git revision (the one that is deployed), read with git itself.

``git ls-tree`` lists each app's migrations folder at the revision and one ``git cat-file --batch`` process hands
over the files' contents: no checkout, no dependency beyond the ``git`` executable. A file whose bytes are the same
at the revision and in the working tree (the same git blob id) is not parsed twice. What the history rules compare
is in ``BaseRevision``; they live in ``rules/history.py``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import MigrationFacts, extract_facts, find_migration_class, is_migration_module_name
from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.project.discover import Discovery
from flake8_django_migrations.source import parse_source

__all__ = ["BaseMigration", "BaseRevision", "HistoryError", "migration_fingerprint", "read_base_revision"]

Key = tuple[str, str]

_GIT_TIMEOUT: Final = 120  # seconds; a repository so large that ls-tree takes longer is not a case to wait for
# The attributes of a ``Migration`` class whose change is invisible to a database that applied it. Its
# ``dependencies`` are compared entry by entry (DJM501); a changed ``run_before`` of an applied migration is too.
_CLASS_ATTRIBUTES_COMPARED: Final = frozenset({"operations", "replaces", "atomic", "initial"})


class HistoryError(Exception):
    """The base revision cannot be read: not a git repository, an unknown revision, git missing. A usage error."""


@dataclass(frozen=True, slots=True)
class BaseMigration:
    """One migration as it was at the base revision."""

    key: Key
    path: str  # where it is (or was) in the working tree, absolute
    facts: MigrationFacts | None  # None when it did not parse or had no Migration class at the base
    fingerprint: str  # of what a database that applied it has seen: see ``migration_fingerprint``
    same_bytes: bool  # the working-tree file has exactly the base's bytes


@dataclass(frozen=True, slots=True)
class BaseRevision:
    ref: str  # as the user wrote it
    commit: str  # the full commit id it resolved to
    migrations: Mapping[Key, BaseMigration]
    edited: frozenset[Key]  # base migrations whose working-tree version differs in what a database has seen
    gone: frozenset[Key]  # base migrations whose file is no longer in the working tree
    new_fingerprints: Mapping[Key, str]  # migrations that are new since the base, to recognise a renamed one

    @property
    def short(self) -> str:
        return self.ref if self.ref == self.commit else f"{self.ref} ({self.commit[:10]})"


def resolve_revision(ref: str, cwd: str) -> str:
    """The commit ``ref`` names in the repository around ``cwd``; ``HistoryError`` when git cannot say."""
    if not os.path.isdir(cwd):
        cwd = os.path.dirname(os.path.abspath(cwd))
    _git(cwd, "rev-parse", "--show-toplevel")  # "not a git repository" before "unknown revision"
    return _git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                error=f"git does not know the revision {ref!r}").strip()


def changed_paths(commit: str, cwd: str) -> frozenset[str]:
    """The files (absolute paths) that differ from ``commit`` in the working tree, or are new and not ignored:
    what a pull request adds or changes (for ``djm-new-only``; a project run asks once)."""
    toplevel = _git(cwd, "rev-parse", "--show-toplevel").strip()
    listed = _git(toplevel, "diff", "--name-only", "-z", "--no-renames", commit, "--").split("\0")
    listed += _git(toplevel, "ls-files", "-z", "--others", "--exclude-standard").split("\0")
    return frozenset(os.path.join(toplevel, *name.split("/")) for name in listed if name)


def read_base_revision(ref: str, discovery: Discovery, head: Mapping[Key, str]) -> BaseRevision:
    """Every migration of the project's apps at ``ref``, compared with ``head`` (each migration of the working tree
    and its path); ``HistoryError`` when git cannot say."""
    toplevel = _git(discovery.root, "rev-parse", "--show-toplevel").strip()
    commit = _git(discovery.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                  error=f"git does not know the revision {ref!r}").strip()
    folders = {
        label: os.path.relpath(os.path.realpath(app.folder), os.path.realpath(toplevel))
        for label, app in discovery.apps.items()
    }
    listed: list[tuple[str, str, str]] = []  # (label, path relative to toplevel, blob id)
    for label, folder in sorted(folders.items()):
        if folder.startswith(os.pardir):
            continue  # outside the repository: not under version control here
        listing = _git(toplevel, "ls-tree", "-z", "--full-tree", commit, "--", folder.replace(os.sep, "/") + "/")
        for entry in listing.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and is_migration_module_name(path.rpartition("/")[2]):
                listed.append((label, path, parts[2]))
    contents = _cat_blobs(toplevel, [blob for _, _, blob in listed])
    migrations: dict[Key, BaseMigration] = {}
    for label, relative, blob in listed:
        path = os.path.join(toplevel, *relative.split("/"))
        data = contents.get(blob)
        if data is None:
            continue
        name = relative.rpartition("/")[2][: -len(".py")]
        facts, fingerprint = _read(data, path, label)
        migrations[(label, name)] = BaseMigration(
            (label, name), path, facts, fingerprint, _blob_id(read_regular_file(path)) == blob,
        )
    edited = frozenset(
        key for key, was in migrations.items()
        if key in head and was.facts is not None and not was.same_bytes
        and fingerprint_of_file(head[key]) not in (None, was.fingerprint)
    )
    gone = frozenset(key for key, was in migrations.items() if key not in head and not os.path.lexists(was.path))
    apps_with_gone = {key[0] for key in gone}
    new_fingerprints = {
        key: fingerprint
        for key, path in head.items()
        if key not in migrations and key[0] in apps_with_gone
        for fingerprint in [fingerprint_of_file(path)] if fingerprint is not None
    }
    return BaseRevision(ref, commit, migrations, edited, gone, new_fingerprints)


def migration_fingerprint(tree: ast.Module) -> str:
    """What a database that applied the migration has seen, without positions, comments or formatting: the
    ``Migration`` class's operations, ``replaces``, ``atomic`` and ``initial``, and every module-level function
    (the code its ``RunPython`` operations run)."""
    digest = hashlib.blake2b(digest_size=16)
    migration_class = find_migration_class(tree.body)
    if migration_class is not None:
        for statement in migration_class.body:
            targets = _assigned_names(statement)
            if targets & _CLASS_ATTRIBUTES_COMPARED:
                digest.update(ast.dump(statement).encode("utf-8", "surrogatepass"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            digest.update(ast.dump(node).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def fingerprint_of_file(path: str) -> str | None:
    data = read_regular_file(path)
    if data is None:
        return None
    try:
        return migration_fingerprint(parse_source(data, path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _read(data: bytes, path: str, label: str) -> tuple[MigrationFacts | None, str]:
    try:
        tree = parse_source(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, hashlib.blake2b(data, digest_size=16).hexdigest()
    try:
        facts = extract_facts(tree, path, app_label=label)
    except RecursionError:
        facts = None
    return facts, migration_fingerprint(tree)


def _assigned_names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.Assign):
        return {target.id for target in statement.targets if isinstance(target, ast.Name)}
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    return set()


def _blob_id(data: bytes | None) -> str | None:
    """The id git gives a file with these bytes (``git hash-object``), to tell unchanged files without git."""
    if data is None:
        return None
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _git(cwd: str, *args: str, error: str | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args], cwd=cwd, capture_output=True, timeout=_GIT_TIMEOUT,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise HistoryError("--djm-base needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise HistoryError(f"git {args[0]} took longer than {_GIT_TIMEOUT} s") from None
    if result.returncode != 0:
        if error is None:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            error = f"--djm-base: {message[0] if message else 'git failed'} (in {cwd})"
        raise HistoryError(error)
    return result.stdout.decode("utf-8", "surrogateescape")


def _cat_blobs(toplevel: str, blobs: list[str]) -> dict[str, bytes]:
    """The contents of ``blobs``, from one ``git cat-file --batch`` process."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    try:
        result = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=toplevel, input="".join(f"{b}\n" for b in unique).encode(),
            capture_output=True, timeout=_GIT_TIMEOUT, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as error:
        raise HistoryError(f"git cat-file failed: {error}") from None
    output, position, found = result.stdout, 0, {}
    for blob in unique:
        end = output.find(b"\n", position)
        if end < 0:
            break
        header = output[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<id> missing"
        size = int(header[2])
        found[blob] = output[position:position + size]
        position += size + 1  # the contents are followed by a newline
    return found


@dataclass(frozen=True, slots=True)
class NewOnly:
    """``djm-new-only``: what a pull request adds or changes since the base revision, and which findings are
    about it: a finding in such a file, or a project finding that names such a migration (``app.0012_x``)."""

    changed: frozenset[str]  # real paths
    migrations: frozenset[tuple[str, str]]  # (app, name) of the migrations among them

    @classmethod
    def since(cls, commit: str, discovery: Discovery) -> NewOnly:
        changed = frozenset(os.path.realpath(path) for path in changed_paths(commit, discovery.root))
        names = {
            (label, os.path.basename(path)[: -len(".py")])
            for label, app in discovery.apps.items() for path in app.files
            if os.path.realpath(path) in changed
        }
        return cls(changed, frozenset(names))

    def keeps(self, path: str, message: str) -> bool:
        if os.path.realpath(path) in self.changed:
            return True
        # Messages name a migration `app.name` (or `app.name.field`), or the app and then `name` (DJM304).
        return any(
            f"`{app}.{name}`" in message or f"`{app}.{name}." in message
            or (f"`{app}`" in message and f"`{name}`" in message)
            for app, name in self.migrations
        )

"""The migrations as they were at a git revision (the one that is deployed), read with git itself.

``git ls-tree`` lists the project's files at the revision and one ``git cat-file --batch`` process hands over the
migrations' contents: no checkout, no dependency beyond the ``git`` executable. A file whose bytes are the same at the
revision and in the working tree (the same git blob id, computed here) is not parsed twice. What the history rules
compare is in ``BaseRevision``; they live in ``rules/history.py``. ``NewOnly`` is what ``djm-new-only`` keeps. git
never runs a program of the repository's configuration for either (``_GIT_SAFE``).
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from flake8_django_migrations.facts import MigrationFacts, extract_facts, find_migration_class, is_migration_module_name
from flake8_django_migrations.files import read_regular_file
# Discovery skips these folders when it walks the tree; a package the base had in one is not looked for either.
from flake8_django_migrations.project.discover import _SKIPPED_FOLDERS, Discovery, read_app_label
from flake8_django_migrations.source import parse_source

__all__ = [
    "BaseMigration", "BaseRevision", "EmptiedApp", "HistoryError", "NewOnly", "migration_fingerprint",
    "read_base_revision", "resolve_revision",
]

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
class EmptiedApp:
    """An app that had migrations at the base revision and has no migration file left: DJM503 has no migration of
    it to report on."""

    folder: str  # its migrations folder, relative to the project root, '/'-separated
    folder_gone: bool  # the folder is no longer a package (deleted, or the whole app is)
    # Where to report: the package's ``__init__.py`` while it remains, else the nearest Python file above the folder
    # (absolute); None when there is none up to the project root.
    report_on: str | None


@dataclass(frozen=True, slots=True)
class BaseRevision:
    ref: str  # as the user wrote it
    commit: str  # the full commit id it resolved to
    migrations: Mapping[Key, BaseMigration]
    edited: frozenset[Key]  # base migrations whose working-tree version differs in what a database has seen
    gone: frozenset[Key]  # base migrations whose file is no longer in the working tree
    new_fingerprints: Mapping[Key, str]  # migrations that are new since the base, to recognise a renamed one
    emptied: Mapping[str, EmptiedApp] = field(default_factory=dict)  # by label
    changes: Mapping[Key, str] = field(default_factory=dict)  # what changed in each edited one, in words (edits.py)

    @property
    def short(self) -> str:
        return self.ref if self.ref == self.commit else f"{self.ref} ({self.commit[:10]})"


def resolve_revision(ref: str, cwd: str) -> tuple[str, str]:
    """The top folder of the repository around ``cwd`` (a folder, or a file in it) and the commit ``ref`` names
    there; ``HistoryError`` when git cannot say."""
    return _resolve(ref, cwd)


def in_repository(path: str, toplevel: str) -> bool:
    """Whether ``path`` belongs to the repository whose top folder is ``toplevel``: below it, and in no repository
    nested between them (a submodule's own ``.git``)."""
    folder, top = os.path.realpath(path), os.path.realpath(toplevel)
    if folder != top and not folder.startswith(top.rstrip(os.sep) + os.sep):
        return False
    while folder != top:
        if os.path.lexists(os.path.join(folder, ".git")):
            return False
        folder = os.path.dirname(folder)
    return True


def read_base_revision(
    ref: str, discovery: Discovery, head: Mapping[Key, str], repository: str | None = None
) -> BaseRevision:
    """Every migration of the project's apps at ``ref``, compared with ``head`` (each migration of the working tree
    and its path); ``HistoryError`` when git cannot say. An app whose migrations package is gone since (no longer
    discovered) is read from the base too: its migrations are gone. ``repository``: the top folder of the repository
    ``ref`` (then a commit) was resolved in, so that git is not asked again."""
    toplevel, commit = (repository, ref) if repository is not None else _resolve(ref, discovery.root)
    under = _relative(discovery.root, toplevel)
    if under is None:
        raise HistoryError(f"--djm-base: {discovery.root} is not inside the git repository {toplevel}")
    listing = _ls_tree(toplevel, commit, under)
    apps = _base_apps(toplevel, listing, discovery, under)
    listed = [(label, path, blob) for label, app in sorted(apps.items()) for path, blob in app.files]
    contents = _cat_blobs(toplevel, [blob for _, _, blob in listed])
    migrations: dict[Key, BaseMigration] = {}
    base_data: dict[Key, tuple[bytes, str]] = {}
    for label, relative, blob in listed:
        path = os.path.join(toplevel, *relative.split("/"))
        data = contents.get(blob)
        if data is None:
            continue
        name = relative.rpartition("/")[2][: -len(".py")]
        facts, fingerprint = _read(data, path, label)
        base_data[(label, name)] = (data, path)
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
    emptied = {
        label: _emptied(discovery, toplevel, app.folder)
        for label, app in apps.items()
        if label in apps_with_gone and not (label in discovery.apps and discovery.apps[label].files)
    }
    changes = {
        key: change for key in edited for change in [_describe_edit(*base_data[key], head[key])] if change is not None
    }
    return BaseRevision(ref, commit, migrations, edited, gone, new_fingerprints, emptied, changes)


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


def _describe_edit(data: bytes, base_path: str, path: str) -> str | None:
    """What changed in the migration at ``path`` since the base had ``data`` there, for DJM502 (edits.py)."""
    from flake8_django_migrations.project.edits import describe_edit  # only when an applied migration was edited

    now = read_regular_file(path)
    if now is None:
        return None
    try:
        return describe_edit(parse_source(data, base_path), parse_source(now, path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


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


# Every git command runs with these: none of the repository's own programs runs. ``core.fsmonitor`` names a
# program that git runs before it reads the working tree (ls-files, diff, status); the untracked cache is what it
# feeds. Clean filters (``filter.<name>.clean`` with ``.gitattributes``) and ``diff.external`` run when git compares
# working files with the index: no command here does (the working files are hashed here, ``_blob_id``). rev-parse,
# ls-tree, ls-files and cat-file run no hook (``core.hooksPath``), pager or textconv driver and reach no remote
# (``core.sshCommand``).
_GIT_SAFE: Final = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "core.quotePath=false")
_GIT_ENV: Final = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _run_git(cwd: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *_GIT_SAFE, *args], cwd=cwd, input=stdin, capture_output=True, timeout=_GIT_TIMEOUT,
            env={**os.environ, **_GIT_ENV},
        )
    except FileNotFoundError:
        if not os.path.isdir(cwd):
            raise HistoryError(f"--djm-base: no folder {cwd}") from None
        raise HistoryError("--djm-base needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise HistoryError(f"git {args[0]} took longer than {_GIT_TIMEOUT} s") from None


def _git(cwd: str, *args: str) -> str:
    result = _run_git(cwd, *args)
    if result.returncode != 0:
        raise HistoryError(_failure(result, cwd))
    return result.stdout.decode("utf-8", "surrogateescape")


def _failure(result: subprocess.CompletedProcess[bytes], cwd: str) -> str:
    message = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"--djm-base: {message[0] if message else 'git failed'} (in {cwd})"


def _resolve(ref: str, path: str) -> tuple[str, str]:
    """The top folder of the repository holding ``path`` (a folder or a file, which need not exist yet: its nearest
    existing folder is asked) and the commit ``ref`` names there, from one git process."""
    folder = os.path.abspath(path)
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    result = _run_git(folder, "rev-parse", "--show-toplevel", "--verify", "--quiet", "--end-of-options",
                      f"{ref}^{{commit}}")
    lines = result.stdout.decode("utf-8", "surrogateescape").split("\n")
    if result.returncode == 0 and len(lines) >= 2 and lines[1]:
        return lines[0], lines[1]
    if result.returncode == 1 and lines[0]:  # the toplevel was printed: a repository that lacks the revision
        raise HistoryError(f"git does not know the revision {ref!r}: {_how_to_fetch(ref, lines[0])}")
    raise HistoryError(_failure(result, folder))


_CI_HISTORY: Final = "in CI, check out the whole history (actions/checkout's `fetch-depth: 0`, GitLab's `GIT_DEPTH: 0`)"


def _how_to_fetch(ref: str, toplevel: str) -> str:
    """What to do about a revision the repository at ``toplevel`` does not know, from its remotes."""
    listed = _run_git(toplevel, "remote")
    remotes = listed.stdout.decode("utf-8", "surrogateescape").split() if listed.returncode == 0 else []
    remote, _, branch = ref.partition("/")
    if branch and remote in remotes:
        return f"fetch it first, `git fetch {remote} {branch}`; {_CI_HISTORY}"
    if not remotes:
        return "this repository has no remote to fetch it from: name one of its own branches or tags"
    if branch:
        return (
            f"this repository has no remote `{remote}` (it has {', '.join(f'`{r}`' for r in remotes)}): fetch the"
            f" branch from one of those, `git fetch {remotes[0]} BRANCH`, and name `{remotes[0]}/BRANCH`"
        )
    return (
        f"fetch it first, `git fetch {remotes[0]} {ref}` for a branch (then name `{remotes[0]}/{ref}`) or"
        f" `git fetch --tags {remotes[0]}` for a tag; {_CI_HISTORY}"
    )


def _relative(path: str, toplevel: str) -> str | None:
    """``path`` relative to the repository's ``toplevel``, '/'-separated ("" for the top itself); None outside it."""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(toplevel))
    if relative == os.curdir:
        return ""
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def _ls_tree(toplevel: str, commit: str, under: str = "") -> dict[str, tuple[str, str]]:
    """Each file of ``commit`` below the folder ``under`` (relative to ``toplevel``; "": all): its path relative to
    ``toplevel`` -> its mode and blob id. ls-tree reads the object store only."""
    pathspec = ["--", under + "/"] if under else []
    listing: dict[str, tuple[str, str]] = {}
    for entry in _git(toplevel, "ls-tree", "-r", "-z", "--full-tree", commit, *pathspec).split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            listing[path] = (parts[0], parts[2])
    return listing


@dataclass(frozen=True, slots=True)
class _BaseApp:
    folder: str  # the migrations folder, relative to the repository's top, '/'-separated
    files: tuple[tuple[str, str], ...]  # each migration module at the base: path relative to the top, blob id


def _base_apps(
    toplevel: str, listing: Mapping[str, tuple[str, str]], discovery: Discovery, under: str
) -> dict[str, _BaseApp]:
    """The migrations at the base (``listing``) of each app discovery found, and of each app whose migrations
    package the base had below ``under`` (the project root, relative to the top) and the working tree no longer
    has: its migrations are gone with it. An app's label is discovery's; a gone package's is the label of its
    installed app, else its app's ``apps.py`` if it remains, else the app folder's name."""
    by_folder: dict[str, list[tuple[str, str]]] = {}
    for path, (_, blob) in listing.items():
        folder, _, name = path.rpartition("/")
        if is_migration_module_name(name):
            by_folder.setdefault(folder, []).append((path, blob))
    apps: dict[str, _BaseApp] = {}
    known: set[str] = set()
    for label, app in discovery.apps.items():
        relative = _relative(app.folder, toplevel)
        if relative is None:
            continue  # outside the repository: not under version control here
        apps[label] = _BaseApp(relative, tuple(sorted(by_folder.get(relative, ()))))
        known.add(relative)
    prefix = under + "/" if under else ""
    for path in listing:
        folder, _, name = path.rpartition("/")
        if name != "__init__.py" or folder in known or folder not in by_folder or not path.startswith(prefix):
            continue
        parts = folder.split("/")
        if parts[-1] != "migrations" or parts[-3:] == ["django", "db", "migrations"] or any(
            part.startswith(".") or part in _SKIPPED_FOLDERS or part.endswith(".egg-info") for part in parts
        ):
            continue
        absolute = os.path.join(toplevel, *parts)
        if os.path.isfile(os.path.join(absolute, "__init__.py")):
            continue  # still a package: one discovery left out (excluded, not installed), not one that is gone
        label = _label_of_gone_app(os.path.dirname(absolute), discovery)
        if label not in discovery.apps and label not in apps:
            apps[label] = _BaseApp(folder, tuple(sorted(by_folder[folder])))
    return apps


def _label_of_gone_app(app_folder: str, discovery: Discovery) -> str:
    real = os.path.realpath(app_folder)
    for installed in discovery.installed_apps:
        if installed.label and installed.folder and os.path.realpath(installed.folder) == real:
            return installed.label
    return read_app_label(os.path.join(app_folder, "apps.py")) or os.path.basename(app_folder)


def _emptied(discovery: Discovery, toplevel: str, folder: str) -> EmptiedApp:
    """Where DJM503 reports the migrations of an app that has none left, whose migrations folder was ``folder``
    (relative to the repository's top)."""
    real_root = os.path.realpath(discovery.root)
    absolute = os.path.join(os.path.realpath(toplevel), *folder.split("/"))
    # Paths as discovery spells the project root (the command displays them relative to the folder it runs in).
    in_project = os.path.relpath(absolute, real_root)
    where = os.path.normpath(os.path.join(discovery.root, in_project))
    shown = in_project.replace(os.sep, "/")
    package = os.path.join(where, "__init__.py")
    if os.path.isfile(package):
        return EmptiedApp(shown, False, package)
    return EmptiedApp(shown, True, _nearest_python_file(where, discovery.root))


def _nearest_python_file(folder: str, root: str) -> str | None:
    """The first Python file in ``folder`` or the nearest folder above it, up to ``root``: its ``__init__.py``, else
    its first ``.py`` file by name."""
    current = folder
    while True:
        try:
            names = sorted(os.listdir(current))
        except OSError:
            names = []
        for name in ("__init__.py", *names):
            path = os.path.join(current, name)
            if name.endswith(".py") and os.path.isfile(path):
                return path
        parent = os.path.dirname(current)
        if current == root or parent == current or not current.startswith(root.rstrip(os.sep) + os.sep):
            return None
        current = parent


def _cat_blobs(toplevel: str, blobs: list[str]) -> dict[str, bytes]:
    """The contents of ``blobs``, from one ``git cat-file --batch`` process."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    result = _run_git(toplevel, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in unique).encode())
    output, position, found = result.stdout, 0, {}  # a failed cat-file hands over nothing: nothing found
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


class NewOnly:
    """``djm-new-only``: what a pull request adds, changes, deletes or renames since the base revision, and which
    findings are about it: a finding in a file added or changed since, or one that names a migration added, changed,
    deleted or renamed since (``app.0012_x``). The working files are compared with the base by their git blob id,
    computed here: git reads the base's tree and lists the files, and runs no filter or hook (``_GIT_SAFE``)."""

    __slots__ = ("migrations", "_top", "_base", "_listed", "_answers", "_folders")

    def __init__(
        self, toplevel: str, base: Mapping[str, tuple[str, str]], listed: frozenset[str],
        migrations: frozenset[Key] = frozenset(),
    ) -> None:
        self.migrations = migrations  # (app, name) of the migrations added, changed, deleted or renamed
        self._top = toplevel
        self._base = base  # each file of the base: its path relative to the top -> mode and blob id
        self._listed = listed  # the files git tracks or would add (not ignored) now, relative to the top
        self._answers: dict[str, bool] = {}
        self._folders: dict[str, tuple[str, str | None]] = {}  # folder -> its real path, and relative to the top

    @classmethod
    def since(cls, commit: str, discovery: Discovery, repository: str | None = None) -> NewOnly:
        toplevel = repository or _git(discovery.root, "rev-parse", "--show-toplevel").strip()
        base = _ls_tree(toplevel, commit)
        listing = _git(toplevel, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        found = cls(toplevel, base, frozenset(name for name in listing.split("\0") if name))
        keys = {
            (label, os.path.basename(path)[: -len(".py")])
            for label, app in discovery.apps.items() for path in app.files if found.changed(path)
        }
        under = _relative(discovery.root, toplevel)
        for label, app in _base_apps(toplevel, base, discovery, under or "").items():
            for path, _ in app.files:
                if not os.path.lexists(os.path.join(toplevel, *path.split("/"))):
                    keys.add((label, path.rpartition("/")[2][: -len(".py")]))  # deleted, or renamed
        found.migrations = frozenset(keys)
        return found

    def changed(self, path: str) -> bool:
        """Whether the file at ``path`` was added (and is not ignored) or changed since the base."""
        answer = self._answers.get(path)
        if answer is None:
            answer = self._answers[path] = self._changed(path)
        return answer

    def _changed(self, path: str) -> bool:
        folder, base_name = os.path.split(os.path.abspath(path))
        # The folder's real path, not the file's: a symbolic link is compared as the link git stores. Once per
        # folder: every migration of the project is asked about.
        if folder not in self._folders:
            self._folders[folder] = (os.path.realpath(folder), _relative(folder, self._top))
        real, relative = self._folders[folder]
        if relative is None:
            return False  # outside the repository: nothing to compare with
        name = f"{relative}/{base_name}" if relative else base_name
        was = self._base.get(name)
        if was is None:
            return name in self._listed  # new: reported unless git ignores it
        return not _same_file(os.path.join(real, base_name), *was)

    def keeps(self, path: str, message: str) -> bool:
        if self.changed(path):
            return True
        # Messages name a migration `app.name` (or `app.name.field`), or the app and then `name` (DJM304).
        return any(
            f"`{app}.{name}`" in message or f"`{app}.{name}." in message
            or (f"`{app}`" in message and f"`{name}`" in message)
            for app, name in self.migrations
        )


def _same_file(path: str, mode: str, blob: str) -> bool:
    """Whether the working file at ``path`` holds what the base's blob does: the same bytes, or the same once its
    CRLF line ends are LF (what git's ``core.autocrlf`` and ``eol`` attributes check out); a symbolic link (mode
    120000), the same target."""
    if mode == "120000":
        try:
            return _blob_id(os.fsencode(os.readlink(path))) == blob
        except OSError:
            return False
    data = read_regular_file(path, follow_symlinks=False)
    if data is None:
        return False
    return _blob_id(data) == blob or (b"\r\n" in data and _blob_id(data.replace(b"\r\n", b"\n")) == blob)

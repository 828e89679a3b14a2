"""An on-disk cache of ``MigrationFacts``: one shard per migrations folder, holding its files' facts by content.

A shard is read once and, when anything in the folder changed, written once (temporary file, then
``os.replace``), so a cold run writes a file per migrations folder, not one per migration: creating many small
files is what made a cold run slower than no cache at all (the README's performance section). Entries are keyed
by the file's content with its path (facts contain the path), so any complete shard is correct: concurrent
``flake8 --jobs`` workers and CI jobs need no lock, and a write lost to a concurrent one only means a later miss.
When a whole folder is loaded, the shard keeps exactly the current files' entries, so old versions do not pile up.
A ``(path, size, mtime_ns)`` index would save only the hashing of bytes that must be read anyway, unless it
trusted the stat alone, which serves an edit that kept size and mtime stale.

Whoever can write to the cache decides what flake8 reports, so the cache is used only where nobody else can:
folders are made 0700 and entries 0600 whatever the umask, a folder owned by another user or writable by others
turns the cache off, no symbolic link below the configured folder is followed, and unpickling builds nothing but
the records that facts and findings are made of.

Those checks cannot tell an entry this user wrote from one a repository shipped: a project's configuration may
name a cache folder inside it (``djm-cache-dir = .djm-cache``), and a clone gives the folder and the entries
committed there this user's ownership and modes. Facts of a harmless migration stored under the key of one that
drops a table would hide its finding. So every entry ends with a MAC of the rest (keyed BLAKE2b), keyed by a secret
of this user kept outside any folder a project can name: ``secret`` (32 random bytes, 0600) in the default cache
folder of the user's cache home, made on first use. An entry that does not verify is never unpickled; without the
secret the cache is off. Wherever the folder is and whoever named it, only what this user's runs wrote is served.
"""

from __future__ import annotations

import ast
import contextlib
import copyreg
import dataclasses
import functools
import gc
import io
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import flake8_django_migrations
from flake8_django_migrations.digest import blake2b, same_digest
from flake8_django_migrations.files import read_regular_file, recording_lookups, stamps_of_lookups, stamps_unchanged
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.source import decode_source

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts

__all__ = [
    "FORMAT", "PARALLEL_MIN_FILES", "FactsCache", "FolderLoaded", "available_cores", "collection_paused",
    "default_cache_dir", "fork_context",
]

# Bump when the layout of an entry or what goes into the key changes; a new value starts an empty cache.
FORMAT: Final = 5

# Below this many files to extract, starting a pool and moving the facts back cost more than the second core saves
# (measured on 2 cores: 100 files take 40 ms in one process and 53 ms in two, 200 files 98 ms and 76 ms).
PARALLEL_MIN_FILES: Final = 200

_PROTOCOL: Final = pickle.HIGHEST_PROTOCOL
# O_EXCL: the temporary file is always a new one, never a file or link someone planted under its name.
_WRITE_FLAGS: Final = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
# A shard holds about 1 kB per migration; far more than any folder of migrations needs, yet a bounded read.
_ENTRY_LIMIT: Final = 256 * 1024 * 1024
# Elsewhere the owner and mode bits are made up (every folder looks writable by all on Windows).
_POSIX_PERMISSIONS: Final = hasattr(os, "geteuid") and hasattr(os, "fchmod")
_UID: Final = os.geteuid() if _POSIX_PERMISSIONS else -1
# The secret that authenticates entries, in the default cache folder (``default_cache_dir``), and the MAC that
# ends every entry. After the pickle, not before: a pickle ends at its STOP opcode, so an entry still loads as one.
_SECRET_NAME: Final = "secret"
_SECRET_SIZE: Final = 32
_MAC_SIZE: Final = 32
_MAC_PERSON: Final = b"djm-cache-entry"  # domain separation, should the secret ever key anything else
_READ_SECRET_FLAGS: Final = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


# Every class an entry may hold. Listed by hand rather than found in the facts package, so that nothing added
# there (a helper, an imported module) becomes loadable by accident. The facts' records are looked up on first use:
# a run served from entries of findings (a warm one) never imports the facts package, a third of its start-up.
@functools.cache
def _records() -> tuple[type, ...]:
    from flake8_django_migrations.facts import (
        Call,
        CallSite,
        Dependency,
        FunctionFacts,
        LiveModelUse,
        MalformedDependency,
        MigrationFacts,
        ModelRead,
        Operation,
        QuerysetUse,
        Ref,
        Site,
    )
    from flake8_django_migrations.facts.model import Suppression, WholeTableQuery

    return (
        MigrationFacts,
        Operation,
        Dependency,
        Ref,
        Call,
        Site,
        CallSite,
        QuerysetUse,
        ModelRead,
        WholeTableQuery,
        Suppression,
        FunctionFacts,
        LiveModelUse,
        MalformedDependency,
        Finding,
    )


_FINDING: Final = (Finding.__module__, Finding.__qualname__)


@functools.cache
def _setup_records() -> Mapping[tuple[str, str], type]:
    """The records of a project's setup (``project/setup.py``): looked up apart from the facts', so that a run served
    from the cache does not import the facts package to read them."""
    from flake8_django_migrations.project.discover import AppMigrations, Discovery, InstalledApp
    from flake8_django_migrations.settings import DjangoSettings, ReadSetting

    return {(cls.__module__, cls.__qualname__): cls
            for cls in (Discovery, AppMigrations, InstalledApp, DjangoSettings, ReadSetting)}


@functools.cache
def _loadable() -> Mapping[tuple[str, str], object]:
    """What an unpickler may look up, by the exact (module, qualified name) the pickler writes. UNKNOWN pickles as
    a global of its module; a complex number (a literal ``1j`` in a migration) as ``builtins.complex``."""
    from flake8_django_migrations.facts import UNKNOWN
    from flake8_django_migrations.facts.model import FrozenMapping

    return {
        **{(cls.__module__, cls.__qualname__): cls for cls in _records()},
        # Not among the records: it pickles by its own __reduce__, as a class called with two tuples.
        (FrozenMapping.__module__, FrozenMapping.__qualname__): FrozenMapping,
        (type(UNKNOWN).__module__, "UNKNOWN"): UNKNOWN,
        ("builtins", "complex"): complex,
    }


def extract_facts(
    tree: ast.Module, path: str, app_label: str | None = None, source: str | None = None
) -> MigrationFacts | None:
    """The facts package's ``extract_facts``, imported with the first file to extract."""
    from flake8_django_migrations.facts import extract_facts as extract

    return extract(tree, path, app_label=app_label, source=source)


def _constructor_reducer(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    names = tuple(f.name for f in dataclasses.fields(cls))

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, tuple(getattr(obj, name) for name in names)

    return reduce


@functools.cache
def _dispatch_table() -> Mapping[type, Any]:
    """Pickle each record as ``cls(*fields)``.

    Frozen slots dataclasses otherwise unpickle through a Python ``__setstate__`` that calls ``fields()`` and
    ``object.__setattr__`` per attribute; the constructor is much faster, and loading is most of a warm run.
    """
    table: dict[type, Any] = dict(copyreg.dispatch_table)
    for cls in _records():
        # Keyword-only fields cannot be passed positionally: such a class keeps the default reduction.
        if all(f.init and not f.kw_only for f in dataclasses.fields(cls)):
            table[cls] = _constructor_reducer(cls)
    return table


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/flake8-django-migrations``, else ``~/.cache/flake8-django-migrations``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "flake8-django-migrations"


def _parse_tree(data: bytes, path: str) -> tuple[ast.Module, str] | None:
    """The module flake8 would see (the same decoding) and its text, or None when it does not parse."""
    source = decode_source(data)
    try:
        return ast.parse(source, filename=path), source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class _Unpickler(pickle.Unpickler):
    """Loads only what facts and findings are made of, so a foreign or crafted file in the cache cannot run code.

    Never ``super().find_class``: it imports modules and resolves dotted names, so any allowed module would open
    the way to everything it imports (``facts`` + ``os.system`` is ``os.system``).
    """

    def find_class(self, module: str, name: str) -> object:
        found: object = Finding if (module, name) == _FINDING else _setup_records().get((module, name))
        if found is None:
            found = _loadable().get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of MigrationFacts or Finding")
        return found


# What ``load_folders`` hands on for each folder: its paths, its app label, and their facts (None: unreadable).
FolderLoaded = Callable[[tuple[str, ...], "str | None", Mapping[str, "MigrationFacts | None"]], None]


def _nothing_more(paths: tuple[str, ...], app_label: str | None, loaded: Mapping[str, MigrationFacts | None]) -> None:
    pass


def _batches(order: Sequence[int], sizes: Sequence[int], jobs: int) -> list[list[int]]:
    """The folders ``order`` lists (by index; ``sizes``: their number of files) in runs of consecutive ones, a
    worker's task each: a few dozen per worker, so that the work still spreads evenly. One pickle per task rather
    than per folder: a pickle holds a string once however often its facts name it, and the names of field
    classes, parameters and models recur in every folder (400 copies each at 400 apps, 2 MB)."""
    least = max(1, sum(sizes) // (jobs * _TASKS_PER_WORKER))
    batches: list[list[int]] = []
    filled = least
    for index in order:
        if filled >= least:
            batches.append([])
            filled = 0
        batches[-1].append(index)
        filled += sizes[index]
    return batches


def _with_own_paths(
    paths: Sequence[str], loaded: Mapping[str, MigrationFacts | None]
) -> dict[str, MigrationFacts | None]:
    """``loaded`` (unpickled) keyed by the caller's own strings ``paths``, which its facts then hold too."""
    return {path: _with_own_path(loaded[path], path) for path in paths if path in loaded}


def _with_own_path(facts: MigrationFacts | None, path: str) -> MigrationFacts | None:
    """``facts`` holding the caller's string ``path`` (discovery's) instead of an equal one unpickled: a project
    holds every migration's path, a hundred bytes each, and would otherwise hold it twice. The record does not
    change but for the identity of an equal string, so it is set in place (a copy would cost more than it saves)."""
    if facts is not None and facts.path is not path and facts.path == path:
        object.__setattr__(facts, "path", path)
    return facts


class _Miss:
    __slots__ = ()


_MISS: Final = _Miss()


class FactsCache:
    """Facts per file, from disk when the same path with the same content was seen before.

    ``facts_for`` never raises: an unreadable, undecodable or unparsable file gives None, and every problem with
    the cache directory (missing, unwritable, unsafe, corrupt or unauthenticated entries) degrades to parsing the
    file. An instance serves one run: the facts also read from other files are never written, but kept in memory
    for its lifetime.
    """

    def __init__(self, directory: str | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        root = Path(directory) if directory else default_cache_dir()
        # Disabled means no disk access at all, not even the reads of the extractor's source the namespace needs.
        self.directory = root / _namespace() if enabled else root
        self._folders = (os.fspath(root), os.fspath(self.directory))  # above every fan-out folder
        self._prefix = os.fspath(self.directory) + os.sep  # strings, not Paths: pathlib costs show per entry
        self._safe = enabled  # False once a folder of the cache turned out unsafe: no more reads nor writes
        self._writable = enabled
        self._trusted: set[str] = set()  # folders found safe, to skip their checks (and a mkdir) per entry
        self._secret: bytes | None = None  # what authenticates entries, once read (for the first entry)
        # Temporary names must not collide between processes, also on another machine sharing the folder.
        self._token = _new_token()
        # What ``load_folders`` loaded, served to the calls per folder that follow in the same run.
        self._loaded: dict[tuple[tuple[str, ...], str | None], dict[str, MigrationFacts | None]] = {}
        # Facts also read from other files, by key: never written, but served for the rest of the run (an instance
        # is one run's), so that the per-file findings, the project findings' key and the project pass extract them
        # once.
        self._read_elsewhere: dict[str, MigrationFacts] = {}

    def load_folders(
        self, groups: Sequence[tuple[Sequence[str], str | None]], jobs: int = 1, then: FolderLoaded | None = None
    ) -> None:
        """Load the facts of whole migrations folders (each group: all the paths of one folder and its app
        label), extracting those not in the cache over ``jobs`` processes, and keep them for the
        ``facts_for_files(paths, complete=True, app_label=...)`` calls of this run that follow. ``then`` is called
        with each folder's facts as soon as they are in, so that the caller's own work on them runs while the
        workers still extract the other folders (the parent process would otherwise only wait for them).

        Only the command calls this: it holds every file's facts anyway, while a flake8 worker must not (and
        flake8 has its own ``--jobs``). Folders whose shard has every file are read here; the others go to a
        process pool when there are enough of their files to pay for one (``fork_context``).
        """
        with collection_paused():
            self._load_folders(groups, jobs, then or _nothing_more)

    def _load_folders(
        self, groups: Sequence[tuple[Sequence[str], str | None]], jobs: int, then: FolderLoaded
    ) -> None:
        pending: list[tuple[tuple[str, ...], str | None]] = []
        for paths, app_label in groups:
            group = (tuple(paths), app_label)
            hit = self._from_shards(group[0], app_label)
            if hit is not None:
                self._loaded[group] = hit
                then(group[0], app_label, hit)
            else:
                pending.append(group)
        context = fork_context(sum(len(paths) for paths, _ in pending), jobs)
        if context is not None:
            pending = self._extract_in_pool(pending, jobs, context, then)
        for paths, app_label in pending:
            loaded = self._loaded[(paths, app_label)] = self.facts_for_files(
                paths, complete=True, app_label=app_label
            )
            then(paths, app_label, loaded)

    def _from_shards(self, paths: Sequence[str], app_label: str | None) -> dict[str, MigrationFacts | None] | None:
        """The facts of ``paths`` when the cache holds every one of them, else None (without parsing anything)."""
        if not self.enabled or not paths:
            return None
        found: dict[str, MigrationFacts | None] = {}
        shards: dict[str, dict[str, MigrationFacts | str | None]] = {}
        used: dict[str, set[str]] = {}
        for path in paths:
            folder = os.path.dirname(os.path.abspath(path))
            if folder not in shards:
                shards[folder] = self._load_shard(self._shard_key(folder))
                used[folder] = set()
                if not shards[folder]:
                    return None
            data = read_regular_file(path)
            if data is None:
                found[path] = None
                continue
            key = self._key(data, path, app_label)
            facts = shards[folder].get(key, _READ_ELSEWHERE)
            if isinstance(facts, str):
                return None  # not kept, or kept apart (read from other files too): the complete load looks there
            found[path] = _with_own_path(facts, path)
            used[folder].add(key)
        # A shard that also holds entries of old versions is left to the complete load, which drops them.
        if any(len(used[folder]) != len(shard) for folder, shard in shards.items()):
            return None
        return found

    def _extract_in_pool(
        self, groups: list[tuple[tuple[str, ...], str | None]], jobs: int, context: Any, then: FolderLoaded
    ) -> list[tuple[tuple[str, ...], str | None]]:
        """Load ``groups`` in worker processes, each reading, extracting and storing whole folders as
        ``facts_for_files`` does; the groups a failing pool left undone are returned for the caller to load."""
        undone = dict(enumerate(groups))
        # The largest folders first, so that no worker is left with a big one at the end.
        order = sorted(undone, key=lambda index: -len(groups[index][0]))
        batches = _batches(order, [len(paths) for paths, _ in groups], jobs)
        try:
            with context.Pool(min(jobs, len(batches)), initializer=_start_worker, initargs=(self,)) as pool:
                tasks = [[(index, *groups[index]) for index in batch] for batch in batches]
                for indexes, payload in pool.imap_unordered(_load_in_worker, tasks):
                    for index, unpickled in zip(indexes, _Unpickler(io.BytesIO(payload)).load()):
                        loaded = _with_own_paths(groups[index][0], unpickled)
                        self._loaded[groups[index]] = loaded
                        del undone[index]
                        then(groups[index][0], groups[index][1], loaded)
        except Exception:
            pass  # no processes here (a sandbox, a worker killed): what is left is loaded in this process
        return [undone[index] for index in sorted(undone)]

    def facts_for(self, path: str) -> MigrationFacts | None:
        return self.facts_for_files([path])[path]

    def facts_for_files(
        self, paths: Sequence[str], complete: bool = False, app_label: str | None = None
    ) -> dict[str, MigrationFacts | None]:
        """The facts of many files, reading and writing each folder's shard once. ``complete`` says the paths are
        all the migrations of their folders: the shard then keeps only their entries. ``app_label``: see
        ``extract_facts``."""
        if complete and self._loaded:
            loaded = self._loaded.get((tuple(paths), app_label))
            if loaded is not None:
                return dict(loaded)
        by_folder: dict[str, list[str]] = {}
        for path in paths:
            by_folder.setdefault(os.path.dirname(os.path.abspath(path)), []).append(path)
        found: dict[str, MigrationFacts | None] = {}
        for folder, group in by_folder.items():
            found.update(self._folder(folder, group, complete, app_label))
        return found

    def _folder(
        self, folder: str, paths: list[str], complete: bool, app_label: str | None
    ) -> dict[str, MigrationFacts | None]:
        shard_key = self._shard_key(folder) if self.enabled else ""
        stored = self._load_shard(shard_key) if self.enabled else {}
        kept: dict[str, MigrationFacts | str | None] = {} if complete else dict(stored)
        changed = False
        found: dict[str, MigrationFacts | None] = {}
        for path in paths:
            data = read_regular_file(path)
            if data is None:
                found[path] = None
                continue
            key = self._key(data, path, app_label) if self.enabled else ""
            if key in self._read_elsewhere:
                found[path] = self._read_elsewhere[key]
                kept[key] = _READ_ELSEWHERE
                continue
            elsewhere = self._read_elsewhere_slot(path, app_label) if self.enabled else ""
            if key in stored:
                kept_facts = stored[key]
                if not isinstance(kept_facts, str):
                    found[path] = kept[key] = kept_facts
                    continue
                # The shard only says where they are: looked up there, not for every new file of a cold run.
                served = self._facts_read_elsewhere(elsewhere, key)
                if served is not None:
                    found[path] = self._read_elsewhere[key] = served
                    kept[key] = _READ_ELSEWHERE
                    continue
            parsed = _parse_tree(data, path)
            with recording_lookups() as looked:
                facts = self._extract(parsed[0], path, app_label, parsed[1]) if parsed is not None else None
            if isinstance(facts, _Miss):
                found[path] = None
                continue
            found[path] = facts
            # Facts that depend on another file (a models module, a base class's module) would go stale with it: kept
            # apart, with the stamp of every file and folder they were read from.
            if self.enabled and (facts is None or not facts.reads_other_files):
                kept[key] = facts
                changed = True
            elif self.enabled and facts is not None:
                self._read_elsewhere[key] = facts
                stamps = stamps_of_lookups(looked)
                if stamps is not None:
                    self.store_slot_data(elsewhere, key, {"facts": facts, "stamps": stamps})
                    kept[key] = _READ_ELSEWHERE
                    changed = True
        if self.enabled and (changed or len(kept) != len(stored)):
            self._store(shard_key, kept)
        return found

    @staticmethod
    def _read_elsewhere_slot(path: str, app_label: str | None) -> str:
        """The entry of the facts of the migration at ``path`` that were also read from other files: one per file,
        replaced when it changes."""
        named = f"{os.path.abspath(path)}\0{path}\0{app_label}".encode("utf-8", "surrogatepass")
        return "elsewhere-" + blake2b(named, digest_size=20).hexdigest()

    def _facts_read_elsewhere(self, slot: str, key: str) -> MigrationFacts | None:
        """The facts stored in ``slot`` for the text whose key is ``key``, when none of the files and folders they
        were read from changed since; else None."""
        from flake8_django_migrations.facts import MigrationFacts

        stored = self.slot_data(slot, key)
        if stored is None:
            return None
        facts, stamps = stored.get("facts"), stored.get("stamps")
        if not isinstance(facts, MigrationFacts) or not isinstance(stamps, tuple) or not stamps_unchanged(stamps):
            return None
        return facts

    def _load_shard(self, shard_key: str) -> dict[str, MigrationFacts | str | None]:
        """A folder's facts by key; ``_READ_ELSEWHERE`` for a migration whose facts are kept in an entry of their
        own (they were also read from other files)."""
        from flake8_django_migrations.facts import MigrationFacts

        shard = self._load(shard_key)
        if isinstance(shard, dict) and all(
            isinstance(key, str) and (facts is None or facts == _READ_ELSEWHERE or isinstance(facts, MigrationFacts))
            for key, facts in shard.items()
        ):
            return shard
        return {}

    def _shard_key(self, folder: str) -> str:
        return "shard-" + blake2b(folder.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    @staticmethod
    def _extract(
        tree: ast.Module, path: str, app_label: str | None = None, source: str | None = None
    ) -> MigrationFacts | None | _Miss:
        try:
            return extract_facts(tree, path, app_label=app_label, source=source)
        except Exception:
            # A bug in fact extraction must not crash flake8 on an unrelated file, nor be cached as a result.
            return _MISS

    @staticmethod
    def _key(data: bytes, path: str, app_label: str | None = None) -> str:
        digest = blake2b(digest_size=20)
        # The path as given ends up in the facts (and decides the app label unless one is given); the absolute
        # path decides what a relative one means.
        digest.update(os.path.abspath(path).encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(path.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        if app_label is not None:
            digest.update(b"label\0" + app_label.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> str:
        return f"{self._prefix}{key[:2]}{os.sep}{key[2:]}"

    def project_findings(self, slot: str, fingerprint: str) -> Mapping[str, bytes] | None:
        """The project findings stored in ``slot`` by ``store_project_findings`` when they were worked out from
        ``fingerprint``, by file and still pickled (``findings_of`` reads one file's): a run on one file unpickles
        that file's only. None when not stored."""
        stored = self.slot_data(slot, fingerprint)
        by_path = stored.get("by_path") if stored is not None else None
        if isinstance(by_path, dict) and all(
            isinstance(path, str) and isinstance(payload, bytes) for path, payload in by_path.items()
        ):
            return by_path
        return None

    def store_project_findings(self, slot: str, fingerprint: str, findings: Sequence[Finding]) -> None:
        """Stores ``findings`` (sorted by ``Finding.sort_key``) worked out from ``fingerprint`` in ``slot``, in place
        of what it held, by file, each file's in a pickle of its own."""
        if not self.enabled:
            return
        by_path: dict[str, list[Finding]] = {}
        for finding in findings:
            by_path.setdefault(finding.path, []).append(finding)
        try:
            pickled = {path: _pickled(tuple(found)) for path, found in sorted(by_path.items())}
        except Exception:
            return  # not stored: computed again next time
        self.store_slot_data(slot, fingerprint, {"by_path": pickled})

    @staticmethod
    def findings_of(payload: bytes) -> tuple[Finding, ...] | None:
        """The findings of one file of ``project_findings``; None when they do not read as findings (an entry made
        by another version)."""
        try:
            found = _Unpickler(io.BytesIO(payload)).load()
        except Exception:
            return None
        return found if isinstance(found, tuple) and all(isinstance(item, Finding) for item in found) else None

    def file_findings(self, slot: str, fingerprint: str) -> tuple[dict[str, tuple[Finding, ...] | None], bool] | None:
        """The per-file findings by path stored in ``slot`` by ``store_file_findings`` when they were worked out from
        ``fingerprint``, and whether a ``RunSQL`` among them went unanalysed; None when not stored."""
        stored = self.slot_data(slot, fingerprint)
        if stored is None:
            return None
        findings, unanalysed = stored.get("findings"), stored.get("sql_unanalysed")
        if isinstance(findings, dict) and isinstance(unanalysed, bool) and all(
            isinstance(path, str)
            and (found is None or (isinstance(found, tuple) and all(isinstance(f, Finding) for f in found)))
            for path, found in findings.items()
        ):
            return findings, unanalysed
        return None

    def store_file_findings(
        self, slot: str, fingerprint: str, findings: Mapping[str, tuple[Finding, ...] | None], sql_unanalysed: bool
    ) -> None:
        """Stores the per-file findings worked out from ``fingerprint`` in ``slot``, in place of what it held."""
        self.store_slot_data(slot, fingerprint, {"findings": dict(findings), "sql_unanalysed": sql_unanalysed})

    def slot_data(self, slot: str, worked_out_from: str) -> dict[str, Any] | None:
        """What ``store_slot_data`` keeps in ``slot``, when it was worked out from ``worked_out_from``; else None."""
        stored = self.data(slot)
        return stored if stored is not None and stored.get("worked out from") == worked_out_from else None

    def store_slot_data(self, slot: str, worked_out_from: str, value: Mapping[str, Any]) -> None:
        """Keeps ``value`` in ``slot`` in place of what it held: one entry per file or project, whatever version of
        it ``worked_out_from`` (a key of its inputs) names, so that editing it again and again adds none."""
        self.store_data(slot, {**value, "worked out from": worked_out_from})

    def data(self, key: str) -> dict[str, Any] | None:
        """The dict stored under ``key`` by ``store_data``, or None. Its values are plain data (strings, numbers,
        booleans, None, and tuples, lists, sets and dicts of them), findings, or the records of a project's setup
        (``project/setup.py``): the unpickler builds nothing else."""
        if not self.enabled:
            return None
        stored = self._load(key)
        return stored if isinstance(stored, dict) else None

    def store_data(self, key: str, value: Mapping[str, Any]) -> None:
        if self.enabled:
            self._store(key, dict(value))

    def _load(self, key: str) -> Any:
        # An entry is a pickle of (key, value) and its MAC; the key inside guards against an entry renamed or copied
        # by hand, the MAC against one this user's runs did not write.
        entry = self._entry(key)
        if not self._ready(os.path.dirname(entry), create=False):
            return _MISS
        secret = self._entry_secret()
        if secret is None:
            return _MISS
        try:
            data = read_regular_file(entry, _ENTRY_LIMIT, follow_symlinks=False)
            if data is None or len(data) <= _MAC_SIZE:
                return _MISS
            payload = memoryview(data)[:-_MAC_SIZE]
            if not same_digest(data[-_MAC_SIZE:], _mac(secret, payload)):
                return _MISS
            stored_key, value = _Unpickler(io.BytesIO(payload)).load()
        except Exception:
            # Missing, truncated, garbage, from another Python: all mean "parse again", and the write repairs it.
            return _MISS
        if stored_key != key:
            return _MISS
        if not (value is None or isinstance(value, (tuple, dict)) or isinstance(value, _records())):
            return _MISS
        return value

    def _ready(self, folder: str, create: bool) -> bool:
        """Whether entries in the fan-out ``folder`` may be read and written: it and the folders above it, up to
        the configured root, exist and are folders of this user that no one else can write to. Otherwise anyone
        could plant an entry, or a link that sends our writes elsewhere. ``create`` makes the missing ones.

        A folder that exists but is unsafe turns the cache off for the rest of the run rather than trusting
        part of it; nothing is repaired, since what was planted while it was open cannot be told apart.
        """
        if not self._safe:
            return False
        if folder in self._trusted:
            return True
        for path in (*self._folders, folder):
            if path in self._trusted:
                continue
            # The root may be a link the user set up (to another disk, say); below it, none is followed.
            is_root = path == self._folders[0]
            state = _folder_state(path, follow=is_root)
            if state is None and create and self._writable:
                try:
                    _make_private_folder(path, parents=is_root)
                except FileExistsError:
                    pass  # a concurrent run made it: judged below like any other
                except FileNotFoundError:
                    self._trusted.clear()  # a folder above was deleted under us; the next write starts over
                    return False
                except OSError:
                    self._writable = False  # read-only or full disk: run uncached rather than retry every file
                    return False
                state = _folder_state(path, follow=is_root)
            if state is None:
                return False  # nothing stored there yet
            if not state:
                self._safe = False
                return False
            self._trusted.add(path)
        return True

    def _store(self, key: str, value: object) -> None:
        if not (self._writable and self._safe):
            return
        try:
            payload = _pickled((key, value))
        except Exception:
            return  # facts that do not pickle are still correct, just not cached
        entry = self._entry(key)
        folder = os.path.dirname(entry)
        if not self._ready(folder, create=True):
            return
        secret = self._entry_secret()
        if secret is None:
            return
        payload += _mac(secret, payload)
        # Not tempfile.mkstemp: its random names cost as much as the rest of the write.
        temporary = os.path.join(folder, f".{key[2:12]}.{self._token}.tmp")
        try:
            descriptor = os.open(temporary, _WRITE_FLAGS, 0o600)
        except FileExistsError:
            return  # only a leftover of a crashed run of this very process id and token; not worth a retry
        except FileNotFoundError:
            self._trusted.clear()  # the cache was deleted under us; the next write makes and checks it again
            return
        except OSError:
            self._writable = False  # read-only or full disk: run uncached rather than retry every file
            return
        try:
            try:
                if _POSIX_PERMISSIONS:
                    os.fchmod(descriptor, 0o600)  # the umask may have taken away the owner's bits too
                view = memoryview(payload)
                while view:
                    view = view[os.write(descriptor, view) :]
            finally:
                os.close(descriptor)
            # Atomic on POSIX and Windows: readers see the old entry, the new one, or none, never a partial one.
            # A link planted at the entry's name is replaced itself, not written through.
            os.replace(temporary, entry)
        except OSError:
            # Disk full, or (on Windows) a reader holding the entry open; another run writes it.
            try:
                os.unlink(temporary)
            except OSError:
                pass

    def _entry_secret(self) -> bytes | None:
        """The secret entries are authenticated with, read (or made) once; None turns the cache off: without it
        an entry this user wrote cannot be told from one planted in the folder."""
        if self._secret is None and self._safe:
            try:
                folder = os.fspath(default_cache_dir())
            except (RuntimeError, KeyError, OSError):
                folder = None  # no home folder to be found
            self._secret = _user_secret(folder, self._token) if folder is not None else None
            if self._secret is None:
                self._safe = False
        return self._secret


def _pickled(value: object) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(value)
    return buffer.getvalue()


def _mac(secret: bytes, payload: bytes | memoryview) -> bytes:
    return blake2b(payload, digest_size=_MAC_SIZE, key=secret, person=_MAC_PERSON).digest()


def _user_secret(folder: str, token: str) -> bytes | None:
    """The secret in ``folder`` (the user's default cache folder), made when there is none yet; None when it
    cannot be had safely: the folder is not a private folder of this user (as the cache's own are judged), or the
    file is not a regular 0600 file of this user holding a secret, or nothing can be written there."""
    state = _folder_state(folder, follow=True)
    if state is None:
        try:
            _make_private_folder(folder, parents=True)
        except FileExistsError:
            pass  # a concurrent run made it: judged below
        except OSError:
            return None
        state = _folder_state(folder, follow=True)
    if not state:
        return None
    path = os.path.join(folder, _SECRET_NAME)
    found = _read_secret(path)
    if found is _MISS:
        found = _make_secret(path, token)
    return found if isinstance(found, bytes) else None


def _read_secret(path: str) -> bytes | _Miss | None:
    """The secret at ``path``; ``_MISS`` when there is no file, None when what is there is not one."""
    try:
        descriptor = os.open(path, _READ_SECRET_FLAGS)
    except FileNotFoundError:
        return _MISS
    except (OSError, ValueError):
        return None  # a link (O_NOFOLLOW), or unreadable
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size != _SECRET_SIZE:
            return None
        if _POSIX_PERMISSIONS and (status.st_uid != _UID or status.st_mode & 0o077):
            return None  # another user's, or one others may read: they could forge entries
        data = os.read(descriptor, _SECRET_SIZE + 1)
        return data if len(data) == _SECRET_SIZE else None
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _make_secret(path: str, token: str) -> bytes | _Miss | None:
    """A new secret at ``path``, written whole to a temporary file and linked to its name, so that a concurrent
    run never reads half of one; when a concurrent run made one first, that one. Then read back as any other."""
    temporary = f"{path}.{token}.tmp"
    try:
        descriptor = os.open(temporary, _WRITE_FLAGS, 0o600)
    except OSError:
        return None
    try:
        try:
            if _POSIX_PERMISSIONS:
                os.fchmod(descriptor, 0o600)
            written = os.write(descriptor, os.urandom(_SECRET_SIZE))
        finally:
            os.close(descriptor)
        if written != _SECRET_SIZE:
            return None
        try:
            os.link(temporary, path)  # unlike a rename, never over a secret a concurrent run made
        except FileExistsError:
            pass
        except OSError:
            os.replace(temporary, path)  # a file system without hard links: at worst two runs' entries miss
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return _read_secret(path)


def _new_token() -> str:
    return f"{os.getpid()}-{os.urandom(4).hex()}"


def available_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1  # Python 3.13+
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_context(work: int, jobs: int) -> Any:
    """A multiprocessing context for ``jobs`` processes over ``work`` files, or None when one process does it
    faster (too little work, one core) or cannot fork soundly. The context forks: a worker starts in milliseconds
    with everything imported and the parent's data in place, where spawning one would import the package again.
    Forking a process with threads can deadlock a child (a lock another thread holds is copied held), and macOS
    system libraries do not survive a fork: there, and on Windows, the work stays in one process."""
    import threading

    if jobs < 2 or work < PARALLEL_MIN_FILES or sys.platform != "linux" or threading.active_count() > 1:
        return None
    import multiprocessing

    return multiprocessing.get_context("fork")


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration (as it was before, after).

    Loading a project allocates millions of objects that all stay alive, so every collection of the oldest
    generation walks all of them again for nothing: at 20,000 migrations that was a fifth of a cold run. Facts,
    the graph and the state hold no reference cycles; what they free, reference counting frees. Forked workers
    inherit the pause."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# What a shard holds for a migration whose facts were also read from other files: they are kept in an entry of their
# own with the stamps of those files, and looked up there only for such a migration.
_READ_ELSEWHERE: Final = "read elsewhere"
_TASKS_PER_WORKER: Final = 16

# The worker's own FactsCache: one per worker process, set by the pool's initializer.
_worker_cache: FactsCache | None = None


def _start_worker(cache: FactsCache) -> None:
    global _worker_cache
    cache._token = _new_token()  # the parent's, copied by the fork: temporary names would collide
    cache._loaded = {}
    _worker_cache = cache


def _load_in_worker(task: Sequence[tuple[int, tuple[str, ...], str | None]]) -> tuple[list[int], bytes]:
    """The facts of each folder of ``task``, in one pickle, with the folders' indexes."""
    assert _worker_cache is not None
    cache = _worker_cache
    loaded = [cache.facts_for_files(paths, complete=True, app_label=app_label) for _, paths, app_label in task]
    return [index for index, _, _ in task], _pickled(loaded)  # records rebuilt by constructor calls in the parent


def _folder_state(path: str, follow: bool) -> bool | None:
    """True for a folder of this user that no one else may write to, None when there is nothing at ``path``,
    False for anything else: a link (unless ``follow``, and then the link too must be ours), a file, another
    user's folder, a folder writable by its group or by all, or one that cannot be looked at."""
    try:
        status = os.lstat(path)
        if follow and stat.S_ISLNK(status.st_mode):
            if _POSIX_PERMISSIONS and status.st_uid != _UID:
                return False
            status = os.stat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return False
    if not stat.S_ISDIR(status.st_mode):
        return False
    return not _POSIX_PERMISSIONS or (status.st_uid == _UID and not status.st_mode & 0o022)


def _make_private_folder(path: str, parents: bool) -> None:
    """Make the folder ``path`` (and, with ``parents``, the missing ones above it) with mode 0700.

    The mode given to mkdir only loses bits to the umask, so a umask that takes the owner's would leave a folder
    we cannot use: the chmod sets it exactly.
    """
    try:
        os.mkdir(path, 0o700)
    except FileNotFoundError:
        parent = os.path.dirname(path)
        if not parents or parent == path:
            raise
        try:
            _make_private_folder(parent, parents)
        except FileExistsError:
            pass
        os.mkdir(path, 0o700)
    if _POSIX_PERMISSIONS:
        os.chmod(path, 0o700)


def _facts_file() -> str:
    """Where the facts package is, found without importing it (once imported, where it was imported from)."""
    imported = sys.modules.get("flake8_django_migrations.facts")
    if imported is not None:
        return imported.__file__ or ""
    import importlib.util

    spec = importlib.util.find_spec("flake8_django_migrations.facts")
    return (spec.origin or "") if spec is not None else ""


def _namespace() -> str:
    """Entries of another package version, cache format, Python or fact extractor are never read.

    The fingerprint of the extractor's source matters for editable installs, where the version stays the same
    while the extractor changes; for a released package it is redundant but costs a few small reads per process.
    """
    version = flake8_django_migrations.__version__
    return f"{version}-f{FORMAT}-py{sys.version_info[0]}{sys.version_info[1]}-{_extractor_fingerprint()}"


def _extractor_fingerprint() -> str:
    """A hash of every source file of the facts package (or module); the models reader it calls is one of them."""
    facts_file = _facts_file()
    if os.path.basename(facts_file) == "__init__.py":
        folder = os.path.dirname(facts_file)
        try:
            files = {os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py")}
        except OSError:
            return "0"
    else:
        files = {facts_file}
    digest = blake2b(digest_size=4)
    for path in sorted(files):
        try:
            source = Path(path).read_bytes()
        except OSError:
            return "0"
        # The name too: moving code from one module to another can change what the modules do.
        digest.update(f"{os.path.basename(path)}\0{len(source)}\0".encode("utf-8", "surrogatepass"))
        digest.update(source)
    return digest.hexdigest()

"""Cache keys of a project run: every input of the findings, fingerprinted once.

A key names everything the findings depend on: the settings record as a whole (the options and every Django
setting read, so a setting a rule starts to read is in the key without anyone listing it), this package's code,
whether PostgreSQL's parser is installed, and the ``stat_stamp`` of every input file. When nothing changed, a run
finds its findings under the same key, and when anything did, under another.

The facts of some migrations are also read from other files (the module of a base class their ``atomic`` comes
from, a models module): those files are not known by name, so the project findings of such a project are keyed by
``read_files_fingerprint``, which adds those facts themselves, as extracted in the run that looks them up.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flake8_django_migrations.digest import blake2b
from flake8_django_migrations.files import stat_stamp
from flake8_django_migrations.project.discover import MAX_MIGRATION_FILE, Discovery
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts

__all__ = [
    "code_stamp", "file_findings_key", "one_file_findings_key", "project_fingerprint", "project_slot",
    "read_files_fingerprint", "settings_key",
]


def settings_key(settings: Settings) -> object:
    """The whole settings record as a value whose ``repr`` is the same in every process."""
    return _stable(settings)


def project_slot(discovery: Discovery, settings: Settings, codes: Sequence[str]) -> str:
    """Where the project findings of the rules whose ``codes`` are given are stored, whatever the files say: the
    project, the settings and this package's code. One entry, replaced when the files change (``project_fingerprint``
    is kept inside it), so that an editor's run after every edit does not add one."""
    return "project-" + blake2b(b"slot\0" + _project_header(discovery, settings, codes), digest_size=20).hexdigest()


def project_fingerprint(discovery: Discovery, settings: Settings, codes: Sequence[str]) -> str:
    """What the project findings of the rules whose ``codes`` are given are worked out from: the settings, this
    package's code, and every input file's stat. Codes rather than rules, so that a warm command need not import the
    rules."""
    digest = blake2b(_project_header(discovery, settings, codes), digest_size=20)
    for label, app in sorted(discovery.apps.items()):
        digest.update(f"\0app\0{label}\0{app.folder}".encode("utf-8", "surrogatepass"))
        # The max_migration.txt of an app, and whether there is one, decide DJM307.
        _digest_stamps(digest, (*app.files, os.path.join(app.folder, MAX_MIGRATION_FILE)))
    return "project-" + digest.hexdigest()


def _project_header(discovery: Discovery, settings: Settings, codes: Sequence[str]) -> bytes:
    installed = (sorted(discovery.installed) if discovery.installed is not None else None, sorted(discovery.unlocated))
    return repr(
        ("project-findings", discovery.root, settings_key(settings), installed, list(codes), code_stamp(),
         _sql_parser_stamp())
    ).encode("utf-8", "surrogatepass")


def read_files_fingerprint(fingerprint: str, facts: Iterable[MigrationFacts | None]) -> str:
    """A cache key for the project findings of a project where the ``facts`` of some migrations (those whose
    ``reads_other_files`` is set, in one order) were also read from other files: its ``project_fingerprint`` and
    those facts themselves. Everything else the project rules read is in the fingerprint, so the findings under it
    are those of the facts as they are now, whatever file changed them."""
    digest = blake2b(f"read-files\0{fingerprint}".encode("utf-8", "surrogatepass"), digest_size=20)
    for item in facts:
        digest.update(b"\0" + repr(_stable(item)).encode("utf-8", "surrogatepass"))
    return "project-" + digest.hexdigest()


def file_findings_key(project: str, discovery: Discovery, settings: Settings) -> str:
    """A cache key for the per-file findings of every migration of the project: its ``project_fingerprint`` (every
    file of the graph's apps by stat, the settings, the package's code) and the stat of the files of the folders left
    out of the graph. A migration whose facts read another file (a models module) is not stored under it: the
    command computes its findings every run."""
    digest = blake2b(digest_size=20)
    digest.update(f"file-findings\0{project}\0{settings_key(settings)!r}".encode("utf-8", "surrogatepass"))
    for app in discovery.left_out:
        digest.update(f"\0app\0{app.label}\0{app.folder}".encode("utf-8", "surrogatepass"))
        _digest_stamps(digest, app.files)
    return "files-" + digest.hexdigest()


def one_file_findings_key(settings: Settings, path: str, app_label: str | None) -> str:
    """A cache key for the per-file findings of one module as flake8 hands it, under ``path`` as given (the findings
    carry it) and the app label the project pass gives its folder: the settings, this package's code and whether
    PostgreSQL's parser is installed. Not the text: an editor checks a file again after every edit, and its entry is
    replaced rather than joined by one per version (``source_digest`` of the text is stored in the entry)."""
    digest = blake2b(digest_size=20)
    digest.update(repr(
        ("one-file-findings", os.path.abspath(path), path, app_label, settings_key(settings), code_stamp(),
         _sql_parser_stamp())
    ).encode("utf-8", "surrogatepass"))
    return "file-" + digest.hexdigest()


def source_digest(source: bytes) -> str:
    """What the per-file findings of ``one_file_findings_key`` were worked out from: the text flake8 read."""
    return blake2b(source, digest_size=20).hexdigest()


def _stable(value: object) -> object:
    """``value`` with its sets and mappings sorted: their order, and so their repr, changes between processes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *((f.name, _stable(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return tuple(sorted((repr(k), _stable(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_stable(item)) for item in value))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(item) for item in value)
    return value


def _digest_stamps(digest: Any, paths: Iterable[str]) -> None:
    """Each path with its ``stat_stamp``, as ``f"\\0{path}\\0{stat_stamp(path)}"``, in one update per folder: a warm
    editor run stats every migration of the project, and the calls around each stat cost more than the stat.
    (A stat per file stays: a folder's modification time does not change when a file is written in place.)"""
    parts = []
    status = os.stat
    for path in paths:
        try:
            found = status(path)
        except (OSError, ValueError):
            parts.append(f"\0{path}\0None")
            continue
        parts.append(f"\0{path}\0({found.st_size}, {found.st_mtime_ns}, {found.st_ctime_ns})")
    digest.update("".join(parts).encode("utf-8", "surrogatepass"))


@functools.cache
def _sql_parser_stamp() -> str | None:
    """Where PostgreSQL's parser (the ``[sql]`` extra) is installed, found without importing it: findings stored
    before it was installed (or after it was removed) read ``RunSQL`` differently, so they are not served. Looked up
    once per process, as the process's own reading of ``RunSQL`` decides once whether it has the parser."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pglast")
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


@functools.cache
def code_stamp() -> tuple[tuple[str, object], ...]:
    """The package's own modules, so that an editable install never serves findings of older rules. Taken once per
    process: the code running is the code imported, whatever the files say later."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    for folder, _, files in os.walk(package):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                stamps.append((os.path.relpath(path, package), stat_stamp(path)))
    return tuple(sorted(stamps))

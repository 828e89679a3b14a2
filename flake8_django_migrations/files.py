"""Reading files we did not write ourselves, without hanging on a FIFO or device, nor reading one without end; and
writing ours whole or not at all, never through what a repository planted at the name."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Final

__all__ = [
    "MAX_SOURCE_BYTES",
    "NotRegularFileError",
    "Stamp",
    "create_file",
    "is_migration_module_name",
    "listed_folder",
    "looked_up",
    "looked_up_in_interpreter",
    "read_regular_file",
    "recording_lookups",
    "replace_file",
    "stamps_of_lookups",
    "stat_stamp",
    "stamps_unchanged",
]

# Squashed migrations, generated data migrations and RunSQL with an inlined dump reach several megabytes; four
# times the largest seen in the wild is still a bounded read, while /dev/zero or a runaway log is not.
MAX_SOURCE_BYTES: Final = 64 * 1024 * 1024

# O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one (and the fstat then turns
# it away). O_NOCTTY: opening a terminal must not make it ours.
_FLAGS: Final = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
)
_NO_FOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)


# What a file's stat says of its content: size, modification and change time (ns). The change time is included
# because no tool sets it back: an edit that keeps size and modification time (a checkout, `touch -r`) still
# changes it. None: nothing readable there.
Stamp = tuple[int, int, int] | None


def stat_stamp(path: str) -> Stamp:
    """The ``Stamp`` of the file at ``path`` (following symbolic links); the one way this package tells that a file
    it read may have changed. Never raises."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns)


# What a result kept between processes was worked out from ---------------------------------------------------------

# The lists of the ``recording_lookups`` blocks running now (nested ones each get every path), by identity.
_RECORDERS: dict[int, list[str]] = {}
# A stamp this recent may be followed, within the same tick of the file system's clock, by a change that leaves it
# as it is (timestamps are taken from a coarse clock): what was worked out then is not kept.
_SETTLED_NS: Final = 2_000_000_000


@contextlib.contextmanager
def recording_lookups() -> Iterator[list[str]]:
    """Every path looked up while the block runs (read, tested, listed: each call site says ``looked_up``), so that
    what the block worked out can be served later for as long as none of them changed (``stamps_of_lookups``): a
    folder's stamp changes when an entry is added to it, removed or renamed."""
    found: list[str] = []
    _RECORDERS[id(found)] = found
    try:
        yield found
    finally:
        del _RECORDERS[id(found)]


def looked_up(path: str) -> str:
    """``path``, noted by the ``recording_lookups`` blocks running now (none: nothing to do): a file read or
    tested, watched with, when it does not exist, the folder that would hold it."""
    for recorder in list(_RECORDERS.values()):
        recorder.append(path)
    return path


def listed_folder(folder: str) -> str:
    """``folder``, noted as ``looked_up`` does, as a folder whose entries were listed: its own stamp tells that an
    entry was added, removed or renamed."""
    for recorder in list(_RECORDERS.values()):
        recorder.append(os.path.join(folder, ""))
    return folder


def looked_up_in_interpreter() -> None:
    """An import lookup in this interpreter (``importlib.util.find_spec``) is noted as a look at every folder of
    ``sys.path``: installing or removing a package adds or removes an entry of one of them."""
    for folder in sys.path:
        listed_folder(folder or os.getcwd())


def stamps_of_lookups(paths: Iterable[str]) -> tuple[tuple[str, Stamp], ...] | None:
    """The stamp of every path, and of the folder that would hold each path looked up that does not exist (where it
    would be created), in a stable order; None when one of them changed too recently to tell a later change in the
    same tick of the clock from none (see ``_SETTLED_NS``)."""
    watched: dict[str, Stamp] = {}
    missing: set[str] = set()
    for path in paths:
        listing = path.endswith(os.sep)
        path = os.path.abspath(path)
        if path not in watched:
            watched[path] = stat_stamp(path)
        if not listing and watched[path] is None:
            missing.add(os.path.dirname(path))
    for folder in missing - watched.keys():
        watched[folder] = stat_stamp(folder)
    stamps = tuple(sorted(watched.items()))
    recent = time.time_ns() - _SETTLED_NS
    if any(stamp is not None and max(stamp[1], stamp[2]) > recent for _, stamp in stamps):
        return None
    return stamps


def stamps_unchanged(stamps: Iterable[tuple[str, Stamp]]) -> bool:
    """Whether every path of ``stamps_of_lookups`` has the stamp it had then; False for anything else (an entry
    written by another version), never an error."""
    try:
        return all(type(path) is str and stat_stamp(path) == stamp for path, stamp in stamps)
    except (TypeError, ValueError):
        return False


def read_regular_file(path: str, limit: int = MAX_SOURCE_BYTES, *, follow_symlinks: bool = True) -> bytes | None:
    """The whole content of the regular file at ``path``, or None. Never raises.

    None when the file is missing or unreadable, is not a regular file (a FIFO, device, socket or folder, which
    could block or never end), is larger than ``limit`` bytes (``MAX_SOURCE_BYTES``, 64 MiB, by default: generous,
    since squashes and generated data migrations can be large), or when ``path`` holds a NUL. With
    ``follow_symlinks=False``, a symbolic link at ``path`` gives None, where the platform has ``O_NOFOLLOW``.

    One open, one fstat and (usually) one read: ``open().read()`` does more, which shows on thousands of files.
    """
    if _RECORDERS:
        looked_up(path)
    try:
        descriptor = os.open(path, _FLAGS if follow_symlinks else _FLAGS | _NO_FOLLOW)
    except (OSError, ValueError):
        return None
    try:
        status = os.fstat(descriptor)
        size = status.st_size
        if not stat.S_ISREG(status.st_mode) or size > limit:
            return None
        data = os.read(descriptor, size + 1)
        if len(data) <= size:
            return data  # a short read is the end of a regular file
        # It grew since the fstat: read on, but never past the limit.
        chunks = [data]
        total = len(data)
        while total <= limit and (chunk := os.read(descriptor, min(1 << 16, limit + 1 - total))):
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks) if total <= limit else None
    except OSError:
        return None
    finally:
        os.close(descriptor)


def is_migration_module_name(filename: str) -> bool:
    """What Django's loader imports from a migrations package: modules not starting with ``_`` or ``~``, among
    those ``pkgutil.iter_modules`` lists (it skips a name with a dot before ``.py``: ``helpers.v2.py``)."""
    return filename.endswith(".py") and filename[:1] not in ("_", "~") and "." not in filename[:-3] and (
        filename != ".py")


# Writing --------------------------------------------------------------------------------------------------------

# O_EXCL and O_NOFOLLOW: the temporary file is a new one, never a file or link someone planted under its name.
_NEW_FILE_FLAGS: Final = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


class NotRegularFileError(OSError):
    """What stands at a path to be replaced is not a regular file (a symbolic link, a FIFO, a folder)."""


def replace_file(path: str, data: bytes, mode: int | None = None) -> None:
    """Put ``data`` at ``path`` whole or not at all: a new file beside it (``mode``, else what the umask leaves of
    0o666), flushed to disk, then renamed over ``path``, so a reader sees the old file or the new one and nothing at
    ``path`` is written through. ``NotRegularFileError`` when ``path`` holds anything but a regular file (checked
    just before the rename: a link planted meanwhile is refused); ``OSError`` when it cannot be written."""
    temporary = _written_beside(path, data, mode)
    with _removed_on_error(temporary):
        try:
            status: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            status = None
        if status is not None and not stat.S_ISREG(status.st_mode):
            raise NotRegularFileError(f"{path} is not a regular file")
        os.replace(temporary, path)


def create_file(path: str, data: bytes, mode: int | None = None) -> None:
    """A new file at ``path`` holding ``data``, whole or not at all; ``FileExistsError`` when the name is taken
    (also when it is taken meanwhile: the file is linked into place, never renamed over one)."""
    temporary = _written_beside(path, data, mode)
    try:
        try:
            os.link(temporary, path)  # fails when the name is taken
        except FileExistsError:
            raise
        except OSError:
            if os.path.lexists(path):
                raise FileExistsError(path) from None
            os.replace(temporary, path)  # a file system without hard links
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _written_beside(path: str, data: bytes, mode: int | None) -> str:
    """A new file in the folder of ``path`` holding ``data``, flushed to disk; its path."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, _NEW_FILE_FLAGS, 0o666)  # the umask applies, as to any file written
    with _removed_on_error(temporary):
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(descriptor, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view):]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return temporary


@contextlib.contextmanager
def _removed_on_error(path: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise

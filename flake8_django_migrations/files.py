"""Reading files we did not write ourselves, without hanging on a FIFO or device, nor reading one without end."""

from __future__ import annotations

import os
import stat
from typing import Final

__all__ = ["MAX_SOURCE_BYTES", "Stamp", "is_migration_module_name", "read_regular_file", "stat_stamp"]

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


def read_regular_file(path: str, limit: int = MAX_SOURCE_BYTES, *, follow_symlinks: bool = True) -> bytes | None:
    """The whole content of the regular file at ``path``, or None. Never raises.

    None when the file is missing or unreadable, is not a regular file (a FIFO, device, socket or folder, which
    could block or never end), is larger than ``limit`` bytes (``MAX_SOURCE_BYTES``, 64 MiB, by default: generous,
    since squashes and generated data migrations can be large), or when ``path`` holds a NUL. With
    ``follow_symlinks=False``, a symbolic link at ``path`` gives None, where the platform has ``O_NOFOLLOW``.

    One open, one fstat and (usually) one read: ``open().read()`` does more, which shows on thousands of files.
    """
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

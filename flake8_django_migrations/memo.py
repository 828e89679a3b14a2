"""The one kind of per-process memory this package keeps: bounded, and checked again on every use.

flake8 asks the same questions once per checked file, and an editor's long-lived process asks them again on every
lint run, after the user changed files. So each answer is kept with what it was made from, and served only while
that still holds: an answer is never stale, and a process that visits many projects does not grow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``size`` answers; the one used least recently goes first when a new one needs room. Safe to share
    between threads; ``make`` runs outside the lock, so it may ask this memo too."""

    __slots__ = ("_size", "_entries", "_lock")

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V], fresh: Callable[[V], bool] = lambda value: True) -> V:
        """The answer kept for ``key`` while ``fresh`` says it still holds, else a new one from ``make``."""
        with self._lock:
            found = key in self._entries
            if found:
                kept = self._entries.pop(key)
                self._entries[key] = kept  # now the most recently used
        if found and fresh(kept):
            return kept
        value = make()
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self._size:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

"""The one kind of per-process memory this package keeps: bounded, and checked again on every use.

flake8 asks the same questions once per checked file, and an editor's long-lived process asks them again on every
lint run, after the user changed files. So each answer is kept with what it was made from, and served only while
that still holds: an answer is never stale, and a process that visits many projects does not grow.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``size`` answers; the oldest goes first when a new one needs room."""

    __slots__ = ("_size", "_entries")

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[K, V] = {}

    def get(self, key: K, make: Callable[[], V], fresh: Callable[[V], bool] = lambda value: True) -> V:
        """The answer kept for ``key`` while ``fresh`` says it still holds, else a new one from ``make``."""
        if key in self._entries:
            kept = self._entries[key]
            if fresh(kept):
                return kept
            del self._entries[key]
        value = make()
        while len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

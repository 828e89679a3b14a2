"""A finding: one problem at one place, with its message and hint filled in. Plain data, cached on disk."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Finding", "escape_controls", "show_undecodable_bytes"]

# What a name from a migration (a string literal, a file name) must not bring into a line of output: control
# characters (C0, DEL, C1: a newline starts a line GitHub Actions reads as a workflow command, ESC sequences drive
# the terminal), the line and paragraph separators, the bidirectional formatting characters that reorder what is
# shown (Trojan Source), and lone surrogates, which no UTF-8 stream can carry.
_UNSAFE: Final = r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled on first use: most runs never meet an unprintable name, and compiling these ranges is
    a millisecond of every start-up."""
    return re.compile(pattern)


def escape_controls(text: str) -> str:
    """``text`` with what ``_UNSAFE`` matches written as ``repr`` writes it (``\\n``, ``\\x1b``, ``\\u202e``), except
    a surrogate that stands for a byte that is not UTF-8 (``os.fsdecode`` of a file name), written as that byte
    (``\\xff``), which is also how bash's ``$'...'`` spells it. Backslashes stay as they are, so applying it twice
    changes nothing."""
    return text if text.isprintable() else _compiled(_UNSAFE).sub(_escaped, text)  # none of _UNSAFE is printable


_SURROGATE: Final = r"[\ud800-\udfff]"


def show_undecodable_bytes(text: str) -> str:
    """``text`` with each lone surrogate (a byte of a file name that is not UTF-8, after ``os.fsdecode``) written as
    ``escape_controls`` writes it (``\\xff``), for formats that keep control characters their own way but cannot
    hold a surrogate (UTF-8 output, strict JSON readers)."""
    return _compiled(_SURROGATE).sub(_escaped, text) if not text.isprintable() else text


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xDC00:02x}"
    return repr(char)[1:-1]


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    col: int  # 0-based, as flake8's plugin API expects; shown 1-based
    code: str
    message: str  # control characters of the names in it escaped (``escape_controls``), in every output format
    hint: str  # likewise

    def __post_init__(self) -> None:
        # The one place: every rule's message, flake8's line, every format of the command and the baseline's key.
        for name in ("message", "hint"):
            value = getattr(self, name)
            escaped = escape_controls(value)
            if escaped != value:
                object.__setattr__(self, name, escaped)

    @property
    def text(self) -> str:
        """The flake8 message: code, what is wrong, how to fix it (flake8's own codes have no hint)."""
        return f"{self.code} {self.message}; {self.hint}" if self.hint else f"{self.code} {self.message}"

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)

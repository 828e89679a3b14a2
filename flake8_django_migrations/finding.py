"""A finding: one problem at one place, with its message and hint filled in. Plain data, cached on disk."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    col: int  # 0-based, as flake8's plugin API expects; shown 1-based
    code: str
    message: str
    hint: str

    @property
    def text(self) -> str:
        """The flake8 message: code, what is wrong, how to fix it (flake8's own codes have no hint)."""
        return f"{self.code} {self.message}; {self.hint}" if self.hint else f"{self.code} {self.message}"

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)

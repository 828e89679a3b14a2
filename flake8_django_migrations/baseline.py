"""Baselines: the findings a team has accepted for now, so that only new ones are reported.

An entry is keyed by the file (relative to the baseline's folder, ``/``-separated), the code and the message —
what the finding names — never by line, so edits that move lines keep it matched. The same finding more than once
in a file is counted. The file is JSON, sorted and one entry per line, so its diffs read well and it shrinks as
debt is paid: entries that match nothing any more are reported as stale.
"""

from __future__ import annotations

import json
import os
import reprlib
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.files import read_regular_file, replace_file
from flake8_django_migrations.finding import Finding

__all__ = ["Baseline", "BaselineError", "BaselineKey", "read_baseline", "write_baseline"]

FORMAT: Final = 1
BaselineKey = tuple[str, str, str]  # (path relative to the baseline's folder, code, message)


class BaselineError(Exception):
    """The baseline file cannot be read or is not one: a usage error."""


@dataclass(frozen=True, slots=True)
class Baseline:
    folder: str  # absolute: paths in the file are relative to it
    entries: Counter[BaselineKey]

    def key(self, finding: Finding) -> BaselineKey:
        relative = os.path.relpath(os.path.abspath(finding.path), self.folder)
        return (relative.replace(os.sep, "/"), finding.code, finding.message)

    def new_findings(self, findings: Iterable[Finding]) -> tuple[list[Finding], Counter[BaselineKey]]:
        """The findings the baseline does not cover, and the entries that covered nothing (stale), in the order
        given; of several equal findings in a file, the first ones are taken as the baselined ones."""
        new, used = self._match(findings)
        return new, self.entries - used

    def without_baselined(self, findings: Iterable[Finding]) -> list[Finding]:
        """``new_findings`` without the stale entries: flake8 asks once per file, and the work stays in the
        file's findings, never the whole baseline."""
        return self._match(findings)[0]

    def _match(self, findings: Iterable[Finding]) -> tuple[list[Finding], Counter[BaselineKey]]:
        used: Counter[BaselineKey] = Counter()
        new: list[Finding] = []
        for finding in findings:
            key = self.key(finding)
            if used[key] < self.entries.get(key, 0):
                used[key] += 1
            else:
                new.append(finding)
        return new, used


def read_baseline(path: str) -> Baseline:
    """The baseline at ``path``; ``BaselineError`` for anything that is not one (a FIFO or device is not read)."""
    data = read_regular_file(path)
    if data is None:
        raise BaselineError(f"cannot read the baseline {path!r} (missing, not a regular file, or too large)")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"the baseline {path!r} is not JSON: {error}") from None
    except RecursionError:
        raise BaselineError(f"the baseline {path!r} is not a baseline: it is nested too deeply") from None
    # Not ``== FORMAT``: JSON's `true` and `1.0` compare equal to 1.
    if not isinstance(document, dict) or type(document.get("format")) is not int or document["format"] != FORMAT:
        raise BaselineError(f"the baseline {path!r} is not a format-{FORMAT} baseline of this linter")
    found = document.get("findings", [])
    if not isinstance(found, list):
        raise BaselineError(f"the baseline {path!r} is malformed: its `findings` is {_json_type(found)}, not a list")
    entries: Counter[BaselineKey] = Counter()
    for number, entry in enumerate(found, 1):
        key_and_count = _entry(entry)
        if key_and_count is None:
            # reprlib: bounded however deep or long the entry is.
            raise BaselineError(
                f"the baseline {path!r} has a malformed entry (number {number}): {reprlib.repr(entry)}; each is an"
                " object with the strings `path`, `code` and `message` and an optional positive integer `count`"
            )
        entries[key_and_count[0]] += key_and_count[1]
    return Baseline(os.path.dirname(os.path.abspath(path)), entries)


def _entry(entry: object) -> tuple[BaselineKey, int] | None:
    """The key and count of one entry of the file, or None when it is not an entry."""
    if not isinstance(entry, dict):
        return None
    file, code, message, count = entry.get("path"), entry.get("code"), entry.get("message"), entry.get("count", 1)
    if not (isinstance(file, str) and isinstance(code, str) and isinstance(message, str)):
        return None
    if type(count) is not int or count < 1:  # not a bool, not a float
        return None
    return (file, code, message), count


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Write every finding to ``path``; returns the number of entries. ``BaselineError`` when it cannot be written
    or something other than a regular file is at ``path``: a usage error."""
    baseline = Baseline(os.path.dirname(os.path.abspath(path)), Counter())
    counted = Counter(baseline.key(finding) for finding in findings)
    lines = [
        json.dumps({"path": file, "code": code, "message": message, "count": count}, ensure_ascii=False)
        for (file, code, message), count in sorted(counted.items())
    ]
    body = ",\n    ".join(lines)
    text = f'{{\n  "format": {FORMAT},\n  "findings": [\n    {body}\n  ]\n}}\n' if lines else (
        f'{{\n  "format": {FORMAT},\n  "findings": []\n}}\n'
    )
    # A file name that is not UTF-8 holds lone surrogates; in a JSON string, "backslashreplace" writes each as the
    # JSON escape `\udcff`, which reads back as the same name.
    _replace_file(path, text.encode("utf-8", "backslashreplace"))
    return len(lines)


def _replace_file(path: str, data: bytes) -> None:
    """Put ``data`` at ``path``: written to a new file in the same folder, then renamed over the old one, so the
    baseline is never half-written and nothing at ``path`` is written through. A repository can commit its baseline
    as a symbolic link to ``../.bashrc`` or make it a FIFO (opening one to write waits for a reader): anything at
    ``path`` but a regular file is refused with ``BaselineError``, without opening it. A file replaced keeps its
    permissions."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        mode = None
    except (OSError, ValueError) as error:
        raise BaselineError(f"cannot write the baseline {path!r}: {_reason(error)}") from None
    else:
        if not stat.S_ISREG(status.st_mode):
            raise BaselineError(
                f"refusing to write the baseline {path!r}: it is {_file_type(status.st_mode)}, not a regular file;"
                " remove it or name another file"
            )
        mode = stat.S_IMODE(status.st_mode)
    try:
        # Atomic; a link planted at ``path`` since the check is refused, not followed.
        replace_file(path, data, mode)
    except OSError as error:
        raise BaselineError(f"cannot write the baseline {path!r}: {_reason(error)}") from None


def _file_type(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)

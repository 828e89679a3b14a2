"""Baselines: the findings a team has accepted for now, so that only new ones are reported.

An entry is keyed by the file (relative to the baseline's folder, ``/``-separated), the code and the message —
what the finding names — never by line, so edits that move lines keep it matched. The same finding more than once
in a file is counted. The file is JSON, sorted and one entry per line, so its diffs read well and it shrinks as
debt is paid: entries that match nothing any more are reported as stale.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.files import read_regular_file
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
    data = read_regular_file(path)
    if data is None:
        raise BaselineError(f"cannot read the baseline {path!r} (missing, not a regular file, or too large)")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"the baseline {path!r} is not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BaselineError(f"the baseline {path!r} is not a format-{FORMAT} baseline of this linter")
    entries: Counter[BaselineKey] = Counter()
    for entry in document.get("findings", ()):
        try:
            file, code, message, count = entry["path"], entry["code"], entry["message"], entry.get("count", 1)
        except (TypeError, KeyError):
            raise BaselineError(f"the baseline {path!r} has a malformed entry: {entry!r:.80}") from None
        if not all(isinstance(v, str) for v in (file, code, message)) or type(count) is not int or count < 1:
            raise BaselineError(f"the baseline {path!r} has a malformed entry: {entry!r:.80}")
        entries[(file, code, message)] += count
    return Baseline(os.path.dirname(os.path.abspath(path)), entries)


def write_baseline(path: str, findings: Iterable[Finding]) -> int:
    """Write every finding to ``path``; returns the number of entries."""
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
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return len(lines)

"""``check --format sarif``: SARIF 2.1.0, as GitHub code scanning (``github/codeql-action/upload-sarif``) reads it.

Every rule is listed in the driver, so code scanning can show a rule's page for any alert and knows the rules that
found nothing. Paths are relative to the working folder (``%SRCROOT%``), which in CI is the repository's checkout.
A result's ``partialFingerprints`` hash its path, code and message, never its line, so an alert keeps its identity
while edits above it move it, as a baseline entry does. A result's message is the one every format shows, the names
in it with their control characters escaped (``Finding``); file names are in URIs, percent-encoded.

A result whose finding ``check --fix`` can repair carries the fix (``fixes``: one ``artifactChange`` per file, its
``replacements`` by line and column, counted in UTF-16 code units as SARIF's default ``columnKind`` says, a new
file as an insertion at its start) and whether it is safe (``properties.applicability``). A fix that renames a file
has no SARIF form and is left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

import flake8_django_migrations
from flake8_django_migrations.docs import render_rule
from flake8_django_migrations.files import MAX_SOURCE_BYTES
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.report import (
    FLAKE8_CODE_NAMES,
    PROG,
    REPOSITORY_URL,
    UNREADABLE,
    Report,
    level,
    rule_doc_url,
)
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.source import SYNTAX_ERROR

if TYPE_CHECKING:
    from flake8_django_migrations.fix import FileChange
    from flake8_django_migrations.rules.rule import Fix

    # What fix.py's ``described_fixes`` gives: each finding's fix with the changes it makes.
    Fixes = Mapping[Finding, tuple[Fix, tuple[FileChange, ...]]]

__all__ = ["FINGERPRINT", "SARIF_SCHEMA", "SRCROOT", "fingerprints", "sarif_log", "write_sarif"]

SARIF_SCHEMA: Final = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT: Final = "%SRCROOT%"
FINGERPRINT: Final = "djmFinding/v1"  # a new version when what it hashes changes, so old alerts are not mismatched
_FLAKE8_CODE_DESCRIPTIONS: Final = {
    SYNTAX_ERROR: "A migration that does not parse (flake8's E999); no other rule can check it.",
    UNREADABLE: f"A migration that cannot be read: not a regular file, or over {MAX_SOURCE_BYTES >> 20} MiB"
                " (flake8's E902).",
}


def write_sarif(report: Report, out: TextIO, fixes: Fixes | None = None) -> None:
    json.dump(sarif_log(report, fixes), out, indent=2)
    out.write("\n")


def sarif_log(report: Report, fixes: Fixes | None = None) -> dict[str, object]:
    descriptors = [_rule_descriptor(code) for code in (*RULES, *FLAKE8_CODE_NAMES)]
    rule_index = {descriptor["id"]: position for position, descriptor in enumerate(descriptors)}
    cwd = os.getcwd()
    results = [
        _result(finding, rule_index[finding.code], uri, base, fingerprint)
        for finding, (uri, base), fingerprint in zip(
            report.findings, _artifact_uris(report.findings, cwd), fingerprints(report.findings, cwd)
        )
    ]
    for finding, result in zip(report.findings, results):
        fix = _fix(fixes.get(finding), cwd) if fixes else None
        if fix is not None:
            result["fixes"] = [fix]
    driver: dict[str, object] = {"name": PROG, "version": flake8_django_migrations.__version__}
    if REPOSITORY_URL:  # no link rather than a dead one while the project has no public home
        driver["informationUri"] = REPOSITORY_URL
    driver["rules"] = descriptors
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": Path(cwd).as_uri().rstrip("/") + "/"}},
                "results": results,
            }
        ],
    }


def _rule_descriptor(code: str) -> dict[str, object]:
    rule = RULES.get(code)
    if rule is None:
        description = _FLAKE8_CODE_DESCRIPTIONS[code]
        return {
            "id": code,
            "name": FLAKE8_CODE_NAMES[code],
            "shortDescription": {"text": description},
            "fullDescription": {"text": description},
            "defaultConfiguration": {"level": level(code)},
        }
    descriptor: dict[str, object] = {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.what_it_does.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": rule.what_it_does},
        # The rule's whole page travels in the log: code scanning shows it with every alert, link or not.
        "help": {"text": f"{rule.what_it_does}\n\n{rule.why_bad}", "markdown": render_rule(rule)},
    }
    url = rule_doc_url(code)
    if url is not None:
        descriptor["helpUri"] = url
    descriptor["defaultConfiguration"] = {"enabled": rule.default_enabled, "level": level(code)}
    return descriptor


def _result(finding: Finding, rule_index: int, uri: str, base: str | None, fingerprint: str) -> dict[str, object]:
    location: dict[str, object] = {"uri": uri, "uriBaseId": base} if base else {"uri": uri}
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level(finding.code),
        "message": {"text": f"{finding.message}; {finding.hint}" if finding.hint else finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": max(finding.line, 1), "startColumn": finding.col + 1},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }


def _fix(described: tuple[Fix, tuple[FileChange, ...]] | None, cwd: str) -> dict[str, object] | None:
    """A SARIF ``fix``: the changes of each file in order, by line and column (1-based); None for a fix that
    renames a file, which SARIF cannot say."""
    if described is None:
        return None
    fix, changes = described
    if any(change.new_path is not None for change in changes):
        return None
    by_file: dict[str, list[dict[str, object]]] = {}
    for change in changes:
        if change.start is None or change.end is None:
            region: dict[str, object] = {"charOffset": 0, "charLength": 0}  # a new file: all of it inserted
        else:
            region = {
                "startLine": change.start.line, "startColumn": change.start.utf16_column + 1,
                "endLine": change.end.line, "endColumn": change.end.utf16_column + 1,
            }
        replacement = {"deletedRegion": region, "insertedContent": {"text": change.content}}
        by_file.setdefault(change.path, []).append(replacement)
    artifact_changes: list[dict[str, object]] = []
    for path, replacements in by_file.items():
        uri, base = _artifact_uri(path, cwd)
        location: dict[str, object] = {"uri": uri, "uriBaseId": base} if base else {"uri": uri}
        artifact_changes.append({"artifactLocation": location, "replacements": replacements})
    return {
        "description": {"text": f"{fix.message} ({fix.applicability} fix)"},
        "artifactChanges": artifact_changes,
        "properties": {"applicability": fix.applicability},
    }


def _artifact_uri(path: str, cwd: str) -> tuple[str, str | None]:
    """A URI relative to ``%SRCROOT%`` for a file below the working folder, else an absolute ``file:`` URI. Both
    percent-encode the file name's bytes, as ``Path.as_uri`` does: a name that is not UTF-8 (``0002_%FF.py``) or
    holds control characters (``%0A``) is named exactly, and the log stays valid UTF-8."""
    absolute = os.path.abspath(path)
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        relative = os.path.relpath(absolute, cwd).replace(os.sep, "/")
        return urllib.parse.quote(os.fsencode(relative), safe="/"), SRCROOT
    return Path(absolute).as_uri(), None


def _artifact_uris(findings: Sequence[Finding], cwd: str) -> list[tuple[str, str | None]]:
    return [_artifact_uri(finding.path, cwd) for finding in findings]


def fingerprints(findings: Sequence[Finding], cwd: str) -> list[str]:
    """Each finding's fingerprint, in order: it hashes the file (its URI relative to ``cwd``), the code and the
    message, never the line, and counts equal findings of one file in line order, so a finding keeps its identity
    while edits move it and no two findings of a run share one. GitLab's Code Quality report uses the same."""
    seen: Counter[tuple[str, str, str]] = Counter()
    found = []
    for finding, (uri, _) in zip(findings, _artifact_uris(findings, cwd)):
        key = (uri, finding.code, finding.message)
        seen[key] += 1
        found.append(_fingerprint(key, seen[key]))
    return found


def _fingerprint(key: tuple[str, str, str], occurrence: int) -> str:
    """The hash of path, code and message, and which of the equal findings of that file this is (in line order)."""
    digest = hashlib.sha256("\0".join(key).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{digest[:32]}:{occurrence}"

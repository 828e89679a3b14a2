"""``check --format gitlab``: a GitLab Code Quality report (``artifacts: reports: codequality:``), which GitLab shows in
the merge request's widget and, on the tiers that have them, in its changes view and the pipeline's Code Quality tab.

The report is one JSON array of issues with the fields GitLab reads (a subset of Code Climate's issue format):
``description``, ``check_name``, ``fingerprint``, ``severity``, ``location.path`` (relative to the working folder,
which in a CI job is the repository's checkout) and ``location.lines.begin``. GitLab validates each issue against its
own schema (``app/validators/json_schemas/codeclimate.json`` in GitLab's source) and stops at the first that fails,
keeps one issue per fingerprint, and tells new issues from fixed ones by comparing fingerprints with the target
branch's report: the fingerprints are SARIF's (``fingerprints``), a hash of path, code and message that stays the same
while edits move a finding and differs between equal findings of one file.
"""

from __future__ import annotations

import json
import os
from typing import Final, TextIO

from flake8_django_migrations.finding import Finding, escape_controls
from flake8_django_migrations.output.report import Report, display_path, level
from flake8_django_migrations.output.sarif import fingerprints

__all__ = ["SEVERITIES", "code_quality_issue", "code_quality_report", "write_gitlab"]

# GitLab's severities are info, minor, major, critical and blocker. A rule on by default reports what breaks a deploy
# or the graph, and a file that cannot be checked hides everything in it: major. An opinionated rule: minor.
SEVERITIES: Final = {"error": "major", "warning": "minor"}


def write_gitlab(report: Report, out: TextIO) -> None:
    json.dump(code_quality_report(report), out, indent=2)
    out.write("\n")


def code_quality_report(report: Report) -> list[dict[str, object]]:
    cwd = os.getcwd()
    return [
        code_quality_issue(finding, fingerprint, cwd)
        for finding, fingerprint in zip(report.findings, fingerprints(report.findings, cwd))
    ]


def code_quality_issue(finding: Finding, fingerprint: str, cwd: str | None = None) -> dict[str, object]:
    """One issue. The description starts with the code, as flake8's lines do: GitLab's widget shows the description
    and the severity, not ``check_name``. A file name that is not UTF-8 is written as the text lines write it, so the
    report stays valid UTF-8."""
    message = f"{finding.message}; {finding.hint}" if finding.hint else finding.message
    return {
        "description": f"{finding.code} {message}",
        "check_name": finding.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[level(finding.code)],
        "location": {
            "path": escape_controls(display_path(finding.path, cwd).replace(os.sep, "/")),
            "lines": {"begin": max(finding.line, 1)},
        },
    }

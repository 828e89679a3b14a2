"""``check --format github``: GitHub Actions workflow commands, which GitHub shows as annotations on the pull
request's lines with no action to install (``::error file=...,line=...,col=...,title=...::message``).

A workflow command is one line of the log, which the runner reads and people read: the message's names are escaped
where the finding is made (``Finding``), and the file name here, as the text lines show it (``escape_controls``),
before the command's own escaping of ``%``, line breaks, ``:`` and ``,``."""

from __future__ import annotations

import os
from typing import TextIO

from flake8_django_migrations.finding import Finding, escape_controls
from flake8_django_migrations.output.report import Report, display_path, level, rule_name

__all__ = ["escape_data", "escape_property", "workflow_command", "write_github"]


def write_github(report: Report, out: TextIO) -> None:
    for finding in report.findings:
        out.write(workflow_command(finding) + "\n")


def workflow_command(finding: Finding) -> str:
    properties = {
        "file": escape_controls(display_path(finding.path).replace(os.sep, "/")),  # GitHub's separator everywhere
        "line": str(finding.line),
        "col": str(finding.col + 1),
        "title": f"{finding.code} {rule_name(finding.code)}",
    }
    joined = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    message = f"{finding.message}; {finding.hint}" if finding.hint else finding.message
    return f"::{level(finding.code)} {joined}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """As ``@actions/core`` escapes a command's message: ``%`` first, so the escapes it adds stay intact."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As ``@actions/core`` escapes a property value: also ``:`` and ``,``, which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")

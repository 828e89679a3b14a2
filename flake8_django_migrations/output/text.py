"""flake8's own lines, ``path:line:col: CODE message; hint``, and ``check -v``'s account of the Django settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from flake8_django_migrations.output.report import PROG, ProjectPass, Report, display_path

__all__ = ["describe_settings", "write_text"]


def write_text(report: Report, out: TextIO) -> None:
    from flake8_django_migrations.finding import escape_controls  # the file name, as Finding escapes the message

    cwd = os.getcwd()
    for finding in report.findings:
        path = escape_controls(display_path(finding.path, cwd))
        out.write(f"{path}:{finding.line}:{finding.col + 1}: {finding.text}\n")


def describe_settings(project: ProjectPass, err: TextIO) -> None:
    """``check -v``: the settings block of the JSON outputs, as lines."""
    import json

    from flake8_django_migrations.output.json import settings_as_json

    described = settings_as_json(project.settings, project.discovery)
    if described["module"] is None:
        err.write(f"{PROG}: Django settings: none read ({_first_reason(described)})\n")
    else:
        err.write(f"{PROG}: Django settings: {described['module']} ({described['path']}), named by "
                  f"{described['module_origin']}\n")
    if described.get("configuration") is not None:
        err.write(f"{PROG}:   django-configurations class: {described['configuration']}\n")
    django = project.settings.django
    for skipped in django.absent if django is not None else ():
        err.write(f"{PROG}:   not read: {skipped}\n")
    candidates = described.get("candidates")
    for candidate in candidates if isinstance(candidates, list) else ():
        status = (
            "used" if candidate["used"] else "not found" if candidate["path"] is None
            else f"found ({candidate['path']}), not used"
        )
        err.write(f"{PROG}:   candidate {candidate['module']} named by {candidate['origin']}: {status}\n")
    values = described.get("values")
    for name, read in (values.items() if isinstance(values, dict) else ()):
        err.write(f"{PROG}:   {name} = {json.dumps(read['value'])}  ({read['path']}:{read['line']})\n")
    unknown = described.get("unknown")
    for name, reason in (unknown.items() if isinstance(unknown, dict) and described["module"] is not None else ()):
        err.write(f"{PROG}:   {name}: unknown, {reason}\n")
    for app in project.discovery.installed_apps:
        where = display_path(app.folder) if app.folder else "not found here (external)"
        err.write(f"{PROG}:   app {app.label or '?'} ({app.entry}): {where}\n")
    from flake8_django_migrations.project.contrib_snapshot import describe_use  # no Django here: which snapshot

    roots = project.settings.django.import_roots if project.settings.django is not None else ()
    snapshot = describe_use((app.folder for app in project.discovery.installed_apps), roots, display_path)
    if snapshot is not None:
        err.write(f"{PROG}:   contrib migrations: {snapshot}\n")
    for folder in project.discovery.found_by_content:
        err.write(f"{PROG}:   {display_path(folder)}: taken as a migrations package for its Migration classes"
                  " (no migrations package was found where the settings say)\n")
    err.write(f"{PROG}:   used: {json.dumps(described['used'])}\n")


def _first_reason(described: Mapping[str, object]) -> str:
    unknown = described.get("unknown")
    return next(iter(unknown.values()), "") if isinstance(unknown, dict) and unknown else "reading is off"

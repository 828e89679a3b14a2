"""The JSON documents of the command: ``check --format json`` (versioned, described in docs/json-output.md) and
``graph --format json``, with the settings block both carry.

JSON escapes control characters itself, so names and file names are given exactly, except where no JSON text can:
a byte of a file name that is not UTF-8 (a lone surrogate after ``os.fsdecode``) is written ``\\xff``, as the text
lines write it. Messages are every format's (``Finding`` escapes the names in them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final, TextIO, cast

import flake8_django_migrations
from flake8_django_migrations.finding import Finding, show_undecodable_bytes
from flake8_django_migrations.output.report import PROG, ProjectPass, Report, display_path, rule_name
from flake8_django_migrations.project.discover import AppMigrations, Discovery
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.fix import FileChange, Place
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.rules.rule import Fix

    # What fix.py's ``described_fixes`` gives: each finding's fix with the changes it makes.
    Fixes = Mapping[Finding, tuple[Fix, tuple[FileChange, ...]]]

__all__ = ["JSON_VERSION", "check_as_json", "finding_as_json", "graph_as_json", "settings_as_json", "write_json"]

# Raised only when a field is removed, renamed or changes meaning; new fields keep the version (docs/json-output.md).
JSON_VERSION: Final = 1


def write_json(report: Report, out: TextIO, fixes: Fixes | None = None) -> None:
    json.dump(check_as_json(report, fixes), out, indent=2)
    out.write("\n")


def check_as_json(report: Report, fixes: Fixes | None = None) -> dict[str, object]:
    """The ``check`` document; with ``fixes``, every finding carries its ``fix`` (null when it has none)."""
    options = report.options
    return _valid_unicode({
        "version": JSON_VERSION,
        "tool": {"name": PROG, "version": flake8_django_migrations.__version__},
        "findings": [
            finding_as_json(finding) if fixes is None else {**finding_as_json(finding), "fix": _fix_as_json(
                fixes.get(finding)
            )}
            for finding in report.findings
        ],
        "project": {
            "roots": [_project_as_json(project) for project in report.projects],
            "base": {"ref": options.base, "commit": options.base_commit} if options.base else None,
            "new_only": options.new_only,
            "baseline": (
                {"path": display_path(options.baseline), "stale": report.stale_baseline_entries}
                if options.baseline else None
            ),
        },
    })


def finding_as_json(finding: Finding) -> dict[str, object]:
    return {
        "path": display_path(finding.path),
        "line": finding.line,
        "col": finding.col + 1,
        "code": finding.code,
        "name": rule_name(finding.code),
        "message": finding.message,
        "hint": finding.hint,
    }


def _fix_as_json(described: tuple[Fix, tuple[FileChange, ...]] | None) -> dict[str, object] | None:
    if described is None:
        return None
    fix, changes = described
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "path": display_path(change.path),
                "start": _place_as_json(change.start),
                "end": _place_as_json(change.end),
                "content": change.content,
                "new_path": display_path(change.new_path) if change.new_path is not None else None,
            }
            for change in changes
        ],
    }


def _place_as_json(place: Place | None) -> dict[str, int] | None:
    return None if place is None else {"line": place.line, "col": place.column + 1}


def _valid_unicode(document: dict[str, object]) -> dict[str, object]:
    """``document`` without lone surrogates, which ``json.dumps`` would write as escapes that strict readers reject
    and no UTF-8 text can hold: each as ``escape_controls`` writes it (a file name's byte as ``\\xff``)."""
    return cast("dict[str, object]", _without_surrogates(document))


def _without_surrogates(value: object) -> object:
    if isinstance(value, str):
        return show_undecodable_bytes(value)
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_surrogates(item) for item in value]
    return value


def _project_as_json(project: ProjectPass) -> dict[str, object]:
    discovery = project.discovery
    left_out = [
        _app_as_json(app, discovery, "ambiguous-label" if app.label in discovery.ambiguous else "not-installed")
        for app in discovery.left_out
    ]
    return {
        "root": display_path(project.root),
        "apps": [_app_as_json(app, discovery, None) for app in discovery.apps.values()] + left_out,
        "settings": settings_as_json(project.settings, discovery),
    }


def _app_as_json(app: AppMigrations, discovery: Discovery, left_out_because: str | None) -> dict[str, object]:
    return {
        "label": app.label,
        "migrations_folder": display_path(app.folder),
        "migrations": len(app.files),
        "external": not app.folder.startswith(discovery.root.rstrip(os.sep) + os.sep),
        "in_graph": left_out_because is None,
        "left_out_because": left_out_because,
    }


def graph_as_json(index: ProjectIndex, errors: Iterable[Finding] = ()) -> dict[str, object]:
    from flake8_django_migrations.project.graph import format_key  # the graph's modules: not for ``check``

    graph = index.graph
    return _valid_unicode({
        "nodes": sorted(format_key(node) for node in graph.nodes),
        "edges": sorted([format_key(child), format_key(parent)] for child, parent in graph.edges()),
        "leaves": graph.leaves_by_app(),
        "external": sorted(index.external_apps),
        "errors": [finding_as_json(finding) for finding in errors],
        "settings": settings_as_json(index.settings, index.discovery),
    })


def settings_as_json(settings: Settings, discovery: Discovery) -> dict[str, object]:
    """What was read from the project's Django settings, from which file, what stayed unknown, and the values the
    linter uses after the options (which win)."""
    read = settings.django.as_json() if settings.django is not None else {"module": None, "values": {}, "unknown": {}}
    if isinstance(read.get("path"), str):
        read["path"] = display_path(str(read["path"]))
    values = read.get("values")
    for value in values.values() if isinstance(values, dict) else ():
        value["path"] = display_path(value["path"])
    return {
        **read,
        "candidates": _candidates_as_json(settings),
        "installed_apps": [
            {"entry": app.entry, "label": app.label, "folder": display_path(app.folder) if app.folder else None,
             "external": app.external}
            for app in discovery.installed_apps
        ],
        "used": {
            "database": settings.database,
            "swappable": dict(sorted(settings.swappable.items())),
            "migration_modules": dict(sorted(settings.migration_modules.items())),
        },
    }


def _candidates_as_json(settings: Settings) -> list[dict[str, object]]:
    """Every place that named a settings module, most authoritative first: the file it names (None: not found in
    the project) and whether it is the one read (the first found)."""
    from flake8_django_migrations.project.settings_module import candidate_file

    django = settings.django
    if django is None:
        return []
    described: list[dict[str, object]] = []
    won = False
    for module, origin in django.candidates:
        path = candidate_file(module, django.root, django.import_roots)
        used = not won and path is not None and (module, origin) == (django.module, django.module_origin)
        won = won or used
        described.append({"module": module, "origin": origin, "path": display_path(path) if path else None,
                          "used": used})
    return described

"""``django-migrations-lint plan``: what ``migrate`` will do on a database, as text or JSON.

Each planned migration is shown forwards or backwards, with the rows of ``django_migrations`` it writes, the
operations that have no way back (``RunPython``/``RunSQL`` without a reverse) and the findings in its file. A history
``migrate`` refuses comes with the two ways out, row by row, each said safe or not. Names from the database or the
files are escaped as in every other output (``escape_controls``); the source is shown without its password.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Final, TextIO

from flake8_django_migrations.finding import Finding, escape_controls
from flake8_django_migrations.output.json import finding_as_json
from flake8_django_migrations.output.report import PROG, display_path
from flake8_django_migrations.project.applied_graph import HistoryView, MigratePlan, RecoveryRow, Step
from flake8_django_migrations.project.graph import Key, format_key

__all__ = ["plan_as_json", "write_plan_json", "write_plan_text"]

PLAN_JSON_VERSION: Final = 1  # raised only when a field is removed, renamed or changes meaning
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


def _name(key: Key) -> str:
    return escape_controls(format_key(key))


def _path(view: HistoryView, key: Key, cwd: str) -> str | None:
    facts = view.index.migrations.get(key)
    return escape_controls(display_path(os.path.abspath(facts.path), cwd)) if facts is not None else None


def _targets(plan: MigratePlan) -> str:
    if not plan.targets:
        return "no migration (the app has none)"
    shown = [f"{escape_controls(app)} zero" if name is None else _name((app, name)) for app, name in plan.targets]
    return ", ".join(shown)


# Text ------------------------------------------------------------------------------------------------------------


def write_plan_text(
    view: HistoryView, plan: MigratePlan, findings: Mapping[str, Sequence[Finding]], out: TextIO,
    command: str = "migrate",
) -> None:
    """``findings``: the reported findings by absolute path."""
    cwd = os.getcwd()
    source = escape_controls(view.source.source)
    count = len(view.recorded)
    out.write(f"{PROG} plan: `{escape_controls(command)}` on {source} ({count} migration{'' if count == 1 else 's'}"
              " recorded as applied)\n")
    if command == "migrate" and plan.targets:
        out.write(f"targets: the leaf migration of every app ({len(plan.targets)})\n")
    else:
        out.write(f"targets: {_targets(plan)}\n")
    for note in _notes(plan):
        out.write(f"note: {note}\n")
    if plan.refusal is not None:
        out.write(f"\nmigrate stops before running anything: {plan.refusal.error}: "
                  f"{escape_controls(plan.refusal.message)}\n")
        if plan.inconsistent:
            out.write("every applied migration with a dependency that is not applied:\n")
            for child, parent in plan.inconsistent:
                out.write(f"  {_name(child)} depends on {_name(parent)}\n")
        if plan.recovery is not None:
            _write_recovery(plan, out)
        if plan.next_refusal is not None:
            out.write(f"\nonce the history is repaired, migrate still stops: {plan.next_refusal.error}: "
                      f"{escape_controls(plan.next_refusal.message)}\n")
        return
    if not plan.steps:
        out.write("\nNo planned migration operations.\n")
    else:
        direction = "backwards" if plan.steps[0].backwards else "forwards"
        out.write(f"\n{len(plan.steps)} migration(s) to run {direction}, in this order:\n")
        stopped = False
        for number, step in enumerate(plan.steps, start=1):
            _write_step(view, number, step, findings, cwd, out, not_reached=stopped)
            stopped = stopped or step is plan.stops_at
    if plan.recorded_without_running:
        out.write("\nrecorded as applied without running (every migration it replaces is applied):\n")
        for key in plan.recorded_without_running:
            out.write(f"  {_name(key)}\n")


def _notes(plan: MigratePlan) -> list[str]:
    notes = []
    if plan.without_replacements:
        notes.append("the target is a replaced migration: Django plans on the graph without its squashes")
    if plan.not_in_tree:
        notes.append(f"not in this plan: the migrations of {', '.join(map(escape_controls, plan.not_in_tree))},"
                     " which the database or the graph names but the tree does not hold")
    if plan.unsure:
        notes.append(f"the graph of {', '.join(map(escape_controls, plan.unsure))} is not fully known (a file that"
                     " does not parse, a list built at run time): the plan may differ there")
    return notes


def _write_step(
    view: HistoryView, number: int, step: Step, findings: Mapping[str, Sequence[Finding]], cwd: str, out: TextIO,
    not_reached: bool,
) -> None:
    direction = "backward" if step.backwards else "forward "
    path = _path(view, step.migration, cwd)
    out.write(f"  {number}. {direction} {_name(step.migration)}" + (f"  ({path})" if path else "")
              + ("  (not reached)" if not_reached else "") + "\n")
    if step.records != (step.migration,):
        verb = "deletes the rows of" if step.backwards else "records"
        out.write(f"       {verb} {', '.join(map(_name, step.records))}\n")
    for operation, line in step.irreversible:
        if step.backwards:
            out.write(f"       migrate stops here (IrreversibleError): {escape_controls(operation)} (line {line})"
                      " has no reverse\n")
        else:
            out.write(f"       no way back: {escape_controls(operation)} (line {line}) has no reverse\n")
    facts = view.index.migrations.get(step.migration)
    for finding in findings.get(os.path.abspath(facts.path), ()) if facts is not None else ():
        out.write(f"       {finding.line}:{finding.col + 1}: {finding.text}\n")


def _write_recovery(plan: MigratePlan, out: TextIO) -> None:
    recovery = plan.recovery
    assert recovery is not None
    out.write(
        "\nrecovery: `migrate --fake` refuses this history too, so the rows are written by hand (SQL below),"
        " then `manage.py migrate` runs; pick one way:\n"
    )
    fake_verdict = "safe" if recovery.fake_is_safe else "UNSAFE as it stands"
    out.write(f"  A. record the missing dependencies as applied, in this order ({fake_verdict}):\n")
    for row in recovery.fake:
        _write_recovery_row(row, out, "its changes never run on this database: make them by hand first")
    rerun_verdict = "safe" if recovery.rerun_is_safe else "UNSAFE as it stands"
    out.write(f"  B. delete the rows of the migrations applied too early, latest first; `migrate` then runs them"
              f" again after their dependencies ({rerun_verdict}):\n")
    for row in recovery.rerun:
        _write_recovery_row(row, out, "it runs again: undo what it did by hand first (drop what it created)")
    if recovery.fake_is_safe or recovery.rerun_is_safe:
        out.write(f"  {'A' if recovery.fake_is_safe else 'B'} changes nothing in the schema or the data.\n")
    else:
        out.write("  neither is safe as it stands: do by hand what the UNSAFE lines say, then write the rows.\n")


def _write_recovery_row(row: RecoveryRow, out: TextIO, unsafe_because: str) -> None:
    if row.safe:
        verdict = "safe: it changes nothing in the database"
    else:
        verdict = f"UNSAFE: it changes the database ({escape_controls(', '.join(row.changes))}); {unsafe_because}"
    out.write(f"     - {_name(row.migration)}: {verdict}\n")
    sql = row.sql()
    if sql is None:
        out.write("         (a name holds characters not written into SQL here: write these rows by hand: "
                  f"{', '.join(map(_name, row.rows))})\n")
        return
    for statement in sql.splitlines():
        out.write(f"         {statement}\n")


# JSON ------------------------------------------------------------------------------------------------------------


def write_plan_json(
    view: HistoryView, plan: MigratePlan, findings: Mapping[str, Sequence[Finding]], out: TextIO
) -> None:
    json.dump(plan_as_json(view, plan, findings), out, indent=2)
    out.write("\n")


def plan_as_json(
    view: HistoryView, plan: MigratePlan, findings: Mapping[str, Sequence[Finding]]
) -> dict[str, object]:
    cwd = os.getcwd()
    stops_at = plan.stops_at
    return _without_surrogates({
        "version": PLAN_JSON_VERSION,
        "source": view.source.source,
        "recorded": len(view.recorded),
        "targets": [[app, name] for app, name in plan.targets],
        "refusal": {"error": plan.refusal.error, "message": plan.refusal.message} if plan.refusal else None,
        "next_refusal": (
            {"error": plan.next_refusal.error, "message": plan.next_refusal.message} if plan.next_refusal else None
        ),
        "inconsistent": [
            {"migration": format_key(child), "dependency": format_key(parent)} for child, parent in plan.inconsistent
        ],
        "recovery": None if plan.recovery is None else {
            "fake": [_row_as_json(row) for row in plan.recovery.fake],
            "fake_is_safe": plan.recovery.fake_is_safe,
            "rerun": [_row_as_json(row) for row in plan.recovery.rerun],
            "rerun_is_safe": plan.recovery.rerun_is_safe,
        },
        "steps": [_step_as_json(view, step, findings, cwd) for step in plan.steps],
        "stops_at": format_key(stops_at.migration) if stops_at is not None else None,
        "recorded_without_running": [format_key(key) for key in plan.recorded_without_running],
        "without_replacements": plan.without_replacements,
        "not_in_tree": list(plan.not_in_tree),
        "unsure": list(plan.unsure),
    })


def _step_as_json(
    view: HistoryView, step: Step, findings: Mapping[str, Sequence[Finding]], cwd: str
) -> dict[str, object]:
    facts = view.index.migrations.get(step.migration)
    path = os.path.abspath(facts.path) if facts is not None else None
    return {
        "migration": format_key(step.migration),
        "direction": "backward" if step.backwards else "forward",
        "path": display_path(path, cwd) if path is not None else None,
        "records": [format_key(key) for key in step.records],
        "irreversible": [{"operation": operation, "line": line} for operation, line in step.irreversible],
        "findings": [finding_as_json(finding) for finding in findings.get(path, ())] if path is not None else [],
    }


def _without_surrogates(document: dict[str, object]) -> dict[str, object]:
    """``document`` with every lone surrogate (a file name's byte that is not UTF-8) written as ``escape_controls``
    writes it: no UTF-8 text can hold one, and strict JSON readers reject its escape."""

    def clean(value: object) -> object:
        if isinstance(value, str):
            return value if value.isprintable() else _SURROGATE.sub(lambda match: escape_controls(match.group()), value)
        if isinstance(value, dict):
            return {clean(key): clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    cleaned = clean(document)
    assert isinstance(cleaned, dict)
    return cleaned


def _row_as_json(row: RecoveryRow) -> dict[str, object]:
    return {
        "migration": format_key(row.migration),
        "action": row.action,
        "rows": [list(key) for key in row.rows],
        "safe": row.safe,
        "changes": list(row.changes),
        "sql": row.sql(),
    }

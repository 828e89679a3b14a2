"""``check --format json`` and ``--format sarif`` carry each finding's fix: applicability, message and the exact
edits, which applied to the tree before give the tree ``check --fix`` leaves (tests/fixtures/fixes/), and in SARIF
2.1.0's ``fixes`` (valid against the vendored schema) with columns in UTF-16 code units."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.cli import main
from tests.test_fix import CASES, FIXES, IDS, Case, files
from tests.test_fix_edits import HEAD, migration_file
from tests.test_output_formats import validate_sarif


def report(root: Path, output_format: str, *options: str) -> Any:
    out = io.StringIO()
    main(["check", "--isolated", "--no-cache", "--djm-project-root", str(root), "--format", output_format,
          *options, str(root)], stdout=out)
    return json.loads(out.getvalue())


def selected(case: Case) -> set[str]:
    return {"safe", "unsafe"} if "--unsafe-fixes" in case.options else {"safe"}


def options(case: Case) -> tuple[str, ...]:
    return tuple(option for option in case.options if option != "--unsafe-fixes")


def apply_json_edits(root: Path, edits: list[dict[str, Any]]) -> None:
    """The edits as an editor applies them: text ranges (1-based lines, 1-based columns in characters) from the
    end of each file backwards, new files written, renamed files moved."""
    by_path: dict[str, list[dict[str, Any]]] = {}
    for edit in edits:
        if edit["new_path"] is not None:
            (root / edit["path"]).rename(root / edit["new_path"])
        elif edit["start"] is None:
            (root / edit["path"]).write_text(edit["content"], encoding="utf-8")
        else:
            by_path.setdefault(edit["path"], []).append(edit)
    for path, changes in by_path.items():
        text = (root / path).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        starts = [sum(len(line) for line in lines[:number]) for number in range(len(lines) + 1)]

        def offset(place: dict[str, int]) -> int:
            return starts[place["line"] - 1] + place["col"] - 1

        for change in sorted(changes, key=lambda change: offset(change["start"]), reverse=True):
            text = text[:offset(change["start"])] + change["content"] + text[offset(change["end"]):]
        (root / path).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_json_edits_of_each_case_give_the_fixed_tree(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXES / case.name / "before", root)
    monkeypatch.chdir(root)

    findings = report(root, "json", *options(case))["findings"]

    fixes = [finding["fix"] for finding in findings if finding["fix"] is not None]
    assert fixes and all(set(fix) == {"applicability", "message", "edits"} for fix in fixes)
    edits: list[dict[str, Any]] = []
    for fix in fixes:
        if fix["applicability"] in selected(case):
            edits.extend(edit for edit in fix["edits"] if edit not in edits)  # as --fix, the same change made once
    apply_json_edits(root, edits)
    assert files(root) == files(FIXES / case.name / "after")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sarif_carries_the_fixes_and_stays_valid(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXES / case.name / "before", root)
    monkeypatch.chdir(root)

    log = report(root, "sarif", *options(case))
    findings = report(root, "json", *options(case))["findings"]

    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(findings)
    for result, finding in zip(results, findings):
        fix = finding["fix"]
        renames = fix is not None and any(edit["new_path"] for edit in fix["edits"])
        if fix is None or renames:  # a rename has no SARIF form
            assert "fixes" not in result
            continue
        (sarif_fix,) = result["fixes"]
        assert sarif_fix["properties"] == {"applicability": fix["applicability"]}
        assert sarif_fix["description"]["text"] == f"{fix['message']} ({fix['applicability']} fix)"
        replacements = [
            (change["artifactLocation"]["uri"], replacement["insertedContent"]["text"])
            for change in sarif_fix["artifactChanges"] for replacement in change["replacements"]
        ]
        assert replacements == [(edit["path"], edit["content"]) for edit in fix["edits"]]
    assert any("fixes" in result for result in results) == (case.name != "DJM306_rename")


def test_columns_count_characters_in_json_and_utf16_code_units_in_sarif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "    operations = [migrations.RunSQL(\"SELECT '\U0001f600'\")]\n"
    path = migration_file(tmp_path, body, "0001_initial.py")
    monkeypatch.chdir(tmp_path)
    line = HEAD.count("\n") + 1
    column = len("    operations = [migrations.RunSQL(\"SELECT '\U0001f600'\"") + 1

    (finding,) = report(tmp_path, "json", "--select", "DJM102")["findings"]
    sarif = report(tmp_path, "sarif", "--select", "DJM102")

    assert finding["fix"]["edits"] == [{
        "path": "shop/migrations/0001_initial.py", "start": {"line": line, "col": column},
        "end": {"line": line, "col": column}, "content": ", reverse_sql=migrations.RunSQL.noop", "new_path": None,
    }]
    (replacement,) = sarif["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement["deletedRegion"] == {
        "startLine": line, "startColumn": column + 1, "endLine": line, "endColumn": column + 1,
    }
    assert path.read_text(encoding="utf-8").endswith("'\U0001f600'\")]\n")  # nothing written


def test_a_finding_without_fix_has_a_null_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migration_file(tmp_path, "    operations = [migrations.RunPython(forwards)]\n", "0001_initial.py")
    migration_file(tmp_path, "    operations = []\n", "0002_auto_20240101_1200.py")
    monkeypatch.chdir(tmp_path)

    findings = report(tmp_path, "json", "--select", "DJM101,DJM901")["findings"]

    assert [(finding["code"], finding["fix"] is None) for finding in findings] == [
        ("DJM101", False), ("DJM901", True),
    ]

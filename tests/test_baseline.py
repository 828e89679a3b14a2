"""Baselines: written sorted and stable, matched by file, code and message (not line), counted, stale reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flake8_django_migrations.baseline import BaselineError, read_baseline, write_baseline
from flake8_django_migrations.finding import Finding


def finding(path: str, line: int, code: str = "DJM202", message: str = "drops `a`") -> Finding:
    return Finding(path, line, 8, code, message, "hint")


def test_a_written_baseline_covers_the_same_findings_after_lines_moved(tmp_path: Path) -> None:
    path = str(tmp_path / "baseline.json")
    a = str(tmp_path / "shop" / "migrations" / "0002_x.py")
    assert write_baseline(path, [finding(a, 10), finding(a, 12, "DJM201", "adds `b`")]) == 2
    baseline = read_baseline(path)
    new, stale = baseline.new_findings([finding(a, 30), finding(a, 31, "DJM201", "adds `b`")])
    assert (new, stale) == ([], {})


def test_a_new_finding_in_a_baselined_file_is_reported_and_counts_matter(tmp_path: Path) -> None:
    path = str(tmp_path / "baseline.json")
    a = str(tmp_path / "a.py")
    write_baseline(path, [finding(a, 1)])
    baseline = read_baseline(path)
    new, _ = baseline.new_findings([finding(a, 1), finding(a, 2), finding(a, 3, message="drops `c`")])
    assert [f.line for f in new] == [2, 3]


def test_entries_that_match_nothing_are_stale(tmp_path: Path) -> None:
    path = str(tmp_path / "baseline.json")
    a = str(tmp_path / "a.py")
    write_baseline(path, [finding(a, 1), finding(a, 2), finding(a, 5, "DJM201", "adds `b`")])
    new, stale = read_baseline(path).new_findings([finding(a, 1)])
    assert new == [] and stale == {("a.py", "DJM202", "drops `a`"): 1, ("a.py", "DJM201", "adds `b`"): 1}


def test_paths_are_relative_to_the_baseline_and_independent_of_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop").mkdir()
    path = str(tmp_path / "baseline.json")
    monkeypatch.chdir(tmp_path)
    write_baseline(path, [finding(os.path.join("shop", "m.py"), 1)])
    assert json.loads(Path(path).read_text())["findings"][0]["path"] == "shop/m.py"
    monkeypatch.chdir(tmp_path / "shop")
    assert read_baseline(path).new_findings([finding("m.py", 9)]) == ([], {})


def test_the_file_is_sorted_and_stable(tmp_path: Path) -> None:
    a, b = str(tmp_path / "b.py"), str(tmp_path / "a.py")
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    write_baseline(str(first), [finding(a, 1), finding(b, 1), finding(a, 2)])
    write_baseline(str(second), [finding(a, 2), finding(a, 1), finding(b, 1)])
    assert first.read_text() == second.read_text()
    lines = first.read_text().splitlines()
    assert lines[3].startswith('    {"path": "a.py"') and '"count": 2' in lines[4]
    write_baseline(str(first), [])
    assert read_baseline(str(first)).entries == {}


@pytest.mark.parametrize("content", [
    "", "[]", '{"format": 99}', '{"format": 1, "findings": [{"path": "a"}]}',
    '{"format": 1, "findings": [{"path": "a", "code": "X", "message": "m", "count": 0}]}',
    '{"format": 1, "findings": [{"path": "a", "code": "X", "message": "m", "count": true}]}',
    '{"format": 1, "findings": [7]}', b"\xff\xfe".decode("latin-1"),
])
def test_a_file_that_is_not_a_baseline_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(BaselineError):
        read_baseline(str(path))


def test_a_missing_baseline_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read"):
        read_baseline(str(tmp_path / "missing.json"))

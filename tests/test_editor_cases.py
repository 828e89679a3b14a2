"""What editors do with flake8: hand it an unsaved buffer on stdin, and (VS Code's extension) run it many times in
one long-lived process. The project pass must read the buffer for its file and see edits between runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flake8.main.application import Application

from tests.graph_trees import app, migration, tree, write_tree


def two_leaves(root: Path) -> Path:
    return write_tree(root, tree(app("shop", {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
    })))


def flake8_stdin(root: Path, display_name: str, text: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM", "--djm-no-cache", "--djm-settings", "none",
         "--stdin-display-name", display_name, "-"],
        cwd=root, input=text, capture_output=True, text=True,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.splitlines()


def test_the_project_pass_reads_the_unsaved_buffer(tmp_path: Path) -> None:
    root = two_leaves(tmp_path / "project")
    saved = (root / "shop" / "migrations" / "0002_b.py").read_text()
    name = "shop/migrations/0002_b.py"
    assert [line.split(":")[:2] + [line.split()[1]] for line in flake8_stdin(root, name, saved)] == [
        [name, "5", "DJM304"]
    ]
    # Lines inserted above: the finding moves with them, as the per-file findings do.
    shifted = "# one\n# two\n# three\n" + saved
    assert [line.split(":")[1] for line in flake8_stdin(root, name, shifted)] == ["8"]
    # The buffer orders 0002_b after 0002_a: one leaf, although the saved file still has two.
    fixed = saved.replace("[('shop', '0001_initial')]", "[('shop', '0002_a')]")
    assert fixed != saved
    assert flake8_stdin(root, name, fixed) == []


def run_in_process(root: Path) -> str:
    """flake8 run through its API in this process, as VS Code's flake8 extension does."""
    report = root.parent / "report.txt"
    report.unlink(missing_ok=True)  # flake8 appends to its --output-file
    Application().run([
        "--select", "DJM", "--djm-no-cache", "--djm-settings", "none", "--output-file", str(report),
        str(root / "shop" / "migrations" / "0002_a.py"),
    ])
    return report.read_text()


def test_one_process_sees_edits_between_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = two_leaves(tmp_path / "project")
    monkeypatch.chdir(root)
    assert "DJM304" in run_in_process(root)
    # The user merges the two leaves and saves; the editor lints again in the same process.
    (root / "shop" / "migrations" / "0003_merge_a_b.py").write_text(migration(("shop", "0002_a"), ("shop", "0002_b")))
    assert "DJM304" not in run_in_process(root)

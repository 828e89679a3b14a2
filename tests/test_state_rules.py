"""The rules over static model state (DJM207-208, DJM401-403), on small project trees with inline expectations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flake8_django_migrations.settings import Settings
from tests.fixture_harness import TREES, project_findings, tree_expectations

STATE_CODES = ("DJM207", "DJM208", "DJM401", "DJM402", "DJM403")
STATE_TREES = sorted(path for path in TREES.iterdir() if path.name[:6] in STATE_CODES)


def _state_findings(tree: Path) -> list[tuple[str, int, int, str]]:
    return sorted(
        (os.path.relpath(f.path, tree), f.line, f.col + 1, f.code)
        for f in project_findings(tree, Settings(use_cache=False))
        if f.code in STATE_CODES
    )


@pytest.mark.parametrize("tree", STATE_TREES, ids=lambda path: path.name)
def test_state_tree(tree: Path) -> None:
    assert _state_findings(tree) == tree_expectations(tree)


@pytest.mark.parametrize("code", STATE_CODES)
def test_every_state_rule_has_failing_and_passing_trees(code: str) -> None:
    trees = [tree for tree in STATE_TREES if tree.name.startswith(code)]
    assert any(tree_expectations(tree) for tree in trees), f"{code} has no failing tree"
    assert any(
        "# ok" in path.read_text() for tree in trees for path in tree.rglob("*.py")
    ), f"{code} has no passing case"

"""Truth: where a DJM4xx rule predicts that a fresh database fails, Django's `migrate` really fails on SQLite,
in an order the dependencies allow, and the corrected tree (with the dependency the message suggests) migrates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.django_runner import DjangoProject
from tests.fixture_harness import TREES

# (failing tree, the commands run in order, what Django says when it fails, the corrected tree or None)
CASES = [
    ("DJM401_read_before_create", [("migrate", "orders")], "unique_id", "DJM401_fixed"),
    ("DJM401_foreign_key", [("migrate", "orders")], "catalog.brand", None),
    ("DJM402_delete_before_readers", [("migrate", "catalog"), ("migrate", "orders")], "sku", "DJM402_fixed"),
    ("DJM403_read_after_delete", [("migrate",)], "sku", "DJM403_fixed"),
]


def _run(tree: str, commands: list[tuple[str, ...]], workdir: Path) -> tuple[int, str]:
    project = DjangoProject(TREES / tree, workdir)
    for command in commands:
        result = project.manage(*command)
        if result.returncode != 0:
            return result.returncode, result.stderr
    result = project.manage("migrate")  # and the rest, so "passes" means the whole project migrates
    return result.returncode, result.stderr


@pytest.mark.parametrize(("failing", "commands", "error", "fixed"), CASES, ids=[case[0] for case in CASES])
def test_failing_tree_really_fails_and_fixed_tree_migrates(
    failing: str, commands: list[tuple[str, ...]], error: str, fixed: str | None, tmp_path: Path
) -> None:
    returncode, stderr = _run(failing, commands, tmp_path / "failing")
    assert returncode != 0, f"Django migrated {failing} although the rule predicts a failure"
    assert error in stderr.lower(), stderr[-2000:]
    if fixed is not None:
        returncode, stderr = _run(fixed, commands, tmp_path / "fixed")
        assert returncode == 0, stderr[-2000:]


@pytest.mark.parametrize("tree", ["DJM403_type_change_is_not_a_removal"])
def test_trees_without_ordering_findings_really_migrate(tree: str, tmp_path: Path) -> None:
    returncode, stderr = _run(tree, [("migrate",)], tmp_path)
    assert returncode == 0, stderr[-2000:]

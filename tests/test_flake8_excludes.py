"""flake8's ``--exclude`` and ``--extend-exclude`` keep folders out of the project's migration graph (README): an old
copy of an app excluded from flake8 does not make its label ambiguous, so the app's graph is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flake8_runner import parse_output, run_flake8
from tests.graph_trees import app, migration, tree, write_tree


def project(root: Path) -> Path:
    return write_tree(root, tree(
        app("shop", {
            "0001_initial": migration(),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
        }),
        # A second folder claiming the label `shop`: which one Django loads cannot be told, so `shop` is left out.
        app("shop", {"0001_initial": migration()}, folder="legacy/shop"),
    ))


def test_without_exclusion_the_label_is_ambiguous_and_not_checked(tmp_path: Path) -> None:
    result = run_flake8("--isolated", "--select", "DJM3", ".", cwd=project(tmp_path))
    assert parse_output(result.stdout) == []


@pytest.mark.parametrize("option", ["--exclude", "--extend-exclude"])
def test_an_excluded_copy_of_an_app_leaves_the_label_to_the_other(tmp_path: Path, option: str) -> None:
    result = run_flake8("--isolated", "--select", "DJM3", option, "legacy", ".", cwd=project(tmp_path))
    assert parse_output(result.stdout) == [
        ("./shop/migrations/0002_a.py", 5, 1, "DJM304"),
        ("./shop/migrations/0002_b.py", 5, 1, "DJM304"),
    ]

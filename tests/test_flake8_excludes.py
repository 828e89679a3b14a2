"""flake8's ``--exclude`` and ``--extend-exclude`` keep folders out of the project's migration graph (README): an old
copy of an app excluded from flake8 does not make its label ambiguous, so the app's graph is checked. The command
reads them as flake8 does, from its command line or from flake8's configuration files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.flake8_runner import parse_output, run_flake8
from tests.graph_trees import app, migration, tree, write_tree

CONFLICTING_LEAVES = [
    ("./shop/migrations/0002_a.py", 5, 1, "DJM304"),
    ("./shop/migrations/0002_b.py", 5, 1, "DJM304"),
]


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


def check(root: Path, monkeypatch: pytest.MonkeyPatch, *options: str) -> list[tuple[str, int, int, str]]:
    monkeypatch.chdir(root)
    out = io.StringIO()
    assert main(["check", "--djm-no-cache", "--format", "json", *options, "."], stdout=out) in (0, 1)
    return [(f"./{f['path']}", f["line"], f["col"], f["code"]) for f in json.loads(out.getvalue())["findings"]]


def test_without_exclusion_the_label_is_ambiguous_and_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    result = run_flake8("--isolated", "--select", "DJM3", ".", cwd=root)
    assert parse_output(result.stdout) == []
    assert check(root, monkeypatch, "--isolated", "--select", "DJM3") == []


@pytest.mark.parametrize("option", ["--exclude", "--extend-exclude"])
def test_an_excluded_copy_of_an_app_leaves_the_label_to_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    root = project(tmp_path)
    result = run_flake8("--isolated", "--select", "DJM3", option, "legacy", ".", cwd=root)
    assert parse_output(result.stdout) == CONFLICTING_LEAVES
    assert check(root, monkeypatch, "--isolated", "--select", "DJM3", option, "legacy") == CONFLICTING_LEAVES


@pytest.mark.parametrize("setting", ["exclude = .git,legacy", "extend-exclude = legacy"])
@pytest.mark.parametrize("config_file", ["setup.cfg", "tox.ini", ".flake8"])
def test_an_exclusion_in_flake8s_configuration_holds_in_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_file: str, setting: str
) -> None:
    root = project(tmp_path)
    (root / config_file).write_text(f"[flake8]\nselect = DJM3\n{setting}\n", encoding="utf-8")
    assert parse_output(run_flake8(".", cwd=root).stdout) == CONFLICTING_LEAVES
    assert check(root, monkeypatch) == CONFLICTING_LEAVES


def test_an_excluded_migration_is_in_the_graph_but_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flake8 does not check an excluded file, so it reports nothing about it, graph findings included; the graph
    still holds it (Django loads it), so the other leaf keeps its finding."""
    root = project(tmp_path)
    options = ("--isolated", "--select", "DJM3", "--extend-exclude", "legacy,0002_b.py")
    assert parse_output(run_flake8(*options, ".", cwd=root).stdout) == CONFLICTING_LEAVES[:1]
    assert check(root, monkeypatch, *options) == CONFLICTING_LEAVES[:1]

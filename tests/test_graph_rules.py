"""The machinery under the project rules: discovery, exclusions, the per-file entry point and its cache, silence
where a file cannot be read. The rules' findings themselves (DJM302-DJM307, DJM904, exact positions and messages,
and their silent cases) are the project trees in ``tests/fixtures/trees/``, run by ``test_rules.test_tree``."""

from __future__ import annotations

from typing import Any

import os
from pathlib import Path

import pytest

from flake8_django_migrations import run as run_module
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.project import index as index_module
from flake8_django_migrations.project.index import ProjectIndex
from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.project.discover import find_project_root
from flake8_django_migrations.finding import Finding

from flake8_django_migrations.settings import Settings
from tests.fixture_harness import TREES, project_findings
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

SETTINGS = Settings(use_cache=False)


def findings(root: Path, settings: Settings = SETTINGS) -> list[tuple[str, int, int, str]]:
    """(path relative to root, line, 1-based column, code) of every project finding."""
    return [
        (os.path.relpath(f.path, root), f.line, f.col + 1, f.code)
        for f in project_findings(root, settings)
    ]


# Silence where the facts are incomplete --------------------------------------------------------------------------


def test_syntax_error_in_one_file_is_skipped(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_initial": migration(),
        "0002_broken": "class Migration(migrations.Migration:\n",
        "0003_x": migration(("shop", "0002_broken")),
        "0003_y": migration(("shop", "0001_initial")),
    })))
    index = ProjectRun(str(root), SETTINGS).index()
    assert index.unknown == {"shop": frozenset({"0002_broken"})}
    # 0003_x's parent is unreadable, not missing; and with a node unknown the leaves are not known either.
    assert findings(root) == []


def test_swappable_setting_not_given_is_not_guessed() -> None:
    """No finding in the tree (test_rules.test_tree), and the migration stays in the graph."""
    root = TREES / "DJM302_swappable_setting_not_given"
    index = ProjectRun(str(root), SETTINGS).index()
    assert project_findings(root, SETTINGS) == ()
    assert index.graph.nodes == {("shop", "0001_initial")}


# Discovery -------------------------------------------------------------------------------------------------------


def test_discovery_skips_environments_vendored_code_and_excludes(tmp_path: Path) -> None:
    conflicted = {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
    }
    root = write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration()}),
        app("shop", conflicted, folder=".venv/lib/python3.11/site-packages/shop"),
        app("shop", conflicted, folder="env/lib/shop"),
        {"env/pyvenv.cfg": "home = /usr/bin\n"},
        app("shop", conflicted, folder="node_modules/pkg/shop"),
        app("shop", conflicted, folder="build/lib/shop"),
        app("shop", conflicted, folder="legacy/shop"),
    ))
    settings = Settings(use_cache=False, exclude=("legacy",))
    index = ProjectRun(str(root), settings).index()
    assert index.discovery.apps["shop"].folder == str(root / "shop" / "migrations")
    assert project_findings(root, settings) == ()


def test_one_label_in_two_folders_is_left_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration()}),
        app("shop", {"0001_initial": migration(), "0001_other": migration()}, folder="tests/fixtures/shop"),
        app("orders", {"0001_initial": migration(("shop", "0009_missing"))}),
    ))
    index = ProjectRun(str(root), SETTINGS).index()
    assert "shop" in index.external_apps
    assert project_findings(root, SETTINGS) == ()


def test_project_root_is_the_nearest_marker(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", tree(app("shop", {"0001_initial": migration(), "0001_b": migration()})))
    (tmp_path / "project" / "manage.py").unlink()
    (tmp_path / "project" / "pyproject.toml").write_text("", encoding="utf-8")
    # A folder outside the project with its own conflict must not be part of it.
    write_tree(tmp_path / "other", tree(app("shop", {"0001_initial": migration(), "0001_c": migration()})))
    leaf = root / "shop" / "migrations" / "0001_b.py"
    assert [f.code for f in project_findings_for(str(leaf), SETTINGS)] == ["DJM304"]
    assert find_project_root(str(leaf), SETTINGS) == str(root)


# The flake8 entry point ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_runs(monkeypatch: pytest.MonkeyPatch) -> Memo[tuple[str, int, int], ProjectRun]:
    """The plugin's per-process project runs, none made yet."""
    runs: Memo[tuple[str, int, int], ProjectRun] = Memo(4)
    monkeypatch.setattr(run_module, "_RUNS", runs)
    return runs


def test_findings_for_a_file_whatever_the_path_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_runs: Memo[tuple[str, int, int], ProjectRun]
) -> None:
    root = write_tree(tmp_path, app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "0009_gone"))}))
    monkeypatch.chdir(root)
    expected = list(project_findings(root, SETTINGS))
    assert [f.code for f in expected] == ["DJM302"]
    for form in ("shop/migrations/0002_x.py", "./shop/migrations/0002_x.py", "shop/../shop/migrations/0002_x.py",
                 str(root / "shop/migrations/0002_x.py")):
        assert project_findings_for(form, SETTINGS) == expected
    assert project_findings_for("shop/migrations/0001_initial.py", SETTINGS) == []
    assert expected[0].path == str(root / "shop" / "migrations" / "0002_x.py")


def test_index_is_built_once_per_lint_run_and_the_runs_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_runs: Memo[tuple[str, int, int], ProjectRun]
) -> None:
    built: list[str] = []
    real_build = index_module.build_index

    def counting_build(discovery: Any, *rest: Any) -> ProjectIndex:
        built.append(discovery.root)
        return real_build(discovery, *rest)

    monkeypatch.setattr(index_module, "build_index", counting_build)
    conflicted = app("shop", {"0001_initial": migration(), "0002_x": migration()})
    roots = [write_tree(tmp_path / f"p{i}", conflicted) for i in range(6)]
    for _ in range(3):
        for name in ("0001_initial", "0002_x"):
            project_findings_for(str(roots[0] / "shop" / "migrations" / f"{name}.py"), SETTINGS)
    assert built == [str(roots[0])]
    for root in roots:
        project_findings_for(str(root / "shop" / "migrations" / "0002_x.py"), SETTINGS)
    assert len(fresh_runs) == 4
    # Other settings are another run, and so is the next lint run.
    other_settings = Settings(use_cache=False, exclude=("x",))
    project_findings_for(str(roots[-1] / "shop" / "migrations" / "0002_x.py"), other_settings)
    assert built.count(str(roots[-1])) == 2
    project_findings_for(str(roots[-1] / "shop" / "migrations" / "0002_x.py"), other_settings, lint_run=1)
    assert built.count(str(roots[-1])) == 3


def test_a_broken_project_pass_keeps_the_per_file_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_runs: Memo[tuple[str, int, int], ProjectRun]
) -> None:
    """flake8 would abort the user's whole run on a plugin's exception: the project findings are left out."""
    import ast

    from flake8_django_migrations.plugin import MigrationChecker

    def broken(*args: Any) -> ProjectIndex:
        raise RuntimeError("bug")

    monkeypatch.setattr(index_module, "build_index", broken)
    # 0002 has a RunPython without reverse (DJM101) and a dependency on a migration that does not exist (DJM302).
    root = write_tree(tmp_path, app("shop", {
        "0001_initial": migration(), "0002_x": RUN_PYTHON.replace("0001_initial", "0009_gone"),
    }))
    path = root / "shop" / "migrations" / "0002_x.py"
    monkeypatch.setattr(MigrationChecker, "settings", SETTINGS)
    checker = MigrationChecker(ast.parse(path.read_text()), str(path))
    assert [text.split()[0] for _, _, text, _ in checker.run()] == ["DJM101"]
    monkeypatch.undo()
    checker = MigrationChecker(ast.parse(path.read_text()), str(path))
    monkeypatch.setattr(MigrationChecker, "settings", SETTINGS)
    monkeypatch.setattr(run_module, "_RUNS", Memo(4))
    assert sorted(text.split()[0] for _, _, text, _ in checker.run()) == ["DJM101", "DJM302"]


def test_findings_are_attributed_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("a", {"0001_initial": migration(("b", "0001_initial")), "0001_other": migration()}),
        app("b", {"0001_initial": migration(("a", "0001_initial"), ("a", "0009_x"))}),
    ))
    everything = list(project_findings(root, SETTINGS))
    per_file: list[Finding] = []
    for path in sorted({f.path for f in everything}):
        per_file.extend(project_findings_for(path, SETTINGS))
    assert sorted(per_file, key=lambda f: f.sort_key) == everything
    assert len(set(everything)) == len(everything)


def project_findings_for(path: str, settings: Settings, lint_run: int = 0) -> list[Finding]:
    """What the plugin's run of the project of ``path`` attributes to it."""
    return list(ProjectRun.of_file(path, settings, lint_run).project_findings_in(os.path.abspath(path)))

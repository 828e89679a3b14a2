"""The pre-commit hook, for real: ``pre-commit try-repo`` installs this repository into its own environment and runs
the hook on a small project in a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.graph_trees import app, migration, tree, write_tree

REPOSITORY = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
_SCRIPTS = '\n[project.scripts]\ndjango-migrations-lint = "flake8_django_migrations.cli:main"\n'
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", "build", "dist", "benchmarks"
)


def git(cwd: Path, *args: str) -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=environment, check=True, capture_output=True)


def hook_repository(tmp_path: Path) -> Path:
    """A committed copy of this repository: try-repo clones it, so it must be a git repository."""
    copy = tmp_path / "hook-repo"
    shutil.copytree(REPOSITORY, copy, ignore=_NOT_COPIED)
    pyproject = copy / "pyproject.toml"
    if "[project.scripts]" not in pyproject.read_text(encoding="utf-8"):
        # The console script the hook's entry names; pyproject.toml is not this test's to change.
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + _SCRIPTS, encoding="utf-8")
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "hook")
    return copy


@pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs pre-commit and git")
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    hooks = hook_repository(tmp_path)
    project = write_tree(tmp_path / "project", tree(
        app("shop", {
            "0001_initial": migration(),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
        }),
        {"README.md": "a project\n"},
    ))
    git(project, "init", "-q")
    git(project, "add", "-A")
    environment = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PRE_COMMIT_COLOR": "never",
    }

    def try_repo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PRE_COMMIT), "try-repo", str(hooks), "django-migrations-lint", *args],
            cwd=project, env=environment, capture_output=True, text=True, timeout=900, check=False,
        )

    completed = try_repo("--all-files")
    output = completed.stdout + completed.stderr
    if completed.returncode == 3 or "Could not find a version" in output or "No matching distribution" in output:
        pytest.skip(f"pre-commit could not install the hook's environment offline:\n{output[-2000:]}")
    assert completed.returncode == 1, output
    assert "shop/migrations/0002_a.py:5:1: DJM304 `shop` has more than one leaf migration" in output
    assert "shop/migrations/0002_b.py:5:1: DJM304" in output

    # A change that touches no migration does not run the hook.
    skipped = try_repo("--files", "README.md")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "Skipped" in skipped.stdout

    # Merged: clean.
    write_tree(project, app("shop", {"0003_merge_a_b": migration(("shop", "0002_a"), ("shop", "0002_b"))}))
    git(project, "add", "-A")
    clean = try_repo("--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout


def test_the_hook_keeps_its_earlier_id() -> None:
    """Configurations written for earlier builds name the hook ``flake8-django-migrations``: it runs the same."""
    import yaml  # pre-commit's own dependency

    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text())}
    current, earlier = hooks["django-migrations-lint"], hooks["flake8-django-migrations"]
    assert {k: v for k, v in earlier.items() if k not in ("id", "name")} == {
        k: v for k, v in current.items() if k not in ("id", "name")
    }

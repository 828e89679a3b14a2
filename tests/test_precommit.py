"""The pre-commit hook, for real: ``pre-commit try-repo`` installs this repository into its own environment and runs
the hook on a small project in a temporary git repository."""

from __future__ import annotations

import os
import re
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

    # The files pre-commit passes (those a commit changes): their findings, the graph's included, and no others.
    passed = try_repo("--files", "shop/migrations/0002_b.py")
    assert passed.returncode == 1, passed.stdout + passed.stderr
    assert "shop/migrations/0002_b.py:5:1: DJM304" in passed.stdout
    assert "0002_a.py" not in passed.stdout

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


# The README's local hooks --------------------------------------------------------------------------------------------

SETTINGS = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'shop', 'accounts']\n"
MANAGE = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
NO_REVERSE = (
    "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\n"
    "class Migration(migrations.Migration):\n    dependencies = [('accounts', '0001_initial')]\n"
    "    operations = [migrations.RunPython(forwards)]\n"
)


def readme_local_hooks() -> dict[str, str]:
    """The README's `repo: local` pre-commit configurations, by their hook's language, as written."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if "repo: local" in block]
    found = {}
    for block in blocks:
        (language,) = re.findall(r"^ +language: (\w+)$", block, re.MULTILINE)
        found[language] = block
    return found


def committed_project(folder: Path) -> Path:
    """A project whose committed history has an old finding (DJM101 in `accounts`); the change staged for the
    commit adds `shop`'s second leaf (DJM304 on it and on the untouched `0002_a`) and a dependency on a migration
    of `django.contrib.auth` that does not exist (DJM302: known only from Django's migrations, or the snapshot)."""
    project = write_tree(folder, tree(
        app("shop", {"0001_initial": migration(), "0002_a": migration(("shop", "0001_initial"))}),
        app("accounts", {
            "0001_initial": migration(("auth", "0012_alter_user_first_name_max_length")),
            "0002_backfill": NO_REVERSE,
        }),
        {"manage.py": MANAGE, "proj/__init__.py": "", "proj/settings.py": SETTINGS},
    ))
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "history")
    staged = {
        "shop/migrations/0002_b.py": migration(("shop", "0001_initial")),
        "accounts/migrations/0003_missing.py": migration(("accounts", "0002_backfill"), ("auth", "0099_missing")),
    }
    for relative, source in staged.items():  # not write_tree, which would empty manage.py
        (project / relative).write_text(source, encoding="utf-8")
    return project


def run_hook(project: Path, config: str, home: Path) -> subprocess.CompletedProcess[str]:
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(project, "add", "-A")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(home / "pre-commit-home"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PRE_COMMIT_COLOR": "never",
    }
    return subprocess.run(
        [str(PRE_COMMIT), "run"], cwd=project, env=environment, capture_output=True, text=True, timeout=900,
        check=False,
    )


EXPECTED = [
    "accounts/migrations/0003_missing.py:6:52: DJM302",
    "shop/migrations/0002_b.py:5:1: DJM304",
]


def reported(output: str) -> list[str]:
    return sorted(" ".join(line.split()[:2]) for line in output.splitlines() if re.search(r"\.py:\d+:\d+: ", line))


@pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs pre-commit and git")
def test_the_readme_system_hook_reports_the_files_of_the_commit(tmp_path: Path) -> None:
    """`language: system`, as the README writes it: the command of the environment you commit from."""
    config = readme_local_hooks()["system"]
    project = committed_project(tmp_path / "project")
    completed = run_hook(project, config, tmp_path)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert reported(completed.stdout) == EXPECTED  # not the DJM304 of 0002_a, nor the old DJM101

    # The whole project is one argument away.
    whole = config.replace("        require_serial: true\n", "        require_serial: true\n        args: [.]\n")
    assert whole != config
    everything = run_hook(project, whole, tmp_path)
    assert reported(everything.stdout) == sorted([
        *EXPECTED, "accounts/migrations/0002_backfill.py:10:19: DJM101", "shop/migrations/0002_a.py:5:1: DJM304",
    ])


@pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs pre-commit and git")
def test_the_readme_python_hook_sees_what_the_project_sees(tmp_path: Path) -> None:
    """`language: python` with a clone's absolute path, as the README writes it: pre-commit's own environment has no
    Django, and the contrib apps come from the snapshot shipped in the package, so the findings are the same."""
    config = readme_local_hooks()["python"]
    assert "additional_dependencies: [/path/to/django-migrations-lint]" in config
    clone = hook_repository(tmp_path)
    project = committed_project(tmp_path / "project")
    completed = run_hook(project, config.replace("/path/to/django-migrations-lint", str(clone)), tmp_path)
    output = completed.stdout + completed.stderr
    if "Could not find a version" in output or "No matching distribution" in output:
        pytest.skip(f"pre-commit could not install the hook's environment offline:\n{output[-2000:]}")
    assert completed.returncode == 1, output
    assert reported(completed.stdout) == EXPECTED
    environments = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*/bin/python"))
    assert environments, "pre-commit's own environment"
    assert subprocess.run([str(environments[0]), "-c", "import django"], capture_output=True).returncode != 0

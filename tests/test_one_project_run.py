"""One project run for both front ends: what a run reads is read once, and every input of a finding is in its key.

Each test here failed before the run was one place (issue 20): the cache key listed the settings by hand and
missed the Django settings the rules read, and what changed since ``djm-base`` was kept for the whole process.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from tests.graph_trees import app, migration, tree, write_tree

MANAGE_PY = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")\n'
SETTINGS_PY = (
    'INSTALLED_APPS = ["shop"]\n'
    'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"%s}}\n'
)
LOCK_TIMEOUT_OPTIONS = ', "OPTIONS": {"options": "-c lock_timeout=5s"}'
# A column dropped from a table that exists: an ACCESS EXCLUSIVE lock, which DJM905 wants under a lock timeout.
DROP = (
    "from django.db import migrations\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    dependencies = [('shop', '0001_initial')]\n"
    "    operations = [migrations.RemoveField('order', 'legacy_code')]\n"
)
INITIAL = (
    "from django.db import migrations, models\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    initial = True\n"
    "    operations = [migrations.CreateModel('Order', [\n"
    "        ('id', models.AutoField(primary_key=True)),\n"
    "        ('legacy_code', models.CharField(max_length=10, null=True)),\n"
    "    ])]\n"
)


def _check(root: Path, *options: str) -> list[tuple[str, str]]:
    out = io.StringIO()
    cli.main(["check", "--format", "json", "--extend-select", "DJM905", *options, str(root)], stdout=out)
    return [(Path(f["path"]).name, f["code"]) for f in json.loads(out.getvalue())["findings"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project_root"
    write_tree(root, tree(
        app("shop", {"0001_initial": INITIAL, "0002_drop": DROP}),
        {"manage.py": MANAGE_PY, "project/__init__.py": "", "project/settings.py": SETTINGS_PY % ""},
    ))
    return root


def test_a_warm_run_sees_a_django_setting_a_rule_reads(project: Path, tmp_path: Path) -> None:
    """DJM905 reads the default database's OPTIONS: a lock timeout set there must end it on the next warm run."""
    cache = ("--djm-cache-dir", str(tmp_path / "cache"))
    assert ("0002_drop.py", "DJM905") in _check(project, *cache)
    assert _check(project, *cache) == _check(project, "--djm-no-cache")  # warm
    (project / "project" / "settings.py").write_text(SETTINGS_PY % LOCK_TIMEOUT_OPTIONS)
    uncached = _check(project, "--djm-no-cache")
    assert ("0002_drop.py", "DJM905") not in uncached
    assert _check(project, *cache) == uncached


def test_flake8_sees_a_django_setting_a_rule_reads(project: Path, tmp_path: Path) -> None:
    """The same through flake8, whose project findings come from the same disk cache."""
    def flake8() -> list[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "flake8", "--select=DJM905", f"--djm-cache-dir={tmp_path / 'cache'}", "."],
            cwd=project, capture_output=True, text=True, timeout=300,
        )
        return [line.split()[1] for line in completed.stdout.splitlines()]

    assert flake8() == ["DJM905"]
    (project / "project" / "settings.py").write_text(SETTINGS_PY % LOCK_TIMEOUT_OPTIONS)
    assert flake8() == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
        capture_output=True,
    )


def test_new_only_sees_a_migration_added_between_two_runs_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's flake8 or a test runs twice in one process: the second run must see what was added since."""
    root = write_tree(tmp_path / "repo", app("shop", {"0001_initial": migration()}))
    monkeypatch.chdir(root)  # where the revision is looked up
    (root / "manage.py").write_text("")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    options = ("--djm-base", "HEAD", "--djm-new-only", "--djm-no-cache")
    assert _check(root, *options) == []
    (root / "shop" / "migrations" / "0002_x.py").write_text(migration(("shop", "0009_gone")))
    assert _check(root, *options) == [("0002_x.py", "DJM302")]


def test_a_run_on_one_file_reads_the_project_findings_of_that_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project findings are stored by file: an editor's run unpickles its file's, not the project's."""
    from flake8_django_migrations.project.cache import FactsCache
    from flake8_django_migrations.run import ProjectRun
    from flake8_django_migrations.settings import build_settings

    root = write_tree(tmp_path / "repo", tree(
        app("shop", {"0001_initial": migration(("shop", "0009_gone"))}),
        app("blog", {"0001_initial": migration(("blog", "0009_gone"))}),
    ))
    options = build_settings(cache_dir=str(tmp_path / "cache"), settings_module="none")
    cold = ProjectRun(str(root), options).project_findings()
    assert {Path(finding.path).parts[-3] for finding in cold} == {"shop", "blog"}  # DJM302 in each app
    decoded: list[bytes] = []
    real = FactsCache.findings_of
    monkeypatch.setattr(
        FactsCache, "findings_of", staticmethod(lambda payload: decoded.append(payload) or real(payload))
    )
    shop = str(root / "shop" / "migrations" / "0001_initial.py")
    warm = ProjectRun(str(root), options).project_findings_in(shop)
    assert warm == tuple(finding for finding in cold if finding.path == shop) != ()
    assert len(decoded) == 1
    assert ProjectRun(str(root), options).project_findings() == cold  # all of them, in the same order

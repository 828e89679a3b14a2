"""``check`` extracts facts over several processes: the same findings as one process, the same private cache, and
a fallback to one process whenever a pool cannot help. The flake8 plugin never starts a pool."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations import run as run_module
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.project.cache import FactsCache

from flake8_django_migrations.settings import Settings

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (the benchmark's project generator)

# A few findings of each pass in a project that is otherwise healthy: per-file (DJM101), graph (DJM302).
NO_REVERSE = (
    "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\n"
    "class Migration(migrations.Migration):\n    dependencies = [('{app}', '0001_initial')]\n"
    "    operations = [migrations.RunPython(forwards)]\n"
)
MISSING_TARGET = (
    "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    "    dependencies = [('{app}', '0999_gone')]\n"
)
UNPARSABLE = "class Migration(:\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    generate.generate(root, apps=6, migrations=12, seed=3)
    folders = sorted(path for path in root.rglob("migrations") if path.is_dir())
    for number, folder in enumerate(folders):
        app = folder.parent.name
        (folder / "0900_no_reverse.py").write_text(NO_REVERSE.format(app=app))
        if number % 2:
            (folder / "0901_missing.py").write_text(MISSING_TARGET.format(app=app))
        if number == 3:
            (folder / "0902_broken.py").write_text(UNPARSABLE)
    return root


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pools for any number of files; for each pool of facts, the number of folders it left to the parent process,
    and -1 for each pool of project rules."""
    monkeypatch.setattr(cache_module, "PARALLEL_MIN_FILES", 0)
    undone: list[int] = []
    real = FactsCache._extract_in_pool

    def counting(self: FactsCache, groups: Any, jobs: int, context: Any, then: Any) -> Any:
        left = real(self, groups, jobs, context, then)
        undone.append(len(left))
        return left

    monkeypatch.setattr(FactsCache, "_extract_in_pool", counting)
    real_context = run_module.fork_context

    def counting_rules(work: int, jobs: int) -> Any:
        context = real_context(work, jobs)
        if context is not None:
            undone.append(-1)  # a pool for the project rules
        return context

    monkeypatch.setattr(run_module, "fork_context", counting_rules)
    return undone


def check(monkeypatch: pytest.MonkeyPatch, root: Path, cores: int, *options: str) -> tuple[int, str]:
    monkeypatch.setattr(cli, "available_cores", lambda: cores)
    out = io.StringIO()
    code = cli.main(["check", "--format", "json", "--select", "DJM", *options, str(root)], stdout=out)
    return code, out.getvalue()


@pytest.mark.skipif(sys.platform != "linux", reason="the pool forks, which is used on Linux only")
def test_parallel_and_serial_runs_report_the_same(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    serial = check(monkeypatch, project, 1, "--no-cache")
    assert pools == []
    parallel = check(monkeypatch, project, 2, "--no-cache")
    assert pools == [0, -1]  # every folder was extracted by a worker, and the project rules ran in two
    assert parallel == serial
    assert serial[0] == 1 and all(code in serial[1] for code in ('"DJM101"', '"DJM302"'))
    # Through the cache: a cold run whose workers write the shards, then a warm one that reads them.
    cache = ["--djm-cache-dir", str(tmp_path / "cache")]
    assert check(monkeypatch, project, 2, *cache) == serial
    assert check(monkeypatch, project, 2, *cache) == serial
    assert pools == [0, -1, 0, -1]  # the warm run found everything in the cache: no pool


@pytest.mark.skipif(sys.platform != "linux", reason="the pool forks, which is used on Linux only")
def test_the_shards_written_by_workers_are_private_and_serve_the_next_run(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    os.umask(0o022)
    directory = str(tmp_path / "cache")
    apps = [(tuple(sorted(str(p) for p in folder.glob("0*.py"))), folder.parent.name)
            for folder in sorted(project.rglob("migrations"))]
    cold = FactsCache(directory)
    cold.load_folders(apps, jobs=2)
    assert pools == [0]
    entries = [path for path in Path(cold.directory).rglob("*") if path.is_file()]
    assert len(entries) == len(apps) and not any(path.name.endswith(".tmp") for path in entries)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in entries)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o700 for path in Path(cold.directory).rglob("*") if path.is_dir())

    def no_extraction(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("extracted although cached")

    monkeypatch.setattr(cache_module, "extract_facts", no_extraction)
    warm = FactsCache(directory)
    warm.load_folders(apps, jobs=2)
    for paths, label in apps:
        assert warm.facts_for_files(paths, complete=True, app_label=label) == cold.facts_for_files(
            paths, complete=True, app_label=label)


def test_a_pool_that_cannot_start_leaves_the_work_to_one_process(
    project: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    serial = check(monkeypatch, project, 1, "--no-cache")

    class NoProcesses:
        def Pool(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802  (multiprocessing's name)
            raise OSError("no processes in this sandbox")

    monkeypatch.setattr(cache_module, "fork_context", lambda work, jobs: NoProcesses())
    monkeypatch.setattr(run_module, "fork_context", lambda work, jobs: (pools.append(-1), NoProcesses())[1])
    assert check(monkeypatch, project, 2, "--no-cache") == serial
    assert pools == [len(list(project.rglob("migrations"))), -1]


def test_small_projects_and_one_core_stay_in_one_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contexts: list[object] = []
    real = cache_module.fork_context

    def recording(work: int, jobs: int) -> Any:
        contexts.append(real(work, jobs))
        return contexts[-1]

    monkeypatch.setattr(cache_module, "fork_context", recording)
    monkeypatch.setattr(run_module, "fork_context", recording)
    check(monkeypatch, project, 1, "--no-cache")
    check(monkeypatch, project, 4, "--no-cache")  # fewer files than PARALLEL_MIN_FILES
    # Facts at one core, facts and rules at four (on one core the rules do not even ask for a pool).
    assert len(contexts) == 3 and contexts == [None] * 3


def test_the_flake8_plugin_never_starts_a_pool(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the plugin started a pool")

    monkeypatch.setattr(FactsCache, "load_folders", no_pool)
    monkeypatch.setattr(FactsCache, "_extract_in_pool", no_pool)
    monkeypatch.setattr(run_module, "fork_context", no_pool)
    monkeypatch.setattr(run_module, "_RUNS", Memo(4))
    path = next(project.rglob("0901_missing.py"))
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    found = ProjectRun.of_file(str(path), settings, 0).project_findings_in(str(path))
    assert [finding.code for finding in found] == ["DJM302"]

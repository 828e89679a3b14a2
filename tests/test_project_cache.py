"""The project findings on disk: served without rebuilding the index, never stale after an edit."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations import run as run_module
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.project.fingerprint import _sql_parser_stamp, project_fingerprint
from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.project import index as index_module
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations import registry
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.settings import Settings

HEADER = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
BROKEN = HEADER + '    dependencies = [("shop", "0009_gone")]\n'
FIXED = HEADER + '    dependencies = [("shop", "0001_initial")]\n'
INITIAL = HEADER + "    initial = True\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Settings]:
    root = tmp_path / "project"
    folder = root / "shop" / "migrations"
    folder.mkdir(parents=True)
    (root / "manage.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text(INITIAL)
    (folder / "0002_x.py").write_text(BROKEN)
    return root, Settings(cache_dir=str(tmp_path / "cache"))


def _new_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget what this process built, as a new flake8 run would, and count index builds from now on."""
    monkeypatch.setattr(run_module, "_RUNS", Memo(4))
    built: list[str] = []
    real_build = index_module.build_index

    def counting_build(discovery: Any, *rest: Any) -> index_module.ProjectIndex:
        built.append(discovery.root)
        return real_build(discovery, *rest)

    monkeypatch.setattr(index_module, "build_index", counting_build)
    return built


def _codes(root: Path, settings: Settings) -> list[str]:
    path = root / "shop" / "migrations" / "0002_x.py"
    return [finding.code for finding in _project_findings_for(str(path), settings)]


def test_a_second_run_reads_the_findings_without_building_the_index(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, settings = project
    built = _new_process(monkeypatch)
    assert _codes(root, settings) == ["DJM302"] and len(built) == 1
    built = _new_process(monkeypatch)
    assert _codes(root, settings) == ["DJM302"] and built == []


@pytest.mark.parametrize("keep_size_and_mtime", [False, True])
def test_an_edit_is_never_served_stale(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch, keep_size_and_mtime: bool
) -> None:
    root, settings = project
    _new_process(monkeypatch)
    assert _codes(root, settings) == ["DJM302"]
    path = root / "shop" / "migrations" / "0002_x.py"
    before = path.stat()
    # Same size: another missing target of the same length, whose message differs.
    fixed = BROKEN.replace("0009_gone", "0008_gone") if keep_size_and_mtime else FIXED
    path.write_text(fixed)
    if keep_size_and_mtime:
        assert path.stat().st_size == before.st_size
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    built = _new_process(monkeypatch)
    path_findings = _project_findings_for(str(path), settings)
    if keep_size_and_mtime:
        assert ["0008_gone" in finding.message for finding in path_findings] == [True]
    else:
        assert path_findings == []
    assert built, "the edit must rebuild the index"


def test_a_new_migration_or_max_migration_file_invalidates(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, settings = project
    _new_process(monkeypatch)
    _codes(root, settings)
    folder = root / "shop" / "migrations"
    (folder / "0009_gone.py").write_text(FIXED)
    built = _new_process(monkeypatch)
    assert _codes(root, settings) == [] and built
    (folder / "max_migration.txt").write_text("0001_initial\n")
    built = _new_process(monkeypatch)
    assert _codes(root, settings) == ["DJM307"] and built, "max_migration.txt decides DJM307"


def test_no_cache_means_no_disk(project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    root, settings = project
    uncached = Settings(cache_dir=settings.cache_dir, use_cache=False)
    _new_process(monkeypatch)
    assert _codes(root, uncached) == ["DJM302"]
    assert not Path(str(settings.cache_dir)).exists()


def _project_findings_for(path: str, settings: Settings) -> list[Finding]:
    return list(ProjectRun.of_file(path, settings, 0).project_findings_in(path))


# The command's per-file findings: stored under the stat of every input, so that a run where nothing changed
# reads them without loading any migration's facts.

NO_REVERSE = HEADER.replace("class Migration", "def forwards(apps, schema_editor):\n    pass\n\n\nclass Migration") + (
    '    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(forwards)]\n'
)
LIVE_MODEL = (
    "from django.db import migrations\n\nfrom shop.models import Thing\n\n\n"
    "def forwards(apps, schema_editor):\n    Thing()\n\n\n"
    "class Migration(migrations.Migration):\n"
    '    dependencies = [("shop", "0001_initial")]\n'
    "    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n"
)
A_MODEL = "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n"


def _check(root: Path, settings: Settings, *options: str) -> list[str]:
    """The command's findings as `path:code`, each run as a new process would start it."""
    out = io.StringIO()
    cli.main(["check", "--format", "json", "--djm-cache-dir", str(settings.cache_dir), *options, str(root)],
             stdout=out)
    return sorted(f"{Path(item['path']).name}:{item['code']}" for item in json.loads(out.getvalue())["findings"])


def _count_extractions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    extracted: list[str] = []
    real = cache_module.extract_facts

    def counting(tree: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        extracted.append(os.path.basename(path))
        return real(tree, path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "extract_facts", counting)
    return extracted


def test_a_second_command_run_reads_the_per_file_findings_without_any_facts(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, settings = project
    (root / "shop" / "migrations" / "0003_data.py").write_text(NO_REVERSE)
    extracted = _count_extractions(monkeypatch)
    first = _check(root, settings)
    assert first == ["0002_x.py:DJM302", "0003_data.py:DJM101"] and len(extracted) == 3
    loaded: list[object] = []
    monkeypatch.setattr(FactsCache, "load_folders", lambda *args: loaded.append(args))
    assert _check(root, settings) == first
    assert len(extracted) == 3 and loaded == [], "nothing changed: no facts are loaded"
    # The selection decides which rules run: a run that selects fewer codes is not served the others.
    assert _check(root, settings, "--select", "DJM302") == ["0002_x.py:DJM302"]


def test_an_edit_changes_the_per_file_findings_of_the_next_run(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, settings = project
    path = root / "shop" / "migrations" / "0003_data.py"
    path.write_text(NO_REVERSE)
    assert "0003_data.py:DJM101" in _check(root, settings)
    path.write_text(NO_REVERSE.replace("RunPython(forwards)", "RunPython(forwards, forwards)"))
    assert "0003_data.py:DJM101" not in _check(root, settings)


def test_a_migration_that_reads_a_models_module_is_checked_again_every_run(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flake8_django_migrations.facts import model_inference

    root, settings = project
    (root / "shop" / "__init__.py").write_text("")
    models = root / "shop" / "models.py"
    models.write_text(A_MODEL)
    (root / "shop" / "migrations" / "0003_live.py").write_text(LIVE_MODEL)
    assert "0003_live.py:DJM103" in _check(root, settings)
    extracted = _count_extractions(monkeypatch)
    models.write_text("def Thing():\n    return 1\n")  # no longer a model: nothing else changed
    model_inference.clear_cache()
    assert "0003_live.py:DJM103" not in _check(root, settings)
    assert extracted == ["0003_live.py"], "only the migration whose facts read another file"


def test_project_rules_whose_code_is_not_selected_are_not_run(
    project: tuple[Path, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, settings = project
    _new_process(monkeypatch)

    def never(*args: Any) -> Any:
        raise AssertionError("a rule that is not selected ran")

    never_run = {code: dataclasses.replace(rule, check=never) for code, rule in RULES.items() if code != "DJM302"}
    monkeypatch.setattr(registry, "RULES", {**RULES, **never_run})
    selected = dataclasses.replace(settings, enabled_codes=frozenset({"DJM302"}))
    path = root / "shop" / "migrations" / "0002_x.py"
    assert [f.code for f in _project_findings_for(str(path), selected)] == ["DJM302"]


def test_installing_the_sql_parser_changes_the_project_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Findings stored without PostgreSQL's parser read no RunSQL: once it is installed they must not be served."""
    import importlib.util

    from flake8_django_migrations.project.discover import discover
    from flake8_django_migrations.registry import PROJECT_RULES
    from flake8_django_migrations.settings import Settings

    (tmp_path / "manage.py").write_text("")
    settings = Settings(use_cache=False)
    discovery = discover(str(tmp_path), settings)
    with_parser = project_fingerprint(discovery, settings, [rule.code for rule in PROJECT_RULES])
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pglast" else real_find_spec(name, *a)
    )
    _sql_parser_stamp.cache_clear()  # taken once per process: this stands for the next process
    try:
        assert project_fingerprint(discovery, settings, [rule.code for rule in PROJECT_RULES]) != with_parser
    finally:
        _sql_parser_stamp.cache_clear()

"""The project findings on disk: served without rebuilding the index, never stale after an edit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project import findings_cache as findings
from flake8_django_migrations.project import index as index_module
from flake8_django_migrations.registry import PROJECT_RULES
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
    monkeypatch.setattr(findings, "_findings_cache", {})
    built: list[str] = []
    real_build = index_module.build_index

    def counting_build(root: str, *rest: Any) -> index_module.ProjectIndex:
        built.append(root)
        return real_build(root, *rest)

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
    return findings.project_findings_for(path, settings, PROJECT_RULES)

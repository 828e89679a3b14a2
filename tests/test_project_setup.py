"""The project's setup kept between processes (project/setup.py): served while nothing it was worked out from
changed, worked out again after any change that changes it.

Each mutation below changes what the Django settings say or what discovery finds; after it, a run with the kept setup
must give exactly what a run without any cache gives. The in-process memories of the settings reader are cleared
between runs, as a new process has none.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flake8_django_migrations import files
from flake8_django_migrations.project import django_settings
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.project.setup import setup_key, stored_setup
from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.settings import build_settings
from tests.graph_trees import app, migration, tree, write_tree

MANAGE_PY = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")\n'
SETTINGS_PY = 'INSTALLED_APPS = ["shop"%s]\nDATABASES = {"default": {"ENGINE": "django.db.backends.%s"}}\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Files made a moment ago are not kept (a change in the same tick of the clock would not show): here every
    # change below is made after a pause longer than that tick.
    monkeypatch.setattr(files, "_SETTLED_NS", 0)
    root = tmp_path / "project_root"
    write_tree(root, tree(
        app("shop", {"0001_initial": migration()}),
        app("blog", {"0001_initial": migration()}),
        {"manage.py": MANAGE_PY, "project/__init__.py": "", "project/settings.py": SETTINGS_PY % ("", "sqlite3"),
         "deploy/README": "how we deploy\n"},
    ))
    return root


def _setup(root: Path, cache_dir: Path | None) -> tuple[object, object]:
    """What a new process's run of ``root`` takes as its settings and discovery."""
    django_settings._READS.clear()  # the memory of this process: a new one starts without it
    options = build_settings(cache_dir=str(cache_dir) if cache_dir else None, use_cache=cache_dir is not None)
    run = ProjectRun(str(root), options, FactsCache(options.cache_dir, options.use_cache))
    read = run.settings
    return (read.django, read.database, dict(read.swappable), dict(read.migration_modules)), run.discovery


def _pause() -> None:
    time.sleep(0.05)  # beyond the file system clock's tick, so that the change shows in a stamp


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _write_all(root: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        _write(root / name, text)


def _create_a_settings_module_imported_if_it_exists(root: Path) -> None:
    _write(root / "project/settings.py",
           SETTINGS_PY % ("", "sqlite3") + "try:\n    from .local import *\nexcept ImportError:\n    pass\n")
    _pause()
    _setup(root, root.parent / "cache")  # kept while local.py is missing
    _pause()
    _write(root / "project/local.py", "INSTALLED_APPS = ['shop', 'blog']\n")


MUTATIONS: dict[str, Callable[[Path], object]] = {
    "a migration added": lambda root: _write(
        root / "shop/migrations/0002_more.py", migration(("shop", "0001_initial"))),
    "a migration removed": lambda root: (root / "blog/migrations/0001_initial.py").unlink(),
    "a migrations package unmade": lambda root: (root / "blog/migrations/__init__.py").unlink(),
    "an app added to the settings": lambda root: _write(
        root / "project/settings.py", SETTINGS_PY % (', "blog"', "sqlite3")),
    "the engine changed": lambda root: _write(root / "project/settings.py", SETTINGS_PY % ("", "postgresql")),
    "an app's label set": lambda root: _write(
        root / "shop/apps.py",
        "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n    label = 'store'\n",
    ),
    "manage.py names another module": lambda root: _write_all(root, {
        "project/production.py": SETTINGS_PY % (', "blog"', "postgresql"),
        "manage.py": MANAGE_PY.replace("project.settings", "project.production"),
    }),
    "a Dockerfile below the root names the production settings": lambda root: _write_all(root, {
        "project/production.py": SETTINGS_PY % (', "blog"', "postgresql"),
        "deploy/Dockerfile": "FROM python\nENV DJANGO_SETTINGS_MODULE=project.production\n",
    }),
    "a settings module imported only if it exists is created": _create_a_settings_module_imported_if_it_exists,
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_kept_setup_is_worked_out_again_after_a_change(project: Path, mutation: str) -> None:
    cache = project.parent / "cache"
    before = _setup(project, None)
    assert _setup(project, cache) == before
    _pause()
    MUTATIONS[mutation](project)
    _pause()
    after = _setup(project, None)
    assert after != before  # the mutation changes the setup (else the test shows nothing)
    assert _setup(project, cache) == after


def test_an_unchanged_project_is_served_its_kept_setup(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings read and no folder walked: what makes an editor's run on one file cheap."""
    cache = project.parent / "cache"
    first = _setup(project, cache)
    import flake8_django_migrations.project.django_settings as reader
    import flake8_django_migrations.run as run

    def walked(*args: object) -> None:
        raise AssertionError("worked out again")

    monkeypatch.setattr(run, "discover", walked)
    monkeypatch.setattr(reader, "read_django_settings", walked)
    assert _setup(project, cache) == first


def test_a_setup_worked_out_from_files_changed_a_moment_ago_is_not_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timestamps come from a coarse clock: a change within the same tick as the run would not show in them."""
    monkeypatch.setattr(files, "_SETTLED_NS", 3600 * 10**9)  # everything here is "a moment ago"
    cache = project.parent / "cache"
    options = build_settings(cache_dir=str(cache))
    key = setup_key(str(project), options)
    _setup(project, cache)
    assert stored_setup(FactsCache(str(cache)), key) is None
    monkeypatch.setattr(files, "_SETTLED_NS", 0)
    _setup(project, cache)
    assert stored_setup(FactsCache(str(cache)), key) is not None


def test_an_editor_process_sees_a_new_file_naming_the_settings(project: Path) -> None:
    """The reader's memory in a long-lived process watches the folders it searched, not only the files it found:
    a Dockerfile added below the root changes the settings module."""
    first = django_settings.settings_for_project(build_settings(use_cache=False), str(project))
    assert first.django is not None and first.django.module == "project.settings"
    _pause()
    _write(project / "project/production.py", SETTINGS_PY % ("", "postgresql"))
    _write(project / "deploy/Dockerfile", "FROM python\nENV DJANGO_SETTINGS_MODULE=project.production\n")
    _pause()
    again = django_settings.settings_for_project(build_settings(use_cache=False), str(project))
    assert again.django is not None and again.django.module == "project.production"


@pytest.mark.parametrize("stamps", [(), ((1, None),), (("a", None, "extra"),), ((b"/bytes", None),), 7])
def test_stamps_of_another_shape_are_never_unchanged_nor_an_error(stamps: object, tmp_path: Path) -> None:
    """What a kept entry holds is read defensively: a file descriptor number is never stat'ed for a path."""
    expected = stamps == ()  # nothing watched: nothing changed
    assert files.stamps_unchanged(stamps) is expected  # type: ignore[arg-type]

"""The facts cache of a project keeps one entry per migration file: editing a migration again and again replaces its
entry rather than piling up old versions on disk."""

from __future__ import annotations

from pathlib import Path

from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.settings import Settings
from tests.graph_trees import app, migration, tree, write_tree


def size_on_disk(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_editing_a_migration_replaces_its_cache_entry(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", tree(app("shop", {
        "0001_initial": migration(),
        "0002_x": migration(("shop", "0001_initial")),
    })))
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    edited = root / "shop" / "migrations" / "0002_x.py"
    assert len(ProjectRun(str(root), settings).index().migrations) == 2
    first = size_on_disk(tmp_path / "cache")
    assert first > 0
    for edit in range(6):
        edited.write_text(edited.read_text(encoding="utf-8") + f"# edit {edit}\n", encoding="utf-8")
        assert len(ProjectRun(str(root), settings).index().migrations) == 2
    assert size_on_disk(tmp_path / "cache") < 1.5 * first

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


def test_editing_a_migration_replaces_the_project_findings_entry(tmp_path: Path) -> None:
    """An editor runs the project pass after every edit: its findings replace those of the text before, in one
    entry per project and settings, instead of piling up one per version of the project."""
    root = write_tree(tmp_path / "project", tree(app("shop", {
        "0001_initial": migration(),
        "0002_x": migration(("shop", "0009_gone")),
    })))
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    edited = root / "shop" / "migrations" / "0002_x.py"
    assert ProjectRun(str(root), settings).project_findings() != ()
    first = size_on_disk(tmp_path / "cache")
    for edit in range(6):
        edited.write_text(edited.read_text(encoding="utf-8") + f"# edit {edit}\n", encoding="utf-8")
        run = ProjectRun(str(root), settings)
        assert [finding.code for finding in run.project_findings()] == ["DJM302"]
        assert ProjectRun(str(root), settings).project_findings() == run.project_findings()  # served: same text
    assert size_on_disk(tmp_path / "cache") < 1.5 * first


def test_checking_again_after_each_edit_keeps_one_entry_of_per_file_findings(tmp_path: Path) -> None:
    """The command's per-file findings of the whole project are replaced too, not joined by one per version."""
    import io

    from flake8_django_migrations import cli

    root = write_tree(tmp_path / "project", tree(app("shop", {
        "0001_initial": migration(),
        "0002_x": migration(("shop", "0009_gone")),
    })))
    cache = tmp_path / "cache"

    def check() -> str:
        out = io.StringIO()
        cli.main(["check", "--djm-cache-dir", str(cache), str(root)], stdout=out)
        return out.getvalue()

    def entries() -> int:
        # Not the project's setup ("setup-...", kept once its files are two seconds old, which a slow machine reaches).
        return sum(1 for path in cache.rglob("*") if path.is_file() and path.parent.name != "se")

    check()
    first = entries()
    edited = root / "shop" / "migrations" / "0002_x.py"
    for edit in range(6):
        edited.write_text(edited.read_text(encoding="utf-8") + f"# edit {edit}\n", encoding="utf-8")
        assert "DJM302" in check()
    assert entries() == first

"""django-linear-migrations' ``max_migration.txt`` holds one migration name: a file far larger than that is not that
file, and is not read (as a FIFO or a device in its place would not be)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.registry import PROJECT_RULES, RULES
from flake8_django_migrations.settings import Settings
from tests.graph_trees import app, migration, tree, write_tree

SETTINGS = Settings(use_cache=False)
STALE = "0001_initial\n"


@pytest.mark.parametrize(("content", "reported"), [
    pytest.param(STALE, True, id="one stale name"),
    pytest.param(STALE + " " * 60_000, True, id="a stale name and blank space, within 64 KiB"),
    pytest.param(STALE + " " * 70_000, False, id="over 64 KiB"),
])
def test_max_migration_txt_is_read_up_to_64_kib(tmp_path: Path, content: str, reported: bool) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_initial": migration(),
        "0002_x": migration(("shop", "0001_initial")),
    }), {"shop/migrations/max_migration.txt": content}))
    found = run_rules(ProjectRun(str(root), SETTINGS).index(), PROJECT_RULES, ProjectRun(str(root), SETTINGS).settings)
    leaf = str(root / "shop" / "migrations" / "0002_x.py")
    stale = RULES["DJM307"].finding(leaf, 5, 0, recorded="0001_initial", leaf="0002_x", app="shop")
    assert found == ((stale,) if reported else ())

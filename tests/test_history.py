"""Reading the migrations of a git revision: what is edited, gone or renamed since, with a real git repository."""

from __future__ import annotations

import ast
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.project.discover import discover
from flake8_django_migrations.project.history import HistoryError, migration_fingerprint, read_base_revision
from flake8_django_migrations.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

INITIAL = '''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel("Order", fields=[("id", models.AutoField(primary_key=True))]),
    ]
'''
REGION = '''\
from django.db import migrations, models


def fill(apps, schema_editor):
    apps.get_model("orders", "Order").objects.update(region="eu")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField("order", "region", models.CharField(max_length=10, null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
'''


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


def repository(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    (root / "orders" / "migrations").mkdir(parents=True)
    (root / "manage.py").write_text("")
    (root / "orders" / "__init__.py").write_text("")
    (root / "orders" / "migrations" / "__init__.py").write_text("")
    for name, text in files.items():
        (root / "orders" / "migrations" / f"{name}.py").write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def base_of(root: Path, ref: str = "main"):  # type: ignore[no-untyped-def]
    discovery = discover(str(root), Settings())
    head = {
        ("orders", Path(path).stem): path
        for app in discovery.apps.values() for path in app.files
    }
    return read_base_revision(ref, discovery, head)


def test_an_untouched_tree_has_nothing_edited_or_gone(tmp_path: Path) -> None:
    root = repository(tmp_path, {"0001_initial": INITIAL, "0002_region": REGION})
    base = base_of(root)
    assert sorted(base.migrations) == [("orders", "0001_initial"), ("orders", "0002_region")]
    assert all(was.same_bytes for was in base.migrations.values())
    assert (base.edited, base.gone, dict(base.new_fingerprints)) == (frozenset(), frozenset(), {})
    assert base.commit == git(root, "rev-parse", "HEAD").strip()


def test_formatting_and_comments_are_not_edits_but_code_is(tmp_path: Path) -> None:
    root = repository(tmp_path, {"0001_initial": INITIAL, "0002_region": REGION})
    path = root / "orders" / "migrations" / "0002_region.py"
    path.write_text("# reformatted\n" + REGION.replace("max_length=10, null=True", "max_length=10,  null=True"))
    base = base_of(root)
    assert not base.migrations[("orders", "0002_region")].same_bytes
    assert base.edited == frozenset()
    path.write_text(REGION.replace('region="eu"', 'region="us"'))
    assert base_of(root).edited == {("orders", "0002_region")}


def test_a_new_dependency_alone_is_not_an_edit(tmp_path: Path) -> None:
    """Dependencies are DJM501's to compare, entry by entry."""
    root = repository(tmp_path, {"0001_initial": INITIAL, "0002_region": REGION})
    path = root / "orders" / "migrations" / "0002_region.py"
    path.write_text(REGION.replace('[("orders", "0001_initial")]', '[("orders", "0001_initial"), ("b", "0001")]'))
    base = base_of(root)
    assert base.edited == frozenset()
    assert base.migrations[("orders", "0002_region")].facts is not None


def test_a_deleted_and_a_renamed_migration_are_gone(tmp_path: Path) -> None:
    root = repository(tmp_path, {"0001_initial": INITIAL, "0002_region": REGION})
    folder = root / "orders" / "migrations"
    (folder / "0002_region.py").rename(folder / "0002_order_region.py")
    base = base_of(root)
    assert base.gone == {("orders", "0002_region")}
    assert base.new_fingerprints == {
        ("orders", "0002_order_region"): base.migrations[("orders", "0002_region")].fingerprint
    }


def test_an_unknown_revision_and_a_folder_outside_git_are_errors(tmp_path: Path) -> None:
    root = repository(tmp_path, {"0001_initial": INITIAL})
    with pytest.raises(HistoryError, match="does not know the revision 'nope'"):
        base_of(root, "nope")
    with pytest.raises(HistoryError, match="does not know the revision '--output=x'"):
        base_of(root, "--output=x")
    outside = tmp_path / "plain"
    shutil.copytree(root, outside, ignore=shutil.ignore_patterns(".git"))
    with pytest.raises(HistoryError, match="not a git repository"):
        base_of(outside)


def test_a_base_file_that_does_not_parse_is_read_as_unknown(tmp_path: Path) -> None:
    root = repository(tmp_path, {"0001_initial": INITIAL, "0002_region": "class Migration(:\n"})
    (root / "orders" / "migrations" / "0002_region.py").write_text(REGION)
    base = base_of(root)
    assert base.migrations[("orders", "0002_region")].facts is None
    assert base.edited == frozenset()  # nothing to compare with: no claim


def test_the_fingerprint_ignores_dependencies_and_positions() -> None:
    moved = "\n\n" + REGION.replace('[("orders", "0001_initial")]', "[]")
    assert migration_fingerprint(ast.parse(REGION)) == migration_fingerprint(ast.parse(moved))
    atomic = REGION.replace("class Migration(migrations.Migration):\n", "class Migration(migrations.Migration):\n"
                            "    atomic = False\n")
    assert migration_fingerprint(ast.parse(REGION)) != migration_fingerprint(ast.parse(textwrap.dedent(atomic)))

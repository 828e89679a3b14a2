"""DJM501-503, ``--djm-new-only`` and baselines, end to end in a real git repository; DJM501's claim is checked
against Django: a database migrated at the base revision refuses the head with ``InconsistentMigrationHistory``
exactly where DJM501 fires, and the corrected head migrates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from tests.django_runner import DjangoProject
from tests.graph_trees import app, migration, tree, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

CREATE = '''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = {dependencies}

    operations = [migrations.CreateModel("{model}", fields=[("id", models.AutoField(primary_key=True))])]
'''


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def base_tree(folder: Path) -> Path:
    return write_tree(folder, tree(
        app("orders", {
            "0001_initial": CREATE.format(dependencies="[]", model="Order"),
            "0002_order_note": migration(("orders", "0001_initial")),
        }),
        app("catalog", {"0001_initial": CREATE.format(dependencies="[]", model="Product")}),
    ))


def check(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
          ) -> tuple[int, list[tuple[str, int, str, str]]]:
    monkeypatch.chdir(root)
    code = cli.main(["check", "--format", "json", "--djm-no-cache", "--djm-settings", "none", *args, "."])
    out = capsys.readouterr().out
    found = json.loads(out)["findings"] if out.strip().startswith("{") else []
    return code, [(f["path"], f["line"], f["code"], f["message"]) for f in found]


def repository(tmp_path: Path) -> Path:
    root = base_tree(tmp_path / "project")
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    return root


def test_djm501_fires_where_django_refuses_to_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    django = DjangoProject(base_tree(tmp_path / "tree"), tmp_path / "work")
    root = django.root
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    assert django.manage("migrate", "--noinput").returncode == 0  # the deployed database

    catalog = root / "catalog" / "migrations"
    (catalog / "0002_price.py").write_text(migration(("catalog", "0001_initial")))
    applied = root / "orders" / "migrations" / "0002_order_note.py"
    applied.write_text(migration(("orders", "0001_initial"), ("catalog", "0002_price")))
    code, found = check(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM5")
    line = next(n for n, text in enumerate(applied.read_text().splitlines(), 1) if "'catalog', '0002_price'" in text)
    assert (code, [(path, at, c) for path, at, c, _ in found]) == (
        1, [("orders/migrations/0002_order_note.py", line, "DJM501")]
    )
    assert "`orders.0002_order_note`, applied as of `main" in found[0][3]
    refused = django.manage("migrate", "--noinput")
    assert refused.returncode != 0 and "InconsistentMigrationHistory" in refused.stderr
    assert "orders.0002_order_note is applied before its dependency catalog.0002_price" in refused.stderr

    git(root, "checkout", "-q", "--", "orders/migrations/0002_order_note.py")  # the fix: a new migration instead
    (root / "orders" / "migrations" / "0003_after_price.py").write_text(
        migration(("orders", "0002_order_note"), ("catalog", "0002_price"))
    )
    assert check(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM5") == (0, [])
    assert django.manage("migrate", "--noinput").returncode == 0


def test_run_before_on_an_applied_migration_is_djm501(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path)
    (root / "catalog" / "migrations" / "0002_price.py").write_text(
        migration(("catalog", "0001_initial"), run_before=[("orders", "0002_order_note")])
    )
    code, found = check(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM5")
    assert [(path, c) for path, _, c, _ in found] == [("catalog/migrations/0002_price.py", "DJM501")]
    assert "`orders.0002_order_note`, applied as of `main" in found[0][3] and "`catalog.0002_price`" in found[0][3]


def test_an_edited_and_a_renamed_applied_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path)
    orders = root / "orders" / "migrations"
    with_note = 'primary_key=True)), ("note", models.TextField())]'
    (orders / "0001_initial.py").write_text(
        CREATE.format(dependencies="[]", model="Order").replace('primary_key=True))]', with_note)
    )
    (root / "catalog" / "migrations" / "0001_initial.py").rename(root / "catalog" / "migrations" / "0001_first.py")
    code, found = check(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM5")
    assert [(path, c) for path, _, c, _ in found] == [
        ("catalog/migrations/0001_first.py", "DJM503"), ("orders/migrations/0001_initial.py", "DJM502"),
    ]
    assert "`catalog.0001_initial`, applied as of `main" in found[0][3] and "renamed to `0001_first`" in found[0][3]


def test_a_squash_that_replaces_deleted_migrations_is_the_legitimate_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path)
    orders = root / "orders" / "migrations"
    replaces = '    replaces = [("orders", "0001_initial"), ("orders", "0002_order_note")]\n'
    squash = CREATE.format(dependencies="[]", model="Order")
    squash = squash.replace("    initial = True\n", "    initial = True\n" + replaces)
    (orders / "0001_squashed_0002.py").write_text(squash)
    (orders / "0001_initial.py").unlink()
    (orders / "0002_order_note.py").unlink()
    assert check(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM5") == (0, [])


def test_new_only_reports_what_changed_since_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path)
    (root / "orders" / "migrations" / "0002_b.py").write_text(migration(("orders", "0001_initial")))
    code, everything = check(root, monkeypatch, capsys, "--djm-base", "main")
    assert {path for path, _, c, _ in everything if c == "DJM304"} == {
        "orders/migrations/0002_b.py", "orders/migrations/0002_order_note.py",
    }
    code, new = check(root, monkeypatch, capsys, "--djm-base", "main", "--djm-new-only")
    # The other leaf's DJM304 names the new migration: it is about the change, and kept.
    assert code == 1 and {path for path, _, c, _ in new if c == "DJM304"} == {
        "orders/migrations/0002_b.py", "orders/migrations/0002_order_note.py",
    }
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM", "--djm-settings", "none", "--djm-no-cache",
         "--djm-base", "main", "--djm-new-only", "."], cwd=root, capture_output=True, text=True,
    )
    assert sorted({line.split(":")[0] for line in flake8.stdout.splitlines()}) == [
        "./orders/migrations/0002_b.py", "./orders/migrations/0002_order_note.py",
    ], flake8.stdout + flake8.stderr
    commit_all(root, "second leaf")
    assert check(root, monkeypatch, capsys, "--djm-base", "HEAD", "--djm-new-only") == (0, [])
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM", "--djm-settings", "none", "--djm-no-cache",
         "--djm-base", "HEAD", "--djm-new-only", "."], cwd=root, capture_output=True, text=True,
    )
    assert (flake8.returncode, flake8.stdout) == (0, ""), flake8.stderr


def test_a_baseline_hides_old_findings_and_shows_new_ones_in_both_front_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path)
    (root / "orders" / "migrations" / "0002_b.py").write_text(migration(("orders", "0001_initial")))
    monkeypatch.chdir(root)
    assert cli.main(["check", "--djm-settings", "none", "--write-baseline", "baseline.json", "."]) == 0
    capsys.readouterr()
    assert check(root, monkeypatch, capsys, "--djm-baseline", "baseline.json") == (0, [])
    (root / "catalog" / "migrations" / "0002_x.py").write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("catalog", "__latest__")]\n'
    )
    code, found = check(root, monkeypatch, capsys, "--djm-baseline", "baseline.json")
    assert code == 1 and {path for path, _, _, _ in found} == {"catalog/migrations/0002_x.py"}
    assert "DJM301" in {c for _, _, c, _ in found}
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM3", "--djm-settings", "none", "--djm-no-cache",
         "--djm-baseline", "baseline.json", "."], cwd=root, capture_output=True, text=True,
    )
    assert flake8.stdout.splitlines() == [
        line for line in flake8.stdout.splitlines() if line.startswith("./catalog/migrations/0002_x.py:")
    ] and "DJM301" in flake8.stdout and "DJM304" not in flake8.stdout, flake8.stdout + flake8.stderr


@pytest.mark.parametrize("front_end", ["check", "flake8"])
def test_a_revision_git_does_not_know_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], front_end: str
) -> None:
    root = repository(tmp_path)
    monkeypatch.chdir(root)
    if front_end == "check":
        assert cli.main(["check", "--djm-base", "no-such-ref", "."]) == 2
        assert "git does not know the revision 'no-such-ref'" in capsys.readouterr().err
    else:
        result = subprocess.run([sys.executable, "-m", "flake8", "--djm-base", "no-such-ref", "."], cwd=root,
                                capture_output=True, text=True)
        assert result.returncode == 2 and "git does not know the revision 'no-such-ref'" in result.stderr


def test_new_only_without_a_base_and_a_base_outside_git_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = base_tree(tmp_path / "plain")
    monkeypatch.chdir(root)
    assert cli.main(["check", "--djm-new-only", "."]) == 2
    assert "djm-new-only needs djm-base" in capsys.readouterr().err
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert cli.main(["check", "--djm-base", "main", "."]) == 2
    assert "not a git repository" in capsys.readouterr().err

"""Pull-request mode (``--djm-base`` with ``--djm-new-only``) end to end in real git repositories: a deleted or
renamed applied migration is reported, the base is the revision of the repository holding the project, and git runs
none of the repository's programs (``core.fsmonitor``, clean filters) while the command compares."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.run import ProjectRun, resolve_options
from flake8_django_migrations.settings import Settings
from tests.graph_trees import app, migration, tree, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

Found = list[tuple[str, int, str, str]]
COMMIT = re.compile(r" \([0-9a-f]{10}\)`")

ORDER = '''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [migrations.CreateModel("Order", fields=[("id", models.AutoField(primary_key=True))])]
'''
# An old finding: a RunPython without a reverse (DJM101), already at the base. Pull-request mode never reports it.
OLD_FINDING = '''\
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(forwards)]
'''
OLD = ("catalog/migrations/0001_initial.py", "DJM101")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


def repository(folder: Path, orders: dict[str, str]) -> Path:
    """A project with the app ``orders`` (``orders``: its migrations) and ``catalog`` (the old DJM101), committed
    on ``main``."""
    root = write_tree(folder, tree(app("orders", orders), app("catalog", {"0001_initial": OLD_FINDING})))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def check(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, Found]:
    monkeypatch.chdir(cwd)
    code = cli.main(["check", "--format", "json", "--djm-no-cache", "--djm-settings", "none", *args])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    findings = json.loads(captured.out)["findings"]
    # The base is shown with the commit it resolved to: `main (0123456789)`.
    return code, sorted((f["path"], f["line"], f["code"], COMMIT.sub(" (<commit>)`", f["message"])) for f in findings)


def codes(found: Found) -> list[tuple[str, str]]:
    return [(path, code) for path, _, code, _ in found]


def both_runs(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
              ) -> tuple[Found, tuple[int, Found]]:
    """Every finding against ``main``, and what pull-request mode reports (its exit status and findings)."""
    _, everything = check(root, monkeypatch, capsys, "--djm-base", "main", ".")
    return everything, check(root, monkeypatch, capsys, "--djm-base", "main", "--djm-new-only", ".")


def test_git_rm_of_the_last_migration_is_reported_in_pull_request_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {
        "0001_initial": ORDER, "0002_order_note": migration(("orders", "0001_initial")),
    })
    git(root, "rm", "-q", "orders/migrations/0002_order_note.py")
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    assert OLD in codes(everything)
    removed = ("orders/migrations/0001_initial.py", "DJM503")
    assert (code, codes(new)) == (1, [removed])
    assert new[0][3].startswith(
        "`orders.0002_order_note`, applied as of `main (<commit>)`, was deleted and no migration's `replaces`"
    )
    # flake8 reports the same through the plugin.
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "DJM", "--djm-settings", "none", "--djm-no-cache",
         "--djm-base", "main", "--djm-new-only", "."], cwd=root, capture_output=True, text=True,
    )
    assert [line.split(": ")[1].split()[0] for line in flake8.stdout.splitlines()] == ["DJM503"], flake8.stderr
    assert flake8.stdout.startswith("./orders/migrations/0001_initial.py:"), flake8.stdout


def test_git_rm_of_a_middle_migration_keeps_the_broken_dependency_and_djm503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {
        "0001_initial": ORDER,
        "0002_order_note": migration(("orders", "0001_initial")),
        "0003_order_total": migration(("orders", "0002_order_note")),
    })
    git(root, "rm", "-q", "orders/migrations/0002_order_note.py")
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    assert OLD in codes(everything)
    # Neither file changed: both findings are kept because they name the deleted migration.
    dependant = "orders/migrations/0003_order_total.py"
    assert (code, codes(new)) == (1, [(dependant, "DJM503"), (dependant, "DJM302")])  # on the class, its dependency
    assert new[0][3].startswith("`orders.0002_order_note`, applied as of `main (<commit>)`, was deleted and")
    assert new[1][3] == (
        "`dependencies` names `orders.0002_order_note`, which is not a migration of the local app `orders`"
    )


def test_git_mv_of_an_applied_migration_is_reported_in_pull_request_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0002_mid orders itself before 0003_later with `run_before`: renaming it touches no other file, and the
    # rename's finding is reported on the app's newest migration, which did not change.
    root = repository(tmp_path / "project", {
        "0001_initial": ORDER,
        "0002_mid": migration(("orders", "0001_initial"), run_before=[("orders", "0003_later")]),
        "0003_later": migration(("orders", "0001_initial")),
    })
    git(root, "mv", "orders/migrations/0002_mid.py", "orders/migrations/0002_middle.py")
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    assert OLD in codes(everything)
    renamed = ("orders/migrations/0003_later.py", "DJM503")
    assert code == 1 and renamed in codes(new) and OLD not in codes(new)
    message = next(message for path, _, c, message in new if (path, c) == renamed)
    assert message.startswith("`orders.0002_mid`, applied as of `main (<commit>)`, was renamed to `0002_middle`")


def test_an_old_project_finding_of_another_app_stays_out_when_a_migration_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {
        "0001_initial": ORDER, "0002_order_note": migration(("orders", "0001_initial")),
    })
    catalog = root / "catalog" / "migrations"
    for leaf in ("0002_a", "0002_b"):  # two leaves at the base: an old DJM304 on each, naming catalog's migrations
        (catalog / f"{leaf}.py").write_text(migration(("catalog", "0001_initial")))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two leaves")
    git(root, "rm", "-q", "orders/migrations/0002_order_note.py")
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    assert {c for _, c in codes(everything)} == {"DJM101", "DJM304", "DJM503"}
    assert (code, codes(new)) == (1, [("orders/migrations/0001_initial.py", "DJM503")])


# Every migration of an app deleted --------------------------------------------------------------------------------


def test_every_migration_of_an_app_deleted_is_reported_on_its_migrations_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {
        "0001_initial": ORDER, "0002_order_note": migration(("orders", "0001_initial")),
    })
    git(root, "rm", "-q", "orders/migrations/0001_initial.py", "orders/migrations/0002_order_note.py")
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    package = "orders/migrations/__init__.py"
    assert [(path, line, c) for path, line, c, _ in everything if c == "DJM503"] == [
        (package, 1, "DJM503"), (package, 1, "DJM503"),
    ]
    assert (code, codes(new)) == (1, [(package, "DJM503"), (package, "DJM503")])
    assert [message.split(" and no migration")[0] for _, _, _, message in new] == [
        "`orders.0001_initial`, applied as of `main (<commit>)`, was deleted (`orders` has no migration left)",
        "`orders.0002_order_note`, applied as of `main (<commit>)`, was deleted (`orders` has no migration left)",
    ]


@pytest.mark.parametrize(("removed", "reported_on"), [
    ("orders/migrations", "orders/__init__.py"),  # the app stays, its migrations package is gone
    ("orders", "manage.py"),  # the whole app is gone: the nearest file left is the project's
])
def test_a_deleted_migrations_folder_is_reported_on_the_nearest_remaining_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], removed: str,
    reported_on: str,
) -> None:
    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    git(root, "rm", "-q", "-r", removed)
    assert not (root / "orders" / "migrations").exists()
    everything, (code, new) = both_runs(root, monkeypatch, capsys)
    assert [(path, line, c) for path, line, c, _ in everything if c == "DJM503"] == [(reported_on, 1, "DJM503")]
    assert (code, codes(new)) == (1, [(reported_on, "DJM503")])
    assert new[0][3].startswith(
        "`orders.0001_initial`, applied as of `main (<commit>)`, was deleted with its folder `orders/migrations`"
    )


# The repository of the checked project --------------------------------------------------------------------------


def test_the_base_is_resolved_in_the_repository_of_the_checked_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    (root / "orders" / "migrations" / "0001_initial.py").write_text(ORDER.replace("Order", "Purchase"))
    elsewhere = tmp_path / "elsewhere"  # another repository, whose HEAD the project's git does not know
    elsewhere.mkdir()
    git(elsewhere, "init", "-q", "-b", "main")
    git(elsewhere, "commit", "-q", "--allow-empty", "-m", "other")
    code, found = check(elsewhere, monkeypatch, capsys, "--djm-base", "HEAD", "--select", "DJM5", str(root))
    edited = str(root / "orders" / "migrations" / "0001_initial.py")
    assert (code, codes(found)) == (1, [(edited, "DJM502")])
    assert found[0][3].startswith("`orders.0001_initial`, applied as of `HEAD (<commit>)`, has changed since")


def test_resolve_options_asks_the_repository_of_the_checked_path_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    head = git(root, "rev-parse", "HEAD").strip()
    settings = resolve_options(Settings(base="HEAD"), [str(root / "orders" / "migrations" / "0001_initial.py")])
    assert settings.base_commit == head
    # A run of the project resolves the base in its own repository, whatever the options were resolved against.
    assert ProjectRun(str(root), Settings(base="HEAD", base_commit="0" * 40)).settings.base_commit == head


def test_check_from_a_folder_outside_any_repository_resolves_the_base_in_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    (root / "orders" / "migrations" / "0001_initial.py").write_text(ORDER.replace("Order", "Purchase"))
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, found = check(outside, monkeypatch, capsys, "--djm-base", "HEAD", "--select", "DJM5", str(root))
    assert (code, codes(found)) == (1, [(str(root / "orders" / "migrations" / "0001_initial.py"), "DJM502")])


def flake8_djm503(root: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "DJM503", "--djm-no-cache", "--djm-settings",
         "none", "--djm-base", "main", "."], cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    return sorted(line.split(": DJM503")[0] for line in result.stdout.splitlines())


@pytest.mark.parametrize(("removed", "reported_on"), [
    (("orders/migrations/0001_initial.py",), "./orders/migrations/__init__.py:1:1"),
    (("-r", "orders/migrations"), "./orders/__init__.py:1:1"),
])
def test_flake8_reports_an_emptied_app_where_the_command_does(
    tmp_path: Path, removed: tuple[str, ...], reported_on: str
) -> None:
    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    git(root, "rm", "-q", *removed)
    assert flake8_djm503(root) == [reported_on]


# git runs none of the repository's programs ---------------------------------------------------------------------


def test_pull_request_mode_runs_neither_fsmonitor_nor_a_clean_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # catalog's migration is checked out with CRLF line ends (core.autocrlf): unchanged, its old finding stays out.
    root = write_tree(tmp_path / "project", tree(
        app("orders", {"0001_initial": ORDER}), app("catalog", {"0001_initial": OLD_FINDING.replace("\n", "\r\n")}),
        {".gitattributes": "*.py filter=x\n"},  # a filter no one defines yet: git adds the files as they are
    ))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "core.autocrlf", "true")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "orders" / "migrations" / "0002_order_note.py").write_text(migration(("orders", "0001_initial")))
    (root / "orders" / "migrations" / "0003_b.py").write_text(migration(("orders", "0001_initial")))
    fsmonitor_ran, filter_ran = tmp_path / "fsmonitor-ran", tmp_path / "filter-ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch '{fsmonitor_ran}'\nexit 1\n")
    hook.chmod(0o755)
    git(root, "config", "core.fsmonitor", str(hook))
    git(root, "config", "filter.x.clean", f"touch '{filter_ran}'; cat")
    code, found = check(root, monkeypatch, capsys, "--djm-base", "HEAD", "--djm-new-only", ".")
    assert not fsmonitor_ran.exists() and not filter_ran.exists()
    # Both new leaves are reported (DJM304), nothing about the unchanged catalog.
    assert code == 1 and {path for path, _ in codes(found)} == {
        "orders/migrations/0002_order_note.py", "orders/migrations/0003_b.py",
    }
    # The same git command the old comparison ran does run them: the repository is set up as claimed.
    subprocess.run(["git", "diff", "--name-only", "HEAD", "--"], cwd=root, capture_output=True, check=True)
    assert fsmonitor_ran.exists() and filter_ran.exists()
    os.remove(fsmonitor_ran)


def test_a_project_run_asks_git_again_only_outside_the_repository_the_base_was_resolved_in(tmp_path: Path) -> None:
    from flake8_django_migrations.project.history import in_repository

    root = repository(tmp_path / "project", {"0001_initial": ORDER})
    head = git(root, "rev-parse", "HEAD").strip()
    settings = resolve_options(Settings(base="HEAD"), [str(root)])
    assert (settings.base_commit, settings.base_repository) == (head, os.path.realpath(root))
    # Inside that repository the resolved commit is kept (no second git process); a nested repository is another.
    assert in_repository(str(root / "orders"), str(root))
    nested = root / "vendor" / "lib"
    git_dir = nested / ".git"
    git_dir.mkdir(parents=True)
    assert not in_repository(str(nested), str(root))
    assert not in_repository(str(tmp_path), str(root))
    kept = ProjectRun(str(root), Settings(base="HEAD", base_commit="0" * 40, base_repository=str(root)))
    assert kept.settings.base_commit == "0" * 40  # taken as resolved: git is not asked again

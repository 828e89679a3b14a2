"""A run that checked nothing, or less than the user thinks, says so (issue 21: never silently clean).

Each case is a configuration seen on a real project that made ``check`` print nothing and exit 0."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.plugin import MigrationChecker
from flake8_django_migrations.registry import OFF_BY_DEFAULT
from tests.flake8_runner import parse_output, run_flake8
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

SHOP = tree(app("shop", {"0001_initial": migration(initial=True), "0002_data": RUN_PYTHON}))


def _check(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    out = io.StringIO()
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors)
    status = main(["check", "--no-cache", *args], stdout=out)
    return status, out.getvalue(), errors.getvalue()


def test_a_flake8_exclude_that_leaves_out_every_migration_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, SHOP)
    (tmp_path / "setup.cfg").write_text("[flake8]\nexclude = .git,*migrations*\n", encoding="utf-8")
    status, out, errors = _check(tmp_path, monkeypatch, ".")
    assert (status, out) == (2, "")
    assert "nothing was checked: 2 migration(s) found" in errors
    assert "`exclude = *migrations*` (setup.cfg)" in errors
    # The same tree without the exclude reports the RunPython without reverse.
    (tmp_path / "setup.cfg").write_text("[flake8]\n", encoding="utf-8")
    status, out, errors = _check(tmp_path, monkeypatch, ".")
    assert status == 1 and "DJM101" in out and "nothing was checked" not in errors


def test_an_exclude_on_the_command_line_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, SHOP)
    status, _, errors = _check(tmp_path, monkeypatch, "--extend-exclude", "shop", ".")
    assert status == 2
    assert "`extend-exclude = shop` (the command line)" in errors


def test_a_select_without_any_djm_code_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, SHOP)
    (tmp_path / "tox.ini").write_text("[flake8]\nselect = F401,F811,E9\n", encoding="utf-8")
    status, out, errors = _check(tmp_path, monkeypatch, ".")
    assert (status, out) == (2, "")
    assert "flake8's `select` (tox.ini) selects none of the django-migrations-lint codes (F401,F811,E9)" in errors


def test_exit_zero_does_not_hide_a_run_that_checked_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, SHOP)
    (tmp_path / "setup.cfg").write_text("[flake8]\nexclude = *migrations*\n", encoding="utf-8")
    status, _, _ = _check(tmp_path, monkeypatch, "--exit-zero", ".")
    assert status == 2


def test_a_tree_without_migrations_says_so_and_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"shop/__init__.py": "", "shop/models.py": ""})
    status, out, errors = _check(tmp_path, monkeypatch, ".")
    assert (status, out) == (0, "")
    assert "no migration found in .: nothing was checked" in errors


def test_a_checked_tree_says_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, tree(app("shop", {"0001_initial": migration(initial=True)})))
    status, out, errors = _check(tmp_path, monkeypatch, ".")
    assert (status, out, errors) == (0, "", "")


SQLITE_SETTINGS = """\
INSTALLED_APPS = ["shop"]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"},
}
"""
MANAGE_PY = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.dev")\n'


def test_postgresql_checks_switched_off_by_the_settings_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, tree(SHOP, {"conf/__init__.py": "", "conf/dev.py": SQLITE_SETTINGS}))
    (tmp_path / "manage.py").write_text(MANAGE_PY, encoding="utf-8")
    _, _, errors = _check(tmp_path, monkeypatch, ".")
    assert (
        "the PostgreSQL checks (locks, raw SQL, concurrent indexes) are off: the Django settings conf.dev"
        " (named by manage.py:2) use `django.db.backends.sqlite3` (conf/dev.py:2)"
    ) in errors
    assert "set djm-database = postgresql" in errors
    _, _, errors = _check(tmp_path, monkeypatch, "--djm-database", "postgresql", ".")
    assert "PostgreSQL checks" not in errors


def test_ignore_that_replaces_the_default_list_turns_rules_on_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, SHOP)
    (tmp_path / "setup.cfg").write_text("[flake8]\nignore = E501\n", encoding="utf-8")
    _, _, errors = _check(tmp_path, monkeypatch, ".")
    assert "`ignore` (setup.cfg) replaces flake8's default ignore list" in errors
    assert all(code in errors for code in OFF_BY_DEFAULT)
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-ignore = E501\n", encoding="utf-8")
    _, _, errors = _check(tmp_path, monkeypatch, ".")
    assert "replaces flake8's default ignore list" not in errors


# flake8 ------------------------------------------------------------------------------------------------------------


ADD_INDEX = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.AddIndex("order", models.Index(fields=["placed"], name="order_placed"))]
"""


def test_flake8_isolated_does_not_read_the_pyproject_table(tmp_path: Path) -> None:
    write_tree(tmp_path, tree(app("shop", {"0001_initial": migration(initial=True), "0002_index": ADD_INDEX})))
    (tmp_path / "pyproject.toml").write_text('[tool.django-migrations-lint]\ndatabase = "sqlite"\n', encoding="utf-8")
    read = run_flake8("--select", "DJM", "--djm-no-cache", ".", cwd=tmp_path)
    isolated = run_flake8("--isolated", "--select", "DJM", "--djm-no-cache", ".", cwd=tmp_path)
    # The table says SQLite, where an index is built without a lock worth reporting; --isolated reads no table.
    assert parse_output(read.stdout) == []
    assert [code for *_, code in parse_output(isolated.stdout)] == ["DJM205"]


def test_flake8_with_a_project_root_that_is_not_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, SHOP)
    result = run_flake8("--isolated", "--select", "DJM", "--djm-project-root", "nowhere", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "djm-project-root: nowhere is not a folder" in result.stderr


def test_a_failing_project_pass_is_said_once_per_lint_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ast

    from flake8_django_migrations.run import ProjectRun

    write_tree(tmp_path, SHOP)

    def broken(self: ProjectRun, path: str) -> object:
        raise RuntimeError("a broken index")

    monkeypatch.setattr(ProjectRun, "project_findings_in", broken)
    monkeypatch.setattr(MigrationChecker, "lint_runs", MigrationChecker.lint_runs + 1)
    for name in ("0001_initial", "0002_data"):
        path = tmp_path / "shop" / "migrations" / f"{name}.py"
        source = path.read_text(encoding="utf-8")
        found = list(MigrationChecker(ast.parse(source), str(path), source.splitlines(True)).run())
        assert [code.split()[0] for _, _, code, _ in found] == (["DJM101"] if name == "0002_data" else [])
    errors = capsys.readouterr().err
    assert errors.count("the project pass failed (RuntimeError: a broken index)") == 1
    assert "graph and cross-file findings are missing" in errors


def test_a_migrations_package_of_another_name_is_found_by_what_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MIGRATION_MODULES moved shop's migrations to shop/db_migrations, in settings that cannot be read.
    write_tree(tmp_path, tree(app("shop", {"0001_initial": migration(initial=True), "0002_data": RUN_PYTHON}),
                              {"shop/models.py": "class Migration:\n    pass\n"}))
    (tmp_path / "shop" / "migrations").rename(tmp_path / "shop" / "db_migrations")
    status, out, errors = _check(tmp_path, monkeypatch, "-v", ".")
    assert status == 1
    assert [line.split(": ")[0] + " " + line.split(": ")[1][:6] for line in out.splitlines()] == [
        "shop/db_migrations/0002_data.py:10:19 DJM101"
    ]
    assert "shop/db_migrations: taken as a migrations package for its Migration classes" in errors
    flake8 = run_flake8("--isolated", "--select", "DJM", "--djm-no-cache", ".", cwd=tmp_path)
    assert parse_output(flake8.stdout) == [("./shop/db_migrations/0002_data.py", 10, 19, "DJM101")]


def test_a_settings_module_that_does_not_parse_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # lasuite-docs: Python 3.14's `except A, B:` in settings read by an older Python.
    write_tree(tmp_path, tree(SHOP, {"conf/__init__.py": "", "conf/dev.py": "try:\n    pass\nexcept (:\n    pass\n"}))
    (tmp_path / "manage.py").write_text(MANAGE_PY, encoding="utf-8")
    status, _, errors = _check(tmp_path, monkeypatch, ".")
    assert status == 1
    assert "the Django settings conf.dev (conf/dev.py) are not read: not a readable file of Python" in errors

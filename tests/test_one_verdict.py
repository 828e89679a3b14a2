"""The command never says "clean" where flake8 would not: files it cannot parse or decode, paths through links,
options that make no sense. Each case is run through both front ends."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.flake8_runner import parse_output, run_flake8

HEADER = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
INITIAL = HEADER + "    initial = True\n    dependencies = []\n    operations = []\n"
RUN_SQL = HEADER + '    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunSQL("SELECT 1")]\n'


def project(root: Path, files: dict[str, bytes | str]) -> Path:
    (root / "manage.py").parent.mkdir(parents=True, exist_ok=True)
    (root / "manage.py").write_text("")
    for relative, content in {"shop/migrations/0001_initial.py": INITIAL, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def check(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]], str]:
    """Exit status, (path, line, column, code) and the text of ``check`` run in ``root``."""
    out = io.StringIO()
    previous = os.getcwd()
    os.chdir(root)
    try:
        status = main(["check", "--djm-no-cache", *args], stdout=out)
    finally:
        os.chdir(previous)
    return status, parse_output(out.getvalue()), out.getvalue()


def flake8(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]]]:
    result = run_flake8("--isolated", "--djm-no-cache", *args, cwd=root)
    found = [(path.removeprefix("./"), line, col, code) for path, line, col, code in parse_output(result.stdout)]
    return result.returncode, found


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(HEADER + "    dependencies = [\n", id="unclosed-bracket"),
        pytest.param("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", id="python-3.14-except"),
        pytest.param(RUN_SQL.encode() + b"\x00", id="null-byte"),
    ],
)
def test_a_migration_that_does_not_parse_is_e999_in_both(tmp_path: Path, source: str | bytes) -> None:
    root = project(tmp_path, {"shop/migrations/0002_broken.py": source})
    status, found, _ = check(root)
    flake8_status, flake8_found = flake8(root, "--select", "E999,DJM")
    assert status == flake8_status == 1
    assert found == flake8_found
    assert [code for _, _, _, code in found] == ["E999"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(RUN_SQL.encode() + b"# caf\xe9\n", id="invalid-utf8"),
        pytest.param(b"# -*- coding: no-such-codec -*-\n" + RUN_SQL.encode(), id="unknown-codec"),
        pytest.param(b"\xef\xbb\xbf" + RUN_SQL.encode() + b"# \xff\n", id="bom-then-invalid"),
        pytest.param(RUN_SQL.replace("\n", "\r\n").encode(), id="crlf"),
    ],
)
def test_a_migration_python_cannot_decode_gets_the_findings_flake8_gives(tmp_path: Path, source: bytes) -> None:
    root = project(tmp_path, {"shop/migrations/0002_odd.py": source})
    status, found, _ = check(root)
    flake8_status, flake8_found = flake8(root, "--select", "E9,DJM")
    assert found == flake8_found
    assert [code for _, _, _, code in found] == ["DJM102"]
    assert status == flake8_status == 1


def test_a_migration_too_large_to_read_is_said_so(tmp_path: Path) -> None:
    from flake8_django_migrations.files import MAX_SOURCE_BYTES

    root = project(tmp_path, {})
    huge = root / "shop" / "migrations" / "0002_huge.py"
    with open(huge, "wb") as file:
        file.truncate(MAX_SOURCE_BYTES + 1)  # sparse: costs no disk
    status, found, text = check(root)
    assert status == 1
    assert found == [("shop/migrations/0002_huge.py", 1, 1, "E902")]
    assert "not a readable regular file" in text


def test_an_app_folder_reached_through_a_link_is_checked_like_flake8_does(tmp_path: Path) -> None:
    elsewhere = project(tmp_path / "elsewhere", {"billing/migrations/0002_x.py": RUN_SQL.replace("shop", "billing")})
    root = tmp_path / "proj"
    root.mkdir()
    (root / "manage.py").write_text("")
    (root / "billing").symlink_to(elsewhere / "billing")
    status, found, _ = check(root, "billing")
    flake8_status, flake8_found = flake8(root, "--select", "DJM", "billing")
    assert found == flake8_found == [("billing/migrations/0002_x.py", 6, 19, "DJM102")]
    assert status == flake8_status == 1


def test_a_project_root_that_is_not_above_the_paths_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", {"shop/migrations/0002_x.py": RUN_SQL})
    (tmp_path / "other").mkdir()
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check", "--djm-project-root", str(tmp_path / "other"),
         "shop"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and "is not inside --djm-project-root" in completed.stderr


@pytest.mark.parametrize(
    "option",
    [
        "--djm-swappable=AUTH_USER_MODEL=nodot",
        "--djm-swappable=AUTH_USER_MODEL=a.b.c",
        "--djm-swappable=AUTH_USER_MODEL",
        "--djm-app-label=shop",
        "--djm-migration-modules==x",
        "--djm-database=db2",
    ],
)
def test_an_option_that_makes_no_sense_is_a_usage_error_in_both(tmp_path: Path, option: str) -> None:
    root = project(tmp_path, {"shop/migrations/0002_x.py": RUN_SQL})
    flake8_result = run_flake8("--isolated", option, ".", cwd=root)
    assert flake8_result.returncode == 2 and flake8_result.stdout == "", flake8_result.stderr
    assert "error:" in flake8_result.stderr and "Traceback" not in flake8_result.stderr
    command = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check", option, "."],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert command.returncode == 2 and command.stdout == "" and "error:" in command.stderr
    assert "Traceback" not in command.stderr


def test_many_conflicting_leaves_keep_each_message_short(tmp_path: Path) -> None:
    leaves = {
        f"shop/migrations/{number:04d}_leaf.py": HEADER + '    dependencies = [("shop", "0001_initial")]\n'
        for number in range(2, 302)
    }
    root = project(tmp_path, leaves)
    out = io.StringIO()
    assert main(["check", "--djm-no-cache", "--format", "json", str(root)], stdout=out) == 1
    import json

    found = [finding for finding in json.loads(out.getvalue())["findings"] if finding["code"] == "DJM304"]
    assert len(found) == 300
    assert all(len(finding["message"]) < 200 and finding["message"].endswith("and 296 more") for finding in found)


def _merge_project(root: Path, written: str) -> Path:
    """The app in folder ``shop`` is labelled ``store`` by its AppConfig; ``0003_merge`` depends on two
    migrations of the app written ``written``. Django's app is ``store``."""
    def migration(dependencies: str) -> str:
        return HEADER + f"    dependencies = {dependencies}\n    operations = []\n"

    return project(root, {
        "shop/apps.py": "from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    label = 'store'\n",
        "shop/migrations/0001_initial.py": migration("[]"),
        "shop/migrations/0002_a.py": migration("[('store', '0001_initial')]"),
        "shop/migrations/0002_b.py": migration("[('store', '0001_initial')]"),
        "shop/migrations/0003_merge.py": migration(f"[({written!r}, '0002_a'), ({written!r}, '0002_b')]"),
    })


@pytest.mark.parametrize("written", ["shop", "store"])
def test_per_file_rules_see_the_label_of_the_app_config_in_both(tmp_path: Path, written: str) -> None:
    """DJM306 compares a merge's dependencies with its own app's label: flake8 used to take the folder's name."""
    root = _merge_project(tmp_path, written)
    _, by_check, _ = check(root, "--select", "DJM306")
    _, by_flake8 = flake8(root, "--select", "DJM306", ".")
    merge = [("shop/migrations/0003_merge.py", 4, 1, "DJM306")]
    assert by_check == by_flake8 == (merge if written == "store" else [])


def test_the_app_label_option_reaches_the_per_file_rules_in_both(tmp_path: Path) -> None:
    root = _merge_project(tmp_path, "market")
    _, by_check, _ = check(root, "--select", "DJM306", "--djm-app-label", "shop=market")
    _, by_flake8 = flake8(root, "--select", "DJM306", "--djm-app-label", "shop=market", ".")
    assert by_check == by_flake8 == [("shop/migrations/0003_merge.py", 4, 1, "DJM306")]


@pytest.mark.parametrize(("engine", "reported"), [("sqlite3", False), ("postgresql", True)])
def test_the_settings_database_decides_postgresql_rules_in_both(tmp_path: Path, engine: str, reported: bool) -> None:
    """DJM206 applies to PostgreSQL only; the default database's ENGINE says which one, unless djm-database does."""
    concurrently = HEADER + (
        '    dependencies = [("shop", "0001_initial")]\n'
        '    operations = [migrations.RunSQL("CREATE INDEX CONCURRENTLY i ON t (c)", migrations.RunSQL.noop)]\n'
    )
    root = project(tmp_path, {
        "shop/migrations/0002_index.py": concurrently,
        "project/settings.py": (
            "INSTALLED_APPS = ['shop']\n"
            f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.{engine}', 'NAME': 'x'}}}}\n"
        ),
    })
    (root / "manage.py").write_text("import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n")
    _, by_check, _ = check(root, "--select", "DJM206")
    _, by_flake8 = flake8(root, "--select", "DJM206", ".")
    assert by_check == by_flake8
    assert bool(by_check) is reported
    # An explicit option wins over the settings.
    _, by_check, _ = check(root, "--select", "DJM206", "--djm-database", "postgresql")
    _, by_flake8 = flake8(root, "--select", "DJM206", "--djm-database", "postgresql", ".")
    assert by_check == by_flake8 and by_check


def test_migrations_kept_elsewhere_by_the_settings_are_linted_by_both(tmp_path: Path) -> None:
    """MIGRATION_MODULES read from the settings: the files of ``blog/db_migrations`` are migrations for flake8
    too, with their per-file findings and their project findings."""
    root = project(tmp_path, {
        "blog/db_migrations/0001_initial.py": INITIAL.replace("    dependencies = []\n",
                                                              '    dependencies = [("blog", "0000_gone")]\n'),
        "blog/db_migrations/0002_sql.py": RUN_SQL.replace('("shop", "0001_initial")', '("blog", "0001_initial")'),
        "blog/helpers.py": RUN_SQL,  # not a migration: nothing
        "project/settings.py": (
            "INSTALLED_APPS = ['blog', 'shop']\nMIGRATION_MODULES = {'blog': 'blog.db_migrations'}\n"
        ),
    })
    (root / "blog" / "__init__.py").touch()
    (root / "manage.py").write_text("import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n")
    _, by_check, _ = check(root)
    _, by_flake8 = flake8(root, ".")
    assert by_check == by_flake8
    assert {(path, code) for path, _, _, code in by_check} == {
        ("blog/db_migrations/0001_initial.py", "DJM302"), ("blog/db_migrations/0002_sql.py", "DJM102"),
    }

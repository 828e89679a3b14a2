"""DJM308-312 against the real thing: on each broken tree Django's ``migrate`` stops with the error our message
names, and on its fixed twin ``migrate`` runs and we report nothing."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.django_runner import DjangoProject

HEADER = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
INITIAL = HEADER + "    initial = True\n    dependencies = []\n    operations = []\n"


MANAGE_PY = 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n'
SETTINGS = 'INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]\n'


def migration(dependencies: str = "[]", extra: str = "") -> str:
    return HEADER + f"    dependencies = {dependencies}\n{extra}    operations = []\n"


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    error: str  # what Django's loader raises, as our message must name it
    broken: dict[str, str]
    fixed: dict[str, str]


CASES = [
    Case(
        "app_without_migrations", "DJM308", "ValueError: Dependency on app with no migrations: billing",
        {"shop/migrations/0001_initial.py": migration('[("billing", "__first__")]'),
         "billing/migrations/_notes.py": "# no migration yet\n"},
        {"shop/migrations/0001_initial.py": migration('[("billing", "0001_initial")]'),
         "billing/migrations/0001_initial.py": INITIAL},
    ),
    Case(
        "squashes_replacing_each_other", "DJM309", "NodeNotFoundError",
        {"shop/migrations/0001_initial.py": INITIAL,
         "shop/migrations/0002_a.py": migration('[("shop", "0001_initial")]', '    replaces = [("shop", "0003_b")]\n'),
         "shop/migrations/0003_b.py": migration('[("shop", "0001_initial")]', '    replaces = [("shop", "0002_a")]\n')},
        {"shop/migrations/0001_initial.py": INITIAL,
         "shop/migrations/0002_a.py": migration('[("shop", "0001_initial")]'),
         "shop/migrations/0003_b.py": migration('[("shop", "0001_initial")]', '    replaces = [("shop", "0002_a")]\n')},
    ),
    *(
        Case(
            f"malformed_{name}", "DJM310", error,
            {"shop/migrations/0001_initial.py": INITIAL,
             "orders/migrations/0001_initial.py": migration(f"[{entry}]")},
            {"shop/migrations/0001_initial.py": INITIAL,
             "orders/migrations/0001_initial.py": migration('[("shop", "0001_initial")]')},
        )
        for name, entry, error in [
            ("one_item_tuple", '("shop",)', "IndexError: tuple index out of range"),
            ("three_item_tuple", '("shop", "0001_initial", "x")', "NodeNotFoundError"),
            ("list", '["shop", "0001_initial"]', "TypeError: unhashable type: 'list'"),
            ("one_item_list", '["shop"]', "IndexError: list index out of range"),
            ("string", '"shop"', "NodeNotFoundError"),
            ("one_character_string", '"s"', "IndexError: string index out of range"),
        ]
    ),
    Case(
        "module_without_migration_class", "DJM311", "BadMigrationError",
        {"shop/migrations/0001_initial.py": INITIAL, "shop/migrations/utils.py": "def helper():\n    pass\n"},
        {"shop/migrations/0001_initial.py": INITIAL, "shop/migrations/_utils.py": "def helper():\n    pass\n"},
    ),
    Case(
        # Needs INSTALLED_APPS in full: the settings our linter reads list what the truth run installs.
        "dependency_on_unknown_app", "DJM312", "ValueError: Dependency on unknown app: billing",
        {"manage.py": MANAGE_PY, "conf/settings.py": SETTINGS,
         "shop/migrations/0001_initial.py": migration('[("billing", "__first__")]')},
        {"manage.py": MANAGE_PY, "conf/settings.py": SETTINGS,
         "shop/migrations/0001_initial.py": migration('[("auth", "__first__")]')},
    ),
    Case(
        # pkgutil.iter_modules, which Django's loader lists a package with, skips a name with a dot in it.
        "module_without_migration_class_named_with_a_dot", "DJM311", "BadMigrationError",
        {"shop/migrations/0001_initial.py": INITIAL, "shop/migrations/helpers.py": "def helper():\n    pass\n"},
        {"shop/migrations/0001_initial.py": INITIAL, "shop/migrations/helpers.v2.py": "def helper():\n    pass\n",
         "shop/migrations/.util.py": "def helper():\n    pass\n"},
    ),
]


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        for package in (path.parent, path.parent.parent):
            (package / "__init__.py").touch()
    (root / "manage.py").touch()
    return root


def our_findings(root: Path) -> list[dict[str, object]]:
    out = io.StringIO()
    main(["check", "--format", "json", "--djm-no-cache", "--select", "DJM3", str(root)], stdout=out)
    found: list[dict[str, object]] = json.loads(out.getvalue())["findings"]
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_django_stops_where_we_say_and_runs_where_we_are_silent(case: Case, tmp_path: Path) -> None:
    broken = write(tmp_path / "broken", case.broken)
    result = DjangoProject(broken, tmp_path / "broken-run").manage("migrate")
    assert result.returncode != 0 and case.error in result.stderr, result.stderr[-2000:]
    found = our_findings(broken)
    assert {f["code"] for f in found} == {case.code}, found
    assert all(f"`{case.error}`" in str(f["message"]) for f in found), found

    fixed = write(tmp_path / "fixed", case.fixed)
    result = DjangoProject(fixed, tmp_path / "fixed-run").manage("migrate")
    assert result.returncode == 0, result.stderr[-2000:]
    assert our_findings(fixed) == []

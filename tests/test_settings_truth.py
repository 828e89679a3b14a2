"""The graph read with the project's own settings equals Django's ``MigrationLoader`` under those settings.

Each project has a ``manage.py`` naming its settings module, as a real one does; Django runs in a subprocess with
that module (so it loads exactly what the settings say), and the linter gets no option at all. Nodes, edges and
leaves are compared over every app Django loads, ``auth`` and ``contenttypes`` included; where Django cannot build
the graph, DJM302 says so.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.cli import main

MANAGE_PY = """\
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"""

_LOADER = r"""
import json

import django

django.setup()

from django.db.migrations.loader import MigrationLoader

name = "%s.%s".__mod__
try:
    loader = MigrationLoader(None, ignore_no_migrations=True)
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
else:
    graph = loader.graph
    apps = sorted({key[0] for key in graph.nodes})
    print(json.dumps({
        "error": None,
        "nodes": sorted(name(key) for key in graph.nodes),
        "edges": sorted(
            [name(key), name(parent.key)] for key, node in graph.node_map.items() for parent in node.parents
        ),
        "leaves": {app: [key[1] for key in graph.leaf_nodes(app)] for app in apps if graph.leaf_nodes(app)},
    }))
"""


def migration(*dependencies: str, operations: str = "[]") -> str:
    return (
        "from django.conf import settings\nfrom django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [{', '.join(dependencies)}]\n"
        f"    operations = {operations}\n"
    )


USER = (
    '[migrations.CreateModel("User", [("id", models.AutoField(primary_key=True)),'
    ' ("password", models.CharField(max_length=128)),'
    ' ("last_login", models.DateTimeField(null=True))])]'
)
CONTENTTYPES = '("contenttypes", "0002_remove_content_type_name")'
AUTH = '("auth", "0012_alter_user_first_name_max_length")'
SWAPPABLE = "migrations.swappable_dependency(settings.AUTH_USER_MODEL)"


def package(folder: str, migrations: dict[str, str], migrations_folder: str = "migrations") -> dict[str, str]:
    files = {f"{folder}/__init__.py": "", f"{folder}/{migrations_folder}/__init__.py": ""}
    files.update({f"{folder}/{migrations_folder}/{name}.py": text for name, text in migrations.items()})
    return files


CASES: dict[str, dict[str, str]] = {
    # Base and derived settings; a custom user model: swappable dependencies point at `accounts`, not `auth`.
    "custom_user_model": {
        "manage.py": MANAGE_PY.format(module="config.settings.production"),
        "config/__init__.py": "",
        "config/settings/__init__.py": "",
        "config/settings/base.py": """\
            SECRET_KEY = "test"
            DJANGO_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
            LOCAL_APPS = ["accounts", "orders"]
            INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS
            DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
            """,
        "config/settings/production.py": 'from .base import *  # noqa: F403\n\nAUTH_USER_MODEL = "accounts.User"\n',
        "accounts/models.py": (
            "from django.contrib.auth.models import AbstractBaseUser\n\n\nclass User(AbstractBaseUser):\n"
            "    USERNAME_FIELD = 'id'\n"
        ),
        **package("accounts", {"0001_initial": migration(operations=USER),
                               "0002_x": migration('("accounts", "0001_initial")')}),
        **package("orders", {"0001_initial": migration(SWAPPABLE, CONTENTTYPES),
                             "0002_y": migration('("orders", "0001_initial")', AUTH)}),
    },
    # Migrations kept in another package, an installed app without migrations, and an app folder with
    # migrations that is not installed (two leaves, which Django never sees).
    "migration_modules_and_an_app_not_installed": {
        "manage.py": MANAGE_PY.format(module="settings"),
        "settings.py": """\
            SECRET_KEY = "test"
            INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "blog", "plain", "shop"]
            MIGRATION_MODULES = {"blog": "blog.db_migrations"}
            DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
            """,
        **package("blog", {"0001_initial": migration(), "0002_z": migration('("blog", "0001_initial")')},
                  migrations_folder="db_migrations"),
        "plain/__init__.py": "",
        **package("shop", {"0001_initial": migration('("blog", "0002_z")', SWAPPABLE, '("plain", "__first__")')}),
        **package("legacy", {"0001_initial": migration(), "0002_a": migration('("legacy", "0001_initial")'),
                             "0002_b": migration('("legacy", "0001_initial")')}),
    },
    # A dependency on a migration `auth` does not have: Django's NodeNotFoundError, our DJM302.
    "missing_auth_migration": {
        "manage.py": MANAGE_PY.format(module="settings"),
        "settings.py": """\
            SECRET_KEY = "test"
            INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
            """,
        **package("shop", {"0001_initial": migration('("auth", "0099_missing")')}),
    },
    # A named migration of an installed app that has none: NodeNotFoundError too.
    "dependency_on_an_app_without_migrations": {
        "manage.py": MANAGE_PY.format(module="settings"),
        "settings.py": """\
            SECRET_KEY = "test"
            INSTALLED_APPS = ["plain", "shop"]
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
            """,
        "plain/__init__.py": "",
        **package("shop", {"0001_initial": migration('("plain", "0001_initial")')}),
    },
}


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def django_graph(root: Path) -> dict[str, Any]:
    """Django's loader, under the settings module ``manage.py`` names, with the project as manage.py runs it."""
    module = next(line.split('"')[3] for line in (root / "manage.py").read_text().splitlines() if "setdefault" in line)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": module, "PYTHONPATH": str(root),
                   "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run([sys.executable, "-c", _LOADER], cwd=root, env=environment, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def our_graph(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    out = io.StringIO()
    assert main(["graph", str(root), "--cache-dir", str(cache), "--select", "DJM3"], stdout=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_read_with_the_settings_matches_django(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path / "project", CASES[case])
    django = django_graph(root)
    ours = our_graph(root, tmp_path / "cache", monkeypatch)
    codes = {error["code"] for error in ours["errors"]}
    if django["error"] is not None:
        assert django["error"] == "NodeNotFoundError", django
        assert "DJM302" in codes, (django["message"], ours["errors"])
        return
    assert ours["nodes"] == django["nodes"]
    assert ours["edges"] == django["edges"]
    assert ours["leaves"] == django["leaves"]
    assert not codes & {"DJM302", "DJM303", "DJM304"}, ours["errors"]
    assert ours["settings"]["unknown"].keys() <= {"MIGRATION_MODULES", "AUTH_USER_MODEL", "DEFAULT_AUTO_FIELD"}


def test_every_outcome_is_covered(tmp_path: Path) -> None:
    outcomes = {django_graph(write(tmp_path / case, files))["error"] for case, files in CASES.items()}
    assert outcomes == {None, "NodeNotFoundError"}


def test_without_the_settings_the_graph_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the settings add: with reading turned off the custom user model's edges point nowhere."""
    root = write(tmp_path / "project", CASES["custom_user_model"])
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    out = io.StringIO()
    assert main(["graph", str(root), "--no-cache", "--djm-settings", "none"], stdout=out) == 0
    assert ["orders.0001_initial", "accounts.0001_initial"] not in json.loads(out.getvalue())["edges"]
    assert ["orders.0001_initial", "accounts.0001_initial"] in our_graph(root, tmp_path / "cache", monkeypatch)["edges"]

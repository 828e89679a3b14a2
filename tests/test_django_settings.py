"""Reading a project's Django settings without importing them: where the module is named, which values are
literals, where each came from, what stays unknown, and what the linter then does with them."""

from __future__ import annotations

import io
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.project.discover import discover
from flake8_django_migrations.project.django_settings import (
    DjangoSettings,
    read_django_settings,
    settings_for_project,
)
from flake8_django_migrations.settings import build_settings, database_of_engine
from tests.flake8_runner import parse_output, run_flake8

MANAGE_PY = """\
#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
NO_ENVIRONMENT: dict[str, str] = {}


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


# Finding the module -----------------------------------------------------------------------------------------------


def test_manage_py_names_the_module_also_inside_main(tmp_path: Path) -> None:
    write(tmp_path, {"manage.py": MANAGE_PY.format(module="conf.settings"), "conf/__init__.py": "",
                     "conf/settings.py": "AUTH_USER_MODEL = 'accounts.User'\n"})
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.module_origin) == ("conf.settings", "manage.py:7")
    assert read.path == str(tmp_path / "conf" / "settings.py")
    assert read.auth_user_model == "accounts.User"
    assert (read.values["AUTH_USER_MODEL"].path, read.values["AUTH_USER_MODEL"].line) == (read.path, 1)


def test_the_environment_wins_over_manage_py_and_the_option_over_both(tmp_path: Path) -> None:
    write(tmp_path, {
        "manage.py": MANAGE_PY.format(module="conf.dev"),
        "conf/__init__.py": "",
        "conf/dev.py": "AUTH_USER_MODEL = 'dev.User'\n",
        "conf/prod.py": "AUTH_USER_MODEL = 'prod.User'\n",
        "conf/test.py": "AUTH_USER_MODEL = 'test.User'\n",
    })
    environment = {"DJANGO_SETTINGS_MODULE": "conf.prod"}
    assert read_django_settings(str(tmp_path), environ=environment).auth_user_model == "prod.User"
    assert read_django_settings(str(tmp_path), "conf.test", environment).auth_user_model == "test.User"
    assert read_django_settings(str(tmp_path), "conf/test.py", environment).auth_user_model == "test.User"
    # A module that is not in the project is passed over, as an import of it would fail.
    assert read_django_settings(str(tmp_path), environ={"DJANGO_SETTINGS_MODULE": "elsewhere.settings"}).module == (
        "conf.dev")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = 'conf.settings'\n"),
        ("pytest.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = conf.settings\n"),
        ("setup.cfg", "[tool:pytest]\nDJANGO_SETTINGS_MODULE = conf.settings\n"),
        ("tox.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = conf.settings\n"),
    ],
)
def test_pytest_django_names_the_module(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, {name: text, "conf/__init__.py": "", "conf/settings.py": "INSTALLED_APPS = ('shop',)\n"})
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert read.module == "conf.settings" and read.module_origin.startswith(name)
    assert read.installed_apps == ("shop",)


def test_pytest_pythonpath_is_where_modules_are_found(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": (
            "[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = 'conf.settings'\npythonpath = ['backend']\n"
        ),
        "backend/conf/__init__.py": "",
        "backend/conf/settings.py": "AUTH_USER_MODEL = 'a.B'\n",
    })
    assert read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT).auth_user_model == "a.B"


def test_no_settings_leaves_everything_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"manage.py": ""})
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert read.module is None and read.values == {}
    assert set(read.unknown) == {"INSTALLED_APPS", "AUTH_USER_MODEL", "MIGRATION_MODULES", "DEFAULT_AUTO_FIELD",
                                 "DATABASES"}


# Reading the values -----------------------------------------------------------------------------------------------


def settings_of(tmp_path: Path, files: dict[str, str], module: str = "conf.settings") -> DjangoSettings:
    write(tmp_path, {"manage.py": MANAGE_PY.format(module=module), "conf/__init__.py": "", **files})
    return read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)


def test_star_import_chains_are_followed_relative_and_absolute(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings/__init__.py": "",
        "conf/settings/base.py": """\
            DJANGO_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
            LOCAL_APPS = ("shop",)
            INSTALLED_APPS = DJANGO_APPS + list(LOCAL_APPS)
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": BASE_NAME}}
            """,
        "conf/settings/common.py": "from conf.settings.base import *\nINSTALLED_APPS += ['billing']\n",
        "conf/settings/production.py": """\
            from .common import *

            INSTALLED_APPS.append("orders")
            INSTALLED_APPS.extend(["shipping"])
            AUTH_USER_MODEL = "accounts.User"
            MIGRATION_MODULES = {"blog": "blog.db_migrations", "legacy": None}
            DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
            """,
    }, module="conf.settings.production")
    assert read.installed_apps == (
        "django.contrib.contenttypes", "django.contrib.auth", "shop", "billing", "orders", "shipping")
    assert read.migration_modules == {"blog": "blog.db_migrations", "legacy": None}
    assert read.database_engine == "django.contrib.gis.db.backends.postgis"
    production = str(tmp_path / "conf" / "settings" / "production.py")
    assert (read.values["INSTALLED_APPS"].path, read.values["INSTALLED_APPS"].line) == (production, 4)
    assert read.values["DATABASES"].line == 7
    assert set(read.unknown) == {"DEFAULT_AUTO_FIELD"}
    read_modules = [path for path in read.files if path.startswith(str(tmp_path / "conf"))]
    assert len(read_modules) == 3  # the three modules of the chain, each watched for a change


def test_a_star_import_cycle_ends(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings.py": "from conf.other import *\nAUTH_USER_MODEL = 'a.User'\n",
        "conf/other.py": "from conf.settings import *\nINSTALLED_APPS = ['shop']\n",
    })
    assert read.auth_user_model == "a.User" and read.installed_apps == ("shop",)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("INSTALLED_APPS = get_apps()\n", "`get_apps()` at line 1 is not a literal"),
        ("import os\nINSTALLED_APPS = os.environ['APPS'].split()\n", "is not a literal"),
        ("INSTALLED_APPS = ['a']\nfor app in EXTRA:\n    INSTALLED_APPS.append(app)\n", "is changed at settings.py:2"),
        ("import os\nINSTALLED_APPS = ['a']\nif os.environ.get('X'):\n    INSTALLED_APPS += ['b']\n",
         "is set under a condition at settings.py:4"),
        ("INSTALLED_APPS = ['a']\nfrom third_party.settings import *\n", "`from third_party.settings import *`"),
        ("INSTALLED_APPS = ['a', NAME]\n", "`NAME` is not defined"),
    ],
)
def test_what_is_not_a_literal_stays_unknown_with_the_reason(tmp_path: Path, source: str, reason: str) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": source})
    assert read.installed_apps is None
    assert reason in read.unknown["INSTALLED_APPS"], read.unknown


def test_conditions_that_are_literals_are_decided(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        DEBUG = False
        INSTALLED_APPS = ["shop"]
        if DEBUG:
            INSTALLED_APPS += ["debug_toolbar"]
        else:
            AUTH_USER_MODEL = "accounts.User"
        try:
            from .local import *
        except ImportError:
            pass
        """})
    assert read.installed_apps == ("shop",) and read.auth_user_model == "accounts.User"


def test_a_setting_set_after_an_unread_star_import_is_known(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": "from configurations import *\nAUTH_USER_MODEL = 'a.User'\n"})
    assert read.auth_user_model == "a.User"
    assert "INSTALLED_APPS" in read.unknown


@pytest.mark.parametrize(
    ("engine", "database"),
    [
        ("django.db.backends.postgresql", "postgresql"),
        ("django.db.backends.postgresql_psycopg2", "postgresql"),
        ("django.contrib.gis.db.backends.postgis", "postgresql"),
        ("django.db.backends.mysql", "mysql"),
        ("django.db.backends.sqlite3", "sqlite"),
        ("django.contrib.gis.db.backends.spatialite", "sqlite"),
        ("django.db.backends.oracle", "oracle"),
        ("django_cockroachdb", None),
    ],
)
def test_database_of_engine(engine: str, database: str | None) -> None:
    assert database_of_engine(engine) == database


# What the linter does with them -----------------------------------------------------------------------------------


def test_options_win_over_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    settings_of(tmp_path, {"conf/settings.py": """\
        AUTH_USER_MODEL = "accounts.User"
        MIGRATION_MODULES = {"blog": "blog.db_migrations", "shop": "shop.old"}
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
        """})
    read = settings_for_project(build_settings(), str(tmp_path))
    assert read.swappable["AUTH_USER_MODEL"] == "accounts.User" and read.database == "sqlite"
    assert read.migration_modules == {"blog": "blog.db_migrations", "shop": "shop.old"}
    options = build_settings(
        database="mysql", swappable=["AUTH_USER_MODEL=auth.User"], migration_modules=["shop=shop.new"]
    )
    given = settings_for_project(options, str(tmp_path))
    assert given.swappable["AUTH_USER_MODEL"] == "auth.User" and given.database == "mysql"
    assert given.migration_modules == {"blog": "blog.db_migrations", "shop": "shop.new"}
    assert settings_for_project(build_settings(settings_module="none"), str(tmp_path)).django is None


def test_installed_apps_are_located_with_their_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    settings_of(tmp_path, {
        "conf/settings.py": """\
            INSTALLED_APPS = [
                "django.contrib.auth",
                "shop.apps.ShopConfig",
                "billing",
                "not_installed_anywhere",
                "missing_pkg.apps.MissingConfig",
            ]
            """,
        "shop/__init__.py": "", "shop/migrations/__init__.py": "", "shop/migrations/0001_initial.py": "",
        "shop/apps.py": "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
                        "    name = 'shop'\n    label = 'store'\n",
        "billing/__init__.py": "", "billing/migrations/__init__.py": "",
        "legacy/__init__.py": "", "legacy/migrations/__init__.py": "", "legacy/migrations/0001_initial.py": "",
    })
    settings = settings_for_project(build_settings(), str(tmp_path))
    found = discover(str(tmp_path), settings)
    by_entry = {app.entry: app for app in found.installed_apps}
    auth = by_entry["django.contrib.auth"]
    assert auth.label == "auth" and auth.external and auth.folder and auth.folder.endswith(
        os.path.join("django", "contrib", "auth"))
    assert (by_entry["shop.apps.ShopConfig"].label, by_entry["shop.apps.ShopConfig"].external) == ("store", False)
    assert by_entry["not_installed_anywhere"].label == "not_installed_anywhere"
    assert by_entry["missing_pkg.apps.MissingConfig"].label is None
    assert sorted(found.apps) == ["auth", "billing", "store"]
    assert [app.label for app in found.left_out] == ["legacy"]  # not installed: per-file rules only
    assert found.installed is None  # one entry's label is unknown, so a missing app cannot be told
    assert found.unlocated == {"not_installed_anywhere"}


def test_graph_json_and_check_verbose_show_what_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    settings_of(tmp_path, {
        "conf/settings.py": "INSTALLED_APPS = ['shop']\nAUTH_USER_MODEL = make_user_model()\n",
        "shop/__init__.py": "", "shop/migrations/__init__.py": "",
    })
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["graph", "--no-cache", "."], stdout=out) == 0
    block = json.loads(out.getvalue())["settings"]
    assert block["module"] == "conf.settings" and block["module_origin"] == "manage.py:7"
    assert block["path"] == os.path.join("conf", "settings.py")
    assert block["values"]["INSTALLED_APPS"] == {"value": ["shop"], "path": os.path.join("conf", "settings.py"),
                                                 "line": 1}
    assert "`make_user_model()` at line 2 is not a literal" in block["unknown"]["AUTH_USER_MODEL"]
    assert block["installed_apps"] == [{"entry": "shop", "label": "shop", "folder": "shop", "external": False}]
    assert block["used"]["swappable"] == {"AUTH_USER_MODEL": "auth.User"}
    assert main(["check", "-v", "--no-cache", "."], stdout=io.StringIO()) == 0
    err = capsys.readouterr().err
    assert "Django settings: conf.settings (conf/settings.py), named by manage.py:7" in err
    assert "AUTH_USER_MODEL: unknown, `make_user_model()` at line 2 is not a literal" in err


def test_the_example_needs_no_option_when_copied_out_of_the_repository(tmp_path: Path) -> None:
    """Its findings in the repository (with the repository's setup.cfg) and alone in a folder are the same."""
    repository = Path(__file__).parent.parent
    copy = tmp_path / "shop"
    shutil.copytree(repository / "examples" / "shop", copy, ignore=shutil.ignore_patterns("__pycache__"))
    inside = run_flake8("--select", "DJM", "--djm-no-cache", "examples/shop", cwd=repository)
    alone = run_flake8("--isolated", "--select", "DJM", "--djm-no-cache", ".", cwd=copy)
    assert "Traceback" not in alone.stderr and "internal error" not in alone.stderr
    found_inside = {(os.path.relpath(path, "examples/shop"), line, code) for path, line, _, code in
                    parse_output(inside.stdout)}
    found_alone = {(os.path.normpath(path), line, code) for path, line, _, code in parse_output(alone.stdout)}
    assert found_alone == found_inside
    assert any(code == "DJM401" for *_, code in found_alone)
    assert any(code == "DJM206" for *_, code in found_alone)  # the settings say PostgreSQL

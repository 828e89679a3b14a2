"""An app's label read from its ``apps.py`` as Django would pick it: only a literal ``label`` counts, the config
marked ``default = True`` wins among several, and anything else falls back to the folder's name."""

from __future__ import annotations

import ast
import io
import json
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.facts import extract_facts
from tests.graph_trees import app, migration, tree, write_tree


def nodes(root: Path, apps_py: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The graph's nodes (``label.name``) for one app in the folder ``shop`` with this ``apps.py``."""
    write_tree(root, tree(app("shop", {"0001_initial": migration()}), {"shop/apps.py": textwrap.dedent(apps_py)}))
    monkeypatch.chdir(root)
    out = io.StringIO()
    assert main(["graph", "--djm-no-cache", "."], stdout=out) == 0
    nodes: list[str] = json.loads(out.getvalue())["nodes"]
    return nodes


def test_other_string_attributes_are_not_the_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apps_py = """
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            default_auto_field = "django.db.models.BigAutoField"
            name = "project.shop"
            verbose_name = "Shop"
        """
    assert nodes(tmp_path, apps_py, monkeypatch) == ["shop.0001_initial"]


def test_a_label_that_is_not_a_literal_is_not_guessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apps_py = """
        from django.apps import AppConfig

        from project.constants import SHOP_LABEL


        class ShopConfig(AppConfig):
            name = "project.shop"
            label = SHOP_LABEL
            default = SHOP_DEFAULT
        """
    assert nodes(tmp_path, apps_py, monkeypatch) == ["shop.0001_initial"]


def test_the_default_config_gives_the_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apps_py = """
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "project.shop"
            label = "store"


        class LegacyShopConfig(AppConfig):
            name = "project.shop"
            label = "legacy_store"
            default = True
        """
    assert nodes(tmp_path, apps_py, monkeypatch) == ["legacy_store.0001_initial"]


def test_the_only_labelled_config_gives_the_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apps_py = """
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "project.shop"
            label = "store"
        """
    assert nodes(tmp_path, apps_py, monkeypatch) == ["store.0001_initial"]


def test_a_package_init_is_not_a_migration_whatever_its_label(tmp_path: Path) -> None:
    """The project pass hands ``extract_facts`` the app's label; the package's ``__init__.py`` is still no
    migration, even one holding a ``Migration`` class (Django never loads it as one)."""
    source = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    pass\n"
    tree_ = ast.parse(source)
    assert extract_facts(tree_, str(tmp_path / "shop" / "migrations" / "__init__.py"), app_label="shop") is None
    assert extract_facts(tree_, str(tmp_path / "shop" / "migrations" / "0001_initial.py"), app_label="shop")


def test_djangos_own_migration_framework_is_no_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linting Django's source: ``django/db/migrations`` (the loader, and the ``Migration`` base class) is not the
    migrations package of an app ``db``, so its modules are not DJM311 and ``db`` is no graph node."""
    framework = tmp_path / "django" / "db" / "migrations"
    framework.mkdir(parents=True)
    for package in (tmp_path / "django", tmp_path / "django" / "db", framework):
        (package / "__init__.py").write_text("")
    (framework / "migration.py").write_text("class Migration:\n    operations = []\n")
    (framework / "loader.py").write_text("class MigrationLoader:\n    pass\n")
    write_tree(tmp_path, tree(app("shop", {"0001_initial": migration()})))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["check", "--djm-no-cache", "--format", "json", "--djm-settings", "none", "."], stdout=out) == 0
    assert json.loads(out.getvalue())["findings"] == []
    out = io.StringIO()
    assert main(["graph", "--djm-no-cache", "--djm-settings", "none", "."], stdout=out) == 0
    assert json.loads(out.getvalue())["nodes"] == ["shop.0001_initial"]

"""``model_inference.is_model_class`` over small project trees written to ``tmp_path``."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flake8_django_migrations.facts import model_inference
from flake8_django_migrations.facts.model_inference import is_model_class

CATALOG_MODELS = """
    from django.db import models
    from django.db.models import Model
    import django.db.models
    from core.models import TimeStamped
    import core.models as core_models


    def make_slug(value):
        return value.lower()


    class Plain(models.Model):
        name = models.CharField(max_length=10)


    class ViaImportedModel(Model):
        pass


    class ViaDottedImport(django.db.models.Model):
        pass


    class Base(models.Model):
        class Meta:
            abstract = True


    class FromLocalBase(Base):
        pass


    class FromOtherApp(TimeStamped):
        pass


    class FromOtherAppByModule(core_models.TimeStamped):
        pass


    class MixedIn(core_models.Mixin, Base):
        pass


    class MoneyField(models.DecimalField):
        pass


    class ChainedField(MoneyField):
        pass


    class ActiveManager(models.Manager):
        pass


    class ProductQuerySet(models.QuerySet):
        pass


    class ProductManager(models.Manager.from_queryset(ProductQuerySet)):
        pass


    class Unresolvable(SomethingNeverDefined):
        pass


    class FromMissingModule(Missing):
        pass


    class FromCall(make_base()):
        pass


    class NoBases:
        pass


    class OnlyMixins(core_models.Mixin, object):
        pass


    class SelfReferential(SelfReferential):
        pass


    Alias = Plain
    FieldAlias = models.IntegerField
    CONSTANT = 3
    try:
        from missingpkg.bases import Missing
    except ImportError:
        Missing = None
"""

CORE_MODELS = """
    from django.db import models


    class Mixin:
        def describe(self):
            return str(self)


    class TimeStamped(models.Model):
        created = models.DateTimeField(auto_now_add=True)

        class Meta:
            abstract = True
"""


def write(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def migration(root: Path, app: str = "catalog") -> str:
    return str(write(root, f"{app}/migrations/0002_data.py", "from django.db import migrations\n"))


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    model_inference.clear_cache()
    yield
    model_inference.clear_cache()


@pytest.fixture
def project(tmp_path: Path) -> str:
    write(tmp_path, "catalog/__init__.py", "")
    write(tmp_path, "catalog/models.py", CATALOG_MODELS)
    write(tmp_path, "core/__init__.py", "")
    write(tmp_path, "core/models.py", CORE_MODELS)
    return migration(tmp_path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Plain", True),
        ("ViaImportedModel", True),
        ("ViaDottedImport", True),
        ("Base", True),
        ("FromLocalBase", True),
        ("FromOtherApp", True),
        ("FromOtherAppByModule", True),
        ("MixedIn", True),  # one Model base is enough, whatever the others are
        ("Alias", True),
        ("MoneyField", False),
        ("ChainedField", False),
        ("FieldAlias", False),
        ("ActiveManager", False),
        ("ProductQuerySet", False),
        ("ProductManager", False),
        ("make_slug", False),
        ("NoBases", False),
        ("OnlyMixins", False),
        ("CONSTANT", False),
        ("Unresolvable", None),
        ("FromMissingModule", None),  # its base is None or a class from a module that does not exist
        ("FromCall", None),
        ("SelfReferential", None),
        ("NotDefinedAnywhere", None),
    ],
)
def test_names_in_an_app_models_module(project: str, name: str, expected: bool | None) -> None:
    assert is_model_class("catalog.models", name, project) is expected


def test_missing_module(project: str) -> None:
    assert is_model_class("nosuchapp.models", "Thing", project) is None


def test_empty_arguments(project: str) -> None:
    assert is_model_class("", "Thing", project) is None
    assert is_model_class("catalog.models", "", project) is None


def test_models_package_reexporting_a_submodule(tmp_path: Path) -> None:
    write(tmp_path, "catalog/models/__init__.py", """
        from .product import Product, PriceField
        from catalog.models.tag import *
        from . import helpers
    """)
    write(tmp_path, "catalog/models/product.py", """
        from django.db import models
        from ..fields import BaseField


        class Product(models.Model):
            pass


        class PriceField(BaseField):
            pass
    """)
    write(tmp_path, "catalog/models/tag.py", """
        from django.db.models import Model, Manager


        class Tag(Model):
            pass


        class TagManager(Manager):
            pass
    """)
    write(tmp_path, "catalog/models/helpers.py", "def helper():\n    pass\n")
    write(tmp_path, "catalog/fields.py", """
        from django.db import models


        class BaseField(models.Field):
            pass
    """)
    path = migration(tmp_path)
    assert is_model_class("catalog.models", "Product", path) is True
    assert is_model_class("catalog.models", "PriceField", path) is False
    assert is_model_class("catalog.models", "Tag", path) is True  # through the star import
    assert is_model_class("catalog.models", "TagManager", path) is False
    assert is_model_class("catalog.models", "Missing", path) is None
    assert is_model_class("catalog.models.helpers", "helper", path) is False
    assert is_model_class("catalog.models", "helpers", path) is None  # a module, not a class


def test_nested_project_package(tmp_path: Path) -> None:
    write(tmp_path, "shop/catalog/models.py", """
        from django.db import models
        from ..core.models import Stamped


        class Thing(Stamped):
            pass
    """)
    write(tmp_path, "shop/core/models.py", """
        from django.db import models


        class Stamped(models.Model):
            pass
    """)
    path = str(write(tmp_path, "shop/catalog/migrations/0003_x.py", ""))
    assert is_model_class("shop.catalog.models", "Thing", path) is True


def test_syntax_error_in_models(tmp_path: Path) -> None:
    write(tmp_path, "catalog/models.py", "from django.db import models\n\nclass Broken(models.Model:\n    pass\n")
    assert is_model_class("catalog.models", "Broken", migration(tmp_path)) is None


def test_syntax_error_in_a_base_module(tmp_path: Path) -> None:
    write(tmp_path, "catalog/models.py", """
        from core.models import TimeStamped


        class Thing(TimeStamped):
            pass
    """)
    write(tmp_path, "core/models.py", "class TimeStamped(:\n")
    assert is_model_class("catalog.models", "Thing", migration(tmp_path)) is None


def test_static_recognition_does_not_need_django(
    project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in flake8's own environment: Django is neither importable nor findable on sys.path. The tree has no
    # django/ directory either, so `models.Model` can only be recognised from how it is written and imported.
    assert not (tmp_path / "django").exists()
    monkeypatch.setattr(model_inference, "_locate_installed", lambda module: None)
    monkeypatch.setitem(sys.modules, "django", None)  # `import django` now raises ImportError
    assert is_model_class("catalog.models", "Plain", project) is True
    assert is_model_class("catalog.models", "FromOtherApp", project) is True
    assert is_model_class("catalog.models", "MoneyField", project) is False
    assert is_model_class("catalog.models", "ActiveManager", project) is False


def test_contrib_bases_are_known_without_django(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_inference, "_locate_installed", lambda module: None)
    write(tmp_path, "accounts/models.py", """
        from django.contrib.auth.models import AbstractUser, UserManager
        from django.contrib.auth.base_user import BaseUserManager
        from django.contrib.postgres.fields import ArrayField
        from django.contrib.contenttypes.fields import GenericRelation


        class User(AbstractUser):
            pass


        class CustomUserManager(UserManager):
            pass


        class TagsField(ArrayField):
            pass


        class Related(GenericRelation):
            pass
    """)
    path = migration(tmp_path, "accounts")
    assert is_model_class("accounts.models", "User", path) is True
    assert is_model_class("accounts.models", "CustomUserManager", path) is False
    assert is_model_class("accounts.models", "TagsField", path) is False
    assert is_model_class("accounts.models", "Related", path) is False


def test_installed_base_is_followed_when_findable(tmp_path: Path) -> None:
    # Django is installed in the test environment: a contrib model the table does not list is read from it.
    pytest.importorskip("django")
    write(tmp_path, "catalog/models.py", """
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth.mixins import LoginRequiredMixin


        class AuditEntry(LogEntry):
            pass


        class View(LoginRequiredMixin):
            pass
    """)
    path = migration(tmp_path)
    assert is_model_class("catalog.models", "AuditEntry", path) is True
    assert is_model_class("catalog.models", "View", path) is False


def test_conditional_bindings_must_agree(tmp_path: Path) -> None:
    write(tmp_path, "catalog/models.py", """
        from django.db import models

        try:
            from core.bases import Base
        except ImportError:
            Base = models.Model

        if True:
            Both = models.Model
        else:
            Both = models.Model

        if False:
            Either = models.Model
        else:
            Either = models.Field

        Base2 = models.Model
        Base2 = models.Field  # an unconditional rebinding replaces the first


        class Thing(Base):
            pass
    """)
    path = migration(tmp_path)
    # Which branch runs is not known: an answer only when every candidate gives it, never a guess.
    assert is_model_class("catalog.models", "Thing", path) is None
    assert is_model_class("catalog.models", "Both", path) is True
    assert is_model_class("catalog.models", "Either", path) is None
    assert is_model_class("catalog.models", "Base2", path) is False


def test_import_cycle_between_modules(tmp_path: Path) -> None:
    write(tmp_path, "a/models.py", "from b.models import Thing\n")
    write(tmp_path, "b/models.py", "from a.models import Thing\n")
    assert is_model_class("a.models", "Thing", migration(tmp_path, "a")) is None


def test_long_chain_stops_at_the_depth_limit(tmp_path: Path) -> None:
    for index in range(30):
        write(tmp_path, f"m{index}/models.py", f"from m{index + 1}.models import Thing\n")
    write(tmp_path, "m30/models.py", "from django.db import models\n\nclass Thing(models.Model):\n    pass\n")
    assert is_model_class("m29.models", "Thing", migration(tmp_path, "m29")) is True
    assert is_model_class("m0.models", "Thing", migration(tmp_path, "m0")) is None


def test_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "catalog/models.py", "class Thing:\n    pass\n")

    def boom(*args: object) -> None:
        raise RuntimeError("astroid broke")

    monkeypatch.setattr(model_inference, "_read_module", boom)
    assert is_model_class("catalog.models", "Thing", migration(tmp_path)) is None
    assert is_model_class("catalog.models", "Thing", "\0not a path") is None


def test_undecodable_file_is_read_as_flake8_reads_it(tmp_path: Path) -> None:
    """Invalid UTF-8 falls back to latin-1 (flake8's reading of it); a module that does not parse is unknown."""
    path = tmp_path / "catalog" / "models.py"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"# -*- coding: utf-8 -*-\nclass Thing:\n    x = '\xff\xfe'\n")
    assert is_model_class("catalog.models", "Thing", migration(tmp_path)) is False
    path.write_bytes(b"class Thing(:\n")
    bump_mtime(path)
    assert is_model_class("catalog.models", "Thing", migration(tmp_path)) is None


def test_cache_sees_edits_to_the_module_and_to_its_bases(project: str, tmp_path: Path) -> None:
    assert is_model_class("catalog.models", "FromOtherApp", project) is True
    core = tmp_path / "core" / "models.py"
    core.write_text("from django.db import models\n\nclass TimeStamped(models.Field):\n    pass\n")
    bump_mtime(core)
    assert is_model_class("catalog.models", "FromOtherApp", project) is False

    catalog = tmp_path / "catalog" / "models.py"
    catalog.write_text("def FromOtherApp():\n    pass\n")
    bump_mtime(catalog)
    assert is_model_class("catalog.models", "FromOtherApp", project) is False
    catalog.write_text("from django.db import models\n\nclass FromOtherApp(models.Model):\n    pass\n")
    bump_mtime(catalog)
    assert is_model_class("catalog.models", "FromOtherApp", project) is True


def test_cache_is_bounded(project: str) -> None:
    for index in range(model_inference.CACHE_SIZE + 50):
        is_model_class("catalog.models", f"Name{index}", project)
    assert len(model_inference._CACHE) == model_inference.CACHE_SIZE


def test_parsing_leaves_astroid_cache_alone(project: str) -> None:
    import astroid  # type: ignore[import-untyped]

    before = set(astroid.MANAGER.astroid_cache)
    assert is_model_class("catalog.models", "FromOtherApp", project) is True
    assert set(astroid.MANAGER.astroid_cache) == before


def bump_mtime(path: Path) -> None:
    """Make an edit visible even on file systems with coarse timestamps."""
    stamp = time.time() + 10
    os.utime(path, (stamp, stamp))

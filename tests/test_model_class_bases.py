"""``is_model_class`` decides on the bases it can follow: a base it cannot follow (a module that is not there, a
name bound by unpacking, a call, a name defined in terms of itself) leaves the verdict to the others, so a class
with ``models.Model`` among its bases is a model whatever else it mixes in. (DJM103 reports ``Product(...)`` in a
migration only when this says True.)"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.facts.model_inference import is_model_class


def project(root: Path, files: dict[str, str]) -> str:
    """Write ``files`` (relative path -> source) below ``root``; the path of a migration of ``shop``."""
    for relative, source in {"shop/__init__.py": "", "shop/migrations/__init__.py": "", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return str(root / "shop" / "migrations" / "0002_x.py")


@pytest.mark.parametrize("models_py", [
    pytest.param(
        """
        from django.db import models
        from unknown_lib.mixins import TimestampMixin


        class Product(TimestampMixin, models.Model):
            pass
        """,
        id="a base imported from a module that is nowhere",
    ),
    pytest.param(
        """
        from django.db import models
        from shop.factories import build_mixins

        TimestampMixin, AuditMixin = build_mixins()


        class Product(TimestampMixin, models.Model):
            pass
        """,
        id="a base bound by unpacking",
    ),
    pytest.param(
        """
        from django.db import models
        from shop.factories import make_base


        class Product(make_base(), models.Model):
            pass
        """,
        id="a base that is a call of a function",
    ),
    pytest.param(
        """
        from django.db import models

        try:
            Mixin = Mixin
        except NameError:
            class Mixin:
                pass


        class Product(Mixin, models.Model):
            pass
        """,
        id="a base defined in terms of itself",
    ),
])
def test_a_base_that_cannot_be_followed_leaves_the_verdict_to_models_model(tmp_path: Path, models_py: str) -> None:
    migration = project(tmp_path, {"shop/models.py": models_py, "shop/factories.py": "def make_base(): ...\n"})
    assert is_model_class("shop.models", "Product", migration) is True


def test_a_module_aliased_in_an_import_of_several_modules(tmp_path: Path) -> None:
    migration = project(tmp_path, {
        "shop/base.py": """
            from django.db import models


            class TimestampedModel(models.Model):
                class Meta:
                    abstract = True
            """,
        "shop/extra.py": "",
        "shop/models.py": """
            import shop.base as base, shop.extra as extra


            class Product(base.TimestampedModel):
                pass


            class Helper(extra.Thing):
                pass
            """,
    })
    assert is_model_class("shop.models", "Product", migration) is True
    assert is_model_class("shop.models", "Helper", migration) is None

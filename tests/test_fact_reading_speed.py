"""The shortcuts that make reading facts fast give the answers of the general code they skip (issue 26): the walk
without ``ast.walk``'s generators, the module names of a body without blocks, the class found before any block, and
the check that lets a migration without live-model imports skip working out what its operations are handed."""

from __future__ import annotations

import ast

import pytest

from flake8_django_migrations.facts.functions import walk_nodes
from flake8_django_migrations.facts.live_models import find_live_models, may_reach_live_models
from flake8_django_migrations.facts.migration import extract_facts, find_migration_class
from flake8_django_migrations.facts.names import Imports, ModuleNames
from flake8_django_migrations.source import module_level_statements

SOURCES = {
    "plain": (
        "from django.db import migrations, models\n\n\n"
        "def forwards(apps, schema_editor):\n"
        "    Order = apps.get_model('shop', 'Order')\n"
        "    for order in Order.objects.all():\n"
        "        order.total = [x async for x in y] if order.paid else {k: v for k, v in z}\n"
        "        order.save()\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.RunPython(forwards, lambda apps, se: None)]\n"
    ),
    "blocks_before_the_class": (
        "import django.db.models.deletion\n"
        "try:\n    from shop import models as shop_models\nexcept ImportError:\n    shop_models = None\n"
        "if True:\n    class Migration:\n        atomic = False\n"
        "from django.db import migrations\n"
        "class Base:\n    pass\n"
        "class Migration(migrations.Migration):\n    operations = []\n"
    ),
    "rebound_names": (
        "from django.db import migrations\nfrom django.db import migrations\n"
        "ops = []\nops += [1]\nclass Base: pass\nBase = object\n"
        "with open('x') as handle:\n    class Inner: pass\n"
        "class Migration(migrations.Migration):\n    operations = ops\n"
    ),
    "import_in_a_method": (
        "from django.db import migrations\n\n\n"
        "class Helper:\n    def run(self):\n        if self:\n            from shop.models import Order\n"
        "            Order.objects.all()\n\n\n"
        "class Migration(migrations.Migration):\n    operations = []\n"
    ),
}


def _ast_walk_without_contexts(tree: ast.AST) -> list[ast.AST]:
    return [node for node in ast.walk(tree) if not isinstance(node, ast.expr_context)]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_walk_nodes_visits_what_ast_walk_does_in_the_same_order(name: str) -> None:
    tree = ast.parse(SOURCES[name])
    assert walk_nodes(tree) == _ast_walk_without_contexts(tree)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_module_names_of_a_body_without_blocks_are_those_of_the_general_reading(name: str) -> None:
    tree = ast.parse(SOURCES[name])
    # The same module after an `if` that binds nothing: read the general way, block by block.
    guarded = ast.parse("if False:\n    pass\n" + SOURCES[name])
    plain, general = ModuleNames.read(tree, None), ModuleNames.read(guarded, None)
    assert (plain.imports, plain.ambiguous, plain.star_import) == (general.imports, general.ambiguous,
                                                                   general.star_import)
    assert {name: node.lineno + 2 for name, node in plain.classes.items()} == {
        name: node.lineno for name, node in general.classes.items()
    }
    assert Imports.collect(tree, "shop").bindings == Imports.collect(guarded, "shop").bindings


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_migration_class_is_the_first_in_module_order(name: str) -> None:
    tree = ast.parse(SOURCES[name])
    expected = next(
        (node for node in module_level_statements(tree.body)
         if isinstance(node, ast.ClassDef) and node.name == "Migration"),
        None,
    )
    assert find_migration_class(tree.body) is expected


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_module_said_not_to_reach_live_models_has_none(name: str) -> None:
    tree = ast.parse(SOURCES[name])
    imports = Imports.collect(tree, "shop")
    found = find_live_models(imports, tree, "shop/migrations/0002_x.py", handed=None)
    if not may_reach_live_models(imports, tree):
        assert found.uses == () and not found.read_models_modules


def test_an_import_in_a_method_is_reached_and_found() -> None:
    tree = ast.parse(SOURCES["import_in_a_method"])
    assert may_reach_live_models(Imports.collect(tree, "shop"), tree)
    facts = extract_facts(tree, "shop/migrations/0002_x.py", source=SOURCES["import_in_a_method"])
    assert facts is not None and [use.model for use in facts.live_models] == ["shop.models.Order"]

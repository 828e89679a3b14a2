"""Operations written the way Django's own signatures allow: positional arguments get Django's parameter names, an
operation with every parameter given positionally is still fully known, and ``atomic = True`` written out is the
same as the default."""

from __future__ import annotations

import ast

import pytest

from flake8_django_migrations.facts import extract_facts
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.registry import RULES, check_facts
from flake8_django_migrations.rules.schema import builds_index
from flake8_django_migrations.settings import Settings

PATH = "shop/migrations/0002_x.py"
HEADER = '''from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
'''  # the class body starts on line 10


def findings(body: str) -> list[Finding]:
    facts = extract_facts(ast.parse(HEADER + body), PATH)
    assert facts is not None
    return sorted(check_facts(facts, Settings()), key=lambda finding: finding.sort_key)


@pytest.mark.parametrize(("operation", "kind"), [
    ('migrations.AlterIndexTogether("order", {("region", "created_at")})', "AlterIndexTogether"),
    ('migrations.AlterUniqueTogether("order", {("region", "created_at")})', "AlterUniqueTogether"),
])
def test_a_together_option_given_positionally_builds_an_index(operation: str, kind: str) -> None:
    body = f"    dependencies = [(\"shop\", \"0001_initial\")]\n    operations = [{operation}]\n"
    facts = extract_facts(ast.parse(HEADER + body), PATH)
    assert facts is not None
    (op,) = facts.operations
    option = "unique_together" if kind == "AlterUniqueTogether" else "index_together"
    assert (op.kind, op.model_name, op.param(option)) == (kind, "order", (("region", "created_at"),))
    assert builds_index(op)


def test_an_operation_with_every_parameter_positional_is_fully_known() -> None:
    """``RenameField(model_name, old_name, new_name)`` fills Django's whole signature: the operations list is still
    complete, so mixing it with a ``RunPython`` in an atomic migration is reported."""
    body = (
        '    dependencies = [("shop", "0001_initial")]\n'
        "    operations = [\n"
        '        migrations.RenameField("customer", "name", "full_name"),\n'
        "        migrations.RunPython(forwards, migrations.RunPython.noop),\n"
        "    ]\n"
    )
    # DJM204 is a project rule: what the renamed field was is found along the graph.
    assert findings(body) == [RULES["DJM104"].finding(PATH, 13, 8, operation="RunPython")]


def test_an_operation_with_more_arguments_than_django_takes_is_not_known() -> None:
    body = (
        '    dependencies = [("shop", "0001_initial")]\n'
        "    operations = [\n"
        '        migrations.RenameField("customer", "name", "full_name", "extra"),\n'
        "        migrations.RunPython(forwards, migrations.RunPython.noop),\n"
        "    ]\n"
    )
    facts = extract_facts(ast.parse(HEADER + body), PATH)
    assert facts is not None and facts.operations_complete is False
    assert findings(body) == []  # what the list holds is not known: no DJM104


@pytest.mark.parametrize(("atomic", "reported"), [
    ("", True), ("    atomic = True\n", True), ("    atomic = False\n", False),
])
def test_atomic_true_written_out_is_the_default(atomic: str, reported: bool) -> None:
    body = (
        f'{atomic}    dependencies = [("shop", "0001_initial")]\n'
        '    operations = [AddIndexConcurrently("order", models.Index(fields=["region"], name="order_region"))]\n'
    )
    line = 11 + bool(atomic)
    expected = [RULES["DJM206"].finding(PATH, line, 18, operation="AddIndexConcurrently")] if reported else []
    assert findings(body) == expected


def test_a_run_python_function_from_another_module_is_named_by_its_own_name() -> None:
    source = (
        "from django.db import migrations\n"
        "from project.data import fixes\n"
        "\n"
        "\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.RunPython(fixes.load_prices)]\n"
    )
    facts = extract_facts(ast.parse(source), PATH)
    assert facts is not None
    assert list(check_facts(facts, Settings())) == [RULES["DJM101"].finding(PATH, 6, 18, code="load_prices")]

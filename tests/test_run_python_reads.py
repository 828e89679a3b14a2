"""What a ``RunPython`` function reads of another app's models, seen through DJM401: every way of naming the model and
every way of reading a field that the facts claim to follow gives the finding, at the place of the read.

The project: ``accounts`` creates ``Customer`` in 0001 and adds ``unique_id`` in 0002; ``orders.0002_fill`` depends
on ``accounts.0001`` only, so every read of ``unique_id`` there is a read before its creation."""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.registry import PROJECT_RULES, RULES
from flake8_django_migrations.settings import Settings
from tests.graph_trees import app, tree, write_tree

SETTINGS = Settings(use_cache=False, database="sqlite")  # the lock rules (DJM905) are not what these cases are about

ACCOUNTS_INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[("id", models.AutoField(primary_key=True)), ("email", models.EmailField(max_length=254))],
        ),
    ]
'''
ACCOUNTS_UNIQUE_ID = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.AddField("customer", "unique_id", models.CharField(max_length=32, null=True))]
'''
ORDERS_INITIAL = '''from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("accounts", "0001_initial")]
    operations = []
'''
# The function's body starts on line 5.
ORDERS_FILL = '''from django.db import migrations


def fill(apps, schema_editor):
{body}


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython({code}, {reverse_code})]
'''


def reader_project(root: Path, body: str, code: str = "fill", reverse_code: str = "migrations.RunPython.noop") -> Path:
    fill = ORDERS_FILL.format(body=body, code=code, reverse_code=reverse_code)
    return write_tree(root, tree(
        app("accounts", {"0001_initial": ACCOUNTS_INITIAL, "0002_customer_unique_id": ACCOUNTS_UNIQUE_ID}),
        app("orders", {"0001_initial": ORDERS_INITIAL, "0002_fill": fill}),
    ))


def read_before_create(root: Path, line: int, col: int) -> Finding:
    path = str(root / "orders" / "migrations" / "0002_fill.py")
    return RULES["DJM401"].finding(
        path, line, col, target="accounts.customer.unique_id", creator="accounts.0002_customer_unique_id",
        dependency='("accounts", "0002_customer_unique_id")',
    )


def project_findings(root: Path) -> tuple[Finding, ...]:
    return run_rules(ProjectRun(str(root), SETTINGS).index(), PROJECT_RULES, ProjectRun(str(root), SETTINGS).settings)


@pytest.mark.parametrize(("body", "line", "col"), [
    pytest.param(
        '    Customer = apps.get_model("accounts.Customer")\n'
        '    return list(Customer.objects.values_list("unique_id", flat=True))',
        6, 45, id="get_model with one dotted string",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    Customer.objects.filter(unique_id__isnull=True).delete()',
        6, 46, id="a lookup keyword of filter()",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    for customer in Customer.objects.all():\n'
        '        print(customer.unique_id)',
        7, 14, id="an attribute of the instances a for loop walks",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    customer = Customer.objects.get(pk=1)\n'
        '    return customer.unique_id',
        7, 11, id="an attribute of the instance get() returns",
    ),
])
def test_each_kind_of_read_is_followed(tmp_path: Path, body: str, line: int, col: int) -> None:
    root = reader_project(tmp_path, body)
    assert project_findings(root) == (read_before_create(root, line, col),)


@pytest.mark.parametrize("body", [
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    return list(Customer.objects.values_list("email", flat=True))',
        id="a field that 0001 creates",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    customers = Customer.objects.filter(email="")\n'
        '    return customers.unique_id',
        id="an attribute of a queryset, not of an instance",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    for email in Customer.objects.values_list("email", flat=True):\n'
        '        print(email.unique_id)',
        id="values_list() rows are not instances",
    ),
    pytest.param(
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    return list(Customer.objects.values_list("no_such_field", flat=True))',
        id="a field no migration creates: a typo Django reports itself",
    ),
])
def test_what_is_not_a_read_of_the_missing_field(tmp_path: Path, body: str) -> None:
    assert project_findings(reader_project(tmp_path, body)) == ()


def test_the_reverse_function_is_not_read_by_the_forward_migration(tmp_path: Path) -> None:
    """Unapplying runs the reverse function against the state after this migration, not before it: what it reads
    is not a read of the forward migration."""
    body = (
        '    Customer = apps.get_model("accounts", "Customer")\n'
        '    return list(Customer.objects.values_list("unique_id", flat=True))'
    )
    root = reader_project(tmp_path, body, code="migrations.RunPython.noop", reverse_code="fill")
    assert project_findings(root) == ()

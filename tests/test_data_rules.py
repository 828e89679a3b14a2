"""DJM104 on facts built directly: a migration whose ``atomic`` is unknown (``None``, e.g. inherited from a base class
that cannot be read) is not reported, whatever it mixes; the same operations in an atomic migration are."""

from __future__ import annotations

import pytest

from flake8_django_migrations.facts import MigrationFacts, Operation, Ref
from flake8_django_migrations.registry import RULES, check_facts
from flake8_django_migrations.settings import Settings

PATH = "shop/migrations/0002_region.py"
NOOP = Ref("django.db.migrations.RunPython.noop")
OPERATIONS = (
    Operation("AddField", "django.db.migrations.AddField", 11, 8, {"model_name": "order", "name": "region"}),
    Operation("RunPython", "django.db.migrations.RunPython", 12, 8, {"code": Ref("fill"), "reverse_code": NOOP}),
    Operation("RunSQL", "django.db.migrations.RunSQL", 13, 8, {"sql": "UPDATE shop_order SET region = 'eu'"}),
)


def mixed_findings(atomic: bool | None) -> list[tuple[int, int, str]]:
    facts = MigrationFacts(PATH, "shop", "0002_region", 9, 0, atomic=atomic, operations=OPERATIONS)
    return [(f.line, f.col, f.message) for f in check_facts(facts, Settings(), [RULES["DJM104"]])]


@pytest.mark.parametrize("atomic", [None, False])
def test_a_migration_not_known_to_be_atomic_is_not_reported(atomic: bool | None) -> None:
    assert mixed_findings(atomic) == []


def test_the_same_operations_in_an_atomic_migration_are_reported_for_each_data_operation() -> None:
    assert mixed_findings(True) == [
        (12, 8, "this atomic migration changes data with `RunPython` and also changes the schema"),
        (13, 8, "this atomic migration changes data with `RunSQL` and also changes the schema"),
    ]

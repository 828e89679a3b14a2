"""Operation lists that are not one literal: ``a if X else b``, lists joined with ``+`` or unpacked with ``*``, and
module-level lists named in them. Every operation written is read; those that run only on some paths are
``conditional``, and the list is complete only when nothing in it depends on a condition or is unknown."""

from __future__ import annotations

import ast

import pytest

from flake8_django_migrations.facts import MigrationFacts, extract_facts

HEADER = "from django.conf import settings\nfrom django.db import migrations\n"
ADD = "migrations.AddField('order', 'a', None)"
REMOVE = "migrations.RemoveField('order', 'b')"
SQL = "migrations.RunSQL('SELECT 1', migrations.RunSQL.noop)"


def facts_of(module_level: str, operations: str, class_level: str = "") -> MigrationFacts:
    source = (
        f"{HEADER}{module_level}\n\n"
        f"class Migration(migrations.Migration):\n{class_level}    operations = {operations}\n"
    )
    facts = extract_facts(ast.parse(source), "shop/migrations/0002_x.py")
    assert facts is not None
    return facts


def shape(facts: MigrationFacts) -> list[tuple[str | None, bool]]:
    return [(op.kind, op.conditional) for op in facts.operations]


@pytest.mark.parametrize(("module_level", "operations", "expected", "complete"), [
    ("", f"[{ADD}] if settings.X else [{REMOVE}]", [("AddField", True), ("RemoveField", True)], False),
    ("", f"[{ADD}] + ([{REMOVE}] if settings.X else [])", [("AddField", False), ("RemoveField", True)], False),
    ("", f"[{ADD}] + [{REMOVE}]", [("AddField", False), ("RemoveField", False)], True),
    ("", f"({ADD},) + ({REMOVE},)", [("AddField", False), ("RemoveField", False)], True),
    (f"BASE = [{ADD}]", f"BASE + [{REMOVE}]", [("AddField", False), ("RemoveField", False)], True),
    (f"BASE = [{ADD}]", f"[*BASE, {REMOVE}]", [("AddField", False), ("RemoveField", False)], True),
    (f"BASE: list = [{ADD}]", f"BASE + [{REMOVE}]", [("AddField", False), ("RemoveField", False)], True),
    (f"A = [{ADD}]\nB = A + [{SQL}]", f"B + [{REMOVE}]",
     [("AddField", False), ("RunSQL", False), ("RemoveField", False)], True),
    (f"if settings.X:\n    BASE = [{ADD}]\nelse:\n    BASE = []", f"BASE + [{REMOVE}]",
     [("AddField", True), ("RemoveField", False)], False),
    (f"BASE = [{ADD}] if settings.X else []", f"[{REMOVE}, *BASE]", [("RemoveField", False), ("AddField", True)],
     False),
])
def test_every_branch_is_read(
    module_level: str, operations: str, expected: list[tuple[str, bool]], complete: bool
) -> None:
    facts = facts_of(module_level, operations)
    assert shape(facts) == expected
    assert facts.operations_complete is complete


@pytest.mark.parametrize(("module_level", "operations"), [
    pytest.param("from shop.ops import BASE", f"BASE + [{ADD}]", id="imported_list"),
    pytest.param(f"BASE = [{REMOVE}]\nBASE.append({SQL})", f"BASE + [{ADD}]", id="list_changed_after"),
    pytest.param(f"BASE = [{REMOVE}]\nBASE += [{SQL}]", f"BASE + [{ADD}]", id="augmented"),
    pytest.param("def make():\n    return []", f"make() + [{ADD}]", id="call"),
    pytest.param("", f"UNDEFINED + [{ADD}]", id="undefined"),
    pytest.param("A = B + []\nB = A + []", f"A + [{ADD}]", id="cycle"),
    pytest.param(f"BASE = [{REMOVE}]", f"[{ADD}] + [op for op in BASE]", id="comprehension"),
    pytest.param(f"BASE, OTHER = [{REMOVE}], [{SQL}]", f"BASE + [{ADD}]", id="unpacking"),
])
def test_what_cannot_be_read_leaves_the_list_incomplete(module_level: str, operations: str) -> None:
    facts = facts_of(module_level, operations)
    assert shape(facts) == [("AddField", False)]
    assert facts.operations_complete is False


def test_a_name_of_the_class_body_is_the_class_body_list_not_the_module_level_one() -> None:
    # In a class body, a name bound earlier in the class is found before the module's (Python's own lookup).
    facts = facts_of(f"BASE = [{REMOVE}]", f"BASE + [{ADD}]", class_level=f"    BASE = [{SQL}]\n")
    assert shape(facts) == [("RunSQL", False), ("AddField", False)]
    assert facts.operations_complete is True


def test_an_if_block_in_the_class_body_gives_conditional_operations() -> None:
    source = (
        f"{HEADER}\n\nclass Migration(migrations.Migration):\n"
        f"    operations = [{ADD}]\n"
        f"    if settings.X:\n        operations = [{REMOVE}]\n"
    )
    facts = extract_facts(ast.parse(source), "shop/migrations/0002_x.py")
    assert facts is not None
    assert shape(facts) == [("AddField", False), ("RemoveField", True)]
    assert facts.operations_complete is False


def test_branches_inside_separate_database_and_state_keep_their_side() -> None:
    operations = (
        "[migrations.SeparateDatabaseAndState("
        f"database_operations=[{REMOVE}] if settings.X else [], state_operations=[{ADD}])]"
    )
    facts = facts_of("", operations)
    assert [(op.kind, op.side, op.conditional) for op in facts.operations] == [
        ("SeparateDatabaseAndState", "both", False), ("RemoveField", "database", True), ("AddField", "state", False),
    ]
    assert facts.operations_complete is False


@pytest.mark.parametrize("call", [
    "migrations.RunPython(*settings.STEPS)",
    "migrations.RunPython(forwards, **settings.OPTIONS)",
])
def test_unpacked_arguments_leave_the_parameters_unknown_not_absent(call: str) -> None:
    facts = facts_of("def forwards(apps, schema_editor):\n    pass", f"[{call}]")
    (operation,) = facts.operations
    assert "reverse_code" in operation.params and operation.param("reverse_code") is not None
    assert facts.operations_complete is False


def test_a_long_chain_of_module_level_lists_is_bounded() -> None:
    module_level = "L0 = []\n" + "".join(f"L{i} = L{i - 1} + []\n" for i in range(1, 50))
    facts = facts_of(module_level, f"L49 + [{ADD}]")
    assert shape(facts) == [("AddField", False)]
    assert facts.operations_complete is False


def test_a_concatenation_deeper_than_the_recursion_limit_is_unknown_not_a_crash() -> None:
    facts = facts_of("", " + ".join(["[]"] * 1500))
    assert facts.operations == () and facts.operations_complete is False

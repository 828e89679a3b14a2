"""The project pass visits what a rule asks about, not every migration once per rule, and answers what a field was
before each removal in the walk that answers every other such question: same answers, less work."""

from __future__ import annotations

import ast

from flake8_django_migrations.facts import MigrationFacts, extract_facts
from flake8_django_migrations.project.graph import Key, build_graph
from flake8_django_migrations.project.state import ModelState
from tests.test_linearity import assert_linear


def _facts(app: str, name: str, dependencies: list[tuple[str, str]], operations: list[str]) -> MigrationFacts:
    source = (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f"    dependencies = {dependencies!r}\n    operations = [{', '.join(operations)}]\n"
    )
    facts = extract_facts(ast.parse(source), f"{app}/migrations/{name}.py")
    assert facts is not None
    return facts


def _state(migrations: dict[Key, MigrationFacts]) -> ModelState:
    return ModelState(build_graph(migrations, {app for app, _ in migrations}, {}), migrations, {})


def merged_history() -> dict[Key, MigrationFacts]:
    """``shop``: a model, two branches that change and remove its fields, a merge, and removals after it."""
    fields = ", ".join(f'("f{i}", models.IntegerField())' for i in range(4))
    return {
        ("shop", "0001_a"): _facts("shop", "0001_a", [], [
            f'migrations.CreateModel("Item", [("id", models.AutoField(primary_key=True)), {fields}])',
        ]),
        ("shop", "0002_b"): _facts("shop", "0002_b", [("shop", "0001_a")], [
            'migrations.AlterField("item", "f0", models.IntegerField(default=2))',
            'migrations.RemoveField("item", "f1")',
        ]),
        ("shop", "0002_c"): _facts("shop", "0002_c", [("shop", "0001_a")], [
            'migrations.AlterField("item", "f0", models.IntegerField(default=3))',
            'migrations.RenameField("item", "f2", "g2")',
        ]),
        ("shop", "0003_merge"): _facts("shop", "0003_merge", [("shop", "0002_b"), ("shop", "0002_c")], []),
        ("shop", "0004_d"): _facts("shop", "0004_d", [("shop", "0003_merge")], [
            'migrations.RemoveField("item", "f0")',
            'migrations.AddIndex("item", models.Index(fields=["f3"], name="f3_idx"))',
            'migrations.RemoveField("item", "f3")',
        ]),
        ("shop", "0005_e"): _facts("shop", "0005_e", [("shop", "0004_d")], ['migrations.RunSQL("SELECT 1")']),
    }


def test_what_a_removed_field_was_is_what_the_search_finds() -> None:
    migrations = merged_history()
    state = _state(migrations)
    asked = 0
    for node, facts in migrations.items():
        for position, op in enumerate(facts.operations):
            if op.kind not in ("RemoveField", "RenameField"):
                continue
            name = op.param("name" if op.kind == "RemoveField" else "old_name")
            assert isinstance(name, str) and op.model_name is not None
            searched = state._search_setter(node, (node[0], "item", name), state.definitions)
            expected = state._definition_in(searched.operation, name) if searched is not None else None
            assert state.field_before(node, position, op.model_name, name) == expected
            asked += 1
    assert asked == 4


def test_migrations_with_keeps_the_order_of_the_index() -> None:
    migrations = merged_history()
    state = _state(migrations)
    for kinds in (("RemoveField",), ("AddIndex", "RunSQL"), ("RenameField", "AlterField"), ("DeleteModel",)):
        expected = [
            (key, facts) for key, facts in migrations.items() if any(op.kind in kinds for op in facts.operations)
        ]
        assert state.migrations_with(*kinds) == expected


def removed_one_by_one(count: int) -> dict[Key, MigrationFacts]:
    """``count`` migrations of ``shop``: the first creates a model with a field per later migration, each of which
    removes its field."""
    fields = ", ".join(f'("f{i}", models.IntegerField())' for i in range(1, count))
    migrations = {("shop", "00000_m"): _facts("shop", "00000_m", [], [
        f'migrations.CreateModel("Item", [("id", models.AutoField(primary_key=True)), {fields}])',
    ])}
    for index in range(1, count):
        name = f"{index:05d}_m"
        migrations[("shop", name)] = _facts("shop", name, [("shop", f"{index - 1:05d}_m")], [
            f'migrations.RemoveField("item", "f{index}")',
        ])
    return migrations


def test_what_each_removed_field_was_is_linear_in_the_history() -> None:
    """Each removal's field was created at the start of a long history: searching back from each was quadratic."""
    histories = {size: removed_one_by_one(size) for size in (200, 4 * 200)}

    def step(size: int) -> None:
        state = _state(histories[size])
        for (_, name), facts in histories[size].items():
            if name != "00000_m":
                field = state.field_before(("shop", name), 0, "item", f"f{int(name[:5])}")
                assert field is not None and field.func == "django.db.models.IntegerField"

    assert_linear(step, 200)

"""What keeps the model state small in a long history (issue 26): ancestor sets kept only for the migrations other
apps depend on (and the last few asked), the operations of a key kept bare while there is one, the same answers."""

from __future__ import annotations

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.project.graph import Key
from flake8_django_migrations.project.state import Events, ModelState, StateEvent
from tests.test_project_pass_speed import _facts, _state, merged_history


def _reach(state: ModelState, node: Key) -> set[Key]:
    found: set[Key] = set()
    todo = list(state.graph.parents.get(node, ()))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(state.graph.parents.get(current, ()))
    return found


def _apps(count: int, length: int) -> dict[Key, MigrationFacts]:
    """``count`` apps of ``length`` migrations each; every fifth migration depends on the one before it in the
    previous app."""
    migrations: dict[Key, MigrationFacts] = {}
    for app_number in range(count):
        app = f"app{app_number}"
        for number in range(1, length + 1):
            dependencies = [(app, f"{number - 1:04d}_m")] if number > 1 else []
            if app_number and number % 5 == 0:
                dependencies.append((f"app{app_number - 1}", f"{number - 1:04d}_m"))
            operations = ['migrations.CreateModel("Item", [("id", models.AutoField(primary_key=True))])'] if (
                number == 1) else [f'migrations.AddField("item", "f{number}", models.IntegerField(null=True))']
            migrations[(app, f"{number:04d}_m")] = _facts(app, f"{number:04d}_m", dependencies, operations)
    return migrations


def test_ancestors_are_kept_for_dependency_targets_only_and_are_exact() -> None:
    state = _state(_apps(6, 40))
    targets = {parent for child, parents in state.graph.parents.items() for parent in parents if parent[0] != child[0]}
    for node in sorted(state.graph.nodes):
        ancestors = state.ancestors(node)
        reached = _reach(state, node)
        assert set(ancestors) == reached and len(ancestors) == len(reached)
        assert all(key in ancestors for key in reached) and node not in ancestors
    assert set(state._ancestors) == targets
    assert len(state._recent_ancestors) <= 64


def test_ancestors_on_a_cycle_are_every_node_reached() -> None:
    migrations = merged_history()
    migrations[("shop", "0001_a")] = _facts("shop", "0001_a", [("shop", "0005_e")], [])
    state = _state(migrations)
    for node in state.graph.nodes:
        assert set(state.ancestors(node)) == _reach(state, node)


def test_the_operations_of_a_key_read_as_a_tuple_and_one_is_kept_bare() -> None:
    migrations = merged_history()
    state = _state(migrations)
    first, second = (StateEvent(node, facts.operations[0]) for node, facts in list(migrations.items())[1:3])
    events = Events()
    events.add(("shop", "item", "f0"), first)
    assert events._by_key[("shop", "item", "f0")] is first
    events.add(("shop", "item", "f0"), second)
    events.add(("shop", "item", None), second)
    assert dict(events) == {("shop", "item", "f0"): (first, second), ("shop", "item", None): (second,)}
    assert events.of(("shop", "item", "f1")) == () and ("shop", "item", "f1") not in events and len(events) == 2
    assert [event.node for event in state.definitions[("shop", "item", "f0")]] == [
        ("shop", "0001_a"), ("shop", "0002_b"), ("shop", "0002_c"),
    ]

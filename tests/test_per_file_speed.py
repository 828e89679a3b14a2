"""The shortcuts of issue 26 give what the long way gives: the per-file rules worked out once per run, the graph's
cycles found once (and skipped by a topological sort when there are none), and the leaves found once."""

from __future__ import annotations

import ast

import pytest

from flake8_django_migrations.facts import Dependency, MigrationFacts, extract_facts
from flake8_django_migrations.project.graph import Key, _cyclic_components, build_graph
from flake8_django_migrations.registry import FILE_RULES, check_facts, running_file_rules, runs
from flake8_django_migrations.run import file_findings
from flake8_django_migrations.settings import Settings, build_settings

SOURCE = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddField("order", "note", models.TextField()),
        migrations.AddIndex("order", models.Index(fields=["note"], name="note_idx")),
        migrations.RunPython(lambda apps, schema_editor: None),
        migrations.RunSQL("UPDATE shop_order SET note = ''"),
    ]
"""

SETTINGS = [
    pytest.param(Settings(), id="default"),
    pytest.param(build_settings(deploy="downtime"), id="downtime"),
    pytest.param(build_settings(enabled_codes=frozenset({"DJM101", "DJM201", "DJM906"})), id="selected"),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_the_running_file_rules_are_those_runs_lets_run(settings: Settings) -> None:
    assert running_file_rules(settings) == tuple(rule for rule in FILE_RULES if runs(rule, settings))


@pytest.mark.parametrize("settings", SETTINGS)
def test_findings_with_the_rules_handed_in_are_those_without(settings: Settings) -> None:
    facts = extract_facts(ast.parse(SOURCE), "/p/shop/migrations/0002_note.py", app_label="shop", source=SOURCE)
    assert facts is not None
    expected = list(check_facts(facts, settings))
    assert expected, "the migration should break some rule"
    assert list(check_facts(facts, settings, running_file_rules(settings))) == expected
    assert list(file_findings(facts, settings, running_file_rules(settings))) == list(file_findings(facts, settings))


def graph_of(edges: dict[str, list[str]]) -> dict[Key, MigrationFacts]:
    return {
        ("a", name): MigrationFacts(
            path=f"/p/a/migrations/{name}.py", app_label="a", name=name, line=5, col=0,
            dependencies=tuple(Dependency("a", parent, 6, 20) for parent in parents),
        )
        for name, parents in edges.items()
    }


@pytest.mark.parametrize(
    "edges",
    [
        pytest.param({"1": [], "2": ["1"], "3": ["1", "2"]}, id="none"),
        pytest.param({"1": ["3"], "2": ["1"], "3": ["2"], "4": ["3"]}, id="one"),
        pytest.param({"1": ["1"], "2": ["1"]}, id="self"),
        pytest.param({"1": ["2"], "2": ["1"], "3": ["4"], "4": ["3", "2"]}, id="two"),
    ],
)
def test_cycles_are_tarjans_components_and_found_once(edges: dict[str, list[str]]) -> None:
    graph = build_graph(graph_of(edges), {"a"}, {})
    expected = sorted(sorted(component) for component in _cyclic_components(graph.nodes, graph.parents))
    first = graph.cycles()
    assert first == expected
    first.clear()  # a caller's list is its own
    assert graph.cycles() == expected
    leaves = graph.leaf_nodes()
    leaves.append(("a", "x"))
    assert graph.leaf_nodes() == sorted(
        node for node in graph.nodes if all(child[0] != node[0] for child in graph.children[node])
    )

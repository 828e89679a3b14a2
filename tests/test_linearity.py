"""Work stays linear in migrations, operations and line length, counted rather than timed: the number of Python
function calls a step makes on an input four times larger is at most about four times as many (the benchmark
measures the time)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from typing import Any

import pytest

from flake8_django_migrations.facts import Dependency, MigrationFacts, extract_facts
from flake8_django_migrations.facts.sql import parse_sql, sql_parser_available
from flake8_django_migrations.output.graph_mermaid import render_mermaid
from flake8_django_migrations.output.graph_view import AppCluster, GraphView, ViewEdge, ViewNode
from flake8_django_migrations.project.graph import Key, build_graph
from flake8_django_migrations.project.state import ModelState
from flake8_django_migrations.registry import check_facts
from flake8_django_migrations.settings import Settings

# Four times the input may cost this much more than four times the calls (dict growth, sorting's log factor).
SLACK = 1.25


def calls(step: Callable[[], Any]) -> int:
    """The Python function calls ``step`` makes (C functions are not counted: they are the constant factor)."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        step()
    finally:
        sys.setprofile(None)
    return count


def assert_linear(step: Callable[[int], Any], size: int) -> None:
    small, large = calls(lambda: step(size)), calls(lambda: step(4 * size))
    assert large <= 4 * SLACK * small, f"{large} calls for 4 x {size}, {small} for {size}: not linear"


def chain(app: str, count: int, extra: dict[int, list[Dependency]] | None = None) -> dict[Key, MigrationFacts]:
    migrations: dict[Key, MigrationFacts] = {}
    for index in range(count):
        dependencies = [Dependency(app, f"{index - 1:05d}_m", 6, 20)] if index else []
        dependencies += (extra or {}).get(index, [])
        name = f"{index:05d}_m"
        migrations[(app, name)] = MigrationFacts(
            path=f"/p/{app}/migrations/{name}.py", app_label=app, name=name, line=5, col=0,
            dependencies=tuple(dependencies),
        )
    return migrations


def layered(apps: int, per_app: int) -> dict[Key, MigrationFacts]:
    """Every app depends on the previous app's __latest__ and __first__ at each of its migrations."""
    migrations: dict[Key, MigrationFacts] = {}
    for number in range(apps):
        app = f"app{number:02d}"
        extra = {
            index: [
                Dependency(f"app{number - 1:02d}", "__latest__", 6, 40),
                Dependency(f"app{number - 1:02d}", "__first__", 6, 60),
            ]
            for index in range(per_app)
        } if number else None
        migrations.update(chain(app, per_app, extra))
    return migrations


def test_twenty_thousand_migrations() -> None:
    migrations = layered(20, 1000)
    graph = build_graph(migrations, {f"app{n:02d}" for n in range(20)}, {})
    assert len(graph.nodes) == 20_000
    assert graph.cycles() == []
    assert all(names == ["00999_m"] for names in graph.leaves_by_app().values())


def test_the_graph_is_linear_in_migrations() -> None:
    def step(per_app: int) -> None:
        graph = build_graph(layered(10, per_app), {f"app{n:02d}" for n in range(10)}, {})
        graph.leaves_by_app()
        graph.cycles()

    assert_linear(step, 200)


def test_one_long_cycle() -> None:
    size = 5000
    migrations = chain("loop", size, {0: [Dependency("loop", f"{size - 1:05d}_m", 6, 40)]})
    graph = build_graph(migrations, {"loop"}, {})
    [component] = graph.cycles()
    paths = graph.cycle_paths(component)
    assert len(paths) == size
    assert paths[("loop", "00000_m")][0] == ("loop", "00000_m")
    assert all(path[0] == path[-1] for path in paths.values())
    assert None in paths[("loop", "02500_m")]  # elided in the middle


def test_cycle_paths_are_linear_in_the_cycle() -> None:
    def step(size: int) -> None:
        migrations = chain("loop", size, {0: [Dependency("loop", f"{size - 1:05d}_m", 6, 40)]})
        graph = build_graph(migrations, {"loop"}, {})
        for component in graph.cycles():
            graph.cycle_paths(component)

    assert_linear(step, 1000)  # above the size where each member gets its own shortest cycle


def one_line_migration(operations: int) -> str:
    """A generator's or a squash's output: every operation on one line, half of them on models it creates."""
    ops = ", ".join(
        f'migrations.CreateModel("m{i}", [("id", models.AutoField(primary_key=True))])' if i % 2 == 0
        else f'migrations.AddField("m{i - 1}", "f{i}", models.IntegerField(db_index=True))'
        for i in range(operations)
    )
    return (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f"    dependencies = []\n    operations = [{ops}]\n"
    )


def test_per_file_work_is_linear_in_operations_on_one_line() -> None:
    settings = Settings(use_cache=False)

    def step(operations: int) -> None:
        tree = ast.parse(one_line_migration(operations))
        facts = extract_facts(tree, "shop/migrations/0001_initial.py")
        assert facts is not None and len(facts.operations) == operations
        list(check_facts(facts, settings))

    assert_linear(step, 1000)


def altered_history(count: int) -> dict[Key, MigrationFacts]:
    """``count`` migrations of ``shop``: the first creates a model with a field per later migration pair, and
    migration ``i`` sets ``f{i // 2}`` to ``default=i``, so each field is altered twice, the second time after the
    first."""
    fields = ", ".join(f'("f{i}", models.IntegerField())' for i in range(count // 2 + 1))
    migrations: dict[Key, MigrationFacts] = {}
    for index in range(count):
        name = f"{index:05d}_m"
        dependencies = f'[("shop", "{index - 1:05d}_m")]' if index else "[]"
        operation = (
            f'migrations.AlterField("item", "f{index // 2}", models.IntegerField(default={index}))' if index
            else f'migrations.CreateModel("Item", [("id", models.AutoField(primary_key=True)), {fields}])'
        )
        source = (
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = {dependencies}\n    operations = [{operation}]\n"
        )
        facts = extract_facts(ast.parse(source), f"shop/migrations/{name}.py")
        assert facts is not None
        migrations[("shop", name)] = facts
    return migrations


def test_the_definition_before_each_alter_field_is_linear_in_the_history() -> None:
    """Each ``AlterField`` sees its field as the nearest earlier migration left it: the previous ``AlterField``,
    or the ``CreateModel`` at the start of a long history."""
    histories = {size: altered_history(size) for size in (200, 4 * 200)}

    def step(size: int) -> None:
        migrations = histories[size]
        state = ModelState(build_graph(migrations, {"shop"}, {}), migrations, {})
        alterations = state.field_alterations()
        assert [alteration.node[1] for alteration in alterations] == [f"{i:05d}_m" for i in range(1, size)]
        for alteration in alterations:
            index = int(alteration.node[1][:5])
            before = index - 1 if index > 1 and (index - 1) // 2 == index // 2 else None
            assert alteration.before.kwargs == ({"default": before} if before is not None else {})

    assert_linear(step, 200)


def test_statement_offsets_are_linear_in_the_statements() -> None:
    """Where each statement of a long ``RunSQL`` script starts, in characters, with multi-byte text before it."""
    if not sql_parser_available():
        pytest.skip("needs the [sql] extra (pglast)")

    def step(size: int) -> None:
        script = "".join(f"-- été {i} 🎉\nALTER TABLE t DROP COLUMN c{i};\n" for i in range(size))
        statements = parse_sql(script)
        assert statements is not None and [statement.column for statement in statements] == [
            f"c{i}" for i in range(size)
        ]
        assert all(script.startswith(statement.text, statement.offset) for statement in statements)

    assert_linear(step, 500)


def test_mermaid_ids_of_names_that_sanitise_alike_are_linear() -> None:
    """Every non-ASCII migration name sanitises to the same id: the clashes take ``_2``, ``_3``... in order, after
    names already holding one of those ids."""

    def step(size: int) -> None:
        odd = [ViewNode(("shop", chr(0x4E00 + i)), (), False) for i in range(size)]
        nodes = [ViewNode(("shop", "__2"), (), False), *odd]
        edges = tuple(ViewEdge(parent.key, child.key) for parent, child in zip(nodes, nodes[1:]))
        text = render_mermaid(GraphView((AppCluster("shop", tuple(nodes)),), edges, len(nodes), ""))
        ids = [line.split("[")[0].strip() for line in text.splitlines() if line.startswith("    ")]
        assert ids == ["m_shop___2", "m_shop__", *(f"m_shop___{i}" for i in range(3, size + 2))]

    assert_linear(step, 1000)


def test_reading_a_web_of_star_imports_is_linear_in_its_imports(tmp_path: Any) -> None:
    """Issue 22: a settings package of N modules each doing ``from .mJ import *`` for all the others took 0.6, 3.5,
    23 and 147 s for N = 7 to 10 (each module was run again on every path of imports reaching it). Each module
    runs once, as Python's import runs it: the work is then linear in the N² import statements."""
    from math import isqrt

    from flake8_django_migrations.project.django_settings import read_django_settings

    def web(count: int) -> str:
        root = tmp_path / f"web{count}"
        package = root / "conf" / "settings"
        package.mkdir(parents=True)
        (root / "manage.py").write_text('import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n')
        (root / "conf" / "__init__.py").write_text("")
        (package / "__init__.py").write_text("".join(f"from .m{index} import *\n" for index in range(count)))
        for index in range(count):
            imports = "".join(f"from .m{other} import *\n" for other in range(count) if other != index)
            (package / f"m{index}.py").write_text(f"{imports}VALUE_{index} = {index}\nINSTALLED_APPS = ['shop']\n")
        return str(root)

    roots = {imports: web(isqrt(imports)) for imports in (16, 64)}  # 4 and 8 modules

    def step(imports: int) -> None:
        read = read_django_settings(roots[imports], environ={})
        assert read.installed_apps == ("shop",)

    assert_linear(step, 16)

"""The graph stays linear: 20,000 migrations, and a cycle through thousands of them, in well under a second each."""

from __future__ import annotations

import time

from flake8_django_migrations.facts import Dependency, MigrationFacts
from flake8_django_migrations.project.graph import Key, build_graph


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


def test_twenty_thousand_migrations() -> None:
    migrations: dict[Key, MigrationFacts] = {}
    for number in range(20):
        app = f"app{number:02d}"
        # Every app depends on the previous app's __latest__ and __first__ at each of its migrations.
        extra = {
            index: [
                Dependency(f"app{number - 1:02d}", "__latest__", 6, 40),
                Dependency(f"app{number - 1:02d}", "__first__", 6, 60),
            ]
            for index in range(1000)
        } if number else None
        migrations.update(chain(app, 1000, extra))
    started = time.perf_counter()
    graph = build_graph(migrations, {f"app{n:02d}" for n in range(20)}, {})
    leaves = graph.leaves_by_app()
    cycles = graph.cycles()
    elapsed = time.perf_counter() - started
    assert len(graph.nodes) == 20_000
    assert cycles == []
    assert all(names == ["00999_m"] for names in leaves.values())
    assert elapsed < 5, elapsed


def test_one_long_cycle() -> None:
    size = 5000
    migrations = chain("loop", size, {0: [Dependency("loop", f"{size - 1:05d}_m", 6, 40)]})
    started = time.perf_counter()
    graph = build_graph(migrations, {"loop"}, {})
    [component] = graph.cycles()
    paths = graph.cycle_paths(component)
    elapsed = time.perf_counter() - started
    assert len(paths) == size
    assert paths[("loop", "00000_m")][0] == ("loop", "00000_m")
    assert all(path[0] == path[-1] for path in paths.values())
    assert None in paths[("loop", "02500_m")]  # elided in the middle
    assert elapsed < 5, elapsed

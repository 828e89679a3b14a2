"""DJM301: dependencies that do not pin what the migration needs."""

from __future__ import annotations

from collections.abc import Iterator

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.rules.rule import Flag, file_rule
from flake8_django_migrations.settings import Settings


@file_rule(
    code="DJM301",
    name="latest-dependency",
    message="the dependency on `(\"{app}\", \"__latest__\")` floats to whatever `{app}`'s newest migration is",
    hint="depend on the exact migration of `{app}` that creates what this migration needs",
    what_it_does="Checks for dependencies on another app's `__latest__` migration.",
    why_bad=(
        "`__latest__` is resolved anew every time the graph is built. When the other app later removes or"
        " renames what this migration reads, this migration is ordered after that change and fails on every"
        " fresh database, a year after it was written."
    ),
    example='dependencies = [("catalog", "__latest__")]\n',
    use_instead='dependencies = [("catalog", "0021_product_sku")]\n',
)
def latest_dependency(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for dependency in (*facts.dependencies, *facts.run_before):
        if dependency.name == "__latest__":
            yield Flag(dependency.line, dependency.col, app=dependency.app)

"""DJM301, DJM310: dependencies that do not pin what the migration needs, or that Django cannot read."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from flake8_django_migrations.facts import Dependency, MalformedDependency, MigrationFacts
from flake8_django_migrations.rules.rule import Fix, Flag, ReplaceEntry, file_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex


@file_rule(
    code="DJM301",
    fix=("safe", "pins `__latest__` to the app's current leaf migration, when the app has exactly one"),
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
            flag = Flag(dependency.line, dependency.col, app=dependency.app)
            yield flag.with_fix(partial(_pin_latest, facts, dependency))


def _pin_latest(facts: MigrationFacts, dependency: Dependency, index: ProjectIndex) -> Fix | None:
    """Safe: the entry names the migration ``__latest__`` resolves to today, the app's only leaf, so the graph
    stays the same. None where the leaf is not certain (an app outside the project, several leaves, a list that
    is not literal) or the entry names the migration's own app (Django never resolves that one)."""
    app = dependency.app
    if app == facts.app_label or app not in index.discovery.apps or not index.leaves_known(app):
        return None
    leaves = index.graph.leaves_by_app().get(app, [])
    if len(leaves) != 1:
        return None
    pinned = (app, leaves[0])
    return Fix.safe(
        f"pin the dependency to `{app}.{leaves[0]}`, the migration `__latest__` resolves to now",
        ReplaceEntry(facts.path, dependency.line, dependency.col, (app, "__latest__"), pinned),
    )


@file_rule(
    code="DJM310",
    name="malformed-dependency",
    message="the `{attribute}` entry `{written}` is not an `(app_label, migration_name)` pair, so Django's loader"
    " stops with `{error}`",
    hint='write it as a tuple of two strings, such as `("app_label", "0001_initial")`',
    what_it_does=(
        "Checks `dependencies` and `run_before` for literal entries that are not a tuple of two strings: a"
        " string, a list, or a tuple of one or three items."
    ),
    why_bad=(
        "Django's migration loader reads every entry as `(app_label, name)`: a one-item tuple raises"
        " `IndexError`, a list `TypeError: unhashable type`, and a longer tuple or a string names a node that"
        " does not exist (`NodeNotFoundError`). Any of them stops every `migrate`, `makemigrations` and"
        " `showmigrations` of the project."
    ),
    example='dependencies = [("catalog",), ["billing", "0002_invoice"], "orders"]\n',
    use_instead=(
        'dependencies = [("catalog", "0001_initial"), ("billing", "0002_invoice"), ("orders", "0003_order")]\n'
    ),
)
def malformed_dependency(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for entry in facts.malformed_dependencies:
        yield Flag(entry.line, entry.col, attribute=entry.attribute, written=entry.written, error=_loader_error(entry))


def _loader_error(entry: MalformedDependency) -> str:
    """What Django's ``MigrationLoader.build_graph`` raises for the entry (checked against Django in the tests)."""
    if entry.length < 2:
        return f"IndexError: {'string' if entry.shape == 'str' else entry.shape} index out of range"
    if entry.shape == "list":
        return "TypeError: unhashable type: 'list'"
    return "NodeNotFoundError"

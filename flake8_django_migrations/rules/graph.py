"""DJM302-305, DJM307-309, DJM311, DJM312, DJM904: the migration graph Django would build, and the errors that stop it
loading."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, TYPE_CHECKING

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.project.graph import Key, ResolvedDependency, format_key, resolve_dependency
from flake8_django_migrations.rules.naming import merge_suggestion
from flake8_django_migrations.rules.rule import Fix, Flag, WriteFile, project_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex

_CYCLE_SHOWN: Final = 12  # longer cycles show their ends only
_NAMES_SHOWN: Final = 3  # a message names this many of a list, then counts the rest


@project_rule(
    code="DJM302",
    name="missing-dependency-target",
    message="`{kind}` names `{target}`, which is not a migration of the local app `{app}`",
    hint="point it at an existing migration of `{app}`",
    what_it_does=(
        "Checks `dependencies` and `run_before` entries that name a migration of an app in this project"
        " that does not exist."
    ),
    why_bad="Django refuses to build the migration graph (`NodeNotFoundError`): no `migrate` works at all.",
    example='dependencies = [("catalog", "0007_typo")]\n',
    use_instead='dependencies = [("catalog", "0007_product_sku")]\n',
)
def missing_dependency_target(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    for reference in index.graph.resolved:
        target = reference.target
        if target not in index.graph.dummies:
            continue
        # A file we could not read may be the target, or a squash that replaces it.
        if target[0] in index.unknown or target[0] in index.unsure_replacements:
            continue
        entry = reference.dependency
        yield Flag(
            entry.line, entry.col, index.path_of(reference.source),
            kind=reference.kind, target=format_key(target), app=target[0],
        )


@project_rule(
    code="DJM303",
    name="circular-dependency",
    message="this migration is on a dependency cycle: {cycle}",
    hint=(
        "remove one of the dependencies on the cycle, usually the one that points at another app's newer"
        " migration"
    ),
    what_it_does="Checks for migrations that, through their dependencies, depend on themselves.",
    why_bad="Django cannot order a cycle (`CircularDependencyError`): no `migrate` works at all.",
    example=(
        "# orders/migrations/0003_x.py\n"
        'dependencies = [("billing", "0002_y")]\n'
        "# billing/migrations/0002_y.py\n"
        'dependencies = [("orders", "0003_x")]\n'
    ),
    use_instead=(
        "# billing/migrations/0002_y.py depends only on what it needs and was written against:\n"
        'dependencies = [("orders", "0002_order_total")]\n'
    ),
)
def circular_dependency(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    for component in index.graph.cycles():
        for node, path in index.graph.cycle_paths(component).items():
            facts = index.migrations[node]
            site = facts.dependencies_site
            line, col = (site.line, site.col) if site is not None else (facts.line, facts.col)
            yield Flag(line, col, index.path_of(node), cycle=_describe_cycle(path))


@project_rule(
    code="DJM304",
    fix=(
        "safe",
        "writes the merge migration `makemigrations --merge` would write, named after the leaves it merges (and"
        " names it in `max_migration.txt` when the app has one)",
    ),
    name="conflicting-leaves",
    message="`{app}` has more than one leaf migration: `{name}`, {others}",
    hint="run `python manage.py makemigrations --merge {app}` and give the merge a descriptive name",
    what_it_does=(
        "Checks for apps whose migration graph has more than one leaf (usually two branches that each"
        " added one)."
    ),
    why_bad='Django stops `migrate` with "Conflicting migrations detected" until a merge migration exists.',
    example=(
        "# billing/migrations/0015_invoice_due_date.py  (branch A)\n"
        "# billing/migrations/0015_invoice_currency.py  (branch B)\n"
    ),
    use_instead="# billing/migrations/0016_merge_due_date_currency.py depending on both\n",
)
def conflicting_leaves(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    for app, names in index.graph.leaves_by_app().items():
        if len(names) < 2 or not index.leaves_known(app):
            continue
        fix = _merge(index, app, names)
        for name in names:
            facts = index.migrations[(app, name)]
            others = _some([f"`{other}`" for other in names if other != name])
            flag = Flag(facts.line, facts.col, index.path_of((app, name)), app=app, name=name, others=others)
            yield flag.with_fix(fix)


def _merge(index: ProjectIndex, app: str, leaves: list[str]) -> Fix | None:
    """Safe: the merge migration ``makemigrations --merge`` writes (numbered after the highest leaf, as Django
    numbers it), named after the leaves as DJM306 suggests, and ``max_migration.txt`` naming it where the app has
    one. None for an app of an installed package, or when a file of that name exists."""
    if app not in index.discovery.apps or app in {a.label for a in index.discovery.installed_apps if a.external}:
        return None
    numbers = [number for number in map(_migration_number, leaves) if number is not None]
    suggestion = merge_suggestion(leaves) or "_".join(leaves)
    name = f"{(max(numbers) if numbers else 1) + 1:04d}_merge_{suggestion}"
    folder = os.path.dirname(index.path_of((app, leaves[0])))
    path = os.path.join(folder, f"{name}.py")
    if (app, name) in index.migrations or path in index.discovery.apps[app].files:
        return None
    entries = "".join(f'        ("{app}", "{leaf}"),\n' for leaf in leaves)
    text = (
        "# Generated by django-migrations-lint --fix: the merge `makemigrations --merge` writes\n\n"
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n\n"
        f"    dependencies = [\n{entries}    ]\n\n"
        "    operations = []\n"
    )
    max_migration = index.discovery.apps[app].max_migration
    return Fix.safe(
        f"write the merge migration `{name}`" + (" and name it in `max_migration.txt`" if max_migration else ""),
        WriteFile(path, text, create=True),
        *((WriteFile(max_migration, f"{name}\n"),) if max_migration else ()),
    )


def _migration_number(name: str) -> int | None:
    """Django's ``MigrationAutodetector.parse_number``: a squash's last number, else the leading one."""
    squashed = re.search(r".*_squashed_(\d+)", name)
    if squashed:
        return int(squashed[1])
    leading = re.match(r"^\d+", name)
    return int(leading[0]) if leading else None


@project_rule(
    code="DJM305",
    name="duplicate-replacement",
    message="`replaces` names `{replaced}`, which is also replaced by `{other}`",
    hint="let one squash replace each migration; remove the entry from all but one",
    what_it_does="Checks for migrations whose `replaces` lists share an entry with another migration's.",
    why_bad=(
        "Applying both replacements records the replaced migration twice in `django_migrations`, and"
        " databases that applied one replacement see the other as unapplied."
    ),
    example=(
        "# 0001_squashed_0004.py: replaces = [(\"billing\", \"0003_x\"), ...]\n"
        "# 0003_squashed_0006.py: replaces = [(\"billing\", \"0003_x\"), ...]\n"
    ),
    use_instead="# Each original migration is replaced by exactly one squash.\n",
)
def duplicate_replacement(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    """One finding per squash, at its class, naming every entry it shares and who else replaces it."""
    replacers: dict[Key, set[Key]] = {}
    for key, facts in index.migrations.items():
        for entry in facts.replaces:
            replacers.setdefault((entry.app, entry.name), set()).add(key)
    for key, facts in index.migrations.items():
        shared = sorted({(e.app, e.name) for e in facts.replaces if replacers[(e.app, e.name)] - {key}})
        if not shared:
            continue
        others = sorted(set().union(*(replacers[entry] for entry in shared)) - {key})
        yield Flag(
            facts.line, facts.col, index.path_of(key),
            replaced="`, `".join(format_key(entry) for entry in shared),
            other="`, `".join(format_key(other) for other in others),
        )


@project_rule(
    code="DJM307",
    fix=("safe", "writes the app's leaf migration into `max_migration.txt`"),
    name="stale-max-migration",
    message="`max_migration.txt` names `{recorded}`, but the app's leaf migration is `{leaf}`",
    hint="write `{leaf}` into `{app}`'s `max_migration.txt` (`python manage.py create_max_migration_files --recreate`)",
    what_it_does=(
        "Checks django-linear-migrations' `max_migration.txt` files against the app's only leaf migration."
    ),
    why_bad=(
        "The file exists to make two branches that add migrations conflict in git. When it does not name the"
        " leaf, it no longer does that job, and the next parallel branch merges silently."
    ),
    example="# max_migration.txt says 0014_user_phone while 0015_user_email exists\n",
    use_instead="# max_migration.txt says 0015_user_email\n",
)
def stale_max_migration(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    leaves = index.graph.leaves_by_app()
    for label, app in index.discovery.apps.items():
        if app.max_migration is None or len(leaves.get(label, ())) != 1 or not index.leaves_known(label):
            continue
        leaf = leaves[label][0]
        recorded = index.recorded_max_migration(label)
        if recorded is None or recorded == leaf:
            continue
        # Reported on the leaf: flake8 only ever checks .py files, and the leaf is the one file to look at.
        facts = index.migrations[(label, leaf)]
        fix = Fix.safe(f"write `{leaf}` into `max_migration.txt`", WriteFile(app.max_migration, f"{leaf}\n"))
        flag = Flag(facts.line, facts.col, index.path_of((label, leaf)), recorded=recorded, leaf=leaf, app=label)
        yield flag.with_fix(fix)


@project_rule(
    code="DJM904",
    name="app-dependency-cycle",
    message="apps `{app}` and `{other}` depend on each other: {forward} and {backward}",
    hint="make the dependency go one way; pin the reader to the other app's migration it was written against",
    what_it_does="Checks for two apps whose migrations depend on each other in both directions.",
    why_bad=(
        "Apps that point at each other's moving heads are one edit away from a `CircularDependencyError`,"
        " and their migrations cannot be squashed or reset independently."
    ),
    example=(
        "# orders/0004 depends on billing/0002; billing/0003 depends on orders/0005\n"
    ),
    use_instead="# Only orders depends on billing (or the reverse).\n",
    default_enabled=False,
)
def app_dependency_cycle(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    between: dict[tuple[str, str], tuple[Key, Key]] = {}
    for child, parent in index.graph.edges():
        if child[0] != parent[0]:
            between.setdefault((child[0], parent[0]), (child, parent))
    for (app, other), forward in sorted(between.items()):
        backward = between.get((other, app))
        if backward is None or app > other:
            continue
        child, parent = forward
        line, col = _entry_site(index.migrations[child], parent, index.swappable)
        yield Flag(
            line, col, index.path_of(child), app=app, other=other,
            forward=_describe_edge(forward), backward=_describe_edge(backward),
        )


@project_rule(
    code="DJM308",
    name="dependency-on-app-without-migrations",
    message="`{kind}` names `{target}`, but `{app}` has no migrations, so Django's loader stops with"
    " `ValueError: Dependency on app with no migrations: {app}`",
    hint="depend on a migration of `{app}` once it has one, or remove the entry",
    what_it_does=(
        "Checks `dependencies` and `run_before` entries naming `__first__` or `__latest__` of an app of this"
        " project whose migrations package holds no migration."
    ),
    why_bad=(
        "Django resolves `__first__` and `__latest__` to the app's first or last migration; an app with a"
        " migrations package but no migration has neither, and `migrate` stops with `ValueError: Dependency on"
        " app with no migrations` before it runs anything."
    ),
    example='dependencies = [("billing", "__first__")]  # billing/migrations/ has only __init__.py\n',
    use_instead="# Run makemigrations billing first, then depend on billing's 0001_initial.\n",
)
def dependency_on_app_without_migrations(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    # An app with a file we could not read may have its migration there.
    yield from _at_entries(index, (ref for ref in index.graph.into_empty_apps if ref.target[0] not in index.unknown))


@project_rule(
    code="DJM309",
    name="circular-replacement",
    message="this squash and {others} replace one another in a circle, so Django's loader stops with"
    " `NodeNotFoundError`",
    hint="let each migration be replaced by one squash that is not itself replaced by what it replaces",
    what_it_does="Checks for squashed migrations whose `replaces` lists lead back to themselves through another.",
    why_bad=(
        "Django swaps each squash in for the migrations it replaces; when two squashes replace each other, the"
        " first swap removes the second squash from the graph and the second fails with `NodeNotFoundError:"
        " Unable to find replacement node`, on every command that loads migrations."
    ),
    example=(
        '# 0002_squashed.py\nreplaces = [("shop", "0003_squashed")]\n'
        '# 0003_squashed.py\nreplaces = [("shop", "0002_squashed")]\n'
    ),
    use_instead='# 0003_squashed.py\nreplaces = [("shop", "0001_initial"), ("shop", "0002_add_price")]\n',
)
def circular_replacement(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    circle = index.graph.replacement_cycles
    for key in sorted(circle):
        facts = index.migrations.get(key)
        if facts is None:
            continue
        others = sorted({(e.app, e.name) for e in facts.replaces} & circle - {key})
        if others:  # a squash that names only itself is left alone: Django's loader accepts it
            yield Flag(
                facts.line, facts.col, index.path_of(key), others=_some([f"`{format_key(o)}`" for o in others])
            )


@project_rule(
    code="DJM311",
    name="module-without-migration-class",
    message="`{name}` is a module of `{app}`'s migrations package without a `Migration` class, so Django's"
    " loader stops with `BadMigrationError`",
    hint="move it out of the migrations package, or start its name with `_` so that Django does not load it",
    what_it_does=(
        "Checks the modules of each migrations package that holds migrations (those Django loads: not starting"
        " with `_` or `~`, no dot in the name before `.py`) for a `Migration` class. A package named"
        " `migrations` with no migration in it at all is taken for a library's (wagtail ships"
        " `wagtail/blocks/migrations/` with helpers for data migrations), not an app's, and is left alone."
    ),
    why_bad=(
        "Django imports every such module as a migration and stops with `BadMigrationError: Migration ... has no"
        " Migration class` when one has none: a helper module left beside the migrations breaks every"
        " `migrate`."
    ),
    example="# shop/migrations/utils.py\ndef copy_prices(apps, schema_editor): ...\n",
    use_instead="# shop/migrations/_utils.py (or shop/migration_utils.py)\ndef copy_prices(apps, schema_editor): ...\n",
)
def module_without_migration_class(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    with_migrations = {key[0] for key in index.migrations}
    for path, label in sorted(index.without_migration_class.items()):
        if label not in with_migrations:
            continue  # a package named `migrations` holding no migration at all is a library's, not an app's
        name = os.path.splitext(os.path.basename(path))[0]
        yield Flag(1, 0, os.path.abspath(path), name=name, app=label)


@project_rule(
    code="DJM312",
    name="dependency-on-unknown-app",
    message="`{kind}` names `{target}`, but `{app}` is not in `INSTALLED_APPS`, so Django's loader stops with"
    " `ValueError: Dependency on unknown app: {app}`",
    hint="add `{app}` to `INSTALLED_APPS`, or remove the entry",
    what_it_does=(
        "Checks `dependencies` and `run_before` entries naming `__first__` or `__latest__` of an app that the"
        " project's `INSTALLED_APPS` does not list, when the settings give `INSTALLED_APPS` in full (an open list,"
        " one with entries that cannot be read, or no settings at all: nothing is reported)."
    ),
    why_bad=(
        "Django resolves `__first__` and `__latest__` only for installed apps; for any other app its loader"
        " raises `ValueError: Dependency on unknown app` and no `migrate`, `makemigrations` or `showmigrations`"
        " runs. A migration copied from another project, or an app removed from the settings while a migration"
        " still depends on it, does this."
    ),
    example='dependencies = [("billing", "__first__")]  # billing is not in INSTALLED_APPS\n',
    use_instead="# Add billing to INSTALLED_APPS, or drop the dependency.\n",
)
def dependency_on_unknown_app(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    yield from _at_entries(index, index.graph.into_unknown_apps)


def _at_entries(index: ProjectIndex, references: Iterable[ResolvedDependency]) -> Iterator[Flag]:
    """A flag at each ``dependencies``/``run_before`` entry, naming what it names (``kind``, ``target``, ``app``)."""
    for reference in references:
        entry = reference.dependency
        yield Flag(
            entry.line, entry.col, index.path_of(reference.source),
            kind=reference.kind, target=format_key(reference.target), app=reference.target[0],
        )


def _entry_site(facts: MigrationFacts, parent: Key, swappable: Mapping[str, str]) -> tuple[int, int]:
    """The ``dependencies`` entry naming ``parent``, else one into its app (a squash or ``__latest__`` may stand
    between), else the list, else the class."""
    resolved = [(resolve_dependency(dependency, swappable), dependency) for dependency in facts.dependencies]
    for key in (parent, None):
        for target, dependency in resolved:
            if target is not None and (target == key or (key is None and target[0] == parent[0])):
                return dependency.line, dependency.col
    site = facts.dependencies_site
    return (site.line, site.col) if site is not None else (facts.line, facts.col)


def _some(names: list[str]) -> str:
    """A few names and a count of the rest: a message stays one line however many there are."""
    if len(names) <= _NAMES_SHOWN + 1:
        return ", ".join(names)
    return f"{', '.join(names[:_NAMES_SHOWN])} and {len(names) - _NAMES_SHOWN} more"


def _describe_edge(edge: tuple[Key, Key]) -> str:
    return f"`{format_key(edge[0])}` depends on `{format_key(edge[1])}`"


def _describe_cycle(path: Iterable[Key | None]) -> str:
    shown = list(path)
    if len(shown) > _CYCLE_SHOWN:
        half = _CYCLE_SHOWN // 2
        shown = [*shown[:half], None, *shown[-half:]]
    return " -> ".join("..." if key is None else f"`{format_key(key)}`" for key in shown)

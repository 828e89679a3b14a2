"""DJM504-506, DJM909: the migrations against a database's own history (``djm-applied``: the database, or a file of
its ``django_migrations`` rows).

Without ``djm-applied`` they find nothing. ``project/applied_graph.py`` works out what Django's loader and
``migrate`` make of that history; each rule here says where in the code the problem is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flake8_django_migrations.project.applied_graph import (
    HistoryView,
    gone_from_disk,
    history_view,
    inconsistencies,
    out_of_order,
)
from flake8_django_migrations.project.graph import format_key
from flake8_django_migrations.rules.rule import Flag, project_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex


def _view(index: ProjectIndex, settings: Settings) -> HistoryView | None:
    applied = settings.applied_migrations
    return history_view(index, applied) if applied is not None else None


@project_rule(
    code="DJM504",
    name="applied-before-dependency",
    message=(
        "`{migration}` is recorded as applied in `{source}`, but its dependency `{dependency}` is not: `migrate`"
        " refuses to run there (`InconsistentMigrationHistory`)"
    ),
    hint=(
        "`django-migrations-lint plan` prints the rows to add or delete and which is safe; if the dependency was"
        " added after `{migration}` was applied, move it to a new migration instead"
    ),
    what_it_does=(
        "With `djm-applied`, checks what Django's `check_consistent_history` checks before every `migrate`: that"
        " no migration the database records as applied has a dependency it does not (a squash whose replaced"
        " migrations are all recorded counts as applied). The graph is the one Django builds for that database: a"
        " squash only some of whose replaced migrations are applied is left out of it. The finding is on the"
        " `dependencies` entry (or the `run_before` entry) that makes the edge."
    ),
    why_bad=(
        "`migrate` stops with `InconsistentMigrationHistory` before doing anything, on every database with this"
        " history, and `migrate --fake` stops too: the way out is editing `django_migrations` by hand. It happens"
        " when a dependency is added to a migration after it was applied, when a migration of one app was applied"
        " before the other app's migration it now depends on (a `run_before` added late), or when branches"
        " recorded history in different orders."
    ),
    example=(
        "# applied in production: orders.0001_initial; users.0010_add_unique_id is new\n"
        "class Migration(migrations.Migration):  # orders/migrations/0001_initial.py\n"
        '    dependencies = [("users", "0010_add_unique_id")]  # added after the fact\n'
    ),
    use_instead=(
        "# leave orders.0001_initial as it was applied; a new migration carries the dependency:\n"
        "class Migration(migrations.Migration):  # orders/migrations/0002_use_unique_id.py\n"
        '    dependencies = [("orders", "0001_initial"), ("users", "0010_add_unique_id")]\n'
    ),
    options=("djm-applied",),
)
def applied_before_dependency(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    view = _view(index, settings)
    if view is None or view.load_error is not None:
        return  # Django's loader stops first: the graph rules (and DJM506) say why
    for child, parent in inconsistencies(view):
        path, line, col = _edge_site(view, child, parent)
        yield Flag(line, col, path, migration=format_key(child), dependency=format_key(parent),
                   source=view.source.source)


def _edge_site(view: HistoryView, child: Key, parent: Key) -> tuple[str, int, int]:
    """Where the edge child -> parent is written: the child's ``dependencies`` entry, else the parent's
    ``run_before`` entry, else (an edge a squash took over from the migrations it replaces) the entry in a replaced
    migration that is on disk, else the child's ``Migration`` class."""
    index = view.index

    def is_child(key: Key) -> bool:
        return key == child or key in view.replacements.get(child, ())

    def is_parent(key: Key) -> bool:
        return key == parent or key in view.replacements.get(parent, ()) or (
            key in view.partial and parent in view.replacements.get(key, ())
        )

    candidates = []
    for entry in view.graph.resolved:
        if entry.kind == "dependencies" and is_child(entry.source) and is_parent(entry.target):
            candidates.append((entry.source != child, 0, entry))
        elif entry.kind == "run_before" and is_parent(entry.source) and is_child(entry.target):
            candidates.append((entry.source != parent, 1, entry))
    for _, _, entry in sorted(candidates, key=lambda item: (item[0], item[1])):
        if entry.source in index.migrations:
            return index.path_of(entry.source), entry.dependency.line, entry.dependency.col
    facts = index.migrations[child]
    return index.path_of(child), facts.line, facts.col


@project_rule(
    code="DJM505",
    name="migration-applied-out-of-order",
    message=(
        "`{migration}` is not applied in `{source}`, but `{later}`, which `migrate` runs after it on an empty"
        " database, is: this database runs the two in the other order"
    ),
    hint=(
        "check that `{migration}` works after `{later}` has run (fresh databases run it before); to run them in"
        " one order everywhere, order them by a dependency in a new migration"
    ),
    what_it_does=(
        "With `djm-applied`, checks for migrations that the database has not applied while it applied a later"
        " migration of the same app, \"later\" in the order `migrate` follows on an empty database, and that no"
        " applied migration depends on (that would be DJM504). Typically a branch merged late: its migrations run"
        " on this database after migrations that fresh databases run after them."
    ),
    why_bad=(
        "The databases no longer share one history: on this one the migration runs on a schema and data its"
        " author never saw (a column the later migration dropped, rows it rewrote), and on fresh ones the other"
        " way round. A data migration that works in CI can fail, or do something else, in production, and the"
        " two databases can drift apart without an error."
    ),
    example=(
        "# production applied orders.0003_a; the branch adding orders.0003_b was merged after the deploy:\n"
        "class Migration(migrations.Migration):  # orders/migrations/0004_merge.py\n"
        '    dependencies = [("orders", "0003_a"), ("orders", "0003_b")]\n'
    ),
    use_instead=(
        "# rebase the branch: its migration follows what is deployed, on every database\n"
        "class Migration(migrations.Migration):  # orders/migrations/0004_b.py\n"
        '    dependencies = [("orders", "0003_a")]\n'
    ),
    options=("djm-applied",),
)
def migration_applied_out_of_order(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    view = _view(index, settings)
    if view is None or view.load_error is not None:
        return
    for migration, later in out_of_order(view):
        facts = index.migrations[migration]
        yield Flag(facts.line, facts.col, index.path_of(migration), migration=format_key(migration),
                   later=format_key(later), source=view.source.source)


@project_rule(
    code="DJM506",
    name="partly-applied-squash-without-replaced",
    message=(
        "`{source}` applied only some of the migrations `{squash}` replaces, so Django does not use it there, and"
        " `{replaced}`, one it has not applied, is gone from disk: `migrate` never runs it there (and stops with"
        " `NodeNotFoundError` where a migration depends on it)"
    ),
    hint="restore `{replaced}` until every database has applied all that `{squash}` replaces",
    what_it_does=(
        "With `djm-applied`, checks for squashed migrations of which the database applied some but not all of"
        " the migrations they replace, where a replaced migration it has not applied is no longer on disk. The"
        " finding is on that `replaces` entry."
    ),
    why_bad=(
        "Django uses a squash only on a database that applied all or none of what it replaces; on the others it"
        " runs the replaced migrations themselves. One that is gone from disk is then skipped without a word (its"
        " schema changes never happen on that database), or, when another migration depends on it, every"
        " `migrate` and `showmigrations` there stops: the replaced migrations were deleted before every database"
        " had moved past the squash."
    ),
    example=(
        "# 0001_squashed_0003 replaces 0001-0003; a database stopped at 0001, and 0002, 0003 were deleted\n"
        'replaces = [("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]\n'
    ),
    use_instead=(
        "# keep the replaced migrations until every database has migrated past the squash\n"
        "# (`showmigrations` marks it [X] there), then delete them and the `replaces` list\n"
    ),
    options=("djm-applied",),
)
def partly_applied_squash_without_replaced(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    view = _view(index, settings)
    if view is None:
        return
    for squash in sorted(view.partial):
        facts = index.migrations[squash]
        for entry in facts.replaces:
            key = (entry.app, entry.name)
            if key not in view.recorded and key not in index.migrations:
                yield Flag(entry.line, entry.col, index.path_of(squash), squash=format_key(squash),
                           replaced=format_key(key), source=view.source.source)


@project_rule(
    code="DJM909",
    name="applied-migration-missing-from-disk",
    message=(
        "`{migration}` is recorded as applied in `{source}`, but no file holds it and no migration's `replaces`"
        " names it: nothing in the code describes what it did"
    ),
    hint=(
        "restore it if it was deleted by mistake; once other migrations describe its changes, delete its row"
        " (`manage.py migrate {app} --prune`)"
    ),
    what_it_does=(
        "With `djm-applied`, checks for rows of `django_migrations` of the project's apps that name a migration"
        " no file holds and no `replaces` list names (what `migrate --prune` deletes). The finding is on the"
        " app's newest migration, or on its migrations package when it has none. Off by default: databases of"
        " long-lived projects keep such rows after every squash whose `replaces` was cleaned up."
    ),
    why_bad=(
        "Django ignores the row, so nothing fails; but the schema that migration made is in the database and in no"
        " migration. A migration deleted or renamed after it was applied leaves exactly this, and a renamed one"
        " runs a second time under its new name."
    ),
    example="# django_migrations: (\"orders\", \"0007_region\"); orders/migrations/0007_region.py was renamed\n",
    use_instead=(
        "# keep applied migrations; when history is squashed, delete the replaced files only after every\n"
        "# database applied the squash, then prune the rows: manage.py migrate orders --prune\n"
    ),
    options=("djm-applied",),
    default_enabled=False,
)
def applied_migration_missing_from_disk(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    view = _view(index, settings)
    if view is None:
        return
    for app, name in gone_from_disk(view):
        newest = max((key for key in index.migrations if key[0] == app), default=None)
        if newest is not None:
            facts = index.migrations[newest]
            path, line, col = index.path_of(newest), facts.line, facts.col
        else:
            path, line, col = os.path.join(index.discovery.apps[app].folder, "__init__.py"), 1, 0
        yield Flag(line, col, path, migration=f"{app}.{name}", app=app, source=view.source.source)

"""DJM501-503: changes to migrations that are already applied somewhere, against the deployed git revision.

They need ``djm-base`` (the revision that is deployed: ``origin/main``, a tag); without it they find nothing.
A migration present at the base revision is taken as applied in some database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from flake8_django_migrations.facts import Dependency
from flake8_django_migrations.rules.rule import Flag, project_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.history import BaseRevision
    from flake8_django_migrations.project.index import ProjectIndex

Key = tuple[str, str]
_SPECIAL_NAMES = ("__first__", "__latest__")
# DJM502 when the edit is one edits.py cannot name (an `operations +=`, a migration class it does not find).
_UNNAMED_CHANGE = "its operations, flags or `RunPython` code differ"


def _applied_at_base(base: BaseRevision, target: Key, index: ProjectIndex) -> bool | None:
    """Whether ``target`` counts as applied wherever the base revision was migrated: it existed at the base, or
    it is a squash whose replaced migrations all did (Django then takes it as applied). None: unknown (an app the
    base was not read for)."""
    if target in base.migrations:
        return True
    if target[0] not in {key[0] for key in base.migrations}:
        return None
    facts = index.migrations.get(target)
    if facts is not None and facts.replaces and facts.replaces_complete:
        return all((entry.app, entry.name) in base.migrations for entry in facts.replaces)
    return False


def _key(entry: Dependency) -> Key | None:
    if entry.swappable_setting is not None or entry.name in _SPECIAL_NAMES:
        return None  # resolved through settings or the graph: compared by the graph rules, not here
    return (entry.app, entry.name)


@project_rule(
    code="DJM501",
    name="dependency-added-to-applied-migration",
    message=(
        "`{migration}`, applied as of `{base}`, now depends on `{target}`, which is not: every database that"
        " applied it will refuse to migrate (`InconsistentMigrationHistory`)"
    ),
    hint="leave applied migrations as they are; make `{target}` depend on what it needs instead",
    what_it_does=(
        "With `djm-base`, checks migrations that exist at the base revision for `dependencies` entries added"
        " since that name a migration the base does not have (a squash whose replaced migrations all exist at"
        " the base counts as present), and new migrations whose `run_before` names a migration of the base."
    ),
    why_bad=(
        "Django refuses to run `migrate` on a database where a migration is recorded as applied while one of its"
        " dependencies is not: every environment that applied the old migration (production, staging, each"
        " developer's database) stops with `InconsistentMigrationHistory` until someone edits its"
        " `django_migrations` table by hand."
    ),
    example=(
        "# 0007_order_region was deployed; a new migration is added and the old one edited:\n"
        "class Migration(migrations.Migration):  # 0007_order_region\n"
        '    dependencies = [("orders", "0006_x"), ("catalog", "0012_new")]  # 0012_new is new\n'
    ),
    use_instead=(
        "# Leave 0007 as it was; the new migration orders itself:\n"
        "class Migration(migrations.Migration):  # orders.0008_after_catalog\n"
        '    dependencies = [("orders", "0007_order_region"), ("catalog", "0012_new")]\n'
    ),
    options=("djm-base",),
)
def dependency_added_to_applied_migration(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    base = index.base
    if base is None:
        return
    for key, facts in sorted(index.migrations.items()):
        was = base.migrations.get(key)
        if was is not None and was.facts is not None and was.facts.dependencies_complete:
            before = {_key(entry) for entry in was.facts.dependencies}
            for entry in facts.dependencies:
                target = _key(entry)
                if target is None or target in before or _applied_at_base(base, target, index) is not False:
                    continue
                yield _flag(index, key, entry, key, target, base)
        elif was is None:
            for entry in facts.run_before:
                target = _key(entry)
                if target is not None and target in base.migrations and target in index.migrations:
                    # The base migration now depends on this new one.
                    yield _flag(index, key, entry, target, key, base)


def _flag(index: ProjectIndex, where: Key, entry: Dependency, applied: Key, target: Key, base: BaseRevision) -> Flag:
    return Flag(
        entry.line, entry.col, index.path_of(where),
        migration=".".join(applied), target=".".join(target), base=base.short,
    )


@project_rule(
    code="DJM502",
    name="applied-migration-edited",
    message=(
        "`{migration}`, applied as of `{base}`, has changed since, and databases that applied it will never run the"
        " change: {change}"
    ),
    hint="restore it as it was at `{base}` and make the change in a new migration",
    what_it_does=(
        "With `djm-base`, compares each migration that exists at the base revision with the working tree:"
        " its `operations`, `replaces`, `atomic`, `initial` and the module's functions (the code `RunPython`"
        " runs). Comments, formatting and positions do not count; added dependencies are DJM501's. The message"
        " names the first change (the operation and its argument with the old and the new value, the flag, or the"
        " function and the line where it differs) and counts the others."
    ),
    why_bad=(
        "Django records a migration as applied by name and never looks at it again: a database that applied"
        " the old version keeps the old schema or data, while fresh databases get the new one. The two drift"
        " apart silently until a later migration fails on one of them."
    ),
    example=(
        "# deployed: AddField(\"order\", \"region\", CharField(max_length=10))\n"
        "# edited in place to max_length=20 in the same migration\n"
    ),
    use_instead=(
        "# a new migration:\n"
        "migrations.AlterField(\"order\", \"region\", models.CharField(max_length=20))\n"
    ),
    options=("djm-base",),
)
def applied_migration_edited(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    base = index.base
    if base is None:
        return
    for key in sorted(base.edited):
        facts = index.migrations[key]
        change = base.changes.get(key, _UNNAMED_CHANGE)
        yield Flag(facts.line, facts.col, index.path_of(key), migration=".".join(key), base=base.short, change=change)


@project_rule(
    code="DJM503",
    name="applied-migration-removed",
    message=(
        "`{migration}`, applied as of `{base}`, {how} and no migration's `replaces` names it: databases keep a"
        " record of a migration that no longer exists"
    ),
    hint="restore it, or replace it with a squashed migration (`replaces`) and delete it only once that is deployed",
    what_it_does=(
        "With `djm-base`, checks for migrations of the base revision that are gone from the working tree (deleted,"
        " or renamed: a new migration with the same operations) while no migration lists them in `replaces`. The"
        " finding is reported on the app's newest migration (for flake8, which reports only on existing files);"
        " when the app has no migration left, on its migrations package's `__init__.py`, or, when that folder is"
        " gone too, on the nearest Python file above it."
    ),
    why_bad=(
        "Databases that applied it keep its row in `django_migrations`; migrations that depended on it fail to"
        " load (`NodeNotFoundError`), and a renamed migration runs a second time under its new name where the old"
        " one was applied."
    ),
    example="# git mv orders/migrations/0007_region.py orders/migrations/0007_order_region.py\n",
    use_instead=(
        "# keep the deployed name; to clean up history, squash (squashmigrations) and delete the replaced files\n"
        "# only after the squash has been applied everywhere\n"
    ),
    options=("djm-base",),
)
def applied_migration_removed(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    base = index.base
    if base is None:
        return
    replaced = {(entry.app, entry.name) for facts in index.migrations.values() for entry in facts.replaces}
    unsure = {key[0] for key, facts in index.migrations.items() if not facts.replaces_complete}
    renamed_to = {fingerprint: key for key, fingerprint in sorted(base.new_fingerprints.items(), reverse=True)}
    for key in sorted(base.gone):
        app = key[0]
        if key in replaced or app in unsure:
            continue
        shown = {"migration": ".".join(key), "base": base.short}
        newest = max((node for node in index.migrations if node[0] == app), default=None)
        if newest is not None:
            renamed = renamed_to.get(base.migrations[key].fingerprint)
            how = f"was renamed to `{renamed[1]}`" if renamed is not None else "was deleted"
            facts = index.migrations[newest]
            yield Flag(facts.line, facts.col, index.path_of(newest), how=how, **shown)
            continue
        emptied = base.emptied.get(app)
        if emptied is None:
            continue  # its migrations that remain do not parse: flake8's E999 says so
        how = (
            f"was deleted with its folder `{emptied.folder}`" if emptied.folder_gone
            else f"was deleted (`{app}` has no migration left)"
        )
        # No migration of the app is left to report on: the package, the nearest file, else the project's first.
        where = emptied.report_on or min((index.path_of(node) for node in index.migrations), default=None)
        if where is not None:
            yield Flag(1, 0, where, how=how, **shown)

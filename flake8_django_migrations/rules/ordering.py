"""DJM401-403: cross-app ordering. A migration that reads another app's model or field must run after the
migration that creates it and before any that removes it, in every order the dependencies allow."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from flake8_django_migrations.facts import Dependency, ModelRead
from flake8_django_migrations.project.graph import Key, format_key
from flake8_django_migrations.rules.rule import AddDependency, Fix, Flag, ReplaceEntry, project_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.project.state import ModelState, Read, StateEvent, StateKey


@project_rule(
    code="DJM401",
    fix=("safe", "adds the creating migration to `dependencies`, unless that edge would close a cycle"),
    name="read-before-create",
    message="`{target}` is read here, but `{creator}`, which creates it, is not among this migration's ancestors",
    hint="add `{dependency}` to `dependencies`, so that every database creates it first",
    what_it_does=(
        "Checks references to another app's models and fields (relation targets, `to_field`, `through`, and"
        " `apps.get_model` with the fields its querysets use in `RunPython`) whose creating migration is not"
        " an ancestor of the reading migration."
    ),
    why_bad=(
        "Django orders migrations only by their dependencies. On your database the other app's migration ran"
        " long ago, but on a fresh one (CI, a new colleague, a staging rebuild) Django may run this migration"
        " first, and it fails because the table or column does not exist yet."
    ),
    example=(
        "# shipping/migrations/0010_fill_contact_phone.py reads accounts.User.phone_number\n"
        'dependencies = [("shipping", "0009_shipment_contact_phone")]\n'
    ),
    use_instead=(
        'dependencies = [("shipping", "0009_shipment_contact_phone"), ("accounts", "0002_user_phone_number")]\n'
    ),
)
def read_before_create(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    state = index.state
    for read, key, created in _certain_reads(state):
        if not created:
            creator = sorted(event.node for event in state.creators[key])[0]
            yield Flag(
                read.reference.line, read.reference.col, index.path_of(read.node),
                target=_described(read.reference), creator=format_key(creator), dependency=_dependency(creator),
            ).with_fix(_depend_on(index, read.node, [creator]))


@project_rule(
    code="DJM402",
    fix=("safe", "adds the readers to the removal's `dependencies`, unless an edge would close a cycle"),
    name="delete-before-readers",
    message="the removal of `{target}` is not ordered after {readers}, which read it, so it may run first",
    hint="add {dependencies} to this migration's `dependencies`",
    what_it_does=(
        "Checks operations that remove or rename a model or field that a migration of another app reads,"
        " when the reader is neither an ancestor nor a descendant of the removal. (When the removal is an"
        " ancestor of the reader, DJM403 reports it once, at the reader.)"
    ),
    why_bad=(
        "Nothing orders the two, so on a fresh database Django may drop the column before the reader runs,"
        " and the reader fails: the year-long bug where fresh databases and CI fail while every existing"
        " database looks fine."
    ),
    example=(
        "# catalog/migrations/0030_drop_legacy_sku.py\n"
        'dependencies = [("catalog", "0029_sku_stable")]\n'
        'operations = [migrations.RemoveField("product", "sku")]\n'
    ),
    use_instead=(
        'dependencies = [("catalog", "0029_sku_stable"), ("orders", "0017_migrate_off_sku")]\n'
    ),
)
def delete_before_readers(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    state = index.state
    readers_by_key: dict[StateKey, list[Read]] = {}
    for read in state.reads:
        key = state.state_key(read.reference)
        if key is not None:
            readers_by_key.setdefault(key, []).append(read)
            if key[2] is not None:
                readers_by_key.setdefault((key[0], key[1], None), []).append(read)
    for key in sorted(state.removers, key=lambda item: (item[0], item[1], item[2] or "")):
        for event in state.standing_removals(key):
            if not event.operation.touches_database or state.is_uncertain(event.node):
                continue
            remover_ancestors = state.ancestors(event.node)
            unordered = sorted({
                read.node for read in readers_by_key.get(key, ())
                if read.node not in remover_ancestors and event.node not in state.ancestors(read.node)
                and not state.is_uncertain(read.node)
            })
            if not unordered:
                continue
            target = f"{key[0]}.{key[1]}" + (f".{key[2]}" if key[2] else "")
            yield Flag(
                event.operation.line, event.operation.col, index.path_of(event.node), target=target,
                readers=", ".join(f"`{format_key(node)}`" for node in unordered),
                dependencies=", ".join(_dependency(node) for node in unordered),
            ).with_fix(_depend_on(index, event.node, unordered))


@project_rule(
    code="DJM403",
    fix=(
        "unsafe",
        "repins the dependency to the last migration that still has what is read, and orders the removal after this"
        " migration",
    ),
    name="read-after-delete",
    message="`{target}` is read here, but the ancestor `{remover}` already removed it",
    hint="depend on `{last}`, the last migration that still has it, and let the removal depend on this one",
    what_it_does=(
        "Checks references to another app's models and fields that an ancestor of the reading migration has"
        " already removed or renamed, usually through a dependency on that app's latest migration."
    ),
    why_bad=(
        "The reader runs against a state that no longer has what it needs: `migrate` fails on every fresh"
        " database, with `FieldError` or a missing column."
    ),
    example='dependencies = [("catalog", "__latest__")]  # catalog 0004 removed Product.sku\n',
    use_instead='dependencies = [("catalog", "0003_copy_sku_to_ean")]  # the last state with Product.sku\n',
)
def read_after_delete(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    state = index.state
    for read, key, created in _certain_reads(state):
        if not created:
            continue  # DJM401's case
        ancestors = state.ancestors(read.node)
        removed = [
            removal for removal in state.removals_affecting(key)
            if removal.node in ancestors
            and not any(removal.node in state.ancestors(event.node) for event in created)
        ]
        if removed:
            removal = sorted(removed, key=lambda e: e.node)[0]
            last = state.last_with(removal)
            yield Flag(
                read.reference.line, read.reference.col, index.path_of(read.node),
                target=_described(read.reference), remover=format_key(removal.node),
                last=format_key(last) if last else "its parent",
            ).with_fix(_repin_before(index, read.node, removal.node, last) if last else None)


def _certain_reads(state: ModelState) -> Iterator[tuple[Read, StateKey, list[StateEvent]]]:
    """Each read of a model or field the project creates, from a migration whose ancestry is fully known, with
    the creations among the reader's ancestors."""
    for read in state.reads:
        key = state.state_key(read.reference)
        if key is None:
            continue  # nothing in the project creates it: an external model, or a typo Django reports itself
        if state.is_uncertain(read.node):
            continue
        ancestors = state.ancestors(read.node)
        creators = sorted(state.creators[key], key=lambda e: e.node)
        yield read, key, [event for event in creators if event.node in ancestors]


def _depend_on(index: ProjectIndex, node: Key, targets: Sequence[Key]) -> Fix | None:
    """Safe (DJM401, DJM402): ``targets`` added to the ``dependencies`` of ``node``, each only once, and only when no
    new edge closes a cycle (a target that already runs after ``node``: DJM303 would report the result)."""
    facts = index.migrations[node]
    if not facts.dependencies_complete or facts.dependencies_site is None or not _is_project_file(index, node):
        return None
    if any(target == node or node in index.state.ancestors(target) for target in targets):
        return None
    return Fix.safe(
        f"add {', '.join(f'`{_dependency(target)}`' for target in targets)} to `dependencies`",
        *(AddDependency(index.path_of(node), *target) for target in targets),
    )


def _repin_before(index: ProjectIndex, reader: Key, remover: Key, last: Key) -> Fix | None:
    """Unsafe (DJM403): each entry of the reader's ``dependencies`` through which ``remover`` became an ancestor is
    pinned to ``last`` instead, and ``remover`` depends on the reader. Unsafe: the reader no longer runs after what
    the entry's later migrations do. None unless that takes ``remover`` out of the reader's ancestors, every read of
    the reader still finds its creator among them, and neither change closes a cycle."""
    state, facts = index.state, index.migrations[reader]
    if not (facts.dependencies_complete and _is_project_file(index, reader) and _is_project_file(index, remover)):
        return None
    if index.migrations[remover].dependencies_site is None or not index.migrations[remover].dependencies_complete:
        return None
    targets = {dependency: _graph_target(index, dependency) for dependency in facts.dependencies}
    repinned = [
        dependency for dependency, target in targets.items()
        if dependency.app == remover[0] != reader[0] and target is not None
        and (target == remover or remover in index.state.ancestors(target))
    ]
    if not repinned:
        return None
    dropped = {targets[dependency] for dependency in repinned}
    before = _closure(index, [*(p for p in index.graph.parents.get(reader, ()) if p not in dropped), last])
    if remover in before or reader in before or last == reader:
        return None
    for read in state.reads:
        key = state.state_key(read.reference) if read.node == reader else None
        if key is not None and not any(event.node in before for event in state.creators[key]):
            return None
        if key is not None and any(event.node in before for event in state.removals_affecting(key)):
            return None
    return Fix.unsafe(
        f"depend on `{format_key(last)}` instead, and order `{format_key(remover)}` after this migration",
        *(ReplaceEntry(index.path_of(reader), d.line, d.col, (d.app, d.name), last) for d in repinned),
        AddDependency(index.path_of(remover), *reader),
    )


def _graph_target(index: ProjectIndex, dependency: Dependency) -> Key | None:
    """The node a literal ``dependencies`` entry names, ``__latest__`` resolved to an app's only leaf; None for any
    other entry (a swappable one, ``__first__``, a replaced migration)."""
    name = dependency.name
    if name == "__latest__":
        leaves = index.graph.leaves_by_app().get(dependency.app, [])
        name = leaves[0] if len(leaves) == 1 else name
    target = (dependency.app, name)
    return target if dependency.swappable_setting is None and target in index.graph.nodes else None


def _closure(index: ProjectIndex, starts: Sequence[Key]) -> set[Key]:
    """``starts`` and every migration they depend on."""
    found: set[Key] = set()
    for start in starts:
        if start in index.graph.nodes and start not in found:
            found.add(start)
            found.update(index.state.ancestors(start))
    return found


def _is_project_file(index: ProjectIndex, node: Key) -> bool:
    """A migration of the project's own apps: an installed package's migrations are not the project's to edit."""
    return node[0] not in {app.label for app in index.discovery.installed_apps if app.external}


def _dependency(key: Key) -> str:
    return f'("{key[0]}", "{key[1]}")'


def _described(reference: ModelRead) -> str:
    model = f"{reference.app}.{reference.model}"
    return f"{model}.{reference.field}" if reference.field else model

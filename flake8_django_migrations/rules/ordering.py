"""DJM401-403: cross-app ordering. A migration that reads another app's model or field must run after the
migration that creates it and before any that removes it, in every order the dependencies allow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from flake8_django_migrations.facts import ModelRead
from flake8_django_migrations.project.graph import Key, format_key
from flake8_django_migrations.rules.rule import Flag, project_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.project.state import ModelState, Read, StateEvent, StateKey


@project_rule(
    code="DJM401",
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
            )


@project_rule(
    code="DJM402",
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
            )


@project_rule(
    code="DJM403",
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
            )


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


def _dependency(key: Key) -> str:
    return f'("{key[0]}", "{key[1]}")'


def _described(reference: ModelRead) -> str:
    model = f"{reference.app}.{reference.model}"
    return f"{model}.{reference.field}" if reference.field else model

"""Static model state along the graph: who creates and removes each model and field, and who reads them.

Rather than replaying every operation for every migration, the state is indexed once by what each migration
creates and removes (``(app, model, field)`` keys), and a question such as "does this reader see the field?"
is answered from the reader's ancestor set: some creator is an ancestor, and no removal that is an ancestor came
after every such creator. Ancestor sets are computed lazily and only for migrations that read across apps or
remove what another app reads, so the cost follows the number of cross-app relations, not the history length.
External apps are unknown and never checked; a model renamed with ``RenameModel`` is checked at the model level
only, since its fields carry over without operations naming them.

What a field or a model was just before an operation (the definition an ``AlterField`` changes, the ``db_table``,
``proxy``, ``managed`` and ``unique_together`` options a ``DeleteModel`` or an ``AlterUniqueTogether`` meets) is
found the same way, from the nearest earlier operation that set it along the app's history, for every migration
that asks at once.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from flake8_django_migrations.facts.model import FIELDS_WITHOUT_COLUMN
from flake8_django_migrations.facts import (
    UNKNOWN,
    Call,
    MigrationFacts,
    ModelRead,
    Operation,
    Ref,
    Value,
    django_field_class,
    on_existing_table,
)
from flake8_django_migrations.project.graph import Key, MigrationGraph

__all__ = [
    "Ancestors", "Events", "FieldAlteration", "ModelOptions", "ModelState", "Read", "StateEvent", "StateKey",
    "together_entries",
]

StateKey = tuple[str, str, str | None]  # (app label, lower-cased model, field or None for the model)
# A model's options in Django's state (``CreateModel(options=...)`` as changed since), option name -> value.
ModelOptions = Mapping[str, Value]

_RELATION_FIELDS: Final = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
# Operations that change a model's options in Django's state (RenameField: the field names in its `*_together`).
_OPTION_EVENTS: Final = frozenset(
    {"CreateModel", "DeleteModel", "RenameModel", "AlterModelOptions", "AlterModelTable", "AlterUniqueTogether",
     "AlterIndexTogether", "RenameField"}
)
# The options `AlterModelOptions` sets or, when it does not name them, takes away (Django's ALTER_OPTION_KEYS).
_ALTER_OPTION_KEYS: Final = frozenset(
    {"base_manager_name", "default_manager_name", "default_related_name", "get_latest_by", "managed", "ordering",
     "permissions", "default_permissions", "select_on_save", "verbose_name", "verbose_name_plural"}
)
_TOGETHER: Final = {"AlterUniqueTogether": "unique_together", "AlterIndexTogether": "index_together"}
# The operations the state indexes (``_index_operations``): those that change a model's options, create, remove or
# rename a model or a field, or set a field's definition.
_STATE_EVENTS: Final = _OPTION_EVENTS | {"AddField", "AlterField", "RemoveField"}
# The operations whose migration asks what a field was just before them (``definition_before``, ``field_before``),
# and the parameter naming it.
_FIELD_ASKED: Final = {"AlterField": "name", "RenameField": "old_name", "RemoveField": "name"}
# How many ancestor sets of migrations no other app depends on are kept (``ModelState.ancestors``).
_RECENT_ANCESTORS: Final = 64
# How many operations back a model's options are followed (a rename chain, many AlterModelOptions) before giving up.
_MAX_OPTION_STEPS: Final = 10_000


@dataclass(frozen=True, slots=True)
class StateEvent:
    node: Key
    operation: Operation


@dataclass(frozen=True, slots=True)
class Read:
    node: Key
    reference: ModelRead


def _model_label(value: Value, own_app: str, swappable: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """(app, lower-cased model, swappable setting) that a relation's ``to``/``through`` names, when literal."""
    if isinstance(value, str) and value != "self":
        app, dot, model = value.rpartition(".")
        return sys.intern(app) if dot else own_app, sys.intern(model.lower()), None
    if isinstance(value, Ref) and value.path.startswith("django.conf.settings."):
        setting = value.path.rpartition(".")[2]
        target = swappable.get(setting)
        if target and "." in target:
            app, _, model = target.partition(".")
            return sys.intern(app), sys.intern(model.lower()), setting
    return None


def _operation_reads(facts: MigrationFacts, swappable: Mapping[str, str]) -> Iterator[ModelRead]:
    """Models and fields of other apps that the operations point at: relation targets, ``to_field``, ``through``."""
    for op in facts.operations:
        if not op.touches_database and op.side != "state":
            continue
        fields: list[Value] = []
        if op.kind in ("AddField", "AlterField"):
            fields.append(op.param("field"))
        elif op.kind == "CreateModel":
            declared = op.param("fields")
            if isinstance(declared, tuple):
                fields.extend(pair[1] for pair in declared if isinstance(pair, tuple) and len(pair) == 2)
        for field in fields:
            if django_field_class(field) not in _RELATION_FIELDS or not isinstance(field, Call):
                continue
            target = _model_label(field.kwarg("to", field.args[0] if field.args else None), facts.app_label,
                                  swappable)
            if target is None:
                continue
            app, model, setting = target
            yield ModelRead(app, model, None, field.line, field.col, setting)
            to_field = field.kwarg("to_field")
            if isinstance(to_field, str):
                yield ModelRead(app, model, to_field, field.line, field.col, setting)
            through = _model_label(field.kwarg("through"), facts.app_label, swappable)
            if through is not None:
                yield ModelRead(through[0], through[1], None, field.line, field.col, through[2])


class FieldAlteration(NamedTuple):
    node: Key  # the migration
    operation: Operation
    field: str  # "model.field"
    before: Call
    after: Call
    added_here: bool  # the same migration added the column before altering it


class Ancestors:
    """The ancestors of one migration: a set of graph nodes, one bit each."""

    __slots__ = ("bits", "_positions", "_keys")

    def __init__(self, bits: bytes, positions: Mapping[Key, int], keys: tuple[Key, ...]) -> None:
        self.bits = bits
        self._positions = positions
        self._keys = keys

    def __contains__(self, key: object) -> bool:
        position = self._positions.get(key) if isinstance(key, tuple) else None
        if position is None or position >> 3 >= len(self.bits):
            return False
        return bool(self.bits[position >> 3] >> (position & 7) & 1)

    def __iter__(self) -> Iterator[Key]:
        for byte_index, byte in enumerate(self.bits):
            if byte:
                for bit in range(8):
                    if byte >> bit & 1:
                        yield self._keys[byte_index * 8 + bit]

    def __len__(self) -> int:
        return int.from_bytes(self.bits, "little").bit_count()


class Events(Mapping[StateKey, tuple[StateEvent, ...]]):
    """The operations on each key, in the order met. Most keys have one, kept bare: a list each took 7 MiB at
    20,000 migrations, a tuple each 3."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[StateKey, StateEvent | tuple[StateEvent, ...]] = {}

    def add(self, key: StateKey, event: StateEvent) -> None:
        known = self._by_key.get(key)
        if known is None:
            self._by_key[key] = event
        else:
            self._by_key[key] = (*known, event) if isinstance(known, tuple) else (known, event)

    def of(self, key: StateKey) -> tuple[StateEvent, ...]:
        """The operations on ``key``; none when there are none."""
        known = self._by_key.get(key)
        return () if known is None else known if isinstance(known, tuple) else (known,)

    def __getitem__(self, key: StateKey) -> tuple[StateEvent, ...]:
        known = self._by_key[key]
        return known if isinstance(known, tuple) else (known,)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[StateKey]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)


class _Questions:
    """The keys each migration asks about, in the order first asked. Most ask about one, kept bare: a set per
    migration took 4 MiB at 20,000 migrations, a tuple 1.5."""

    __slots__ = ("_first", "_more")

    def __init__(self) -> None:
        self._first: dict[Key, StateKey] = {}
        self._more: dict[Key, tuple[StateKey, ...]] = {}

    def add(self, node: Key, key: StateKey) -> None:
        first = self._first.setdefault(node, key)
        more = self._more.get(node, ())
        if key != first and key not in more:
            self._more[node] = (*more, key)

    def of(self, node: Key) -> tuple[StateKey, ...]:
        first = self._first.get(node)
        return () if first is None else (first, *self._more.get(node, ()))


class ModelState:
    """Who creates and who removes each model and field, and what each migration reads of other apps."""

    def __init__(self, graph: MigrationGraph, migrations: Mapping[Key, MigrationFacts],
                 swappable: Mapping[str, str]) -> None:
        self.graph = graph
        self.migrations = migrations
        self.swappable = swappable
        self.creators = Events()
        self.removers = Events()
        self.definitions = Events()  # operations that set a field's definition
        self.renamed_models: set[tuple[str, str]] = set()
        self.reads: list[Read] = []
        # Ancestor sets as bits over the graph's nodes in sorted order (a frozenset per asking migration took 35 MiB
        # at 20,000 migrations), kept for the migrations other apps depend on (`_shared`), and for the last few
        # asked: a rule asks about one app's migrations in a row, each walk stopping at the one before.
        self._ancestors: dict[Key, Ancestors] = {}
        self._recent_ancestors: dict[Key, Ancestors] = {}
        self._shared: frozenset[Key] | None = None
        self._keys = tuple(sorted(graph.nodes))
        self._positions: dict[Key, int] = {}  # each node's bit: filled by the first walk, in the rules that ask
        self._width = (len(self._keys) + 7) // 8
        self._uncertain: frozenset[Key] | None = None
        self._alterations: tuple[FieldAlteration, ...] | None = None
        self._set_before: dict[tuple[Key, StateKey], StateEvent | None] | None = None
        self._declared: dict[int, dict[str, Call | None]] = {}  # by id: a CreateModel's fields by name
        # The operations that change each model's options (keyed `(app, model, None)`), and per migration each one's
        # position; the migrations that ask what a field or a model was before them (an operation on it, even one
        # on the database side only); the options after each such operation, worked out once.
        self.option_events = Events()
        self._option_positions: dict[Key, dict[StateKey, list[tuple[int, Operation]]]] = {}
        # What each migration may ask, apart: the options walk answers the models, the definitions walk the fields.
        self._asked_models = _Questions()
        self._asked_fields = _Questions()
        self._model_keys: dict[StateKey, StateKey] = {}  # one key object per model, however many migrations ask
        # Each migration's parents in its own app, sorted; and the chains the walks go down (`_chains`).
        self._app_parents: dict[Key, list[Key]] = {}
        self._chain_layout: tuple[dict[Key, list[Key]], list[Key]] | None = None
        self._options_set_before: dict[tuple[Key, StateKey], StateEvent | None] | None = None
        self._options_after: dict[tuple[int, StateKey], ModelOptions | None] = {}
        self._primary_keys: dict[tuple[str, str], list[Call]] | None = None
        self._joined: tuple[frozenset[tuple[str, str]], bool] | None = None
        # Per operation kind, the positions in `migrations` of the migrations holding one (`migrations_with`): here,
        # so that the rules' worker processes, forked once the state is built, find it.
        # (Keys and machine integers: a pair per migration and an int object per holder took 1.7 MiB at 20,000.)
        self._in_order = tuple(migrations)
        self._holding: dict[str | None, array[int]] = {}
        for number, holder in enumerate(migrations.values()):
            for kind in {op.kind for op in holder.operations}:
                numbers = self._holding.get(kind)
                if numbers is None:
                    numbers = self._holding[kind] = array("I")
                numbers.append(number)
        local_apps = {app for app, _ in graph.nodes}
        for node in self._keys:
            facts = migrations.get(node)
            if facts is None:
                continue
            self._index_operations(node, facts)
            for reference in self._reads_of(facts, swappable):
                if reference.app != node[0] and reference.app in local_apps:
                    self.reads.append(Read(node, reference))

    def _reads_of(self, facts: MigrationFacts, swappable: Mapping[str, str]) -> Iterator[ModelRead]:
        yield from _operation_reads(facts, swappable)
        for function in facts.run_python_functions(include_reverse=False):
            yield from function.reads

    def _index_operations(self, node: Key, facts: MigrationFacts) -> None:
        app = node[0]
        for position, op in enumerate(facts.operations):
            self._note_question(node, op)
            # Database-only operations leave Django's state, which historical models come from, alone; the others
            # (RunPython, AddIndex, ...) leave what is indexed here alone.
            if op.side == "database" or op.kind not in _STATE_EVENTS:
                continue
            event = StateEvent(node, op)
            model = sys.intern((op.model_name or "").lower())
            if op.kind in _OPTION_EVENTS:
                self._index_option_event(node, position, event)
            if op.kind == "CreateModel":
                self.creators.add((app, model, None), event)
                declared = op.param("fields")
                for pair in declared if isinstance(declared, tuple) else ():
                    if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str):
                        key = (app, model, pair[0])
                        self.creators.add(key, event)
                        self.definitions.add(key, event)
            elif op.kind == "DeleteModel":
                self.removers.add((app, model, None), event)
            elif op.kind == "RenameModel":
                old, new = op.param("old_name"), op.param("new_name")
                if isinstance(old, str) and isinstance(new, str):
                    old_model, new_model = sys.intern(old.lower()), sys.intern(new.lower())
                    self.removers.add((app, old_model, None), event)
                    self.creators.add((app, new_model, None), event)
                    self.renamed_models.add((app, new_model))
            elif op.kind in ("AddField", "AlterField", "RemoveField", "RenameField"):
                self._index_field_operation(app, model, event)

    def _note_question(self, node: Key, op: Operation) -> None:
        """Remember that ``node`` may ask about the model (and the field) ``op`` works on, so that the walk that
        answers every such question at once (``_find_set_before``) answers it."""
        model = op.param("old_name") if op.kind == "RenameModel" else op.model_name
        if not isinstance(model, str):
            return
        model = sys.intern(model.lower())
        model_key = (node[0], model, None)
        self._asked_models.add(node, self._model_keys.setdefault(model_key, model_key))
        # What an altered, renamed or removed field was (the schema rules ask; a field added or created is not asked
        # about before the operation that sets it).
        name = _FIELD_ASKED.get(op.kind or "")
        field = op.param(name) if name is not None else None
        if isinstance(field, str):
            self._asked_fields.add(node, (node[0], model, field))

    def _index_option_event(self, node: Key, position: int, event: StateEvent) -> None:
        op = event.operation
        names = (op.param("old_name"), op.param("new_name")) if op.kind == "RenameModel" else (op.model_name,)
        for name in names:
            if isinstance(name, str):
                key = (node[0], sys.intern(name.lower()), None)
                self.option_events.add(key, event)
                self._option_positions.setdefault(node, {}).setdefault(key, []).append((position, op))

    def _index_field_operation(self, app: str, model: str, event: StateEvent) -> None:
        op = event.operation
        if op.kind == "RenameField":
            old, new = op.param("old_name"), op.param("new_name")
            if isinstance(old, str) and isinstance(new, str):
                self.removers.add((app, model, old), event)
                self.creators.add((app, model, new), event)
            return
        name = op.param("name")
        if not isinstance(name, str):
            return
        key = (app, model, name)
        if op.kind == "AddField":
            self.creators.add(key, event)
            self.definitions.add(key, event)
        elif op.kind == "AlterField":
            self.definitions.add(key, event)
        else:
            self.removers.add(key, event)

    def migrations_with(self, *kinds: str) -> list[tuple[Key, MigrationFacts]]:
        """The migrations (every one of the index, also those the graph leaves out) holding an operation of one of
        ``kinds``, in the order of ``migrations``. A rule after a few kinds of operations visits these only: in a
        long history most migrations hold none, and walking each of them once per rule cost more than the checks."""
        if len(kinds) == 1:
            numbers: Iterable[int] = self._holding.get(kinds[0], ())
        else:
            numbers = sorted({number for kind in kinds for number in self._holding.get(kind, ())})
        return [(key, self.migrations[key]) for key in (self._in_order[number] for number in numbers)]

    def is_uncertain(self, node: Key) -> bool:
        """Whether the ancestry of ``node`` is not fully known: it or an ancestor has non-literal dependencies."""
        if self._uncertain is None:
            # Once for the graph, forwards from each migration that is unsure itself: asking every ancestor of
            # every node would be quadratic in the size of the graph.
            uncertain = {
                key for key, facts in self.migrations.items()
                if not (facts.dependencies_complete and facts.run_before_complete)
            }
            todo = list(uncertain)
            while todo:
                for child in self.graph.children.get(todo.pop(), ()):
                    if child not in uncertain:
                        uncertain.add(child)
                        todo.append(child)
            self._uncertain = frozenset(uncertain)
        return node in self._uncertain

    def ancestors(self, node: Key) -> Ancestors:
        """Every migration that must run before ``node`` (not ``node`` itself)."""
        cached = self._ancestors.get(node) or self._recent_ancestors.get(node)
        if cached is not None:
            return cached
        if self._shared is None:
            self._positions = {key: position for position, key in enumerate(self._keys)}
            self._remember_shared_ancestors()
        result = self._walk_ancestors(node)
        if node in self._shared_nodes():
            self._ancestors[node] = result
        else:
            if len(self._recent_ancestors) >= _RECENT_ANCESTORS:
                del self._recent_ancestors[next(iter(self._recent_ancestors))]
            self._recent_ancestors[node] = result
        return result

    def _shared_nodes(self) -> frozenset[Key]:
        """The migrations another app depends on: every walk up the graph that leaves an app passes one."""
        if self._shared is None:
            self._shared = frozenset(
                parent for child, parents in self.graph.parents.items() for parent in parents if parent[0] != child[0]
            )
        return self._shared

    def _remember_shared_ancestors(self) -> None:
        """The ancestors of each migration another app depends on, parents first, so that a walk from any migration
        stops at the first of them in its own app. Keeping every asked migration's ancestors instead grew with the
        square of the history (40 MiB at 50,000 migrations for DJM401); these are one per dependency target."""
        shared = self._shared_nodes()
        waiting = {node: len(self.graph.parents.get(node, ())) for node in self._keys}
        ready = [node for node, count in waiting.items() if count == 0]
        while ready:  # a migration on a cycle is never ready: its walk goes all the way, as it must
            node = ready.pop()
            if node in shared:
                self._ancestors[node] = self._walk_ancestors(node)
            for child in self.graph.children.get(node, ()):
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)

    def _walk_ancestors(self, node: Key) -> Ancestors:
        positions = self._positions
        found = bytearray(self._width)
        inherited = 0  # the ancestors of ancestors already worked out
        seen: set[Key] = set()
        stack = list(self.graph.parents.get(node, ()))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            position = positions[current]
            found[position >> 3] |= 1 << (position & 7)
            known = self._ancestors.get(current) or self._recent_ancestors.get(current)
            if known is not None:
                inherited |= int.from_bytes(known.bits, "little")
                continue
            stack.extend(self.graph.parents.get(current, ()))
        bits = (int.from_bytes(found, "little") | inherited).to_bytes(self._width, "little").rstrip(b"\0")
        return Ancestors(bits, positions, self._keys)

    def state_key(self, reference: ModelRead) -> StateKey | None:
        """The key a reference reads; a foreign key's ``<name>_id`` reads the field ``<name>``."""
        model_key = (reference.app, reference.model, None)
        if reference.field is None:
            return model_key if model_key in self.creators else None
        if (reference.app, reference.model) in self.renamed_models:
            return model_key if model_key in self.creators else None
        key = (reference.app, reference.model, reference.field)
        if key not in self.creators and reference.field.endswith("_id"):
            key = (reference.app, reference.model, reference.field[:-3])
        return key if key in self.creators else None

    def standing_removals(self, key: StateKey) -> list[StateEvent]:
        """The operations that remove ``key`` itself, but for one followed, in the same migration, by a new
        creation of it (a type change written as remove and add), which leaves it in place."""
        recreated = {
            event.node: (event.operation.line, event.operation.col) for event in self.creators.of(key)
        }
        return [
            event for event in self.removers.of(key)
            if recreated.get(event.node, (0, 0)) < (event.operation.line, event.operation.col)
        ]

    def removals_affecting(self, key: StateKey) -> list[StateEvent]:
        """What takes ``key`` away: its own standing removals, and for a field, those of its model."""
        model_removals = self.standing_removals((key[0], key[1], None)) if key[2] is not None else []
        return [*self.standing_removals(key), *model_removals]

    def last_with(self, removal: StateEvent) -> Key | None:
        """The migration of the same app just before a removal: the last state that still has what it removes."""
        parents = self._same_app_parents(removal.node)
        return parents[-1] if parents else None

    def field_alterations(self) -> tuple[FieldAlteration, ...]:
        """Each ``AlterField`` on the database of a column that existed before its migration (not in an initial
        migration, whose tables are new, nor of a model it created) with its field's definition before it, found
        along the app's history, when both are plain Django field calls. Worked out once: half the schema and
        lock rules ask."""
        if self._alterations is None:
            self._alterations = tuple(self._find_field_alterations())
        return self._alterations

    def _find_field_alterations(self) -> Iterator[FieldAlteration]:
        # Per migration, once: the first position creating each model, and each operation's position.
        layouts: dict[Key, tuple[dict[str, int], dict[int, int]]] = {}
        for key, events in self.definitions.items():
            previous: StateEvent | None = None
            for event in events:
                op = event.operation
                # A second AlterField of the field in one migration changes what the first one left.
                earlier = previous if previous is not None and previous.node == event.node else None
                previous = event
                if op.kind != "AlterField" or not op.touches_database:
                    continue
                facts = self.migrations.get(event.node)
                if facts is None or facts.initial is True:
                    continue
                layout = layouts.get(event.node)
                if layout is None:
                    layout = layouts[event.node] = (
                        facts.model_creations(),
                        {id(other): position for position, other in enumerate(facts.operations)},
                    )
                created, positions = layout
                if not on_existing_table(created, positions[id(op)], op):
                    continue
                after = op.param("field")
                before = (
                    self._definition_in(earlier.operation, key[2]) if earlier
                    else self.definition_before(event.node, key)
                )
                if not isinstance(after, Call) or before is None or "**" in after.kwargs or "**" in before.kwargs:
                    continue
                if FIELDS_WITHOUT_COLUMN.intersection((django_field_class(before), django_field_class(after))):
                    continue  # nothing to alter, nothing to make NOT NULL
                added_here = earlier is not None and earlier.operation.kind in ("AddField", "CreateModel")
                yield FieldAlteration(event.node, op, f"{key[1]}.{key[2]}", before, after, added_here)

    def definition_before(self, node: Key, key: StateKey) -> Call | None:
        """The field's definition just before ``node``: the nearest migration of the app before it that set it, the
        app's parents of each migration searched breadth first in sorted order."""
        if self._set_before is None:
            self._set_before = self._find_set_before(self.definitions, self._asked_fields, answer_setters=False)
        if (node, key) in self._set_before:
            event = self._set_before[(node, key)]
        else:  # a migration that does not set the field itself, or one on a cycle of its app's dependencies
            event = self._search_setter(node, key, self.definitions)
        return self._definition_in(event.operation, key[2]) if event is not None else None

    def _definition_in(self, op: Operation, field: str | None) -> Call | None:
        """``definition_in``, a ``CreateModel``'s fields looked up by name: reading them through for each of its
        fields an ``AlterField`` changes was quadratic in a model with many fields."""
        if op.kind != "CreateModel" or field is None:
            return definition_in(op, field)
        declared = self._declared.get(id(op))
        if declared is None:
            declared = self._declared[id(op)] = {}
            fields = op.param("fields")
            for pair in fields if isinstance(fields, tuple) else ():
                if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str):
                    declared.setdefault(pair[0], pair[1] if isinstance(pair[1], Call) else None)
        return declared.get(field)

    def field_before(self, node: Key, position: int, model: str, name: str) -> Call | None:
        """The definition of ``model.name`` just before the operation at ``position`` of ``node``: set earlier in the
        same migration, else along the app's history (``definition_before``); None when not known."""
        facts = self.migrations.get(node)
        model = model.lower()
        for op in reversed(facts.operations[:position] if facts is not None else ()):
            if op.side == "database" or (op.model_name or "").lower() != model:
                continue
            if op.kind == "CreateModel":
                return self._definition_in(op, name)
            if op.kind == "DeleteModel" or (op.kind == "RenameField" and name in (op.param("old_name"),
                                                                                  op.param("new_name"))):
                return None  # gone, or known under another name: not worth following
            if op.kind in ("AddField", "AlterField", "RemoveField") and op.param("name") == name:
                return definition_in(op, name) if op.kind != "RemoveField" else None
        return self.definition_before(node, (node[0], model, name))

    def options_before(self, node: Key, position: int, model: str) -> ModelOptions | None:
        """The options of ``model`` (of ``node``'s app) in Django's state just before the operation at ``position``
        of ``node``: those of its ``CreateModel``, as ``AlterModelOptions``, ``AlterModelTable``, the together
        operations and ``RenameField`` changed them, carried over a ``RenameModel``; found along the app's history
        (the nearest earlier operation on the model, as for ``definition_before``). None when not known: no
        ``CreateModel`` found, options that are not literal, the model deleted or renamed away."""
        key: StateKey = (node[0], model.lower(), None)
        where = (node, position)
        chain: list[tuple[Operation, StateKey]] = []  # the changes to apply, latest first
        options: ModelOptions | None = None
        for _ in range(_MAX_OPTION_STEPS):
            previous = self._previous_option_event(where[0], where[1], key)
            if previous is None:
                break
            found_node, found_position, op = previous
            if (id(op), key) in self._options_after:
                options = self._options_after[(id(op), key)]
                break
            if op.kind == "CreateModel":
                options = self._options_after[(id(op), key)] = _literal_options(op.param("options"))
                break
            if op.kind == "DeleteModel":
                break
            if op.kind == "RenameModel":
                old, new = op.param("old_name"), op.param("new_name")
                if not (isinstance(old, str) and isinstance(new, str) and new.lower() == key[1]):
                    break  # renamed away: no model of this name after it
                chain.append((op, key))
                key = (key[0], old.lower(), None)
            else:
                chain.append((op, key))
            where = (found_node, found_position)
        for op, changed_key in reversed(chain):
            options = _options_changed(options, op) if options is not None else None
            self._options_after[(id(op), changed_key)] = options
        return options

    def has_no_table(self, node: Key, position: int, model: str) -> bool:
        """Whether ``model`` is a proxy or unmanaged model just before the operation at ``position`` of ``node``:
        Django's schema operations skip such a model (``allow_migrate_model``), there is no table of its own."""
        options = self.options_before(node, position, model)
        return options is not None and (options.get("proxy") is True or options.get("managed") is False)

    def _previous_option_event(self, node: Key, position: int, key: StateKey) -> tuple[Key, int, Operation] | None:
        """The last operation before ``position`` of ``node`` that changed the options of the model ``key``:
        earlier in the same migration, else the last one of the nearest migration of the app that has one."""
        for found_position, op in reversed(self._option_positions.get(node, {}).get(key, ())):
            if found_position < position:
                return node, found_position, op
        if self._options_set_before is None:
            # Its setters too: following a model's options back asks what each one found was before it.
            self._options_set_before = self._find_set_before(
                self.option_events, self._asked_models, answer_setters=True
            )
        if (node, key) in self._options_set_before:
            event = self._options_set_before[(node, key)]
        else:  # not asked about when the state was indexed (a cycle of the app's dependencies)
            event = self._search_setter(node, key, self.option_events)
        if event is None:
            return None
        for found_position, op in self._option_positions.get(event.node, {}).get(key, ()):
            if op is event.operation:
                return event.node, found_position, op
        return None

    def primary_keys(self, app: str, model: str) -> list[Call]:
        """Every definition along the project's history of a field of ``app.model`` declared ``primary_key=True``
        (a relation to the model points at it); empty when none is written (Django's implicit ``id``)."""
        if self._primary_keys is None:
            found: dict[tuple[str, str], list[Call]] = {}
            for key, events in self.definitions.items():
                for event in events:
                    field = self._definition_in(event.operation, key[2])
                    if field is not None and field.kwarg("primary_key") is True:
                        found.setdefault((key[0], key[1]), []).append(field)
            self._primary_keys = found
        return self._primary_keys.get((app, model.lower()), [])

    def relation_target(self, field: Call, app: str, model: str) -> tuple[str, str] | None:
        """(app, lower-cased model) that a relation field of ``app.model`` points at, when its ``to`` can be read."""
        target = field.kwarg("to", field.args[0] if field.args else None)
        if target == "self":
            return app, model.lower()
        label = _model_label(target, app, self.swappable)
        return (label[0], label[1]) if label is not None else None

    def field_definitions(self, app: str, model: str, name: str) -> list[Call]:
        """Every definition of ``app.model.name`` along the project's history."""
        key = (app, model.lower(), name)
        return [
            field for event in self.definitions.of(key)
            if (field := self._definition_in(event.operation, name)) is not None
        ]

    def in_auto_many_to_many(self, app: str, model: str) -> bool:
        """Whether some ``ManyToManyField`` without ``through`` in the project's history is declared on ``app.model``
        or points at it, so that Django keeps a join table with a column named after the model; True also when a
        many-to-many target cannot be read (it may be this model)."""
        if self._joined is None:
            joined: set[tuple[str, str]] = set()
            unreadable = False
            for key, events in self.definitions.items():
                for event in events:
                    field = self._definition_in(event.operation, key[2])
                    if django_field_class(field) != "ManyToManyField" or field is None:
                        continue
                    if field.kwarg("through") is not None or "**" in field.kwargs:
                        unreadable = unreadable or "**" in field.kwargs
                        continue
                    joined.add((key[0], key[1]))
                    target = field.kwarg("to", field.args[0] if field.args else None)
                    label = _model_label(target, key[0], self.swappable)
                    if label is not None:
                        joined.add((label[0], label[1]))
                    elif target != "self":
                        unreadable = True
            self._joined = (frozenset(joined), unreadable)
        joined_models, unreadable = self._joined
        return unreadable or (app, model.lower()) in joined_models

    def _same_app_parents(self, node: Key) -> list[Key]:
        """The parents of ``node`` in its own app, sorted (worked out once: every search and walk asks)."""
        parents = self._app_parents.get(node)
        if parents is None:
            parents = self._app_parents[node] = sorted(
                parent for parent in self.graph.parents.get(node, ()) if parent[0] == node[0]
            )
        return parents

    def _search_setter(
        self, node: Key, key: StateKey, definitions: Events
    ) -> StateEvent | None:
        """The last operation setting ``key`` in the first migration that sets it, searching from ``node`` through
        the app's parents breadth first, each migration's parents in sorted order."""
        setters = {event.node: event for event in definitions.of(key)}
        queue = deque(self._same_app_parents(node))
        seen: set[Key] = set()
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            event = setters.get(current)
            if event is not None:
                return event
            queue.extend(self._same_app_parents(current))
        return None

    def _search_order(self, node: Key) -> dict[Key, int]:
        """The position of each migration in ``_search_setter``'s search from ``node`` run to the end."""
        order: dict[Key, int] = {}
        queue = deque(self._same_app_parents(node))
        while queue:
            current = queue.popleft()
            if current not in order:
                order[current] = len(order)
                queue.extend(self._same_app_parents(current))
        return order

    def _chains(self) -> tuple[dict[Key, list[Key]], list[Key]]:
        """The migrations below each one that is the one parent of their app, and the tops of the chains this makes
        (a first migration, or a merge): the same for both walks, worked out once."""
        if self._chain_layout is None:
            below: dict[Key, list[Key]] = {}
            tops: list[Key] = []
            for node in self._keys:  # the graph's nodes, sorted
                parents = self._same_app_parents(node)
                if len(parents) == 1:
                    below.setdefault(parents[0], []).append(node)
                else:
                    tops.append(node)
            self._chain_layout = below, tops
        return self._chain_layout

    def _find_set_before(
        self, definitions: Events, asked: _Questions,
        answer_setters: bool,
    ) -> dict[tuple[Key, StateKey], StateEvent | None]:
        """For each migration and each key it asks about (``asked``: an operation on it) and, with
        ``answer_setters``, each key it sets (a field's definition in ``definitions``, or a model's options), the
        operation that set the key last before it, as ``_search_setter`` finds it. Once for every key together: a
        search per ``AlterField`` was quadratic in a long history. (The definitions are asked about only before an
        operation that alters, renames or removes a field: answering every field each ``CreateModel`` declares
        cost more than the rest of the walk.)

        A migration whose app has one parent of it sees what that parent set, or else what the parent saw. So each
        chain of such migrations is walked down from its top (a first migration, which sees nothing, or a merge,
        which is searched) keeping the settings of each field on the way: the last one is the answer. A merge's
        search is run once to the end for all the fields that are not set below it."""
        last_set: dict[Key, dict[StateKey, StateEvent]] = {}  # per migration, the last operation setting each field
        for key, events in definitions.items():
            for event in events:
                last_set.setdefault(event.node, {})[key] = event
        below, tops = self._chains()
        found: dict[tuple[Key, StateKey], StateEvent | None] = {}
        on_the_way: dict[StateKey, list[StateEvent]] = {}
        nothing: dict[StateKey, StateEvent] = {}
        for top in tops:
            seen_by_top: dict[StateKey, StateEvent | None] = {}
            order: dict[Key, int] | None = None
            walk: list[tuple[Key, bool]] = [(top, False)]
            while walk:
                node, leaving = walk.pop()
                here = last_set.get(node, nothing)
                if leaving:
                    for key in here:
                        on_the_way[key].pop()
                    continue
                for key in (*here, *asked.of(node)) if answer_setters else asked.of(node):
                    setters = on_the_way.get(key)
                    if setters:
                        found[(node, key)] = setters[-1]
                    elif key in seen_by_top:
                        found[(node, key)] = seen_by_top[key]
                    elif key not in definitions:
                        found[(node, key)] = None  # set nowhere: no search needed
                    else:
                        if order is None:
                            order = self._search_order(top)
                        found[(node, key)] = seen_by_top[key] = _first_in(order, definitions[key])
                if here:  # nothing to take back on the way up otherwise
                    for key, event in here.items():
                        on_the_way.setdefault(key, []).append(event)
                    walk.append((node, True))
                children = below.get(node)
                if children:
                    walk.extend([(child, False) for child in children])
        return found


def _first_in(order: Mapping[Key, int], events: Iterable[StateEvent]) -> StateEvent | None:
    """The last of ``events`` in the migration that comes first in ``order``; None when ``order`` has none."""
    first: StateEvent | None = None
    for event in events:
        position = order.get(event.node)
        if position is not None and (first is None or position <= order[first.node]):
            first = event
    return first


def _literal_options(value: Value) -> dict[str, Value] | None:
    """A model's options written as a literal dict (None: no options); None when they are not."""
    if value is None:
        return {}
    if not isinstance(value, tuple):
        return None
    options: dict[str, Value] = {}
    for pair in value:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            return None
        options[pair[0]] = pair[1]
    return options


def _options_changed(options: ModelOptions, op: Operation) -> ModelOptions | None:
    """A model's options after ``op`` (not a ``CreateModel``), as Django's ``state_forwards`` changes them."""
    changed = dict(options)
    if op.kind == "AlterModelOptions":
        given = _literal_options(op.param("options"))
        if given is None:
            return None
        for name in _ALTER_OPTION_KEYS - given.keys():
            changed.pop(name, None)
        changed.update(given)
    elif op.kind == "AlterModelTable":
        changed["db_table"] = op.param("table")
    elif op.kind in _TOGETHER:
        changed[_TOGETHER[op.kind]] = op.param(_TOGETHER[op.kind])
    elif op.kind == "RenameField":
        old, new = op.param("old_name"), op.param("new_name")
        for option in _TOGETHER.values():
            if option not in changed:
                continue
            entries = together_entries(changed[option])
            if entries is None or not isinstance(old, str) or not isinstance(new, str):
                changed[option] = UNKNOWN
            else:
                changed[option] = tuple(sorted(tuple(new if name == old else name for name in entry)
                                               for entry in entries))
    return changed


def together_entries(value: Value) -> frozenset[tuple[str, ...]] | None:
    """The entries of a ``unique_together``/``index_together`` value as Django normalises them (one entry may be
    written flat: ``("a", "b")``; ``set()`` is none); None when the value is not literal."""
    if value is None or value == ():
        return frozenset()
    if isinstance(value, Call):
        empty = value.func in ("set", "frozenset", "tuple", "list") and not value.args and not value.kwargs
        return frozenset() if empty else None
    if not isinstance(value, tuple):
        return None
    names = tuple(name for name in value if isinstance(name, str))
    if len(names) == len(value):
        return frozenset({names})
    entries: list[tuple[str, ...]] = []
    for entry in value:
        entry_names = tuple(name for name in entry if isinstance(name, str)) if isinstance(entry, tuple) else ()
        if not isinstance(entry, tuple) or len(entry_names) != len(entry):
            return None
        entries.append(entry_names)
    return frozenset(entries)


def definition_in(op: Operation, field: str | None) -> Call | None:
    """The definition of ``field`` that ``op`` (a ``CreateModel``, ``AddField`` or ``AlterField``) sets."""
    if op.kind == "CreateModel":
        declared = op.param("fields")
        for pair in declared if isinstance(declared, tuple) else ():
            if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == field:
                return pair[1] if isinstance(pair[1], Call) else None
        return None
    definition = op.param("field")
    return definition if isinstance(definition, Call) else None

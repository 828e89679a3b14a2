"""Static model state along the graph, and the rules that need it (DJM401-403, DJM207-208).

Rather than replaying every operation for every migration, the state is indexed once by what each migration
creates and removes (``(app, model, field)`` keys), and a question such as "does this reader see the field?"
is answered from the reader's ancestor set: some creator is an ancestor, and no removal that is an ancestor came
after every such creator. Ancestor sets are computed lazily and only for migrations that read across apps or
remove what another app reads, so the cost follows the number of cross-app relations, not the history length.
External apps are unknown and never checked; a model renamed with ``RenameModel`` is checked at the model level
only, since its fields carry over without operations naming them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation, Ref, Reference, Value, django_field_class
from flake8_django_migrations.project.graph import Key, MigrationGraph, format_key
from flake8_django_migrations.registry import RULES, Finding

__all__ = ["StateIndex", "state_findings"]

StateKey = tuple[str, str, str | None]  # (app label, lower-cased model, field or None for the model)

_RELATION_FIELDS: Final = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
# Fields stored as varchar, with the max_length Django gives them when none is written: changing one into
# another rewrites nothing unless the length shrinks. varchar -> text rewrites nothing either.
VARCHAR_DEFAULT_LENGTH: Final[Mapping[str, int | None]] = {
    "CharField": None, "SlugField": 50, "EmailField": 254, "URLField": 200, "FileField": 100, "ImageField": 100,
    "FilePathField": 100,
}
# The PostgreSQL column type of Django's other fields (its backend's `data_types`; a test checks them against the
# installed Django). A change between classes with the same column type rewrites nothing; relation and custom
# fields are not here and compare by class.
COLUMN_TYPES: Final[Mapping[str, str]] = {
    **dict.fromkeys(VARCHAR_DEFAULT_LENGTH, "varchar"),
    "AutoField": "integer", "IntegerField": "integer", "PositiveIntegerField": "integer",
    "BigAutoField": "bigint", "BigIntegerField": "bigint", "PositiveBigIntegerField": "bigint",
    "SmallAutoField": "smallint", "SmallIntegerField": "smallint", "PositiveSmallIntegerField": "smallint",
    "BooleanField": "boolean", "NullBooleanField": "boolean", "BinaryField": "bytea", "DateField": "date",
    "DateTimeField": "timestamp with time zone", "TimeField": "time", "DurationField": "interval",
    "DecimalField": "numeric", "FloatField": "double precision", "TextField": "text", "JSONField": "jsonb",
    "UUIDField": "uuid", "GenericIPAddressField": "inet", "IPAddressField": "inet",
}


@dataclass(frozen=True, slots=True)
class _Event:
    node: Key
    operation: Operation


@dataclass(frozen=True, slots=True)
class _Read:
    node: Key
    reference: Reference


def _model_label(value: Value, own_app: str, swappable: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """(app, lower-cased model, swappable setting) that a relation's ``to``/``through`` names, when literal."""
    if isinstance(value, str) and value != "self":
        app, dot, model = value.rpartition(".")
        return (app if dot else own_app), model.lower(), None
    if isinstance(value, Ref) and value.path.startswith("django.conf.settings."):
        setting = value.path.rpartition(".")[2]
        target = swappable.get(setting)
        if target and "." in target:
            app, _, model = target.partition(".")
            return app, model.lower(), setting
    return None


def _operation_reads(facts: MigrationFacts, swappable: Mapping[str, str]) -> Iterator[Reference]:
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
            yield Reference(app, model, None, field.line, field.col, setting)
            to_field = field.kwarg("to_field")
            if isinstance(to_field, str):
                yield Reference(app, model, to_field, field.line, field.col, setting)
            through = _model_label(field.kwarg("through"), facts.app_label, swappable)
            if through is not None:
                yield Reference(through[0], through[1], None, field.line, field.col, through[2])


class StateIndex:
    """Who creates and who removes each model and field, and what each migration reads of other apps."""

    def __init__(self, graph: MigrationGraph, migrations: Mapping[Key, MigrationFacts],
                 swappable: Mapping[str, str]) -> None:
        self.graph = graph
        self.migrations = migrations
        self.creators: dict[StateKey, list[_Event]] = {}
        self.removers: dict[StateKey, list[_Event]] = {}
        self.definitions: dict[StateKey, list[_Event]] = {}  # operations that set a field's definition
        self.renamed_models: set[tuple[str, str]] = set()
        self.reads: list[_Read] = []
        self._ancestors: dict[Key, frozenset[Key]] = {}
        local_apps = {app for app, _ in graph.nodes}
        for node in sorted(graph.nodes):
            facts = migrations.get(node)
            if facts is None:
                continue
            self._index_operations(node, facts)
            for reference in self._reads_of(facts, swappable):
                if reference.app != node[0] and reference.app in local_apps:
                    self.reads.append(_Read(node, reference))

    def _reads_of(self, facts: MigrationFacts, swappable: Mapping[str, str]) -> Iterator[Reference]:
        yield from _operation_reads(facts, swappable)
        for function in facts.run_python_functions(include_reverse=False):
            yield from function.reads

    def _index_operations(self, node: Key, facts: MigrationFacts) -> None:
        app = node[0]
        for op in facts.operations:
            if op.side == "database" or op.kind is None:
                continue  # database-only operations leave Django's state, which historical models come from, alone
            event = _Event(node, op)
            model = (op.model_name or "").lower()
            if op.kind == "CreateModel":
                self.creators.setdefault((app, model, None), []).append(event)
                declared = op.param("fields")
                for pair in declared if isinstance(declared, tuple) else ():
                    if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str):
                        self.creators.setdefault((app, model, pair[0]), []).append(event)
                        self.definitions.setdefault((app, model, pair[0]), []).append(event)
            elif op.kind == "DeleteModel":
                self.removers.setdefault((app, model, None), []).append(event)
            elif op.kind == "RenameModel":
                old, new = op.param("old_name"), op.param("new_name")
                if isinstance(old, str) and isinstance(new, str):
                    self.removers.setdefault((app, old.lower(), None), []).append(event)
                    self.creators.setdefault((app, new.lower(), None), []).append(event)
                    self.renamed_models.add((app, new.lower()))
            elif op.kind in ("AddField", "AlterField", "RemoveField", "RenameField"):
                self._index_field_operation(app, model, event)

    def _index_field_operation(self, app: str, model: str, event: _Event) -> None:
        op = event.operation
        if op.kind == "RenameField":
            old, new = op.param("old_name"), op.param("new_name")
            if isinstance(old, str) and isinstance(new, str):
                self.removers.setdefault((app, model, old), []).append(event)
                self.creators.setdefault((app, model, new), []).append(event)
            return
        name = op.param("name")
        if not isinstance(name, str):
            return
        key = (app, model, name)
        if op.kind == "AddField":
            self.creators.setdefault(key, []).append(event)
            self.definitions.setdefault(key, []).append(event)
        elif op.kind == "AlterField":
            self.definitions.setdefault(key, []).append(event)
        else:
            self.removers.setdefault(key, []).append(event)

    def is_uncertain(self, node: Key) -> bool:
        """Whether the ancestry of ``node`` is not fully known: it or an ancestor has non-literal dependencies."""
        return any(
            not (facts.dependencies_complete and facts.run_before_complete)
            for key in (node, *self.ancestors(node))
            if (facts := self.migrations.get(key)) is not None
        )

    def ancestors(self, node: Key) -> frozenset[Key]:
        """Every migration that must run before ``node`` (not ``node`` itself)."""
        cached = self._ancestors.get(node)
        if cached is not None:
            return cached
        seen: set[Key] = set()
        stack = list(self.graph.parents.get(node, ()))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            known = self._ancestors.get(current)
            if known is not None:
                seen.add(current)
                seen.update(known)
                continue
            seen.add(current)
            stack.extend(self.graph.parents.get(current, ()))
        result = frozenset(seen)
        self._ancestors[node] = result
        return result

    def state_key(self, reference: Reference) -> StateKey | None:
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

    def standing_removals(self, key: StateKey) -> list[_Event]:
        """The operations that remove ``key`` itself, but for one followed, in the same migration, by a new
        creation of it (a type change written as remove and add), which leaves it in place."""
        recreated = {
            event.node: (event.operation.line, event.operation.col) for event in self.creators.get(key, ())
        }
        return [
            event for event in self.removers.get(key, ())
            if recreated.get(event.node, (0, 0)) < (event.operation.line, event.operation.col)
        ]

    def removals_affecting(self, key: StateKey) -> list[_Event]:
        """What takes ``key`` away: its own standing removals, and for a field, those of its model."""
        model_removals = self.standing_removals((key[0], key[1], None)) if key[2] is not None else []
        return [*self.standing_removals(key), *model_removals]

    def last_with(self, removal: _Event) -> Key | None:
        """The migration of the same app just before a removal: the last state that still has what it removes."""
        parents = sorted(parent for parent in self.graph.parents.get(removal.node, ()) if parent[0] == removal.node[0])
        return parents[-1] if parents else None


def _dependency(key: Key) -> str:
    return f'("{key[0]}", "{key[1]}")'


def _described(reference: Reference) -> str:
    model = f"{reference.app}.{reference.model}"
    return f"{model}.{reference.field}" if reference.field else model


def _read_findings(index: StateIndex) -> Iterator[Finding]:
    for read in index.reads:
        key = index.state_key(read.reference)
        if key is None:
            continue  # nothing in the project creates it: an external model, or a typo Django reports itself
        if index.is_uncertain(read.node):
            continue
        reader = index.migrations[read.node]
        ancestors = index.ancestors(read.node)
        creators = sorted(index.creators[key], key=lambda e: e.node)
        created = [event for event in creators if event.node in ancestors]
        if not created:
            creator = creators[0].node
            yield RULES["DJM401"].finding(
                reader.path, read.reference.line, read.reference.col, target=_described(read.reference),
                creator=format_key(creator), dependency=_dependency(creator),
            )
            continue
        removed = [
            removal for removal in index.removals_affecting(key)
            if removal.node in ancestors
            and not any(removal.node in index.ancestors(event.node) for event in created)
        ]
        if removed:
            removal = sorted(removed, key=lambda e: e.node)[0]
            last = index.last_with(removal)
            yield RULES["DJM403"].finding(
                reader.path, read.reference.line, read.reference.col, target=_described(read.reference),
                remover=format_key(removal.node), last=format_key(last) if last else "its parent",
            )


def _delete_findings(index: StateIndex) -> Iterator[Finding]:
    readers_by_key: dict[StateKey, list[_Read]] = {}
    for read in index.reads:
        key = index.state_key(read.reference)
        if key is not None:
            readers_by_key.setdefault(key, []).append(read)
            if key[2] is not None:
                readers_by_key.setdefault((key[0], key[1], None), []).append(read)
    for key in sorted(index.removers, key=lambda item: (item[0], item[1], item[2] or "")):
        for event in index.standing_removals(key):
            if not event.operation.touches_database or index.is_uncertain(event.node):
                continue
            remover_ancestors = index.ancestors(event.node)
            unordered = sorted({
                read.node for read in readers_by_key.get(key, ())
                if read.node not in remover_ancestors and event.node not in index.ancestors(read.node)
                and not index.is_uncertain(read.node)
            })
            if not unordered:
                continue
            facts = index.migrations[event.node]
            target = f"{key[0]}.{key[1]}" + (f".{key[2]}" if key[2] else "")
            yield RULES["DJM402"].finding(
                facts.path, event.operation.line, event.operation.col, target=target,
                readers=", ".join(f"`{format_key(node)}`" for node in unordered),
                dependencies=", ".join(_dependency(node) for node in unordered),
            )


def _previous_definition(index: StateIndex, node: Key, key: StateKey) -> Call | None:
    """The field's definition just before ``node``: the nearest migration of the app before it that set it."""
    defined = {event.node: event for event in index.definitions.get(key, ())}
    queue = deque(sorted(p for p in index.graph.parents.get(node, ()) if p[0] == node[0]))
    seen: set[Key] = set()
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        event = defined.get(current)
        if event is not None:
            op = event.operation
            if op.kind == "CreateModel":
                declared = op.param("fields")
                for pair in declared if isinstance(declared, tuple) else ():
                    if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == key[2] and isinstance(pair[1], Call):
                        return pair[1]
                return None
            field = op.param("field")
            return field if isinstance(field, Call) else None
        queue.extend(sorted(p for p in index.graph.parents.get(current, ()) if p[0] == node[0]))
    return None


def _type_change(before: Call, after: Call) -> str | None:
    """How the column's type changes, when that makes the database rewrite or re-check the table."""
    old, new = django_field_class(before), django_field_class(after)
    if old is None or new is None:
        return None
    old_type, new_type = COLUMN_TYPES.get(old), COLUMN_TYPES.get(new)
    if old_type is None or new_type is None:
        return None if old == new else f"{old} to {new}"
    if old_type == "varchar" and new_type == "text":
        return None
    if old_type == new_type == "varchar":
        was = before.kwarg("max_length", VARCHAR_DEFAULT_LENGTH[old])
        now = after.kwarg("max_length", VARCHAR_DEFAULT_LENGTH[new])
        if isinstance(was, int) and isinstance(now, int) and now < was:
            return f"max_length {was} to {now}"
        return None
    if old_type != new_type:
        return f"{old} to {new}"
    if new.startswith("Positive") and not old.startswith("Positive"):
        return f"{old} to {new}, a new CHECK constraint"
    for parameter, shrinks_only in (("max_digits", True), ("decimal_places", False)):
        was, now = before.kwarg(parameter), after.kwarg(parameter)
        if isinstance(was, int) and isinstance(now, int) and (now < was if shrinks_only else now != was):
            return f"{parameter} {was} to {now}"
    return None


def _alter_findings(index: StateIndex) -> Iterator[Finding]:
    for key, events in index.definitions.items():
        for event in events:
            op = event.operation
            if op.kind != "AlterField" or not op.touches_database:
                continue
            after = op.param("field")
            before = _previous_definition(index, event.node, key)
            if not isinstance(after, Call) or before is None or "**" in after.kwargs or "**" in before.kwargs:
                continue
            facts = index.migrations[event.node]
            field = f"{key[1]}.{key[2]}"
            change = _type_change(before, after)
            if change is not None:
                yield RULES["DJM207"].finding(facts.path, op.line, op.col, field=field, change=change)
            if before.kwarg("null") is True and after.kwarg("null", False) is False:
                yield RULES["DJM208"].finding(facts.path, op.line, op.col, field=field)


def state_findings(graph: MigrationGraph, migrations: Mapping[Key, MigrationFacts],
                   swappable: Mapping[str, str]) -> list[Finding]:
    """The findings of the rules that need the model state along the graph."""
    index = StateIndex(graph, migrations, swappable)
    findings: Iterable[Finding] = [*_read_findings(index), *_delete_findings(index), *_alter_findings(index)]
    return sorted(findings, key=lambda f: f.sort_key)

"""The facts about one migration: plain, picklable records with source positions.

A value that cannot be known without running the code is recorded as ``UNKNOWN`` (or a ``*_complete = False``
flag); rules never fire on a guess.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, Union, cast


class _Unknown:
    """A value that cannot be known statically. A singleton that survives pickling."""

    __slots__ = ()
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()

_V = TypeVar("_V", covariant=True)

# Every tuple of names a FrozenMapping was made with, kept once: a project's operations and calls use a few hundred.
_KEY_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}


class FrozenMapping(Mapping[str, _V]):
    """A read-only mapping of a few names, in insertion order, as the parameters of an operation and the arguments
    of a call are kept. A project holds one per operation and per field call, tens of thousands: two tuples, the
    one of names shared by every mapping with the same names, take half the memory of a dict; and no rule can
    change a record's parameters by mistake. Equal to a dict with the same items."""

    __slots__ = ("_keys", "_values")

    _keys: tuple[str, ...]
    _values: tuple[_V, ...]

    def __init__(self, keys: tuple[str, ...] = (), values: tuple[_V, ...] = ()) -> None:
        if len(keys) != len(values):
            raise ValueError(f"{len(keys)} names for {len(values)} values")
        self._keys = _KEY_TUPLES.setdefault(keys, keys)
        self._values = values

    @classmethod
    def of(cls, items: Mapping[str, _V]) -> FrozenMapping[_V]:
        """``items`` as a FrozenMapping (itself when it is one; the shared empty one when it is empty)."""
        if isinstance(items, FrozenMapping):
            return items
        if not items:
            return cast(FrozenMapping[_V], EMPTY_MAPPING)
        return cls(tuple(items), tuple(items.values()))

    def __reduce__(self) -> tuple[type, tuple[tuple[str, ...], tuple[_V, ...]]]:
        return type(self), (self._keys, self._values)

    def __getitem__(self, key: str) -> _V:
        # A scan of a few names in C beats hashing; a missing name raises as a dict does.
        if key in self._keys:
            return self._values[self._keys.index(key)]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values[self._keys.index(key)] if key in self._keys else default

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def values(self) -> ValuesView[_V]:
        return _Values(self)

    def items(self) -> ItemsView[str, _V]:
        return _Items(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMapping) and other._keys is self._keys:
            return self._values == other._values
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(
            key in other and other[key] == value for key, value in zip(self._keys, self._values)
        )

    __hash__ = None  # type: ignore[assignment]  # as a dict's: rules never key anything by parameters

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(zip(self._keys, self._values))!r})"


class _Values(ValuesView[_V]):
    """The values in one pass over their tuple (the mixin's looks each name up)."""

    __slots__ = ()
    _mapping: FrozenMapping[_V]  # set by MappingView

    def __iter__(self) -> Iterator[_V]:
        return iter(self._mapping._values)


class _Items(ItemsView[str, _V]):
    """The items in one pass over both tuples (the mixin's looks each name up)."""

    __slots__ = ()
    _mapping: FrozenMapping[_V]  # set by MappingView

    def __iter__(self) -> Iterator[tuple[str, _V]]:
        return zip(self._mapping._keys, self._mapping._values)


EMPTY_MAPPING: Final[FrozenMapping[Any]] = FrozenMapping()


@dataclass(frozen=True, slots=True)
class Ref:
    """A name or dotted attribute, resolved through the module's imports (``models.F`` → ``django.db.models.F``)."""

    path: str


@dataclass(frozen=True, slots=True)
class Call:
    """A call written in the source, e.g. a field definition ``models.CharField(max_length=10)``."""

    func: str | None  # the callee's resolved dotted name, None when it is not a plain name
    args: tuple[Value, ...]
    kwargs: Mapping[str, Value]
    line: int
    col: int

    def __post_init__(self) -> None:
        if type(self.kwargs) is not FrozenMapping:  # it is one when unpickled
            object.__setattr__(self, "kwargs", FrozenMapping.of(self.kwargs))

    def kwarg(self, name: str, default: Value = None) -> Value:
        return self.kwargs.get(name, default)


def django_field_class(value: Value) -> str | None:
    """The class name of a field written as one of Django's own (``models.CharField(...)``), else None:
    a project's own field class may set anything in its ``__init__``, so rules do not guess about it."""
    if isinstance(value, Call) and value.func is not None and value.func.startswith("django."):
        return value.func.rpartition(".")[2]
    return None


# Django's field classes with no column of their own (a join table, or nothing in the database).
FIELDS_WITHOUT_COLUMN: Final = frozenset({"ManyToManyField", "GenericRelation", "ForeignObject"})


Value = Union[None, bool, int, float, complex, str, bytes, tuple["Value", ...], Ref, Call, _Unknown]


@dataclass(frozen=True, slots=True)
class Site:
    """A position in the file: 1-based line, 0-based column, as in the AST and in flake8's plugin API."""

    line: int
    col: int


# Every `dependencies =` position seen, kept once (a few dozen lines and columns in any project).
_SITES: dict[Site, Site] = {}


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of ``dependencies``, ``run_before`` or ``replaces``."""

    app: str  # "" for a swappable dependency, whose app is only known from settings
    name: str  # a migration name, or "__first__" / "__latest__"
    line: int
    col: int
    swappable_setting: str | None = None  # "AUTH_USER_MODEL" for swappable_dependency(settings.AUTH_USER_MODEL)


@dataclass(frozen=True, slots=True)
class MalformedDependency:
    """A literal entry of ``dependencies`` or ``run_before`` that is not an ``(app_label, migration_name)`` pair:
    a string, a list, or a tuple of another length. Django's loader indexes it as a pair and fails."""

    attribute: str  # "dependencies" or "run_before"
    written: str  # the entry as written
    shape: str  # "tuple", "list" or "str"
    length: int
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the migration, in source order; those nested in a container are listed after it."""

    kind: str | None  # Django's class name ("AddField") when the callee is a Django operation, else None
    func: str | None  # the callee's resolved dotted name as written
    line: int
    col: int
    params: Mapping[str, Value]  # positional arguments are named after Django's signature
    side: str = "both"  # "both", or "database"/"state" inside SeparateDatabaseAndState or RunSQL(state_operations)
    # Runs only on some paths: written in a branch of `ops if X else []` or of an `if` in the class body.
    conditional: bool = False

    def __post_init__(self) -> None:
        if type(self.params) is not FrozenMapping:  # it is one when unpickled
            object.__setattr__(self, "params", FrozenMapping.of(self.params))

    def param(self, name: str, default: Value = None) -> Value:
        return self.params.get(name, default)

    @property
    def touches_database(self) -> bool:
        return self.side != "state"

    @property
    def model_name(self) -> str | None:
        value = self.params.get("model_name", self.params.get("name")) if self.kind in _MODEL_NAME_KINDS else None
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call inside a function body: the callee resolved through the imports, else ``.method`` for a method call."""

    name: str
    written: str  # the callee as written in the source
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class QuerysetUse:
    """A manager chain such as ``Product.objects.filter(...)`` inside a function."""

    line: int
    col: int
    routed: bool  # the chain calls .using(...) or .db_manager(...)


@dataclass(frozen=True, slots=True)
class WholeTableQuery:
    """A queryset that updates or iterates a model's whole table at once: no filter, slice or ``.iterator()``."""

    written: str  # the chain as written, arguments elided: ``Order.objects.all().update(...)``
    action: str  # "update" or "iterate"
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Suppression:
    """A ``# noqa`` comment as flake8 reads it: the codes it names (none: every code) and what follows them."""

    codes: tuple[str, ...]
    reason: str  # the text after the codes, without the separator (``-- contract step`` gives ``contract step``)
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class ModelRead:
    """A model, or one field of it, that a migration needs to exist when it runs."""

    app: str  # "" when the model is named by a swappable setting
    model: str  # lower-cased, as Django's migration state keys models
    field: str | None  # None: the model itself
    line: int
    col: int
    setting: str | None = None  # "AUTH_USER_MODEL" for settings.AUTH_USER_MODEL


@dataclass(frozen=True, slots=True)
class FunctionFacts:
    """What a module-level function does, for the ``RunPython`` rules."""

    name: str
    line: int
    col: int
    calls: tuple[CallSite, ...]
    local_calls: tuple[str, ...]  # other module-level functions it calls
    saves_in_loops: tuple[Site, ...]
    querysets: tuple[QuerysetUse, ...]
    reads: tuple[ModelRead, ...] = ()  # historical models it fetches with apps.get_model and their fields it uses
    whole_table_queries: tuple[WholeTableQuery, ...] = ()


@dataclass(frozen=True, slots=True)
class LiveModelUse:
    """A live model: a name imported from an app's models module and used as a model, or a global registry call."""

    name: str  # the local binding, or the call as written ("get_user_model()")
    model: str  # the model's dotted path, or the registry function called
    line: int
    col: int
    evidence: str  # how it is used, e.g. "Product.objects"


@dataclass(frozen=True, slots=True)
class MigrationFacts:
    path: str
    app_label: str
    name: str
    line: int  # the Migration class
    col: int
    dependencies: tuple[Dependency, ...] = ()
    dependencies_complete: bool = True
    dependencies_site: Site | None = None  # the `dependencies =` assignment
    malformed_dependencies: tuple[MalformedDependency, ...] = ()
    run_before: tuple[Dependency, ...] = ()
    run_before_complete: bool = True
    replaces: tuple[Dependency, ...] = ()
    replaces_complete: bool = True
    initial: bool | None = False  # None: not a literal
    atomic: bool | None = True  # None: not a literal, or inherited from a base class that cannot be read
    # "pre", "post" or "always" (django-safemigrate's `Safe.always()`) from django-safemigrate or django-syzygy
    deploy_stage: str | None = None
    operations: tuple[Operation, ...] = ()
    operations_complete: bool = True
    functions: Mapping[str, FunctionFacts] = field(default_factory=dict)
    live_models: tuple[LiveModelUse, ...] = ()
    # The module's `# noqa` comments; None when its source text was not at hand (the AST keeps no comments).
    suppressions: tuple[Suppression, ...] | None = None
    # Whether reading these facts took another file (a base class's module for `atomic`, an app's models module to
    # tell a model from a function): whoever keeps them must not key them by this file alone.
    reads_other_files: bool = False

    def __post_init__(self) -> None:
        if type(self.functions) is not FrozenMapping:  # it is one when unpickled
            object.__setattr__(self, "functions", FrozenMapping.of(self.functions))
        site = self.dependencies_site
        if site is not None:
            # Most migrations are written by makemigrations, their `dependencies` on the same line: one Site each.
            object.__setattr__(self, "dependencies_site", _SITES.setdefault(site, site))

    @property
    def is_post_deploy(self) -> bool:
        return self.deploy_stage == "post"

    @property
    def drops_are_declared_safe(self) -> bool:
        """Marked to run after the deploy, or (``Safe.always()``) declared safe at either moment: what it drops, no
        running code reads."""
        return self.deploy_stage in ("post", "always")

    def model_creations(self) -> dict[str, int]:
        """The lower-cased name of each model a ``CreateModel`` of this migration creates, with the index of the
        first operation that creates it (a model created before an operation has an empty table)."""
        created: dict[str, int] = {}
        for index, op in enumerate(self.operations):
            name = op.params.get("name") if op.kind == "CreateModel" else None
            if isinstance(name, str):
                created.setdefault(name.lower(), index)
        return created

    def run_python_functions(self, include_reverse: bool = True) -> Iterator[FunctionFacts]:
        """Module-level functions used as ``RunPython`` code (and reverse code), and the ones they call."""
        seen: set[str] = set()
        roles = ("code", "reverse_code") if include_reverse else ("code",)
        todo = [
            value.path
            for op in self.operations
            if op.kind == "RunPython"
            for value in (op.params.get(role) for role in roles)
            if isinstance(value, Ref)
        ]
        while todo:
            name = todo.pop()
            function = self.functions.get(name)
            if function is None or name in seen:
                continue
            seen.add(name)
            yield function
            todo.extend(function.local_calls)


def on_existing_table(created: Mapping[str, int], position: int, op: Operation) -> bool:
    """Whether the operation at ``position`` of its migration works on a table that existed before the migration ran:
    its model was not created earlier in it (a table created in the same migration is new and empty). ``created``
    is ``MigrationFacts.model_creations()``; an operation that names no model gives False."""
    model = op.model_name
    return model is not None and created.get(model.lower(), position) >= position


_MODEL_NAME_KINDS: Final = frozenset(
    {
        "CreateModel", "DeleteModel", "AlterModelTable", "AlterModelTableComment", "AlterUniqueTogether",
        "AlterIndexTogether", "AlterOrderWithRespectTo", "AlterModelOptions", "AlterModelManagers", "AddField",
        "RemoveField", "AlterField", "RenameField", "AddIndex", "RemoveIndex", "RenameIndex", "AddConstraint",
        "RemoveConstraint", "AlterConstraint", "AddIndexConcurrently", "RemoveIndexConcurrently",
        "AddConstraintNotValid", "ValidateConstraint",
    }
)

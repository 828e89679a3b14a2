"""The values the settings reader (``settings_reader``) works with: the kinds of value it knows (something not read,
with why: ``Unknown`` and its kinds; an *open* list: ``Partial``; something of a library: ``Known``; an import read
when used: ``Lazy``; a function, a class, a module of the project), the names a module binds (``Scope``), and the pure
helpers over values (truth, sameness, merging two branches, adding, items)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

# Limits that only a pathological or hostile settings tree reaches; each gives a reason rather than a hang.
MAX_STRING: Final = 1 << 20


# Values -----------------------------------------------------------------------------------------------------------
#
# A value is a literal (str, int, float, bool, None, bytes; lists and tuples as tuples; dicts), or one of the
# classes below. Containers are never changed in place: a method call or an item assignment makes a new one.


class Unknown:
    """A value that is not a literal (a call, something imported from outside the project), with why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class NoDefault:
    __slots__ = ()


NO_DEFAULT: Final = NoDefault()


class EnvValue(Unknown):
    """What an environment variable holds: unknown, except that the default database's settings take ``default``
    (what the settings say when the variable is not set)."""

    __slots__ = ("variable", "default")

    def __init__(self, variable: str, default: object, reason: str) -> None:
        super().__init__(reason)
        self.variable = variable
        self.default = default


class EnvTest(Unknown):
    """``"X" in os.environ`` (``negated``: ``not in``): unknown, but it tells which side of ``a if t else b`` reads
    the variable and which is its default."""

    __slots__ = ("variable", "negated")

    def __init__(self, variable: str, negated: bool, reason: str) -> None:
        super().__init__(reason)
        self.variable = variable
        self.negated = negated


class DjangoDefault(Unknown):
    """A setting a django-configurations class does not set: the library gives it Django's default."""

    __slots__ = ()


class Prefixed(Unknown):
    """A string whose start only is known (``"sqlite:///" + str(BASE_DIR / "db.sqlite3")``, an f-string): enough
    for a database URL's scheme."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str, reason: str) -> None:
        super().__init__(reason)
        self.prefix = prefix


@dataclass(frozen=True, slots=True, eq=False)
class Partial:
    """A list known to hold ``items`` (in this order) and maybe more: an *open* list."""

    items: tuple[object, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Known:
    """Something of a library, by its dotted path: ``os.environ``, ``dj_database_url.config``, an ``environ.Env``
    instance (``environ.Env()``, with the defaults its ``scheme`` gives)."""

    path: str
    scheme: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class OptionalPath:
    """split-settings' ``optional("local.py")``."""

    path: str


@dataclass(frozen=True, slots=True)
class Lazy:
    """``from .base import NAME`` (``name`` None: ``import conf.base as b``): read when it is used."""

    module: str
    name: str | None
    where: str


@dataclass(frozen=True, slots=True, eq=False)
class Function:
    name: str
    globals: frozenset[str]  # the module names it declares `global`


@dataclass(slots=True)
class Binding:
    value: object
    path: str
    line: int


class Scope:
    """Names bound so far (``outer``: the module's names a class body also sees), the files split-settings'
    ``include`` ran in this namespace, and which names changed (``changed``, and each journal being kept)."""

    __slots__ = ("names", "outer", "included", "changed", "journals")

    def __init__(self, names: dict[str, Binding] | None = None, outer: Scope | None = None,
                 included: set[str] | None = None) -> None:
        self.names: dict[str, Binding] = names if names is not None else {}
        self.outer = outer
        self.included: set[str] = included if included is not None else set()
        self.changed: set[str] = set()
        self.journals: list[set[str]] = []

    def get(self, name: str) -> Binding | None:
        found = self.names.get(name)
        if found is None and self.outer is not None:
            return self.outer.get(name)
        return found

    def set(self, name: str, binding: Binding) -> None:
        self.names[name] = binding
        self.changed.add(name)
        for journal in self.journals:
            journal.add(name)

    def update(self, bindings: dict[str, Binding]) -> None:
        self.names.update(bindings)
        self.changed.update(bindings)
        for journal in self.journals:
            journal.update(bindings)

    def branch(self) -> Scope:
        return Scope(dict(self.names), self.outer, set(self.included))

    @property
    def globals(self) -> Scope:
        return self if self.outer is None else self.outer


@dataclass(eq=False)
class Module:
    path: str
    dotted: str
    package: str
    scope: Scope


@dataclass(frozen=True, slots=True, eq=False)
class ModuleRef:
    module: Module


@dataclass(slots=True, eq=False)
class Class:
    name: str
    bases: tuple[object, ...]
    scope: Scope
    path: str
    line: int
    configuration: bool  # a django-configurations Configuration (its metaclass applies)
    linear: list[object] | None = None  # its method resolution order, once computed


# Values: helpers --------------------------------------------------------------------------------------------------


def call_arguments(args: list[object], keywords: dict[str, object], names: Sequence[str]) -> list[object]:
    """The value of each parameter in ``names`` (positional or keyword), ``NO_DEFAULT`` when not given."""
    return [args[index] if index < len(args) else keywords.get(name, NO_DEFAULT) for index, name in
            enumerate(names)]


def env_items(value: EnvValue) -> dict[object, object]:
    """The items of a dict an environment variable decides, each as what the variable decides."""
    assert isinstance(value.default, dict)
    return {key: EnvValue(value.variable, item, value.reason) for key, item in value.default.items()}


def env_defaults(value: object) -> object:
    """``value`` with each environment lookup replaced by its default (unknown without one)."""
    if isinstance(value, EnvValue):
        return env_defaults(value.default) if value.default is not NO_DEFAULT else value
    if isinstance(value, dict):
        return {key: env_defaults(item) for key, item in value.items()}
    return value


def truth_of(value: object) -> bool | None:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, Partial):
        return True if value.items else None
    if isinstance(value, (Class, Function, ModuleRef, OptionalPath)):
        return True
    if isinstance(value, (Known, Lazy)):
        return None
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - a literal's truth never raises; anything else is not decided
        return None


def is_literal(value: object) -> bool:
    return isinstance(value, (str, bytes, int, float, complex, tuple, dict)) or value is None or value is Ellipsis


def is_hashable(value: object) -> bool:
    try:
        hash(value)
    except (TypeError, RecursionError):
        return False
    return True


def list_items(value: object) -> tuple[object, ...] | None:
    if isinstance(value, tuple):
        return value
    if isinstance(value, Partial):
        return value.items
    return None


def same_value(left: object, right: object) -> bool:
    """Equal and of the same types, nested (``1 == True`` is not the same value)."""
    if left is right:
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, tuple):
        assert isinstance(right, tuple)
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        assert isinstance(right, dict)
        return len(left) == len(right) and all(
            key in right and same_value(item, right[key]) for key, item in left.items())
    if isinstance(left, Partial):
        assert isinstance(right, Partial)
        return same_value(left.items, right.items)
    if isinstance(left, EnvValue):
        assert isinstance(right, EnvValue)
        return left.variable == right.variable and same_value(left.default, right.default)
    if isinstance(left, (str, bytes, int, float, complex, Known, Lazy, OptionalPath)):
        try:
            return bool(left == right)
        except Exception:  # noqa: BLE001 - a scheme's value that cannot be compared: not the same
            return False
    return False


def merge_values(left: object, right: object, reason: str) -> object:
    """What is known of a value that is either ``left`` or ``right``."""
    if same_value(left, right):
        return left
    if isinstance(left, Unknown) and not isinstance(left, EnvValue):
        return left
    if isinstance(right, Unknown) and not isinstance(right, EnvValue):
        return right
    if isinstance(left, dict) and isinstance(right, dict):
        merged: dict[object, object] = {}
        for key, item in left.items():
            merged[key] = merge_values(item, right[key], reason) if key in right else Unknown(reason)
        for key in right:
            if key not in left:
                merged[key] = Unknown(reason)
        return merged
    left_items, right_items = list_items(left), list_items(right)
    if left_items is not None and right_items is not None:
        if not all(is_hashable(item) for item in (*left_items, *right_items)):
            return Unknown(reason)
        available = Counter(right_items)
        common: list[object] = []
        for item in left_items:
            if available[item] > 0:
                available[item] -= 1
                common.append(item)
        return Partial(tuple(common), reason) if common else Unknown(reason)
    return Unknown(reason)


def order_free(changes: list[tuple[str, object, object]]) -> bool:
    """Whether the files that changed a name give the same value in whatever order runs: all set the same value,
    or each only added entries to a list (the first may define it: run later, the others would fail)."""
    if all(same_value(after, changes[0][2]) for _, _, after in changes):
        return True
    for index, (_, before, after) in enumerate(changes):
        if index == 0 and before is NO_DEFAULT:
            continue
        before_items, after_items = list_items(before), list_items(after)
        if before_items is None or after_items is None:
            return False
        if not all(is_hashable(item) for item in (*before_items, *after_items)):
            return False
        if Counter(before_items) - Counter(after_items):
            return False
    return True


def add_values(left: object, right: object, where: str) -> object:
    left_items, right_items = list_items(left), list_items(right)
    if left_items is not None and right_items is not None:
        partial = left if isinstance(left, Partial) else right if isinstance(right, Partial) else None
        joined = (*left_items, *right_items)
        return Partial(joined, partial.reason) if partial is not None else joined
    # A list plus something not read: the list's entries are there, and maybe more.
    if left_items is not None and isinstance(right, Unknown) and not isinstance(right, EnvValue):
        return Partial(left_items, right.reason)
    if right_items is not None and isinstance(left, Unknown) and not isinstance(left, EnvValue):
        return Partial(right_items, left.reason)
    if isinstance(left, EnvValue) or isinstance(right, EnvValue):
        variable = left if isinstance(left, EnvValue) else right
        assert isinstance(variable, EnvValue)
        left_default = left.default if isinstance(left, EnvValue) else left
        right_default = right.default if isinstance(right, EnvValue) else right
        if isinstance(left_default, str) and isinstance(right_default, str):
            return EnvValue(variable.variable, left_default + right_default, variable.reason)
        return EnvValue(variable.variable, NO_DEFAULT, variable.reason)
    if isinstance(left, Prefixed):
        return Prefixed(left.prefix, left.reason)
    if isinstance(left, str) and isinstance(right, Unknown) and len(left) <= MAX_STRING:
        return Prefixed(left, right.reason)
    for side in (left, right):
        if isinstance(side, Unknown):
            return side
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_STRING:
            return Unknown(f"a string at {where} is too long to read")
        return left + right
    return Unknown(f"an addition at {where} is not of two lists")


def get_item(container: object, keys: list[object]) -> object:
    for key in keys:
        if isinstance(container, Unknown):
            return container
        if isinstance(key, Unknown):
            return key
        if isinstance(container, dict) and is_hashable(key) and key in container:
            container = container[key]
        elif isinstance(container, tuple) and isinstance(key, int) and not isinstance(key, bool) and (
                -len(container) <= key < len(container)):
            container = container[key]
        else:
            return Unknown("an item that is not read")
    return container


def set_item(container: object, keys: list[object], value: object, where: str) -> object:
    if isinstance(container, Unknown):
        return container
    if not keys:
        return value
    key = keys[0]
    if not isinstance(container, dict) or isinstance(key, Unknown) or not is_hashable(key):
        return Unknown(f"an item assignment at {where} is not literal")
    inner = container.get(key, {}) if len(keys) > 1 else None
    return {**container, key: set_item(inner, keys[1:], value, where)}

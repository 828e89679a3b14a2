"""Read a module-level function that ``RunPython`` runs: what it calls, saves in loops, queries and reads."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Union

from flake8_django_migrations.facts.model import (
    CallSite,
    FunctionFacts,
    ModelRead,
    QuerysetUse,
    Site,
    WholeTableQuery,
)
from flake8_django_migrations.facts.names import Imports

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]

MANAGER_ATTRIBUTES: Final = frozenset({"objects", "_default_manager", "_base_manager"})
_ROUTING_METHODS: Final = frozenset({"using", "db_manager"})
# Calls that keep a function to run later: a signal receiver (``post_migrate.connect(handler)``) runs when every
# app has migrated, ``transaction.on_commit(callback)`` after the migration's transaction commits.
_DEFERRING_CALLS: Final = frozenset({"connect", "on_commit"})
# Queryset methods that keep every row of the table: a chain of only these after the manager reads (or, ending in
# ``update``, writes) the whole table in one statement. Anything else (``filter``, ``exclude``, ``iterator``, a
# slice, ``none``) narrows or streams it, or is not plainly a queryset.
_WHOLE_TABLE_METHODS: Final = frozenset(
    {"all", "using", "db_manager", "select_related", "prefetch_related", "order_by", "only", "defer", "annotate",
     "alias", "values", "values_list", "distinct", "select_for_update", "reverse"}
)


def _parameters(node: FunctionNode) -> frozenset[str]:
    arguments = node.args
    return frozenset(a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])


def function_locals(
    node: FunctionNode, walked: Iterable[ast.AST] | None = None
) -> frozenset[str]:
    """Parameters and names assigned in a function: they shadow the module's imports."""
    arguments = node.args
    names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
    for inner in walked if walked is not None else ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
    return frozenset(names)


def walk_nodes(node: ast.AST) -> list[ast.AST]:
    """The nodes of ``list(ast.walk(node))`` in the same order, less the load/store contexts (which nothing here
    looks at), without the two generators ``ast.walk`` resumes per node."""
    nodes = [node]
    append = nodes.append
    child_fields = _CHILD_FIELDS
    for current in nodes:  # a list iterated while it grows: breadth first, as ast.walk's queue
        kind = type(current)
        fields = child_fields.get(kind)
        if fields is None:
            fields = _child_fields(kind)
        for field_name in fields:
            value = getattr(current, field_name, None)
            if isinstance(value, ast.AST):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        append(item)
    return nodes


# Fields that hold only names, numbers or flags in every node type that has them, and a name's load/store context:
# no node of interest below them. Skipping them leaves a leaf such as a name or a constant with nothing to look at.
_NOT_CHILDREN: Final = frozenset(
    {"ctx", "id", "attr", "arg", "name", "module", "asname", "level", "conversion", "is_async", "simple",
     "type_comment", "tag"}
)
_CHILD_FIELDS: Final[dict[type[ast.AST], tuple[str, ...]]] = {ast.Constant: ()}  # its value is a Python constant


def _child_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of ``node_type`` that may hold nodes, worked out once per type."""
    fields = _CHILD_FIELDS[node_type] = tuple(name for name in node_type._fields if name not in _NOT_CHILDREN)
    return fields


class _Sorted:
    """A function's nodes (walked in ``ast.walk``'s order) sorted, in one pass, into the kinds its readers look at,
    each kind in walk order: the readers then loop over a few nodes each instead of all of them."""

    __slots__ = ("stored", "calls", "functions", "bindings", "uses", "reads_get_model")

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.stored: list[str] = []  # names assigned (``ast.Store``)
        self.calls: list[ast.Call] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.bindings: list[ast.Assign | ast.For | ast.AsyncFor] = []  # single-target assignments and loops
        self.uses: list[ast.Call | ast.Attribute] = []  # calls, and attributes of a plain name
        self.reads_get_model = False
        name, attribute, call = ast.Name, ast.Attribute, ast.Call
        untyped: list[Any] = nodes  # each node's type is checked by identity below: faster than isinstance
        for node in untyped:
            kind = type(node)
            if kind is name:
                if type(node.ctx) is ast.Store:
                    self.stored.append(node.id)
            elif kind is attribute:
                if node.attr == "get_model":
                    self.reads_get_model = True
                if type(node.value) is name:
                    self.uses.append(node)
            elif kind is call:
                self.calls.append(node)
                self.uses.append(node)
            elif kind is ast.Assign:
                if len(node.targets) == 1:
                    self.bindings.append(node)
            elif kind is ast.For or kind is ast.AsyncFor:
                self.bindings.append(node)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.functions.append(node)


def _locals(node: FunctionNode, found: _Sorted) -> frozenset[str]:
    """``function_locals`` from the names already sorted out of the function's nodes."""
    arguments = node.args
    names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
    names.update(found.stored)
    return frozenset(names)


def _chain(node: ast.expr) -> tuple[ast.expr, list[str], list[ast.Call]]:
    """Flatten ``a.b(x).c`` into its root ``a``, the attribute names ``[b, c]`` and the calls along it."""
    attributes: list[str] = []
    calls: list[ast.Call] = []
    while True:
        if isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        else:
            return node, attributes[::-1], calls


def read_function(imports: Imports, node: FunctionNode, name: str | None = None) -> FunctionFacts:
    """What a module-level function (or a lambda, under ``name``) calls, saves in loops, queries and reads of the
    historical models."""
    if name is None:
        name = node.name if not isinstance(node, ast.Lambda) else f"<lambda at {node.lineno}:{node.col_offset + 1}>"
    try:
        return _FunctionReader(imports, node, name).facts()
    except RecursionError:
        # Expressions nested deeper than the reader's recursion allows: nothing is known about what it does.
        return FunctionFacts(name, node.lineno, node.col_offset, (), (), (), ())


class _FunctionReader(ast.NodeVisitor):
    """Collects what a module-level function calls, saves in loops and queries."""

    def __init__(self, imports: Imports, node: FunctionNode, name: str) -> None:
        self.imports = imports
        self.node = node
        self.name = name
        # Walked once, sorted into what each pass looks at; deferred code makes no calls in the migration.
        walked = walk_nodes(node)
        found = _Sorted(walked)
        deferred = _deferred_functions(node, found)
        self.deferred = _nodes_of(deferred)
        self.read_found = found
        if deferred:
            kept = [inner for inner in walked if id(inner) not in self.deferred]
            found = _Sorted(kept)
            # A deferred function that rebinds the registry (``apps = kwargs["apps"]``, post_migrate's final
            # state) reads no historical model of this migration; one that uses the enclosing ``apps`` still reads
            # this migration's state, later.
            parameters = _parameters(node)
            rebinding = _nodes_of(function for function in deferred if function_locals(function) & parameters)
            self.read_found = _Sorted([inner for inner in walked if id(inner) not in rebinding])
        self.shadowed = _locals(node, found)
        self.calls: list[CallSite] = []
        self.local_calls: list[str] = []
        self.saves: list[Site] = []
        self.querysets: list[QuerysetUse] = []
        self.whole_table: list[WholeTableQuery] = []
        self.loop_depth = 0

    def facts(self) -> FunctionFacts:
        for statement in self.node.body if isinstance(self.node.body, list) else [self.node.body]:
            self.visit(statement)
        return FunctionFacts(
            self.name, self.node.lineno, self.node.col_offset, tuple(self.calls),
            tuple(dict.fromkeys(self.local_calls)), tuple(self.saves), tuple(self.querysets),
            _HistoricalReads(self.node, self.read_found).references(),
            tuple(self.whole_table),
        )

    def _loop(self, node: ast.AST) -> None:
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    def _iteration(self, node: ast.For | ast.AsyncFor | ast.ListComp | ast.SetComp | ast.GeneratorExp
                   | ast.DictComp) -> None:
        iterables = [node.iter] if isinstance(node, (ast.For, ast.AsyncFor)) else [g.iter for g in node.generators]
        for iterable in iterables:
            chain = _whole_table_chain(iterable)
            if chain is not None and all(method in _WHOLE_TABLE_METHODS for method in chain[1]) and chain[1]:
                self.whole_table.append(WholeTableQuery(chain[0], "iterate", iterable.lineno, iterable.col_offset))
        self._loop(node)

    visit_For = visit_AsyncFor = _iteration
    visit_While = _loop

    def visit(self, node: ast.AST) -> None:
        # NodeVisitor's own looks the method up by name for every node; the handled types are few. The children are
        # visited right here, as ``ast.iter_child_nodes`` would give them but without its two generators, and with
        # no frame more per level than before: a body nests as deep as it could before RecursionError.
        kind = type(node)
        handler = _VISITS.get(kind)
        if handler is not None:
            handler(self, node)
            return
        if self.deferred and id(node) in self.deferred:
            return
        fields = _CHILD_FIELDS.get(kind)
        for field_name in fields if fields is not None else _child_fields(kind):
            value = getattr(node, field_name, None)
            if isinstance(value, ast.AST):
                if type(value) not in _LEAVES:
                    self.visit(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in _LEAVES:
                        self.visit(item)

    def generic_visit(self, node: ast.AST) -> None:
        if id(node) not in self.deferred:
            for child in ast.iter_child_nodes(node):
                self.visit(child)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _iteration

    def visit_Call(self, node: ast.Call) -> None:
        self._visit_chain(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._visit_chain(node)

    def _visit_chain(self, node: ast.Call | ast.Attribute) -> None:
        """Handle a whole chain such as ``Product.objects.using(alias).filter(x=1)`` at its outermost node."""
        root, attributes, calls = _chain(node)
        if MANAGER_ATTRIBUTES.intersection(attributes):
            routed = bool(_ROUTING_METHODS.intersection(attributes))
            self.querysets.append(QuerysetUse(root.lineno, root.col_offset, routed))
            chain = _whole_table_chain(node)
            if chain is not None and chain[1][-1:] == ["update"] and _WHOLE_TABLE_METHODS.issuperset(chain[1][:-1]):
                self.whole_table.append(WholeTableQuery(chain[0], "update", node.lineno, node.col_offset))
        for call in calls:
            self._record_call(call)
        for call in calls:
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                self.visit(argument)
        self.visit(root)

    def _record_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.shadowed and func.id not in self.imports.bindings:
            self.local_calls.append(func.id)
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        imported = isinstance(root, ast.Name) and root.id in self.imports.bindings and root.id not in self.shadowed
        resolved = self.imports.resolve(func, self.shadowed) if imported else None
        # Interned: the same few callees (`save`, `objects.filter`) recur in every function of a big project.
        if resolved is not None:
            self.calls.append(CallSite(resolved, sys.intern(_written(func)), node.lineno, node.col_offset))
        elif isinstance(func, ast.Attribute):
            self.calls.append(
                CallSite(sys.intern("." + func.attr), sys.intern(_written(func)), node.lineno, node.col_offset)
            )
        if isinstance(func, ast.Attribute) and func.attr == "save" and self.loop_depth:
            self.saves.append(Site(node.lineno, node.col_offset))


# Nodes with nothing below them to visit and no handler: not worth a call.
_LEAVES: Final = frozenset({ast.Name, ast.Constant})
_VISITS: Final[Mapping[type[ast.AST], Callable[[_FunctionReader, Any], None]]] = {
    node_type: getattr(_FunctionReader, f"visit_{node_type.__name__}")
    for node_type in (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp,
                      ast.Call, ast.Attribute)
}


# Queryset methods whose positional string arguments are field names (a leading "-" orders descending).
_FIELD_NAME_ARGUMENTS: Final = frozenset({"values", "values_list", "only", "defer", "order_by", "distinct"})
# Queryset methods whose keyword arguments are field lookups such as ``sku__in``.
_LOOKUP_KEYWORDS: Final = frozenset(
    {"filter", "exclude", "get", "update", "create", "get_or_create", "update_or_create", "first", "last"}
)
_NOT_LOOKUPS: Final = frozenset({"defaults", "create_defaults", "pk"})
# Methods and attributes every model instance has: reading them says nothing about the model's fields.
_INSTANCE_API: Final = frozenset(
    {"pk", "id", "save", "delete", "refresh_from_db", "full_clean", "clean", "_meta", "_state", "objects",
     "serializable_value", "validate_unique", "get_deferred_fields"}
)
# Queryset methods that return one instance of the model (so ``obj = M.objects.get(...)`` binds an instance).
_INSTANCE_METHODS: Final = frozenset({"get", "first", "last", "create", "earliest", "latest"})


class _HistoricalReads:
    """The historical models a function fetches with ``apps.get_model`` and the fields it plainly uses.

    Only what is plainly visible is recorded: a model bound to a name in this function, lookups and field names
    written as literals on its querysets, ``F("field")`` inside them, and attribute reads on instances that come
    from those querysets. Anything else is left out rather than guessed.
    """

    def __init__(self, node: FunctionNode, found: _Sorted) -> None:
        self.node = node
        self.sorted = found
        self.parameters = _parameters(node)
        self.models: dict[str, tuple[str, str]] = {}  # local name -> (app label, lower-cased model)
        self.instances: dict[str, tuple[str, str]] = {}
        self.found: list[ModelRead] = []

    def references(self) -> tuple[ModelRead, ...]:
        if not self.sorted.reads_get_model:
            return ()
        for statement in self.sorted.bindings:
            if isinstance(statement, ast.Assign):
                self._assignment(statement.targets[0], statement.value, iterating=False)
            else:
                self._assignment(statement.target, statement.iter, iterating=True)
        if not self.models:
            return ()
        receivers = _method_receivers(self.sorted.calls)
        for node in self.sorted.uses:
            if isinstance(node, ast.Call):
                if id(node) not in receivers:  # the call it is chained into reads all of its chain
                    self._queryset_call(node)
            else:
                self._instance_attribute(node)
        return tuple(dict.fromkeys(self.found))

    def _get_model(self, value: ast.expr) -> tuple[str, str] | None:
        """``apps.get_model("app", "Model")`` or ``apps.get_model("app.Model")`` on the function's registry."""
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "get_model"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in self.parameters
            and not value.keywords
        ):
            return None
        strings = [a.value for a in value.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(strings) != len(value.args):
            return None
        if len(strings) == 1 and strings[0].count(".") == 1:
            strings = strings[0].split(".")
        if len(strings) != 2:
            return None
        # Interned: every read of a model repeats its names, and the facts of a whole project are kept.
        app, model = sys.intern(strings[0]), sys.intern(strings[1].lower())
        self.found.append(ModelRead(app, model, None, value.lineno, value.col_offset))
        return app, model

    def _model_of_chain(self, node: ast.expr) -> tuple[tuple[str, str] | None, list[tuple[str, ast.Call]]]:
        """The model a queryset chain starts from, and its (method, call) steps from the root outwards."""
        steps: list[tuple[str, ast.Call]] = []
        while True:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                steps.append((node.func.attr, node))
                node = node.func.value
            elif isinstance(node, ast.Attribute):
                node = node.value
            else:
                break
        model = self.models.get(node.id) if isinstance(node, ast.Name) else None
        return model, steps[::-1]

    def _assignment(self, target: ast.expr, value: ast.expr, iterating: bool) -> None:
        if not isinstance(target, ast.Name):
            return
        fetched = None if iterating else self._get_model(value)
        if fetched is not None:
            self.models[target.id] = fetched
            return
        model, steps = self._model_of_chain(value)
        if model is None or not steps:
            return
        # `for obj in M.objects.filter(...)` and `obj = M.objects.get(...)` bind instances of M.
        returns_instance = steps[-1][0] in _INSTANCE_METHODS
        if iterating != returns_instance and steps[-1][0] not in ("values", "values_list"):
            self.instances[target.id] = model

    def _field(self, model: tuple[str, str], name: str, node: ast.expr) -> None:
        field_name = name.lstrip("-").split("__")[0]
        if field_name and field_name not in _NOT_LOOKUPS and field_name != "?":
            self.found.append(ModelRead(model[0], model[1], sys.intern(field_name), node.lineno, node.col_offset))

    def _queryset_call(self, node: ast.Call) -> None:
        model, steps = self._model_of_chain(node)
        if model is None or not steps or steps[-1][1] is not node:
            return
        for method, call in steps:
            if method in _FIELD_NAME_ARGUMENTS:
                for argument in call.args:
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        self._field(model, argument.value, argument)
            if method in _LOOKUP_KEYWORDS:
                for keyword in call.keywords:
                    if keyword.arg:
                        self._field(model, keyword.arg, keyword.value)
            # Only the step's own arguments: the chain before it is another step, walked on its own.
            arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
            for inner in (node for argument in arguments for node in walk_nodes(argument)):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, (ast.Name, ast.Attribute))
                    and (inner.func.id if isinstance(inner.func, ast.Name) else inner.func.attr) in ("F", "Q")
                ):
                    for argument in inner.args:
                        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                            self._field(model, argument.value, argument)
                    for keyword in inner.keywords:
                        if keyword.arg:
                            self._field(model, keyword.arg, keyword.value)

    def _instance_attribute(self, node: ast.Attribute) -> None:
        assert isinstance(node.value, ast.Name)
        model = self.instances.get(node.value.id)
        if model is not None and node.attr not in _INSTANCE_API and not node.attr.startswith("__"):
            self.found.append(ModelRead(model[0], model[1], sys.intern(node.attr), node.lineno, node.col_offset))


def _method_receivers(nodes: Iterable[ast.AST]) -> set[int]:
    """The calls whose result another call's method is called on (``filter(...)`` in ``M.objects.filter(...)
    .update(...)``): reading each chain once, from its outermost call, keeps the work linear in its length."""
    receivers: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            while isinstance(inner, ast.Attribute):
                inner = inner.value
            if isinstance(inner, ast.Call):
                receivers.add(id(inner))
    return receivers


def _deferred_functions(function: FunctionNode, found: _Sorted) -> list[FunctionNode]:
    """The functions this one (whose nodes are ``found``) hands to a signal or ``on_commit`` instead of calling:
    they run after the migration, outside its transaction."""
    handed: set[str] = set()
    deferred: list[FunctionNode] = []
    for node in found.calls:
        if not node.args:
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if callee not in _DEFERRING_CALLS:
            continue
        receiver = node.args[0]
        if _is_partial(receiver):
            # `connect(partial(handler, batch=10))` hands `handler` over just the same.
            assert isinstance(receiver, ast.Call)
            receiver = receiver.args[0]
        if isinstance(receiver, ast.Lambda):
            deferred.append(receiver)
        elif isinstance(receiver, ast.Name):
            handed.add(receiver.id)
    if handed:
        deferred += [node for node in found.functions if node is not function and node.name in handed]
    return deferred


def _is_partial(node: ast.expr) -> bool:
    """``partial(f, ...)`` or ``functools.partial(f, ...)``."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "partial") or (
        isinstance(func, ast.Attribute) and func.attr == "partial"
        and isinstance(func.value, ast.Name) and func.value.id == "functools"
    )


def _nodes_of(functions: Iterable[FunctionNode]) -> frozenset[int]:
    return frozenset(id(inner) for function in functions for inner in walk_nodes(function))


def _whole_table_chain(node: ast.expr) -> tuple[str, list[str]] | None:
    """For a manager chain (``Order.objects.using(alias).all()``): the chain as written with its arguments elided,
    and the methods called after the manager. None when ``node`` is not one, or when an attribute that is not a
    method call follows the manager (``Order.objects.all().query``)."""
    segments: list[tuple[str, ast.Call | None]] = []
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            segments.append((node.func.attr, node))
            node = node.func.value
        elif isinstance(node, ast.Attribute):
            segments.append((node.attr, None))
            node = node.value
        else:
            break
    if not isinstance(node, ast.Name):
        return None
    segments.reverse()
    manager = next((i for i, (name, call) in enumerate(segments) if name in MANAGER_ATTRIBUTES and not call), None)
    if manager is None or any(call is None for _, call in segments[manager + 1:]):
        return None
    written = node.id + "".join(
        f".{name}" + ("" if call is None else "(...)" if call.args or call.keywords else "()")
        for name, call in segments
    )
    return written, [name for name, _ in segments[manager + 1:]]


def _written(node: ast.expr) -> str:
    """A callee as written, for messages: ``task.delay``; anything more complex than names ends in ``...``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "...")
    return ".".join(reversed(parts))

"""Turn a migration module's AST into plain, picklable facts.

Everything a rule needs is extracted here, once per file, so that rules are small pure functions and the
project pass can cache facts on disk. A value that cannot be known without running the code is recorded as
``UNKNOWN`` (or a ``*_complete = False`` flag); rules never fire on a guess.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Union

__all__ = [
    "UNKNOWN",
    "Call",
    "Dependency",
    "FunctionFacts",
    "LiveModelUse",
    "MigrationFacts",
    "Operation",
    "Ref",
    "Reference",
    "Site",
    "extract_facts",
    "django_field_class",
    "is_migration_path",
    "module_level_statements",
]


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

    def kwarg(self, name: str, default: Value = None) -> Value:
        return self.kwargs.get(name, default)


def django_field_class(value: Value) -> str | None:
    """The class name of a field written as one of Django's own (``models.CharField(...)``), else None:
    a project's own field class may set anything in its ``__init__``, so rules do not guess about it."""
    if isinstance(value, Call) and value.func is not None and value.func.startswith("django."):
        return value.func.rpartition(".")[2]
    return None


Value = Union[None, bool, int, float, complex, str, bytes, tuple["Value", ...], Ref, Call, _Unknown]


@dataclass(frozen=True, slots=True)
class Site:
    """A position in the file: 1-based line, 0-based column, as in the AST and in flake8's plugin API."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of ``dependencies``, ``run_before`` or ``replaces``."""

    app: str  # "" for a swappable dependency, whose app is only known from settings
    name: str  # a migration name, or "__first__" / "__latest__"
    line: int
    col: int
    swappable_setting: str | None = None  # "AUTH_USER_MODEL" for swappable_dependency(settings.AUTH_USER_MODEL)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the migration, in source order; those nested in a container are listed after it."""

    kind: str | None  # Django's class name ("AddField") when the callee is a Django operation, else None
    func: str | None  # the callee's resolved dotted name as written
    line: int
    col: int
    params: Mapping[str, Value]  # positional arguments are named after Django's signature
    side: str = "both"  # "both", or "database"/"state" inside SeparateDatabaseAndState or RunSQL(state_operations)

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
class Reference:
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
    reads: tuple[Reference, ...] = ()  # historical models it fetches with apps.get_model and their fields it uses


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
    run_before: tuple[Dependency, ...] = ()
    run_before_complete: bool = True
    replaces: tuple[Dependency, ...] = ()
    replaces_complete: bool = True
    initial: bool | None = False  # None: not a literal
    atomic: bool | None = True  # None: not a literal
    deploy_stage: str | None = None  # "pre" or "post" from django-safemigrate or django-syzygy markers
    operations: tuple[Operation, ...] = ()
    operations_complete: bool = True
    functions: Mapping[str, FunctionFacts] = field(default_factory=dict)
    live_models: tuple[LiveModelUse, ...] = ()

    @property
    def is_post_deploy(self) -> bool:
        return self.deploy_stage == "post"

    def created_models_before(self, index: int) -> frozenset[str]:
        """Lower-cased names of the models created by operations that come before ``operations[index]``."""
        names = (op.params.get("name") for op in self.operations[:index] if op.kind == "CreateModel")
        return frozenset(name.lower() for name in names if isinstance(name, str))

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


_MODEL_NAME_KINDS: Final = frozenset(
    {
        "CreateModel", "DeleteModel", "AlterModelTable", "AlterModelTableComment", "AlterUniqueTogether",
        "AlterIndexTogether", "AlterOrderWithRespectTo", "AlterModelOptions", "AlterModelManagers", "AddField",
        "RemoveField", "AlterField", "RenameField", "AddIndex", "RemoveIndex", "RenameIndex", "AddConstraint",
        "RemoveConstraint", "AlterConstraint", "AddIndexConcurrently", "RemoveIndexConcurrently",
        "AddConstraintNotValid", "ValidateConstraint",
    }
)

# Django's operation signatures, so that positional arguments get their parameter names.
_SIGNATURES: Final[Mapping[str, tuple[str, ...]]] = {
    "CreateModel": ("name", "fields", "options", "bases", "managers"),
    "DeleteModel": ("name",),
    "RenameModel": ("old_name", "new_name"),
    "AlterModelTable": ("name", "table"),
    "AlterModelTableComment": ("name", "table_comment"),
    "AlterUniqueTogether": ("name", "unique_together"),
    "AlterIndexTogether": ("name", "index_together"),
    "AlterOrderWithRespectTo": ("name", "order_with_respect_to"),
    "AlterModelOptions": ("name", "options"),
    "AlterModelManagers": ("name", "managers"),
    "AddField": ("model_name", "name", "field", "preserve_default"),
    "RemoveField": ("model_name", "name", "field"),
    "AlterField": ("model_name", "name", "field", "preserve_default"),
    "RenameField": ("model_name", "old_name", "new_name"),
    "AddIndex": ("model_name", "index"),
    "RemoveIndex": ("model_name", "name"),
    "RenameIndex": ("model_name", "new_name", "old_name", "old_fields"),
    "AddConstraint": ("model_name", "constraint"),
    "RemoveConstraint": ("model_name", "name"),
    "AlterConstraint": ("model_name", "name", "constraint"),
    "RunSQL": ("sql", "reverse_sql", "state_operations", "hints", "elidable"),
    "RunPython": ("code", "reverse_code", "atomic", "hints", "elidable"),
    "SeparateDatabaseAndState": ("database_operations", "state_operations"),
    "AddIndexConcurrently": ("model_name", "index"),
    "RemoveIndexConcurrently": ("model_name", "name"),
    "AddConstraintNotValid": ("model_name", "constraint"),
    "ValidateConstraint": ("model_name", "name"),
    "CreateExtension": ("name",),
    "CreateCollation": ("name", "locale"),
    "RemoveCollation": ("name", "locale"),
}

_DJANGO_OPERATION_MODULES: Final = frozenset(
    {
        "django.db.migrations",
        "django.db.migrations.operations",
        "django.db.migrations.operations.fields",
        "django.db.migrations.operations.models",
        "django.db.migrations.operations.special",
        "django.contrib.postgres.operations",
    }
)

# Not app models modules: importing these is how migrations are meant to be written.
_FRAMEWORK_MODELS_MODULES: Final = frozenset({"django.db.models", "django.contrib.gis.db.models"})
_MANAGER_ATTRIBUTES: Final = frozenset({"objects", "_default_manager", "_base_manager"})
_MODEL_ATTRIBUTES: Final = _MANAGER_ATTRIBUTES | {"_meta"}
_ROUTING_METHODS: Final = frozenset({"using", "db_manager"})
_DEPLOY_STAGES: Final[Mapping[str, str]] = {
    # django-safemigrate
    "Safe.before_deploy": "pre",
    "Safe.after_deploy": "post",
    "Safe.always": "pre",
    # django-syzygy
    "Stage.PRE_DEPLOY": "pre",
    "Stage.POST_DEPLOY": "post",
}


def is_migration_path(path: str) -> bool:
    """A module inside a ``migrations`` package, other than the package's ``__init__.py``."""
    folder, name = os.path.split(path)
    return name.endswith(".py") and name != "__init__.py" and os.path.basename(folder) == "migrations"


def operation_kind(func: str | None) -> str | None:
    """Django's operation class name for a resolved callee, or None when it is not one of Django's."""
    if func is None or "." not in func:
        return None
    module, _, name = func.rpartition(".")
    return name if module in _DJANGO_OPERATION_MODULES else None


def extract_facts(tree: ast.Module, path: str, *, app_label: str | None = None) -> MigrationFacts | None:
    """The facts of a migration module, or None when ``path``/``tree`` is not a migration.

    Without ``app_label``, the file must sit in a folder named ``migrations`` and its app is that folder's parent;
    the project pass, which knows an app's ``AppConfig.label`` and ``MIGRATION_MODULES``, passes the label."""
    if app_label is None:
        if not is_migration_path(path):
            return None
        app_label = os.path.basename(os.path.dirname(os.path.dirname(path)))
    elif os.path.basename(path) == "__init__.py":
        return None
    migration_class = _find_migration_class(tree.body)
    if migration_class is None:
        return None
    imports = _Imports.collect(tree, app_label)
    builder = _MigrationBuilder(imports)
    builder.read_class(migration_class)
    functions = {
        node.name: _FunctionReader(imports, node).facts()
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return MigrationFacts(
        path=path,
        app_label=app_label,
        name=os.path.basename(path)[: -len(".py")],
        line=migration_class.lineno,
        col=migration_class.col_offset,
        functions=functions,
        live_models=tuple(_LiveModelFinder(imports, tree, path).find()),
        **builder.fields,
    )


def _find_migration_class(body: Iterable[ast.stmt]) -> ast.ClassDef | None:
    """The first module-level ``class Migration``, also inside ``if``/``else`` and ``try`` blocks."""
    return next(
        (node for node in module_level_statements(body) if isinstance(node, ast.ClassDef) and node.name == "Migration"),
        None,
    )


class _Imports:
    """Module-level import bindings: local name → dotted path."""

    __slots__ = ("bindings", "sites")

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.sites: dict[str, Site] = {}

    @classmethod
    def collect(cls, tree: ast.Module, app_label: str) -> _Imports:
        imports = cls()
        for node in module_level_statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports._bind(alias.asname, alias.name, node)
                    else:
                        top = alias.name.split(".")[0]
                        imports._bind(top, top, node)
                        # `import app.models` binds `app`, but what the file uses is the models module.
                        imports.sites.setdefault(alias.name, Site(node.lineno, node.col_offset))
            elif isinstance(node, ast.ImportFrom):
                module = _absolute_module(node, app_label)
                for alias in node.names:
                    if alias.name != "*":
                        imports._bind(alias.asname or alias.name, f"{module}.{alias.name}", node)
        return imports

    def _bind(self, name: str, target: str, node: ast.stmt) -> None:
        self.bindings[name] = target
        self.sites[name] = Site(node.lineno, node.col_offset)

    def resolve(self, node: ast.expr, shadowed: frozenset[str] = frozenset()) -> str | None:
        """The dotted path an expression names, with its first name resolved through the imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = node.id if node.id in shadowed else self.bindings.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])


def module_level_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the module body and the blocks of its ``if`` and ``try`` statements."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from module_level_statements(node.body)
            yield from module_level_statements(node.orelse)
        elif isinstance(node, ast.Try):
            yield from module_level_statements(node.body)
            for handler in node.handlers:
                yield from module_level_statements(handler.body)
            yield from module_level_statements(node.orelse)
            yield from module_level_statements(node.finalbody)


def _absolute_module(node: ast.ImportFrom, app_label: str) -> str:
    if not node.level:
        return node.module or ""
    # A migration lives in <app>/migrations/: one dot is the migrations package, two the app.
    package = [app_label, "migrations"][: max(0, 3 - node.level)] if node.level <= 2 else []
    return ".".join([*package, *([node.module] if node.module else [])])


class _MigrationBuilder:
    """Reads the attributes of the ``Migration`` class body."""

    def __init__(self, imports: _Imports) -> None:
        self.imports = imports
        self.fields: dict[str, Any] = {}

    def read_class(self, node: ast.ClassDef) -> None:
        self._read_body(node.body, conditional=False)

    def _read_body(self, body: list[ast.stmt], conditional: bool) -> None:
        """Assignments in the class body. One inside ``if``/``try`` (``if connection.vendor == ...``) depends on
        how the code runs: its values from every branch are kept, but the attribute is marked not complete."""
        for statement in body:
            if isinstance(statement, (ast.If, ast.Try, ast.With)):
                blocks = [statement.body]
                if isinstance(statement, ast.If):
                    blocks.append(statement.orelse)
                elif isinstance(statement, ast.Try):
                    blocks += [*(handler.body for handler in statement.handlers), statement.orelse,
                               statement.finalbody]
                for block in blocks:
                    self._read_body(block, conditional=conditional or not isinstance(statement, ast.With))
                continue
            target, value = _assignment(statement)
            if target is None or value is None:
                continue
            if target in ("dependencies", "run_before", "replaces"):
                entries, complete = self._dependency_list(value)
                self._assign(target, entries, complete, conditional)
                if target == "dependencies":
                    self.fields.setdefault("dependencies_site", Site(statement.lineno, statement.col_offset))
            elif target in ("initial", "atomic"):
                constant = value.value if isinstance(value, ast.Constant) else UNKNOWN
                self.fields[target] = constant if isinstance(constant, bool) and not conditional else None
            elif target == "operations":
                operations, complete = self._operations(value, "both")
                self._assign(target, tuple(operations), complete, conditional)
            elif target in ("safe", "stage") and not conditional:
                self.fields["deploy_stage"] = self._deploy_stage(value)

    def _assign(self, target: str, values: tuple[Any, ...], complete: bool, conditional: bool) -> None:
        if conditional:
            self.fields[target] = (*self.fields.get(target, ()), *values)
            self.fields[f"{target}_complete"] = False
        else:
            self.fields[target] = values
            self.fields[f"{target}_complete"] = complete

    def _deploy_stage(self, value: ast.expr) -> str | None:
        node = value.func if isinstance(value, ast.Call) else value
        written = self.imports.resolve(node)
        if written is None:
            return None
        for marker, stage in _DEPLOY_STAGES.items():
            if written == marker or written.endswith("." + marker):
                return stage
        return None

    def _dependency_list(self, value: ast.expr) -> tuple[tuple[Dependency, ...], bool]:
        if not isinstance(value, (ast.List, ast.Tuple)):
            return (), False
        entries: list[Dependency] = []
        complete = True
        for element in value.elts:
            dependency = self._dependency(element)
            if dependency is None:
                complete = False
            else:
                entries.append(dependency)
        return tuple(entries), complete

    def _dependency(self, node: ast.expr) -> Dependency | None:
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            app, name = (_literal(element) for element in node.elts)
            if isinstance(app, str) and isinstance(name, str):
                return Dependency(app, name, node.lineno, node.col_offset)
        if isinstance(node, ast.Call) and len(node.args) == 1:
            func = self.imports.resolve(node.func) or ""
            setting = self.imports.resolve(node.args[0]) or ""
            if func.endswith("swappable_dependency") and setting.startswith("django.conf.settings."):
                return Dependency(
                    "", "__first__", node.lineno, node.col_offset,
                    swappable_setting=setting.rpartition(".")[2],
                )
        return None

    def _operations(self, value: ast.expr, side: str) -> tuple[list[Operation], bool]:
        if not isinstance(value, (ast.List, ast.Tuple)):
            return [], False
        operations: list[Operation] = []
        complete = True
        for element in value.elts:
            if not isinstance(element, ast.Call):
                complete = False
                continue
            func = self.imports.resolve(element.func)
            kind = operation_kind(func)
            names = _SIGNATURES.get(kind or "", ())
            params: dict[str, Value] = {}
            nested: dict[str, ast.expr] = {}
            arguments = [*zip(names, element.args), *((k.arg, k.value) for k in element.keywords if k.arg)]
            for name, node in arguments:
                if name in ("database_operations", "state_operations"):
                    nested[name] = node
                else:
                    params[name] = _value(node, self.imports)
            if len(element.args) > len(names) or any(k.arg is None for k in element.keywords):
                complete = complete and kind is None
            operations.append(Operation(kind, func, element.lineno, element.col_offset, params, side))
            for name, node in nested.items():
                inner_side = "database" if name == "database_operations" else "state"
                inner, inner_complete = self._operations(node, inner_side if side == "both" else side)
                operations.extend(inner)
                complete = complete and inner_complete
        return operations, complete


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _literal(node: ast.expr) -> Value:
    if isinstance(node, ast.Constant) and node.value is not Ellipsis:
        return node.value
    return UNKNOWN


def _value(node: ast.expr, imports: _Imports) -> Value:
    if isinstance(node, ast.Constant):
        return _literal(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(_value(element, imports) for element in node.elts)
    if isinstance(node, (ast.Name, ast.Attribute)):
        path = imports.resolve(node)
        return Ref(path) if path is not None else UNKNOWN
    if isinstance(node, ast.Call):
        kwargs = {k.arg: _value(k.value, imports) for k in node.keywords if k.arg}
        if any(k.arg is None for k in node.keywords):
            kwargs["**"] = UNKNOWN
        return Call(
            imports.resolve(node.func),
            tuple(_value(arg, imports) for arg in node.args),
            kwargs,
            node.lineno,
            node.col_offset,
        )
    if isinstance(node, ast.Dict):
        # Only the keys matter to rules (options, lookups); values are kept when they are plain.
        return tuple(
            (_value(key, imports), _value(value, imports)) for key, value in zip(node.keys, node.values) if key
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        return -operand if isinstance(operand, (int, float)) else UNKNOWN
    return UNKNOWN


def _function_locals(
    node: ast.FunctionDef | ast.AsyncFunctionDef, walked: Iterable[ast.AST] | None = None
) -> frozenset[str]:
    """Parameters and names assigned in a function: they shadow the module's imports."""
    arguments = node.args
    names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None)
    for inner in walked if walked is not None else ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
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


class _FunctionReader(ast.NodeVisitor):
    """Collects what a module-level function calls, saves in loops and queries."""

    def __init__(self, imports: _Imports, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.imports = imports
        self.node = node
        self.walked = list(ast.walk(node))  # walked once, shared by the passes that need every node
        self.shadowed = _function_locals(node, self.walked)
        self.calls: list[CallSite] = []
        self.local_calls: list[str] = []
        self.saves: list[Site] = []
        self.querysets: list[QuerysetUse] = []
        self.loop_depth = 0

    def facts(self) -> FunctionFacts:
        for statement in self.node.body:
            self.visit(statement)
        return FunctionFacts(
            self.node.name, self.node.lineno, self.node.col_offset, tuple(self.calls),
            tuple(dict.fromkeys(self.local_calls)), tuple(self.saves), tuple(self.querysets),
            _HistoricalReads(self.node, self.walked).references(),
        )

    def _loop(self, node: ast.AST) -> None:
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    visit_For = visit_AsyncFor = visit_While = _loop
    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _loop

    def visit_Call(self, node: ast.Call) -> None:
        self._visit_chain(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._visit_chain(node)

    def _visit_chain(self, node: ast.Call | ast.Attribute) -> None:
        """Handle a whole chain such as ``Product.objects.using(alias).filter(x=1)`` at its outermost node."""
        root, attributes, calls = _chain(node)
        if _MANAGER_ATTRIBUTES.intersection(attributes):
            routed = bool(_ROUTING_METHODS.intersection(attributes))
            self.querysets.append(QuerysetUse(root.lineno, root.col_offset, routed))
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
        if resolved is not None:
            self.calls.append(CallSite(resolved, _written(func), node.lineno, node.col_offset))
        elif isinstance(func, ast.Attribute):
            self.calls.append(CallSite("." + func.attr, _written(func), node.lineno, node.col_offset))
        if isinstance(func, ast.Attribute) and func.attr == "save" and self.loop_depth:
            self.saves.append(Site(node.lineno, node.col_offset))


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

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, walked: list[ast.AST]) -> None:
        self.node = node
        self.walked = walked
        arguments = node.args
        self.parameters = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        self.models: dict[str, tuple[str, str]] = {}  # local name -> (app label, lower-cased model)
        self.instances: dict[str, tuple[str, str]] = {}
        self.found: list[Reference] = []

    def references(self) -> tuple[Reference, ...]:
        if "get_model" not in {n.attr for n in self.walked if isinstance(n, ast.Attribute)}:
            return ()
        for statement in self.walked:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                self._assignment(statement.targets[0], statement.value, iterating=False)
            elif isinstance(statement, (ast.For, ast.AsyncFor)):
                self._assignment(statement.target, statement.iter, iterating=True)
        if not self.models:
            return ()
        for node in self.walked:
            if isinstance(node, ast.Call):
                self._queryset_call(node)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
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
        app, model = strings
        self.found.append(Reference(app, model.lower(), None, value.lineno, value.col_offset))
        return app, model.lower()

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
            self.found.append(Reference(model[0], model[1], field_name, node.lineno, node.col_offset))

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
            for inner in (node for argument in arguments for node in ast.walk(argument)):
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
            self.found.append(Reference(model[0], model[1], node.attr, node.lineno, node.col_offset))


_SCOPE_BOUNDARIES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _written(node: ast.expr) -> str:
    """A callee as written, for messages: ``task.delay``; anything more complex than names ends in ``...``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "...")
    return ".".join(reversed(parts))


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope in source order: everything below ``node`` but the insides of nested functions.

    An explicit stack: recursive generators cost a frame per level for every node they pass up."""
    stack = list(ast.iter_child_nodes(node))[::-1]
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, _SCOPE_BOUNDARIES):
            stack.extend(list(ast.iter_child_nodes(child))[::-1])


def _scopes(node: ast.AST, shadowed: frozenset[str]) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Each scope (the module, every function) with the names that shadow the module's imports in it."""
    todo = [(node, shadowed)]
    while todo:
        scope, names = todo.pop()
        yield scope, names
        todo.extend(
            (child, names | _function_locals(child))
            for child in _scope_nodes(scope)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        )


# What a migration imports when it reaches today's models through a registry instead of an app's models module.
_LIVE_REGISTRIES: Final = ("django.contrib.auth", "django.apps")
_UseOfModel = tuple[str, str, str, bool]  # (binding, qualified model, evidence, is an instantiation)


class _LiveModelFinder:
    """Finds live models: app models imported into the migration and used as models, and global registries."""

    def __init__(self, imports: _Imports, tree: ast.Module, path: str) -> None:
        self.imports = imports
        self.tree = tree
        self.path = path
        self.live = {name: target for name, target in imports.bindings.items() if _is_live_models_path(target)}
        # `import app.models` binds `app`: uses through it are matched against the dotted import itself.
        self.dotted_imports = [key for key in imports.sites if "." in key and _is_live_models_path(key)]

    def find(self) -> Iterator[LiveModelUse]:
        imported = [*self.imports.bindings.values(), *self.imports.sites]
        registries = any(target.startswith(_LIVE_REGISTRIES) for target in imported)
        if not (self.live or self.dotted_imports or registries):
            return  # the common case: the module imports nothing that can reach a live model
        reported: set[str] = set()
        instantiated: dict[str, tuple[str, str]] = {}
        for scope, shadowed in _scopes(self.tree, frozenset()):
            for node in _scope_nodes(scope):
                if isinstance(node, ast.Call):
                    registry = self._registry_call(node, shadowed)
                    if registry is not None:
                        yield registry
                use = self._model_use(node, shadowed)
                if use is None:
                    continue
                binding, model, evidence, is_instantiation = use
                if is_instantiation:
                    instantiated.setdefault(binding, (model, evidence))
                elif binding not in reported:
                    reported.add(binding)
                    yield self._report(binding, model, evidence)
        for binding, (model, evidence) in instantiated.items():
            if binding not in reported and self._is_model_class(model):
                yield self._report(binding, model, evidence + "(...)")

    def _report(self, binding: str, model: str, evidence: str) -> LiveModelUse:
        site = self.imports.sites[binding]
        return LiveModelUse(binding, model, site.line, site.col, evidence)

    def _registry_call(self, node: ast.Call, shadowed: frozenset[str]) -> LiveModelUse | None:
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        resolved = self.imports.resolve(node.func, shadowed)
        if resolved == "django.contrib.auth.get_user_model":
            model = "settings.AUTH_USER_MODEL"
        elif resolved == "django.apps.apps.get_model":
            arguments = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            model = ".".join(arguments) if arguments and len(arguments) == len(node.args) else "..."
        else:
            return None
        written = ast.unparse(node.func)
        return LiveModelUse(written, model, node.lineno, node.col_offset, f"{written}(...)")

    def _model_use(self, node: ast.AST, shadowed: frozenset[str]) -> _UseOfModel | None:
        if isinstance(node, ast.Attribute) and node.attr in _MODEL_ATTRIBUTES:
            model, is_instantiation = node.value, False
        elif isinstance(node, ast.Call):
            model, is_instantiation = node.func, True
        else:
            return None
        parts: list[str] = []
        while isinstance(model, ast.Attribute):
            parts.append(model.attr)
            model = model.value
        if not isinstance(model, ast.Name) or model.id in shadowed:
            return None
        written = [model.id, *reversed(parts)]
        if model.id in self.live:
            binding, full = model.id, [*self.live[model.id].split("."), *written[1:]]
        else:
            dotted = ".".join(written)
            binding = next((key for key in self.dotted_imports if dotted.startswith(key + ".")), "")
            if not binding or self.imports.bindings.get(model.id) != model.id:
                return None
            full = written
        models_at = len(full) - 1 - full[::-1].index("models")
        rest = full[models_at + 1 :]
        if not rest:
            return None  # the models module itself
        evidence = ast.unparse(node.func if isinstance(node, ast.Call) else node)
        return binding, ".".join(full), evidence, is_instantiation

    def _is_model_class(self, qualified: str) -> bool:
        from flake8_django_migrations import model_inference  # astroid is loaded only when this is needed

        module, _, name = qualified.rpartition(".")
        return model_inference.is_model_class(module, name, self.path) is True


def _is_live_models_path(target: str) -> bool:
    """Whether a dotted path is, or is inside, an app's models module (not Django's model API)."""
    parts = target.split(".")
    if "models" not in parts:
        return False
    models_at = len(parts) - 1 - parts[::-1].index("models")
    module = ".".join(parts[: models_at + 1])
    return module not in _FRAMEWORK_MODELS_MODULES

"""Find live models: app models imported into a migration and used as models, and global model registries.

An import counts wherever it is written: at module level, or inside the function that uses it (``from orders import
models`` in a ``RunPython`` callable is the same live model as at the top of the file). A use counts where the
migration runs it: in module-level code (class bodies and their methods included), and in the module's functions that
an operation is handed (``RunPython(forwards)``, a callable default) or that such code calls or passes on, followed
inside the module. A function only kept in a registry or a dict (``HOOKS = {"export": export}``) never runs while
the migration does. Whether an imported name
that is only instantiated is a model (or a custom field) needs its models module: ``model_inference`` parses it with
astroid, imported only when that question comes up.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from flake8_django_migrations.facts.functions import MANAGER_ATTRIBUTES, function_locals
from flake8_django_migrations.facts.model import LiveModelUse, Site
from flake8_django_migrations.facts.names import Imports, dotted_names
from flake8_django_migrations.source import module_level_statements

# Not app models modules: importing these is how migrations are meant to be written.
_FRAMEWORK_MODELS_MODULES: Final = frozenset({"django.db.models", "django.contrib.gis.db.models"})
# `_meta` counts: `Order._meta.db_table` is today's table name, which an `AlterModelTable` or a `RenameModel` later
# in history makes differ from the table this migration runs against.
_MODEL_ATTRIBUTES: Final = MANAGER_ATTRIBUTES | {"_meta"}
_SCOPE_BOUNDARIES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_FUNCTIONS: Final = (ast.FunctionDef, ast.AsyncFunctionDef)
# What a migration imports when it reaches today's models through a registry instead of an app's models module.
_LIVE_REGISTRIES: Final = ("django.contrib.auth", "django.apps")


@dataclass(frozen=True, slots=True)
class _Import:
    """One import that reaches an app's models module, as bound to one local name."""

    key: str  # what a finding calls it: the local name, or `catalog.models` for `import catalog.models`
    target: str  # the dotted path the local name stands for
    site: Site
    through_dotted_path: bool  # `import catalog.models` binds `catalog`: only uses written `catalog.models.X` count


@dataclass(frozen=True, slots=True)
class _Scope:
    """The names one scope (the module, a function, a lambda) sees."""

    targets: Mapping[str, str | None]  # local name -> the dotted path it was imported as; None: a plain local
    live: Mapping[str, tuple[_Import, ...]]  # local name -> the imports through which it reaches app models

    @classmethod
    def of_imports(cls, imports: Imports, inherited: _Scope | None = None, locals_: Iterable[str] = ()) -> _Scope:
        """A scope whose own imports are ``imports`` and whose other locals are ``locals_``, inside ``inherited``."""
        targets: dict[str, str | None] = dict(inherited.targets) if inherited else {}
        live: dict[str, tuple[_Import, ...]] = dict(inherited.live) if inherited else {}
        for name, target in imports.bindings.items():
            targets[name] = target
            live.pop(name, None)
            if _is_live_models_path(target):
                live[name] = (_Import(name, target, imports.sites[name], False),)
        for key, site in imports.sites.items():
            top = key.partition(".")[0]
            if "." in key and _is_live_models_path(key) and imports.bindings.get(top) == top:
                live[top] = (*live.get(top, ()), _Import(key, top, site, True))
        # A name both imported and assigned in one function may be either when it is used: not a live model.
        for name in locals_:
            targets[name] = None
            live.pop(name, None)
        return cls(targets, live)

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted path an expression names, its first name resolved through the imports this scope sees."""
        written = dotted_names(node)
        if written is None:
            return None
        return ".".join([self.targets.get(written[0]) or written[0], *written[1:]])


_UseOfModel = tuple[_Import, str, str, bool]  # (import, qualified model, evidence, is an instantiation)


class LiveModels(NamedTuple):
    uses: tuple[LiveModelUse, ...]
    # Whether telling a model from another callable took reading an app's models module: the uses then depend on
    # that file too.
    read_models_modules: bool


def find_live_models(
    imports: Imports, tree: ast.Module, path: str, app_label: str | None = None,
    handed: Iterable[str] | None = None,
) -> LiveModels:
    """``app_label`` resolves relative imports written inside functions; by default the folder above the
    migrations package, as flake8's per-file pass names an app. ``handed``: the names of the module's functions
    the operations are handed (``RunPython(forwards)``); None when that is not known (every function may run)."""
    label = app_label if app_label is not None else os.path.basename(os.path.dirname(os.path.dirname(path)))
    finder = _LiveModelFinder(imports, tree, path, label, handed)
    uses = tuple(finder.find())
    return LiveModels(uses, finder.read_models_modules)


def may_reach_live_models(imports: Imports, tree: ast.Module) -> bool:
    """Whether the module imports anything through which it may reach a live model: an app's models module or a
    registry at module level, or anything inside a function. Most migrations do not, and then ``find_live_models``
    finds nothing: what only it needs (the functions the operations are handed) need not be worked out."""
    bindings = imports.bindings
    for target in bindings.values():
        if _is_live_models_path(target) or target.startswith(_LIVE_REGISTRIES):
            return True
    for key in imports.sites:
        if key.startswith(_LIVE_REGISTRIES):
            return True
        if "." in key and _is_live_models_path(key) and bindings.get(key.partition(".")[0]) == key.partition(".")[0]:
            return True
    return _imports_in_functions(tree)


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope in source order: everything below ``node`` but the insides of nested functions.

    An explicit stack: recursive generators cost a frame per level for every node they pass up."""
    stack = list(ast.iter_child_nodes(node))[::-1]
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, _SCOPE_BOUNDARIES):
            stack.extend(list(ast.iter_child_nodes(child))[::-1])


def _own_statements(statements: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """The statements of one scope, in blocks at any depth but not inside nested functions. Imports are statements:
    looking only at statements skips the expressions, which make up most of a migration's nodes."""
    stack = list(statements)
    while stack:
        statement = stack.pop()
        yield statement
        if not isinstance(statement, _FUNCTIONS):
            for block in _block_fields(type(statement)):
                nested = getattr(statement, block, None)
                if isinstance(nested, list):
                    stack.extend(nested)


_BLOCKS: Final = ("body", "orelse", "finalbody", "handlers", "cases")
_BLOCKS_OF: Final[dict[type[ast.AST], tuple[str, ...]]] = {}


def _block_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of ``_BLOCKS`` a node type has: none for most statements, so they cost no attribute look-ups."""
    found = _BLOCKS_OF.get(node_type)
    if found is None:
        found = _BLOCKS_OF[node_type] = tuple(block for block in _BLOCKS if block in node_type._fields)
    return found


def _own_imports(function: ast.AST) -> list[ast.stmt]:
    body = function.body if isinstance(function, _FUNCTIONS) else []
    return [node for node in _own_statements(body) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _imports_in_functions(tree: ast.Module) -> bool:
    """Whether a function (or method) defined at module level, or one nested in it, imports anything: an import
    statement in the blocks of a function, found through the blocks of the statements around it."""
    outside: list[ast.AST] = list(tree.body)
    inside: list[ast.AST] = []  # the statements of functions
    while outside:
        statement = outside.pop()
        kind = type(statement)
        into = inside if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef else outside
        blocks = _BLOCKS_OF.get(kind)
        for block in blocks if blocks is not None else _block_fields(kind):
            nested = getattr(statement, block, None)
            if isinstance(nested, list):
                into.extend(nested)
    while inside:
        statement = inside.pop()
        kind = type(statement)
        if kind is ast.Import or kind is ast.ImportFrom:
            return True
        blocks = _BLOCKS_OF.get(kind)
        for block in blocks if blocks is not None else _block_fields(kind):
            nested = getattr(statement, block, None)
            if isinstance(nested, list):
                inside.extend(nested)
    return False


class _LiveModelFinder:
    """Finds live models: app models imported into the migration and used as models, and global registries."""

    def __init__(
        self, imports: Imports, tree: ast.Module, path: str, app_label: str, handed: Iterable[str] | None = None
    ) -> None:
        self.tree = tree
        self.handed = handed
        self.never_run: frozenset[int] = frozenset()  # the ids of the module-level functions the migration never runs
        self.path = path
        self.app_label = app_label
        self.imports = imports
        self.module_scope = _Scope.of_imports(imports)
        self.function_imports = _imports_in_functions(tree)
        self.read_models_modules = False

    def find(self) -> Iterator[LiveModelUse]:
        paths = [*self.imports.bindings.values(), *self.imports.sites]
        registries = any(path.startswith(_LIVE_REGISTRIES) for path in paths)
        if not (self.module_scope.live or registries or self.function_imports):
            return  # the common case: the module imports nothing that can reach a live model
        self.never_run = _functions_never_run(self.tree, self.handed)
        reported: set[_Import] = set()
        instantiated: dict[_Import, tuple[str, str]] = {}
        for scope_node, scope in self._scopes():
            for node in _scope_nodes(scope_node):
                if isinstance(node, ast.Call):
                    registry = self._registry_call(node, scope)
                    if registry is not None:
                        yield registry
                use = self._model_use(node, scope)
                if use is None:
                    continue
                imported, model, evidence, is_instantiation = use
                if is_instantiation:
                    instantiated.setdefault(imported, (model, evidence))
                elif imported not in reported:
                    reported.add(imported)
                    yield _report(imported, model, evidence)
        for imported, (model, evidence) in instantiated.items():
            if imported not in reported and self._is_model_class(model):
                yield _report(imported, model, evidence + "(...)")

    def _scopes(self) -> Iterator[tuple[ast.AST, _Scope]]:
        """Each scope (the module, every function and lambda) with the names it sees: a function's parameters,
        assignments and imports shadow the names of the scopes around it."""
        todo: list[tuple[ast.AST, _Scope]] = [(self.tree, self.module_scope)]
        while todo:
            node, scope = todo.pop()
            yield node, scope
            for child in _scope_nodes(node):
                if id(child) in self.never_run:
                    # Its decorators and default values still run when the module is imported.
                    assert isinstance(child, _FUNCTIONS)
                    header = [*child.decorator_list, *child.args.defaults, *(d for d in child.args.kw_defaults if d)]
                    todo.append((ast.Module(body=[ast.Expr(value) for value in header], type_ignores=[]), scope))
                elif isinstance(child, _SCOPE_BOUNDARIES):
                    own_imports = _own_imports(child) if self.function_imports else []
                    local_imports = (
                        Imports.collect(ast.Module(body=own_imports, type_ignores=[]), self.app_label)
                        if own_imports else Imports()
                    )
                    todo.append((child, _Scope.of_imports(local_imports, scope, function_locals(child))))

    def _registry_call(self, node: ast.Call, scope: _Scope) -> LiveModelUse | None:
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        resolved = scope.resolve(node.func)
        if resolved == "django.contrib.auth.get_user_model":
            model = "settings.AUTH_USER_MODEL"
        elif resolved == "django.apps.apps.get_model":
            arguments = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            model = ".".join(arguments) if arguments and len(arguments) == len(node.args) else "..."
        else:
            return None
        written = ast.unparse(node.func)
        return LiveModelUse(written, model, node.lineno, node.col_offset, f"{written}(...)")

    def _model_use(self, node: ast.AST, scope: _Scope) -> _UseOfModel | None:
        """A model reached through an import and used as a model: a manager, ``_meta``, or a call.

        Other attributes are not uses: ``Order.STATUS_CHOICES`` or ``Order.Status.PAID`` reads a constant, and
        the rows are still written through whatever model the function queries."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "_meta":
            # Seen before the `_meta` inside it: the finding then shows what is read, e.g. `Order._meta.db_table`.
            model, is_instantiation = node.value.value, False
        elif isinstance(node, ast.Attribute) and node.attr in _MODEL_ATTRIBUTES:
            model, is_instantiation = node.value, False
        elif isinstance(node, ast.Call):
            model, is_instantiation = node.func, True
        else:
            return None
        written = dotted_names(model)
        if written is None:
            return None
        for imported in reversed(scope.live.get(written[0], ())):
            full = [*imported.target.split("."), *written[1:]]
            if imported.through_dotted_path and not ".".join(full).startswith(imported.key + "."):
                continue
            models_at = len(full) - 1 - full[::-1].index("models")
            if not full[models_at + 1 :]:
                return None  # the models module itself
            evidence = ast.unparse(node.func if isinstance(node, ast.Call) else node)
            return imported, ".".join(full), evidence, is_instantiation
        return None

    def _is_model_class(self, qualified: str) -> bool:
        from flake8_django_migrations.facts import model_inference  # astroid is loaded only when this is needed

        module, _, name = qualified.rpartition(".")
        self.read_models_modules = True
        return model_inference.is_model_class(module, name, self.path) is True


def _functions_never_run(tree: ast.Module, handed: Iterable[str] | None) -> frozenset[int]:
    """The ids of the module-level functions that nothing the migration runs reaches: not handed to an operation
    (``handed``), not called in module-level code, and not named in a function that is (a function that names
    another may call it or hand it on). Lambdas and methods count as run. Nothing when ``handed`` is None."""
    if handed is None:
        return frozenset()
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for statement in module_level_statements(tree.body):
        if isinstance(statement, _FUNCTIONS):
            functions.setdefault(statement.name, []).append(statement)
    if not functions:
        return frozenset()
    top_level = {id(function) for defined in functions.values() for function in defined}
    reached = {name for name in handed if name in functions}
    # Module-level code: a function called there runs; the code of a lambda or a method runs, and what it names may.
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if id(node) in top_level:
            assert isinstance(node, _FUNCTIONS)
            stack.extend([*node.decorator_list, node.args])  # evaluated at import, not the body
            continue
        if isinstance(node, _SCOPE_BOUNDARIES):
            reached.update(_names_in(node, functions))
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            reached.add(node.func.id)
        stack.extend(ast.iter_child_nodes(node))
    todo = list(reached)
    while todo:
        for function in functions[todo.pop()]:
            for name in _names_in(function, functions) - reached:
                reached.add(name)
                todo.append(name)
    return frozenset(id(function) for name, defined in functions.items() if name not in reached for function in defined)


def _names_in(node: ast.AST, functions: Mapping[str, object]) -> set[str]:
    """The module-level functions ``node`` names anywhere inside it (called, or passed on)."""
    return {
        inner.id for inner in ast.walk(node)
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and inner.id in functions
    }


def _report(imported: _Import, model: str, evidence: str) -> LiveModelUse:
    return LiveModelUse(imported.key, model, imported.site.line, imported.site.col, evidence)


def _is_live_models_path(target: str) -> bool:
    """Whether a dotted path is, or is inside, an app's models module (not Django's model API)."""
    if "models" not in target:
        return False  # most imports: no need to split them
    parts = target.split(".")
    if "models" not in parts:
        return False
    models_at = len(parts) - 1 - parts[::-1].index("models")
    module = ".".join(parts[: models_at + 1])
    return module not in _FRAMEWORK_MODELS_MODULES

"""The reader of a settings module: runs its top level as Python's import would, as far as literals go (see
``django_settings`` for what it follows). It runs the statements (branches, loops, ``try``, imports of project modules,
split-settings' ``include``, classes, assignments and the methods that change a list or a dict); ``Evaluator``
(``settings_expressions``) evaluates the expressions."""

from __future__ import annotations

import ast
import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Final, cast

from flake8_django_migrations.files import looked_up, looked_up_in_interpreter
from flake8_django_migrations.project.settings_expressions import Evaluator, Frame, canonical_path, located, shortened
from flake8_django_migrations.project.settings_module import find_module_file, parse_python_file
from flake8_django_migrations.project.settings_values import (
    NO_DEFAULT,
    Binding,
    Class,
    DjangoDefault,
    EnvValue,
    Function,
    Known,
    Lazy,
    Module,
    ModuleRef,
    OptionalPath,
    Partial,
    Scope,
    Unknown,
    add_values,
    env_items,
    get_item,
    is_hashable,
    is_literal,
    list_items,
    merge_values,
    order_free,
    same_value,
    set_item,
    truth_of,
)
from flake8_django_migrations.settings import READ_SETTINGS

# Limits that only a pathological or hostile settings tree reaches; each gives a reason rather than a hang.
MAX_IMPORT_DEPTH: Final = 32  # modules (and included files) being run at once, one inside the other
MAX_STEPS: Final = 100_000  # statements run in one read (a branch or a loop body counts each time it runs)
MAX_LOOP_DEPTH: Final = 2  # loops inside loops run their body; deeper ones make what they bind unknown
MAX_BASES: Final = 1000  # classes in one method resolution order
MAX_INCLUDED: Final = 256  # files one include() pattern may match
# The settings of READ_SETTINGS that django.conf.global_settings defines: django-configurations' metaclass copies
# them into every Configuration class, so a class that does not set one gives Django's default. It drops
# DEFAULT_AUTO_FIELD from the copy, which the module's own name then decides.
CONFIGURATION_DEFAULTS: Final = frozenset({"INSTALLED_APPS", "AUTH_USER_MODEL", "MIGRATION_MODULES", "DATABASES"})
_CONFIGURATION_BASES: Final = frozenset({"configurations.Configuration", "configurations.base.Configuration"})
# Calls at module level that bind no name of the settings.
_HARMLESS_CALLS: Final = (
    "os.environ.", "os.putenv", "os.makedirs", "os.mkdir", "sys.path.", "logging.", "warnings.", "builtins.print",
    "environ.Env.read_env", "environ.Env().read_env", "dotenv.", "mimetypes.", "django.setup",
    # Type-checking support (saleor, healthchecks): it patches Django's classes, not the settings module.
    "django_stubs_ext.monkeypatch",
)
_TRY_STATEMENTS: Final = tuple(getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name))
_IMPORT_ERRORS: Final = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException", "*"})
_FILE_ERRORS: Final = frozenset({
    "OSError", "IOError", "EnvironmentError", "FileNotFoundError", "Exception", "BaseException", "*",
})


class TooComplex(Exception):
    pass


# Reading ----------------------------------------------------------------------------------------------------------


class Reader(Evaluator):
    """Runs a settings module's top level as far as literals go."""

    def __init__(self, import_roots: tuple[str, ...], root: str) -> None:
        super().__init__()
        self.import_roots = import_roots
        self.root = root
        self.files: list[str] = []  # every file read, and the folders include() patterns list
        self.modules: dict[str, Module | Unknown] = {}  # path -> the module, once run (or while it runs)
        self.trees: dict[str, ast.Module | None] = {}
        self.walrus: set[str] = set()  # the files that hold an `:=`
        self.module_files: dict[str, str | None] = {}
        self.depth = 0
        self.steps = 0
        self.guards: list[frozenset[str]] = []  # what the `try` statements around the current one catch
        # Conditional imports of project modules the repository does not hold, taken as not run (see _star_import).
        self.absent: list[str] = []
        self.resolving: set[tuple[str, str | None]] = set()
        self.attributes: dict[tuple[int, str], Binding | None] = {}  # (id of a class, name) -> its attribute
        self.loops = 0  # loops around the statement being run

    # Modules and files -------------------------------------------------------------------------------------------

    def module_file(self, module: str) -> str | None:
        if module not in self.module_files:
            self.module_files[module] = find_module_file(module, self.import_roots) if module else None
        return self.module_files[module]

    def tree(self, path: str) -> ast.Module | None:
        if path not in self.trees:
            self.files.append(path)
            tree = parse_python_file(path)
            self.trees[path] = tree
            if tree is not None and any(isinstance(node, ast.NamedExpr) for node in ast.walk(tree)):
                self.walrus.add(path)
        return self.trees[path]

    def module(self, path: str, dotted: str) -> Module | Unknown:
        """The module at ``path`` once run; while it runs (an import cycle), the names it has so far."""
        known = self.modules.get(path)
        if known is not None:
            return known
        if self.depth >= MAX_IMPORT_DEPTH:
            return Unknown(f"`{dotted}` is imported more than {MAX_IMPORT_DEPTH} modules deep")
        tree = self.tree(path)
        if tree is None:
            unreadable = Unknown(f"`{os.path.basename(path)}` is not a readable file of valid Python")
            self.modules[path] = unreadable
            return unreadable
        package = dotted if os.path.basename(path) == "__init__.py" else dotted.rpartition(".")[0]
        module = Module(path, dotted, package, Scope())
        self.modules[path] = module
        saved, self.guards = self.guards, []  # a failure inside it fails its import, not a statement of its own
        self.depth += 1
        try:
            self._run(tree.body, Frame(module.scope, path, module))
        finally:
            self.depth -= 1
            self.guards = saved
        return module

    def resolve(self, value: object) -> object:
        """``value``, or what a ``Lazy`` import names."""
        if not isinstance(value, Lazy):
            return value
        binding = self.resolve_lazy(value)
        return binding.value if isinstance(binding, Binding) else binding

    def resolve_binding(self, binding: Binding) -> Binding:
        if not isinstance(binding.value, Lazy):
            return binding
        resolved = self.resolve_lazy(binding.value)
        return resolved if isinstance(resolved, Binding) else Binding(resolved, binding.path, binding.line)

    def resolve_lazy(self, lazy: Lazy) -> Binding | object:
        key = (lazy.module, lazy.name)
        if key in self.resolving:
            return Unknown(f"the import at {lazy.where} is circular")
        path = self.module_file(lazy.module)
        if path is None:
            return Unknown(f"`{lazy.module}` is not found at {lazy.where}")
        self.resolving.add(key)
        try:
            module = self.module(path, lazy.module)
            if isinstance(module, Unknown):
                return module
            if lazy.name is None:
                return ModuleRef(module)
            binding = module.scope.names.get(lazy.name)
            if binding is not None:
                return self.resolve_binding(binding)
            if self.module_file(f"{lazy.module}.{lazy.name}") is not None:
                return self.resolve_lazy(Lazy(f"{lazy.module}.{lazy.name}", None, lazy.where))
            star = module.scope.names.get("*")
            if star is not None:
                return star.value
            return Unknown(f"`{lazy.name}` is not defined in `{lazy.module}` (imported at {lazy.where})")
        finally:
            self.resolving.discard(key)

    # Statements --------------------------------------------------------------------------------------------------

    def _run(self, body: Sequence[ast.stmt], frame: Frame) -> None:
        for node in body:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise TooComplex
            if frame.path in self.walrus:
                self._walrus(node, frame)
            if isinstance(node, ast.If):
                test = truth_of(self.evaluate(node.test, frame))
                guard = _prefix_guard(node.test)
                if test is None and guard is not None and not node.orelse:
                    guarded = replace(frame, prefixed=(*frame.prefixed, guard))
                    self._branches(guarded, [node.body, node.orelse], "set under a condition")
                elif test is None:
                    self._branches(frame, [node.body, node.orelse], "set under a condition")
                else:
                    self._run(node.body if test else node.orelse, frame)
            elif isinstance(node, _TRY_STATEMENTS):
                self._try(cast(ast.Try, node), frame)  # a `try ... except*` has the same fields
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                self._loop(node, frame)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self._with(node, frame)
            elif isinstance(node, ast.Match):
                self._match(node, frame)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node, frame)
            elif isinstance(node, ast.Import):
                self._import(node, frame)
            elif isinstance(node, ast.ClassDef):
                self._class(node, frame)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                declared = frozenset(name for child in ast.walk(node) if isinstance(child, ast.Global)
                                     for name in child.names)
                self._bind(frame, node.name, Function(node.name, declared), node)
            elif isinstance(node, ast.Assign):
                value = self.evaluate(node.value, frame)
                for target in node.targets:
                    self._assign(target, value, frame, node)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self._assign(node.target, self.evaluate(node.value, frame), frame, node)
            elif isinstance(node, ast.AugAssign):
                self._augmented(node, frame)
            elif isinstance(node, ast.Expr):
                self._expression(node.value, frame, node)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    for name in _target_names(target):
                        self._bind(frame, name, Unknown(f"`{name}` is deleted at {located(frame.path, node)}"), node)
            # pass, global, assert, raise, break, continue: no name changes

    def _walrus(self, node: ast.stmt, frame: Frame) -> None:
        """Names an ``:=`` in the statement's own expressions binds (not those of the statements it holds)."""
        for _, value in ast.iter_fields(node):
            for expression in (value if isinstance(value, list) else [value]):
                if not isinstance(expression, (ast.expr, ast.withitem)):
                    continue
                for child in ast.walk(expression):
                    if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                        where = located(frame.path, child)
                        self._bind(frame, child.target.id, Unknown(f"`{child.target.id}` is set by `:=` at {where}"),
                                   node)

    def _bind(self, frame: Frame, name: str, value: object, node: ast.stmt | ast.expr) -> None:
        frame.scope.set(name, Binding(self.checked(value), frame.path, getattr(node, "lineno", 0)))

    def _branches(self, frame: Frame, bodies: Sequence[Sequence[ast.stmt] | None], how: str,
                  where: str | None = None, bound: Sequence[str] = ()) -> None:
        """Exactly one of ``bodies`` runs (None: one that changes nothing), and which cannot be told. ``bound``:
        names each body starts with unknown (a loop's target, an ``except ... as`` name)."""
        branches: list[Scope | None] = []
        for body in bodies:
            if not body and not bound:
                branches.append(None)
                continue
            scope = frame.scope.branch()
            inner = replace(frame, scope=scope, conditional=True)
            for name in bound:
                scope.set(name, Binding(Unknown(f"`{name}` is {how} at {where}"), frame.path, 0))
            self._run(body or (), inner)
            branches.append(scope)
        self._merge_into(frame.scope, branches, how, where)

    def _merge_into(self, scope: Scope, branches: Sequence[Scope | None], how: str, where: str | None) -> None:
        changed: set[str] = set()
        for branch in branches:
            if branch is not None:
                changed |= branch.changed
        for name in sorted(changed):
            options = [(branch.names if branch is not None else scope.names).get(name) for branch in branches]
            changers = [option for branch, option in zip(branches, options)
                        if branch is not None and name in branch.changed and option is not None]
            latest = changers[-1] if changers else None
            if latest is None:
                continue
            place = where or located(latest.path, latest.line)
            reason = f"`{name}` is {how} at {place}"
            merged: object = None
            for index, option in enumerate(options):
                value = option.value if option is not None else Unknown(reason)
                merged = value if index == 0 else merge_values(merged, value, reason)
            if isinstance(options[0], Binding) and options[0] is scope.names.get(name) and same_value(
                    merged, options[0].value):
                continue
            scope.set(name, Binding(self.checked(merged), latest.path, latest.line))
        common: set[str] | None = None
        for branch in branches:
            included = branch.included if branch is not None else scope.included
            common = set(included) if common is None else common & included
        scope.included = common if common is not None else scope.included

    def _try(self, node: ast.Try, frame: Frame) -> None:
        # The body runs (an import of a module that is not there stops it: see _star_import); what a handler does
        # depends on what failed, so it is uncertain.
        caught: set[str] = set()
        for handler in node.handlers:
            caught |= _caught(handler)
        self.guards.append(frozenset(caught))
        try:
            self._run(node.body, frame)
        finally:
            self.guards.pop()
        for handler in node.handlers:
            self._branches(frame, [handler.body, None], "set in an `except` block", located(frame.path, handler),
                           [handler.name] if handler.name else ())
        self._run(node.orelse, frame)
        self._run(node.finalbody, frame)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, frame: Frame) -> None:
        where = located(frame.path, node)
        if isinstance(node, ast.While) and truth_of(self.evaluate(node.test, frame)) is False:
            self._run(node.orelse, frame)
            return
        if self.loops >= MAX_LOOP_DEPTH:
            changed, opaque = _loop_changes([*node.body, *node.orelse])
            if isinstance(node, (ast.For, ast.AsyncFor)):
                changed.update(_target_names(node.target))
            if opaque:
                self._not_followed(frame, f"the loop at {where} is not followed", True, node)
            for name in sorted(changed):
                self._bind(frame, name, Unknown(f"`{name}` is changed at {where}"), node)
            return
        self.loops += 1
        try:
            self._run_loop(node, frame, where)
        finally:
            self.loops -= 1

    def _run_loop(self, node: ast.For | ast.AsyncFor | ast.While, frame: Frame, where: str) -> None:
        bound = list(_target_names(node.target)) if isinstance(node, (ast.For, ast.AsyncFor)) else []
        # Zero, one or more runs: merged with not running once, then a second run on that; what still changes
        # is unknown.
        self._branches(frame, [None, node.body], "changed", where, bound)
        before = dict(frame.scope.names)
        scope = frame.scope.branch()
        for name in bound:
            scope.set(name, Binding(Unknown(f"`{name}` is changed at {where}"), frame.path, node.lineno))
        self._run(node.body, replace(frame, scope=scope))
        self._merge_into(frame.scope, [None, scope], "changed", where)
        for name in scope.changed:
            now, then = frame.scope.names.get(name), before.get(name)
            if now is not None and (then is None or not same_value(now.value, then.value)):
                frame.scope.set(name, Binding(Unknown(f"`{name}` is changed at {where}"), frame.path, node.lineno))
        self._branches(frame, [node.orelse, None], "set under a condition", where)

    def _with(self, node: ast.With | ast.AsyncWith, frame: Frame) -> None:
        caught: set[str] = set()
        for item in node.items:
            self.evaluate(item.context_expr, frame)
            expression = item.context_expr
            if isinstance(expression, ast.Call) and _dotted(expression.func).rpartition(".")[2] == "suppress":
                caught |= {_dotted(arg).rpartition(".")[2] for arg in expression.args}
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars):
                    self._bind(frame, name, Unknown(f"`{name}` is set by `with` at {located(frame.path, node)}"),
                               node)
        self.guards.append(frozenset(caught))
        try:
            self._run(node.body, frame)
        finally:
            self.guards.pop()

    def _match(self, node: ast.Match, frame: Frame) -> None:
        self.evaluate(node.subject, frame)
        where = located(frame.path, node)
        bodies: list[Sequence[ast.stmt] | None] = [None]
        captured: set[str] = set()
        for case in node.cases:
            captured |= {name for child in ast.walk(case.pattern) for name in _captured(child)}
            bodies.append(case.body)
        self._branches(frame, bodies, "set by a `match` case", where, sorted(captured))

    # Imports ------------------------------------------------------------------------------------------------------

    def _import_from(self, node: ast.ImportFrom, frame: Frame) -> None:
        module = _absolute(node, frame.module.package)
        if any(alias.name == "*" for alias in node.names):
            self._star_import(node, module, frame)
            return
        if module == "__future__":
            return
        in_project = bool(module) and self.module_file(module) is not None
        where = located(frame.path, node)
        for alias in node.names:
            bound = alias.asname or alias.name
            value: object
            if in_project:
                value = Lazy(module, alias.name, where)
            elif module and not node.level:
                value = Known(canonical_path(f"{module}.{alias.name}"))
            else:
                if self._guarded(_IMPORT_ERRORS):
                    continue
                value = Unknown(f"`{bound}` is imported from a module not found here at {where}")
            self._bind(frame, bound, value, node)

    def _import(self, node: ast.Import, frame: Frame) -> None:
        where = located(frame.path, node)
        for alias in node.names:
            if alias.asname:
                name, module = alias.asname, alias.name
            else:
                name = module = alias.name.split(".")[0]
            value: object = (
                Lazy(module, None, where) if self.module_file(module) is not None else Known(canonical_path(module))
            )
            self._bind(frame, name, value, node)

    def _star_import(self, node: ast.ImportFrom, module: str, frame: Frame) -> None:
        where = located(frame.path, node)
        written = f"`from {'.' * node.level}{node.module or ''} import *`"
        target = self.module_file(module)
        if target is None and module == "split_settings.tools":
            for name in ("include", "optional"):
                self._bind(frame, name, Known(f"split_settings.tools.{name}"), node)
            return
        if target is None and self._guarded(_IMPORT_ERRORS) and (node.level or not _importable(module)):
            # `try: from .local import * except ImportError: pass` with no local.py: the import fails, as here.
            return
        if target is None and node.level and frame.conditional:
            # `if (BASE_DIR / "local_settings.py").exists(): from .local_settings import *` (healthchecks) with no
            # such file here: were the branch taken, the import would fail; it is taken as not run, and said.
            self.absent.append(f"{written} at {where} (no such module in the project: taken as not run)")
            return
        if target is None:
            self._not_followed(frame, f"{written} at {where} is not read", everything=True, node=node)
            return
        imported = self.module(target, module)
        if isinstance(imported, Unknown):
            self._not_followed(frame, f"{written} at {where} is not followed: {imported.reason}", everything=True,
                               node=node)
            return
        # A star import skips private names (settings modules do not define __all__).
        names = imported.scope.names
        frame.scope.update({name: binding for name, binding in names.items() if name[:1] != "_"})

    def _guarded(self, errors: frozenset[str]) -> bool:
        return any(guard & errors for guard in self.guards)

    def _not_followed(self, frame: Frame, reason: str, everything: bool, node: ast.stmt) -> None:
        """What ``node`` does cannot be followed. ``everything``: it may rebind any name (an unread star import,
        ``exec``); else only names not set so far may come from it (the reason they are not known)."""
        if everything:
            unknown = Binding(Unknown(reason), frame.path, node.lineno)
            frame.scope.update({name: unknown for name in frame.scope.names})
            frame.scope.set("*", unknown)
        elif frame.scope.get("*") is None:
            frame.scope.set("*", Binding(Unknown(reason), frame.path, node.lineno))

    # Classes ------------------------------------------------------------------------------------------------------

    def _class(self, node: ast.ClassDef, frame: Frame) -> None:
        bases = tuple(self.resolve(self.evaluate(base, frame)) for base in node.bases)
        where = located(frame.path, node)
        if node.decorator_list or node.keywords:
            self._bind(frame, node.name, Unknown(f"the class `{node.name}` at {where} is not followed"), node)
            return
        scope = Scope(outer=frame.scope.globals)
        self._run(node.body, Frame(scope, frame.path, frame.module, in_class=True))
        configuration = any(_is_configuration(base) for base in bases)
        self._bind(frame, node.name, Class(node.name, bases, scope, frame.path, node.lineno, configuration), node)

    def class_attribute(self, cls: Class, name: str, seen: frozenset[int] = frozenset()) -> Binding | None:
        """The attribute ``name`` of ``cls`` (its own or its bases'), None when it has none; an unknown value
        when it cannot be told."""
        key = (id(cls), name)
        if key not in self.attributes:
            self.attributes[key] = self._class_attribute(cls, name, seen)
        return self.attributes[key]

    def _class_attribute(self, cls: Class, name: str, seen: frozenset[int]) -> Binding | None:
        if id(cls) in seen:
            return Binding(Unknown(f"the bases of `{cls.name}` loop"), cls.path, cls.line)
        seen = seen | {id(cls)}
        own = cls.scope.names.get(name)
        if own is not None:
            return self.resolve_binding(own)
        if cls.configuration:
            # django-configurations' metaclass copies the bases' attributes in, the first base winning, over
            # Django's global settings.
            for base in cls.bases:
                found = self._base_attribute(base, name, cls, seen)
                if found is not None:
                    return found
            return None
        for base in _mro(cls)[1:]:
            found = self._base_attribute(base, name, cls, seen, inherit=False)
            if found is not None:
                return found
        return None

    def _base_attribute(self, base: object, name: str, cls: Class, seen: frozenset[int],
                        inherit: bool = True) -> Binding | None:
        if isinstance(base, Class):
            if inherit:
                return self.class_attribute(base, name, seen)
            own = base.scope.names.get(name)
            return self.resolve_binding(own) if own is not None else None
        if isinstance(base, Known) and base.path in _CONFIGURATION_BASES:
            if name in CONFIGURATION_DEFAULTS:
                return Binding(DjangoDefault(f"`{cls.name}` does not set it"), cls.path, cls.line)
            return None
        if isinstance(base, Known) and base.path == "builtins.object":
            return None
        shown = base.path if isinstance(base, Known) else "a base not read"
        return Binding(Unknown(f"`{cls.name}` may take it from its base `{shown}`"), cls.path, cls.line)

    # Assignments --------------------------------------------------------------------------------------------------

    def _assign(self, target: ast.expr, value: object, frame: Frame, node: ast.stmt) -> None:
        where = located(frame.path, node)
        if isinstance(target, ast.Name):
            self._bind(frame, target.id, value, node)
        elif isinstance(target, ast.Subscript):
            path = self._item_path(target, frame)
            if path is None:
                self._namespace_item(target, value, frame, node)
                return
            root, keys = path
            binding = frame.scope.get(root)
            if binding is not None:
                updated = set_item(self.resolve(binding.value), keys, value, where)
                self._bind(frame, root, updated, node)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, tuple) and len(value) == len(
                target.elts) and not any(isinstance(element, ast.Starred) for element in target.elts):
            for element, item in zip(target.elts, value):
                self._assign(element, item, frame, node)
        else:
            for name in _target_names(target):
                self._bind(frame, name, Unknown(f"`{name}` is changed at {where}"), node)

    def _namespace_item(self, target: ast.Subscript, value: object, frame: Frame, node: ast.stmt) -> None:
        """``globals()["X"] = ...``; any other item assignment on something not read changes nothing known."""
        base = target.value
        if isinstance(base, ast.Call) and _dotted(base.func) in ("globals", "locals", "vars") and not base.args:
            key = self.evaluate(target.slice, frame)
            where = located(frame.path, node)
            prefixes = next((found for name, found in reversed(frame.prefixed)
                             if isinstance(target.slice, ast.Name) and target.slice.id == name), None)
            if isinstance(key, str):
                self._bind(frame, key, value, node)
            elif prefixes is not None and not any(setting.startswith(prefixes) for setting in READ_SETTINGS):
                # `if param.startswith("SOCIAL_AUTH_"): globals()[param] = ...` (netbox): only such names change.
                for name in [name for name in frame.scope.names if name.startswith(prefixes)]:
                    self._bind(frame, name, Unknown(f"`{name}` is changed at {where}"), node)
            else:
                self._not_followed(frame, f"an assignment at {where} is not followed", True, node)

    def _item_path(self, target: ast.Subscript, frame: Frame) -> tuple[str, list[object]] | None:
        keys: list[object] = []
        base: ast.expr = target
        while isinstance(base, ast.Subscript):
            keys.append(self.evaluate(base.slice, frame))
            base = base.value
        return (base.id, list(reversed(keys))) if isinstance(base, ast.Name) else None

    def _augmented(self, node: ast.AugAssign, frame: Frame) -> None:
        where = located(frame.path, node)
        if isinstance(node.target, ast.Name):
            name = node.target.id
            current = frame.scope.get(name) or frame.scope.get("*")  # a name an unread star import may give
            value: object = Unknown(f"`{name} {_op(node.op)}=` at {where} is not literal")
            if current is not None and isinstance(node.op, ast.Add):
                value = add_values(self.resolve(current.value), self.evaluate(node.value, frame), where)
            elif current is None:
                value = Unknown(f"`{name}` is not defined before `{name} {_op(node.op)}=` at {where}")
            self._bind(frame, name, value, node)
        elif isinstance(node.target, ast.Subscript) and (path := self._item_path(node.target, frame)) is not None:
            root, keys = path
            binding = frame.scope.get(root)
            if binding is None:
                return
            container = self.resolve(binding.value)
            current_item = get_item(container, keys)
            item: object = Unknown(f"an item changed at {where} is not literal")
            if isinstance(node.op, ast.Add):
                item = add_values(current_item, self.evaluate(node.value, frame), where)
            self._bind(frame, root, set_item(container, keys, item, where), node)
        else:
            for name in _target_names(node.target):
                self._bind(frame, name, Unknown(f"`{name}` is changed at {where}"), node)

    def _expression(self, expression: ast.expr, frame: Frame, node: ast.stmt) -> None:
        if not isinstance(expression, ast.Call):
            self.evaluate(expression, frame)
            return
        where = located(frame.path, node)
        func = expression.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
            owner = self.resolve(self.evaluate(func.value.value, frame))
            if isinstance(owner, Class):  # `Base.INSTALLED_APPS.append(x)`: the list of the class that sets it
                attribute = func.value.attr
                found = self.class_attribute(owner, attribute)
                current = found.value if found is not None else Unknown(f"`{owner.name}.{attribute}` is not set")
                changed = self._method(current, expression, frame, where)
                _defining_class(owner, attribute).scope.set(
                    attribute, Binding(self.checked(changed), frame.path, node.lineno))
                self.attributes.clear()
                return
        if isinstance(func, ast.Attribute):
            receiver = self._receiver(func.value, frame)
            if receiver is not None:
                root, keys, current = receiver
                method = self._method(current, expression, frame, where)
                binding = frame.scope.get(root) or frame.scope.get("*")
                assert binding is not None
                container = self.resolve(binding.value)
                self._bind(frame, root, set_item(container, keys, method, where) if keys else method, node)
                return
        callee = self.resolve(self.evaluate(func, frame))
        short = f"`{shortened(expression)}` at {where}"
        if isinstance(callee, Known) and callee.path == "split_settings.tools.include":
            self._include(expression, frame, node)
        elif isinstance(callee, Function):
            self.evaluate(expression, frame)  # what it declares `global` is changed
            if not callee.globals:
                self._not_followed(frame, f"{short} is not followed", False, node)
        elif isinstance(callee, Known) and callee.path in ("builtins.exec", "builtins.eval"):
            self._not_followed(frame, f"{short} is not followed", True, node)
        elif _passes_namespace(expression):
            if isinstance(func, ast.Attribute) and func.attr == "update" and _dotted(func.value) in (
                    "globals()", "locals()", "vars()") and len(expression.args) == 1 and not expression.keywords:
                updates = self.evaluate(expression.args[0], frame)
                if isinstance(updates, dict) and all(isinstance(key, str) for key in updates):
                    for key, item in updates.items():
                        assert isinstance(key, str)
                        self._bind(frame, key, item, node)
                    return
            self._not_followed(frame, f"{short} is not followed", True, node)
        elif isinstance(callee, Known) and callee.path.startswith(_HARMLESS_CALLS):
            return
        else:
            for argument in expression.args:
                self.evaluate(argument, frame)
            self._not_followed(frame, f"{short} is not followed", False, node)

    def _receiver(self, node: ast.expr, frame: Frame) -> tuple[str, list[object], object] | None:
        """``INSTALLED_APPS`` in ``INSTALLED_APPS.append(x)``, ``DATABASES["default"]`` in ``DATABASES["default"]
        .update(...)``: the name, the keys, and the value, when it is a list or a dict read so far."""
        keys: list[object] = []
        base = node
        while isinstance(base, ast.Subscript):
            keys.append(self.evaluate(base.slice, frame))
            base = base.value
        if not isinstance(base, ast.Name):
            return None
        binding = frame.scope.get(base.id) or frame.scope.get("*")  # a name an unread star import may give
        if binding is None:
            return None
        keys.reverse()
        current = get_item(self.resolve(binding.value), keys)
        if isinstance(current, (tuple, dict, Partial)) or (isinstance(current, Unknown) and not isinstance(
                self.resolve(binding.value), Known)):
            return base.id, keys, current
        return None

    def _method(self, current: object, call: ast.Call, frame: Frame, where: str) -> object:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        args = [self.evaluate(arg, frame) for arg in call.args]
        if isinstance(current, Unknown) and not isinstance(current, EnvValue) and method in ("append", "insert") and (
                args and is_literal(args[-1])):
            return Partial((args[-1],), current.reason)  # a list not read, that holds this entry now
        if isinstance(current, Unknown):
            return current
        items = list_items(current)
        if call.keywords or any(isinstance(arg, ast.Starred) for arg in call.args):
            return Unknown(f"`.{method}(...)` at {where} is not literal")
        if items is not None:
            partial = current if isinstance(current, Partial) else None
            if method in ("append", "extend", "insert"):
                added = args[-1] if args else None
                if method == "extend":
                    added_items = list_items(added)
                    if added_items is None:
                        return self._opened(items, added, where, method)
                    result = (*items, *added_items)
                    if isinstance(added, Partial):
                        return Partial(result, added.reason)
                elif isinstance(added, Unknown):
                    return self._opened(items, added, where, method)
                elif method == "append" and len(args) == 1:
                    result = (*items, added)
                elif method == "insert" and len(args) == 2 and isinstance(args[0], int):
                    as_list = list(items)
                    as_list.insert(args[0], added)
                    result = tuple(as_list)
                else:
                    return Unknown(f"`.{method}(...)` at {where} is not literal")
                return Partial(result, partial.reason) if partial is not None else result
            if method == "remove" and len(args) == 1 and not isinstance(args[0], Unknown):
                if not is_hashable(args[0]):
                    return Unknown(f"`.remove(...)` at {where} is not literal")
                try:
                    position = items.index(args[0])
                except ValueError:
                    if partial is not None:
                        return partial  # it is among the entries not read, or the settings fail
                    return Unknown(f"`.remove(...)` at {where} removes an entry the list does not hold")
                remaining = items[:position] + items[position + 1:]
                return Partial(remaining, partial.reason) if partial is not None else remaining
        if isinstance(current, dict) and method == "update" and len(args) == 1:
            update = args[0]
            if isinstance(update, dict):
                return {**current, **update}
            if isinstance(update, EnvValue) and isinstance(update.default, dict):
                return {**current, **env_items(update)}
        return Unknown(f"`.{method}(...)` at {where} is not followed")

    @staticmethod
    def _opened(items: tuple[object, ...], added: object, where: str, method: str) -> object:
        reason = added.reason if isinstance(added, Unknown) else f"`.{method}(...)` at {where} adds what is not read"
        return Partial(items, reason)

    # split-settings' include --------------------------------------------------------------------------------------

    def _include(self, call: ast.Call, frame: Frame, node: ast.stmt) -> None:
        where = located(frame.path, node)
        if frame.in_class:
            self._not_followed(frame, f"`include()` in a class at {where} is not followed", True, node)
            return
        for keyword in call.keywords:
            scope = keyword.value
            if keyword.arg != "scope" or not (isinstance(scope, ast.Call) and _dotted(scope.func) in (
                    "globals", "locals", "vars") and not scope.args):
                self._not_followed(frame, f"`include()` at {where} is not followed (its `scope`)", True, node)
                return
        patterns: list[object] = []
        for argument in call.args:
            expression = argument.value if isinstance(argument, ast.Starred) else argument
            value = self.resolve(self.evaluate(expression, frame))
            if isinstance(argument, ast.Starred):
                if not isinstance(value, tuple):
                    self._not_followed(frame, f"`include()` at {where} names files not read", True, node)
                    return
                patterns.extend(value)
            else:
                patterns.append(value)
        for pattern in patterns:
            optional = isinstance(pattern, OptionalPath)
            text = pattern.path if isinstance(pattern, OptionalPath) else pattern
            if not isinstance(text, str):
                self._not_followed(frame, f"`include()` at {where} names a file not read", True, node)
                return
            if optional and not text:
                continue
            if not self._include_pattern(text, optional, frame, node, where):
                return

    def _include_pattern(self, text: str, optional: bool, frame: Frame, node: ast.stmt, where: str) -> bool:
        """Runs the files ``text`` matches, as split-settings does; False when that cannot be followed."""
        pattern = os.path.join(os.path.dirname(frame.path), text)
        shown = f"`include({text!r})` at {where}"
        normal = os.path.normpath(pattern)
        if not any(normal == folder or normal.startswith(folder.rstrip(os.sep) + os.sep)
                   for folder in (self.root, *self.import_roots)):
            self._not_followed(frame, f"{shown} is not followed: outside the project", True, node)
            return False
        if not glob.has_magic(os.path.dirname(pattern)):
            self.files.append(os.path.dirname(pattern))  # a file added there changes what the pattern matches
        looked_up(pattern)  # a file added beside the pattern's folder, or to it, changes what it matches
        try:
            matched = glob.glob(pattern)
        except (OSError, ValueError, RecursionError):
            matched = []
        if len(matched) > MAX_INCLUDED:
            self._not_followed(frame, f"{shown} matches more than {MAX_INCLUDED} files: not followed", True, node)
            return False
        if not matched:
            if optional:
                return True
            if self._guarded(_FILE_ERRORS):
                return True
            self._not_followed(
                frame, f"{shown} names no file here (the settings would not load): not followed", True, node)
            return False
        # split-settings runs them in the order glob lists them, which is the file system's; read sorted, and a
        # name that two of them set differently is unknown (see below).
        files = [path for path in sorted(os.path.abspath(path) for path in matched) if path not in frame.scope.included]
        changes: dict[str, list[tuple[str, object, object]]] = {}
        for path in files:
            if path in frame.scope.included:
                continue
            frame.scope.included.add(path)
            tree = self.tree(path)
            if tree is None:
                self._not_followed(frame, f"{shown}: `{os.path.basename(path)}` is not followed (not a readable "
                                   "file of valid Python)", True, node)
                return False
            if self.depth >= MAX_IMPORT_DEPTH:
                self._not_followed(frame, f"{shown} is not followed: includes nest more than {MAX_IMPORT_DEPTH} deep",
                                   True, node)
                return False
            before = dict(frame.scope.names) if len(files) > 1 else {}
            journal: set[str] = set()
            frame.scope.journals.append(journal)
            self.depth += 1
            try:
                self._run(tree.body, replace(frame, path=path))
            finally:
                self.depth -= 1
                frame.scope.journals.pop()
            if len(files) > 1:
                for name in journal:
                    previous, now = before.get(name), frame.scope.names.get(name)
                    changes.setdefault(name, []).append((
                        os.path.basename(path), previous.value if previous is not None else NO_DEFAULT,
                        now.value if now is not None else NO_DEFAULT,
                    ))
        for name, made in changes.items():
            if len(made) < 2 or name == "*" or order_free(made):
                continue
            first, second = made[0][0], made[1][0]
            reason = (f"`{name}` is set by both `{first}` and `{second}`, which {shown} runs in the order the file "
                      "system lists them")
            current = frame.scope.names.get(name)
            frame.scope.set(name, Binding(Unknown(reason), current.path if current else frame.path,
                                          current.line if current else node.lineno))
        return True


# Reading: helpers ---------------------------------------------------------------------------------------------------


def _defining_class(cls: Class, name: str, seen: frozenset[int] = frozenset()) -> Class:
    """The class among ``cls`` and its bases read here whose body sets ``name`` (``cls`` when none does)."""
    if name in cls.scope.names or id(cls) in seen:
        return cls
    for base in cls.bases:
        if isinstance(base, Class):
            found = _defining_class(base, name, seen | {id(cls)})
            if name in found.scope.names:
                return found
    return cls


def _is_configuration(base: object) -> bool:
    if isinstance(base, Known):
        return base.path in _CONFIGURATION_BASES
    return isinstance(base, Class) and base.configuration


def _mro(cls: Class) -> list[object]:
    """Python's C3 linearization over the classes read; a base not read ends it (its attributes are unknown)."""
    if cls.linear is None:
        cls.linear = _linearization(cls)
    return cls.linear


def _linearization(cls: Class) -> list[object]:
    result: list[object] = [cls]
    sequences = [_mro(base) if isinstance(base, Class) else [base] for base in cls.bases if base is not cls]
    sequences.append(list(cls.bases))
    sequences = [list(sequence) for sequence in sequences if sequence]
    if sum(len(sequence) for sequence in sequences) > MAX_BASES:
        return [*result, Unknown("too many bases to read")]
    for _ in range(MAX_BASES + 1):
        sequences = [sequence for sequence in sequences if sequence]
        if not sequences:
            return result
        for sequence in sequences:
            head = sequence[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            return [*result, Unknown("an inconsistent method resolution order")]
        result.append(head)
        for sequence in sequences:
            if sequence[0] is head or sequence[0] == head:
                del sequence[0]
    return result


def _loop_changes(body: Sequence[ast.stmt]) -> tuple[set[str], bool]:
    """The names statements may bind or change, seen without running them, and whether they may change any name
    (a star import, a call of a function: split-settings' ``include``)."""
    changed: set[str] = set()
    opaque = False
    for statement in body:
        for child in ast.walk(statement):
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                changed.add(child.id)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                changed.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                opaque = opaque or any(alias.name == "*" for alias in child.names)
                changed.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
            elif isinstance(child, ast.Call):
                receiver = child.func.value if isinstance(child.func, ast.Attribute) else None
                while isinstance(receiver, (ast.Attribute, ast.Subscript)):
                    receiver = receiver.value
                if isinstance(receiver, ast.Name):
                    changed.add(receiver.id)  # INSTALLED_APPS.append(...), DATABASES["default"].update(...)
                elif isinstance(child.func, ast.Name):
                    opaque = True
    return changed, opaque


def _caught(handler: ast.ExceptHandler) -> set[str]:
    caught = handler.type
    if caught is None:
        return {"*"}
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return {_dotted(name).rpartition(".")[2] for name in names}


def _captured(pattern: ast.AST) -> Iterator[str]:
    if isinstance(pattern, (ast.MatchAs, ast.MatchStar)) and pattern.name:
        yield pattern.name
    elif isinstance(pattern, ast.MatchMapping) and pattern.rest:
        yield pattern.rest


def _prefix_guard(test: ast.expr) -> tuple[str, tuple[str, ...]] | None:
    """``name.startswith("A")`` or ``name.startswith(("A", "B"))`` (non-empty literal prefixes): the name and the
    prefixes; None for any other test."""
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith"
            and isinstance(test.func.value, ast.Name) and len(test.args) == 1 and not test.keywords):
        return None
    argument = test.args[0]
    items = argument.elts if isinstance(argument, ast.Tuple) else [argument]
    prefixes = tuple(item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str))
    if not prefixes or len(prefixes) != len(items) or "" in prefixes:
        return None
    return test.func.value.id, prefixes


def _passes_namespace(call: ast.Call) -> bool:
    """A call given ``globals()`` (``locals()``, ``vars()``), or one of its methods: it may change any name."""
    for child in (call.func, *call.args, *(keyword.value for keyword in call.keywords)):
        for inner in ast.walk(child):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in (
                    "globals", "locals", "vars") and not inner.args:
                return True
    return False


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        return f"{_dotted(node.func)}()"
    return "?"


def _importable(module: str) -> bool:
    """Whether the top-level package of ``module`` exists in this interpreter (found, never imported)."""
    import importlib.util

    looked_up_in_interpreter()
    try:
        return bool(module) and importlib.util.find_spec(module.split(".")[0]) is not None
    except Exception:  # noqa: BLE001 - a broken finder: assume it imports, so nothing is taken as missing
        return True


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return ""
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _target_names(target: ast.expr) -> Iterator[str]:
    for child in ast.walk(target):
        if isinstance(child, ast.Name):
            yield child.id


def _op(op: ast.operator) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.BitOr: "|"}.get(type(op), "?")

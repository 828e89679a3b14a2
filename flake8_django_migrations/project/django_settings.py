"""The project's Django settings, read statically: the few literal values that decide the migration graph, from
the module ``settings_module`` finds. Nothing is imported or executed.

The module is read
as Python's import would run it, but only as far as literals go: ``from .base import *`` chains inside the project are
followed, names bound to literals are remembered (so ``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`` is known), and a
setting bound to anything else, or changed under a condition that cannot be decided, is unknown. An unknown setting
keeps the behaviour the linter has without settings; it is never guessed.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Final

from flake8_django_migrations.files import Stamp, stat_stamp
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.project.settings_module import (
    DOTTED_NAME,
    SETTINGS_VARIABLE,
    find_module_file,
    find_settings_candidates,
    parse_python_file,
)

from flake8_django_migrations.settings import READ_SETTINGS, DjangoSettings, ReadSetting, Settings

__all__ = [
    "database_of_engine",
    "read_django_settings",
    "settings_for_project",
]

# A chain of star imports deeper than this is not a settings layout anyone writes; it stops a pathological one.
MAX_IMPORT_DEPTH: Final = 8


def database_of_engine(engine: str) -> str | None:
    """The ``djm-database`` value for a ``DATABASES`` engine, also for GIS backends and wrappers named after
    their database (``django.contrib.gis.db.backends.postgis``, ``django_prometheus.db.backends.mysql``)."""
    last = engine.rsplit(".", 1)[-1].lower()
    for database, words in (
        ("postgresql", ("postgres", "postgis", "psycopg")),
        ("mysql", ("mysql",)),
        ("sqlite", ("sqlite", "spatialite")),
        ("oracle", ("oracle",)),
    ):
        if any(word in last for word in words):
            return database
    return None


# Reading the module -----------------------------------------------------------------------------------------------


class _Unknown:
    """A value that is not a literal (a call, an environment lookup, something imported)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(slots=True)
class _Binding:
    value: object  # a literal, or _Unknown
    path: str
    line: int


class _Reader:
    """Runs a settings module's top level as far as literals go. Names bound at module level are kept; a name
    bound to something else is ``_Unknown``, with the reason."""

    def __init__(self, import_roots: tuple[str, ...]) -> None:
        self.import_roots = import_roots
        self.files: list[str] = []
        self.guarded = 0  # inside the body of a `try` that handles an ImportError

    def read(self, path: str, module: str, depth: int = 0, active: frozenset[str] = frozenset()) -> dict[str, _Binding]:
        names: dict[str, _Binding] = {}
        if depth > MAX_IMPORT_DEPTH or path in active:
            return names  # Python itself would fail on a circular star import; nothing is learnt from it
        self.files.append(path)
        tree = parse_python_file(path)
        if tree is None:
            return names
        package = module if os.path.basename(path) == "__init__.py" else module.rpartition(".")[0]
        self._run(tree.body, names, path, package, depth, active | {path}, certain=True)
        return names

    def _run(
        self, body: list[ast.stmt], names: dict[str, _Binding], path: str, package: str, depth: int,
        active: frozenset[str], certain: bool,
    ) -> None:
        for node in body:
            if isinstance(node, ast.If):
                test = self._evaluate(node.test, names)
                if isinstance(test, _Unknown):
                    self._run(node.body, names, path, package, depth, active, certain=False)
                    self._run(node.orelse, names, path, package, depth, active, certain=False)
                else:
                    self._run(node.body if test else node.orelse, names, path, package, depth, active, certain)
            elif isinstance(node, ast.Try):
                # The body runs (an import of a module that is not there stops it: see _star_import); what a
                # handler does depends on what failed, so it is uncertain.
                catches_import_error = any(_catches_import_error(handler) for handler in node.handlers)
                self.guarded += catches_import_error
                self._run(node.body, names, path, package, depth, active, certain)
                self.guarded -= catches_import_error
                for handler in node.handlers:
                    self._run(handler.body, names, path, package, depth, active, certain=False)
                self._run(node.orelse, names, path, package, depth, active, certain)
                self._run(node.finalbody, names, path, package, depth, active, certain)
            elif isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
                self._star_import(node, names, path, package, depth, active, certain)
            else:
                self._statement(node, names, path, certain)

    def _star_import(
        self, node: ast.ImportFrom, names: dict[str, _Binding], path: str, package: str, depth: int,
        active: frozenset[str], certain: bool,
    ) -> None:
        module = _absolute(node, package)
        target = find_module_file(module, self.import_roots) if module else None
        if target is None and self.guarded and (node.level or not _importable(module)):
            # `try: from .local import * except ImportError: pass` with no local.py: the import fails, as here.
            return
        if target is None:
            # Outside the project: any name may come from it.
            reason = f"`from {'.' * node.level}{node.module or ''} import *` at {_where(path, node)} is not read"
            for name, binding in names.items():
                names[name] = _Binding(_Unknown(reason), path, node.lineno) if certain else binding
            names["*"] = _Binding(_Unknown(reason), path, node.lineno)
            return
        imported = self.read(target, module, depth + 1, active)
        for name, binding in imported.items():
            if name.startswith("_") and name != "*":
                continue  # a star import skips private names (settings modules do not define __all__)
            conditional = _Unknown(f"`{name}` is set under a condition at {_where(path, node)}")
            names[name] = binding if certain else _Binding(conditional, path, node.lineno)

    def _statement(self, node: ast.stmt, names: dict[str, _Binding], path: str, certain: bool) -> None:
        where = _where(path, node)
        if isinstance(node, ast.Assign):
            assigned = self._evaluate(node.value, names)
            for target in node.targets:
                self._assign(target, assigned, names, path, node, certain)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._assign(node.target, self._evaluate(node.value, names), names, path, node, certain)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            current = names.get(node.target.id)
            value: object = _Unknown(f"`{node.target.id} {_op(node.op)}=` at {where} is not literal")
            if current is not None and isinstance(node.op, ast.Add):
                value = _add(current.value, self._evaluate(node.value, names), where)
            self._bind(node.target.id, value, names, path, node, certain)
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id in names
        ):
            receiver = node.value.func.value.id
            self._bind(receiver, self._method(names[receiver].value, node.value, names, where), names, path, node,
                       certain)
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = (
                [alias.asname or alias.name.split(".")[0] for alias in node.names]
                if isinstance(node, (ast.Import, ast.ImportFrom))
                else [node.name]
            )
            for bound_name in bound:
                self._bind(bound_name, _Unknown(f"`{bound_name}` is not a literal at {where}"), names, path, node,
                           certain)
        else:
            # Loops, `with`, `del`, `globals().update(...)`: whatever they bind cannot be followed.
            for changed in _bound_names(node):
                self._bind(changed, _Unknown(f"`{changed}` is changed at {where}"), names, path, node, certain)

    def _assign(
        self, target: ast.expr, value: object, names: dict[str, _Binding], path: str, node: ast.stmt, certain: bool
    ) -> None:
        where = _where(path, node)
        if isinstance(target, ast.Name):
            self._bind(target.id, value, names, path, node, certain)
        elif isinstance(target, ast.Subscript):
            # DATABASES["default"]["ENGINE"] = "...": a literal key of a dict known so far.
            keys: list[object] = []
            base: ast.expr = target
            while isinstance(base, ast.Subscript):
                keys.append(self._evaluate(base.slice, names))
                base = base.value
            if isinstance(base, ast.Name) and base.id in names:
                updated = _set_item(names[base.id].value, list(reversed(keys)), value, where)
                self._bind(base.id, updated, names, path, node, certain)
        else:
            for name in _target_names(target):
                self._bind(name, _Unknown(f"`{name}` is unpacked at {where}"), names, path, node, certain)

    @staticmethod
    def _bind(name: str, value: object, names: dict[str, _Binding], path: str, node: ast.stmt, certain: bool) -> None:
        if not certain:
            previous = names.get(name)
            if previous is None or previous.value != value:
                value = _Unknown(f"`{name}` is set under a condition at {_where(path, node)}")
        names[name] = _Binding(value, path, node.lineno)

    def _method(self, current: object, call: ast.Call, names: dict[str, _Binding], where: str) -> object:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        args = [self._evaluate(arg, names) for arg in call.args]
        if isinstance(current, _Unknown):
            return current
        if call.keywords or any(isinstance(arg, _Unknown) for arg in args):
            return _Unknown(f"`.{method}(...)` at {where} is not literal")
        if isinstance(current, tuple):  # lists are kept as tuples
            if method == "append" and len(args) == 1:
                return (*current, args[0])
            if method == "extend" and len(args) == 1 and isinstance(args[0], tuple):
                return (*current, *args[0])
            if method == "insert" and len(args) == 2 and isinstance(args[0], int):
                items = list(current)
                items.insert(args[0], args[1])
                return tuple(items)
        if isinstance(current, dict) and method == "update" and len(args) == 1 and isinstance(args[0], dict):
            return {**current, **args[0]}
        return _Unknown(f"`.{method}(...)` at {where} is not followed")

    def _evaluate(self, node: ast.expr, names: dict[str, _Binding]) -> object:
        """The literal value of an expression, or ``_Unknown``."""
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items: list[object] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self._evaluate(element.value, names)
                    if not isinstance(inner, tuple):
                        return inner if isinstance(inner, _Unknown) else _Unknown("a starred value is not a list")
                    items.extend(inner)
                else:
                    items.append(self._evaluate(element, names))
            # A list with one unknown item is unknown (a dict keeps its other values: DATABASES' ENGINE beside a
            # NAME computed from BASE_DIR).
            return next((item for item in items if isinstance(item, _Unknown)), tuple(items))
        if isinstance(node, ast.Dict):
            result: dict[object, object] = {}
            for key_node, value_node in zip(node.keys, node.values):
                if key_node is None:
                    inner = self._evaluate(value_node, names)
                    if not isinstance(inner, dict):
                        return _Unknown(f"a `**` entry at line {value_node.lineno} is not literal")
                    result.update(inner)
                    continue
                key = self._evaluate(key_node, names)
                if isinstance(key, _Unknown):
                    return key
                result[key] = self._evaluate(value_node, names)
            return result
        if isinstance(node, ast.Name):
            binding = names.get(node.id)
            if binding is None:
                star = names.get("*")
                return star.value if star is not None else _Unknown(f"`{node.id}` is not defined in the settings")
            return binding.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _add(self._evaluate(node.left, names), self._evaluate(node.right, names), f"line {node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple"):
            if node.func.id not in names and len(node.args) == 1 and not node.keywords:
                value = self._evaluate(node.args[0], names)
                return value if isinstance(value, (tuple, _Unknown)) else _Unknown("not a list")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = self._evaluate(node.operand, names)
            return value if isinstance(value, _Unknown) else not value
        return _Unknown(f"`{_short(node)}` at line {getattr(node, 'lineno', 0)} is not a literal")


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
    return caught is None or any(
        isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError", "Exception")
        for name in names
    )


def _importable(module: str) -> bool:
    """Whether the top-level package of ``module`` exists in this interpreter (found, never imported)."""
    import importlib.util

    try:
        return bool(module) and importlib.util.find_spec(module.split(".")[0]) is not None
    except Exception:  # noqa: BLE001 - a broken finder: assume it imports, so nothing is taken as missing
        return True


def _add(left: object, right: object, where: str) -> object:
    for side in (left, right):
        if isinstance(side, _Unknown):
            return side
    if isinstance(left, tuple) and isinstance(right, tuple):
        return (*left, *right)
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return _Unknown(f"an addition at {where} is not of two lists")


def _set_item(container: object, keys: list[object], value: object, where: str) -> object:
    if isinstance(container, _Unknown):
        return container
    if not keys:
        return value
    key = keys[0]
    if not isinstance(container, dict) or isinstance(key, _Unknown):
        return _Unknown(f"an item assignment at {where} is not literal")
    return {**container, key: _set_item(container.get(key, {}) if len(keys) > 1 else None, keys[1:], value, where)}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return ""
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _bound_names(node: ast.stmt) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            yield child.id
        elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
              and isinstance(child.func.value, ast.Name)):
            yield child.func.value.id  # INSTALLED_APPS.append(...) inside a loop or `with`
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in ("globals", "exec"):
            yield "*"


def _target_names(target: ast.expr) -> Iterator[str]:
    for child in ast.walk(target):
        if isinstance(child, ast.Name):
            yield child.id


def _where(path: str, node: ast.stmt | ast.expr) -> str:
    return f"{os.path.basename(path)}:{getattr(node, 'lineno', 0)}"


def _op(op: ast.operator) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.BitOr: "|"}.get(type(op), "?")


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


# What the linter takes from them -------------------------------------------------------------------------------


def read_django_settings(
    root: str, option: str | None = None, environ: Mapping[str, str] | None = None
) -> DjangoSettings:
    """The settings of the project at ``root``: its module, and the literal values of ``READ_SETTINGS``."""
    root = os.path.abspath(root)
    search = find_settings_candidates(root, option, os.environ if environ is None else environ)
    import_roots = search.import_roots
    named = tuple((candidate.module, candidate.origin) for candidate in search.candidates)
    tried: list[str] = []
    for candidate in search.candidates:
        module, origin = candidate.module, candidate.origin
        path = _settings_file(module, root, import_roots)
        if path is None:
            tried.append(f"{module} ({origin})")
            continue
        reader = _Reader(import_roots)
        dotted = module if not module.endswith(".py") else os.path.splitext(os.path.relpath(path, root))[0].replace(
            os.sep, ".")
        names = reader.read(path, dotted)
        values: dict[str, ReadSetting] = {}
        unknown: dict[str, str] = {}
        for name in READ_SETTINGS:
            binding = names.get(name)
            star = names.get("*")
            if binding is None:
                unknown[name] = star.value.reason if star is not None and isinstance(star.value, _Unknown) else (
                    "not set in the settings")
            elif isinstance(binding.value, _Unknown):
                unknown[name] = binding.value.reason
            elif not _well_formed(name, binding.value):
                unknown[name] = f"not of the expected form at {os.path.basename(binding.path)}:{binding.line}"
            else:
                values[name] = ReadSetting(name, _frozen(binding.value), binding.path, binding.line)
        return DjangoSettings(
            root, module, origin, path, values, unknown, import_roots,
            tuple(dict.fromkeys([*search.watched, *reader.files])), named,
        )
    reason = "no settings module found" + (f" (tried {', '.join(tried)})" if tried else "")
    return DjangoSettings(
        root, None, "", None, {}, dict.fromkeys(READ_SETTINGS, reason), import_roots, search.watched, named,
    )


def _settings_file(module: str, root: str, import_roots: tuple[str, ...]) -> str | None:
    if module.endswith(".py"):  # a path, from the option
        path = module if os.path.isabs(module) else os.path.join(root, module)
        return os.path.abspath(path) if os.path.isfile(path) else None
    return find_module_file(module, import_roots)


def _well_formed(name: str, value: object) -> bool:
    if name == "INSTALLED_APPS":
        return isinstance(value, tuple) and all(isinstance(item, str) and DOTTED_NAME.match(item) for item in value)
    if name in ("AUTH_USER_MODEL", "DEFAULT_AUTO_FIELD"):
        return isinstance(value, str)
    if name == "MIGRATION_MODULES":
        return isinstance(value, dict) and all(
            isinstance(key, str) and (item is None or isinstance(item, str)) for key, item in value.items()
        )
    if name == "DATABASES":
        return isinstance(value, dict)
    return True


def _frozen(value: object) -> object:
    """Dicts read-only (a ``Mapping`` that is a plain dict copy is enough: ``Settings`` is not hashed)."""
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items() if not isinstance(item, _Unknown)}
    return value


# Settings for a project -------------------------------------------------------------------------------------------

# Per process, revalidated on each use (the stat of every file read), so an editor's long-lived process sees an
# edit of the settings: (root, option, DJANGO_SETTINGS_MODULE) -> (the files' stamps, what was read).
_READS: Memo[tuple[str, str | None, str | None], tuple[tuple[Stamp, ...], DjangoSettings]] = Memo(8)


def _cached_read(root: str, option: str | None) -> DjangoSettings:
    def read() -> tuple[tuple[Stamp, ...], DjangoSettings]:
        found = read_django_settings(root, option)
        return _stamps(found), found

    # The files it was read from, and those that could name another module (a new manage.py, pyproject.toml).
    key = (root, option, os.environ.get(SETTINGS_VARIABLE))
    return _READS.get(key, read, lambda kept: kept[0] == _stamps(kept[1]))[1]


def _stamps(read: DjangoSettings) -> tuple[Stamp, ...]:
    return tuple(stat_stamp(path) for path in read.files)


def settings_for_project(settings: Settings, root: str) -> Settings:
    """``settings`` with what the Django settings of the project at ``root`` say, where no option said otherwise:
    ``AUTH_USER_MODEL`` for swappable dependencies, ``MIGRATION_MODULES``, ``INSTALLED_APPS`` and the default
    database's engine. Idempotent: settings already read for ``root`` are returned as they are."""
    root = os.path.abspath(root)
    if settings.django is not None and settings.django.root == root:
        return settings
    if not settings.read_django_settings:
        return settings
    read = _cached_read(root, settings.settings_module)
    swappable = dict(settings.swappable)
    user_model = read.auth_user_model
    if user_model and "swappable.AUTH_USER_MODEL" not in settings.set_explicitly and _is_model_label(user_model):
        swappable["AUTH_USER_MODEL"] = user_model
    migration_modules = {
        label: module if module is not None else "None" for label, module in read.migration_modules.items()
    }
    migration_modules.update(settings.migration_modules)
    database = settings.database
    engine = read.database_engine
    if "database" not in settings.set_explicitly and engine is not None:
        database = database_of_engine(engine) or database
    return replace(
        settings, swappable=swappable, migration_modules=migration_modules, database=database, django=read
    )


def _is_model_label(value: str) -> bool:
    app, dot, model = value.partition(".")
    return bool(dot and app and model and "." not in model)

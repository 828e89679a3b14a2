"""The project's Django settings, read statically: which module they are in, and the few literal values that decide
the migration graph. Nothing is imported or executed.

The settings module is named by (first that resolves to a file of the project): the ``djm-settings`` option, the
``DJANGO_SETTINGS_MODULE`` environment variable, ``manage.py``'s ``os.environ.setdefault(...)``, pytest-django's
``DJANGO_SETTINGS_MODULE`` in ``pyproject.toml``, ``pytest.ini``, ``setup.cfg`` or ``tox.ini``. The module is read
as Python's import would run it, but only as far as literals go: ``from .base import *`` chains inside the project are
followed, names bound to literals are remembered (so ``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`` is known), and a
setting bound to anything else, or changed under a condition that cannot be decided, is unknown. An unknown setting
keeps the behaviour the linter has without settings; it is never guessed.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Final

from flake8_django_migrations.files import Stamp, read_regular_file, stat_stamp
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.source import decode_source

from flake8_django_migrations.settings import READ_SETTINGS, DjangoSettings, ReadSetting, Settings

__all__ = [
    "database_of_engine",
    "find_module_file",
    "read_django_settings",
    "settings_for_project",
]

SETTINGS_VARIABLE: Final = "DJANGO_SETTINGS_MODULE"
# A chain of star imports deeper than this is not a settings layout anyone writes; it stops a pathological one.
MAX_IMPORT_DEPTH: Final = 8
_SOURCE_LIMIT: Final = 4 << 20  # a settings module of more than 4 MiB is not read
_CONFIG_LIMIT: Final = 1 << 20
_DOTTED: Final = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


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


# Finding the module ------------------------------------------------------------------------------------------------


def find_module_file(module: str, roots: tuple[str, ...]) -> str | None:
    """The file of ``module`` below one of ``roots`` (``a/b.py`` or ``a/b/__init__.py``), or None."""
    if not _DOTTED.match(module):
        return None
    parts = module.split(".")
    for root in roots:
        base = os.path.join(root, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def _import_roots(root: str, manage_py: str | None, pytest_paths: tuple[str, ...]) -> tuple[str, ...]:
    roots = [os.path.dirname(manage_py)] if manage_py else []
    roots += [root, os.path.join(root, "src"), *pytest_paths]
    return tuple(dict.fromkeys(os.path.abspath(path) for path in roots if os.path.isdir(path)))


def _manage_py(root: str) -> str | None:
    """``manage.py`` at the root, else in one folder below it (a repository with the project in ``backend/``)."""
    if os.path.isfile(os.path.join(root, "manage.py")):
        return os.path.join(root, "manage.py")
    try:
        names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir() and not entry.name.startswith("."))
    except OSError:
        return None
    found = [path for name in names if os.path.isfile(path := os.path.join(root, name, "manage.py"))]
    return found[0] if len(found) == 1 else None


def _parse(path: str) -> ast.Module | None:
    data = read_regular_file(path, _SOURCE_LIMIT)
    if data is None:
        return None
    try:
        return ast.parse(decode_source(data), filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _module_from_manage_py(path: str) -> tuple[str, int] | None:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`` (or ``os.environ[...] = "x"``) anywhere in the
    file, also inside ``main()``: the module and its line."""
    tree = _parse(path)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and _is_constant(node.args[0], SETTINGS_VARIABLE)
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            return node.args[1].value, node.lineno
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Subscript)
            and _is_constant(node.targets[0].slice, SETTINGS_VARIABLE)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value, node.lineno
    return None


def _is_constant(node: ast.expr, value: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def _pytest_options(root: str) -> tuple[tuple[str, str] | None, tuple[str, ...]]:
    """pytest-django's ``DJANGO_SETTINGS_MODULE`` (with where it was written) and pytest's ``pythonpath``, from the
    file pytest would read: ``pytest.ini``, ``pyproject.toml``'s ``[tool.pytest.ini_options]``, ``tox.ini``'s
    ``[pytest]``, ``setup.cfg``'s ``[tool:pytest]``."""
    for name, section in (("pytest.ini", "pytest"), ("pyproject.toml", ""), ("tox.ini", "pytest"),
                          ("setup.cfg", "tool:pytest")):
        path = os.path.join(root, name)
        data = read_regular_file(path, _CONFIG_LIMIT)
        if data is None:
            continue
        options = _toml_pytest_options(data) if name == "pyproject.toml" else _ini_options(data, section)
        if options is None:
            continue
        module = options.get(SETTINGS_VARIABLE.lower()) or options.get(SETTINGS_VARIABLE)
        paths = options.get("pythonpath")
        items = paths.split() if isinstance(paths, str) else paths or ()
        path_list = tuple(os.path.join(root, item) for item in items)
        where = f"{name} [{section or 'tool.pytest.ini_options'}]"
        return ((module.strip(), where) if isinstance(module, str) and module.strip() else None), path_list
    return None, ()


def _ini_options(data: bytes, section: str) -> dict[str, str] | None:
    import configparser  # only for a project with a pytest.ini, setup.cfg or tox.ini

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(data.decode("utf-8"))
    except (configparser.Error, UnicodeError):
        return None
    return dict(parser.items(section)) if parser.has_section(section) else None


def _toml_pytest_options(data: bytes) -> dict[str, str] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeError, ValueError):
        return None
    pytest = tool.get("pytest") if isinstance(tool, dict) else None
    options = pytest.get("ini_options") if isinstance(pytest, dict) else None
    return options if isinstance(options, dict) else None


def _candidates(
    root: str, option: str | None, environ: Mapping[str, str], manage_py: str | None,
    pytest_module: tuple[str, str] | None,
) -> Iterator[tuple[str, str]]:
    """(module or file, where it was named), most authoritative first."""
    if option:
        yield option, "djm-settings"
    if environ.get(SETTINGS_VARIABLE):
        yield environ[SETTINGS_VARIABLE], f"{SETTINGS_VARIABLE} (environment)"
    if manage_py:
        found = _module_from_manage_py(manage_py)
        if found:
            yield found[0], f"{os.path.relpath(manage_py, root)}:{found[1]}"
    if pytest_module:
        yield pytest_module


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
        tree = _parse(path)
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
    environ = os.environ if environ is None else environ
    manage_py = _manage_py(root)
    pytest_module, pytest_paths = _pytest_options(root)
    import_roots = _import_roots(root, manage_py, pytest_paths)
    files = [path for path in (manage_py,) if path]
    tried: list[str] = []
    for module, origin in _candidates(root, option, environ, manage_py, pytest_module):
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
            root, module, origin, path, values, unknown, import_roots, tuple(dict.fromkeys([*files, *reader.files]))
        )
    reason = "no settings module found" + (f" (tried {', '.join(tried)})" if tried else "")
    return DjangoSettings(
        root, None, "", None, {}, dict.fromkeys(READ_SETTINGS, reason), import_roots, tuple(files)
    )


def _settings_file(module: str, root: str, import_roots: tuple[str, ...]) -> str | None:
    if module.endswith(".py"):  # a path, from the option
        path = module if os.path.isabs(module) else os.path.join(root, module)
        return os.path.abspath(path) if os.path.isfile(path) else None
    return find_module_file(module, import_roots)


def _well_formed(name: str, value: object) -> bool:
    if name == "INSTALLED_APPS":
        return isinstance(value, tuple) and all(isinstance(item, str) and _DOTTED.match(item) for item in value)
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
    return tuple(stat_stamp(path) for path in _watched(read))


def _watched(read: DjangoSettings) -> tuple[str, ...]:
    names = ("manage.py", "pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")
    config = tuple(os.path.join(read.root, name) for name in names)
    return tuple(dict.fromkeys([*read.files, *config]))


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

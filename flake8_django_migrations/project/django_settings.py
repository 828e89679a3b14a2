"""The project's Django settings, read statically: the few literal values that decide the migration graph, from
the module ``settings_module`` finds. Nothing is imported or executed.

The module is run as Python's import would run it, but only as far as literals go:

* ``from .base import *`` and ``from .apps import INSTALLED_APPS`` inside the project are followed, each module run
  once (a module imported again gives the names it has so far, as ``sys.modules`` would);
* django-split-settings' ``include("components/*.py", optional("local.py"))`` runs the files in the same
  namespace, as the library does;
* django-configurations' ``Configuration`` classes: the one ``DJANGO_CONFIGURATION`` names gives the settings its
  attributes (and its bases') set, the others are Django's defaults, as the library's metaclass does; its
  ``values.Value("x")`` wrappers are read as their default;
* names bound to literals are remembered (``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`` is known), a branch that
  cannot be decided keeps what both sides agree on, and a list some of whose entries are not literals (``+= PLUGINS``,
  a conditional ``append``) keeps its literal entries and is *open*: it may hold more;
* the default database's engine is read from a database URL's scheme (dj-database-url, django-environ) and from an
  environment lookup's default, there only.

A setting bound to anything else is unknown, with the reason. An unknown setting keeps the behaviour the linter has
without settings; it is never guessed.
"""

from __future__ import annotations

import ast
import glob
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, cast
from urllib.parse import parse_qs

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

# Limits that only a pathological or hostile settings tree reaches; each gives a reason rather than a hang.
MAX_IMPORT_DEPTH: Final = 32  # modules (and included files) being run at once, one inside the other
MAX_STEPS: Final = 100_000  # statements run in one read (a branch or a loop body counts each time it runs)
MAX_LOOP_DEPTH: Final = 2  # loops inside loops run their body; deeper ones make what they bind unknown
MAX_BASES: Final = 1000  # classes in one method resolution order
MAX_VALUE_SIZE: Final = 100_000  # items in one value, nested ones counted as often as they appear
MAX_VALUE_DEPTH: Final = 64
MAX_STRING: Final = 1 << 20
MAX_INCLUDED: Final = 256  # files one include() pattern may match
CONFIGURATION_VARIABLE: Final = "DJANGO_CONFIGURATION"

# The engine of each URL scheme, as each library maps it (they differ: `mssql`).
# dj-database-url (dj_database_url/__init__.py, SCHEMES); an unknown scheme raises ValueError.
DJ_DATABASE_URL_SCHEMES: Final[Mapping[str, str]] = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "postgis": "django.contrib.gis.db.backends.postgis",
    "mongodb": "django_mongodb",
    "mongodb+srv": "django_mongodb",
    "mysql": "django.db.backends.mysql",
    "mysql2": "django.db.backends.mysql",
    "mysqlgis": "django.contrib.gis.db.backends.mysql",
    "mysql-connector": "mysql.connector.django",
    "mssql": "sql_server.pyodbc",
    "mssqlms": "mssql",
    "spatialite": "django.contrib.gis.db.backends.spatialite",
    "sqlite": "django.db.backends.sqlite3",
    "oracle": "django.db.backends.oracle",
    "oraclegis": "django.contrib.gis.db.backends.oracle",
    "redshift": "django_redshift_backend",
    "cockroach": "django_cockroachdb",
    "timescale": "timescale.db.backends.postgresql",
    "timescalegis": "timescale.db.backends.postgis",
}
# django-environ (environ/environ.py, Env.DB_SCHEMES); an unknown scheme is taken as the engine itself.
ENVIRON_DB_SCHEMES: Final[Mapping[str, str]] = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "psql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "postgis": "django.contrib.gis.db.backends.postgis",
    "prometheus-postgresql": "django_prometheus.db.backends.postgresql",
    "prometheus-postgis": "django_prometheus.db.backends.postgis",
    "cockroachdb": "django_cockroachdb",
    "mysql": "django.db.backends.mysql",
    "mysql2": "django.db.backends.mysql",
    "mysql-connector": "mysql.connector.django",
    "mysqlgis": "django.contrib.gis.db.backends.mysql",
    "prometheus-mysql": "django_prometheus.db.backends.mysql",
    "mssql": "mssql",
    "oracle": "django.db.backends.oracle",
    "pyodbc": "sql_server.pyodbc",
    "redshift": "django_redshift_backend",
    "spatialite": "django.contrib.gis.db.backends.spatialite",
    "prometheus-spatialite": "django_prometheus.db.backends.spatialite",
    "sqlite": "django.db.backends.sqlite3",
    "prometheus-sqlite": "django_prometheus.db.backends.sqlite3",
    "ldap": "ldapdb.backends.ldap",
}
_ENVIRON_BASE_OPTIONS: Final = frozenset({
    "CONN_MAX_AGE", "ATOMIC_REQUESTS", "AUTOCOMMIT", "DISABLE_SERVER_SIDE_CURSORS", "CONN_HEALTH_CHECKS",
})
# The settings of READ_SETTINGS that django.conf.global_settings defines: django-configurations' metaclass copies
# them into every Configuration class, so a class that does not set one gives Django's default. It drops
# DEFAULT_AUTO_FIELD from the copy, which the module's own name then decides.
_CONFIGURATION_DEFAULTS: Final = frozenset({"INSTALLED_APPS", "AUTH_USER_MODEL", "MIGRATION_MODULES", "DATABASES"})
_CONFIGURATION_BASES: Final = frozenset({"configurations.Configuration", "configurations.base.Configuration"})
# Calls at module level that bind no name of the settings.
_HARMLESS_CALLS: Final = (
    "os.environ.", "os.putenv", "os.makedirs", "os.mkdir", "sys.path.", "logging.", "warnings.", "builtins.print",
    "environ.Env.read_env", "environ.Env().read_env", "dotenv.", "mimetypes.", "django.setup",
    # Type-checking support (saleor, healthchecks): it patches Django's classes, not the settings module.
    "django_stubs_ext.monkeypatch",
)
_BUILTINS: Final = frozenset({
    "list", "tuple", "dict", "str", "bool", "int", "print", "exec", "eval", "globals", "locals", "vars", "setattr",
})
_TRY_STATEMENTS: Final = tuple(getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name))
_IMPORT_ERRORS: Final = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException", "*"})
_FILE_ERRORS: Final = frozenset({
    "OSError", "IOError", "EnvironmentError", "FileNotFoundError", "Exception", "BaseException", "*",
})


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


# Values -----------------------------------------------------------------------------------------------------------
#
# A value is a literal (str, int, float, bool, None, bytes; lists and tuples as tuples; dicts), or one of the
# classes below. Containers are never changed in place: a method call or an item assignment makes a new one.


class _Unknown:
    """A value that is not a literal (a call, something imported from outside the project), with why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _NoDefault:
    __slots__ = ()


_NO_DEFAULT: Final = _NoDefault()


class _EnvValue(_Unknown):
    """What an environment variable holds: unknown, except that the default database's settings take ``default``
    (what the settings say when the variable is not set)."""

    __slots__ = ("variable", "default")

    def __init__(self, variable: str, default: object, reason: str) -> None:
        super().__init__(reason)
        self.variable = variable
        self.default = default


class _EnvTest(_Unknown):
    """``"X" in os.environ`` (``negated``: ``not in``): unknown, but it tells which side of ``a if t else b`` reads
    the variable and which is its default."""

    __slots__ = ("variable", "negated")

    def __init__(self, variable: str, negated: bool, reason: str) -> None:
        super().__init__(reason)
        self.variable = variable
        self.negated = negated


class _DjangoDefault(_Unknown):
    """A setting a django-configurations class does not set: the library gives it Django's default."""

    __slots__ = ()


class _Prefixed(_Unknown):
    """A string whose start only is known (``"sqlite:///" + str(BASE_DIR / "db.sqlite3")``, an f-string): enough
    for a database URL's scheme."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str, reason: str) -> None:
        super().__init__(reason)
        self.prefix = prefix


@dataclass(frozen=True, slots=True, eq=False)
class _Partial:
    """A list known to hold ``items`` (in this order) and maybe more: an *open* list."""

    items: tuple[object, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class _Known:
    """Something of a library, by its dotted path: ``os.environ``, ``dj_database_url.config``, an ``environ.Env``
    instance (``environ.Env()``, with the defaults its ``scheme`` gives)."""

    path: str
    scheme: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class _OptionalPath:
    """split-settings' ``optional("local.py")``."""

    path: str


@dataclass(frozen=True, slots=True)
class _Lazy:
    """``from .base import NAME`` (``name`` None: ``import conf.base as b``): read when it is used."""

    module: str
    name: str | None
    where: str


@dataclass(frozen=True, slots=True, eq=False)
class _Function:
    name: str
    globals: frozenset[str]  # the module names it declares `global`


@dataclass(slots=True)
class _Binding:
    value: object
    path: str
    line: int


class _Scope:
    """Names bound so far (``outer``: the module's names a class body also sees), the files split-settings'
    ``include`` ran in this namespace, and which names changed (``changed``, and each journal being kept)."""

    __slots__ = ("names", "outer", "included", "changed", "journals")

    def __init__(self, names: dict[str, _Binding] | None = None, outer: _Scope | None = None,
                 included: set[str] | None = None) -> None:
        self.names: dict[str, _Binding] = names if names is not None else {}
        self.outer = outer
        self.included: set[str] = included if included is not None else set()
        self.changed: set[str] = set()
        self.journals: list[set[str]] = []

    def get(self, name: str) -> _Binding | None:
        found = self.names.get(name)
        if found is None and self.outer is not None:
            return self.outer.get(name)
        return found

    def set(self, name: str, binding: _Binding) -> None:
        self.names[name] = binding
        self.changed.add(name)
        for journal in self.journals:
            journal.add(name)

    def update(self, bindings: dict[str, _Binding]) -> None:
        self.names.update(bindings)
        self.changed.update(bindings)
        for journal in self.journals:
            journal.update(bindings)

    def branch(self) -> _Scope:
        return _Scope(dict(self.names), self.outer, set(self.included))

    @property
    def globals(self) -> _Scope:
        return self if self.outer is None else self.outer


@dataclass(eq=False)
class _Module:
    path: str
    dotted: str
    package: str
    scope: _Scope


@dataclass(frozen=True, slots=True, eq=False)
class _ModuleRef:
    module: _Module


@dataclass(slots=True, eq=False)
class _Class:
    name: str
    bases: tuple[object, ...]
    scope: _Scope
    path: str
    line: int
    configuration: bool  # a django-configurations Configuration (its metaclass applies)
    linear: list[object] | None = None  # its method resolution order, once computed


@dataclass(frozen=True, slots=True)
class _Frame:
    scope: _Scope
    path: str  # the file whose statements run (an included file runs in its includer's namespace)
    module: _Module
    in_class: bool = False
    conditional: bool = False  # inside a branch that may not run
    # (name, prefixes) of each enclosing `if name.startswith(prefixes):` that could not be decided: a
    # `globals()[name] = ...` inside it can bind only names with one of the prefixes.
    prefixed: tuple[tuple[str, tuple[str, ...]], ...] = ()


class _TooComplex(Exception):
    pass


# Reading ----------------------------------------------------------------------------------------------------------


class _Reader:
    """Runs a settings module's top level as far as literals go."""

    def __init__(self, import_roots: tuple[str, ...], root: str) -> None:
        self.import_roots = import_roots
        self.root = root
        self.files: list[str] = []  # every file read, and the folders include() patterns list
        self.modules: dict[str, _Module | _Unknown] = {}  # path -> the module, once run (or while it runs)
        self.trees: dict[str, ast.Module | None] = {}
        self.walrus: set[str] = set()  # the files that hold an `:=`
        self.module_files: dict[str, str | None] = {}
        self.depth = 0
        self.steps = 0
        self.guards: list[frozenset[str]] = []  # what the `try` statements around the current one catch
        # Conditional imports of project modules the repository does not hold, taken as not run (see _star_import).
        self.absent: list[str] = []
        self.resolving: set[tuple[str, str | None]] = set()
        self.sizes: dict[int, tuple[object, int, int]] = {}  # id -> (value, size, depth) of containers made
        self.attributes: dict[tuple[int, str], _Binding | None] = {}  # (id of a class, name) -> its attribute
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

    def module(self, path: str, dotted: str) -> _Module | _Unknown:
        """The module at ``path`` once run; while it runs (an import cycle), the names it has so far."""
        known = self.modules.get(path)
        if known is not None:
            return known
        if self.depth >= MAX_IMPORT_DEPTH:
            return _Unknown(f"`{dotted}` is imported more than {MAX_IMPORT_DEPTH} modules deep")
        tree = self.tree(path)
        if tree is None:
            unreadable = _Unknown(f"`{os.path.basename(path)}` is not a readable file of valid Python")
            self.modules[path] = unreadable
            return unreadable
        package = dotted if os.path.basename(path) == "__init__.py" else dotted.rpartition(".")[0]
        module = _Module(path, dotted, package, _Scope())
        self.modules[path] = module
        saved, self.guards = self.guards, []  # a failure inside it fails its import, not a statement of its own
        self.depth += 1
        try:
            self._run(tree.body, _Frame(module.scope, path, module))
        finally:
            self.depth -= 1
            self.guards = saved
        return module

    def resolve(self, value: object) -> object:
        """``value``, or what a ``_Lazy`` import names."""
        if not isinstance(value, _Lazy):
            return value
        binding = self.resolve_lazy(value)
        return binding.value if isinstance(binding, _Binding) else binding

    def resolve_binding(self, binding: _Binding) -> _Binding:
        if not isinstance(binding.value, _Lazy):
            return binding
        resolved = self.resolve_lazy(binding.value)
        return resolved if isinstance(resolved, _Binding) else _Binding(resolved, binding.path, binding.line)

    def resolve_lazy(self, lazy: _Lazy) -> _Binding | object:
        key = (lazy.module, lazy.name)
        if key in self.resolving:
            return _Unknown(f"the import at {lazy.where} is circular")
        path = self.module_file(lazy.module)
        if path is None:
            return _Unknown(f"`{lazy.module}` is not found at {lazy.where}")
        self.resolving.add(key)
        try:
            module = self.module(path, lazy.module)
            if isinstance(module, _Unknown):
                return module
            if lazy.name is None:
                return _ModuleRef(module)
            binding = module.scope.names.get(lazy.name)
            if binding is not None:
                return self.resolve_binding(binding)
            if self.module_file(f"{lazy.module}.{lazy.name}") is not None:
                return self.resolve_lazy(_Lazy(f"{lazy.module}.{lazy.name}", None, lazy.where))
            star = module.scope.names.get("*")
            if star is not None:
                return star.value
            return _Unknown(f"`{lazy.name}` is not defined in `{lazy.module}` (imported at {lazy.where})")
        finally:
            self.resolving.discard(key)

    # Statements --------------------------------------------------------------------------------------------------

    def _run(self, body: Sequence[ast.stmt], frame: _Frame) -> None:
        for node in body:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise _TooComplex
            if frame.path in self.walrus:
                self._walrus(node, frame)
            if isinstance(node, ast.If):
                test = _truth(self.evaluate(node.test, frame))
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
                self._bind(frame, node.name, _Function(node.name, declared), node)
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
                        self._bind(frame, name, _Unknown(f"`{name}` is deleted at {_where(frame.path, node)}"), node)
            # pass, global, assert, raise, break, continue: no name changes

    def _walrus(self, node: ast.stmt, frame: _Frame) -> None:
        """Names an ``:=`` in the statement's own expressions binds (not those of the statements it holds)."""
        for _, value in ast.iter_fields(node):
            for expression in (value if isinstance(value, list) else [value]):
                if not isinstance(expression, (ast.expr, ast.withitem)):
                    continue
                for child in ast.walk(expression):
                    if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                        where = _where(frame.path, child)
                        self._bind(frame, child.target.id, _Unknown(f"`{child.target.id}` is set by `:=` at {where}"),
                                   node)

    def _bind(self, frame: _Frame, name: str, value: object, node: ast.stmt | ast.expr) -> None:
        frame.scope.set(name, _Binding(self.checked(value), frame.path, getattr(node, "lineno", 0)))

    def _branches(self, frame: _Frame, bodies: Sequence[Sequence[ast.stmt] | None], how: str,
                  where: str | None = None, bound: Sequence[str] = ()) -> None:
        """Exactly one of ``bodies`` runs (None: one that changes nothing), and which cannot be told. ``bound``:
        names each body starts with unknown (a loop's target, an ``except ... as`` name)."""
        branches: list[_Scope | None] = []
        for body in bodies:
            if not body and not bound:
                branches.append(None)
                continue
            scope = frame.scope.branch()
            inner = replace(frame, scope=scope, conditional=True)
            for name in bound:
                scope.set(name, _Binding(_Unknown(f"`{name}` is {how} at {where}"), frame.path, 0))
            self._run(body or (), inner)
            branches.append(scope)
        self._merge_into(frame.scope, branches, how, where)

    def _merge_into(self, scope: _Scope, branches: Sequence[_Scope | None], how: str, where: str | None) -> None:
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
            place = where or _where(latest.path, latest.line)
            reason = f"`{name}` is {how} at {place}"
            merged: object = None
            for index, option in enumerate(options):
                value = option.value if option is not None else _Unknown(reason)
                merged = value if index == 0 else _merge(merged, value, reason)
            if isinstance(options[0], _Binding) and options[0] is scope.names.get(name) and _same(
                    merged, options[0].value):
                continue
            scope.set(name, _Binding(self.checked(merged), latest.path, latest.line))
        common: set[str] | None = None
        for branch in branches:
            included = branch.included if branch is not None else scope.included
            common = set(included) if common is None else common & included
        scope.included = common if common is not None else scope.included

    def _try(self, node: ast.Try, frame: _Frame) -> None:
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
            self._branches(frame, [handler.body, None], "set in an `except` block", _where(frame.path, handler),
                           [handler.name] if handler.name else ())
        self._run(node.orelse, frame)
        self._run(node.finalbody, frame)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, frame: _Frame) -> None:
        where = _where(frame.path, node)
        if isinstance(node, ast.While) and _truth(self.evaluate(node.test, frame)) is False:
            self._run(node.orelse, frame)
            return
        if self.loops >= MAX_LOOP_DEPTH:
            changed, opaque = _loop_changes([*node.body, *node.orelse])
            if isinstance(node, (ast.For, ast.AsyncFor)):
                changed.update(_target_names(node.target))
            if opaque:
                self._not_followed(frame, f"the loop at {where} is not followed", True, node)
            for name in sorted(changed):
                self._bind(frame, name, _Unknown(f"`{name}` is changed at {where}"), node)
            return
        self.loops += 1
        try:
            self._run_loop(node, frame, where)
        finally:
            self.loops -= 1

    def _run_loop(self, node: ast.For | ast.AsyncFor | ast.While, frame: _Frame, where: str) -> None:
        bound = list(_target_names(node.target)) if isinstance(node, (ast.For, ast.AsyncFor)) else []
        # Zero, one or more runs: merged with not running once, then a second run on that; what still changes
        # is unknown.
        self._branches(frame, [None, node.body], "changed", where, bound)
        before = dict(frame.scope.names)
        scope = frame.scope.branch()
        for name in bound:
            scope.set(name, _Binding(_Unknown(f"`{name}` is changed at {where}"), frame.path, node.lineno))
        self._run(node.body, replace(frame, scope=scope))
        self._merge_into(frame.scope, [None, scope], "changed", where)
        for name in scope.changed:
            now, then = frame.scope.names.get(name), before.get(name)
            if now is not None and (then is None or not _same(now.value, then.value)):
                frame.scope.set(name, _Binding(_Unknown(f"`{name}` is changed at {where}"), frame.path, node.lineno))
        self._branches(frame, [node.orelse, None], "set under a condition", where)

    def _with(self, node: ast.With | ast.AsyncWith, frame: _Frame) -> None:
        caught: set[str] = set()
        for item in node.items:
            self.evaluate(item.context_expr, frame)
            expression = item.context_expr
            if isinstance(expression, ast.Call) and _dotted(expression.func).rpartition(".")[2] == "suppress":
                caught |= {_dotted(arg).rpartition(".")[2] for arg in expression.args}
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars):
                    self._bind(frame, name, _Unknown(f"`{name}` is set by `with` at {_where(frame.path, node)}"),
                               node)
        self.guards.append(frozenset(caught))
        try:
            self._run(node.body, frame)
        finally:
            self.guards.pop()

    def _match(self, node: ast.Match, frame: _Frame) -> None:
        self.evaluate(node.subject, frame)
        where = _where(frame.path, node)
        bodies: list[Sequence[ast.stmt] | None] = [None]
        captured: set[str] = set()
        for case in node.cases:
            captured |= {name for child in ast.walk(case.pattern) for name in _captured(child)}
            bodies.append(case.body)
        self._branches(frame, bodies, "set by a `match` case", where, sorted(captured))

    # Imports ------------------------------------------------------------------------------------------------------

    def _import_from(self, node: ast.ImportFrom, frame: _Frame) -> None:
        module = _absolute(node, frame.module.package)
        if any(alias.name == "*" for alias in node.names):
            self._star_import(node, module, frame)
            return
        if module == "__future__":
            return
        in_project = bool(module) and self.module_file(module) is not None
        where = _where(frame.path, node)
        for alias in node.names:
            bound = alias.asname or alias.name
            value: object
            if in_project:
                value = _Lazy(module, alias.name, where)
            elif module and not node.level:
                value = _Known(_canonical(f"{module}.{alias.name}"))
            else:
                if self._guarded(_IMPORT_ERRORS):
                    continue
                value = _Unknown(f"`{bound}` is imported from a module not found here at {where}")
            self._bind(frame, bound, value, node)

    def _import(self, node: ast.Import, frame: _Frame) -> None:
        where = _where(frame.path, node)
        for alias in node.names:
            if alias.asname:
                name, module = alias.asname, alias.name
            else:
                name = module = alias.name.split(".")[0]
            value: object = (
                _Lazy(module, None, where) if self.module_file(module) is not None else _Known(_canonical(module))
            )
            self._bind(frame, name, value, node)

    def _star_import(self, node: ast.ImportFrom, module: str, frame: _Frame) -> None:
        where = _where(frame.path, node)
        written = f"`from {'.' * node.level}{node.module or ''} import *`"
        target = self.module_file(module)
        if target is None and module == "split_settings.tools":
            for name in ("include", "optional"):
                self._bind(frame, name, _Known(f"split_settings.tools.{name}"), node)
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
        if isinstance(imported, _Unknown):
            self._not_followed(frame, f"{written} at {where} is not followed: {imported.reason}", everything=True,
                               node=node)
            return
        # A star import skips private names (settings modules do not define __all__).
        names = imported.scope.names
        frame.scope.update({name: binding for name, binding in names.items() if name[:1] != "_"})

    def _guarded(self, errors: frozenset[str]) -> bool:
        return any(guard & errors for guard in self.guards)

    def _not_followed(self, frame: _Frame, reason: str, everything: bool, node: ast.stmt) -> None:
        """What ``node`` does cannot be followed. ``everything``: it may rebind any name (an unread star import,
        ``exec``); else only names not set so far may come from it (the reason they are not known)."""
        if everything:
            unknown = _Binding(_Unknown(reason), frame.path, node.lineno)
            frame.scope.update({name: unknown for name in frame.scope.names})
            frame.scope.set("*", unknown)
        elif frame.scope.get("*") is None:
            frame.scope.set("*", _Binding(_Unknown(reason), frame.path, node.lineno))

    # Classes ------------------------------------------------------------------------------------------------------

    def _class(self, node: ast.ClassDef, frame: _Frame) -> None:
        bases = tuple(self.resolve(self.evaluate(base, frame)) for base in node.bases)
        where = _where(frame.path, node)
        if node.decorator_list or node.keywords:
            self._bind(frame, node.name, _Unknown(f"the class `{node.name}` at {where} is not followed"), node)
            return
        scope = _Scope(outer=frame.scope.globals)
        self._run(node.body, _Frame(scope, frame.path, frame.module, in_class=True))
        configuration = any(_is_configuration(base) for base in bases)
        self._bind(frame, node.name, _Class(node.name, bases, scope, frame.path, node.lineno, configuration), node)

    def class_attribute(self, cls: _Class, name: str, seen: frozenset[int] = frozenset()) -> _Binding | None:
        """The attribute ``name`` of ``cls`` (its own or its bases'), None when it has none; an unknown value
        when it cannot be told."""
        key = (id(cls), name)
        if key not in self.attributes:
            self.attributes[key] = self._class_attribute(cls, name, seen)
        return self.attributes[key]

    def _class_attribute(self, cls: _Class, name: str, seen: frozenset[int]) -> _Binding | None:
        if id(cls) in seen:
            return _Binding(_Unknown(f"the bases of `{cls.name}` loop"), cls.path, cls.line)
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

    def _base_attribute(self, base: object, name: str, cls: _Class, seen: frozenset[int],
                        inherit: bool = True) -> _Binding | None:
        if isinstance(base, _Class):
            if inherit:
                return self.class_attribute(base, name, seen)
            own = base.scope.names.get(name)
            return self.resolve_binding(own) if own is not None else None
        if isinstance(base, _Known) and base.path in _CONFIGURATION_BASES:
            if name in _CONFIGURATION_DEFAULTS:
                return _Binding(_DjangoDefault(f"`{cls.name}` does not set it"), cls.path, cls.line)
            return None
        if isinstance(base, _Known) and base.path == "builtins.object":
            return None
        shown = base.path if isinstance(base, _Known) else "a base not read"
        return _Binding(_Unknown(f"`{cls.name}` may take it from its base `{shown}`"), cls.path, cls.line)

    # Assignments --------------------------------------------------------------------------------------------------

    def _assign(self, target: ast.expr, value: object, frame: _Frame, node: ast.stmt) -> None:
        where = _where(frame.path, node)
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
                updated = _set_item(self.resolve(binding.value), keys, value, where)
                self._bind(frame, root, updated, node)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, tuple) and len(value) == len(
                target.elts) and not any(isinstance(element, ast.Starred) for element in target.elts):
            for element, item in zip(target.elts, value):
                self._assign(element, item, frame, node)
        else:
            for name in _target_names(target):
                self._bind(frame, name, _Unknown(f"`{name}` is changed at {where}"), node)

    def _namespace_item(self, target: ast.Subscript, value: object, frame: _Frame, node: ast.stmt) -> None:
        """``globals()["X"] = ...``; any other item assignment on something not read changes nothing known."""
        base = target.value
        if isinstance(base, ast.Call) and _dotted(base.func) in ("globals", "locals", "vars") and not base.args:
            key = self.evaluate(target.slice, frame)
            where = _where(frame.path, node)
            prefixes = next((found for name, found in reversed(frame.prefixed)
                             if isinstance(target.slice, ast.Name) and target.slice.id == name), None)
            if isinstance(key, str):
                self._bind(frame, key, value, node)
            elif prefixes is not None and not any(setting.startswith(prefixes) for setting in READ_SETTINGS):
                # `if param.startswith("SOCIAL_AUTH_"): globals()[param] = ...` (netbox): only such names change.
                for name in [name for name in frame.scope.names if name.startswith(prefixes)]:
                    self._bind(frame, name, _Unknown(f"`{name}` is changed at {where}"), node)
            else:
                self._not_followed(frame, f"an assignment at {where} is not followed", True, node)

    def _item_path(self, target: ast.Subscript, frame: _Frame) -> tuple[str, list[object]] | None:
        keys: list[object] = []
        base: ast.expr = target
        while isinstance(base, ast.Subscript):
            keys.append(self.evaluate(base.slice, frame))
            base = base.value
        return (base.id, list(reversed(keys))) if isinstance(base, ast.Name) else None

    def _augmented(self, node: ast.AugAssign, frame: _Frame) -> None:
        where = _where(frame.path, node)
        if isinstance(node.target, ast.Name):
            name = node.target.id
            current = frame.scope.get(name) or frame.scope.get("*")  # a name an unread star import may give
            value: object = _Unknown(f"`{name} {_op(node.op)}=` at {where} is not literal")
            if current is not None and isinstance(node.op, ast.Add):
                value = _add(self.resolve(current.value), self.evaluate(node.value, frame), where)
            elif current is None:
                value = _Unknown(f"`{name}` is not defined before `{name} {_op(node.op)}=` at {where}")
            self._bind(frame, name, value, node)
        elif isinstance(node.target, ast.Subscript) and (path := self._item_path(node.target, frame)) is not None:
            root, keys = path
            binding = frame.scope.get(root)
            if binding is None:
                return
            container = self.resolve(binding.value)
            current_item = _get_item(container, keys)
            item: object = _Unknown(f"an item changed at {where} is not literal")
            if isinstance(node.op, ast.Add):
                item = _add(current_item, self.evaluate(node.value, frame), where)
            self._bind(frame, root, _set_item(container, keys, item, where), node)
        else:
            for name in _target_names(node.target):
                self._bind(frame, name, _Unknown(f"`{name}` is changed at {where}"), node)

    def _expression(self, expression: ast.expr, frame: _Frame, node: ast.stmt) -> None:
        if not isinstance(expression, ast.Call):
            self.evaluate(expression, frame)
            return
        where = _where(frame.path, node)
        func = expression.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
            owner = self.resolve(self.evaluate(func.value.value, frame))
            if isinstance(owner, _Class):  # `Base.INSTALLED_APPS.append(x)`: the list of the class that sets it
                attribute = func.value.attr
                found = self.class_attribute(owner, attribute)
                current = found.value if found is not None else _Unknown(f"`{owner.name}.{attribute}` is not set")
                changed = self._method(current, expression, frame, where)
                _defining_class(owner, attribute).scope.set(
                    attribute, _Binding(self.checked(changed), frame.path, node.lineno))
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
                self._bind(frame, root, _set_item(container, keys, method, where) if keys else method, node)
                return
        callee = self.resolve(self.evaluate(func, frame))
        short = f"`{_short(expression)}` at {where}"
        if isinstance(callee, _Known) and callee.path == "split_settings.tools.include":
            self._include(expression, frame, node)
        elif isinstance(callee, _Function):
            self.evaluate(expression, frame)  # what it declares `global` is changed
            if not callee.globals:
                self._not_followed(frame, f"{short} is not followed", False, node)
        elif isinstance(callee, _Known) and callee.path in ("builtins.exec", "builtins.eval"):
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
        elif isinstance(callee, _Known) and callee.path.startswith(_HARMLESS_CALLS):
            return
        else:
            for argument in expression.args:
                self.evaluate(argument, frame)
            self._not_followed(frame, f"{short} is not followed", False, node)

    def _receiver(self, node: ast.expr, frame: _Frame) -> tuple[str, list[object], object] | None:
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
        current = _get_item(self.resolve(binding.value), keys)
        if isinstance(current, (tuple, dict, _Partial)) or (isinstance(current, _Unknown) and not isinstance(
                self.resolve(binding.value), _Known)):
            return base.id, keys, current
        return None

    def _method(self, current: object, call: ast.Call, frame: _Frame, where: str) -> object:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        args = [self.evaluate(arg, frame) for arg in call.args]
        if isinstance(current, _Unknown) and not isinstance(current, _EnvValue) and method in ("append", "insert") and (
                args and _is_literal(args[-1])):
            return _Partial((args[-1],), current.reason)  # a list not read, that holds this entry now
        if isinstance(current, _Unknown):
            return current
        items = _list_items(current)
        if call.keywords or any(isinstance(arg, ast.Starred) for arg in call.args):
            return _Unknown(f"`.{method}(...)` at {where} is not literal")
        if items is not None:
            partial = current if isinstance(current, _Partial) else None
            if method in ("append", "extend", "insert"):
                added = args[-1] if args else None
                if method == "extend":
                    added_items = _list_items(added)
                    if added_items is None:
                        return self._opened(items, added, where, method)
                    result = (*items, *added_items)
                    if isinstance(added, _Partial):
                        return _Partial(result, added.reason)
                elif isinstance(added, _Unknown):
                    return self._opened(items, added, where, method)
                elif method == "append" and len(args) == 1:
                    result = (*items, added)
                elif method == "insert" and len(args) == 2 and isinstance(args[0], int):
                    as_list = list(items)
                    as_list.insert(args[0], added)
                    result = tuple(as_list)
                else:
                    return _Unknown(f"`.{method}(...)` at {where} is not literal")
                return _Partial(result, partial.reason) if partial is not None else result
            if method == "remove" and len(args) == 1 and not isinstance(args[0], _Unknown):
                if not _hashable(args[0]):
                    return _Unknown(f"`.remove(...)` at {where} is not literal")
                try:
                    position = items.index(args[0])
                except ValueError:
                    if partial is not None:
                        return partial  # it is among the entries not read, or the settings fail
                    return _Unknown(f"`.remove(...)` at {where} removes an entry the list does not hold")
                remaining = items[:position] + items[position + 1:]
                return _Partial(remaining, partial.reason) if partial is not None else remaining
        if isinstance(current, dict) and method == "update" and len(args) == 1:
            update = args[0]
            if isinstance(update, dict):
                return {**current, **update}
            if isinstance(update, _EnvValue) and isinstance(update.default, dict):
                return {**current, **_env_items(update)}
        return _Unknown(f"`.{method}(...)` at {where} is not followed")

    @staticmethod
    def _opened(items: tuple[object, ...], added: object, where: str, method: str) -> object:
        reason = added.reason if isinstance(added, _Unknown) else f"`.{method}(...)` at {where} adds what is not read"
        return _Partial(items, reason)

    # split-settings' include --------------------------------------------------------------------------------------

    def _include(self, call: ast.Call, frame: _Frame, node: ast.stmt) -> None:
        where = _where(frame.path, node)
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
            optional = isinstance(pattern, _OptionalPath)
            text = pattern.path if isinstance(pattern, _OptionalPath) else pattern
            if not isinstance(text, str):
                self._not_followed(frame, f"`include()` at {where} names a file not read", True, node)
                return
            if optional and not text:
                continue
            if not self._include_pattern(text, optional, frame, node, where):
                return

    def _include_pattern(self, text: str, optional: bool, frame: _Frame, node: ast.stmt, where: str) -> bool:
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
                        os.path.basename(path), previous.value if previous is not None else _NO_DEFAULT,
                        now.value if now is not None else _NO_DEFAULT,
                    ))
        for name, made in changes.items():
            if len(made) < 2 or name == "*" or _order_free(made):
                continue
            first, second = made[0][0], made[1][0]
            reason = (f"`{name}` is set by both `{first}` and `{second}`, which {shown} runs in the order the file "
                      "system lists them")
            current = frame.scope.names.get(name)
            frame.scope.set(name, _Binding(_Unknown(reason), current.path if current else frame.path,
                                           current.line if current else node.lineno))
        return True

    # Expressions --------------------------------------------------------------------------------------------------

    def checked(self, value: object) -> object:
        """``value``, or unknown when it is too large or too deep to keep (``X = X + X`` a hundred times)."""
        size, depth = self._measure(value)
        if size > MAX_VALUE_SIZE or depth > MAX_VALUE_DEPTH:
            return _Unknown("a value too large to read")
        return value

    def _measure(self, value: object) -> tuple[int, int]:
        if isinstance(value, str):
            return (1 + len(value) // 64, 1) if len(value) <= MAX_STRING else (MAX_VALUE_SIZE + 1, 1)
        if isinstance(value, (tuple, dict, _Partial)):
            kept = self.sizes.get(id(value))
            if kept is not None and kept[0] is value:
                return kept[1], kept[2]
            children = value.items if isinstance(value, _Partial) else (
                value if isinstance(value, tuple) else (*value.keys(), *value.values()))
            size, depth = 1, 1
            for child in children:
                child_size, child_depth = self._measure(child)
                size += child_size
                depth = max(depth, child_depth + 1)
                if size > MAX_VALUE_SIZE or depth > MAX_VALUE_DEPTH:
                    break
            self.sizes[id(value)] = (value, size, depth)
            return size, depth
        return 1, 1

    def evaluate(self, node: ast.expr, frame: _Frame) -> object:
        """The value of an expression: a literal, or one of the value classes above."""
        value = self._evaluate(node, frame)
        return self.checked(value) if isinstance(value, (tuple, dict, _Partial, str)) else value

    def _evaluate(self, node: ast.expr, frame: _Frame) -> object:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return self._sequence(node.elts, frame)
        if isinstance(node, ast.Dict):
            return self._dict(node, frame)
        if isinstance(node, ast.Name):
            binding = frame.scope.get(node.id)
            if binding is None:
                if node.id in _BUILTINS:
                    return _Known(f"builtins.{node.id}")
                star = frame.scope.get("*")
                return star.value if star is not None else _Unknown(f"`{node.id}` is not defined in the settings")
            return self.resolve(binding.value)
        if isinstance(node, ast.Attribute):
            return self._attribute(self.resolve(self.evaluate(node.value, frame)), node.attr, line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _add(self.evaluate(node.left, frame), self.evaluate(node.right, frame), f"line {line}")
        if isinstance(node, ast.Call):
            return self._call(node, frame)
        if isinstance(node, ast.Subscript):
            return self._subscript(self.evaluate(node.value, frame), self.evaluate(node.slice, frame), node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            truth = _truth(self.evaluate(node.operand, frame))
            return not truth if truth is not None else _Unknown(f"`{_short(node)}` at line {line} is not a literal")
        if isinstance(node, ast.Compare):
            return self._compare(node, frame)
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node, frame)
        if isinstance(node, ast.IfExp):
            return self._if_expression(node, frame)
        if isinstance(node, ast.NamedExpr):
            return self.evaluate(node.value, frame)
        if isinstance(node, ast.JoinedStr):
            return self._f_string(node, frame)
        return _Unknown(f"`{_short(node)}` at line {line} is not a literal")

    def _f_string(self, node: ast.JoinedStr, frame: _Frame) -> object:
        text: list[str] = []
        for part in node.values:
            value = part.value if isinstance(part, ast.Constant) else (
                self.evaluate(part.value, frame) if isinstance(part, ast.FormattedValue) and part.conversion == -1
                and part.format_spec is None else None)
            if not isinstance(value, str):
                reason = f"`{_short(node)}` at line {node.lineno} is not a literal"
                return _Prefixed("".join(text), reason) if text else _Unknown(reason)
            text.append(value)
        joined = "".join(text)
        return joined if len(joined) <= MAX_STRING else _Unknown(f"a string at line {node.lineno} is too long")

    def _sequence(self, elements: Sequence[ast.expr], frame: _Frame) -> object:
        items: list[object] = []
        reason: str | None = None
        for element in elements:
            if isinstance(element, ast.Starred):
                inner = self.evaluate(element.value, frame)
                inner_items = _list_items(inner)
                if inner_items is None:
                    if not isinstance(inner, _Unknown):
                        return _Unknown(f"a starred value at line {element.lineno} is not a list")
                    reason = reason or inner.reason
                    continue
                items.extend(inner_items)
                if isinstance(inner, _Partial):
                    reason = reason or inner.reason
            else:
                value = self.evaluate(element, frame)
                if isinstance(value, _Unknown):
                    reason = reason or value.reason
                    continue
                items.append(value)
        # A list with items not read keeps the others: it is open.
        return _Partial(tuple(items), reason) if reason is not None else tuple(items)

    def _dict(self, node: ast.Dict, frame: _Frame) -> object:
        result: dict[object, object] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                inner = self.evaluate(value_node, frame)
                if isinstance(inner, _EnvValue) and isinstance(inner.default, dict):
                    result.update(_env_items(inner))
                    continue
                if not isinstance(inner, dict):
                    return _Unknown(f"a `**` entry at line {value_node.lineno} is not literal")
                result.update(inner)
                continue
            key = self.evaluate(key_node, frame)
            if isinstance(key, _Unknown) or not _hashable(key):
                return _Unknown(f"a key at line {key_node.lineno} is not literal")
            result[key] = self.evaluate(value_node, frame)
        return result

    def _attribute(self, value: object, attribute: str, line: int) -> object:
        if isinstance(value, _Known):
            return _Known(_canonical(f"{value.path}.{attribute}"), value.scheme)
        if isinstance(value, _Class):
            found = self.class_attribute(value, attribute)
            if found is None:
                return _Unknown(f"`{value.name}.{attribute}` at line {line} is not set")
            return found.value
        if isinstance(value, _ModuleRef):
            binding = value.module.scope.names.get(attribute)
            if binding is not None:
                return self.resolve(binding.value)
            dotted = f"{value.module.dotted}.{attribute}"
            if self.module_file(dotted) is not None:
                return self.resolve(_Lazy(dotted, None, f"line {line}"))
            return _Unknown(f"`{attribute}` is not defined in `{value.module.dotted}`")
        if isinstance(value, _Unknown):
            return value
        return _Unknown(f"`.{attribute}` at line {line} is not a literal")

    def _subscript(self, value: object, key: object, node: ast.Subscript) -> object:
        line = node.lineno
        if isinstance(value, _Known) and value.path == "os.environ":
            variable = key if isinstance(key, str) else "?"
            return _EnvValue(variable, _NO_DEFAULT, f"`{_short(node)}` at line {line} reads the environment")
        if isinstance(value, _EnvValue):
            if isinstance(value.default, dict) and _hashable(key) and key in value.default:
                return _EnvValue(value.variable, value.default[key], value.reason)
            return _EnvValue(value.variable, _NO_DEFAULT, value.reason)
        if isinstance(value, _Unknown):
            return value
        if isinstance(key, _Unknown):
            return key
        found = _get_item(value, [key])
        if isinstance(found, _Unknown):
            return _Unknown(f"`{_short(node)}` at line {line} is not a literal")
        return found

    def _compare(self, node: ast.Compare, frame: _Frame) -> object:
        unknown = _Unknown(f"`{_short(node)}` at line {node.lineno} is not a literal")
        if len(node.ops) != 1:
            return unknown
        left, right = self.evaluate(node.left, frame), self.evaluate(node.comparators[0], frame)
        operator = node.ops[0]
        if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, _Known) and right.path == "os.environ":
            variable = left if isinstance(left, str) else "?"
            return _EnvTest(variable, isinstance(operator, ast.NotIn), f"`{_short(node)}` at line {node.lineno} "
                            "reads the environment")
        if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, _Partial) and not isinstance(
                left, _Unknown) and _hashable(left) and left in right.items:
            return isinstance(operator, ast.In)
        if not all(_is_literal(side) for side in (left, right)):
            return unknown
        try:
            if isinstance(operator, (ast.Eq, ast.NotEq)):
                return bool(left == right) == isinstance(operator, ast.Eq)
            if isinstance(operator, (ast.Is, ast.IsNot)) and (left is None or right is None or isinstance(
                    left, bool) or isinstance(right, bool)):
                return (left is right) == isinstance(operator, ast.Is)
            if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, (str, tuple, dict)):
                if isinstance(right, str) and not isinstance(left, str):
                    return unknown
                if isinstance(right, dict) and not _hashable(left):
                    return unknown
                return (left in right) == isinstance(operator, ast.In)
        except (TypeError, ValueError, RecursionError):
            return unknown
        return unknown

    def _bool_op(self, node: ast.BoolOp, frame: _Frame) -> object:
        values = [self.evaluate(value, frame) for value in node.values]
        is_or = isinstance(node.op, ast.Or)
        result = values[0]
        for value in values[1:]:
            truth = _truth(result)
            if truth is None:
                # `os.environ.get("X") or "default"`: the default where the settings take one.
                if is_or and isinstance(result, _EnvValue) and result.default in (_NO_DEFAULT, None, ""):
                    result = _EnvValue(result.variable, value, result.reason)
                    continue
                return result if isinstance(result, _Unknown) else _Unknown(
                    f"`{_short(node)}` at line {node.lineno} is not a literal")
            if truth == is_or:
                return result
            result = value
        return result

    def _if_expression(self, node: ast.IfExp, frame: _Frame) -> object:
        test = self.evaluate(node.test, frame)
        truth = _truth(test)
        if truth is not None:
            return self.evaluate(node.body if truth else node.orelse, frame)
        body, orelse = self.evaluate(node.body, frame), self.evaluate(node.orelse, frame)
        # `os.environ["X"] if "X" in os.environ else "default"`, and the same the other way round.
        variable = test.variable if isinstance(test, (_EnvTest, _EnvValue)) else None
        negated = isinstance(test, _EnvTest) and test.negated
        reading, default = (orelse, body) if negated else (body, orelse)
        if variable is not None and isinstance(reading, _EnvValue) and reading.variable == variable:
            return _EnvValue(variable, default, reading.reason)
        return _merge(body, orelse, f"`{_short(node)}` at line {node.lineno} is not decided")

    # Calls --------------------------------------------------------------------------------------------------------

    def _call(self, node: ast.Call, frame: _Frame) -> object:
        callee = self.resolve(self.evaluate(node.func, frame))
        unknown = _Unknown(f"`{_short(node)}` at line {node.lineno} is not a literal")
        if isinstance(callee, _Function):
            for name in sorted(callee.globals):
                frame.scope.globals.set(name, _Binding(_Unknown(
                    f"`{name}` may be changed by `{_short(node)}` at {_where(frame.path, node)}"), frame.path,
                    node.lineno))
            return unknown
        if not isinstance(callee, _Known) or any(isinstance(arg, ast.Starred) for arg in node.args) or any(
                keyword.arg is None for keyword in node.keywords):
            return unknown
        args = [self.evaluate(arg, frame) for arg in node.args]
        keywords = {keyword.arg: self.evaluate(keyword.value, frame) for keyword in node.keywords if keyword.arg}
        path = callee.path
        reads = f"`{_short(node)}` at line {node.lineno}"
        if path in ("builtins.list", "builtins.tuple") and len(args) == 1 and not keywords:
            value = args[0]
            items = _list_items(value)
            if isinstance(value, dict):
                return tuple(value)
            return value if items is not None or isinstance(value, _Unknown) else unknown
        if path == "builtins.dict" and len(args) <= 1:
            base = args[0] if args else {}
            return {**base, **keywords} if isinstance(base, dict) else unknown
        if path == "split_settings.tools.optional" and len(args) == 1:
            value = args[0]
            if value is None or isinstance(value, str):
                return _OptionalPath(value or "")
            return unknown
        if path in ("os.environ.get", "os.getenv", "os.environ.setdefault"):
            variable, default = _arguments(args, keywords, ("key", "default"))
            name = variable if isinstance(variable, str) else "?"
            return _EnvValue(name, None if default is _NO_DEFAULT and path != "os.environ.setdefault" else default,
                             f"{reads} reads the environment variable `{name}`")
        if path == "environ.Env":
            scheme = tuple((key, value) for key, value in keywords.items())
            return _Known("environ.Env()", scheme)
        found: object | None = None
        if path.startswith("environ.Env()") or path == "environ.Env.db_url_config":
            found = self._environ_call(path, callee.scheme, args, keywords, reads)
        elif path in ("dj_database_url.config", "dj_database_url.parse"):
            found = self._dj_database_url(path, args, keywords, reads)
        if found is not None:
            return found
        if path.startswith("configurations.values."):
            return self._configuration_value(path.rpartition(".")[2], args, keywords, reads)
        return unknown

    def _environ_call(self, path: str, scheme: tuple[tuple[str, object], ...], args: list[object],
                      keywords: dict[str, object], reads: str) -> object | None:
        method = path.rpartition(".")[2] if path != "environ.Env()" else "__call__"
        if method == "db_url_config":
            url, engine = _arguments(args, keywords, ("url", "engine"))
            return _url_config(url, engine, "environ")
        parameters = {
            "__call__": ("var", "cast", "default"), "str": ("var", "default"), "db": ("var", "default", "engine"),
            "db_url": ("var", "default", "engine"),
        }.get(method)
        if parameters is None:
            return None
        values = _arguments(args, keywords, parameters)
        variable = values[0] if values[0] is not _NO_DEFAULT else "DATABASE_URL"
        name = variable if isinstance(variable, str) else "?"
        default = values[parameters.index("default")]
        if default is _NO_DEFAULT:
            schemed = dict(scheme).get(name)
            if isinstance(schemed, tuple) and len(schemed) == 2:
                default = schemed[1]
        reason = f"{reads} reads the environment variable `{name}`"
        if method in ("db", "db_url"):
            engine = values[2]
            url = default if default is not _NO_DEFAULT else None
            parsed = _url_config(url, engine, "environ") if url is not None or isinstance(engine, str) else None
            return _EnvValue(name, parsed if parsed is not None else _NO_DEFAULT, reason)
        return _EnvValue(name, default, reason)

    def _dj_database_url(self, path: str, args: list[object], keywords: dict[str, object],
                         reads: str) -> object | None:
        if path == "dj_database_url.parse":
            url, engine = _arguments(args, keywords, ("url", "engine"))
            if isinstance(url, _EnvValue):
                given = url.default if isinstance(url.default, (str, _Prefixed)) else None
                parsed = _url_config(given, engine, "dj_database_url") if given else None
                return _EnvValue(url.variable, parsed if parsed is not None else _NO_DEFAULT, url.reason)
            return _url_config(url, engine, "dj_database_url")
        variable, default, engine = _arguments(args, keywords, ("env", "default", "engine"))
        name = variable if isinstance(variable, str) else "DATABASE_URL"
        if isinstance(default, _EnvValue):
            default = default.default
        reason = f"{reads} reads the environment variable `{name}`"
        if not isinstance(default, (str, _Prefixed)) or not default:
            if isinstance(engine, str) and engine:
                return _EnvValue(name, {"ENGINE": engine}, reason)
            return _EnvValue(name, _NO_DEFAULT, reason)
        parsed = _url_config(default, engine, "dj_database_url")
        return _EnvValue(name, parsed if parsed is not None else _NO_DEFAULT, reason)

    @staticmethod
    def _configuration_value(kind: str, args: list[object], keywords: dict[str, object], reads: str) -> object:
        """django-configurations' ``values.*Value(default, ...)``: its default (the environment variable
        ``DJANGO_<NAME>`` may replace it)."""
        unknown = _Unknown(f"{reads} is not a literal")
        if not kind.endswith("Value") or kind in ("SecretValue", "SetValue", "EmailURLValue", "CacheURLValue",
                                                  "SearchURLValue", "PathValue"):
            return unknown
        if keywords.get("environ_required") is True:
            return _Unknown(f"{reads} is required from the environment")
        (default,) = _arguments(args, keywords, ("default",))
        default = None if default is _NO_DEFAULT else default
        if isinstance(default, _Unknown) and not (kind == "DatabaseURLValue" and isinstance(default, _Prefixed)):
            return default
        if kind == "DatabaseURLValue":
            alias = keywords.get("alias", "default")
            if not isinstance(default, (str, _Prefixed)) or not default or not isinstance(alias, str):
                return _Unknown(f"{reads} reads the environment variable `DATABASE_URL`")
            parsed = _url_config(default, keywords.get("engine"), "dj_database_url")
            return {alias: parsed} if parsed is not None else unknown
        if kind in ("ListValue", "TupleValue", "BackendsValue", "SingleNestedListValue", "SingleNestedTupleValue"):
            if default is None:
                return ()
            items = _list_items(default)
            return items if items is not None and not isinstance(default, _Partial) else unknown
        if kind == "DictValue":
            if default is None:
                return {}
            return default if isinstance(default, dict) else unknown
        return default


# Values: helpers --------------------------------------------------------------------------------------------------


def _arguments(args: list[object], keywords: dict[str, object], names: Sequence[str]) -> list[object]:
    """The value of each parameter in ``names`` (positional or keyword), ``_NO_DEFAULT`` when not given."""
    return [args[index] if index < len(args) else keywords.get(name, _NO_DEFAULT) for index, name in
            enumerate(names)]


def _url_config(url: object, engine: object, library: str) -> dict[object, object] | None:
    """The database settings a URL gives, as dj-database-url's ``parse`` or django-environ's ``db_url_config``
    gives them: the engine from the scheme (or ``engine``), and ``OPTIONS`` from the query string."""
    if isinstance(url, _EnvValue):
        url = url.default
    known = isinstance(url, str)
    if isinstance(url, _Prefixed):
        url = url.prefix
    if not isinstance(url, str) or not url:
        return {"ENGINE": engine} if isinstance(engine, str) and engine else None
    if url == "sqlite://:memory:" and known:
        return {"ENGINE": engine if isinstance(engine, str) and engine else "django.db.backends.sqlite3",
                "NAME": ":memory:"}
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    scheme = match.group(1).lower() if match else ""
    config: dict[object, object] = {}
    query = url.partition("?")[2].partition("#")[0] if known else ""  # of a URL only partly known: not read
    options: dict[object, object] = {}
    for key, values in parse_qs(query).items():
        if library == "environ":
            if key.upper() in _ENVIRON_BASE_OPTIONS:
                continue
            options[key] = int(values[0]) if values[0].isdigit() and len(values[0]) < 20 else values[0]
        else:
            value: object = values[-1]
            if isinstance(value, str) and value.isdigit() and len(value) < 20:
                value = int(value)
            elif isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            options[key] = value
    if options:
        if library != "environ" and "currentSchema" in options and scheme in (
                "postgres", "postgresql", "pgsql", "postgis", "redshift", "timescale", "timescalegis"):
            options["options"] = f"-c search_path={options.pop('currentSchema')}"
        config["OPTIONS"] = options
    if isinstance(engine, str) and engine:
        config["ENGINE"] = engine
    elif library == "environ":
        if not scheme:
            return None
        config["ENGINE"] = ENVIRON_DB_SCHEMES.get(scheme, scheme)
    else:
        found = DJ_DATABASE_URL_SCHEMES.get(scheme)
        if found is None:
            return None  # dj-database-url raises ValueError
        config["ENGINE"] = found
    return config


def _env_items(value: _EnvValue) -> dict[object, object]:
    """The items of a dict an environment variable decides, each as what the variable decides."""
    assert isinstance(value.default, dict)
    return {key: _EnvValue(value.variable, item, value.reason) for key, item in value.default.items()}


def _env_defaults(value: object) -> object:
    """``value`` with each environment lookup replaced by its default (unknown without one)."""
    if isinstance(value, _EnvValue):
        return _env_defaults(value.default) if value.default is not _NO_DEFAULT else value
    if isinstance(value, dict):
        return {key: _env_defaults(item) for key, item in value.items()}
    return value


def _truth(value: object) -> bool | None:
    if isinstance(value, _Unknown):
        return None
    if isinstance(value, _Partial):
        return True if value.items else None
    if isinstance(value, (_Class, _Function, _ModuleRef, _OptionalPath)):
        return True
    if isinstance(value, (_Known, _Lazy)):
        return None
    try:
        return bool(value)
    except Exception:  # noqa: BLE001 - a literal's truth never raises; anything else is not decided
        return None


def _is_literal(value: object) -> bool:
    return isinstance(value, (str, bytes, int, float, complex, tuple, dict)) or value is None or value is Ellipsis


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except (TypeError, RecursionError):
        return False
    return True


def _list_items(value: object) -> tuple[object, ...] | None:
    if isinstance(value, tuple):
        return value
    if isinstance(value, _Partial):
        return value.items
    return None


def _same(left: object, right: object) -> bool:
    """Equal and of the same types, nested (``1 == True`` is not the same value)."""
    if left is right:
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, tuple):
        assert isinstance(right, tuple)
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        assert isinstance(right, dict)
        return len(left) == len(right) and all(key in right and _same(item, right[key]) for key, item in left.items())
    if isinstance(left, _Partial):
        assert isinstance(right, _Partial)
        return _same(left.items, right.items)
    if isinstance(left, _EnvValue):
        assert isinstance(right, _EnvValue)
        return left.variable == right.variable and _same(left.default, right.default)
    if isinstance(left, (str, bytes, int, float, complex, _Known, _Lazy, _OptionalPath)):
        try:
            return bool(left == right)
        except Exception:  # noqa: BLE001 - a scheme's value that cannot be compared: not the same
            return False
    return False


def _merge(left: object, right: object, reason: str) -> object:
    """What is known of a value that is either ``left`` or ``right``."""
    if _same(left, right):
        return left
    if isinstance(left, _Unknown) and not isinstance(left, _EnvValue):
        return left
    if isinstance(right, _Unknown) and not isinstance(right, _EnvValue):
        return right
    if isinstance(left, dict) and isinstance(right, dict):
        merged: dict[object, object] = {}
        for key, item in left.items():
            merged[key] = _merge(item, right[key], reason) if key in right else _Unknown(reason)
        for key in right:
            if key not in left:
                merged[key] = _Unknown(reason)
        return merged
    left_items, right_items = _list_items(left), _list_items(right)
    if left_items is not None and right_items is not None:
        if not all(_hashable(item) for item in (*left_items, *right_items)):
            return _Unknown(reason)
        available = Counter(right_items)
        common: list[object] = []
        for item in left_items:
            if available[item] > 0:
                available[item] -= 1
                common.append(item)
        return _Partial(tuple(common), reason) if common else _Unknown(reason)
    return _Unknown(reason)


def _order_free(changes: list[tuple[str, object, object]]) -> bool:
    """Whether the files that changed a name give the same value in whatever order runs: all set the same value,
    or each only added entries to a list (the first may define it: run later, the others would fail)."""
    if all(_same(after, changes[0][2]) for _, _, after in changes):
        return True
    for index, (_, before, after) in enumerate(changes):
        if index == 0 and before is _NO_DEFAULT:
            continue
        before_items, after_items = _list_items(before), _list_items(after)
        if before_items is None or after_items is None:
            return False
        if not all(_hashable(item) for item in (*before_items, *after_items)):
            return False
        if Counter(before_items) - Counter(after_items):
            return False
    return True


def _add(left: object, right: object, where: str) -> object:
    left_items, right_items = _list_items(left), _list_items(right)
    if left_items is not None and right_items is not None:
        partial = left if isinstance(left, _Partial) else right if isinstance(right, _Partial) else None
        joined = (*left_items, *right_items)
        return _Partial(joined, partial.reason) if partial is not None else joined
    # A list plus something not read: the list's entries are there, and maybe more.
    if left_items is not None and isinstance(right, _Unknown) and not isinstance(right, _EnvValue):
        return _Partial(left_items, right.reason)
    if right_items is not None and isinstance(left, _Unknown) and not isinstance(left, _EnvValue):
        return _Partial(right_items, left.reason)
    if isinstance(left, _EnvValue) or isinstance(right, _EnvValue):
        variable = left if isinstance(left, _EnvValue) else right
        assert isinstance(variable, _EnvValue)
        left_default = left.default if isinstance(left, _EnvValue) else left
        right_default = right.default if isinstance(right, _EnvValue) else right
        if isinstance(left_default, str) and isinstance(right_default, str):
            return _EnvValue(variable.variable, left_default + right_default, variable.reason)
        return _EnvValue(variable.variable, _NO_DEFAULT, variable.reason)
    if isinstance(left, _Prefixed):
        return _Prefixed(left.prefix, left.reason)
    if isinstance(left, str) and isinstance(right, _Unknown) and len(left) <= MAX_STRING:
        return _Prefixed(left, right.reason)
    for side in (left, right):
        if isinstance(side, _Unknown):
            return side
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_STRING:
            return _Unknown(f"a string at {where} is too long to read")
        return left + right
    return _Unknown(f"an addition at {where} is not of two lists")


def _get_item(container: object, keys: list[object]) -> object:
    for key in keys:
        if isinstance(container, _Unknown):
            return container
        if isinstance(key, _Unknown):
            return key
        if isinstance(container, dict) and _hashable(key) and key in container:
            container = container[key]
        elif isinstance(container, tuple) and isinstance(key, int) and not isinstance(key, bool) and (
                -len(container) <= key < len(container)):
            container = container[key]
        else:
            return _Unknown("an item that is not read")
    return container


def _set_item(container: object, keys: list[object], value: object, where: str) -> object:
    if isinstance(container, _Unknown):
        return container
    if not keys:
        return value
    key = keys[0]
    if not isinstance(container, dict) or isinstance(key, _Unknown) or not _hashable(key):
        return _Unknown(f"an item assignment at {where} is not literal")
    inner = container.get(key, {}) if len(keys) > 1 else None
    return {**container, key: _set_item(inner, keys[1:], value, where)}


def _defining_class(cls: _Class, name: str, seen: frozenset[int] = frozenset()) -> _Class:
    """The class among ``cls`` and its bases read here whose body sets ``name`` (``cls`` when none does)."""
    if name in cls.scope.names or id(cls) in seen:
        return cls
    for base in cls.bases:
        if isinstance(base, _Class):
            found = _defining_class(base, name, seen | {id(cls)})
            if name in found.scope.names:
                return found
    return cls


def _is_configuration(base: object) -> bool:
    if isinstance(base, _Known):
        return base.path in _CONFIGURATION_BASES
    return isinstance(base, _Class) and base.configuration


def _mro(cls: _Class) -> list[object]:
    """Python's C3 linearization over the classes read; a base not read ends it (its attributes are unknown)."""
    if cls.linear is None:
        cls.linear = _linearization(cls)
    return cls.linear


def _linearization(cls: _Class) -> list[object]:
    result: list[object] = [cls]
    sequences = [_mro(base) if isinstance(base, _Class) else [base] for base in cls.bases if base is not cls]
    sequences.append(list(cls.bases))
    sequences = [list(sequence) for sequence in sequences if sequence]
    if sum(len(sequence) for sequence in sequences) > MAX_BASES:
        return [*result, _Unknown("too many bases to read")]
    for _ in range(MAX_BASES + 1):
        sequences = [sequence for sequence in sequences if sequence]
        if not sequences:
            return result
        for sequence in sequences:
            head = sequence[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            return [*result, _Unknown("an inconsistent method resolution order")]
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


def _canonical(path: str) -> str:
    """One name for what a library exports under two (``environ.environ.Env`` is ``environ.Env``)."""
    aliases = (("environ.environ.", "environ."), ("configurations.base.Configuration", "configurations.Configuration"))
    for alias, canonical in aliases:
        if path.startswith(alias):
            return canonical + path[len(alias):]
    return path


def _importable(module: str) -> bool:
    """Whether the top-level package of ``module`` exists in this interpreter (found, never imported)."""
    import importlib.util

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


def _where(path: str, node: ast.AST | int) -> str:
    line = node if isinstance(node, int) else getattr(node, "lineno", 0)
    return f"{os.path.basename(path)}:{line}"


def _op(op: ast.operator) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.BitOr: "|"}.get(type(op), "?")


def _short(node: ast.expr) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):
        text = type(node).__name__
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
        reader = _Reader(import_roots, root)
        dotted = module if not module.endswith(".py") else os.path.splitext(os.path.relpath(path, root))[0].replace(
            os.sep, ".")
        configuration = candidate.configuration
        values: dict[str, ReadSetting] = {}
        unknown: dict[str, str] = {}
        open_lists: dict[str, str] = {}
        used_class: str | None = None
        try:
            read = reader.module(path, dotted)
            if isinstance(read, _Unknown):
                unknown = dict.fromkeys(READ_SETTINGS, f"the settings module is not read: {read.reason}")
            else:
                bindings, used_class = _final_bindings(reader, read, configuration)
                for name in READ_SETTINGS:
                    _record(name, bindings.get(name), read, values, unknown, open_lists)
        except _TooComplex:
            values, open_lists = {}, {}
            unknown = dict.fromkeys(READ_SETTINGS, f"the settings run more than {MAX_STEPS} statements: not read")
        except RecursionError:
            values, open_lists = {}, {}
            unknown = dict.fromkeys(READ_SETTINGS, "the settings nest too deeply to read")
        return DjangoSettings(
            root, module, origin, path, values, unknown, import_roots,
            tuple(dict.fromkeys([*search.watched, *reader.files])), named,
            open=open_lists, configuration=used_class, absent=tuple(reader.absent),
        )
    reason = "no settings module found" + (f" (tried {', '.join(tried)})" if tried else "")
    return DjangoSettings(
        root, None, "", None, {}, dict.fromkeys(READ_SETTINGS, reason), import_roots, search.watched, named,
    )


def _final_bindings(
    reader: _Reader, module: _Module, configuration: str | None
) -> tuple[dict[str, _Binding | _Unknown | None], str | None]:
    """What each setting of ``READ_SETTINGS`` is bound to once the module has run, and the django-configurations
    class that gave it, if any."""
    names = module.scope.names
    plain: dict[str, _Binding | _Unknown | None] = {}
    for name in READ_SETTINGS:
        binding = names.get(name)
        plain[name] = reader.resolve_binding(binding) if binding is not None else None
    chosen = reader.resolve(names[configuration].value) if configuration and configuration in names else None
    classes = _configuration_classes(reader, names)
    if not classes and not isinstance(chosen, _Class):
        return plain, None
    result: dict[str, _Binding | _Unknown | None] = {}
    if isinstance(chosen, _Class):  # also one whose Configuration base is not read here
        for name in READ_SETTINGS:
            found = reader.class_attribute(chosen, name)
            if found is not None and isinstance(found.value, _DjangoDefault):
                found = _Binding(_Unknown(f"not set in `{chosen.name}` or its bases, so django-configurations gives "
                                          "it Django's default"), found.path, found.line)
            if found is not None and isinstance(reader.resolve(found.value), _Function):
                found = _Binding(_Unknown(f"`{chosen.name}.{name}` is a method"), found.path, found.line)
            result[name] = found if found is not None else plain[name]
        return result, chosen.name
    listed = ", ".join(f"`{cls}`" for cls in classes)
    if configuration:
        reason = f"{CONFIGURATION_VARIABLE} names `{configuration}`, which is not one of the module's django-" \
                 f"configurations classes ({listed})"
    else:
        reason = f"the module's django-configurations classes ({listed}) set it, and no {CONFIGURATION_VARIABLE} " \
                 "says which one runs"
    for name in READ_SETTINGS:
        sets_it = name in _CONFIGURATION_DEFAULTS or any(
            reader.class_attribute(cls_value, name) is not None for cls_value in classes.values())
        result[name] = _Unknown(reason) if sets_it else plain[name]
    return result, None


def _configuration_classes(reader: _Reader, names: Mapping[str, _Binding]) -> dict[str, _Class]:
    uses_configurations = any(
        isinstance(binding.value, _Known) and binding.value.path.startswith("configurations")
        or isinstance(binding.value, _Class) and binding.value.configuration
        for binding in names.values()
    )
    if not uses_configurations:
        return {}
    classes: dict[str, _Class] = {}
    for name, binding in names.items():
        value = binding.value
        if isinstance(value, _Lazy) and name[:1].isupper():
            value = reader.resolve(value)
        if isinstance(value, _Class) and value.configuration:
            classes[name] = value
    return classes


def _record(name: str, found: _Binding | _Unknown | None, module: _Module, values: dict[str, ReadSetting],
            unknown: dict[str, str], open_lists: dict[str, str]) -> None:
    if found is None:
        star = module.scope.names.get("*")
        unknown[name] = star.value.reason if star is not None and isinstance(star.value, _Unknown) else (
            "not set in the settings")
        return
    if isinstance(found, _Unknown):
        unknown[name] = found.reason
        return
    value = found.value
    if name == "DATABASES":
        value = _env_defaults(value)
    if isinstance(value, _Partial):
        if name != "INSTALLED_APPS" or not _well_formed(name, value.items):
            unknown[name] = value.reason
            return
        open_lists[name] = value.reason
        unknown[name] = f"may hold more entries than those read: {value.reason}"
        values[name] = ReadSetting(name, value.items, found.path, found.line)
        return
    if isinstance(value, _Unknown):
        unknown[name] = value.reason
    elif not _is_literal(value):
        shown = f"`{value.path}`" if isinstance(value, _Known) else "something"
        unknown[name] = f"set to {shown}, not a literal, at {os.path.basename(found.path)}:{found.line}"
    elif not _well_formed(name, value):
        unknown[name] = f"not of the expected form at {os.path.basename(found.path)}:{found.line}"
    else:
        values[name] = ReadSetting(name, _frozen(value), found.path, found.line)
        default = value.get("default") if isinstance(value, dict) else None
        engine = default.get("ENGINE") if isinstance(default, dict) else default
        if name == "DATABASES" and isinstance(engine, _Unknown):
            unknown[name] = f"the default database's `ENGINE` is not read: {engine.reason}"


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
    """Dicts read-only (a ``Mapping`` that is a plain dict copy is enough: ``Settings`` is not hashed), without
    what is not read."""
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items() if _is_literal(item)}
    if isinstance(value, tuple):
        return tuple(_frozen(item) if _is_literal(item) else None for item in value)
    return value


# Settings for a project -------------------------------------------------------------------------------------------

# Per process, revalidated on each use (the stat of every file read), so an editor's long-lived process sees an
# edit of the settings: (root, option, DJANGO_SETTINGS_MODULE, DJANGO_CONFIGURATION) -> (the files' stamps, what
# was read).
_READS: Memo[tuple[str, str | None, str | None, str | None], tuple[tuple[Stamp, ...], DjangoSettings]] = Memo(8)


def _cached_read(root: str, option: str | None) -> DjangoSettings:
    def read() -> tuple[tuple[Stamp, ...], DjangoSettings]:
        found = read_django_settings(root, option)
        return _stamps(found), found

    # The files it was read from, and those that could name another module (a new manage.py, pyproject.toml).
    key = (root, option, os.environ.get(SETTINGS_VARIABLE), os.environ.get(CONFIGURATION_VARIABLE))
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

"""Module-level names: which dotted path each import of a migration stands for, and the classes of the project's
own modules that a ``Migration`` class may inherit from."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from flake8_django_migrations.facts.model import Site
from flake8_django_migrations.files import Stamp, looked_up, read_regular_file, stat_stamp
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.source import module_level_statements, parse_source


class Imports:
    """Module-level import bindings: local name → dotted path."""

    __slots__ = ("bindings", "sites")

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.sites: dict[str, Site] = {}

    @classmethod
    def collect(cls, tree: ast.Module, app_label: str) -> Imports:
        imports = cls()
        bindings, sites = imports.bindings, imports.sites
        body = tree.body
        blocks = any(type(node) is ast.If or type(node) is ast.Try for node in body)
        for node in module_level_statements(body) if blocks else body:
            kind = type(node)
            if kind is ast.Import:
                assert isinstance(node, ast.Import)
                site = Site(node.lineno, node.col_offset)  # one per statement: its names share it
                for alias in node.names:
                    if alias.asname:
                        bindings[alias.asname] = alias.name
                        sites[alias.asname] = site
                    else:
                        top = alias.name.split(".")[0]
                        bindings[top] = top
                        sites[top] = site
                        # `import app.models` binds `app`, but what the file uses is the models module.
                        sites.setdefault(alias.name, site)
            elif kind is ast.ImportFrom:
                assert isinstance(node, ast.ImportFrom)
                module = _absolute_module(node, app_label)
                site = Site(node.lineno, node.col_offset)
                for alias in node.names:
                    if alias.name != "*":
                        name = alias.asname or alias.name
                        bindings[name] = f"{module}.{alias.name}"
                        sites[name] = site
        return imports

    def resolve(self, node: ast.expr, shadowed: frozenset[str] = frozenset()) -> str | None:
        """The dotted path an expression names, with its first name resolved through the imports."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            # `models.CharField`, `migrations.AddField`: most of what is resolved, without building a list.
            name = node.value.id
            head = name if name in shadowed else self.bindings.get(name, name)
            return sys.intern(f"{head}.{node.attr}")
        written = dotted_names(node)
        if written is None:
            return None
        head = written[0] if written[0] in shadowed else self.bindings.get(written[0], written[0])
        # One string per path, however often migrations name it ("django.db.models.CharField"): the facts of a big
        # project hold thousands of each, and a cache shard then stores it once.
        return sys.intern(".".join([head, *written[1:]]))


def dotted_names(node: ast.expr) -> list[str] | None:
    """``a.b.C`` as written: ``["a", "b", "C"]``; None when the expression is anything but names and attributes
    (a call, a subscript)."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(attributes)]


def _absolute_module(node: ast.ImportFrom, app_label: str) -> str:
    if not node.level:
        return node.module or ""
    # A migration lives in <app>/migrations/: one dot is the migrations package, two the app.
    package = [app_label, "migrations"][: max(0, 3 - node.level)] if node.level <= 2 else []
    return ".".join([*package, *([node.module] if node.module else [])])


# Classes of the project's own modules -------------------------------------------------------------------------
#
# A migration may subclass a base class of its project (``class Migration(CheckedMigration)``) whose attributes it
# inherits. The base is found the way the project's code would find it, but statically: relative imports from the
# importing file's folder, absolute ones by walking up from it to the folder that holds the top-level package. No
# ``sys.path`` (flake8's environment is not the project's) and nothing is imported.

_MAX_MODULE_HOPS: Final = 10  # re-exports and bases in other modules followed before the answer is unknown
_MODULE_CACHE_SIZE: Final = 128


# Parsed modules per file, revalidated by a stat on every use: thousands of migrations share one base module.
_MODULES: Final[Memo[str, tuple[Stamp, ModuleNames | None]]] = Memo(_MODULE_CACHE_SIZE)


@dataclass(frozen=True, slots=True, eq=False)
class ClassDefinition:
    """A class defined at module level: its statement and the module it is in, for resolving its bases."""

    module: ModuleNames
    node: ast.ClassDef

    @property
    def key(self) -> tuple[str, str]:
        return (self.module.path or "", self.node.name)


@dataclass(frozen=True, slots=True, eq=False)
class ModuleNames:
    """What a module binds at import time, as far as following a class's bases needs it.

    A name bound once, unconditionally, by a ``class`` or an import is known; a name bound more than once, inside
    ``if``/``try``, or by anything else (an assignment, a function, a loop) is in ``ambiguous``: what it stands for
    depends on how the code runs, so bases written with it stay unknown.
    """

    path: str | None  # None: the module being checked, whose other files are not to be read
    classes: Mapping[str, ast.ClassDef]
    imports: Mapping[str, tuple[int, str]]  # local name -> (relative import level, dotted target)
    ambiguous: frozenset[str]
    star_import: bool  # `from x import *`: any unbound name may come from it
    assignments: Mapping[str, tuple[tuple[ast.expr, bool], ...]] = field(default_factory=dict)
    # ^ names bound only by plain `name = value` statements: each value, and whether it is inside if/try

    @classmethod
    def read(cls, tree: ast.Module, path: str | None) -> ModuleNames:
        bindings: dict[str, list[tuple[ast.stmt, bool]]] = {}
        star = False
        body = tree.body
        blocks = False
        for statement in body:
            if type(statement) in _BLOCK_STATEMENTS:
                blocks = True
                break
        for statement, conditional in _module_statements(body, False) if blocks else ((s, False) for s in body):
            kind = type(statement)
            if kind is ast.ImportFrom:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    if alias.name == "*":
                        star = True
                    else:
                        bindings.setdefault(alias.asname or alias.name, []).append((statement, conditional))
            elif kind is ast.ClassDef or kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                assert isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                bindings.setdefault(statement.name, []).append((statement, conditional))
            else:
                for name in _bound_names(statement):
                    bindings.setdefault(name, []).append((statement, conditional))
        classes: dict[str, ast.ClassDef] = {}
        imports: dict[str, tuple[int, str]] = {}
        assignments: dict[str, tuple[tuple[ast.expr, bool], ...]] = {}
        ambiguous: set[str] = set()
        for name, found in bindings.items():
            statement, conditional = found[0]
            if len(found) == 1 and not conditional:
                # Nearly every name: bound once, by an import or a class. The general case's answers, sooner.
                kind = type(statement)
                if kind is ast.ImportFrom:
                    assert isinstance(statement, ast.ImportFrom)
                    imports[name] = _import_target(statement, name)
                    continue
                if kind is ast.ClassDef:
                    assert isinstance(statement, ast.ClassDef)
                    classes[name] = statement
                    continue
            values = [(_plain_value(statement), conditional) for statement, conditional in found]
            if all(value is not None for value, _ in values):
                assignments[name] = tuple((value, conditional) for value, conditional in values if value is not None)
            if all(not inside and _imports_package(binding, name) for binding, inside in found):
                imports[name] = (0, name)  # `import django.db.models.deletion`, `import django.utils.timezone`
            elif conditional or len(found) > 1:
                ambiguous.add(name)
            elif isinstance(statement, ast.ClassDef):
                classes[name] = statement
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                imports[name] = _import_target(statement, name)
            else:
                ambiguous.add(name)
        return cls(path, classes, imports, frozenset(ambiguous), star, assignments)

    def class_named(self, name: str) -> ClassDefinition | Origin | None:
        """What the module-level ``name`` is: a class of this module, the origin of an imported name, or None
        when that cannot be known."""
        if name in self.classes:
            return ClassDefinition(self, self.classes[name])
        if name in self.imports:
            level, dotted = self.imports[name]
            return Origin(self.path, level, dotted)
        return None

    def resolve_base(self, node: ast.expr) -> ClassDefinition | Origin | None:
        """What a base class as written here (``Base``, ``module.Base``) stands for, or None when unknown."""
        written = dotted_names(node)
        if written is None:
            return None  # a call, a subscript: computed when the class statement runs
        name, *attributes = written
        if name in self.imports:
            level, dotted = self.imports[name]
            return Origin(self.path, level, ".".join([dotted, *attributes]))
        if attributes:
            return None  # an attribute of a class or of a value: not followed
        if name in self.classes:
            return ClassDefinition(self, self.classes[name])
        if name == "object" and not self.star_import and name not in self.ambiguous:
            return Origin(None, 0, "builtins.object")
        return None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an imported name comes from: ``(level, dotted)`` as written in the module at ``importer``."""

    importer: str | None  # the file that imports it; None when no file may be read
    level: int  # 0 for an absolute import, else the number of leading dots
    dotted: str  # the module path and the name, e.g. "sentry.new_migrations.migrations.CheckedMigration"


class ProjectClasses:
    """Finds the class an ``Origin`` names by reading the project's files. Records whether it had to."""

    def __init__(self, read_files: bool) -> None:
        self.read_files = read_files
        self.looked_outside = False  # True once a name was looked for in another module

    def find(self, origin: Origin, hops: int = 0) -> ClassDefinition | None:
        """The class ``origin`` names when it is defined in a module of the project, else None."""
        self.looked_outside = True
        if not self.read_files or origin.importer is None or hops > _MAX_MODULE_HOPS:
            return None
        module_name, _, name = origin.dotted.rpartition(".")
        path = locate_module(module_name, origin.level, os.path.dirname(os.path.abspath(origin.importer)))
        module = read_module(path) if path is not None else None
        if module is None or not name:
            return None
        found = module.class_named(name)
        if isinstance(found, Origin):  # re-exported, e.g. by a package's __init__.py
            return self.find(found, hops + 1)
        return found


def locate_module(module: str, level: int, folder: str) -> str | None:
    """The file of the dotted ``module`` imported from a file in ``folder`` with ``level`` leading dots, or None.

    Relative: ``level - 1`` folders up from ``folder``. Absolute: the first ancestor of ``folder`` (itself included)
    below which the module's file exists. Whatever exists at a candidate's name counts, a FIFO or a link too:
    reading it then gives nothing, rather than a module further up that the project would not import.
    """
    relative = os.path.join(*module.split(".")) if module else ""
    if level:
        for _ in range(level - 1):
            folder = os.path.dirname(folder)
        return _module_file(folder, relative)
    if not relative:
        return None
    while True:
        found = _module_file(folder, relative)
        if found is not None:
            return found
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _module_file(folder: str, relative: str) -> str | None:
    package = os.path.join(folder, relative, "__init__.py") if relative else os.path.join(folder, "__init__.py")
    candidates = (os.path.join(folder, relative + ".py"), package) if relative else (package,)
    for candidate in candidates:
        if os.path.lexists(looked_up(candidate)) and not os.path.isdir(candidate):
            return candidate
    return None


def read_module(path: str) -> ModuleNames | None:
    """The module-level names of the file at ``path``; None when it cannot be read or parsed. Never raises."""
    stamp = stat_stamp(looked_up(path))  # also when served from memory: facts kept on disk watch the file
    if stamp is None:
        return None

    def read() -> tuple[Stamp, ModuleNames | None]:
        data = read_regular_file(path)  # never a FIFO or device: reading one could block forever
        if data is None:
            return stamp, None
        try:
            return stamp, ModuleNames.read(parse_source(data, path), path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return stamp, None

    return _MODULES.get(path, read, lambda kept: kept[0] == stamp)[1]


def clear_module_cache() -> None:
    """Forget the parsed modules (for tests and long-running processes)."""
    _MODULES.clear()


# The statements whose blocks ``_module_statements`` looks into; a module without one is its body as it is.
_BLOCK_STATEMENTS: Final = frozenset({ast.If, ast.Try, ast.With})


def _module_statements(body: Iterable[ast.stmt], conditional: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """``module_level_statements`` with whether each one runs only on some paths (inside ``if``/``try``)."""
    for node in body:
        yield node, conditional
        if isinstance(node, ast.If):
            yield from _module_statements([*node.body, *node.orelse], True)
        elif isinstance(node, ast.Try):
            blocks = [*node.body, *(s for handler in node.handlers for s in handler.body), *node.orelse]
            yield from _module_statements(blocks, True)
            yield from _module_statements(node.finalbody, conditional)
        elif isinstance(node, ast.With):
            yield from _module_statements(node.body, conditional)


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    """The module-level names a statement binds (not those of the blocks inside an ``if``/``try``)."""
    if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        yield statement.name
    elif isinstance(statement, ast.Import):
        for alias in statement.names:
            yield alias.asname or alias.name.split(".")[0]
    elif isinstance(statement, ast.ImportFrom):
        for alias in statement.names:
            if alias.name != "*":
                yield alias.asname or alias.name
    elif isinstance(statement, (ast.If, ast.Try)):
        return
    else:
        yield from changed_names(statement)


def changed_names(statement: ast.stmt) -> Iterator[str]:
    """The names whose value is no longer their assignment after ``statement``: every name stored or deleted
    anywhere in it (assignments, loops, ``with ... as``, walrus; names local to a comprehension too, which only makes
    more names unknown), and the receiver of a method it calls as a statement (``extra.append(op)``)."""
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            yield func.value.id


def _imports_package(statement: ast.stmt, name: str) -> bool:
    """Whether ``statement`` is ``import name.sub`` (or ``import name``): each binds ``name`` to the same package."""
    return isinstance(statement, ast.Import) and any(
        alias.asname is None and alias.name.split(".")[0] == name for alias in statement.names
    )


def _plain_value(statement: ast.stmt) -> ast.expr | None:
    """The value of ``name = value`` (or ``a = b = value``, ``name: T = value``); None for any other binding, such as
    unpacking, where the name gets only a part of the value."""
    if isinstance(statement, ast.Assign) and all(isinstance(target, ast.Name) for target in statement.targets):
        return statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.value
    return None


def _import_target(statement: ast.Import | ast.ImportFrom, name: str) -> tuple[int, str]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname == name:
                return 0, alias.name
        return 0, name  # `import a.b` binds `a`
    for alias in statement.names:
        if (alias.asname or alias.name) == name:
            return statement.level or 0, ".".join(part for part in (statement.module, alias.name) if part)
    return statement.level or 0, name

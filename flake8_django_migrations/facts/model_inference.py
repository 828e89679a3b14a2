"""Decide statically whether a name in a project's models module is a Django model class.

``facts`` needs this for one case only: a migration imports a name from an app's models module and merely calls
it (``Thing(...)``). That is a live model when ``Thing`` is a model, and harmless when it is a custom field, a
manager or a helper (``makemigrations`` itself writes ``catalog.models.MoneyField()``).

The answer never comes from importing user code or from the process's ``sys.path`` for project modules: the
linter runs in flake8's environment, where neither the project nor Django is usually importable. Instead:

* project modules are found by walking up from the file that imports them (``D/a/b.py``, ``D/a/b/__init__.py``
  for every ancestor ``D``), then from the installed packages astroid can locate without importing them;
* each file is parsed with astroid, but without astroid's post-build step, so nothing lands in astroid's
  global module cache and ``from x import *`` does not make astroid load ``x`` through ``sys.path``;
* names are followed through the module's own bindings (classes, functions, imports, ``A = B`` aliases,
  star imports) and class bases recursively, across modules;
* Django's own classes are recognised by their dotted path (``django.db.models.Model``, ``models.Field``,
  ``contrib.auth``'s abstract users...), so the answer does not depend on Django being installed.

astroid's inference is deliberately not used: it resolves ``from core.models import X`` through ``sys.path`` of
flake8's process, which finds nothing, or worse an unrelated installed ``core`` package.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import astroid  # type: ignore[import-untyped]
from astroid import builder as astroid_builder
from astroid import modutils, nodes

from flake8_django_migrations.facts.names import locate_module
from flake8_django_migrations.files import (
    Stamp,
    looked_up,
    looked_up_in_interpreter,
    read_regular_file,
    recording_lookups,
    stamps_of_lookups,
    stamps_unchanged,
    stat_stamp,
)
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.source import decode_source

__all__ = ["CACHE_SIZE", "clear_cache", "is_model_class"]

Verdict = bool | None  # True: a model class; False: certainly not one; None: cannot tell

# How many module hops (a base imported from another module, a re-export) are followed before giving up.
_MAX_DEPTH: Final = 10

# Results per (file, its stat stamp, name). An entry also records the stamp of every file its answer was read
# from, and is not served once any of them changed: a model's verdict depends on its bases' modules too. A module
# file created later in a directory searched earlier is not noticed; flake8 runs are short-lived, so that is
# accepted.
CACHE_SIZE: Final = 256
_CacheKey = tuple[str, Stamp, str]
_CACHE: Final[Memo[_CacheKey, tuple[Verdict, tuple[tuple[str, Stamp], ...] | None, tuple[str, ...]]]] = Memo(
    CACHE_SIZE
)

# In these modules (and their submodules) everything but ``Model`` is a field, manager, expression, index...
_DJANGO_MODELS_PACKAGES: Final = ("django.db.models", "django.contrib.gis.db.models")
# contrib.postgres defines no model at all: fields, indexes, constraints, search, functions.
_DJANGO_NO_MODEL_PACKAGES: Final = ("django.contrib.postgres",)
# The contrib classes projects subclass or instantiate, so that they resolve without Django installed.
_DJANGO_CONTRIB: Final[dict[str, dict[str, bool]]] = {
    "django.contrib.auth.models": {
        "AbstractBaseUser": True, "AbstractUser": True, "PermissionsMixin": True, "User": True, "Group": True,
        "Permission": True, "BaseUserManager": False, "UserManager": False, "GroupManager": False,
        "PermissionManager": False, "AnonymousUser": False,
    },
    "django.contrib.auth.base_user": {"AbstractBaseUser": True, "BaseUserManager": False},
    "django.contrib.contenttypes.models": {"ContentType": True, "ContentTypeManager": False},
    "django.contrib.contenttypes.fields": {
        "GenericForeignKey": False, "GenericRelation": False, "GenericRel": False,
    },
    "django.contrib.sites.models": {"Site": True, "SiteManager": False},
    "django.contrib.sessions.base_session": {"AbstractBaseSession": True, "BaseSessionManager": False},
    "django.contrib.sessions.models": {"Session": True, "SessionManager": False},
    "django.contrib.admin.models": {"LogEntry": True, "LogEntryManager": False},
    "django.contrib.flatpages.models": {"FlatPage": True},
    "django.contrib.redirects.models": {"Redirect": True},
}
# ``Manager.from_queryset(QS)`` makes a subclass of the manager, ``QS.as_manager()`` a manager of the queryset:
# either way the result is a model class exactly when the receiver is (i.e. never, once the receiver resolves).
_DERIVING_METHODS: Final = frozenset({"from_queryset", "as_manager"})


def is_model_class(module: str, name: str, migration_path: str) -> Verdict:
    """Whether ``name`` in the dotted ``module`` is a Django model class, as seen from ``migration_path``.

    True when ``django.db.models.Model`` is among its ancestors, False when it certainly is not a model (a
    function, a field, a manager, a class whose bases all resolve to non-models), None when it cannot be told
    (module or name not found, a base that does not resolve, a syntax error). Never raises.
    """
    try:
        if not module or not name:
            return None
        django = _django_verdict(module, name)
        if django is not None:
            return django
        start = os.path.dirname(os.path.abspath(migration_path))
        path = _locate(module, start)
        if path is None:
            return None
        stamp = stat_stamp(path)
        if stamp is None:
            return None

        def resolve() -> tuple[Verdict, tuple[tuple[str, Stamp], ...] | None, tuple[str, ...]]:
            with recording_lookups() as looked:
                verdict = _Resolver().name_in_file(path, module, name, 0)
            return verdict, stamps_of_lookups(looked), tuple(looked)

        verdict, _, looked = _CACHE.get((path, stamp, name), resolve, _unchanged)
        for seen in looked:
            looked_up(seen)  # served from memory: facts kept on disk still learn what the answer depends on
        return verdict
    except Exception:  # astroid and the file system raise many types; an unknown answer is always safe
        return None


def clear_cache() -> None:
    """Forget every cached answer (for tests and long-running processes that want a fresh start)."""
    _CACHE.clear()


def _unchanged(entry: tuple[Verdict, tuple[tuple[str, Stamp], ...] | None, tuple[str, ...]]) -> bool:
    """Whether nothing the answer was worked out from changed: every file read and every place a module was
    looked for (a file added there would be found instead)."""
    return entry[1] is not None and stamps_unchanged(entry[1])


def _django_verdict(module: str, name: str) -> Verdict:
    """The verdict for one of Django's own names, or None when this table does not know it."""
    if any(module == package or module.startswith(package + ".") for package in _DJANGO_MODELS_PACKAGES):
        return name == "Model"
    if any(module == package or module.startswith(package + ".") for package in _DJANGO_NO_MODEL_PACKAGES):
        return False
    return _DJANGO_CONTRIB.get(module, {}).get(name)


def _locate(module: str, start: str) -> str | None:
    """The source file of ``module``: in ``start`` or one of its ancestors first (as the base-class reader finds
    modules), then among installed packages. Something at the module's name that is not a file (a FIFO) is read
    as nothing rather than passed over for a module the project would not import."""
    found = locate_module(module, 0, start)
    if found is not None:
        return found if os.path.isfile(found) else None
    return _locate_installed(module)


def _locate_installed(module: str) -> str | None:
    """Where astroid finds ``module`` on ``sys.path`` without importing it: a third-party base such as
    ``model_utils.models.TimeStampedModel`` resolves when flake8 runs in the project's environment."""
    looked_up_in_interpreter()
    try:
        location = modutils.file_from_modpath(module.split("."))
    except Exception:  # ImportError when absent; astroid's finders may raise others on odd entries
        return None
    if not isinstance(location, str):
        return None
    if os.path.isdir(location):
        location = os.path.join(location, "__init__.py")
    return location if location.endswith(".py") and os.path.isfile(looked_up(location)) else None


@dataclass(frozen=True)
class _Module:
    """A parsed module and its module-level bindings, in the order that decides what a name means."""

    path: str
    name: str  # dotted
    package: str  # what a relative import of level 1 is relative to
    # Each name's candidate bindings: one after an unconditional statement, several when it is bound in
    # if/try/with blocks and which one runs cannot be known.
    bindings: dict[str, list[Any]] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)  # absolute modules, in source order

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path)

    def absolute(self, node: Any) -> str | None:
        """The absolute module an ``ImportFrom`` node imports from, None when it climbs above the top."""
        level = node.level or 0
        if not level:
            return str(node.modname)
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
        if node.modname:
            parts.append(node.modname)
        return ".".join(parts) or None


class _Resolver:
    """One question's worth of state: parsed files, answers so far and the names in progress."""

    def __init__(self) -> None:
        self.modules: dict[str, _Module | None] = {}
        self.answers: dict[tuple[str, str], Verdict] = {}
        self.in_progress: set[tuple[str, str]] = set()

    def name_in_module(self, module: str, name: str, start: str, depth: int) -> Verdict:
        """``name`` looked up in the dotted ``module``, searched for from the directory ``start``."""
        django = _django_verdict(module, name)
        if django is not None:
            return django
        if depth > _MAX_DEPTH:
            return None
        path = _locate(module, start)
        return None if path is None else self.name_in_file(path, module, name, depth)

    def name_in_file(self, path: str, module: str, name: str, depth: int) -> Verdict:
        key = (path, name)
        if key in self.answers:
            return self.answers[key]
        if key in self.in_progress:
            return None  # a name defined in terms of itself, e.g. two modules star-importing each other
        parsed = self._parse(path, module)
        if parsed is None:
            return None
        self.in_progress.add(key)
        try:
            verdict = self._name(parsed, name, depth)
        finally:
            self.in_progress.discard(key)
        self.answers[key] = verdict
        return verdict

    def _parse(self, path: str, module: str) -> _Module | None:
        if path not in self.modules:
            self.modules[path] = _read_module(path, module)
        return self.modules[path]

    def _name(self, module: _Module, name: str, depth: int) -> Verdict:
        candidates = module.bindings.get(name)
        if candidates is None:
            return self._unbound(module, name, depth)
        return _agree(self._binding(module, name, node, depth) for node in candidates)

    def _unbound(self, module: _Module, name: str, depth: int) -> Verdict:
        for star in module.star_imports:
            if self._star_binds(star, module, name, depth):
                return self.name_in_module(star, name, module.directory, depth + 1)
        if hasattr(builtins, name):
            return False  # object, dict, Exception...: builtins are never models
        return None

    def _star_binds(self, star: str, module: _Module, name: str, depth: int) -> bool:
        """Whether ``from star import *`` can bind ``name``: Django's names are known, others must be found."""
        if _django_verdict(star, name) is not None:
            return True
        path = _locate(star, module.directory)
        parsed = None if path is None or depth + 1 > _MAX_DEPTH else self._parse(path, star)
        return parsed is not None and (name in parsed.bindings or bool(parsed.star_imports))

    def _binding(self, module: _Module, name: str, node: Any, depth: int) -> Verdict:
        if isinstance(node, nodes.ClassDef):
            return self._class(module, node, depth)
        if isinstance(node, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return False
        if isinstance(node, nodes.ImportFrom):
            source = module.absolute(node)
            original = next((original for original, alias in node.names if (alias or original) == name), None)
            if source is None or original is None:
                return None
            return self.name_in_module(source, original, module.directory, depth + 1)
        if isinstance(node, (nodes.Assign, nodes.AnnAssign)) and node.value is not None:
            return self._expression(module, node.value, depth)
        return None  # a module bound by `import`, a loop variable, a `with ... as` target: not a class we know

    def _class(self, module: _Module, node: Any, depth: int) -> Verdict:
        if not node.bases:
            return False
        verdicts = [self._expression(module, base, depth) for base in node.bases]
        if any(verdict is True for verdict in verdicts):
            return True
        return False if all(verdict is False for verdict in verdicts) else None

    def _expression(self, module: _Module, node: Any, depth: int) -> Verdict:
        """What a class base or an alias's value is: a model class, certainly not one, or unknown."""
        if isinstance(node, nodes.Subscript):  # Generic[T], a parametrised base
            return self._expression(module, node.value, depth)
        if isinstance(node, nodes.Call):
            func = node.func
            if isinstance(func, nodes.Attribute) and func.attrname in _DERIVING_METHODS:
                return False if self._expression(module, func.expr, depth) is False else None
            return None
        if isinstance(node, (nodes.Const, nodes.Lambda, nodes.List, nodes.Tuple, nodes.Dict, nodes.Set)):
            return False
        if isinstance(node, nodes.Name):
            return self.name_in_file(module.path, module.name, node.name, depth)
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, *attributes = dotted
        target = self._qualify(module, head, depth)
        if target is None:
            return None
        source, _, name = ".".join([target, *attributes]).rpartition(".")
        return self.name_in_module(source, name, module.directory, depth + 1)

    def _qualify(self, module: _Module, head: str, depth: int) -> str | None:
        """The dotted path the first name of ``head.attr...`` stands for, when it names a module or import."""
        candidates = module.bindings.get(head, [])
        targets: set[str] = set()
        for node in candidates:
            if isinstance(node, nodes.Import):
                for imported, alias in node.names:
                    if alias == head:
                        targets.add(imported)
                    elif alias is None and imported.split(".")[0] == head:
                        targets.add(head)  # `import django.db.models` binds `django`
            elif isinstance(node, nodes.ImportFrom):
                source = module.absolute(node)
                original = next((original for original, alias in node.names if (alias or original) == head), None)
                if source is None or original is None:
                    return None
                targets.add(f"{source}.{original}")
            else:
                return None  # `Outer.Inner` or an attribute of a local object: not followed
        if not candidates:
            star = next((s for s in module.star_imports if self._star_binds(s, module, head, depth)), None)
            return None if star is None else f"{star}.{head}"
        return targets.pop() if len(targets) == 1 else None


def _agree(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict when every candidate binding gives the same, otherwise unknown."""
    distinct = set(verdicts)
    return distinct.pop() if len(distinct) == 1 else None


def _dotted(node: Any) -> list[str] | None:
    """``a.b.C`` as ``["a", "b", "C"]``; None for anything but names and attributes."""
    attributes: list[str] = []
    while isinstance(node, nodes.Attribute):
        attributes.append(node.attrname)
        node = node.expr
    if not isinstance(node, nodes.Name):
        return None
    return [node.name, *reversed(attributes)]


def _read_module(path: str, name: str) -> _Module | None:
    """Parse a file and collect its module-level bindings; None when it cannot be read or parsed."""
    data = read_regular_file(path)  # never a FIFO or device: reading one could block forever
    if data is None:
        return None
    try:
        tree = _parse(decode_source(data), name, path)
    except Exception:  # OSError, UnicodeDecodeError, SyntaxError, AstroidSyntaxError...
        return None
    is_package = os.path.basename(path) == "__init__.py"
    module = _Module(path, name, name if is_package else name.rpartition(".")[0])
    _collect(module, tree.body, conditional=False)
    return module


def _parse(source: str, name: str, path: str) -> Any:
    """An astroid tree, built without the post-build step of ``astroid.parse``.

    That step stores the module in astroid's process-wide cache under ``name`` (two projects in one process
    would share an entry) and resolves ``from x import *`` through ``sys.path``, parsing whatever it finds.
    ``_data_build`` is private but has had this signature since astroid 2; the public function is the fallback.
    """
    builder = astroid_builder.AstroidBuilder(astroid.MANAGER, apply_transforms=False)
    data_build = getattr(builder, "_data_build", None)
    if data_build is not None:
        try:
            tree, _ = data_build(source, name, path)
            return tree
        except TypeError:
            pass
    return astroid.parse(source, name, path, apply_transforms=False)


def _collect(module: _Module, body: Iterable[Any], conditional: bool) -> None:
    """Record the bindings of module-level statements; those in if/try/with blocks may or may not run."""
    for node in body:
        for name, binding in _bindings(node, module):
            if conditional:
                module.bindings.setdefault(name, []).append(binding)
            else:
                module.bindings[name] = [binding]
        for block in _blocks(node):
            _collect(module, block, conditional=True)


def _bindings(node: Any, module: _Module) -> Iterator[tuple[str, Any]]:
    """The names a statement binds, each with the node that tells what it is (None: something not followed)."""
    if isinstance(node, (nodes.ClassDef, nodes.FunctionDef, nodes.AsyncFunctionDef)):
        yield node.name, node
    elif isinstance(node, nodes.Import):
        for imported, alias in node.names:
            yield alias or imported.split(".")[0], node
    elif isinstance(node, nodes.ImportFrom):
        for imported, alias in node.names:
            if imported != "*":
                yield alias or imported, node
            elif (source := module.absolute(node)) is not None:
                module.star_imports.append(source)
    elif isinstance(node, (nodes.Assign, nodes.AnnAssign)):
        targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
        for target in targets:
            if isinstance(target, nodes.AssignName):
                yield target.name, node
            else:  # `A, B = ...`: bound to something not followed
                for inner in target.nodes_of_class(nodes.AssignName):
                    yield inner.name, None
    else:
        # Loop and `with ... as` targets, `x += ...`: bound to values that are not followed.
        if isinstance(node, (nodes.For, nodes.AugAssign)):
            targets = [node.target]
        elif isinstance(node, nodes.With):
            targets = [names for _, names in node.items if names is not None]
        else:
            targets = []
        for target in targets:
            for inner in target.nodes_of_class(nodes.AssignName):
                yield inner.name, None


def _blocks(node: Any) -> Iterator[list[Any]]:
    if isinstance(node, nodes.If):
        yield node.body
        yield node.orelse
    elif isinstance(node, (nodes.Try, nodes.TryStar)):
        yield node.body
        for handler in node.handlers:
            yield handler.body
        yield node.orelse
        yield node.finalbody
    elif isinstance(node, (nodes.For, nodes.While)):
        yield node.body
        yield node.orelse
    elif isinstance(node, nodes.With):
        yield node.body

"""Which module holds a project's Django settings: every place that names one (``SettingsCandidate``), most
authoritative first, and the folders a module name is looked up in. Nothing is imported or executed.

Candidates, first that resolves to a file of the project wins: the ``djm-settings`` option, the
``DJANGO_SETTINGS_MODULE`` environment variable, ``manage.py``'s ``os.environ.setdefault(...)``, pytest-django's
``DJANGO_SETTINGS_MODULE`` in ``pyproject.toml``, ``pytest.ini``, ``setup.cfg`` or ``tox.ini``.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.source import decode_source

__all__ = [
    "SETTINGS_VARIABLE",
    "SettingsCandidate",
    "SettingsSearch",
    "find_module_file",
    "find_settings_candidates",
    "parse_python_file",
]

SETTINGS_VARIABLE: Final = "DJANGO_SETTINGS_MODULE"
_SOURCE_LIMIT: Final = 4 << 20  # a settings module of more than 4 MiB is not read
_CONFIG_LIMIT: Final = 1 << 20
DOTTED_NAME: Final = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True, slots=True)
class SettingsCandidate:
    """One place that names a settings module."""

    module: str  # dotted, or the path of a ``.py`` file (from the option)
    origin: str  # where it was named: "djm-settings", "manage.py:9", "DJANGO_SETTINGS_MODULE (environment)", ...
    # django-configurations: the ``Configuration`` subclass of the module that ``DJANGO_CONFIGURATION`` names.
    configuration: str | None = None


@dataclass(frozen=True, slots=True)
class SettingsSearch:
    candidates: tuple[SettingsCandidate, ...]  # most authoritative first
    # Folders a module name is looked up in, as ``sys.path`` would hold them when Django runs: manage.py's folder,
    # the project root, ``src``, pytest's ``pythonpath``.
    import_roots: tuple[str, ...]
    # The files that named a candidate or could name one once they exist (a new manage.py): to notice a change.
    watched: tuple[str, ...]


def find_settings_candidates(root: str, option: str | None, environ: Mapping[str, str]) -> SettingsSearch:
    """Every place under ``root`` (absolute) that names the settings module, most authoritative first."""
    manage_py = _manage_py(root)
    pytest_module, pytest_paths = _pytest_options(root)
    import_roots = _import_roots(root, manage_py, pytest_paths)
    candidates = tuple(_candidates(root, option, environ, manage_py, pytest_module))
    names = ("manage.py", "pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")
    watched = tuple(dict.fromkeys([*(path for path in (manage_py,) if path),
                                   *(os.path.join(root, name) for name in names)]))
    return SettingsSearch(candidates, import_roots, watched)


def parse_python_file(path: str) -> ast.Module | None:
    """The module at ``path``, or None when it is not a readable regular file of valid Python."""
    data = read_regular_file(path, _SOURCE_LIMIT)
    if data is None:
        return None
    try:
        return ast.parse(decode_source(data), filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# Where it is named ------------------------------------------------------------------------------------------------


def find_module_file(module: str, roots: tuple[str, ...]) -> str | None:
    """The file of ``module`` below one of ``roots`` (``a/b.py`` or ``a/b/__init__.py``), or None."""
    if not DOTTED_NAME.match(module):
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


def _module_from_manage_py(path: str) -> tuple[str, int] | None:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`` (or ``os.environ[...] = "x"``) anywhere in the
    file, also inside ``main()``: the module and its line."""
    tree = parse_python_file(path)
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
) -> Iterator[SettingsCandidate]:
    """Most authoritative first."""
    if option:
        yield SettingsCandidate(option, "djm-settings")
    if environ.get(SETTINGS_VARIABLE):
        yield SettingsCandidate(environ[SETTINGS_VARIABLE], f"{SETTINGS_VARIABLE} (environment)")
    if manage_py:
        found = _module_from_manage_py(manage_py)
        if found:
            yield SettingsCandidate(found[0], f"{os.path.relpath(manage_py, root)}:{found[1]}")
    if pytest_module:
        yield SettingsCandidate(*pytest_module)

"""Find the project root and every migration package below it, with each app's label, without importing anything.

Django finds migrations through ``INSTALLED_APPS``; we have no settings, so we walk the tree instead and read what
Django would read: ``<app>/migrations/__init__.py`` makes a package, an ``AppConfig``'s ``label`` names the app,
``MIGRATION_MODULES`` moves its migrations elsewhere. What cannot be told apart statically (two folders claiming
one label) is left out of the graph rather than guessed.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import is_migration_module_name, module_level_statements
from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.settings import Settings

__all__ = [
    "ROOT_MARKERS",
    "AppMigrations",
    "Discovery",
    "discover",
    "find_project_root",
    "read_app_label",
]

ROOT_MARKERS: Final = ("manage.py", "pyproject.toml", "setup.cfg", "tox.ini", ".git")
MAX_MIGRATION_FILE: Final = "max_migration.txt"
_SKIPPED_FOLDERS: Final = frozenset({"site-packages", "node_modules", "build", "dist", "__pycache__"})
# Django's MIGRATION_MODULES maps a label to None to turn its migrations off; strings are all we get from options.
_DISABLED_MODULES: Final = frozenset({"", "None", "none"})


@dataclass(frozen=True, slots=True)
class AppMigrations:
    label: str
    app_folder: str  # absolute
    folder: str  # the migrations package, absolute
    files: tuple[str, ...]  # absolute paths of the migration modules, sorted
    max_migration: str | None  # django-linear-migrations' max_migration.txt, when present


@dataclass(frozen=True, slots=True)
class Discovery:
    root: str
    apps: Mapping[str, AppMigrations]  # label -> its migrations
    ambiguous: frozenset[str]  # labels claimed by more than one folder: left out of the graph
    left_out: tuple[AppMigrations, ...] = ()  # the folders of those labels: their files still get per-file rules


def find_project_root(path: str, settings: Settings) -> str:
    """The nearest ancestor of ``path`` (itself when a folder) holding a project marker, as an absolute path."""
    if settings.project_root:
        return os.path.abspath(settings.project_root)
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return _root_above(start)


# flake8 asks once per file, and a project's files share a few folders: remember the answer per folder, bounded.
@functools.lru_cache(maxsize=1024)
def _root_above(start: str) -> str:
    current = start
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    # No marker anywhere: the folder holding the app is the best guess at a project for a lone migration.
    if os.path.basename(start) == "migrations":
        return os.path.dirname(os.path.dirname(start))
    return start


def discover(root: str, settings: Settings) -> Discovery:
    root = os.path.abspath(root)
    modules = {
        label: tuple(module.split("."))
        for label, module in settings.migration_modules.items()
        if module not in _DISABLED_MODULES
    }
    disabled = {label for label, module in settings.migration_modules.items() if module in _DISABLED_MODULES}
    label_overrides = _normalise_label_overrides(settings.app_labels, root)
    default_folders: list[tuple[str, str]] = []  # (app folder, migrations folder)
    moved_folders: dict[str, list[str]] = {}  # label -> candidate folders for its MIGRATION_MODULES entry
    for folder, names in _walk(root, settings.exclude):
        if "__init__.py" not in names:
            continue
        for label, parts in modules.items():
            if _ends_with(folder, parts):
                moved_folders.setdefault(label, []).append(folder)
        if os.path.basename(folder) == "migrations":
            default_folders.append((os.path.dirname(folder), folder))

    claims: dict[str, list[tuple[str, str]]] = {}
    for app_folder, folder in default_folders:
        label = (
            label_overrides.get(app_folder)
            or read_app_label(os.path.join(app_folder, "apps.py"))
            or os.path.basename(app_folder)
        )
        if label in disabled or label in modules:
            continue  # Django reads this app's migrations from elsewhere, or not at all
        claims.setdefault(label, []).append((app_folder, folder))
    for label, candidates in moved_folders.items():
        folder = min(candidates, key=lambda candidate: (len(candidate), candidate))
        claims.setdefault(label, []).append((os.path.dirname(folder), folder))

    apps: dict[str, AppMigrations] = {}
    ambiguous: set[str] = set()
    left_out: list[AppMigrations] = []
    for label, claimed in claims.items():
        if len(claimed) > 1:
            ambiguous.add(label)
            left_out.extend(_read_package(label, app_folder, folder) for app_folder, folder in claimed)
            continue
        app_folder, folder = claimed[0]
        apps[label] = _read_package(label, app_folder, folder)
    left_out.sort(key=lambda app: app.folder)
    return Discovery(root, dict(sorted(apps.items())), frozenset(ambiguous), tuple(left_out))


def read_app_label(apps_py: str) -> str | None:
    """The ``label`` of the ``AppConfig`` in ``apps.py``, read without importing it; None when there is none."""
    source = read_regular_file(apps_py)  # a FIFO or device named apps.py must not hang discovery
    if source is None:
        return None
    try:
        tree = ast.parse(source, filename=apps_py)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    labelled: list[tuple[bool, str]] = []
    for node in (n for n in module_level_statements(tree.body) if isinstance(n, ast.ClassDef)):
        if not any(_base_name(base).endswith("AppConfig") for base in node.bases):
            continue
        label: str | None = None
        default = False
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Constant):
                continue
            if target.id == "label" and isinstance(value.value, str):
                label = value.value
            elif target.id == "default" and value.value is True:
                default = True
        if label:
            labelled.append((default, label))
    if not labelled:
        return None
    # Django picks the config marked `default = True` when there are several; otherwise the only one.
    defaults = [label for is_default, label in labelled if is_default]
    return defaults[0] if defaults else labelled[0][1]


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _normalise_label_overrides(overrides: Mapping[str, str], root: str) -> dict[str, str]:
    """``--djm-app-label PATH=LABEL`` paths may be absolute, relative to the root or to the working folder."""
    normalised: dict[str, str] = {}
    for path, label in overrides.items():
        stripped = path.rstrip("/\\") or path
        if os.path.isabs(stripped):
            normalised[os.path.abspath(stripped)] = label
        else:
            normalised.setdefault(os.path.abspath(os.path.join(root, stripped)), label)
            normalised.setdefault(os.path.abspath(stripped), label)
    return normalised


def _ends_with(folder: str, parts: tuple[str, ...]) -> bool:
    folder_parts = folder.split(os.sep)
    return len(folder_parts) >= len(parts) and tuple(folder_parts[-len(parts):]) == parts


def _is_excluded(path: str, name: str, patterns: tuple[str, ...]) -> bool:
    """flake8's rule: a pattern matches the base name or the absolute path."""
    return any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(path, pattern) for pattern in patterns)


def _walk(root: str, exclude: tuple[str, ...]) -> Iterator[tuple[str, frozenset[str]]]:
    """Each folder below ``root`` that could hold code, with the names of its files.

    Iterative, so deep trees cannot hit the recursion limit; symlinked folders are not followed, so a link back
    up the tree cannot loop. A migrations package is not descended into: Django loads no subpackages of it.
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        files: set[str] = set()
        subfolders: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            subfolders.append(entry.name)
                        elif entry.is_file():
                            files.add(entry.name)
                    except OSError:
                        continue
        except OSError:
            continue
        if "pyvenv.cfg" in files and folder != root:
            continue
        yield folder, frozenset(files)
        if os.path.basename(folder) == "migrations" and "__init__.py" in files:
            continue
        for name in sorted(subfolders, reverse=True):
            path = os.path.join(folder, name)
            if name.startswith(".") or name in _SKIPPED_FOLDERS or name.endswith(".egg-info"):
                continue
            if exclude and _is_excluded(path, name, exclude):
                continue
            stack.append(path)


def _read_package(label: str, app_folder: str, folder: str) -> AppMigrations:
    files: list[str] = []
    max_migration: str | None = None
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_file = entry.is_file()
                except OSError:
                    continue
                if not is_file:
                    continue
                if is_migration_module_name(entry.name):
                    files.append(os.path.join(folder, entry.name))
                elif entry.name == MAX_MIGRATION_FILE:
                    max_migration = os.path.join(folder, entry.name)
    except OSError:
        pass
    return AppMigrations(label, app_folder, folder, tuple(sorted(files)), max_migration)

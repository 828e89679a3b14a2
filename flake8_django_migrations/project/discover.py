"""Find the project root and every migration package Django would load, with each app's label, without importing
anything.

Django finds migrations through ``INSTALLED_APPS``. When the project's settings give it as a literal
(``django_settings``), each entry is located as Django would import it, without importing: in the project first,
else in the interpreter the linter runs in (``importlib.util.find_spec`` on the top-level name only, then the file
system), so ``django.contrib.auth`` and third-party apps join the graph (where the interpreter has no Django, its
contrib apps come from the snapshot the package ships: ``contrib_snapshot``); migration folders of the project that no
installed app owns are left out of it (their files still get the per-file rules). Without settings we walk the tree
and read what Django would read: ``<app>/migrations/__init__.py`` makes a package, an ``AppConfig``'s ``label``
names the app, ``MIGRATION_MODULES`` moves its migrations elsewhere. What cannot be told apart statically (two
folders claiming one label) is left out of the graph rather than guessed.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.util
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.files import (
    Stamp,
    is_migration_module_name,
    listed_folder,
    looked_up,
    looked_up_in_interpreter,
    read_regular_file,
    stat_stamp,
)
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.settings import DjangoSettings, Settings
from flake8_django_migrations.source import module_level_statements

# The contrib snapshot and the module lookup of the settings are imported where discovery runs: a run that finds its
# discovery kept (project/setup.py) reads the records of this module only.

__all__ = [
    "ROOT_MARKERS",
    "AppMigrations",
    "Discovery",
    "InstalledApp",
    "discover",
    "find_project_root",
    "installed_apps",
    "pattern_matcher",
    "read_app_label",
]

ROOT_MARKERS: Final = ("manage.py", "pyproject.toml", "setup.cfg", "tox.ini", ".git")
MAX_MIGRATION_FILE: Final = "max_migration.txt"
# Django's own migration framework (``django.db.migrations``: the loader, the graph, the ``Migration`` base class)
# is a package named ``migrations`` in no app; linting Django's source must not take it for the app ``db``.
_DJANGO_MIGRATIONS_FRAMEWORK: Final = ("django", "db", "migrations")
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
class InstalledApp:
    """An ``INSTALLED_APPS`` entry as Django would load it, found without importing."""

    entry: str  # as written
    label: str | None  # None when it cannot be read (an AppConfig path not found here)
    folder: str | None  # the app's package, absolute; None when not found here
    external: bool  # found in the interpreter the linter runs in, outside the project


@dataclass(frozen=True, slots=True)
class Discovery:
    root: str
    apps: Mapping[str, AppMigrations]  # label -> its migrations
    ambiguous: frozenset[str]  # labels claimed by more than one folder: left out of the graph
    # Migration folders outside the graph: those of an ambiguous label, and, when INSTALLED_APPS is known, those of
    # apps it does not list. Their files still get the per-file rules.
    left_out: tuple[AppMigrations, ...] = ()
    # The labels Django would load, when INSTALLED_APPS and every entry's label are known; None otherwise.
    installed: frozenset[str] | None = None
    unlocated: frozenset[str] = frozenset()  # installed labels not found here: external, never checked
    installed_apps: tuple[InstalledApp, ...] = ()
    # Packages with another name than ``migrations`` taken as migrations packages for what their modules hold (a
    # ``Migration`` class deriving from Django's), when nothing else was found: a ``MIGRATION_MODULES`` that could
    # not be read moved them there.
    found_by_content: tuple[str, ...] = ()

    def label_of_folder(self, folder: str) -> str | None:
        """The label discovery gave the migrations package ``folder`` (absolute), also when it is left out."""
        for app in (*self.apps.values(), *self.left_out):
            if app.folder == folder:
                return app.label
        return None


def find_project_root(path: str, settings: Settings) -> str:
    """The nearest ancestor of ``path`` (itself when a folder) holding a project marker, as an absolute path."""
    if settings.project_root:
        return os.path.abspath(settings.project_root)
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return _root_above(start)


# flake8 asks once per file, and a project's files share a few folders: the answer per folder, kept while no
# folder between it and the root gained or lost an entry (a marker added there changes the folder's stat).
_ROOTS: Memo[str, tuple[str, tuple[Stamp, ...], str]] = Memo(1024)


def _root_above(start: str) -> str:
    def find() -> tuple[str, tuple[Stamp, ...], str]:
        root, last_looked_into = _find_root_above(start)
        return last_looked_into, _folder_stamps(start, last_looked_into), root

    kept = _ROOTS.get(start, find, lambda kept: kept[1] == _folder_stamps(start, kept[0]))
    return kept[2]


def _folder_stamps(start: str, last: str) -> tuple[Stamp, ...]:
    """The stat of every folder from ``start`` up to ``last``."""
    stamps = [stat_stamp(start)]
    current = start
    while current != last:
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
        stamps.append(stat_stamp(current))
    return tuple(stamps)


def _find_root_above(start: str) -> tuple[str, str]:
    """The project root above ``start``, and the last folder looked into to find it."""
    current = start
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            return current, current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    # No marker anywhere: the folder holding the app is the best guess at a project for a lone migration.
    if os.path.basename(start) == "migrations":
        return os.path.dirname(os.path.dirname(start)), current
    return start, current


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
    packages: dict[str, frozenset[str]] = {}  # folder -> the names of its files, as the walk listed them
    for folder, names in _walk(root, settings.exclude):
        if "__init__.py" not in names:
            continue
        packages[folder] = names
        for label, parts in modules.items():
            if _ends_with(folder, parts):
                moved_folders.setdefault(label, []).append(folder)
        if os.path.basename(folder) == "migrations" and not _ends_with(folder, _DJANGO_MIGRATIONS_FRAMEWORK):
            default_folders.append((os.path.dirname(folder), folder))

    def label_of(app_folder: str) -> str:
        return (
            label_overrides.get(app_folder)
            or read_app_label(os.path.join(app_folder, "apps.py"))
            or os.path.basename(app_folder)
        )

    django = settings.django
    installed = (
        installed_apps(django, label_overrides) if django is not None and django.listed_apps is not None else None
    )
    # An open INSTALLED_APPS (`INSTALLED_APPS += PLUGINS`): the apps it lists are installed, and so may be any other.
    complete = installed is not None and django is not None and django.installed_apps is not None
    claims: dict[str, list[tuple[str, str]]] = {}
    not_installed: list[AppMigrations] = []
    unlocated: set[str] = set()
    if installed is None:
        for app_folder, folder in default_folders:
            label = label_of(app_folder)
            if label in disabled or label in modules:
                continue  # Django reads this app's migrations from elsewhere, or not at all
            claims.setdefault(label, []).append((app_folder, folder))
        for label, candidates in moved_folders.items():
            folder = min(candidates, key=lambda candidate: (len(candidate), candidate))
            claims.setdefault(label, []).append((os.path.dirname(folder), folder))
    else:
        assert django is not None
        for app in installed:
            if app.label is None or app.folder is None:
                if app.label is not None:
                    unlocated.add(app.label)
                continue
            if app.label in disabled:
                continue
            migrations: str | None = (
                _package_folder(".".join(modules[app.label]), django.import_roots)
                if app.label in modules
                else os.path.join(app.folder, "migrations")
            )
            if migrations is None or not _is_file(os.path.join(migrations, "__init__.py")):
                if app.label in modules:
                    unlocated.add(app.label)  # a MIGRATION_MODULES package not found here: not guessed
                continue  # an app without migrations
            if not app.external and migrations not in packages:
                continue  # excluded, or in a folder discovery does not enter
            claims.setdefault(app.label, []).append((app.folder, migrations))
        claimed = {folder for candidates in claims.values() for _, folder in candidates}
        not_installed = [
            _read_package(label_of(app_folder), app_folder, folder, packages.get(folder))
            for app_folder, folder in default_folders
            if folder not in claimed and complete
        ]
        if not complete:
            _claim_unlisted(default_folders, moved_folders, claimed, installed, claims, not_installed, label_of,
                            lambda label: label in disabled or label in modules, packages)

    by_content: list[str] = []
    if not claims and not not_installed:
        by_content = _packages_of_migrations(packages)
        for folder in by_content:
            claims.setdefault(label_of(os.path.dirname(folder)), []).append((os.path.dirname(folder), folder))
    apps: dict[str, AppMigrations] = {}
    ambiguous: set[str] = set()
    left_out: list[AppMigrations] = list(not_installed)
    for label, claimed_folders in claims.items():
        if len(claimed_folders) > 1:
            ambiguous.add(label)
            left_out.extend(
                _read_package(label, app_folder, folder, packages.get(folder)) for app_folder, folder in claimed_folders
            )
            continue
        app_folder, folder = claimed_folders[0]
        apps[label] = _read_package(label, app_folder, folder, packages.get(folder))
    left_out.sort(key=lambda app: app.folder)
    labels = frozenset(app.label for app in installed or () if app.label is not None)
    known = complete and installed is not None and all(app.label is not None for app in installed)
    return Discovery(
        root, dict(sorted(apps.items())), frozenset(ambiguous), tuple(left_out),
        installed=labels if known else None,
        unlocated=frozenset(unlocated),
        installed_apps=tuple(installed or ()),
        found_by_content=tuple(by_content),
    )


# A module of a migrations package: `class Migration(migrations.Migration)` (or the name imported from Django).
_MIGRATION_CLASS: Final = re.compile(rb"^class\s+Migration\s*\(\s*(?:migrations\.)?Migration\s*\)", re.MULTILINE)


def _packages_of_migrations(packages: Mapping[str, frozenset[str]]) -> list[str]:
    """The packages (not named ``migrations``) holding migration modules whose ``Migration`` class derives from
    Django's, sorted: read only when discovery found nothing else."""
    found = []
    for folder, names in sorted(packages.items()):
        if os.path.basename(folder) == "migrations" or _ends_with(folder, _DJANGO_MIGRATIONS_FRAMEWORK):
            continue
        for name in sorted(names):
            if not is_migration_module_name(name):
                continue
            data = read_regular_file(os.path.join(folder, name))
            if data is not None and b"django.db" in data and _MIGRATION_CLASS.search(data):
                found.append(folder)
                break
    return found


def _claim_unlisted(
    default_folders: list[tuple[str, str]], moved_folders: Mapping[str, list[str]], claimed: set[str],
    listed: Sequence[InstalledApp], claims: dict[str, list[tuple[str, str]]], not_installed: list[AppMigrations],
    label_of: Callable[[str], str], elsewhere: Callable[[str], bool], packages: Mapping[str, frozenset[str]],
) -> None:
    """Beside the apps an open ``INSTALLED_APPS`` lists, the migration folders of the tree, as without settings;
    one whose label a listed app has is not installed (Django refuses two apps of one label)."""
    labels = {app.label for app in listed if app.label is not None}
    for app_folder, folder in default_folders:
        if folder in claimed:
            continue
        label = label_of(app_folder)
        if elsewhere(label):
            continue  # Django reads this app's migrations from elsewhere, or not at all
        if label in labels:
            not_installed.append(_read_package(label, app_folder, folder, packages.get(folder)))
            continue
        claims.setdefault(label, []).append((app_folder, folder))
    for label, candidates in moved_folders.items():
        if label not in labels:
            folder = min(candidates, key=lambda candidate: (len(candidate), candidate))
            claims.setdefault(label, []).append((os.path.dirname(folder), folder))


def installed_apps(django: DjangoSettings, label_overrides: Mapping[str, str]) -> tuple[InstalledApp, ...]:
    """Each ``INSTALLED_APPS`` entry with its label and package folder, as ``AppConfig.create`` would find them:
    a module (its label from its ``apps.py``, else its last name) or the path of an ``AppConfig`` subclass (its
    ``name`` and ``label`` read from the class)."""
    return tuple(_installed_app(entry, django.import_roots, label_overrides) for entry in django.listed_apps or ())


def _installed_app(entry: str, roots: tuple[str, ...], label_overrides: Mapping[str, str]) -> InstalledApp:
    found = _locate(entry, roots)
    if found is not None:
        path, external = found
        folder = os.path.dirname(path) if os.path.basename(path) == "__init__.py" else None
        label = (label_overrides.get(folder) or read_app_label(os.path.join(folder, "apps.py"))) if folder else None
        return InstalledApp(entry, label or entry.rpartition(".")[2], folder, external)
    module, _, class_name = entry.rpartition(".")
    config_file = _locate(module, roots) if module else None
    if config_file is not None:
        config = next((c for c in _app_configs(config_file[0]) if c.class_name == class_name), None)
        if config is not None and config.name:
            app = _locate(config.name, roots)
            folder = os.path.dirname(app[0]) if app and os.path.basename(app[0]) == "__init__.py" else None
            label = (label_overrides.get(folder) if folder else None) or config.label or config.name.rpartition(".")[2]
            return InstalledApp(entry, label, folder, app[1] if app else config_file[1])
    # Not found here (not installed in this interpreter). A module's label is its last name; a class's is unknown.
    last = entry.rpartition(".")[2]
    return InstalledApp(entry, None if last[:1].isupper() else last, None, True)


def _locate(module: str, project_roots: tuple[str, ...]) -> tuple[str, bool] | None:
    """The file of ``module`` and whether it is outside the project: the project's folders first, as the
    folder of ``manage.py`` comes first on ``sys.path``."""
    from flake8_django_migrations.project import contrib_snapshot
    from flake8_django_migrations.project.settings_module import find_module_file

    found = find_module_file(module, project_roots)
    if found is not None:
        return found, False
    top = module.split(".")[0]
    looked_up_in_interpreter()  # also when _interpreter_roots answers from memory
    found = find_module_file(module, _interpreter_roots(top))
    if found is None and top == "django" and not _interpreter_roots(top):
        # No Django where the linter runs (pre-commit's own environment): its contrib apps from the package's
        # snapshot of them, in the release the project's requirements name (project/contrib_snapshot.py).
        found = contrib_snapshot.find_module_file(module, project_roots)
    return (found, True) if found is not None else None


def _is_file(path: str) -> bool:
    from flake8_django_migrations.project import contrib_snapshot

    return os.path.isfile(looked_up(path)) or contrib_snapshot.is_file(path)


def _read_source(path: str) -> bytes | None:
    # A FIFO or device named apps.py must not hang discovery; a contrib app's apps.py may be in the snapshot.
    from flake8_django_migrations.project import contrib_snapshot

    return contrib_snapshot.read(path) if contrib_snapshot.is_snapshot_path(path) else read_regular_file(path)


def _package_folder(module: str, project_roots: tuple[str, ...]) -> str | None:
    found = _locate(module, project_roots)
    return os.path.dirname(found[0]) if found and os.path.basename(found[0]) == "__init__.py" else None


@functools.lru_cache(maxsize=256)
def _interpreter_roots(top: str) -> tuple[str, ...]:
    """The folders holding the top-level package ``top`` in this interpreter, found by importlib's finders on the
    top-level name only: a dotted name would import its parent packages, and nothing may be imported."""
    try:
        spec = importlib.util.find_spec(top)
    except Exception:  # noqa: BLE001 - a finder of a broken installation must not stop discovery
        return ()
    if spec is None:
        return ()
    if spec.submodule_search_locations:
        return tuple(dict.fromkeys(os.path.dirname(os.path.abspath(p)) for p in spec.submodule_search_locations))
    if spec.origin and os.path.isfile(spec.origin):
        return (os.path.dirname(os.path.abspath(spec.origin)),)
    return ()


def read_app_label(apps_py: str) -> str | None:
    """The ``label`` of the ``AppConfig`` in ``apps.py``, read without importing it; None when there is none."""
    source = _read_source(apps_py)
    # Most apps set no label: an ASCII file without the word holds no assignment to it (only non-ASCII letters
    # could spell it otherwise), and parsing every app's apps.py showed in each run.
    if source is None or (source.isascii() and b"label" not in source):
        return None
    labelled = [(config.default, config.label) for config in _app_configs(apps_py, source) if config.label]
    if not labelled:
        return None
    # Django picks the config marked `default = True` when there are several; otherwise the only one.
    defaults = [label for is_default, label in labelled if is_default]
    return defaults[0] if defaults else labelled[0][1]


@dataclass(frozen=True, slots=True)
class _AppConfig:
    class_name: str
    name: str | None  # the app's module, when a literal
    label: str | None
    default: bool


def _app_configs(path: str, source: bytes | None = None) -> list[_AppConfig]:
    """The ``AppConfig`` subclasses of a module, with their literal ``name``, ``label`` and ``default``; ``source``:
    its bytes, when already read."""
    if source is None:
        source = _read_source(path)
    if source is None:
        return []
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    configs: list[_AppConfig] = []
    for node in (n for n in module_level_statements(tree.body) if isinstance(n, ast.ClassDef)):
        if not any(_base_name(base).endswith("AppConfig") for base in node.bases):
            continue
        attributes: dict[str, object] = {}
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
                attributes[target.id] = value.value
        name, label = attributes.get("name"), attributes.get("label")
        configs.append(_AppConfig(
            node.name,
            name if isinstance(name, str) and name else None,
            label if isinstance(label, str) and label else None,
            attributes.get("default") is True,
        ))
    return configs


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


def pattern_matcher(patterns: Sequence[str]) -> Callable[[str], bool] | None:
    """flake8's ``utils.fnmatch`` for a list of glob patterns (any one matches, after ``normcase``), compiled into
    one regular expression: flake8 and ``fnmatch`` try the patterns one by one, which shows over thousands of
    paths. None for no patterns."""
    if not patterns:
        return None
    regex = re.compile("|".join(f"(?:{fnmatch.translate(os.path.normcase(pattern))})" for pattern in patterns))
    return lambda name: regex.match(os.path.normcase(name)) is not None


def _walk(root: str, exclude: tuple[str, ...]) -> Iterator[tuple[str, frozenset[str]]]:
    """Each folder below ``root`` that could hold code, with the names of its files.

    Iterative, so deep trees cannot hit the recursion limit; symlinked folders are not followed, so a link back
    up the tree cannot loop. A migrations package is not descended into: Django loads no subpackages of it.
    ``exclude``: flake8's patterns, matched as flake8 does against the folder's name or its path.
    """
    excluded = pattern_matcher(exclude)
    stack = [root]
    while stack:
        folder = stack.pop()
        files: set[str] = set()
        subfolders: list[str] = []
        try:
            with os.scandir(listed_folder(folder)) as entries:
                for entry in entries:
                    try:
                        # Files first: most entries are, and a folder (not followed through a link) never is.
                        if entry.is_file():
                            files.add(entry.name)
                        elif entry.is_dir(follow_symlinks=False):
                            subfolders.append(entry.name)
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
            if excluded is not None and (excluded(name) or excluded(path)):
                continue
            stack.append(path)


def _read_package(label: str, app_folder: str, folder: str, names: frozenset[str] | None = None) -> AppMigrations:
    """The migrations of the package ``folder``; ``names``: its files, when the walk already listed them."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep  # os.path.join for a name, once per folder
    if names is None:
        from flake8_django_migrations.project import contrib_snapshot

        names = contrib_snapshot.folder_names(folder)  # None unless a folder of the contrib snapshot
    if names is not None:
        return AppMigrations(
            label, app_folder, folder,
            tuple(prefix + name for name in sorted(names) if is_migration_module_name(name)),
            prefix + MAX_MIGRATION_FILE if MAX_MIGRATION_FILE in names else None,
        )
    files: list[str] = []
    max_migration: str | None = None
    try:
        with os.scandir(listed_folder(folder)) as entries:
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

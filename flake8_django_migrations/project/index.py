"""The project index: every migration of the tree read once, the graph Django would build, and the model state.

Project rules (in ``rules/``) read it and nothing else; ``run.py`` builds it and runs them. Where the
facts cannot tell (a file that does not parse, a ``dependencies`` list built at run time, a ``replaces`` entry that
is not a literal), the index says so (``unknown``, ``leaves_known``), and the rules that depend on the missing part
stay silent for the app concerned rather than guess.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Final

from flake8_django_migrations.facts import MigrationFacts, find_migration_class
from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.project import contrib_snapshot
from flake8_django_migrations.project.cache import FactsCache, FolderLoaded
from flake8_django_migrations.project.discover import AppMigrations, Discovery
from flake8_django_migrations.project.graph import Key, MigrationGraph, build_graph
from flake8_django_migrations.project.history import BaseRevision, read_base_revision
from flake8_django_migrations.project.state import ModelState
from flake8_django_migrations.settings import Settings
from flake8_django_migrations.source import parse_source

__all__ = ["ProjectIndex", "build_index", "load_all_facts"]

_MAX_MIGRATION_LIMIT: Final = 1 << 16  # one migration name; anything larger is not that file


class ProjectIndex:
    """What the project rules may read. Built once per run; nothing in it changes after."""

    __slots__ = ("discovery", "migrations", "unknown", "without_migration_class", "graph", "swappable", "_state",
                 "unsure_replacements", "dangling_apps", "settings", "base", "_paths")

    def __init__(
        self,
        discovery: Discovery,
        migrations: Mapping[Key, MigrationFacts],
        unknown: Mapping[str, frozenset[str]],
        without_migration_class: Mapping[str, str],
        graph: MigrationGraph,
        swappable: Mapping[str, str],
        settings: Settings | None = None,
        base: BaseRevision | None = None,
    ) -> None:
        self.discovery = discovery
        # The migrations at the deployed revision (djm-base), for the history rules; None without the option.
        self.base = base
        # The options with what the project's Django settings say (see project/django_settings.py).
        self.settings = settings if settings is not None else Settings(swappable=swappable)
        self.migrations = migrations
        self.unknown = unknown  # label -> names of migration files whose facts could not be read
        # path -> label of the modules in a migrations package that parse but define no `Migration` class
        self.without_migration_class = without_migration_class
        self.graph = graph
        self.swappable = swappable
        self._state: ModelState | None = None
        self._paths: dict[Key, str] = {}  # path_of's answers: the project rules ask once per finding
        # Apps with a `replaces` entry that is not a literal: any of their nodes may be replaced.
        self.unsure_replacements = frozenset(key[0] for key, facts in migrations.items() if not facts.replaces_complete)
        # A missing parent or child inside the app itself may be a typo for one of its nodes, which would then
        # not be a leaf; a dangling reference from another app says nothing about this app's leaves.
        self.dangling_apps = frozenset(
            reference.source[0]
            for reference in graph.resolved
            if reference.target in graph.dummies and reference.target[0] == reference.source[0]
        )

    @property
    def state(self) -> ModelState:
        """Who creates and removes each model and field along the graph; built on first use."""
        if self._state is None:
            self._state = ModelState(self.graph, self.migrations, self.swappable)
        return self._state

    def path_of(self, key: Key) -> str:
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = os.path.abspath(self.migrations[key].path)
        return path

    @property
    def external_apps(self) -> frozenset[str]:
        """Apps referenced but not found in the tree, and labels claimed by two folders (not checked either)."""
        return self.graph.external_apps | self.discovery.ambiguous

    def recorded_max_migration(self, label: str) -> str | None:
        """What django-linear-migrations' ``max_migration.txt`` of the app says: the one line it should hold,
        else its text on one line ("(empty)" when blank); None without a readable file."""
        path = self.discovery.apps[label].max_migration if label in self.discovery.apps else None
        data = read_regular_file(path, _MAX_MIGRATION_LIMIT) if path is not None else None
        if data is None:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeError:
            return None
        lines = text.strip().splitlines()
        if len(lines) == 1:
            return lines[0].strip()
        return text.strip().replace("\n", " ") or "(empty)"

    def leaves_known(self, app: str) -> bool:
        """Whether the app's graph is fully known: every file read, every list literal, nothing dangling."""
        if app in self.unknown or app in self.dangling_apps or app in self.unsure_replacements:
            return False
        if any(key[0] == app for key in self.graph.replacement_cycles):
            return False
        return all(
            facts.dependencies_complete and facts.run_before_complete
            for key, facts in self.migrations.items()
            if key[0] == app
        )


def load_all_facts(discovery: Discovery, cache: FactsCache, jobs: int = 1, then: FolderLoaded | None = None) -> None:
    """Load the facts of every migration file of the project, extracting those not in the cache over ``jobs``
    processes, and hand each folder's to ``then`` as soon as they are in. ``cache`` keeps every folder's facts
    (the folders left out of the graph too) for the rest of the run, so the project pass does not load them again
    (``FactsCache.load_folders``): only the command calls this, a flake8 worker must not hold them all."""
    apps = (*discovery.apps.values(), *discovery.left_out)
    for app in apps:
        if contrib_snapshot.is_snapshot_path(app.folder):  # Django's contrib apps, not installed here
            (then or _nothing)(app.files, app.label, contrib_snapshot.facts_for_files(app.files, app.label))
    groups = [(app.files, app.label) for app in apps if not contrib_snapshot.is_snapshot_path(app.folder)]
    cache.load_folders(groups, jobs, then)


def _nothing(paths: tuple[str, ...], app_label: str | None, loaded: Mapping[str, MigrationFacts | None]) -> None:
    pass


def build_index(
    discovery: Discovery,
    settings: Settings,
    cache: FactsCache,
    overrides: Mapping[str, MigrationFacts] | None = None,
) -> ProjectIndex:
    """The index of the project discovery found, with ``settings`` as the run read them (with what the project's
    Django settings say); ``overrides`` (absolute path -> facts) stand in for files whose text is not the saved one
    (an editor's unsaved buffer)."""
    migrations: dict[Key, MigrationFacts] = {}
    unknown: dict[str, frozenset[str]] = {}
    without_migration_class: dict[str, str] = {}
    for label, app in discovery.apps.items():
        missing: set[str] = set()
        loaded = _load_app_facts(cache, app)
        for path in app.files:
            facts = overrides[path] if overrides and path in overrides else loaded.get(path)
            name = facts.name if facts is not None else os.path.splitext(os.path.basename(path))[0]
            if facts is None:
                missing.add(name)
                if _parses_without_migration_class(path):
                    without_migration_class[path] = label
            else:
                migrations[(label, name)] = facts
        if missing:
            unknown[label] = frozenset(missing)
    graph = build_graph(migrations, discovery.apps.keys(), settings.swappable, discovery.installed, discovery.unlocated)
    base = None
    if settings.base_commit is not None:
        local = {key: os.path.abspath(facts.path) for key, facts in migrations.items() if facts.path}
        base = read_base_revision(settings.base_commit, _project_apps(discovery), local, settings.base_repository)
        base = dataclasses.replace(base, ref=settings.base or base.ref)
    return ProjectIndex(
        discovery, migrations, unknown, without_migration_class, graph, settings.swappable, settings, base
    )


def _project_apps(discovery: Discovery) -> Discovery:
    """The apps whose files are the project's (not installed packages): only those have a history in its git."""
    root = os.path.realpath(discovery.root)
    external = {app.label for app in discovery.installed_apps if app.external}
    inside = {
        label: app for label, app in discovery.apps.items()
        if label not in external and os.path.realpath(app.folder).startswith(root + os.sep)
    }
    return dataclasses.replace(discovery, apps=inside)


def _parses_without_migration_class(path: str) -> bool:
    """Whether a module whose facts could not be read parses but has no ``Migration`` class (read again: such
    files are rare, and the cache keeps only what parses into facts)."""
    data = read_regular_file(path)
    if data is None:
        return False
    try:
        tree = parse_source(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return find_migration_class(tree.body) is None


def _load_app_facts(cache: FactsCache, app: AppMigrations) -> dict[str, MigrationFacts | None]:
    # The label discovery found (AppConfig.label, --djm-app-label), also for a MIGRATION_MODULES folder.
    if contrib_snapshot.is_snapshot_path(app.folder):  # Django's contrib apps, read from the package's snapshot
        return contrib_snapshot.facts_for_files(app.files, app.label)
    return cache.facts_for_files(app.files, complete=True, app_label=app.label)

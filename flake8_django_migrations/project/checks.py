"""The project pass: index every migration of the tree once, build the graph, run the cross-file rules.

Each finding is attributed to exactly one file and line, so flake8 reports it once however it splits the files
between processes. Where the facts cannot tell (a file that does not parse, a ``dependencies`` list built at run
time, a ``replaces`` entry that is not a literal), the rules that depend on the missing part stay silent for the
app concerned rather than guess.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.project.discover import AppMigrations, Discovery, discover
from flake8_django_migrations.project.findings import (
    cached_project_findings,
    group_by_path,
    project_findings_for,
)
from flake8_django_migrations.project.graph import Key, MigrationGraph, build_graph, format_key, resolve_dependency
from flake8_django_migrations.project.state import state_findings
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings

__all__ = [
    "PROJECT_RULES",
    "cached_project_findings",
    "load_all_facts",
    "ProjectIndex",
    "build_index",
    "project_findings",
    "project_findings_for",
]

PROJECT_RULES: Final = (
    "DJM207", "DJM208", "DJM302", "DJM303", "DJM304", "DJM305", "DJM307", "DJM401", "DJM402", "DJM403", "DJM904"
)
_CYCLE_SHOWN: Final = 12  # longer cycles show their ends only


@dataclass(frozen=True, slots=True)
class ProjectIndex:
    discovery: Discovery
    migrations: Mapping[Key, MigrationFacts]
    unknown: Mapping[str, frozenset[str]]  # label -> names of migration files whose facts could not be read
    graph: MigrationGraph
    findings: tuple[Finding, ...]  # sorted
    findings_by_path: Mapping[str, tuple[Finding, ...]]

    @property
    def root(self) -> str:
        return self.discovery.root

    def facts_by_path(self) -> dict[str, MigrationFacts]:
        return {os.path.abspath(facts.path): facts for facts in self.migrations.values()}

    @property
    def external_apps(self) -> frozenset[str]:
        """Apps referenced but not found in the tree, and labels claimed by two folders (not checked either)."""
        return self.graph.external_apps | self.discovery.ambiguous


def load_all_facts(discovery: Discovery, cache: FactsCache) -> dict[str, MigrationFacts]:
    """The facts of every migration file discovery found, by absolute path."""
    loaded = {}
    for app in discovery.apps.values():
        for path, facts in _load_app_facts(cache, app).items():
            if facts is not None:
                loaded[os.path.abspath(path)] = facts
    return loaded


def project_findings(root: str, settings: Settings) -> list[Finding]:
    """Every project finding of the tree below ``root``."""
    cache = FactsCache(settings.cache_dir, settings.use_cache)
    return list(cached_project_findings(root, settings, cache, discover(root, settings))[0])


def build_index(
    root: str, settings: Settings, cache: FactsCache | None = None, discovery: Discovery | None = None
) -> ProjectIndex:
    discovery = discovery if discovery is not None else discover(root, settings)
    cache = cache if cache is not None else FactsCache(settings.cache_dir, settings.use_cache)
    migrations: dict[Key, MigrationFacts] = {}
    unknown: dict[str, frozenset[str]] = {}
    for label, app in discovery.apps.items():
        missing: set[str] = set()
        loaded = _load_app_facts(cache, app)
        for path in app.files:
            facts = loaded.get(path)
            name = os.path.splitext(os.path.basename(path))[0]
            if facts is None:
                missing.add(name)
            else:
                migrations[(label, name)] = facts
        if missing:
            unknown[label] = frozenset(missing)
    graph = build_graph(migrations, discovery.apps.keys(), settings.swappable)
    partial = _Index(discovery, migrations, unknown, graph, settings)
    found = [*partial.findings(), *state_findings(graph, migrations, settings.swappable)]
    findings = tuple(sorted(found, key=lambda finding: finding.sort_key))
    return ProjectIndex(discovery, migrations, unknown, graph, findings, group_by_path(findings))


def _load_app_facts(cache: FactsCache, app: AppMigrations) -> dict[str, MigrationFacts | None]:
    # The label discovery found (AppConfig.label, --djm-app-label), also for a MIGRATION_MODULES folder.
    return cache.facts_for_files(app.files, complete=True, app_label=app.label)


class _Index:
    """The rules over one index; methods read it, nothing is stored."""

    def __init__(
        self,
        discovery: Discovery,
        migrations: Mapping[Key, MigrationFacts],
        unknown: Mapping[str, frozenset[str]],
        graph: MigrationGraph,
        settings: Settings,
    ) -> None:
        self.discovery = discovery
        self.migrations = migrations
        self.unknown = unknown
        self.graph = graph
        self.settings = settings
        self.unsure_replacements = frozenset(key[0] for key, facts in migrations.items() if not facts.replaces_complete)
        # A missing parent or child inside the app itself may be a typo for one of its nodes, which would then
        # not be a leaf; a dangling reference from another app says nothing about this app's leaves.
        self.dangling_apps = frozenset(
            reference.source[0]
            for reference in graph.references
            if reference.target in graph.dummies and reference.target[0] == reference.source[0]
        )

    def findings(self) -> Iterator[Finding]:
        yield from self.missing_dependency_targets()
        yield from self.circular_dependencies()
        yield from self.conflicting_leaves()
        yield from self.duplicate_replacements()
        yield from self.stale_max_migrations()
        yield from self.app_dependency_cycles()

    def _path(self, key: Key) -> str:
        return os.path.abspath(self.migrations[key].path)

    def _leaves_known(self, app: str) -> bool:
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

    # DJM302 ---------------------------------------------------------------------------------------------------

    def missing_dependency_targets(self) -> Iterator[Finding]:
        rule = RULES["DJM302"]
        for reference in self.graph.references:
            target = reference.target
            if target not in self.graph.dummies:
                continue
            # A file we could not read may be the target, or a squash that replaces it.
            if target[0] in self.unknown or target[0] in self.unsure_replacements:
                continue
            entry = reference.dependency
            yield rule.finding(
                self._path(reference.source), entry.line, entry.col,
                kind=reference.kind, target=format_key(target), app=target[0],
            )

    # DJM303 ---------------------------------------------------------------------------------------------------

    def circular_dependencies(self) -> Iterator[Finding]:
        rule = RULES["DJM303"]
        for component in self.graph.cycles():
            for node, path in self.graph.cycle_paths(component).items():
                facts = self.migrations[node]
                site = facts.dependencies_site
                line, col = (site.line, site.col) if site is not None else (facts.line, facts.col)
                yield rule.finding(self._path(node), line, col, cycle=_describe_cycle(path))

    # DJM304 ---------------------------------------------------------------------------------------------------

    def conflicting_leaves(self) -> Iterator[Finding]:
        rule = RULES["DJM304"]
        for app, names in self.graph.leaves_by_app().items():
            if len(names) < 2 or not self._leaves_known(app):
                continue
            for name in names:
                facts = self.migrations[(app, name)]
                others = ", ".join(f"`{other}`" for other in names if other != name)
                yield rule.finding(self._path((app, name)), facts.line, facts.col, app=app, name=name, others=others)

    # DJM305 ---------------------------------------------------------------------------------------------------

    def duplicate_replacements(self) -> Iterator[Finding]:
        """One finding per squash, at its class, naming every entry it shares and who else replaces it."""
        rule = RULES["DJM305"]
        replacers: dict[Key, set[Key]] = {}
        for key, facts in self.migrations.items():
            for entry in facts.replaces:
                replacers.setdefault((entry.app, entry.name), set()).add(key)
        for key, facts in self.migrations.items():
            shared = sorted({(e.app, e.name) for e in facts.replaces if replacers[(e.app, e.name)] - {key}})
            if not shared:
                continue
            others = sorted(set().union(*(replacers[entry] for entry in shared)) - {key})
            yield rule.finding(
                self._path(key), facts.line, facts.col,
                replaced="`, `".join(format_key(entry) for entry in shared),
                other="`, `".join(format_key(other) for other in others),
            )

    # DJM307 ---------------------------------------------------------------------------------------------------

    def stale_max_migrations(self) -> Iterator[Finding]:
        rule = RULES["DJM307"]
        leaves = self.graph.leaves_by_app()
        for label, app in self.discovery.apps.items():
            if app.max_migration is None or len(leaves.get(label, ())) != 1 or not self._leaves_known(label):
                continue
            leaf = leaves[label][0]
            recorded = _read_max_migration(app.max_migration)
            if recorded is None or recorded == leaf:
                continue
            # Reported on the leaf: flake8 only ever checks .py files, and the leaf is the one file to look at.
            facts = self.migrations[(label, leaf)]
            yield rule.finding(
                self._path((label, leaf)), facts.line, facts.col, recorded=recorded, leaf=leaf, app=label
            )

    # DJM904 ---------------------------------------------------------------------------------------------------

    def app_dependency_cycles(self) -> Iterator[Finding]:
        rule = RULES["DJM904"]
        between: dict[tuple[str, str], tuple[Key, Key]] = {}
        for child, parent in self.graph.edges():
            if child[0] != parent[0]:
                between.setdefault((child[0], parent[0]), (child, parent))
        for (app, other), forward in sorted(between.items()):
            backward = between.get((other, app))
            if backward is None or app > other:
                continue
            child, parent = forward
            line, col = _entry_site(self.migrations[child], parent, self.settings.swappable)
            yield rule.finding(
                self._path(child), line, col, app=app, other=other,
                forward=_describe_edge(forward), backward=_describe_edge(backward),
            )


def _entry_site(facts: MigrationFacts, parent: Key, swappable: Mapping[str, str]) -> tuple[int, int]:
    """The ``dependencies`` entry naming ``parent``, else one into its app (a squash or ``__latest__`` may stand
    between), else the list, else the class."""
    resolved = [(resolve_dependency(dependency, swappable), dependency) for dependency in facts.dependencies]
    for key in (parent, None):
        for target, dependency in resolved:
            if target is not None and (target == key or (key is None and target[0] == parent[0])):
                return dependency.line, dependency.col
    site = facts.dependencies_site
    return (site.line, site.col) if site is not None else (facts.line, facts.col)


def _describe_edge(edge: tuple[Key, Key]) -> str:
    return f"`{format_key(edge[0])}` depends on `{format_key(edge[1])}`"


def _describe_cycle(path: Iterable[Key | None]) -> str:
    shown = list(path)
    if len(shown) > _CYCLE_SHOWN:
        half = _CYCLE_SHOWN // 2
        shown = [*shown[:half], None, *shown[-half:]]
    return " -> ".join("..." if key is None else f"`{format_key(key)}`" for key in shown)


def _read_max_migration(path: str) -> str | None:
    """django-linear-migrations' file: one line naming the leaf. None when it cannot be read at all."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeError):
        return None
    lines = text.strip().splitlines()
    if len(lines) == 1:
        return lines[0].strip()
    return text.strip().replace("\n", " ") or "(empty)"

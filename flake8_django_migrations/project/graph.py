"""The project's migration graph, built from facts by Django's own rules, without Django.

This follows ``django/db/migrations/loader.py`` (``build_graph``, ``check_key``, ``add_internal_dependencies``,
``add_external_dependencies``) and ``graph.py`` (``add_dependency`` with dummy nodes, ``remove_replaced_nodes``,
``root_nodes``, ``leaf_nodes``) step by step, in the view of a fresh database: nothing is applied, so every squash
replaces its originals. Squashes of squashes are replaced inner first, as Django 6.0 does (5.2 depends on the order
in which it happened to read the files). Two deliberate differences: apps not found in the tree are external, so
references into them add neither edges nor errors; and ``__first__``/``__latest__`` keep Django's "first in sorted
order" choice but are computed per app once, not by a scan of the whole graph per reference.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from flake8_django_migrations.facts import Dependency, MigrationFacts

__all__ = ["Key", "MigrationGraph", "ResolvedDependency", "build_graph", "format_key", "resolve_dependency"]

Key = tuple[str, str]  # (app label, migration name), as in Django

_SPECIAL: Final = ("__first__", "__latest__")
# Above this size a strongly connected component gets one closed walk per node instead of a shortest cycle each:
# a breadth-first search per node would be quadratic in the component.
_SHORTEST_CYCLE_LIMIT: Final = 200
_SPELLED_OUT: Final = 6  # members shown at each end of a cycle that is too long to show whole


def format_key(key: Key) -> str:
    return f"{key[0]}.{key[1]}"


@dataclass(frozen=True, slots=True)
class ResolvedDependency:
    """One ``dependencies`` or ``run_before`` entry of a local migration, resolved the way Django resolves it."""

    source: Key
    kind: str  # "dependencies" or "run_before"
    dependency: Dependency
    target: Key  # after swappable settings and __first__/__latest__


@dataclass(frozen=True, slots=True)
class MigrationGraph:
    """The graph after replacements. ``parents``/``children`` link real nodes only; ``dummies`` are the keys that
    something depends on but nothing provides (Django's ``DummyNode``: ``NodeNotFoundError``)."""

    nodes: frozenset[Key]
    # Sorted tuples: most migrations have one parent and one child, and a big project has tens of thousands.
    parents: Mapping[Key, tuple[Key, ...]]
    children: Mapping[Key, tuple[Key, ...]]
    dummies: frozenset[Key]
    resolved: tuple[ResolvedDependency, ...]
    into_empty_apps: tuple[ResolvedDependency, ...]  # `__first__`/`__latest__` of a local app with no migration
    # `__first__`/`__latest__` of an app that INSTALLED_APPS (known) does not list: "Dependency on unknown app".
    into_unknown_apps: tuple[ResolvedDependency, ...]
    external_apps: frozenset[str]
    replacement_cycles: frozenset[Key]  # squashes whose `replaces` lead back to themselves (Django 6: CommandError)
    # What `cycles` and `leaf_nodes` found, kept: several rules and the graph view ask, and the graph does not change.
    _cycles: tuple[tuple[Key, ...], ...] | None = field(default=None, init=False, repr=False, compare=False)
    _leaf_nodes: tuple[Key, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def edges(self) -> list[tuple[Key, Key]]:
        """(child, parent) pairs, sorted."""
        return sorted((child, parent) for child, parents in self.parents.items() for parent in parents)

    def leaf_nodes(self) -> list[Key]:
        """Nodes with no child in their own app, as Django's ``MigrationGraph.leaf_nodes``."""
        leaves = self._leaf_nodes
        if leaves is None:
            leaves = tuple(
                sorted(node for node in self.nodes if all(child[0] != node[0] for child in self.children[node]))
            )
            object.__setattr__(self, "_leaf_nodes", leaves)
        return list(leaves)

    def leaves_by_app(self) -> dict[str, list[str]]:
        leaves: dict[str, list[str]] = {}
        for app, name in self.leaf_nodes():
            leaves.setdefault(app, []).append(name)
        return leaves

    def cycles(self) -> list[list[Key]]:
        """The strongly connected components that contain a cycle, each sorted, in sorted order."""
        cycles = self._cycles
        if cycles is None:
            # Nearly every graph has none: a topological sort tells in one pass, without Tarjan's sorting per node.
            found = [] if _is_acyclic(self.nodes, self.parents, self.children) else _cyclic_components(
                self.nodes, self.parents
            )
            cycles = tuple(tuple(component) for component in sorted(sorted(component) for component in found))
            object.__setattr__(self, "_cycles", cycles)
        return [list(component) for component in cycles]

    def cycle_paths(self, component: Collection[Key]) -> dict[Key, tuple[Key | None, ...]]:
        """For each member of a cyclic component, a dependency cycle from it back to it.

        ``None`` in a path stands for an elided stretch: in a component too large for a shortest cycle per member,
        each member gets a closed walk through one hub node, of which only both ends are spelled out.
        """
        inside = frozenset(component)
        if len(inside) <= _SHORTEST_CYCLE_LIMIT:
            return {node: tuple(_shortest_cycle(node, inside, self.parents)) for node in inside}
        return _closed_walks(inside, self.parents, self.children)


def resolve_dependency(dependency: Dependency, swappable: Mapping[str, str]) -> Key | None:
    """The key Django sees: ``swappable_dependency(settings.X)`` becomes ``(app of X, "__first__")``."""
    if dependency.swappable_setting is None:
        return (dependency.app, dependency.name)
    value = swappable.get(dependency.swappable_setting)
    if not value:
        return None  # a setting we were not told about: unknowable, so no edge and no finding
    return (value.split(".", 1)[0], "__first__")


def build_graph(
    migrations: Mapping[Key, MigrationFacts],
    local_apps: Collection[str],
    swappable: Mapping[str, str],
    installed: Collection[str] | None = None,
    unlocated: Collection[str] = (),
) -> MigrationGraph:
    """``local_apps``: the apps whose migrations were read. ``installed``: every label Django loads, when known;
    ``unlocated``: those of them not found here, which stay external."""
    builder = _Builder(frozenset(local_apps), swappable, installed, frozenset(unlocated))
    return builder.build(migrations)


class _Builder:
    """Mutable state of one build, in the same steps as ``MigrationLoader.build_graph``."""

    def __init__(
        self,
        local_apps: frozenset[str],
        swappable: Mapping[str, str],
        installed: Collection[str] | None = None,
        unlocated: frozenset[str] = frozenset(),
    ) -> None:
        self.local_apps = local_apps
        self.swappable = swappable
        self.installed = installed
        self.unlocated = unlocated
        self.real: dict[Key, bool] = {}  # every node, False for a dummy
        # The one key object kept for each node: a dependency resolves to a new tuple, one per file naming the node.
        self.kept: dict[Key, Key] = {}
        self.parents: dict[Key, set[Key]] = {}
        self.children: dict[Key, set[Key]] = {}
        self.app_nodes: dict[str, set[Key]] = {}
        # root/leaf of an app per `check_key`, recomputed only after that app's own nodes or edges change.
        self.first_cache: dict[str, Key | None] = {}
        self.latest_cache: dict[str, Key | None] = {}
        self.resolved: list[ResolvedDependency] = []
        self.into_empty_apps: list[ResolvedDependency] = []
        self.into_unknown_apps: list[ResolvedDependency] = []
        self.external_apps: set[str] = set()
        self.replacement_cycles: set[Key] = set()

    def build(self, migrations: Mapping[Key, MigrationFacts]) -> MigrationGraph:
        order = sorted(migrations)
        for key in order:
            self._add_node(key, real=True)
        for key in order:
            self._add_internal_dependencies(key, migrations[key])
        for key in order:
            self._add_external_dependencies(key, migrations[key])
        self._replace_all(migrations, order)
        return self._result()

    # Nodes and edges -------------------------------------------------------------------------------------------

    def _add_node(self, key: Key, real: bool) -> None:
        self.real[key] = real
        self.kept.setdefault(key, key)
        self.parents[key] = set()
        self.children[key] = set()
        self.app_nodes.setdefault(key[0], set()).add(key)
        self._invalidate(key[0])

    def _invalidate(self, app: str) -> None:
        if not (self.first_cache or self.latest_cache):  # as while nodes and internal edges are added
            return
        self.first_cache.pop(app, None)
        self.latest_cache.pop(app, None)

    def _add_dependency(self, child: Key, parent: Key) -> tuple[Key, Key]:
        """Add the edge (and a dummy node for an end nothing provides); the two ends as the graph keeps them."""
        for key in (child, parent):
            if key not in self.real:
                self._add_node(key, real=False)
        child, parent = self.kept[child], self.kept[parent]
        self.parents[child].add(parent)
        self.children[parent].add(child)
        if child[0] == parent[0]:
            self._invalidate(child[0])
        return child, parent

    def _first(self, app: str) -> Key | None:
        if app not in self.first_cache:
            roots = [n for n in self.app_nodes.get(app, ()) if all(p[0] != app for p in self.parents[n])]
            self.first_cache[app] = min(roots) if roots else None
        return self.first_cache[app]

    def _latest(self, app: str) -> Key | None:
        if app not in self.latest_cache:
            leaves = [n for n in self.app_nodes.get(app, ()) if all(c[0] != app for c in self.children[n])]
            self.latest_cache[app] = min(leaves) if leaves else None
        return self.latest_cache[app]

    # Dependencies ----------------------------------------------------------------------------------------------

    def _add_internal_dependencies(self, key: Key, migration: MigrationFacts) -> None:
        for dependency in migration.dependencies:
            parent = resolve_dependency(dependency, self.swappable)
            # Ignore __first__ references to the same app (Django #22325).
            if parent is not None and parent[0] == key[0] and parent[1] != "__first__":
                key, parent = self._add_dependency(key, parent)
                self.resolved.append(ResolvedDependency(key, "dependencies", dependency, parent))

    def _add_external_dependencies(self, key: Key, migration: MigrationFacts) -> None:
        for dependency in migration.dependencies:
            written = resolve_dependency(dependency, self.swappable)
            if written is None or written[0] == key[0]:
                continue
            parent = self._check_key(written, key[0])
            if parent is not None:
                key, parent = self._add_dependency(key, parent)
                self.resolved.append(ResolvedDependency(key, "dependencies", dependency, parent))
            elif self._is_empty_app(written):
                self.into_empty_apps.append(ResolvedDependency(key, "dependencies", dependency, written))
            elif self._is_unknown_app(written):
                self.into_unknown_apps.append(ResolvedDependency(key, "dependencies", dependency, written))
        for dependency in migration.run_before:
            written = resolve_dependency(dependency, self.swappable)
            if written is None:
                continue
            child = self._check_key(written, key[0])
            if child is not None:
                child, key = self._add_dependency(child, key)
                self.resolved.append(ResolvedDependency(key, "run_before", dependency, child))
            elif written[0] != key[0] and self._is_empty_app(written):
                self.into_empty_apps.append(ResolvedDependency(key, "run_before", dependency, written))
            elif written[0] != key[0] and self._is_unknown_app(written):
                self.into_unknown_apps.append(ResolvedDependency(key, "run_before", dependency, written))

    def _is_empty_app(self, key: Key) -> bool:
        """``__first__``/``__latest__`` of a local app whose migrations package holds no migration: Django's loader
        stops with ``ValueError: Dependency on app with no migrations``."""
        return key[1] in _SPECIAL and key[0] in self.local_apps and not self.app_nodes.get(key[0])

    def _is_unknown_app(self, key: Key) -> bool:
        """``__first__``/``__latest__`` of an app Django does not load (INSTALLED_APPS known, without it): its
        loader's ``check_key`` stops with ``ValueError: Dependency on unknown app``."""
        return (
            key[1] in _SPECIAL and self.installed is not None and key[0] not in self.installed
            and key[0] not in self.local_apps and key[0] not in self.unlocated
        )

    def _check_key(self, key: Key, current_app: str) -> Key | None:
        """Django's ``check_key``, with apps not found treated as external (no edge, not checked)."""
        if key[0] not in self.local_apps:
            if self.installed is None or key[0] in self.unlocated:
                self.external_apps.add(key[0])
                return None
            # Known to have no migrations: installed without them (Django ignores `__first__` of such an app), or
            # not installed (Django: "Dependency on unknown app": into_unknown_apps). A named migration of either
            # is a node that does not exist.
            return None if key[1] in _SPECIAL else key
        if key[1] not in _SPECIAL or key in self.real:
            return key
        if key[0] == current_app:
            return None
        # An app whose package holds no migration resolves to nothing (Django with ignore_no_migrations).
        return self._first(key[0]) if key[1] == "__first__" else self._latest(key[0])

    # Replacements ----------------------------------------------------------------------------------------------

    def _replace_all(self, migrations: Mapping[Key, MigrationFacts], order: Iterable[Key]) -> None:
        replacements = {
            key: [(entry.app, entry.name) for entry in migrations[key].replaces]
            for key in order
            if migrations[key].replaces
        }
        done: dict[Key, bool] = {}  # False while its inner squashes are being replaced
        for start in replacements:
            stack: list[tuple[Key, bool]] = [(start, False)]
            while stack:
                key, expanded = stack.pop()
                state = done.get(key)
                if state is True:
                    continue
                if expanded:
                    self._remove_replaced_nodes(key, [entry for entry in replacements[key] if entry != key])
                    done[key] = True
                    continue
                if state is False:
                    self.replacement_cycles.add(key)
                    continue
                done[key] = False
                stack.append((key, True))
                for inner in reversed(replacements[key]):
                    if inner == key or done.get(inner) is False:
                        self.replacement_cycles.update({key, inner})
                    elif inner in replacements and done.get(inner) is None:
                        stack.append((inner, False))
        # Every squash on a circle of `replaces`, not only the two where the walk above closed it.
        among_squashes = {
            key: frozenset(entry for entry in entries if entry in replacements) for key, entries in replacements.items()
        }
        for component in _cyclic_components(among_squashes, among_squashes):
            self.replacement_cycles.update(component)

    def _remove_replaced_nodes(self, replacement: Key, replaced_list: list[Key]) -> None:
        """Django's ``remove_replaced_nodes``: drop the originals, point their edges at the replacement."""
        if replacement not in self.real:
            return  # removed by an outer squash already; only reachable through a replacement cycle
        replaced = set(replaced_list)
        for key in replaced:
            if key not in self.real:
                continue
            del self.real[key]
            self.app_nodes[key[0]].discard(key)
            for child in self.children.pop(key):
                self.parents[child].discard(key)
                # Not to the other replaced nodes: that would make the replacement depend on itself.
                if child not in replaced:
                    self.children[replacement].add(child)
                    self.parents[child].add(replacement)
            for parent in self.parents.pop(key):
                self.children[parent].discard(key)
                if parent not in replaced:
                    self.parents[replacement].add(parent)
                    self.children[parent].add(replacement)

    def _result(self) -> MigrationGraph:
        real = frozenset(key for key, is_real in self.real.items() if is_real)
        # Along a chain the parents of a node and the children of its grandparent are the same one key: one tuple.
        alone: dict[Key, tuple[Key]] = {}

        def linked(keys: set[Key]) -> tuple[Key, ...]:
            if len(keys) == 1:  # the usual case, without a sort
                kept = list(keys)
                if kept[0] not in real:
                    return ()
            else:
                kept = sorted(key for key in keys if key in real)
                if len(kept) != 1:
                    return tuple(kept)
            found = alone.get(kept[0])
            if found is None:
                found = alone[kept[0]] = (kept[0],)
            return found

        return MigrationGraph(
            nodes=real,
            parents={key: linked(self.parents[key]) for key in real},
            children={key: linked(self.children[key]) for key in real},
            dummies=frozenset(key for key, is_real in self.real.items() if not is_real),
            resolved=tuple(self.resolved),
            into_empty_apps=tuple(self.into_empty_apps),
            into_unknown_apps=tuple(self.into_unknown_apps),
            external_apps=frozenset(self.external_apps),
            replacement_cycles=frozenset(self.replacement_cycles),
        )


def _is_acyclic(
    nodes: Collection[Key], parents: Mapping[Key, Collection[Key]], children: Mapping[Key, Collection[Key]]
) -> bool:
    """Kahn's algorithm: whether every node can be taken once all its parents are (``children`` is the reverse of
    ``parents``). A node on a cycle, or depending on itself, never is."""
    waiting = {node: len(parents[node]) for node in nodes}
    ready = [node for node, count in waiting.items() if not count]
    taken = 0
    while ready:
        node = ready.pop()
        taken += 1
        for child in children[node]:
            waiting[child] -= 1
            if not waiting[child]:
                ready.append(child)
    return taken == len(waiting)


def _cyclic_components(nodes: Iterable[Key], successors: Mapping[Key, Collection[Key]]) -> list[list[Key]]:
    """Tarjan's strongly connected components, iteratively (graphs of many thousand nodes are deep)."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    on_stack: set[Key] = set()
    stack: list[Key] = []
    components: list[list[Key]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(successors[start])))]
        while work:
            node, pending = work[-1]
            for successor in pending:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(successors[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    caller = work[-1][0]
                    low[caller] = min(low[caller], low[node])
                if low[node] == index[node]:
                    component: list[Key] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in successors[node]:
                        components.append(component)
    return components


def _shortest_cycle(node: Key, inside: frozenset[Key], successors: Mapping[Key, Collection[Key]]) -> list[Key]:
    """Breadth-first from ``node`` along dependencies until it is reached again."""
    previous: dict[Key, Key] = {}
    queue: deque[Key] = deque([node])
    seen = {node}
    while queue:
        current = queue.popleft()
        for successor in sorted(successors[current]):
            if successor == node:
                path = [current]
                while path[-1] != node:
                    path.append(previous[path[-1]])
                return [node, *reversed(path[:-1]), node] if current != node else [node, node]
            if successor in inside and successor not in seen:
                seen.add(successor)
                previous[successor] = current
                queue.append(successor)
    return [node, node]  # unreachable for a member of a cyclic component


def _closed_walks(
    component: frozenset[Key],
    successors: Mapping[Key, Collection[Key]],
    predecessors: Mapping[Key, Collection[Key]],
) -> dict[Key, tuple[Key | None, ...]]:
    """member → hub → member for every member, from two breadth-first trees rooted at the hub: linear in the
    component, where a search per member would be quadratic."""
    hub = min(component)
    toward_hub = _bfs_tree(hub, component, predecessors)  # member -> its next step on a path to the hub
    from_hub = _bfs_tree(hub, component, successors)  # member -> its previous step on a path from the hub
    paths: dict[Key, tuple[Key | None, ...]] = {}
    for node in component:
        if node == hub:
            paths[node] = tuple(_shortest_cycle(node, component, successors))
            continue
        head = [node]
        while head[-1] != hub and len(head) < _SPELLED_OUT:
            head.append(toward_hub[head[-1]])
        tail = [node]
        while tail[-1] != hub and len(tail) < _SPELLED_OUT:
            tail.append(from_hub[tail[-1]])
        tail.reverse()
        if head[-1] == hub and tail[0] == hub:
            paths[node] = (*head, *tail[1:])
        else:
            paths[node] = (*head, None, *tail)
    return paths


def _bfs_tree(root: Key, component: frozenset[Key], step: Mapping[Key, Collection[Key]]) -> dict[Key, Key]:
    """Breadth-first from ``root`` along ``step``: each member reached maps to the member it was reached from."""
    previous: dict[Key, Key] = {}
    queue: deque[Key] = deque([root])
    seen = {root}
    while queue:
        current = queue.popleft()
        for following in sorted(step[current]):
            if following in component and following not in seen:
                seen.add(following)
                previous[following] = current
                queue.append(following)
    return previous

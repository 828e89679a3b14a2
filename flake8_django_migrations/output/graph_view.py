"""The migration graph as something to look at: apps as clusters, migrations as nodes, dependency edges, the
project findings marked on them and the other findings of their files listed with them, optionally narrowed to some
apps or to the neighbourhood of one migration.

The DOT, Mermaid and HTML renderers draw this view and nothing else, so the three pictures always agree. Edges
point the way migrations apply (parent, then child). Building a view is linear in nodes and edges (plus sorting),
as real projects have thousands of migrations.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project.graph import Key, format_key

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex

__all__ = [
    "ASKED_EDGE_COLOR", "CROSS_APP_EDGE_COLOR", "CYCLE_EDGE_COLOR", "EDGE_COLOR", "MARKS", "OTHER_FINDINGS",
    "AppCluster", "FocusError", "GraphView", "Mark", "ViewEdge", "ViewNode", "build_view", "find_migration",
]


@dataclass(frozen=True, slots=True)
class Mark:
    """How a node with a finding of ``code`` is drawn; ``name`` is a CSS class name and a legend entry."""

    code: str
    name: str
    legend: str
    stroke: str
    fill: str


# Most severe first: a node with several findings is drawn with the first of its marks.
MARKS: Final = (
    Mark("DJM303", "cycle", "on a dependency cycle (DJM303)", "#cf222e", "#ffebe9"),
    Mark("DJM304", "conflict", "one of several leaves of its app (DJM304)", "#bc4c00", "#fff1e5"),
    Mark("DJM402", "removal", "removes what an unordered migration reads (DJM402)", "#8250df", "#fbefff"),
    Mark("DJM401", "reader", "reads what no ancestor creates (DJM401)", "#9a6700", "#fff8c5"),
)
OTHER_FINDINGS: Final = Mark("", "finding", "another project finding", "#57606a", "#eaeef2")
EDGE_COLOR: Final = "#8c959f"
CROSS_APP_EDGE_COLOR: Final = "#0969da"
CYCLE_EDGE_COLOR: Final = "#cf222e"
ASKED_EDGE_COLOR: Final = "#cf222e"

_MARK_BY_CODE: Final = {mark.code: mark for mark in MARKS}
# The rules that ask for a dependency name it in their hint as `("app", "name")` (rules/ordering.py `_dependency`).
_ASKING_CODES: Final = frozenset({"DJM401", "DJM402"})
_ASKED_DEPENDENCY: Final = re.compile(r'\("([^"]+)", "([^"]+)"\)')
_NAMES_IN_ERRORS: Final = 5


class FocusError(ValueError):
    """An ``apps`` or ``around`` value that names nothing in the graph; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class ViewNode:
    key: Key
    findings: tuple[Finding, ...]  # the project findings reported in this migration's file: they mark it
    context: bool  # outside the focus, shown because an edge of the focus ends here
    other_findings: tuple[Finding, ...] = ()  # the file's other findings (per-file rules): listed, not marked

    @property
    def id(self) -> str:
        return format_key(self.key)

    @property
    def every_finding(self) -> tuple[Finding, ...]:
        """Every finding of the file, in the order of its lines, as ``check`` prints them."""
        return tuple(sorted((*self.findings, *self.other_findings), key=lambda finding: finding.sort_key))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted({finding.code for finding in self.findings}))

    @property
    def other_codes(self) -> tuple[str, ...]:
        """The codes of the file's other findings that are not among ``codes``."""
        return tuple(sorted({finding.code for finding in self.other_findings} - set(self.codes)))

    @property
    def mark(self) -> Mark | None:
        codes = {finding.code for finding in self.findings}
        for mark in MARKS:
            if mark.code in codes:
                return mark
        return OTHER_FINDINGS if codes else None


@dataclass(frozen=True, slots=True)
class ViewEdge:
    """``child`` depends on ``parent``: the edge is drawn from parent to child, in the order they apply."""

    parent: Key
    child: Key
    asked: bool = False  # not in the graph: the dependency that DJM401 or DJM402 asks the child to add
    on_cycle: bool = False  # both ends are on the same dependency cycle

    @property
    def cross_app(self) -> bool:
        return self.parent[0] != self.child[0]


@dataclass(frozen=True, slots=True)
class AppCluster:
    label: str
    nodes: tuple[ViewNode, ...]  # sorted by migration name


@dataclass(frozen=True, slots=True)
class GraphView:
    clusters: tuple[AppCluster, ...]  # sorted by app label
    edges: tuple[ViewEdge, ...]  # sorted by (child, parent), the asked ones after the real ones between two nodes
    total_nodes: int  # migrations in the whole graph, of which ``nodes`` shows some when focused
    focus: str  # what the view was narrowed to, for a caption; "" for the whole graph

    @property
    def nodes(self) -> tuple[ViewNode, ...]:
        return tuple(node for cluster in self.clusters for node in cluster.nodes)


def build_view(
    index: ProjectIndex,
    findings: Iterable[Finding] = (),
    *,
    apps: Collection[str] = (),
    around: str | None = None,
    depth: int = 2,
    file_findings: Iterable[Finding] = (),
) -> GraphView:
    """The view of ``index``'s graph with ``findings`` (the project findings, as selected) marked on their nodes,
    and ``file_findings`` (the per-file findings, as selected; a project finding among them is not listed twice)
    listed with their migrations without marking them, so that a migration shows every finding of its file.

    ``apps``: only these apps' migrations, plus the migrations of other apps that one of their edges reaches.
    ``around``: only the migration it names (``app.name``, or a unique prefix of the name as ``migrate`` takes)
    and its ancestors and descendants within ``depth`` edges. Both together: the apps' part of the neighbourhood.
    Raises ``FocusError`` when either names nothing in the graph.
    """
    graph = index.graph
    if depth < 0:
        raise FocusError(f"the depth must be 0 or more, not {depth}")
    missing = sorted(set(apps) - {key[0] for key in graph.nodes})
    if missing:
        known = sorted({key[0] for key in graph.nodes})
        apps_known = f"its apps are {_names(known)}" if known else "it has no migrations"
        raise FocusError(f"no migrations of {_names(missing)} in the graph; {apps_known}")
    universe: Collection[Key] = graph.nodes
    focus_text = []
    if around is not None:
        centre = find_migration(graph.nodes, around)
        universe = _neighbourhood(centre, graph.parents, graph.children, depth)
        focus_text.append(f"{format_key(centre)} within {depth} edge{'s' if depth != 1 else ''}")
    focus = universe if not apps else {key for key in universe if key[0] in apps}
    if apps:
        focus_text.insert(0, "apps " + ", ".join(sorted(apps)))
    on_cycle = {member: number for number, component in enumerate(graph.cycles()) for member in component}

    edges: dict[tuple[Key, Key], ViewEdge] = {}
    for child in focus:
        for parent in graph.parents[child]:
            if parent in universe:
                edges[(child, parent)] = _edge(parent, child, on_cycle)
        for descendant in graph.children[child]:
            if descendant in universe and descendant not in focus:  # else its own turn adds the edge
                edges[(descendant, child)] = _edge(child, descendant, on_cycle)

    by_path = {os.path.abspath(facts.path): key for key, facts in index.migrations.items() if key in graph.nodes}
    found: dict[Key, list[Finding]] = {}
    asked: dict[tuple[Key, Key], ViewEdge] = {}
    for finding in findings:
        key = by_path.get(os.path.abspath(finding.path))
        if key is None:
            continue
        found.setdefault(key, []).append(finding)
        if finding.code not in _ASKING_CODES:
            continue
        for app, name in _ASKED_DEPENDENCY.findall(finding.hint):
            parent = (app, name)
            if parent in graph.nodes and (key in focus or parent in focus) and (key, parent) not in edges:
                asked[(key, parent)] = ViewEdge(parent, key, asked=True)

    shown = set(focus)
    for child, parent in (*edges, *asked):
        shown.update((child, parent))
    listed = {finding for marking in found.values() for finding in marking}
    listed_too: dict[Key, list[Finding]] = {}
    for finding in file_findings:
        key = by_path.get(os.path.abspath(finding.path))
        if key is not None and key in shown and finding not in listed:
            listed.add(finding)
            listed_too.setdefault(key, []).append(finding)
    clusters: dict[str, list[ViewNode]] = {}
    for key in shown:
        node = ViewNode(
            key, _sorted(found.get(key, ())), context=key not in focus, other_findings=_sorted(listed_too.get(key, ())),
        )
        clusters.setdefault(key[0], []).append(node)
    return GraphView(
        clusters=tuple(
            AppCluster(label, tuple(sorted(nodes, key=lambda node: node.key[1])))
            for label, nodes in sorted(clusters.items())
        ),
        edges=tuple(sorted((*edges.values(), *asked.values()), key=lambda e: (e.child, e.parent, e.asked))),
        total_nodes=len(graph.nodes),
        focus="; ".join(focus_text),
    )


def find_migration(nodes: Collection[Key], text: str) -> Key:
    """The migration ``text`` names: ``app.name``, or ``app.prefix`` when exactly one name of the app starts so."""
    app, dot, name = text.partition(".")
    if not dot or not app or not name:
        raise FocusError(f"`{text}`: name a migration as app.name, such as shop.0002_price")
    if (app, name) in nodes:
        return (app, name)
    candidates = sorted(key for key in nodes if key[0] == app and key[1].startswith(name))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise FocusError(f"`{text}` matches more than one migration: {_names([format_key(k) for k in candidates])}")
    raise FocusError(f"`{text}` is not a migration in the graph")


def _sorted(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda finding: finding.sort_key))


def _edge(parent: Key, child: Key, on_cycle: Mapping[Key, int]) -> ViewEdge:
    component = on_cycle.get(parent)
    return ViewEdge(parent, child, on_cycle=component is not None and on_cycle.get(child) == component)


def _neighbourhood(
    centre: Key, parents: Mapping[Key, tuple[Key, ...]], children: Mapping[Key, tuple[Key, ...]], depth: int
) -> set[Key]:
    """``centre``, its ancestors within ``depth`` edges and its descendants within ``depth`` edges."""
    kept = {centre}
    for step in (parents, children):
        distance = {centre: 0}
        queue: deque[Key] = deque([centre])
        while queue:
            current = queue.popleft()
            if distance[current] == depth:
                continue
            for following in step[current]:
                if following not in distance:
                    distance[following] = distance[current] + 1
                    queue.append(following)
        kept.update(distance)
    return kept


def _names(names: list[str]) -> str:
    shown = ", ".join(f"`{name}`" for name in names[:_NAMES_IN_ERRORS])
    rest = len(names) - _NAMES_IN_ERRORS
    return f"{shown} and {rest} more" if rest > 0 else shown

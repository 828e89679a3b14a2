"""The graph view as a Mermaid flowchart, which GitHub renders inside a ```` ```mermaid ```` block in markdown.

One subgraph per app; edges in the order migrations apply; cross-app edges blue, edges on a cycle red, and the
dependencies DJM401/DJM402 ask for dashed. Mermaid ids are derived from the migration keys (sanitised, with a
suffix on a clash) so the output is stable; labels are escaped with Mermaid's entity codes. GitHub's renderer gives
up on large diagrams (Mermaid's default limit is 500 edges): focus on some apps or one migration's neighbourhood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.finding import show_undecodable_bytes
from flake8_django_migrations.output.graph_view import (
    ASKED_EDGE_COLOR,
    CROSS_APP_EDGE_COLOR,
    CYCLE_EDGE_COLOR,
    MARKS,
    OTHER_FINDINGS,
    GraphView,
    ViewEdge,
)
from flake8_django_migrations.project.graph import Key

__all__ = ["render_mermaid"]

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_]")
# Mermaid decodes `#name;` and `#123;` in labels, and GitHub draws labels as HTML: these five say themselves.
_ENTITIES: Final = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}
_ENTITY_PATTERN: Final = re.compile("|".join(re.escape(character) for character in _ENTITIES))
_CONTEXT_CLASS: Final = "classDef context stroke-dasharray:4 3,color:#8c959f"


def render_mermaid(view: GraphView) -> str:
    return "\n".join(_lines(view)) + "\n"


def _lines(view: GraphView) -> Iterator[str]:
    ids = _Ids()
    node_ids = {node.key: ids.unique("m_" + node.id) for node in view.nodes}
    if view.focus:
        yield f"%% {len(view.nodes)} of {view.total_nodes} migrations: {view.focus}".replace("\n", " ")
    yield "flowchart TB"
    for cluster in view.clusters:
        yield f'  subgraph {ids.unique("app_" + cluster.label)}["{_label(cluster.label)}"]'
        for node in cluster.nodes:
            label = "<br/>".join([_label(node.key[1]), *node.codes])
            yield f'    {node_ids[node.key]}["{label}"]'
        yield "  end"
    styles: dict[str, list[int]] = {}
    for number, edge in enumerate(view.edges):
        yield f"  {node_ids[edge.parent]} {_arrow(edge)} {node_ids[edge.child]}"
        style = _link_style(edge)
        if style:
            styles.setdefault(style, []).append(number)
    for style, numbers in sorted(styles.items()):
        yield f"  linkStyle {','.join(map(str, numbers))} {style}"
    classes: dict[str, list[Key]] = {}
    for node in view.nodes:
        mark = node.mark
        if mark is not None:
            classes.setdefault(mark.name, []).append(node.key)
        if node.context:
            classes.setdefault("context", []).append(node.key)
    for mark in (*MARKS, OTHER_FINDINGS):
        if mark.name in classes:
            yield f"  classDef {mark.name} fill:{mark.fill},stroke:{mark.stroke},stroke-width:2px"
            yield f"  class {','.join(node_ids[key] for key in classes[mark.name])} {mark.name}"
    if "context" in classes:
        yield f"  {_CONTEXT_CLASS}"
        yield f"  class {','.join(node_ids[key] for key in classes['context'])} context"


def _arrow(edge: ViewEdge) -> str:
    return "-.->|asked|" if edge.asked else "-->"


def _link_style(edge: ViewEdge) -> str:
    if edge.asked:
        return f"stroke:{ASKED_EDGE_COLOR},stroke-width:2px"
    if edge.on_cycle:
        return f"stroke:{CYCLE_EDGE_COLOR},stroke-width:2px"
    if edge.cross_app:
        return f"stroke:{CROSS_APP_EDGE_COLOR},stroke-width:1.5px"
    return ""


class _Ids:
    """The Mermaid ids of one diagram: letters, digits and underscores only (no keyword such as `end`, thanks to
    the prefix), ``_2``, ``_3``... added on a clash."""

    __slots__ = ("_used", "_next_suffix")

    def __init__(self) -> None:
        self._used: set[str] = set()
        # Per sanitised name, the suffix to try next: the ones before it are taken, and stay taken. Trying from 2
        # each time was quadratic in the names that sanitise alike (non-ASCII ones all do).
        self._next_suffix: dict[str, int] = {}

    def unique(self, wanted: str) -> str:
        base = _UNSAFE.sub("_", wanted)
        suffix = self._next_suffix.get(base)
        candidate = base if suffix is None else f"{base}_{suffix}"
        suffix = 2 if suffix is None else suffix + 1
        while candidate in self._used:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        self._used.add(candidate)
        self._next_suffix[base] = suffix
        return candidate


def _label(text: str) -> str:
    flat = " ".join(show_undecodable_bytes(text).splitlines())
    return _ENTITY_PATTERN.sub(lambda match: _ENTITIES[match.group()], flat)

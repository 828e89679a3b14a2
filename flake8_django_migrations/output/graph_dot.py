"""The graph view as Graphviz DOT: one cluster per app, edges in the order migrations apply, findings marked.

The output depends only on the view (sorted), so it diffs cleanly between runs. Render it with
``dot -Tsvg graph.dot -o graph.svg``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.finding import show_undecodable_bytes
from flake8_django_migrations.output.graph_view import (
    ASKED_EDGE_COLOR,
    CROSS_APP_EDGE_COLOR,
    CYCLE_EDGE_COLOR,
    EDGE_COLOR,
    GraphView,
    ViewEdge,
    ViewNode,
)
from flake8_django_migrations.project.graph import format_key

__all__ = ["render_dot"]

_FONT: Final = "Helvetica"
_CONTEXT_COLOR: Final = "#8c959f"
_ENCODED_IN_IDS: Final = {"%": "%25", "\\": "%5C", "\n": "%0A", "\r": "%0D"}


def render_dot(view: GraphView) -> str:
    return "\n".join(_lines(view)) + "\n"


def _lines(view: GraphView) -> Iterator[str]:
    yield "digraph migrations {"
    yield f"  graph [rankdir=TB, fontname={_quoted(_FONT)}];"
    if view.focus:
        caption = f"{len(view.nodes)} of {view.total_nodes} migrations: {view.focus}"
        yield f'  label={_quoted(caption)}; labelloc="t";'
    yield f'  node [shape=box, style="rounded,filled", fillcolor="white", fontname={_quoted(_FONT)}, fontsize=10];'
    yield f"  edge [color={_quoted(EDGE_COLOR)}, arrowsize=0.6, fontname={_quoted(_FONT)}, fontsize=9];"
    for cluster in view.clusters:
        yield f"  subgraph {_quoted_id('cluster_' + cluster.label)} {{"
        yield f'    label={_quoted(cluster.label)}; style="rounded"; color="#d0d7de";'
        for node in cluster.nodes:
            yield f"    {_quoted_id(node.id)} [{_node_attributes(node)}];"
        yield "  }"
    for edge in view.edges:
        attributes = _edge_attributes(edge)
        suffix = f" [{attributes}]" if attributes else ""
        yield f"  {_quoted_id(format_key(edge.parent))} -> {_quoted_id(format_key(edge.child))}{suffix};"
    yield "}"


def _node_attributes(node: ViewNode) -> str:
    label = node.key[1] + "".join(f"\n{code}" for code in node.codes)
    attributes = [f"label={_quoted(label)}"]
    mark = node.mark
    if mark is not None:
        attributes += [f"color={_quoted(mark.stroke)}", f"fillcolor={_quoted(mark.fill)}", "penwidth=2"]
        attributes.append(f"tooltip={_quoted(chr(10).join(f'{f.code} {f.message}' for f in node.findings))}")
    if node.context:
        attributes += ['style="rounded,filled,dashed"', f"fontcolor={_quoted(_CONTEXT_COLOR)}"]
    return ", ".join(attributes)


def _edge_attributes(edge: ViewEdge) -> str:
    if edge.asked:
        color = _quoted(ASKED_EDGE_COLOR)
        return f'color={color}, style="dashed", penwidth=1.5, label="asked", fontcolor={color}'
    if edge.on_cycle:
        return f"color={_quoted(CYCLE_EDGE_COLOR)}, penwidth=2"
    if edge.cross_app:
        return f"color={_quoted(CROSS_APP_EDGE_COLOR)}, penwidth=1.2"
    return ""


def _quoted_id(text: str) -> str:
    """A DOT id for any text. In a quoted id Graphviz reads only ``\\"`` as an escape, and a backslash before the
    closing quote or a line end would swallow it: those and ``%`` are percent-encoded, keeping ids distinct."""
    text = show_undecodable_bytes(text)
    if any(character in text for character in _ENCODED_IN_IDS):
        text = "".join(_ENCODED_IN_IDS.get(character, character) for character in text)
    return '"' + text.replace('"', '\\"') + '"'


def _quoted(text: str) -> str:
    """A DOT double-quoted string. Backslashes are doubled (Graphviz reads escapes such as ``\\N`` in labels) and
    line breaks become ``\\n``, so any label, tooltip or id reads back as itself."""
    escaped = show_undecodable_bytes(text).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n")
    return '"' + escaped.replace("\n", "\\n") + '"'

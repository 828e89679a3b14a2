"""The graph view as one self-contained HTML page to explore a large graph: nothing is fetched when it is viewed.

The layout is computed here (one row per depth in the graph, so every dependency points down, also across apps;
one column per app; branches side by side) and embedded as JSON with the page's script and style. The script
draws on a ``<canvas>``, only what is on screen, so thousands of migrations stay fluid. Drag or the wheel moves,
Ctrl and the wheel (or + and -) zooms, the search box finds and highlights migrations (``page.html#shop.0002``
searches on opening), a click shows a migration's findings, parents and children. After each drawing the page
records ``data-drawn-nodes`` and ``data-draw-ms`` on its ``<html>`` element, which the tests read in a browser.

Names from the project (folders, file names, labels) are shown as the text lines show them (``escape_controls``):
no control or bidirectional formatting character reaches the page, and a file name's byte that is not UTF-8 is
written ``\\xff``, so the page is valid UTF-8.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Final

from flake8_django_migrations.finding import escape_controls
from flake8_django_migrations.output.graph_view import (
    ASKED_EDGE_COLOR,
    CROSS_APP_EDGE_COLOR,
    CYCLE_EDGE_COLOR,
    EDGE_COLOR,
    MARKS,
    OTHER_FINDINGS,
    GraphView,
    ViewEdge,
)
from flake8_django_migrations.project.graph import Key

__all__ = ["layout", "render_html"]

_NODE_WIDTH: Final = 200
_NODE_HEIGHT: Final = 28
_LANE: Final = 220  # horizontal step between branches of one app
_ROW: Final = 52  # vertical step between depths
_CLUSTER_PADDING: Final = 16
_CLUSTER_HEADER: Final = 30
_CLUSTER_GAP: Final = 60
# Edge kinds in the page's data, in drawing order (the most telling last, on top).
_PLAIN, _CROSS_APP, _CYCLE, _ASKED = range(4)
# Inside <script>, "</script" or "<!--" would end or change the element: JSON may say them as escapes instead.
_SCRIPT_SAFE: Final = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def render_html(view: GraphView, title: str = "Migration graph") -> str:
    """The page. ``title`` names the project (shown escaped)."""
    title = escape_controls(title)
    data = _page_data(view, title)
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).translate(_SCRIPT_SAFE)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        '<div id="bar"><strong id="title"></strong>'
        '<input id="search" type="search" placeholder="Find a migration: app.name" autocomplete="off"'
        ' aria-label="Find a migration"><span id="matches" aria-live="polite"></span>'
        '<button id="fit" type="button" title="Show the whole graph">Fit</button>'
        '</div>\n<div id="legend"></div>\n'
        '<canvas id="graph" aria-label="The migration graph: drag or scroll to move, Ctrl and scroll or + and - to'
        ' zoom, click a migration">'
        "</canvas>\n"
        '<aside id="details" hidden></aside>\n'
        '<noscript>This page draws the migration graph with JavaScript.</noscript>\n'
        f'<script type="application/json" id="graph-data">{payload}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def layout(view: GraphView) -> dict[Key, tuple[int, int]]:
    """The top-left corner of every node: one row per depth in the whole view (the longest chain of dependencies
    above it, a cycle cut where the walk meets it), so every dependency points down, also across apps; apps side by
    side in the view's order, siblings of one app in one row side by side."""
    return _layout(view)[0]


def _layout(view: GraphView) -> tuple[dict[Key, tuple[int, int]], list[tuple[int, int, int, int]]]:
    """Node positions, and each cluster's box (x, y, width, height)."""
    parents: dict[Key, list[Key]] = {}
    for edge in view.edges:
        if not edge.asked:
            parents.setdefault(edge.child, []).append(edge.parent)
    depth = _depths([node.key for node in view.nodes], parents)
    positions: dict[Key, tuple[int, int]] = {}
    boxes: list[tuple[int, int, int, int]] = []
    left = 0
    for cluster in view.clusters:
        rows: dict[int, list[Key]] = {}
        for node in cluster.nodes:  # sorted by name, so siblings are too
            rows.setdefault(depth[node.key], []).append(node.key)
        for row, keys in rows.items():
            for lane, key in enumerate(keys):
                positions[key] = (left + _CLUSTER_PADDING + lane * _LANE, _CLUSTER_HEADER + row * _ROW)
        lanes = max((len(keys) for keys in rows.values()), default=1)
        width = 2 * _CLUSTER_PADDING + (lanes - 1) * _LANE + _NODE_WIDTH
        top = min(rows, default=0) * _ROW
        rows_spanned = max(rows, default=0) - min(rows, default=0)
        height = _CLUSTER_HEADER + rows_spanned * _ROW + _NODE_HEIGHT + _CLUSTER_PADDING
        boxes.append((left, top, width, height))
        left += width + _CLUSTER_GAP
    return positions, boxes


def _depths(keys: Iterable[Key], parents: Mapping[Key, list[Key]]) -> dict[Key, int]:
    """Longest path from a root, by an iterative depth-first walk (apps have long chains) that ignores the edge
    closing a cycle. Linear in nodes and edges."""
    depth: dict[Key, int] = {}
    on_path: set[Key] = set()
    for start in keys:
        if start in depth:
            continue
        on_path.add(start)
        stack = [(start, iter(parents.get(start, ())))]
        while stack:
            node, pending = stack[-1]
            for parent in pending:
                if parent not in depth and parent not in on_path:
                    on_path.add(parent)
                    stack.append((parent, iter(parents.get(parent, ()))))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                depth[node] = 1 + max((depth[p] for p in parents.get(node, ()) if p in depth), default=-1)
    return depth


def _edge_kind(edge: ViewEdge) -> int:
    if edge.asked:
        return _ASKED
    if edge.on_cycle:
        return _CYCLE
    return _CROSS_APP if edge.cross_app else _PLAIN


def _page_data(view: GraphView, title: str) -> dict[str, object]:
    positions, boxes = _layout(view)
    marks = [*MARKS, OTHER_FINDINGS]
    mark_number = {mark.name: number for number, mark in enumerate(marks)}
    number_of: dict[Key, int] = {}
    nodes: list[list[object]] = []
    for app_number, cluster in enumerate(view.clusters):
        for node in cluster.nodes:
            number_of[node.key] = len(nodes)
            x, y = positions[node.key]
            mark = node.mark
            nodes.append([
                app_number, escape_controls(node.key[1]), x, y, -1 if mark is None else mark_number[mark.name],
                int(node.context),
                [f"{finding.code} {finding.message}" for finding in node.findings],
            ])
    caption = f"{len(nodes)} of {view.total_nodes} migrations: {escape_controls(view.focus)}" if view.focus else (
        f"{len(nodes)} migrations in {len(view.clusters)} apps"
    )
    return {
        "title": title,
        "caption": caption,
        "node": [_NODE_WIDTH, _NODE_HEIGHT],
        "apps": [[escape_controls(cluster.label), *box] for cluster, box in zip(view.clusters, boxes)],
        "nodes": nodes,
        "edges": [[number_of[edge.parent], number_of[edge.child], _edge_kind(edge)] for edge in view.edges],
        "marks": [[mark.legend, mark.stroke, mark.fill] for mark in marks],
        "edgeColors": [EDGE_COLOR, CROSS_APP_EDGE_COLOR, CYCLE_EDGE_COLOR, ASKED_EDGE_COLOR],
    }


_STYLE: Final = """
html, body { margin: 0; height: 100%; overflow: hidden; font: 13px system-ui, sans-serif; color: #1f2328; }
#bar, #legend, #details { z-index: 1; }
#bar { position: fixed; top: 0; left: 0; right: 0; height: 40px; box-sizing: border-box; padding: 0 10px;
  display: flex; gap: 10px; align-items: center; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
  white-space: nowrap; overflow: hidden; }
#search { width: 260px; padding: 4px 6px; }
#legend { position: fixed; left: 10px; bottom: 10px; max-width: calc(100% - 40px); display: flex; flex-wrap: wrap;
  gap: 4px 12px; padding: 6px 10px; color: #57606a; font-size: 12px; background: rgba(255, 255, 255, .9);
  border: 1px solid #d0d7de; border-radius: 6px; }
#legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px;
  border: 2px solid; border-radius: 3px; }
#legend i.line { width: 16px; height: 0; border-width: 2px 0 0; border-radius: 0; vertical-align: 3px; }
#graph { position: fixed; top: 40px; left: 0; width: 100%; height: calc(100% - 40px); display: block;
  cursor: grab; touch-action: none; }
#details { position: fixed; top: 50px; right: 10px; width: 360px; max-height: calc(100% - 70px); overflow: auto;
  background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px;
  box-shadow: 0 4px 12px rgba(0, 0, 0, .12); }
#details h2 { font-size: 14px; margin: 4px 0 8px; word-break: break-all; }
#details h3 { font-size: 12px; margin: 10px 0 4px; color: #57606a; }
#details ul { margin: 0; padding-left: 16px; }
#details button { border: 0; background: none; color: #0969da; cursor: pointer; padding: 0; text-align: left;
  font: inherit; word-break: break-all; }
"""

_SCRIPT: Final = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var root = document.documentElement;
  var canvas = document.getElementById("graph");
  var context = canvas.getContext("2d");
  var search = document.getElementById("search");
  var matchesText = document.getElementById("matches");
  var details = document.getElementById("details");
  var W = data.node[0], H = data.node[1];
  var ASKED = 3, READABLE = 0.5, SELECTED = "#bf3989", MATCHED = "#d4a72c";
  var nodes = data.nodes.map(function (n, i) {
    return {i: i, app: n[0], name: n[1], x: n[2], y: n[3], mark: n[4], context: n[5] === 1, findings: n[6],
            id: data.apps[n[0]][0] + "." + n[1], parents: [], children: [], asks: [], askedBy: []};
  });
  var edgesByKind = [[], [], [], []];
  data.edges.forEach(function (e) {
    edgesByKind[e[2]].push(e);
    if (e[2] === ASKED) { nodes[e[1]].asks.push(e[0]); nodes[e[0]].askedBy.push(e[1]); }
    else { nodes[e[1]].parents.push(e[0]); nodes[e[0]].children.push(e[1]); }
  });
  var extent = data.apps.reduce(function (box, a) {
    return {w: Math.max(box.w, a[1] + a[3]), h: Math.max(box.h, a[2] + a[4])};
  }, {w: W, h: H});
  var view = {scale: 1, x: 20, y: 20};
  var selected = -1, matches = [], matchAt = -1, matched = {};
  var scheduled = false;

  document.title = data.title;
  document.getElementById("title").textContent = data.title + " \u2014 " + data.caption;
  root.setAttribute("data-nodes", String(nodes.length));

  var legend = document.getElementById("legend");
  data.marks.forEach(function (m) { legendItem(m[0], m[1], m[2], false); });
  legendItem("cross-app dependency", data.edgeColors[1], null, true);
  legendItem("dependency asked for (dashed)", data.edgeColors[3], null, true);
  function legendItem(text, stroke, fill, line) {
    var item = document.createElement("span"), swatch = document.createElement("i");
    swatch.style.borderColor = stroke;
    if (fill) { swatch.style.background = fill; }
    if (line) { swatch.className = "line"; }
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(text));
    legend.appendChild(item);
  }

  function size() {
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  }

  function fit(whole) {
    var width = canvas.clientWidth / (extent.w + 40), height = canvas.clientHeight / (extent.h + 40);
    var all = Math.max(Math.min(width, height, 1), 0.02);
    // A graph too large to read whole opens as wide as fits but readable, at the top; scrolling goes down.
    view.scale = whole || all >= READABLE ? all : Math.max(Math.min(width, 1), READABLE);
    view.x = Math.max((canvas.clientWidth - extent.w * view.scale) / 2, 20 * view.scale);
    view.y = 20 * view.scale;
  }

  function zoom(factor, px, py) {
    var scale = Math.min(4, Math.max(0.02, view.scale * factor));
    view.x = px - (px - view.x) * scale / view.scale;
    view.y = py - (py - view.y) * scale / view.scale;
    view.scale = scale;
    schedule();
  }

  function schedule() {
    if (!scheduled) { scheduled = true; window.requestAnimationFrame(function () { scheduled = false; draw(); }); }
  }

  function draw() {
    var started = performance.now();
    var ratio = window.devicePixelRatio || 1, s = view.scale;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.setTransform(ratio * s, 0, 0, ratio * s, ratio * view.x, ratio * view.y);
    var left = -view.x / s, top = -view.y / s;
    var right = left + canvas.clientWidth / s, bottom = top + canvas.clientHeight / s;
    var labels = s * H >= 10;

    context.lineWidth = 1 / s;
    context.font = "600 14px system-ui, sans-serif";
    data.apps.forEach(function (a) {
      if (a[1] > right || a[1] + a[3] < left || a[2] > bottom || a[2] + a[4] < top) { return; }
      context.fillStyle = "#f6f8fa";
      context.strokeStyle = "#d0d7de";
      context.fillRect(a[1], a[2], a[3], a[4]);
      context.strokeRect(a[1], a[2], a[3], a[4]);
      if (s > 0.15) { context.fillStyle = "#57606a"; context.fillText(a[0], a[1] + 12, a[2] + 20, a[3] - 24); }
    });

    function visible(a, b) {
      return !(Math.max(a.x, b.x) + W < left || Math.min(a.x, b.x) > right ||
               Math.max(a.y, b.y) + H < top || Math.min(a.y, b.y) > bottom);
    }
    function path(e) {
      var from = nodes[e[0]], to = nodes[e[1]];
      if (!visible(from, to)) { return; }
      var x1 = from.x + W / 2, y1 = from.y + H, x2 = to.x + W / 2, y2 = to.y;
      var bend = Math.max(20, Math.abs(y2 - y1) / 2);
      context.moveTo(x1, y1);
      context.bezierCurveTo(x1, y1 + bend, x2, y2 - bend, x2, y2);
      if (s > 0.3) {
        context.moveTo(x2 - 4, y2 - 7); context.lineTo(x2, y2); context.lineTo(x2 + 4, y2 - 7);
      }
    }
    edgesByKind.forEach(function (edges, kind) {
      context.beginPath();
      edges.forEach(path);
      context.strokeStyle = data.edgeColors[kind];
      context.lineWidth = (kind === 0 ? 1 : 2) / Math.max(s, 0.5);
      context.setLineDash(kind === ASKED ? [6, 4] : []);
      context.stroke();
    });
    context.setLineDash([]);
    if (selected >= 0) {
      var chosen = nodes[selected];
      context.beginPath();
      chosen.parents.forEach(function (p) { path([p, selected]); });
      chosen.children.forEach(function (c) { path([selected, c]); });
      context.strokeStyle = SELECTED;
      context.lineWidth = 3 / Math.max(s, 0.5);
      context.stroke();
    }

    var drawn = 0;
    context.font = "12px system-ui, sans-serif";
    context.textBaseline = "middle";
    nodes.forEach(function (n) {
      if (n.x > right || n.x + W < left || n.y > bottom || n.y + H < top) { return; }
      drawn += 1;
      var mark = n.mark >= 0 ? data.marks[n.mark] : null;
      context.globalAlpha = n.context ? 0.55 : 1;
      context.fillStyle = mark ? mark[2] : "#ffffff";
      context.fillRect(n.x, n.y, W, H);
      context.setLineDash(n.context ? [4, 3] : []);
      context.strokeStyle = mark ? mark[1] : "#8c959f";
      context.lineWidth = (mark ? 2 : 1) / Math.max(s, 0.5);
      context.strokeRect(n.x, n.y, W, H);
      if (labels) {
        context.fillStyle = "#1f2328";
        context.fillText(n.name, n.x + 8, n.y + H / 2, W - 16);
      }
      context.globalAlpha = 1;
      context.setLineDash([]);
      if (matched[n.i] || n.i === selected) {
        context.strokeStyle = n.i === selected ? SELECTED : MATCHED;
        context.lineWidth = 4 / Math.min(s, 1);
        context.strokeRect(n.x - 3, n.y - 3, W + 6, H + 6);
      }
    });
    root.setAttribute("data-drawn-nodes", String(drawn));
    root.setAttribute("data-draw-ms", String(Math.round(performance.now() - started)));
  }

  function centre(n) {
    if (view.scale < READABLE) { view.scale = 1; }
    view.x = canvas.clientWidth / 2 - (n.x + W / 2) * view.scale;
    view.y = canvas.clientHeight / 2 - (n.y + H / 2) * view.scale;
  }

  function select(number, move) {
    selected = number;
    root.setAttribute("data-selected", number >= 0 ? nodes[number].id : "");
    if (number >= 0 && move) { centre(nodes[number]); }
    showDetails();
    schedule();
  }

  function showDetails() {
    while (details.firstChild) { details.removeChild(details.firstChild); }
    if (selected < 0) { details.hidden = true; return; }
    var n = nodes[selected];
    details.hidden = false;
    add(details, "h2", n.id + (n.context ? " (outside the focus)" : ""));
    list("Findings", n.findings.map(function (text) { return {text: text}; }));
    list("Depends on", n.parents.map(link));
    list("Needed by", n.children.map(link));
    list("Should depend on (asked by a finding)", n.asks.map(link));
    list("Asked to be a dependency of", n.askedBy.map(link));
    function link(number) { return {text: nodes[number].id, node: number}; }
    function list(heading, items) {
      if (!items.length) { return; }
      add(details, "h3", heading);
      var ul = add(details, "ul", "");
      items.forEach(function (item) {
        var li = add(ul, "li", item.node === undefined ? item.text : "");
        if (item.node !== undefined) {
          var button = add(li, "button", item.text);
          button.type = "button";
          button.addEventListener("click", function () { select(item.node, true); });
        }
      });
    }
  }

  function add(parent, tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  function find(text) {
    var query = text.trim().toLowerCase();
    matched = {};
    matches = [];
    if (query) {
      nodes.forEach(function (n) {
        var id = n.id.toLowerCase();
        var rank = id === query ? 0 : id.indexOf(query) === 0 ? 1 : n.name.toLowerCase().indexOf(query) === 0 ? 2 :
                   id.indexOf(query) >= 0 ? 3 : -1;
        if (rank >= 0) { matches.push({rank: rank, i: n.i}); matched[n.i] = true; }
      });
      matches.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
    }
    matchAt = matches.length ? 0 : -1;
    root.setAttribute("data-matches", String(matches.length));
    showMatch();
  }

  function showMatch() {
    matchesText.textContent = !search.value.trim() ? "" :
      matches.length ? (matchAt + 1) + " of " + matches.length : "no migration matches";
    select(matchAt >= 0 ? matches[matchAt].i : -1, true);
  }

  search.addEventListener("input", function () { find(search.value); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && matches.length) {
      matchAt = (matchAt + (event.shiftKey ? matches.length - 1 : 1)) % matches.length;
      showMatch();
    }
  });
  document.getElementById("fit").addEventListener("click", function () { fit(true); schedule(); });
  document.addEventListener("keydown", function (event) {
    if (document.activeElement === search) { return; }
    var middleX = canvas.clientWidth / 2, middleY = canvas.clientHeight / 2;
    if (event.key === "/") { event.preventDefault(); search.focus(); }
    if (event.key === "Escape") { select(-1, false); }
    if (event.key === "+" || event.key === "=") { zoom(1.25, middleX, middleY); }
    if (event.key === "-") { zoom(0.8, middleX, middleY); }
  });

  var drag = null;
  canvas.addEventListener("pointerdown", function (event) {
    drag = {x: event.clientX, y: event.clientY, viewX: view.x, viewY: view.y, moved: false};
    canvas.setPointerCapture(event.pointerId);
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x = drag.viewX + dx;
    view.y = drag.viewY + dy;
    schedule();
  });
  canvas.addEventListener("pointerup", function (event) {
    canvas.style.cursor = "grab";
    if (drag && !drag.moved) {
      var box = canvas.getBoundingClientRect();
      var x = (event.clientX - box.left - view.x) / view.scale, y = (event.clientY - box.top - view.y) / view.scale;
      var hit = -1;
      nodes.forEach(function (n) { if (x >= n.x && x <= n.x + W && y >= n.y && y <= n.y + H) { hit = n.i; } });
      select(hit, false);
    }
    drag = null;
  });
  // The wheel scrolls, as on a long page; with Ctrl or Cmd (and a touchpad pinch, which sets ctrlKey) it zooms.
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = canvas.getBoundingClientRect();
    if (event.ctrlKey || event.metaKey) {
      zoom(Math.exp(-event.deltaY * 0.01), event.clientX - box.left, event.clientY - box.top);
    } else {
      view.x -= event.shiftKey ? event.deltaY : event.deltaX;
      view.y -= event.shiftKey ? 0 : event.deltaY;
      schedule();
    }
  }, {passive: false});
  window.addEventListener("resize", function () { size(); schedule(); });

  size();
  fit(false);
  var wanted = decodeURIComponent(window.location.hash.slice(1));
  if (wanted) { search.value = wanted; find(wanted); }
  draw();
}());
"""

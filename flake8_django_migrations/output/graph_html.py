"""The graph view as one self-contained HTML page to explore a large graph: nothing is fetched when it is viewed.

The layout is computed here (``layout``) and embedded as JSON with the page's script and style: one row per depth
in the graph, so every dependency points down, also across apps; one column per app, the apps and the branches in
each row ordered by barycentre sweeps to cut crossings; every edge routed around the boxes (down its column, across
the band between two rows, down the gutter between two columns), so that none runs over a migration or an app's
title. The script draws on a ``<canvas>``, only what is on screen, so thousands of migrations stay fluid. A name
wraps in two lines and is cut with an ellipsis beyond (the whole name shows on hover and in the panel); the codes
of a file's findings are written on its migration. Drag or the wheel moves, Ctrl and the wheel (or + and -) zooms,
the search box finds and highlights migrations (``page.html#shop.0002`` searches on opening), a click shows every
finding of the migration's file, its parents and children. After each drawing the page records
``data-drawn-nodes``, ``data-drawn-tags``, ``data-elided-names``, ``data-overflowing-lines`` and ``data-draw-ms`` on
its ``<html>`` element, which the tests read in a browser.

Names from the project (folders, file names, labels) are shown as the text lines show them (``escape_controls``):
no control or bidirectional formatting character reaches the page, and a file name's byte that is not UTF-8 is
written ``\\xff``, so the page is valid UTF-8.
"""

from __future__ import annotations

import html
import json
from bisect import bisect_left, bisect_right
from itertools import accumulate
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
    ViewNode,
)
from flake8_django_migrations.project.graph import Key

__all__ = ["Layout", "layout", "render_html"]

_NODE_WIDTH: Final = 200
_NODE_HEIGHT: Final = 36  # two lines of a name
_LANE: Final = 220  # horizontal step between branches of one app
_HEADER: Final = 24  # an app's title, above its first row
_BAND: Final = 20  # between two rows, above any title, at least: where edges run across from one column to another
_LEVEL: Final = 6  # between two edges running across one band
_BAND_MARGIN: Final = 7  # between a band's edge and the nearest edge running across it
_PADDING: Final = 16  # inside an app's box, around its migrations
_GUTTER: Final = 40  # between two apps' boxes at least
_TRACK: Final = 8  # between two edges running down one gutter
_TRACK_MARGIN: Final = 12  # between a box and the nearest edge running down a gutter beside it
_EXIT: Final = 12  # an edge that turns off leaves a box this far from the middle of its bottom, on the side it goes
_ENTRY: Final = 24  # and enters one this far from the middle of its top, on the side it comes from
_TITLE_MARGIN: Final = 10  # between a title and what it must not touch
_SWEEPS: Final = 4  # rounds of barycentre ordering (each down then up), the best kept
# Edge kinds in the page's data, in drawing order (the most telling last, on top).
_PLAIN, _CROSS_APP, _CYCLE, _ASKED = range(4)
# How an edge runs: straight down its app's column (through rows where the app has nothing), across the band below
# its upper end to a column beside (the lower end is in the next row), across and down a gutter and across again, or
# over the row of both ends.
_STRAIGHT, _ACROSS, _DOWN_A_GUTTER, _OVER = range(4)
# The runs across a band one migration's edges share: those leaving it (from the row above), those entering it
# (into the row below, from a gutter), those over its row (into the row below, from beside).
_LEAVING, _ENTERING, _OVER_ROW = range(3)
# Inside <script>, "</script" or "<!--" would end or change the element: JSON may say them as escapes instead.
_SCRIPT_SAFE: Final = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

# The codes on a migration's tag in the order of the marks, so that the one its mark shows comes first.
_MARK_ORDER: Final = {mark.code: number for number, mark in enumerate(MARKS)}
Box = tuple[int, int, int, int]  # x, y, width, height
Point = tuple[int, int]


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


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the page draws each thing. Rows are depths in the whole view (the longest chain of dependencies above a
    migration, a cycle cut where the walk meets it), so every dependency points down, also across apps; each app is
    a column of rows, its branches side by side; the edges run between rows, down the gutters between columns and
    straight down through rows where their own app has nothing, so that none crosses a migration or an app's title.
    """

    positions: Mapping[Key, Point]  # the top-left corner of every migration's box
    clusters: tuple[Box, ...]  # each app's box, in the view's order of apps
    titles: tuple[Box, ...]  # where each app's title is drawn, at most: no edge crosses it
    routes: tuple[tuple[Point, ...], ...]  # each edge of the view, in its order: a polyline from parent to child
    size: tuple[int, int]  # width and height of the whole drawing

    def boxes(self) -> dict[Key, Box]:
        return {key: (x, y, _NODE_WIDTH, _NODE_HEIGHT) for key, (x, y) in self.positions.items()}


def layout(view: GraphView) -> Layout:
    """The layout of ``view``: rows by depth, columns of apps ordered and branches ordered within each row by
    barycentre sweeps (as Graphviz orders nodes within ranks) to cut crossings, edges routed around the boxes.
    Linear in nodes and edges, but for sorting."""
    return _Layouter(view).run()


@dataclass(slots=True)
class _Trunk:
    """A run down a gutter, shared by the edges of one migration that take that gutter to migrations far below."""

    gutter: int
    first: int  # the bands it spans: from the band below row ``first`` to the band below row ``last``
    last: int
    ends: set[tuple[int, int]] = field(default_factory=set)  # its runs: (band, -1 to the left or 1 to the right)
    track: int = 0
    x: int = 0


@dataclass(slots=True)
class _Run:
    """A run across the band below a row, shared by the edges that leave one migration there (or that enter one
    below it), with the ways up and down from it: where they cross other runs depends on which is above."""

    band: int  # the row above it (-1: above the first row)
    left: int
    right: int
    ups: set[int] = field(default_factory=set)  # the x of each way up from it, to the row above
    downs: set[int] = field(default_factory=set)  # the x of each way down from it, to the row below or a gutter
    level: int = 0
    y: int = 0

    def crossings_above(self, other: _Run) -> int:
        """How often the ways up and down from the two runs cross the other run if this one is above ``other``."""
        return (sum(other.left < x < other.right for x in self.downs)
                + sum(self.left < x < self.right for x in other.ups))


@dataclass(slots=True)
class _Route:
    upper: Key
    lower: Key
    reversed: bool  # the parent is the lower end (an edge closing a cycle, or asked against the order of rows)
    kind: int  # _STRAIGHT, _ACROSS, _DOWN_A_GUTTER or _OVER
    trunk: _Trunk | None = None
    out: _Run | None = None  # the run it leaves the upper migration by
    into: _Run | None = None  # the run it enters the lower one by, after a trunk
    exit_x: int = 0
    entry_x: int = 0


class _Layouter:
    __slots__ = (
        "view", "column_of", "row", "rows_of_column", "order", "lane", "lanes", "above", "below", "own_edges", "tops",
        "band_levels",
    )

    def __init__(self, view: GraphView) -> None:
        self.view = view
        parents: dict[Key, list[Key]] = {}
        for edge in view.edges:
            if not edge.asked:
                parents.setdefault(edge.child, []).append(edge.parent)
        self.row = _depths([node.key for node in view.nodes], parents)
        # Neighbours in the rows above and below, every kind of edge counted, for ordering.
        self.above: dict[Key, list[Key]] = {}
        self.below: dict[Key, list[Key]] = {}
        for edge in view.edges:
            upper, lower = sorted((edge.parent, edge.child), key=self.row.__getitem__)
            if self.row[upper] != self.row[lower]:
                self.below.setdefault(upper, []).append(lower)
                self.above.setdefault(lower, []).append(upper)
        number = {cluster.label: position for position, cluster in enumerate(view.clusters)}
        self.column_of = {node.key: column for column, node in self._columns_and_nodes(number)}
        self.rows_of_column: list[list[int]] = [[] for _ in view.clusters]
        self.order: dict[tuple[int, int], list[Key]] = {}  # (column, row) -> its migrations, left to right
        for cluster in view.clusters:
            for node in cluster.nodes:  # sorted by name, so siblings start so too
                column = self.column_of[node.key]
                self.order.setdefault((column, self.row[node.key]), []).append(node.key)
        for column, row in sorted(self.order):
            self.rows_of_column[column].append(row)
        self.lanes = [max((len(self.order[column, row]) for row in rows), default=1)
                      for column, rows in enumerate(self.rows_of_column)]
        self.lane: dict[Key, int] = {}
        # How many of a column's own edges cross the band below a row: (rows where that changes, the count from
        # each), for each column.
        changes: list[dict[int, int]] = [{} for _ in view.clusters]
        for edge in view.edges:
            column = self.column_of[edge.parent]
            if column == self.column_of[edge.child]:
                top, bottom = sorted((self.row[edge.parent], self.row[edge.child]))
                changes[column][top] = changes[column].get(top, 0) + 1
                changes[column][bottom] = changes[column].get(bottom, 0) - 1
        self.own_edges: list[tuple[list[int], list[int]]] = []
        for change in changes:
            rows = sorted(change)
            self.own_edges.append((rows, list(accumulate(change[row] for row in rows))))
        self.tops: list[int] = []  # the y of each row
        self.band_levels: dict[int, int] = {}  # the levels of runs in the band below each row (-1: above the first)

    def _columns_and_nodes(self, number: Mapping[str, int]) -> list[tuple[int, ViewNode]]:
        """Each node with its app's column: the apps ordered left to right so that the edges between them cross
        few columns on their way (``_order_columns``), starting from the view's order."""
        weight: dict[tuple[int, int], int] = {}
        for edge in self.view.edges:
            pair = (number[edge.parent[0]], number[edge.child[0]])
            if pair[0] != pair[1]:
                ordered = (min(pair), max(pair))
                weight[ordered] = weight.get(ordered, 0) + 1
        column = _order_columns(len(self.view.clusters), weight)
        return [(column[number[cluster.label]], node) for cluster in self.view.clusters for node in cluster.nodes]

    def run(self) -> Layout:
        self._order_rows()
        self._assign_lanes()
        routes = [self._route(edge) for edge in self.view.edges]
        tracks = self._assign_tracks(routes)
        columns = len(self.view.clusters)
        widths = [2 * _PADDING + (lanes - 1) * _LANE + _NODE_WIDTH for lanes in self.lanes]
        lefts: list[int] = []  # of each column
        first_track: list[int] = []  # the x of each gutter's leftmost track: its tracks are centred in it
        right = 0
        for gutter in range(columns + 1):
            needed = 2 * _TRACK_MARGIN + (tracks[gutter] - 1) * _TRACK if tracks[gutter] else 0
            width = needed if gutter in (0, columns) else max(needed, _GUTTER)
            first_track.append(right + (width - needed) // 2 + _TRACK_MARGIN)
            right += width
            if gutter < columns:
                lefts.append(right)
                right += widths[gutter]
        middle = {key: lefts[column] + _PADDING + self.lane[key] * _LANE + _NODE_WIDTH // 2
                  for key, column in self.column_of.items()}
        touched, runs = self._plan_runs(routes, middle, first_track)
        self._place_rows(runs)
        positions = {key: (x_middle - _NODE_WIDTH // 2, self.tops[self.row[key]]) for key, x_middle in middle.items()}
        clusters: list[Box] = []
        titles: list[Box] = []
        for cluster in self.view.clusters:
            column = self.column_of[cluster.nodes[0].key]
            rows = self.rows_of_column[column]
            left, top = lefts[column], self.tops[rows[0]] - _HEADER
            clusters.append((left, top, widths[column], self.tops[rows[-1]] + _NODE_HEIGHT + _PADDING - top))
            # Edges come straight down into the first row: the title stops before the first of them.
            end = min((x for key in self.order[column, rows[0]] for x in touched.get(key, ())),
                      default=left + widths[column] - _TITLE_MARGIN)
            titles.append((left + _TITLE_MARGIN, top + 3, end - _TITLE_MARGIN - left - _TITLE_MARGIN, _HEADER - 6))
        drawn = tuple(self._points(route, middle) for route in routes)
        height = max((box[1] + box[3] for box in clusters), default=0)
        return Layout(positions, tuple(clusters), tuple(titles), drawn, (right, height))

    # Ordering ----------------------------------------------------------------------------------------------------

    def _order_rows(self) -> None:
        """Barycentre sweeps: each row's migrations of an app sorted by the mean position of their neighbours in
        the rows above (going down) or below (going up); the order with the fewest crossings between adjacent rows
        is kept. Only rows with branches can change, so a graph of straight chains costs nothing here."""
        groups = sorted((place for place, keys in self.order.items() if len(keys) > 1), key=lambda place: place[1])
        if not groups:
            return
        start, x = [], 0.0
        for lanes in self.lanes:  # columns apart, lanes within a column
            start.append(x)
            x += lanes * _LANE + _GUTTER
        position = {key: start[column] + index * _LANE
                    for (column, _), keys in self.order.items() for index, key in enumerate(keys)}
        best = {place: list(self.order[place]) for place in groups}
        best_crossings = self._crossings(position)
        for sweep in range(2 * _SWEEPS):
            neighbours = self.above if sweep % 2 == 0 else self.below
            for place in groups if sweep % 2 == 0 else reversed(groups):
                keys = self.order[place]
                centre = {
                    key: sum(position[other] for other in neighbours[key]) / len(neighbours[key])
                    if neighbours.get(key) else position[key]
                    for key in keys
                }
                keys.sort(key=lambda key: (centre[key], position[key]))
                for index, key in enumerate(keys):
                    position[key] = start[place[0]] + index * _LANE
            crossings = self._crossings(position)
            if crossings < best_crossings:
                best, best_crossings = {place: list(self.order[place]) for place in groups}, crossings
        self.order.update(best)

    def _crossings(self, position: Mapping[Key, float]) -> int:
        """Crossings between the edges that join adjacent rows, counted by sorting (inversions)."""
        by_row: dict[int, list[tuple[float, float]]] = {}
        for upper, lowers in self.below.items():
            for lower in lowers:
                if self.row[lower] == self.row[upper] + 1:
                    by_row.setdefault(self.row[upper], []).append((position[upper], position[lower]))
        return sum(_inversions([lower for _, lower in sorted(pairs)]) for pairs in by_row.values())

    def _assign_lanes(self) -> None:
        """Each migration's lane in its app's column, in its row's order, as near as it can be to the mean lane of
        its parents in the app, so that a chain goes straight down and a branch keeps its side."""
        for (column, row) in sorted(self.order, key=lambda place: place[1]):
            keys = self.order[column, row]
            lanes, count, previous = self.lanes[column], len(keys), -1
            for index, key in enumerate(keys):
                own = [self.lane[other] for other in self.above.get(key, ()) if other in self.lane
                       and self.column_of[other] == column]
                wanted = round(sum(own) / len(own)) if own else index
                previous = min(max(wanted, previous + 1), lanes - count + index)
                self.lane[key] = previous

    # Routing -----------------------------------------------------------------------------------------------------

    def _route(self, edge: ViewEdge) -> _Route:
        row = self.row
        upper, lower = (edge.parent, edge.child) if row[edge.parent] <= row[edge.child] else (edge.child, edge.parent)
        reverse = upper != edge.parent
        top, bottom = row[upper], row[lower]
        column, other = self.column_of[upper], self.column_of[lower]
        if top == bottom:
            return _Route(upper, lower, reverse, _OVER)
        if column == other:
            rows = self.rows_of_column[column]
            if bottom == top + 1 or bisect_right(rows, top) == bisect_left(rows, bottom):  # nothing in between
                return _Route(upper, lower, reverse, _STRAIGHT)
            # Down the gutter on the side of the column where the two ends are.
            if self.lane[upper] + self.lane[lower] < self.lanes[column] - 1:
                return _Route(upper, lower, reverse, _DOWN_A_GUTTER, _Trunk(column, top, bottom - 1))
            return _Route(upper, lower, reverse, _DOWN_A_GUTTER, _Trunk(column + 1, top, bottom - 1))
        if bottom == top + 1:
            return _Route(upper, lower, reverse, _ACROSS)
        # Down the gutter beside the upper end's column, crossing the columns between in the band above the lower
        # end, or down the one beside the lower end's, crossing them in the band below the upper end: where fewer of
        # their edges are in the way.
        between = range(min(column, other) + 1, max(column, other))
        near_upper = sum(self._crossed(between_column, bottom - 1) for between_column in between)
        near_lower = sum(self._crossed(between_column, top) for between_column in between)
        if near_lower < near_upper:
            gutter = other if column < other else other + 1
        else:
            gutter = column + 1 if column < other else column
        return _Route(upper, lower, reverse, _DOWN_A_GUTTER, _Trunk(gutter, top, bottom - 1))

    def _crossed(self, column: int, band: int) -> int:
        """How many of the column's own edges an edge across it in the band below row ``band`` crosses."""
        rows, counts = self.own_edges[column]
        at = bisect_right(rows, band)
        return counts[at - 1] if at else 0

    def _assign_tracks(self, routes: list[_Route]) -> list[int]:
        """Tracks in each gutter: the edges of one migration down one gutter share a trunk; trunks whose bands
        overlap take different tracks, ordered so that the runs to and from them cross few others (``_in_order``).
        Returns the number of tracks of each gutter and sets each trunk's track, counted from the left."""
        shared: dict[tuple[Key, int], _Trunk] = {}
        for route in routes:
            trunk = route.trunk
            if trunk is None:
                continue
            key = (route.upper, trunk.gutter)
            if key in shared:
                shared[key].last = max(shared[key].last, trunk.last)
                trunk = route.trunk = shared[key]
            else:
                shared[key] = trunk
            for end, band in ((route.upper, trunk.first), (route.lower, self.row[route.lower] - 1)):
                trunk.ends.add((band, -1 if self.column_of[end] < trunk.gutter else 1))
        by_gutter: dict[int, list[_Trunk]] = {}
        for trunk in shared.values():
            by_gutter.setdefault(trunk.gutter, []).append(trunk)
        tracks = [0] * (len(self.view.clusters) + 1)
        for gutter, trunks in by_gutter.items():
            trunks.sort(key=lambda trunk: (trunk.first, trunk.last))
            tracks[gutter], slots = _in_order(
                [(trunk.first, trunk.last) for trunk in trunks], 0,
                lambda left, right: _crossed_left_of(trunks[left], trunks[right]),
            )
            for trunk, slot in zip(trunks, slots):
                trunk.track = slot
        return tracks

    def _plan_runs(
        self, routes: list[_Route], middle: Mapping[Key, int], first_track: list[int],
    ) -> tuple[dict[Key, list[int]], list[_Run]]:
        """Where each edge turns off its migrations and the runs across bands it takes, shared by the edges of one
        migration, and the levels of the runs in each band. Returns the x where edges touch the top of each migration
        (which titles must leave free), and the runs."""
        runs: dict[tuple[int, Key, int], _Run] = {}

        def run(kind: int, key: Key, band: int, up: int, down: int, *more_down: int) -> _Run:
            xs = (up, down, *more_down)
            shared = runs.get((kind, key, band))
            if shared is None:
                shared = runs[kind, key, band] = _Run(band, min(xs), max(xs))
            else:
                shared.left, shared.right = min(shared.left, *xs), max(shared.right, *xs)
            if kind == _OVER_ROW:
                shared.downs.update(xs)
            else:
                shared.ups.add(up)
                shared.downs.update((down, *more_down))
            return shared

        touched: dict[Key, list[int]] = {}
        for route in routes:
            upper, lower = middle[route.upper], middle[route.lower]
            top, bottom = self.row[route.upper], self.row[route.lower]
            if route.kind == _STRAIGHT:
                continue
            trunk = route.trunk
            if trunk is not None:
                trunk.x = first_track[trunk.gutter] + trunk.track * _TRACK
                route.exit_x = upper + _EXIT * _sign(trunk.x - upper)
                route.entry_x = lower - _ENTRY * _sign(lower - trunk.x)
                route.out = run(_LEAVING, route.upper, top, route.exit_x, trunk.x)
                route.into = run(_ENTERING, route.lower, bottom - 1, trunk.x, route.entry_x)
            else:
                route.exit_x = upper + _EXIT * _sign(lower - upper)
                route.entry_x = lower - _ENTRY * _sign(lower - upper)
                if route.kind == _OVER:
                    route.out = run(_OVER_ROW, route.upper, top - 1, route.exit_x, route.entry_x)
                    touched.setdefault(route.upper, []).append(route.exit_x)
                else:
                    route.out = run(_LEAVING, route.upper, top, route.exit_x, route.entry_x)
            touched.setdefault(route.lower, []).append(route.entry_x)
        by_band: dict[int, list[_Run]] = {}
        for shared in runs.values():
            by_band.setdefault(shared.band, []).append(shared)
        self.band_levels = {band: _levels(in_band) for band, in_band in by_band.items()}
        return touched, list(runs.values())

    def _place_rows(self, runs: list[_Run]) -> None:
        """The top of each row: the band above it (as tall as its runs need) and the title of an app starting there;
        then the height of each run."""
        starts = {rows[0] for rows in self.rows_of_column if rows}
        band_top: dict[int, int] = {}
        y = 0
        for row in range(max(self.row.values(), default=-1) + 1):
            band_top[row - 1] = y
            y += _band_height(self.band_levels.get(row - 1, 0)) + (_HEADER if row in starts else 0)
            self.tops.append(y)
            y += _NODE_HEIGHT
        for run in runs:
            levels = self.band_levels[run.band]
            run.y = band_top[run.band] + (_band_height(levels) - (levels - 1) * _LEVEL) // 2 + run.level * _LEVEL

    def _points(self, route: _Route, middle: Mapping[Key, int]) -> tuple[Point, ...]:
        """The polyline of an edge, from its parent to its child. It leaves the upper migration at its bottom and
        enters the lower one at its top (the same row: both at their top), running across bands and down gutters,
        never over a box or a title."""
        top, bottom = self.tops[self.row[route.upper]], self.tops[self.row[route.lower]]
        points: list[Point]
        if route.kind == _STRAIGHT:
            points = [(middle[route.upper], top + _NODE_HEIGHT), (middle[route.lower], bottom)]
        else:
            assert route.out is not None
            start = top if route.kind == _OVER else top + _NODE_HEIGHT
            points = [(route.exit_x, start), (route.exit_x, route.out.y)]
            if route.trunk is not None and route.into is not None:
                points += [(route.trunk.x, route.out.y), (route.trunk.x, route.into.y), (route.entry_x, route.into.y)]
            else:
                points.append((route.entry_x, route.out.y))
            points.append((route.entry_x, bottom))
        return tuple(points[::-1] if route.reversed else points)


def _order_columns(count: int, weight: Mapping[tuple[int, int], int]) -> list[int]:
    """The column of each of ``count`` apps, keeping short the edges between them (``weight``: how many between two
    apps): barycentre sweeps, the best kept, then swaps of neighbouring columns while one shortens them."""
    neighbours: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for (a, b), w in weight.items():
        neighbours[a].append((b, w))
        neighbours[b].append((a, w))

    def length(at: list[int]) -> int:
        return sum(w * abs(at[a] - at[b]) for (a, b), w in weight.items())

    position = list(range(count))  # app -> column
    best, best_length = position, length(position)
    for _ in range(2 * _SWEEPS):
        centre = [
            sum(w * position[other] for other, w in near) / sum(w for _, w in near) if near else float(position[app])
            for app, near in enumerate(neighbours)
        ]
        ranked = sorted(range(count), key=lambda app: (centre[app], position[app]))
        position = [0] * count
        for column, app in enumerate(ranked):
            position[app] = column
        current = length(position)
        if current < best_length:
            best, best_length = list(position), current
    app_at = [0] * count
    for app, column in enumerate(best):
        app_at[column] = app
    for _ in range(count):
        swapped = False
        for column in range(count - 1):
            a, b = app_at[column], app_at[column + 1]
            gain = sum(w * (abs(best[other] - column) - abs(best[other] - column - 1))
                       for other, w in neighbours[a] if other != b)
            gain += sum(w * (abs(best[other] - column - 1) - abs(best[other] - column))
                        for other, w in neighbours[b] if other != a)
            if gain > 0:
                app_at[column], app_at[column + 1] = b, a
                best[a], best[b] = column + 1, column
                swapped = True
        if not swapped:
            break
    return best


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _band_height(levels: int) -> int:
    return max(_BAND, 2 * _BAND_MARGIN + (levels - 1) * _LEVEL)


def _levels(runs: list[_Run]) -> int:
    """Levels for the runs of one band, top to bottom (``_in_order``); returns how many."""
    runs.sort(key=lambda run: (run.left, run.right))
    count, slots = _in_order([(run.left, run.right) for run in runs], _LEVEL,
                             lambda upper, lower: runs[upper].crossings_above(runs[lower]))
    for run, slot in zip(runs, slots):
        run.level = slot
    return count


def _crossed_left_of(left: _Trunk, right: _Trunk) -> int:
    """How often the runs to and from two trunks cross the other trunk if ``left`` is on the left of ``right``."""
    return (sum(side < 0 and left.first <= band <= left.last for band, side in right.ends)
            + sum(side > 0 and right.first <= band <= right.last for band, side in left.ends))


def _in_order(spans: list[tuple[int, int]], margin: int, cost: Callable[[int, int], int]) -> tuple[int, list[int]]:
    """Slots (levels of a band, tracks of a gutter) for things that take up ``spans`` (sorted by their start):
    those whose spans overlap (with ``margin``) take different slots, in an order that keeps the crossings of their
    ways in and out few. ``cost(a, b)`` is how often they cross if ``a`` takes the lower slot: whatever would cross
    more that way than the other goes to a higher slot, just after the overlapping ones placed before it. Returns
    how many slots, and each one's. Quadratic in the things that overlap, as few share a band or a gutter."""
    overlapping: list[list[int]] = [[] for _ in spans]
    score = [0] * len(spans)
    for number, (_, end) in enumerate(spans):
        for other in range(number + 1, len(spans)):
            if spans[other][0] > end + margin:
                break
            overlapping[number].append(other)
            overlapping[other].append(number)
            preference = cost(number, other) - cost(other, number)  # > 0: better in the higher slot
            score[number] += preference
            score[other] -= preference
    slots: dict[int, int] = {}
    for number in sorted(range(len(spans)), key=lambda number: (score[number], number)):
        slots[number] = 1 + max((slots[other] for other in overlapping[number] if other in slots), default=-1)
    return max(slots.values(), default=-1) + 1, [slots[number] for number in range(len(spans))]


def _inversions(values: list[float]) -> int:
    """Pairs out of order, by merge sort."""
    count, width, items = 0, 1, list(values)
    while width < len(items):
        merged: list[float] = []
        for start in range(0, len(items), 2 * width):
            left, right = items[start:start + width], items[start + width:start + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if right[j] < left[i]:
                    count += len(left) - i
                    merged.append(right[j])
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged += left[i:] + right[j:]
        items, width = merged, 2 * width
    return count


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


def _encoded(route: tuple[Point, ...]) -> list[int]:
    """An edge's points for the page: none when it goes straight down from its parent to its child (between the
    middles of their boxes, the most common); else the first point, then each next one's y and x by turns, as every
    other edge turns at right angles, leaving and entering its boxes upright."""
    if len(route) == 2:
        return []
    encoded = [*route[0]]
    for number, ((x, y), (next_x, next_y)) in enumerate(zip(route, route[1:])):
        assert (x == next_x) if number % 2 == 0 else (y == next_y), route
        encoded.append(next_y if number % 2 == 0 else next_x)
    return encoded


def _page_data(view: GraphView, title: str) -> dict[str, object]:
    drawing = layout(view)
    marks = [*MARKS, OTHER_FINDINGS]
    mark_number = {mark.name: number for number, mark in enumerate(marks)}
    number_of: dict[Key, int] = {}
    nodes: list[list[object]] = []
    for app_number, cluster in enumerate(view.clusters):
        for node in cluster.nodes:
            number_of[node.key] = len(nodes)
            x, y = drawing.positions[node.key]
            mark = node.mark
            marking = set(node.findings)
            nodes.append([
                app_number, escape_controls(node.key[1]), x, y, -1 if mark is None else mark_number[mark.name],
                int(node.context),
                # Every finding of the file, in the order of its lines; 1 for those that mark it.
                [[finding.line, finding.code, finding.message, finding.hint, int(finding in marking)]
                 for finding in node.every_finding],
                " ".join(sorted(node.codes, key=lambda code: (_MARK_ORDER.get(code, len(MARKS)), code))),
                " ".join(node.other_codes),
            ])
    caption = f"{len(nodes)} of {view.total_nodes} migrations: {escape_controls(view.focus)}" if view.focus else (
        f"{len(nodes)} migrations in {len(view.clusters)} apps"
    )
    edges: list[list[int]] = []
    for edge, route in zip(view.edges, drawing.routes):
        edges.append([number_of[edge.parent], number_of[edge.child], _edge_kind(edge), *_encoded(route)])
    return {
        "title": title,
        "caption": caption,
        "node": [_NODE_WIDTH, _NODE_HEIGHT, _HEADER],
        "size": list(drawing.size),
        "apps": [[escape_controls(cluster.label), *box, title_box[2]]
                 for cluster, box, title_box in zip(view.clusters, drawing.clusters, drawing.titles)],
        "nodes": nodes,
        "edges": edges,
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
#details li { margin-bottom: 4px; }
#details .hint { color: #57606a; font-size: 12px; }
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
  var ASKED = 3, READABLE = 0.5, SELECTED = "#bf3989", MATCHED = "#d4a72c", TEXT = W - 16, ELLIPSIS = "\u2026";
  var NAME_FONT = "12px system-ui, sans-serif", TAG_FONT = "600 10px system-ui, sans-serif";
  var TITLE_FONT = "600 13px system-ui, sans-serif";
  var nodes = data.nodes.map(function (n, i) {
    return {i: i, app: n[0], name: n[1], x: n[2], y: n[3], mark: n[4], context: n[5] === 1, findings: n[6],
            codes: n[7], otherCodes: n[8], id: data.apps[n[0]][0] + "." + n[1], parents: [], children: [], asks: [],
            askedBy: [], edges: [], label: null};
  });
  var edgesByKind = [[], [], [], []];
  data.edges.forEach(function (e) {
    // Its points follow its kind: the first, then the next y and x by turns (each turn a right angle); without
    // them it goes straight from the middle of the parent's bottom to the middle of the child's top.
    if (e.length === 3) { e.push(nodes[e[0]].x + W / 2, nodes[e[0]].y + H, nodes[e[1]].x + W / 2, nodes[e[1]].y); }
    else {
      var turns = e.splice(5, e.length - 5);
      turns.forEach(function (value, k) {
        var last = e.length - 2;
        if (k % 2 === 0) { e.push(e[last], value); } else { e.push(value, e[last + 1]); }
      });
    }
    edgesByKind[e[2]].push(e);
    if (e[2] !== ASKED) { nodes[e[0]].edges.push(e); nodes[e[1]].edges.push(e); }
    if (e[2] === ASKED) { nodes[e[1]].asks.push(e[0]); nodes[e[0]].askedBy.push(e[1]); }
    else { nodes[e[1]].parents.push(e[0]); nodes[e[0]].children.push(e[1]); }
  });
  var extent = {w: Math.max(data.size[0], W), h: Math.max(data.size[1], H)};
  var titles = {};
  var view = {scale: 1, x: 20, y: 20};
  var selected = -1, matches = [], matchAt = -1, matched = {};
  var scheduled = false;

  document.title = data.title;
  document.getElementById("title").textContent = data.title + " \u2014 " + data.caption;
  root.setAttribute("data-nodes", String(nodes.length));

  var legend = document.getElementById("legend");
  data.marks.forEach(function (m) { legendItem(m[0], m[1], m[2], false); });
  legendItem("codes on a grey tag: the file's other findings", "#eaeef2", "#eaeef2", false);
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
    context.font = TITLE_FONT;
    context.textBaseline = "middle";
    data.apps.forEach(function (a, number) {
      if (a[1] > right || a[1] + a[3] < left || a[2] > bottom || a[2] + a[4] < top) { return; }
      context.fillStyle = "#f6f8fa";
      context.strokeStyle = "#d0d7de";
      context.fillRect(a[1], a[2], a[3], a[4]);
      context.strokeRect(a[1], a[2], a[3], a[4]);
      if (s > 0.15) {
        // The title stops where edges come down to the first row: elided there, whole on hover.
        if (titles[number] === undefined) { titles[number] = elide(a[0], a[5]); }
        context.fillStyle = "#57606a";
        context.fillText(titles[number], a[1] + 10, a[2] + data.node[2] / 2 + 1);
      }
    });

    // An edge is the polyline the layout routed around the boxes, from the parent to the child.
    function path(e) {
      var minX = e[3], maxX = e[3], minY = e[4], maxY = e[4], k, end = e.length - 2;
      for (k = 5; k < e.length; k += 2) {
        minX = Math.min(minX, e[k]); maxX = Math.max(maxX, e[k]);
        minY = Math.min(minY, e[k + 1]); maxY = Math.max(maxY, e[k + 1]);
      }
      if (maxX < left || minX > right || maxY < top || minY > bottom) { return; }
      context.moveTo(e[3], e[4]);
      for (k = 5; k < e.length; k += 2) { context.lineTo(e[k], e[k + 1]); }
      if (s > 0.3) {
        var x2 = e[end], y2 = e[end + 1], fromX = e[end - 2], fromY = e[end - 1];
        var length = Math.max(Math.sqrt((x2 - fromX) * (x2 - fromX) + (y2 - fromY) * (y2 - fromY)), 1);
        var dx = (x2 - fromX) / length, dy = (y2 - fromY) / length;
        context.moveTo(x2 - 8 * dx + 4 * dy, y2 - 8 * dy - 4 * dx);
        context.lineTo(x2, y2);
        context.lineTo(x2 - 8 * dx - 4 * dy, y2 - 8 * dy + 4 * dx);
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
      chosen.edges.forEach(path);
      context.strokeStyle = SELECTED;
      context.lineWidth = 3 / Math.max(s, 0.5);
      context.stroke();
    }

    var drawn = 0, tags = 0, overflowing = 0, elided = 0;
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
      context.setLineDash([]);
      if (labels) {
        // The codes of the file's findings in the box's right corners: those that mark it at the top in the
        // mark's colour, the others at the bottom in grey; the name takes the rest, in at most two lines.
        var label = labelOf(n);
        if (label.top) { tag(label.top, n.x + W - 3, n.y + 3, mark[1], "#ffffff"); tags += 1; }
        if (label.bottom) { tag(label.bottom, n.x + W - 3, n.y + H - 16, "#eaeef2", "#424a53"); tags += 1; }
        context.font = NAME_FONT;
        context.fillStyle = "#1f2328";
        label.lines.forEach(function (line, number) {
          context.fillText(line, n.x + 8, n.y + H / 2 + (number - (label.lines.length - 1) / 2) * 14);
          if (context.measureText(line).width > label.widths[number] + 0.5) { overflowing += 1; }
        });
        if (label.elided) { elided += 1; }
      }
      context.globalAlpha = 1;
      if (matched[n.i] || n.i === selected) {
        context.strokeStyle = n.i === selected ? SELECTED : MATCHED;
        context.lineWidth = 4 / Math.min(s, 1);
        context.strokeRect(n.x - 3, n.y - 3, W + 6, H + 6);
      }
    });
    root.setAttribute("data-drawn-nodes", String(drawn));
    root.setAttribute("data-drawn-tags", String(tags));
    root.setAttribute("data-elided-names", String(elided));
    root.setAttribute("data-overflowing-lines", String(overflowing));
    root.setAttribute("data-draw-ms", String(Math.round(performance.now() - started)));
  }

  // A tag drawn with its top right corner at (x, y).
  function tag(shown, x, y, background, colour) {
    context.font = TAG_FONT;
    context.fillStyle = background;
    context.fillRect(x - shown.width, y, shown.width, 13);
    context.fillStyle = colour;
    context.fillText(shown.text, x - shown.width + 4, y + 7);
  }

  // As many codes as fit the right half of a box, then how many more; and its width, in the tags' font.
  function tagOf(text) {
    if (!text) { return null; }
    context.font = TAG_FONT;
    var codes = text.split(" "), shown = text, room = W / 2 - 16, count = codes.length;
    while (count > 1 && context.measureText(shown).width > room) {
      count -= 1;
      shown = codes.slice(0, count).join(" ") + " +" + (codes.length - count);
    }
    shown = elide(shown, room);
    return {text: shown, width: context.measureText(shown).width + 8};
  }

  // A migration's tags, and its name in at most two lines beside them, broken after an underscore where it can;
  // what does not fit ends in an ellipsis (the whole name shows on hover and in the panel). Measured once.
  function labelOf(n) {
    if (n.label) { return n.label; }
    var top = tagOf(n.codes), bottom = tagOf(n.otherCodes);
    var first = TEXT - (top ? top.width + 4 : 0), second = TEXT - (bottom ? bottom.width + 4 : 0);
    context.font = NAME_FONT;
    var label = {top: top, bottom: bottom, lines: [n.name], widths: [Math.min(first, second)], elided: false};
    if (context.measureText(n.name).width > label.widths[0]) {
      var parts = n.name.match(/[^_]*_|[^_]+$/g) || [n.name], line = "", k = 0;
      while (k < parts.length && context.measureText(line + parts[k]).width <= first) { line += parts[k]; k += 1; }
      var rest = parts.slice(k).join("");
      if (!line) {  // the first part alone is too wide: break it where it stops fitting
        line = longestFitting(rest, first, "");
        rest = rest.slice(line.length);
      }
      label.lines = rest ? [line, elide(rest, second)] : [line];
      label.widths = [first, second];
      label.elided = rest !== "" && label.lines[1] !== rest;
    }
    n.label = label;
    return label;
  }

  function elide(text, width) {
    if (context.measureText(text).width <= width) { return text; }
    return longestFitting(text, width, ELLIPSIS) + ELLIPSIS;
  }

  // The longest beginning of text that fits width with suffix after it (at least one character).
  function longestFitting(text, width, suffix) {
    var low = 1, high = text.length;
    while (low < high) {
      var middle = Math.ceil((low + high) / 2);
      if (context.measureText(text.slice(0, middle) + suffix).width <= width) { low = middle; }
      else { high = middle - 1; }
    }
    return text.slice(0, low);
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
    list("Findings in this file", n.findings.map(function (f) {
      return {text: "line " + f[0] + ": " + f[1] + " " + f[2], hint: f[3], marks: f[4] === 1};
    }));
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
        if (item.hint) { add(li, "div", item.hint).className = "hint"; }
        if (item.marks) { li.className = "marks"; }
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
    if (!drag) { hover(event); return; }
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x = drag.viewX + dx;
    view.y = drag.viewY + dy;
    schedule();
  });
  canvas.addEventListener("pointerup", function (event) {
    canvas.style.cursor = "grab";
    if (drag && !drag.moved) {
      select(hit(event), false);
    }
    drag = null;
  });
  function hit(event) {
    var box = canvas.getBoundingClientRect(), found = -1;
    var x = (event.clientX - box.left - view.x) / view.scale, y = (event.clientY - box.top - view.y) / view.scale;
    nodes.forEach(function (n) { if (x >= n.x && x <= n.x + W && y >= n.y && y <= n.y + H) { found = n.i; } });
    return found;
  }
  // The whole name and the codes of a migration under the pointer, as a tooltip.
  function hover(event) {
    var number = hit(event), n = nodes[number], text = "";
    if (n) {
      text = n.id + (n.codes || n.otherCodes ? "\n" + [n.codes, n.otherCodes].join(" ").trim() : "");
    } else {
      var box = canvas.getBoundingClientRect();
      var x = (event.clientX - box.left - view.x) / view.scale, y = (event.clientY - box.top - view.y) / view.scale;
      data.apps.forEach(function (a) {
        if (x >= a[1] && x <= a[1] + a[3] && y >= a[2] && y <= a[2] + data.node[2]) { text = a[0]; }
      });
    }
    if (canvas.title !== text) { canvas.title = text; }
  }
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

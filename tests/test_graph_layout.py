"""The HTML page's layout measured as a reader would judge it, on fixed trees: how many edges run over a migration's
box or an app's title, and how many times edges cross.

The trees are written out here (the example project's graph, and a tangle of branchy apps that depend on each other
back and forth), so that a change to the example or to a generator cannot move the numbers. The layout before issue
27 is kept here as the yardstick (``layout_before``: bezier curves from the middle of a parent's bottom to the middle
of a child's top, apps side by side in alphabetical order, siblings in name order) and measured with the same
functions; each test states by how much the layout now does better.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pytest

from flake8_django_migrations.output.graph_html import _depths, layout
from flake8_django_migrations.output.graph_view import AppCluster, GraphView, ViewEdge, ViewNode, build_view
from flake8_django_migrations.project.graph import Key
from tests.test_linearity import assert_linear

Point = tuple[float, float]
Box = tuple[float, float, float, float]


class Drawing(Protocol):
    """What is measured: the layout, or the one before (``layout_before``)."""

    @property
    def titles(self) -> Sequence[Box]: ...

    @property
    def routes(self) -> Sequence[Sequence[Point]]: ...

    def boxes(self) -> Mapping[Key, Box]: ...


# The example project (examples/shop) as `graph` shows it: each migration and what it depends on; "?" marks the
# dependency a finding asks for (DJM402, DJM401), drawn dashed.
SHOP: Mapping[str, tuple[str, ...]] = {
    "accounts.0001_initial": ("auth.0012_alter_user_first_name_max_length",),
    "accounts.0002_user_phone_number": ("accounts.0001_initial",),
    "accounts.0003_user_display_name": ("accounts.0002_user_phone_number",),
    "accounts.0004_fill_user_display_name": ("accounts.0003_user_display_name",),
    "accounts.0005_remove_user_legacy_id": ("accounts.0004_fill_user_display_name",),
    "auth.0001_initial": ("contenttypes.0001_initial",),
    "auth.0002_alter_permission_name_max_length": ("auth.0001_initial",),
    "auth.0003_alter_user_email_max_length": ("auth.0002_alter_permission_name_max_length",),
    "auth.0004_alter_user_username_opts": ("auth.0003_alter_user_email_max_length",),
    "auth.0005_alter_user_last_login_null": ("auth.0004_alter_user_username_opts",),
    "auth.0006_require_contenttypes_0002": (
        "auth.0005_alter_user_last_login_null", "contenttypes.0002_remove_content_type_name",
    ),
    "auth.0007_alter_validators_add_error_messages": ("auth.0006_require_contenttypes_0002",),
    "auth.0008_alter_user_username_max_length": ("auth.0007_alter_validators_add_error_messages",),
    "auth.0009_alter_user_last_name_max_length": ("auth.0008_alter_user_username_max_length",),
    "auth.0010_alter_group_name_max_length": ("auth.0009_alter_user_last_name_max_length",),
    "auth.0011_update_proxy_permissions": (
        "auth.0010_alter_group_name_max_length", "contenttypes.0002_remove_content_type_name",
    ),
    "auth.0012_alter_user_first_name_max_length": ("auth.0011_update_proxy_permissions",),
    "billing.0001_initial": ("accounts.0001_initial", "orders.0001_initial"),
    "billing.0002_invoice_paid_at": ("billing.0001_initial",),
    "billing.0003_invoice_pdf": ("billing.0002_invoice_paid_at",),
    "billing.0003_populate_invoice_numbers": ("billing.0002_invoice_paid_at",),
    "billing.0004_merge": ("billing.0003_invoice_pdf", "billing.0003_populate_invoice_numbers"),
    "billing.0005_invoiceline_product_sku": ("billing.0004_merge",),
    "billing.0006_fill_invoiceline_product_sku": (
        "billing.0005_invoiceline_product_sku", "catalog.0003_copy_sku_to_ean",
    ),
    "billing.0007_invoice_currency": ("billing.0006_fill_invoiceline_product_sku",),
    "billing.0007_invoice_due_date": ("billing.0006_fill_invoiceline_product_sku",),
    "catalog.0001_initial": (),
    "catalog.0002_product_ean": ("catalog.0001_initial",),
    "catalog.0003_copy_sku_to_ean": ("catalog.0002_product_ean",),
    "catalog.0004_remove_product_sku": ("?billing.0006_fill_invoiceline_product_sku", "catalog.0003_copy_sku_to_ean"),
    "catalog.0005_product_usd_price": ("catalog.0004_remove_product_sku",),
    "catalog.0006_fetch_usd_prices": ("catalog.0005_product_usd_price",),
    "catalog.0007_remove_product_legacy_price": ("catalog.0006_fetch_usd_prices",),
    "catalog.0008_alter_product_name": ("catalog.0007_remove_product_legacy_price",),
    "contenttypes.0001_initial": (),
    "contenttypes.0002_remove_content_type_name": ("contenttypes.0001_initial",),
    "orders.0001_initial": ("accounts.0001_initial", "catalog.0001_initial"),
    "orders.0002_order_shipping_fee_orderline_product_name": ("orders.0001_initial",),
    "orders.0003_snapshot_product_names": (
        "catalog.0001_initial", "orders.0002_order_shipping_fee_orderline_product_name",
    ),
    "orders.0004_order_region": ("orders.0003_snapshot_product_names",),
    "orders.0005_order_priority": ("orders.0004_order_region",),
    "orders.0006_order_order_status_created_idx": ("orders.0005_order_priority",),
    "orders.0007_orderline_product_sku": ("orders.0006_order_order_status_created_idx",),
    "orders.0008_backfill_orderline_product_sku": (
        "catalog.0008_alter_product_name", "orders.0007_orderline_product_sku",
    ),
    "orders.0009_orderline_product_sku_idx": ("orders.0008_backfill_orderline_product_sku",),
    "orders.0010_alter_order_region": ("orders.0009_orderline_product_sku_idx",),
    "orders.0011_delete_cart": ("orders.0010_alter_order_region",),
    "shipping.0001_squashed_0004_alter_shipment_options": ("orders.0001_initial",),
    "shipping.0004_squashed_0006_shipment_dimensions": ("shipping.0001_squashed_0004_alter_shipment_options",),
    "shipping.0007_rename_tracking_number_shipment_tracking_code": (
        "shipping.0004_squashed_0006_shipment_dimensions",
    ),
    "shipping.0008_remove_shipment_label_url": ("shipping.0007_rename_tracking_number_shipment_tracking_code",),
    "shipping.0009_shipment_contact_phone": ("shipping.0008_remove_shipment_label_url",),
    "shipping.0010_fill_shipment_contact_phone": (
        "accounts.0001_initial", "?accounts.0002_user_phone_number", "shipping.0009_shipment_contact_phone",
    ),
}


def tangle() -> dict[str, tuple[str, ...]]:
    """Five apps of twelve migrations that branch and merge every fourth step, each app's later migrations
    depending on migrations of the apps named before it and after it (an app-level cycle is allowed; a migration
    cycle is not: only migrations of an earlier step are depended on)."""
    apps = ("alpha", "beta", "gamma", "delta", "epsilon")
    tree: dict[str, tuple[str, ...]] = {}
    for number, app in enumerate(apps):
        previous: tuple[str, ...] = ()
        for step in range(1, 13):
            names = [f"{app}.{step:04d}_step"] if step % 4 else [f"{app}.{step:04d}_left", f"{app}.{step:04d}_right"]
            for name in names:
                parents = list(previous)
                if step % 3 == 0:
                    other = apps[(number + step) % len(apps)]
                    if other != app:
                        parents.append(f"{other}.{step - 2:04d}_" + ("step" if (step - 2) % 4 else "left"))
                if step % 5 == 0 and number:
                    parents.append(f"{apps[number - 1]}.{step - 1:04d}_" + ("step" if (step - 1) % 4 else "right"))
                tree[name] = tuple(parents)
            previous = tuple(names)
    return tree


def view_of(tree: Mapping[str, tuple[str, ...]]) -> GraphView:
    def key(text: str) -> Key:
        app, _, name = text.lstrip("?").partition(".")
        return (app, name)

    clusters: dict[str, list[ViewNode]] = {}
    for name in sorted(tree):
        clusters.setdefault(key(name)[0], []).append(ViewNode(key(name), (), False))
    edges = [
        ViewEdge(key(parent), key(child), asked=parent.startswith("?"))
        for child, parents in tree.items() for parent in parents
    ]
    return GraphView(
        tuple(AppCluster(label, tuple(nodes)) for label, nodes in sorted(clusters.items())),
        tuple(sorted(edges, key=lambda edge: (edge.child, edge.parent, edge.asked))), len(tree), "",
    )


# Measuring ---------------------------------------------------------------------------------------------------------


def segments(route: Sequence[Point]) -> Iterator[tuple[Point, Point]]:
    return zip(route, route[1:])


def cross(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(p: Point, q: Point, r: Point, s: Point) -> bool:
    """Whether two segments cross at one point inside both (touching, or running along each other, is not)."""
    d1, d2, d3, d4 = cross(r, s, p), cross(r, s, q), cross(p, q, r), cross(p, q, s)
    return ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4))


def segment_enters_box(p: Point, q: Point, box: Box) -> bool:
    """Whether the segment passes through the inside of the box (its edge shrunk by a pixel: an edge that ends on
    a box's border, or runs along it, does not run over it). Liang-Barsky clipping."""
    x, y, width, height = box
    left, top, right, bottom = x + 1, y + 1, x + width - 1, y + height - 1
    low, high = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for step, distance in ((-dx, p[0] - left), (dx, right - p[0]), (-dy, p[1] - top), (dy, bottom - p[1])):
        if step == 0:
            if distance < 0:
                return False
        else:
            ratio = distance / step
            if step < 0:
                low = max(low, ratio)
            else:
                high = min(high, ratio)
            if low > high:
                return False
    return True


def boxes_crossed(view: GraphView, drawn: Drawing) -> tuple[int, int]:
    """(edge, migration box) pairs where the edge runs over a box other than its two ends', and (edge, app title)
    pairs where it runs over the title."""
    boxes = drawn.boxes()
    over_boxes = over_titles = 0
    for edge, route in zip(view.edges, drawn.routes):
        for key, box in boxes.items():
            if key not in (edge.parent, edge.child) and any(segment_enters_box(p, q, box) for p, q in segments(route)):
                over_boxes += 1
        for title in drawn.titles:
            if any(segment_enters_box(p, q, title) for p, q in segments(route)):
                over_titles += 1
    return over_boxes, over_titles


def crossing_segments(view: GraphView, drawn: Drawing) -> Iterator[tuple[Point, Point, Point, Point]]:
    """Each crossing of two edges without a migration in common (two edges of one migration may share a run), as
    the two segments that cross."""
    pairs = [(edge, route, bounds(route)) for edge, route in zip(view.edges, drawn.routes)]
    for number, (edge, route, box) in enumerate(pairs):
        ends = {edge.parent, edge.child}
        for other, other_route, other_box in pairs[number + 1:]:
            if ends & {other.parent, other.child} or not overlap(box, other_box):
                continue
            for p, q in segments(route):
                for r, s in segments(other_route):
                    if overlap(bounds((p, q)), bounds((r, s))) and segments_cross(p, q, r, s):
                        yield p, q, r, s


def bounds(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def crossings(view: GraphView, drawn: Drawing) -> int:
    """How often two edges cross: a pair that crosses twice counts twice."""
    return sum(1 for _ in crossing_segments(view, drawn))


def crossing_points(view: GraphView, drawn: Drawing) -> set[tuple[int, int]]:
    """The points where lines cross, as a reader sees them: where edges that share a run cross another line, one."""
    found = set()
    for p, q, r, s in crossing_segments(view, drawn):
        along = cross(r, s, p) / (cross(r, s, p) - cross(r, s, q))
        found.add((round(p[0] + along * (q[0] - p[0])), round(p[1] + along * (q[1] - p[1]))))
    return found


# The layout before issue 27 ---------------------------------------------------------------------------------------

OLD_NODE = (200, 28)  # width, height
OLD_LANE, OLD_ROW, OLD_PADDING, OLD_HEADER, OLD_GAP = 220, 52, 16, 30, 60


def layout_before(view: GraphView) -> OldLayout:
    """The layout and the edges' curves as the page drew them before issue 27; each curve as 32 segments, each
    title as its text's box at about 8 pixels a character (600 14px, drawn at 12, 20 in its app's box)."""
    parents: dict[Key, list[Key]] = {}
    for edge in view.edges:
        if not edge.asked:
            parents.setdefault(edge.child, []).append(edge.parent)
    depth = _depths([node.key for node in view.nodes], parents)
    positions: dict[Key, tuple[int, int]] = {}
    titles: list[Box] = []
    left = 0
    for cluster in view.clusters:
        rows: dict[int, list[Key]] = {}
        for node in cluster.nodes:
            rows.setdefault(depth[node.key], []).append(node.key)
        for row, keys in rows.items():
            for lane, key in enumerate(keys):
                positions[key] = (left + OLD_PADDING + lane * OLD_LANE, OLD_HEADER + row * OLD_ROW)
        width = 2 * OLD_PADDING + (max(len(keys) for keys in rows.values()) - 1) * OLD_LANE + OLD_NODE[0]
        top = min(rows) * OLD_ROW
        titles.append((left + 12, top + 8, min(width - 24, 8 * len(cluster.label)), 14))
        left += width + OLD_GAP
    routes = []
    for edge in view.edges:
        (x1, y1), (x2, y2) = positions[edge.parent], positions[edge.child]
        x1, y1, x2 = x1 + OLD_NODE[0] // 2, y1 + OLD_NODE[1], x2 + OLD_NODE[0] // 2
        bend = max(20, abs(y2 - y1) / 2)
        controls = ((x1, y1), (x1, y1 + bend), (x2, y2 - bend), (x2, y2))
        routes.append(tuple(_on_curve(controls, step / 32) for step in range(33)))
    return OldLayout(positions, tuple(titles), tuple(routes))


def _on_curve(controls: Sequence[Point], t: float) -> Point:
    weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3)
    return (sum(w * x for w, (x, _) in zip(weights, controls)), sum(w * y for w, (_, y) in zip(weights, controls)))


@dataclass(frozen=True)
class OldLayout:
    positions: Mapping[Key, tuple[int, int]]
    titles: tuple[Box, ...]
    routes: tuple[tuple[Point, ...], ...]

    def boxes(self) -> dict[Key, Box]:
        return {key: (x, y, *OLD_NODE) for key, (x, y) in self.positions.items()}


# The measures -------------------------------------------------------------------------------------------------------

TREES: Mapping[str, Mapping[str, tuple[str, ...]]] = {"shop": SHOP, "tangle": tangle()}


def measures(view: GraphView, drawn: Drawing) -> tuple[int, int, int, int]:
    """Edges over boxes, edges over titles, pairs of edges crossing, points where edges cross."""
    return (*boxes_crossed(view, drawn), crossings(view, drawn), len(crossing_points(view, drawn)))


@pytest.fixture(scope="module", params=sorted(TREES))
def tree(request: pytest.FixtureRequest) -> tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]:
    view = view_of(TREES[request.param])
    return request.param, measures(view, layout_before(view)), measures(view, layout(view))


def test_what_the_layout_before_did(tree: tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]) -> None:
    name, before, _ = tree
    assert before == {"shop": (45, 2, 30, 29), "tangle": (39, 0, 65, 56)}[name]


def test_no_edge_runs_over_a_migration_or_a_title(
    tree: tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]],
) -> None:
    _, _, after = tree
    assert after[:2] == (0, 0)  # 47 fewer in the example (45 over boxes, 2 over titles), 39 fewer in the tangle


def test_edges_cross_less(tree: tuple[str, tuple[int, int, int, int], tuple[int, int, int, int]]) -> None:
    name, before, after = tree
    over_boxes, _, pairs, points = after
    if name == "shop":
        # 30 crossings before, 9 now; 29 points where lines cross before, 8 now.
        assert pairs <= before[2] - 20 and points <= before[3] - 20
    else:
        # Apps that all depend on each other: an edge kept off the boxes crosses the edges of every app it passes
        # (65 pairs before, 78 now), where a curve went over their boxes instead (39 of them). Counting an edge over
        # a box as a crossing, 104 before and 78 now; points where lines cross, 56 before and 55 now.
        assert over_boxes + pairs <= before[0] + before[2] - 25 and points <= before[3]


def test_the_layout_is_linear() -> None:
    from tests.test_graph_render import big_index

    assert_linear(lambda size: layout(build_view(big_index(4, size))), 50)
    assert_linear(lambda size: layout(view_of(stacked_tangles(size))), 4)


def stacked_tangles(count: int) -> dict[str, tuple[str, ...]]:
    """``count`` tangles one below the other, each depending on the one above: a tall graph with branches and
    edges between apps everywhere."""
    tree: dict[str, tuple[str, ...]] = {}
    for number in range(count):
        for name, parents in tangle().items():
            app, _, rest = name.partition(".")
            renamed = tuple(f"{parent.partition('.')[0]}.{number:03d}{parent.partition('.')[2]}" for parent in parents)
            if number and rest.startswith("0001"):
                renamed += (f"{app}.{number - 1:03d}0012_left",)
            tree[f"{app}.{number:03d}{rest}"] = renamed
    return tree

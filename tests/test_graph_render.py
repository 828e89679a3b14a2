"""The migration graph as a picture: the view model (marks, asked dependencies, focus), exact DOT and Mermaid
output on a small tree, the DOT drawn by Graphviz, the Mermaid drawn by Mermaid itself, and the HTML page opened
in headless Chromium. Each external tool is optional here and skipped with the reason when absent; CI installs them
(Debian `graphviz` and `chromium`, npm `mermaid` with MERMAID_JS naming its `dist/mermaid.min.js`)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.graph_dot import render_dot
from flake8_django_migrations.output.graph_html import layout, render_html
from flake8_django_migrations.output.graph_mermaid import render_mermaid
from flake8_django_migrations.output.graph_view import (
    MARKS,
    AppCluster,
    FocusError,
    GraphView,
    ViewEdge,
    ViewNode,
    build_view,
)
from flake8_django_migrations.project.discover import Discovery
from flake8_django_migrations.project.graph import build_graph
from flake8_django_migrations.project.index import ProjectIndex
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.registry import OFF_BY_DEFAULT, PROJECT_RULES
from flake8_django_migrations.settings import Settings
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree
from tests.test_linearity import assert_linear, layered

_CREATE_PRODUCT = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[("id", models.AutoField(primary_key=True)), ("sku", models.CharField(max_length=32, default=""))],
        ),
    ]
'''
_REMOVE_SKU = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RemoveField("product", "sku"), migrations.RunSQL("SELECT 1")]
'''
_COPY_SKU = '''from django.db import migrations


def copy_sku(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    list(Product.objects.values_list("sku", flat=True))


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("catalog", "0001_initial")]
    operations = [migrations.RunPython(copy_sku, migrations.RunPython.noop)]
'''
_CREATE_CUSTOMER = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.CreateModel(name="Customer", fields=[("id", models.AutoField(primary_key=True))])]
'''
_ADD_CUSTOMER_KEY = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.AddField("customer", "key", models.CharField(max_length=32, null=True))]
'''
_FILL_KEYS = '''from django.db import migrations


def fill(apps, schema_editor):
    Customer = apps.get_model("accounts", "Customer")
    list(Customer.objects.values_list("key", flat=True))


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_copy_sku"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
'''

# catalog.0002 removes Product.sku that orders.0002 reads, unordered (DJM402); orders.0003 reads Customer.key,
# which accounts.0002 adds, without depending on it (DJM401); shop has two leaves (DJM304); left and right depend
# on each other (DJM303).
SMALL_TREE = tree(
    app("accounts", {"0001_initial": _CREATE_CUSTOMER, "0002_customer_key": _ADD_CUSTOMER_KEY}),
    app("catalog", {"0001_initial": _CREATE_PRODUCT, "0002_remove_product_sku": _REMOVE_SKU}),
    app("left", {"0001_initial": migration(("right", "0001_initial"))}),
    app("orders", {"0001_initial": migration(initial=True), "0002_copy_sku": _COPY_SKU, "0003_fill_keys": _FILL_KEYS}),
    app("right", {"0001_initial": migration(("left", "0001_initial"))}),
    app("shop", {
        "0001_initial": migration(("catalog", "0001_initial"), initial=True),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
    }),
)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> ProjectRun:
    root = write_tree(tmp_path_factory.mktemp("small"), SMALL_TREE)
    return ProjectRun(str(root), Settings(use_cache=False))


@pytest.fixture(scope="module")
def small(small_run: ProjectRun) -> tuple[ProjectIndex, tuple[Finding, ...]]:
    index = small_run.index()
    # What `graph` reports by default: the off-by-default rules (DJM904 here) are not selected.
    findings = tuple(f for f in run_rules(index, PROJECT_RULES, small_run.settings) if f.code not in OFF_BY_DEFAULT)
    return index, findings


@pytest.fixture(scope="module")
def small_file_findings(small_run: ProjectRun) -> tuple[Finding, ...]:
    """The per-file findings of the small tree, as selected by default: DJM102 on catalog.0002, which DJM402 (and
    DJM202, a project rule since issue 23 item 4) marks."""
    per_file, _, _ = small_run.file_findings()
    return tuple(f for found in per_file.values() for f in found or () if f.code not in OFF_BY_DEFAULT)


def codes_by_node(view: GraphView) -> dict[str, tuple[str, ...]]:
    return {node.id: node.codes for node in view.nodes if node.codes}


# The view ---------------------------------------------------------------------------------------------------------


def test_findings_are_marked_on_their_migrations(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small)
    assert codes_by_node(view) == {
        "catalog.0002_remove_product_sku": ("DJM202", "DJM402"),
        "left.0001_initial": ("DJM303",),
        "orders.0003_fill_keys": ("DJM401",),
        "right.0001_initial": ("DJM303",),
        "shop.0002_a": ("DJM304",),
        "shop.0002_b": ("DJM304",),
    }
    marks = {node.id: node.mark.name for node in view.nodes if node.mark is not None}
    assert marks["left.0001_initial"] == "cycle" and marks["shop.0002_a"] == "conflict"
    assert marks["catalog.0002_remove_product_sku"] == "removal" and marks["orders.0003_fill_keys"] == "reader"
    assert [cluster.label for cluster in view.clusters] == ["accounts", "catalog", "left", "orders", "right", "shop"]
    assert view.total_nodes == len(view.nodes) == 12 and view.focus == ""


def test_the_dependencies_djm401_and_djm402_ask_for_are_dashed_edges(
    small: tuple[ProjectIndex, tuple[Finding, ...]],
) -> None:
    view = build_view(*small)
    asked = [(edge.parent, edge.child) for edge in view.edges if edge.asked]
    assert asked == [
        (("orders", "0002_copy_sku"), ("catalog", "0002_remove_product_sku")),
        (("accounts", "0002_customer_key"), ("orders", "0003_fill_keys")),
    ]
    real = {(edge.parent, edge.child) for edge in view.edges if not edge.asked}
    assert real == {(parent, child) for child, parent in small[0].graph.edges()}


def test_cross_app_and_cycle_edges_are_told_apart(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small)
    cross = sorted((edge.parent[0], edge.child[0]) for edge in view.edges if edge.cross_app and not edge.asked)
    assert cross == [("accounts", "orders"), ("catalog", "orders"), ("catalog", "shop"), ("left", "right"),
                     ("right", "left")]
    assert sorted(edge.child[0] for edge in view.edges if edge.on_cycle) == ["left", "right"]


def test_the_other_findings_of_a_file_are_listed_with_it_and_mark_nothing(
    small: tuple[ProjectIndex, tuple[Finding, ...]], small_file_findings: tuple[Finding, ...],
) -> None:
    index, findings = small
    view = build_view(index, findings, file_findings=(*small_file_findings, *findings))
    assert codes_by_node(view) == codes_by_node(build_view(*small))  # the marks are the project findings'
    removal = next(node for node in view.nodes if node.id == "catalog.0002_remove_product_sku")
    assert (removal.codes, removal.other_codes) == (("DJM202", "DJM402"), ("DJM102",))
    assert [(f.line, f.code) for f in removal.every_finding] == [(6, "DJM202"), (6, "DJM402"), (6, "DJM102")]
    # A project finding passed among the file findings too is listed once.
    assert [node.other_findings for node in view.nodes if node.id != removal.id] == [()] * 11
    assert render_dot(view) == EXPECTED_DOT and render_mermaid(view) == EXPECTED_MERMAID


def test_ignored_rules_mark_nothing(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    index, findings = small
    view = build_view(index, [f for f in findings if f.code not in ("DJM202", "DJM402")])
    assert "catalog.0002_remove_product_sku" not in codes_by_node(view)
    assert [edge.child for edge in view.edges if edge.asked] == [("orders", "0003_fill_keys")]


def test_focus_on_apps_keeps_their_cross_app_neighbours(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small, apps=["shop"])
    assert [(node.id, node.context) for node in view.nodes] == [
        ("catalog.0001_initial", True),
        ("shop.0001_initial", False), ("shop.0002_a", False), ("shop.0002_b", False),
    ]
    assert len(view.edges) == 3 and view.total_nodes == 12 and view.focus == "apps shop"


def test_focus_on_apps_keeps_the_asked_dependencies(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small, apps=["catalog"])
    context = [node.id for node in view.nodes if node.context]
    # orders.0002 depends on catalog.0001 and is the reader the removal must wait for; shop.0001 depends on it.
    assert context == ["orders.0002_copy_sku", "shop.0001_initial"]
    assert [(e.parent[0], e.child[0]) for e in view.edges if e.asked] == [("orders", "catalog")]


def test_focus_around_a_migration_within_a_depth(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    index, findings = small
    one = build_view(index, findings, around="orders.0002_copy_sku", depth=1)
    assert [node.id for node in one.nodes] == [
        "accounts.0002_customer_key", "catalog.0001_initial", "catalog.0002_remove_product_sku",
        "orders.0001_initial", "orders.0002_copy_sku", "orders.0003_fill_keys",
    ]
    # Neither is an ancestor or a descendant: each is the other end of a dependency a finding asks for.
    assert [node.id for node in one.nodes if node.context] == [
        "accounts.0002_customer_key", "catalog.0002_remove_product_sku",
    ]
    assert one.focus == "orders.0002_copy_sku within 1 edge"
    zero = build_view(index, findings, around="orders.0002", depth=0)
    assert [node.id for node in zero.nodes] == ["catalog.0002_remove_product_sku", "orders.0002_copy_sku"]
    two = build_view(index, findings, around="shop.0002_a", depth=2)
    assert [node.id for node in two.nodes] == ["catalog.0001_initial", "shop.0001_initial", "shop.0002_a"]


def test_apps_and_around_together(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small, apps=["shop"], around="shop.0002_b", depth=5)
    assert [(node.id, node.context) for node in view.nodes] == [
        ("catalog.0001_initial", True), ("shop.0001_initial", False), ("shop.0002_b", False),
    ]
    assert view.focus == "apps shop; shop.0002_b within 5 edges"


@pytest.mark.parametrize(("options", "message"), [
    ({"apps": ["nope"]}, "no migrations of `nope` in the graph; its apps are `accounts`, `catalog`, `left`"),
    ({"around": "shop"}, "`shop`: name a migration as app.name, such as shop.0002_price"),
    ({"around": "shop.0009"}, "`shop.0009` is not a migration in the graph"),
    ({"around": "shop.0002"}, "`shop.0002` matches more than one migration: `shop.0002_a`, `shop.0002_b`"),
    ({"around": "shop.0001", "depth": -1}, "the depth must be 0 or more, not -1"),
])
def test_a_focus_that_names_nothing_is_an_error(
    small: tuple[ProjectIndex, tuple[Finding, ...]], options: dict[str, object], message: str,
) -> None:
    with pytest.raises(FocusError) as raised:
        build_view(*small, **options)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def big_index(apps: int, per_app: int) -> ProjectIndex:
    migrations = layered(apps, per_app)
    graph = build_graph(migrations, {key[0] for key in migrations}, {})
    return ProjectIndex(Discovery(root="/p", apps={}, ambiguous=frozenset()), migrations, {}, {}, graph, {})


def test_building_a_view_is_linear() -> None:
    assert_linear(lambda size: build_view(big_index(4, size)), 100)
    assert_linear(lambda size: build_view(big_index(4, size), around="app02.00050_m", depth=size // 4), 100)


# DOT -------------------------------------------------------------------------------------------------------------

EXPECTED_DOT = """\
digraph migrations {
  graph [rankdir=TB, fontname="Helvetica"];
  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=10];
  edge [color="#8c959f", arrowsize=0.6, fontname="Helvetica", fontsize=9];
  subgraph "cluster_accounts" {
    label="accounts"; style="rounded"; color="#d0d7de";
    "accounts.0001_initial" [label="0001_initial"];
    "accounts.0002_customer_key" [label="0002_customer_key"];
  }
  subgraph "cluster_catalog" {
    label="catalog"; style="rounded"; color="#d0d7de";
    "catalog.0001_initial" [label="0001_initial"];
    "catalog.0002_remove_product_sku" [label="0002_remove_product_sku\\nDJM202\\nDJM402", color="#8250df",\
 fillcolor="#fbefff", penwidth=2, tooltip="DJM202 `RemoveField` drops the column `product.sku` while running code\
 may still read it\\nDJM402 the removal of `catalog.product.sku` is not ordered after `orders.0002_copy_sku`,\
 which read it, so it may run first"];
  }
  subgraph "cluster_left" {
    label="left"; style="rounded"; color="#d0d7de";
    "left.0001_initial" [label="0001_initial\\nDJM303", color="#cf222e", fillcolor="#ffebe9", penwidth=2,\
 tooltip="DJM303 this migration is on a dependency cycle: `left.0001_initial` -> `right.0001_initial` ->\
 `left.0001_initial`"];
  }
  subgraph "cluster_orders" {
    label="orders"; style="rounded"; color="#d0d7de";
    "orders.0001_initial" [label="0001_initial"];
    "orders.0002_copy_sku" [label="0002_copy_sku"];
    "orders.0003_fill_keys" [label="0003_fill_keys\\nDJM401", color="#9a6700", fillcolor="#fff8c5", penwidth=2,\
 tooltip="DJM401 `accounts.customer.key` is read here, but `accounts.0002_customer_key`, which creates it, is\
 not among this migration's ancestors"];
  }
  subgraph "cluster_right" {
    label="right"; style="rounded"; color="#d0d7de";
    "right.0001_initial" [label="0001_initial\\nDJM303", color="#cf222e", fillcolor="#ffebe9", penwidth=2,\
 tooltip="DJM303 this migration is on a dependency cycle: `right.0001_initial` -> `left.0001_initial` ->\
 `right.0001_initial`"];
  }
  subgraph "cluster_shop" {
    label="shop"; style="rounded"; color="#d0d7de";
    "shop.0001_initial" [label="0001_initial"];
    "shop.0002_a" [label="0002_a\\nDJM304", color="#bc4c00", fillcolor="#fff1e5", penwidth=2, tooltip="DJM304\
 `shop` has more than one leaf migration: `0002_a`, `0002_b`"];
    "shop.0002_b" [label="0002_b\\nDJM304", color="#bc4c00", fillcolor="#fff1e5", penwidth=2, tooltip="DJM304\
 `shop` has more than one leaf migration: `0002_b`, `0002_a`"];
  }
  "accounts.0001_initial" -> "accounts.0002_customer_key";
  "catalog.0001_initial" -> "catalog.0002_remove_product_sku";
  "orders.0002_copy_sku" -> "catalog.0002_remove_product_sku" [color="#cf222e", style="dashed", penwidth=1.5,\
 label="asked", fontcolor="#cf222e"];
  "right.0001_initial" -> "left.0001_initial" [color="#cf222e", penwidth=2];
  "catalog.0001_initial" -> "orders.0002_copy_sku" [color="#0969da", penwidth=1.2];
  "orders.0001_initial" -> "orders.0002_copy_sku";
  "accounts.0001_initial" -> "orders.0003_fill_keys" [color="#0969da", penwidth=1.2];
  "accounts.0002_customer_key" -> "orders.0003_fill_keys" [color="#cf222e", style="dashed", penwidth=1.5,\
 label="asked", fontcolor="#cf222e"];
  "orders.0002_copy_sku" -> "orders.0003_fill_keys";
  "left.0001_initial" -> "right.0001_initial" [color="#cf222e", penwidth=2];
  "catalog.0001_initial" -> "shop.0001_initial" [color="#0969da", penwidth=1.2];
  "shop.0001_initial" -> "shop.0002_a";
  "shop.0001_initial" -> "shop.0002_b";
}
"""


def test_dot_output(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    assert render_dot(build_view(*small)) == EXPECTED_DOT


EXPECTED_FOCUSED_DOT = """\
digraph migrations {
  graph [rankdir=TB, fontname="Helvetica"];
  label="4 of 12 migrations: apps shop"; labelloc="t";
  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=10];
  edge [color="#8c959f", arrowsize=0.6, fontname="Helvetica", fontsize=9];
  subgraph "cluster_catalog" {
    label="catalog"; style="rounded"; color="#d0d7de";
    "catalog.0001_initial" [label="0001_initial", style="rounded,filled,dashed", fontcolor="#8c959f"];
  }
  subgraph "cluster_shop" {
    label="shop"; style="rounded"; color="#d0d7de";
    "shop.0001_initial" [label="0001_initial"];
    "shop.0002_a" [label="0002_a\\nDJM304", color="#bc4c00", fillcolor="#fff1e5", penwidth=2, tooltip="DJM304\
 `shop` has more than one leaf migration: `0002_a`, `0002_b`"];
    "shop.0002_b" [label="0002_b\\nDJM304", color="#bc4c00", fillcolor="#fff1e5", penwidth=2, tooltip="DJM304\
 `shop` has more than one leaf migration: `0002_b`, `0002_a`"];
  }
  "catalog.0001_initial" -> "shop.0001_initial" [color="#0969da", penwidth=1.2];
  "shop.0001_initial" -> "shop.0002_a";
  "shop.0001_initial" -> "shop.0002_b";
}
"""


def test_dot_output_focused(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    assert render_dot(build_view(*small, apps=["shop"])) == EXPECTED_FOCUSED_DOT


def dot_binary() -> str:
    path = shutil.which("dot")
    if path is None:
        pytest.skip("Graphviz's `dot` is not installed (Debian: apt-get install graphviz)")
    return path


def test_graphviz_draws_every_app_migration_and_edge(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small)
    drawn = subprocess.run(
        [dot_binary(), "-Tjson"], input=render_dot(view), capture_output=True, text=True, timeout=60, check=False,
    )
    assert drawn.returncode == 0 and drawn.stderr == "", drawn.stderr
    graph = json.loads(drawn.stdout)
    clusters = sorted(item["label"] for item in graph["objects"] if item["name"].startswith("cluster_"))
    nodes = sorted(item["name"] for item in graph["objects"] if not item["name"].startswith("cluster_"))
    assert clusters == [cluster.label for cluster in view.clusters]
    assert nodes == sorted(node.id for node in view.nodes)
    assert len(graph["edges"]) == len(view.edges)
    dashed = [edge for edge in graph["edges"] if edge.get("style") == "dashed"]
    assert len(dashed) == 2
    svg = subprocess.run(
        [dot_binary(), "-Tsvg"], input=render_dot(view), capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert svg.count('class="node"') == 12 and svg.count('class="cluster"') == 6


# Any app label or migration name, however odd, must come back from Graphviz as itself.
ODD_NAMES = ('we"ird', "back\\slash", "new\nline", "</script><b>x</b>", "end", "a#35;b", "ünï cödé", "x.y", "tail\\")


def odd_view() -> GraphView:
    nodes = [ViewNode((label, name), (), False) for label in ("shop", 'q"uote') for name in sorted(ODD_NAMES)]
    clusters = tuple(
        AppCluster(label, tuple(node for node in nodes if node.key[0] == label)) for label in ("q\"uote", "shop")
    )
    edges = tuple(ViewEdge(nodes[i].key, nodes[i + 1].key) for i in range(len(nodes) - 1))
    return GraphView(clusters, edges, total_nodes=len(nodes), focus="")


def test_dot_escapes_ids_and_labels() -> None:
    view = odd_view()
    drawn = subprocess.run(
        [dot_binary(), "-Tjson"], input=render_dot(view), capture_output=True, text=True, timeout=60, check=False,
    )
    assert drawn.returncode == 0, drawn.stderr
    objects = json.loads(drawn.stdout)["objects"]
    names = {item["name"] for item in objects if not item["name"].startswith("cluster_")}
    assert len(names) == len(view.nodes) and {"shop.we\"ird", "shop.</script><b>x</b>", "shop.end"} <= names
    svg = subprocess.run(
        [dot_binary(), "-Tsvg"], input=render_dot(view), capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    texts = {html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    # What the label says, drawn: a line break in a name draws two lines.
    assert texts == {"shop", 'q"uote', *(line for name in ODD_NAMES for line in name.splitlines())}


# Mermaid ---------------------------------------------------------------------------------------------------------

EXPECTED_MERMAID = """\
flowchart TB
  subgraph app_accounts["accounts"]
    m_accounts_0001_initial["0001_initial"]
    m_accounts_0002_customer_key["0002_customer_key"]
  end
  subgraph app_catalog["catalog"]
    m_catalog_0001_initial["0001_initial"]
    m_catalog_0002_remove_product_sku["0002_remove_product_sku<br/>DJM202<br/>DJM402"]
  end
  subgraph app_left["left"]
    m_left_0001_initial["0001_initial<br/>DJM303"]
  end
  subgraph app_orders["orders"]
    m_orders_0001_initial["0001_initial"]
    m_orders_0002_copy_sku["0002_copy_sku"]
    m_orders_0003_fill_keys["0003_fill_keys<br/>DJM401"]
  end
  subgraph app_right["right"]
    m_right_0001_initial["0001_initial<br/>DJM303"]
  end
  subgraph app_shop["shop"]
    m_shop_0001_initial["0001_initial"]
    m_shop_0002_a["0002_a<br/>DJM304"]
    m_shop_0002_b["0002_b<br/>DJM304"]
  end
  m_accounts_0001_initial --> m_accounts_0002_customer_key
  m_catalog_0001_initial --> m_catalog_0002_remove_product_sku
  m_orders_0002_copy_sku -.->|asked| m_catalog_0002_remove_product_sku
  m_right_0001_initial --> m_left_0001_initial
  m_catalog_0001_initial --> m_orders_0002_copy_sku
  m_orders_0001_initial --> m_orders_0002_copy_sku
  m_accounts_0001_initial --> m_orders_0003_fill_keys
  m_accounts_0002_customer_key -.->|asked| m_orders_0003_fill_keys
  m_orders_0002_copy_sku --> m_orders_0003_fill_keys
  m_left_0001_initial --> m_right_0001_initial
  m_catalog_0001_initial --> m_shop_0001_initial
  m_shop_0001_initial --> m_shop_0002_a
  m_shop_0001_initial --> m_shop_0002_b
  linkStyle 4,6,10 stroke:#0969da,stroke-width:1.5px
  linkStyle 2,3,7,9 stroke:#cf222e,stroke-width:2px
  classDef cycle fill:#ffebe9,stroke:#cf222e,stroke-width:2px
  class m_left_0001_initial,m_right_0001_initial cycle
  classDef conflict fill:#fff1e5,stroke:#bc4c00,stroke-width:2px
  class m_shop_0002_a,m_shop_0002_b conflict
  classDef removal fill:#fbefff,stroke:#8250df,stroke-width:2px
  class m_catalog_0002_remove_product_sku removal
  classDef reader fill:#fff8c5,stroke:#9a6700,stroke-width:2px
  class m_orders_0003_fill_keys reader
"""


def test_mermaid_output(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    assert render_mermaid(build_view(*small)) == EXPECTED_MERMAID


def test_mermaid_ids_are_sanitised_and_labels_escaped() -> None:
    text = render_mermaid(odd_view())
    ids = re.findall(r"^    (\S+)\[", text, re.MULTILINE)
    assert len(ids) == len(set(ids)) == 2 * len(ODD_NAMES)
    assert all(re.fullmatch(r"m_[A-Za-z0-9_]+", node_id) for node_id in ids)
    assert '["we#quot;ird"]' in text and '["#lt;/script#gt;#lt;b#gt;x#lt;/b#gt;"]' in text
    assert '["a#35;35;b"]' in text and '["new line"]' in text
    assert 'subgraph app_q_uote["q#quot;uote"]' in text


def mermaid_script() -> Path:
    path = os.environ.get("MERMAID_JS")
    if not path or not os.path.isfile(path):
        pytest.skip("MERMAID_JS does not name Mermaid's dist/mermaid.min.js (npm install mermaid)")
    return Path(path)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path is not None:
            return path
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


def open_page(address: str, profile: Path, *options: str) -> str:
    """Chromium's output for the page at ``address`` (a fresh profile; no sandbox, as CI runs as root)."""
    completed = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", "--hide-scrollbars",
         "--window-size=1200,800", *options, address],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def root_attributes(dom: str) -> dict[str, str]:
    opening = re.search(r"<html[^>]*>", dom)
    assert opening is not None, dom[:500]
    return {name: html.unescape(value) for name, value in re.findall(r'(data-[a-z-]+)="([^"]*)"', opening.group())}


def draw_with_mermaid(view: GraphView, folder: Path) -> dict[str, object]:
    """What Mermaid drew in Chromium: its result, and the SVG's nodes (their texts) and clusters."""
    script = mermaid_script()
    page = folder / "mermaid.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><div id=\"out\"></div>"
        f"<script src=\"{script.resolve().as_uri()}\" charset=\"utf-8\"></script><script>"
        "mermaid.initialize({startOnLoad: false});"
        f"mermaid.render('diagram', {json.dumps(render_mermaid(view))}).then(function (result) {{"
        "  document.getElementById('out').innerHTML = result.svg;"
        "  var root = document.documentElement, nodes = document.querySelectorAll('#out g.node');"
        "  root.setAttribute('data-labels', JSON.stringify(Array.prototype.map.call(nodes, function (node) {"
        "    return node.textContent.trim(); })));"
        "  root.setAttribute('data-clusters', document.querySelectorAll('#out g.cluster').length);"
        "  root.setAttribute('data-result', 'drawn');"
        "}, function (error) { document.documentElement.setAttribute('data-result', 'error ' + error.message); });"
        "</script></body></html>",
        encoding="utf-8",
    )
    drawn = root_attributes(open_page(page.as_uri(), folder / "profile", "--virtual-time-budget=20000", "--dump-dom"))
    assert drawn.get("data-result") == "drawn", drawn
    return {"labels": sorted(json.loads(drawn["data-labels"])), "clusters": int(drawn["data-clusters"])}


def test_mermaid_draws_the_diagram(small: tuple[ProjectIndex, tuple[Finding, ...]], tmp_path: Path) -> None:
    view = build_view(*small)
    drawn = draw_with_mermaid(view, tmp_path)
    assert drawn["clusters"] == 6
    assert drawn["labels"] == sorted(node.key[1] + "".join(node.codes) for node in view.nodes)


def test_mermaid_draws_odd_names_as_themselves(tmp_path: Path) -> None:
    drawn = draw_with_mermaid(odd_view(), tmp_path)
    assert drawn["clusters"] == 2
    assert drawn["labels"] == sorted(" ".join(name.splitlines()) for name in ODD_NAMES for _ in range(2))


# HTML ------------------------------------------------------------------------------------------------------------


def test_the_page_is_self_contained(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    page = render_html(build_view(*small), title="shop <project>")
    assert "<title>shop &lt;project&gt;</title>" in page
    assert not re.search(r"\bsrc=|\bhref=|https?://|@import|url\(", page)
    data = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.DOTALL)
    assert data is not None
    decoded = json.loads(data.group(1))
    assert decoded["title"] == "shop <project>" and len(decoded["nodes"]) == 12 and len(decoded["edges"]) == 13


def test_the_layout_puts_every_dependency_below_its_parent(small: tuple[ProjectIndex, tuple[Finding, ...]]) -> None:
    view = build_view(*small)
    positions = layout(view).positions
    assert set(positions) == {node.key for node in view.nodes}
    assert len(set(positions.values())) == len(positions)
    for edge in view.edges:
        if not edge.asked and not edge.on_cycle:
            assert positions[edge.parent][1] < positions[edge.child][1], edge


def png_colours(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the colours of an 8-bit RGB(A) PNG, decoded here (no imaging library needed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert bit_depth == 8 and colour_type in (2, 6) and interlace == 0
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(compressed), width * channels
    previous, colours, offset = bytearray(stride), set[tuple[int, int, int]](), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                nearest = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up),
                              (abs(estimate - corner), 2, corner))[2]
                line[x] = (line[x] + nearest) & 255
        colours.update(zip(line[0::channels], line[1::channels], line[2::channels]))
        previous = line
    return width, height, colours


def hex_colour(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def test_chromium_draws_the_page(small: tuple[ProjectIndex, tuple[Finding, ...]], tmp_path: Path) -> None:
    view = build_view(*small)
    page = tmp_path / "graph.html"
    page.write_text(render_html(view, title="small"), encoding="utf-8")
    drawn = root_attributes(open_page(page.as_uri(), tmp_path / "profile", "--dump-dom"))
    assert drawn["data-nodes"] == drawn["data-drawn-nodes"] == "12"
    shot = tmp_path / "graph.png"
    open_page(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}")
    width, height, colours = png_colours(shot.read_bytes())
    assert (width, height) == (1200, 800)
    # Fills are drawn exactly: the marked migrations are on screen, and text and lines add many more colours.
    assert {hex_colour(mark.fill) for mark in MARKS} <= colours
    assert len(colours) > 50


def panel_items(dom: str) -> list[str]:
    """The items of the side panel's lists as text, a hint after " | "."""
    panel = re.search(r'<aside id="details"[^>]*>(.*?)</aside>', dom, re.DOTALL)
    assert panel is not None, dom[-2000:]
    items = re.findall(r"<li[^>]*>(.*?)</li>", panel.group(1), re.DOTALL)
    return [html.unescape(re.sub(r"<div[^>]*>", " | ", re.sub(r"</?(?!div)[^>]+>|</div>", "", item))) for item in items]


def test_the_panel_lists_every_finding_of_the_file_and_tags_show_the_codes(
    small: tuple[ProjectIndex, tuple[Finding, ...]], small_file_findings: tuple[Finding, ...], tmp_path: Path,
) -> None:
    index, findings = small
    page = tmp_path / "graph.html"
    page.write_text(render_html(build_view(index, findings, file_findings=small_file_findings)), encoding="utf-8")
    dom = open_page(page.as_uri() + "#catalog.0002_remove_product_sku", tmp_path / "profile", "--dump-dom")
    assert panel_items(dom)[:3] == [
        "line 6: DJM202 `RemoveField` drops the column `product.sku` while running code may still read it"
        " | stop reading it first and drop it in a later release marked post-deploy (or `# noqa: DJM202`)",
        "line 6: DJM402 the removal of `catalog.product.sku` is not ordered after `orders.0002_copy_sku`, which read"
        " it, so it may run first | add (\"orders\", \"0002_copy_sku\") to this migration's `dependencies`",
        "line 6: DJM102 `RunSQL` has no `reverse_sql`, so this migration can never be unapplied | pass"
        " `reverse_sql=`, or `migrations.RunSQL.noop` when there is nothing to undo",
    ]
    drawn = root_attributes(open_page(page.as_uri(), tmp_path / "profile", "--dump-dom"))
    # A tag with the codes on each of the six marked migrations, and one with DJM102 beside DJM202's and DJM402's.
    assert (drawn["data-drawn-nodes"], drawn["data-drawn-tags"]) == ("12", "7")


def test_long_names_stay_inside_their_box_and_show_whole_on_hover(tmp_path: Path) -> None:
    names = ["0001_initial", "0002_alter_product_price_precision_and_more", "0003_" + "x" * 120]
    nodes = [ViewNode(("shop", name), (), False) for name in names]
    edges = tuple(ViewEdge(parent.key, child.key) for parent, child in zip(nodes, nodes[1:]))
    page = render_html(GraphView((AppCluster("shop", tuple(nodes)),), edges, total_nodes=3, focus=""))
    # The pointer on the middle of the canvas, where the page puts the migration the address names.
    hover = (
        "<script>var canvas = document.getElementById('graph'), box = canvas.getBoundingClientRect();"
        "canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: box.left + box.width / 2,"
        " clientY: box.top + box.height / 2, bubbles: true}));</script></body>"
    )
    path = tmp_path / "long.html"
    path.write_text(page.replace("</body>", hover), encoding="utf-8")
    dom = open_page(path.as_uri() + "#shop.0003", tmp_path / "profile", "--dump-dom")
    drawn = root_attributes(dom)
    # The second name wraps in two lines; the third is cut with an ellipsis; no line is squeezed or runs out.
    assert (drawn["data-drawn-nodes"], drawn["data-elided-names"], drawn["data-overflowing-lines"]) == ("3", "1", "0")
    canvas = re.search(r'<canvas id="graph"[^>]*\btitle="([^"]*)"', dom)
    assert canvas is not None and html.unescape(canvas.group(1)) == "shop." + names[2]


def test_the_search_box_finds_a_migration_named_in_the_address(
    small: tuple[ProjectIndex, tuple[Finding, ...]], tmp_path: Path,
) -> None:
    page = tmp_path / "graph.html"
    page.write_text(render_html(build_view(*small)), encoding="utf-8")
    found = root_attributes(open_page(page.as_uri() + "#shop.0002_b", tmp_path / "profile", "--dump-dom"))
    assert found["data-selected"] == "shop.0002_b" and found["data-matches"] == "1"
    several = root_attributes(open_page(page.as_uri() + "#0001", tmp_path / "profile", "--dump-dom"))
    assert several["data-matches"] == "6" and several["data-selected"] == "accounts.0001_initial"
    assert int(several["data-drawn-nodes"]) > 0


def test_the_page_stays_usable_at_thousands_of_migrations(tmp_path: Path) -> None:
    view = build_view(big_index(30, 100), around=None)
    page = tmp_path / "big.html"
    page.write_text(render_html(view, title="big"), encoding="utf-8")
    drawn = root_attributes(open_page(page.as_uri(), tmp_path / "profile", "--dump-dom"))
    assert drawn["data-nodes"] == "3000" and int(drawn["data-drawn-nodes"]) > 0
    assert int(drawn["data-draw-ms"]) < 1000, drawn
    found = root_attributes(open_page(page.as_uri() + "#app29.00099_m", tmp_path / "profile", "--dump-dom"))
    assert found["data-selected"] == "app29.00099_m" and 0 < int(found["data-drawn-nodes"]) < 3000


def test_odd_names_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    view = odd_view()
    page = render_html(view, title="</script><script>document.title='owned'</script>")
    assert page.count("</script>") == 2
    path = tmp_path / "odd.html"
    path.write_text(page, encoding="utf-8")
    drawn = root_attributes(open_page(path.as_uri(), tmp_path / "profile", "--dump-dom"))
    assert drawn["data-drawn-nodes"] == str(len(view.nodes))


def test_the_command_draws_each_format_and_refuses_a_focus_on_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flake8_django_migrations.cli import main as command

    write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration(), "0002_a": migration(("shop", "0001_initial"))}),
        app("billing", {"0001_initial": migration(("shop", "0002_a"))}),
    ))
    monkeypatch.chdir(tmp_path)
    base = ["graph", "--djm-no-cache", "--djm-settings", "none"]
    assert command([*base, "--format", "dot", "."]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph migrations {") and '"cluster_billing"' in dot and '"cluster_shop"' in dot
    assert command([*base, "--format", "mermaid", "--around", "shop.0002_a", "--depth", "1", "."]) == 0
    mermaid = capsys.readouterr().out
    assert "flowchart TB" in mermaid and "0002_a" in mermaid
    assert command([*base, "--format", "html", "."]) == 0
    page = capsys.readouterr().out
    assert page.lstrip().lower().startswith("<!doctype html>") and "billing" in page and "0002_a" in page
    assert command([*base, "--app", "shop", "."]) == 2
    assert "--app and --around draw a picture" in capsys.readouterr().err
    assert command([*base, "--format", "dot", "--around", "shop.9999", "."]) == 2
    assert command([*base, "--format", "dot", "--depth", "-1", "--around", "shop.0002_a", "."]) == 2


def test_the_page_lists_the_per_file_findings_of_each_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flake8_django_migrations.cli import main as command

    write_tree(tmp_path, tree(app("shop", {"0001_initial": migration(), "0002_data": RUN_PYTHON})))
    monkeypatch.chdir(tmp_path)
    assert command(["graph", "--djm-no-cache", "--djm-settings", "none", "--format", "html", "."]) == 0
    page = capsys.readouterr().out
    # The RunPython without reverse is a per-file finding (DJM101): listed in its migration's panel data.
    assert re.search(r'"0002_data",[^\]]*?\[\[10,"DJM101","`RunPython\(forwards\)`', page), page[-3000:]

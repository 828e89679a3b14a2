"""``graph --format json`` against Django's own ``MigrationLoader`` on the same files.

For every tree Django loads, nodes, edges and leaves are identical, and the conflicting apps are exactly the apps
with DJM304. Where Django raises ``NodeNotFoundError`` DJM302 fires, where it raises ``CircularDependencyError``
DJM303 fires, and where it is happy neither does.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.cli import main
from tests.graph_trees import CASES, GraphCase, django_graph, random_case, write_tree


def our_graph(root: Path, case: GraphCase, cache: Path) -> dict[str, Any]:
    out = io.StringIO()
    code = main(["graph", str(root), "--cache-dir", str(cache), "--select", "DJM3", *case.cli_options], stdout=out)
    assert code == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_graph_matches_django(case: GraphCase, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", case.files)
    django = django_graph(root, case)
    ours = our_graph(root, case, tmp_path / "cache")
    codes = {error["code"] for error in ours["errors"]}

    assert case.expected_codes <= codes
    if django["error"] == "NodeNotFoundError":
        assert "DJM302" in codes, django["message"]
        return
    if django["error"] == "CircularDependencyError":
        assert "DJM303" in codes, django["message"]
        assert "DJM302" not in codes
        return
    assert django["error"] is None, django
    assert ours["nodes"] == django["nodes"]
    assert ours["edges"] == django["edges"]
    assert ours["leaves"] == django["leaves"]
    assert not codes & {"DJM302", "DJM303"}
    conflicting = {error["message"].split("`")[1] for error in ours["errors"] if error["code"] == "DJM304"}
    assert conflicting == set(django["conflicts"])


def test_every_graph_outcome_is_covered(tmp_path: Path) -> None:
    """The cases keep exercising each of Django's outcomes, not only the happy path."""
    outcomes = set()
    for case in CASES:
        root = write_tree(tmp_path / case.id, case.files)
        result = django_graph(root, case)
        outcomes.add(result["error"] or ("conflict" if result["conflicts"] else "ok"))
    assert outcomes == {"ok", "conflict", "NodeNotFoundError", "CircularDependencyError"}


@pytest.mark.parametrize("seed", range(60))
def test_random_tree_matches_django(seed: int, tmp_path: Path) -> None:
    test_graph_matches_django(random_case(seed), tmp_path)


def test_syntax_error_in_one_file(tmp_path: Path) -> None:
    """Django cannot import the file at all; we skip it, build the rest, and guess nothing about its app."""
    from tests.graph_trees import _case, app, migration

    case = _case(
        "syntax_error",
        app("shop", {
            "0001_initial": migration(),
            "0002_broken": "from django.db import migrations\n\nclass Migration(migrations.Migration:\n",
            "0003_x": migration(("shop", "0002_broken")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0002_broken")), "0002_y": migration()}),
    )
    root = write_tree(tmp_path / "project", case.files)
    assert django_graph(root, case)["error"] == "SyntaxError"
    ours = our_graph(root, case, tmp_path / "cache")
    assert ours["nodes"] == ["orders.0001_initial", "orders.0002_y", "shop.0001_initial", "shop.0003_x"]
    # orders still has two leaves, and that is still reported; shop's graph is not known, so nothing about it.
    assert sorted((error["code"], Path(error["path"]).parent.parent.name, Path(error["path"]).name)
                  for error in ours["errors"]) == [
        ("DJM304", "orders", "0001_initial.py"),
        ("DJM304", "orders", "0002_y.py"),
    ]

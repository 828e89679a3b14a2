"""The graph as Django resolves it, seen through the command: ``__first__`` of an app whose first migration depends
on another app, and the cycle each member of a small dependency cycle is told about."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.registry import RULES
from tests.graph_trees import app, migration, tree, write_tree


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main([*argv, "--djm-no-cache", "."], stdout=out)
    return status, out.getvalue()


def test_first_is_the_root_of_the_app_even_when_it_depends_on_another_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's ``__first__`` is the app's root node: the one without a parent in its own app, whatever it depends
    on elsewhere (``warehouse`` sorts after ``shop``, so ``shop``'s own dependencies are in the graph by then)."""
    monkeypatch.chdir(write_tree(tmp_path, tree(
        app("other", {"0001_initial": migration()}),
        app("shop", {
            "0001_initial": migration(("other", "0001_initial")),
            "0002_more": migration(("shop", "0001_initial")),
        }),
        app("warehouse", {"0001_initial": migration(("shop", "__first__"))}),
    )))
    status, out = run("graph")
    assert status == 0
    assert json.loads(out)["edges"] == [
        ["shop.0001_initial", "other.0001_initial"],
        ["shop.0002_more", "shop.0001_initial"],
        ["warehouse.0001_initial", "shop.0001_initial"],
    ]


def test_each_member_of_a_small_cycle_is_shown_its_shortest_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``b`` is on two cycles, through ``a`` and through ``c``: each of ``a`` and ``c`` is told about its own."""
    monkeypatch.chdir(write_tree(tmp_path, tree(
        app("a", {"0001_initial": migration(("b", "0001_initial"))}),
        app("b", {"0001_initial": migration(("a", "0001_initial"), ("c", "0001_initial"))}),
        app("c", {"0001_initial": migration(("b", "0001_initial"))}),
    )))
    rule = RULES["DJM303"]
    expected = "".join(
        f"{member}/migrations/0001_initial.py:6:5: {rule.finding('', 6, 4, cycle=cycle).text}\n"
        for member, cycle in [
            ("a", "`a.0001_initial` -> `b.0001_initial` -> `a.0001_initial`"),
            ("b", "`b.0001_initial` -> `a.0001_initial` -> `b.0001_initial`"),
            ("c", "`c.0001_initial` -> `b.0001_initial` -> `c.0001_initial`"),
        ]
    )
    assert run("check") == (1, expected)

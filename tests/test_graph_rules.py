"""The project rules (DJM302-DJM307, DJM904): exact positions and messages, and silence where facts are missing."""

from __future__ import annotations

from typing import Any

import os
from pathlib import Path

import pytest

from flake8_django_migrations.project import findings_cache as findings_module
from flake8_django_migrations.project import index as index_module
from flake8_django_migrations.project.findings_cache import project_findings_for as project_findings_for_rules
from flake8_django_migrations.project.index import build_index
from flake8_django_migrations.project.discover import find_project_root
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.registry import PROJECT_RULES
from flake8_django_migrations.settings import Settings
from tests.fixture_harness import project_findings
from tests.graph_trees import app, migration, tree, write_tree

SETTINGS = Settings(use_cache=False)


def findings(root: Path, settings: Settings = SETTINGS) -> list[tuple[str, int, int, str]]:
    """(path relative to root, line, 1-based column, code) of every project finding."""
    return [
        (os.path.relpath(f.path, root), f.line, f.col + 1, f.code)
        for f in project_findings(root, settings)
    ]


def messages(root: Path, code: str, settings: Settings = SETTINGS) -> list[str]:
    return [f.message for f in project_findings(root, settings) if f.code == code]


def test_missing_target_at_the_entry(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial"), ("shop", "0001_typo"), run_before=[("orders", "0005_gone")]),
        }),
        app("orders", {"0001_initial": migration(("thirdparty", "0001_initial"), ("shop", "0001_initial"))}),
    ))
    assert findings(root) == [
        ("shop/migrations/0002_x.py", 6, 47, "DJM302"),
        ("shop/migrations/0002_x.py", 7, 19, "DJM302"),
    ]
    assert messages(root, "DJM302") == [
        "`dependencies` names `shop.0001_typo`, which is not a migration of the local app `shop`",
        "`run_before` names `orders.0005_gone`, which is not a migration of the local app `orders`",
    ]


def test_cycle_reported_on_every_member_at_its_dependencies_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("a", {"0001_initial": migration(("c", "0001_initial"))}),
        app("b", {"0001_initial": migration(("a", "0001_initial"))}),
        app("c", {"0001_initial": migration(("b", "0001_initial"))}),
        app("d", {"0001_initial": migration(("a", "0001_initial"))}),  # depends on the cycle, is not on it
    ))
    assert findings(root) == [
        ("a/migrations/0001_initial.py", 6, 5, "DJM303"),
        ("b/migrations/0001_initial.py", 6, 5, "DJM303"),
        ("c/migrations/0001_initial.py", 6, 5, "DJM303"),
    ]
    assert messages(root, "DJM303")[0] == (
        "this migration is on a dependency cycle: `a.0001_initial` -> `c.0001_initial` -> `b.0001_initial`"
        " -> `a.0001_initial`"
    )


def test_conflicting_leaves_at_each_leaf(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
        "0002_c": migration(("shop", "0001_initial")),
    })))
    assert findings(root) == [
        ("shop/migrations/0002_a.py", 5, 1, "DJM304"),
        ("shop/migrations/0002_b.py", 5, 1, "DJM304"),
        ("shop/migrations/0002_c.py", 5, 1, "DJM304"),
    ]
    assert messages(root, "DJM304")[1] == "`shop` has more than one leaf migration: `0002_b` and `0002_a`, `0002_c`"


def test_duplicate_replacement_once_per_squash_at_its_class(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_squashed_0002": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
        "0001_squashed_0003": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]),
        "0003_squashed_0004": migration(replaces=[("shop", "0003_y"), ("shop", "0004_z")]),
        "0005_w": migration(("shop", "0004_z")),
    })))
    duplicates = [item for item in findings(root) if item[3] == "DJM305"]
    assert duplicates == [
        ("shop/migrations/0001_squashed_0002.py", 5, 1, "DJM305"),
        ("shop/migrations/0001_squashed_0003.py", 5, 1, "DJM305"),
        ("shop/migrations/0003_squashed_0004.py", 5, 1, "DJM305"),
    ]
    assert messages(root, "DJM305") == [
        "`replaces` names `shop.0001_initial`, `shop.0002_x`, which `shop.0001_squashed_0003` replaces too",
        "`replaces` names `shop.0001_initial`, `shop.0002_x`, `shop.0003_y`, which `shop.0001_squashed_0002`,"
        " `shop.0003_squashed_0004` replaces too",
        "`replaces` names `shop.0003_y`, which `shop.0001_squashed_0003` replaces too",
    ]


def test_squash_chain_that_was_transitioned_is_clean(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_squashed_0002": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
        "0001_squashed_0003": migration(replaces=[("shop", "0001_squashed_0002"), ("shop", "0003_y")]),
        "0004_z": migration(("shop", "0003_y")),
    })))
    assert findings(root) == []


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("0002_x\n", []),
        ("0002_x", []),
        ("0001_initial\n", [("shop/migrations/0002_x.py", 5, 1, "DJM307")]),
        ("", [("shop/migrations/0002_x.py", 5, 1, "DJM307")]),
        ("0002_x\n0001_initial\n", [("shop/migrations/0002_x.py", 5, 1, "DJM307")]),
    ],
)
def test_stale_max_migration(tmp_path: Path, recorded: str, expected: list[tuple[str, int, int, str]]) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "0001_initial"))}),
        {"shop/migrations/max_migration.txt": recorded},
    ))
    assert findings(root) == expected
    if expected and recorded == "0001_initial\n":
        assert messages(root, "DJM307") == [
            "`max_migration.txt` names `0001_initial`, but the app's leaf migration is `0002_x`"
        ]


def test_max_migration_of_an_app_with_two_leaves_is_left_to_djm304(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {
            "0001_initial": migration(),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
        }),
        {"shop/migrations/max_migration.txt": "0002_a\n"},
    ))
    assert {code for *_, code in findings(root)} == {"DJM304"}


def test_apps_depending_on_each_other(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("billing", {
            "0001_initial": migration(),
            "0002_x": migration(("billing", "0001_initial"), ("orders", "0001_initial")),
        }),
        app("orders", {
            "0001_initial": migration(),
            "0002_y": migration(("orders", "0001_initial"), ("billing", "0001_initial")),
        }),
    ))
    assert findings(root) == [("billing/migrations/0002_x.py", 6, 50, "DJM904")]
    assert messages(root, "DJM904") == [
        "apps `billing` and `orders` depend on each other: `billing.0002_x` depends on `orders.0001_initial`"
        " and `orders.0002_y` depends on `billing.0001_initial`"
    ]


# Silence where the facts are incomplete --------------------------------------------------------------------------


def test_syntax_error_in_one_file_is_skipped(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_initial": migration(),
        "0002_broken": "class Migration(migrations.Migration:\n",
        "0003_x": migration(("shop", "0002_broken")),
        "0003_y": migration(("shop", "0001_initial")),
    })))
    index = build_index(str(root), SETTINGS)
    assert index.unknown == {"shop": frozenset({"0002_broken"})}
    # 0003_x's parent is unreadable, not missing; and with a node unknown the leaves are not known either.
    assert findings(root) == []


@pytest.mark.parametrize(
    "dependencies",
    [
        "[('shop', '0001_initial')] + EXTRA",
        "[('shop', '0001_initial'), PARENT]",
        "dependencies_of('shop')",
    ],
)
def test_no_conflict_reported_for_an_app_with_dependencies_not_known(tmp_path: Path, dependencies: str) -> None:
    source = (
        "from django.db import migrations\n\n"
        "PARENT = ('shop', '0002_a')\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = {dependencies}\n"
    )
    root = write_tree(tmp_path, tree(app("shop", {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": source,
    })))
    assert findings(root) == []


def test_no_missing_target_reported_into_an_app_with_replaces_not_known(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {
            "0001_squashed_0002": (
                "from django.db import migrations\n\n\n"
                "class Migration(migrations.Migration):\n"
                "    replaces = [('shop', '0001_initial'), ('shop', name_of_second())]\n"
            ),
        }),
        app("orders", {"0001_initial": migration(("shop", "0002_x"))}),
    ))
    assert findings(root) == []


def test_swappable_setting_not_given_is_not_guessed(tmp_path: Path) -> None:
    source = (
        "from django.conf import settings\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [migrations.swappable_dependency(settings.CUSTOM_MODEL)]\n"
    )
    root = write_tree(tmp_path, tree(app("shop", {"0001_initial": source})))
    index = build_index(str(root), SETTINGS)
    assert project_findings(root, SETTINGS) == ()
    assert index.graph.nodes == {("shop", "0001_initial")}


# Discovery -------------------------------------------------------------------------------------------------------


def test_discovery_skips_environments_vendored_code_and_excludes(tmp_path: Path) -> None:
    conflicted = {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
    }
    root = write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration()}),
        app("shop", conflicted, folder=".venv/lib/python3.11/site-packages/shop"),
        app("shop", conflicted, folder="env/lib/shop"),
        {"env/pyvenv.cfg": "home = /usr/bin\n"},
        app("shop", conflicted, folder="node_modules/pkg/shop"),
        app("shop", conflicted, folder="build/lib/shop"),
        app("shop", conflicted, folder="legacy/shop"),
    ))
    settings = Settings(use_cache=False, exclude=("legacy",))
    index = build_index(str(root), settings)
    assert index.discovery.apps["shop"].folder == str(root / "shop" / "migrations")
    assert project_findings(root, settings) == ()


def test_one_label_in_two_folders_is_left_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("shop", {"0001_initial": migration()}),
        app("shop", {"0001_initial": migration(), "0001_other": migration()}, folder="tests/fixtures/shop"),
        app("orders", {"0001_initial": migration(("shop", "0009_missing"))}),
    ))
    index = build_index(str(root), SETTINGS)
    assert "shop" in index.external_apps
    assert project_findings(root, SETTINGS) == ()


def test_app_label_option_overrides_the_folder_name(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("legacy_catalog", {"0001_initial": migration()}, folder="src/catalog"),
        app("orders", {"0001_initial": migration(("legacy_catalog", "0002_missing"))}),
    ))
    assert findings(root) == []  # `legacy_catalog` is not a folder name: external
    settings = Settings(use_cache=False, app_labels={"src/catalog": "legacy_catalog"})
    assert findings(root, settings) == [("orders/migrations/0001_initial.py", 6, 21, "DJM302")]


def test_project_root_is_the_nearest_marker(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", tree(app("shop", {"0001_initial": migration(), "0001_b": migration()})))
    (tmp_path / "project" / "manage.py").unlink()
    (tmp_path / "project" / "pyproject.toml").write_text("", encoding="utf-8")
    # A folder outside the project with its own conflict must not be part of it.
    write_tree(tmp_path / "other", tree(app("shop", {"0001_initial": migration(), "0001_c": migration()})))
    leaf = root / "shop" / "migrations" / "0001_b.py"
    assert [f.code for f in project_findings_for(str(leaf), SETTINGS)] == ["DJM304"]
    assert find_project_root(str(leaf), SETTINGS) == str(root)


# The flake8 entry point ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_index_cache(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[object, ...], object]:
    """The plugin's per-process cache (findings per file), empty; the command's index cache emptied too."""
    cache: dict[tuple[object, ...], object] = {}
    monkeypatch.setattr(findings_module, "_findings_cache", cache)
    return cache


def test_findings_for_a_file_whatever_the_path_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_index_cache: dict[tuple[object, ...], object]
) -> None:
    root = write_tree(tmp_path, app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "0009_gone"))}))
    monkeypatch.chdir(root)
    expected = list(project_findings(root, SETTINGS))
    assert [f.code for f in expected] == ["DJM302"]
    for form in ("shop/migrations/0002_x.py", "./shop/migrations/0002_x.py", "shop/../shop/migrations/0002_x.py",
                 str(root / "shop/migrations/0002_x.py")):
        assert project_findings_for(form, SETTINGS) == expected
    assert project_findings_for("shop/migrations/0001_initial.py", SETTINGS) == []
    assert expected[0].path == str(root / "shop" / "migrations" / "0002_x.py")


def test_index_is_built_once_per_process_and_the_cache_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_index_cache: dict[tuple[object, ...], object]
) -> None:
    built: list[str] = []
    real_build = index_module.build_index

    def counting_build(root: str, settings: Settings, *rest: Any) -> index_module.ProjectIndex:
        built.append(root)
        return real_build(root, settings, *rest)

    monkeypatch.setattr(index_module, "build_index", counting_build)
    conflicted = app("shop", {"0001_initial": migration(), "0002_x": migration()})
    roots = [write_tree(tmp_path / f"p{i}", conflicted) for i in range(6)]
    for _ in range(3):
        for name in ("0001_initial", "0002_x"):
            project_findings_for(str(roots[0] / "shop" / "migrations" / f"{name}.py"), SETTINGS)
    assert built == [str(roots[0])]
    for root in roots:
        project_findings_for(str(root / "shop" / "migrations" / "0002_x.py"), SETTINGS)
    assert len(fresh_index_cache) == 4
    # Other settings are another index.
    other_settings = Settings(use_cache=False, exclude=("x",))
    project_findings_for(str(roots[-1] / "shop" / "migrations" / "0002_x.py"), other_settings)
    assert built.count(str(roots[-1])) == 2


def test_findings_for_never_raises(
    monkeypatch: pytest.MonkeyPatch, fresh_index_cache: dict[tuple[object, ...], object]
) -> None:
    def broken(root: str, settings: Settings) -> index_module.ProjectIndex:
        raise RuntimeError("bug")

    monkeypatch.setattr(index_module, "build_index", broken)
    assert project_findings_for("/nonexistent/shop/migrations/0001_initial.py", SETTINGS) == []


def test_findings_are_attributed_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("a", {"0001_initial": migration(("b", "0001_initial")), "0001_other": migration()}),
        app("b", {"0001_initial": migration(("a", "0001_initial"), ("a", "0009_x"))}),
    ))
    everything = list(project_findings(root, SETTINGS))
    per_file: list[Finding] = []
    for path in sorted({f.path for f in everything}):
        per_file.extend(project_findings_for(path, SETTINGS))
    assert sorted(per_file, key=lambda f: f.sort_key) == everything
    assert len(set(everything)) == len(everything)


def project_findings_for(path: str, settings: Settings) -> list[Finding]:
    return project_findings_for_rules(path, settings, PROJECT_RULES)

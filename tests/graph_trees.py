"""Small project trees for the graph tests, and a runner that asks Django's own loader about the same files.

A tree is a dict of relative path -> source. ``app(...)`` adds the package files Django needs, so a tree reads as
the migrations it holds. Django runs in a subprocess (it is configured once per process), with the tree on
``sys.path`` and exactly the tree's apps installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

Entry = Union[tuple[str, str], str]  # ("app", "name"), or Python source such as a swappable_dependency(...) call


# `shop` 0002: a RunPython without reverse (DJM101) after 0001_initial.
RUN_PYTHON = (
    "from django.db import migrations\n"
    "\n"
    "\n"
    "def forwards(apps, schema_editor):\n"
    "    pass\n"
    "\n"
    "\n"
    "class Migration(migrations.Migration):\n"
    "    dependencies = [('shop', '0001_initial')]\n"
    "    operations = [migrations.RunPython(forwards)]\n"
)


def _entries(entries: Iterable[Entry]) -> str:
    return "[" + ", ".join(entry if isinstance(entry, str) else repr(entry) for entry in entries) + "]"


def migration(
    *dependencies: Entry,
    run_before: Iterable[Entry] = (),
    replaces: Iterable[Entry] = (),
    initial: bool = False,
) -> str:
    lines = [
        "from django.conf import settings",
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
    ]
    if initial:
        lines.append("    initial = True")
    replaces = list(replaces)
    if replaces:
        lines.append(f"    replaces = {_entries(replaces)}")
    lines.append(f"    dependencies = {_entries(dependencies)}")
    run_before = list(run_before)
    if run_before:
        lines.append(f"    run_before = {_entries(run_before)}")
    lines.append("    operations = []")
    return "\n".join(lines) + "\n"


def app(label: str, migrations: Mapping[str, str], *, folder: str | None = None) -> dict[str, str]:
    """An app package ``folder`` (default: the label) with a migrations package holding ``migrations``."""
    folder = folder or label
    files = {f"{folder}/__init__.py": "", f"{folder}/migrations/__init__.py": ""}
    for name, source in migrations.items():
        files[f"{folder}/migrations/{name}.py"] = source
    return files


def tree(*parts: Mapping[str, str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for part in parts:
        files.update(part)
    return files


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manage.py").write_text("", encoding="utf-8")
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


@dataclass(frozen=True)
class GraphCase:
    id: str
    files: Mapping[str, str]
    installed_apps: tuple[str, ...]  # dotted names for Django's INSTALLED_APPS
    local_apps: tuple[str, ...]  # labels found in the tree
    cli_options: tuple[str, ...] = ()
    django_settings: Mapping[str, Any] = field(default_factory=dict)
    expected_codes: frozenset[str] = frozenset()  # project codes that must fire beyond what Django implies
    django_error: str | None = None  # an exception other than the graph errors we map (documented per case)


_DJANGO_SCRIPT = r"""
import json
import sys

sys.path.insert(0, sys.argv[1])
config = json.loads(sys.argv[2])

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=config["installed_apps"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    **config["settings"],
)
django.setup()

from django.db.migrations.loader import MigrationLoader


class InnerSquashesFirst(MigrationLoader):
    # Django 5.2 replaces squashes in the order it read the files, which is the order of a set of names and so
    # changes with the hash seed; a squash of a squash then fails half the time. Django 6.0 replaces inner
    # squashes first; reading the files in that order makes 5.2's own code do exactly that, deterministically.
    def load_disk(self):
        super().load_disk()
        migrations = self.disk_migrations

        def depth(key, seen=()):
            replaces = [r for r in migrations[key].replaces if r in migrations and r not in seen]
            return 1 + max((depth(r, seen + (key,)) for r in replaces), default=0) if migrations[key].replaces else 0

        self.disk_migrations = {key: migrations[key] for key in sorted(migrations, key=lambda k: (depth(k), k))}


local = set(config["local_apps"])
try:
    loader = InnerSquashesFirst(None, ignore_no_migrations=True)
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
    sys.exit(0)
graph = loader.graph
name = "%s.%s".__mod__
print(json.dumps({
    "error": None,
    "nodes": sorted(name(key) for key in graph.nodes if key[0] in local),
    "edges": sorted(
        [name(key), name(parent.key)]
        for key, node in graph.node_map.items()
        for parent in node.parents
        if key[0] in local and parent.key[0] in local
    ),
    "leaves": {
        label: [key[1] for key in graph.leaf_nodes(label)]
        for label in sorted(local)
        if graph.leaf_nodes(label)
    },
    "conflicts": sorted(loader.detect_conflicts()),
}))
"""


def django_graph(root: Path, case: GraphCase) -> dict[str, Any]:
    config = {
        "installed_apps": list(case.installed_apps),
        "local_apps": list(case.local_apps),
        "settings": dict(case.django_settings),
    }
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-c", _DJANGO_SCRIPT, str(root), json.dumps(config)],
        capture_output=True, text=True, env=environment, cwd=str(root), timeout=120, check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"the Django script failed:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


# The cases ------------------------------------------------------------------------------------------------------

_SWAPPABLE = "migrations.swappable_dependency(settings.AUTH_USER_MODEL)"


def _case(
    id: str,
    *parts: Mapping[str, str],
    installed: Iterable[str] | None = None,
    **options: Any,
) -> GraphCase:
    files = tree(*parts)
    folders = sorted({path.split("/")[0] for path in files if path.count("/") >= 1})
    labels = options.pop("local_apps", None) or tuple(folders)
    return GraphCase(
        id=id,
        files=files,
        installed_apps=tuple(installed) if installed is not None else tuple(folders),
        local_apps=tuple(labels),
        **options,
    )


CASES: tuple[GraphCase, ...] = (
    _case(
        "linear_two_apps",
        app("shop", {"0001_initial": migration(initial=True), "0002_price": migration(("shop", "0001_initial"))}),
        app("orders", {"0001_initial": migration(("shop", "0002_price"), initial=True)}),
    ),
    _case(
        "merge",
        app("shop", {
            "0001_initial": migration(initial=True),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
            "0003_merge_a_b": migration(("shop", "0002_a"), ("shop", "0002_b")),
        }),
    ),
    _case(
        "conflicting_leaves",
        app("shop", {
            "0001_initial": migration(initial=True),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
            "0002_c": migration(("shop", "0001_initial")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0002_a"))}),
    ),
    _case(
        "two_roots_merged",
        app("shop", {
            "0001_initial": migration(initial=True),
            "0001_other": migration(initial=True),
            "0002_merge_roots": migration(("shop", "0001_initial"), ("shop", "0001_other")),
        }),
        app("orders", {"0001_initial": migration(("shop", "__first__"))}),
    ),
    _case(
        "two_roots_unmerged",
        app("shop", {"0001_initial": migration(initial=True), "0001_other": migration(initial=True)}),
    ),
    _case(
        "missing_internal_dependency",
        app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "0001_typo"))}),
    ),
    _case(
        "missing_dependency_in_other_local_app",
        app("shop", {"0001_initial": migration()}),
        app("orders", {"0001_initial": migration(("shop", "0002_missing"))}),
    ),
    _case(
        "missing_run_before_target",
        app("shop", {"0001_initial": migration(run_before=[("orders", "0009_missing")])}),
        app("orders", {"0001_initial": migration()}),
    ),
    _case(
        "cycle_across_apps",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial"), ("orders", "0001_initial")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0002_x"))}),
    ),
    _case(
        "cycle_three_apps",
        app("a", {"0001_initial": migration(("c", "0001_initial"))}),
        app("b", {"0001_initial": migration(("a", "0001_initial"))}),
        app("c", {"0001_initial": migration(("b", "0001_initial"))}),
    ),
    _case(
        "self_dependency",
        app("shop", {"0001_initial": migration(("shop", "0001_initial"))}),
    ),
    _case(
        "run_before",
        app("shop", {
            "0001_initial": migration(run_before=[("orders", "0001_initial")]),
            "0002_early": migration(
                ("shop", "0001_initial"), run_before=[("shop", "0003_late"), ("orders", "__first__")]
            ),
            "0003_late": migration(("shop", "0001_initial")),
        }),
        app("orders", {"0001_initial": migration(), "0002_x": migration(("orders", "0001_initial"))}),
    ),
    _case(
        "first_and_latest",
        app("shop", {
            "0001_initial": migration(("shop", "__first__")),
            "0002_x": migration(("shop", "0001_initial")),
            "0003_y": migration(("shop", "0002_x")),
        }),
        app("orders", {"0001_initial": migration(("shop", "__first__"), ("shop", "__latest__"))}),
        app("billing", {"0001_initial": migration(("orders", "__latest__"))}),
        app("audit", {"0001_initial": migration(run_before=[("shop", "__latest__"), ("billing", "__first__")])}),
    ),
    _case(
        "latest_resolving_into_a_cycle",
        app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "0001_initial"))}),
        app("orders", {"0001_initial": migration(("shop", "__latest__"))}),
        app("billing", {"0001_initial": migration(("orders", "__latest__"), run_before=[("shop", "__latest__")])}),
    ),
    _case(
        "latest_of_own_app",
        app("shop", {"0001_initial": migration(), "0002_x": migration(("shop", "__latest__"))}),
    ),
    _case(
        "first_of_app_without_migrations",
        app("shop", {}),
        app("orders", {"0001_initial": migration(("shop", "__first__"), ("shop", "__latest__"))}),
    ),
    _case(
        "ignored_private_modules",
        app("shop", {"0001_initial": migration(), "_helpers": "VALUE = 1\n", "~0002_backup": "broken(\n"}),
    ),
    _case(
        "swappable_custom_user",
        app("accounts", {
            "0001_initial": migration(_SWAPPABLE, initial=True),
            "0002_user_phone": migration(("accounts", "0001_initial")),
        }),
        {"accounts/models.py": ""},
        app("shop", {"0001_initial": migration(_SWAPPABLE, initial=True)}),
        cli_options=("--djm-swappable", "AUTH_USER_MODEL=accounts.User"),
        django_settings={"AUTH_USER_MODEL": "accounts.User"},
    ),
    _case(
        "swappable_default_user_is_external",
        app("shop", {
            "0001_initial": migration(_SWAPPABLE, ("auth", "0012_alter_user_first_name_max_length"), initial=True),
        }),
        installed=("django.contrib.contenttypes", "django.contrib.auth", "shop"),
    ),
    _case(
        "squash_with_all_originals_present",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0003_y": migration(("shop", "0002_x")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0001_initial"))}),
    ),
    _case(
        "squash_with_no_originals_present",
        app("shop", {
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0003_y": migration(("shop", "0002_x")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0001_initial"), run_before=[("shop", "0003_y")])}),
    ),
    _case(
        "squash_with_some_originals_present",
        app("shop", {
            "0002_x": migration(("shop", "0001_initial")),
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0003_y": migration(("shop", "0002_x")),
        }),
    ),
    _case(
        "squash_replaced_migration_depended_on_by_other_app",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0003_y": migration(("shop", "0002_x")),
            "0001_squashed_0003_y": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]
            ),
            "0004_z": migration(("shop", "0003_y")),
        }),
        app("orders", {
            "0001_initial": migration(("shop", "0002_x")),
            "0002_more": migration(("orders", "0001_initial"), ("shop", "0001_initial")),
        }),
    ),
    _case(
        "squash_of_a_squash",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0003_y": migration(("shop", "0002_x")),
            "0001_squashed_0003_y": migration(replaces=[("shop", "0001_squashed_0002_x"), ("shop", "0003_y")]),
            "0004_z": migration(("shop", "0003_y")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0002_x"))}),
    ),
    _case(
        "squash_of_a_squash_without_originals",
        app("shop", {
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0001_squashed_0003_y": migration(replaces=[("shop", "0001_squashed_0002_x"), ("shop", "0003_y")]),
            "0004_z": migration(("shop", "0003_y")),
        }),
        app("orders", {"0001_initial": migration(("shop", "0001_squashed_0002_x"))}),
    ),
    _case(
        "overlapping_squashes",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0003_y": migration(("shop", "0002_x")),
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0002_squashed_0003_y": migration(
                ("shop", "0001_initial"), replaces=[("shop", "0002_x"), ("shop", "0003_y")]
            ),
        }),
        expected_codes=frozenset({"DJM305"}),
    ),
    _case(
        "squash_depending_on_what_it_replaces",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0002_squashed": migration(
                ("shop", "0001_initial"), replaces=[("shop", "0001_initial"), ("shop", "0002_x")]
            ),
        }),
    ),
    _case(
        "replaced_migration_missing_without_squash",
        app("shop", {"0002_x": migration(("shop", "0001_initial"))}),
    ),
    _case(
        "migration_class_in_if_else",
        app("shop", {
            "0001_initial": migration(),
            "0002_x": migration(("shop", "0001_initial")),
            "0003_conditional": (
                "import django\n"
                "from django.db import migrations\n\n"
                "if django.VERSION >= (4, 0):\n"
                "    class Migration(migrations.Migration):\n"
                "        dependencies = [('shop', '0002_x')]\n"
                "else:\n"
                "    class Migration(migrations.Migration):\n"
                "        dependencies = [('shop', '0001_initial')]\n"
            ),
        }),
        expected_codes=frozenset(),
    ),
    _case(
        "app_label_from_app_config",
        app("store_catalog", {"0001_initial": migration(), "0002_x": migration(("catalog", "0001_initial"))},
            folder="catalog_app"),
        {"catalog_app/apps.py": (
            "from django.apps import AppConfig\n\n\n"
            "class CatalogConfig(AppConfig):\n"
            "    name = 'catalog_app'\n"
            "    label = 'catalog'\n"
        )},
        app("orders", {"0001_initial": migration(("catalog", "0002_x"))}),
        installed=("catalog_app", "orders"),
        local_apps=("catalog", "orders"),
    ),
    _case(
        "migration_modules",
        {
            "blog/__init__.py": "",
            "blog/db_migrations/__init__.py": "",
            "blog/db_migrations/0001_initial.py": migration(),
            "blog/db_migrations/0002_post_title.py": migration(("blog", "0001_initial")),
        },
        app("orders", {"0001_initial": migration(("blog", "__latest__"))}),
        cli_options=("--djm-migration-modules", "blog=blog.db_migrations"),
        django_settings={"MIGRATION_MODULES": {"blog": "blog.db_migrations"}},
    ),
)


def random_case(seed: int) -> GraphCase:
    """A small random tree: branches, merges, cross-app edges, __first__/__latest__, run_before and squashes with
    all, some or none of their originals on disk. Same-app ``run_before`` is left out: with ``__latest__`` it makes
    Django's result depend on the order it reads files in."""
    import random

    rng = random.Random(seed)
    labels = ["a", "b", "c"][: rng.randint(2, 3)]
    parts: list[dict[str, str]] = []
    names: dict[str, list[str]] = {label: [f"{i:04d}_m" for i in range(1, rng.randint(2, 5) + 1)] for label in labels}
    for position, label in enumerate(labels):
        migrations: dict[str, str] = {}
        own = names[label]
        for index, name in enumerate(own):
            dependencies: list[Entry] = []
            if index:
                dependencies.append((label, own[index - 1] if rng.random() < 0.8 else own[rng.randrange(index)]))
            # Mostly towards earlier apps, so that most trees load and their whole graph is compared.
            if rng.random() < 0.35:
                other = rng.choice(labels[:position] or labels) if rng.random() < 0.9 else rng.choice(labels)
                if other != label:
                    target = rng.choice([*names[other], "__first__", "__latest__"])
                    dependencies.append((other, target))
            run_before: list[Entry] = []
            if rng.random() < 0.15:
                other = rng.choice(labels[position + 1:] or labels)
                if other != label:
                    run_before.append((other, rng.choice(names[other])))
            migrations[name] = migration(*dependencies, run_before=run_before)
        if len(own) >= 3 and rng.random() < 0.5:
            count = rng.randint(2, len(own) - 1)
            replaced = own[:count]
            external = [
                entry
                for name in replaced
                for entry in _dependencies_of(migrations[name])
                if entry[0] != label
            ]
            migrations[f"0001_squashed_{replaced[-1]}"] = migration(*external, replaces=[(label, n) for n in replaced])
            keep = rng.choice(["all", "none", "some"])
            for n in replaced if keep == "none" else replaced[:1] if keep == "some" else []:
                del migrations[n]
        parts.append(app(label, migrations))
    return _case(f"random_{seed}", *parts)


def _dependencies_of(source: str) -> list[tuple[str, str]]:
    import ast

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "dependencies":
            value = ast.literal_eval(node.value)
            return [tuple(entry) for entry in value]  # type: ignore[misc]
    return []

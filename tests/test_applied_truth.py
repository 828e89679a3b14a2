"""DJM504-506, DJM909 and ``plan`` against Django's own executor, on real SQLite databases (and one PostgreSQL one).

Each case migrates a fresh database with Django on the tree as it was deployed (``deployed``, with the ``migrate``
commands that ran there), then changes the tree the way a story does (``now``) and asks Django, in a subprocess,
what it makes of that history: whether its loader builds the graph, whether ``check_consistent_history`` passes,
what ``migrate --plan`` plans for each of the case's targets (the command itself runs; its call of
``MigrationExecutor.migration_plan`` is recorded), the rows ``migrate --prune`` would delete, and, after a real
``migrate``, the rows of ``django_migrations``. The linter reads the same database (``--djm-applied``) and must say
exactly that: the rules fire exactly where Django refuses or diverges, and ``plan`` equals Django's plan. The
database's own ``showmigrations --list`` and ``--plan`` output, a CSV export and an ``app.name`` file, read as
sources, give the same answers.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.project.applied import read_applied
from flake8_django_migrations.project.applied_graph import (
    PlanArgumentError,
    gone_from_disk,
    history_view,
    inconsistencies,
    out_of_order,
    plan_migrate,
)
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.settings import Settings
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

APPLIED_CODES = ("DJM504", "DJM505", "DJM506", "DJM909")

# Django, configured for one tree and one database, in a process of its own (it is set up once per process).
_DJANGO = r"""
import io
import json
import sys

config = json.loads(sys.argv[1])
sys.path.insert(0, config["root"])

import django
from django.conf import settings

databases = {"default": config["database"]}
if config.get("copy"):
    databases["copy"] = {**config["database"], "NAME": config["copy"]}  # a copy of it, for a real migrate
settings.configure(
    INSTALLED_APPS=config["apps"],
    DATABASES=databases,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
)
django.setup()

from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


def rows(on=connection):
    return sorted([app, name] for app, name in MigrationRecorder(on).applied_migrations())


def error_of(error):
    return {"error": type(error).__name__, "message": str(error)}


if config["mode"] == "deploy":
    for args in config["commands"]:
        call_command("migrate", *args, verbosity=0, interactive=False)
    print(json.dumps({"rows": rows()}))
    sys.exit(0)

result = {"rows": rows(), "load_error": None, "consistency": None, "plans": [], "fresh": None, "prune": None,
          "list": None, "plan_output": None, "after": None}
try:
    loader = MigrationLoader(connection)
except Exception as error:
    result["load_error"] = error_of(error)
else:
    graph = loader.graph
    try:
        loader.check_consistent_history(connection)
    except Exception as error:
        result["consistency"] = error_of(error)
    recorded = MigrationRecorder(connection).applied_migrations()
    replaced = {key for squash in loader.replacements.values() for key in squash.replaces}
    result["prune"] = sorted(
        list(key) for key in set(recorded) - set(loader.disk_migrations) - replaced if key[0] in loader.migrated_apps
    )
    executor = MigrationExecutor(connection)
    fresh = [[m.app_label, m.name] for m, _ in executor.migration_plan(graph.leaf_nodes(), clean_start=True)]
    result["fresh"] = fresh
    # Unapplied migrations that no applied one depends on, before an applied one of their app on a fresh database.
    applied = set(executor.loader.applied_migrations)
    needed = set()
    for key in applied:
        if key in graph.nodes:
            needed.update(node for node in graph.forwards_plan(key) if node != key)
    position = {tuple(key): number for number, key in enumerate(fresh)}
    diverging = []
    for key, number in sorted(position.items(), key=lambda item: item[1]):
        if key in applied or key in needed:
            continue
        later = [other for other, at in position.items() if other[0] == key[0] and at > number and other in applied]
        if later:
            diverging.append([list(key), list(min(later, key=position.__getitem__))])
    result["diverging"] = diverging
    out = io.StringIO()
    call_command("showmigrations", list=True, stdout=out, verbosity=1)
    result["list"] = out.getvalue()
    out = io.StringIO()
    call_command("showmigrations", plan=True, stdout=out, verbosity=2)
    result["plan_output"] = out.getvalue()

recorded_plans = []
original = MigrationExecutor.migration_plan


def spy(self, targets, clean_start=False):
    planned = original(self, targets, clean_start=clean_start)
    if not clean_start:
        recorded_plans.append([[m.app_label, m.name, bool(backwards)] for m, backwards in planned])
    return planned


MigrationExecutor.migration_plan = spy
for args in config["targets"]:
    recorded_plans.clear()
    try:
        call_command("migrate", *args, plan=True, stdout=io.StringIO(), verbosity=1, interactive=False)
    except (Exception, SystemExit) as error:
        result["plans"].append(error_of(error))
    else:
        # The rebuild without replacements calls migration_plan again from inside: the outer call ends last.
        result["plans"].append({"plan": recorded_plans[-1]})
MigrationExecutor.migration_plan = original
if config.get("copy"):
    try:
        call_command("migrate", database="copy", verbosity=0, interactive=False)
        result["after"] = rows(connections["copy"])
    except Exception as error:
        result["after"] = error_of(error)
print(json.dumps(result))
"""


def django(root: Path, database: Mapping[str, object], apps: Sequence[str], mode: str, **config: Any) -> Any:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    payload = {"root": str(root), "database": dict(database), "apps": list(apps), "mode": mode, **config}
    completed = subprocess.run(
        [sys.executable, "-c", _DJANGO, json.dumps(payload)],
        capture_output=True, text=True, env=environment, cwd=str(root), timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def sqlite_database(path: Path) -> dict[str, object]:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


# The cases -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    id: str
    deployed: Mapping[str, str]  # the tree the database was migrated with
    now: Mapping[str, str]  # the tree as it is now
    commands: tuple[tuple[str, ...], ...] = ((),)  # the migrate commands that ran on the deployed tree
    targets: tuple[tuple[str, ...], ...] = ((),)  # the migrate commands planned now
    fires: frozenset[str] = frozenset()  # the codes the story must show (the others must stay silent)


def _shop(*names: str, squash: bool = False) -> dict[str, str]:
    migrations = {}
    previous: str | None = None
    for name in names:
        migrations[name] = migration(*([("shop", previous)] if previous else []))
        previous = name
    return migrations


STORIES: tuple[Story, ...] = (
    Story(
        # Seed 001: orders 0001 gained a dependency on a new users migration after it was applied.
        "dependency_added_to_applied_migration",
        deployed=tree(
            app("users", {"0001_initial": migration(initial=True)}),
            app("orders", {"0001_initial": migration(("users", "0001_initial"), initial=True)}),
        ),
        now=tree(
            app("users", {
                "0001_initial": migration(initial=True),
                "0002_add_unique_id": migration(("users", "0001_initial")),
            }),
            app("orders", {
                "0001_initial": migration(("users", "0002_add_unique_id"), initial=True),
                "0002_mapping": migration(("orders", "0001_initial")),
            }),
        ),
        targets=((), ("orders",)),
        fires=frozenset({"DJM504"}),
    ),
    Story(
        # The seed's missing half: a run_before added to the new users migration makes the same history.
        "run_before_added",
        deployed=tree(
            app("users", {"0001_initial": migration(initial=True)}),
            app("orders", {"0001_initial": migration(initial=True)}),
        ),
        now=tree(
            app("users", {
                "0001_initial": migration(initial=True),
                "0002_add_unique_id": migration(("users", "0001_initial"), run_before=[("orders", "0001_initial")]),
            }),
            app("orders", {"0001_initial": migration(initial=True)}),
        ),
        fires=frozenset({"DJM504"}),
    ),
    Story(
        # Seed 004: a branch's 0002_b merged after 0002_a was deployed; fresh databases run 0002_b first.
        "branch_merged_late",
        deployed=tree(app("shop", _shop("0001_initial", "0002_a"))),
        now=tree(app("shop", {
            **_shop("0001_initial", "0002_a"),
            "0002_b": migration(("shop", "0001_initial")),
            "0003_merge": migration(("shop", "0002_a"), ("shop", "0002_b")),
        })),
        targets=((), ("shop",), ("shop", "0002_b")),
        fires=frozenset({"DJM505"}),
    ),
    Story(
        # The same merge where fresh databases run the deployed migration first: one history everywhere.
        "branch_merged_late_in_deployed_order",
        deployed=tree(app("shop", _shop("0001_initial", "0002_b"))),
        now=tree(app("shop", {
            **_shop("0001_initial", "0002_b"),
            "0002_a": migration(("shop", "0001_initial")),
            "0003_merge": migration(("shop", "0002_a"), ("shop", "0002_b")),
        })),
    ),
    Story(
        # Cross-app ordering with run_before, partly applied: the plan follows Django's depth-first order.
        "cross_app_run_before_partly_applied",
        deployed=tree(
            app("shop", {
                "0001_initial": migration(run_before=[("orders", "0001_initial")]),
                "0002_early": migration(("shop", "0001_initial"), run_before=[("orders", "__first__")]),
            }),
            app("orders", {"0001_initial": migration(), "0002_x": migration(("orders", "0001_initial"))}),
            app("billing", {"0001_initial": migration(("orders", "0001_initial"))}),
        ),
        now=tree(
            app("shop", {
                "0001_initial": migration(run_before=[("orders", "0001_initial")]),
                "0002_early": migration(("shop", "0001_initial"), run_before=[("orders", "__first__")]),
                "0003_late": migration(("shop", "0002_early"), ("billing", "0002_y")),
            }),
            app("orders", {
                "0001_initial": migration(),
                "0002_x": migration(("orders", "0001_initial")),
                "0003_z": migration(("orders", "0002_x"), ("shop", "0002_early")),
            }),
            app("billing", {
                "0001_initial": migration(("orders", "0001_initial")),
                "0002_y": migration(("billing", "0001_initial"), ("orders", "0003_z")),
            }),
        ),
        commands=(("orders", "0001_initial"), ("billing",)),
        targets=((), ("shop",), ("orders", "0002"), ("billing", "zero"), ("orders", "zero")),
    ),
    Story(
        # A squash arrives where only its first replaced migration was applied: Django keeps the originals, and
        # what depended on the squash depends on the last of them.
        "squash_partly_applied",
        deployed=tree(
            app("shop", _shop("0001_initial", "0002_x", "0003_y")),
            app("orders", {"0001_initial": migration(("shop", "0001_initial"))}),
        ),
        now=tree(
            app("shop", {
                **_shop("0001_initial", "0002_x", "0003_y"),
                "0001_squashed_0003_y": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]
                ),
                "0004_z": migration(("shop", "0001_squashed_0003_y")),
            }),
            app("orders", {
                "0001_initial": migration(("shop", "0001_initial")),
                "0002_more": migration(("orders", "0001_initial"), ("shop", "0001_squashed_0003_y")),
            }),
        ),
        commands=(("shop", "0001_initial"), ("orders",)),
        targets=((), ("shop",), ("shop", "0001_squashed"), ("orders", "zero")),
    ),
    Story(
        # Every migration a new squash replaces is applied: it counts as applied, and migrate records it.
        "squash_fully_applied_not_recorded",
        deployed=tree(app("shop", _shop("0001_initial", "0002_x"))),
        now=tree(app("shop", {
            **_shop("0001_initial", "0002_x"),
            "0001_squashed_0002_x": migration(replaces=[("shop", "0001_initial"), ("shop", "0002_x")]),
            "0003_y": migration(("shop", "0001_squashed_0002_x")),
        })),
        targets=((), ("shop", "0001_initial"), ("shop", "zero")),
    ),
    Story(
        # Seed 003: the trunk replaces a migration that exists only on the patch branch; this database applied
        # the patch, so the trunk migration is recorded without running.
        "patch_branch_applied",
        deployed=tree(app("shop", _shop("0001_initial", "0002_patch_field"))),
        now=tree(app("shop", {
            "0001_initial": migration(),
            "0002_trunk_field": migration(("shop", "0001_initial"), replaces=[("shop", "0002_patch_field")]),
            "0003_more": migration(("shop", "0002_trunk_field")),
        })),
    ),
    Story(
        # The same trunk on a database that never saw the patch: the trunk migration runs, and records both.
        "patch_branch_not_applied",
        deployed=tree(app("shop", _shop("0001_initial"))),
        now=tree(app("shop", {
            "0001_initial": migration(),
            "0002_trunk_field": migration(("shop", "0001_initial"), replaces=[("shop", "0002_patch_field")]),
            "0003_more": migration(("shop", "0002_trunk_field")),
        })),
    ),
    Story(
        # An applied migration deleted from disk, nothing replaces it: Django ignores the row.
        "applied_migration_deleted",
        deployed=tree(app("shop", _shop("0001_initial", "0002_old"))),
        now=tree(app("shop", _shop("0001_initial"))),
        fires=frozenset({"DJM909"}),
    ),
    Story(
        # Squashed and cleaned up too early: a database stopped at 0001 when 0002 and 0003 were deleted. Django
        # cannot use the squash there, and nothing runs 0002 and 0003 on it.
        "partly_applied_squash_without_replaced",
        deployed=tree(app("shop", _shop("0001_initial", "0002_x", "0003_y"))),
        now=tree(app("shop", {
            "0001_initial": migration(),
            "0001_squashed_0003_y": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]
            ),
            "0004_z": migration(("shop", "0001_squashed_0003_y")),
        })),
        commands=(("shop", "0001_initial"),),
        fires=frozenset({"DJM506"}),
    ),
    Story(
        # The same, where another migration still names a deleted one: Django's loader stops.
        "partly_applied_squash_without_replaced_depended_on",
        deployed=tree(app("shop", _shop("0001_initial", "0002_x", "0003_y"))),
        now=tree(
            app("shop", {
                "0001_initial": migration(),
                "0001_squashed_0003_y": migration(
                    replaces=[("shop", "0001_initial"), ("shop", "0002_x"), ("shop", "0003_y")]
                ),
            }),
            app("orders", {"0001_initial": migration(("shop", "0003_y"))}),
        ),
        commands=(("shop", "0001_initial"),),
        fires=frozenset({"DJM506"}),
    ),
    Story(
        # A rollback through a RunPython without reverse: the plan goes backwards and stops there.
        "rollback_through_irreversible",
        deployed=tree(app("shop", {"0001_initial": migration(), "0002_run_python": RUN_PYTHON})),
        now=tree(app("shop", {"0001_initial": migration(), "0002_run_python": RUN_PYTHON})),
        targets=((), ("shop", "0001"), ("shop", "zero"), ("shop", "0002_run_python")),
    ),
    Story(
        # Two leaves: migrate refuses before planning.
        "conflicting_leaves",
        deployed=tree(app("shop", _shop("0001_initial"))),
        now=tree(app("shop", {
            **_shop("0001_initial"),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": migration(("shop", "0001_initial")),
        })),
    ),
    Story(
        # Targets Django refuses: an app it does not know, a prefix two migrations share, a name no migration has.
        "targets_refused",
        deployed=tree(app("shop", _shop("0001_initial"))),
        now=tree(app("shop", _shop("0001_initial", "0002_a", "0002_ab"))),
        targets=(("nothere",), ("shop", "0002_a"), ("shop", "0009")),
    ),
)


def _apps(files: Mapping[str, str]) -> list[str]:
    return sorted({path.split("/")[0] for path in files if path.endswith("/migrations/__init__.py")})


@dataclass
class Deployed:
    """A story's database after the deploy and the tree as it is now, with what Django makes of them."""

    story: Story
    root: Path
    database: Path
    django: dict[str, Any] = field(default_factory=dict)


def deploy(story: Story, work: Path) -> Deployed:
    """Migrate a fresh database on the deployed tree, then put the tree as it is now in its place."""
    deployed_root = write_tree(work / "deployed", story.deployed)
    database = work / "db.sqlite3"
    django(deployed_root, sqlite_database(database), _apps(story.deployed), "deploy", commands=story.commands)
    root = write_tree(work / "now", story.now)
    return Deployed(story, root, database)


def ask_django(deployed: Deployed, copy: Path) -> dict[str, Any]:
    """What Django makes of the database; ``migrate`` runs for real on ``copy``, a copy of it."""
    result: dict[str, Any] = django(
        deployed.root, sqlite_database(deployed.database), _apps(deployed.story.now), "ask",
        targets=[list(target) for target in deployed.story.targets], copy=str(copy),
    )
    return result


def our_view(root: Path, source: str) -> Any:
    settings = Settings(use_cache=False, read_django_settings=False, applied=source)
    run = ProjectRun(str(root), settings)
    assert run.settings.applied_migrations is not None
    index = run.index()
    return run, index, history_view(index, run.settings.applied_migrations)


def our_findings(root: Path, source: str) -> list[tuple[str, str, str]]:
    run, index, _ = our_view(root, source)
    rules = [RULES[code] for code in APPLIED_CODES]
    return sorted(
        (os.path.relpath(finding.path, root), finding.code, finding.message)
        for finding in run_rules(index, rules, run.settings)
    )


def our_plans(root: Path, source: str, targets: Iterable[Sequence[str]]) -> list[dict[str, Any]]:
    _, _, view = our_view(root, source)
    plans: list[dict[str, Any]] = []
    for target in targets:
        try:
            plan = plan_migrate(view, *target)
        except PlanArgumentError as error:
            plans.append({"error": "CommandError", "message": str(error)})
            continue
        if plan.refusal is not None:
            plans.append({"error": plan.refusal.error, "message": plan.refusal.message})
        else:
            plans.append({"plan": [[key[0], key[1], step.backwards] for step in plan.steps
                                   for key in [step.migration]]})
    return plans


# The tests -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=STORIES, ids=[story.id for story in STORIES])
def deployed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    story: Story = request.param
    result = deploy(story, tmp_path_factory.mktemp(story.id))
    # Ask before running migrate for real (which changes the rows): a copy of the database is migrated.
    copy = result.database.with_name("migrated.sqlite3")
    copy.write_bytes(result.database.read_bytes())
    result.django = ask_django(result, copy)
    return result


def _same_error(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
    if "plan" in theirs:
        assert ours == theirs
        return
    assert "error" in ours, f"Django refused ({theirs}), the plan did not: {ours}"
    expected = theirs["error"]
    assert ours["error"] == expected
    if expected != "CommandError":
        assert ours["message"] == theirs["message"]
    else:
        assert ours["message"].split(".")[0] in theirs["message"]


def test_plan_is_djangos_plan(deployed: Deployed) -> None:
    theirs = deployed.django
    ours = our_plans(deployed.root, str(deployed.database), deployed.story.targets)
    assert len(ours) == len(theirs["plans"])
    for mine, django_plan in zip(ours, theirs["plans"]):
        if theirs["load_error"] is not None:
            assert mine == {"error": theirs["load_error"]["error"], "message": theirs["load_error"]["message"]}
        else:
            _same_error(mine, django_plan)


def test_rows_migrate_writes_are_predicted(deployed: Deployed) -> None:
    """After a real ``migrate``, the rows are those read, plus what each step records, plus the squashes recorded
    without running; where the plan says ``migrate`` refuses, it did."""
    after = deployed.django["after"]
    _, _, view = our_view(deployed.root, str(deployed.database))
    plan = plan_migrate(view)
    if plan.refusal is not None:
        assert after["error"] == plan.refusal.error
        return
    predicted = set(view.recorded)
    for step in plan.steps:
        predicted.update(step.records)
    predicted.update(plan.recorded_without_running)
    assert sorted(list(key) for key in predicted) == after


def test_rules_fire_exactly_where_django_refuses_or_diverges(deployed: Deployed) -> None:
    theirs = deployed.django
    found = our_findings(deployed.root, str(deployed.database))
    codes = {code for _, code, _ in found}
    assert codes == set(deployed.story.fires), found
    _, _, view = our_view(deployed.root, str(deployed.database))
    # DJM504 is check_consistent_history: it fires iff Django raises, and names the pair Django names.
    pairs = inconsistencies(view) if view.load_error is None else []
    consistency = theirs["consistency"]
    assert bool(pairs) == (consistency is not None)
    if consistency is not None:
        assert consistency["error"] == "InconsistentMigrationHistory"
        assert any(
            f"Migration {a}.{b} is applied before its dependency {c}.{d} " in consistency["message"]
            for (a, b), (c, d) in pairs
        )
    # DJM909 is migrate --prune's rows (less those a squash still names).
    if theirs["prune"] is not None:
        assert [list(key) for key in gone_from_disk(view)] == theirs["prune"]
    # DJM505: the unapplied migrations Django's fresh plan runs before an applied one of their app.
    if theirs["load_error"] is None:
        assert [[list(a), list(b)] for a, b in out_of_order(view)] == theirs["diverging"]
    # DJM506: a replaced migration Django cannot load (its loader says it tried to replace it) or never runs.
    named = {message.split("`")[5] for _, code, message in found if code == "DJM506"}
    if named and theirs["load_error"] is not None:
        assert theirs["load_error"]["error"] == "NodeNotFoundError"
        assert "Django tried to replace migration" in theirs["load_error"]["message"]
    elif named:
        assert not named & {f"{a}.{b}" for a, b in theirs["after"]}


def test_either_recovery_makes_a_history_django_accepts(deployed: Deployed, tmp_path: Path) -> None:
    """The rows each way out writes, written with its SQL into a copy of the database: Django's consistency check
    passes and ``migrate`` runs through."""
    _, _, view = our_view(deployed.root, str(deployed.database))
    plan = plan_migrate(view)
    assert (plan.recovery is not None) == (deployed.django["consistency"] is not None)
    if plan.recovery is None:
        return
    assert plan.recovery.fake and plan.recovery.rerun
    for name, rows in (("fake", plan.recovery.fake), ("rerun", plan.recovery.rerun)):
        repaired = tmp_path / f"{name}.sqlite3"
        repaired.write_bytes(deployed.database.read_bytes())
        with sqlite3.connect(repaired) as connection:
            for row in rows:
                sql = row.sql()
                assert sql is not None
                connection.executescript(sql)
        connection.close()
        copy = tmp_path / f"{name}-migrated.sqlite3"
        copy.write_bytes(repaired.read_bytes())
        theirs = django(deployed.root, sqlite_database(repaired), _apps(deployed.story.now), "ask", targets=[],
                        copy=str(copy))
        assert theirs["consistency"] is None, name
        assert isinstance(theirs["after"], list), name


def _text_sources(deployed: Deployed, folder: Path) -> dict[str, Path]:
    theirs = deployed.django
    sources: dict[str, Path] = {}
    with sqlite3.connect(deployed.database) as connection:
        table = connection.execute("SELECT id, app, name, applied FROM django_migrations ORDER BY id").fetchall()
    export = folder / "applied.csv"
    with open(export, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "app", "name", "applied"])
        writer.writerows(table)
    sources["csv"] = export
    names = folder / "applied.txt"
    names.write_text("".join(f"{app}.{name}\n" for _, app, name, _ in table) or "# none\n")
    sources["app.name"] = names
    if theirs["list"] is not None:
        (folder / "showmigrations-list.txt").write_text(theirs["list"])
        sources["showmigrations --list"] = folder / "showmigrations-list.txt"
        (folder / "showmigrations-plan.txt").write_text(theirs["plan_output"])
        sources["showmigrations --plan"] = folder / "showmigrations-plan.txt"
    return sources


def test_text_sources_give_the_databases_answers(deployed: Deployed, tmp_path: Path) -> None:
    """Where Django cannot load the graph, showmigrations stops too: only the CSV and ``app.name`` files are read."""
    database = str(deployed.database)
    expected_findings = our_findings(deployed.root, database)
    expected_plans = our_plans(deployed.root, database, deployed.story.targets)
    for kind, path in _text_sources(deployed, tmp_path).items():
        if kind == "app.name" and not read_applied(database).rows:
            continue  # an empty file is refused: it is more likely a failed export than an empty database
        found = [
            (where, code, message.replace(str(path), database))
            for where, code, message in our_findings(deployed.root, str(path))
        ]
        # showmigrations shows only migrations on disk: rows gone from disk (DJM909) are not in its output.
        if kind.startswith("showmigrations"):
            expected = [item for item in expected_findings if item[1] != "DJM909"]
        else:
            expected = expected_findings
        assert found == expected, kind
        assert our_plans(deployed.root, str(path), deployed.story.targets) == expected_plans, kind

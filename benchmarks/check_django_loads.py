"""Prove Django loads a generated project: ``python benchmarks/check_django_loads.py OUT_DIR [--state] [--migrate]``.

Configures Django with the generated apps, builds ``MigrationLoader(None, ignore_no_migrations=True)`` and reports
nodes, leaves and conflicts; fails unless there are no conflicts and exactly one leaf per app. ``--state`` also
replays every operation into Django's project state (catches a field altered before it exists, a foreign key to
a model not yet created); ``--migrate`` applies everything to an in-memory SQLite database and unapplies it again,
which runs every ``RunPython`` forwards and backwards (slow: use it on small projects).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--state", action="store_true", help="also build the project state from all operations")
    parser.add_argument("--migrate", action="store_true", help="also migrate an in-memory SQLite database and back")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    labels = [line for line in (root / "APPS.txt").read_text().split() if line]
    sys.path.insert(0, str(root))

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", *labels],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    started = time.perf_counter()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    graph.validate_consistency()
    loaded = time.perf_counter() - started
    leaves = graph.leaf_nodes()
    per_app: dict[str, list[str]] = {}
    for app, name in leaves:
        per_app.setdefault(app, []).append(name)
    conflicts = loader.detect_conflicts()
    squashes = sum(1 for migration in loader.disk_migrations.values() if migration.replaces)
    merges = sum(
        1 for (app, _), migration in loader.disk_migrations.items()
        if sum(1 for dep in migration.dependencies if dep[0] == app) > 1
    )
    print(
        f"files: {len(loader.disk_migrations)}  graph nodes: {len(graph.nodes)}  leaves: {len(leaves)}  "
        f"conflicts: {len(conflicts)}  squashes: {squashes}  merges: {merges}  loaded in {loaded:.2f} s"
    )
    problems = []
    if conflicts:
        problems.append(f"conflicts: {conflicts}")
    for label in labels:
        if len(per_app.get(label, [])) != 1:
            problems.append(f"{label} has leaves {per_app.get(label)}")

    if args.state or args.migrate:
        started = time.perf_counter()
        state = loader.project_state()
        models = [key for key in state.models if key[0] in labels]
        print(f"project state: {len(models)} models, built in {time.perf_counter() - started:.2f} s")
        # Rendering resolves every relation: a foreign key to a model no ancestor created fails here.
        state.apps  # noqa: B018

    if args.migrate:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        for label in labels:
            call_command("migrate", label, "zero", verbosity=0, interactive=False)
        call_command("migrate", verbosity=0, interactive=False)
        connection.close()
        print(f"migrated forwards, back to zero and forwards again in {time.perf_counter() - started:.2f} s")

    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

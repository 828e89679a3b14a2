"""DJM301, DJM306, DJM901: what a migration's dependencies and name say about the graph."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings

_GENERIC_MERGE: Final = re.compile(r"^(?P<number>\d{4})_merge$")
_AUTO_NAME: Final = re.compile(r"^\d{4}_auto_\d{8}_\d{4}$")


def latest_dependency(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for dependency in (*facts.dependencies, *facts.run_before):
        if dependency.name == "__latest__":
            yield RULES["DJM301"].finding(facts.path, dependency.line, dependency.col, app=dependency.app)


def generic_merge_name(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    match = _GENERIC_MERGE.match(facts.name)
    if match is None or not facts.operations_complete or facts.operations:
        return
    merged = sorted(d.name for d in facts.dependencies if d.app == facts.app_label)
    if len(merged) < 2:
        return
    suggestion = "_".join(name.split("_", 1)[-1] for name in merged)[:60].strip("_")
    yield RULES["DJM306"].finding(
        facts.path, facts.line, facts.col, name=facts.name, number=match["number"], suggestion=suggestion
    )


def auto_generated_name(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    if _AUTO_NAME.match(facts.name):
        yield RULES["DJM901"].finding(facts.path, facts.line, facts.col, name=facts.name)

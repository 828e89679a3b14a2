"""DJM306, DJM901: what a migration's name says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.rules.rule import Flag, file_rule
from flake8_django_migrations.settings import Settings

_GENERIC_MERGE: Final = re.compile(r"^(?P<number>\d{4})_merge$")
_AUTO_NAME: Final = re.compile(r"^\d{4}_auto_\d{8}_\d{4}$")


@file_rule(
    code="DJM306",
    name="generic-merge-name",
    message="the merge migration `{name}` has a generic name that another branch can create with other contents",
    hint="rename it to something unique, e.g. `{number}_merge_{suggestion}`, and update what depends on it",
    what_it_does=(
        "Checks for merge migrations named `NNNN_merge`. A merge migration has no operations and two or"
        " more dependencies in its own app."
    ),
    why_bad=(
        "Two branches each create their own `0016_merge.py` with different dependencies. A database that"
        " applied one records `0016_merge` as applied and never runs the other, so the migrations only the"
        " other merge depended on are silently skipped."
    ),
    example="# billing/migrations/0016_merge.py\n",
    use_instead="# billing/migrations/0016_merge_invoice_due_date_currency.py\n",
)
def generic_merge_name(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    match = _GENERIC_MERGE.match(facts.name)
    if match is None or not facts.operations_complete or facts.operations:
        return
    merged = sorted(d.name for d in facts.dependencies if d.app == facts.app_label)
    if len(merged) < 2:
        return
    suggestion = "_".join(name.split("_", 1)[-1] for name in merged)[:60].strip("_")
    yield Flag(facts.line, facts.col, name=facts.name, number=match["number"], suggestion=suggestion)


@file_rule(
    code="DJM901",
    name="auto-generated-name",
    message="the migration name `{name}` was generated from a timestamp and says nothing about its change",
    hint="rename it after what it does, e.g. `makemigrations --name add_order_region`",
    what_it_does="Checks for migration names like `0005_auto_20230101_1234`.",
    why_bad="History and merge conflicts are read by name; `auto_...` names hide what each migration does.",
    example="# orders/migrations/0005_auto_20230101_1234.py\n",
    use_instead="# orders/migrations/0005_order_region.py\n",
    default_enabled=False,
)
def auto_generated_name(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    if _AUTO_NAME.match(facts.name):
        yield Flag(facts.line, facts.col, name=facts.name)

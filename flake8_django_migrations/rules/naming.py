"""DJM306, DJM901: what a migration's name says."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.rules.rule import Edit, Fix, Flag, RenameFile, ReplaceEntry, WriteFile, file_rule
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.index import ProjectIndex

_GENERIC_MERGE: Final = re.compile(r"^(?P<number>\d{4})_merge$")
_AUTO_NAME: Final = re.compile(r"^\d{4}_auto_\d{8}_\d{4}$")


@file_rule(
    code="DJM306",
    fix=(
        "safe or unsafe",
        "renames the merge migration after the leaves it merges and updates every `dependencies`, `run_before` and"
        " `replaces` entry and `max_migration.txt` naming it; safe for a migration new since `djm-base`, unsafe for"
        " one that may be applied already",
    ),
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
    suggestion = merge_suggestion(merged)
    fix = partial(_rename, facts, f"{match['number']}_merge_{suggestion}")
    yield Flag(facts.line, facts.col, name=facts.name, number=match["number"], suggestion=suggestion).with_fix(fix)


def _rename(facts: MigrationFacts, new_name: str, index: ProjectIndex) -> Fix | None:
    """The migration renamed to ``new_name``, with every ``dependencies``, ``run_before`` and ``replaces`` entry and
    the ``max_migration.txt`` that name it. Safe only for a migration new since ``djm-base``: a database that
    applied it under the old name would run it again (DJM503). None when an entry could name it unseen (a file
    that does not parse, a list that is not literal) or one naming it is in an installed package."""
    key = (facts.app_label, facts.name)
    app = index.discovery.apps.get(facts.app_label)
    new_path = os.path.join(os.path.dirname(facts.path), f"{new_name}.py")
    known = index.migrations.get(key)
    # A module that parses but holds no Migration class names nothing; one that cannot be read might.
    helpers = {
        (label, os.path.splitext(os.path.basename(path))[0]) for path, label in index.without_migration_class.items()
    }
    unreadable = [(label, name) for label, names in index.unknown.items() for name in names
                  if (label, name) not in helpers]
    if app is None or known is None or index.path_of(key) != os.path.abspath(facts.path) or unreadable:
        return None
    if os.path.abspath(new_path) in app.files:
        return None
    external = {installed.label for installed in index.discovery.installed_apps if installed.external}
    edits: list[Edit] = [RenameFile(facts.path, new_path)]
    for other_key, other in sorted(index.migrations.items()):
        if not (other.dependencies_complete and other.run_before_complete and other.replaces_complete):
            return None
        for entry in (*other.dependencies, *other.run_before, *other.replaces):
            if (entry.app, entry.name) == key and entry.swappable_setting is None:
                if other_key[0] in external:
                    return None
                edits.append(ReplaceEntry(other.path, entry.line, entry.col, key, (key[0], new_name)))
    if app.max_migration is not None and index.recorded_max_migration(facts.app_label) == facts.name:
        edits.append(WriteFile(app.max_migration, f"{new_name}\n"))
    message = f"rename it to `{new_name}` and update the {len(edits) - 1} place(s) naming it"
    new_since_base = index.base is not None and key not in index.base.migrations
    return Fix.safe(message, *edits) if new_since_base else Fix.unsafe(message, *edits)


def merge_suggestion(merged: Iterable[str]) -> str:
    """What a merge of the migrations named ``merged`` (sorted) is called after ``NNNN_merge_``: their names without
    their numbers (DJM306's hint, and the merge DJM304's fix writes)."""
    return "_".join(name.split("_", 1)[-1] for name in merged)[:60].strip("_")


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

"""DJM103: live models used where the historical models must be."""

from __future__ import annotations

from collections.abc import Iterator

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.registry import RULES, Finding
from flake8_django_migrations.settings import Settings


def live_model_use(facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
    for use in facts.live_models:
        yield RULES["DJM103"].finding(facts.path, use.line, use.col, model=use.model, evidence=use.evidence)

"""Collects every rule of every module in ``rules/``: one table of codes, and nothing else to keep in sync."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final

from flake8_django_migrations import rules as rules_package
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.rules.rule import FILE, PROJECT, Rule

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.settings import Settings

__all__ = [
    "FILE_RULES", "OFF_BY_DEFAULT", "PREFIX", "PROJECT_RULES", "RULES", "check_facts", "running_file_rules", "runs",
]

PREFIX: Final = "DJM"


def _collect() -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for module_info in pkgutil.iter_modules(rules_package.__path__):
        if module_info.name == "rule":
            continue
        module = importlib.import_module(f"{rules_package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Rule):
                if found.setdefault(value.code, value) is not value:
                    raise RuntimeError(f"{value.code} is declared twice: {found[value.code].name} and {value.name}")
    return dict(sorted(found.items()))


RULES: Final[Mapping[str, Rule]] = _collect()
FILE_RULES: Final = tuple(rule for rule in RULES.values() if rule.scope == FILE)
PROJECT_RULES: Final = tuple(rule for rule in RULES.values() if rule.scope == PROJECT)
OFF_BY_DEFAULT: Final = tuple(code for code, rule in RULES.items() if not rule.default_enabled)


def codes_module_text() -> str:
    """The text of ``codes.py``: the codes and the few facts about them a warm lint run needs, so that it can serve
    stored findings without importing a rule. Generated from this table (``python -m
    flake8_django_migrations.registry``); a test fails when it is stale."""

    def codes(name: str, values: Iterator[str], what: str) -> str:
        items = "".join(f'    "{code}",\n' for code in values)
        return f"# {what}\n{name}: Final[tuple[str, ...]] = (\n{items})\n"

    return (
        '"""Generated from the registry by ``python -m flake8_django_migrations.registry``: do not edit. The codes a\n'
        'lint run needs before any rule is imported (flake8\'s options, the project rules\' codes)."""\n\n'
        "from __future__ import annotations\n\nfrom typing import Final\n\n"
        '__all__ = ["CODES", "NEEDS_ROLLING_DEPLOY", "OFF_BY_DEFAULT", "PROJECT_CODES"]\n\n'
        + codes("CODES", iter(RULES), "Every rule's code, sorted.")
        + "\n" + codes("OFF_BY_DEFAULT", iter(OFF_BY_DEFAULT), "Opinionated rules: flake8's extend_default_ignore.")
        + "\n" + codes("PROJECT_CODES", (rule.code for rule in PROJECT_RULES), "The project rules' codes.")
        + "\n" + codes(
            "NEEDS_ROLLING_DEPLOY", (code for code, rule in RULES.items() if rule.needs_rolling_deploy),
            "Rules whose claim needs old code running beside the migration: not run with djm-deploy = downtime.",
        )
    )


def runs(rule: Rule, settings: Settings) -> bool:
    """Whether ``rule`` runs with ``settings``: its code is selected, and its claim holds under the project's deploy
    model (with ``djm-deploy = downtime``, those that need a rolling deploy do not run)."""
    return settings.is_enabled(rule.code) and (settings.rolling_deploy or not rule.needs_rolling_deploy)


def running_file_rules(settings: Settings) -> tuple[Rule, ...]:
    """The per-file rules that ``runs`` lets run with ``settings``: worked out once per run rather than per file
    (``Settings.rolling_deploy`` reads the installed apps), and handed to ``check_facts``."""
    return tuple(rule for rule in FILE_RULES if runs(rule, settings))


def check_facts(
    facts: MigrationFacts, settings: Settings, rules: Sequence[Rule] | None = None
) -> Iterator[Finding]:
    """Every per-file finding for one migration; flake8 or the command then applies select, ignore and noqa.
    ``rules``: ``running_file_rules(settings)``, when the caller checks many files with the same settings."""
    for rule in running_file_rules(settings) if rules is None else rules:
        # No generator per rule and file between (tens of thousands in a big project): the flags made findings here.
        for flag in rule.check(facts, settings):
            yield rule.finding(flag.path or facts.path, flag.line, flag.col, **flag.names)


if __name__ == "__main__":
    import pathlib

    pathlib.Path(__file__).with_name("codes.py").write_text(codes_module_text(), encoding="utf-8")

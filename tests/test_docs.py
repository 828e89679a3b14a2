"""The docs are generated from the registry and must not go stale; every rule is fully documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flake8_django_migrations import docs
from flake8_django_migrations.options import PLUGIN_OPTIONS
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.rules.rule import Rule

ROOT = Path(__file__).parent.parent


def test_generated_docs_are_up_to_date() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in docs.expected_files(ROOT).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `python -m flake8_django_migrations.docs`: stale {stale}"


def test_no_doc_page_without_a_rule() -> None:
    pages = {path.stem for path in (ROOT / "docs" / "rules").glob("*.md")}
    assert pages == set(RULES)


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_rule_record_is_complete(rule: Rule) -> None:
    assert re.fullmatch(r"DJM\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    for section in ("message", "hint", "what_it_does", "why_bad", "example", "use_instead"):
        assert getattr(rule, section).strip(), f"{rule.code} has no {section}"
    assert not rule.message.endswith("."), "a message is one sentence without a final period"
    assert "\n" not in rule.message and "\n" not in rule.hint
    assert rule.default_enabled == (not rule.code.startswith("DJM9"))
    assert rule.scope in ("file", "project")


def test_names_are_unique() -> None:
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.options], ids=lambda r: r.code)
def test_options_a_rule_reads_are_declared(rule: Rule) -> None:
    declared = {option.config_key for option in PLUGIN_OPTIONS}
    for option in rule.options:
        assert option in declared, f"{rule.code} reads {option}, which options.py does not declare"


def test_the_readme_has_both_generated_tables() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render_table() in readme
    assert docs.render_options() in readme

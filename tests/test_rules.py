"""Every rule against its fixtures: the exact (line, column, code) list, nothing more, nothing less."""

from __future__ import annotations

import ast

import pytest

from flake8_django_migrations.facts import extract_facts
from flake8_django_migrations.registry import FILE_RULES, RULES, check_facts
from tests.fixture_harness import Fixture, all_fixtures, resolved_lint_path

FIXTURES = all_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(fixture: Fixture) -> None:
    source = fixture.source_path.read_text(encoding="utf-8")
    facts = extract_facts(ast.parse(source), str(resolved_lint_path(fixture)))
    assert facts is not None, "a fixture must be a migration"
    found = sorted(
        (f.line, f.col + 1, f.code) for f in check_facts(facts, fixture.settings) if f.code == fixture.code
    )
    assert found == list(fixture.expected)


@pytest.mark.parametrize("code", sorted(rule.code for rule in FILE_RULES))
def test_every_file_rule_has_failing_and_passing_fixtures(code: str) -> None:
    fixtures = [f for f in FIXTURES if f.code == code]
    assert any(f.expected for f in fixtures), f"{code} has no failing case"
    # A passing case: a fixture file with no expectation, or an operation line without one in a failing fixture.
    passing_lines = 0
    for fixture in fixtures:
        expected_lines = {line for line, _, _ in fixture.expected}
        source = fixture.source_path.read_text(encoding="utf-8").splitlines()
        passing_lines += sum(
            1 for number, line in enumerate(source, start=1)
            if "# ok" in line and number not in expected_lines
        )
    assert passing_lines or any(not f.expected for f in fixtures), f"{code} has no passing case marked `# ok`"


def test_registry_and_rule_functions_agree() -> None:
    file_codes = {code for code, rule in RULES.items() if rule.scope == "file"}
    assert {rule.code for rule in FILE_RULES} == file_codes

"""Every project rule (graph rules DJM302-DJM307 and DJM904, model-state rules DJM207-208 and DJM401-403) has a
project tree that fails and a passing case marked ``# ok``. The trees themselves run in ``test_rules.test_tree``."""

from __future__ import annotations

import pytest

from flake8_django_migrations.registry import PROJECT_RULES
from tests.fixture_harness import all_trees, passing_lines, tree_expectations, tree_files

TREES = all_trees()


# A tree is a folder; these rules compare it with a git revision, so their cases are git repositories built by
# tests/test_history_rules.py (each with a failing and a passing case, and Django's verdict for DJM501).
HISTORY_RULES = sorted(rule.code for rule in PROJECT_RULES if "djm-base" in rule.options)
# Likewise these compare it with a database's applied migrations: tests/fixtures/applied/ holds their cases, each a
# tree with its applied-migrations file (tests/test_applied_rules.py checks each has a failing and a passing one).
APPLIED_RULES = sorted(rule.code for rule in PROJECT_RULES if "djm-applied" in rule.options)


def test_the_history_rules_have_their_git_cases() -> None:
    from tests import test_history_rules

    source = (test_history_rules.__file__ and open(test_history_rules.__file__, encoding="utf-8").read()) or ""
    assert HISTORY_RULES == ["DJM501", "DJM502", "DJM503"]
    assert all(f'"{code}"' in source for code in HISTORY_RULES)


@pytest.mark.parametrize(
    "code", sorted(rule.code for rule in PROJECT_RULES if rule.code not in (*HISTORY_RULES, *APPLIED_RULES))
)
def test_every_project_rule_has_failing_and_passing_trees(code: str) -> None:
    trees = [tree for tree in TREES if tree.name.startswith(f"{code}_")]
    assert any(
        expected_code == code for tree in trees for _, _, _, expected_code, _, _ in tree_expectations(tree)
    ), f"{code} has no failing tree"
    assert passing_lines(path for tree in trees for path in tree_files(tree)), f"{code} has no passing case `# ok`"

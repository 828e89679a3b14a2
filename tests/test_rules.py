"""Every rule against its fixtures: the exact findings (line, column, code, full message and hint), nothing more,
nothing less. Per-file rules run on ``tests/fixtures/DJMxxx*.py``, project rules on the project trees
``tests/fixtures/trees/<CODE>_<case>/``; the inline expectation syntax is described in ``tests/fixture_harness.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flake8_django_migrations.facts import extract_facts
from flake8_django_migrations.facts.sql import sql_parser_available
from flake8_django_migrations.registry import FILE_RULES, PROJECT_RULES, RULES, check_facts
from tests.fixture_harness import (
    ExpectationError,
    Fixture,
    all_fixtures,
    all_trees,
    load_fixture,
    passing_lines,
    resolved_lint_path,
    tree_expectations,
    tree_findings,
)

FIXTURES = all_fixtures()
TREES = all_trees()
# Fixtures and trees named `..._sql...` hold RunSQL that only PostgreSQL's parser reads (the `[sql]` extra).
_NEEDS_PARSER = "pglast is not installed (pip install -e '.[sql]'): RunSQL is not analysed"


def _skip_without_parser(name: str) -> None:
    if "_sql" in name and not sql_parser_available():
        pytest.skip(_NEEDS_PARSER)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(fixture: Fixture) -> None:
    _skip_without_parser(fixture.id)
    source = fixture.source_path.read_text(encoding="utf-8")
    facts = extract_facts(ast.parse(source), str(resolved_lint_path(fixture)), source=source)
    assert facts is not None, "a fixture must be a migration"
    found = sorted(
        (f.line, f.col + 1, f.code, f.message, f.hint)
        for f in check_facts(facts, fixture.settings)
        if f.code == fixture.code
    )
    assert found == list(fixture.expected_findings)


@pytest.mark.parametrize("tree", TREES, ids=[tree.name for tree in TREES])
def test_tree(tree: Path) -> None:
    """Every project finding of the tree (all project rules, off-by-default ones too) is written in its files."""
    _skip_without_parser(tree.name)
    assert tree.name[:6] in {rule.code for rule in PROJECT_RULES}, "a tree's name starts with a project rule's code"
    assert tree_findings(tree) == tree_expectations(tree)


@pytest.mark.parametrize("code", sorted(rule.code for rule in FILE_RULES))
def test_every_file_rule_has_failing_and_passing_fixtures(code: str) -> None:
    fixtures = [f for f in FIXTURES if f.code == code]
    assert any(f.expected for f in fixtures), f"{code} has no failing case"
    # A passing case: a fixture file with no expectation, or a line marked `# ok` that carries no expectation.
    passing = passing_lines(f.source_path for f in fixtures)
    assert passing or any(not f.expected for f in fixtures), f"{code} has no passing case marked `# ok`"


def test_every_rule_runs_in_exactly_one_pass() -> None:
    """``Rule.scope`` is a free string: a rule whose scope is neither pass's would never run."""
    file_codes, project_codes = [rule.code for rule in FILE_RULES], [rule.code for rule in PROJECT_RULES]
    assert sorted(file_codes + project_codes) == sorted(RULES)


# The expectation syntax itself -----------------------------------------------------------------------------------


def _fixture(tmp_path: Path, body: str) -> Fixture:
    path = tmp_path / "DJM402_case.py"
    path.write_text(body, encoding="utf-8")
    return load_fixture(path)


def test_expectation_gives_the_full_message_and_hint(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, (
        "x = 1  # noqa: DJM202 expect: DJM402:9 target=catalog.product.sku readers=\"`orders.0008_x`\"\n"
        "#   ^ dependencies='(\"orders\", \"0008_x\")'\n"
    ))
    assert fixture.expected == ((1, 9, "DJM402"),)
    assert fixture.expected_findings == ((
        1, 9, "DJM402",
        "the removal of `catalog.product.sku` is not ordered after `orders.0008_x`, which read it, so it may run first",
        "add (\"orders\", \"0008_x\") to this migration's `dependencies`",
    ),)


def test_continuation_lines_belong_to_the_line_above_them(tmp_path: Path) -> None:
    fixture = _fixture(tmp_path, (
        "first = 1\n"
        "second = 2\n"
        "#   ^ expect: DJM304:1 app=shop name=0002_b others=\"`0002_a`\"\n"
        "#   ^ DJM304:5 app=shop\n"
        "  #   ^ name=0002_a others=\"`0002_b`\"\n"
        "third = 3  # expect: DJM104:9 operation=RunPython\n"
    ))
    assert fixture.expected == ((2, 1, "DJM304"), (2, 5, "DJM304"), (6, 9, "DJM104"))
    assert fixture.expected_findings[1][3] == "`shop` has more than one leaf migration: `0002_a`, `0002_b`"


@pytest.mark.parametrize(
    ("expectation", "error"),
    [
        ("# expect: DJM402:9 target=a.b.c readers=x", "lacks the field(s) `dependencies`"),
        ("# expect: DJM402:9", "lacks the field(s) `target`, `readers`, `dependencies`"),
        ("# expect: DJM104:9 operation=RunPython model=x", "names `model`, which DJM104's message and hint do not use"),
        ("# expect: DJM999:9", "DJM999 is not a rule"),
        ("# expect: DJM104", "'DJM104' is neither CODE:COLUMN nor name=value"),
        ("# expect: name=x DJM104:9", "'name=x' is neither CODE:COLUMN nor name=value"),
        ("# expect: DJM301:9 app=a app=b", "`app` given twice"),
        ("# expect: DJM301:9 app=\"unclosed", "cannot read"),
    ],
)
def test_a_wrong_expectation_fails_loudly(tmp_path: Path, expectation: str, error: str) -> None:
    with pytest.raises(ExpectationError, match=r"DJM402_case\.py:1: ") as raised:
        _fixture(tmp_path, f"x = 1  {expectation}\n")
    assert error in str(raised.value)


def test_a_continuation_without_a_line_above_fails(tmp_path: Path) -> None:
    with pytest.raises(ExpectationError, match="continuation"):
        _fixture(tmp_path, "#   ^ expect: DJM104:9\n")

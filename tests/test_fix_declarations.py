"""Each rule says whether ``check --fix`` repairs what it reports (``fix=`` on its record), and the declaration holds:
a rule attaches fixes, on the fix fixture trees, exactly when it declares one, of the applicability it declares;
its page and ``--explain`` say so."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from dataclasses import replace

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.docs import render_rule
from flake8_django_migrations.fix import fixes_for
from flake8_django_migrations.registry import RULES, check_facts
from flake8_django_migrations.rules.rule import SAFE, SAFE_OR_UNSAFE, UNSAFE, file_rule
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.settings import Settings
from tests.test_fix import CASES, FIXES


def attached_fixes() -> dict[str, set[str]]:
    """For each code, the applicabilities of the fixes its rule attaches to the findings on every fix tree (before
    and after: after the fix, nothing is left to attach), with the case's database and the base it needs."""
    seen: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        for side in ("before", "after"):
            root = str(FIXES / case.name / side)
            settings = Settings(database="postgresql" if "postgresql" in case.options else "sqlite")
            run = ProjectRun(root, settings)
            index = run.index()
            found = [*run_rules(index, [rule for rule in RULES.values() if rule.scope == "project"], run.settings)]
            file_rules = [rule for rule in RULES.values() if rule.scope == "file"]
            for facts in index.migrations.values():
                found.extend(check_facts(facts, run.settings, file_rules))
            found = [replace(finding, path=os.path.abspath(finding.path)) for finding in found]
            for finding, fix in fixes_for(found, [run]):
                seen[finding.code].add(fix.applicability)
    return seen


@pytest.fixture(scope="module")
def attached() -> dict[str, set[str]]:
    return attached_fixes()


def test_the_declared_fixes_are_the_attached_ones(attached: dict[str, set[str]]) -> None:
    declared = {code: rule.fix for code, rule in RULES.items() if rule.fix is not None}
    assert sorted(attached) == sorted(declared)
    for code, applicabilities in attached.items():
        allowed = {SAFE, UNSAFE} if declared[code] == SAFE_OR_UNSAFE else {declared[code]}
        assert applicabilities <= allowed, code


def test_the_issue_s_fixes_are_declared() -> None:
    assert {code: rule.fix for code, rule in RULES.items() if rule.fix is not None} == {
        "DJM101": UNSAFE, "DJM102": UNSAFE, "DJM205": UNSAFE, "DJM206": UNSAFE, "DJM301": SAFE, "DJM304": SAFE,
        "DJM306": SAFE_OR_UNSAFE, "DJM307": SAFE, "DJM401": SAFE, "DJM402": SAFE, "DJM403": UNSAFE,
    }


@pytest.mark.parametrize("code", sorted(RULES))
def test_the_page_and_explain_say_whether_the_rule_fixes(code: str) -> None:
    rule = RULES[code]
    page = render_rule(rule)
    expected = {
        None: "Fix: none;",
        SAFE: "Fix: safe, applied by `check --fix`: ",
        UNSAFE: "Fix: unsafe, applied by `check --fix --unsafe-fixes` only: ",
        SAFE_OR_UNSAFE: "Fix: safe or unsafe by case",
    }[rule.fix]
    assert expected in page and (rule.fix is None or rule.fix_does in page)
    out = io.StringIO()
    assert main(["--explain", code], stdout=out) == 0
    assert expected in out.getvalue()


def test_a_malformed_declaration_is_refused() -> None:
    for fix in (("always", "does it"), ("safe", "does it."), ("safe", " ")):
        with pytest.raises(ValueError, match="fix=\\(applicability, what\\)"):
            file_rule(code="DJM999", fix=fix)

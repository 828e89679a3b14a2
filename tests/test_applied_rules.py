"""DJM504-506 and DJM909 on small projects with their history: ``tests/fixtures/applied/<CODE>_<case>/`` holds the
migrations, with the findings expected written inline (``tests/fixture_harness.py``), and ``applied.txt``, the
history read with ``--djm-applied applied.txt`` (each tree writes it in another of the text formats). The
``plan`` command's output on the example project and on one of these trees is checked line by line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.registry import RULES
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.settings import Settings
from tests.fixture_harness import FIXTURES, as_expected, passing_lines, tree_expectations, tree_files

TREES = sorted(path for path in (FIXTURES / "applied").iterdir() if path.is_dir())
CODES = sorted(code for code, rule in RULES.items() if rule.check.__module__.endswith(".rules.applied"))
EXAMPLE = Path(__file__).parent.parent / "examples" / "shop"


@pytest.mark.parametrize("tree", TREES, ids=[tree.name for tree in TREES])
def test_tree(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)  # the source as messages show it: applied.txt
    run = ProjectRun(str(tree), Settings(use_cache=False, applied="applied.txt"))
    found = run_rules(run.index(), [RULES[code] for code in CODES], run.settings)
    assert sorted(as_expected(finding, tree) for finding in found) == tree_expectations(tree)


@pytest.mark.parametrize("code", CODES)
def test_every_rule_has_a_failing_and_a_passing_tree(code: str) -> None:
    trees = [tree for tree in TREES if tree.name.startswith(code)]
    assert any(tree_expectations(tree) for tree in trees), f"{code} has no failing tree"
    assert passing_lines(path for tree in trees for path in tree_files(tree)), f"{code} has no `# ok` line"


def _plan(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
          ) -> tuple[int, str]:
    monkeypatch.chdir(root)
    code = cli.main(["plan", "--djm-no-cache", *args])
    return code, capsys.readouterr().out


def test_plan_of_the_example_shows_its_inconsistent_history(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/shop/applied-production.txt: seed 004's merge migration, applied before it merged one more branch."""
    code, out = _plan(EXAMPLE, monkeypatch, capsys, "--djm-applied", "applied-production.txt")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "django-migrations-lint plan: `migrate` on applied-production.txt (41 migrations recorded as applied)"
    )
    at = lines.index(
        "migrate stops before running anything: InconsistentMigrationHistory: Migration billing.0004_merge is"
        " applied before its dependency billing.0003_invoice_pdf on database 'default'."
    )
    assert lines[at + 1:] == [
        "every applied migration with a dependency that is not applied:",
        "  billing.0004_merge depends on billing.0003_invoice_pdf",
        "",
        "recovery: `migrate --fake` refuses this history too, so the rows are written by hand (SQL below), then"
        " `manage.py migrate` runs; pick one way:",
        "  A. record the missing dependencies as applied, in this order (UNSAFE as it stands):",
        "     - billing.0003_invoice_pdf: UNSAFE: it changes the database (AddField `invoice.pdf`); its changes never"
        " run on this database: make them by hand first",
        "         INSERT INTO django_migrations (app, name, applied) VALUES ('billing', '0003_invoice_pdf',"
        " CURRENT_TIMESTAMP);",
        "  B. delete the rows of the migrations applied too early, latest first; `migrate` then runs them again after"
        " their dependencies (safe):",
        "     - billing.0004_merge: safe: it changes nothing in the database",
        "         DELETE FROM django_migrations WHERE app = 'billing' AND name = '0004_merge';",
        "  B changes nothing in the schema or the data.",
        "",
        "once the history is repaired, migrate still stops: CommandError: Conflicting migrations detected; multiple"
        " leaf nodes in the migration graph: (0007_invoice_currency, 0007_invoice_due_date in billing). To fix them"
        " run 'python manage.py makemigrations --merge'",
    ]


def test_plan_json_of_a_branch_merged_late(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = FIXTURES / "applied" / "DJM505_branch_merged_late"
    code, out = _plan(tree, monkeypatch, capsys, "--djm-applied", "applied.txt", "--format", "json",
                      "--djm-settings", "none", "--extend-select", "DJM505", "--djm-project-root", ".")
    document = json.loads(out)
    assert code == 0
    assert [(step["migration"], step["direction"], step["records"]) for step in document["steps"]] == [
        ("shop.0002_product_weight", "forward", ["shop.0002_product_weight"]),
        ("shop.0003_merge", "forward", ["shop.0003_merge"]),
    ]
    weight = document["steps"][0]
    assert weight["path"] == os.path.join("shop", "migrations", "0002_product_weight.py")
    assert [finding["code"] for finding in weight["findings"]] == ["DJM505"]
    assert document["refusal"] is None and document["recovery"] is None and document["stops_at"] is None
    assert document["source"] == "applied.txt" and document["recorded"] == 2
    assert document["targets"] == [["shop", "0003_merge"]]

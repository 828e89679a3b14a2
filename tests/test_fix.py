"""``check --fix``, ``--unsafe-fixes``, ``--diff``: each fix on a tree fixture, before and after, byte for byte.

``tests/fixtures/fixes/<CASE>/before/`` is a small project with the finding; ``after/`` is the tree ``check --fix``
(with the case's options) must leave, every file compared byte for byte. For each case the finding is gone after
the fix, a second ``--fix`` changes nothing, ``--diff`` writes nothing and its output applied with ``patch -p1``
gives the same tree, and (``test_fixed_tree_migrates``) Django's loader and ``migrate`` from zero on SQLite agree:
the tree before fails as the finding says, the tree after migrates.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.django_runner import DjangoProject

FIXES = Path(__file__).parent / "fixtures" / "fixes"


@dataclass(frozen=True)
class Case:
    name: str
    options: tuple[str, ...]  # beyond --fix: --unsafe-fixes, the codes selected, a database
    # Django on the trees: the commands run on a fresh database, and what it says where the tree before fails
    # (None: the tree before migrates too, as the fix keeps the graph as it is)
    commands: tuple[tuple[str, ...], ...] = (("migrate",),)
    fails_with: str | None = None

    @property
    def codes(self) -> list[str]:
        return self.options[self.options.index("--select") + 1].split(",")


CASES = [
    Case("DJM301_pin_latest", ("--select", "DJM301")),
    Case("DJM307_max_migration", ("--select", "DJM307")),
    Case("DJM401_add_dependency", ("--select", "DJM401"), (("migrate", "orders"),), "phone"),
    Case("DJM402_add_reader", ("--select", "DJM402"), (("migrate", "catalog"), ("migrate", "orders")), "sku"),
    Case("DJM304_merge", ("--select", "DJM304,DJM307"), fails_with="conflicting migrations"),
    Case("DJM306_rename", ("--unsafe-fixes", "--select", "DJM306")),
    Case("DJM403_repin", ("--unsafe-fixes", "--select", "DJM403"), fails_with="sku"),
    Case("DJM101_DJM102_noop", ("--unsafe-fixes", "--select", "DJM101,DJM102"),
         (("migrate",), ("migrate", "shop", "zero")), "irreversible"),
    # PostgreSQL only (SQLite has no CREATE INDEX CONCURRENTLY): no Django run here.
    Case("DJM206_atomic_false", ("--unsafe-fixes", "--select", "DJM206", "--djm-database", "postgresql"), ()),
    # AddIndexConcurrently exists on PostgreSQL only: no Django run here (its SQL is DJM205's own truth test's).
    Case("DJM205_concurrently", ("--unsafe-fixes", "--select", "DJM205,DJM206", "--djm-database", "postgresql"), ()),
]
IDS = [case.name for case in CASES]


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*")) if path.is_file() and "__pycache__" not in path.parts
    }


def check(root: Path, *options: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", "--isolated", "--no-cache", "--djm-project-root", str(root), *options, str(root)], stdout=out)
    return code, out.getvalue()


def copy(case: Case, tmp_path: Path, side: str = "before") -> Path:
    root = tmp_path / side / "project"
    shutil.copytree(FIXES / case.name / side, root)
    return root


def test_every_case_has_both_trees() -> None:
    assert sorted(IDS) == sorted(path.name for path in FIXES.iterdir())
    for case in CASES:
        assert files(FIXES / case.name / "before") != files(FIXES / case.name / "after")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fix_leaves_the_expected_tree(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy(case, tmp_path)
    monkeypatch.chdir(root)
    code, before = check(root, *case.options)
    assert code == 1 and f" {case.codes[0]} " in before, before
    capsys.readouterr()

    code, printed = check(root, "--fix", *case.options)

    assert files(root) == files(FIXES / case.name / "after")
    assert (code, printed) == (0, ""), printed  # the finding is gone, and nothing else of these codes is left
    said = capsys.readouterr().err
    assert "fixed " in said and "was not applied" not in said, said
    code, printed = check(root, *case.options)
    assert (code, printed) == (0, "")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_second_fix_changes_nothing(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = copy(case, tmp_path, "after")
    monkeypatch.chdir(root)
    stats = {path: path.stat().st_mtime_ns for path in root.rglob("*") if path.is_file()}

    assert check(root, "--fix", *case.options) == (0, "")

    assert {path: path.stat().st_mtime_ns for path in root.rglob("*") if path.is_file()} == stats
    assert "fixed 0 finding(s) in 0 file(s)" in capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_diff_writes_nothing_and_patch_applies_it(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy(case, tmp_path)
    monkeypatch.chdir(root)

    code, diff = check(root, "--diff", *case.options)

    assert code == 1
    assert files(root) == files(FIXES / case.name / "before")
    assert diff.startswith("--- ") and "would change" in capsys.readouterr().err
    patched = subprocess.run(["patch", "-p1", "--quiet"], input=diff, cwd=root, text=True, capture_output=True)
    assert patched.returncode == 0, patched.stdout + patched.stderr
    for leftover in [*root.rglob("*.orig"), *root.rglob("*.rej")]:
        leftover.unlink()
    assert files(root) == files(FIXES / case.name / "after")
    code, diff = check(root, "--diff", *case.options)
    assert (code, diff) == (0, "")


@pytest.mark.parametrize("case", [case for case in CASES if case.commands], ids=[c.name for c in CASES if c.commands])
def test_fixed_tree_migrates(case: Case, tmp_path: Path) -> None:
    """Django agrees: the tree before fails as the finding says (or, for a fix that keeps the graph, plans the same
    migrations in the same order), the tree after loads and migrates from zero."""
    results = {}
    for side in ("before", "after"):
        project = DjangoProject(FIXES / case.name / side, tmp_path / side)
        outcome = None
        for command in case.commands:
            result = project.manage(*command)
            if result.returncode != 0:
                outcome = result.stderr
                break
        results[side] = outcome, project
    failure, _ = results["after"]
    assert failure is None, failure[-2000:]
    failure, before = results["before"]
    if case.fails_with is None:
        assert failure is None, failure[-2000:]
    else:
        assert failure is not None and case.fails_with in failure.lower(), (failure or "")[-2000:]
    if case.name == "DJM301_pin_latest":
        plans = [DjangoProject(FIXES / case.name / side, tmp_path / f"plan-{side}").manage("migrate", "--plan").stdout
                 for side in ("before", "after")]
        assert plans[0] == plans[1] and "orders.0001_initial" in plans[0]

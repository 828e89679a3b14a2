"""Fixture files: one per rule, expected findings written inline as ``# expect: DJM101:9`` (code:column).

A fixture may start with header comments:
- ``# path: billing/migrations/0016_merge.py``: where it is linted (default ``<stem>/migrations/0002_<stem>.py``);
  a path starting with ``projects/`` is taken below ``tests/fixtures`` so that it sits beside real app code;
- ``# settings: database=sqlite``: Settings fields to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project.index import build_index, run_project_rules
from flake8_django_migrations.registry import PROJECT_RULES
from flake8_django_migrations.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"\bexpect:\s*(?P<codes>(?:DJM\d{3}:\d+\s*)+)")
_HEADER = re.compile(r"^#\s*(?P<key>path|settings):\s*(?P<value>.+?)\s*$")


@dataclass(frozen=True)
class Fixture:
    source_path: Path
    code: str
    lint_path: str  # relative path at which the fixture is linted
    settings: Settings
    expected: tuple[tuple[int, int, str], ...]  # (line, 1-based column, code), sorted

    @property
    def id(self) -> str:
        return self.source_path.stem


def load_fixture(path: Path) -> Fixture:
    text = path.read_text(encoding="utf-8")
    lint_path = f"{path.stem.lower()}/migrations/0002_{path.stem.lower()}.py"
    overrides: dict[str, str] = {}
    expected: list[tuple[int, int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and header["key"] == "path":
            lint_path = header["value"]
        elif header:
            key, _, value = header["value"].partition("=")
            overrides[key.strip()] = value.strip()
        match = _EXPECT.search(line)
        if match:
            for item in match["codes"].split():
                code, _, column = item.partition(":")
                expected.append((number, int(column), code))
    return Fixture(
        source_path=path,
        code=path.stem[:6],
        lint_path=lint_path,
        settings=Settings(**overrides),  # type: ignore[arg-type]
        expected=tuple(sorted(expected)),
    )


def all_fixtures() -> list[Fixture]:
    return [load_fixture(path) for path in sorted(FIXTURES.glob("DJM*.py"))]


def resolved_lint_path(fixture: Fixture) -> Path:
    """Where the per-file test lints a fixture: real for ``projects/`` paths, which need the app code beside them."""
    if fixture.lint_path.startswith("projects/"):
        return FIXTURES / fixture.lint_path
    return Path("/nonexistent/fixture-tree") / fixture.lint_path


TREES = FIXTURES / "trees"


def tree_expectations(tree: Path) -> list[tuple[str, int, int, str]]:
    """(path relative to the tree, line, 1-based column, code) written inline in a project tree's files."""
    expected = []
    for path in sorted(tree.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for item in match["codes"].split():
                    code, _, column = item.partition(":")
                    expected.append((str(path.relative_to(tree)), number, int(column), code))
    return sorted(expected)


def project_findings(root: str | Path, settings: Settings) -> tuple[Finding, ...]:
    """Every project finding of the tree below ``root``, from a new index (no findings cache)."""
    return run_project_rules(build_index(str(root), settings), PROJECT_RULES, settings)

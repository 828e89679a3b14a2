"""Fixtures with their expected findings written inline, message included.

Two kinds of fixtures use the same inline expectations:

- ``tests/fixtures/DJMxxx*.py``: one migration file per case of a per-file rule (``test_rules.test_fixture``);
- ``tests/fixtures/trees/<CODE>_<case>/``: a small project (app packages holding migrations packages) for the
  rules that read the whole project (``test_rules.test_tree``); every ``.py`` file in it may carry expectations.

Expectations
------------
A comment ending in ``expect:`` and what follows says that the reported line has exactly these findings::

    migrations.RemoveField("product", "sku"),  # noqa: DJM202 expect: DJM402:9 target=catalog.product.sku ...

Each finding is ``CODE:COLUMN`` (1-based column) followed by ``name=value`` for every field of the rule's
message and hint (``RULES[CODE].message`` and ``.hint``, ``str.format`` fields). The harness formats both with
these names and the tests compare the finding's full message and hint, exactly, with its line, column and code.
A field missing, a name the rule does not use, an unknown code or a token that is neither ``CODE:COLUMN`` nor
``name=value`` is an ``ExpectationError`` naming the file, the line and the field. Values are read with
``shlex`` (POSIX): quote a value with spaces, double quotes inside single ones and vice versa::

    # expect: DJM304:1 app=shop name=0002_b others="`0002_a`, `0002_c`"
    # expect: DJM402:9 target=catalog.product.sku readers="`orders.0002_x`" dependencies='("orders", "0002_x")'

Several findings on one line follow each other: ``# expect: DJM301:9 app=a DJM301:40 app=b``. The expectation
ends its comment: write other remarks (``# noqa: ...``, ``# ok: ...``) before ``expect:``.

Continuation, for a reported line with no room left (lines stay within 120 characters): a line holding only a
comment that starts with ``^`` continues the expectations of the nearest line above it that is not such a line
("the line above")::

    migrations.AlterField("product", "price", models.DecimalField(max_digits=10, decimal_places=3)),
    #   ^ expect: DJM207:9 operation=AlterField field=product.price change="decimal_places 2 to 3"
    class Migration(migrations.Migration):  # expect: DJM904:50 app=billing other=orders
        #   ^ forward="`billing.0002_x` depends on `orders.0001_initial`"

The text after ``^`` (``expect:`` first is optional) is appended to that line's expectation, token by token.

Passing cases: ``# ok`` (or ``# ok: why``) on a line that shows what the rule must not report.

Per-file fixtures: header comments
----------------------------------
A fixture file may start with header comments:

- ``# path: billing/migrations/0016_merge.py``: where it is linted (default ``<stem>/migrations/0002_<stem>.py``);
  a path starting with ``projects/`` is taken below ``tests/fixtures`` so that it sits beside real app code;
- ``# settings: database=sqlite``: Settings fields to change.

Only the findings of the fixture's own code (the first six characters of its name) are compared.

Project trees
-------------
A tree's folder name starts with the code it is about (``DJM302_missing_target``). The tree is the project root
as it is (no ``manage.py`` needed: the test hands the folder to the index), every project rule runs on it (the
off-by-default ones too) and ALL its findings are compared with the expectations of all its files. Apps are
found as in a real project: a folder holding ``migrations/`` (labels from the folder name or ``apps.py``).

Settings for a tree go in an optional ``djm.toml`` at its root; its keys are ``Settings`` fields::

    database = "sqlite"
    exclude = ["legacy"]
    swappable = { AUTH_USER_MODEL = "accounts.User" }  # over the default AUTH_USER_MODEL=auth.User
    app_labels = { "src/catalog" = "legacy_catalog" }  # app folder (relative to the tree) -> label
    migration_modules = { blog = "blog.db_migrations" }

Files in a tree are real migration modules (``class Migration(migrations.Migration)`` with ``dependencies`` and
``operations``) so that Django can load the same tree (``tests/test_state_truth.py`` migrates some of them).
"""

from __future__ import annotations

import os
import re
import shlex
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.registry import PROJECT_RULES, RULES
from flake8_django_migrations.settings import DEFAULT_SWAPPABLE, Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, before it joined the standard library
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures"
TREES = FIXTURES / "trees"
TREE_SETTINGS = "djm.toml"

_EXPECT = re.compile(r"#.*?\bexpect:(?P<rest>.*)$")
_CONTINUATION = re.compile(r"^\s*#\s*\^(?:\s*expect:)?(?P<rest>.*)$")
_CODE_TOKEN = re.compile(r"^(?P<code>DJM\d{3}):(?P<col>\d+)$")
_NAME_TOKEN = re.compile(r"^(?P<name>[A-Za-z_]\w*)=(?P<value>.*)$", re.DOTALL)
_HEADER = re.compile(r"^#\s*(?P<key>path|settings):\s*(?P<value>.+?)\s*$")

# (path relative to the fixture or tree, line, 1-based column, code, message, hint)
ExpectedFinding = tuple[str, int, int, str, str, str]


class ExpectationError(ValueError):
    """An inline expectation that cannot be turned into a message: says where and what is missing."""


def rule_fields(code: str) -> tuple[str, ...]:
    """The ``str.format`` fields of a rule's message and hint, in order of first use."""
    rule = RULES[code]
    fields: dict[str, None] = {}
    for template in (rule.message, rule.hint):
        for _, field_name, _, _ in string.Formatter().parse(template):
            if field_name:
                fields.setdefault(field_name, None)
    return tuple(fields)


def _expectation_texts(text: str, where: str) -> dict[int, list[str]]:
    """Line number -> the expectation texts that belong to it (inline, then each ``^`` continuation below)."""
    texts: dict[int, list[str]] = {}
    target = 0
    for number, line in enumerate(text.splitlines(), start=1):
        continuation = _CONTINUATION.match(line)
        if continuation:
            if not target:
                raise ExpectationError(f"{where}:{number}: a `^` continuation with no line above it")
            texts.setdefault(target, []).append(continuation["rest"])
            continue
        target = number
        match = _EXPECT.search(line)
        if match:
            texts.setdefault(number, []).append(match["rest"])
    return texts


def _parse_expectations(text: str, where: str) -> list[tuple[int, int, str, str, str]]:
    """(line, 1-based column, code, message, hint) for every expectation written in ``text``."""
    expected = []
    for number, pieces in sorted(_expectation_texts(text, where).items()):
        tokens: list[str] = []
        for piece in pieces:
            try:
                tokens.extend(shlex.split(piece))
            except ValueError as error:
                raise ExpectationError(f"{where}:{number}: cannot read {piece.strip()!r}: {error}") from None
        current: tuple[int, str, dict[str, str]] | None = None
        entries: list[tuple[int, str, dict[str, str]]] = []
        for token in tokens:
            code_token = _CODE_TOKEN.match(token)
            name_token = _NAME_TOKEN.match(token)
            if code_token:
                if code_token["code"] not in RULES:
                    raise ExpectationError(f"{where}:{number}: {code_token['code']} is not a rule")
                current = (int(code_token["col"]), code_token["code"], {})
                entries.append(current)
            elif name_token and current is not None:
                if name_token["name"] in current[2]:
                    raise ExpectationError(f"{where}:{number}: {current[1]}: `{name_token['name']}` given twice")
                current[2][name_token["name"]] = name_token["value"]
            else:
                raise ExpectationError(
                    f"{where}:{number}: {token!r} is neither CODE:COLUMN nor name=value after one"
                )
        for column, code, names in entries:
            fields = rule_fields(code)
            missing = [field_name for field_name in fields if field_name not in names]
            if missing:
                raise ExpectationError(
                    f"{where}:{number}: the expectation {code}:{column} lacks the field(s) "
                    + ", ".join(f"`{field_name}`" for field_name in missing)
                    + f" of its message {RULES[code].message!r} and hint {RULES[code].hint!r}"
                )
            unknown = [name for name in names if name not in fields]
            if unknown:
                raise ExpectationError(
                    f"{where}:{number}: the expectation {code}:{column} names "
                    + ", ".join(f"`{name}`" for name in unknown)
                    + f", which {code}'s message and hint do not use (they use: {', '.join(fields) or 'nothing'})"
                )
            rule = RULES[code]
            expected.append((number, column, code, rule.message.format(**names), rule.hint.format(**names)))
    return expected


def _where(path: Path) -> str:
    """A path as error messages show it: relative to the repository when inside it."""
    try:
        return str(path.relative_to(FIXTURES.parent.parent))
    except ValueError:
        return str(path)


def ok_lines(text: str) -> set[int]:
    """Lines marked ``# ok`` (a passing case)."""
    return {number for number, line in enumerate(text.splitlines(), start=1) if re.search(r"#\s*ok\b", line)}


# Per-file fixtures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    source_path: Path
    code: str
    lint_path: str  # relative path at which the fixture is linted
    settings: Settings
    expected: tuple[tuple[int, int, str], ...]  # (line, 1-based column, code), sorted
    expected_findings: tuple[tuple[int, int, str, str, str], ...]  # (line, column, code, message, hint), sorted

    @property
    def id(self) -> str:
        return self.source_path.stem


def load_fixture(path: Path) -> Fixture:
    text = path.read_text(encoding="utf-8")
    lint_path = f"{path.stem.lower()}/migrations/0002_{path.stem.lower()}.py"
    overrides: dict[str, str] = {}
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header and header["key"] == "path":
            lint_path = header["value"]
        elif header:
            key, _, value = header["value"].partition("=")
            overrides[key.strip()] = value.strip()
    findings = sorted(_parse_expectations(text, _where(path)))
    return Fixture(
        source_path=path,
        code=path.stem[:6],
        lint_path=lint_path,
        settings=Settings(**overrides),  # type: ignore[arg-type]
        expected=tuple((line, column, code) for line, column, code, _, _ in findings),
        expected_findings=tuple(findings),
    )


def all_fixtures() -> list[Fixture]:
    return [load_fixture(path) for path in sorted(FIXTURES.glob("DJM*.py"))]


def resolved_lint_path(fixture: Fixture) -> Path:
    """Where the per-file test lints a fixture: real for ``projects/`` paths, which need the app code beside them."""
    if fixture.lint_path.startswith("projects/"):
        return FIXTURES / fixture.lint_path
    return Path("/nonexistent/fixture-tree") / fixture.lint_path


# Project trees -------------------------------------------------------------------------------------------------


def all_trees() -> list[Path]:
    return sorted(path for path in TREES.iterdir() if path.is_dir())


def tree_files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.py"))


def tree_expectations(tree: Path) -> list[ExpectedFinding]:
    """(path relative to the tree, line, 1-based column, code, message, hint) written inline in a tree's files."""
    expected: list[ExpectedFinding] = []
    for path in tree_files(tree):
        relative = path.relative_to(tree).as_posix()
        text = path.read_text(encoding="utf-8")
        expected.extend((relative, *item) for item in _parse_expectations(text, _where(path)))
    return sorted(expected)


_SETTINGS_TYPES: dict[str, type] = {
    "database": str, "exclude": list, "swappable": dict, "app_labels": dict, "migration_modules": dict,
}


def tree_settings(tree: Path) -> Settings:
    """The tree's settings: ``djm.toml`` at its root over the defaults, never with the on-disk cache."""
    path = tree / TREE_SETTINGS
    table: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    fields: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _SETTINGS_TYPES or not isinstance(value, _SETTINGS_TYPES[key]):
            raise ExpectationError(
                f"{path}: `{key}` is not a tree setting of the right type; use one of "
                + ", ".join(f"{name} ({kind.__name__})" for name, kind in _SETTINGS_TYPES.items())
            )
        fields[key] = tuple(value) if isinstance(value, list) else value
    if "swappable" in fields:  # as djm-swappable: added to Django's default
        fields["swappable"] = {**DEFAULT_SWAPPABLE, **fields["swappable"]}
    return Settings(use_cache=False, **fields)


def tree_findings(tree: Path, settings: Settings | None = None) -> list[ExpectedFinding]:
    """Every project finding of a tree in the form of ``tree_expectations``."""
    return sorted(as_expected(f, tree) for f in project_findings(tree, settings or tree_settings(tree)))


def as_expected(finding: Finding, root: str | Path) -> ExpectedFinding:
    return (
        Path(os.path.relpath(finding.path, root)).as_posix(),
        finding.line, finding.col + 1, finding.code, finding.message, finding.hint,
    )


def passing_lines(paths: Iterable[Path]) -> int:
    """How many lines marked ``# ok`` the files hold that carry no expectation: the passing cases."""
    count = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        count += len(ok_lines(text) - set(_expectation_texts(text, _where(path))))
    return count


def project_findings(root: str | Path, settings: Settings) -> tuple[Finding, ...]:
    """Every project finding of the tree below ``root``, from a new index (no findings cache)."""
    run = ProjectRun(str(root), settings)
    return run_rules(run.index(), PROJECT_RULES, run.settings)

"""Mutation testing for flake8_django_migrations, stdlib only.

Each module of the package is parsed with ``ast`` and single mutations are enumerated: comparison operators swapped
(``==``/``!=``, ``<``/``<=``, ``>``/``>=``, ``in``/``not in``, ``is``/``is not``), ``and``/``or``, ``not x`` -> ``x``,
constants changed (``True``/``False``, a number ``n`` -> ``n + 1``, a non-empty string -> ``"XX"``), ``return x`` ->
``return None``, a statement removed from its block (a call or ``yield`` line, ``continue``, ``break``, ``raise``,
an early ``return``, an assignment to an attribute or item, an augmented assignment), ``if`` conditions (also
conditional expressions and comprehension filters) made ``True`` or ``False``. Docstrings, annotations,
``if TYPE_CHECKING:`` blocks, ``__all__`` and documentation text (the rule records' ``what_it_does``, ``why_bad``,
``example``, ``use_instead``; argparse ``help``/``description``) are not mutated.

The repository (tracked files and untracked files that are not ignored) is copied once per run to a scratch folder;
mutants are written into that copy only, and the tests run there with the copy first on ``sys.path``, so the shared
working tree and the editable install are never touched. A baseline run first checks that the copy's package is
the one imported, measures each test file and deselects tests that already fail without any mutation (reported).

Usage::

    .venv/bin/python tools/mutate.py --total 175 --seed 1 --json /tmp/mutation.json
    .venv/bin/python tools/mutate.py --module 'project/graph.py' --per-module 20
    .venv/bin/python tools/mutate.py --list --total 175          # show the sample, run nothing
    .venv/bin/python tools/mutate.py --ids-from /tmp/mutation.json  # re-run the survivors of an earlier run
    .venv/bin/python tools/mutate.py --reuse-package --total 175 --seed 1  # same mutants, the tests as they are now
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import fnmatch
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGE = "flake8_django_migrations"
DEFAULT_WORKDIR = Path("/tmp/mutation-work")

# Slow tests (Django subprocesses, pre-commit installs, hypothesis): only with --with-slow.
SLOW_TESTS = (
    "tests/test_precommit.py",
    "tests/test_fuzz.py",
    "tests/test_graph_truth.py",
    "tests/test_state_truth.py",
    "tests/test_loader_errors_truth.py",
    "tests/test_django_behaviour.py",
)
# Never run for a mutant: flake8 on our own sources "kills" a mutant by style (a name left unused once a statement
# is removed), which says nothing about behaviour.
NEVER_TESTS = ("tests/test_self_lint.py",)
# Module prefix -> test files run first for it (the targeted ones; with -x the first failure ends the run). The
# rest of the suite follows, fastest first (as the baseline measured it).
PRIORITY: dict[str, tuple[str, ...]] = {
    f"{PACKAGE}/facts/model_inference.py": ("tests/test_model_inference.py",),
    f"{PACKAGE}/facts/live_models.py": ("tests/test_rules.py", "tests/test_model_inference.py"),
    f"{PACKAGE}/facts/": ("tests/test_rules.py", "tests/test_robustness.py"),
    f"{PACKAGE}/rules/": ("tests/test_rules.py", "tests/test_state_rules.py", "tests/test_docs.py"),
    f"{PACKAGE}/project/cache.py": ("tests/test_cache.py", "tests/test_cache_security.py"),
    f"{PACKAGE}/run.py": ("tests/test_project_cache.py", "tests/test_graph_rules.py", "tests/test_one_project_run.py"),
    f"{PACKAGE}/project/": ("tests/test_rules.py", "tests/test_graph_rules.py", "tests/test_healthy_projects.py"),
    f"{PACKAGE}/cli.py": ("tests/test_cli.py", "tests/test_cli_config.py", "tests/test_one_verdict.py"),
    f"{PACKAGE}/output/graph_": ("tests/test_graph_render.py",),
    f"{PACKAGE}/output/": ("tests/test_output_formats.py", "tests/test_cli.py"),
    f"{PACKAGE}/plugin.py": ("tests/test_flake8_e2e.py",),
    f"{PACKAGE}/settings.py": ("tests/test_cli_config.py", "tests/test_cli.py", "tests/test_flake8_e2e.py"),
    f"{PACKAGE}/docs.py": ("tests/test_docs.py",),
    f"{PACKAGE}/files.py": ("tests/test_cache_security.py",),
    f"{PACKAGE}/source.py": ("tests/test_one_verdict.py", "tests/test_robustness.py"),
    f"{PACKAGE}/registry.py": ("tests/test_rules.py", "tests/test_docs.py"),
}
# Test files that run only for the modules they are about (they are slow: subprocesses that must hang or not).
ONLY_FOR: dict[str, tuple[str, ...]] = {
    "tests/test_cache_security.py": (
        f"{PACKAGE}/project/cache.py", f"{PACKAGE}/files.py", f"{PACKAGE}/cli.py", f"{PACKAGE}/source.py",
        f"{PACKAGE}/project/discover.py", f"{PACKAGE}/settings.py",
    ),
}
# Keyword arguments holding documentation text, not behaviour.
DOC_KEYWORDS = frozenset({"what_it_does", "why_bad", "example", "use_instead", "help", "description"})

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
COMPARE_TEXT: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}
_COMPARE_TOKEN = re.compile(r"==|!=|<=|>=|<|>|\bnot\s+in\b|\bis\s+not\b|\bin\b|\bis\b")
_BOOL_TOKEN = re.compile(r"\b(?:and|or)\b")
_COMMENT = re.compile(r"#[^\n]*")
STATUSES = ("killed", "survived", "timeout", "error")


# Mutants ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Edit:
    start: int  # character offsets into the module's source
    end: int
    text: str


@dataclasses.dataclass
class Mutant:
    module: str  # path relative to the repository, e.g. flake8_django_migrations/project/graph.py
    line: int
    col: int
    kind: str
    description: str
    edits: tuple[Edit, ...]
    original: str = ""  # the source lines the mutation touches, before and after
    mutated: str = ""
    status: str = "pending"  # killed, survived, timeout, error
    seconds: float = 0.0
    killed_by: str = ""

    @property
    def id(self) -> str:
        return f"{self.module}:{self.line}:{self.col}:{self.kind}:{self.description}"

    def apply(self, source: str) -> str:
        for edit in sorted(self.edits, key=lambda e: e.start, reverse=True):
            source = source[:edit.start] + edit.text + source[edit.end:]
        return source

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "module": self.module, "line": self.line, "col": self.col, "kind": self.kind,
            "description": self.description, "original": self.original, "mutated": self.mutated,
            "status": self.status, "seconds": round(self.seconds, 2), "killed_by": self.killed_by,
        }


class _Source:
    """Offsets in a module's text from ``ast`` positions (whose columns count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, byte_col: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode()[:byte_col].decode(errors="replace"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        low, high = 0, len(self.starts) - 1
        while low < high:  # the last start <= offset
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1


def _is_docstring(statement: ast.stmt, body: Sequence[ast.stmt]) -> bool:
    return (
        statement is body[0] and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_generator(function: ast.AST) -> bool:
    def walk(node: ast.AST) -> Iterator[ast.AST]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            yield child
            yield from walk(child)
    return any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in walk(function))


class _Collector:
    REMOVABLE = (ast.Expr, ast.Continue, ast.Break, ast.Raise, ast.AugAssign, ast.Delete)

    def __init__(self, module: str, text: str) -> None:
        self.module = module
        self.source = _Source(text)
        self.mutants: list[Mutant] = []

    def add(self, node: ast.AST, kind: str, description: str, *edits: Edit) -> None:
        self.mutants.append(Mutant(
            self.module, node.lineno, node.col_offset, kind, description, edits,  # type: ignore[attr-defined]
        ))

    def replace(self, node: ast.AST, kind: str, description: str, text: str) -> None:
        self.add(node, kind, description, Edit(self.source.start(node), self.source.end(node), text))

    # Walking: the context says what not to mutate.

    def visit(self, node: ast.AST, function: ast.AST | None = None, generator: bool = False) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                self.visit(decorator, function, generator)
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
                self.visit(default, function, generator)
            self.body(node.body, node, _is_generator(node), top=True)
            return
        if isinstance(node, ast.Lambda):
            self.visit(node.body, node, False)
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *node.keywords]:
                self.visit(child, function, generator)
            self.body(node.body, None, False)
            return
        if isinstance(node, ast.JoinedStr):
            for value in node.values:  # positions of the literal parts are not reliable before Python 3.12
                if isinstance(value, ast.FormattedValue):
                    self.visit(value.value, function, generator)
            return
        if isinstance(node, ast.keyword) and node.arg in DOC_KEYWORDS:
            return
        self.mutate(node, function, generator)
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "type_comment"):
                continue
            if isinstance(node, ast.If) and name in ("body", "orelse"):
                self.body(value, function, generator)
                continue
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                self.body(value, function, generator)
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    self.visit(child, function, generator)

    def body(self, statements: list[ast.stmt], function: ast.AST | None, generator: bool, top: bool = False) -> None:
        for statement in statements:
            if _is_docstring(statement, statements):
                continue
            if isinstance(statement, ast.If) and _is_type_checking(statement.test):
                continue
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and any(
                isinstance(target, ast.Name) and target.id == "__all__"
                for target in (statement.targets if isinstance(statement, ast.Assign) else [statement.target])
            ):
                continue
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                continue
            if function is not None and self.removable(statement, statements, top):
                text = ast.unparse(statement).split("\n")[0]
                self.replace(statement, "remove", f"remove `{_short(text)}`", "pass")
            self.visit(statement, function, generator)

    def removable(self, statement: ast.stmt, block: list[ast.stmt], top: bool) -> bool:
        if isinstance(statement, ast.Expr):
            return not isinstance(statement.value, ast.Constant)
        if isinstance(statement, self.REMOVABLE):
            return True
        if isinstance(statement, ast.Return):
            return not (top and statement is block[-1])  # an early return, not the function's last statement
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            return all(isinstance(target, (ast.Attribute, ast.Subscript)) for target in targets)
        return False

    def mutate(self, node: ast.AST, function: ast.AST | None, generator: bool) -> None:
        source = self.source
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for index, op in enumerate(node.ops):
                gap_start, gap_end = source.end(operands[index]), source.start(operands[index + 1])
                gap = _COMMENT.sub(lambda m: " " * len(m.group()), source.text[gap_start:gap_end])
                match = _COMPARE_TOKEN.search(gap)
                new = COMPARE_SWAPS[type(op)]
                if match is None:
                    continue
                self.add(node, "compare", f"`{COMPARE_TEXT[type(op)]}` -> `{COMPARE_TEXT[new]}`",
                         Edit(gap_start + match.start(), gap_start + match.end(), COMPARE_TEXT[new]))
        elif isinstance(node, ast.BoolOp):
            old_word, new_word = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            edits = []
            for left, right in zip(node.values, node.values[1:]):
                gap_start, gap_end = source.end(left), source.start(right)
                gap = _COMMENT.sub(lambda m: " " * len(m.group()), source.text[gap_start:gap_end])
                match = _BOOL_TOKEN.search(gap)
                if match is not None:
                    edits.append(Edit(gap_start + match.start(), gap_start + match.end(), new_word))
            if len(edits) == len(node.values) - 1:
                self.add(node, "boolop", f"`{old_word}` -> `{new_word}`", *edits)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            start = source.start(node)
            match = re.match(r"not\s*", source.text[start:source.start(node.operand)])
            if match is not None:
                self.add(node, "not", "`not x` -> `x`", Edit(start, start + match.end(), ""))
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                self.replace(node, "constant", f"`{value}` -> `{not value}`", repr(not value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                self.replace(node, "constant", f"`{value!r}` -> `{value + 1!r}`", repr(value + 1))
            elif isinstance(value, str) and value and value != "XX":
                self.replace(node, "constant", f"`{_short(repr(value))}` -> `'XX'`", '"XX"')
            elif isinstance(value, bytes) and value and value != b"XX":
                self.replace(node, "constant", f"`{_short(repr(value))}` -> `b'XX'`", 'b"XX"')
        elif isinstance(node, ast.Return) and node.value is not None and function is not None and not generator:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                self.replace(node.value, "return", f"`return {_short(ast.unparse(node.value))}` -> `return None`",
                             "None")
        elif isinstance(node, (ast.If, ast.IfExp)):
            written = _short(ast.unparse(node.test))  # once: replacing the test may change how it unparses
            for value in (True, False):
                self.replace(node.test, "condition", f"condition `{written}` -> `{value}`", str(value))
        elif isinstance(node, ast.comprehension):
            for condition in node.ifs:
                self.replace(condition, "condition", f"filter `{_short(ast.unparse(condition))}` -> `True`",
                             "True")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def enumerate_mutants(root: Path, module: str) -> list[Mutant]:
    """Every single mutation of one module (not yet checked to parse: see ``finish``)."""
    text = (root / module).read_text(encoding="utf-8")
    collector = _Collector(module, text)
    collector.body(ast.parse(text).body, None, False)
    return collector.mutants


def finish(mutant: Mutant, text: str) -> bool:
    """Whether the mutated module parses; if so, fill in the source lines before and after the mutation."""
    try:
        ast.parse(mutant.apply(text))
    except SyntaxError:
        return False
    source = _Source(text)
    first = min(edit.start for edit in mutant.edits)
    last = max(edit.end for edit in mutant.edits)
    snippet_start = source.starts[source.line_of(first) - 1]
    snippet_end = source.starts[source.line_of(last)] - 1
    snippet = text[snippet_start:snippet_end]
    shifted = dataclasses.replace(mutant, edits=tuple(
        Edit(edit.start - snippet_start, edit.end - snippet_start, edit.text) for edit in mutant.edits))
    mutant.original, mutant.mutated = snippet, shifted.apply(snippet)
    return True


def modules_of(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in (root / PACKAGE).rglob("*.py"))


def sample(
    root: Path, by_module: dict[str, list[Mutant]], seed: int, per_module: int | None, total: int | None,
) -> dict[str, list[Mutant]]:
    """A reproducible subset of the mutants that parse: ``per_module`` from each module, or ``total`` spread over
    the modules in proportion to their number of mutants (largest remainders; each module gets at least one)."""
    counts = {module: len(mutants) for module, mutants in by_module.items() if mutants}
    if per_module is not None:
        quota = {module: min(per_module, count) for module, count in counts.items()}
    elif total is not None:
        everything = sum(counts.values())
        exact = {module: total * count / everything for module, count in counts.items()}
        quota = {module: max(1, math.floor(value)) for module, value in exact.items()}
        spare = total - sum(quota.values())
        for module in sorted(exact, key=lambda m: (math.floor(exact[m]) - exact[m], m))[:max(spare, 0)]:
            quota[module] += 1
        quota = {module: min(value, counts[module]) for module, value in quota.items()}
    else:
        quota = counts
    chosen = {}
    for module, count in quota.items():
        text = (root / module).read_text(encoding="utf-8")
        order = list(range(len(by_module[module])))
        random.Random(f"{seed}:{module}").shuffle(order)
        picked: list[int] = []
        for index in order:
            if len(picked) == count:
                break
            if finish(by_module[module][index], text):
                picked.append(index)
        chosen[module] = [by_module[module][index] for index in sorted(picked)]
    return chosen


# The scratch copy and the test runs --------------------------------------------------------------------------------


def copy_repository(destination: Path, keep_package: bool = False) -> None:
    """The repository as it is now (tracked and untracked-but-not-ignored files) into ``destination``; with
    ``keep_package``, the package of the previous copy stays (the same mutants, against the current tests)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    kept = destination.parent / "kept-package"
    if kept.exists():
        shutil.rmtree(kept)
    if keep_package:
        if not (destination / PACKAGE).is_dir():
            raise SystemExit(f"--reuse-package: there is no earlier copy in {destination}")
        (destination / PACKAGE).rename(kept)
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in sorted(set(filter(None, listed))):
        source = REPOSITORY / name
        if not os.path.lexists(source) or source.is_dir() and not source.is_symlink():
            continue  # deleted in the working tree, or a submodule
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    if keep_package:
        shutil.rmtree(destination / PACKAGE)
        kept.rename(destination / PACKAGE)


class Runner:
    def __init__(self, copy: Path, workdir: Path, python: str) -> None:
        self.copy = copy
        self.workdir = workdir
        self.python = python
        self.environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")])),
            "PYTHONDONTWRITEBYTECODE": "1",  # a same-size mutant within the same second must not reuse a .pyc
            "XDG_CACHE_HOME": str(workdir / "xdg-cache"),
        }

    def check_import(self) -> None:
        imported = subprocess.run(
            [self.python, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
            cwd=self.copy, env=self.environment, capture_output=True, text=True, check=True,
        ).stdout.strip()
        if not Path(imported).resolve().is_relative_to(self.copy.resolve()):
            raise SystemExit(f"the tests would import {imported}, not the copy in {self.copy}")

    def pytest(self, files: Sequence[str], extra: Sequence[str], timeout: float) -> tuple[int | None, str, float]:
        """Exit status (None on timeout), output and seconds of one pytest run in the copy."""
        basetemp = self.workdir / "pytest-tmp"
        shutil.rmtree(self.workdir / "xdg-cache", ignore_errors=True)
        command = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={basetemp}",
                   *extra, *files]
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=self.copy, env=self.environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
            return process.returncode, output, time.monotonic() - started
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the run and the subprocesses its tests started
            process.communicate()
            return None, "", time.monotonic() - started


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s (?:call|setup|teardown)\s+(\S+?)::", re.MULTILINE)
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def test_files(copy: Path, with_slow: bool) -> list[str]:
    files = sorted(str(path.relative_to(copy)) for path in (copy / "tests").glob("test_*.py"))
    skipped = set(NEVER_TESTS) | (set() if with_slow else set(SLOW_TESTS))
    return [name for name in files if name not in skipped]


def tests_for(module: str, files: Sequence[str], seconds: dict[str, float]) -> list[str]:
    prefixes = sorted((prefix for prefix in PRIORITY if module.startswith(prefix)), key=len, reverse=True)
    first = [name for name in (PRIORITY[prefixes[0]] if prefixes else ()) if name in files]
    rest = sorted((name for name in files if name not in first), key=lambda name: (seconds.get(name, 0.0), name))
    return [name for name in first + rest if module in ONLY_FOR.get(name, (module,))]


# The report ------------------------------------------------------------------------------------------------------


def score_table(results: dict[str, list[Mutant]]) -> str:
    rows: list[tuple[str, ...]] = [("module", "mutants", "killed", "survived", "timeout", "error", "score")]
    totals = [0, 0, 0, 0, 0]
    for module, mutants in sorted(results.items()):
        counts = [len(mutants), *(sum(m.status == s for m in mutants) for s in STATUSES)]
        totals = [a + b for a, b in zip(totals, counts)]
        rows.append((module.removeprefix(f"{PACKAGE}/"), *map(str, counts), _score(*counts)))
    rows.append(("total", *map(str, totals), _score(*totals)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def _score(total: int, killed: int, survived: int, timeout: int, error: int) -> str:
    """Detected (killed or timed out) over the mutants that ran without a tool error."""
    ran = total - error
    return f"{100 * (killed + timeout) / ran:.1f}%" if ran else "-"


def survivors_report(results: dict[str, list[Mutant]]) -> str:
    lines = []
    for mutants in results.values():
        for mutant in mutants:
            if mutant.status != "survived":
                continue
            lines.append(f"{mutant.module}:{mutant.line}: {mutant.description}")
            lines.append(f"    - {_short(mutant.original, 110)}")
            lines.append(f"    + {_short(mutant.mutated, 110)}")
    return "\n".join(lines) if lines else "(none)"


# Main --------------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    how_many = parser.add_mutually_exclusive_group()
    how_many.add_argument("--per-module", type=int, metavar="N", help="sample N mutants from each module")
    how_many.add_argument("--total", type=int, metavar="N", help="sample N mutants, spread in proportion")
    parser.add_argument("--module", action="append", metavar="PATTERN",
                        help="glob on the module path below the package, e.g. 'project/*' (repeatable)")
    parser.add_argument("--ids-from", metavar="JSON", help="run only the survivors recorded in an earlier --json")
    parser.add_argument("--with-slow", action="store_true", help="also run " + ", ".join(SLOW_TESTS))
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the baseline + 30)")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"scratch folder ({DEFAULT_WORKDIR})")
    parser.add_argument("--reuse-package", action="store_true",
                        help="keep the package of the previous copy (the same mutants), refresh everything else")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs pytest")
    parser.add_argument("--list", action="store_true", help="print the sampled mutants and run nothing")
    args = parser.parse_args(argv)
    started = time.monotonic()

    # Everything below reads the copy: other people may edit the working tree while this runs.
    copy = args.workdir / "repo"
    copy_repository(copy, args.reuse_package)
    modules = [module for module in modules_of(copy) if not args.module or any(
        fnmatch.fnmatch(module.removeprefix(f"{PACKAGE}/"), pattern) for pattern in args.module)]
    by_module = {module: enumerate_mutants(copy, module) for module in modules}
    if args.ids_from:
        earlier = json.loads(Path(args.ids_from).read_text())
        wanted = {entry["id"] for entry in earlier["mutants"] if entry["status"] == "survived"}
        chosen = {module: [m for m in by_module[module] if m.id in wanted and finish(
            m, (copy / module).read_text(encoding="utf-8"))] for module in by_module}
        chosen = {module: mutants for module, mutants in chosen.items() if mutants}
        missing = wanted - {m.id for mutants in chosen.values() for m in mutants}
        if missing:
            print(f"warning: {len(missing)} survivors of {args.ids_from} no longer exist (source changed):",
                  *sorted(missing), sep="\n  ", file=sys.stderr)
    else:
        chosen = sample(copy, by_module, args.seed, args.per_module, args.total)
    count = sum(len(mutants) for mutants in chosen.values())
    print(f"{sum(map(len, by_module.values()))} mutants in {len(modules)} modules; running {count} "
          f"(seed {args.seed})", file=sys.stderr)
    if args.list:
        for mutants in chosen.values():
            for mutant in mutants:
                print(f"{mutant.module}:{mutant.line}: {mutant.description}")
        return 0

    runner = Runner(copy, args.workdir, args.python)
    runner.check_import()
    files = test_files(copy, args.with_slow)
    needed = sorted({name for module in chosen for name in tests_for(module, files, {})})
    print(f"baseline: {len(needed)} test files in {copy} ...", file=sys.stderr)
    status, output, seconds = runner.pytest(needed, ["--durations=0", "--durations-min=0", "-rfE"], timeout=3600)
    if status is None:
        raise SystemExit("the baseline run timed out")
    durations: dict[str, float] = {}
    for match in _DURATION.finditer(output):
        durations[match.group(2)] = durations.get(match.group(2), 0.0) + float(match.group(1))
    failing = sorted(set(_FAILED.findall(output)))
    deselect = [f"--deselect={nodeid}" for nodeid in failing]
    if status not in (0, 1) or (status == 1 and not failing):
        raise SystemExit(f"the baseline run failed (exit status {status}):\n{output[-3000:]}")
    if failing:
        print(f"warning: {len(failing)} tests fail without any mutation and are deselected:",
              *failing, sep="\n  ", file=sys.stderr)
    print(f"baseline: {seconds:.0f}s", file=sys.stderr)

    number = 0
    for module, mutants in chosen.items():
        target = copy / module
        original = target.read_bytes()
        selected = tests_for(module, files, durations)
        timeout = args.timeout or 30 + 3 * sum(durations.get(name, 0.0) for name in selected)
        try:
            for mutant in mutants:
                number += 1
                target.write_text(mutant.apply(original.decode("utf-8")), encoding="utf-8")
                status, output, mutant.seconds = runner.pytest(selected, ["-x", "-rfE", *deselect], timeout)
                if status is None:
                    mutant.status = "timeout"
                elif status == 0:
                    mutant.status = "survived"
                elif status in (1, 2, 3):
                    mutant.status = "killed"
                    killers = _FAILED.findall(output)
                    mutant.killed_by = killers[0] if killers else f"pytest exit status {status}"
                else:
                    mutant.status = "error"
                    mutant.killed_by = output[-500:]
                print(f"[{number}/{count}] {mutant.status:8} {mutant.seconds:5.1f}s  "
                      f"{module.removeprefix(PACKAGE + '/')}:{mutant.line}: {mutant.description}", file=sys.stderr)
        finally:
            target.write_bytes(original)

    elapsed = time.monotonic() - started
    print(score_table(chosen))
    print(f"\nsurvivors:\n{survivors_report(chosen)}")
    print(f"\n{count} mutants in {elapsed / 60:.1f} minutes (seed {args.seed}); score = (killed + timeout) / "
          f"(mutants - error)")
    if args.json:
        per_module = {
            module: {"mutants": len(mutants), **{s: sum(m.status == s for m in mutants) for s in STATUSES}}
            for module, mutants in chosen.items()
        }
        Path(args.json).write_text(json.dumps({
            "seed": args.seed, "argv": list(argv if argv is not None else sys.argv[1:]),
            "seconds": round(elapsed, 1), "deselected_baseline_failures": failing, "modules": per_module,
            "mutants": [mutant.as_json() for mutants in chosen.values() for mutant in mutants],
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``check --fix``, ``--diff``, ``--unsafe-fixes`` and ``--add-noqa``: the edits rules attach to their flags, applied.

A rule attaches a ``Fix`` to a flag (``rules/rule.py``): ``SAFE`` or ``UNSAFE``, and edits anchored where the facts
know positions (the line and column where an entry or a call starts). Here each fix of a reported finding becomes
exact text changes: the file is read, its syntax tree says where the anchored node ends, and only the characters
that must change are replaced, so quotes, comments, trailing commas and the rest of the file stay as they were. An
edit whose place no longer holds what it expects is refused, and with it its whole fix.

One round: the fixes of what ``check`` reported, in the order of their findings, each accepted unless one of its
changes overlaps a change accepted before (it waits for the next round; identical changes, such as two findings
asking for the same dependency, are made once). Every changed migration must still parse, define its
``Migration`` class and pass through the per-file rules; a file that does not is not written, and the fixes that
touch it are dropped. Files are written atomically (a temporary file in the same folder, renamed over the old one,
with its mode), never through a symbolic link, and only when they still hold what was read. ``--fix`` then checks
again and repeats, up to ``MAX_ROUNDS`` rounds, until no fix applies; ``--diff`` writes nothing and prints the
first round as a unified diff that ``patch -p1`` applies.

The flake8 plugin does not fix: flake8 has no protocol for it.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import difflib
import io
import os
import re
import stat
import sys
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final, TextIO

from flake8_django_migrations.files import MAX_SOURCE_BYTES, create_file, replace_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.report import PROG, display_path
from flake8_django_migrations.rules.rule import (
    SAFE,
    AddArgument,
    AddDependency,
    AddImport,
    Edit,
    Fix,
    RenameCallee,
    RenameFile,
    ReplaceEntry,
    SetClassAttribute,
    WriteFile,
)

if TYPE_CHECKING:
    from flake8_django_migrations.run import ProjectRun

__all__ = [
    "MAX_ROUNDS", "FileChange", "FixError", "FixOptions", "FixSession", "Place", "TextChange", "described_fixes",
    "fixes_for", "plan_fixes",
]

MAX_ROUNDS: Final = 10  # `--fix` checks again after each round that changed something, at most this often
NOQA_REASON: Final = "TODO: say why this is safe"  # what `--add-noqa` writes when DJM908 asks for a reason
_WHOLE: Final = 1 << 62  # the end of a change that claims a whole file (a new, renamed or removed one)
_NEWLINE: Final = re.compile(r"\r\n|\r|\n")
# A string literal as the fixes write one: no prefix but u, no escapes, one line.
_PLAIN_STRING: Final = re.compile(r"""\A[uU]?(?P<quote>'|")(?P<body>[^'"\\\r\n]*)(?P=quote)\Z""")


class FixError(Exception):
    """An edit that cannot be made: its place no longer holds what the rule saw, or the file cannot be written."""


@dataclass(frozen=True, slots=True)
class FixOptions:
    """What ``check`` was asked to do beyond reporting."""

    fix: bool = False  # apply the fixes and check again
    unsafe: bool = False  # the unsafe fixes too
    diff: bool = False  # print the fixes as a diff, write nothing
    add_noqa: bool = False  # silence every finding reported with a `# noqa` comment on its line
    fix_only: bool = False  # apply, and do not report what remains

    @property
    def writes(self) -> bool:
        return (self.fix or self.fix_only or self.add_noqa) and not self.diff

    @property
    def reports_findings(self) -> bool:
        """Whether the findings left are printed: not by ``--diff``, ``--fix-only`` and ``--add-noqa``."""
        return not (self.diff or self.fix_only or self.add_noqa)


@dataclass(frozen=True, slots=True)
class TextChange:
    """Characters ``start`` to ``end`` of a file's text become ``text`` (``start == end``: an insertion)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Place:
    """A position in a file as editors count: ``line`` 1-based, ``column`` 0-based in characters (code points) and,
    for SARIF, ``utf16_column`` in UTF-16 code units."""

    line: int
    column: int
    utf16_column: int


@dataclass(frozen=True, slots=True)
class FileChange:
    """One change of a fix as JSON and SARIF give it to editors and bots: in ``path``, the text from ``start`` to
    ``end`` becomes ``content``; a new file holding ``content`` (``start`` and ``end`` None); or (``new_path``) the
    file renamed."""

    path: str
    start: Place | None
    end: Place | None
    content: str = ""
    new_path: str | None = None


# Reading -----------------------------------------------------------------------------------------------------------


class _Document:
    """One file as a fix reads it: its bytes, their text (newlines kept), and for Python its syntax tree."""

    __slots__ = ("path", "data", "encoding", "text", "mode", "_starts", "_tree")

    def __init__(self, path: str, data: bytes, encoding: str, text: str, mode: int) -> None:
        self.path = path
        self.data = data
        self.encoding = encoding
        self.text = text
        self.mode = mode
        self._starts: list[int] | None = None
        self._tree: ast.Module | None = None

    @classmethod
    def read(cls, path: str) -> _Document:
        data, mode = _read_for_writing(path)
        encoding = "utf-8"
        if path.endswith(".py"):
            try:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            except SyntaxError as error:
                raise FixError(f"{display_path(path)} declares an encoding Python does not know: {error}") from None
        try:
            text = data.decode(encoding)
        except (UnicodeError, LookupError):
            raise FixError(f"{display_path(path)} is not valid {encoding}") from None
        return cls(path, data, encoding, text, mode)

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            try:
                self._tree = ast.parse(self.text, filename=self.path)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                raise FixError(f"{display_path(self.path)} does not parse") from None
        return self._tree

    def offset(self, line: int, col: int) -> int:
        """The position in ``text`` of a line (1-based) and a column (0-based, in UTF-8 bytes, as ``ast`` gives)."""
        if self._starts is None:
            self._starts = [0, *(match.end() for match in _NEWLINE.finditer(self.text))]
        if not 0 < line <= len(self._starts):
            raise FixError(f"{display_path(self.path)} has no line {line}")
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        return start + len(self.text[start:end].encode("utf-8")[:col].decode("utf-8", "ignore"))

    def place(self, position: int) -> Place:
        """Where ``position`` of ``text`` is, as editors count: its line and its column in characters and in UTF-16
        code units."""
        if self._starts is None:
            self.offset(1, 0)
        assert self._starts is not None
        line = bisect.bisect_right(self._starts, position)
        before = self.text[self._starts[line - 1]:position]
        return Place(line, len(before), len(before.encode("utf-16-le")) // 2)

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        end_line, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
        assert end_line is not None and end_col is not None
        return self.offset(end_line, end_col)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node):self.end(node)]

    def line_of(self, position: int) -> tuple[int, int]:
        """The start of the line holding ``position`` and the end of its text (before its newline)."""
        start = max(self.text.rfind("\n", 0, position), self.text.rfind("\r", 0, position)) + 1
        newline = _NEWLINE.search(self.text, position)
        return start, newline.start() if newline else len(self.text)

    @property
    def newline(self) -> str:
        found = _NEWLINE.search(self.text)
        return found.group() if found else "\n"

    def encode(self, text: str) -> bytes:
        try:
            return text.encode(self.encoding)
        except UnicodeError:
            raise FixError(f"the fixed {display_path(self.path)} cannot be written in {self.encoding}") from None


def _read_for_writing(path: str) -> tuple[bytes, int]:
    """The bytes and mode of the regular file at ``path``: not through a symbolic link, not a FIFO or a device."""
    try:
        status = os.lstat(path)
    except OSError:
        raise FixError(f"{display_path(path)} does not exist") from None
    if stat.S_ISLNK(status.st_mode):
        raise FixError(f"{display_path(path)} is a symbolic link: fixes write regular files only")
    if not stat.S_ISREG(status.st_mode):
        raise FixError(f"{display_path(path)} is not a regular file")
    if status.st_size > MAX_SOURCE_BYTES:
        raise FixError(f"{display_path(path)} is too large")
    try:
        with open(path, "rb") as handle:
            return handle.read(), stat.S_IMODE(status.st_mode)
    except OSError as error:
        raise FixError(f"{display_path(path)} cannot be read: {error.strerror}") from None


# Which fixes there are ---------------------------------------------------------------------------------------------


def fixes_for(reported: Sequence[Finding], runs: Sequence[ProjectRun]) -> list[tuple[Finding, Fix]]:
    """The fix of each ``reported`` finding that has one, in the order of the findings. The rules of the reported
    codes run again over each project's index (the cache keeps findings, not fixes), per-file rules only over the
    files with a reported finding of theirs."""
    from flake8_django_migrations.registry import RULES
    from flake8_django_migrations.rules.rule import FILE

    wanted = set(reported)
    found: dict[Finding, Fix] = {}
    for run in runs:
        codes = sorted({finding.code for finding in reported if finding.code in RULES})
        if not codes:
            break
        index = run.index()
        facts_by_path = {index.path_of(key): facts for key, facts in index.migrations.items()}
        paths_by_code: dict[str, set[str]] = {}
        for finding in reported:
            if finding.path in facts_by_path:
                paths_by_code.setdefault(finding.code, set()).add(finding.path)
        for code, paths in sorted(paths_by_code.items()):
            rule = RULES.get(code)
            if rule is None:
                continue
            targets = [facts_by_path[path] for path in sorted(paths)] if rule.scope == FILE else [index]
            for target in targets:
                for finding, attached in rule.findings_with_fixes(target, run.settings):
                    finding = replace(finding, path=os.path.abspath(finding.path))
                    if attached is None or finding not in wanted or finding in found:
                        continue
                    fix = attached if isinstance(attached, Fix) else attached(index)
                    if fix is not None:
                        found[finding] = fix
    return sorted(found.items(), key=lambda item: item[0].sort_key)


def described_fixes(
    reported: Sequence[Finding], runs: Sequence[ProjectRun]
) -> dict[Finding, tuple[Fix, tuple[FileChange, ...]]]:
    """The fix of each ``reported`` finding that has one, with the exact changes it makes to the files as they are
    now (for ``--format json`` and ``sarif``); a fix whose place no longer holds what it expects is left out, as
    ``--fix`` would refuse it."""
    if not any(finding.code.startswith("DJM") for finding in reported):
        return {}
    resolver = _Resolver([run.root for run in runs])
    described: dict[Finding, tuple[Fix, tuple[FileChange, ...]]] = {}
    for finding, fix in fixes_for(reported, runs):
        try:
            changes = resolver.changes(fix)
        except FixError:
            continue
        described_changes: list[FileChange] = []
        for path, text_changes in changes.text.items():
            document = resolver.document(path)
            for change in sorted(text_changes, key=lambda change: (change.start, change.end)):
                start, end = document.place(change.start), document.place(change.end)
                described_changes.append(FileChange(path, start, end, change.text))
        described_changes.extend(FileChange(path, None, None, text) for path, text in changes.created.items())
        described_changes.extend(FileChange(path, None, None, new_path=new) for path, new in changes.renamed.items())
        if described_changes:
            described[finding] = (fix, tuple(described_changes))
    return described


# Turning edits into text changes -----------------------------------------------------------------------------------


@dataclass
class _Changes:
    """What one fix does to the files: text changes per file, and the files it creates (path -> text) or renames."""

    text: dict[str, list[TextChange]] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, change: TextChange) -> None:
        self.text.setdefault(path, []).append(change)

    def claims(self) -> Iterator[tuple[str, TextChange]]:
        """Every change as a range of a file; a created file, and both names of a renamed one, whole."""
        for path, changes in self.text.items():
            for change in changes:
                yield path, change
        for path, text in self.created.items():
            yield path, TextChange(0, _WHOLE, "created:" + text)
        for path, new_path in self.renamed.items():
            yield path, TextChange(0, _WHOLE, "renamed to:" + new_path)
            yield new_path, TextChange(0, _WHOLE, "renamed from:" + path)


class _Resolver:
    """Reads each file once per round and turns edits into text changes against what it read."""

    def __init__(self, roots: Sequence[str]) -> None:
        self.documents: dict[str, _Document] = {}
        self.roots = [os.path.realpath(root) for root in roots]

    def document(self, path: str) -> _Document:
        path = os.path.abspath(path)
        if path not in self.documents:
            self._inside(path)
            self.documents[path] = _Document.read(path)
        return self.documents[path]

    def _inside(self, path: str) -> None:
        real = os.path.realpath(os.path.dirname(path))
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots):
            raise FixError(f"{display_path(path)} is outside the project")

    def changes(self, fix: Fix) -> _Changes:
        changes = _Changes()
        for edit in fix.edits:
            self._edit(edit, changes)
        return changes

    def _edit(self, edit: Edit, changes: _Changes) -> None:
        if isinstance(edit, WriteFile):
            path = os.path.abspath(edit.path)
            if edit.create:
                self._inside(path)
                if os.path.lexists(path):
                    raise FixError(f"{display_path(path)} exists already")
                changes.created[path] = edit.text
                return
            document = self.document(path)
            if document.text != edit.text:
                changes.add(path, TextChange(0, len(document.text), edit.text))
        elif isinstance(edit, RenameFile):
            path, new_path = os.path.abspath(edit.path), os.path.abspath(edit.new_path)
            self.document(path)
            self._inside(new_path)
            if os.path.lexists(new_path):
                raise FixError(f"{display_path(new_path)} exists already")
            changes.renamed[path] = new_path
        elif isinstance(edit, ReplaceEntry):
            self._replace_entry(edit, changes)
        elif isinstance(edit, AddDependency):
            self._add_dependency(edit, changes)
        elif isinstance(edit, AddArgument):
            self._add_argument(edit, changes)
        elif isinstance(edit, SetClassAttribute):
            self._set_attribute(edit, changes)
        elif isinstance(edit, RenameCallee):
            self._rename_callee(edit, changes)
        elif isinstance(edit, AddImport):
            self._add_import(edit, changes)

    def _rename_callee(self, edit: RenameCallee, changes: _Changes) -> None:
        document = self.document(edit.path)
        call = self._node_at(document, edit.line, edit.col, ast.Call)
        assert isinstance(call, ast.Call)
        callee = call.func
        if not (isinstance(callee, ast.Name) and callee.id == edit.old
                or isinstance(callee, ast.Attribute) and callee.attr == edit.old):
            raise FixError(f"{display_path(document.path)}:{edit.line} no longer calls `{edit.old}`")
        changes.add(document.path, TextChange(document.start(callee), document.end(callee), edit.new))

    def _add_import(self, edit: AddImport, changes: _Changes) -> None:
        document = self.document(edit.path)
        imports = [statement for statement in document.tree.body if isinstance(statement, (ast.Import, ast.ImportFrom))]
        if any(
            isinstance(statement, ast.ImportFrom) and statement.module == edit.module and statement.level == 0
            and any(alias.name == edit.name and alias.asname in (None, edit.name) for alias in statement.names)
            for statement in imports
        ):
            return  # imported already
        if not imports:
            raise FixError(f"{display_path(document.path)} has no import to put `{edit.name}`'s beside")
        _, line_end = document.line_of(document.end(imports[-1]))
        line = f"{document.newline}from {edit.module} import {edit.name}"
        changes.add(document.path, TextChange(line_end, line_end, line))

    def _node_at(self, document: _Document, line: int, col: int, kind: type[ast.AST]) -> ast.AST:
        for node in ast.walk(document.tree):
            if isinstance(node, kind) and (node.lineno, node.col_offset) == (line, col):  # type: ignore[attr-defined]
                return node
        raise FixError(f"{display_path(document.path)}:{line} no longer holds the {kind.__name__.lower()} it had")

    def _replace_entry(self, edit: ReplaceEntry, changes: _Changes) -> None:
        document = self.document(edit.path)
        node = self._node_at(document, edit.line, edit.col, ast.Tuple)
        assert isinstance(node, ast.Tuple)
        values = [element.value if isinstance(element, ast.Constant) else None for element in node.elts]
        if values != list(edit.old):
            raise FixError(f"{display_path(document.path)}:{edit.line} no longer names {edit.old!r}")
        for element, old, new in zip(node.elts, edit.old, edit.new):
            if old != new:
                changes.add(document.path, TextChange(
                    document.start(element), document.end(element), _string(document, element, new)
                ))

    def _migration_class(self, document: _Document) -> ast.ClassDef:
        from flake8_django_migrations.facts import find_migration_class

        found = find_migration_class(document.tree.body)
        if found is None:
            raise FixError(f"{display_path(document.path)} has no `Migration` class")
        return found

    def _class_assignment(self, document: _Document, name: str) -> ast.expr | None:
        """The value last assigned to ``name`` in the ``Migration`` class body; ``FixError`` when it is assigned
        inside a block (the fix could not tell which runs)."""
        migration = self._migration_class(document)
        value: ast.expr | None = None
        for statement in migration.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target: ast.expr = statement.targets[0]
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target = statement.target
            elif isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)) and any(
                isinstance(inner, ast.Name) and inner.id == name for inner in ast.walk(statement)
            ):
                raise FixError(f"{display_path(document.path)} sets `{name}` inside a block")
            else:
                continue
            if isinstance(target, ast.Name) and target.id == name:
                value = statement.value
        return value

    def _add_dependency(self, edit: AddDependency, changes: _Changes) -> None:
        document = self.document(edit.path)
        listed = self._class_assignment(document, "dependencies")
        if not isinstance(listed, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in listed.elts):
            raise FixError(f"{display_path(document.path)}: `dependencies` is not a list written out")
        for element in listed.elts:
            if isinstance(element, ast.Tuple) and [
                e.value if isinstance(e, ast.Constant) else None for e in element.elts
            ] == [edit.app, edit.name]:
                return  # there already
        quote = _quote_of(document, listed)
        entry = f"({quote}{edit.app}{quote}, {quote}{edit.name}{quote})"
        _append(document, listed, entry, changes)

    def _add_argument(self, edit: AddArgument, changes: _Changes) -> None:
        document = self.document(edit.path)
        call = self._node_at(document, edit.line, edit.col, ast.Call)
        assert isinstance(call, ast.Call)
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            raise FixError(f"{display_path(document.path)}:{edit.line}: the callee is not a plain name")
        value = edit.value.replace("{callee}", document.segment(call.func))
        if any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords):
            raise FixError(f"{display_path(document.path)}:{edit.line}: the call unpacks its arguments")
        given = [k.value for k in call.keywords if k.arg == edit.keyword]
        if len(call.args) > edit.position:
            given.append(call.args[edit.position])
        if given:
            if len(given) > 1 or not (isinstance(given[0], ast.Constant) and given[0].value is None):
                raise FixError(f"{display_path(document.path)}:{edit.line}: `{edit.keyword}` is given already")
            changes.add(document.path, TextChange(document.start(given[0]), document.end(given[0]), value))
            return
        _append(document, call, f"{edit.keyword}={value}", changes)

    def _set_attribute(self, edit: SetClassAttribute, changes: _Changes) -> None:
        document = self.document(edit.path)
        value = self._class_assignment(document, edit.name)
        if value is not None:
            if document.segment(value) != edit.value:
                changes.add(document.path, TextChange(document.start(value), document.end(value), edit.value))
            return
        migration = self._migration_class(document)
        body = migration.body
        first = body[1] if len(body) > 1 and _is_docstring(body[0]) else body[0]
        if first.lineno == migration.lineno:
            raise FixError(f"{display_path(document.path)}: the `Migration` class is written on one line")
        line_start, _ = document.line_of(document.start(first))
        indent = document.text[line_start:document.start(first)]
        if indent.strip():
            raise FixError(f"{display_path(document.path)}: the class body does not start its own line")
        line = f"{indent}{edit.name} = {edit.value}{document.newline}"
        changes.add(document.path, TextChange(line_start, line_start, line))


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(
        statement.value.value, str
    )


def _string(document: _Document, node: ast.expr, value: str) -> str:
    """``value`` as a literal in the quotes ``node`` is written in (``repr`` for anything unusual)."""
    match = _PLAIN_STRING.match(document.segment(node))
    if match is None or any(char in value for char in "'\"\\\r\n") or not value.isprintable():
        return repr(value)
    return f"{match['quote']}{value}{match['quote']}"


def _quote_of(document: _Document, listed: ast.List | ast.Tuple) -> str:
    """The quote the list's first string is written in; double quotes when it has none."""
    for node in ast.walk(listed):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _PLAIN_STRING.match(document.segment(node))
            if match is not None:
                return match["quote"]
    return '"'


def _append(document: _Document, node: ast.List | ast.Tuple | ast.Call, item: str, changes: _Changes) -> None:
    """``item`` added after the last element of a list, a tuple or a call's arguments, in their layout: on a line of
    its own, indented as the last one and with a trailing comma, where the elements are one per line; after a comma
    and a space otherwise. Two such insertions at one place compose (each ends as the other expects)."""
    path = document.path
    if isinstance(node, ast.Call):
        elements: list[ast.AST] = [*node.args, *node.keywords]
    else:
        elements = list(node.elts)
    if isinstance(node, ast.Tuple) and not document.segment(node).startswith("("):
        raise FixError(f"{display_path(path)}: the tuple has no parentheses")
    close = document.end(node) - 1  # the closing bracket
    if not elements:
        # The whole of `[]` replaced, brackets included: a second item for it overlaps and waits for the next round.
        if isinstance(node, ast.Call) or document.segment(node)[1:-1].strip():
            raise FixError(f"{display_path(path)}: an empty list with a comment inside")
        opening, closing = document.segment(node)[0], document.segment(node)[-1]
        tail = "," if isinstance(node, ast.Tuple) else ""
        changes.add(path, TextChange(document.start(node), document.end(node), f"{opening}{item}{tail}{closing}"))
        return
    last_end = document.end(elements[-1])
    between = document.text[last_end:close]
    comma = _code_comma(between)
    last_line_start, last_line_end = document.line_of(last_end)
    own_lines = "\n" in between or "\r" in between
    if own_lines:
        # One per line: the new item on a line after the last one (after its comment, if any), as indented.
        first_of_last = document.start(elements[-1])
        line_start, _ = document.line_of(first_of_last)
        indent = document.text[line_start:first_of_last]
        if indent.strip():
            indent = re.match(r"[ \t]*", document.text[line_start:]).group()  # type: ignore[union-attr]
        if comma is None:
            changes.add(path, TextChange(last_end, last_end, ","))
        changes.add(path, TextChange(last_line_end, last_line_end, f"{document.newline}{indent}{item},"))
        return
    if comma is not None:
        position = last_end + comma + 1
        changes.add(path, TextChange(position, position, f" {item},"))
    else:
        changes.add(path, TextChange(last_end, last_end, f", {item}"))


def _code_comma(between: str) -> int | None:
    """Where the comma after the last element is in the text up to the closing bracket (comments skipped)."""
    position = 0
    while position < len(between):
        char = between[position]
        if char == ",":
            return position
        if char == "#":
            newline = _NEWLINE.search(between, position)
            position = newline.end() if newline else len(between)
            continue
        position += 1
    return None


# A round -----------------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The fixes one round applies, the files they change and what became of the others."""

    applied: list[tuple[Finding, Fix]] = field(default_factory=list)
    texts: dict[str, tuple[_Document, str]] = field(default_factory=dict)  # path -> as read, fixed text
    created: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    waiting: list[tuple[Finding, Fix]] = field(default_factory=list)  # overlapping an applied one: next round
    refused: list[tuple[Finding, Fix, str]] = field(default_factory=list)  # with why
    not_selected: list[tuple[Finding, Fix]] = field(default_factory=list)  # unsafe without --unsafe-fixes

    @property
    def changed_files(self) -> int:
        return len(self.texts) + len(self.created) + len(self.renamed)


def plan_fixes(
    fixes: Sequence[tuple[Finding, Fix]], unsafe: bool, roots: Sequence[str], labels: Mapping[str, str],
    verify: Callable[[str, str, str], str | None] | None = None,
) -> Plan:
    """One round: which of ``fixes`` apply together, and the text of every file they change, verified. ``roots``:
    the project roots, outside which nothing is written; ``labels``: each migrations folder's app label;
    ``verify(path, label, text)`` says why a fixed migration is refused (default: ``verify_migration``). A fix that
    leaves a file refused is dropped with every other fix touching that file, and the round planned again."""
    verify = verify or verify_migration
    dropped: dict[int, str] = {}
    while True:
        plan = _plan_once(fixes, unsafe, roots, dropped)
        broken = dict(_verify(plan, labels, verify))
        if not broken:
            break
        before = len(dropped)
        for number, (_, fix) in enumerate(fixes):
            why = next((broken[path] for path in sorted(_touched(fix)) if path in broken), None)
            if why is not None and number not in dropped:
                dropped[number] = why
        if len(dropped) == before:  # cannot happen: a broken file is one some applied fix touches
            dropped.update((number, "the round could not be verified") for number in range(len(fixes)))
    plan.refused.extend((*fixes[number], why) for number, why in sorted(dropped.items()))
    return plan


def _touched(fix: Fix) -> set[str]:
    paths: set[str] = set()
    for edit in fix.edits:
        paths.add(os.path.abspath(edit.path))
        if isinstance(edit, RenameFile):
            paths.add(os.path.abspath(edit.new_path))
    return paths


def _plan_once(
    fixes: Sequence[tuple[Finding, Fix]], unsafe: bool, roots: Sequence[str], excluded: Mapping[int, str]
) -> Plan:
    plan = Plan()
    resolver = _Resolver(roots)
    accepted: dict[str, list[TextChange]] = {}
    for number, (finding, fix) in enumerate(fixes):
        if fix.applicability != SAFE and not unsafe:
            plan.not_selected.append((finding, fix))
            continue
        if number in excluded:
            continue
        try:
            changes = resolver.changes(fix)
        except FixError as error:
            plan.refused.append((finding, fix, str(error)))
            continue
        claims = list(changes.claims())
        fresh = [(path, change) for path, change in claims if change not in accepted.get(path, ())]
        if any(_overlaps(change, other) for path, change in fresh for other in accepted.get(path, ())):
            plan.waiting.append((finding, fix))
            continue
        for path, change in fresh:
            accepted.setdefault(path, []).append(change)
        for path, changed in changes.text.items():
            plan.texts.setdefault(path, (resolver.document(path), ""))
        plan.created.update(changes.created)
        plan.renamed.update(changes.renamed)
        plan.applied.append((finding, fix))
    for path, (document, _) in list(plan.texts.items()):
        plan.texts[path] = (document, _apply(document.text, accepted[path]))
        if plan.texts[path][1] == document.text:
            del plan.texts[path]
    return plan


def _overlaps(one: TextChange, other: TextChange) -> bool:
    """Whether two changes of one file touch the same characters: an insertion overlaps a change around it, two
    insertions at one place compose."""
    if one.start == one.end or other.start == other.end:
        inserted, around = (one, other) if one.start == one.end else (other, one)
        return around.start < inserted.start < around.end
    return one.start < other.end and other.start < one.end


def _apply(text: str, changes: Iterable[TextChange]) -> str:
    ordered = sorted(enumerate(changes), key=lambda item: (item[1].start, item[1].end > item[1].start, item[0]))
    parts: list[str] = []
    position = 0
    for _, change in ordered:
        parts.append(text[position:change.start])
        parts.append(change.text)
        position = max(position, change.end)
    parts.append(text[position:])
    return "".join(parts)


def _verify(plan: Plan, labels: Mapping[str, str], verify: Callable[[str, str, str], str | None]) -> Iterator[
    tuple[str, str]
]:
    for path, (_, text) in plan.texts.items():
        why = verify(path, labels.get(os.path.dirname(path), ""), text) if path.endswith(".py") else None
        if why is not None:
            yield path, why
    for path, text in plan.created.items():
        why = verify(path, labels.get(os.path.dirname(path), ""), text) if path.endswith(".py") else None
        if why is not None:
            yield path, why


def verify_migration(path: str, label: str, text: str) -> str | None:
    """Why a fixed migration must not be written: it does not parse, lost its ``Migration`` class, or the per-file
    rules cannot read it; None when it is fine."""
    from flake8_django_migrations.facts import extract_facts
    from flake8_django_migrations.registry import FILE_RULES
    from flake8_django_migrations.settings import Settings

    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return f"the fixed text does not parse ({type(error).__name__}: {error})"
    facts = extract_facts(tree, path, app_label=label or None, source=text)
    if facts is None:
        return "the fixed text has no `Migration` class"
    settings = Settings()
    for rule in FILE_RULES:
        list(rule.check(facts, settings))
    return None


# Writing -----------------------------------------------------------------------------------------------------------


def write_plan(plan: Plan) -> list[str]:
    """Writes what ``plan`` changes, each file atomically; the reasons files were not written (none: all were).
    Every file is checked to still hold what was read, and every new name to be free, before the first write."""
    problems: list[str] = []
    for path, (document, _) in plan.texts.items():
        try:
            data, _ = _read_for_writing(path)
        except FixError as error:
            problems.append(str(error))
            continue
        if data != document.data:
            problems.append(f"{display_path(path)} changed while it was being fixed")
    for path in [*plan.created, *plan.renamed.values()]:
        if os.path.lexists(path):
            problems.append(f"{display_path(path)} exists already")
    for path in plan.renamed:
        try:
            _read_for_writing(path)
        except FixError as error:
            problems.append(str(error))
    if problems:
        return problems
    for path, (document, text) in plan.texts.items():
        try:
            replace_file(path, document.encode(text), document.mode)
        except (OSError, FixError) as error:
            problems.append(f"{display_path(path)} could not be written: {error}")
    for path, text in plan.created.items():
        try:
            create_file(path, text.encode("utf-8"), _new_file_mode(os.path.dirname(path)))
        except OSError as error:
            problems.append(f"{display_path(path)} could not be created: {error.strerror or error}")
    for path, new_path in plan.renamed.items():
        try:
            data, mode = _read_for_writing(path)
            create_file(new_path, data, mode)
            os.unlink(path)
        except (OSError, FixError) as error:
            problems.append(f"{display_path(path)} could not be renamed: {error}")
    return problems


def _new_file_mode(folder: str) -> int:
    """A new migration gets the mode of its package's ``__init__.py``, else what the umask leaves of 0o644."""
    try:
        return stat.S_IMODE(os.stat(os.path.join(folder, "__init__.py")).st_mode)
    except OSError:
        return 0o644


# Diff --------------------------------------------------------------------------------------------------------------


def plan_diff(plan: Plan, cwd: str | None = None) -> str:
    """The plan as a unified diff that ``patch -p1`` applies in ``cwd``: changed files, new ones, renamed ones (as
    the old removed and the new created)."""
    cwd = cwd or os.getcwd()
    parts: list[str] = []
    for path, (document, text) in sorted(plan.texts.items()):
        parts.append(_unified(document.text, text, path, path, cwd))
    for path, text in sorted(plan.created.items()):
        parts.append(_unified("", text, None, path, cwd))
    for path, new_path in sorted(plan.renamed.items()):
        data, _ = _read_for_writing(path)
        text = data.decode("utf-8", "surrogateescape")
        parts.append(_unified(text, "", path, None, cwd))
        parts.append(_unified("", text, None, new_path, cwd))
    return "".join(parts)


def _unified(old: str, new: str, old_path: str | None, new_path: str | None, cwd: str) -> str:
    def name(path: str | None, side: str) -> str:
        return "/dev/null" if path is None else f"{side}/{display_path(path, cwd)}"

    lines = difflib.unified_diff(_lines(old), _lines(new), name(old_path, "a"), name(new_path, "b"))
    out: list[str] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their newlines, split where Python splits them (not at form feeds or U+2028)."""
    lines: list[str] = []
    position = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[position:match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


# --add-noqa --------------------------------------------------------------------------------------------------------


def noqa_plan(reported: Sequence[Finding], roots: Sequence[str], with_reason: Callable[[str], bool]) -> Plan:
    """A ``# noqa: CODE`` for every reported finding of this linter, on its line (or where a comment may stand for
    it: the end of a string spanning lines, past a backslash), added to a ``# noqa:`` there already. With
    ``with_reason(path)`` (DJM908 selected), a reason placeholder after the codes."""
    from flake8.defaults import NOQA_INLINE_REGEXP  # type: ignore[import-untyped]

    plan = Plan()
    resolver = _Resolver(roots)
    by_place: dict[str, dict[int, list[Finding]]] = {}
    for finding in reported:
        if finding.code.startswith("DJM"):
            by_place.setdefault(finding.path, {}).setdefault(finding.line, []).append(finding)
    for path, lines in sorted(by_place.items()):
        try:
            document = resolver.document(path)
            places = _comment_lines(document)
        except FixError as error:
            for findings in lines.values():
                plan.refused.extend((finding, _NOQA_FIX, str(error)) for finding in findings)
            continue
        codes_at: dict[int, list[str]] = {}
        for line, findings in sorted(lines.items()):
            target = places.get(line, line)
            codes = codes_at.setdefault(target, [])
            codes.extend(code for code in sorted({f.code for f in findings}) if code not in codes)
        changes: list[TextChange] = []
        for line, codes in sorted(codes_at.items()):
            line_start = document.offset(line, 0)
            _, line_end = document.line_of(line_start)
            text = document.text[line_start:line_end]
            existing = NOQA_INLINE_REGEXP.search(text)
            if existing is not None and existing.group("codes"):
                written = existing.group("codes").rstrip(", \t")
                new = [code for code in codes if code not in re.split(r"[,\s]+", written)]
                position = line_start + existing.start("codes") + len(written)
                changes.append(TextChange(position, position, "".join(f", {code}" for code in new)))
                continue
            reason = f" -- {NOQA_REASON}" if with_reason(path) else ""
            end = line_start + len(text.rstrip(" \t"))
            changes.append(TextChange(end, line_end, f"  # noqa: {', '.join(codes)}{reason}"))
        fixed = _apply(document.text, changes)
        if fixed != document.text:
            plan.texts[path] = (document, fixed)
        plan.applied.extend((finding, _NOQA_FIX) for findings in lines.values() for finding in findings)
    return plan


_NOQA_FIX: Final = Fix.unsafe("add `# noqa`")


def _comment_lines(document: _Document) -> dict[int, int]:
    """For each line a comment cannot end (inside a string that spans lines, or continued by a backslash), the
    line where one can that flake8 reads for it (the same logical line)."""
    moved: dict[int, int] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(document.text).readline))
    except (tokenize.TokenError, SyntaxError):
        raise FixError(f"{display_path(document.path)} does not tokenize") from None
    for token in tokens:
        if token.start[0] < token.end[0] and token.type != tokenize.NL:
            for line in range(token.start[0], token.end[0]):
                moved.setdefault(line, token.end[0])
    last_line = document.text.count("\n") + 1
    for line in range(1, last_line + 1):
        start = document.offset(line, 0)
        _, end = document.line_of(start)
        if document.text[start:end].rstrip().endswith("\\") and line not in moved:
            moved[line] = line + 1
    # Follow chains: a string ending on a line continued by a backslash, and so on.
    for line in list(moved):
        target = moved[line]
        seen = {line}
        while target in moved and target not in seen:
            seen.add(target)
            target = moved[target]
        moved[line] = target
    return moved


# One `check` with fixes --------------------------------------------------------------------------------------------


class FixSession:
    """What ``check`` with fix options does over its rounds. ``cli`` hands each round's reported findings and
    project runs to ``checked``; ``changed`` says whether to check again."""

    def __init__(self, options: FixOptions, out: TextIO, err: TextIO | None = None) -> None:
        self.options = options
        self.out = out
        self.err = err if err is not None else sys.stderr
        self.rounds = 0
        self.changed = False
        self.fixed: Counter[str] = Counter()  # findings fixed, by code
        self.files: set[str] = set()
        self.last: Plan | None = None
        self.refused: dict[tuple[Finding, str], None] = {}

    def checked(self, reported: Sequence[Finding], runs: Sequence[ProjectRun]) -> None:
        """One round: the fixes of ``reported``, applied, printed or counted as the options say."""
        self.rounds += 1
        self.changed = False
        roots = [run.root for run in runs]
        if self.options.add_noqa:
            settings = {run.root: run.settings for run in runs}

            def with_reason(path: str) -> bool:
                run_settings = next((s for root, s in settings.items() if _is_below(path, root)), None)
                return run_settings is not None and run_settings.is_enabled("DJM908")

            plan = noqa_plan(reported, roots, with_reason)
        else:
            fixes = fixes_for(reported, runs) if any(f.code.startswith("DJM") for f in reported) else []
            labels = {app.folder: label for run in runs for label, app in run.discovery.apps.items()}
            plan = plan_fixes(fixes, self.options.unsafe, roots, labels)
        self.last = plan
        for finding, _, why in plan.refused:
            self.refused[(finding, why)] = None
        if self.options.diff:
            try:
                self.out.write(plan_diff(plan))
            except FixError as error:
                self.refused[(plan.applied[0][0], str(error))] = None
            return
        if not (self.options.writes and plan.applied and plan.changed_files):
            return
        problems = write_plan(plan)
        if problems:
            for problem in problems:
                self.err.write(f"{PROG}: {problem}: nothing of this round was written where it was not\n")
            return
        self.fixed.update(finding.code for finding, _ in plan.applied)
        self.files.update(plan.texts)
        self.files.update(plan.created)
        self.files.update(plan.renamed.values())
        self.changed = not self.options.add_noqa and self.rounds < MAX_ROUNDS

    def summary(self) -> str:
        """What was done and what waits, for standard error."""
        lines = [
            f"{PROG}: the fix of {finding.code} at {display_path(finding.path)}:{finding.line} was not applied: {why}"
            for finding, why in self.refused
        ]
        plan = self.last or Plan()
        options = self.options
        if options.add_noqa:
            lines.append(f"{PROG}: added `# noqa` for {len(plan.applied)} finding(s) in {len(plan.texts)} file(s)")
            return "".join(f"{line}\n" for line in lines)
        available = [fix for _, fix in (*plan.applied, *plan.waiting)]
        safe = sum(fix.applicability == SAFE for fix in available)
        unsafe = len(available) - safe + len(plan.not_selected)
        if options.diff:
            lines.append(
                f"{PROG}: {len(plan.applied)} fix(es) would change {plan.changed_files} file(s)"
                + (f"; {len(plan.waiting)} more overlap them and follow once these are applied" if plan.waiting else "")
            )
            unsafe = len(plan.not_selected)
        elif options.fix or options.fix_only:
            total = sum(self.fixed.values())
            codes = ", ".join(f"{code}: {count}" for code, count in sorted(self.fixed.items()))
            done = f"{PROG}: fixed {total} finding(s) in {len(self.files)} file(s)"
            lines.append(f"{done} ({codes})" if total else done)
            if self.changed:
                lines.append(f"{PROG}: fixes still applied after {MAX_ROUNDS} rounds; run --fix again")
            unsafe = len(plan.not_selected)
        elif safe:
            lines.append(f"{PROG}: {safe} finding(s) can be fixed with --fix")
        if unsafe:
            lines.append(f"{PROG}: {unsafe} more can be fixed with --unsafe-fixes (fixes that change what runs)")
        return "".join(f"{line}\n" for line in lines)

    def status(self, status: int) -> int:
        """The exit status: ``check``'s after ``--fix``; 1 when ``--diff`` shows a change; 0 after ``--fix-only``
        and ``--add-noqa``."""
        if self.options.diff:
            return 1 if self.last is not None and self.last.applied else 0
        if self.options.fix_only or self.options.add_noqa:
            return 0
        return status


def run_rounds(session: FixSession, check_once: Callable[[TextIO], int], out: TextIO) -> int:
    """``check_once`` (one ``check`` that hands its findings to ``session``) until a round changes nothing; what
    the last round printed on its way is printed (standard error included), the earlier rounds' is not."""
    err = sys.stderr
    status = 0
    printed = io.StringIO()
    said = io.StringIO()
    while True:
        printed, said = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                status = check_once(printed)
        except SystemExit:
            err.write(said.getvalue())
            raise
        if not session.changed:
            break
    err.write(said.getvalue())
    if session.options.reports_findings:
        out.write(printed.getvalue())
    err.write(session.summary())
    return session.status(status)


def _is_below(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)

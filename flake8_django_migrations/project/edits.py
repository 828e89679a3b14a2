"""What changed in a migration since the base revision, in words, for DJM502: which operation and which of its
arguments (old and new value), which flag of the ``Migration`` class, or which module-level function (the code
``RunPython`` runs), so that a reviewer can judge the edit without a diff.

It compares what ``history.migration_fingerprint`` hashes (the class's ``operations``, ``replaces``, ``atomic`` and
``initial``, and every module-level function), without positions, comments or formatting, and names the first
difference and how many others there are.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Final

from flake8_django_migrations.facts import find_migration_class
from flake8_django_migrations.facts.migration import _SIGNATURES

__all__ = ["describe_edit"]

_FLAGS: Final = ("replaces", "atomic", "initial")
_SHOWN_CHARACTERS: Final = 60  # a value longer than this is cut, with "..."
_SUBJECT_ARGUMENTS: Final = ("model_name", "name", "old_name")


def describe_edit(before: ast.Module, after: ast.Module) -> str | None:
    """The first change from ``before`` (the migration at the base revision) to ``after`` (the working tree), and
    how many more there are; None when none of what a database has seen differs in a way this can name."""
    changes = [*_class_changes(before, after), *_function_changes(before, after)]
    if not changes:
        return None
    more = len(changes) - 1
    return changes[0] if more == 0 else f"{changes[0]}, and {more} other change{'s' if more > 1 else ''}"


# The Migration class ---------------------------------------------------------------------------------------------


def _class_changes(before: ast.Module, after: ast.Module) -> Iterator[str]:
    old_class, new_class = find_migration_class(before.body), find_migration_class(after.body)
    if old_class is None or new_class is None:
        return
    old, new = _attributes(old_class), _attributes(new_class)
    old_operations, new_operations = old.get("operations"), new.get("operations")
    if isinstance(old_operations, (ast.List, ast.Tuple)) and isinstance(new_operations, (ast.List, ast.Tuple)):
        yield from _operation_changes(old_operations.elts, new_operations.elts)
    else:
        yield from _attribute_change("operations", old_operations, new_operations)
    for name in _FLAGS:
        yield from _attribute_change(name, old.get(name), new.get(name))


def _attributes(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """The value last assigned to each name in the class body."""
    found: dict[str, ast.expr] = {}
    for statement in cls.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
            found[statement.target.id] = statement.value
    return found


def _attribute_change(name: str, old: ast.expr | None, new: ast.expr | None) -> Iterator[str]:
    if old is None and new is not None:
        yield f"`{name} = {_shown(new)}` was added"
    elif new is None and old is not None:
        yield f"`{name} = {_shown(old)}` was removed"
    elif old is not None and new is not None and ast.dump(old) != ast.dump(new):
        yield f"`{name}` changed from `{_shown(old)}` to `{_shown(new)}`"


def _operation_changes(old: Sequence[ast.expr], new: Sequence[ast.expr]) -> Iterator[str]:
    matcher = difflib.SequenceMatcher(None, [ast.dump(op) for op in old], [ast.dump(op) for op in new], autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and old_end - old_start == new_end - new_start:
            for before, after in zip(old[old_start:old_end], new[new_start:new_end]):
                yield from _operation_edits(before, after)
            continue
        for removed in old[old_start:old_end]:
            yield f"the operation {_label(removed)} was removed"
        for added in new[new_start:new_end]:
            yield f"the operation {_label(added)} was added on line {added.lineno}"


def _operation_edits(old: ast.expr, new: ast.expr) -> Iterator[str]:
    if _operation_name(old) is None or _operation_name(old) != _operation_name(new):
        yield f"the operation {_label(old)} became {_label(new)} on line {new.lineno}"
        return
    for change in _differences(old, new, ""):
        yield f"the operation {_label(new)} on line {new.lineno} {change}"


# Arguments, however deep -----------------------------------------------------------------------------------------


def _differences(old: ast.expr, new: ast.expr, path: str) -> Iterator[str]:
    """How ``old`` became ``new``, innermost first: the arguments of a call with the same callee, the elements of a
    list or tuple (added, removed or changed), else the two values themselves. ``path`` names where they are
    (``field.max_length``, ``fields[1]``)."""
    if ast.dump(old) == ast.dump(new):
        return
    if isinstance(old, ast.Call) and isinstance(new, ast.Call) and ast.dump(old.func) == ast.dump(new.func):
        old_arguments, new_arguments = _arguments(old), _arguments(new)
        for name in [*new_arguments, *(name for name in old_arguments if name not in new_arguments)]:
            before, after = old_arguments.get(name), new_arguments.get(name)
            into = f" to `{path}`" if path else ""
            if before is None and after is not None:
                yield f"added `{name}={_shown(after)}`{into}"
            elif after is None and before is not None:
                yield f"removed `{name}={_shown(before)}`" + (f" from `{path}`" if path else "")
            elif before is not None and after is not None:
                yield from _differences(before, after, f"{path}.{name}" if path else name)
        return
    if isinstance(old, (ast.List, ast.Tuple)) and type(old) is type(new) and path:
        assert isinstance(new, (ast.List, ast.Tuple))
        yield from _element_changes(old.elts, new.elts, path)
        return
    yield f"changed `{path}` from `{_shown(old)}` to `{_shown(new)}`"


def _element_changes(old: Sequence[ast.expr], new: Sequence[ast.expr], path: str) -> Iterator[str]:
    matcher = difflib.SequenceMatcher(None, [ast.dump(e) for e in old], [ast.dump(e) for e in new], autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and old_end - old_start == new_end - new_start:
            for position, (before, after) in enumerate(zip(old[old_start:old_end], new[new_start:new_end])):
                yield from _differences(before, after, f"{path}[{new_start + position}]")
            continue
        for removed in old[old_start:old_end]:
            yield f"removed `{_shown(removed)}` from `{path}`"
        for added in new[new_start:new_end]:
            yield f"added `{_shown(added)}` to `{path}`"


def _arguments(call: ast.Call) -> dict[str, ast.expr]:
    """A call's arguments by name: positional ones by the parameter names of Django's operations, else by place."""
    names = _SIGNATURES.get(_operation_name(call) or "", ())
    found: dict[str, ast.expr] = {}
    for position, argument in enumerate(call.args):
        found[names[position] if position < len(names) else f"[{position}]"] = argument
    for keyword in call.keywords:
        found[keyword.arg if keyword.arg is not None else "**"] = keyword.value
    return found


def _operation_name(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _label(node: ast.expr) -> str:
    """``AddField`` of `order.region`, `RunPython(forwards)`: the operation and what it is about."""
    name = _operation_name(node)
    if name is None or not isinstance(node, ast.Call):
        return f"`{_shown(node)}`"
    arguments = _arguments(node)
    subject = [
        value.value for key in _SUBJECT_ARGUMENTS
        for value in [arguments.get(key)] if isinstance(value, ast.Constant) and isinstance(value.value, str)
    ]
    if subject:
        return f"`{name}` of `{'.'.join(subject[:2])}`"
    first = node.args[0] if node.args else None
    return f"`{name}({_shown(first)})`" if first is not None else f"`{name}`"


def _shown(node: ast.expr) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 3] + "..."


# Module-level functions ------------------------------------------------------------------------------------------


def _function_changes(before: ast.Module, after: ast.Module) -> Iterator[str]:
    old, new = _functions(before), _functions(after)
    for name, function in new.items():
        was = old.get(name)
        if was is None:
            yield f"the function `{name}` was added on line {function.lineno}"
        elif ast.dump(was) != ast.dump(function):
            yield f"the function `{name}` changed at line {_first_changed_line(was, function)}"
    for name in old:
        if name not in new:
            yield f"the function `{name}` was removed"


def _functions(tree: ast.Module) -> Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _first_changed_line(old: ast.FunctionDef | ast.AsyncFunctionDef, new: ast.FunctionDef | ast.AsyncFunctionDef
                        ) -> int:
    """The line of the working tree's function where it first differs: its signature, or its first statement
    that is not as it was (the end of the body when statements were only removed from it)."""
    if ast.dump(old.args) != ast.dump(new.args) or [ast.dump(d) for d in old.decorator_list] != [
        ast.dump(d) for d in new.decorator_list
    ]:
        return new.lineno
    for before, after in zip(old.body, new.body):
        if ast.dump(before) != ast.dump(after):
            return _first_changed_statement_line(before, after)
    return new.body[-1].end_lineno or new.body[-1].lineno


def _first_changed_statement_line(old: ast.stmt, new: ast.stmt) -> int:
    """Inside a compound statement (a loop, an ``if``), the first of its own statements that differs."""
    old_body, new_body = getattr(old, "body", None), getattr(new, "body", None)
    if type(old) is type(new) and isinstance(old_body, list) and isinstance(new_body, list):
        head_old = [_shape(value) for name, value in ast.iter_fields(old) if name not in ("body", "orelse")]
        head_new = [_shape(value) for name, value in ast.iter_fields(new) if name not in ("body", "orelse")]
        if head_old == head_new:
            for before, after in zip(old_body, new_body):
                if ast.dump(before) != ast.dump(after):
                    return _first_changed_statement_line(before, after)
    return new.lineno


def _shape(value: object) -> object:
    """A field of a statement, without positions: comparable whether it is a node, a list of them or a plain value."""
    if isinstance(value, ast.AST):
        return ast.dump(value)
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return value

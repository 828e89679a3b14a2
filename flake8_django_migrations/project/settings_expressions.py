"""Expressions of a settings module, evaluated as far as literals go: the value of each (see ``settings_values``),
or unknown with why. ``Evaluator`` is the half of the reader (``settings_reader.Reader``) that evaluates; the reader
runs the statements, and tells it what an import or a class attribute names."""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.project.database_urls import dj_database_url_call, environ_call, url_config
from flake8_django_migrations.project.settings_values import (
    MAX_STRING,
    NO_DEFAULT,
    Binding,
    Class,
    EnvTest,
    EnvValue,
    Function,
    Known,
    Lazy,
    Module,
    ModuleRef,
    OptionalPath,
    Partial,
    Prefixed,
    Scope,
    Unknown,
    add_values,
    call_arguments,
    env_items,
    get_item,
    is_hashable,
    is_literal,
    list_items,
    merge_values,
    truth_of,
)

# Limits that only a pathological or hostile settings tree reaches; each gives a reason rather than a hang.
MAX_VALUE_SIZE: Final = 100_000  # items in one value, nested ones counted as often as they appear
MAX_VALUE_DEPTH: Final = 64
_BUILTINS: Final = frozenset({
    "list", "tuple", "dict", "str", "bool", "int", "print", "exec", "eval", "globals", "locals", "vars", "setattr",
})


@dataclass(frozen=True, slots=True)
class Frame:
    scope: Scope
    path: str  # the file whose statements run (an included file runs in its includer's namespace)
    module: Module
    in_class: bool = False
    conditional: bool = False  # inside a branch that may not run
    # (name, prefixes) of each enclosing `if name.startswith(prefixes):` that could not be decided: a
    # `globals()[name] = ...` inside it can bind only names with one of the prefixes.
    prefixed: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Evaluator:
    """Evaluates the expressions of a settings module; the reader (``settings_reader.Reader``) gives what an import
    or a class names."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[object, int, int]] = {}  # id -> (value, size, depth) of containers made

    # What the reader knows ----------------------------------------------------------------------------------------

    def module_file(self, module: str) -> str | None:
        """The file of the project module ``module``, None when the project has none."""
        raise NotImplementedError

    def resolve(self, value: object) -> object:
        """``value``, or what a ``Lazy`` import names."""
        raise NotImplementedError

    def class_attribute(self, cls: Class, name: str, seen: frozenset[int] = frozenset()) -> Binding | None:
        """The attribute ``name`` of ``cls`` (its own or its bases'), None when it has none."""
        raise NotImplementedError

    # Expressions --------------------------------------------------------------------------------------------------

    def checked(self, value: object) -> object:
        """``value``, or unknown when it is too large or too deep to keep (``X = X + X`` a hundred times)."""
        size, depth = self._measure(value)
        if size > MAX_VALUE_SIZE or depth > MAX_VALUE_DEPTH:
            return Unknown("a value too large to read")
        return value

    def _measure(self, value: object) -> tuple[int, int]:
        if isinstance(value, str):
            return (1 + len(value) // 64, 1) if len(value) <= MAX_STRING else (MAX_VALUE_SIZE + 1, 1)
        if isinstance(value, (tuple, dict, Partial)):
            kept = self.sizes.get(id(value))
            if kept is not None and kept[0] is value:
                return kept[1], kept[2]
            children = value.items if isinstance(value, Partial) else (
                value if isinstance(value, tuple) else (*value.keys(), *value.values()))
            size, depth = 1, 1
            for child in children:
                child_size, child_depth = self._measure(child)
                size += child_size
                depth = max(depth, child_depth + 1)
                if size > MAX_VALUE_SIZE or depth > MAX_VALUE_DEPTH:
                    break
            self.sizes[id(value)] = (value, size, depth)
            return size, depth
        return 1, 1

    def evaluate(self, node: ast.expr, frame: Frame) -> object:
        """The value of an expression: a literal, or one of the value classes of ``settings_values``."""
        value = self._evaluate(node, frame)
        return self.checked(value) if isinstance(value, (tuple, dict, Partial, str)) else value

    def _evaluate(self, node: ast.expr, frame: Frame) -> object:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return self._sequence(node.elts, frame)
        if isinstance(node, ast.Dict):
            return self._dict(node, frame)
        if isinstance(node, ast.Name):
            binding = frame.scope.get(node.id)
            if binding is None:
                if node.id in _BUILTINS:
                    return Known(f"builtins.{node.id}")
                star = frame.scope.get("*")
                return star.value if star is not None else Unknown(f"`{node.id}` is not defined in the settings")
            return self.resolve(binding.value)
        if isinstance(node, ast.Attribute):
            return self._attribute(self.resolve(self.evaluate(node.value, frame)), node.attr, line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return add_values(self.evaluate(node.left, frame), self.evaluate(node.right, frame), f"line {line}")
        if isinstance(node, ast.Call):
            return self._call(node, frame)
        if isinstance(node, ast.Subscript):
            return self._subscript(self.evaluate(node.value, frame), self.evaluate(node.slice, frame), node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            truth = truth_of(self.evaluate(node.operand, frame))
            return not truth if truth is not None else Unknown(f"`{shortened(node)}` at line {line} is not a literal")
        if isinstance(node, ast.Compare):
            return self._compare(node, frame)
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node, frame)
        if isinstance(node, ast.IfExp):
            return self._if_expression(node, frame)
        if isinstance(node, ast.NamedExpr):
            return self.evaluate(node.value, frame)
        if isinstance(node, ast.JoinedStr):
            return self._f_string(node, frame)
        return Unknown(f"`{shortened(node)}` at line {line} is not a literal")

    def _f_string(self, node: ast.JoinedStr, frame: Frame) -> object:
        text: list[str] = []
        for part in node.values:
            value = part.value if isinstance(part, ast.Constant) else (
                self.evaluate(part.value, frame) if isinstance(part, ast.FormattedValue) and part.conversion == -1
                and part.format_spec is None else None)
            if not isinstance(value, str):
                reason = f"`{shortened(node)}` at line {node.lineno} is not a literal"
                return Prefixed("".join(text), reason) if text else Unknown(reason)
            text.append(value)
        joined = "".join(text)
        return joined if len(joined) <= MAX_STRING else Unknown(f"a string at line {node.lineno} is too long")

    def _sequence(self, elements: Sequence[ast.expr], frame: Frame) -> object:
        items: list[object] = []
        reason: str | None = None
        for element in elements:
            if isinstance(element, ast.Starred):
                inner = self.evaluate(element.value, frame)
                inner_items = list_items(inner)
                if inner_items is None:
                    if not isinstance(inner, Unknown):
                        return Unknown(f"a starred value at line {element.lineno} is not a list")
                    reason = reason or inner.reason
                    continue
                items.extend(inner_items)
                if isinstance(inner, Partial):
                    reason = reason or inner.reason
            else:
                value = self.evaluate(element, frame)
                if isinstance(value, Unknown):
                    reason = reason or value.reason
                    continue
                items.append(value)
        # A list with items not read keeps the others: it is open.
        return Partial(tuple(items), reason) if reason is not None else tuple(items)

    def _dict(self, node: ast.Dict, frame: Frame) -> object:
        result: dict[object, object] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                inner = self.evaluate(value_node, frame)
                if isinstance(inner, EnvValue) and isinstance(inner.default, dict):
                    result.update(env_items(inner))
                    continue
                if not isinstance(inner, dict):
                    return Unknown(f"a `**` entry at line {value_node.lineno} is not literal")
                result.update(inner)
                continue
            key = self.evaluate(key_node, frame)
            if isinstance(key, Unknown) or not is_hashable(key):
                return Unknown(f"a key at line {key_node.lineno} is not literal")
            result[key] = self.evaluate(value_node, frame)
        return result

    def _attribute(self, value: object, attribute: str, line: int) -> object:
        if isinstance(value, Known):
            return Known(canonical_path(f"{value.path}.{attribute}"), value.scheme)
        if isinstance(value, Class):
            found = self.class_attribute(value, attribute)
            if found is None:
                return Unknown(f"`{value.name}.{attribute}` at line {line} is not set")
            return found.value
        if isinstance(value, ModuleRef):
            binding = value.module.scope.names.get(attribute)
            if binding is not None:
                return self.resolve(binding.value)
            dotted = f"{value.module.dotted}.{attribute}"
            if self.module_file(dotted) is not None:
                return self.resolve(Lazy(dotted, None, f"line {line}"))
            return Unknown(f"`{attribute}` is not defined in `{value.module.dotted}`")
        if isinstance(value, Unknown):
            return value
        return Unknown(f"`.{attribute}` at line {line} is not a literal")

    def _subscript(self, value: object, key: object, node: ast.Subscript) -> object:
        line = node.lineno
        if isinstance(value, Known) and value.path == "os.environ":
            variable = key if isinstance(key, str) else "?"
            return EnvValue(variable, NO_DEFAULT, f"`{shortened(node)}` at line {line} reads the environment")
        if isinstance(value, EnvValue):
            if isinstance(value.default, dict) and is_hashable(key) and key in value.default:
                return EnvValue(value.variable, value.default[key], value.reason)
            return EnvValue(value.variable, NO_DEFAULT, value.reason)
        if isinstance(value, Unknown):
            return value
        if isinstance(key, Unknown):
            return key
        found = get_item(value, [key])
        if isinstance(found, Unknown):
            return Unknown(f"`{shortened(node)}` at line {line} is not a literal")
        return found

    def _compare(self, node: ast.Compare, frame: Frame) -> object:
        unknown = Unknown(f"`{shortened(node)}` at line {node.lineno} is not a literal")
        if len(node.ops) != 1:
            return unknown
        left, right = self.evaluate(node.left, frame), self.evaluate(node.comparators[0], frame)
        operator = node.ops[0]
        if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, Known) and right.path == "os.environ":
            variable = left if isinstance(left, str) else "?"
            return EnvTest(variable, isinstance(operator, ast.NotIn), f"`{shortened(node)}` at line {node.lineno} "
                           "reads the environment")
        if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, Partial) and not isinstance(
                left, Unknown) and is_hashable(left) and left in right.items:
            return isinstance(operator, ast.In)
        if not all(is_literal(side) for side in (left, right)):
            return unknown
        try:
            if isinstance(operator, (ast.Eq, ast.NotEq)):
                return bool(left == right) == isinstance(operator, ast.Eq)
            if isinstance(operator, (ast.Is, ast.IsNot)) and (left is None or right is None or isinstance(
                    left, bool) or isinstance(right, bool)):
                return (left is right) == isinstance(operator, ast.Is)
            if isinstance(operator, (ast.In, ast.NotIn)) and isinstance(right, (str, tuple, dict)):
                if isinstance(right, str) and not isinstance(left, str):
                    return unknown
                if isinstance(right, dict) and not is_hashable(left):
                    return unknown
                return (left in right) == isinstance(operator, ast.In)
        except (TypeError, ValueError, RecursionError):
            return unknown
        return unknown

    def _bool_op(self, node: ast.BoolOp, frame: Frame) -> object:
        values = [self.evaluate(value, frame) for value in node.values]
        is_or = isinstance(node.op, ast.Or)
        result = values[0]
        for value in values[1:]:
            truth = truth_of(result)
            if truth is None:
                # `os.environ.get("X") or "default"`: the default where the settings take one.
                if is_or and isinstance(result, EnvValue) and result.default in (NO_DEFAULT, None, ""):
                    result = EnvValue(result.variable, value, result.reason)
                    continue
                return result if isinstance(result, Unknown) else Unknown(
                    f"`{shortened(node)}` at line {node.lineno} is not a literal")
            if truth == is_or:
                return result
            result = value
        return result

    def _if_expression(self, node: ast.IfExp, frame: Frame) -> object:
        test = self.evaluate(node.test, frame)
        truth = truth_of(test)
        if truth is not None:
            return self.evaluate(node.body if truth else node.orelse, frame)
        body, orelse = self.evaluate(node.body, frame), self.evaluate(node.orelse, frame)
        # `os.environ["X"] if "X" in os.environ else "default"`, and the same the other way round.
        variable = test.variable if isinstance(test, (EnvTest, EnvValue)) else None
        negated = isinstance(test, EnvTest) and test.negated
        reading, default = (orelse, body) if negated else (body, orelse)
        if variable is not None and isinstance(reading, EnvValue) and reading.variable == variable:
            return EnvValue(variable, default, reading.reason)
        return merge_values(body, orelse, f"`{shortened(node)}` at line {node.lineno} is not decided")

    # Calls --------------------------------------------------------------------------------------------------------

    def _call(self, node: ast.Call, frame: Frame) -> object:
        callee = self.resolve(self.evaluate(node.func, frame))
        unknown = Unknown(f"`{shortened(node)}` at line {node.lineno} is not a literal")
        if isinstance(callee, Function):
            for name in sorted(callee.globals):
                frame.scope.globals.set(name, Binding(Unknown(
                    f"`{name}` may be changed by `{shortened(node)}` at {located(frame.path, node)}"), frame.path,
                    node.lineno))
            return unknown
        if not isinstance(callee, Known) or any(isinstance(arg, ast.Starred) for arg in node.args) or any(
                keyword.arg is None for keyword in node.keywords):
            return unknown
        args = [self.evaluate(arg, frame) for arg in node.args]
        keywords = {keyword.arg: self.evaluate(keyword.value, frame) for keyword in node.keywords if keyword.arg}
        path = callee.path
        reads = f"`{shortened(node)}` at line {node.lineno}"
        if path in ("builtins.list", "builtins.tuple") and len(args) == 1 and not keywords:
            value = args[0]
            items = list_items(value)
            if isinstance(value, dict):
                return tuple(value)
            return value if items is not None or isinstance(value, Unknown) else unknown
        if path == "builtins.dict" and len(args) <= 1:
            base = args[0] if args else {}
            return {**base, **keywords} if isinstance(base, dict) else unknown
        if path == "split_settings.tools.optional" and len(args) == 1:
            value = args[0]
            if value is None or isinstance(value, str):
                return OptionalPath(value or "")
            return unknown
        if path in ("os.environ.get", "os.getenv", "os.environ.setdefault"):
            variable, default = call_arguments(args, keywords, ("key", "default"))
            name = variable if isinstance(variable, str) else "?"
            return EnvValue(name, None if default is NO_DEFAULT and path != "os.environ.setdefault" else default,
                            f"{reads} reads the environment variable `{name}`")
        if path == "environ.Env":
            scheme = tuple((key, value) for key, value in keywords.items())
            return Known("environ.Env()", scheme)
        found: object | None = None
        if path.startswith("environ.Env()") or path == "environ.Env.db_url_config":
            found = environ_call(path, callee.scheme, args, keywords, reads)
        elif path in ("dj_database_url.config", "dj_database_url.parse"):
            found = dj_database_url_call(path, args, keywords, reads)
        if found is not None:
            return found
        if path.startswith("configurations.values."):
            return self._configuration_value(path.rpartition(".")[2], args, keywords, reads)
        return unknown

    @staticmethod
    def _configuration_value(kind: str, args: list[object], keywords: dict[str, object], reads: str) -> object:
        """django-configurations' ``values.*Value(default, ...)``: its default (the environment variable
        ``DJANGO_<NAME>`` may replace it)."""
        unknown = Unknown(f"{reads} is not a literal")
        if not kind.endswith("Value") or kind in ("SecretValue", "SetValue", "EmailURLValue", "CacheURLValue",
                                                  "SearchURLValue", "PathValue"):
            return unknown
        if keywords.get("environ_required") is True:
            return Unknown(f"{reads} is required from the environment")
        (default,) = call_arguments(args, keywords, ("default",))
        default = None if default is NO_DEFAULT else default
        if isinstance(default, Unknown) and not (kind == "DatabaseURLValue" and isinstance(default, Prefixed)):
            return default
        if kind == "DatabaseURLValue":
            alias = keywords.get("alias", "default")
            if not isinstance(default, (str, Prefixed)) or not default or not isinstance(alias, str):
                return Unknown(f"{reads} reads the environment variable `DATABASE_URL`")
            parsed = url_config(default, keywords.get("engine"), "dj_database_url")
            return {alias: parsed} if parsed is not None else unknown
        if kind in ("ListValue", "TupleValue", "BackendsValue", "SingleNestedListValue", "SingleNestedTupleValue"):
            if default is None:
                return ()
            items = list_items(default)
            return items if items is not None and not isinstance(default, Partial) else unknown
        if kind == "DictValue":
            if default is None:
                return {}
            return default if isinstance(default, dict) else unknown
        return default


# Expressions: helpers -----------------------------------------------------------------------------------------------


def canonical_path(path: str) -> str:
    """One name for what a library exports under two (``environ.environ.Env`` is ``environ.Env``)."""
    aliases = (("environ.environ.", "environ."), ("configurations.base.Configuration", "configurations.Configuration"))
    for alias, canonical in aliases:
        if path.startswith(alias):
            return canonical + path[len(alias):]
    return path


def located(path: str, node: ast.AST | int) -> str:
    line = node if isinstance(node, int) else getattr(node, "lineno", 0)
    return f"{os.path.basename(path)}:{line}"


def shortened(node: ast.expr) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):
        text = type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."

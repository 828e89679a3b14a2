"""Module-level imports of a migration: which dotted path each local name stands for."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from flake8_django_migrations.facts.model import Site


class Imports:
    """Module-level import bindings: local name → dotted path."""

    __slots__ = ("bindings", "sites")

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.sites: dict[str, Site] = {}

    @classmethod
    def collect(cls, tree: ast.Module, app_label: str) -> Imports:
        imports = cls()
        for node in module_level_statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports._bind(alias.asname, alias.name, node)
                    else:
                        top = alias.name.split(".")[0]
                        imports._bind(top, top, node)
                        # `import app.models` binds `app`, but what the file uses is the models module.
                        imports.sites.setdefault(alias.name, Site(node.lineno, node.col_offset))
            elif isinstance(node, ast.ImportFrom):
                module = _absolute_module(node, app_label)
                for alias in node.names:
                    if alias.name != "*":
                        imports._bind(alias.asname or alias.name, f"{module}.{alias.name}", node)
        return imports

    def _bind(self, name: str, target: str, node: ast.stmt) -> None:
        self.bindings[name] = target
        self.sites[name] = Site(node.lineno, node.col_offset)

    def resolve(self, node: ast.expr, shadowed: frozenset[str] = frozenset()) -> str | None:
        """The dotted path an expression names, with its first name resolved through the imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = node.id if node.id in shadowed else self.bindings.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])


def module_level_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the module body and the blocks of its ``if`` and ``try`` statements."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from module_level_statements(node.body)
            yield from module_level_statements(node.orelse)
        elif isinstance(node, ast.Try):
            yield from module_level_statements(node.body)
            for handler in node.handlers:
                yield from module_level_statements(handler.body)
            yield from module_level_statements(node.orelse)
            yield from module_level_statements(node.finalbody)


def _absolute_module(node: ast.ImportFrom, app_label: str) -> str:
    if not node.level:
        return node.module or ""
    # A migration lives in <app>/migrations/: one dot is the migrations package, two the app.
    package = [app_label, "migrations"][: max(0, 3 - node.level)] if node.level <= 2 else []
    return ".".join([*package, *([node.module] if node.module else [])])

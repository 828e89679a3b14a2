"""Read a migration module's ``Migration`` class: dependencies, replaces, flags and operations."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Mapping
from typing import Any, Final

from flake8_django_migrations.facts.functions import read_function
from flake8_django_migrations.facts.live_models import find_live_models
from flake8_django_migrations.facts.model import (
    UNKNOWN,
    Call,
    Dependency,
    FunctionFacts,
    MalformedDependency,
    MigrationFacts,
    Operation,
    Ref,
    Site,
    Value,
)
from flake8_django_migrations.facts.names import Imports, module_level_statements

# Django's operation signatures, so that positional arguments get their parameter names.
_SIGNATURES: Final[Mapping[str, tuple[str, ...]]] = {
    "CreateModel": ("name", "fields", "options", "bases", "managers"),
    "DeleteModel": ("name",),
    "RenameModel": ("old_name", "new_name"),
    "AlterModelTable": ("name", "table"),
    "AlterModelTableComment": ("name", "table_comment"),
    "AlterUniqueTogether": ("name", "unique_together"),
    "AlterIndexTogether": ("name", "index_together"),
    "AlterOrderWithRespectTo": ("name", "order_with_respect_to"),
    "AlterModelOptions": ("name", "options"),
    "AlterModelManagers": ("name", "managers"),
    "AddField": ("model_name", "name", "field", "preserve_default"),
    "RemoveField": ("model_name", "name", "field"),
    "AlterField": ("model_name", "name", "field", "preserve_default"),
    "RenameField": ("model_name", "old_name", "new_name"),
    "AddIndex": ("model_name", "index"),
    "RemoveIndex": ("model_name", "name"),
    "RenameIndex": ("model_name", "new_name", "old_name", "old_fields"),
    "AddConstraint": ("model_name", "constraint"),
    "RemoveConstraint": ("model_name", "name"),
    "AlterConstraint": ("model_name", "name", "constraint"),
    "RunSQL": ("sql", "reverse_sql", "state_operations", "hints", "elidable"),
    "RunPython": ("code", "reverse_code", "atomic", "hints", "elidable"),
    "SeparateDatabaseAndState": ("database_operations", "state_operations"),
    "AddIndexConcurrently": ("model_name", "index"),
    "RemoveIndexConcurrently": ("model_name", "name"),
    "AddConstraintNotValid": ("model_name", "constraint"),
    "ValidateConstraint": ("model_name", "name"),
    "CreateExtension": ("name",),
    "CreateCollation": ("name", "locale"),
    "RemoveCollation": ("name", "locale"),
}

_DJANGO_OPERATION_MODULES: Final = frozenset(
    {
        "django.db.migrations",
        "django.db.migrations.operations",
        "django.db.migrations.operations.fields",
        "django.db.migrations.operations.models",
        "django.db.migrations.operations.special",
        "django.contrib.postgres.operations",
    }
)

_DEPLOY_STAGES: Final[Mapping[str, str]] = {
    # django-safemigrate
    "Safe.before_deploy": "pre",
    "Safe.after_deploy": "post",
    "Safe.always": "pre",
    # django-syzygy
    "Stage.PRE_DEPLOY": "pre",
    "Stage.POST_DEPLOY": "post",
}


def is_migration_module_name(filename: str) -> bool:
    """What Django's loader imports from a migrations package: modules not starting with ``_`` or ``~``."""
    return filename.endswith(".py") and filename[:1] not in ("_", "~") and filename != ".py"


def is_migration_path(path: str) -> bool:
    """A module Django would load from a folder named ``migrations`` (a ``MIGRATION_MODULES`` folder of another
    name is known only to the project pass)."""
    folder, name = os.path.split(path)
    return is_migration_module_name(name) and os.path.basename(folder) == "migrations"


def operation_kind(func: str | None) -> str | None:
    """Django's operation class name for a resolved callee, or None when it is not one of Django's."""
    if func is None or "." not in func:
        return None
    module, _, name = func.rpartition(".")
    return name if module in _DJANGO_OPERATION_MODULES else None


def extract_facts(tree: ast.Module, path: str, *, app_label: str | None = None) -> MigrationFacts | None:
    """The facts of a migration module, or None when ``path``/``tree`` is not a migration.

    Without ``app_label``, the file must sit in a folder named ``migrations`` and its app is that folder's parent;
    the project pass, which knows an app's ``AppConfig.label`` and ``MIGRATION_MODULES``, passes the label."""
    if app_label is None:
        if not is_migration_path(path):
            return None
        app_label = os.path.basename(os.path.dirname(os.path.dirname(path)))
    elif os.path.basename(path) == "__init__.py":
        return None
    migration_class = find_migration_class(tree.body)
    if migration_class is None:
        return None
    imports = Imports.collect(tree, app_label)
    builder = _MigrationBuilder(imports)
    builder.read_class(migration_class)
    functions = {
        node.name: read_function(imports, node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    functions.update(builder.lambdas)
    return MigrationFacts(
        path=path,
        app_label=app_label,
        name=os.path.basename(path)[: -len(".py")],
        line=migration_class.lineno,
        col=migration_class.col_offset,
        functions=functions,
        live_models=find_live_models(imports, tree, path),
        **builder.fields,
    )


def find_migration_class(body: Iterable[ast.stmt]) -> ast.ClassDef | None:
    """The first module-level ``class Migration``, also inside ``if``/``else`` and ``try`` blocks."""
    return next(
        (node for node in module_level_statements(body) if isinstance(node, ast.ClassDef) and node.name == "Migration"),
        None,
    )


class _MigrationBuilder:
    """Reads the attributes of the ``Migration`` class body."""

    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.fields: dict[str, Any] = {}
        self.lambdas: dict[str, FunctionFacts] = {}

    def read_class(self, node: ast.ClassDef) -> None:
        self._read_body(node.body, conditional=False)

    def _read_body(self, body: list[ast.stmt], conditional: bool) -> None:
        """Assignments in the class body. One inside ``if``/``try`` (``if connection.vendor == ...``) depends on
        how the code runs: its values from every branch are kept, but the attribute is marked not complete."""
        for statement in body:
            if isinstance(statement, (ast.If, ast.Try, ast.With)):
                blocks = [statement.body]
                if isinstance(statement, ast.If):
                    blocks.append(statement.orelse)
                elif isinstance(statement, ast.Try):
                    blocks += [*(handler.body for handler in statement.handlers), statement.orelse,
                               statement.finalbody]
                for block in blocks:
                    self._read_body(block, conditional=conditional or not isinstance(statement, ast.With))
                continue
            target, value = _assignment(statement)
            if target is None or value is None:
                continue
            if target in ("dependencies", "run_before", "replaces"):
                entries, complete = self._dependency_list(value)
                if target != "replaces" and not conditional:
                    self._malformed(target, value)
                self._assign(target, entries, complete, conditional)
                if target == "dependencies":
                    self.fields.setdefault("dependencies_site", Site(statement.lineno, statement.col_offset))
            elif target in ("initial", "atomic"):
                constant = value.value if isinstance(value, ast.Constant) else UNKNOWN
                self.fields[target] = constant if isinstance(constant, bool) and not conditional else None
            elif target == "operations":
                operations, complete = self._operations(value, "both")
                self._assign(target, tuple(operations), complete, conditional)
            elif target in ("safe", "stage") and not conditional:
                self.fields["deploy_stage"] = self._deploy_stage(value)

    def _lambda(self, node: ast.Lambda) -> Ref:
        """A lambda given to ``RunPython`` is code the migration runs: read like a module-level function, under a
        name no function can have."""
        function = read_function(self.imports, node)
        self.lambdas[function.name] = function
        return Ref(function.name)

    def _assign(self, target: str, values: tuple[Any, ...], complete: bool, conditional: bool) -> None:
        if conditional:
            self.fields[target] = (*self.fields.get(target, ()), *values)
            self.fields[f"{target}_complete"] = False
        else:
            self.fields[target] = values
            self.fields[f"{target}_complete"] = complete

    def _deploy_stage(self, value: ast.expr) -> str | None:
        node = value.func if isinstance(value, ast.Call) else value
        written = self.imports.resolve(node)
        if written is None:
            return None
        for marker, stage in _DEPLOY_STAGES.items():
            if written == marker or written.endswith("." + marker):
                return stage
        return None

    def _dependency_list(self, value: ast.expr) -> tuple[tuple[Dependency, ...], bool]:
        if not isinstance(value, (ast.List, ast.Tuple)):
            return (), False
        entries: list[Dependency] = []
        complete = True
        for element in value.elts:
            dependency = self._dependency(element)
            if dependency is None:
                complete = False
            else:
                entries.append(dependency)
        return tuple(entries), complete

    def _malformed(self, attribute: str, value: ast.expr) -> None:
        if not isinstance(value, (ast.List, ast.Tuple)):
            return
        found = [*self.fields.get("malformed_dependencies", ())]
        for node in value.elts:
            if isinstance(node, (ast.Tuple, ast.List)):
                shape, length = ("tuple" if isinstance(node, ast.Tuple) else "list"), len(node.elts)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                shape, length = "str", len(node.value)
            else:
                continue
            if shape == "tuple" and length == 2:
                continue
            written = ast.unparse(node)
            if len(written) > 80:
                written = written[:77] + "..."
            found.append(MalformedDependency(attribute, written, shape, length, node.lineno, node.col_offset))
        self.fields["malformed_dependencies"] = tuple(found)

    def _dependency(self, node: ast.expr) -> Dependency | None:
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            app, name = (_literal(element) for element in node.elts)
            if isinstance(app, str) and isinstance(name, str):
                return Dependency(app, name, node.lineno, node.col_offset)
        if isinstance(node, ast.Call) and len(node.args) == 1:
            func = self.imports.resolve(node.func) or ""
            setting = self.imports.resolve(node.args[0]) or ""
            if func.endswith("swappable_dependency") and setting.startswith("django.conf.settings."):
                return Dependency(
                    "", "__first__", node.lineno, node.col_offset,
                    swappable_setting=setting.rpartition(".")[2],
                )
        return None

    def _operations(self, value: ast.expr, side: str) -> tuple[list[Operation], bool]:
        if not isinstance(value, (ast.List, ast.Tuple)):
            return [], False
        operations: list[Operation] = []
        complete = True
        for element in value.elts:
            if not isinstance(element, ast.Call):
                complete = False
                continue
            func = self.imports.resolve(element.func)
            kind = operation_kind(func)
            names = _SIGNATURES.get(kind or "", ())
            params: dict[str, Value] = {}
            nested: dict[str, ast.expr] = {}
            arguments = [*zip(names, element.args), *((k.arg, k.value) for k in element.keywords if k.arg)]
            for name, node in arguments:
                if name in ("database_operations", "state_operations"):
                    nested[name] = node
                elif kind == "RunPython" and name in ("code", "reverse_code") and isinstance(node, ast.Lambda):
                    params[name] = self._lambda(node)
                else:
                    params[name] = _value_or_unknown(node, self.imports)
            if len(element.args) > len(names) or any(k.arg is None for k in element.keywords):
                complete = complete and kind is None
            operations.append(Operation(kind, func, element.lineno, element.col_offset, params, side))
            for name, node in nested.items():
                inner_side = "database" if name == "database_operations" else "state"
                inner, inner_complete = self._operations(node, inner_side if side == "both" else side)
                operations.extend(inner)
                complete = complete and inner_complete
        return operations, complete


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _literal(node: ast.expr) -> Value:
    if isinstance(node, ast.Constant) and node.value is not Ellipsis:
        return node.value
    return UNKNOWN


def _value_or_unknown(node: ast.expr, imports: Imports) -> Value:
    try:
        return _value(node, imports)
    except RecursionError:
        return UNKNOWN  # a literal nested deeper than the recursion limit: not worth knowing


def _value(node: ast.expr, imports: Imports) -> Value:
    if isinstance(node, ast.Constant):
        return _literal(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(_value(element, imports) for element in node.elts)
    if isinstance(node, (ast.Name, ast.Attribute)):
        path = imports.resolve(node)
        return Ref(path) if path is not None else UNKNOWN
    if isinstance(node, ast.Call):
        kwargs = {k.arg: _value(k.value, imports) for k in node.keywords if k.arg}
        if any(k.arg is None for k in node.keywords):
            kwargs["**"] = UNKNOWN
        return Call(
            imports.resolve(node.func),
            tuple(_value(arg, imports) for arg in node.args),
            kwargs,
            node.lineno,
            node.col_offset,
        )
    if isinstance(node, ast.Dict):
        # Only the keys matter to rules (options, lookups); values are kept when they are plain.
        return tuple(
            (_value(key, imports), _value(value, imports)) for key, value in zip(node.keys, node.values) if key
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        return -operand if isinstance(operand, (int, float)) else UNKNOWN
    return UNKNOWN

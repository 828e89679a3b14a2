"""Read a migration module's ``Migration`` class: dependencies, replaces, flags and operations."""

from __future__ import annotations

import ast
import io
import os
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

# flake8's own ``# noqa`` pattern (flake8 is a runtime dependency): what it matches is what flake8 obeys.
from flake8.defaults import NOQA_INLINE_REGEXP  # type: ignore[import-untyped]

from flake8_django_migrations.facts.functions import read_function
from flake8_django_migrations.facts.live_models import LiveModels, find_live_models, may_reach_live_models
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
    Suppression,
    Value,
)
from flake8_django_migrations.facts.names import (
    ClassDefinition,
    Imports,
    ModuleNames,
    Origin,
    ProjectClasses,
    changed_names,
    locate_module,
)
from flake8_django_migrations.files import is_migration_module_name
from flake8_django_migrations.source import module_level_statements

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
    "Safe.always": "always",  # safe before and after the deploy: the author vouches for either moment
    # django-syzygy
    "Stage.PRE_DEPLOY": "pre",
    "Stage.POST_DEPLOY": "post",
}


# Django's own Migration class, under the names a migration module can import it by.
_DJANGO_MIGRATION: Final = frozenset({"django.db.migrations.Migration", "django.db.migrations.migration.Migration"})
# How many classes deep a Migration class's ancestry is followed, and how many module-level lists deep
# `operations = a + b` where `a = c + [...]`.
_MAX_ANCESTORS: Final = 20
_MAX_LIST_HOPS: Final = 10
# A code as flake8 registers them; other words the pattern above swallows ("phase2") belong to the reason.
_CODE: Final = re.compile(r"^[A-Z]{1,3}[0-9]+$")
# What separates the codes from the reason: `# noqa: DJM202 -- why`, `# noqa: DJM202: why`, `# noqa: DJM202 - why`.
_REASON_SEPARATORS: Final = " \t-\u2013\u2014:;,.#"


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
    return sys.intern(name) if module in _DJANGO_OPERATION_MODULES else None


def extract_facts(
    tree: ast.Module, path: str, *, app_label: str | None = None, source: str | None = None
) -> MigrationFacts | None:
    """The facts of a migration module, or None when ``path``/``tree`` is not a migration.

    Without ``app_label``, the file must sit in a folder named ``migrations`` and its app is that folder's parent;
    the project pass, which knows an app's ``AppConfig.label`` and ``MIGRATION_MODULES``, passes the label.
    ``source``: the text ``tree`` was parsed from, for its comments (the AST keeps none); without it the comments
    are unknown (the file at ``path`` is not read again: an editor's unsaved buffer is not the file)."""
    folder, file_name = os.path.split(path)
    if app_label is None:
        # `is_migration_path`, with the parts of the path it splits off kept for the app label.
        if not (is_migration_module_name(file_name) and os.path.basename(folder) == "migrations"):
            return None
        app_label = os.path.basename(os.path.dirname(folder))
    elif file_name == "__init__.py":
        return None
    migration_class = find_migration_class(tree.body)
    if migration_class is None:
        return None
    imports = Imports.collect(tree, app_label)
    module = ModuleNames.read(tree, os.path.abspath(path))
    classes = ProjectClasses(read_files=True)
    statements = _class_assignments(migration_class.body)
    builder = _MigrationBuilder(imports, module, _class_bindings(statements), classes)
    builder.read_class(migration_class, statements)
    if "atomic" not in builder.fields:
        builder.fields["atomic"] = inherited_atomic(module, migration_class, classes)
    functions = {
        node.name: read_function(imports, node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    functions.update(builder.lambdas)
    if may_reach_live_models(imports, tree):
        handed = handed_functions(builder.fields.get("operations", ()), builder.fields.get("operations_complete", True))
        live_models = find_live_models(imports, tree, path, handed=handed)
    else:
        live_models = LiveModels((), False)
    return MigrationFacts(
        path=path,
        app_label=app_label,
        name=sys.intern(file_name[: -len(".py")]),  # shared with the dependencies naming it
        line=migration_class.lineno,
        col=migration_class.col_offset,
        functions=functions,
        live_models=live_models.uses,
        suppressions=read_suppressions(source),
        reads_other_files=classes.looked_outside or builder.read_other_files or live_models.read_models_modules,
        **builder.fields,
    )


def handed_functions(operations: Iterable[Operation], complete: bool) -> set[str] | None:
    """The names the operations hand over as values (``RunPython(forwards)``, ``partial(forwards, ...)``, a
    callable ``default=``): the module's functions among them run while the migration does. None when what an
    operation is handed cannot be read (operations not all read, a ``RunPython`` or unknown operation given an
    expression), so that any function may run."""
    if not complete:
        return None
    names: set[str] = set()
    for op in operations:
        for value in op.params.values():
            if not _collect_refs(value, names) and op.kind in ("RunPython", None):
                return None
    return names


def _collect_refs(value: Value, names: set[str]) -> bool:
    """Add the names ``value`` refers to (and the callees of its calls) to ``names``; False when part of it is
    unknown."""
    if isinstance(value, Ref):
        names.add(value.path.partition(".")[0])
    elif isinstance(value, Call):
        if value.func is not None:
            names.add(value.func.partition(".")[0])
        known = all([_collect_refs(item, names) for item in value.args])
        return all([_collect_refs(item, names) for item in value.kwargs.values()]) and known
    elif isinstance(value, tuple):
        return all([_collect_refs(item, names) for item in value])
    return value is not UNKNOWN


def read_suppressions(source: str | None) -> tuple[Suppression, ...] | None:
    """The ``# noqa`` comments of a module, with the codes each names and the reason written after them; None when
    the source is unknown or does not tokenize."""
    if source is None:
        return None
    if "noqa" not in source.lower():
        return ()  # most migrations: tokenizing them would be most of the cost
    found: list[Suppression] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            match = NOQA_INLINE_REGEXP.search(token.string) if token.type == tokenize.COMMENT else None
            if match is None:
                continue
            words = [word for word in re.split(r"[,\s]+", match.group("codes") or "") if word]
            codes = tuple(word for word in words if _CODE.match(word))
            rest = " ".join([*(word for word in words if not _CODE.match(word)), token.string[match.end():]])
            reason = " ".join(rest.split()).lstrip(_REASON_SEPARATORS)
            found.append(Suppression(codes, reason, token.start[0], token.start[1] + match.start()))
    except (tokenize.TokenError, SyntaxError):
        return None
    return tuple(found)


def find_migration_class(body: Iterable[ast.stmt]) -> ast.ClassDef | None:
    """The first module-level ``class Migration``, also inside ``if``/``else`` and ``try`` blocks."""
    body = list(body)
    for node in body:  # nearly always found before any block, without a generator per block
        if isinstance(node, (ast.If, ast.Try)):
            break
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            return node
    return next(
        (node for node in module_level_statements(body) if isinstance(node, ast.ClassDef) and node.name == "Migration"),
        None,
    )


class _Absent:
    """An attribute that the class body does not set: inherited from its bases."""

    __slots__ = ()


_ABSENT: Final = _Absent()


def class_flag(body: list[ast.stmt], name: str) -> bool | None | _Absent:
    """A boolean attribute as the class body sets it: the literal of its last assignment, None when that is not
    a literal or runs only on some paths (inside ``if``/``try``), ``_ABSENT`` when the body does not set it."""
    value: bool | None | _Absent = _ABSENT
    for statement, conditional in _class_statements(body, False):
        target, assigned = _assignment(statement)
        if target == name and assigned is not None:
            constant = assigned.value if isinstance(assigned, ast.Constant) else None
            value = constant if isinstance(constant, bool) and not conditional else None
    return value


# How a class's ancestors are named while linearizing: a project class by (file, name), Django's Migration and
# ``object`` by these keys.
_ClassKey = tuple[str, str]
_DJANGO_KEY: Final = ("", "django.db.migrations.Migration")
_OBJECT_KEY: Final = ("", "object")


def inherited_atomic(module: ModuleNames, node: ast.ClassDef, classes: ProjectClasses) -> bool | None:
    """The ``atomic`` a ``Migration`` class that does not set it inherits: from the first class in its method
    resolution order that sets it, Django's ``Migration`` (True) included. None when an ancestor cannot be read
    (not found, not a plain name, a cycle, too deep) or none of them is Django's ``Migration``."""
    if len(node.bases) == 1:
        # Nearly every migration: `class Migration(migrations.Migration)`, after `from django.db import migrations`
        # (seen first without building what `_base_class` answers with).
        base = node.bases[0]
        if (
            isinstance(base, ast.Attribute) and base.attr == "Migration" and isinstance(base.value, ast.Name)
            and module.imports.get(base.value.id) == (0, "django.db.migrations")
        ) or _base_class(module, base, classes) == _DJANGO_KEY:
            return True
    try:
        definitions: dict[_ClassKey, ClassDefinition] = {}
        order = _linearize(ClassDefinition(module, node), classes, definitions, (), 0)
    except (OSError, ValueError, RecursionError):
        return None
    for key in order or ():
        if key == _DJANGO_KEY:
            return True
        definition = definitions.get(key)
        flag = class_flag(definition.node.body, "atomic") if definition is not None else _ABSENT
        if not isinstance(flag, _Absent):
            return flag
    return None


def _linearize(
    definition: ClassDefinition, classes: ProjectClasses, definitions: dict[_ClassKey, ClassDefinition],
    resolving: tuple[_ClassKey, ...], depth: int,
) -> list[_ClassKey] | None:
    """Python's C3 method resolution order of a class, as keys; None when an ancestor cannot be known."""
    key = definition.key
    if key in resolving or depth > _MAX_ANCESTORS:
        return None  # a class among its own ancestors: Python refuses it, and so the answer is unknown
    definitions[key] = definition
    bases: list[_ClassKey] = []
    orders: list[list[_ClassKey]] = []
    for written in definition.node.bases:
        base = _base_class(definition.module, written, classes)
        if base is None:
            return None
        if isinstance(base, ClassDefinition):
            order = _linearize(base, classes, definitions, (*resolving, key), depth + 1)
            if order is None:
                return None
        else:
            order = [base] if base == _OBJECT_KEY else [base, _OBJECT_KEY]
        bases.append(order[0])
        orders.append(order)
    merged = _c3_merge([*orders, bases] if bases else [[_OBJECT_KEY]])
    return None if merged is None else [key, *merged]


def _base_class(module: ModuleNames, written: ast.expr, classes: ProjectClasses) -> ClassDefinition | _ClassKey | None:
    found = module.resolve_base(written)
    if not isinstance(found, Origin):
        return found
    if not found.level and found.dotted in _DJANGO_MIGRATION:
        return _DJANGO_KEY
    if not found.level and found.dotted == "builtins.object":
        return _OBJECT_KEY
    if not found.level and found.dotted.partition(".")[0] == "django":
        return None  # another of Django's classes: not something a Migration class inherits from
    return classes.find(found)


def _c3_merge(sequences: list[list[_ClassKey]]) -> list[_ClassKey] | None:
    """The merge step of C3 linearization; None where Python raises "Cannot create a consistent MRO"."""
    pending = [list(sequence) for sequence in sequences if sequence]
    merged: list[_ClassKey] = []
    while pending:
        head = next((s[0] for s in pending if not any(s[0] in other[1:] for other in pending)), None)
        if head is None:
            return None
        merged.append(head)
        pending = [rest for rest in ((s[1:] if s[0] == head else s) for s in pending) if rest]
    return merged


def _class_statements(body: list[ast.stmt], conditional: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """The statements of a class body with whether each runs only on some paths: those in ``if``/``try`` blocks
    do, those in a ``with`` block always run."""
    for statement in body:
        if isinstance(statement, (ast.If, ast.Try, ast.With)):
            blocks = [statement.body]
            if isinstance(statement, ast.If):
                blocks.append(statement.orelse)
            elif isinstance(statement, ast.Try):
                blocks += [*(handler.body for handler in statement.handlers), statement.orelse, statement.finalbody]
            for block in blocks:
                yield from _class_statements(block, conditional or not isinstance(statement, ast.With))
        else:
            yield statement, conditional


# A name the class body binds: each value it is assigned with whether that runs only on some paths, or None when it
# is bound otherwise too (`ops += [...]`, a loop, `ops.append(...)`), so that its value is not known.
_ClassBinding = tuple[tuple[ast.expr, bool], ...] | None


# A statement of a class body, whether it runs only on some paths, and the name and value it assigns (``_assignment``).
_ClassStatement = tuple[ast.stmt, bool, str | None, ast.expr | None]


def _class_assignments(body: list[ast.stmt]) -> list[_ClassStatement]:
    """``_class_statements`` with each one's ``_assignment``: worked out once for the passes that need both."""
    return [
        (statement, conditional, *_assignment(statement)) for statement, conditional in _class_statements(body, False)
    ]


def _class_bindings(statements: Iterable[_ClassStatement]) -> dict[str, _ClassBinding]:
    """The names a class body (its ``_class_assignments``) binds, which its own expressions see before the module's,
    with their values."""
    bindings: dict[str, _ClassBinding] = {}
    for statement, conditional, target, value in statements:
        if target is not None and value is not None:
            known = bindings.get(target, ())
            bindings[target] = None if known is None else (*known, (value, conditional))
            continue
        for name in _other_bindings(statement):
            bindings[name] = None
    return bindings


def _other_bindings(statement: ast.stmt) -> Iterator[str]:
    """The names a statement binds or changes in place other than by ``name = value``."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name
        return
    yield from changed_names(statement)  # `ops = ...`, `ops.append(...)`, `for op in ...`


class _MigrationBuilder:
    """Reads the attributes of the ``Migration`` class body."""

    def __init__(
        self, imports: Imports, module: ModuleNames, class_bindings: dict[str, _ClassBinding],
        classes: ProjectClasses | None = None,
    ) -> None:
        self.imports = imports
        self.module = module
        self.classes = classes if classes is not None else ProjectClasses(read_files=False)
        self.read_other_files = False  # an operation's class was read from another module of the project
        self.operation_classes: dict[str, tuple[str, frozenset[str]] | None] = {}
        # Names the class body binds: they hide module-level ones of that name (`database_operations =
        # database_operations` in a `SeparateDatabaseAndState` of the class body names the class's list).
        self.class_bindings = class_bindings
        self.fields: dict[str, Any] = {}
        self.lambdas: dict[str, FunctionFacts] = {}

    def read_class(self, node: ast.ClassDef, statements: list[_ClassStatement] | None = None) -> None:
        """``statements``: the class body's ``_class_assignments``, when the caller has them already."""
        self._read_body(statements if statements is not None else _class_assignments(node.body))

    def _read_body(self, statements: list[_ClassStatement]) -> None:
        """Assignments in the class body. One inside ``if``/``try`` (``if connection.vendor == ...``) depends on
        how the code runs: its values from every branch are kept, but the attribute is marked not complete.
        ``initial`` and ``atomic`` are read as ``class_flag`` reads them, in the same pass."""
        flags: dict[str, bool | None] = {}
        for statement, conditional, target, value in statements:
            if target is None or value is None:
                continue
            if target in ("dependencies", "run_before", "replaces"):
                entries, complete = self._dependency_list(value)
                if target != "replaces" and not conditional:
                    self._malformed(target, value)
                self._assign(target, entries, complete, conditional)
                if target == "dependencies":
                    self.fields.setdefault("dependencies_site", Site(statement.lineno, statement.col_offset))
            elif target == "operations":
                try:
                    operations, complete = self._operations(value, "both", conditional)
                except RecursionError:
                    operations, complete = [], False  # `[] + [] + ...` nested deeper than the recursion limit
                self._assign(target, tuple(operations), complete, conditional)
            elif target in ("safe", "stage") and not conditional:
                self.fields["deploy_stage"] = self._deploy_stage(value)
            elif target in ("initial", "atomic"):
                constant = value.value if isinstance(value, ast.Constant) else None
                flags[target] = constant if isinstance(constant, bool) and not conditional else None
        for flag in ("initial", "atomic"):
            if flag in flags:
                self.fields[flag] = flags[flag]

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
            app, name = _literal(node.elts[0]), _literal(node.elts[1])
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

    def _operations(
        self, value: ast.expr, side: str, conditional: bool, seen: frozenset[str] = frozenset()
    ) -> tuple[list[Operation], bool]:
        """The operations a list expression holds, and whether that is all of them. Lists joined with ``+`` or
        unpacked with ``*``, module-level lists named in them, and both branches of ``a if X else b`` are read;
        a branch's operations are conditional and make the list not complete."""
        if isinstance(value, ast.IfExp):
            chosen, _ = self._operations(value.body, side, True, seen)
            otherwise, _ = self._operations(value.orelse, side, True, seen)
            return [*chosen, *otherwise], False
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            left, left_complete = self._operations(value.left, side, conditional, seen)
            right, right_complete = self._operations(value.right, side, conditional, seen)
            return [*left, *right], left_complete and right_complete
        if isinstance(value, ast.Name):
            return self._named_list(value.id, side, conditional, seen)
        if not isinstance(value, (ast.List, ast.Tuple)):
            return [], False
        operations: list[Operation] = []
        complete = True
        for element in value.elts:
            if isinstance(element, ast.Starred):
                unpacked, unpacked_complete = self._operations(element.value, side, conditional, seen)
                operations.extend(unpacked)
                complete = complete and unpacked_complete
                continue
            if not isinstance(element, ast.Call):
                complete = False
                continue
            operation, nested, known = self._operation(element, side, conditional)
            operations.append(operation)
            complete = complete and known
            for name, node in nested.items():
                inner_side = "database" if name == "database_operations" else "state"
                inner_side = inner_side if side == "both" else side
                inner, inner_complete = self._operations(node, inner_side, conditional, seen)
                operations.extend(inner)
                complete = complete and inner_complete
        return operations, complete

    def _operation(
        self, element: ast.Call, side: str, conditional: bool
    ) -> tuple[Operation, dict[str, ast.expr], bool]:
        """One operation call, the operation lists nested in it, and whether its arguments are all known."""
        func = self.imports.resolve(element.func)
        kind = operation_kind(func)
        overrides: frozenset[str] = frozenset()
        if kind is None and func is not None:
            # A class of the project deriving from one of Django's operations is read as that operation, less what
            # it overrides (`class LoggedSQL(migrations.RunSQL)` runs its `sql` as RunSQL does).
            derived = self._project_operation(element.func, func)
            if derived is not None:
                kind, overrides = derived
        names = _SIGNATURES.get(kind or "", ())
        params: dict[str, Value] = {}
        nested: dict[str, ast.expr] = {}
        positional = element.args
        for index, argument in enumerate(positional):
            if isinstance(argument, ast.Starred):
                positional = positional[:index]  # what follows `*args` has no known parameter
                break
        keywords = element.keywords
        unpacked = len(positional) < len(element.args) or any([k.arg is None for k in keywords])
        arguments = [*zip(names, positional), *[(k.arg, k.value) for k in keywords if k.arg]]
        for name, node in arguments:
            if name in ("database_operations", "state_operations"):
                nested[name] = node
            elif kind == "RunPython" and name in ("code", "reverse_code") and isinstance(node, ast.Lambda):
                params[name] = self._lambda(node)
            else:
                params[name] = _value_or_unknown(node, self.imports)
        if unpacked:
            # `*args` or `**kwargs` may pass any parameter not written out: unknown, never taken as absent.
            given = {name for name, _ in arguments}
            params.update((name, UNKNOWN) for name in names if name not in given)
        known = kind is None or not (unpacked or len(element.args) > len(names))
        if overrides:
            kind, params, nested, known = _less_overridden(kind, names, params, nested, known, overrides)
        operation = Operation(kind, func, element.lineno, element.col_offset, params, side, conditional)
        return operation, nested, known

    def _project_operation(self, written: ast.expr, func: str) -> tuple[str, frozenset[str]] | None:
        """The Django operation a class of the project derives from, and the members the class (or a class of the
        project between it and Django's) overrides; None when the callee is no such class, or its ancestry cannot
        be read. Only a module found in the project is read, and then the facts depend on it."""
        if func in self.operation_classes:
            return self.operation_classes[func]
        found = self.module.resolve_base(written)
        if isinstance(found, Origin):
            found = self._class_of(found)
        derived: tuple[str, frozenset[str]] | None = None
        if isinstance(found, ClassDefinition):
            try:
                ancestry = self._operation_ancestry(found, 0)
            except (OSError, ValueError, RecursionError):
                ancestry = None
            if ancestry is not None and ancestry[0] is not None:
                derived = (ancestry[0], ancestry[1])
        self.operation_classes[func] = derived
        return derived

    def _class_of(self, origin: Origin) -> ClassDefinition | None:
        """The class an imported name stands for, when its module is one of the project's (a third-party
        operation's module is not in the project: nothing is read, and the facts do not depend on it)."""
        if not origin.level and origin.dotted.partition(".")[0] == "django":
            return None
        module_name = origin.dotted.rpartition(".")[0]
        if origin.importer is None:
            return None
        if locate_module(module_name, origin.level, os.path.dirname(os.path.abspath(origin.importer))) is None:
            return None
        self.read_other_files = True
        return self.classes.find(origin)

    def _operation_ancestry(self, definition: ClassDefinition, depth: int) -> tuple[str | None, frozenset[str]] | None:
        """(the Django operation among the class's ancestors, or None; the members the project's classes among
        them define); None when an ancestor cannot be read or is one of Django's classes that is no operation."""
        if depth > _MAX_ANCESTORS:
            return None
        kind: str | None = None
        overrides = set(_overridden_members(definition.node))
        for written in definition.node.bases:
            base = definition.module.resolve_base(written)
            if isinstance(base, Origin):
                if not base.level and base.dotted == "builtins.object":
                    continue
                django_kind = operation_kind(base.dotted) if not base.level else None
                if django_kind is not None:
                    kind = kind or django_kind
                    continue
                base = self._class_of(base)
            if base is None:
                return None  # unknown, or another of Django's classes (`Operation` itself): not modelled
            inner = self._operation_ancestry(base, depth + 1)
            if inner is None:
                return None
            kind = kind or inner[0]
            overrides |= inner[1]
        return kind, frozenset(overrides)

    def _named_list(
        self, name: str, side: str, conditional: bool, seen: frozenset[str]
    ) -> tuple[list[Operation], bool]:
        """The operations of a list named in ``operations`` (``operations = base + [...]``) or in an operation
        (``SeparateDatabaseAndState(database_operations=database_operations)``): the class body's list of that
        name, else the module's. One assigned in ``if``/``try`` blocks, or more than once, gives the operations of
        every assignment, conditional."""
        if name in self.class_bindings:
            # `name` in a class body names the class's own binding (assigned before it, or the class fails to load).
            assignments = self.class_bindings[name] or ()
        else:
            assignments = self.module.assignments.get(name, ())
        if not assignments or name in seen or len(seen) > _MAX_LIST_HOPS:
            return [], False
        several = len(assignments) > 1
        operations: list[Operation] = []
        complete = not several
        for value, inside_block in assignments:
            found, found_complete = self._operations(
                value, side, conditional or several or inside_block, seen | {name}
            )
            operations.extend(found)
            complete = complete and found_complete and not inside_block
        return operations, complete


# The methods a subclass may wrap without changing what its operation does, as long as it calls the parent's.
_WRAPPABLE: Final = frozenset({"database_forwards", "database_backwards", "state_forwards"})


def _overridden_members(node: ast.ClassDef) -> Iterator[str]:
    """The members a class body defines: its methods (not one of ``_WRAPPABLE`` that always calls the parent's
    method of the same name, e.g. to log around it) and its attributes."""
    for statement, _ in _class_statements(node.body, False):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if statement.name not in _WRAPPABLE or not _always_calls_super(statement):
                yield statement.name
        else:
            yield from _other_bindings(statement)


def _always_calls_super(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the method calls ``super().<its name>(...)`` in a statement that always runs (not in a branch, a
    loop or an exception handler; a ``with`` block and a ``try`` body or ``finally`` count)."""
    statements: list[ast.stmt] = list(function.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            statements.extend(statement.body)
        elif isinstance(statement, ast.Try):
            statements.extend([*statement.body, *statement.finalbody])
        elif isinstance(statement, (ast.Expr, ast.Return, ast.Assign)) and statement.value is not None:
            for node in ast.walk(statement.value):
                if (
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == function.name and isinstance(node.func.value, ast.Call)
                    and isinstance(node.func.value.func, ast.Name) and node.func.value.func.id == "super"
                ):
                    return True
    return False


# What a subclass's override hides of a Django operation, by the member overridden: the parameters that are no longer
# what runs (RunSQL's `sql` when it overrides `database_forwards`).
_HIDDEN_PARAMETERS: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "RunSQL": {"database_forwards": ("sql",), "database_backwards": ("reverse_sql",), "reversible": ("reverse_sql",)},
    "RunPython": {
        "database_forwards": ("code",), "database_backwards": ("reverse_code",), "reversible": ("reverse_code",),
    },
}


def _less_overridden(
    kind: str | None, names: tuple[str, ...], params: dict[str, Value], nested: dict[str, ast.expr], known: bool,
    overrides: frozenset[str],
) -> tuple[str | None, dict[str, Value], dict[str, ast.expr], bool]:
    """An operation of a project's subclass less what the subclass overrides: its own ``__init__`` makes every
    parameter unknown (it may take and pass them on differently), its own ``state_forwards`` (or, but for RunSQL's
    and RunPython's, ``database_forwards``) makes it an unknown operation, and the other members hide the
    parameters ``_HIDDEN_PARAMETERS`` names."""
    hidden = _HIDDEN_PARAMETERS.get(kind or "", {})
    if "state_forwards" in overrides or ("database_forwards" in overrides and "database_forwards" not in hidden):
        return None, params, {}, known
    if "__init__" in overrides or "__new__" in overrides:
        return kind, dict.fromkeys([*names, *params], UNKNOWN), {}, False  # in the order written, every process
    params = dict(params)
    for member in overrides:
        params.update((name, UNKNOWN) for name in hidden.get(member, ()))
    return kind, params, nested, known


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _literal(node: ast.expr) -> Value:
    if isinstance(node, ast.Constant) and node.value is not Ellipsis:
        value = node.value
        # Names of apps, models, fields and migrations recur in every migration that mentions them: one string each.
        return sys.intern(value) if type(value) is str and len(value) <= _INTERNED_LENGTH else value
    return UNKNOWN


_INTERNED_LENGTH: Final = 100


def _value_or_unknown(node: ast.expr, imports: Imports) -> Value:
    try:
        return _value(node, imports)
    except RecursionError:
        return UNKNOWN  # a literal nested deeper than the recursion limit: not worth knowing


def _value(node: ast.expr, imports: Imports) -> Value:
    # Types compared by identity, the commonest first, and loops rather than comprehensions (a frame each): this runs
    # for every argument of every operation. ``expr`` is the same node, untyped: each branch has checked its type.
    expr: Any = node
    kind = type(node)
    if kind is ast.Constant:
        value = expr.value
        if value is Ellipsis:
            return UNKNOWN
        # Names of apps, models, fields and migrations recur in every migration that mentions them: one string each.
        return sys.intern(value) if type(value) is str and len(value) <= _INTERNED_LENGTH else value
    if kind is ast.Call:
        kwargs: dict[str, Value] = {}
        unpacked = False
        for keyword in expr.keywords:
            if keyword.arg:
                kwargs[keyword.arg] = _value(keyword.value, imports)
            elif keyword.arg is None:
                unpacked = True
        if unpacked:
            kwargs["**"] = UNKNOWN
        arguments: list[Value] = []
        for argument in expr.args:
            arguments.append(_value(argument, imports))
        return Call(imports.resolve(expr.func), tuple(arguments), kwargs, expr.lineno, expr.col_offset)
    if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
        elements: list[Value] = []
        for element in expr.elts:
            elements.append(_value(element, imports))
        return tuple(elements)
    if kind is ast.Name or kind is ast.Attribute:
        path = imports.resolve(node)
        return Ref(path) if path is not None else UNKNOWN
    if kind is ast.Dict:
        # Only the keys matter to rules (options, lookups); values are kept when they are plain.
        items: list[Value] = []
        for key, value in zip(expr.keys, expr.values):
            if key:
                items.append((_value(key, imports), _value(value, imports)))
        return tuple(items)
    if kind is ast.UnaryOp and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant):
        operand = expr.operand.value
        return -operand if isinstance(operand, (int, float)) else UNKNOWN
    return UNKNOWN

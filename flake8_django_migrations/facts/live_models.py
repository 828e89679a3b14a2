"""Find live models: app models imported into a migration and used as models, and global model registries.

Whether an imported name that is only instantiated is a model (or a custom field) needs its models module:
``model_inference`` parses it with astroid, imported only when that question comes up.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Final

from flake8_django_migrations.facts.functions import MANAGER_ATTRIBUTES, function_locals
from flake8_django_migrations.facts.model import LiveModelUse
from flake8_django_migrations.facts.names import Imports

# Not app models modules: importing these is how migrations are meant to be written.
_FRAMEWORK_MODELS_MODULES: Final = frozenset({"django.db.models", "django.contrib.gis.db.models"})
_MODEL_ATTRIBUTES: Final = MANAGER_ATTRIBUTES | {"_meta"}
_SCOPE_BOUNDARIES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope in source order: everything below ``node`` but the insides of nested functions.

    An explicit stack: recursive generators cost a frame per level for every node they pass up."""
    stack = list(ast.iter_child_nodes(node))[::-1]
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, _SCOPE_BOUNDARIES):
            stack.extend(list(ast.iter_child_nodes(child))[::-1])


def _scopes(node: ast.AST, shadowed: frozenset[str]) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Each scope (the module, every function and lambda) with the names that shadow the module's imports in it."""
    todo = [(node, shadowed)]
    while todo:
        scope, names = todo.pop()
        yield scope, names
        todo.extend(
            (child, names | function_locals(child))
            for child in _scope_nodes(scope)
            if isinstance(child, _SCOPE_BOUNDARIES)
        )


# What a migration imports when it reaches today's models through a registry instead of an app's models module.
_LIVE_REGISTRIES: Final = ("django.contrib.auth", "django.apps")
_UseOfModel = tuple[str, str, str, bool]  # (binding, qualified model, evidence, is an instantiation)


def find_live_models(imports: Imports, tree: ast.Module, path: str) -> tuple[LiveModelUse, ...]:
    return tuple(_LiveModelFinder(imports, tree, path).find())


class _LiveModelFinder:
    """Finds live models: app models imported into the migration and used as models, and global registries."""

    def __init__(self, imports: Imports, tree: ast.Module, path: str) -> None:
        self.imports = imports
        self.tree = tree
        self.path = path
        self.live = {name: target for name, target in imports.bindings.items() if _is_live_models_path(target)}
        # `import app.models` binds `app`: uses through it are matched against the dotted import itself.
        self.dotted_imports = [key for key in imports.sites if "." in key and _is_live_models_path(key)]

    def find(self) -> Iterator[LiveModelUse]:
        imported = [*self.imports.bindings.values(), *self.imports.sites]
        registries = any(target.startswith(_LIVE_REGISTRIES) for target in imported)
        if not (self.live or self.dotted_imports or registries):
            return  # the common case: the module imports nothing that can reach a live model
        reported: set[str] = set()
        instantiated: dict[str, tuple[str, str]] = {}
        for scope, shadowed in _scopes(self.tree, frozenset()):
            for node in _scope_nodes(scope):
                if isinstance(node, ast.Call):
                    registry = self._registry_call(node, shadowed)
                    if registry is not None:
                        yield registry
                use = self._model_use(node, shadowed)
                if use is None:
                    continue
                binding, model, evidence, is_instantiation = use
                if is_instantiation:
                    instantiated.setdefault(binding, (model, evidence))
                elif binding not in reported:
                    reported.add(binding)
                    yield self._report(binding, model, evidence)
        for binding, (model, evidence) in instantiated.items():
            if binding not in reported and self._is_model_class(model):
                yield self._report(binding, model, evidence + "(...)")

    def _report(self, binding: str, model: str, evidence: str) -> LiveModelUse:
        site = self.imports.sites[binding]
        return LiveModelUse(binding, model, site.line, site.col, evidence)

    def _registry_call(self, node: ast.Call, shadowed: frozenset[str]) -> LiveModelUse | None:
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return None
        resolved = self.imports.resolve(node.func, shadowed)
        if resolved == "django.contrib.auth.get_user_model":
            model = "settings.AUTH_USER_MODEL"
        elif resolved == "django.apps.apps.get_model":
            arguments = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            model = ".".join(arguments) if arguments and len(arguments) == len(node.args) else "..."
        else:
            return None
        written = ast.unparse(node.func)
        return LiveModelUse(written, model, node.lineno, node.col_offset, f"{written}(...)")

    def _model_use(self, node: ast.AST, shadowed: frozenset[str]) -> _UseOfModel | None:
        if isinstance(node, ast.Attribute) and node.attr in _MODEL_ATTRIBUTES:
            model, is_instantiation = node.value, False
        elif isinstance(node, ast.Call):
            model, is_instantiation = node.func, True
        else:
            return None
        parts: list[str] = []
        while isinstance(model, ast.Attribute):
            parts.append(model.attr)
            model = model.value
        if not isinstance(model, ast.Name) or model.id in shadowed:
            return None
        written = [model.id, *reversed(parts)]
        if model.id in self.live:
            binding, full = model.id, [*self.live[model.id].split("."), *written[1:]]
        else:
            dotted = ".".join(written)
            binding = next((key for key in self.dotted_imports if dotted.startswith(key + ".")), "")
            if not binding or self.imports.bindings.get(model.id) != model.id:
                return None
            full = written
        models_at = len(full) - 1 - full[::-1].index("models")
        rest = full[models_at + 1 :]
        if not rest:
            return None  # the models module itself
        evidence = ast.unparse(node.func if isinstance(node, ast.Call) else node)
        return binding, ".".join(full), evidence, is_instantiation

    def _is_model_class(self, qualified: str) -> bool:
        from flake8_django_migrations.facts import model_inference  # astroid is loaded only when this is needed

        module, _, name = qualified.rpartition(".")
        return model_inference.is_model_class(module, name, self.path) is True


def _is_live_models_path(target: str) -> bool:
    """Whether a dotted path is, or is inside, an app's models module (not Django's model API)."""
    parts = target.split(".")
    if "models" not in parts:
        return False
    models_at = len(parts) - 1 - parts[::-1].index("models")
    module = ".".join(parts[: models_at + 1])
    return module not in _FRAMEWORK_MODELS_MODULES

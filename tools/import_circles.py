"""Find the import circles of ``flake8_django_migrations``, and the imports that point up its layers.

Why: a circle makes import order matter (a module runs while its partner is half initialised) and welds layers
together; the design wants every arrow to point one way: front ends (cli, plugin, output) -> run -> registry and
rules -> project, facts, settings. Every module is read with ``ast``, nothing imported, and every import of another
module of the package counts wherever it is written: at the top, inside a function (lazy imports are common here),
under ``if TYPE_CHECKING:`` (a type-only import still ties two modules). ``from pkg.project import cache`` names
``project/cache.py`` when ``cache`` is a submodule, else ``project/__init__.py``; a package names its
``__init__.py``; relative imports are resolved. Importing ``a.b.c`` also runs ``a/__init__.py`` and
``a/b/__init__.py``, but only the named module counts: with the parents, every package's ``__init__`` would join a
circle with whatever it imports. Imports made through ``importlib`` are not seen.

Prints each circle (a strongly connected component of more than one module, found with Tarjan's algorithm, or a
module importing itself) and each forbidden arrow, with the lines of the imports that make them; ``N import
circles`` is the last line. Exits 1 when there is either. Usage: ``python tools/import_circles.py [PACKAGE_DIR]``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "flake8_django_migrations"
# The bottom layers must not know the layers built on them (a folder ends with "/", a module is named whole).
LOWER_LAYERS = ("project/", "facts/")
UPPER_LAYERS = ("rules/", "output/", "plugin.py", "cli.py", "registry.py", "run.py")

Edges = dict[tuple[str, str], list[int]]  # (importer, imported), as paths under the package -> import lines


class ImportStructure(NamedTuple):
    edges: Edges
    circles: list[list[str]]
    forbidden_arrows: list[tuple[str, str]]

    def report_lines(self) -> list[str]:
        def arrows(pairs: list[tuple[str, str]]) -> list[str]:
            return [f"  {a} -> {b}: line{'s' if len(self.edges[a, b]) > 1 else ''} "
                    + ", ".join(map(str, self.edges[a, b])) for a, b in pairs]

        lines: list[str] = []
        for circle in self.circles:
            lines.append(f"circle: {', '.join(circle)}")
            lines += arrows(sorted(pair for pair in self.edges if pair[0] in circle and pair[1] in circle))
        if self.forbidden_arrows:
            lines.append(f"forbidden arrows ({', '.join(LOWER_LAYERS)} must not import {', '.join(UPPER_LAYERS)}):")
            lines += arrows(self.forbidden_arrows)
        return [*lines, f"{len(self.forbidden_arrows)} forbidden arrows", f"{len(self.circles)} import circles"]


def _module_paths(package_dir: Path) -> dict[str, str]:
    """Dotted name -> path under the package: ``pkg.project`` -> ``project/__init__.py``."""
    modules: dict[str, str] = {}
    for file in package_dir.rglob("*.py"):
        path = file.relative_to(package_dir).as_posix()
        parts = [package_dir.name, *path.removesuffix(".py").split("/")]
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported(node: ast.Import | ast.ImportFrom, importer: str, modules: dict[str, str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (modules[alias.name] for alias in node.names if alias.name in modules)
        return
    base = node.module or ""
    if node.level:
        package = importer.split(".")[: None if modules[importer].endswith("__init__.py") else -1]
        if node.level > len(package):
            return  # climbs out of the package: not one of its modules
        base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            yield modules[f"{base}.{alias.name}"]
        elif base in modules:
            yield modules[base]


def import_edges(package_dir: Path) -> Edges:
    modules = _module_paths(package_dir)
    edges: dict[tuple[str, str], set[int]] = {}
    for name, path in sorted(modules.items()):
        tree = ast.parse((package_dir / path).read_text(encoding="utf-8"), filename=str(package_dir / path))
        for node in ast.walk(tree):  # every scope and branch: lazy and TYPE_CHECKING imports included
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for imported in _imported(node, name, modules):
                    edges.setdefault((path, imported), set()).add(node.lineno)
    return {pair: sorted(lines) for pair, lines in edges.items()}


def _strongly_connected(edges: Edges) -> list[list[str]]:
    """Tarjan's algorithm; recursing is fine at the depth of one package's modules."""
    successors: dict[str, list[str]] = {}
    for importer, imported in sorted(edges):
        successors.setdefault(importer, []).append(imported)
        successors.setdefault(imported, [])
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}  # the smallest index reachable that is still on the stack
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for successor in successors[module]:
            if successor not in index:
                visit(successor)
                lowest[module] = min(lowest[module], lowest[successor])
            elif successor in stack:
                lowest[module] = min(lowest[module], index[successor])
        if lowest[module] == index[module]:  # the root of a component: all above it on the stack belong to it
            component = stack[stack.index(module):]
            del stack[stack.index(module):]
            components.append(sorted(component))

    for module in successors:
        if module not in index:
            visit(module)
    return components


def _in_layer(path: str, layers: tuple[str, ...]) -> bool:
    return any(path.startswith(layer) if layer.endswith("/") else path == layer for layer in layers)


def check_imports(package_dir: Path = PACKAGE_DIR) -> ImportStructure:
    edges = import_edges(package_dir)
    circles = [c for c in _strongly_connected(edges) if len(c) > 1 or (c[0], c[0]) in edges]
    forbidden = sorted(pair for pair in edges if _in_layer(pair[0], LOWER_LAYERS) and _in_layer(pair[1], UPPER_LAYERS))
    return ImportStructure(edges, sorted(circles), forbidden)


def main(argv: list[str]) -> int:
    structure = check_imports(Path(argv[0]) if argv else PACKAGE_DIR)
    print("\n".join(structure.report_lines()))
    return 1 if structure.circles or structure.forbidden_arrows else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

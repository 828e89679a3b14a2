"""The package's imports form no circle and point down its layers only (``tools/import_circles.py`` says why),
and that checker itself finds a circle and an upward arrow where there are some."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

_SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "import_circles.py"


def _load_checker() -> ModuleType:
    # tools/ is not a package and is not installed: load the script from its file.
    spec = importlib.util.spec_from_file_location("import_circles", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


import_circles = _load_checker()


def test_the_package_has_no_import_circle_and_no_upward_import() -> None:
    structure = import_circles.check_imports()
    assert structure.edges, "no import found: is PACKAGE_DIR the package?"
    assert not structure.circles and not structure.forbidden_arrows, "\n".join(structure.report_lines())


def test_the_checker_finds_a_lazy_circle_and_a_type_only_upward_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def later():\n    from .a import something\n",
        "project/__init__.py": "",
        "project/index.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.rules.rule import Rule\n",
        "rules/__init__.py": "",
        "rules/rule.py": "import pkg.project\n",  # the package, not index.py: an arrow down, no circle
    }
    for path, text in files.items():
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text(text)

    structure = import_circles.check_imports(package)

    assert structure.circles == [["a.py", "b.py"]]
    assert structure.edges[("b.py", "a.py")] == [2]
    assert structure.forbidden_arrows == [("project/index.py", "rules/rule.py")]
    assert ("rules/rule.py", "project/__init__.py") in structure.edges
    assert import_circles.main([str(package)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert "  b.py -> a.py: line 2" in printed
    assert "  project/index.py -> rules/rule.py: line 3" in printed
    assert printed[-1] == "1 import circles"

"""Bad input gets a clear message or is skipped, never a traceback: a plugin crash aborts the user's flake8 run."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import django
import pytest

from flake8_django_migrations.facts import UNKNOWN, extract_facts
from flake8_django_migrations.registry import check_facts
from flake8_django_migrations.settings import Settings
from tests.flake8_runner import parse_output, run_flake8


def _write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "__init__.py").touch()  # a migrations package, as Django requires
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


BAD_FILES: dict[str, str | bytes] = {
    "syntax_error": "from django.db import migrations\n\nclass Migration(migrations.Migration)\n    pass\n",
    "empty": "",
    "no_operations": "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    pass\n",
    "dynamic": (
        "from django.db import migrations\n"
        "from shop.helpers import deps, ops, make_op\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = deps('orders') + [('orders', '0001_initial')]\n"
        "    run_before = [x for x in deps()]\n"
        "    replaces = compute()\n"
        "    initial = is_initial()\n"
        "    atomic = not True\n"
        "    operations = ops() + [make_op(), migrations.RunPython(*ARGS, **KWARGS)]\n"
    ),
    "latin1_with_cookie": (
        "# -*- coding: latin-1 -*-\nfrom django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.RunSQL('UPDATE t SET name = \xe9')]\n"
    ).encode("latin-1"),
    "invalid_utf8": b"from django.db import migrations\n# \xff\xfe broken\nclass Migration(migrations.Migration):\n"
    b"    operations = []\n",
    "null_bytes": b"from django.db import migrations\x00\n",
    "deeply_nested": "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    "    operations = [" + "(" * 90 + "1" + ")" * 90 + "]\n",
    "weird_but_valid": (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies: list = [('a',), ('a', 'b', 'c'), ('a', 1), None, 'x']\n"
        "    dependencies = dependencies\n"
        "    operations = [lambda: 1, None, migrations.RunPython(), migrations.AddField(),\n"
        "                  migrations.RemoveField(1, 2)]\n"
        "    operations[0] = 1\n"
        "    safe = Safe\n"
        "    stage = 'POST_DEPLOY'\n"
    ),
}


def test_no_traceback_through_flake8(tmp_path: Path) -> None:
    for name, content in BAD_FILES.items():
        _write(tmp_path, f"orders/migrations/0002_{name}.py", content)
    result = run_flake8("--isolated", "--select", "DJM,E9", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    findings = parse_output(result.stdout)
    by_file = {Path(path).stem: code for path, _, _, code in findings}
    assert by_file["0002_syntax_error"] == "E999"
    assert by_file["0002_latin1_with_cookie"] == "DJM102"  # decoded with its cookie and checked like any file
    assert [(line, code) for path, line, _, code in findings if "syntax_error" in path] == [(3, "E999")]
    assert not any(code.startswith("DJM") for path, _, _, code in findings if "syntax_error" in path)


@pytest.mark.parametrize("name", [n for n, c in BAD_FILES.items() if isinstance(c, str) and n != "syntax_error"])
def test_facts_of_odd_files_are_safe(name: str) -> None:
    source = BAD_FILES[name]
    assert isinstance(source, str)
    facts = extract_facts(ast.parse(source), f"orders/migrations/0002_{name}.py")
    if facts is None:
        assert name == "empty"
        return
    assert pickle.loads(pickle.dumps(facts)) == facts
    list(check_facts(facts, Settings()))


def test_unknown_values_are_marked_not_guessed() -> None:
    source = BAD_FILES["dynamic"]
    assert isinstance(source, str)
    facts = extract_facts(ast.parse(source), "orders/migrations/0002_dynamic.py")
    assert facts is not None
    assert not facts.dependencies_complete and not facts.run_before_complete and not facts.replaces_complete
    assert facts.initial is None and facts.atomic is None
    assert not facts.operations_complete
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    findings = list(check_facts(facts, Settings()))
    # RunPython(*ARGS, **KWARGS) may have a reverse: no DJM101 on a guess; atomic is unknown: no DJM104.
    assert [f.code for f in findings] == []


def _python_files_of_django() -> list[Path]:
    return sorted(Path(django.__file__).parent.rglob("*.py"))


def test_every_file_of_django_itself_as_a_migration() -> None:
    """Django's ~900 modules, each linted as if it were a migration: no exception from facts or rules."""
    checked = 0
    for path in _python_files_of_django():
        try:
            tree = ast.parse(path.read_bytes())
        except SyntaxError:
            continue  # Django ships template files named .py that are not Python
        facts = extract_facts(tree, f"/nonexistent/app/migrations/{path.stem}.py")
        if facts is not None:
            list(check_facts(facts, Settings()))
        checked += 1
    assert checked > 500


def test_djangos_own_migrations_are_clean() -> None:
    """Django's contrib migrations are the reference for healthy migrations: no finding but the deliberate ones."""
    found = []
    for path in sorted(Path(django.__file__).parent.glob("contrib/*/migrations/0*.py")):
        facts = extract_facts(ast.parse(path.read_bytes()), str(path))
        assert facts is not None, path
        found.extend(
            (path.parent.parent.name, path.stem, f.code)
            for f in check_facts(facts, Settings())
            if f.code in ("DJM101", "DJM102", "DJM103", "DJM105", "DJM301", "DJM306")
        )
    # contenttypes 0002 is a known RunPython without reverse in Django itself? It is not: assert the exact list.
    assert found == []


def test_symlink_loops_and_dangling_links(tmp_path: Path) -> None:
    """Discovery does not follow symlinked folders (a loop would never end) and a dangling link is skipped."""
    project = tmp_path / "project"
    initial = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
    _write(project, "manage.py", "")
    _write(project, "shop/migrations/__init__.py", "")
    _write(project, "shop/migrations/0001_initial.py", initial)
    (project / "shop" / "loop").symlink_to(project, target_is_directory=True)
    (project / "alias_app").symlink_to(project / "shop", target_is_directory=True)
    (project / "shop" / "migrations" / "0002_gone.py").symlink_to(tmp_path / "nowhere.py")
    flake8 = run_flake8("--isolated", "--select", "DJM", ".", cwd=project)
    assert "Traceback" not in flake8.stderr and "internal error" not in flake8.stderr
    assert not any(code.startswith("DJM") for *_, code in parse_output(flake8.stdout))
    command = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check", "--djm-no-cache", "."],
        cwd=project, capture_output=True, text=True, timeout=120,
    )
    # The dangling link is a file flake8 cannot read (its E902); the command says the same, and nothing else.
    assert command.returncode == 1, command.stdout + command.stderr
    assert [line.split(": ")[1].split()[0] for line in command.stdout.splitlines()] == ["E902"], command.stdout
    assert "0002_gone.py" in command.stdout and "Traceback" not in command.stderr

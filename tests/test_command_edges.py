"""The command at its edges: a Python file named outside any migrations package, flake8's default excludes below a
folder reached through a link, the exact text of flake8's own codes, its help and version, ``python -m`` without
side effects on import, and the docs generator on a fresh checkout."""

from __future__ import annotations

import ast
import io
import runpy
from pathlib import Path

import packaging.version
import pytest

import flake8_django_migrations
from flake8_django_migrations import docs
from flake8_django_migrations.cli import main
from flake8_django_migrations.registry import RULES

RUN_PYTHON_WITHOUT_REVERSE = '''from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    operations = [migrations.RunPython(forwards)]
'''


def check(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(["check", "--djm-no-cache", *argv], stdout=out)
    return status, out.getvalue()


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, source in {"manage.py": "", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_a_python_file_named_outside_any_migrations_package_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flake8 checks every file it is given; so does the command, and flake8's own codes have no hint after them."""
    source = "def broken(:\n"
    root = write(tmp_path, {"scripts/broken.py": source, "shop/__init__.py": "", "shop/migrations/__init__.py": ""})
    monkeypatch.chdir(root)
    with pytest.raises(SyntaxError) as error:
        ast.parse(source)
    assert error.value.offset is not None
    expected = f"scripts/broken.py:{error.value.lineno}:{error.value.offset + 1}: E999 SyntaxError: {error.value.msg}\n"
    assert check("scripts/broken.py") == (1, expected)


def test_flake8s_default_excludes_hold_below_a_folder_named_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discovery does not walk a folder reached through a link, so the command walks it for the paths it is given,
    skipping what flake8 skips by default (``.nox``, ``__pycache__``, ...): flake8 reports nothing there."""
    write(tmp_path / "real", {
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0002_x.py": RUN_PYTHON_WITHOUT_REVERSE,
        ".nox/lib/shop/migrations/0002_x.py": RUN_PYTHON_WITHOUT_REVERSE,
        "__pycache__/shop/migrations/0002_x.py": RUN_PYTHON_WITHOUT_REVERSE,
    })
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    finding = RULES["DJM101"].finding("link/shop/migrations/0002_x.py", 9, 18, code="forwards")
    assert check("link") == (1, f"{finding.path}:9:19: {finding.text}\n")


def test_check_help_shows_what_each_option_takes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--djm-project-root PATH, --project-root PATH" in help_text
    assert "--djm-app-label PATH=LABEL, --app-label PATH=LABEL" in help_text
    assert "--select CODES" in help_text


def test_the_version_is_a_release_version_and_the_command_says_it(capsys: pytest.CaptureFixture[str]) -> None:
    """pip refuses to build a package whose version is not PEP 440."""
    version = packaging.version.Version(flake8_django_migrations.__version__)
    assert str(version) == flake8_django_migrations.__version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"django-migrations-lint {version}\n"


def test_importing_the_dunder_main_module_runs_nothing() -> None:
    """Documentation tools import every module; only ``python -m`` runs the command."""
    namespace = runpy.run_module("flake8_django_migrations.__main__", run_name="flake8_django_migrations.__main__")
    assert namespace["main"] is main


def test_the_docs_generator_writes_a_fresh_checkout(tmp_path: Path) -> None:
    """``python -m flake8_django_migrations.docs ROOT`` makes ``docs/rules/`` and fills the README's table."""
    (tmp_path / "README.md").write_text(f"# x\n\n{docs.TABLE_START}\nold\n{docs.TABLE_END}\n", encoding="utf-8")
    assert docs.main(tmp_path) == 0
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert written == ["README.md", *(f"docs/rules/{code}.md" for code in sorted(RULES))]
    assert (tmp_path / "docs" / "rules" / "DJM101.md").read_text(encoding="utf-8") == docs.render_rule(RULES["DJM101"])
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == f"# x\n\n{docs.render_table()}\n"


def test_a_second_byte_order_mark_is_stripped_as_flake8_strips_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's decoder removes one BOM and flake8 the one after it; what follows is the module, to the letter."""
    source = RUN_PYTHON_WITHOUT_REVERSE.encode("utf-8-sig")
    write(tmp_path, {"shop/__init__.py": "", "shop/migrations/__init__.py": ""})
    (tmp_path / "shop" / "migrations" / "0002_x.py").write_bytes(b"\xef\xbb\xbf" + source)
    monkeypatch.chdir(tmp_path)
    finding = RULES["DJM101"].finding("shop/migrations/0002_x.py", 9, 18, code="forwards")
    assert check(".") == (1, f"{finding.path}:9:19: {finding.text}\n")


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    """`django-migrations-lint check --format sarif . | head -1`: the pipe closes early; no traceback follows."""
    import subprocess
    import sys
    import textwrap

    (tmp_path / "manage.py").write_text("")
    package = tmp_path / "shop" / "migrations"
    package.mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for number in range(1, 40):
        previous = f'[("shop", "{number - 1:04d}_m")]' if number > 1 else "[]"
        (package / f"{number:04d}_m.py").write_text(textwrap.dedent(f"""\
            from django.db import migrations


            class Migration(migrations.Migration):
                dependencies = {previous}
                operations = [migrations.RunPython(lambda apps, schema_editor: None)]
            """))
    script = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-m', 'flake8_django_migrations', 'check', '--djm-no-cache',"
        " '--format', 'sarif', '.'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "child.stdout.read(10); child.stdout.close()\n"
        "sys.stderr.write(child.stderr.read().decode()); sys.exit(child.wait())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr

"""An editor's run (flake8 on one file) serves an unchanged file's per-file findings from the cache, without
importing the facts or the rules, and never serves them for other text, other settings or another folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# flake8 on the arguments, then which of our heavy modules the run imported (on standard error).
_PROBE = """
import sys
from flake8.main.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
heavy = sorted(m for m in ("flake8_django_migrations.facts", "flake8_django_migrations.registry") if m in sys.modules)
print("imported:" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""

_MIGRATION = '''from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards)]
'''

_INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [migrations.CreateModel("Item", [("id", models.AutoField(primary_key=True))])]
'''


def _project(root: Path) -> Path:
    (root / "manage.py").write_text("")
    folder = root / "shop" / "migrations"
    folder.mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text(_INITIAL)
    target = folder / "0002_data.py"
    target.write_text(_MIGRATION)
    return target


def _flake8(*args: str, cwd: Path) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), done.stderr
    imported = [line for line in done.stderr.splitlines() if line.startswith("imported:")]
    return done.stdout, imported[-1].partition(":")[2]


def test_unchanged_file_is_served_without_facts_or_rules(tmp_path: Path) -> None:
    target = _project(tmp_path)
    cache = str(tmp_path / "cache")
    relative = str(target.relative_to(tmp_path))
    first, imported_first = _flake8("--djm-cache-dir", cache, relative, cwd=tmp_path)
    assert "DJM101" in first
    assert imported_first  # the first run extracted the facts and ran the rules
    second, imported_second = _flake8("--djm-cache-dir", cache, relative, cwd=tmp_path)
    assert second == first
    assert imported_second == ""
    uncached, _ = _flake8("--djm-no-cache", relative, cwd=tmp_path)
    assert uncached == first


def test_changed_text_or_settings_are_not_served_stale(tmp_path: Path) -> None:
    target = _project(tmp_path)
    cache = str(tmp_path / "cache")
    relative = str(target.relative_to(tmp_path))
    _flake8("--djm-cache-dir", cache, relative, cwd=tmp_path)
    # Another selection: the findings differ, and are not those stored under the first settings.
    ignored, _ = _flake8("--djm-cache-dir", cache, "--extend-ignore", "DJM101", relative, cwd=tmp_path)
    assert "DJM101" not in ignored
    # The same size and a reverse function: the text changed, so its findings are worked out again.
    target.write_text(_MIGRATION.replace("RunPython(forwards)", "RunPython(forwards, forwards)"))
    fixed, imported = _flake8("--djm-cache-dir", cache, relative, cwd=tmp_path)
    assert "DJM101" not in fixed
    assert imported
    # An editor's buffer on standard input that is not the saved file: read as given, never from the cache.
    buffer = subprocess.run(
        [sys.executable, "-m", "flake8", "--djm-cache-dir", cache, "--stdin-display-name", relative, "-"],
        cwd=tmp_path, input=_MIGRATION, capture_output=True, text=True, timeout=300,
    )
    assert "DJM101" in buffer.stdout


def test_a_tree_run_writes_no_entry_per_file(tmp_path: Path) -> None:
    _project(tmp_path)
    cache = tmp_path / "cache"

    def entries() -> set[str]:
        # Entries are stored by key, in a folder named by the key's first two characters; the project's setup
        # ("setup-...", project/setup.py) is kept once its files are two seconds old, which a slow machine reaches.
        return {path.name for path in cache.rglob("*") if path.is_file() and path.parent.name != "se"}

    _flake8("--djm-cache-dir", str(cache), "shop", cwd=tmp_path)
    before = entries()
    _flake8("--djm-cache-dir", str(cache), "shop/migrations/0001_initial.py", cwd=tmp_path)
    assert len(entries() - before) == 1  # the one file's per-file findings; the tree run stored none per file


def test_editing_a_file_again_and_again_replaces_its_entry(tmp_path: Path) -> None:
    # An editor lints after every edit: one entry per file, not one per version of its text.
    target = _project(tmp_path)
    cache = tmp_path / "cache"
    relative = str(target.relative_to(tmp_path))

    def one_file_entries() -> set[str]:
        # Entries are stored by key, in a folder named by the key's first two characters: "file-..." -> "fi/le-...".
        return {path.name for path in cache.rglob("*") if path.is_file() and path.parent.name == "fi"}

    _flake8("--djm-cache-dir", str(cache), relative, cwd=tmp_path)
    first = one_file_entries()
    assert len(first) == 1
    for edit in range(4):
        target.write_text(_MIGRATION + f"# edit {edit}\n")
        found, _ = _flake8("--djm-cache-dir", str(cache), relative, cwd=tmp_path)
        assert "DJM101" in found
    assert one_file_entries() == first

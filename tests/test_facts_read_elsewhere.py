"""Facts also read from other files (a models module that tells a live model from a function, a base class's
module) are kept on disk with the stamp of every file and folder they were read from (project/cache.py): served
while none changed, read again after any change that could change them.

Before, they were worked out again in every process: on a project with a dozen such migrations (saleor) an editor's
run on one file spent half a second in them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flake8_django_migrations import files
from flake8_django_migrations.facts import model_inference, names
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project.cache import FactsCache

LIVE_MODEL_MIGRATION = '''\
from django.db import migrations

from shop.models import Thing


def forwards(apps, schema_editor):
    Thing()


class Migration(migrations.Migration):

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
'''
MODEL = "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n"
FUNCTION = "def Thing():\n    return 1\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Files made a moment ago are not kept (a change in the same tick of the clock would not show): every change
    # below is made after a pause longer than that tick.
    monkeypatch.setattr(files, "_SETTLED_NS", 0)
    shop = tmp_path / "src" / "shop"
    (shop / "migrations").mkdir(parents=True)
    (shop / "__init__.py").write_text("")
    (shop / "migrations" / "__init__.py").write_text("")
    (shop / "models.py").write_text(MODEL)
    (shop / "migrations" / "0002_thing.py").write_text(LIVE_MODEL_MIGRATION)
    return tmp_path


def _live_models(root: Path) -> list[str]:
    """What a new process reads: no memory of this one's."""
    model_inference.clear_cache()
    names.clear_module_cache()
    facts = FactsCache(str(root / "cache")).facts_for(str(root / "src/shop/migrations/0002_thing.py"))
    assert facts is not None and facts.reads_other_files
    return [use.name for use in facts.live_models]


def _pause() -> None:
    time.sleep(0.05)


def test_facts_read_from_a_models_module_are_served_from_disk(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _live_models(project) == ["Thing"]

    def extracted(*args: object, **kwargs: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(cache_module, "extract_facts", extracted)
    assert _live_models(project) == ["Thing"]


@pytest.mark.parametrize("change", [
    "the models module edited",
    "a module of the same name nearer the migration",
    "the models module removed",
])
def test_facts_read_from_other_files_are_read_again_after_a_change(project: Path, change: str) -> None:
    assert _live_models(project) == ["Thing"]
    _pause()
    if change == "the models module edited":
        (project / "src/shop/models.py").write_text(FUNCTION)
    elif change == "a module of the same name nearer the migration":
        # `shop.models` is looked for from the migration's folder upwards: one there now wins.
        (project / "src/shop/migrations/shop").mkdir()
        (project / "src/shop/migrations/shop/models.py").write_text(FUNCTION)
    else:
        (project / "src/shop/models.py").unlink()
    _pause()
    assert _live_models(project) == []


def test_facts_read_from_files_changed_a_moment_ago_are_not_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_SETTLED_NS", 3600 * 10**9)  # everything here is "a moment ago"
    assert _live_models(project) == ["Thing"]
    calls: list[str] = []
    real = cache_module.extract_facts

    def counted(*args: object, **kwargs: object) -> object:
        calls.append("extract")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "extract_facts", counted)
    assert _live_models(project) == ["Thing"]
    assert calls == ["extract"]


# flake8 on the arguments with nothing taken as changed a moment ago, then whether the run read the models module
# (with astroid, which only that imports).
_PROBE = """
import sys
from flake8_django_migrations import files
files._SETTLED_NS = 0
from flake8.main.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print("models module read:", "astroid" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _flake8(root: Path) -> tuple[list[str], bool]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--djm-cache-dir", str(root / "cache"), "shop/migrations/0002_thing.py"],
        cwd=root / "src", capture_output=True, text=True, timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    codes = [line.split()[1] for line in done.stdout.splitlines()]
    return [code for code in codes if code.startswith("DJM")], "models module read: True" in done.stderr


def test_an_editor_run_serves_findings_read_from_a_models_module_until_it_changes(project: Path) -> None:
    (project / "src" / "manage.py").write_text("")
    _pause()
    first, extracted = _flake8(project)
    assert "DJM103" in first and extracted  # the live model
    _pause()
    again, extracted = _flake8(project)
    assert again == first and not extracted
    (project / "src/shop/models.py").write_text(FUNCTION)
    _pause()
    after, extracted = _flake8(project)
    assert "DJM103" not in after and extracted

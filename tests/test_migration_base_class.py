"""A ``Migration`` class's ``atomic`` inherited from a base class of the project, found statically.

sentry's migrations subclass ``CheckedMigration`` (``atomic = False``) from ``sentry.new_migrations.migrations``;
other projects import a ``NonAtomicMigration`` from a module of their own. The base is found from the migration's
path (relative imports from its folder, absolute ones by walking up to the folder holding the top-level package),
never imported; whatever cannot be read makes ``atomic`` unknown (None), and DJM104/DJM206 stay silent.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.facts import MigrationFacts, extract_facts
from flake8_django_migrations.facts import names as names_module
from flake8_django_migrations.facts.names import locate_module
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.registry import check_facts
from flake8_django_migrations.settings import Settings

CONCURRENT = (
    "from django.contrib.postgres.operations import AddIndexConcurrently\n"
    "from django.db import migrations, models\n"
    "{imports}\n\n\n"
    "class Migration({base}):\n"
    "    dependencies = [('replays', '0001_initial')]\n"
    "    operations = [AddIndexConcurrently('replay', models.Index(fields=['a'], name='replay_a_idx'))]\n"
)
NON_ATOMIC_BASE = (
    "from django.db.migrations import Migration\n\n\n"
    "class CheckedMigration(Migration):\n"
    "    atomic = False\n"
    "    checked = True\n"
)


@pytest.fixture(autouse=True)
def _fresh_module_cache() -> Iterator[None]:
    names_module.clear_module_cache()
    yield
    names_module.clear_module_cache()


def write(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def facts_of(path: Path) -> MigrationFacts:
    facts = extract_facts(ast.parse(path.read_text(encoding="utf-8")), str(path))
    assert facts is not None
    return facts


def sentry_tree(root: Path, base_module: str = NON_ATOMIC_BASE, base: str = "CheckedMigration") -> Path:
    """sentry's layout: ``src/sentry`` holds the base module, its own migrations and other apps' migrations."""
    write(root, {
        "src/sentry/__init__.py": "",
        "src/sentry/new_migrations/__init__.py": "",
        "src/sentry/new_migrations/migrations.py": base_module,
        "src/sentry/replays/__init__.py": "",
        "src/sentry/replays/migrations/__init__.py": "",
        "src/sentry/replays/migrations/0002_index.py": CONCURRENT.format(
            imports="\nfrom sentry.new_migrations.migrations import CheckedMigration", base=base
        ),
    })
    return root / "src/sentry/replays/migrations/0002_index.py"


# Finding the base --------------------------------------------------------------------------------------------


def test_absolute_import_found_by_walking_up_to_the_top_level_package(tmp_path: Path) -> None:
    migration = sentry_tree(tmp_path)
    assert facts_of(migration).atomic is False
    assert [f.code for f in check_facts(facts_of(migration), Settings()) if f.code == "DJM206"] == []


def test_relative_import_from_the_app_package(tmp_path: Path) -> None:
    write(tmp_path, {
        "shop/__init__.py": "",
        "shop/base.py": (
            "from django.db import migrations\n\n\n"
            "class NonAtomicMigration(migrations.Migration):\n"
            "    atomic = False\n"
        ),
        "shop/migrations/__init__.py": "",
        "shop/migrations/0002_index.py": CONCURRENT.format(
            imports="from ..base import NonAtomicMigration", base="NonAtomicMigration"
        ),
    })
    assert facts_of(tmp_path / "shop/migrations/0002_index.py").atomic is False


def test_a_base_re_exported_by_a_package_and_its_own_base_in_a_third_module(tmp_path: Path) -> None:
    """``from core.db import Base`` where ``core/db/__init__.py`` re-exports it from ``core/db/bases.py``, whose
    class inherits ``atomic = False`` from ``core/db/non_atomic.py`` by a relative import."""
    write(tmp_path, {
        "core/__init__.py": "",
        "core/db/__init__.py": "from core.db.bases import Base\n",
        "core/db/bases.py": "from .non_atomic import NonAtomic\n\n\nclass Base(NonAtomic):\n    checked = True\n",
        "core/db/non_atomic.py": (
            "import django.db.migrations as m\n\n\nclass NonAtomic(m.Migration):\n    atomic = False\n"
        ),
        "shop/migrations/0002_index.py": CONCURRENT.format(imports="from core.db import Base", base="Base"),
    })
    assert facts_of(tmp_path / "shop/migrations/0002_index.py").atomic is False


def test_a_base_that_inherits_djangos_default_is_atomic(tmp_path: Path) -> None:
    migration = sentry_tree(tmp_path, NON_ATOMIC_BASE.replace("    atomic = False\n", ""))
    facts = facts_of(migration)
    assert facts.atomic is True
    assert [(f.code, f.line) for f in check_facts(facts, Settings()) if f.code == "DJM206"] == [("DJM206", 9)]


def test_the_class_itself_overrides_its_base(tmp_path: Path) -> None:
    migration = sentry_tree(tmp_path)
    migration.write_text(migration.read_text().replace("    dependencies", "    atomic = True\n    dependencies"))
    assert facts_of(migration).atomic is True


@pytest.mark.parametrize("base_module", [
    pytest.param("from django.db.migrations import Migration\n\nclass CheckedMigration(Migration)\n", id="syntax"),
    pytest.param("from somewhere import Migration\n\n\nclass CheckedMigration(Migration):\n    pass\n",
                 id="base_of_the_base_not_found"),
    pytest.param("from django.db import migrations\n\nCheckedMigration = migrations.Migration\n", id="an_alias"),
    pytest.param(
        "from django.db import migrations\n\n\n"
        "try:\n    class CheckedMigration(migrations.Migration):\n        atomic = False\n"
        "except ImportError:\n    class CheckedMigration(migrations.Migration):\n        pass\n",
        id="defined_in_try",
    ),
    pytest.param(
        "from django.db import migrations\n\n\n"
        "class CheckedMigration(migrations.Migration):\n    atomic = bool(0)\n",
        id="not_a_literal",
    ),
])
def test_a_base_that_cannot_be_read_makes_atomic_unknown(tmp_path: Path, base_module: str) -> None:
    facts = facts_of(sentry_tree(tmp_path, base_module))
    assert facts.atomic is None
    assert [f.code for f in check_facts(facts, Settings()) if f.code in ("DJM104", "DJM206")] == []


def test_a_module_not_found_makes_atomic_unknown(tmp_path: Path) -> None:
    migration = sentry_tree(tmp_path)
    (tmp_path / "src/sentry/new_migrations/migrations.py").unlink()
    assert facts_of(migration).atomic is None


def test_a_cycle_of_bases_across_modules_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, {
        "core/__init__.py": "",
        "core/a.py": "from core.b import B\n\n\nclass A(B):\n    pass\n",
        "core/b.py": "from core.a import A\n\n\nclass B(A):\n    pass\n",
        "shop/migrations/0002_index.py": CONCURRENT.format(imports="from core.a import A", base="A"),
    })
    assert facts_of(tmp_path / "shop/migrations/0002_index.py").atomic is None


def test_a_re_export_cycle_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, {
        "core/__init__.py": "",
        "core/a.py": "from core.b import Base\n",
        "core/b.py": "from core.a import Base\n",
        "shop/migrations/0002_index.py": CONCURRENT.format(imports="from core.a import Base", base="Base"),
    })
    assert facts_of(tmp_path / "shop/migrations/0002_index.py").atomic is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_base_module_that_is_a_fifo_is_unknown_and_never_blocks(tmp_path: Path) -> None:
    migration = sentry_tree(tmp_path)
    base = tmp_path / "src/sentry/new_migrations/migrations.py"
    base.unlink()
    os.mkfifo(base)
    assert facts_of(migration).atomic is None


def test_inconsistent_method_resolution_order_is_unknown(tmp_path: Path) -> None:
    """``class Migration(migrations.Migration, NonAtomic)`` where ``NonAtomic`` subclasses Django's class: Python
    refuses to create it, so nothing is claimed about it."""
    source = (
        "from django.db import migrations\n\n\n"
        "class NonAtomic(migrations.Migration):\n    atomic = False\n\n\n"
        "class Migration(migrations.Migration, NonAtomic):\n    operations = []\n"
    )
    facts = extract_facts(ast.parse(source), "shop/migrations/0002_x.py")
    assert facts is not None and facts.atomic is None


def test_djangos_class_named_through_a_package_imported_twice() -> None:
    source = (
        "import django.db.migrations\nimport django.utils.timezone\n\n\n"
        "class Migration(django.db.migrations.Migration):\n    operations = []\n"
    )
    facts = extract_facts(ast.parse(source), "shop/migrations/0002_x.py")
    assert facts is not None and facts.atomic is True


def test_locate_module_relative_and_absolute(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/pkg/__init__.py": "",
        "src/pkg/sub/__init__.py": "",
        "src/pkg/sub/mod.py": "",
        "src/pkg/app/migrations/__init__.py": "",
    })
    folder = str(tmp_path / "src/pkg/app/migrations")
    assert locate_module("pkg.sub.mod", 0, folder) == str(tmp_path / "src/pkg/sub/mod.py")
    assert locate_module("pkg.sub", 0, folder) == str(tmp_path / "src/pkg/sub/__init__.py")
    assert locate_module("sub.mod", 3, folder) == str(tmp_path / "src/pkg/sub/mod.py")
    assert locate_module("", 1, folder) == str(tmp_path / "src/pkg/app/migrations/__init__.py")
    assert locate_module("pkg.missing", 0, folder) is None
    assert locate_module("", 0, folder) is None


# The facts cache never serves an inherited `atomic` stale ----------------------------------------------------


def _counting_extract(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    extracted: list[str] = []
    real = cache_module.extract_facts

    def counting(tree: ast.Module, path: str, **kwargs: Any) -> MigrationFacts | None:
        extracted.append(os.path.basename(path))
        return real(tree, path, **kwargs)

    monkeypatch.setattr(cache_module, "extract_facts", counting)
    return extracted


def test_an_edit_of_the_base_module_is_seen_by_a_warm_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    migration = str(sentry_tree(tmp_path / "project"))
    base = tmp_path / "project/src/sentry/new_migrations/migrations.py"
    cache_dir = str(tmp_path / "cache")
    assert FactsCache(cache_dir).facts_for(migration).atomic is False  # type: ignore[union-attr]
    base.write_text(NON_ATOMIC_BASE.replace("atomic = False", "atomic = True"), encoding="utf-8")
    os.utime(base, ns=(1, 1))  # another stamp even on a coarse clock
    extracted = _counting_extract(monkeypatch)
    assert FactsCache(cache_dir).facts_for(migration).atomic is True  # type: ignore[union-attr]
    assert extracted == ["0002_index.py"]


def test_migrations_that_read_no_other_module_stay_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = sentry_tree(tmp_path / "project").parent
    own = CONCURRENT.format(imports="from sentry.new_migrations.migrations import CheckedMigration",
                            base="CheckedMigration").replace("    dependencies", "    atomic = False\n    dependencies")
    local = CONCURRENT.format(imports="", base="Local").replace(
        "class Migration", "class Local(migrations.Migration):\n    atomic = False\n\n\nclass Migration")
    write(root, {"0003_own.py": own, "0004_local.py": local})
    paths = [str(root / name) for name in ("0002_index.py", "0003_own.py", "0004_local.py")]
    cache_dir = str(tmp_path / "cache")
    first = FactsCache(cache_dir).facts_for_files(paths, complete=True)
    extracted = _counting_extract(monkeypatch)
    second = FactsCache(cache_dir).facts_for_files(paths, complete=True)
    assert first == second
    assert [facts.atomic for facts in second.values() if facts is not None] == [False, False, False]
    assert extracted == ["0002_index.py"]  # only the one whose atomic comes from another module

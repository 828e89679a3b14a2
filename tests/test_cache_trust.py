"""What the cache serves is what this user's runs wrote, about the files as they are now.

A repository may name the cache folder (``djm-cache-dir`` in its setup.cfg) and ship entries in it, which a clone
gives the user's ownership and modes: they must not be served. And project findings that depend on facts read from
another file (the base class a migration's ``atomic`` comes from) must follow that file.
"""

from __future__ import annotations

import io
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations import cli
from flake8_django_migrations.facts import MigrationFacts, extract_facts
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project import index as index_module
from flake8_django_migrations.project.cache import FactsCache, default_cache_dir
from flake8_django_migrations.source import parse_source
from tests.flake8_runner import run_flake8

INIT = (
    "from django.db import migrations, models\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    initial = True\n\n"
    "    operations = [\n"
    '        migrations.CreateModel("Invoice", [("id", models.AutoField(primary_key=True)),'
    ' ("note", models.TextField())]),\n'
    "    ]\n"
)
DROP = (
    "from django.db import migrations\n\n\n"
    "class Migration(migrations.Migration):\n"
    '    dependencies = [("shop", "0001_initial")]\n\n'
    '    operations = [migrations.DeleteModel("Invoice")]\n'
)
HARMLESS = DROP.replace('migrations.DeleteModel("Invoice")', "")


def write_project(root: Path, files: dict[str, str]) -> Path:
    for relative, text in {"manage.py": "", "shop/__init__.py": "", "shop/migrations/__init__.py": "", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def check(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(["check", *argv], stdout=out), out.getvalue()


# A cache folder the repository names ----------------------------------------------------------------------------


@pytest.fixture
def cloned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone whose setup.cfg keeps the cache in the repository, and whose 0002 drops a table."""
    root = write_project(tmp_path / "clone", {
        "setup.cfg": "[flake8]\ndjm-cache-dir = .djm-cache\n",
        "shop/migrations/0001_initial.py": INIT,
        "shop/migrations/0002_drop.py": DROP,
    })
    monkeypatch.chdir(root)
    return root


def _facts(source: str, path: str) -> MigrationFacts:
    facts = extract_facts(parse_source(source.encode(), path), path, app_label="shop")
    assert facts is not None
    return facts


def crafted_shard(root: Path) -> tuple[FactsCache, str, dict[str, MigrationFacts]]:
    """The shard of shop/migrations as an attacker who knows where the clone will be writes it: 0001's genuine
    facts, and a harmless migration's facts under the key of 0002, which drops a table."""
    folder = root / "shop" / "migrations"
    cache = FactsCache(str(root / ".djm-cache"))
    shard = {}
    for name, served in (("0001_initial.py", INIT), ("0002_drop.py", HARMLESS)):
        path = str(folder / name)
        shard[cache._key((folder / name).read_bytes(), path, "shop")] = _facts(served, path)
    return cache, cache._shard_key(str(folder)), shard


def test_entries_a_repository_ships_in_the_cache_folder_it_names_are_not_served(cloned: Path) -> None:
    expected = check("--djm-no-cache")
    assert expected[0] == 1 and "DJM203" in expected[1]
    cache, key, shard = crafted_shard(cloned)
    # Written as the cache writes an entry: a pickle of the key and the value, with the cache's own reductions.
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = cache_module._dispatch_table()
    pickler.dump((key, shard))
    entry = Path(cache._entry(key))
    entry.parent.mkdir(parents=True)
    entry.write_bytes(buffer.getvalue())
    assert check() == expected


def test_entries_another_user_wrote_with_their_own_secret_are_not_served(
    cloned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = check("--djm-no-cache")
    assert expected[0] == 1 and "DJM203" in expected[1]
    victim_home = os.environ["XDG_CACHE_HOME"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker-home"))
    cache, key, shard = crafted_shard(cloned)
    cache._store(key, shard)  # on the attacker's machine, by this very code: an entry that verifies there
    assert cache._load(key) == shard
    monkeypatch.setenv("XDG_CACHE_HOME", victim_home)
    assert check() == expected


def test_the_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    migration = write_project(tmp_path / "src", {"shop/migrations/0002_drop.py": DROP}) / "shop/migrations/0002_drop.py"
    FactsCache(str(tmp_path / "cache")).facts_for(str(migration))
    secret = default_cache_dir() / "secret"
    status = secret.lstat()
    assert stat.S_ISREG(status.st_mode) and stat.S_IMODE(status.st_mode) == 0o600 and status.st_size == 32
    first = secret.read_bytes()
    FactsCache(str(tmp_path / "other-cache")).facts_for(str(migration))
    assert secret.read_bytes() == first


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="owners and modes as POSIX has them")
@pytest.mark.parametrize("problem", ["readable by others", "a symbolic link", "not a secret"])
def test_a_secret_that_others_could_know_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    migration = write_project(tmp_path / "src", {"shop/migrations/0002_drop.py": DROP}) / "shop/migrations/0002_drop.py"
    FactsCache(str(tmp_path / "warm")).facts_for(str(migration))
    secret = default_cache_dir() / "secret"
    if problem == "readable by others":
        secret.chmod(0o644)
    elif problem == "a symbolic link":
        (tmp_path / "known").write_bytes(secret.read_bytes())
        (tmp_path / "known").chmod(0o600)
        secret.unlink()
        secret.symlink_to(tmp_path / "known")
    else:
        secret.write_bytes(b"0" * 8)
    extracted: list[str] = []
    real = cache_module.extract_facts

    def counting(tree: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        extracted.append(path)
        return real(tree, path, *args, **kwargs)

    monkeypatch.setattr(cache_module, "extract_facts", counting)
    cold = tmp_path / "cold"
    FactsCache(str(cold)).facts_for(str(migration))
    assert FactsCache(str(tmp_path / "warm")).facts_for(str(migration)) is not None
    assert extracted == [str(migration)] * 2, "neither the warm entry nor a new one is used"
    assert not any(path.is_file() for path in cold.rglob("*")), "nothing is written"


# Facts read from another file -------------------------------------------------------------------------------------

BASE = "from django.db import migrations\n\n\nclass LockedMigration(migrations.Migration):\n    atomic = True\n"
# `SET LOCAL lock_timeout` holds for the RemoveField after it only in a transaction: whether DJM905 reports it
# depends on the `atomic` the migration inherits from shop/base.py.
INHERITING = (
    "from django.db import migrations\n\nfrom shop.base import LockedMigration\n\n\n"
    "class Migration(LockedMigration):\n"
    '    dependencies = [("shop", "0001_initial")]\n\n'
    "    operations = [\n"
    '        migrations.RunSQL("SET LOCAL lock_timeout = \'5s\'", ""),\n'
    '        migrations.RemoveField("invoice", "note"),\n'
    "    ]\n"
)


@pytest.fixture
def inheriting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path / "project", {
        "shop/base.py": BASE,
        "shop/migrations/0001_initial.py": INIT,
        "shop/migrations/0002_drop_note.py": INHERITING,
    })
    monkeypatch.chdir(root)
    return root


def _index_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    real = index_module.build_index

    def counting(discovery: Any, *rest: Any) -> index_module.ProjectIndex:
        built.append(discovery.root)
        return real(discovery, *rest)

    monkeypatch.setattr(index_module, "build_index", counting)
    return built


def test_the_command_follows_an_edit_of_the_base_class_a_migration_inherits_atomic_from(
    inheriting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ("--extend-select", "DJM905", "--djm-cache-dir", str(tmp_path / "cache"))
    first = check(*options)
    assert "DJM905" not in first[1] and "DJM202" in first[1]
    built = _index_builds(monkeypatch)
    assert check(*options) == first
    assert built == [], "nothing changed: the project findings are served from the cache"
    (inheriting / "shop" / "base.py").write_text(BASE.replace("atomic = True", "atomic = False"))
    expected = check("--extend-select", "DJM905", "--djm-no-cache")
    assert "0002_drop_note.py:11:9: DJM905" in expected[1]
    assert check(*options) == expected
    assert check(*options) == expected and len(built) == 2, "served from the cache again once stored"


def test_flake8_follows_an_edit_of_the_base_class_a_migration_inherits_atomic_from(
    inheriting: Path, tmp_path: Path
) -> None:
    options = ("--isolated", "--select", "DJM202,DJM905", "-j1")
    cached = (*options, "--djm-cache-dir", str(tmp_path / "cache"), ".")
    first = run_flake8(*cached, cwd=inheriting)
    assert first.returncode == 1 and "DJM202" in first.stdout and "DJM905" not in first.stdout, first.stderr
    assert run_flake8(*cached, cwd=inheriting).stdout == first.stdout
    (inheriting / "shop" / "base.py").write_text(BASE.replace("atomic = True", "atomic = False"))
    expected = run_flake8(*options, "--djm-no-cache", ".", cwd=inheriting)
    assert "0002_drop_note.py:11:9: DJM905" in expected.stdout, expected.stdout
    assert run_flake8(*cached, cwd=inheriting).stdout == expected.stdout

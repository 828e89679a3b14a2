"""The on-disk facts cache: hits, staleness, corruption, versions, unwritable and disabled caches, concurrency."""

from __future__ import annotations

import ast
import errno
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import flake8_django_migrations
from flake8_django_migrations import facts as facts_package
from flake8_django_migrations.facts import MigrationFacts, extract_facts
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project.cache import FactsCache, default_cache_dir
from flake8_django_migrations.source import decode_source, parse_source

MIGRATION = '''\
from django.db import migrations, models


def parse_facts(data: bytes, path: str) -> MigrationFacts | None:
    """The facts of a module's source bytes, decoded as flake8 decodes them; None when it is no migration."""
    try:
        tree = parse_source(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return extract_facts(tree, path, source=decode_source(data))


def forwards(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Product.objects.filter(note__isnull=True).update(note="")


class Migration(migrations.Migration):

    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="note",
            field=models.CharField(max_length=20, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
'''


def parse_facts(data: bytes, path: str) -> MigrationFacts | None:
    """The facts of a module's source bytes, decoded as flake8 decodes them; None when it is no migration."""
    try:
        tree = parse_source(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return extract_facts(tree, path, source=decode_source(data))


REPO_ROOT = Path(__file__).resolve().parent.parent


def write_migration(root: Path, name: str = "0002_product_note", source: str | bytes = MIGRATION) -> str:
    path = root / "shop" / "migrations" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        path.write_text(source, encoding="utf-8")
    return str(path)


def entries(cache: FactsCache) -> list[Path]:
    if not cache.directory.exists():
        return []
    return sorted(p for p in cache.directory.rglob("*") if p.is_file())


def shard_key_of(cache: FactsCache, path: str) -> str:
    return cache._shard_key(os.path.dirname(os.path.abspath(path)))


def entry_of(cache: FactsCache, path: str) -> Path:
    """The file on disk that holds the facts of ``path``: the shard of its folder."""
    return Path(cache._entry(shard_key_of(cache, path)))


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the cache had to parse (misses), in order."""
    seen: list[str] = []
    real = cache_module._parse_tree

    def counting(data: bytes, path: str) -> ast.Module | None:
        seen.append(path)
        return real(data, path)

    monkeypatch.setattr(cache_module, "_parse_tree", counting)
    return seen


def test_miss_then_hit(tmp_path: Path, parses: list[str]) -> None:
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "cache"))
    first = cache.facts_for(path)
    assert isinstance(first, MigrationFacts)
    assert (first.app_label, first.name, first.path) == ("shop", "0002_product_note", path)
    assert len(entries(cache)) == 1
    # A new instance (a new process, in real life) is served from disk.
    second = FactsCache(str(tmp_path / "cache")).facts_for(path)
    assert second == first
    assert parses == [path]


def test_facts_equal_uncached(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "cache"))
    cache.facts_for(path)
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == FactsCache(enabled=False).facts_for(path)


def test_none_results_are_cached(tmp_path: Path, parses: list[str]) -> None:
    not_a_migration = tmp_path / "src" / "shop" / "models.py"
    not_a_migration.parent.mkdir(parents=True)
    not_a_migration.write_text("x = 1\n")
    for _ in range(2):
        assert FactsCache(str(tmp_path / "cache")).facts_for(str(not_a_migration)) is None
    assert parses == [str(not_a_migration)]


def test_changed_content_with_same_size_and_mtime_is_reread(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "cache"))
    before = cache.facts_for(path)
    assert before is not None and before.operations[0].param("name") == "note"
    stat = os.stat(path)
    changed = MIGRATION.replace('name="note"', 'name="nope"')
    assert len(changed) == len(MIGRATION)
    Path(path).write_text(changed, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    after = FactsCache(str(tmp_path / "cache")).facts_for(path)
    assert after is not None and after.operations[0].param("name") == "nope"
    # And changing it back is a hit on the first entry again, not a stale "nope".
    Path(path).write_text(MIGRATION, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == before


def test_same_content_at_another_path_is_its_own_entry(tmp_path: Path) -> None:
    first = write_migration(tmp_path / "one")
    second = write_migration(tmp_path / "two")
    cache = FactsCache(str(tmp_path / "cache"))
    facts_one, facts_two = cache.facts_for(first), cache.facts_for(second)
    assert facts_one is not None and facts_two is not None
    assert (facts_one.path, facts_two.path) == (first, second)
    assert len(entries(cache)) == 2


def test_relative_path_is_passed_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_migration(tmp_path / "src")
    monkeypatch.chdir(tmp_path / "src")
    relative = os.path.join("shop", "migrations", "0002_product_note.py")
    for _ in range(2):  # the miss and the hit
        facts = FactsCache(str(tmp_path / "cache")).facts_for(relative)
        assert facts is not None and facts.path == relative


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: b"\x00\xffgarbage\x13\x37" * 10, id="garbage"),
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(lambda good: good[:-1], id="missing-stop"),
        pytest.param(lambda good: b"", id="empty"),
        pytest.param(lambda good: pickle.dumps(("another key", None)), id="other-key"),
        pytest.param(lambda good: pickle.dumps({"not": "facts"}), id="wrong-type"),
    ],
)
def test_corrupt_entry_is_ignored_and_rebuilt(
    tmp_path: Path, parses: list[str], damage: Callable[[bytes], bytes]
) -> None:
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "cache"))
    expected = cache.facts_for(path)
    entry = entry_of(cache, path)
    entry.write_bytes(damage(entry.read_bytes()))
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == expected
    assert parses == [path, path]
    # Rebuilt: the next run is a hit again.
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == expected
    assert parses == [path, path]


def test_entry_cannot_run_code(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "cache"))
    expected = cache.facts_for(path)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    key = cache._key(Path(path).read_bytes(), path)
    entry_of(cache, path).write_bytes(pickle.dumps((shard_key_of(cache, path), {key: Evil()})))
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == expected
    assert not marker.exists()


def test_cache_of_another_version_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    path = write_migration(tmp_path / "src")
    monkeypatch.setattr(flake8_django_migrations, "__version__", "0.0.1")
    old = FactsCache(str(tmp_path / "cache"))
    old.facts_for(path)
    # Poison the old version's entry: if the new version read it, it would return None.
    key = old._key(Path(path).read_bytes(), path)
    entry_of(old, path).write_bytes(pickle.dumps((shard_key_of(old, path), {key: None})))
    monkeypatch.setattr(flake8_django_migrations, "__version__", "0.0.2")
    new = FactsCache(str(tmp_path / "cache"))
    assert new.directory != old.directory
    assert isinstance(new.facts_for(path), MigrationFacts)
    assert parses == [path, path]


def test_cache_of_another_format_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = FactsCache(str(tmp_path / "cache"))
    monkeypatch.setattr(cache_module, "FORMAT", cache_module.FORMAT + 1)
    assert FactsCache(str(tmp_path / "cache")).directory != old.directory


def test_unwritable_cache_directory(tmp_path: Path, parses: list[str]) -> None:
    path = write_migration(tmp_path / "src")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cache = FactsCache(str(blocker / "cache"))  # cannot be created, even by root
    for _ in range(3):
        facts = cache.facts_for(path)
        assert facts is not None and facts.name == "0002_product_note"
    assert blocker.read_text() == "not a folder"
    assert len(parses) == 3


@pytest.mark.parametrize("failure", ["read-only folder", "read-only file system"])
def test_read_only_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str], failure: str
) -> None:
    # Root ignores permission bits, so the error the system gives everyone else is also raised by hand.
    paths = [write_migration(tmp_path / f"src{n}") for n in range(3)]  # three folders: three shards to write
    root = tmp_path / "cache"
    root.mkdir()
    if failure == "read-only file system":
        FactsCache(str(root)).facts_for(paths[0])  # written before the disk turned read-only
    before = {path: path.read_bytes() if path.is_file() else None for path in root.rglob("*")}
    refused: list[str] = []
    code = errno.EACCES if failure == "read-only folder" else errno.EROFS

    def refuse(path: str) -> None:
        refused.append(path)
        raise OSError(code, os.strerror(code), path)

    real_mkdir, real_open = os.mkdir, os.open

    def refusing_mkdir(path: str, mode: int = 0o777, *args: int, **kwargs: int) -> None:
        if os.fspath(path).startswith(str(root)):
            refuse(os.fspath(path))
        real_mkdir(path, mode, *args, **kwargs)

    def refusing_open(path: str, flags: int, *args: int, **kwargs: int) -> int:
        if flags & os.O_CREAT and os.fspath(path).startswith(str(root)):
            refuse(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refusing_mkdir)
    monkeypatch.setattr(os, "open", refusing_open)
    root.chmod(0o500)
    parses.clear()
    try:
        cache = FactsCache(str(root))
        for path in paths:
            facts = cache.facts_for(path)
            assert facts is not None and facts.name == "0002_product_note"
    finally:
        root.chmod(0o700)
    assert len(refused) == 1, "the cache kept trying to write after the first refusal"
    assert {path: path.read_bytes() if path.is_file() else None for path in root.rglob("*")} == before
    # What was written before is still read.
    assert parses == (paths if failure == "read-only folder" else paths[1:])


def test_extractor_fingerprint_covers_every_module_of_the_extractor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "facts"
    package.mkdir()
    for name in ("__init__.py", "model.py", "migration.py"):
        (package / name).write_text(f"# {name}\n")
    (package / "notes.txt").write_text("not code")
    inference = package / "model_inference.py"  # the models reader is part of the package
    inference.write_text("# inference\n")
    monkeypatch.setattr(facts_package, "__file__", str(package / "__init__.py"))
    first = cache_module._extractor_fingerprint()
    assert cache_module._extractor_fingerprint() == first
    (package / "notes.txt").write_text("still not code")
    assert cache_module._extractor_fingerprint() == first
    seen = {first}
    for path in (package / "migration.py", package / "__init__.py", inference):
        path.write_text(path.read_text() + "x = 1\n")
        seen.add(cache_module._extractor_fingerprint())
    assert len(seen) == 4, "an edit of a module did not change the fingerprint"
    # A facts module that is a single file: that file counts.
    single = tmp_path / "facts.py"
    single.write_text("# one\n")
    monkeypatch.setattr(facts_package, "__file__", str(single))
    one = cache_module._extractor_fingerprint()
    single.write_text("# two\n")
    assert cache_module._extractor_fingerprint() not in (one, *seen)


def test_cache_deleted_while_running(tmp_path: Path) -> None:
    first = write_migration(tmp_path / "src", "0002_a")
    second = write_migration(tmp_path / "src", "0003_b")
    cache = FactsCache(str(tmp_path / "cache"))
    assert cache.facts_for(first) is not None
    shutil.rmtree(tmp_path / "cache")
    assert cache.facts_for(second) is not None
    assert cache.facts_for(first) is not None


def test_disabled_cache_touches_no_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_migration(tmp_path / "src")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    opened: list[str] = []
    real_open = os.open

    def watching_open(file: str, flags: int, *args: int) -> int:
        opened.append(os.fspath(file))
        return real_open(file, flags, *args)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a disabled cache wrote to disk")

    monkeypatch.setattr(os, "open", watching_open)
    for name in ("makedirs", "mkdir", "replace", "rename", "unlink"):
        monkeypatch.setattr(os, name, forbidden)
    for directory in (str(tmp_path / "cache"), None):
        cache = FactsCache(directory, enabled=False)
        assert cache.facts_for(path) is not None
    assert opened == [path, path]
    assert not (tmp_path / "cache").exists() and not (tmp_path / "xdg").exists()


def test_default_directory_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "flake8-django-migrations"
    path = write_migration(tmp_path / "src")
    cache = FactsCache()
    assert cache.facts_for(path) is not None
    assert entries(cache) and str(entries(cache)[0]).startswith(str(tmp_path / "xdg"))
    # A relative XDG_CACHE_HOME is invalid per the spec and ignored.
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == Path.home() / ".cache" / "flake8-django-migrations"


def test_coding_cookie(tmp_path: Path) -> None:
    source = (
        "# -*- coding: latin-1 -*-\n"
        + MIGRATION.replace('name="note",', 'name="note", verbose_name="café",')
    ).replace('max_length=20, null=True', 'max_length=20, null=True, verbose_name="résumé"')
    path = write_migration(tmp_path / "src", source=source.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        Path(path).read_bytes().decode("utf-8")
    for _ in range(2):  # the miss and the hit
        facts = FactsCache(str(tmp_path / "cache")).facts_for(path)
        assert facts is not None
        field = facts.operations[0].param("field")
        assert field.kwarg("verbose_name") == "résumé"  # type: ignore[union-attr]


def test_utf8_bom(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src", source=b"\xef\xbb\xbf" + MIGRATION.encode())
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) is not None


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(MIGRATION.encode() + b"\n# \xff\xfe not utf-8\n", id="invalid-utf8"),
        pytest.param(b"# coding: no-such-codec\n" + MIGRATION.encode(), id="unknown-codec"),
        pytest.param(b"# coding: ascii\n" + MIGRATION.encode() + b"# caf\xe9\n", id="not-the-declared-codec"),
    ],
)
def test_undecodable_file_is_read_as_latin1_like_flake8(tmp_path: Path, source: bytes) -> None:
    """flake8 falls back to latin-1 when the declared or default codec fails, and lints what it reads."""
    path = write_migration(tmp_path / "src", source=source)
    facts = FactsCache(str(tmp_path / "cache")).facts_for(path)
    assert facts is not None and [op.kind for op in facts.operations] == ["AddField", "RunPython"]
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) == facts == parse_facts(source, path)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(MIGRATION.encode() + b"\x00", id="null-byte"),
        pytest.param(MIGRATION.encode() + b"\nclass (:\n", id="syntax-error"),
        pytest.param(b"x = " + b"(" * 200_000 + b")" * 200_000 + b"\n", id="too-many-parentheses"),
        pytest.param(b"x = " + b"-" * 200_000 + b"1\n", id="too-deep"),
    ],
)
def test_unparsable_file_gives_none(tmp_path: Path, source: bytes) -> None:
    path = write_migration(tmp_path / "src", source=source)
    for _ in range(2):
        assert FactsCache(str(tmp_path / "cache")).facts_for(path) is None
    assert parse_facts(source, path) is None


def test_missing_or_odd_paths_give_none(tmp_path: Path) -> None:
    cache = FactsCache(str(tmp_path / "cache"))
    assert cache.facts_for(str(tmp_path / "nope" / "migrations" / "0001_x.py")) is None
    folder = tmp_path / "shop" / "migrations" / "0001_dir.py"
    folder.mkdir(parents=True)
    assert cache.facts_for(str(folder)) is None
    assert cache.facts_for("bad\0path.py") is None


LIVE_MODEL_MIGRATION = '''\
from django.db import migrations

from shop.models import Thing


def forwards(apps, schema_editor):
    Thing()


class Migration(migrations.Migration):

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
'''


def test_facts_that_depend_on_another_file_are_not_served_stale(tmp_path: Path) -> None:
    # Whether `Thing()` uses a live model depends on shop/models.py, which is not part of this file's key.
    path = write_migration(tmp_path / "src", "0002_thing", LIVE_MODEL_MIGRATION)
    models = tmp_path / "src" / "shop" / "models.py"
    (tmp_path / "src" / "shop" / "__init__.py").write_text("")
    models.write_text("from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n")
    as_model = FactsCache(str(tmp_path / "cache")).facts_for(path)
    assert as_model is not None and [use.name for use in as_model.live_models] == ["Thing"]
    models.write_text("def Thing():\n    return 1\n")
    from flake8_django_migrations.facts import model_inference

    model_inference.clear_cache()
    as_function = FactsCache(str(tmp_path / "cache")).facts_for(path)
    assert as_function is not None and as_function.live_models == ()


_OPERATIONS = "    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n"


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("", "    pass", False),
        ("from django.db.models import F, Q\n", "    F('x')", False),
        # Imported and not called: nothing has to tell a model from a function.
        ("from shop.models import Thing\n", "    pass", False),
        ("from shop.models import Thing\n", "    Thing()", True),
        ("from ..models import Thing\n", "    Thing()", True),
        ("", "    from shop.models import Thing\n    Thing()", True),
        ("try:\n    from shop.models import Thing\nexcept ImportError:\n    pass\n", "    Thing()", True),
    ],
)
def test_facts_that_read_a_models_module_say_so(tmp_path: Path, header: str, body: str, expected: bool) -> None:
    source = f"from django.db import migrations\n{header}\n\ndef forwards(apps, schema_editor):\n{body}\n\n\n"
    source += f"class Migration(migrations.Migration):\n{_OPERATIONS}"
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "src" / "shop" / "models.py").write_text("def Thing():\n    return 1\n")
    path = write_migration(tmp_path / "src", source=source)
    facts = FactsCache(enabled=False).facts_for(path)
    assert facts is not None and facts.reads_other_files is expected
    with_cache = FactsCache(str(tmp_path / "cache"))
    with_cache.facts_for(path)
    # Facts that read another file are not kept: the shard of the folder holds no entry for them.
    assert (len(with_cache._load_shard(shard_key_of(with_cache, path))) == 0) is expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [("migrations.Migration", False), ("Base", False), ("BaseFromElsewhere", True)],
)
def test_facts_that_read_a_base_class_module_say_so(tmp_path: Path, base: str, expected: bool) -> None:
    source = (
        "from django.db import migrations\nfrom shop.bases import BaseFromElsewhere\n\n\n"
        "class Base(migrations.Migration):\n    pass\n\n\n"
        f"class Migration({base}):\n    operations = []\n"
    )
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "src" / "shop" / "bases.py").write_text(
        "from django.db import migrations\n\n\nclass BaseFromElsewhere(migrations.Migration):\n    atomic = False\n"
    )
    path = write_migration(tmp_path / "src", source=source)
    facts = FactsCache(enabled=False).facts_for(path)
    assert facts is not None and facts.reads_other_files is expected
    assert facts.atomic is (not expected)


def test_a_crash_in_extraction_is_not_raised_nor_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_migration(tmp_path / "src")

    def broken(tree: object, path: str) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(cache_module, "extract_facts", broken)
    assert FactsCache(str(tmp_path / "cache")).facts_for(path) is None
    monkeypatch.undo()
    assert isinstance(FactsCache(str(tmp_path / "cache")).facts_for(path), MigrationFacts)


WORKER = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, sys.argv[1])
    from flake8_django_migrations.project import cache as cache_module
    from flake8_django_migrations.project.cache import FactsCache

    cache_dir, role, rounds, paths = sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
    expected = {path: FactsCache(enabled=False).facts_for(path) for path in paths}
    shard = {FactsCache._key(open(path, "rb").read(), path): expected[path] for path in paths}
    misses = 0
    for _ in range(rounds):
        cache = FactsCache(cache_dir)
        shard_key = cache._shard_key(os.path.dirname(os.path.abspath(paths[0])))
        if role == "writer":
            # Rewrite the shard that exists already: the race the readers must never notice.
            cache._store(shard_key, shard)
        else:
            loaded = cache._load(shard_key)
            if isinstance(loaded, cache_module._Miss):
                misses += 1  # a half-written shard is rejected by the loader, so count it
            else:
                assert loaded == shard
        for path in paths:
            assert cache.facts_for(path) == expected[path], path
    print(misses)
    """
)


def test_concurrent_writers_and_readers(tmp_path: Path) -> None:
    paths = [
        write_migration(tmp_path / "src", f"{n:04d}_step", MIGRATION.replace('"note"', f'"note_{n}"'))
        for n in range(2, 14)
    ]
    cache_dir = str(tmp_path / "cache")
    for path in paths:
        FactsCache(cache_dir).facts_for(path)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    roles = ["writer", "writer", "reader", "reader"]
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(REPO_ROOT), cache_dir, role, "150", json.dumps(paths)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in roles
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0, err
    # Every entry existed before the readers started, and replacing one is atomic, so a reader never found one
    # missing or half written (with a plain open-and-write, they do, a few percent of the time).
    assert [int(out) for (out, _), role in zip(results, roles) if role == "reader"] == [0, 0]
    cache = FactsCache(cache_dir)
    assert [p.name for p in entries(cache) if p.name.endswith(".tmp")] == []
    assert len(entries(cache)) == 1  # one folder, one shard


def test_a_whole_folder_is_one_shard_and_keeps_only_current_versions(tmp_path: Path, parses: list[str]) -> None:
    paths = [write_migration(tmp_path / "src", f"{n:04d}_step") for n in range(2, 12)]
    cache = FactsCache(str(tmp_path / "cache"))
    first = cache.facts_for_files(paths, complete=True)
    assert len(entries(cache)) == 1 and len(parses) == 10
    shard_key = shard_key_of(cache, paths[0])
    assert len(cache._load_shard(shard_key)) == 10
    Path(paths[0]).write_text(MIGRATION.replace('"note"', '"edited"'), encoding="utf-8")
    second = FactsCache(str(tmp_path / "cache")).facts_for_files(paths, complete=True)
    assert len(parses) == 11, "only the edited file is parsed again"
    assert {p: f for p, f in second.items() if p != paths[0]} == {p: f for p, f in first.items() if p != paths[0]}
    assert len(cache._load_shard(shard_key)) == 10, "the edited file's old version is dropped"

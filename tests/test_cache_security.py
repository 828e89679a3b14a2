"""The cache against someone who can write into it, and the readers against files that never end.

Crafted entries must not run code; a cache folder that others can write to, or a link inside the cache, must not
be used; FIFOs and devices where a source file or an entry should be must not hang the command nor flake8.
"""

from __future__ import annotations

import ast
import io
import os
import pickle
import resource
import shlex
import shutil
import stat
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.facts import UNKNOWN, MigrationFacts, extract_facts
from flake8_django_migrations.files import MAX_SOURCE_BYTES, read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.source import parse_source


def parse_facts(data: bytes, path: str) -> MigrationFacts | None:
    """The facts of a module's source bytes, decoded as flake8 decodes them; None when it is no migration."""
    try:
        tree = parse_source(data, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return extract_facts(tree, path)


REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "shop"
# Long enough for a loaded machine, short enough to tell a hang from a slow run.
TIMEOUT = 30
# Bounds what a regression (reading /dev/zero to the end) could take from a shared machine.
ADDRESS_SPACE = 1 << 30
ANOTHER_UID = 65534  # nobody

MIGRATION = textwrap.dedent(
    """\
    from django.db import migrations, models



    class Migration(migrations.Migration):

        dependencies = [("{app}", "0001_initial")]

        operations = [
            migrations.AddField(model_name="thing", name="note", field=models.CharField(max_length=20, null=True)),
        ]
    """
)


def write_migration(root: Path, app: str = "shop") -> str:
    path = root / app / "migrations" / "0002_note.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MIGRATION.format(app=app), encoding="utf-8")
    return str(path)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the example project, whose manage.py makes it the project root."""
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return root


def cache_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every path below ``root`` with its mode, owner and (for files) content: any write shows."""
    state: dict[str, tuple[int, int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        status = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(status.st_mode) else None
        state[str(path.relative_to(root))] = (status.st_mode, status.st_uid, content)
    return state


def check(target: Path, cache_dir: Path | None) -> str:
    """The ``check`` command's report, in this process."""
    options = ["--djm-cache-dir", str(cache_dir)] if cache_dir is not None else ["--djm-no-cache"]
    out = io.StringIO()
    main(["check", *options, str(target)], stdout=out)
    return out.getvalue()


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Nothing written to the real home's cache, whatever the options say."""
    return dict(os.environ, HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "xdg"))


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(command: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=cwd, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=TIMEOUT,
            preexec_fn=limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: {shlex.join(command)}")


def run_flake8(project: Path, tmp_path: Path, *options: str, target: str = ".") -> str:
    result = run(
        [sys.executable, "-m", "flake8", "--isolated", "-j1", "--select", "DJM", *options, target], project, tmp_path
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def run_check(project: Path, tmp_path: Path, *options: str, target: str = ".") -> str:
    result = run([sys.executable, "-m", "flake8_django_migrations", "check", *options, target], project, tmp_path)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def without(report: str, name: str) -> list[str]:
    """The report's lines about other files than ``name``, which may be reported as unreadable, or not at all."""
    return [line for line in report.splitlines() if name not in line]


# Crafted entries -------------------------------------------------------------------------------------------------


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data  # BINUNICODE


def _stack_global(module: str, name: str) -> bytes:
    return _text(module) + _text(name) + b"\x93"  # STACK_GLOBAL: resolves dotted names from protocol 4


def _global(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()  # GLOBAL, the protocol 0 spelling


def _call(function: bytes, *arguments: bytes) -> bytes:
    return function + b"(" + b"".join(arguments) + b"tR"  # MARK, arguments, TUPLE, REDUCE


def _command(marker: Path) -> str:
    return f"touch {shlex.quote(str(marker))}"


def _shell(marker: Path) -> bytes:
    return _text(_command(marker))


def _python(marker: Path) -> bytes:
    return _text(f"open({str(marker)!r}, 'w').close()")


# Each builds the opcodes of a call that creates ``marker`` when run, leaving its result on the stack.
PAYLOADS: dict[str, Callable[[Path], bytes]] = {
    "facts-os.system": lambda m: _call(_stack_global("flake8_django_migrations.facts", "os.system"), _shell(m)),
    "facts-migration.os.system": lambda m: _call(
        _stack_global("flake8_django_migrations.facts", "migration.os.system"), _shell(m)
    ),
    "facts-model_inference.os.system": lambda m: _call(
        _stack_global("flake8_django_migrations.facts", "model_inference.os.system"), _shell(m)
    ),
    "cache-os.system": lambda m: _call(
        _stack_global("flake8_django_migrations.project.cache", "os.system"), _shell(m)
    ),
    "registry-os.system": lambda m: _call(_stack_global("flake8_django_migrations.registry", "os.system"), _shell(m)),
    "os.system": lambda m: _call(_global("os", "system"), _shell(m)),
    "posix.system": lambda m: _call(_stack_global("posix", "system"), _shell(m)),
    "builtins.eval": lambda m: _call(
        _stack_global("builtins", "eval"), _text(f"__import__('os').system({_command(m)!r})")
    ),
    "builtins.exec": lambda m: _call(_stack_global("builtins", "exec"), _python(m)),
    "builtins.getattr": lambda m: _call(
        _call(
            _stack_global("builtins", "getattr"),
            _call(_stack_global("builtins", "__import__"), _text("os")),
            _text("system"),
        ),
        _shell(m),
    ),
}


def crafted(payload: str, marker_dir: Path, entry: bytes) -> bytes:
    """``entry`` behind a call that runs first: were it allowed, the load would even succeed afterwards."""
    return b"\x80\x04" + PAYLOADS[payload](marker_dir / f"MARKER-{payload}") + b"0" + entry  # POP


def markers(marker_dir: Path) -> list[str]:
    return sorted(path.name for path in marker_dir.glob("MARKER-*"))


@pytest.fixture
def warm_entry(tmp_path: Path) -> bytes:
    """A genuine shard, as the cache writes it."""
    path = write_migration(tmp_path / "src")
    cache = FactsCache(str(tmp_path / "warm"))
    cache.facts_for(path)
    [entry] = cache_files(tmp_path / "warm")
    return entry.read_bytes()


def test_the_crafted_entries_run_code_with_a_plain_unpickler(tmp_path: Path, warm_entry: bytes) -> None:
    # Proves the payloads below are live: what keeps them from running is the cache's unpickler alone.
    for payload in PAYLOADS:
        try:
            pickle.loads(crafted(payload, tmp_path, warm_entry))
        except Exception:
            pass  # a dotted name the current layout of the package does not have
    ran = markers(tmp_path)
    expected = {"cache-os.system", "os.system", "posix.system", "builtins.eval", "builtins.exec", "builtins.getattr"}
    assert expected <= {name.removeprefix("MARKER-") for name in ran}
    assert any(name.startswith("MARKER-facts-") for name in ran), "no dotted name reaches os through the facts"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_cache_unpickler_refuses_crafted_globals(tmp_path: Path, warm_entry: bytes, payload: str) -> None:
    with pytest.raises(pickle.UnpicklingError):
        cache_module._Unpickler(io.BytesIO(crafted(payload, tmp_path, warm_entry))).load()
    assert markers(tmp_path) == []


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("flake8_django_migrations.facts.model", "dataclass"),
        ("flake8_django_migrations.facts.model", "_Unknown"),
        ("flake8_django_migrations.facts.model", "MigrationFacts.__init__"),
        ("flake8_django_migrations.facts.model", "Operation.param"),
        ("flake8_django_migrations.facts.model", "__builtins__"),
        ("flake8_django_migrations.facts", "MigrationFacts"),  # what the pickler writes is the defining module
        ("flake8_django_migrations.facts", "migration"),
        ("flake8_django_migrations.finding", "Finding.__init__"),
        ("flake8_django_migrations.finding", "dataclass"),
        ("builtins", "complex.__new__"),
        ("builtins", "object"),
        ("copyreg", "_reconstructor"),
    ],
)
def test_only_the_records_themselves_are_loadable(module: str, name: str) -> None:
    with pytest.raises(pickle.UnpicklingError):
        cache_module._Unpickler(io.BytesIO(b"")).find_class(module, name)


def test_everything_facts_and_findings_hold_is_loadable(tmp_path: Path) -> None:
    """Every global that real facts and findings pickle to is on the list, so a warm cache is a hit."""
    sources = [*EXAMPLE.rglob("migrations/0*.py"), *(REPO_ROOT / "tests" / "fixtures").rglob("*.py")]
    facts = {str(path): parse_facts(path.read_bytes(), str(path)) for path in sources}
    odd = tmp_path / "shop" / "migrations" / "0002_odd.py"
    odd.parent.mkdir(parents=True)
    # A complex literal, an unknown value, an unreadable dict key and a swappable dependency.
    odd.write_text(
        "from django.conf import settings\nfrom django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]\n"
        "    operations = [migrations.AddField('thing', 'x', models.FloatField(default=1j, choices=f(), "
        "**{k: 1}))]\n"
    )
    facts[str(odd)] = parse_facts(odd.read_bytes(), str(odd))
    assert sum(isinstance(value, MigrationFacts) for value in facts.values()) > 50
    findings = (Finding(str(odd), 5, 4, "DJM101", "a message", "a hint"),)
    seen: set[tuple[str, str]] = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> object:
            seen.add((module, name))
            return super().find_class(module, name)

    cache = FactsCache(str(tmp_path / "cache"))
    for key, value in (("shard-all", facts), ("project-all", findings)):
        cache._store(key, value)
        [entry] = [path for path in cache_files(tmp_path / "cache") if path.name.startswith(key[2:])]
        Recording(io.BytesIO(entry.read_bytes())).load()
        assert FactsCache(str(tmp_path / "cache"))._load(key) == value
    assert seen <= set(cache_module._loadable())
    assert {(type(UNKNOWN).__module__, "UNKNOWN"), ("builtins", "complex")} <= seen
    assert {(cls.__module__, cls.__qualname__) for cls in (MigrationFacts, Finding)} <= seen


def _craft_every_entry(cache_dir: Path, marker_dir: Path, payloads: list[str]) -> list[Path]:
    """Write a crafted entry over every file of the cache, cycling through ``payloads``."""
    entries = cache_files(cache_dir)
    assert any(p.name.startswith("ard-") for p in entries) and any(p.name.startswith("oject-") for p in entries)
    for index, entry in enumerate(entries):
        entry.write_bytes(crafted(payloads[index % len(payloads)], marker_dir, entry.read_bytes()))
    return entries


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_crafted_cache_runs_nothing_in_the_command(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.chdir(shop)
    expected = check(shop, None)
    assert check(shop, cache_dir) == expected  # warm
    entries = _craft_every_entry(cache_dir, tmp_path, [payload])
    parsed: list[str] = []
    real_parse = cache_module._parse_tree

    def recording_parse(data: bytes, path: str) -> ast.Module | None:
        parsed.append(path)
        return real_parse(data, path)

    monkeypatch.setattr(cache_module, "_parse_tree", recording_parse)
    assert check(shop, cache_dir) == expected
    assert markers(tmp_path) == []
    # Every shard was refused: every migration was parsed again (the project's, and those of the installed
    # contrib apps its settings name), and the entries were written anew.
    assert sorted(path for path in parsed if path.startswith(str(shop))) == sorted(
        str(path) for path in shop.rglob("migrations/0*.py")
    )
    assert all(not path.read_bytes().startswith(b"\x80\x04") for path in entries if path.exists())


def test_a_crafted_cache_runs_nothing_in_flake8(shop: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    expected = run_flake8(shop, tmp_path, "--djm-no-cache")
    assert expected and run_flake8(shop, tmp_path, "--djm-cache-dir", str(cache_dir)) == expected  # warm
    names = list(PAYLOADS)
    entry_count = len(cache_files(cache_dir))
    # Rotated so that every payload is written over some entry, all entries being read in each run.
    for start in range(0, len(names), entry_count):
        _craft_every_entry(cache_dir, tmp_path, names[start:] + names[:start])
        assert run_flake8(shop, tmp_path, "--djm-cache-dir", str(cache_dir)) == expected
        assert markers(tmp_path) == []


# Permissions and links -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o277])
def test_cache_folders_and_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    path = write_migration(tmp_path / "src")
    root = tmp_path / "xdg" / "deep" / "cache"  # its missing parents are made too
    previous = os.umask(umask)
    try:
        cache = FactsCache(str(root))
        expected = cache.facts_for(path)
        cache.store_project_findings("project-key", "fingerprint", ())
    finally:
        os.umask(previous)
    made = [tmp_path / "xdg", tmp_path / "xdg" / "deep", root, *root.rglob("*")]
    assert len(cache_files(root)) == 2
    modes = {str(p): stat.S_IMODE(p.lstat().st_mode) for p in made}
    assert modes == {str(p): 0o700 if p.is_dir() else 0o600 for p in made}
    again = FactsCache(str(root))
    assert again.facts_for(path) == expected and again.project_findings("project-key", "fingerprint") == {}


def _give_away(folder: Path) -> None:
    try:
        os.chown(folder, ANOTHER_UID, -1)
    except PermissionError:
        pytest.skip("only root can give a folder to another user")


@pytest.mark.parametrize("level", ["root", "namespace", "fan-out"])
@pytest.mark.parametrize("problem", ["group-writable", "world-writable", "another-owner"])
def test_an_unsafe_cache_folder_is_neither_read_nor_written(tmp_path: Path, level: str, problem: str) -> None:
    first = write_migration(tmp_path / "src", "shop")
    second = write_migration(tmp_path / "src", "blog")  # another folder, another shard: a write is due
    root = tmp_path / "cache"
    cache = FactsCache(str(root))
    expected = cache.facts_for(first)
    assert expected is not None
    # What someone who can write there could plant: a valid entry saying the file is not a migration.
    shard_key = cache._shard_key(os.path.dirname(first))
    cache._store(shard_key, {cache._key(Path(first).read_bytes(), first): None})
    assert FactsCache(str(root)).facts_for(first) is None, "the planted entry is served from a safe folder"
    folder = {"root": root, "namespace": cache.directory, "fan-out": Path(cache._entry(shard_key)).parent}[level]
    if problem == "another-owner":
        _give_away(folder)
    else:
        folder.chmod(0o770 if problem == "group-writable" else 0o707)
    before = snapshot(root)
    fresh = FactsCache(str(root))
    assert fresh.facts_for(first) == expected
    assert fresh.facts_for(second) is not None
    fresh.store_project_findings("project-key", "fingerprint", ())
    assert fresh.project_findings("project-key", "fingerprint") is None
    assert snapshot(root) == before


def test_the_command_ignores_a_group_writable_cache(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.chdir(shop)
    expected = check(shop, None)
    assert check(shop, cache_dir) == expected
    cache_dir.chmod(0o770)
    before = snapshot(cache_dir)
    opened: list[str] = []
    real_open = os.open

    def recording_open(path: str, flags: int, *args: int, **kwargs: int) -> int:
        opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    assert check(shop, cache_dir) == expected
    assert opened and not [path for path in opened if path.startswith(str(cache_dir))]
    assert snapshot(cache_dir) == before


def test_a_linked_entry_is_neither_read_nor_written_through(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src")
    root = tmp_path / "cache"
    cache = FactsCache(str(root))
    expected = cache.facts_for(path)
    shard_key = cache._shard_key(os.path.dirname(path))
    cache._store(shard_key, {cache._key(Path(path).read_bytes(), path): None})
    entry = Path(cache._entry(shard_key))
    elsewhere = tmp_path / "elsewhere"
    entry.rename(elsewhere)  # a valid entry, which would be served if the link were followed
    planted = elsewhere.read_bytes()
    entry.symlink_to(elsewhere)
    assert FactsCache(str(root)).facts_for(path) == expected
    assert elsewhere.read_bytes() == planted
    assert not entry.is_symlink() and FactsCache(str(root)).facts_for(path) == expected


def test_a_linked_fan_out_folder_is_not_used(tmp_path: Path) -> None:
    path = write_migration(tmp_path / "src")
    second = write_migration(tmp_path / "src", "blog")
    root = tmp_path / "cache"
    cache = FactsCache(str(root))
    expected = cache.facts_for(path)
    shard_key = cache._shard_key(os.path.dirname(path))
    cache._store(shard_key, {cache._key(Path(path).read_bytes(), path): None})
    fan_out = Path(cache._entry(shard_key)).parent
    elsewhere = tmp_path / "elsewhere"
    fan_out.rename(elsewhere)
    fan_out.symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    fresh = FactsCache(str(root))
    assert fresh.facts_for(path) == expected and fresh.facts_for(second) is not None
    assert snapshot(elsewhere) == before


@pytest.mark.parametrize("link_owner", ["me", "another user"])
def test_a_linked_root_is_followed_only_when_the_link_is_ours(tmp_path: Path, link_owner: str) -> None:
    path = write_migration(tmp_path / "src")
    target = tmp_path / "disk" / "cache"
    target.mkdir(parents=True, mode=0o700)
    root = tmp_path / "cache"
    root.symlink_to(target, target_is_directory=True)
    if link_owner == "another user":
        try:
            os.lchown(root, ANOTHER_UID, -1)
        except PermissionError:
            pytest.skip("only root can give a link to another user")
    assert FactsCache(str(root)).facts_for(path) is not None
    assert len(cache_files(target)) == (1 if link_owner == "me" else 0)


# FIFOs, devices and huge files -----------------------------------------------------------------------------------


def test_read_regular_file(tmp_path: Path) -> None:
    regular = tmp_path / "regular.py"
    regular.write_bytes(b"x = 1\n")
    fifo = tmp_path / "fifo.py"
    os.mkfifo(fifo)
    link = tmp_path / "link.py"
    link.symlink_to(regular)
    huge = tmp_path / "huge.py"
    with huge.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: no disk space, and never read
    assert read_regular_file(str(regular)) == b"x = 1\n"
    assert read_regular_file(str(regular), limit=6) == b"x = 1\n"
    assert read_regular_file(str(regular), limit=5) is None
    assert read_regular_file(str(link)) == b"x = 1\n"
    assert read_regular_file(str(link), follow_symlinks=False) is None
    for odd in (fifo, tmp_path, huge, tmp_path / "missing.py", Path(os.devnull), Path("/dev/zero")):
        assert read_regular_file(str(odd)) is None, odd
    assert read_regular_file("nul\0byte.py") is None


def test_read_regular_file_stops_at_the_limit_when_the_file_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.py"
    path.write_bytes(b"a" * 100)
    real_fstat = os.fstat

    def stale_fstat(descriptor: int) -> os.stat_result:
        status = real_fstat(descriptor)
        # The size it had before someone appended to it.
        return os.stat_result((status.st_mode, *status[1:6], 10, *status[7:]))

    monkeypatch.setattr(os, "fstat", stale_fstat)
    assert read_regular_file(str(path), limit=100) == b"a" * 100
    assert read_regular_file(str(path), limit=99) is None


def test_a_fifo_named_apps_py_hangs_nothing(shop: Path, tmp_path: Path) -> None:
    expected_check = run_check(shop, tmp_path, "--djm-no-cache")
    expected_flake8 = run_flake8(shop, tmp_path, "--djm-no-cache", target="catalog/migrations")
    apps = shop / "catalog" / "apps.py"
    apps.unlink()
    os.mkfifo(apps)
    assert run_check(shop, tmp_path, "--djm-no-cache") == expected_check
    # flake8 itself would block on the FIFO if it walked into it; the plugin's discovery reads it anyway.
    assert run_flake8(shop, tmp_path, "--djm-no-cache", target="catalog/migrations") == expected_flake8


def test_a_fifo_as_a_migration_hangs_nothing(shop: Path, tmp_path: Path) -> None:
    expected = run_check(shop, tmp_path, "--djm-no-cache")
    expected_app = run_check(shop, tmp_path, "--djm-no-cache", target="catalog/migrations")
    expected_flake8 = run_flake8(shop, tmp_path, "--djm-no-cache", target="orders")
    fifo = shop / "catalog" / "migrations" / "0002_x.py"
    os.mkfifo(fifo)
    cache = str(tmp_path / "cache")
    for _ in range(2):  # cold, then warm
        assert without(run_check(shop, tmp_path, "--djm-cache-dir", cache), fifo.name) == expected.splitlines()
        in_app = run_check(shop, tmp_path, "--djm-cache-dir", cache, target="catalog/migrations")
        assert without(in_app, fifo.name) == expected_app.splitlines()
        named = run_check(shop, tmp_path, "--djm-cache-dir", cache, target="catalog/migrations/0002_x.py")
        assert without(named, fifo.name) == []
        assert run_flake8(shop, tmp_path, "--djm-cache-dir", cache, target="orders") == expected_flake8


def test_fifos_as_cache_entries_hang_nothing(shop: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    expected_check = run_check(shop, tmp_path, "--djm-no-cache")
    expected_flake8 = run_flake8(shop, tmp_path, "--djm-no-cache")
    assert run_check(shop, tmp_path, "--djm-cache-dir", str(cache_dir)) == expected_check  # warm
    for run_it, expected in ((run_check, expected_check), (run_flake8, expected_flake8)):
        for entry in cache_files(cache_dir):
            entry.unlink()
            os.mkfifo(entry)
        assert run_it(shop, tmp_path, "--djm-cache-dir", str(cache_dir)) == expected


CHECK_WITH_PEAK_MEMORY = textwrap.dedent(
    """
    import resource, sys
    from flake8_django_migrations.cli import main
    code = main(sys.argv[1:])
    sys.stderr.write(f"peak-rss-kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
    sys.exit(code)
    """
)


def _peak_rss_kib(stderr: str) -> int:
    [line] = [line for line in stderr.splitlines() if line.startswith("peak-rss-kib=")]
    return int(line.partition("=")[2])


def test_endless_and_huge_files_are_not_read(shop: Path, tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    script = tmp_path / "check.py"
    script.write_text(CHECK_WITH_PEAK_MEMORY)
    command = [sys.executable, str(script), "check", "--djm-cache-dir", str(tmp_path / "cache"), "."]
    baseline = run(command, shop, tmp_path)
    expected_flake8 = run_flake8(shop, tmp_path, "--djm-no-cache", target="orders")
    apps = shop / "catalog" / "apps.py"
    apps.unlink()
    apps.symlink_to("/dev/zero")
    huge = shop / "catalog" / "migrations" / "0009_generated.py"
    with huge.open("wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)
    result = run(command, shop, tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert without(result.stdout, huge.name) == baseline.stdout.splitlines()
    # Neither file was read into memory: the run takes what a run without them takes, give or take.
    assert _peak_rss_kib(result.stderr) < _peak_rss_kib(baseline.stderr) + 32 * 1024
    assert run_flake8(shop, tmp_path, "--djm-no-cache", target="orders") == expected_flake8

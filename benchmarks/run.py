"""The benchmark: ``python benchmarks/run.py`` (``--quick`` for a run of a minute or two).

Generates synthetic projects (``benchmarks/generate.py``) into a temporary folder and, in one run, alternating the
commands so that a slow minute of the machine hits all of them alike, measures the median wall time of each
(``--repeat`` runs) as a separate process, interpreter start included:

1. the floor: one Python process that finds every migration file, reads it and ``ast.parse``s it;
2. ``django-migrations-lint check TREE`` with a cold cache (a fresh ``XDG_CACHE_HOME`` per run), also held to one
   core (where the process pool of ``check`` cannot help), and a warm one;
3. flake8 on the tree: ``--select DJM`` (ours alone), the default selection with our codes, and the default
   selection without them. "Without them" is flake8 with our plugin *not loaded*: a wrapper hides every
   ``flake8.extension`` entry point into ``flake8_django_migrations``, whatever the distribution is called
   (``flake8 --version`` through it lists no ``django-migrations-lint``). ``--extend-ignore DJM`` only filters
   our findings after the plugin has done all its work, so it is not a baseline; it is printed too, to show what
   the plugin costs even when deselected;
4. the peer, django-safe-migrations, on the same tree (``benchmarks/peer.py`` says what it does): installed with
   Django in a virtualenv of its own in the scratch folder, given a small settings module (the generated apps,
   the PostgreSQL backend, no server) and run as ``django-admin check_migrations --database-vendor postgresql``,
   with no cache of its own, so cold like ``check, cold cache``. The ratio of the two is printed under the table
   with what the peer analysed in one verbose run (migrations per app, findings), to show that it looked at every
   file. When it cannot be installed (offline), its row says why and the rest runs;
5. the editor case: one file of the big project through flake8, with our codes (warm cache) and without, the
   two warm commands measured again with at least ``EDITOR_REPEAT`` runs each, alternating;
6. the peak memory of every command (GNU ``/usr/bin/time``, else ``getrusage`` in an intermediate process: the
   largest of its processes, so a worker of the pool of ``check`` counts on its own), and
   the time per file of the floor and of ``check`` at several project sizes (``--sizes``), which must stay flat.

Ratios are to the floor and to flake8 without our plugin. Nothing is asserted: the output is for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import peer  # noqa: E402

BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
EDITOR_REPEAT = 21  # runs of each of the two warm editor commands

FLOOR_SCRIPT = """
import ast, os, sys
count = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
    if os.path.basename(folder) != "migrations":
        continue
    for name in files:
        if name.endswith(".py") and name != "__init__.py":
            with open(os.path.join(folder, name), "rb") as file:
                ast.parse(file.read())
            count += 1
print(count)
"""

# flake8 exactly as installed, minus our plugin: the honest "flake8 without our codes". Our plugin is recognised by
# its entry point, not by the name of its distribution (a rename once made these rows load it). Every distribution
# is wrapped so that its entry points are parsed once, as flake8 alone would: the baseline pays nothing extra.
FLAKE8_WITHOUT_US = """
import importlib.metadata, sys

def ours(entry_point):
    return entry_point.group == "flake8.extension" and entry_point.value.startswith("flake8_django_migrations.")

class WithoutUs(importlib.metadata.Distribution):
    entry_points = importlib.metadata.EntryPoints()  # shadows the parsing property: set once per instance below

    def __init__(self, installed):
        self.installed = installed
        self.entry_points = importlib.metadata.EntryPoints(e for e in installed.entry_points if not ours(e))

    def read_text(self, filename):
        return self.installed.read_text(filename)

    def locate_file(self, path):
        return self.installed.locate_file(path)

everything = importlib.metadata.distributions
importlib.metadata.distributions = lambda **kwargs: [WithoutUs(d) for d in everything(**kwargs)]
from flake8.main.cli import main
sys.exit(main())
"""

# A command on one core: what ``check`` costs without its process pool (Linux; elsewhere the pool is not used).
ONE_CORE = """
import os, sys
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
os.execv(sys.argv[1], sys.argv[1:])
"""

# The peak memory of a child, where GNU time is missing: RUSAGE_CHILDREN of a process with exactly one child.
MAXRSS_WRAPPER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
scale = 1024 if sys.platform == "darwin" else 1  # bytes on macOS, KiB on Linux
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // scale))
sys.exit(code)
"""


@dataclass
class Command:
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    fresh_cache: bool = False  # a new, empty XDG_CACHE_HOME for every run
    ok_codes: tuple[int, ...] = (0, 1)  # flake8 and check exit 1 when they report something
    times: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mib(self) -> float | None:
        return max(self.rss_kib) / 1024 if self.rss_kib else None


class Runner:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.fresh = 0
        self.have_gnu_time = self._gnu_time_works()
        (scratch / "floor.py").write_text(FLOOR_SCRIPT)
        (scratch / "flake8_without_us.py").write_text(FLAKE8_WITHOUT_US)
        (scratch / "maxrss.py").write_text(MAXRSS_WRAPPER)
        (scratch / "one_core.py").write_text(ONE_CORE)

    @staticmethod
    def _gnu_time_works() -> bool:
        if not os.access(GNU_TIME, os.X_OK):
            return False
        try:
            probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return False
        words = probe.stderr.split()
        return probe.returncode == 0 and bool(words) and words[-1].isdigit()

    def new_cache_home(self) -> str:
        # Cold caches are never deleted during the run: on ext4, creating files right after deleting thousands
        # costs ten times more, which would charge our cleanup to the next command.
        self.fresh += 1
        path = self.scratch / "caches" / f"cold-{self.fresh}"
        path.mkdir(parents=True)
        return str(path)

    def run(self, command: Command) -> None:
        if command.error is not None:
            return  # it failed before: once is enough to report
        env = {**command_environment(), **command.env}
        if command.fresh_cache:
            env["XDG_CACHE_HOME"] = self.new_cache_home()
        rss_file = self.scratch / "rss.txt"
        if self.have_gnu_time:
            argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *command.argv]
        else:
            argv = [sys.executable, str(self.scratch / "maxrss.py"), str(rss_file), *command.argv]
        os.sync()  # dirty pages of the previous command must not be written back on this one's time
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600)
        except (OSError, subprocess.SubprocessError) as error:
            command.error = f"{type(error).__name__}: {error}"
            print(f"  ! {command.label}: {command.error}", file=sys.stderr)
            return
        elapsed = time.perf_counter() - started
        # A crash exits 1 like a run with findings: the traceback is what tells them apart.
        if done.returncode not in command.ok_codes or b"Traceback (most recent call last)" in done.stderr:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
            command.error = f"exit {done.returncode}: " + " | ".join(tail)
            print(f"  ! {command.label}: {command.error}", file=sys.stderr)
            return
        command.times.append(elapsed)
        try:
            command.rss_kib.append(int(rss_file.read_text().split()[-1]))
        except (OSError, ValueError, IndexError):
            pass

    def measure(self, commands: Sequence[Command], repeat: int, title: str) -> None:
        print(f"{title}: {len(commands)} commands x {repeat} runs, alternating", file=sys.stderr, flush=True)
        for command in commands:  # one untimed run each: warms caches (ours and the OS's) and finds errors early
            self.run(command)
            command.times.clear()
            command.rss_kib.clear()
        for _ in range(repeat):
            for command in commands:
                self.run(command)


def command_environment() -> dict[str, str]:
    # Users' Pythons keep compiled bytecode; a development shell that forbids it would charge compiling our
    # modules to every command (about 30 ms), which no installed copy pays.
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def migration_files(tree: Path) -> list[Path]:
    return [p for p in tree.rglob("*.py") if p.parent.name == "migrations" and p.name != "__init__.py"]


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def fmt(value: float | None, spec: str) -> str:
    if value is None:
        width = "".join(c for c in spec.split(".")[0] if c.isdigit())
        return "-".rjust(int(width or 0))
    return format(value, spec)


def table(rows: list[Command], files: int, floor: float | None, flake8_base: float | None) -> str:
    header = f"{'command':58} {'median s':>9} {'us/file':>8} {'x floor':>8} {'x flake8':>8} {'peak MiB':>9}"
    lines = [header, "-" * len(header)]
    for row in rows:
        median = row.median
        if median is None:
            lines.append(f"{row.label:58} FAILED: {row.error}")
            continue
        lines.append(
            f"{row.label:58} {median:9.3f} {median * 1e6 / files:8.0f} "
            f"{fmt(median / floor if floor else None, '8.2f')} "
            f"{fmt(median / flake8_base if flake8_base else None, '8.2f')} {fmt(row.peak_mib, '9.1f')}"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        memory = ""
    try:
        flake8 = subprocess.run([tool("flake8"), "--version"], capture_output=True, text=True).stdout.split()[0]
    except (OSError, IndexError):
        flake8 = "?"
    return (
        f"{cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; flake8 {flake8}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command (median reported)")
    parser.add_argument("--sizes", default="1000,5000,20000,50000",
                        help="project sizes in migration files, for scaling")
    parser.add_argument("--size", type=int, default=5000, help="the project size of the main table")
    parser.add_argument("--quick", action="store_true", help="--size 1000 --sizes 500,1000,2000, at most 3 runs")
    parser.add_argument("--per-app", type=int, default=100, help="migrations per app (apps = size / per-app)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it, instead of a temporary one")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # the table after the progress lines
    if args.quick:
        args.size, args.sizes, args.repeat = 1000, "500,1000,2000", min(args.repeat, 3)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {args.size})

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="djm-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    runner = Runner(scratch)
    trees: dict[int, Path] = {}
    for size in sizes:
        apps = max(1, round(size / args.per_app))
        tree = scratch / f"project-{size}"
        started = time.perf_counter()
        count = generate.generate(tree, apps=apps, migrations=max(1, size // apps))
        print(f"generated {count} migration files ({apps} apps) in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        trees[size] = tree

    print(f"preparing {peer.NAME} {peer.VERSION} in {scratch / 'peer-venv'}", file=sys.stderr, flush=True)
    the_peer = peer.prepare(scratch, trees[args.size])
    analysis = the_peer.what_it_analysed(command_environment()) if the_peer.error is None else the_peer.error
    if isinstance(analysis, str):
        the_peer.error = analysis

    python, cli, flake8 = sys.executable, tool("django-migrations-lint"), tool("flake8")
    without_us = [python, str(scratch / "flake8_without_us.py")]
    warm_home = str(scratch / "caches" / "warm")
    warm_flake8 = str(scratch / "caches" / "warm-flake8")
    Path(warm_home).mkdir(parents=True, exist_ok=True)
    tree = str(trees[args.size])
    files = len(migration_files(trees[args.size]))

    empty = scratch / "empty"
    empty.mkdir(exist_ok=True)
    check_cold = Command("check, cold cache", [cli, "check", tree], fresh_cache=True)
    peer_row = Command(f"{peer.NAME} {peer.VERSION} check_migrations, postgresql", the_peer.argv, env=the_peer.env,
                       ok_codes=(0, 1), error=the_peer.error)  # it exits 1 when it reports an error
    main_rows = [
        Command("floor: read + ast.parse every migration (1 process)", [python, str(scratch / "floor.py"), tree],
                ok_codes=(0,)),
        check_cold,
        Command("check, warm cache", [cli, "check", tree], env={"XDG_CACHE_HOME": warm_home}),
        *([Command("check, cold cache, one core", [python, str(scratch / "one_core.py"), cli, "check", tree],
                   fresh_cache=True)] if hasattr(os, "sched_setaffinity") else []),
        Command("check --no-cache", [cli, "check", "--no-cache", tree]),
        Command("flake8 --select DJM (warm cache)", [flake8, "--select", "DJM", "--djm-cache-dir", warm_flake8, tree]),
        Command("flake8, default codes + ours (warm cache)", [flake8, "--djm-cache-dir", warm_flake8, tree]),
        Command("flake8, default codes, our plugin not loaded", [*without_us, tree]),
        Command("flake8 --extend-ignore DJM (plugin loaded, deselected)",
                [flake8, "--extend-ignore", "DJM", "--djm-cache-dir", warm_flake8, tree]),
        Command("start-up alone: check on an empty folder", [cli, "check", str(empty)]),
        peer_row,
    ]
    one_file = sorted(migration_files(trees[args.size]))[files // 2]
    editor_rows = [
        Command("editor: flake8 FILE, default codes + ours (warm cache)",
                [flake8, "--djm-cache-dir", warm_flake8, str(one_file)]),
        Command("editor: flake8 FILE, default codes + ours (cold cache)", [flake8, str(one_file)], fresh_cache=True),
        Command("editor: flake8 FILE, our plugin not loaded", [*without_us, str(one_file)]),
    ]
    runner.measure(main_rows + editor_rows, args.repeat, f"main table on {files} files")
    # The editor case is the difference of two runs of about 0.1 s: measured again with more runs, with and
    # without our plugin alternating, so that one slow run of either cannot move it.
    runner.measure([editor_rows[0], editor_rows[2]], max(args.repeat, EDITOR_REPEAT), "editor case")

    scale_rows: list[tuple[int, int, Command, Command, Command]] = []
    for size in sizes:
        size_tree = str(trees[size])
        size_files = len(migration_files(trees[size]))
        warm = str(scratch / "caches" / f"warm-{size}")
        rows = (
            Command(f"floor ({size_files} files)", [python, str(scratch / "floor.py"), size_tree], ok_codes=(0,)),
            Command(f"check cold ({size_files} files)", [cli, "check", size_tree], fresh_cache=True),
            Command(f"check warm ({size_files} files)", [cli, "check", size_tree], env={"XDG_CACHE_HOME": warm}),
        )
        runner.measure(rows, max(1, min(args.repeat, 3)), f"scaling at {size_files} files")
        scale_rows.append((size, size_files, *rows))

    floor = main_rows[0].median
    base = next(row.median for row in main_rows if "not loaded" in row.label)
    print(f"\nMachine: {machine()}")
    print(f"Project: {files} migration files in {trees[args.size]} (generated by benchmarks/generate.py); "
          f"medians of {args.repeat} runs; every command is a new process, interpreter start included.\n")
    print(table(main_rows, files, floor, base))
    if peer_row.median is not None and check_cold.median is not None:
        print(f"{peer.NAME} / check cold: {peer_row.median / check_cold.median:.1f}x "
              f"({peer.NAME} on its own: {analysis}; the tree has {files} migration files)")
    print()
    print(table(editor_rows, 1, None, editor_rows[2].median).replace("us/file", "  us    "))
    with_us, without = editor_rows[0].median, editor_rows[2].median
    if with_us is not None and without is not None:
        print(f"editor case, warm cache: our codes add {(with_us - without) * 1000:.0f} ms to flake8 on one file")
    print("\nTime per file by project size (medians; peak memory of check):")
    header = (f"{'files':>7} {'floor us/file':>14} {'check cold us/file':>19} {'check warm us/file':>19} "
              f"{'cold MiB':>9} {'warm MiB':>9}")
    print(header)
    print("-" * len(header))
    for _, size_files, floor_row, cold_row, warm_row in scale_rows:
        def per_file(row: Command) -> str:
            return fmt(row.median * 1e6 / size_files if row.median is not None else None, ".0f")

        print(f"{size_files:7} {per_file(floor_row):>14} {per_file(cold_row):>19} {per_file(warm_row):>19} "
              f"{fmt(cold_row.peak_mib, '.1f'):>9} {fmt(warm_row.peak_mib, '.1f'):>9}")
    failures = [row for row in main_rows + editor_rows if row.error]
    for row in failures:
        print(f"\nFAILED {row.label}: {row.error}")
    if args.keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

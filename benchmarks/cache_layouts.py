"""Measure the parts of the facts cache and the layouts it could have had: ``python benchmarks/cache_layouts.py TREE``.

Prints, for every migration file under TREE (medians of ``--repeat`` runs, in milliseconds for the whole tree):
reading the sources, hashing them, ``stat`` (what a ``(path, size, mtime_ns)`` front index would cost instead),
the floor (read + ``ast.parse``), fact extraction, and for the two layouts considered, one file per entry (what
``project/cache.py`` does) and one shard file per project, the cold write and the warm load. The numbers behind
the choice written in ``project/cache.py``'s docstring come from this script.
"""

from __future__ import annotations

import argparse
import ast
import gc
import io
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flake8_django_migrations.project import cache as cache_module  # noqa: E402
from flake8_django_migrations.project.cache import FactsCache, parse_facts  # noqa: E402


def migration_files(tree: Path) -> list[str]:
    return sorted(
        str(path) for path in tree.rglob("*.py") if path.parent.name == "migrations" and path.name != "__init__.py"
    )


def median_ms(function: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        os.sync()  # a burst of dirty pages from the previous run must not be charged to this one
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    files = migration_files(args.tree)
    sources = {path: Path(path).read_bytes() for path in files}
    facts = {path: parse_facts(sources[path], path) for path in files}
    # Keep the collector from scanning these on every parse: it would triple the floor in this process.
    gc.freeze()
    rows: list[tuple[str, float]] = []

    def read_all() -> None:
        for path in files:
            cache_module._read(path)

    rows.append(("read sources", median_ms(read_all, args.repeat)))
    rows.append(("stat sources (front-index key)", median_ms(lambda: [os.stat(p) for p in files], args.repeat)))
    rows.append(("hash sources (blake2b key)", median_ms(
        lambda: [FactsCache._key(sources[p], p) for p in files], args.repeat)))

    def floor() -> None:
        for path in files:  # not collected in a list: holding 5,000 trees makes every collection slower
            ast.parse(cache_module._read(path) or b"")

    def uncached() -> None:
        for path in files:
            parse_facts(cache_module._read(path) or b"", path)

    rows.append(("floor: read + ast.parse", median_ms(floor, args.repeat)))
    rows.append(("read + parse + extract facts (no cache)", median_ms(uncached, args.repeat)))

    scratch = Path(tempfile.mkdtemp(prefix="djm-layouts-"))
    try:
        counter = iter(range(1_000_000))
        current: dict[str, str] = {}

        def fresh() -> None:
            current["dir"] = str(scratch / f"entries-{next(counter)}")

        def cold_entries() -> None:
            cache = FactsCache(current["dir"])
            for path in files:
                cache.facts_for(path)

        def store_only() -> None:
            cache = FactsCache(current["dir"])
            for path in files:
                cache._store(FactsCache._key(sources[path], path), facts[path])

        rows.append(("one file per entry: cold (parse + write)", median_ms(cold_entries, args.repeat, fresh)))
        rows.append(("one file per entry: writes alone", median_ms(store_only, args.repeat, fresh)))
        warm_dir = current["dir"]

        def warm_entries() -> None:
            cache = FactsCache(warm_dir)
            for path in files:
                cache.facts_for(path)

        rows.append(("one file per entry: warm", median_ms(warm_entries, args.repeat)))

        def load_entries_only() -> None:
            cache = FactsCache(warm_dir)
            for path in files:
                cache._load(FactsCache._key(sources[path], path))

        rows.append(("one file per entry: entry loads alone", median_ms(load_entries_only, args.repeat)))

        # The shard: one pickle of {key: pickled facts}, written once (a real one would also need a lock).
        shard = scratch / "shard.pickle"

        def write_shard() -> None:
            blobs = {}
            for path in files:
                buffer = io.BytesIO()
                pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = cache_module._DISPATCH
                pickler.dump(facts[path])
                blobs[FactsCache._key(sources[path], path)] = buffer.getvalue()
            temporary = shard.with_suffix(".tmp")
            temporary.write_bytes(pickle.dumps(blobs, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, shard)

        rows.append(("one shard: write all (no parse)", median_ms(write_shard, args.repeat)))

        def warm_shard() -> None:
            blobs = pickle.loads(shard.read_bytes())
            for path in files:
                data = cache_module._read(path) or b""
                blob = blobs.get(FactsCache._key(data, path))
                if blob is not None:
                    cache_module._Unpickler(io.BytesIO(blob)).load()

        rows.append(("one shard: warm", median_ms(warm_shard, args.repeat)))
        entries = sum(len(names) for _, _, names in os.walk(warm_dir))
        size = sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(warm_dir) for n in names)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    floor = dict(rows)["floor: read + ast.parse"]
    print(f"{len(files)} migration files; {entries} cache entries, {size / len(files):.0f} bytes each on average")
    print(f"{'':45} {'ms':>9} {'us/file':>9} {'x floor':>8}")
    for label, ms in rows:
        print(f"{label:45} {ms:9.1f} {ms * 1000 / len(files):9.1f} {ms / floor:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

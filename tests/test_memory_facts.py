"""What keeps a big project's facts small (issue 26): parameters and arguments in a read-only mapping of two tuples
that reads as a dict, one object for each name list and `dependencies` position, the parent's own path strings in
the facts a worker sends, and one key object per graph node."""

from __future__ import annotations

import io
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.facts import Call, Dependency, MigrationFacts, Operation, Site
from flake8_django_migrations.facts.model import EMPTY_MAPPING, FrozenMapping
from flake8_django_migrations.project import cache as cache_module
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.project.graph import build_graph

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (the benchmark's project generator)


def test_a_frozen_mapping_reads_as_the_dict_it_was_made_from() -> None:
    written = {"model_name": "order", "name": "total", "field": None}
    mapping = FrozenMapping.of(written)
    assert mapping == written and written == mapping and not (mapping != written)
    assert mapping == FrozenMapping.of({"name": "total", "field": None, "model_name": "order"})  # order aside
    assert mapping != {**written, "name": "other"} and mapping != {"model_name": "order"} and mapping != 1
    assert list(mapping) == list(written) and len(mapping) == 3
    assert list(mapping.items()) == list(written.items()) and list(mapping.values()) == list(written.values())
    assert list(mapping.keys()) == list(written) and ("name", "total") in mapping.items()
    assert mapping["name"] == "total" and mapping.get("field", "absent") is None and mapping.get("db_column") is None
    assert "field" in mapping and "db_column" not in mapping and mapping.get("db_column", 5) == 5
    with pytest.raises(KeyError):
        mapping["db_column"]
    with pytest.raises(TypeError):
        mapping["name"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(mapping)  # as a dict: nothing is keyed by parameters
    assert repr(mapping) == f"FrozenMapping({written!r})"
    with pytest.raises(ValueError):
        FrozenMapping(("a",), ())


def test_records_keep_their_mappings_frozen_and_shared() -> None:
    first = Operation("AddField", "django.db.migrations.AddField", 3, 8, {"model_name": "a", "name": "b"})
    second = Operation("AddField", "django.db.migrations.AddField", 9, 8, {"model_name": "c", "name": "d"})
    assert isinstance(first.params, FrozenMapping) and isinstance(second.params, FrozenMapping)
    assert first.params == {"model_name": "a", "name": "b"}
    assert first.params._keys is second.params._keys  # one tuple of names for every mapping with the same names
    assert first.model_name == "a" and first.param("field", 1) == 1
    call = Call("django.db.models.CharField", (), {}, 1, 0)
    assert call.kwargs is EMPTY_MAPPING and call.kwarg("max_length") is None
    facts = [MigrationFacts(f"{n}.py", "shop", str(n), 1, 0, dependencies_site=Site(7, 4)) for n in range(2)]
    assert facts[0].functions is EMPTY_MAPPING
    assert facts[0].dependencies_site is facts[1].dependencies_site  # one Site per position


def test_facts_through_the_cache_pickle_come_back_equal_and_frozen() -> None:
    field = Call("django.db.models.IntegerField", (), {"default": 0, "null": True}, 5, 20)
    facts = MigrationFacts(
        "shop/migrations/0002_a.py", "shop", "0002_a", 4, 0,
        dependencies=(Dependency("shop", "0001_initial", 5, 8),),
        operations=(Operation("AddField", "django.db.migrations.AddField", 6, 8,
                              {"model_name": "order", "name": "total", "field": field}),),
    )
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = cache_module._dispatch_table()
    pickler.dump(facts)
    loaded = cache_module._Unpickler(io.BytesIO(buffer.getvalue())).load()
    assert loaded == facts
    params, written = loaded.operations[0].params, facts.operations[0].params
    assert isinstance(params, FrozenMapping) and isinstance(written, FrozenMapping) and params._keys is written._keys
    operation = loaded.operations[0]
    assert type(operation.params["field"].kwargs) is FrozenMapping and operation.params["field"].kwarg("null") is True


def test_the_graph_keeps_one_key_object_per_node() -> None:
    def migration(app: str, name: str, *parents: tuple[str, str]) -> MigrationFacts:
        return MigrationFacts(f"{app}/{name}.py", app, name, 1, 0,
                              dependencies=tuple(Dependency(a, n, 2, 4) for a, n in parents))

    migrations = {
        ("a", "0001"): migration("a", "0001"),
        ("a", "0002"): migration("a", "0002", ("a", "0001")),
        ("a", "0003"): migration("a", "0003", ("a", "0002")),
        ("b", "0001"): migration("b", "0001", ("a", "0002")),
    }
    graph = build_graph(migrations, {"a", "b"}, {})
    kept = {key: key for key in migrations}
    for node, linked in (*graph.parents.items(), *graph.children.items()):
        assert all(key is kept[key] for key in linked)
    assert all(item.target is kept[item.target] and item.source is kept[item.source] for item in graph.resolved)
    # Along the chain the parents of 0003 and the children of 0001 are one tuple.
    assert graph.parents[("a", "0003")] is graph.children[("a", "0001")]
    assert graph.children[("a", "0002")] == (("a", "0003"), ("b", "0001"))


def test_batches_cover_every_folder_once_in_order() -> None:
    sizes = [50] * 400
    batches = cache_module._batches(range(400), sizes, jobs=2)
    assert [index for batch in batches for index in batch] == list(range(400))
    assert 16 <= len(batches) <= 32 and all(len(batch) * 50 >= 20000 // 32 for batch in batches[:-1])
    assert cache_module._batches([2, 0, 1], [1, 900, 5], jobs=2) == [[2, 0, 1]]
    assert cache_module._batches([1, 0], [5, 900], jobs=1) == [[1], [0]]
    assert cache_module._batches([], [], jobs=2) == []


@pytest.mark.skipif(sys.platform != "linux", reason="the pool forks, which is used on Linux only")
def test_facts_from_workers_hold_the_callers_path_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "PARALLEL_MIN_FILES", 0)
    pools: list[int] = []
    real = FactsCache._extract_in_pool

    def counting(self: FactsCache, groups: Any, jobs: int, context: Any, then: Any) -> Any:
        left = real(self, groups, jobs, context, then)
        pools.append(len(left))
        return left

    monkeypatch.setattr(FactsCache, "_extract_in_pool", counting)
    root = tmp_path / "project"
    generate.generate(root, apps=5, migrations=6, seed=1)
    groups = [(tuple(sorted(str(p) for p in folder.glob("0*.py"))), folder.parent.name)
              for folder in sorted(root.rglob("migrations"))]
    handed: dict[str, MigrationFacts | None] = {}
    for name in ("cold", "warm"):
        cache = FactsCache(str(tmp_path / "cache"))
        cache.load_folders(groups, jobs=2, then=lambda paths, label, loaded: handed.update(loaded))
        for paths, label in groups:
            loaded = cache.facts_for_files(paths, complete=True, app_label=label)
            assert all(any(key is path for key in loaded) for path in paths)
            assert all(facts is not None and facts.path is path for path, facts in zip(paths, map(loaded.get, paths)))
        assert all(facts is not None and facts.path is path for path, facts in handed.items()), name
        handed.clear()
    assert pools[0] == 0  # the cold run's workers extracted every folder

"""``tools/mutate.py``: the mutations it enumerates, what it leaves alone, and a reproducible sample."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from tools import mutate

SOURCE = '''
"""Module docstring."""

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["pick"]
LIMIT: Final = 3


def pick(x: "int", items: list[str]) -> "Iterator[str]":
    """Function docstring."""
    if x <= LIMIT and not items:
        return
    for item in items:
        if item in ("a", "b") or item is None:
            continue
        yield item


def first(items: list[str]) -> str | None:
    return items[0] if items else None
'''


def mutants(tmp_path: Path) -> dict[str, mutate.Mutant]:
    (tmp_path / "module.py").write_text(SOURCE, encoding="utf-8")
    found = mutate.enumerate_mutants(tmp_path, "module.py")
    assert all(mutate.finish(mutant, SOURCE) for mutant in found)
    return {f"{mutant.line}: {mutant.description}": mutant for mutant in found}


def test_each_kind_of_mutation_is_enumerated_once(tmp_path: Path) -> None:
    # How `ast.unparse` writes `not` inside `and` differs between Python versions (3.11 adds parentheses).
    test = ast.unparse(ast.parse("x <= LIMIT and not items").body[0])
    assert sorted(mutants(tmp_path)) == sorted([
        "10: `3` -> `4`",
        f"15: condition `{test}` -> `True`",
        f"15: condition `{test}` -> `False`",
        "15: `and` -> `or`",
        "15: `<=` -> `<`",
        "15: `not x` -> `x`",
        "16: remove `return`",
        "18: condition `item in ('a', 'b') or item is None` -> `True`",
        "18: condition `item in ('a', 'b') or item is None` -> `False`",
        "18: `or` -> `and`",
        "18: `in` -> `not in`",
        "18: `'a'` -> `'XX'`",
        "18: `'b'` -> `'XX'`",
        "18: `is` -> `is not`",
        "19: remove `continue`",
        "20: remove `yield item`",
        "24: `return items[0] if items else None` -> `return None`",
        "24: `0` -> `1`",
        "24: condition `items` -> `True`",
        "24: condition `items` -> `False`",
    ])


def test_a_mutant_changes_only_its_own_tokens(tmp_path: Path) -> None:
    found = mutants(tmp_path)
    assert found["18: `is` -> `is not`"].mutated == '        if item in ("a", "b") or item is not None:'
    assert found["15: `not x` -> `x`"].mutated == "    if x <= LIMIT and items:"
    assert found["19: remove `continue`"].mutated == "            pass"
    for mutant in found.values():
        mutated = mutant.apply(SOURCE)
        assert ast.dump(ast.parse(mutated)) != ast.dump(ast.parse(SOURCE)), mutant.id


def test_the_sample_is_reproducible_and_proportional(tmp_path: Path) -> None:
    for name, size in (("big.py", 30), ("small.py", 10)):
        body = "".join(f"def f{n}(x):\n    return x == {n}\n\n\n" for n in range(size))
        (tmp_path / name).write_text(textwrap.dedent(body), encoding="utf-8")
    by_module = {name: mutate.enumerate_mutants(tmp_path, name) for name in ("big.py", "small.py")}
    first = mutate.sample(tmp_path, by_module, 1, None, 20)
    again = mutate.sample(tmp_path, by_module, 1, None, 20)
    other = mutate.sample(tmp_path, by_module, 2, None, 20)
    assert {name: len(chosen) for name, chosen in first.items()} == {"big.py": 15, "small.py": 5}
    assert [m.id for m in first["big.py"]] == [m.id for m in again["big.py"]]
    assert [m.id for m in first["big.py"]] != [m.id for m in other["big.py"]]

"""The command: exact flake8-style lines, JSON, exit codes, noqa, --select/--ignore, and a real subprocess run."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.registry import RULES
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

REPOSITORY = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def line(path: str, row: int, col: int, rule: str, **fields: object) -> str:
    return f"{path}:{row}:{col}: {RULES[rule].finding(path, row, col - 1, **fields).text}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two leaves in `shop`, one of them with a RunPython without reverse; `orders` points at a missing migration;
    the two apps depend on each other (DJM904, off by default)."""
    root = write_tree(tmp_path / "project", tree(
        app("shop", {
            "0001_initial": migration(("orders", "0001_initial")),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": RUN_PYTHON,
        }),
        app("orders", {
            "0001_initial": migration(),
            "0002_x": migration(("orders", "0001_initial"), ("shop", "0009_gone"), ("shop", "0001_initial")),
        }),
        app("billing", {"0001_initial": migration(("shop", "0002_a"))}),
    ))
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return root


SHOP_A = os.path.join("shop", "migrations", "0002_a.py")
SHOP_B = os.path.join("shop", "migrations", "0002_b.py")
ORDERS_X = os.path.join("orders", "migrations", "0002_x.py")

EXPECTED = [
    line(ORDERS_X, 6, 49, "DJM302", kind="dependencies", target="shop.0009_gone", app="shop"),
    line(SHOP_A, 5, 1, "DJM304", app="shop", name="0002_a", others="`0002_b`"),
    line(SHOP_B, 8, 1, "DJM304", app="shop", name="0002_b", others="`0002_a`"),
    line(SHOP_B, 10, 19, "DJM101", code="forwards"),
]


def test_check_prints_flake8_lines_and_exits_1(project: Path) -> None:
    assert run("check") == (1, "".join(f"{item}\n" for item in EXPECTED))
    assert run("check", ".") == run("check")


def test_check_json(project: Path) -> None:
    code, output = run("check", "--format", "json")
    assert code == 1
    document = json.loads(output)
    assert (document["version"], list(document)) == (1, ["version", "tool", "findings", "project"])
    records = document["findings"]
    assert [(r["path"], r["line"], r["col"], r["code"]) for r in records] == [
        (ORDERS_X, 6, 49, "DJM302"), (SHOP_A, 5, 1, "DJM304"), (SHOP_B, 8, 1, "DJM304"), (SHOP_B, 10, 19, "DJM101"),
    ]
    assert records[3]["fix"]["applicability"] == "unsafe"  # its edits: tests/test_fix_formats.py
    del records[3]["fix"]
    assert records[3] == {
        "path": SHOP_B, "line": 10, "col": 19, "code": "DJM101", "name": "run-python-without-reverse",
        "message": "`RunPython(forwards)` has no reverse, so this migration can never be unapplied",
        "hint": "pass `reverse_code=`, or `migrations.RunPython.noop` when there is nothing to undo",
    }


def test_check_clean_tree_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    migrations = {"0001_initial": migration(), "0002_x": migration(("shop", "0001_initial"))}
    root = write_tree(tmp_path, app("shop", migrations))
    monkeypatch.chdir(root)
    assert run("check", "--no-cache") == (0, "")
    code, output = run("check", "--no-cache", "--format", "json")
    assert (code, json.loads(output)["findings"]) == (0, [])


def test_check_limited_to_the_paths_given(project: Path) -> None:
    code, output = run("check", SHOP_A)
    assert (code, output) == (1, EXPECTED[1] + "\n")
    code, output = run("check", "orders", SHOP_A)
    assert output.splitlines() == [EXPECTED[0], EXPECTED[1]]


def test_paths_outside_the_working_folder_are_absolute(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "orders")
    code, output = run("check", str(project / "shop" / "migrations" / "0002_a.py"))
    assert output == EXPECTED[1].replace(SHOP_A, str(project / SHOP_A), 1) + "\n"


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ((), ["DJM101", "DJM302", "DJM304", "DJM304"]),
        (("--select", "DJM3"), ["DJM302", "DJM304", "DJM304"]),
        (("--select", "DJM1,DJM302"), ["DJM101", "DJM302"]),
        (("--select", "DJM1", "--select", "DJM302"), ["DJM101", "DJM302"]),
        # An explicit --ignore replaces flake8's default ignore list, which holds the off-by-default DJM904.
        (("--ignore", "DJM304"), ["DJM101", "DJM302", "DJM904"]),
        (("--ignore", "DJM3"), ["DJM101", "DJM904"]),
        (("--select", "DJM904"), ["DJM904"]),
        (("--select", "DJM3,DJM9"), ["DJM302", "DJM304", "DJM304", "DJM904"]),
        (("--select", "DJM", "--ignore", "DJM30"), ["DJM101", "DJM904"]),
        (("--select", "DJM304", "--ignore", "DJM3"), ["DJM304", "DJM304"]),  # the longer prefix wins
        (("--ignore", "DJM1"), ["DJM302", "DJM304", "DJM304", "DJM904"]),
    ],
)
def test_select_and_ignore(project: Path, options: tuple[str, ...], codes: list[str]) -> None:
    code, output = run("check", "--format", "json", *options)
    assert sorted(record["code"] for record in json.loads(output)["findings"]) == codes
    assert code == (1 if codes else 0)


@pytest.mark.parametrize(
    ("comment", "shown"),
    [
        ("  # noqa", False),
        ("  # noqa: DJM304", False),
        ("  # NOQA:DJM304,DJM101", False),
        ("  # noqa: DJM3", False),
        ("  # noqa: DJM101", True),
        ("  # noqa:E501 DJM304", False),
        ("", True),
    ],
)
def test_noqa_on_the_finding_line(project: Path, comment: str, shown: bool) -> None:
    path = project / SHOP_A
    text = path.read_text(encoding="utf-8").replace(
        "class Migration(migrations.Migration):", "class Migration(migrations.Migration):" + comment
    )
    path.write_text(text, encoding="utf-8")
    code, output = run("check", "--no-cache")
    assert (EXPECTED[1] in output.splitlines()) is shown
    assert EXPECTED[2] in output.splitlines()  # the other leaf still reports


def test_noqa_on_a_multi_line_list_works_per_line_as_in_flake8(project: Path) -> None:
    """flake8 joins the lines of a multi-line string for noqa, not those of a bracketed list: neither do we."""
    path = project / ORDERS_X
    source = (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [\n"
        "        ('orders', '0001_initial'),\n"
        "        ('shop', '0009_gone'),{entry}\n"
        "    ]{closing}\n"
    )
    path.write_text(source.format(entry="  # noqa: DJM302", closing=""), encoding="utf-8")
    assert "DJM302" not in run("check", "--no-cache")[1]
    path.write_text(source.format(entry="", closing="  # noqa: DJM302"), encoding="utf-8")
    assert f"{ORDERS_X}:7:9: DJM302" in run("check", "--no-cache")[1]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["lint"],
        ["check", "does-not-exist"],
        ["check", "--select", "djm3"],
        ["check", "--ignore", "DJM-1"],
        ["check", "--djm-swappable", "AUTH_USER_MODEL"],
        ["check", "--format", "xml"],
        ["graph", "does-not-exist"],
    ],
)
def test_usage_errors_exit_2(project: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv) == (2, "")
    assert "error" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help")[0] == 0
    assert "check" in capsys.readouterr().out


def test_graph_json(project: Path) -> None:
    code, output = run("graph", "--format", "json")
    assert code == 0
    graph = json.loads(output)
    assert list(graph) == ["nodes", "edges", "leaves", "external", "errors", "settings"]
    assert graph["nodes"] == [
        "billing.0001_initial", "orders.0001_initial", "orders.0002_x",
        "shop.0001_initial", "shop.0002_a", "shop.0002_b",
    ]
    assert graph["edges"] == [
        ["billing.0001_initial", "shop.0002_a"],
        ["orders.0002_x", "orders.0001_initial"],
        ["orders.0002_x", "shop.0001_initial"],
        ["shop.0001_initial", "orders.0001_initial"],
        ["shop.0002_a", "shop.0001_initial"],
        ["shop.0002_b", "shop.0001_initial"],
    ]
    assert graph["leaves"] == {"billing": ["0001_initial"], "orders": ["0002_x"], "shop": ["0002_a", "0002_b"]}
    assert graph["external"] == []
    assert [(e["code"], e["path"], e["line"]) for e in graph["errors"]] == [
        ("DJM302", ORDERS_X, 6), ("DJM304", SHOP_A, 5), ("DJM304", SHOP_B, 8),
    ]
    assert run("graph", str(project / "shop")) == (0, output)  # any path inside the project


def test_swappable_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    swappable = "migrations.swappable_dependency(settings.AUTH_USER_MODEL)"
    root = write_tree(tmp_path, tree(
        app("accounts", {"0001_initial": migration(swappable)}),
        app("shop", {"0001_initial": migration(swappable)}),
    ))
    monkeypatch.chdir(root)
    default = json.loads(run("graph", "--no-cache")[1])
    assert (default["edges"], default["external"]) == ([], ["auth"])
    custom = json.loads(run("graph", "--no-cache", "--djm-swappable", "AUTH_USER_MODEL=accounts.User")[1])
    assert (custom["edges"], custom["external"]) == ([["shop.0001_initial", "accounts.0001_initial"]], [])


def test_python_dash_m_in_a_subprocess(project: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check"],
        cwd=project, capture_output=True, text=True, env=environment, timeout=120, check=False,
    )
    assert (completed.returncode, completed.stdout) == (1, "".join(f"{item}\n" for item in EXPECTED))
    assert completed.stderr == ""
    # The second run reads the facts cache and must say the same.
    again = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check"],
        cwd=project, capture_output=True, text=True, env=environment, timeout=120, check=False,
    )
    assert (again.returncode, again.stdout) == (completed.returncode, completed.stdout)

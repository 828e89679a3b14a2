"""One configuration, one verdict: flake8 (run for real, in a subprocess) and ``check`` read the same configuration
through flake8's own machinery, so every setting below gives both the same findings (path, line, column, code).

Each case writes a configuration (``setup.cfg``, ``tox.ini``, ``.flake8``, a file for ``--config`` or
``--append-config``, ``pyproject.toml``'s table) into one small project, or passes options on the command line to
both, and compares what the two front ends report. The project has a finding of each kind the settings act on: per-file
(DJM101, DJM102) and graph findings (DJM202, DJM302, DJM304), an off-by-default one (DJM902), a PostgreSQL-only one
(DJM205), a migration that does not parse (E999), a ``# noqa`` line, a ``# flake8: noqa`` file, a second copy of an
app that hides the app's graph findings unless excluded, and migrations in folders the project pass does not enter
(``dist``, a hidden folder).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.flake8_runner import parse_output, run_flake8
from tests.graph_trees import app, migration, tree, write_tree

Located = list[tuple[str, int, int, str]]

HEADER = "from django.db import migrations, models\n\n\n"
REMOVE_NOTE = (
    HEADER + "class Migration(migrations.Migration):\n"
    '    dependencies = [("shop", "0001_initial")]\n'
    "    operations = [\n"
    '        migrations.RemoveField("order", "note"),\n'
    '        migrations.RunSQL("UPDATE shop_order SET total = 0"),  # noqa: DJM102\n'
    '        migrations.RunSQL("DELETE FROM shop_order"),\n'
    "    ]\n"
)
DATA = (
    HEADER + "def forwards(apps, schema_editor):\n"
    '    for order in apps.get_model("shop", "Order").objects.all():\n'
    "        order.save()\n\n\n"
    "class Migration(migrations.Migration):\n"
    '    dependencies = [("shop", "0001_initial")]\n'
    "    operations = [migrations.RunPython(forwards)]\n"
)
INDEX = (
    HEADER + "class Migration(migrations.Migration):\n"
    '    dependencies = [("orders", "0001_initial"), ("orders", "0009_gone")]\n'
    "    operations = [\n"
    '        migrations.AddIndex("order", models.Index(fields=["id"], name="order_id")),\n'
    # DJM202 reads the graph (issue 23, item 4): `shop` is left out of it, `orders` is not.
    '        migrations.RemoveField("order", "note"),\n'
    "    ]\n"
)
NOQA = "shop/migrations/0002_remove_note.py"  # its line 8 has a `# noqa: DJM102`
QUIETED = "orders/migrations/0004_quiet.py"  # a `# flake8: noqa` file
QUIET = "# flake8: noqa\n" + REMOVE_NOTE.replace('"shop", "0001_initial"', '"orders", "0002_index"')
VENDORED = REMOVE_NOTE.replace('"shop", "0001_initial"', '"vendor", "0001_initial"')


def project(root: Path) -> Path:
    return write_tree(root, tree(
        app("shop", {"0001_initial": migration(initial=True), "0002_remove_note": REMOVE_NOTE, "0002_data": DATA}),
        app("orders", {
            "0001_initial": migration(initial=True),
            "0002_index": INDEX,
        }),
        app("broken", {"0001_initial": HEADER + "class Migration(migrations.Migration):\n    dependencies = [\n"}),
        # A second folder claiming the label `shop`: the graph leaves `shop` out (no DJM304) unless one is excluded.
        app("shop", {"0001_initial": migration(initial=True)}, folder="legacy/shop"),
        {"orders/migrations/0004_quiet.py": QUIET},
        # Folders the project pass does not enter; flake8 (and so the plugin's per-file rules) does.
        app("vendor", {"0002_remove": VENDORED}, folder="dist/vendor"),
        app("tools", {"0002_remove": VENDORED}, folder=".tools/tools"),
    ))


@dataclass(frozen=True)
class Case:
    id: str
    files: Mapping[str, str] = field(default_factory=dict)  # written into the project, relative to its root
    options: tuple[str, ...] = ()  # given to both front ends
    cwd: str = "."  # where both run, relative to the project's root
    target: str = "."
    # Findings this case must show (or must not), so that a setting both front ends ignored cannot pass: `CODE`,
    # `path:CODE` or `path:line:CODE`, the path relative to the project's root.
    shows: tuple[str, ...] = ()
    hides: tuple[str, ...] = ()


CASES = (
    Case("no-configuration", shows=("DJM202", "DJM101", "DJM102", "DJM302", "DJM205", "E999"),
         hides=("DJM304", "DJM902", f"{NOQA}:8:DJM102", f"{QUIETED}:DJM202")),
    Case("setup.cfg-extend-ignore", {"setup.cfg": "[flake8]\nextend-ignore = DJM202\n"}, hides=("DJM202",)),
    Case("tox.ini-per-file-ignores", {"tox.ini": (
        "[flake8]\nper-file-ignores =\n    shop/migrations/0002_*.py: DJM1\n    orders/*/0002_index.py: DJM3\n"
    )}, shows=("DJM202",), hides=("DJM101", "DJM302")),
    Case(".flake8-extend-exclude", {".flake8": "[flake8]\nextend-exclude = legacy,dist\n"},
         shows=("DJM304",), hides=("dist/vendor/migrations/0002_remove.py:DJM202",)),
    Case("setup.cfg-exclude-one-file", {"setup.cfg": "[flake8]\nexclude = .git,legacy,0002_data.py\n"},
         shows=("shop/migrations/0002_remove_note.py:DJM304",), hides=("shop/migrations/0002_data.py:DJM304",)),
    Case("setup.cfg-extend-select-off-by-default", {"setup.cfg": "[flake8]\nextend-select = DJM902\n"},
         shows=("DJM902",)),
    Case("setup.cfg-select", {"setup.cfg": "[flake8]\nselect = DJM3,DJM9\n"}, shows=("DJM302", "DJM902"),
         hides=("DJM202", "E999")),
    Case("setup.cfg-ignore-replaces-the-default-ignore", {"setup.cfg": "[flake8]\nignore = DJM30\n"},
         shows=("DJM902",), hides=("DJM302",)),
    Case("setup.cfg-disable-noqa", {"setup.cfg": "[flake8]\ndisable-noqa = true\n"},
         shows=(f"{NOQA}:8:DJM102", f"{QUIETED}:DJM202")),
    Case("setup.cfg-djm-option", {"setup.cfg": "[flake8]\ndjm-database = sqlite\n"}, hides=("DJM205",)),
    # `shop` is left out of the graph: only per-file findings there (DJM202 reads the graph, issue 23 item 4).
    Case("setup.cfg-found-above-the-working-folder", {"setup.cfg": "[flake8]\nextend-ignore = DJM101\n"},
         cwd="shop", shows=("DJM102",), hides=("DJM101",)),
    Case("--config-replaces-discovery", {
        "setup.cfg": "[flake8]\nextend-ignore = DJM202\n", "ci/lint.cfg": "[flake8]\nextend-select = DJM9\n",
    }, options=("--config", "ci/lint.cfg"), shows=("DJM202", "DJM902")),
    Case("--append-config", {
        "setup.cfg": "[flake8]\nextend-ignore = DJM202\n", "ci/more.cfg": "[flake8]\nextend-select = DJM902\n",
    }, options=("--append-config", "ci/more.cfg"), shows=("DJM902",), hides=("DJM202",)),
    Case("--isolated", {"setup.cfg": "[flake8]\nselect = DJM1\n"}, options=("--isolated",), shows=("DJM202",)),
    Case("command-line-over-config", {"setup.cfg": "[flake8]\nextend-ignore = DJM202\nselect = DJM2\n"},
         options=("--select", "DJM1,DJM2", "--extend-ignore", "DJM205", "--extend-exclude", "legacy"),
         shows=("DJM101",), hides=("DJM205",)),
    Case("command-line-per-file-ignores-and-extend-select",
         options=("--per-file-ignores", "shop/*:DJM2 orders/*:DJM3", "--extend-select", "DJM902"),
         shows=("DJM902", "DJM101", "dist/vendor/migrations/0002_remove.py:DJM102",
                "orders/migrations/0002_index.py:DJM202"),
         hides=("DJM302", "shop/migrations/0002_remove_note.py:DJM202")),
    Case("pyproject-table-above-the-working-folder", {
        "pyproject.toml": '[tool.django-migrations-lint]\ndatabase = "sqlite"\n',
        "orders/pyproject.toml": '[project]\nname = "orders"\n',  # no table: the search goes on upwards
    }, cwd="orders", hides=("DJM205",)),
    Case("a-folder-of-the-project", target="orders/migrations", shows=("DJM302",)),
)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """flake8 in its subprocess and ``check`` here write their caches below the test's folder, never ~/.cache."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    yield home


def by_flake8(cwd: Path, *args: str) -> Located:
    completed = run_flake8(*args, cwd=cwd)
    assert completed.returncode in (0, 1), completed.stderr
    found = parse_output(completed.stdout)
    return ours([(os.path.join(cwd, path), line, col, code) for path, line, col, code in found])


def by_check(cwd: Path, *args: str) -> Located:
    out, previous = io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        status = main(["check", "--format", "json", *args], stdout=out)
    finally:
        os.chdir(previous)
    assert status in (0, 1), status
    document = json.loads(out.getvalue())
    return ours([(os.path.join(cwd, f["path"]), f["line"], f["col"], f["code"]) for f in document["findings"]])


def ours(found: Located) -> Located:
    """This plugin's findings and flake8's E999 (flake8 also reports pycodestyle's and pyflakes' codes)."""
    return sorted((os.path.normpath(path), line, col, code) for path, line, col, code in found
                  if code.startswith("DJM") or code == "E999")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_flake8_and_check_give_the_same_findings(case: Case, tmp_path: Path, cache_home: Path) -> None:
    root = project(tmp_path / "project")
    for relative, text in case.files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    cwd = root / case.cwd
    options = (*case.options, "--djm-no-cache", case.target)
    flake8_found, check_found = by_flake8(cwd, *options), by_check(cwd, *options)
    assert check_found == flake8_found
    found = {(os.path.relpath(path, root), line, code) for path, line, _, code in check_found}
    assert all(shown(entry, found) for entry in case.shows), (case.shows, sorted(found))
    assert not any(shown(entry, found) for entry in case.hides), (case.hides, sorted(found))


def shown(entry: str, found: set[tuple[str, int, str]]) -> bool:
    *where, code = entry.split(":")
    return any(
        code == found_code and where in ([], [path], [path, str(line)]) for path, line, found_code in found
    )


def test_the_migrations_of_folders_the_graph_leaves_out_get_their_per_file_findings(
    tmp_path: Path, cache_home: Path
) -> None:
    root = project(tmp_path / "project")
    found = by_check(root, "--djm-no-cache", ".")
    assert [(os.path.relpath(path, root), line, code) for path, line, _, code in found
            if code in ("DJM202", "DJM102") and not path.startswith((str(root / "shop"), str(root / "orders")))] == [
        # DJM202 is a project rule (issue 23, item 4): it reads the removed field along the graph, which leaves
        # these folders out.
        (".tools/tools/migrations/0002_remove.py", 9, "DJM102"),
        ("dist/vendor/migrations/0002_remove.py", 9, "DJM102"),
    ]


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path, cache_home: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path / "project")
    assert main(["check", "--config", str(root / "missing.cfg"), str(root)], stdout=io.StringIO()) == 2
    assert "missing.cfg" in capsys.readouterr().err


def test_a_code_flake8_refuses_in_a_config_file_is_a_usage_error(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "project")
    (root / "setup.cfg").write_text("[flake8]\nextend-ignore = djm202\n", encoding="utf-8")
    monkeypatch.chdir(root)
    assert main(["check", "."], stdout=io.StringIO()) == 2
    assert "djm202" in capsys.readouterr().err


@pytest.mark.parametrize("options", [
    (),
    ("--exclude", "dist,.tools"),
    ("--extend-exclude", "legacy,0002_*.py"),
    ("--extend-exclude", "shop/migrations"),  # with a slash: a path below the working folder
    ("--exclude", "project"),  # the base name of the working folder, which flake8 does not test for "."
    ("--filename", "*/0001_*.py"),
])
@pytest.mark.parametrize("paths", [(".",), ("shop", "orders/migrations/0002_index.py"), ("./dist/",)])
def test_the_files_check_lints_are_those_flake8_lints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], paths: tuple[str, ...]
) -> None:
    """``check`` walks the paths with flake8's exclusion tests compiled once and tests a file's name only when asked
    about it; flake8's own walk must agree on every file of the tree, and on those of its migrations folders."""
    from flake8.discover_files import expand_paths  # type: ignore[import-untyped]
    from flake8.options.parse_args import parse_args  # type: ignore[import-untyped]

    from flake8_django_migrations.flake8_compat import LintedFiles

    monkeypatch.chdir(project(tmp_path / "project"))
    _, parsed = parse_args(["--isolated", *options])
    flake8_walk = expand_paths(paths=paths, stdin_display_name="stdin", filename_patterns=parsed.filename,
                               exclude=(*parsed.exclude, *parsed.extend_exclude))
    expected = {os.path.abspath(path) for path in flake8_walk}
    linted = LintedFiles(paths, parsed)
    every_file = {os.path.join(folder, name) for folder, _, names in os.walk(os.getcwd()) for name in names}
    assert {path for path in every_file if path in linted} == expected
    named = {os.path.abspath(path) for path in paths if path.endswith(".py")}
    in_migrations = {path for path in expected if os.path.basename(os.path.dirname(path)) == "migrations"}
    assert linted.outside(()) == in_migrations | (named & expected)
    assert linted.outside(in_migrations) == (named & expected) - in_migrations
    assert expected or options == ("--filename", "*/0001_*.py")  # only that pattern matches nothing in dist

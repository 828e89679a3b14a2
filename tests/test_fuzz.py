"""Property-based fuzzing, in process: the facts, the command and the flake8 plugin on generated migrations and trees.

(a) Nothing raises: ``extract_facts`` on any module (generated migrations, deep nesting, huge literals, arbitrary
    Python from hypothesmith), and ``main([...])`` on any tree (an exit code of 0 or 1, JSON that parses).
(b) flake8 and ``check`` agree: the same (path, line, column, code) for every DJM code, with the same options.
(c) The cache changes nothing: ``check`` cold and warm with a fresh cache dir, and after an edit, equals
    ``check --djm-no-cache``.

The budgets are small and derandomized, so CI runs the same examples in about a minute. For a long local run,
``DJM_FUZZ_EXAMPLES=N`` gives every property N examples, and ``DJM_FUZZ_RANDOM=1`` draws new examples on each run
(failing ones are saved under ``.pytest_cache/djm-fuzz`` and replayed first next time).

What the properties found is pinned by small regular tests at the end of the file. A bug still open is listed in
``OPEN_BUGS``: its test is ``xfail(strict=True)`` and its input class is kept out of the properties. When a fix
lands, the test XPASSes and fails: set the bug's entry to False, which removes the mark and the exclusion.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import hypothesmith
import pytest
from flake8.main.application import Application
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from flake8_django_migrations.cli import main
from flake8_django_migrations.facts import extract_facts
from tests import fuzz_strategies as fs

REPOSITORY = Path(__file__).resolve().parent.parent
_EXAMPLES = os.environ.get("DJM_FUZZ_EXAMPLES", "").strip()
_RANDOM = os.environ.get("DJM_FUZZ_RANDOM", "").strip() not in ("", "0")


def fuzz(examples: int) -> settings:
    """``examples`` in CI, derandomized; ``DJM_FUZZ_EXAMPLES`` and ``DJM_FUZZ_RANDOM`` for long local runs."""
    return settings(
        max_examples=int(_EXAMPLES) if _EXAMPLES else examples,
        derandomize=not _RANDOM,
        database=DirectoryBasedExampleDatabase(str(REPOSITORY / ".pytest_cache" / "djm-fuzz")) if _RANDOM else None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


# Bugs the properties found: True while open, False once fixed. An open one pins its test below as xfail(strict=True)
# and keeps its input class out of the properties; when the fix lands its test XPASSes, which strict turns into a
# failure: set it to False. A fixed one's test guards against a regression, and its inputs are fuzzed again.
OPEN_BUGS = {
    # test_extract_facts_reads_a_deeply_nested_function_body; inputs: pathological "deep_expression_in_function"
    "recursion_in_function_body": False,
    # test_check_json_reports_an_unparsable_migration; inputs: migrations that do not parse (see parsable())
    "json_e999_key_error": False,
    # test_noqa_after_a_character_splitlines_breaks_on; inputs: findings in files with such characters
    "noqa_line_after_splitlines_break": False,
    # test_ignore_without_select_enables_off_by_default_rules_as_in_flake8; inputs: --ignore without --select
    "ignore_without_select": False,
    # test_check_and_flake8_agree_on_migrations_django_does_not_load[build|.hidden|node_modules...];
    # inputs: findings in hidden, build, dist, node_modules, site-packages and egg-info folders
    "skipped_folders": False,
    # test_check_decodes_a_utf_16_cookie_without_bom_as_flake8_does; inputs: "utf-16-cookie" in flake8-vs-check
    "utf_16_cookie_without_bom": False,
    # test_extract_facts_is_linear_in_a_queryset_chain; inputs: chains longer than 150 calls
    "quadratic_call_chain": False,
    # test_generic_merge_name_uses_the_app_label_in_both; inputs: DJM306 in apps with an apps.py
    "merge_name_label_from_folder": False,
}


def open_bug(name: str, reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(OPEN_BUGS[name], strict=True, reason=reason)


PATHOLOGICAL = {
    kind: sizes for kind, sizes in fs.PATHOLOGICAL.items()
    if not (kind == "deep_expression_in_function" and OPEN_BUGS["recursion_in_function_body"])
}
if OPEN_BUGS["quadratic_call_chain"]:
    PATHOLOGICAL["deep_call_chain_in_function"] = (100, 150)  # 1,200 calls take 10 s per extract_facts


# Running the tools -------------------------------------------------------------------------------------------------

JSON_KEYS = frozenset({"path", "line", "col", "code", "name", "message", "hint"})
FLAKE8_FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s"
Located = Counter  # (path, line, col, code) -> how many times it was reported


@pytest.fixture(scope="module", autouse=True)
def _home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Nothing may write to the real ~/.cache: the default cache dir lives below HOME and XDG_CACHE_HOME."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        yield home


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trees")


@contextlib.contextmanager
def materialised(tree: fs.Tree, workspace: Path) -> Iterator[Path]:
    """The tree written below a new folder (so no per-process memo of another example applies), as the cwd."""
    scratch = Path(tempfile.mkdtemp(prefix="t", dir=workspace))
    root = scratch / "project"
    for relative, data in tree.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    previous = os.getcwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(previous)
        shutil.rmtree(scratch, ignore_errors=True)


def run_main(argv: Sequence[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), stdout=out)
    # Exit 2 only where the options leave every migration out: a run that checked nothing says so.
    checked_nothing = code == 2 and "nothing was checked:" in err.getvalue()
    assert isinstance(code, int) and (code in (0, 1) or checked_nothing), (
        f"exit code {code!r}; stderr: {err.getvalue()}")
    assert "internal error" not in err.getvalue(), err.getvalue()
    return code, out.getvalue()


def check(*options: str, targets: Sequence[str] = (".",)) -> list[dict[str, Any]]:
    """``check --format json``: the findings, after checking the exit code and the shape of the JSON."""
    code, out = run_main(["check", "--format", "json", *options, *targets])
    if code == 2:
        return []  # the options leave every migration out, and the command said so (run_main checked)
    document = json.loads(out)
    assert isinstance(document, dict) and document["version"] == 1, document
    findings = document["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        assert isinstance(finding, dict) and JSON_KEYS <= finding.keys(), finding
        assert isinstance(finding["line"], int) and isinstance(finding["col"], int) and finding["col"] >= 1
    assert code == (1 if findings else 0), (code, findings)
    return findings


_outputs = itertools.count()


def flake8(scratch: Path, *options: str, targets: Sequence[str] = (".",)) -> Located:
    """The real flake8, in this process, on one job: the DJM findings it reports."""
    output = scratch / f"flake8-{next(_outputs)}.txt"  # flake8 appends to an existing file
    app = Application()
    stdout, stderr = io.StringIO(), io.StringIO()
    reporter = logging.getLogger("flake8.plugins.reporter")  # warns that a format string is not a plugin name
    level = reporter.level
    reporter.setLevel(logging.ERROR)
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        app.run(["--isolated", "--jobs", "1", f"--format={FLAKE8_FORMAT}", f"--output-file={output}", *options,
                 *targets])
    reporter.setLevel(level)
    assert not app.catastrophic_failure, stdout.getvalue() + stderr.getvalue()
    assert "internal error" not in stderr.getvalue(), stderr.getvalue()
    found: Located = Counter()
    text = output.read_text() if output.exists() else ""
    for line in text.splitlines():
        path, row, col, code = line.split("\t")
        if code.startswith("DJM"):
            found[(os.path.normpath(path), int(row), int(col), code)] += 1
    return found


def located(findings: Iterable[Mapping[str, Any]]) -> Located:
    """Our findings only: ``check`` also reports E999 and E902, which flake8 reports from its own checks."""
    return Counter((os.path.normpath(f["path"]), f["line"], f["col"], f["code"]) for f in findings
                   if f["code"].startswith("DJM"))


def _differences(flake8_found: Located, check_found: Located) -> str:
    only_flake8 = sorted((flake8_found - check_found).elements())
    only_check = sorted((check_found - flake8_found).elements())
    return f"only flake8: {only_flake8}\nonly check: {only_check}"


def _decoded(data: bytes, strict: bool) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        # flake8 reads through a text stream, whose UTF-16 decoder wants a BOM; bytes.decode does not.
        return io.TextIOWrapper(io.BytesIO(data), encoding).read() if strict else data.decode(encoding)
    except (SyntaxError, UnicodeError, LookupError):
        return data.decode("latin-1")


def flake8_can_parse(data: bytes) -> bool:
    """Whether the file parses once decoded as flake8 decodes it (Python's rules, else latin-1), reading it either
    as a text stream does or with ``bytes.decode``."""
    return _parse(_decoded(data, strict=True)) is not None and _parse(_decoded(data, strict=False)) is not None


def parsable(tree: fs.Tree) -> fs.Tree:
    """While ``json_e999_key_error`` is open (``check --format json`` raises KeyError('E999') on a migration it
    cannot parse), such files are left out of the trees."""
    if not OPEN_BUGS["json_e999_key_error"]:
        return tree
    return fs.Tree({path: data for path, data in tree.files.items()
                    if path not in tree.migration_files or flake8_can_parse(data)})


def parsable_content(data: bytes, instead: bytes = b"") -> bytes:
    """``data``, or ``instead`` while ``json_e999_key_error`` is open and ``data`` does not parse."""
    return instead if OPEN_BUGS["json_e999_key_error"] and not flake8_can_parse(data) else data


_ODD_LINE_BREAKS = tuple(fs.ODD_LINE_BREAKS)


def odd_line_breaks(tree: fs.Tree) -> frozenset[str]:
    """While ``noqa_line_after_splitlines_break`` is open (``check`` looks for a ``# noqa`` on the wrong line after a
    form feed, or another character ``str.splitlines`` breaks on, in a comment or string): the files with one."""
    found: set[str] = set()
    if not OPEN_BUGS["noqa_line_after_splitlines_break"]:
        return frozenset()
    for path in tree.migration_files:
        text = tree.files[path].decode("latin-1")  # the characters' UTF-8 bytes are found as latin-1 text too
        if any(char in text or char.encode("utf-8").decode("latin-1") in text for char in _ODD_LINE_BREAKS):
            found.add(os.path.normpath(path))
    return frozenset(found)


def in_skipped_folders(tree: fs.Tree) -> frozenset[str]:
    """While ``skipped_folders`` is open (``check`` does not look inside hidden, build, dist, node_modules,
    site-packages and egg-info folders; flake8 does): the migrations in such folders."""
    if not OPEN_BUGS["skipped_folders"]:
        return frozenset()
    return frozenset(
        os.path.normpath(path) for path in tree.migration_files
        if any(part.startswith(".") or part.endswith(".egg-info") or part in fs.SKIPPED_BY_DISCOVERY
               for part in path.split("/")[:-1])
    )


def merge_names_in_labelled_apps(tree: fs.Tree) -> frozenset[str]:
    """While ``merge_name_label_from_folder`` is open (flake8's DJM306 takes the app label from the folder name,
    ``check`` from ``AppConfig.label``): the migrations of apps with an ``apps.py``, for DJM306."""
    if not OPEN_BUGS["merge_name_label_from_folder"]:
        return frozenset()
    return frozenset(os.path.normpath(path) for path in tree.migration_files
                     if path.rsplit("/migrations/", 1)[0] + "/apps.py" in tree.files)


def without(found: Located, paths: frozenset[str], codes: tuple[str, ...] = ()) -> Located:
    """``found`` less the findings in ``paths`` (only those with one of ``codes``, when given)."""
    return Counter({key: count for key, count in found.items()
                    if key[0] not in paths or (codes and key[3] not in codes)})


# Options both tools take, with the same meaning.
SELECTIONS = (
    (), (), ("--select", "DJM"), ("--select", "DJM1,DJM3"), ("--select", "DJM", "--ignore", "DJM2"),
    ("--select=DJM9",), ("--select", "DJM101,DJM302,DJM4"), ("--select", "DJM", "--ignore", "DJM30,DJM4"),
    *((("--ignore", "DJM30"), ("--ignore=DJM1,DJM202",)) if not OPEN_BUGS["ignore_without_select"] else ()),
)
OPTIONS = st.tuples(
    st.sampled_from(SELECTIONS),
    st.sampled_from(((), (), ("--djm-database", "sqlite"), ("--djm-database=mysql",))),
    st.sampled_from(((), (), ("--djm-swappable", "AUTH_USER_MODEL=accounts.User"),
                     ("--djm-swappable", "AUTH_USER_MODEL=shop.Customer,OTHER_MODEL=orders.Order"))),
    st.sampled_from(((), (), (), ("--djm-app-label", "shop=store"), ("--exclude", "billing,.git"))),
).map(lambda parts: tuple(option for part in parts for option in part))


def targets(data: st.DataObject, tree: fs.Tree) -> tuple[str, ...]:
    """What to check: the whole tree mostly, sometimes one migration file or one app folder."""
    files = tree.migration_files
    choices: list[tuple[str, ...]] = [(".",), (".",), (".",)]
    if files:
        choices.append((data.draw(st.sampled_from(files), label="file"),))
        app_folder = data.draw(st.sampled_from(files), label="app file").rsplit("/migrations/", 1)[0]
        choices.append((app_folder,))
    return data.draw(st.sampled_from(choices), label="targets")


# (a) Nothing raises ------------------------------------------------------------------------------------------------

MIGRATION_PATHS = ("shop/migrations/0002_fill.py", "/abs/データ/migrations/~0003_x.py")
NOT_MIGRATION_PATHS = ("shop/models.py", "shop/migrations/__init__.py", "0001_initial.py", "shop/migrations/x.txt")


def _parse(data: bytes | str) -> ast.Module | None:
    """The tree Python would build, or None when Python itself refuses the file (not ours to handle)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # `'tuple' object is not callable` from hypothesmith
            return ast.parse(data)
    except (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError, OverflowError):
        return None


def _extract(tree: ast.Module, path: str) -> object:
    try:
        return extract_facts(tree, path)
    except RecursionError:  # a short message: the traceback of a RecursionError runs to thousands of lines
        raise AssertionError(f"extract_facts raised RecursionError for {path}") from None


def _facts_do_not_raise(tree: ast.Module, source: bytes | str) -> None:
    facts = [_extract(tree, path) for path in MIGRATION_PATHS]
    again = _parse(source)
    assert again is not None
    assert _extract(again, MIGRATION_PATHS[0]) == facts[0], "facts of the same module must be equal"
    for path in NOT_MIGRATION_PATHS:
        assert _extract(tree, path) is None


@fuzz(600)
@given(data=fs.migration_modules(PATHOLOGICAL))
def test_extract_facts_never_raises(data: bytes) -> None:
    source = _decoded(data, strict=False)  # as check and flake8 decode it: a file Python cannot decode is latin-1
    tree = _parse(source)
    assume(tree is not None)
    assert tree is not None
    _facts_do_not_raise(tree, source)


_MIGRATION_CLASS = (
    "\n\nfrom django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    "    dependencies = [('shop', '0001_initial')]\n"
    "    operations = [migrations.RunPython(forwards, migrations.RunPython.noop), migrations.RemoveField('o', 'f')]\n"
)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
@fuzz(60)
@given(source=hypothesmith.from_grammar(), shape=st.sampled_from(("module", "with_migration", "in_function")))
def test_extract_facts_never_raises_on_arbitrary_python(source: str, shape: str) -> None:
    """Grammar-valid Python as a migration file, alone, followed by a Migration class, or as a RunPython body."""
    if shape == "with_migration":
        source = source + _MIGRATION_CLASS
    elif shape == "in_function":
        body = "".join(f"    {line}\n" for line in source.splitlines()) or "    pass\n"
        source = "def forwards(apps, schema_editor):\n" + body + _MIGRATION_CLASS
    tree = _parse(source)
    assume(tree is not None)
    assert tree is not None
    _facts_do_not_raise(tree, source)


@fuzz(160)
@given(tree=fs.project_trees(pathological=PATHOLOGICAL), options=OPTIONS, data=st.data())
def test_command_never_raises(tree: fs.Tree, options: tuple[str, ...], data: st.DataObject, workspace: Path) -> None:
    tree = parsable(tree)
    with materialised(tree, workspace) as root:
        where = targets(data, tree)
        cache = ("--djm-cache-dir", str(root.parent / "cache"))
        findings = check(*options, *cache, targets=where)
        code, text = run_main(["check", *options, *cache, *where])
        assert code == (1 if findings else 0) or (code == 2 and not findings)
        assert len(text.splitlines()) == len(findings), text
        code, graph = run_main(["graph", "--format", "json", *options, "--djm-no-cache", where[0]])
        assert code == 0
        parsed = json.loads(graph)
        assert isinstance(parsed, dict) and {"nodes", "edges", "leaves", "external", "errors"} <= parsed.keys()


# (b) flake8 and check agree ----------------------------------------------------------------------------------------

# A `coding: utf-16` cookie without a BOM stays out of this property (the others have it): flake8 itself, not the
# plugin, raises UnicodeError from linecache when it reports a line it could not tokenize in such a file, which
# is not ours to fix; utf_16_cookie_without_bom is pinned by its own test.
FLAKE8_ENCODINGS = tuple(encoding for encoding in fs.ENCODINGS if encoding != "utf-16-cookie")


@fuzz(350)
@given(tree=fs.project_trees(pathological=PATHOLOGICAL, encodings=FLAKE8_ENCODINGS), options=OPTIONS,
       data=st.data())
def test_flake8_and_check_agree(tree: fs.Tree, options: tuple[str, ...], data: st.DataObject, workspace: Path) -> None:
    tree = parsable(tree)
    with materialised(tree, workspace) as root:
        where = targets(data, tree)
        by_check = located(check(*options, "--djm-no-cache", targets=where))
        by_flake8 = flake8(root.parent, *options, "--djm-cache-dir", str(root.parent / "cache"), targets=where)
    skipped = in_skipped_folders(tree) | odd_line_breaks(tree)
    by_flake8, by_check = without(by_flake8, skipped), without(by_check, skipped)
    labelled = merge_names_in_labelled_apps(tree)
    by_flake8, by_check = without(by_flake8, labelled, ("DJM306",)), without(by_check, labelled, ("DJM306",))
    assert by_flake8 == by_check, _differences(by_flake8, by_check)


# (c) Cached equals uncached ----------------------------------------------------------------------------------------


def edit(root: Path, tree: fs.Tree, data: st.DataObject) -> None:
    """One change between two runs: a migration rewritten (also to the same size and mtime), added or deleted, an
    ``apps.py`` label or a ``max_migration.txt`` changed."""
    files = tree.migration_files
    kind = data.draw(st.sampled_from(("rewrite", "same_size", "add", "delete", "apps_py", "max_migration")),
                     label="edit")
    if kind in ("rewrite", "same_size", "delete") and files:
        path = root / data.draw(st.sampled_from(files), label="edited file")
        if kind == "delete":
            path.unlink()
            return
        old = path.read_bytes()
        stat = path.stat()
        new = parsable_content(data.draw(fs.module_bytes(pathological={}), label="new content"))
        if kind == "same_size":
            path.write_bytes(parsable_content((new + b"\n" * len(old))[: len(old)], b"#" * len(old)))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # only the change time tells
            return
        path.write_bytes(new)
        return
    folders = sorted({path.rsplit("/migrations/", 1)[0] for path in files}) or ["shop"]
    folder = root / data.draw(st.sampled_from(folders), label="app")
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "apps_py":
        label = data.draw(st.sampled_from(fs.LABELS), label="label")
        (folder / "apps.py").write_text(f"from django.apps import AppConfig\n\n\nclass C(AppConfig):\n"
                                        f"    label = {label!r}\n", encoding="utf-8")
    elif kind == "max_migration":
        (folder / "migrations").mkdir(parents=True, exist_ok=True)
        (folder / "migrations" / "max_migration.txt").write_text(
            data.draw(st.sampled_from(("0001_initial\n", "", "0099_gone\n")), label="max"), encoding="utf-8")
    else:
        (folder / "migrations").mkdir(parents=True, exist_ok=True)
        new = parsable_content(data.draw(fs.module_bytes(pathological={}), label="added content"))
        (folder / "migrations" / "0099_added.py").write_bytes(new)


@fuzz(180)
@given(tree=fs.project_trees(pathological=PATHOLOGICAL), options=OPTIONS, data=st.data())
def test_cached_equals_uncached(tree: fs.Tree, options: tuple[str, ...], data: st.DataObject, workspace: Path) -> None:
    tree = parsable(tree)
    with materialised(tree, workspace) as root:
        cache = ("--djm-cache-dir", str(root.parent / "cache"))
        uncached = check(*options, "--djm-no-cache")
        assert check(*options, *cache) == uncached, "cold cache"
        assert check(*options, *cache) == uncached, "warm cache"
        edit(root, tree, data)
        uncached = check(*options, "--djm-no-cache")
        assert check(*options, *cache) == uncached, "warm cache after an edit"
        assert check(*options, *cache) == uncached, "warm cache after an edit, again"


# What the properties found, as small regular tests ----------------------------------------------------------------

# A per-file finding (DJM102) beside DJM202's, which reads the graph since issue 23 item 4 (so not on files the
# graph leaves out).
REMOVE_FIELD = (
    b"from django.db import migrations\n\n\n"
    b"class Migration(migrations.Migration):\n"
    b"    operations = [migrations.RemoveField('order', 'legacy'), migrations.RunSQL('SELECT 1')]\n"
)


def _both(tree: fs.Tree, workspace: Path, *options: str) -> tuple[Located, Located]:
    with materialised(tree, workspace) as root:
        return flake8(root.parent, *options, "--djm-no-cache"), located(check(*options, "--djm-no-cache"))


SKIPPED_FOLDER = open_bug("skipped_folders", "check skips hidden, build, dist, ... folders; flake8 does not")


@pytest.mark.parametrize("path", [
    "shop/migrations/_0002_hidden.py",  # Django skips modules starting with _ or ~
    "shop/migrations/~0002_tmp.py",
    "nopackage/migrations/0001_initial.py",  # no migrations/__init__.py: not a package Django loads
    pytest.param("build/migrations/0001_initial.py", marks=SKIPPED_FOLDER),
    pytest.param(".hidden/migrations/0001_initial.py", marks=SKIPPED_FOLDER),
    pytest.param("node_modules/shop/migrations/0001_initial.py", marks=SKIPPED_FOLDER),
])
def test_check_and_flake8_agree_on_migrations_django_does_not_load(path: str, tmp_path: Path) -> None:
    """Found by the properties: flake8 reported per-file findings on these files and ``check`` nothing."""
    files = {"manage.py": b"", path: REMOVE_FIELD}
    if not path.startswith("nopackage/"):
        files[path.rsplit("/", 1)[0] + "/__init__.py"] = b""
    by_flake8, by_check = _both(fs.Tree(files), tmp_path)
    assert by_check == by_flake8, _differences(by_flake8, by_check)


@open_bug("ignore_without_select", "an explicit --ignore turns on flake8's off-by-default rules, not check's")
def test_ignore_without_select_enables_off_by_default_rules_as_in_flake8(tmp_path: Path) -> None:
    files = {"manage.py": b"", "shop/migrations/__init__.py": b"",
             "shop/migrations/0001_auto_20230101_1234.py": b"from django.db import migrations\n\n\n"
             b"class Migration(migrations.Migration):\n    operations = []\n"}
    by_flake8, by_check = _both(fs.Tree(files), tmp_path, "--ignore", "DJM30")
    # Today flake8 reports DJM901 at 4:1 and check nothing.
    assert by_check == by_flake8, _differences(by_flake8, by_check)


@pytest.mark.parametrize("second", ["orders", "src/shop"])
def test_check_reports_per_file_findings_of_apps_sharing_a_label(second: str, tmp_path: Path) -> None:
    """Found by the properties: two folders claiming one label are left out of the graph, and ``check`` dropped
    their per-file findings too, which flake8 reports."""
    config = b"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    label = 'shop'\n"
    files = {"manage.py": b"", "shop/migrations/__init__.py": b"", f"{second}/migrations/__init__.py": b"",
             "shop/migrations/0001_initial.py": REMOVE_FIELD, f"{second}/migrations/0001_initial.py": REMOVE_FIELD,
             f"{second}/apps.py": config}
    by_flake8, by_check = _both(fs.Tree(files), tmp_path)
    assert by_check == by_flake8, _differences(by_flake8, by_check)
    assert len(by_check) == 2


DEEP_FUNCTION_BODY = (
    "from django.db import migrations\n\n\n"
    "def forwards(apps, schema_editor):\n"
    "    x = " + "-" * 900 + "1\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    operations = [migrations.RunPython(forwards)]\n"
)


@open_bug("recursion_in_function_body", "extract_facts raises RecursionError on a function body ~500+ deep")
def test_extract_facts_reads_a_deeply_nested_function_body() -> None:
    tree = ast.parse(DEEP_FUNCTION_BODY)  # Python parses it (its limit is about 3,000 levels)
    facts = _extract(tree, "shop/migrations/0002_deep.py")
    assert facts is not None


@open_bug("json_e999_key_error", "check --format json raises KeyError('E999') on a migration it cannot parse")
def test_check_json_reports_an_unparsable_migration(tmp_path: Path) -> None:
    files = {"manage.py": b"", "shop/migrations/__init__.py": b"",
             "shop/migrations/0001_initial.py": b"class Migration(\n"}
    with materialised(fs.Tree(files), tmp_path):
        findings = check("--djm-no-cache")  # the text format reports E999 at 1:17
    assert [(f["path"], f["code"]) for f in findings] == [("shop/migrations/0001_initial.py", "E999")]


@open_bug("noqa_line_after_splitlines_break", "check reads noqa on the wrong line after a \\f (splitlines)")
@pytest.mark.parametrize("char", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028"])
def test_noqa_after_a_character_splitlines_breaks_on(char: str, tmp_path: Path) -> None:
    source = (
        f"# a comment{char}with a form feed or another break Python's tokenizer does not count\n"
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.RemoveField('order', 'legacy'),  # noqa\n"
        "    ]\n"
    )
    files = {"manage.py": b"", "shop/migrations/__init__.py": b"", "shop/migrations/0001_initial.py": source.encode()}
    by_flake8, by_check = _both(fs.Tree(files), tmp_path)
    # Today check reports DJM202 at 7:9 despite the noqa, flake8 nothing.
    assert by_check == by_flake8 == Counter(), _differences(by_flake8, by_check)


@open_bug("utf_16_cookie_without_bom", "check decodes `coding: utf-16` without a BOM; flake8 falls back")
def test_check_decodes_a_utf_16_cookie_without_bom_as_flake8_does(tmp_path: Path) -> None:
    """flake8 reads through a text stream, whose UTF-16 decoder refuses input without a BOM, and falls back to
    latin-1; ``bytes.decode("utf-16")`` accepts an even number of bytes and gives text that does not parse."""
    source = b"# coding: utf-16\n" + REMOVE_FIELD
    source += b"#" * (len(source) % 2)  # an even number of bytes, which UTF-16 decodes to text that does not parse
    files = {"manage.py": b"", "shop/migrations/__init__.py": b"", "shop/migrations/0001_initial.py": source}
    by_flake8, by_check = _both(fs.Tree(files), tmp_path)
    # Today flake8 reports DJM202 at 6:19 and check nothing (it reports E999).
    assert by_check == by_flake8, _differences(by_flake8, by_check)


def _queryset_chain(calls: int) -> str:
    return (
        "from django.db import migrations\n\n\n"
        "def forwards(apps, schema_editor):\n"
        "    M = apps.get_model('shop', 'Order')\n"
        "    M.objects" + ".filter(x=1)" * calls + ".update(y=2)\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n"
    )


def _calls_made_by_extract_facts(source: str) -> int:
    """Function calls (Python and C) made while reading the facts: a measure of work that does not depend on timing."""
    tree = ast.parse(source)
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        count += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        extract_facts(tree, "shop/migrations/0002_chain.py")
    finally:
        sys.setprofile(None)
    return count


@open_bug("quadratic_call_chain", "extract_facts does quadratic work in the length of a queryset chain")
def test_extract_facts_is_linear_in_a_queryset_chain() -> None:
    """Found by the slowest examples: 1,200 chained ``.filter()`` calls took 10 s (parsing them, 5 ms)."""
    short, long = _calls_made_by_extract_facts(_queryset_chain(25)), _calls_made_by_extract_facts(_queryset_chain(200))
    assert long < 20 * short, f"8 times the chain, {long / short:.0f} times the calls"  # today about 44 times


@open_bug("merge_name_label_from_folder", "DJM306: flake8 takes the app from its folder, check from AppConfig.label")
@pytest.mark.parametrize("written", ["shop", "store"])
def test_generic_merge_name_uses_the_app_label_in_both(written: str, tmp_path: Path) -> None:
    """Found by a long run: the app in folder ``shop`` is labelled ``store``; a merge migration named
    ``0003_merge`` depends on two migrations of the app written ``written``. Django's app is ``store``."""
    def migration(dependencies: str) -> bytes:
        return ("from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
                f"    dependencies = {dependencies}\n    operations = []\n").encode()

    files = {
        "manage.py": b"", "shop/migrations/__init__.py": b"",
        "shop/apps.py": b"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    label = 'store'\n",
        "shop/migrations/0001_initial.py": migration("[]"),
        "shop/migrations/0002_a.py": migration("[('store', '0001_initial')]"),
        "shop/migrations/0002_b.py": migration("[('store', '0001_initial')]"),
        "shop/migrations/0003_merge.py": migration(f"[({written!r}, '0002_a'), ({written!r}, '0002_b')]"),
    }
    by_flake8, by_check = _both(fs.Tree(files), tmp_path)
    # Today, with `shop`: flake8 reports DJM306 at 4:1 and check does not; with `store`, the other way round.
    assert by_check == by_flake8, _differences(by_flake8, by_check)


# (x) Control characters in names reach no line of output -----------------------------------------------------------

_BIDI_FORMATTING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FLAKE8_TEXT_FORMAT = "%(path)s:%(row)d:%(col)d: %(code)s %(text)s"  # flake8's default
FLAKE8_TEXT_FORMAT_WITHOUT_PATH = "%(row)d:%(col)d: %(code)s %(text)s"


def _unsafe(char: str) -> bool:
    """A control character (C0, DEL, C1), a line or paragraph separator, a bidirectional formatting character or a
    lone surrogate: what a name from a migration must not bring into a terminal or a CI log."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029" or char in _BIDI_FORMATTING or (
        0xD800 <= code <= 0xDFFF)


def safe_lines(text: str) -> list[str]:
    """The lines of ``text``, after checking that it is UTF-8 and that no line holds an unsafe character but its own
    line feed (split on it alone: a vertical tab or U+2028 must not hide in a line either)."""
    text.encode("utf-8")  # strict: what a UTF-8 terminal or log takes
    lines = text.split("\n")
    assert lines[-1] == "", ascii(text)
    for line in lines[:-1]:
        assert not any(_unsafe(char) for char in line), ascii(line)
    return lines[:-1]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def flake8_lines(scratch: Path, output_format: str) -> list[str]:
    """The real flake8, in this process, every DJM rule selected: the lines it writes, checked by ``safe_lines``."""
    output = scratch / f"flake8-{next(_outputs)}.txt"
    app = Application()
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        app.run(["--isolated", "--jobs", "1", "--select", "DJM", f"--format={output_format}",
                 f"--output-file={output}", "--djm-no-cache", "."])
    assert not app.catastrophic_failure, stdout.getvalue() + stderr.getvalue()
    assert "internal error" not in stderr.getvalue(), stderr.getvalue()
    return safe_lines(output.read_bytes().decode("utf-8") if output.exists() else "")


@fuzz(50)
@given(tree=fs.control_character_trees())
def test_control_characters_in_names_reach_no_output_line(tree: fs.Tree, workspace: Path) -> None:
    """Names with control characters (models, fields, tables, SQL, app labels, file names): no line of ``check``'s
    text or github output, nor of flake8's, holds one, JSON holds no lone surrogate, and nothing crashes."""
    with materialised(tree, workspace) as root:
        options = ("--select", "DJM", "--djm-no-cache")
        findings = check(*options)
        _, text = run_main(["check", *options])
        assert len(safe_lines(text)) == len(findings), text
        _, github = run_main(["check", "--format", "github", *options])
        assert [line.split("::", 2)[0] for line in safe_lines(github)] == [""] * len(findings), github
        _, document = run_main(["check", "--format", "json", *options])
        assert not any(0xD800 <= ord(char) <= 0xDFFF for string in _strings(json.loads(document)) for char in string)
        # flake8 prints the file names itself: with odd ones, a format without them (flake8 cannot print a name
        # that is not UTF-8 at all); the plugin's messages, which name files too, are what is checked then.
        odd_file_names = any(not os.path.basename(path).isprintable() for path in tree.files)
        lines = flake8_lines(root.parent, FLAKE8_TEXT_FORMAT_WITHOUT_PATH if odd_file_names else FLAKE8_TEXT_FORMAT)
        assert len(lines) == len([finding for finding in findings if finding["code"].startswith("DJM")]), lines

"""The real-world corpus script (benchmarks/corpora.py), offline: safe unpacking, summaries and their differences,
the pinned list and the committed summaries. Nothing here downloads or runs the linter."""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import sys
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpora  # noqa: E402

MIGRATION = b"from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    pass\n"


def _zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """A zip archive of (name, data, Unix mode) members, the mode as a Unix zip tool records it."""
    with zipfile.ZipFile(path, "w") as bundle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, which one test makes on purpose
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            bundle.writestr(info, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                bundle.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return path


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def _files_below(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if not path.is_dir())


# Safe unpacking -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../evil.py", "app/../../evil.py", "/etc/evil.py", "C:/evil.py", "a\\..\\evil.py",
                                  "..", "", "./", "app/\x00.py"])
def test_member_names_that_leave_the_target_are_refused(name: str) -> None:
    with pytest.raises(corpora.UnsafeArchiveError):
        corpora.safe_relative_path(name)


def test_harmless_member_names_are_normalised() -> None:
    assert corpora.safe_relative_path("./app//migrations/./0001_initial.py") == "app/migrations/0001_initial.py"


def test_a_wheel_unpacks_the_python_modules_and_max_migration_only(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "shop-1.0-py3-none-any.whl", [
        ("shop/__init__.py", b"", 0o100644),
        ("shop/apps.py", b"label = 'x'\n", 0o100644),
        ("shop/migrations/__init__.py", b"", 0o644),  # permissions only, no file type: as many wheels have
        ("shop/migrations/0001_initial.py", MIGRATION, 0o100644),
        ("shop/migrations/max_migration.txt", b"0001_initial\n", 0o100644),
        ("shop/templates/shop/index.html", b"<p>", 0o100644),
        ("shop/static/", b"", 0o040755),
        ("shop-1.0.dist-info/METADATA", b"Name: shop\n", 0o100644),
        ("shop-1.0.dist-info/setup.py", b"", 0o100644),
    ])
    target = tmp_path / "out"
    target.mkdir()
    written = corpora.unpack(archive, target)
    expected = ["shop/__init__.py", "shop/apps.py", "shop/migrations/0001_initial.py", "shop/migrations/__init__.py",
                "shop/migrations/max_migration.txt"]
    assert written == expected
    assert _files_below(target) == expected
    assert (target / "shop/migrations/0001_initial.py").read_bytes() == MIGRATION


def test_a_source_distribution_loses_its_top_folder(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "shop-1.0.tar.gz", [
        ("shop-1.0/setup.cfg", b"[flake8]\ndjm-database = sqlite\n"),
        ("shop-1.0/shop/migrations/__init__.py", b""),
        ("shop-1.0/shop/migrations/0001_initial.py", MIGRATION),
        ("shop-1.0/README.md", b"shop"),
    ])
    target = tmp_path / "out"
    target.mkdir()
    assert corpora.unpack(archive, target, strip_top_folder=True) == [
        "shop/migrations/0001_initial.py", "shop/migrations/__init__.py"]
    assert _files_below(target) == ["shop/migrations/0001_initial.py", "shop/migrations/__init__.py"]


@pytest.mark.parametrize("bad", [
    ("../escaped.py", MIGRATION, 0o100644),
    ("shop/../../escaped.py", MIGRATION, 0o100644),
    ("/tmp/escaped.py", MIGRATION, 0o100644),
    ("shop/migrations/0002_link.py", b"/etc/passwd", stat.S_IFLNK | 0o777),
    ("shop/migrations/0001_initial.py", MIGRATION, 0o100644),  # the second copy of a member
])
def test_a_zip_with_one_unsafe_member_is_refused_whole(tmp_path: Path, bad: tuple[str, bytes, int]) -> None:
    archive = _zip(tmp_path / "evil.whl", [("shop/migrations/0001_initial.py", MIGRATION, 0o100644), bad])
    target = tmp_path / "nested" / "out"
    target.mkdir(parents=True)
    with pytest.raises(corpora.UnsafeArchiveError):
        corpora.unpack(archive, target)
    # Nothing at all was written, inside the target or next to it.
    assert _files_below(tmp_path / "nested") == []
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize("bad", [
    _link("shop-1.0/shop/migrations/0002_link.py", "/etc/passwd", tarfile.SYMTYPE),
    _link("shop-1.0/shop/migrations/0002_hard.py", "shop-1.0/shop/migrations/0001_initial.py", tarfile.LNKTYPE),
    _link("shop-1.0/shop/migrations", "../../..", tarfile.SYMTYPE),
    _link("shop-1.0/shop/fifo.py", "", tarfile.FIFOTYPE),
    ("shop-1.0/../escaped.py", MIGRATION),
    ("/tmp/escaped.py", MIGRATION),
])
def test_a_tar_with_links_devices_or_traversal_is_refused_whole(
    tmp_path: Path, bad: tarfile.TarInfo | tuple[str, bytes]
) -> None:
    archive = _tar(tmp_path / "evil.tar.gz", [("shop-1.0/shop/migrations/0001_initial.py", MIGRATION), bad])
    target = tmp_path / "nested" / "out"
    target.mkdir(parents=True)
    with pytest.raises(corpora.UnsafeArchiveError):
        corpora.unpack(archive, target, strip_top_folder=True)
    assert _files_below(tmp_path / "nested") == []
    assert not (tmp_path / "escaped.py").exists()


def test_an_archive_with_other_contents_is_a_changed_upload(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "shop-1.0-py3-none-any.whl", [("shop/__init__.py", b"", 0o100644)])
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    corpora.verify(archive, corpora.Pinned("shop", "1.0", archive.name, digest))
    with pytest.raises(corpora.ChangedUploadError, match="has sha256"):
        corpora.verify(archive, corpora.Pinned("shop", "1.0", archive.name, "0" * 64))
    with pytest.raises(corpora.ChangedUploadError, match="did not download"):
        corpora.verify(tmp_path / "other.whl", corpora.Pinned("shop", "1.0", "other.whl", digest))


def test_migration_files_are_the_modules_django_would_load(tmp_path: Path) -> None:
    for relative in ["a/migrations/__init__.py", "a/migrations/0001_initial.py", "a/migrations/_helper.py",
                     "a/migrations/~0002_draft.py", "a/migrations/notes.txt", "b/migrations/0001_initial.py",
                     "c/models.py"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"")
    # b's folder is no package: Django loads nothing from it.
    assert corpora.migration_files(tmp_path) == ["a/migrations/0001_initial.py"]


# Summaries and differences ---------------------------------------------------------------------------------------

PINNED = corpora.Pinned("shop", "1.0", "shop-1.0-py3-none-any.whl", "a" * 64)
GRAPH = {
    "nodes": ["shop.0001_initial", "shop.0002_b", "shop.0002_c", "stock.0001_initial"],
    "edges": [["shop.0002_b", "shop.0001_initial"], ["shop.0002_c", "shop.0001_initial"]],
    "leaves": {"stock": ["0001_initial"], "shop": ["0002_c", "0002_b"]},
    "external": ["auth"],
    "errors": [],
}


def _finding(path: str, line: int, col: int, code: str) -> dict[str, object]:
    return {"path": path, "line": line, "col": col, "code": code, "name": "n", "message": "m", "hint": "h"}


def test_a_summary_counts_codes_and_lists_findings_in_file_order() -> None:
    findings = [
        _finding("shop/migrations/0002_b.py", 10, 9, "DJM202"),
        _finding("shop/migrations/0002_b.py", 9, 9, "DJM201"),
        _finding("shop/migrations/0001_initial.py", 30, 5, "DJM202"),
        _finding("shop/migrations/0002_c.py", 1, 1, "DJM304"),
    ]
    summary = corpora.build_summary(PINNED, findings, GRAPH, ["shop/migrations/0001_initial.py", "x", "y"])
    assert summary["findings"] == [
        "shop/migrations/0001_initial.py:30:5 DJM202",
        "shop/migrations/0002_b.py:9:9 DJM201",  # line 9 before line 10, not as strings sort
        "shop/migrations/0002_b.py:10:9 DJM202",
        "shop/migrations/0002_c.py:1:1 DJM304",
    ]
    assert summary["counts"] == {"DJM201": 1, "DJM202": 2, "DJM304": 1}
    assert summary["total"] == 4
    assert summary["migration_files"] == 3
    assert summary["graph"] == {
        "apps": ["shop", "stock"],
        "nodes": 4,
        "edges": 2,
        "external_apps": ["auth"],
        "leaves": {"shop": ["0002_b", "0002_c"], "stock": ["0001_initial"]},
    }
    assert (summary["project"], summary["version"], summary["sha256"]) == ("shop", "1.0", "a" * 64)
    # Written with sorted keys, so two runs give the same bytes whatever order the findings came in.
    text = corpora.summary_text(summary)
    again = corpora.summary_text(corpora.build_summary(PINNED, reversed(findings), GRAPH, ["a", "b", "c"]))
    assert text == again
    assert json.loads(text) == summary


def test_equal_summaries_have_no_difference() -> None:
    summary = corpora.build_summary(PINNED, [_finding("a.py", 1, 1, "DJM101")], GRAPH, ["a.py"])
    assert corpora.diff_summaries(summary, json.loads(corpora.summary_text(summary))) == []


def test_the_difference_names_count_changes_and_each_added_and_removed_finding() -> None:
    old = corpora.build_summary(PINNED, [
        _finding("shop/migrations/0001_initial.py", 3, 1, "DJM101"),
        _finding("shop/migrations/0002_b.py", 5, 9, "DJM202"),
    ], GRAPH, ["a", "b"])
    new_graph = {**GRAPH, "leaves": {"shop": ["0002_b"], "stock": ["0001_initial"]}}
    new = corpora.build_summary(PINNED, [
        _finding("shop/migrations/0001_initial.py", 3, 1, "DJM101"),
        _finding("shop/migrations/0002_b.py", 7, 9, "DJM202"),
        _finding("shop/migrations/0002_b.py", 8, 9, "DJM205"),
    ], new_graph, ["a", "b"])
    assert corpora.diff_summaries(old, new) == [
        "shop:",
        "  total: 2 -> 3",
        "  DJM205: 0 -> 1 (+1)",
        '  graph leaves: {"shop": ["0002_b", "0002_c"], "stock": ["0001_initial"]} -> '
        '{"shop": ["0002_b"], "stock": ["0001_initial"]}',
        "  - shop/migrations/0002_b.py:5:9 DJM202",
        "  + shop/migrations/0002_b.py:7:9 DJM202",
        "  + shop/migrations/0002_b.py:8:9 DJM205",
    ]
    assert corpora.diff_summaries(None, new) == ["shop: no committed summary (3 findings now)"]


def test_a_new_pinned_version_shows_in_the_difference() -> None:
    old = corpora.build_summary(PINNED, [], GRAPH, [])
    newer = corpora.Pinned("shop", "1.1", "shop-1.1-py3-none-any.whl", "b" * 64)
    difference = corpora.diff_summaries(old, corpora.build_summary(newer, [], GRAPH, []))
    assert difference == [
        "shop:",
        "  version: 1.0 -> 1.1",
        "  archive: shop-1.0-py3-none-any.whl -> shop-1.1-py3-none-any.whl",
        f"  sha256: {'a' * 64} -> {'b' * 64}",
    ]


# Running the linter ---------------------------------------------------------------------------------------------


def test_the_linter_reads_no_django_settings_so_the_venv_does_not_count() -> None:
    command = corpora.linter_command("check")
    assert command[:4] == [sys.executable, "-m", "flake8_django_migrations", "check"]
    assert command[command.index("--djm-settings") + 1] == "none"
    assert command[-1] == "." and "--djm-no-cache" in command
    assert corpora.linter_command("graph")[3] == "graph"


def test_the_linter_runs_without_django_settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(command: list[str], **options: object) -> object:
        seen.update(options, command=command)
        return type("Completed", (), {"returncode": 0, "stdout": "[]", "stderr": ""})()

    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "shop.settings")
    monkeypatch.setattr(corpora.subprocess, "run", fake_run)
    assert corpora._run_linter(tmp_path, tmp_path / "linter", "check") == []
    environment = seen["env"]
    assert isinstance(environment, dict) and "DJANGO_SETTINGS_MODULE" not in environment
    assert environment["PYTHONPATH"].split(corpora.os.pathsep)[0] == str(tmp_path / "linter")
    assert seen["command"] == corpora.linter_command("check") and seen["cwd"] == tmp_path

# The pinned list and the committed summaries ---------------------------------------------------------------------


def test_the_pinned_list_is_well_formed() -> None:
    names = [pinned.name for pinned in corpora.PROJECTS]
    assert names == sorted(set(names)), "one entry per project, in name order"
    required = {"wagtail", "django-cms", "django-oscar", "django-allauth", "django-filer", "pretix", "weblate",
                "django"}
    assert required <= set(names)
    for pinned in corpora.PROJECTS:
        assert re.fullmatch(r"[0-9a-f]{64}", pinned.sha256), pinned
        assert re.fullmatch(r"[0-9]+(\.[0-9]+)*", pinned.version), pinned
        # The file pip downloads for NAME==VERSION (wheel and sdist names normalise "-" to "_").
        stem = re.sub(r"[-_.]+", "_", pinned.name).lower()
        if pinned.is_wheel:
            assert re.fullmatch(rf"{stem}-{re.escape(pinned.version)}-py3-none-any\.whl", pinned.filename.lower())
        else:
            assert re.fullmatch(rf"{stem}-{re.escape(pinned.version)}\.tar\.gz", pinned.filename.lower())
    assert len({pinned.sha256 for pinned in corpora.PROJECTS}) == len(names)


def test_the_committed_summaries_belong_to_the_pinned_list_and_are_consistent() -> None:
    pinned = {project.name: project for project in corpora.PROJECTS}
    committed = sorted(corpora.SUMMARIES.glob("*.json"), key=lambda path: path.stem)
    assert [path.stem for path in committed] == sorted(pinned), "run `benchmarks/corpora.py update`"
    for path in committed:
        summary = json.loads(path.read_text(encoding="utf-8"))
        project = pinned[path.stem]
        assert (summary["project"], summary["version"], summary["archive"], summary["sha256"]) == (
            project.name, project.version, project.filename, project.sha256)
        codes = [line.rpartition(" ")[2] for line in summary["findings"]]
        assert summary["counts"] == {code: codes.count(code) for code in sorted(set(codes))}
        assert summary["total"] == len(summary["findings"])
        assert path.read_text(encoding="utf-8") == corpora.summary_text(summary), "not written by corpora.py"


def test_an_unknown_project_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown project"):
        corpora.selected(["no-such-project"])
    assert corpora.selected(["wagtail", "django"]) == [pinned for pinned in corpora.PROJECTS
                                                       if pinned.name in ("django", "wagtail")]

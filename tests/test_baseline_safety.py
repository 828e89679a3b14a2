"""Baselines against the repository they sit in: ``--write-baseline`` never writes through a link or into a FIFO
and never leaves half a file, and a baseline of the wrong shape is a usage error in both front ends, not a crash."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.baseline import BaselineError, read_baseline, write_baseline
from flake8_django_migrations.cli import main
from flake8_django_migrations.finding import Finding
from tests.flake8_runner import run_flake8
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

# Long enough for a loaded machine, short enough to tell a hang from a slow run.
TIMEOUT = 30
BASHRC = "export PATH=$HOME/bin:$PATH\n"

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and FIFOs as POSIX has them")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`shop` with a RunPython without reverse (DJM101): something to write into a baseline."""
    root = write_tree(tmp_path / "project", tree(
        app("shop", {"0001_initial": migration(initial=True), "0002_data": RUN_PYTHON}),
    ))
    monkeypatch.chdir(root)
    return root


def check(*argv: str) -> int:
    return main(["check", "--djm-no-cache", *argv], stdout=io.StringIO())


# Writing ---------------------------------------------------------------------------------------------------------


@needs_posix
def test_a_baseline_committed_as_a_link_is_refused_and_what_it_points_to_is_untouched(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bashrc = project.parent / ".bashrc"
    bashrc.write_text(BASHRC)
    (project / "migrations-baseline.json").symlink_to("../.bashrc")
    assert check("--write-baseline", "migrations-baseline.json") == 2
    assert "migrations-baseline.json" in capsys.readouterr().err
    assert bashrc.read_text() == BASHRC
    assert (project / "migrations-baseline.json").is_symlink()
    assert sorted(os.listdir(project)) == ["manage.py", "migrations-baseline.json", "shop"], "no file left behind"


@needs_posix
def test_a_fifo_as_the_baseline_to_write_hangs_nothing(project: Path) -> None:
    os.mkfifo(project / "migrations-baseline.json")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flake8_django_migrations", "check", "--djm-no-cache", "--write-baseline",
             "migrations-baseline.json", "."],
            cwd=project, capture_output=True, text=True, timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("--write-baseline waited for a reader of the FIFO")
    assert result.returncode == 2, result.stderr
    assert "FIFO" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_a_baseline_that_cannot_be_written_is_a_baseline_error(tmp_path: Path, where: str) -> None:
    path = tmp_path / "baseline.json"
    if where == "a folder":
        path.mkdir()
    else:
        path = tmp_path / "missing" / "baseline.json"
    with pytest.raises(BaselineError, match="baseline"):
        write_baseline(str(path), [Finding(str(tmp_path / "a.py"), 1, 0, "DJM101", "message", "hint")])


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="file size limits and modes as POSIX has them")
def test_a_baseline_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(str(path), [Finding(str(tmp_path / "a.py"), 1, 0, "DJM101", "old", "hint")])
    path.chmod(0o640)
    old = path.read_text()
    # A disk that fills up while the new baseline is written: the process may write 300 bytes per file.
    script = textwrap.dedent(
        f"""\
        import resource, signal
        from flake8_django_migrations.baseline import BaselineError, write_baseline
        from flake8_django_migrations.finding import Finding

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))
        findings = [Finding({str(tmp_path)!r} + f"/m{{n}}.py", 1, 0, "DJM101", "new", "hint") for n in range(50)]
        try:
            write_baseline({str(path)!r}, findings)
        except BaselineError as error:
            print("refused:", error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stdout.startswith("refused:"), result.stdout + result.stderr
    assert path.read_text() == old
    assert sorted(os.listdir(tmp_path)) == ["baseline.json"], "the temporary file is removed"
    write_baseline(str(path), [])
    assert read_baseline(str(path)).entries == {}
    assert path.stat().st_mode & 0o777 == 0o640, "a baseline replaced keeps its permissions"


# Reading ---------------------------------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED = {
    "findings is a number": '{"format": 1, "findings": 5}',
    "findings is null": '{"format": 1, "findings": null}',
    "findings is a float": '{"format": 1, "findings": 1.5}',
    "findings is an object": '{"format": 1, "findings": {}}',
    "format is true": '{"format": true, "findings": []}',
    "nested 100,000 deep": DEEP,
    "an entry nested 100,000 deep": '{"format": 1, "findings": [' + DEEP + "]}",
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_baseline_of_the_wrong_shape_is_a_baseline_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match="baseline"):
        read_baseline(str(path))


@pytest.mark.parametrize("name", ["findings is a number", "findings is null", "nested 100,000 deep"])
def test_a_baseline_of_the_wrong_shape_is_a_usage_error_of_the_command(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (project / "baseline.json").write_text(MALFORMED[name])
    assert check("--djm-baseline", "baseline.json") == 2
    err = capsys.readouterr().err
    assert "django-migrations-lint: error:" in err and "baseline.json" in err


@pytest.mark.parametrize("name", ["findings is a number", "findings is null", "nested 100,000 deep"])
def test_a_baseline_of_the_wrong_shape_is_a_usage_error_of_flake8(project: Path, name: str) -> None:
    (project / "baseline.json").write_text(MALFORMED[name])
    result = run_flake8("--isolated", "--djm-no-cache", "--djm-baseline", "baseline.json", ".", cwd=project)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "flake8: error:" in result.stderr and "baseline.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_name_that_is_not_utf_8_is_written_and_read_back(tmp_path: Path) -> None:
    name = os.fsdecode(b"0002_caf\xe9.py")  # a Latin-1 name: a lone surrogate once decoded
    finding = Finding(str(tmp_path / "shop" / "migrations" / name), 3, 4, "DJM101", "`RunPython(forwards)`", "")
    baseline_file = tmp_path / "migrations-baseline.json"
    assert write_baseline(str(baseline_file), [finding]) == 1
    assert baseline_file.read_bytes().decode("utf-8")  # valid UTF-8: the byte is a JSON escape
    new, stale = read_baseline(str(baseline_file)).new_findings([finding])
    assert (new, sum(stale.values())) == ([], 0)

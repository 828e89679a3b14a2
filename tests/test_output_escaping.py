"""Names from a migration (string literals, file names) reach a terminal, a CI log and GitHub's workflow-command
parser only escaped: a name holding ``\\n::error file=...::`` starts no line, an ESC sequence drives no terminal, a
bidirectional override reorders nothing, and a file name that is not UTF-8 crashes no format.

Line formats (flake8's lines, ``check``'s text and github, the HTML page) show both names and file names escaped as
``repr`` writes them; a file name's byte that is not UTF-8 as that byte (``\\xff``). Messages are escaped once,
where a finding is made, so every format and the baseline tell the same text. JSON and SARIF give file names
exactly where the format can (JSON escapes control characters; SARIF percent-encodes the bytes of a URI)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.finding import Finding, escape_controls
from flake8_django_migrations.output.github import workflow_command

REPOSITORY = Path(__file__).resolve().parent.parent
# What no line of output may hold, but its own line feed: control characters (C0, DEL, C1), the line and paragraph
# separators, bidirectional formatting characters and lone surrogates.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
# A model name that, printed raw, starts a workflow command, sets the terminal's title and reverses what follows.
MODEL = "Bad\n::error file=x.py::pwned\x1b]0;owned\x07\u202e"
FIELD = "f\x9b31m"  # a C1 control: the one-byte CSI of a terminal
SHOWN = r"Bad\n::error file=x.py::pwned\x1b]0;owned\x07\u202e.f\x9b31m"
DROP_MESSAGE = f"`RemoveField` drops the column `{SHOWN}` while running code may still read it"
DROP_HINT = "stop reading it first and drop it in a later release marked post-deploy (or `# noqa: DJM202`)"
INITIAL = f"""from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.RemoveField({MODEL!r}, {FIELD!r}),
    ]
"""
LEAF = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = []
"""
UNDECODABLE = os.fsdecode(b"0002_\xff")  # "0002_\udcff": what os.listdir gives for the byte 0xff
LEAVES_HINT = "run `python manage.py makemigrations --merge shop` and give the merge a descriptive name"


def project(root: Path, leaves: tuple[str, ...] = ()) -> Path:
    """`shop`: 0001_initial drops a field of ``MODEL`` (DJM202); each of ``leaves`` (file names without ``.py``)
    depends on it, so that two or more are leaves (DJM304 names them all). Skips where the file system refuses a
    name."""
    migrations = root / "shop" / "migrations"
    migrations.mkdir(parents=True)
    for path, text in ((root / "manage.py", ""), (root / "shop" / "__init__.py", ""), (migrations / "__init__.py", ""),
                       (migrations / "0001_initial.py", INITIAL)):
        path.write_text(text, encoding="utf-8")
    for name in leaves:
        try:
            (migrations / f"{name}.py").write_text(LEAF, encoding="utf-8")
        except (OSError, UnicodeError) as error:
            pytest.skip(f"this file system refuses the file name {name!r}: {error}")
    return root


def run(*argv: str, cwd: Path, module: str = "flake8_django_migrations") -> subprocess.CompletedProcess[bytes]:
    """As a user runs it, with a standard output that refuses what is not UTF-8 (a UTF-8 locale; the C.UTF-8 locale
    would let surrogates out as raw bytes instead)."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "PYTHONIOENCODING": "utf-8:strict"}
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=cwd, capture_output=True, env=environment,
                          timeout=300, check=False)


def lines_of(completed: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The output's lines, after checking it is UTF-8 and no line holds a character of ``UNSAFE``."""
    text = completed.stdout.decode("utf-8")  # strict
    lines = text.split("\n")  # not splitlines: a vertical tab or U+2028 must not hide in a line either
    assert lines[-1] == "", text
    for line in lines[:-1]:
        assert not UNSAFE.search(line), ascii(line)
    return lines[:-1]


def check_in_process(root: Path, *argv: str) -> str:
    previous = os.getcwd()
    os.chdir(root)
    try:
        out = io.StringIO()
        assert main(["check", "--djm-no-cache", *argv], stdout=out) == 1
    finally:
        os.chdir(previous)
    return out.getvalue()


# The escape ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("a\nb", r"a\nb"),
    ("a\r\n", r"a\r\n"),
    ("\t", r"\t"),
    ("\x00", r"\x00"),
    ("\x1b[2J", r"\x1b[2J"),
    ("\x7f", r"\x7f"),
    ("\x85", r"\x85"),  # NEL, a C1 line break
    ("\x9b", r"\x9b"),
    ("\u2028\u2029", r"\u2028\u2029"),
    ("\u202aa\u202e", r"\u202aa\u202e"),
    ("\u2066\u2069", r"\u2066\u2069"),
    ("\u200e\u200f\u061c", r"\u200e\u200f\u061c"),
    ("\ud800", r"\ud800"),  # a lone surrogate from a string literal
    (UNDECODABLE, r"0002_\xff"),  # a byte of a file name that is not UTF-8: the byte
])
def test_escape_controls_writes_what_repr_writes(raw: str, shown: str) -> None:
    assert escape_controls(raw) == shown
    assert escape_controls(shown) == shown  # twice changes nothing: backslashes stay


@pytest.mark.parametrize("text", ["café", "データ", "Ωmega", "a b", "C:\\path\\to", "`x`; 100%", "👍🏽", ""])
def test_escape_controls_keeps_printable_text(text: str) -> None:
    assert escape_controls(text) is text
    assert escape_controls(f"{text}\x1b{text}") == f"{text}\\x1b{text}"


def test_a_finding_escapes_its_message_and_hint_but_not_its_path() -> None:
    path = os.path.join("shop", "migrations", "0001_a\nb.py")
    finding = Finding(path, 3, 0, "DJM202", f"drops `{MODEL}`", f"see `{FIELD}`")
    assert (finding.path, finding.message, finding.hint) == (
        path, r"drops `Bad\n::error file=x.py::pwned\x1b]0;owned\x07\u202e`", r"see `f\x9b31m`"
    )
    assert finding.text == r"DJM202 drops `Bad\n::error file=x.py::pwned\x1b]0;owned\x07\u202e`; see `f\x9b31m`"


def test_a_github_annotation_escapes_escape_sequences_in_the_message_and_the_file_name() -> None:
    finding = Finding(os.path.abspath("0001_\x1b[31m.py"), 3, 4, "DJM101", "`\x1b]0;t\x07`", "")
    assert workflow_command(finding) == (
        r"::error file=0001_\x1b[31m.py,line=3,col=5,title=DJM101 run-python-without-reverse::`\x1b]0;t\x07`"
    )


# Names in string literals ------------------------------------------------------------------------------------------


def test_flake8_lines_escape_the_names(tmp_path: Path) -> None:
    root = project(tmp_path)
    completed = run("--select", "DJM", os.path.join("shop", "migrations", "0001_initial.py"), cwd=root,
                    module="flake8")
    assert lines_of(completed) == [
        f"{os.path.join('shop', 'migrations', '0001_initial.py')}:8:9: DJM202 {DROP_MESSAGE}; {DROP_HINT}",
    ]


def test_check_text_lines_escape_the_names(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert lines_of(run("check", "--djm-no-cache", cwd=root)) == [
        f"shop/migrations/0001_initial.py:8:9: DJM202 {DROP_MESSAGE}; {DROP_HINT}",
    ]


def test_github_annotations_of_the_names_start_no_other_command(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert lines_of(run("check", "--format", "github", "--djm-no-cache", cwd=root)) == [
        "::error file=shop/migrations/0001_initial.py,line=8,col=9,title=DJM202 drop-column::"
        f"{DROP_MESSAGE}; {DROP_HINT}",
    ]


def test_json_and_sarif_carry_the_message_the_text_line_shows(tmp_path: Path) -> None:
    root = project(tmp_path)
    document = json.loads(check_in_process(root, "--format", "json"))
    assert [(f["message"], f["hint"]) for f in document["findings"]] == [(DROP_MESSAGE, DROP_HINT)]
    log = json.loads(check_in_process(root, "--format", "sarif"))
    assert [result["message"]["text"] for result in log["runs"][0]["results"]] == [f"{DROP_MESSAGE}; {DROP_HINT}"]


# File names ---------------------------------------------------------------------------------------------------------


def test_text_lines_escape_a_file_name_with_a_line_break_and_an_escape_sequence(tmp_path: Path) -> None:
    root = project(tmp_path, ("0002_a", "0002_b\n::error file=x::\x1b[2J"))  # no dot: Django loads it
    shown = r"0002_b\n::error file=x::\x1b[2J"
    assert lines_of(run("check", "--djm-no-cache", "--select", "DJM304", cwd=root)) == [
        f"shop/migrations/0002_a.py:4:1: DJM304 `shop` has more than one leaf migration: `0002_a`, `{shown}`; "
        f"{LEAVES_HINT}",
        f"shop/migrations/{shown}.py:4:1: DJM304 `shop` has more than one leaf migration: `{shown}`, `0002_a`; "
        f"{LEAVES_HINT}",
    ]
    github = lines_of(run("check", "--format", "github", "--djm-no-cache", "--select", "DJM304", cwd=root))
    assert [line.split(",")[0] for line in github] == [
        "::error file=shop/migrations/0002_a.py", rf"::error file=shop/migrations/{shown.replace(':', '%3A')}.py",
    ]


def test_json_and_sarif_name_a_file_name_exactly_where_the_format_can(tmp_path: Path) -> None:
    """JSON escapes control characters itself; a byte that is not UTF-8 it cannot hold. A SARIF URI holds both."""
    name = os.fsdecode(b"0002_b\n\x1b[2J\xff")
    root = project(tmp_path, ("0002_a", name))
    document = json.loads(check_in_process(root, "--format", "json", "--select", "DJM304"))
    assert [f["path"] for f in document["findings"]] == [
        "shop/migrations/0002_a.py", "shop/migrations/0002_b\n\x1b[2J\\xff.py",
    ]
    log = json.loads(check_in_process(root, "--format", "sarif", "--select", "DJM304"))
    uris = [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in log["runs"][0]["results"]]
    assert uris == ["shop/migrations/0002_a.py", "shop/migrations/0002_b%0A%1B%5B2J%FF.py"]


@pytest.fixture
def undecodable(tmp_path: Path) -> Path:
    """Two leaves, one of them ``0002_\\xff.py``: a file name that is not UTF-8."""
    return project(tmp_path, ("0002_a", UNDECODABLE))


UNDECODABLE_LINES = [
    f"shop/migrations/0002_a.py:4:1: DJM304 `shop` has more than one leaf migration: `0002_a`, `0002_\\xff`; "
    f"{LEAVES_HINT}",
    f"shop/migrations/0002_\\xff.py:4:1: DJM304 `shop` has more than one leaf migration: `0002_\\xff`, `0002_a`; "
    f"{LEAVES_HINT}",
]


def test_text_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("check", "--djm-no-cache", "--select", "DJM304", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (1, b"")
    assert lines_of(completed) == UNDECODABLE_LINES


def test_github_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("check", "--format", "github", "--djm-no-cache", "--select", "DJM304", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (1, b"")
    assert [line.split(",")[0] for line in lines_of(completed)] == [
        "::error file=shop/migrations/0002_a.py", "::error file=shop/migrations/0002_\\xff.py",
    ]


def test_json_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("check", "--format", "json", "--djm-no-cache", "--select", "DJM304", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (1, b"")
    assert b"\\ud" not in completed.stdout  # no lone surrogate, which strict JSON readers reject
    document = json.loads(completed.stdout.decode("utf-8"))
    assert [(f["path"], f["message"]) for f in document["findings"]] == [
        ("shop/migrations/0002_a.py", "`shop` has more than one leaf migration: `0002_a`, `0002_\\xff`"),
        ("shop/migrations/0002_\\xff.py", "`shop` has more than one leaf migration: `0002_\\xff`, `0002_a`"),
    ]


def test_sarif_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("check", "--format", "sarif", "--djm-no-cache", "--select", "DJM304", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (1, b"")
    log: dict[str, Any] = json.loads(completed.stdout.decode("utf-8"))
    uris = [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in log["runs"][0]["results"]]
    assert uris == ["shop/migrations/0002_a.py", "shop/migrations/0002_%FF.py"]
    assert urllib.parse.unquote_to_bytes(uris[1]) == b"shop/migrations/0002_\xff.py"  # the file's own bytes


def test_graph_json_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("graph", "--djm-no-cache", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (0, b"")
    assert b"\\ud" not in completed.stdout
    assert json.loads(completed.stdout.decode("utf-8"))["nodes"] == [
        "shop.0001_initial", "shop.0002_a", "shop.0002_\\xff",
    ]


def test_graph_html_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    completed = run("graph", "--format", "html", "--djm-no-cache", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (0, b"")
    page = completed.stdout.decode("utf-8")  # strict: an invalid byte fails here
    data = json.loads(page.split('<script type="application/json" id="graph-data">')[1].split("</script>")[0])
    assert [node[1] for node in data["nodes"]] == ["0001_initial", "0002_a", "0002_\\xff"]


def test_graph_html_escapes_control_and_bidi_characters_of_names(tmp_path: Path) -> None:
    root = project(tmp_path, ("0002_a", "0002_\u202eb\x85"))
    completed = run("graph", "--format", "html", "--djm-no-cache", cwd=root)
    assert completed.returncode == 0
    page = completed.stdout.decode("utf-8")
    assert not UNSAFE.search(page.replace("\n", "")), [char for char in UNSAFE.findall(page) if char != "\n"]
    data = json.loads(page.split('<script type="application/json" id="graph-data">')[1].split("</script>")[0])
    assert [node[1] for node in data["nodes"]] == ["0001_initial", "0002_a", "0002_\\u202eb\\x85"]


def test_flake8_of_a_file_name_that_is_not_utf8(undecodable: Path) -> None:
    """flake8 itself cannot print such a file name (its formatter encodes each line as strict UTF-8), so the path
    is left out of the format here; the plugin's messages, which name the file, must not crash it."""
    completed = run("--select", "DJM304", "--format", "%(row)d:%(col)d: %(code)s %(text)s", "shop", cwd=undecodable,
                    module="flake8")
    assert completed.stderr == b""
    assert sorted(lines_of(completed)) == sorted(line.split(".py:", 1)[1] for line in UNDECODABLE_LINES)


@pytest.mark.parametrize("output_format", ["dot", "mermaid"])
def test_graph_pictures_of_a_file_name_that_is_not_utf8(undecodable: Path, output_format: str) -> None:
    completed = run("graph", "--format", output_format, "--djm-no-cache", cwd=undecodable)
    assert (completed.returncode, completed.stderr) == (0, b"")
    text = completed.stdout.decode("utf-8")  # valid UTF-8: the byte is written as `\xff`
    assert "0002_\\xff" in text or "0002_\\\\xff" in text

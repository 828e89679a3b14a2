"""What a new user meets (issue 27): no placeholder link or install line anywhere, help for every option of every
command, DJM502 saying what changed in the applied migration, a base revision git does not know saying how to fetch
it, and the README's editor settings doing what it says with an unsaved buffer."""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_django_migrations import cli
from tests.graph_trees import app, migration, tree, write_tree

PROG = "django-migrations-lint"
REPOSITORY = Path(__file__).resolve().parent.parent

# Placeholders that only work in the author's head: a repository owner to fill in, an organisation to invent.
PLACEHOLDER = re.compile(
    r"\bOWNER\b|\b(?:YOUR|MY)_(?:ORG|USER|NAME|REPO)\b|\byour-(?:org|name|user|repo)\b|<(?:owner|org|user|repo)>",
)
# Data and third-party files, and this file, which names the placeholders it looks for.
_NOT_SEARCHED = ("tests/vendor/", "benchmarks/corpora/", "tests/test_new_user.py")


def repository_text_files() -> list[Path]:
    """Every file of the repository git tracks or would add (not ignored), that is text."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY, capture_output=True, check=True,
    ).stdout.decode("utf-8", "surrogateescape").split("\0")
    files = []
    for name in listed:
        path = REPOSITORY / name
        if not name or name.startswith(_NOT_SEARCHED) or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            files.append(path)
    return files


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the repository's files")
def test_no_placeholder_remains_in_the_repository() -> None:
    files = repository_text_files()
    assert REPOSITORY / "README.md" in files and REPOSITORY / ".pre-commit-hooks.yaml" in files
    found = [
        f"{path.relative_to(REPOSITORY)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if PLACEHOLDER.search(line)
    ]
    assert found == []


def test_the_placeholder_pattern_finds_what_the_readme_had() -> None:
    assert PLACEHOLDER.search("  - repo: https://github.com/OWNER/django-migrations-lint  # this repository")
    assert PLACEHOLDER.search("git clone https://example.org/<org>/x")
    assert not PLACEHOLDER.search("the owner of the cache folder; OWNERSHIP")


def test_no_readme_snippet_names_a_tag_that_does_not_exist() -> None:
    """pre-commit's `rev:` for this repository would name a tag of it; the project has none to name yet."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    for block in blocks:
        if "django-migrations-lint" in block and "repo:" in block:
            assert "repo: local" in block or "PyCQA/flake8" in block, block


# Help -------------------------------------------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_option_of_every_command_has_help() -> None:
    parser = cli._parser()
    missing = []
    for name, command in {"": parser, **subcommands(parser)}.items():
        for action in command._actions:
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name or PROG} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_graph_help_says_it_draws_pictures(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    overview = capsys.readouterr().out
    graph_line = " ".join(overview[overview.index("    graph"):].split())
    assert "as JSON" not in graph_line.split(" check ")[0]
    assert graph_line.startswith("graph print the migration graph Django would build: JSON data, or a DOT, Mermaid or"
                                 " HTML picture")
    assert cli.main(["graph", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.split(" positional arguments:")[0].endswith(
        "Print the migration graph Django would build for the project holding PATH, with the graph findings marked:"
        " as JSON data (nodes, edges, leaves, settings), or as a picture to render with Graphviz (dot), to paste into"
        " GitHub Markdown (mermaid) or to open in a browser (html, one offline file)."
    )
    # Each of the options the issue named has its own help, not only its name.
    for option in ("--djm-project-root PATH, --project-root PATH The root of the Django project",
                   "--djm-cache-dir PATH, --cache-dir PATH Where facts about migration files"):
        assert option in text


# DJM502: what changed ----------------------------------------------------------------------------------------------

BASE = '''\
from django.db import migrations, models


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.all():
        order.region = "eu"
        order.save()


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel("Order", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.AddField("order", "region", models.CharField(max_length=10, null=True)),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
'''


@pytest.mark.parametrize(("old", "new", "said"), [
    ("max_length=10", "max_length=20",
     "the operation `AddField` of `order.region` on line 16 changed `field.max_length` from `10` to `20`"),
    ("max_length=10, null=True", "max_length=12",
     "the operation `AddField` of `order.region` on line 16 changed `field.max_length` from `10` to `12`, and 1 other"
     " change"),
    ("null=True)", "null=True, db_default='eu')",
     "the operation `AddField` of `order.region` on line 16 added `db_default='eu'` to `field`"),
    ("max_length=10, null=True", "max_length=10",
     "the operation `AddField` of `order.region` on line 16 removed `null=True` from `field`"),
    ('"region", models', '"area", models',
     "the operation `AddField` of `order.area` on line 16 changed `name` from `'region'` to `'area'`"),
    ("primary_key=True))]", 'primary_key=True)), ("note", models.TextField())]',
     "the operation `CreateModel` of `Order` on line 15 added `('note', models.TextField())` to `fields`"),
    ("migrations.RunPython.noop)", "migrations.RunPython.noop, elidable=True)",
     "the operation `RunPython(forwards)` on line 17 added `elidable=True`"),
    ("        migrations.RunPython(forwards, migrations.RunPython.noop),\n", "",
     "the operation `RunPython(forwards)` was removed"),
    ("        migrations.RunPython(forwards, migrations.RunPython.noop),\n",
     "        migrations.RunPython(forwards, migrations.RunPython.noop),\n"
     "        migrations.RemoveField(\"order\", \"region\"),\n",
     "the operation `RemoveField` of `order.region` was added on line 18"),
    ('migrations.AddField("order", "region"', 'migrations.AlterField("order", "region"',
     "the operation `AddField` of `order.region` became `AlterField` of `order.region` on line 16"),
    ('order.region = "eu"', 'order.region = "us"', "the function `forwards` changed at line 7"),
    ("def forwards(apps, schema_editor):", "def forwards(apps, editor):", "the function `forwards` changed at line 4"),
    ("    initial = True\n", "    initial = True\n    atomic = False\n", "`atomic = False` was added"),
    ("    initial = True\n", "", "`initial = True` was removed"),
    ("    initial = True\n", "    initial = True\n    replaces = [('orders', '0001_a')]\n",
     "`replaces = [('orders', '0001_a')]` was added"),
    ("\n\nclass Migration", "\n\ndef backwards(apps, schema_editor):\n    pass\n\n\nclass Migration",
     "the function `backwards` was added on line 11"),
])
def test_djm502_says_what_changed(old: str, new: str, said: str) -> None:
    from flake8_django_migrations.project.edits import describe_edit

    assert old in BASE
    assert describe_edit(ast.parse(BASE), ast.parse(BASE.replace(old, new))) == said


def test_djm502_says_nothing_when_nothing_it_compares_changed() -> None:
    from flake8_django_migrations.project.edits import describe_edit

    edited = BASE.replace("from django.db import migrations, models", "from django.db import migrations, models  # x")
    assert describe_edit(ast.parse(BASE), ast.parse(edited)) is None
    # Dependencies are DJM501's; a comment or a blank line is not a change.
    assert describe_edit(ast.parse(BASE), ast.parse(BASE.replace("dependencies = []", "dependencies = [('a', 'b')]"))
                         ) is None


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


def check_json(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
               ) -> tuple[int, list[dict[str, object]], str]:
    monkeypatch.chdir(root)
    code = cli.main(["check", "--format", "json", "--djm-no-cache", "--djm-settings", "none", *args, "."])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"] if captured.out.startswith("{") else []
    return code, findings, captured.err


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_djm502_names_the_change_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "project", tree(app("orders", {"0001_initial": BASE})))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    path = root / "orders" / "migrations" / "0001_initial.py"
    path.write_text(BASE.replace("max_length=10", "max_length=20"), encoding="utf-8")
    code, findings, _ = check_json(root, monkeypatch, capsys, "--djm-base", "main", "--select", "DJM502")
    assert code == 1 and [finding["code"] for finding in findings] == ["DJM502"]
    message = str(findings[0]["message"])
    assert message.startswith("`orders.0001_initial`, applied as of `main (")
    assert message.endswith(
        ", has changed since, and databases that applied it will never run the change: the operation `AddField` of"
        " `order.region` on line 16 changed `field.max_length` from `10` to `20`"
    )


# A base revision git does not know --------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_an_unknown_base_revision_says_how_to_fetch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "project", tree(app("orders", {"0001_initial": migration()})))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")

    def error(ref: str) -> str:
        code, _, err = check_json(root, monkeypatch, capsys, "--djm-base", ref)
        assert code == 2
        (line,) = err.splitlines()
        return line.removeprefix("django-migrations-lint: error: ")

    # The case: the README's origin/main in a repository without that remote.
    assert error("origin/main") == (
        "git does not know the revision 'origin/main': this repository has no remote to fetch it from: name one of"
        " its own branches or tags"
    )
    upstream = tmp_path / "upstream.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(upstream)], check=True, capture_output=True)
    git(root, "remote", "add", "origin", str(upstream))
    ci = "in CI, check out the whole history (actions/checkout's `fetch-depth: 0`, GitLab's `GIT_DEPTH: 0`)"
    assert error("origin/main") == (
        f"git does not know the revision 'origin/main': fetch it first, `git fetch origin main`; {ci}"
    )
    assert error("release") == (
        "git does not know the revision 'release': fetch it first, `git fetch origin release` for a branch (then name"
        f" `origin/release`) or `git fetch --tags origin` for a tag; {ci}"
    )
    assert error("upstream/main") == (
        "git does not know the revision 'upstream/main': this repository has no remote `upstream` (it has `origin`):"
        " fetch the branch from one of those, `git fetch origin BRANCH`, and name `origin/BRANCH`"
    )
    # What it says works: after the fetch, the same option runs.
    git(root, "fetch", "-q", "origin", "main")
    assert check_json(root, monkeypatch, capsys, "--djm-base", "origin/main")[0] == 0


# The README's editor settings ---------------------------------------------------------------------------------------


def test_the_readme_efm_command_reads_the_unsaved_buffer(tmp_path: Path) -> None:
    """The README's efm-langserver `lint-command`, as written (`${INPUT}` is the file's path): flake8 reads the
    buffer on standard input, and the project pass reads it in place of the saved file, so a dependency added but
    not yet saved clears the cross-file finding; the output matches its `lint-formats`."""
    import yaml  # pre-commit's own dependency

    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    block = next(block for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if "lint-command" in block)
    tool = yaml.safe_load(block)["tools"]["flake8"]
    assert tool["lint-stdin"] is True and tool["lint-formats"] == ["%f:%l:%c: %m"]
    root = write_tree(tmp_path / "project", tree(app("shop", {
        "0001_initial": migration(),
        "0002_a": migration(("shop", "0001_initial")),
        "0002_b": migration(("shop", "0001_initial")),
    })))
    target = root / "shop" / "migrations" / "0002_b.py"
    argv = [part.replace("${INPUT}", str(target)) for part in tool["lint-command"].split()]
    assert argv[0] == "flake8"

    def lint(buffer: str) -> list[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "flake8", "--djm-settings", "none", "--djm-no-cache", *argv[1:]],
            cwd=root, input=buffer, capture_output=True, text=True, timeout=120, check=False,
        )
        assert completed.stderr == ""
        return completed.stdout.splitlines()

    saved = target.read_text(encoding="utf-8")
    (line,) = [line for line in lint(saved) if " DJM" in line]  # and pyflakes' F401 of the unused import
    assert re.fullmatch(rf"{re.escape(str(target))}:5:1: DJM304 `shop` has more than one leaf migration: .*", line)
    assert [line for line in lint(saved.replace("[('shop', '0001_initial')]", "[('shop', '0002_a')]"))
            if " DJM" in line] == []
    assert target.read_text(encoding="utf-8") == saved

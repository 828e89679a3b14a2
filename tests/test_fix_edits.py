"""fix.py's machinery: each edit becomes the smallest text change in the file's own layout, fixes that overlap wait
for the next round, a result that does not parse is never written, and writes are atomic, keep the mode, the
newlines and the encoding, and never go through a symbolic link."""

from __future__ import annotations

import ast
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.fix import plan_diff, plan_fixes, write_plan
from flake8_django_migrations.rules.rule import (
    AddArgument,
    AddDependency,
    AddImport,
    Edit,
    Fix,
    RenameCallee,
    RenameFile,
    ReplaceEntry,
    SetClassAttribute,
    WriteFile,
)
from tests.graph_trees import app, migration, tree, write_tree

HEAD = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"


def migration_file(tmp_path: Path, body: str, name: str = "0002_x.py") -> Path:
    path = tmp_path / "shop" / "migrations" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "__init__.py").touch()
    path.write_text(HEAD + body)
    return path


def finding(path: Path, line: int = 1, code: str = "DJM401") -> Finding:
    return Finding(str(path), line, 0, code, "a message", "a hint")


def fixed(tmp_path: Path, path: Path, *edits: Edit, unsafe: bool = False) -> str:
    """The text of ``path`` after one round of one fix made of ``edits``, written."""
    plan = plan_fixes([(finding(path), Fix("unsafe" if unsafe else "safe", "fix", edits))], True, [str(tmp_path)],
                      {str(path.parent): "shop"})
    assert not plan.refused, plan.refused
    assert write_plan(plan) == []
    return path.read_text(encoding="latin-1")


@pytest.mark.parametrize(("written", "expected"), [
    ("[]", '[("accounts", "0002_b")]'),
    ("[\n    ]", '[("accounts", "0002_b")]'),
    ("()", '(("accounts", "0002_b"),)'),
    ("[('shop', '0001_initial')]", "[('shop', '0001_initial'), ('accounts', '0002_b')]"),
    ("[('shop', '0001_initial'),]", "[('shop', '0001_initial'), ('accounts', '0002_b'),]"),
    ("(('shop', '0001_initial'),)", "(('shop', '0001_initial'), ('accounts', '0002_b'),)"),
    (
        "[\n        ('shop', '0001_initial'),  # why, with a comma\n    ]",
        "[\n        ('shop', '0001_initial'),  # why, with a comma\n        ('accounts', '0002_b'),\n    ]",
    ),
    (
        "[\n        ('shop', '0001_initial')\n    ]",
        "[\n        ('shop', '0001_initial'),\n        ('accounts', '0002_b'),\n    ]",
    ),
    (
        '[\n        ("shop", "0001_initial"), ("x", "0001_initial"),\n    ]',
        '[\n        ("shop", "0001_initial"), ("x", "0001_initial"),\n        ("accounts", "0002_b"),\n    ]',
    ),
])
def test_add_dependency_follows_the_layout(written: str, expected: str, tmp_path: Path) -> None:
    path = migration_file(tmp_path, f"    dependencies = {written}\n    operations = []\n")
    assert fixed(tmp_path, path, AddDependency(str(path), "accounts", "0002_b")) == HEAD + (
        f"    dependencies = {expected}\n    operations = []\n"
    )


def test_two_dependencies_added_to_one_list_in_one_round_compose(tmp_path: Path) -> None:
    for written in ("[('shop', '0001_initial')]", "[\n        ('shop', '0001_initial')\n    ]"):
        path = migration_file(tmp_path, f"    dependencies = {written}\n    operations = []\n")
        fixes = [(finding(path, line), Fix.safe("f", AddDependency(str(path), "accounts", name)))
                 for line, name in ((1, "0002_b"), (2, "0003_c"), (3, "0002_b"))]  # the third asks again
        plan = plan_fixes(fixes, False, [str(tmp_path)], {})
        assert (len(plan.applied), plan.waiting, plan.refused) == (3, [], [])
        assert write_plan(plan) == []
        value = ast.literal_eval(path.read_text().split("dependencies = ")[1].split("\n    operations")[0])
        assert list(value) == [("shop", "0001_initial"), ("accounts", "0002_b"), ("accounts", "0003_c")]


def test_two_fixes_replacing_an_empty_list_overlap_and_the_second_waits(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    dependencies = []\n    operations = []\n")
    fixes = [(finding(path, line), Fix.safe("f", AddDependency(str(path), "a", name)))
             for line, name in ((1, "0001_x"), (2, "0002_y"))]
    plan = plan_fixes(fixes, False, [str(tmp_path)], {})
    assert [f.line for f, _ in plan.applied] == [1] and [f.line for f, _ in plan.waiting] == [2]


def test_replace_entry_keeps_quotes_and_refuses_what_changed(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    dependencies = [\n        ('a', \"__latest__\"),  # pinned\n    ]\n")
    entry = ReplaceEntry(str(path), 6, 8, ("a", "__latest__"), ("a", "0003_x"))
    assert fixed(tmp_path, path, entry).endswith("        ('a', \"0003_x\"),  # pinned\n    ]\n")
    plan = plan_fixes([(finding(path), Fix.safe("f", entry))], False, [str(tmp_path)], {})
    assert plan.applied == [] and "no longer names ('a', '__latest__')" in plan.refused[0][2]


@pytest.mark.parametrize(("written", "expected"), [
    ("RunPython(forwards)", "RunPython(forwards, reverse_code=RunPython.noop)"),
    ("migrations.RunPython(forwards, None)", "migrations.RunPython(forwards, migrations.RunPython.noop)"),
    ("migrations.RunPython(code=forwards, reverse_code=None)",
     "migrations.RunPython(code=forwards, reverse_code=migrations.RunPython.noop)"),
    ("migrations.RunPython(\n            forwards,\n        )",
     "migrations.RunPython(\n            forwards,\n            reverse_code=migrations.RunPython.noop,\n        )"),
])
def test_add_argument(written: str, expected: str, tmp_path: Path) -> None:
    path = migration_file(tmp_path, f"    operations = [\n        {written},\n    ]\n")
    edit = AddArgument(str(path), 6, 8, "reverse_code", "{callee}.noop", 1)
    assert fixed(tmp_path, path, edit) == HEAD + f"    operations = [\n        {expected},\n    ]\n"


def test_add_argument_refuses_a_reverse_given_already(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    operations = [\n        migrations.RunPython(f, g),\n    ]\n")
    edit = AddArgument(str(path), 6, 8, "reverse_code", "{callee}.noop", 1)
    plan = plan_fixes([(finding(path), Fix.unsafe("f", edit))], True, [str(tmp_path)], {})
    assert "`reverse_code` is given already" in plan.refused[0][2]


def test_set_class_attribute_rewrites_or_adds(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    atomic = True\n    operations = []\n")
    assert fixed(tmp_path, path, SetClassAttribute(str(path), "atomic", "False")) == (
        HEAD + "    atomic = False\n    operations = []\n"
    )
    path = migration_file(tmp_path, '    """Doc."""\n    operations = []\n')
    assert fixed(tmp_path, path, SetClassAttribute(str(path), "atomic", "False")) == (
        HEAD + '    """Doc."""\n    atomic = False\n    operations = []\n'
    )
    path = migration_file(tmp_path, "    if True:\n        atomic = True\n    operations = []\n")
    plan = plan_fixes([(finding(path), Fix.unsafe("f", SetClassAttribute(str(path), "atomic", "False")))], True,
                      [str(tmp_path)], {})
    assert "inside a block" in plan.refused[0][2]


def test_a_result_that_does_not_parse_is_never_written(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    operations = []\n")
    other = migration_file(tmp_path, "    dependencies = []\n    operations = []\n", "0003_y.py")
    before = path.read_bytes()
    fixes = [
        (finding(path, 1), Fix.unsafe("broken", SetClassAttribute(str(path), "atomic", "(("))),
        (finding(other, 2), Fix.safe("fine", AddDependency(str(other), "a", "0001_x"))),
    ]
    plan = plan_fixes(fixes, True, [str(tmp_path)], {str(path.parent): "shop"})
    assert [f.line for f, _ in plan.applied] == [2]
    assert "does not parse" in plan.refused[0][2] and plan.refused[0][0].line == 1
    assert write_plan(plan) == []
    assert path.read_bytes() == before and "('a', '0001_x')" in other.read_text().replace('"', "'")


def test_a_symbolic_link_is_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.py"
    target.write_text(HEAD + "    dependencies = []\n")
    link = tmp_path / "shop" / "migrations" / "0002_x.py"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    plan = plan_fixes([(finding(link), Fix.safe("f", AddDependency(str(link), "a", "0001_x")))], False,
                      [str(tmp_path)], {})
    assert "symbolic link" in plan.refused[0][2]
    assert target.read_text() == HEAD + "    dependencies = []\n"


def test_nothing_is_written_outside_the_project(tmp_path: Path) -> None:
    path = migration_file(tmp_path / "outside", "    dependencies = []\n")
    plan = plan_fixes([(finding(path), Fix.safe("f", AddDependency(str(path), "a", "0001_x")))], False,
                      [str(tmp_path / "project")], {})
    assert "outside the project" in plan.refused[0][2]


def test_mode_newlines_and_encoding_are_kept(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "")
    text = "# -*- coding: latin-1 -*-\r\n# caf\xe9\r\n" + HEAD.replace("\n", "\r\n")
    text += "    dependencies = [\r\n    ]\r\n"
    path.write_bytes(text.encode("latin-1"))
    path.chmod(0o640)
    fixed(tmp_path, path, AddDependency(str(path), "a", "0001_x"))
    assert path.read_bytes() == text.replace("[\r\n    ]", '[("a", "0001_x")]').encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    dependencies = []\n")
    plan = plan_fixes([(finding(path), Fix.safe("f", AddDependency(str(path), "a", "0001_x")))], False,
                      [str(tmp_path)], {})
    path.write_text(HEAD + "    dependencies = []  # edited meanwhile\n")
    assert "changed while it was being fixed" in write_plan(plan)[0]
    assert path.read_text().endswith("# edited meanwhile\n")


def test_create_and_rename_refuse_a_name_taken_and_diff_shows_them(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    operations = []\n", "0003_merge.py")
    new = path.with_name("0003_merge_a_b.py")
    created = path.with_name("0004_merge_c_d.py")
    fix = Fix.safe("f", RenameFile(str(path), str(new)), WriteFile(str(created), HEAD + "    operations = []\n", True))
    plan = plan_fixes([(finding(path), fix)], False, [str(tmp_path)], {str(path.parent): "shop"})
    diff = plan_diff(plan, str(tmp_path))
    assert "--- a/shop/migrations/0003_merge.py\n+++ /dev/null\n" in diff
    assert "--- /dev/null\n+++ b/shop/migrations/0003_merge_a_b.py\n" in diff
    assert "--- /dev/null\n+++ b/shop/migrations/0004_merge_c_d.py\n" in diff
    new.write_text("taken")
    plan = plan_fixes([(finding(path), fix)], False, [str(tmp_path)], {str(path.parent): "shop"})
    assert "exists already" in plan.refused[0][2] and path.exists()


def test_a_diff_of_a_file_without_final_newline_applies(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "")
    path.write_text(HEAD + "    dependencies = []")
    plan = plan_fixes([(finding(path), Fix.safe("f", AddDependency(str(path), "a", "0001_x")))], False,
                      [str(tmp_path)], {})
    diff = plan_diff(plan, str(tmp_path))
    assert "\\ No newline at end of file" in diff
    assert subprocess.run(["patch", "-p1", "--quiet"], input=diff, cwd=tmp_path, text=True).returncode == 0
    assert path.read_text() == HEAD + '    dependencies = [("a", "0001_x")]'


# The command ----------------------------------------------------------------------------------------------------


def run(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", "--isolated", "--no-cache", "--djm-project-root", str(root), *argv, str(root)], stdout=out)
    return code, out.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`shop` with two leaves (DJM304, safe fix), a RunPython without reverse (DJM101, unsafe fix) and a
    RemoveField written over lines (DJM202, no fix)."""
    fill = (
        "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [\n        migrations.RunPython(forwards),\n        migrations.RemoveField(\n"
        "            'item', 'name',\n        ),\n    ]\n"
    )
    root = write_tree(tmp_path / "project", tree(app("shop", {
        "0001_initial": migration(), "0002_a": migration(("shop", "0001_initial")), "0002_b": fill,
    })))
    monkeypatch.chdir(root)
    return root


def test_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(project, "--add-noqa", "--fix")[0] == 2
    assert "--add-noqa silences what is reported" in capsys.readouterr().err
    assert run(project, "--fix", "--write-baseline", str(project / "b.json"))[0] == 2
    assert not (project / "b.json").exists()


def test_unsafe_fixes_alone_says_what_waits_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(project.rglob("*.py"))
    code, printed = run(project, "--unsafe-fixes")
    assert code == 1 and printed.count("DJM304") == 2
    assert sorted(project.rglob("*.py")) == before
    err = capsys.readouterr().err
    assert "2 finding(s) can be fixed with --fix\n" in err and "1 more can be fixed with --unsafe-fixes" in err


def test_fix_reports_what_remains_and_fix_only_does_not(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(project, "--fix")
    assert code == 1 and "DJM304" not in printed and "DJM101" in printed and "DJM202" in printed
    err = capsys.readouterr().err
    assert "fixed 2 finding(s) in 1 file(s) (DJM304: 2)" in err and "1 more can be fixed with --unsafe-fixes" in err
    assert run(project, "--fix-only", "--unsafe-fixes") == (0, "")
    assert "fixed 1 finding(s) in 1 file(s) (DJM101: 1)" in capsys.readouterr().err
    assert "reverse_code=migrations.RunPython.noop" in (project / "shop" / "migrations" / "0002_b.py").read_text()
    assert run(project, "--fix", "--exit-zero")[0] == 0


def test_add_noqa_silences_every_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "shop" / "migrations" / "0002_b.py"
    code, printed = run(project, "--add-noqa")
    assert (code, printed) == (0, "")
    assert "added `# noqa` for 5 finding(s) in 2 file(s)" in capsys.readouterr().err
    text = path.read_text()
    assert "class Migration(migrations.Migration):  # noqa: DJM304\n" in text
    assert "        migrations.RunPython(forwards),  # noqa: DJM101, DJM104\n" in text
    assert "        migrations.RemoveField(  # noqa: DJM202\n" in text
    assert run(project) == (0, "")
    assert run(project, "--add-noqa") == (0, "")
    assert path.read_text() == text


def test_add_noqa_extends_a_noqa_and_writes_a_reason_when_djm908_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [\n"
        "        migrations.RemoveField('item', 'a'),  # noqa: DJM203 -- unrelated\n"
        "        migrations.RunSQL('''\n            SELECT 1\n        '''),\n"
        "    ]\n"
    )
    root = write_tree(tmp_path / "project", tree(app("shop", {"0001_initial": migration(), "0002_x": body})))
    monkeypatch.chdir(root)
    assert run(root, "--add-noqa", "--extend-select", "DJM908")[0] == 0
    text = (root / "shop" / "migrations" / "0002_x.py").read_text()
    assert "migrations.RemoveField('item', 'a'),  # noqa: DJM203, DJM202 -- unrelated\n" in text
    assert "        '''),  # noqa: DJM102 -- TODO: say why this is safe\n" in text
    assert run(root, "--extend-select", "DJM908") == (0, "")


def _git_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without: str | None = None) -> Path:
    """The DJM306 fixture committed in a repository (without the file ``without``, put back after the commit)."""
    root = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "fixtures" / "fixes" / "DJM306_rename" / "before", root)
    monkeypatch.chdir(root)
    left_out = root / without if without else None
    kept = left_out.read_bytes() if left_out else b""
    if left_out:
        left_out.unlink()
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "base")):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                       capture_output=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})
    if left_out:
        left_out.write_bytes(kept)
    return root


def test_rename_is_safe_for_a_migration_new_since_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _git_tree(tmp_path, monkeypatch, without="shop/migrations/0003_merge.py")
    merge = root / "shop" / "migrations" / "0003_merge.py"
    kept = merge.read_bytes()
    assert run(root, "--fix", "--select", "DJM306", "--djm-base", "HEAD")[0] == 0
    assert "fixed 1 finding(s) in 3 file(s) (DJM306: 1)" in capsys.readouterr().err
    assert not merge.exists() and merge.with_name("0003_merge_add_price_add_stock.py").read_bytes() == kept


def test_rename_of_a_migration_the_base_has_is_unsafe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _git_tree(tmp_path, monkeypatch)
    assert run(root, "--fix", "--select", "DJM306", "--djm-base", "HEAD")[0] == 1
    assert (root / "shop" / "migrations" / "0003_merge.py").exists()  # renaming it is DJM503's case
    assert "1 more can be fixed with --unsafe-fixes" in capsys.readouterr().err
    assert run(root, "--fix", "--unsafe-fixes", "--select", "DJM306", "--djm-base", "HEAD")[0] == 0
    assert not (root / "shop" / "migrations" / "0003_merge.py").exists()


def test_no_dependency_is_offered_that_would_close_a_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DJM401's creator already runs after the reader (it depends on it): the dependency the message names would be
    a cycle DJM303 reports, so no fix is offered and --fix leaves the tree alone."""
    fixes = Path(__file__).parent / "fixtures" / "fixes" / "DJM401_add_dependency" / "before"
    root = tmp_path / "project"
    shutil.copytree(fixes, root)
    creator = root / "accounts" / "migrations" / "0002_customer_phone.py"
    creator.write_text(creator.read_text().replace(
        'dependencies = [("accounts", "0001_initial")]',
        'dependencies = [("accounts", "0001_initial"), ("orders", "0002_fill_phone")]',
    ))
    monkeypatch.chdir(root)
    before = {path: path.read_bytes() for path in root.rglob("*.py")}
    code, printed = run(root, "--fix", "--select", "DJM3,DJM401")
    assert code == 1 and "DJM401" in printed and "DJM303" not in printed
    assert {path: path.read_bytes() for path in root.rglob("*.py")} == before
    assert "fixed 0 finding(s)" in capsys.readouterr().err


def test_latest_is_pinned_only_to_an_only_leaf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With two leaves, `__latest__` resolves to one Django picks by name, and the merge changes it: no pin is
    safe until DJM304's merge exists, and then the pin names the merge."""
    root = write_tree(tmp_path / "project", tree(
        app("catalog", {
            "0001_initial": migration(), "0002_a": migration(("catalog", "0001_initial")),
            "0002_b": migration(("catalog", "0001_initial")),
        }),
        app("orders", {"0001_initial": migration(("catalog", "__latest__"))}),
    ))
    monkeypatch.chdir(root)
    code, diff = run(root, "--diff", "--select", "DJM301,DJM304")
    assert code == 1 and "__latest__" not in diff and "0003_merge_a_b" in diff
    assert run(root, "--fix", "--select", "DJM301,DJM304") == (0, "")
    assert "fixed 3 finding(s) in 2 file(s) (DJM301: 1, DJM304: 2)" in capsys.readouterr().err
    assert "[('catalog', '0003_merge_a_b')]" in (root / "orders" / "migrations" / "0001_initial.py").read_text()


@pytest.mark.parametrize(("imports", "call", "expected_imports", "expected_call"), [
    ("from django.db import migrations, models\n", "migrations.AddIndex(", "from django.db import migrations, models\n"
     "from django.contrib.postgres.operations import AddIndexConcurrently\n", "AddIndexConcurrently("),
    ("from django.contrib.postgres.operations import AddIndexConcurrently\nfrom django.db.migrations import AddIndex\n",
     "AddIndex(", "from django.contrib.postgres.operations import AddIndexConcurrently\n"
     "from django.db.migrations import AddIndex\n", "AddIndexConcurrently("),
])
def test_rename_callee_and_add_import(
    imports: str, call: str, expected_imports: str, expected_call: str, tmp_path: Path
) -> None:
    path = tmp_path / "shop" / "migrations" / "0002_x.py"
    path.parent.mkdir(parents=True)
    body = "\n\nclass Migration(migrations.Migration):\n    operations = [\n        {}\"item\", index),\n    ]\n"
    path.write_text(imports + body.format(call))
    line = imports.count("\n") + 5
    edits = (RenameCallee(str(path), line, 8, "AddIndex", "AddIndexConcurrently"),
             AddImport(str(path), "django.contrib.postgres.operations", "AddIndexConcurrently"))
    assert fixed(tmp_path, path, *edits) == expected_imports + body.format(expected_call)


def test_rename_callee_refuses_another_call(tmp_path: Path) -> None:
    path = migration_file(tmp_path, "    operations = [\n        migrations.RemoveIndex(\"item\", \"idx\"),\n    ]\n")
    plan = plan_fixes([(finding(path), Fix.unsafe("f", RenameCallee(str(path), 6, 8, "AddIndex", "X")))], True,
                      [str(tmp_path)], {})
    assert plan.applied == [] and "no longer calls `AddIndex`" in plan.refused[0][2]


@pytest.mark.parametrize(("atomic", "others", "fixed_by"), [
    ("", "", ["AddIndexConcurrently", "atomic = False"]),
    ("    atomic = False\n", "migrations.RunPython(forwards, migrations.RunPython.noop),", ["AddIndexConcurrently"]),
    ("", "migrations.RunPython(forwards, migrations.RunPython.noop),", None),  # mixed and atomic: split by hand
])
def test_djm205_fix_only_where_the_index_can_leave_the_transaction(
    atomic: str, others: str, fixed_by: list[str] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shop = tmp_path / "shop" / "migrations"
    shop.mkdir(parents=True)
    (shop / "__init__.py").touch()
    (shop / "0001_initial.py").write_text(HEAD + "    initial = True\n    operations = [migrations.CreateModel("
                                          "\"Item\", [(\"id\", models.AutoField(primary_key=True))])]\n")
    (shop / "0002_idx.py").write_text(
        HEAD + atomic + "    dependencies = [(\"shop\", \"0001_initial\")]\n    operations = [\n"
        f"        {others}\n        migrations.AddIndex(\"item\", models.Index(fields=[\"id\"], name=\"i\")),\n    ]\n"
    )
    for path in shop.glob("*.py"):
        path.write_text(path.read_text().replace("import migrations\n", "import migrations, models\n", 1))
    monkeypatch.chdir(tmp_path)
    main(["check", "--isolated", "--no-cache", "--djm-project-root", str(tmp_path), "--select", "DJM205",
          "--djm-database", "postgresql", "--fix", "--unsafe-fixes", str(tmp_path)], stdout=io.StringIO())
    text = (shop / "0002_idx.py").read_text()
    if fixed_by is None:
        assert "migrations.AddIndex(" in text and "fixed 0 finding(s)" in capsys.readouterr().err
        return
    assert "migrations.AddIndex(" not in text and all(part in text for part in fixed_by)
    assert text.count("atomic = False") == 1
    assert "from django.contrib.postgres.operations import AddIndexConcurrently\n" in text

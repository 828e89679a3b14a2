"""End to end through the real flake8: every rule's fixtures, exact lines, noqa, selection, options, --jobs."""

from __future__ import annotations

import shutil
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from tests.fixture_harness import FIXTURES, Fixture, all_fixtures
from tests.flake8_runner import parse_output, run_flake8

ALL_FIXTURES = all_fixtures()


def _with_default_options(fixture: Fixture) -> bool:
    """Linted in the one flake8 run with default options: the others (another database, a downtime deploy) are run
    with their own options in their own tests (below, and tests/test_deploy_model.py)."""
    return fixture.settings.database == "postgresql" and fixture.settings.rolling_deploy


def _place(fixture: Fixture, root: Path) -> Path:
    """Copy a fixture to where it is linted, below its own folder; ``projects/`` ones bring their app code."""
    base = root / fixture.id
    if fixture.lint_path.startswith("projects/"):
        project = fixture.lint_path.split("/")[1]
        shutil.copytree(FIXTURES / "projects" / project, base / "projects" / project)
    target = base / fixture.lint_path
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "__init__.py").touch()  # a migrations package, as Django requires
    target.write_text(fixture.source_path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def flake8_on_all_fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[int, int, str]]]:
    """One flake8 run over every fixture; findings grouped by fixture id."""
    root = tmp_path_factory.mktemp("fixtures")
    placed = {}
    for fixture in ALL_FIXTURES:
        if _with_default_options(fixture):
            placed[fixture.id] = _place(fixture, root)
    result = run_flake8("--isolated", "--select", "DJM", "--djm-no-cache", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    findings: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for path, line, col, code in parse_output(result.stdout):
        findings[Path(path).parts[0]].append((line, col, code))
    return findings


@pytest.mark.parametrize("fixture", [f for f in ALL_FIXTURES if _with_default_options(f)], ids=lambda f: f.id)
def test_every_fixture_through_flake8(
    fixture: Fixture, flake8_on_all_fixtures: dict[str, list[tuple[int, int, str]]]
) -> None:
    found = sorted(f for f in flake8_on_all_fixtures.get(fixture.id, []) if f[2] == fixture.code)
    assert found == list(fixture.expected)


@pytest.mark.parametrize(
    "fixture", [f for f in ALL_FIXTURES if f.settings.database != "postgresql"], ids=lambda f: f.id
)
def test_database_option_through_flake8(fixture: Fixture, tmp_path: Path) -> None:
    _place(fixture, tmp_path)
    database = fixture.settings.database
    on_command_line = run_flake8("--isolated", "--select", "DJM", f"--djm-database={database}", ".", cwd=tmp_path)
    default = run_flake8("--isolated", "--select", "DJM", ".", cwd=tmp_path)
    (tmp_path / "setup.cfg").write_text(f"[flake8]\nselect = DJM\ndjm-database = {database}\n")
    from_config = run_flake8(".", cwd=tmp_path)
    codes = lambda result: sorted(c for *_, c in parse_output(result.stdout) if c == fixture.code)  # noqa: E731
    assert codes(on_command_line) == codes(from_config) == [c for *_, c in fixture.expected]
    assert len(codes(default)) > len(codes(on_command_line)), "the fixture must fire on PostgreSQL"


MIGRATION = '''\
from django.db import migrations


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.all():
        order.save()


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunPython(forwards),
        migrations.RemoveField("order", "legacy"),{noqa}
    ]
'''


INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [migrations.CreateModel("Order", fields=[("id", models.AutoField(primary_key=True))])]
"""


def _tree(tmp_path: Path, noqa: str = "") -> Path:
    path = tmp_path / "orders" / "migrations" / "0002_fill.py"
    path.parent.mkdir(parents=True)
    (path.parent / "__init__.py").write_text("")
    (path.parent / "0001_initial.py").write_text(INITIAL)
    path.write_text(MIGRATION.format(noqa=noqa))
    return path


def test_exact_output_lines(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = run_flake8("--isolated", "--select", "DJM", "--extend-ignore", "DJM9", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "./orders/migrations/0002_fill.py:15:9: DJM101 `RunPython(forwards)` has no reverse, so this migration"
        " can never be unapplied; pass `reverse_code=`, or `migrations.RunPython.noop` when there is nothing to"
        " undo",
        "./orders/migrations/0002_fill.py:16:9: DJM202 `RemoveField` drops the column `order.legacy` while"
        " running code may still read it; stop reading it first and drop it in a later release marked"
        " post-deploy (or `# noqa: DJM202`)",
    ]
    assert result.returncode == 1
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("noqa", "reported"),
    [
        ("", True),
        ("  # noqa: DJM202", False),
        ("  # noqa: DJM2", False),
        ("  # noqa", False),
        ("  # noqa: DJM101", True),
        ("  # noqa: E501", True),
    ],
)
def test_noqa(tmp_path: Path, noqa: str, reported: bool) -> None:
    _tree(tmp_path, noqa)
    result = run_flake8("--isolated", "--select", "DJM", ".", cwd=tmp_path)
    codes = [code for *_, code in parse_output(result.stdout)]
    assert ("DJM202" in codes) is reported
    assert "DJM101" in codes


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["DJM101", "DJM202"]),  # flake8's default selection: our default-on rules
        (["--select", "DJM2"], ["DJM202"]),
        (["--extend-ignore", "DJM101"], ["DJM202"]),
        (["--extend-select", "DJM902"], ["DJM902", "DJM101", "DJM202"]),
        (["--select", "DJM"], ["DJM907", "DJM903", "DJM902", "DJM101", "DJM202", "DJM905"]),  # explicit: all
    ],
)
def test_selection(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    _tree(tmp_path)
    result = run_flake8("--isolated", *args, ".", cwd=tmp_path)
    codes = [code for *_, code in parse_output(result.stdout) if code.startswith("DJM")]
    assert codes == expected


def test_off_by_default_rule_enabled_from_config(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "tox.ini").write_text("[flake8]\nextend-select = DJM902\n")
    codes = [code for *_, code in parse_output(run_flake8(".", cwd=tmp_path).stdout)]
    assert "DJM902" in codes and "DJM903" not in codes


def test_jobs_1_and_2_give_the_same_output(tmp_path: Path) -> None:
    for index in range(8):
        path = tmp_path / f"app{index % 3}" / "migrations" / f"000{index}_m.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(MIGRATION.format(noqa=""))
    one = run_flake8("--isolated", "--select", "DJM", "--jobs", "1", ".", cwd=tmp_path)
    two = run_flake8("--isolated", "--select", "DJM", "--jobs", "2", ".", cwd=tmp_path)
    assert one.stdout.splitlines() and sorted(one.stdout.splitlines()) == sorted(two.stdout.splitlines())
    assert one.stderr == two.stderr == ""


def test_stdin_with_display_name(tmp_path: Path) -> None:
    result = run_flake8(
        "--isolated", "--select", "DJM", "--stdin-display-name", "orders/migrations/0002_fill.py", "-",
        cwd=tmp_path, stdin=MIGRATION.format(noqa=""),
    )
    found = [(path, line, code) for path, line, _, code in parse_output(result.stdout)]
    assert found == [
        ("orders/migrations/0002_fill.py", 6, "DJM903"),
        ("orders/migrations/0002_fill.py", 7, "DJM902"),
        ("orders/migrations/0002_fill.py", 15, "DJM101"),
        # No DJM202: it reads the removed field along the graph (issue 23, item 4), and stdin has no project.
    ]


def test_files_that_are_not_migrations_yield_nothing(tmp_path: Path) -> None:
    source = MIGRATION.format(noqa="")
    for relative in ("orders/models.py", "orders/migrations/__init__.py", "orders/not_migrations/0002_x.py"):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    # Django skips modules starting with `_` or `~`; any other module of a package holding migrations must be a
    # migration (DJM311).
    (tmp_path / "orders" / "migrations" / "0001_initial.py").write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
    )
    for name in ("_helpers.py", "~backup.py", "0003_helpers.py"):
        (tmp_path / "orders" / "migrations" / name).write_text("def helper():\n    return 1\n")
    result = run_flake8("--isolated", "--select", "DJM", ".", cwd=tmp_path)
    found = [(path, line, code) for path, line, _, code in parse_output(result.stdout)]
    assert found == [("./orders/migrations/0003_helpers.py", 1, "DJM311")]


def test_flake8_version_lists_the_plugin(tmp_path: Path) -> None:
    assert "django-migrations-lint: " in run_flake8("--version", cwd=tmp_path).stdout


def test_migration_class_inside_if_else(tmp_path: Path) -> None:
    path = tmp_path / "orders" / "migrations" / "0002_x.py"
    path.parent.mkdir(parents=True)
    (path.parent / "__init__.py").touch()
    path.write_text(textwrap.dedent('''\
        import django
        from django.db import migrations

        if django.VERSION >= (5, 0):
            class Migration(migrations.Migration):
                operations = [migrations.RunSQL("SELECT 1")]
        else:
            class Migration(migrations.Migration):
                operations = []
        '''))
    result = run_flake8("--isolated", "--select", "DJM1", ".", cwd=tmp_path)
    assert [(line, code) for _, line, _, code in parse_output(result.stdout)] == [(6, "DJM102")]


@pytest.mark.parametrize(
    ("args", "runs_project_pass"),
    [
        (["--select", "E,W,F"], False),
        (["--extend-ignore", "DJM"], False),
        (["--select", "DJM1"], False),  # per-file rules only
        (["--select", "DJM302"], True),
        ([], True),
    ],
)
def test_deselected_rules_are_not_run(tmp_path: Path, args: list[str], runs_project_pass: bool) -> None:
    """The project pass writes its findings to the cache; when none of its codes is selected it must not run."""
    _tree(tmp_path)
    cache = tmp_path / "cache"
    run_flake8("--isolated", f"--djm-cache-dir={cache}", *args, ".", cwd=tmp_path)
    assert any(cache.rglob("*")) is runs_project_pass

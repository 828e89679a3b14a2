"""A run where nothing changed: the command serves flake8's configuration and its verdict from the cache, and any
change to what they were read from is seen on the next run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations import cli, configuration, flake8_compat
from flake8_django_migrations.files import stat_stamp
from flake8_django_migrations.output.report import display_path
from flake8_django_migrations.project.discover import read_app_label
from flake8_django_migrations.settings import Settings
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`shop` with a RunPython without reverse (DJM101) and two leaves (DJM304)."""
    root = write_tree(tmp_path / "project", tree(
        app("shop", {
            "0001_initial": migration(),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": RUN_PYTHON,
        }),
    ))
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each time the command has flake8 read its configuration, the command line it was given."""
    calls: list[list[str]] = []
    real = cli._read_flake8_configuration

    def counting(argv: list[str]) -> Any:
        calls.append(argv)
        return real(argv)

    monkeypatch.setattr(cli, "_read_flake8_configuration", counting)
    return calls


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each finding flake8's style guide was asked about, by code."""
    asked: list[str] = []
    real = flake8_compat.Verdict._reports

    def counting(self: Any, finding: Any) -> bool:
        asked.append(finding.code)
        return real(self, finding)

    monkeypatch.setattr(flake8_compat.Verdict, "_reports", counting)
    return asked


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), stdout=out), out.getvalue()


def test_a_second_run_reads_neither_the_configuration_nor_the_verdict_again(
    project: Path, reads: list[list[str]], verdicts: list[str]
) -> None:
    first = run("check")
    assert len(reads) == 1 and sorted(verdicts) == ["DJM101", "DJM304", "DJM304"]
    assert run("check") == first
    assert len(reads) == 1 and len(verdicts) == 3
    assert first[0] == 1 and "DJM101" in first[1]


def test_a_changed_configuration_file_is_read_again(project: Path, reads: list[list[str]]) -> None:
    assert "DJM101" in run("check")[1]
    (project / "setup.cfg").write_text("[flake8]\nextend-ignore = DJM101\n")
    assert "DJM101" not in run("check")[1]
    assert len(reads) == 2
    (project / "setup.cfg").write_text("[flake8]\nextend-ignore = DJM304\n")
    output = run("check")[1]
    assert "DJM101" in output and "DJM304" not in output
    assert len(reads) == 3


def test_a_configuration_file_in_a_parent_folder_is_seen(
    project: Path, reads: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "shop")
    assert "DJM101" in run("check")[1]
    (project / "tox.ini").write_text("[flake8]\nextend-ignore = DJM101\n")
    assert "DJM101" not in run("check")[1]
    assert len(reads) == 2


def test_the_command_line_and_the_working_folder_are_part_of_the_key(
    project: Path, reads: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    run("check")
    assert "DJM101" not in run("check", "--extend-ignore", "DJM101")[1]
    assert "DJM101" in run("check")[1]
    monkeypatch.chdir(project / "shop")
    run("check")
    assert len(reads) == 3


def test_a_new_distribution_is_seen(
    project: Path, reads: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin installed since the last run could register options or ignore codes by default."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    run("check")
    (site / "flake8_other-1.0.dist-info").mkdir()
    run("check")
    assert len(reads) == 2


def test_a_changed_module_is_seen(
    project: Path, reads: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configuration is stored with the stat of every module loaded when it was read (flake8, its plugins,
    this package): one that changed since, say a plugin edited in place, means reading it again."""
    plugin = tmp_path / "plugin.py"
    plugin.write_text("OPTIONS = 1\n")
    monkeypatch.setattr(configuration, "_module_stats", lambda: ((str(plugin), stat_stamp(str(plugin))),))
    run("check")
    run("check")
    assert len(reads) == 1
    plugin.write_text("OPTIONS = 22\n")
    run("check")
    assert len(reads) == 2


def test_no_configuration_is_stored_where_a_configuration_file_moves_the_cache(
    project: Path, reads: list[list[str]], tmp_path: Path, private_cache_home: Path
) -> None:
    """The configuration is looked up in the cache the command line names (or the default one) before it is read:
    when a configuration file names another cache, or none, it is stored in neither."""
    (project / "setup.cfg").write_text(f"[flake8]\ndjm-cache-dir = {tmp_path / 'elsewhere'}\n")
    run("check")
    run("check")
    assert len(reads) == 2
    assert (tmp_path / "elsewhere").is_dir()  # the findings went there
    (project / "setup.cfg").write_text("[flake8]\ndjm-no-cache = true\n")
    run("check")
    run("check")
    assert len(reads) == 4
    entries = [name for cache in (private_cache_home, tmp_path / "elsewhere") for _, _, names in os.walk(cache)
               for name in names]
    assert entries and not any(name.startswith("nfiguration-") for name in entries)


def test_the_option_naming_the_cache_is_honoured_from_the_command_line(
    project: Path, reads: list[list[str]], tmp_path: Path
) -> None:
    run("check", "--djm-cache-dir", str(tmp_path / "chosen"))
    run("check", "--djm-cache-dir", str(tmp_path / "chosen"))
    assert len(reads) == 1
    run("check", "--djm-no-cache")
    run("check", "--djm-no-cache")
    assert len(reads) == 3


def test_a_baseline_that_cannot_be_read_is_a_usage_error_on_every_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "setup.cfg").write_text("[flake8]\ndjm-baseline = baseline.json\n")
    (project / "baseline.json").write_text("[]\n")
    run("check")
    (project / "baseline.json").write_text("not json")  # the configuration files are as they were
    capsys.readouterr()
    for command in ("check", "graph"):
        assert run(command)[0] == 2
        assert "django-migrations-lint: error:" in capsys.readouterr().err


def test_the_verdict_follows_a_noqa_comment_added_to_a_file(project: Path, verdicts: list[str]) -> None:
    assert "DJM101" in run("check")[1]
    path = project / "shop" / "migrations" / "0002_b.py"
    path.write_text(path.read_text().replace("RunPython(forwards)]", "RunPython(forwards)]  # noqa: DJM101"))
    assert "DJM101" not in run("check")[1]
    assert "DJM101" in run("check", "--disable-noqa")[1]
    assert len(verdicts) == 9  # three findings, three runs: none served from another's verdict
    run("check", "--disable-noqa")
    assert len(verdicts) == 9


def test_the_verdict_of_a_file_outside_the_project_pass_follows_its_text(
    project: Path, verdicts: list[str]
) -> None:
    """A migrations folder discovery does not enter (a hidden one): flake8 checks it, and its noqa comments count."""
    hidden = write_tree(project / ".hidden", tree(app("vendor", {"0002_b": RUN_PYTHON})))
    path = hidden / "vendor" / "migrations" / "0002_b.py"
    assert "DJM101" in run("check")[1]
    path.write_text(path.read_text().replace("RunPython(forwards)]", "RunPython(forwards)]  # noqa: DJM101"))
    assert run("check")[1].count("DJM101") == 1  # only shop's


def test_a_warm_run_imports_neither_flake8_nor_the_rules(project: Path) -> None:
    """What a run where nothing changed costs is mostly imports: flake8's option machinery loads every plugin, the
    rules import the facts, and PostgreSQL's parser (when installed) is a large one. None of them is needed to
    print what the cache holds, also for a project with RunSQL."""
    with_sql = migration(("shop", "0002_b")).replace("operations = []", 'operations = [migrations.RunSQL("SELECT 1")]')
    assert "RunSQL" in with_sql
    (project / "shop" / "migrations" / "0003_sql.py").write_text(with_sql)
    script = (
        "import io, sys\n"
        "from flake8_django_migrations.cli import main\n"
        "main(['check'], stdout=io.StringIO())\n"
        "print(' '.join(sorted(name for name in sys.modules if name in ('flake8', 'pglast') or name.startswith(("
        "'flake8.', 'pglast.', 'flake8_django_migrations.facts', 'flake8_django_migrations.rules', "
        "'flake8_django_migrations.registry')))))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    first = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
    assert "flake8.options" in first.stdout, first.stderr
    second = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
    assert second.stdout.split() == [], second.stderr


def test_a_configuration_round_trips_through_the_cache(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every field of the settings and every plain option value comes back as it was stored, and what flake8 said
    while reading is said again."""
    settings = Settings(
        database="sqlite", project_root="/p", app_labels={"a": "b"}, migration_modules={"x": "y.z"},
        swappable={"AUTH_USER_MODEL": "accounts.User"}, exclude=("e",), enabled_codes=frozenset({"DJM101"}),
        settings_module="proj.settings", read_django_settings=False, set_explicitly=frozenset({"database"}),
        new_only=False, baseline="b.json",
    )
    from argparse import Namespace

    from flake8_django_migrations.project.cache import FactsCache

    options = Namespace(select=["DJM"], extend_exclude=[], max_line_length=120, per_file_ignores="", jobs=object())
    cache = FactsCache(str(tmp_path / "cache"))
    first = configuration.read_configuration(["--isolated"], cache, lambda: (options, settings, "said\n"))
    again = configuration.read_configuration(["--isolated"], cache, lambda: pytest.fail("read again"))
    assert again.settings == settings == first.settings
    assert vars(again.options) == {name: value for name, value in vars(options).items() if name != "jobs"}
    assert again.identity == first.identity is not None
    assert again.project_rule_codes == first.project_rule_codes
    assert capsys.readouterr().err == "said\nsaid\n"


@pytest.mark.parametrize("path", [
    "{cwd}/shop/migrations/0001_initial.py",
    "{cwd}/.hidden/migrations/0001_initial.py",
    "{cwd}/shop/./migrations/0001_initial.py",
    "{cwd}/shop/../shop/migrations/0001_initial.py",
    "{cwd}//shop/migrations/0001_initial.py",
    "{cwd}",
    "{cwd}x/y.py",
    "/elsewhere/y.py",
])
def test_display_path_is_relpath_below_the_working_folder(path: str, tmp_path: Path) -> None:
    cwd = os.getcwd()
    path = path.format(cwd=cwd)
    if path == cwd:
        expected = "."
    elif path.startswith(cwd.rstrip(os.sep) + os.sep):
        expected = os.path.relpath(path, cwd)
    else:
        expected = path
    assert display_path(path) == display_path(path, cwd) == expected


@pytest.mark.parametrize("source, label", [
    ("from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n", None),
    ("from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    label = 'store'\n", "store"),
    # Not ASCII: the name is read as Python reads it (NFKC), so the quick test for the word is not enough.
    ("from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    \uff4cabel = 'store'\n", "store"),
    ("# caf\u00e9\nfrom django.apps import AppConfig\n\n\nclass C(AppConfig):\n    name = 'label'\n", None),
])
def test_an_apps_label_is_read_with_or_without_the_quick_test(source: str, label: str | None, tmp_path: Path) -> None:
    (tmp_path / "apps.py").write_text(source, encoding="utf-8")
    assert read_app_label(str(tmp_path / "apps.py")) == label

"""The command reads the same `djm-*` options from flake8's configuration files as the plugin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main

USER_DEPENDENT = '''\
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
'''


def _project(root: Path) -> None:
    for relative, source in {
        "accounts/migrations/0001_initial.py": (
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    initial = True\n"
        ),
        "orders/migrations/0001_initial.py": USER_DEPENDENT,
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").write_text("")
        path.write_text(source)
    (root / "manage.py").write_text("")


def _graph(root: Path, *args: str) -> dict[str, object]:
    out = io.StringIO()
    assert main(["graph", *args, str(root)], stdout=out) == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


@pytest.mark.parametrize("config_file", ["setup.cfg", "tox.ini", ".flake8"])
def test_swappable_from_flake8_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_file: str
) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert _graph(tmp_path, "--no-cache")["edges"] == []  # auth.User: external
    (tmp_path / config_file).write_text("[flake8]\ndjm-swappable =\n    AUTH_USER_MODEL=accounts.User\n")
    assert _graph(tmp_path, "--no-cache")["edges"] == [["orders.0001_initial", "accounts.0001_initial"]]


def test_command_line_overrides_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\ndjm-swappable = AUTH_USER_MODEL=accounts.User\n")
    graph = _graph(tmp_path, "--no-cache", "--djm-swappable", "AUTH_USER_MODEL=auth.User")
    assert graph["edges"] == []


def test_bad_database_in_configuration_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\ndjm-database = postgres\n")
    assert main(["check", "--no-cache", "."], stdout=io.StringIO()) == 2


def test_per_file_rules_see_the_app_config_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder `billing_app` whose AppConfig says `label = "billing"`: its merge's own-app dependencies say
    `billing`, so DJM306 must compare with the label, not the folder name."""
    app = tmp_path / "billing_app"
    (app / "migrations").mkdir(parents=True)
    (tmp_path / "manage.py").write_text("")
    (app / "__init__.py").write_text("")
    (app / "apps.py").write_text(
        "from django.apps import AppConfig\n\n\nclass BillingConfig(AppConfig):\n"
        '    name = "billing_app"\n    label = "billing"\n'
    )
    migrations = app / "migrations"
    (migrations / "__init__.py").write_text("")
    header = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
    (migrations / "0001_initial.py").write_text(header + "    initial = True\n")
    for name in ("0002_a", "0002_b"):
        (migrations / f"{name}.py").write_text(header + '    dependencies = [("billing", "0001_initial")]\n')
    (migrations / "0003_merge.py").write_text(
        header + '    dependencies = [("billing", "0002_a"), ("billing", "0002_b")]\n'
    )
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["check", "--no-cache", "--format", "json", "."], stdout=out) == 1
    found = [(Path(item["path"]).name, item["code"]) for item in json.loads(out.getvalue())["findings"]]
    assert found == [("0003_merge.py", "DJM306")]


PYPROJECT = """\
[project]
name = "shop"

[tool.flake8-django-migrations]
swappable = ["AUTH_USER_MODEL=accounts.User"]
database = "sqlite"
"""


def test_pyproject_table_for_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert _graph(tmp_path, "--no-cache")["edges"] == [["orders.0001_initial", "accounts.0001_initial"]]
    # flake8's configuration wins over pyproject.toml.
    (tmp_path / "setup.cfg").write_text("[flake8]\ndjm-swappable = AUTH_USER_MODEL=auth.User\n")
    assert _graph(tmp_path, "--no-cache")["edges"] == []


def test_pyproject_table_for_flake8(tmp_path: Path) -> None:
    from tests.flake8_runner import parse_output, run_flake8

    _project(tmp_path)
    index_migration = (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("accounts", "0001_initial")]\n'
        '    operations = [migrations.AddIndex("user", models.Index(fields=["id"], name="i"))]\n'
    )
    (tmp_path / "accounts" / "migrations" / "0002_index.py").write_text(index_migration)
    before = [code for *_, code in parse_output(run_flake8("--select", "DJM", ".", cwd=tmp_path).stdout)]
    assert before == ["DJM205"]
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    after = run_flake8("--select", "DJM", ".", cwd=tmp_path)
    assert parse_output(after.stdout) == [] and after.returncode == 0, after.stderr  # database = "sqlite"


@pytest.mark.parametrize(
    "content", ["[tool.flake8-django-migrations\n", "tool = 1\n", "[tool]\nflake8-django-migrations = 3\n"]
)
def test_malformed_pyproject_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(content)
    assert main(["check", "--no-cache", "."], stdout=io.StringIO()) in (0, 1)


def test_flake8_configuration_above_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flake8 looks for its configuration from the working folder upwards: so does the command."""
    _project(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\ndjm-swappable = AUTH_USER_MODEL=accounts.User\n")
    monkeypatch.chdir(tmp_path / "orders")
    assert _graph(tmp_path, "--no-cache")["edges"] == [["orders.0001_initial", "accounts.0001_initial"]]
    assert _graph(tmp_path, "--no-cache", "--isolated")["edges"] == []


def test_a_config_file_named_by_config_replaces_the_one_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\ndjm-swappable = AUTH_USER_MODEL=accounts.User\n")
    (tmp_path / "other.cfg").write_text("[flake8]\ndjm-database = sqlite\n")
    assert _graph(tmp_path, "--no-cache", "--config", "other.cfg")["edges"] == []
    assert _graph(tmp_path, "--no-cache", "--append-config", "other.cfg")["edges"] == [
        ["orders.0001_initial", "accounts.0001_initial"]
    ]


def test_pyproject_table_above_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nearest pyproject.toml with the table, from the working folder upwards; one without it is passed over."""
    _project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "orders" / "pyproject.toml").write_text('[project]\nname = "orders"\n')
    monkeypatch.chdir(tmp_path / "orders")
    assert _graph(tmp_path, "--no-cache")["edges"] == [["orders.0001_initial", "accounts.0001_initial"]]
    (tmp_path / "orders" / "pyproject.toml").write_text('[tool.django-migrations-lint]\nswappable = []\n')
    assert _graph(tmp_path, "--no-cache")["edges"] == []  # the nearer table wins, whole


def test_pyproject_table_above_the_working_folder_for_flake8(tmp_path: Path) -> None:
    from tests.flake8_runner import parse_output, run_flake8

    _project(tmp_path)
    (tmp_path / "accounts" / "migrations" / "0002_index.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("accounts", "0001_initial")]\n'
        '    operations = [migrations.AddIndex("user", models.Index(fields=["id"], name="i"))]\n'
    )
    assert [code for *_, code in parse_output(run_flake8("--select", "DJM", ".", cwd=tmp_path / "accounts").stdout)] \
        == ["DJM205"]
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    after = run_flake8("--select", "DJM", ".", cwd=tmp_path / "accounts")
    assert parse_output(after.stdout) == [] and after.returncode == 0, after.stderr  # database = "sqlite"

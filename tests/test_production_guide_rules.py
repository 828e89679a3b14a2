"""End to end, through the real flake8 and the command: the production guide's rules (DJM212, DJM905-DJM908) where
they depend on what fixtures cannot hold: the Django settings read from a project (``DEFAULT_AUTO_FIELD``, the
database ``OPTIONS``) and the comments of the file (``# noqa`` with and without a reason)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from tests.flake8_runner import parse_output, run_flake8

INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel("Product", fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("legacy_sku", models.CharField(max_length=20)),
            ("old_name", models.CharField(max_length=20)),
        ]),
    ]
"""

CONTRACT = """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RemoveField("product", "legacy_sku"),  # noqa: DJM202 -- read by nothing since 2.4
        migrations.RemoveField("product", "old_name"),  # noqa: DJM202
    ]
"""


def _project(root: Path, settings: str, migrations: dict[str, str]) -> Path:
    (root / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n', encoding="utf-8"
    )
    (root / "config").mkdir()
    (root / "config" / "__init__.py").write_text("", encoding="utf-8")
    (root / "config" / "settings.py").write_text(
        'INSTALLED_APPS = ["shop"]\n' + textwrap.dedent(settings), encoding="utf-8"
    )
    package = root / "shop" / "migrations"
    package.mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name, source in migrations.items():
        (package / f"{name}.py").write_text(source, encoding="utf-8")
    return root


Found = list[tuple[str, int, int, str]]


def _ours(output: str) -> Found:
    """(path without a leading ``./``, line, column, code) of the DJM findings printed."""
    return sorted((path.removeprefix("./"), line, col, code)
                  for path, line, col, code in parse_output(output) if code.startswith("DJM"))


def _both(root: Path, monkeypatch: pytest.MonkeyPatch, *options: str) -> Found:
    """The findings of flake8 and of the command, which must agree."""
    result = run_flake8(*options, ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    monkeypatch.chdir(root)
    out = io.StringIO()
    main(["check", *options, "."], stdout=out)
    assert _ours(result.stdout) == _ours(out.getvalue())
    return _ours(result.stdout)


def test_a_noqa_with_a_reason_still_silences_and_one_without_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, 'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}\n',
                    {"0001_initial": INITIAL, "0002_contract": CONTRACT})
    assert _both(root, monkeypatch, "--select", "DJM") == [("shop/migrations/0002_contract.py", 9, 57, "DJM908")]
    # By default the reason rule is off, and both drops are silenced all the same.
    assert _both(root, monkeypatch) == []


@pytest.mark.parametrize(
    ("auto_field", "reported"),
    [("django.db.models.AutoField", True), ("django.db.models.BigAutoField", False), (None, False)],
)
def test_an_implicit_id_follows_default_auto_field_read_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auto_field: str | None, reported: bool
) -> None:
    settings = f"DEFAULT_AUTO_FIELD = {auto_field!r}\n" if auto_field else ""
    initial = INITIAL.replace('            ("id", models.BigAutoField(primary_key=True)),\n', "")
    root = _project(tmp_path, settings, {"0001_initial": initial})
    expected = [("shop/migrations/0001_initial.py", 8, 9, "DJM907")] if reported else []
    assert _both(root, monkeypatch, "--select", "DJM907") == expected


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        ('{"options": "-c lock_timeout=5s -c statement_timeout=60s"}', False),
        ('{"options": "-c lock_timeout=0"}', True),
        ('{"sslmode": "require"}', True),
    ],
)
def test_a_lock_timeout_in_the_database_options_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str, reported: bool
) -> None:
    settings = f'DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "OPTIONS": {options}}}}}\n'
    root = _project(tmp_path, settings, {"0001_initial": INITIAL, "0002_contract": CONTRACT})
    expected = [("shop/migrations/0002_contract.py", 8, 9, "DJM905")] if reported else []
    assert _both(root, monkeypatch, "--select", "DJM905") == expected


def test_mixed_deploy_phases_is_on_by_default_and_reported_on_the_migration_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mixed = CONTRACT.replace(
        "    operations = [\n",
        "    operations = [\n"
        '        migrations.AddField("product", "sku", models.CharField(max_length=20, null=True)),\n',
    ).replace("from django.db import migrations\n", "from django.db import migrations, models\n")
    root = _project(tmp_path, 'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}\n',
                    {"0001_initial": INITIAL, "0002_mixed": mixed})
    assert _both(root, monkeypatch) == [("shop/migrations/0002_mixed.py", 4, 1, "DJM212")]

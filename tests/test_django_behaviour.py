"""Claims the rules make about Django, checked against the installed Django (a test dependency only)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.db import migrations

from flake8_django_migrations.facts import extract_facts
from flake8_django_migrations.registry import check_facts
from flake8_django_migrations.settings import Settings


def _project(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "settings.py").write_text(
        "SECRET_KEY = 'x'\nINSTALLED_APPS = ['catalog']\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n"
        "USE_TZ = True\n"
    )
    app = tmp_path / "catalog"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text(textwrap.dedent('''\
        from django.db import models


        class MoneyField(models.DecimalField):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("max_digits", 12)
                kwargs.setdefault("decimal_places", 2)
                super().__init__(*args, **kwargs)


        def default_code():
            return "NEW"


        class Product(models.Model):
            price = MoneyField()
            code = models.CharField(max_length=8, default=default_code)
        '''))
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(tmp_path)}


def test_makemigrations_imports_the_models_module_for_custom_fields_and_it_is_not_a_live_model(
    tmp_path: Path,
) -> None:
    environment = _project(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "django", "makemigrations", "catalog"],
        cwd=tmp_path, env=environment, check=True, capture_output=True, timeout=120,
    )
    migration = tmp_path / "catalog" / "migrations" / "0001_initial.py"
    source = migration.read_text()
    assert "import catalog.models" in source
    assert "catalog.models.MoneyField(" in source
    assert "default=catalog.models.default_code" in source
    facts = extract_facts(ast.parse(source), str(migration))
    assert facts is not None
    assert [f.code for f in check_facts(facts, Settings()) if f.code == "DJM103"] == []


def test_noop_is_a_reverse_and_a_missing_reverse_is_irreversible() -> None:
    def forwards(apps: object, schema_editor: object) -> None: ...

    assert not migrations.RunPython(forwards).reversible
    assert not migrations.RunPython(forwards, reverse_code=None).reversible
    assert migrations.RunPython(forwards, migrations.RunPython.noop).reversible
    assert not migrations.RunSQL("SELECT 1").reversible
    assert migrations.RunSQL("SELECT 1", migrations.RunSQL.noop).reversible


def test_swappable_dependency_is_the_first_migration_of_the_settings_app() -> None:
    dependency = migrations.swappable_dependency("accounts.User")
    assert tuple(dependency) == ("accounts", "__first__")
    assert dependency.setting == "accounts.User"


def test_migration_defaults_are_what_facts_assume() -> None:
    assert migrations.Migration.atomic is True
    assert migrations.Migration.initial is None or migrations.Migration.initial is False
    assert migrations.Migration.operations == [] and migrations.Migration.dependencies == []


def test_remove_field_inside_state_operations_touches_no_table(tmp_path: Path) -> None:
    """SeparateDatabaseAndState's state side changes only Django's state: the exemption DJM202 relies on."""
    operation = migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("product", "code")])
    assert operation.database_operations == []


def test_varchar_fields_and_their_default_lengths() -> None:
    """DJM207 treats these as one varchar family with these default lengths: check both against Django."""
    import django
    from django.db import models as django_models

    from flake8_django_migrations.rules.schema import COLUMN_TYPES, VARCHAR_DEFAULT_LENGTH

    # The PostgreSQL backend needs psycopg to import: read its column types from its source instead.
    backend = Path(django.__file__).parent / "db" / "backends" / "postgresql" / "base.py"
    table = next(
        node.value
        for node in ast.walk(ast.parse(backend.read_text()))
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "data_types"
    )
    assert isinstance(table, ast.Dict)
    # A value is a format string, or a function such as `_get_varchar_column`: the source text says the type.
    data_types = {
        key.value: value.value if isinstance(value, ast.Constant) else ast.unparse(value)
        for key, value in zip(table.keys, table.values)
        if isinstance(key, ast.Constant)
    }
    for name, default in VARCHAR_DEFAULT_LENGTH.items():
        field_class = getattr(django_models, name)
        field = field_class(max_length=10) if default is None else field_class()
        assert "varchar" in str(data_types[field.get_internal_type()]), name
        assert default is None or field.max_length == default, name
    for name, column_type in COLUMN_TYPES.items():
        if name in VARCHAR_DEFAULT_LENGTH or name not in data_types:
            continue  # fields Django no longer has (NullBooleanField) keep what older Djangos gave them
        assert str(data_types[name]).startswith(column_type), name

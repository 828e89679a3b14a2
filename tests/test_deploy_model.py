"""The deploy model (issue 23): `djm-deploy = rolling | downtime`, which rules need a rolling deploy, and both front
ends leaving those out with `downtime`, unless the project installs django-safemigrate or django-syzygy.

Also the PostgreSQL and Django behaviour that the other items of issue 23 done here claim (item 14: a change of
`db_collation` rebuilds the column's indexes; item 15: a primary key moved drops the foreign keys to it, or fails;
item 13: a subclass that wraps an operation runs its SQL), shown on a real server as ``test_postgres_truth`` does.
Run as a module (``python -m tests.test_deploy_model CONNINFO_JSON``) it prints the SQL Django generates for those
cases as JSON: that is the subprocess, which keeps Django's settings out of the test process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from flake8_django_migrations import docs
from flake8_django_migrations.cli import main
from flake8_django_migrations.options import PLUGIN_OPTIONS
from flake8_django_migrations.registry import RULES, runs
from flake8_django_migrations.settings import DjangoSettings, ReadSetting, SettingsError, build_settings
from tests.flake8_runner import parse_output, run_flake8
from tests.postgres_server import PostgresServer, SchemaCase, collect_django_sql, django_sql_of, postgres_server

__all__ = ["postgres_server"]  # the session fixture, used here


# The rules whose claim needs old code running beside or after the migration, as decided in issue 23 (each record
# says why): a rule added or changed must be decided again here.
ROLLING = {
    "DJM201", "DJM202", "DJM203", "DJM204", "DJM205", "DJM208", "DJM209", "DJM210", "DJM211", "DJM212", "DJM217",
    "DJM905",
}


# The model and the documentation ----------------------------------------------------------------------------------


def test_the_rules_that_need_a_rolling_deploy_are_those_decided() -> None:
    assert {code for code, rule in RULES.items() if rule.needs_rolling_deploy} == ROLLING


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_every_rule_page_and_explain_say_what_the_claim_assumes_of_the_deploy(rule: Any) -> None:
    page = docs.render_rule(rule)
    assert docs.render_deploy(rule) in page
    assert rule.deploy_why and not rule.deploy_why.endswith(".")
    out = io.StringIO()
    assert main(["--explain", rule.code], stdout=out) == 0
    explained = out.getvalue()
    if rule.needs_rolling_deploy:
        assert "Deploy: needs a rolling deploy" in explained and "Not run with `djm-deploy = downtime`" in explained
        assert "`--djm-deploy`" in page  # listed among the options that decide what it reports
    else:
        assert "Deploy: holds whatever the deploy" in explained


def test_the_readme_tables_say_the_deploy_model() -> None:
    table = docs.render_table()
    assert "| [DJM202](docs/rules/DJM202.md) | `drop-column` | on | rolling |" in table
    assert "| [DJM101](docs/rules/DJM101.md) | `run-python-without-reverse` | on | any |" in table
    option = next(option for option in PLUGIN_OPTIONS if option.config_key == "djm-deploy")
    assert option.choices == ("rolling", "downtime")
    assert "[DJM202](docs/rules/DJM202.md)" in docs.render_options()


def test_a_record_must_say_rolling_or_any_with_a_reason() -> None:
    from flake8_django_migrations.rules.rule import file_rule

    for wrong in (("downtime", "why"), ("rolling", ""), ("any", "a sentence.")):
        with pytest.raises(ValueError, match="deploy="):
            file_rule(code="DJM999", deploy=wrong)


def _django(*installed: str) -> DjangoSettings:
    return DjangoSettings(root="/p", values={"INSTALLED_APPS": ReadSetting("INSTALLED_APPS", installed, "/p/s.py", 1)})


@pytest.mark.parametrize(
    ("deploy", "django", "rolling"),
    [
        (None, None, True),
        ("rolling", None, True),
        ("downtime", None, False),
        (" Downtime ", None, False),
        ("downtime", _django("shop", "django.contrib.auth"), False),
        ("downtime", _django("shop", "django_safemigrate.apps.SafeMigrateConfig"), True),
        ("downtime", _django("django_safemigrate"), True),
        ("downtime", _django("syzygy"), True),
        ("downtime", _django("syzygy.apps.SyzygyConfig"), True),
        ("downtime", _django("syzygy_extras"), False),  # another package
    ],
)
def test_the_deploy_model_and_the_staged_deploy_tools(deploy: str | None, django: DjangoSettings | None,
                                                      rolling: bool) -> None:
    from dataclasses import replace

    settings = replace(build_settings(deploy=deploy), django=django)
    assert settings.rolling_deploy is rolling
    assert runs(RULES["DJM202"], settings) is rolling
    assert runs(RULES["DJM101"], settings)


def test_a_deploy_model_that_does_not_exist_is_a_usage_error() -> None:
    with pytest.raises(SettingsError, match="djm-deploy must be one of rolling, downtime, not 'blue-green'"):
        build_settings(deploy="blue-green")


# Both front ends --------------------------------------------------------------------------------------------------

MANAGE_PY = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n"
INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel("Product", fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("sku", models.CharField(max_length=20)),
            ("legacy", models.CharField(max_length=20)),
        ]),
    ]
"""
DROP_AND_DATA = """\
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RemoveField("product", "legacy"),
        migrations.RunPython(forwards),
    ]
"""
INDEX = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_drop_and_data")]
    operations = [migrations.AddIndex("product", models.Index(fields=["sku"], name="product_sku_idx"))]
"""
DROP = ("shop/migrations/0002_drop_and_data.py", 11, 9, "DJM202")
NO_REVERSE = ("shop/migrations/0002_drop_and_data.py", 12, 9, "DJM101")
MIXED = ("shop/migrations/0002_drop_and_data.py", 12, 9, "DJM104")
BLOCKING_INDEX = ("shop/migrations/0003_index.py", 6, 19, "DJM205")
EVERY_DEPLOY = [NO_REVERSE, MIXED]
ROLLING_ONLY = [DROP, BLOCKING_INDEX]


def _project(root: Path, installed: tuple[str, ...] = ("shop",), files: dict[str, str] | None = None) -> Path:
    written = {
        "manage.py": MANAGE_PY,
        "project/__init__.py": "",
        "project/settings.py": f"INSTALLED_APPS = {list(installed)!r}\n",
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_drop_and_data.py": DROP_AND_DATA,
        "shop/migrations/0003_index.py": INDEX,
        **(files or {}),
    }
    for relative, text in written.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(("args", "expected"), [((), ["DJM202", "DJM205"]), (("--djm-deploy=downtime",), [])])
def test_the_graph_draws_only_what_the_deploy_model_runs(
    tmp_path: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    root = _project(tmp_path)
    out = io.StringIO()
    with _in(root):
        assert main(["graph", "--format", "json", "--djm-no-cache", "--isolated", *args, "."], stdout=out) == 0
    assert [error["code"] for error in json.loads(out.getvalue())["errors"]] == expected


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _check(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]], str]:
    out = io.StringIO()
    with _in(root):
        status = main(["check", "--select=DJM1,DJM2", *args], stdout=out)
    found = sorted((path, line, col, code) for path, line, col, code in parse_output(out.getvalue()))
    return status, found, out.getvalue()


def _flake8(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str]], str]:
    result = run_flake8("--select=DJM1,DJM2", *args, cwd=root)
    found = sorted(
        (path.removeprefix("./"), line, col, code) for path, line, col, code in parse_output(result.stdout)
    )
    return result.returncode, found, result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param((), EVERY_DEPLOY + ROLLING_ONLY, id="rolling-by-default"),
        pytest.param(("--djm-deploy=rolling",), EVERY_DEPLOY + ROLLING_ONLY, id="rolling"),
        pytest.param(("--djm-deploy=downtime",), EVERY_DEPLOY, id="downtime"),
    ],
)
def test_both_front_ends_leave_out_the_rolling_rules_with_downtime(
    tmp_path: Path, args: tuple[str, ...], expected: list[tuple[str, int, int, str]]
) -> None:
    root = _project(tmp_path)
    status, found, _ = _check(root, "--djm-no-cache", "--isolated", *args)
    flake8_status, flake8_found, stderr = _flake8(root, "--djm-no-cache", "--isolated", *args)
    assert found == flake8_found == sorted(expected), stderr
    assert status == flake8_status == 1


def test_the_command_takes_its_short_spelling_too(tmp_path: Path) -> None:
    _, found, _ = _check(_project(tmp_path), "--no-cache", "--isolated", "--deploy", "downtime")
    assert found == sorted(EVERY_DEPLOY)


@pytest.mark.parametrize(
    "configuration",
    [
        pytest.param({"setup.cfg": "[flake8]\ndjm-deploy = downtime\n"}, id="setup.cfg"),
        pytest.param({"pyproject.toml": '[tool.django-migrations-lint]\ndeploy = "downtime"\n'}, id="pyproject"),
    ],
)
def test_the_deploy_model_is_read_from_the_configuration_files(tmp_path: Path, configuration: dict[str, str]) -> None:
    root = _project(tmp_path, files=configuration)
    _, found, _ = _check(root, "--djm-no-cache")
    _, flake8_found, stderr = _flake8(root, "--djm-no-cache")
    assert found == flake8_found == sorted(EVERY_DEPLOY), stderr


@pytest.mark.parametrize("installed", ["django_safemigrate.apps.SafeMigrateConfig", "syzygy"])
def test_a_project_with_django_safemigrate_or_syzygy_deploys_rolling_whatever_the_option(
    tmp_path: Path, installed: str
) -> None:
    root = _project(tmp_path, installed=("shop", installed))
    _, found, _ = _check(root, "--djm-no-cache", "--isolated", "--djm-deploy=downtime")
    _, flake8_found, stderr = _flake8(root, "--djm-no-cache", "--isolated", "--djm-deploy=downtime")
    assert found == flake8_found == sorted(EVERY_DEPLOY + ROLLING_ONLY), stderr


def test_a_cached_run_follows_the_deploy_model(tmp_path: Path) -> None:
    """The deploy model is part of the settings every cache key holds: switching it never serves stale findings."""
    root = _project(tmp_path / "project")
    cache = f"--djm-cache-dir={tmp_path / 'cache'}"
    for deploy, expected in [("rolling", EVERY_DEPLOY + ROLLING_ONLY), ("downtime", EVERY_DEPLOY),
                             ("rolling", EVERY_DEPLOY + ROLLING_ONLY), ("downtime", EVERY_DEPLOY)]:
        _, found, _ = _check(root, cache, "--isolated", f"--djm-deploy={deploy}")
        _, flake8_found, stderr = _flake8(root, cache, "--isolated", f"--djm-deploy={deploy}")
        assert found == flake8_found == sorted(expected), (deploy, stderr)


@pytest.mark.parametrize(
    ("args", "configuration"),
    [
        pytest.param(("--isolated", "--djm-deploy=blue-green"), {}, id="option"),
        pytest.param((), {"pyproject.toml": '[tool.django-migrations-lint]\ndeploy = "blue-green"\n'}, id="pyproject"),
    ],
)
def test_a_deploy_model_that_does_not_exist_is_a_usage_error_in_both_front_ends(
    tmp_path: Path, args: tuple[str, ...], configuration: dict[str, str]
) -> None:
    root = _project(tmp_path, files=configuration)
    command = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check", "--djm-no-cache", *args],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )
    flake8 = run_flake8("--djm-no-cache", *args, cwd=root)
    for result in (command, flake8):
        assert result.returncode == 2 and "'blue-green'" in result.stderr and not result.stdout


# What PostgreSQL and Django do: the SQL, collected in a subprocess --------------------------------------------------

APP = "shop"


def _operations() -> dict[str, tuple[list[Any], list[Any]]]:
    """case -> (operations that set the tables up, the operations under test)."""
    import uuid

    from django.db import migrations, models

    class LoggedRemoveField(migrations.RemoveField):
        def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
            try:
                super().database_forwards(app_label, schema_editor, from_state, to_state)
            finally:
                pass

    class KeepColumnRemoveField(migrations.RemoveField):
        def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
            pass

    tables = [
        migrations.CreateModel("Customer", [
            ("id", models.AutoField(primary_key=True)),
            ("name", models.CharField(max_length=20, db_index=True)),
            ("code", models.CharField(max_length=20)),
        ]),
        migrations.CreateModel("Order", [
            ("id", models.AutoField(primary_key=True)),
            ("customer", models.ForeignKey("shop.customer", models.CASCADE)),
        ]),
        migrations.CreateModel("Tag", [("name", models.CharField(max_length=20, primary_key=True))]),
        migrations.CreateModel("Label", [
            ("id", models.AutoField(primary_key=True)), ("tag", models.ForeignKey("shop.tag", models.CASCADE)),
        ]),
    ]
    return {
        "collation_of_an_indexed_column": (
            tables, [migrations.AlterField("customer", "name", models.CharField(
                max_length=20, db_index=True, db_collation="POSIX",
            ))],
        ),
        "collation_of_a_plain_column": (
            tables, [migrations.AlterField("customer", "code", models.CharField(max_length=20, db_collation="POSIX"))],
        ),
        "primary_key_moved_old_one_removed": (
            tables,
            [migrations.RemoveField("customer", "id"),
             migrations.AlterField("customer", "code", models.CharField(max_length=20, primary_key=True))],
        ),
        "primary_key_moved_old_one_kept": (
            tables,
            [migrations.AlterField("tag", "name", models.CharField(max_length=20, unique=True)),
             migrations.AddField("tag", "id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        "primary_key_added_with_a_default": (
            tables,
            [migrations.RemoveField("customer", "id"),
             migrations.AddField("customer", "uid", models.UUIDField(default=uuid.uuid4, primary_key=True))],
        ),
        "remove_field": (tables, [migrations.RemoveField("customer", "code")]),
        "remove_field_subclass_wrapping": (tables, [LoggedRemoveField("customer", "code")]),
        "remove_field_subclass_overriding": (tables, [KeepColumnRemoveField("customer", "code")]),
    }


def _collect_sql(database: dict[str, object]) -> dict[str, dict[str, list[str]]]:
    return collect_django_sql(database, APP, _operations)


if __name__ == "__main__":
    print(json.dumps(_collect_sql(json.loads(sys.argv[1]))))
    sys.exit(0)


ROWS = (
    "INSERT INTO shop_customer (id, name, code) SELECT i, 'n' || i, 'c' || i FROM generate_series(1, 50) i",
    "INSERT INTO shop_order (customer_id) SELECT 1 + i % 50 FROM generate_series(1, 100) i",
    "INSERT INTO shop_tag (name) SELECT 't' || i FROM generate_series(1, 50) i",
    "INSERT INTO shop_label (tag_id) SELECT 't' || (1 + i % 50) FROM generate_series(1, 100) i",
)


@pytest.fixture(scope="module")
def django_sql(postgres_server: PostgresServer) -> dict[str, dict[str, list[str]]]:
    return django_sql_of("tests.test_deploy_model", postgres_server)


class Case(SchemaCase):
    """One case's tables with rows, in a schema of its own, and what the deploy rules' claims are checked with."""

    def __init__(self, server: PostgresServer, name: str, sql: dict[str, list[str]]) -> None:
        super().__init__(server, f"deploy_{name}", sql, ROWS)

    def filenodes(self, session: Any) -> dict[str, int]:
        """relation (table or index) -> its file: a new file is a relation rebuilt."""
        rows = session.execute(
            "SELECT c.relname, pg_relation_filenode(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'i')",
            (self.schema,),
        ).fetchall()
        return dict(rows)

    def access_exclusive(self, holder: Any) -> set[str]:
        """The tables on which the holder's session was granted an ACCESS EXCLUSIVE lock."""
        with self.session() as observer:
            rows = observer.execute(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = %s AND l.granted"
                " AND l.mode = 'AccessExclusiveLock' AND n.nspname = %s AND c.relkind = 'r'",
                (holder.info.backend_pid, self.schema),
            ).fetchall()
        return {table for (table,) in rows}

    @staticmethod
    def foreign_keys(session: Any, table: str) -> int:
        count: int = session.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass", (table,),
        ).fetchone()[0]
        return count


@pytest.fixture
def case(postgres_server: PostgresServer, django_sql: dict[str, dict[str, list[str]]]) -> Any:
    return lambda name: Case(postgres_server, name, django_sql[name])


def test_a_collation_change_rebuilds_the_indexes_of_the_column_under_an_access_exclusive_lock(case: Any) -> None:
    """Item 14, DJM207's claim: `ALTER COLUMN ... TYPE ... COLLATE` keeps the table's file but builds each index on
    the column anew while every query waits; a column without an index only takes the lock for an instant."""
    indexed = case("collation_of_an_indexed_column")
    assert indexed.statement == [
        'ALTER TABLE "shop_customer" ALTER COLUMN "name" TYPE varchar(20) COLLATE "POSIX";'
    ]
    with indexed.session() as before:
        files = indexed.filenodes(before)
    with indexed.open_transaction() as migration:
        now = indexed.filenodes(migration)
        assert indexed.access_exclusive(migration) == {"shop_customer"}
    rebuilt = {relation for relation, node in now.items() if files.get(relation) != node}
    assert rebuilt and all(relation.startswith("shop_customer_name_") for relation in rebuilt)
    assert len(rebuilt) == 2  # the index and its `varchar_pattern_ops` twin; the table keeps its file
    plain = case("collation_of_a_plain_column")
    with plain.session() as before:
        files = plain.filenodes(before)
    with plain.open_transaction() as migration:
        assert plain.filenodes(migration) == files  # nothing rebuilt
        assert plain.access_exclusive(migration) == {"shop_customer"}


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        ({"db_index": True}, {"db_index": True, "db_collation": "POSIX"},
         "db_collation default to POSIX, its indexes rebuilt"),
        ({"unique": True, "db_collation": "C"}, {"unique": True},
         "db_collation C to default, its indexes rebuilt"),
        ({"primary_key": True}, {"primary_key": True, "db_collation": "und-x-icu"},
         "db_collation default to und-x-icu, its indexes rebuilt"),
        ({}, {"db_collation": "POSIX"}, None),  # no index: nothing rebuilt
        ({"db_index": True, "db_collation": "C"}, {"db_index": True, "db_collation": "C"}, None),
    ],
)
def test_the_collation_change_djm207_reports(before: dict[str, Any], after: dict[str, Any], change: str | None) -> None:
    """``rules.schema.collation_change``: what DJM207 reports, as the test above shows it."""
    from flake8_django_migrations.facts import Call
    from flake8_django_migrations.rules.schema import collation_change

    def field(kwargs: dict[str, Any]) -> Call:
        return Call("django.db.models.CharField", (), {"max_length": 20, **kwargs}, 1, 0)

    assert collation_change(field(before), field(after)) == change


def test_moving_a_primary_key_whose_old_column_is_removed_drops_the_foreign_keys_to_it(case: Any) -> None:
    """Item 15, DJM218: `RemoveField` of the old key is `DROP COLUMN ... CASCADE`, which drops the foreign key of
    every referencing table (locking it) and leaves its column holding the old ids."""
    moved = case("primary_key_moved_old_one_removed")
    assert moved.statement[0] == 'ALTER TABLE "shop_customer" DROP COLUMN "id" CASCADE;'
    assert any("PRIMARY KEY" in statement for statement in moved.statement)
    with moved.session() as before:
        assert moved.foreign_keys(before, "shop_order") == 1
    with moved.open_transaction() as migration:
        assert moved.foreign_keys(migration, "shop_order") == 0
        assert moved.access_exclusive(migration) == {"shop_customer", "shop_order"}
        orphans = migration.execute(
            "SELECT count(*) FROM shop_order o WHERE NOT EXISTS"
            " (SELECT 1 FROM shop_customer c WHERE c.code = o.customer_id::text)"
        ).fetchone()[0]
        assert orphans == 100  # the old ids stay, pointing at nothing the new key holds


def test_moving_a_primary_key_that_stays_as_a_column_fails_while_a_foreign_key_depends_on_it(case: Any) -> None:
    psycopg = pytest.importorskip("psycopg")
    kept = case("primary_key_moved_old_one_kept")
    assert kept.statement[0] == 'ALTER TABLE "shop_tag" DROP CONSTRAINT "shop_tag_pkey";'
    with pytest.raises(psycopg.errors.DependentObjectsStillExist, match="cannot drop constraint shop_tag_pkey"):
        with kept.open_transaction():
            pass


def test_a_new_primary_key_with_a_default_gives_every_row_the_same_value(case: Any) -> None:
    """DJM218's doc: Django computes a `default` once for the existing rows, so the new key's unique index fails."""
    psycopg = pytest.importorskip("psycopg")
    added = case("primary_key_added_with_a_default")
    assert any("PRIMARY KEY" in statement and "DEFAULT" in statement for statement in added.statement)
    with pytest.raises(psycopg.errors.UniqueViolation, match="is duplicated"):
        with added.open_transaction():
            pass


def test_a_subclass_that_wraps_an_operation_runs_its_sql_and_one_that_overrides_it_does_not(
    django_sql: dict[str, dict[str, list[str]]]
) -> None:
    """Item 13: the facts read a project's subclass as the operation it derives from when it calls the parent's
    `database_forwards` (the same SQL), and as an unknown operation when it replaces it (here: none at all)."""
    plain = django_sql["remove_field"]["statement"]
    assert plain == ['ALTER TABLE "shop_customer" DROP COLUMN "code" CASCADE;']
    assert django_sql["remove_field_subclass_wrapping"]["statement"] == plain
    assert django_sql["remove_field_subclass_overriding"]["statement"] == []


# The facts behind items 8, 13 and 14 --------------------------------------------------------------------------------


def _facts(source: str, path: str = "shop/migrations/0002_x.py") -> Any:
    import ast

    from flake8_django_migrations.facts import extract_facts

    text = textwrap.dedent(source)
    return extract_facts(ast.parse(text), path, source=text)


def test_a_class_level_list_passed_by_name_is_read_on_its_side() -> None:
    facts = _facts("""\
        from django.db import migrations


        class Migration(migrations.Migration):
            database_operations = [migrations.RemoveField("product", "sku")]
            state_operations = [migrations.RemoveField("product", "note")]
            operations = [migrations.SeparateDatabaseAndState(
                database_operations=database_operations, state_operations=state_operations,
            )]
        """)
    assert [(op.kind, op.side, op.param("name")) for op in facts.operations] == [
        ("SeparateDatabaseAndState", "both", None),
        ("RemoveField", "database", "sku"),
        ("RemoveField", "state", "note"),
    ]
    assert facts.operations_complete


def test_a_class_level_list_changed_in_place_is_not_known() -> None:
    facts = _facts("""\
        from django.db import migrations


        class Migration(migrations.Migration):
            database_operations = [migrations.RemoveField("product", "sku")]
            database_operations += EXTRA
            operations = [migrations.SeparateDatabaseAndState(database_operations=database_operations)]
        """)
    assert [op.kind for op in facts.operations] == ["SeparateDatabaseAndState"]
    assert not facts.operations_complete


def test_an_operation_class_of_another_module_makes_the_facts_depend_on_it(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    operations = tmp_path / "core" / "operations.py"
    operations.write_text("from django.db import migrations\n\n\nclass Drop(migrations.RemoveField):\n    pass\n")
    source = """\
        from django.db import migrations
        from core.operations import Drop
        from third_party.operations import Other


        class Migration(migrations.Migration):
            operations = [Drop("product", "sku"), Other()]
        """
    path = str(tmp_path / "shop" / "migrations" / "0002_x.py")
    facts = _facts(source, path)
    assert [op.kind for op in facts.operations] == ["RemoveField", None]
    assert facts.reads_other_files
    operations.write_text("from django.db import migrations\n\n\nclass Drop(migrations.RemoveField):\n"
                          "    def state_forwards(self, app_label, state):\n        pass\n")
    from flake8_django_migrations.facts.names import clear_module_cache

    clear_module_cache()
    assert [op.kind for op in _facts(source, path).operations] == [None, None]
    # Only a third-party operation: nothing of the project is read, the facts stand on the file alone.
    alone = _facts(source.replace("Drop(\"product\", \"sku\"), ", ""), path)
    assert not alone.reads_other_files


@pytest.mark.parametrize(
    ("operations", "reached"),
    [
        pytest.param("[migrations.RunPython(forwards)]", {"forwards", "helper"}, id="run-python"),
        pytest.param("[migrations.RunPython(partial(forwards, 1))]", {"forwards", "helper"}, id="partial"),
        pytest.param("[migrations.RunPython(HOOKS['x'])]", None, id="unknown-code"),
        pytest.param("OPERATIONS", None, id="operations-not-read"),
        pytest.param("[migrations.RunPython(migrations.RunPython.noop)]", set(), id="nothing"),
    ],
)
def test_which_functions_a_migration_runs(operations: str, reached: set[str] | None) -> None:
    import ast

    from flake8_django_migrations.facts.live_models import _functions_never_run

    source = textwrap.dedent(f"""\
        from functools import partial

        from django.db import migrations


        def helper():
            pass


        def forwards(apps, schema_editor):
            helper()


        def export():
            pass


        HOOKS = {{"x": export}}


        class Migration(migrations.Migration):
            operations = {operations}
        """)
    from flake8_django_migrations.facts.migration import handed_functions

    facts = _facts(source)
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    handed = handed_functions(facts.operations, facts.operations_complete)
    assert (handed is None) == (reached is None)
    never = _functions_never_run(tree, handed)
    assert {name for name, node in functions.items() if id(node) not in never} == (
        set(functions) if reached is None else reached
    )

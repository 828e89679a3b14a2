"""Reading the settings modules real projects write (issues 21 and 22): django-split-settings' ``include()``,
database URLs (dj-database-url, django-environ, environment defaults), lists only partly literal (open), branches
that cannot be decided, django-configurations' classes and values, import-* webs, and values of the wrong type."""

from __future__ import annotations

import ast
import io
import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from flake8_django_migrations.cli import main
from flake8_django_migrations.project import settings_module, settings_reader
from flake8_django_migrations.project.discover import discover
from flake8_django_migrations.project.django_settings import read_django_settings, settings_for_project
from flake8_django_migrations.settings import READ_SETTINGS, DjangoSettings, build_settings
from tests import fuzz_strategies as fs
from tests.graph_trees import app, migration

MANAGE_PY = 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")\n'
NO_ENVIRONMENT: dict[str, str] = {}


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def settings_of(tmp_path: Path, files: dict[str, str], module: str = "conf.settings",
                environ: dict[str, str] | None = None) -> DjangoSettings:
    write(tmp_path, {"manage.py": MANAGE_PY.format(module=module), "conf/__init__.py": "", **files})
    return read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT if environ is None else environ)


# django-split-settings --------------------------------------------------------------------------------------------

SPLIT_SETTINGS = {
    "conf/settings/__init__.py": """\
        from split_settings.tools import include, optional

        include(
            "components/base.py",
            "components/database.py",
            optional("local_settings.py"),
            "components/apps/*.py",
        )
        """,
    "conf/settings/components/base.py": """\
        INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
        AUTH_USER_MODEL = "accounts.User"
        """,
    "conf/settings/components/database.py": """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "shop"}}
        """,
    "conf/settings/components/apps/billing.py": "INSTALLED_APPS += ['billing']\n",
    "conf/settings/components/apps/orders.py": "INSTALLED_APPS += ['orders']\n",
}


def test_split_settings_include_runs_each_file_in_the_settings_namespace(tmp_path: Path) -> None:
    read = settings_of(tmp_path, SPLIT_SETTINGS)
    assert read.installed_apps == ("django.contrib.contenttypes", "shop", "billing", "orders")
    assert read.auth_user_model == "accounts.User"
    assert read.database_engine == "django.db.backends.mysql"
    database = tmp_path / "conf" / "settings" / "components" / "database.py"
    assert (read.values["DATABASES"].path, read.values["DATABASES"].line) == (str(database), 1)
    assert str(database) in read.files  # an edit of an included file is noticed
    assert str(tmp_path / "conf" / "settings" / "components" / "apps") in read.files  # and a file added there


def test_split_settings_optional_file_is_read_when_present_and_patterns_are_relative_to_the_includer(
        tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        **SPLIT_SETTINGS,
        "conf/settings/local_settings.py": "from split_settings.tools import include\ninclude('local/*.py')\n",
        "conf/settings/local/user.py": "AUTH_USER_MODEL = 'local.User'\n",
    })
    assert read.auth_user_model == "local.User"


def test_split_settings_include_of_a_list_and_with_scope(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings.py": """\
            from split_settings.tools import *

            FILES = ["parts/apps.py", optional("parts/missing.py")]
            include(*FILES, scope=globals())
            """,
        "conf/parts/apps.py": "INSTALLED_APPS = ['shop']\nMIGRATION_MODULES = {'shop': 'shop.db'}\n",
    })
    assert read.installed_apps == ("shop",) and read.migration_modules == {"shop": "shop.db"}


def test_split_settings_a_missing_required_file_makes_what_it_could_set_unknown(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings.py": """\
            from split_settings.tools import include

            INSTALLED_APPS = ["shop"]
            include("production.py")
            AUTH_USER_MODEL = "accounts.User"
            """,
    })
    assert read.installed_apps is None and read.auth_user_model == "accounts.User"
    assert "`include('production.py')` at settings.py:4 names no file here" in read.unknown["INSTALLED_APPS"]
    assert "`include('production.py')`" in read.unknown["DATABASES"]


def test_split_settings_two_files_of_one_pattern_setting_a_value_depend_on_the_file_system_order(
        tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings.py": "from split_settings.tools import include\ninclude('parts/*.py')\n",
        "conf/parts/a.py": "AUTH_USER_MODEL = 'a.User'\nINSTALLED_APPS = ['shop']\n",
        "conf/parts/b.py": "AUTH_USER_MODEL = 'b.User'\nINSTALLED_APPS += ['billing']\n",
    })
    assert "which `include('parts/*.py')` at settings.py:2 runs in the order the file system lists them" in (
        read.unknown["AUTH_USER_MODEL"])
    assert read.installed_apps == ("shop", "billing")  # b.py only adds to what a.py defines: one order runs


def test_a_call_not_followed_is_the_reason_a_setting_is_not_known(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings.py": "from conf.tools import include\n\ninclude('base.py')\n",
        "conf/tools.py": "def include(*files):\n    pass\n",
    })
    assert read.unknown["INSTALLED_APPS"] == "`include('base.py')` at settings.py:3 is not followed"


def test_check_finds_the_migrations_an_included_file_moves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_CONFIGURATION", raising=False)
    write(tmp_path, {
        "manage.py": MANAGE_PY.format(module="conf.settings"),
        "conf/__init__.py": "",
        "conf/settings.py": "from split_settings.tools import include\n\ninclude('components/*.py')\n",
        "conf/components/apps.py": "INSTALLED_APPS = ['blog', 'shop']\n",
        "conf/components/migrations.py": "MIGRATION_MODULES = {'blog': 'blog.db_migrations'}\n",
        "blog/__init__.py": "",
        "blog/db_migrations/__init__.py": "",
        "blog/db_migrations/0001_initial.py": migration(initial=True),
        "blog/db_migrations/0002_a.py": migration(("blog", "0001_initial")),
        "blog/db_migrations/0002_b.py": migration(("blog", "0001_initial")),
        **app("shop", {"0001_initial": migration(initial=True)}),
    })
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["check", "--no-cache", "--format", "json", "."], stdout=out) == 1
    found = {(finding["path"], finding["code"]) for finding in json.loads(out.getvalue())["findings"]}
    assert found == {(os.path.join("blog", "db_migrations", "0002_a.py"), "DJM304"),
                     (os.path.join("blog", "db_migrations", "0002_b.py"), "DJM304")}


# Database URLs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "engine"),
    [
        ("import dj_database_url\nDATABASES = {'default': dj_database_url.config(default='postgres://u@h/db')}\n",
         "django.db.backends.postgresql"),
        ("from dj_database_url import config\nDATABASES = {'default': config(default='mysql2://h/db')}\n",
         "django.db.backends.mysql"),
        ("import dj_database_url\nDATABASES = {'default': dj_database_url.parse('spatialite:///db.sqlite')}\n",
         "django.contrib.gis.db.backends.spatialite"),
        ("import dj_database_url as d\nDATABASES = {'default': d.config('DB', 'postgres://h/x', 'custom.engine')}\n",
         "custom.engine"),
        ("import os, dj_database_url\nDATABASES = {}\n"
         "DATABASES['default'] = dj_database_url.parse(os.environ.get('DATABASE_URL', 'oraclegis://h/x'))\n",
         "django.contrib.gis.db.backends.oracle"),
        ("import dj_database_url\nDATABASES = {'default': {'CONN_MAX_AGE': 60}}\n"
         "DATABASES['default'].update(dj_database_url.config(default='sqlite:///db.sqlite3'))\n",
         "django.db.backends.sqlite3"),
        ("import dj_database_url\n"
         "DATABASES = {'default': {**dj_database_url.config(default='cockroach://h/x'), 'CONN_MAX_AGE': 1}}\n",
         "django_cockroachdb"),
        ("import environ\nenv = environ.Env()\nDATABASES = {'default': env.db(default='postgis://h/x')}\n",
         "django.contrib.gis.db.backends.postgis"),
        ("import environ\nenv = environ.Env()\nDATABASES = {'default': env.db_url('DATABASE_URL', 'mysqlgis://h/x')}\n",
         "django.contrib.gis.db.backends.mysql"),
        ("import environ\nenv = environ.Env(DATABASE_URL=(str, 'psql://h/x'))\nDATABASES = {'default': env.db()}\n",
         "django.db.backends.postgresql"),
        ("from environ import Env\nenv = Env()\nDATABASES = {'default': env.db('DB', default='mssql://h/x')}\n",
         "mssql"),
        ("import os\nDATABASES = {'default': {'ENGINE': os.environ.get('DB_ENGINE', "
         "'django.db.backends.postgresql')}}\n", "django.db.backends.postgresql"),
        ("import os\nDATABASES = {'default': {'ENGINE': 'django.db.backends.' + os.getenv('DB', 'mysql')}}\n",
         "django.db.backends.mysql"),
        ("import os\nDATABASES = {'default': {'ENGINE': os.environ['E'] if 'E' in os.environ else "
         "'django.db.backends.oracle'}}\n", "django.db.backends.oracle"),
        ("import os\nDATABASES = {'default': {'ENGINE': os.environ.get('E') or 'django.db.backends.sqlite3'}}\n",
         "django.db.backends.sqlite3"),
        ("import dj_database_url\nfrom pathlib import Path\nBASE_DIR = Path(__file__).parent\n"
         "DATABASES = {'default': dj_database_url.config(default='sqlite:///' + str(BASE_DIR / 'db.sqlite3'))}\n",
         "django.db.backends.sqlite3"),
        ("import environ\nenv = environ.Env()\n"
         "DATABASES = {'default': env.db('DATABASE_URL', default=f'postgres://{USER}@localhost/shop?x=1')}\n",
         "django.db.backends.postgresql"),
        ("from configurations import Configuration, values\n\n\nclass Dev(Configuration):\n"
         "    DATABASES = values.DatabaseURLValue(f'mysql://{HOST}/shop')\n", "django.db.backends.mysql"),
    ],
)
def test_the_engine_is_read_from_a_database_url_or_an_environment_default(
        tmp_path: Path, source: str, engine: str) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": source}, environ={"DJANGO_CONFIGURATION": "Dev"})
    assert read.database_engine == engine, read.unknown


def test_the_url_query_gives_the_options(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": (
        "import dj_database_url\nDATABASES = {'default': dj_database_url.config("
        "default='postgres://h/db?options=-c%20lock_timeout%3D5s&connect_timeout=10')}\n"
    )})
    assert read.value("DATABASES") == {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {"options": "-c lock_timeout=5s", "connect_timeout": 10},
    }}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import environ\nenv = environ.Env()\nDATABASES = {'default': env.db()}\n",
         "`env.db()` at line 3 reads the environment variable `DATABASE_URL`"),
        ("import dj_database_url\nDATABASES = {'default': dj_database_url.config()}\n",
         "reads the environment variable `DATABASE_URL`"),
        ("import dj_database_url\nDATABASES = {'default': dj_database_url.parse('nosuch://h/x')}\n",
         "is not a literal"),
        ("import os\nDATABASES = {'default': {'ENGINE': os.environ['DB_ENGINE']}}\n", "reads the environment"),
    ],
)
def test_an_engine_only_the_environment_gives_stays_unknown(tmp_path: Path, source: str, reason: str) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": source})
    assert read.database_engine is None
    assert reason in read.unknown["DATABASES"], read.unknown


def test_environment_defaults_are_not_taken_outside_the_databases(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        import os
        AUTH_USER_MODEL = os.environ.get("USER_MODEL", "accounts.User")
        INSTALLED_APPS = ["shop"]
        if os.getenv("DEBUG", "") == "1":
            INSTALLED_APPS += ["debug_toolbar"]
        """})
    assert read.auth_user_model is None and "reads the environment variable `USER_MODEL`" in (
        read.unknown["AUTH_USER_MODEL"])
    assert read.installed_apps is None and read.listed_apps == ("shop",)


def test_the_database_option_follows_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_CONFIGURATION", raising=False)
    settings_of(tmp_path, {"conf/settings.py": (
        "import dj_database_url\nDATABASES = {'default': dj_database_url.config(default='mysql://h/x')}\n"
    )})
    assert settings_for_project(build_settings(), str(tmp_path)).database == "mysql"


# Open lists and branches ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "listed", "reason"),
    [
        ("INSTALLED_APPS = ['a', 'b']\nINSTALLED_APPS += PLUGINS\n", ("a", "b"), "`PLUGINS` is not defined"),
        ("INSTALLED_APPS = ['a'] + get_plugins()\n", ("a",), "`get_plugins()` at line 1 is not a literal"),
        ("import os\nINSTALLED_APPS = ['a']\nif os.environ.get('DEBUG'):\n    INSTALLED_APPS.append('debug_toolbar')\n",
         ("a",), "`INSTALLED_APPS` is set under a condition at settings.py:4"),
        ("DEBUG = env_flag()\nINSTALLED_APPS = ['a', 'b']\nif DEBUG:\n    INSTALLED_APPS += ['debug_toolbar']\n"
         "    INSTALLED_APPS.remove('b')\n", ("a",), "is set under a condition"),
        ("INSTALLED_APPS = ['a']\nfor name in EXTRA:\n    INSTALLED_APPS.insert(0, name)\n", ("a",),
         "`INSTALLED_APPS` is changed at settings.py:2"),
        ("INSTALLED_APPS = [*BASE_APPS, 'a']\n", ("a",), "`BASE_APPS` is not defined"),
    ],
)
def test_a_list_with_entries_not_read_keeps_its_literal_entries_and_is_open(
        tmp_path: Path, source: str, listed: tuple[str, ...], reason: str) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": source})
    assert read.listed_apps == listed
    assert read.installed_apps is None  # it may hold more
    assert reason in read.open["INSTALLED_APPS"], read.open
    assert reason in read.unknown["INSTALLED_APPS"]  # -v says why
    assert read.as_json()["values"]["INSTALLED_APPS"]["open"] == read.open["INSTALLED_APPS"]  # type: ignore[index]


def test_an_open_installed_apps_adds_its_apps_and_leaves_no_folder_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_CONFIGURATION", raising=False)
    settings_of(tmp_path, {
        "conf/settings.py": "INSTALLED_APPS = ['django.contrib.auth', 'shop'] + PLUGINS\n",
        **app("shop", {"0001_initial": migration()}),
        **app("legacy", {"0001_initial": migration()}),
        **app("auth", {"0001_initial": migration()}, folder="vendored/auth"),
    })
    found = discover(str(tmp_path), settings_for_project(build_settings(), str(tmp_path)))
    assert sorted(found.apps) == ["auth", "legacy", "shop"]  # contrib's auth joins; legacy may be installed
    assert found.apps["auth"].folder.endswith(os.path.join("django", "contrib", "auth", "migrations"))
    assert [app.folder for app in found.left_out] == [str(tmp_path / "vendored" / "auth" / "migrations")]
    assert found.installed is None
    assert [app.entry for app in found.installed_apps] == ["django.contrib.auth", "shop"]


def test_a_value_both_branches_agree_on_is_known(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        import os
        if os.environ.get("PRODUCTION"):
            AUTH_USER_MODEL = "accounts.User"
            INSTALLED_APPS = ["shop", "billing"]
            MIGRATION_MODULES = {"shop": "shop.db"}
        else:
            AUTH_USER_MODEL = "accounts.User"
            INSTALLED_APPS = ["shop"]
            MIGRATION_MODULES = {"shop": "shop.dev"}
        """})
    assert read.auth_user_model == "accounts.User"
    assert read.listed_apps == ("shop",) and "INSTALLED_APPS" in read.open
    assert "MIGRATION_MODULES" not in read.values


def test_a_conditional_block_keeps_what_it_does_not_change(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings/__init__.py": """\
            import os
            from .base import *

            if os.environ.get("DEBUG"):
                from .dev import *
            if os.environ.get("REPLICA"):
                DATABASES["default"]["HOST"] = os.environ["REPLICA"]
                DATABASES["default"]["OPTIONS"] = {"sslmode": "require"}
            try:
                from .local import *
            except ImportError:
                AUTH_USER_MODEL = "accounts.User"
            """,
        "conf/settings/base.py": """\
            INSTALLED_APPS = ["shop"]
            AUTH_USER_MODEL = "accounts.User"
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}
            """,
        "conf/settings/dev.py": "from .base import *\nDEBUG = True\n",
    })
    assert read.installed_apps == ("shop",)
    assert read.auth_user_model == "accounts.User"
    assert read.database_engine == "django.db.backends.postgresql"
    assert read.value("DATABASES") == {"default": {"ENGINE": "django.db.backends.postgresql"}}


# django-configurations --------------------------------------------------------------------------------------------

CONFIGURATIONS = {
    "conf/settings/__init__.py": """\
        from configurations import Configuration, values

        from .base import Base


        class Dev(Base):
            INSTALLED_APPS = Base.INSTALLED_APPS + ["debug_toolbar"]
            DATABASES = values.DatabaseURLValue("sqlite:///dev.sqlite3")


        class Prod(Base):
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
            MIGRATION_MODULES = values.DictValue({"shop": "shop.db_migrations"})


        class Bare(Configuration):
            pass
        """,
    "conf/settings/base.py": """\
        from configurations import Configuration, values

        INSTALLED_APPS = ["module_level_only"]


        class Base(Configuration):
            INSTALLED_APPS = values.ListValue(["shop", "billing"])
            AUTH_USER_MODEL = values.Value("accounts.User", environ_prefix="SHOP")
        """,
}


def test_the_configuration_class_gives_the_settings(tmp_path: Path) -> None:
    dev = settings_of(tmp_path, CONFIGURATIONS, environ={"DJANGO_CONFIGURATION": "Dev"})
    assert dev.configuration == "Dev"
    assert dev.installed_apps == ("shop", "billing", "debug_toolbar")
    assert dev.auth_user_model == "accounts.User"
    assert dev.database_engine == "django.db.backends.sqlite3"
    assert dev.unknown["MIGRATION_MODULES"] == (
        "not set in `Dev` or its bases, so django-configurations gives it Django's default")
    prod = read_django_settings(str(tmp_path), environ={"DJANGO_CONFIGURATION": "Prod"})
    assert prod.installed_apps == ("shop", "billing")
    assert prod.database_engine == "django.db.backends.postgresql"
    assert prod.migration_modules == {"shop": "shop.db_migrations"}
    assert prod.as_json()["configuration"] == "Prod"


def test_a_configuration_class_without_a_setting_gives_django_s_default_not_the_module_s(tmp_path: Path) -> None:
    bare = settings_of(tmp_path, CONFIGURATIONS, environ={"DJANGO_CONFIGURATION": "Bare"})
    assert bare.installed_apps is None
    assert "not set in `Bare` or its bases, so django-configurations gives it Django's default" in (
        bare.unknown["INSTALLED_APPS"])


def test_without_django_configuration_no_class_is_picked_and_it_says_so(tmp_path: Path) -> None:
    read = settings_of(tmp_path, CONFIGURATIONS)
    assert read.configuration is None and read.values == {}
    assert "no DJANGO_CONFIGURATION says which one runs" in read.unknown["INSTALLED_APPS"]
    assert "`Base`, `Dev`, `Prod`, `Bare`" in read.unknown["DATABASES"]
    wrong = read_django_settings(str(tmp_path), environ={"DJANGO_CONFIGURATION": "Staging"})
    assert "DJANGO_CONFIGURATION names `Staging`" in wrong.unknown["AUTH_USER_MODEL"]


def test_configuration_bases_through_a_star_import_and_the_first_base_wins(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {
        "conf/settings/__init__.py": """\
            from .common import *


            class Mixin:
                AUTH_USER_MODEL = "mixin.User"


            class Live(Mixin, Common):
                INSTALLED_APPS = Common.INSTALLED_APPS + ["live"]
            """,
        "conf/settings/common.py": """\
            import configurations


            class Common(configurations.Configuration):
                INSTALLED_APPS = ["shop"]
                AUTH_USER_MODEL = "common.User"
                DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
            """,
    }, environ={"DJANGO_CONFIGURATION": "Live"})
    assert read.installed_apps == ("shop", "live")
    assert read.auth_user_model == "mixin.User"
    assert read.value("DEFAULT_AUTO_FIELD") == "django.db.models.BigAutoField"


# Import-* webs ----------------------------------------------------------------------------------------------------


def star_web(count: int) -> dict[str, str]:
    """A settings package of ``count`` modules, each star-importing every other one (issue 22, item 8)."""
    files = {"conf/settings/__init__.py": "".join(f"from .m{index} import *\n" for index in range(count))}
    for index in range(count):
        imports = "".join(f"from .m{other} import *\n" for other in range(count) if other != index)
        files[f"conf/settings/m{index}.py"] = f"{imports}VALUE_{index} = {index}\n"
    files["conf/settings/m0.py"] += "INSTALLED_APPS = ['shop']\n"
    return files


def test_a_star_import_web_reads_each_module_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []

    def counting(path: str) -> ast.Module | None:
        parsed.append(path)
        return settings_module.parse_python_file(path)

    monkeypatch.setattr(settings_reader, "parse_python_file", counting)
    read = settings_of(tmp_path, star_web(7))
    assert read.installed_apps == ("shop",)
    assert len(parsed) == len(set(parsed)) == 8


# Hostile input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "INSTALLED_APPS = {{}: 1}\n",
        "MIGRATION_MODULES = {(1, {}): 'x'}\n",
        "DATABASES = {'default': {'ENGINE': 'x'}}\nDATABASES[{}] = 1\nDATABASES['default'][[]] += 1\n",
        "X = ['a']\n" + "X = X + X\n" * 80 + "INSTALLED_APPS = X\n",
        "X = 'a'\n" + "X = X + X\n" * 80 + "AUTH_USER_MODEL = X\n",
        "X = {}\n" + "X = {'a': X, 'b': X}\n" * 80 + "DATABASES = {'default': X}\n",
        "X = {}\n" + "X = {'a': X}\n" * 3000 + "DATABASES = X\n",
    ],
)
def test_values_of_the_wrong_type_never_raise(tmp_path: Path, source: str) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": source})
    assert set(read.values) | set(read.unknown) == set(READ_SETTINGS)
    json.dumps(read.as_json())
    assert read.installed_apps is None or all(isinstance(entry, str) for entry in read.installed_apps)


def test_namespace_writes_are_followed_and_what_they_cannot_name_is_not(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        AUTH_USER_MODEL = "accounts.User"
        globals().update({"DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField"})
        vars()["INSTALLED_APPS"] = ["shop"]
        globals()[name()] = None
        """})
    assert read.value("DEFAULT_AUTO_FIELD") is None and read.installed_apps is None
    assert read.unknown["AUTH_USER_MODEL"] == "an assignment at settings.py:4 is not followed"
    before = settings_of(tmp_path, {"conf/settings.py": "\n".join(
        read_line for read_line in (tmp_path / "conf" / "settings.py").read_text().splitlines()[:3])})
    assert before.installed_apps == ("shop",)
    assert before.value("DEFAULT_AUTO_FIELD") == "django.db.models.BigAutoField"


def test_an_include_of_what_is_not_a_path_is_not_followed_and_says_why(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        from split_settings.tools import include, optional

        INSTALLED_APPS = ["shop"]
        include(optional(None), "parts/*.py", 5)
        AUTH_USER_MODEL = "accounts.User"
        """, "conf/parts/a.py": "MIGRATION_MODULES = {'shop': 'shop.db'}\n"})
    assert read.unknown["INSTALLED_APPS"] == "`include()` at settings.py:4 names a file not read"
    assert read.unknown["MIGRATION_MODULES"] == read.unknown["INSTALLED_APPS"]  # set by a file before, then lost
    assert read.auth_user_model == "accounts.User"


def test_configuration_values_the_environment_must_give_say_why(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": """\
        from configurations import Configuration, values


        class Dev(Configuration):
            AUTH_USER_MODEL = values.Value(environ_required=True)
            DATABASES = values.DatabaseURLValue(alias=3)
            INSTALLED_APPS = values.SecretValue()
        """}, environ={"DJANGO_CONFIGURATION": "Dev"})
    assert read.unknown["AUTH_USER_MODEL"] == "`values.Value(environ_required=True)` at line 5 is required from " \
        "the environment"
    assert read.unknown["DATABASES"] == "`values.DatabaseURLValue(alias=3)` at line 6 reads the environment " \
        "variable `DATABASE_URL`"
    assert read.unknown["INSTALLED_APPS"] == "`values.SecretValue()` at line 7 is not a literal"


def test_an_exponential_value_is_unknown_not_a_hang(tmp_path: Path) -> None:
    read = settings_of(tmp_path, {"conf/settings.py": "X = ['a']\n" + "X = X + X\n" * 80 + "INSTALLED_APPS = X\n"})
    assert read.unknown["INSTALLED_APPS"] == "a value too large to read"


@given(fs.settings_packages())
@settings(max_examples=int(os.environ.get("DJM_FUZZ_EXAMPLES") or 60), deadline=None,
          derandomize=os.environ.get("DJM_FUZZ_RANDOM", "") in ("", "0"), database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_fuzz_settings_packages_never_raise(tmp_path_factory: pytest.TempPathFactory,
                                            package: dict[str, str]) -> None:
    root = tmp_path_factory.mktemp("web")
    for relative, text in package.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for configuration in (None, "Dev"):
        read = read_django_settings(str(root), environ={"DJANGO_CONFIGURATION": configuration} if configuration
                                    else NO_ENVIRONMENT)
        assert read.module == "conf.settings"
        assert set(read.values) | set(read.unknown) == set(READ_SETTINGS)
        assert set(read.open) <= set(read.values)
        json.dumps(read.as_json())


def test_check_verbose_names_the_configuration_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_of(tmp_path, CONFIGURATIONS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DJANGO_CONFIGURATION", "Prod")
    main(["check", "-v", "--no-cache", "."], stdout=io.StringIO())
    assert "django-migrations-lint:   django-configurations class: Prod\n" in capsys.readouterr().err


def test_a_namespace_write_guarded_by_a_prefix_changes_only_names_with_that_prefix(tmp_path: Path) -> None:
    # netbox's settings.py: plugin settings copied into the module under a name prefix.
    read = settings_of(tmp_path, {"conf/settings.py": """\
        import configuration

        AUTH_USER_MODEL = "users.User"
        SOCIAL_AUTH_KEY = "x"
        for param in dir(configuration):
            if param.startswith("SOCIAL_AUTH_"):
                globals()[param] = getattr(configuration, param)
        """})
    assert read.auth_user_model == "users.User"
    unguarded = settings_of(tmp_path, {"conf/settings.py": """\
        import configuration

        AUTH_USER_MODEL = "users.User"
        for param in dir(configuration):
            if param.startswith(("SOCIAL_", "AUTH_")):
                globals()[param] = getattr(configuration, param)
        """})
    assert unguarded.auth_user_model is None  # AUTH_USER_MODEL has one of the prefixes: it may be rewritten


def test_a_conditional_import_of_a_local_module_the_project_does_not_hold_is_taken_as_not_run(tmp_path: Path) -> None:
    # healthchecks' settings.py: a local override a deploy may add; were the branch taken here, the import would fail.
    read = settings_of(tmp_path, {"conf/settings.py": """\
        import django_stubs_ext
        from pathlib import Path

        django_stubs_ext.monkeypatch()
        BASE_DIR = Path(__file__).resolve().parent.parent
        INSTALLED_APPS = ["shop"]
        AUTH_USER_MODEL = "accounts.User"
        if (BASE_DIR / "conf/local_settings.py").exists():
            from .local_settings import *
        """})
    assert (read.installed_apps, read.auth_user_model) == (("shop",), "accounts.User")
    assert read.absent == ("`from .local_settings import *` at settings.py:9 (no such module in the project: taken as"
                           " not run)",)
    unconditional = settings_of(tmp_path, {"conf/settings.py": "INSTALLED_APPS = ['shop']\nfrom .local import *\n"})
    assert unconditional.installed_apps is None  # the project cannot start without it: whatever it holds is unknown

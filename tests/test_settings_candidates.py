"""Which settings module a project runs in production: every place that names one (wsgi.py, deploy files,
manage.py, pytest), in the order the linter trusts them, with django-configurations' class; and what ``check -v``
and the JSON say of them. Nothing is imported."""

from __future__ import annotations

import io
import json
import os
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.project.django_settings import read_django_settings, settings_for_project
from flake8_django_migrations.project import settings_module
from flake8_django_migrations.project.settings_module import SettingsCandidate, find_settings_candidates
from flake8_django_migrations.settings import build_settings

NO_ENVIRONMENT: dict[str, str] = {}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def setdefault(module: str, configuration: str | None = None) -> str:
    text = f'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")\n'
    if configuration:
        text += f'os.environ.setdefault("DJANGO_CONFIGURATION", "{configuration}")\n'
    return text


def settings_files(*modules: str) -> dict[str, str | bytes]:
    """A settings file for each dotted module, with the packages above it."""
    files: dict[str, str | bytes] = {}
    for module in modules:
        parts = module.split(".")
        for depth in range(1, len(parts)):
            files["/".join(parts[:depth]) + "/__init__.py"] = ""
        files["/".join(parts) + ".py"] = f"AUTH_USER_MODEL = '{parts[-1]}.User'\n"
    return files


def found(root: Path, option: str | None = None, environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
    search = find_settings_candidates(str(root), option, NO_ENVIRONMENT if environ is None else environ)
    return [(candidate.module, candidate.origin) for candidate in search.candidates]


# The order -------------------------------------------------------------------------------------------------------


def test_production_wsgi_wins_over_the_developer_manage_py(tmp_path: Path) -> None:
    write(tmp_path, {
        "manage.py": setdefault("config.settings.local"),
        "config/wsgi.py": '"""WSGI."""\n' + setdefault("config.settings.production"),
        **settings_files("config.settings.local", "config.settings.production"),
    })
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.module_origin) == ("config.settings.production", os.path.join("config", "wsgi.py:4"))
    assert read.auth_user_model == "production.User"
    assert read.candidates == (
        ("config.settings.production", os.path.join("config", "wsgi.py:4")),
        ("config.settings.local", "manage.py:3"),
    )


def test_every_candidate_in_order(tmp_path: Path) -> None:
    write(tmp_path, {
        "pytest.ini": "[pytest]\naddopts = -q --ds=proj.settings.ci\nDJANGO_SETTINGS_MODULE = proj.settings.test\n",
        "manage.py": setdefault("proj.settings.dev"),
        ".env": "DJANGO_SETTINGS_MODULE=proj.settings.dotenv\n",
        "Procfile": "web: gunicorn proj.wsgi --env DJANGO_SETTINGS_MODULE=proj.settings.heroku\n",
        "docker-compose.yml": "services:\n  web:\n    environment:\n"
                              "      - DJANGO_SETTINGS_MODULE=proj.settings.compose\n",
        "Dockerfile": "FROM python:3.12\nENV DJANGO_SETTINGS_MODULE=proj.settings.docker\n",
        "proj/asgi.py": setdefault("proj.settings.asgi"),
    })
    assert found(tmp_path, "proj/settings/option.py", {"DJANGO_SETTINGS_MODULE": "proj.settings.environ"}) == [
        ("proj/settings/option.py", "djm-settings"),
        ("proj.settings.environ", "DJANGO_SETTINGS_MODULE (environment)"),
        # An image's ENV and a Procfile's environment are set before the process starts: setdefault yields.
        ("proj.settings.docker", "Dockerfile:2"),
        ("proj.settings.heroku", "Procfile:1"),
        ("proj.settings.asgi", os.path.join("proj", "asgi.py:3")),
        ("proj.settings.compose", "docker-compose.yml:4"),
        ("proj.settings.dotenv", ".env:1"),
        ("proj.settings.dev", "manage.py:3"),
        ("proj.settings.ci", "pytest.ini:2"),  # --ds in addopts, as pytest-django's command line, first
        ("proj.settings.test", "pytest.ini:3"),
    ]


def test_the_first_candidate_found_in_the_project_is_read(tmp_path: Path) -> None:
    write(tmp_path, {
        "config/wsgi.py": setdefault("config.settings.production"),  # not in this repository
        "Dockerfile": "ENV DJANGO_SETTINGS_MODULE config.settings.docker\n",
        "manage.py": setdefault("config.settings.dev"),
        **settings_files("config.settings.docker", "config.settings.dev"),
    })
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.module_origin) == ("config.settings.docker", "Dockerfile:1")


def test_of_wsgi_files_that_disagree_one_not_named_for_development_wins(tmp_path: Path) -> None:
    write(tmp_path, {
        "dev/wsgi.py": setdefault("proj.settings.a"),
        "proj/wsgi_local.py": setdefault("proj.settings.b"),
        "tests/asgi.py": setdefault("proj.settings.c"),
        "deploy/prod/wsgi.py": setdefault("proj.settings.d"),
        "proj/asgi.py": setdefault("proj.settings.local"),  # the module's name says development too
    })
    assert [module for module, _ in found(tmp_path)] == [
        "proj.settings.d", "proj.settings.local", "proj.settings.a", "proj.settings.b", "proj.settings.c",
    ]


def test_a_compose_service_not_named_for_development_wins(tmp_path: Path) -> None:
    write(tmp_path, {"docker-compose.yml": """\
        x-common: &common
          image: shop
        services:
          web-dev:
            <<: *common
            environment:
              DJANGO_SETTINGS_MODULE: shop.settings.dev
          tests:
            environment: ["DJANGO_SETTINGS_MODULE=shop.settings.test"]
          web:
            <<: *common
            environment:
              - "DJANGO_SETTINGS_MODULE=shop.settings.prod"  # the one that serves
          worker:
            command: celery -A shop worker
            environment: {DJANGO_SETTINGS_MODULE: "shop.settings.worker"}
        """})
    assert found(tmp_path) == [
        ("shop.settings.prod", "docker-compose.yml:13"),
        ("shop.settings.worker", "docker-compose.yml:16"),
        ("shop.settings.dev", "docker-compose.yml:7"),
        ("shop.settings.test", "docker-compose.yml:9"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "origin"),
    [
        ("Dockerfile", "FROM python\nENV DJANGO_SETTINGS_MODULE=shop.settings.prod\n", "Dockerfile:2"),
        ("Dockerfile", "FROM python\nENV DJANGO_SETTINGS_MODULE shop.settings.prod\n", "Dockerfile:2"),
        ("Dockerfile", 'FROM python\nENV PYTHONUNBUFFERED=1 \\\n    DJANGO_SETTINGS_MODULE="shop.settings.prod"\n',
         "Dockerfile:2"),
        ("Dockerfile", 'FROM python\nCMD ["gunicorn", "--env", "DJANGO_SETTINGS_MODULE=shop.settings.prod"]\n',
         "Dockerfile:2"),
        ("Dockerfile", "ARG S=x\nENV DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-shop.settings.prod}\n",
         "Dockerfile:2"),
        ("docker/Dockerfile.prod", "ENV DJANGO_SETTINGS_MODULE=shop.settings.prod\n",
         os.path.join("docker", "Dockerfile.prod:1")),
        ("compose/production/django/Dockerfile", "ENV DJANGO_SETTINGS_MODULE=shop.settings.prod\n",
         os.path.join("compose", "production", "django", "Dockerfile:1")),
        ("compose.yaml", "services:\n  web:\n    environment:\n      DJANGO_SETTINGS_MODULE: 'shop.settings.prod'\n",
         "compose.yaml:4"),
        ("docker-compose.prod.yml",
         "services:\n  web:\n    environment:\n"
         "      - DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-shop.settings.prod}\n",
         "docker-compose.prod.yml:4"),
        ("docker-compose.yml",
         "services:\n  web:\n    command: python manage.py runserver --settings=shop.settings.prod\n",
         "docker-compose.yml:3"),
        ("Procfile", "web: gunicorn shop.wsgi --env DJANGO_SETTINGS_MODULE=shop.settings.prod\n", "Procfile:1"),
        ("Procfile", "release: python manage.py migrate\nweb: DJANGO_SETTINGS_MODULE=shop.settings.prod gunicorn x\n",
         "Procfile:2"),
        ("Procfile", "release: python manage.py migrate --settings shop.settings.prod\n", "Procfile:1"),
        (".env", "# deploy\nDEBUG=0\nDJANGO_SETTINGS_MODULE=shop.settings.prod\n", ".env:3"),
        (".env", 'export DJANGO_SETTINGS_MODULE="shop.settings.prod"  # production\n', ".env:1"),
        (".env.production", "DJANGO_SETTINGS_MODULE='shop.settings.prod'\n", ".env.production:1"),
        ("shop/wsgi.py", 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings.prod"\n',
         os.path.join("shop", "wsgi.py:2")),
        ("shop/asgi.py", "import os\n\ndef app():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
         "'shop.settings.prod')\n", os.path.join("shop", "asgi.py:4")),
    ],
)
def test_each_place_that_names_the_module(tmp_path: Path, name: str, text: str, origin: str) -> None:
    write(tmp_path, {name: text, "manage.py": setdefault("shop.settings.dev"),
                     **settings_files("shop.settings.prod", "shop.settings.dev")})
    assert found(tmp_path) == [("shop.settings.prod", origin), ("shop.settings.dev", "manage.py:3")]
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.module_origin, read.auth_user_model) == ("shop.settings.prod", origin, "prod.User")
    assert str(tmp_path / name) in read.files  # an edit of it is noticed


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Dockerfile", "ENV DJANGO_SETTINGS_MODULE=$SETTINGS\nENV OTHER_DJANGO_SETTINGS_MODULE=shop.x\n"),
        ("Dockerfile", "RUN DJANGO_SETTINGS_MODULE=shop.build python manage.py collectstatic\n"),  # a build step
        ("Dockerfile", "# ENV DJANGO_SETTINGS_MODULE=shop.x\nENV DJANGO_SETTINGS_MODULE='shop.x\n"),
        ("docker-compose.yml", "services:\n  web:\n    environment:\n      - DJANGO_SETTINGS_MODULE\n"),
        ("docker-compose.yml", "services:\n  web:\n    environment:\n      - DJANGO_SETTINGS_MODULE=shop.x-y\n"),
        (".env", "#DJANGO_SETTINGS_MODULE=shop.x\nMY_DJANGO_SETTINGS_MODULE=shop.x\n"),
        ("Procfile", "# web: DJANGO_SETTINGS_MODULE=shop.x\n"),
        ("shop/wsgi.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', NAME)\n"),
        ("shop/wsgi.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', '\\x1b[2Jshop')\n"),
        (".venv/lib/wsgi.py", setdefault("shop.x")),
        ("build/lib/shop/wsgi.py", setdefault("shop.x")),
        ("node_modules/pkg/Dockerfile", "ENV DJANGO_SETTINGS_MODULE=shop.x\n"),
        ("a/b/c/d/wsgi.py", setdefault("shop.x")),  # four folders down: too deep
    ],
)
def test_what_names_no_module(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, {name: text, "venv2/wsgi.py": setdefault("shop.x"), "venv2/pyvenv.cfg": "home = /usr/bin\n",
                     "ok/Dockerfile": "ENV DJANGO_SETTINGS_MODULE=shop.ok\n"})
    assert found(tmp_path) == [("shop.ok", os.path.join("ok", "Dockerfile:1"))]


# django-configurations ---------------------------------------------------------------------------------------------


def test_the_configuration_named_beside_the_module(tmp_path: Path) -> None:
    write(tmp_path, {
        "config/wsgi.py": setdefault("config.settings", "Production"),
        "Dockerfile": "FROM python AS dev\nENV DJANGO_CONFIGURATION=Dev\n"
                      "FROM python AS prod\nENV DJANGO_SETTINGS_MODULE=config.settings DJANGO_CONFIGURATION=Prod\n",
        "docker-compose.yml": """\
            services:
              web:
                environment:
                  DJANGO_SETTINGS_MODULE: config.settings
              worker:
                environment:
                  DJANGO_CONFIGURATION: Worker
            """,
        "Procfile": "web: gunicorn --env DJANGO_SETTINGS_MODULE=config.settings --env DJANGO_CONFIGURATION=Heroku\n",
        "manage.py": setdefault("config.settings", "Dev"),
        "pyproject.toml": "[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = 'config.settings'\n"
                          "DJANGO_CONFIGURATION = 'Test'\n",
    })
    configurations = {
        candidate.origin: candidate.configuration
        for candidate in find_settings_candidates(str(tmp_path), "config.settings", {}).candidates
    }
    assert configurations == {
        "djm-settings": None,
        os.path.join("config", "wsgi.py:3"): "Production",
        "Dockerfile:4": "Prod",  # its stage's, not the dev stage's
        "docker-compose.yml:4": None,  # not the worker's
        "Procfile:1": "Heroku",
        "manage.py:3": "Dev",
        "pyproject.toml:2": "Test",
    }
    # The environment's, where nothing is named at the same place.
    environment = {"DJANGO_CONFIGURATION": "Staging", "DJANGO_SETTINGS_MODULE": "config.settings"}
    search = find_settings_candidates(str(tmp_path), "config.settings", environment)
    assert [candidate.configuration for candidate in search.candidates][:5] == ["Staging", "Staging", "Prod",
                                                                                "Heroku", "Production"]
    assert search.candidates[1] == SettingsCandidate(
        "config.settings", "DJANGO_SETTINGS_MODULE (environment)", "Staging")


# manage.py and the import roots -------------------------------------------------------------------------------------


def test_manage_py_two_folders_down(tmp_path: Path) -> None:
    write(tmp_path, {"backend/api/manage.py": setdefault("api.settings"), **{
        "backend/api/" + path: text for path, text in settings_files("api.settings").items()}})
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.module_origin) == ("api.settings", os.path.join("backend", "api", "manage.py:3"))
    assert read.auth_user_model == "settings.User"
    assert str(tmp_path / "backend" / "api") in read.import_roots


def test_manage_py_must_be_the_only_one_at_its_depth(tmp_path: Path) -> None:
    write(tmp_path, {"a/one/manage.py": setdefault("one.settings"), ".hidden/x/manage.py": setdefault("x.settings"),
                     "node_modules/x/manage.py": setdefault("x.settings"), "x/y/z/manage.py": setdefault("x.settings")})
    assert found(tmp_path) == [("one.settings", os.path.join("a", "one", "manage.py:3"))]
    write(tmp_path, {"b/two/manage.py": setdefault("two.settings")})
    assert found(tmp_path) == []  # which one runs cannot be told
    write(tmp_path, {"site/manage.py": setdefault("site_.settings")})  # one folder down: nearer, and alone there
    assert found(tmp_path) == [("site_.settings", os.path.join("site", "manage.py:3"))]


def test_a_wsgi_package_is_importable_from_the_folder_above_it(tmp_path: Path) -> None:
    write(tmp_path, {
        "backend/config/__init__.py": "",
        "backend/config/wsgi.py": setdefault("config.settings"),
        "backend/config/settings.py": "AUTH_USER_MODEL = 'accounts.User'\n",
    })
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert (read.module, read.auth_user_model) == ("config.settings", "accounts.User")


# pytest's configuration of any type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "module", "roots"),
    [
        ("pythonpath = 5\nDJANGO_SETTINGS_MODULE = 'conf.settings'", "conf.settings", []),
        ("pythonpath = ['backend', 5, ['x'], '']\nDJANGO_SETTINGS_MODULE = 'conf.settings'", "conf.settings",
         ["backend"]),
        ("pythonpath = {a = 1}\nDJANGO_SETTINGS_MODULE = 5\naddopts = '--ds=conf.settings'", "conf.settings", []),
        ("DJANGO_SETTINGS_MODULE = ['conf.settings']\naddopts = 5\npythonpath = [5]", None, []),
        ("DJANGO_SETTINGS_MODULE = {}\naddopts = ['--ds', 'conf.settings']", "conf.settings", []),
        ("DJANGO_SETTINGS_MODULE = 'conf.settings'\nDJANGO_CONFIGURATION = 7\naddopts = '--ds'\npythonpath = true",
         "conf.settings", []),
    ],
)
def test_pytest_values_of_the_wrong_type_are_left_out(
    tmp_path: Path, options: str, module: str | None, roots: list[str]
) -> None:
    write(tmp_path, {"pyproject.toml": f"[tool.pytest.ini_options]\n{options}\n", "backend/.keep": ""})
    search = find_settings_candidates(str(tmp_path), None, {})
    assert [candidate.module for candidate in search.candidates] == ([module] if module else [])
    assert all(candidate.configuration is None for candidate in search.candidates)
    assert search.import_roots == (str(tmp_path), *(str(tmp_path / root) for root in roots))


# Hostile files ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_huge_files_undecodable_bytes_and_link_loops_are_passed_over(tmp_path: Path) -> None:
    for name in ("Dockerfile", ".env", "Procfile", "compose.yaml", "manage.py", "pyproject.toml", "pytest.ini"):
        os.mkfifo(tmp_path / name)
    (tmp_path / "proj").mkdir()
    os.mkfifo(tmp_path / "proj" / "wsgi.py")
    write(tmp_path, {
        "a/Dockerfile": "ENV DJANGO_SETTINGS_MODULE=shop.big\n" + "#" * (2 << 20) + "\n",
        "b/Dockerfile": b"\xff\xfe\x00\nENV DJANGO_SETTINGS_MODULE=shop.\xe9\x80\nENV DJANGO_SETTINGS_MODULE=shop.ok\n",
        "c/wsgi.py": b"\xff\xfe\x00 not python",
        "d/docker-compose.yml": "services:\n\tweb:\n  - [\n" * 1000,
        "e/tox.ini": "[pytest\n",
    })
    os.symlink(tmp_path, tmp_path / "loop")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.env")
    assert found(tmp_path) == [("shop.ok", os.path.join("b", "Dockerfile:3"))]
    read = read_django_settings(str(tmp_path), environ=NO_ENVIRONMENT)
    assert read.module is None


def test_many_namings_and_files_are_bounded(tmp_path: Path) -> None:
    write(tmp_path, {".env": "DJANGO_SETTINGS_MODULE=shop.x\n" * 10_000,
                     **{f"f{index}/Procfile": "web: DJANGO_SETTINGS_MODULE=shop.y\n" for index in range(100)}})
    candidates = found(tmp_path)
    assert 0 < len(candidates) <= 64
    assert candidates[-1] == ("shop.x", ".env:32")  # the first of the .env's


def test_a_wide_tree_is_looked_at_in_part_not_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "_MAX_FOLDERS", 20)
    for index in range(30):
        (tmp_path / f"data{index:02}").mkdir()
    write(tmp_path, {"config/wsgi.py": setdefault("config.settings"),
                     "zzz/Dockerfile": "ENV DJANGO_SETTINGS_MODULE=x\n"})
    assert found(tmp_path) == [("config.settings", os.path.join("config", "wsgi.py:3"))]  # zzz/ is past the limit


# Noticing an edit ---------------------------------------------------------------------------------------------------


def test_an_edit_of_a_deep_wsgi_file_or_a_new_dockerfile_is_noticed_by_the_per_process_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    write(tmp_path, {"manage.py": setdefault("conf.dev"), "deploy/web/wsgi.py": setdefault("conf.prod"),
                     **settings_files("conf.dev", "conf.prod", "conf.docker", "conf.other")})

    def model() -> str | None:
        django = settings_for_project(build_settings(), str(tmp_path)).django
        return django.auth_user_model if django else None

    assert model() == "prod.User"
    (tmp_path / "deploy" / "web" / "wsgi.py").write_text(setdefault("conf.other") + "# longer\n")
    assert model() == "other.User"
    (tmp_path / "deploy" / "web" / "wsgi.py").unlink()
    assert model() == "dev.User"
    (tmp_path / "Dockerfile").write_text("ENV DJANGO_SETTINGS_MODULE=conf.docker\n")
    assert model() == "docker.User"


# What -v and the JSON say ------------------------------------------------------------------------------------------


def test_check_verbose_and_graph_json_list_every_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("DJANGO_CONFIGURATION", raising=False)
    write(tmp_path, {
        "config/wsgi.py": setdefault("config.settings.production"),  # not in the repository
        "Dockerfile": "ENV DJANGO_SETTINGS_MODULE=config.settings.docker\n",
        "manage.py": setdefault("config.settings.dev"),
        **settings_files("config.settings.docker", "config.settings.dev"),
    })
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-v", "--no-cache", "."], stdout=io.StringIO()) == 0
    err = capsys.readouterr().err
    docker = os.path.join("config", "settings", "docker.py")
    dev = os.path.join("config", "settings", "dev.py")
    assert f"Django settings: config.settings.docker ({docker}), named by Dockerfile:1\n" in err
    lines = [line.split(": ", 1)[1] for line in err.splitlines() if ":   candidate " in line]
    assert lines == [
        "  candidate config.settings.docker named by Dockerfile:1: used",
        f"  candidate config.settings.production named by {os.path.join('config', 'wsgi.py')}:3: not found",
        f"  candidate config.settings.dev named by manage.py:3: found ({dev}), not used",
    ]
    out = io.StringIO()
    assert main(["graph", "--format", "json", "--no-cache", "."], stdout=out) == 0
    assert json.loads(out.getvalue())["settings"]["candidates"] == [
        {"module": "config.settings.docker", "origin": "Dockerfile:1", "path": docker, "used": True},
        {"module": "config.settings.production", "origin": os.path.join("config", "wsgi.py:3"), "path": None,
         "used": False},
        {"module": "config.settings.dev", "origin": "manage.py:3", "path": dev, "used": False},
    ]


def test_check_verbose_says_when_no_candidate_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "elsewhere.settings")
    write(tmp_path, {"Procfile": "web: DJANGO_SETTINGS_MODULE=gone.settings gunicorn x\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-v", "--no-cache", "."], stdout=io.StringIO()) == 0
    err = capsys.readouterr().err
    assert "Django settings: none read (no settings module found (tried elsewhere.settings" in err
    assert "candidate elsewhere.settings named by DJANGO_SETTINGS_MODULE (environment): not found\n" in err
    assert "candidate gone.settings named by Procfile:1: not found\n" in err

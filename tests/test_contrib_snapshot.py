"""Django's contrib migrations shipped with the package (``project/contrib_snapshot.py``, written by
``tools/contrib_snapshot.py``): where the linter runs without Django (pre-commit's own environment), the contrib apps
come from the snapshot, with the same facts, graph and findings as where Django is installed; the release is the one
the project's requirements or lock files name."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_django_migrations.cli import main
from flake8_django_migrations.files import is_migration_module_name
from flake8_django_migrations.project import contrib_snapshot, discover
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.project.discover import Discovery
from flake8_django_migrations.run import ProjectRun
from flake8_django_migrations.settings import Settings
from tools import contrib_snapshot as generator

REPOSITORY = Path(__file__).resolve().parent.parent
SHOP = REPOSITORY / "examples" / "shop"


def installed_django() -> Path:
    """The folder holding the installed ``django`` package (a test dependency)."""
    spec = importlib.util.find_spec("django")
    assert spec is not None and spec.origin is not None, "the tests need Django installed"
    return Path(spec.origin).parent.parent


def installed_release() -> contrib_snapshot.Release:
    shipped = contrib_snapshot.snapshot()
    assert shipped is not None
    name = generator.read_release(installed_django()).name  # from django/__init__.py's VERSION
    assert name in shipped.releases, f"no snapshot of Django {name}: run tools/contrib_snapshot.py --update"
    return shipped.releases[name]


@pytest.fixture
def no_django(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery's finder, as in an environment without Django: ``find_spec("django")`` finds nothing."""
    real = discover._interpreter_roots
    monkeypatch.setattr(discover, "_interpreter_roots", lambda top: () if top == "django" else real(top))


def run_command(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


ALL_CONTRIB = [
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.redirects",
    "django.contrib.humanize",
    "django.contrib.postgres",
]


def project(root: Path, installed_apps: list[str], requirements: str | None = None) -> Path:
    """A project whose app `shop` depends on auth's newest migration of Django 4.2 on, and on a missing one."""
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")\n',
        "site_settings.py": f"INSTALLED_APPS = {[*installed_apps, 'shop']!r}\n",
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": """\
            from django.conf import settings
            from django.db import migrations


            class Migration(migrations.Migration):
                initial = True
                dependencies = [
                    migrations.swappable_dependency(settings.AUTH_USER_MODEL),
                    ("auth", "0012_alter_user_first_name_max_length"),
                    ("auth", "0099_missing"),
                ]
                operations = []
            """,
    }
    if requirements is not None:
        files["requirements.txt"] = requirements
    return write(root, files)


# (a) The snapshot reads as the installed files do --------------------------------------------------------------------


def test_the_snapshot_of_the_installed_release_gives_the_facts_of_the_installed_files() -> None:
    release = installed_release()
    contrib = installed_django() / "django" / "contrib"
    cache = FactsCache(None, False)
    compared = 0
    for app in sorted(path.parent.name for path in contrib.glob("*/apps.py")):
        folder = contrib / app / "migrations"
        installed = sorted(p.name for p in folder.glob("*.py") if is_migration_module_name(p.name))
        relative = f"django/contrib/{app}/migrations"
        assert sorted(n for n in release.folders.get(relative, ()) if is_migration_module_name(n)) == installed, app
        for name in installed:
            real = str(folder / name)
            in_snapshot = os.path.join(contrib_snapshot.SNAPSHOT_FILE, release.name, *relative.split("/"), name)
            expected = cache.facts_for_files([real], app_label=app)[real]
            found = contrib_snapshot.facts_for_files([in_snapshot], app)[in_snapshot]
            assert expected is not None and found is not None
            assert found.path == in_snapshot
            assert dataclasses.replace(found, path=real) == expected, f"{app}/{name}"
            compared += 1
    assert compared >= 23  # admin 3, auth 12, contenttypes 2, flatpages 1, redirects 2, sessions 1, sites 2


def test_regenerating_the_installed_release_gives_the_shipped_entry() -> None:
    release = installed_release()
    regenerated = generator.read_release(installed_django())
    shipped = {path: text.encode() if text is not None else None for path, text in release.files.items()}
    assert regenerated.name == release.name
    assert regenerated.files == shipped
    assert "django/contrib/auth/migrations/0001_initial.py" in shipped and "django/contrib/messages/apps.py" in shipped


def test_the_generator_is_deterministic_and_rewrites_the_shipped_document() -> None:
    import lzma

    shipped_bytes = Path(contrib_snapshot.SNAPSHOT_FILE).read_bytes()
    shipped = contrib_snapshot.decode(shipped_bytes)
    rewritten = generator.build(generator.releases_of(shipped))
    assert rewritten == generator.build(reversed(generator.releases_of(shipped)))  # the same input, the same bytes
    # What it compresses is byte for byte the shipped document (the compressed bytes also depend on liblzma).
    assert lzma.decompress(rewritten) == lzma.decompress(shipped_bytes)
    assert [release.name for release in shipped.releases.values()][:4] == ["4.2", "5.0", "5.1", "5.2"]


def test_the_generator_keeps_the_later_version_of_a_release(tmp_path: Path) -> None:
    older = generator.ReleaseFiles("5.2", "5.2.3", {"django/__init__.py": None})
    newer = generator.ReleaseFiles("5.2", "5.2.20", {"django/__init__.py": None, "django/contrib/__init__.py": None})
    written = contrib_snapshot.decode(generator.build([newer, older]))
    assert [(r.name, r.version, sorted(r.files)) for r in written.releases.values()] == [
        ("5.2", "5.2.20", ["django/__init__.py", "django/contrib/__init__.py"])
    ]
    output = tmp_path / "snapshot.json.xz"
    output.write_bytes(generator.build([generator.ReleaseFiles("4.2", "4.2.30", {"django/__init__.py": None})]))
    assert generator.main(["--update", "--output", str(output), str(installed_django())]) == 0
    assert list(contrib_snapshot.decode(output.read_bytes()).releases) == ["4.2", installed_release().name]


# (b) Without Django, the same graph and findings -------------------------------------------------------------------


def graph_of(path: Path) -> dict[str, object]:
    code, output = run_command("graph", "--no-cache", str(path))
    assert code == 0
    document = json.loads(output)
    return {key: document[key] for key in ("nodes", "edges", "leaves", "external", "errors")}


def test_without_django_the_example_graph_keeps_the_contrib_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPOSITORY)
    with_django, findings = graph_of(SHOP), run_command("check", "--no-cache", str(SHOP))
    real = discover._interpreter_roots
    monkeypatch.setattr(discover, "_interpreter_roots", lambda top: () if top == "django" else real(top))
    without = graph_of(SHOP)
    assert without == with_django
    assert run_command("check", "--no-cache", str(SHOP)) == findings  # the state replay reads auth's models too
    nodes = without["nodes"]
    assert isinstance(nodes, list) and len(nodes) == 53
    assert "auth.0012_alter_user_first_name_max_length" in nodes
    assert "contenttypes.0002_remove_content_type_name" in nodes


def test_without_django_a_missing_contrib_migration_is_djm302(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path / "site", ["django.contrib.auth", "django.contrib.contenttypes"])
    monkeypatch.chdir(root)
    with_django = run_command("check", "--no-cache")
    # As in pre-commit's environment: importlib finds no django (``find_spec`` is None once the name maps to None).
    hidden = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['django'] = None;"
         " from flake8_django_migrations.cli import main; sys.exit(main(['check', '--no-cache']))"],
        cwd=root, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    assert (hidden.returncode, hidden.stdout) == with_django, hidden.stderr
    assert with_django[0] == 1
    (djm302,) = [line for line in with_django[1].splitlines() if " DJM302 " in line]
    assert djm302.startswith(os.path.join("shop", "migrations", "0001_initial.py") + ":")
    assert "`auth.0099_missing`" in djm302


def discovered(root: Path) -> Discovery:
    return ProjectRun(str(root), Settings(use_cache=False)).discovery


def test_without_django_discovery_finds_every_contrib_app_as_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path / "site", ALL_CONTRIB)
    with_django = discovered(root)
    real = discover._interpreter_roots
    monkeypatch.setattr(discover, "_interpreter_roots", lambda top: () if top == "django" else real(top))
    without = discovered(root)

    def shape(found: Discovery) -> object:
        return (
            found.installed, found.unlocated,
            {label: [os.path.basename(path) for path in app.files] for label, app in found.apps.items()},
            [(app.entry, app.label, app.external, app.folder is not None) for app in found.installed_apps],
        )

    assert shape(without) == shape(with_django)
    assert without.installed is not None and {"admin", "messages", "postgres", "flatpages"} <= without.installed
    assert not without.unlocated
    assert set(without.apps) == {"admin", "auth", "contenttypes", "sessions", "sites", "flatpages", "redirects", "shop"}
    assert all(contrib_snapshot.is_snapshot_path(app.folder) for label, app in without.apps.items() if label != "shop")


def test_check_v_says_which_snapshot(
    tmp_path: Path, no_django: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "site", ["django.contrib.auth"], requirements="Django==5.1.3\n")
    monkeypatch.chdir(root)
    run_command("check", "-v", "--no-cache")
    err = capsys.readouterr().err.splitlines()
    assert "django-migrations-lint:   contrib migrations: Django 5.1 snapshot (`Django==5.1.3` in requirements.txt)" \
        in err
    (auth,) = [line for line in err if "app auth (django.contrib.auth)" in line]
    assert auth.endswith(os.path.join("contrib_migrations.json.xz", "5.1", "django", "contrib", "auth"))


def test_with_django_installed_the_snapshot_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "site", ["django.contrib.auth"])
    found = discovered(root)
    assert str(installed_django()) in found.apps["auth"].folder
    monkeypatch.chdir(root)
    run_command("check", "-v", "--no-cache")
    assert "contrib migrations" not in capsys.readouterr().err


# (c) Which release -------------------------------------------------------------------------------------------------


def newest() -> str:
    shipped = contrib_snapshot.snapshot()
    assert shipped is not None
    return shipped.newest.name


def chosen(root: Path, files: dict[str, str]) -> tuple[str, str | None, bool]:
    write(root, files)
    choice = contrib_snapshot.choose((str(root),))
    assert choice is not None
    return choice.release, choice.describe(), choice.nearest


@pytest.mark.parametrize(("files", "release"), [
    ({"requirements.txt": "Django==5.1.3\n"}, "5.1"),
    ({"requirements.txt": "django>=4.2,<5\n"}, "4.2"),
    ({"requirements.txt": "Django~=5.0.0  # LTS soon\n"}, "5.0"),
    ({"requirements.txt": "django[argon2] >= 5.0, < 5.2 ; python_version >= '3.10'\n"}, "5.1"),
    ({"requirements.txt": "django==5.1.*\n"}, "5.1"),
    ({"requirements.txt": "# pip-compile\ndjango==5.0.6 \\\n    --hash=sha256:0123 \\\n    --hash=sha256:4567\n"},
     "5.0"),
    ({"requirements.txt": "-r base.txt\ndjango-environ==0.11.2\nDjango<5.1,!=5.0.*\n"}, "4.2"),
    ({"requirements/base.txt": "psycopg\nDjango==4.2.16\n"}, "4.2"),
    ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Django>=5.0,<5.2", "flake8"]\n'}, "5.1"),
    ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "^4.2"\n'}, "4.2"),
    ({"pyproject.toml": '[tool.poetry.dependencies]\ndjango = {version = "~5.0", extras = ["argon2"]}\n'}, "5.0"),
    ({"Pipfile": '[packages]\ndjango = "==5.1.2"\n'}, "5.1"),
    ({"Pipfile.lock": json.dumps({"default": {"django": {"version": "==5.0.9"}}})}, "5.0"),
    ({"poetry.lock": '[[package]]\nname = "asgiref"\nversion = "3.8.1"\n\n[[package]]\nname = "django"\n'
                     'version = "5.1.3"\ndescription = "A high-level Python web framework"\n'}, "5.1"),
    # A lock file wins over what the requirements allow.
    ({"uv.lock": 'version = 1\n\n[[package]]\nname = "django"\nversion = "4.2.16"\nsource = { registry = "x" }\n',
      "requirements.txt": "Django>=4.2\n"}, "4.2"),
])
def test_the_release_the_project_names(tmp_path: Path, files: dict[str, str], release: str) -> None:
    found, described, nearest = chosen(tmp_path, files)
    assert (found, nearest) == (release, False)
    assert described is not None and described.startswith(f"Django {release} snapshot (`")


def test_the_newest_release_when_nothing_names_a_version(tmp_path: Path) -> None:
    assert chosen(tmp_path, {"requirements.txt": "Django\ndjango-environ==0.11\n"}) == (
        newest(), f"Django {newest()} snapshot (the newest: no requirements or lock file names a version of Django)",
        False,
    )


def test_the_nearest_release_outside_the_snapshot(tmp_path: Path) -> None:
    assert chosen(tmp_path / "old", {"requirements.txt": "Django==3.2.25\n"}) == (
        "4.2", "Django 4.2 snapshot (nearest to `Django==3.2.25` in requirements.txt)", True
    )
    assert chosen(tmp_path / "future", {"requirements.txt": "Django>=99\n"})[::2] == (newest(), True)


def test_the_requirements_of_the_repository_above_a_project_in_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "requirements.txt": "Django==5.0.1\n",
                     "backend/manage.py": ""})
    choice = contrib_snapshot.choose((str(tmp_path / "backend"),))
    assert choice is not None and (choice.release, choice.source) == ("5.0", str(tmp_path / "requirements.txt"))


def test_a_changed_requirements_file_changes_the_choice(tmp_path: Path) -> None:
    assert chosen(tmp_path, {"requirements.txt": "Django==5.1.3\n"})[0] == "5.1"
    assert chosen(tmp_path, {"requirements.txt": "Django==4.2.1\n# longer\n"})[0] == "4.2"

"""What the published package carries: its own name and license, and an sdist that can run its own tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import flake8_django_migrations

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy: setuptools leaves an ``*.egg-info`` folder where it builds, and one in the checkout
    would register the plugin a second time for every flake8 started there."""
    out, source = tmp_path_factory.mktemp("sdist"), tmp_path_factory.mktemp("source") / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".hypothesis", "build", "dist",
    ))
    subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"],
        cwd=source, check=True, capture_output=True,
    )
    (archive,) = out.glob("*.tar.gz")
    return archive


def test_the_sdist_is_named_and_licensed(sdist: Path) -> None:
    version = flake8_django_migrations.__version__
    assert sdist.name == f"django_migrations_lint-{version}.tar.gz"
    with tarfile.open(sdist) as archive:
        info = archive.extractfile(f"django_migrations_lint-{version}/PKG-INFO")
        assert info is not None
        metadata = info.read().decode()
    assert "\nName: django-migrations-lint\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "\nClassifier: Framework :: Flake8\n" in metadata and "\nClassifier: Framework :: Django\n" in metadata


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_the_sdist_carries_every_tracked_file_its_tests_need(sdist: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--", "tests", "examples", "docs", "benchmarks", "tools", ".ci", "LICENSE",
         "CHANGELOG.md", "README.md", "setup.cfg", ".pre-commit-hooks.yaml", "flake8_django_migrations"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    assert "tests/test_rules.py" in tracked
    with tarfile.open(sdist) as archive:
        prefix = archive.getnames()[0].split("/")[0] + "/"
        shipped = {name[len(prefix):] for name in archive.getnames()}
    missing = sorted(path for path in tracked if (ROOT / path).exists() and path not in shipped)
    assert missing == []
    assert not [name for name in shipped if "__pycache__" in name or name.endswith(".pyc")]
    assert "flake8_django_migrations/py.typed" in shipped

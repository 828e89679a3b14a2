"""The project follows its own flake8 configuration (setup.cfg)."""

from __future__ import annotations

from pathlib import Path

from tests.flake8_runner import run_flake8

ROOT = Path(__file__).parent.parent


def test_package_and_tests_are_flake8_clean() -> None:
    result = run_flake8("flake8_django_migrations", "tests", "benchmarks", cwd=ROOT)
    assert result.stdout == "" and result.returncode == 0, result.stdout

"""The peer of the benchmark: django-safe-migrations, installed in a virtualenv of its own in the scratch folder.

What it does on a project (read from its source, version below): ``manage.py check_migrations`` boots Django (the
settings, every installed app, the system checks), builds Django's ``MigrationLoader`` (imports every migration
module and builds the graph), then for each migration of each app that is not Django's own (``auth`` and
``contenttypes`` are skipped by default): for each operation, asks every one of its rules (47 in ``--list-rules``)
whether it is enabled and applies, re-reads and ``ast.parse``s the file to find the operation's line, and, for an
``AlterField`` and the like, replays the graph up to that migration (``project_state``) to learn the field before
the change; then its migration-level rules. Under cProfile on 5,000 generated migrations, the largest parts are its
settings look-ups for every rule and operation (about 40 %), those graph replays (about 30 %) and loading the
migrations (about 10 %). ``--database-vendor postgresql`` turns on its PostgreSQL rules (indexes without
``CONCURRENTLY``, foreign keys that validate, ...) without asking a database. It has no cache unless ``--cache`` is
passed, so every run is cold: the fair counterpart of ``check`` with an empty cache.

The settings name the PostgreSQL backend, as a PostgreSQL project's would: Django then imports psycopg when the
apps load (``django.contrib.auth``), so the peer is installed with its ``postgres`` extra (psycopg2-binary); no
server is needed or contacted. Its own bytecode and that of the migrations go to a folder of the scratch space
(``PYTHONPYCACHEPREFIX``): compiled once by the benchmark's untimed first run, as in a project where
``manage.py`` has run before, and the generated tree stays as every other command sees it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NAME = "django-safe-migrations"
VERSION = "0.7.1"
# The Django of this repository's test environment (.venv), which our truth tests run against.
DJANGO = "Django==5.2.*"

SETTINGS = """\
# Written by benchmarks/peer.py: the generated project as a Django project for {name}.
INSTALLED_APPS = {apps!r}
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "benchmark"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
SECRET_KEY = "benchmark"
"""

SETTINGS_MODULE = "peer_settings"
# Django's own apps the generated migrations depend on, and the peer's app (its ``check_migrations`` command).
DJANGO_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_safe_migrations"]
# Printed by ``--verbose`` once per app it analyses: how the benchmark proves the peer looked at every migration.
CHECKED_APP = re.compile(r"Checking (\S+) \((\d+) migrations\)")


@dataclass(frozen=True)
class Analysis:
    """What one run of the peer looked at, from its own report."""

    migrations: int
    apps: int
    findings: int
    apps_with_findings: int

    def __str__(self) -> str:
        return (f"{self.migrations} migrations in {self.apps} apps analysed, {self.findings} findings "
                f"in {self.apps_with_findings} apps")


@dataclass
class Peer:
    """How to run the peer on one generated tree, or why it cannot run (``error``)."""

    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def what_it_analysed(self, environment: dict[str, str]) -> Analysis | str:
        """Run the peer once, verbosely and with JSON output: what it looked at, or why that failed."""
        try:
            done = subprocess.run([*self.argv, "--verbose", "--format", "json"], env={**environment, **self.env},
                                  capture_output=True, text=True, timeout=3600)
        except (OSError, subprocess.SubprocessError) as error:
            return f"{type(error).__name__}: {error}"
        per_app = {app: int(count) for app, count in CHECKED_APP.findall(done.stderr)}
        try:
            issues = json.loads(done.stdout)["issues"]
        except (ValueError, KeyError, TypeError):
            issues = None
        if done.returncode not in (0, 1) or not per_app or not isinstance(issues, list):
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            return f"exit {done.returncode}, {sum(per_app.values())} migrations analysed: {tail}"
        apps_with_findings = {issue.get("app_label") for issue in issues if isinstance(issue, dict)}
        return Analysis(sum(per_app.values()), len(per_app), len(issues), len(apps_with_findings))


def _venv_program(venv: Path, name: str) -> Path:
    return venv / (f"Scripts/{name}.exe" if os.name == "nt" else f"bin/{name}")


def _installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({NAME!r}))"],
                           capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def install(scratch: Path) -> Path | str:
    """A virtualenv holding the peer (made once per scratch folder), or why it could not be made."""
    venv = scratch / "peer-venv"
    python = _venv_program(venv, "python")
    if _installed_version(python) == VERSION:
        return venv  # a kept scratch folder (--keep) installs once
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"{NAME}[postgres]=={VERSION}", DJANGO],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            return f"{type(error).__name__}: {error}"
        if done.returncode != 0:
            lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("WARNING")]
            return f"`{' '.join(step[1:4])}` exit {done.returncode}: " + " | ".join(lines[-2:])
    return venv


def prepare(scratch: Path, tree: Path) -> Peer:
    """The peer's real command on ``tree``, as a project on PostgreSQL runs it."""
    venv = install(scratch)
    if isinstance(venv, str):
        return Peer(error=f"could not install {NAME} {VERSION} (offline?): {venv}")
    labels = (tree / "APPS.txt").read_text().split()
    settings_dir = scratch / "peer-settings"
    settings_dir.mkdir(exist_ok=True)
    (settings_dir / f"{SETTINGS_MODULE}.py").write_text(SETTINGS.format(name=NAME, apps=[*DJANGO_APPS, *labels]))
    return Peer(
        # django-admin, not ``python -m django``: -m would put the working folder first on sys.path, where a
        # stray settings module of the same name would win.
        argv=[str(_venv_program(venv, "django-admin")), "check_migrations", "--database-vendor", "postgresql"],
        env={
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join([str(settings_dir), str(tree)]),
            "PYTHONPYCACHEPREFIX": str(scratch / "peer-bytecode"),
        },
    )

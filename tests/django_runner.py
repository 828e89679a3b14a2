"""Running Django's own commands on a small project tree, in a subprocess, on a fresh SQLite database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class DjangoProject:
    """A copy of a tree with a settings module listing its apps; each instance has its own fresh database."""

    def __init__(self, tree: Path, workdir: Path, swappable_user: str | None = None) -> None:
        self.root = workdir / "project"
        shutil.copytree(tree, self.root)
        apps = sorted(path.parent.parent.name for path in self.root.glob("*/migrations/__init__.py"))
        lines = [
            "SECRET_KEY = 'test'",
            f"INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', *{apps!r}]",
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': %r}}"
            % str(workdir / "db.sqlite3"),
            "USE_TZ = True",
        ]
        if swappable_user:
            lines.append(f"AUTH_USER_MODEL = {swappable_user!r}")
        (workdir / "truth_settings.py").write_text("\n".join(lines) + "\n")
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "truth_settings",
            "PYTHONPATH": os.pathsep.join([str(self.root), str(workdir)]),
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=self.root, env=self.environment, capture_output=True, text=True, timeout=300,
        )

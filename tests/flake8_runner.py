"""Running the real flake8 in a subprocess, as a user would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$")


def run_flake8(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300,
    )


def parse_output(stdout: str) -> list[tuple[str, int, int, str]]:
    """(path, line, column, code) for every line flake8 printed."""
    found = []
    for line in stdout.splitlines():
        match = _LINE.match(line)
        assert match, f"not a flake8 line: {line!r}"
        found.append((match["path"], int(match["line"]), int(match["col"]), match["code"]))
    return found

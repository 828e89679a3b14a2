"""The bundled example project shows exactly the findings its EXPECTED.md promises (README command 1)."""

from __future__ import annotations

import re
from pathlib import Path

from flake8_django_migrations.registry import RULES
from tests.flake8_runner import parse_output, run_flake8

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "shop"


def _expected(section: str, example: Path = EXAMPLE) -> set[tuple[str, int, str]]:
    text = (example / "EXPECTED.md").read_text(encoding="utf-8")
    block = text.split(f"## {section}", 1)[1].split("```", 2)[1]
    expected = set()
    for line in block.strip().splitlines():
        match = re.match(r"^(?P<path>\S+\.py):(?P<line>\d+)\s+(?P<code>DJM\d{3})\s", line)
        assert match, f"unreadable line in EXPECTED.md: {line!r}"
        if match["code"] in RULES:  # rules of later issues are listed before they exist
            expected.add((match["path"], int(match["line"]), match["code"]))
    return expected


def test_readme_command_finds_what_the_example_promises() -> None:
    result = run_flake8("examples/shop", cwd=ROOT)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    findings = parse_output(result.stdout)
    assert all(code.startswith("DJM") for *_, code in findings), "the example must be clean but for DJM codes"
    found = {(str(Path(path).relative_to("examples/shop")), line, code) for path, line, _, code in findings}
    assert found == _expected("Default rules")
    assert result.returncode == 1


def test_graph_errors_example() -> None:
    example = ROOT / "examples" / "graph_errors"
    result = run_flake8("--extend-select", "DJM904", "examples/graph_errors", cwd=ROOT)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    found = {
        (str(Path(path).relative_to("examples/graph_errors")), line, code)
        for path, line, _, code in parse_output(result.stdout)
    }
    assert found == _expected("Default rules", example) | _expected("Off by default", example)

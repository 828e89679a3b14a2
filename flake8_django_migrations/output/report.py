"""A finished ``check`` run as every output format sees it: the findings to report and what the project pass knew,
with the few facts about a code that several formats show (its name, its level, where its documentation is)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project.discover import Discovery
from flake8_django_migrations.settings import Settings
from flake8_django_migrations.source import SYNTAX_ERROR

__all__ = [
    "FLAKE8_CODE_NAMES",
    "PROG",
    "REPOSITORY_URL",
    "UNREADABLE",
    "ProjectPass",
    "Report",
    "display_path",
    "level",
    "rule_doc_url",
    "rule_name",
]

PROG: Final = "django-migrations-lint"
# The project's public home, once it has one (``https://...``, no trailing slash). While it is empty, no output
# links anywhere: SARIF leaves out ``informationUri`` and each rule's ``helpUri`` and carries the rule's page
# itself (``help.markdown``).
REPOSITORY_URL: Final = ""
UNREADABLE: Final = "E902"  # flake8's code for a file it cannot read
# flake8's own codes the command reports as flake8 does: a migration that does not parse, or cannot be read.
FLAKE8_CODE_NAMES: Final = {SYNTAX_ERROR: "syntax-error", UNREADABLE: "unreadable-file"}


@dataclass(frozen=True, slots=True)
class ProjectPass:
    """One project root the command checked: the settings it used there and the migration packages it found."""

    root: str  # absolute
    settings: Settings  # with what was read from the project's Django settings
    discovery: Discovery


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]  # after selection, noqa and the baseline; sorted
    projects: tuple[ProjectPass, ...]
    options: Settings  # as given, before any project's Django settings were read
    stale_baseline_entries: int = 0  # entries of ``options.baseline`` that matched nothing


# The rules (and with them the facts) are imported by the formats that name them, not by flake8's text lines,
# which a warm run prints without loading any rule.


def rule_name(code: str) -> str:
    from flake8_django_migrations.registry import RULES

    return RULES[code].name if code in RULES else FLAKE8_CODE_NAMES[code]


def level(code: str) -> str:
    """``error`` or ``warning``, in SARIF's and GitHub's words: a rule on by default reports what breaks a deploy
    or the graph; an opinionated rule, off until selected, a warning. A file that cannot be checked is an error."""
    from flake8_django_migrations.registry import RULES

    return "warning" if code in RULES and not RULES[code].default_enabled else "error"


def rule_doc_url(code: str) -> str | None:
    from flake8_django_migrations.registry import RULES

    if not REPOSITORY_URL or code not in RULES:
        return None
    return f"{REPOSITORY_URL}/blob/main/docs/rules/{code}.md"


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the working folder (``cwd``, when the caller already asked for it) when below it, as people type
    paths; absolute otherwise."""
    cwd = cwd if cwd is not None else os.getcwd()
    if path == cwd:
        return "."
    below = cwd.rstrip(os.sep) + os.sep
    if path.startswith(below):
        if os.sep == "/" and "/." not in path and "//" not in path and not path.endswith("/"):
            return path[len(below):]  # normalised already: what relpath gives, without its work per finding
        return os.path.relpath(path, cwd)
    return path

"""What a rule is: its record (code, name, message, hint, documentation) and the check that finds it, in one place.

A rule module declares each rule by decorating its check with the record::

    @file_rule(code="DJM101", name="run-python-without-reverse", message="...", hint="...", ...)
    def run_python_without_reverse(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
        ...
        yield Flag(op.line, op.col, code="forwards")

A check yields ``Flag``s: where the problem is and the names its message and hint need. The record turns them into
``Finding``s. Per-file checks read one migration's facts; project checks read the project index (the graph and the
model state) and say which file each flag belongs to. ``registry`` collects every rule of every module in this
package; there is no list to keep in sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from flake8_django_migrations.finding import Finding

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.settings import Settings

__all__ = ["FILE", "PROJECT", "Flag", "Rule", "file_rule", "project_rule"]

FILE: Final = "file"  # the rule reads one migration's facts
PROJECT: Final = "project"  # the rule needs the whole migration graph


class Flag:
    """One problem a check found: its position, the names for the message, and (project rules) its file."""

    __slots__ = ("line", "col", "names", "path")

    def __init__(self, line: int, col: int, path: str | None = None, **names: object) -> None:
        self.line = line
        self.col = col
        self.path = path
        self.names: Mapping[str, object] = names


Check = Callable[[Any, "Settings"], Iterable[Flag]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str  # kebab-case, names the pattern it flags
    message: str  # one sentence, no final period; ``str.format`` fields for the names involved
    hint: str  # how to fix it; may use the same fields
    what_it_does: str
    why_bad: str
    example: str  # Python source
    use_instead: str  # Python source
    check: Check = field(repr=False, compare=False)
    default_enabled: bool = True
    scope: str = FILE
    options: tuple[str, ...] = ()  # flake8 option names this rule reads
    fix_requires: str = ""  # the Django version the "Use instead" needs, e.g. "Django 5.0 (`db_default`)"

    def finding(self, path: str, line: int, col: int, **names: object) -> Finding:
        return Finding(path, line, col, self.code, self.message.format(**names), self.hint.format(**names))

    def findings_in_file(self, facts: MigrationFacts, settings: Settings) -> Iterator[Finding]:
        for flag in self.check(facts, settings):
            yield self.finding(flag.path or facts.path, flag.line, flag.col, **flag.names)

    def findings_in_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        for flag in self.check(index, settings):
            assert flag.path is not None, f"{self.code}: a project rule must say which file a finding is in"
            yield self.finding(flag.path, flag.line, flag.col, **flag.names)


def file_rule(**record: Any) -> Callable[[Callable[[MigrationFacts, Settings], Iterable[Flag]]], Rule]:
    """Declare a per-file rule: ``record`` holds the fields of ``Rule`` but ``check`` and ``scope``."""
    return lambda check: Rule(check=check, scope=FILE, **record)


def project_rule(**record: Any) -> Callable[[Callable[[ProjectIndex, Settings], Iterable[Flag]]], Rule]:
    """Declare a project rule, whose check reads the project index and gives each flag its file."""
    return lambda check: Rule(check=check, scope=PROJECT, **record)

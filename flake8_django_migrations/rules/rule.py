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

Each record also says whether its claim needs a rolling deploy (``deploy=("rolling", why)``: old code keeps serving
requests while the migration runs and after it, until the new code is everywhere) or holds whatever the deploy
(``deploy=("any", why)``, the default: a migration that fails, a graph Django refuses, a rewrite that makes any
downtime longer). With ``djm-deploy = downtime`` the rules that need a rolling deploy are not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Union

from flake8_django_migrations.finding import Finding

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.settings import Settings

__all__ = [
    "ANY_DEPLOY", "FILE", "PROJECT", "ROLLING", "Flag", "Rule", "file_rule", "project_rule",
    # fixes
    "SAFE", "SAFE_OR_UNSAFE", "UNSAFE", "AddArgument", "AddDependency", "AddImport", "Edit", "Fix", "ProjectFix",
    "RenameCallee", "RenameFile", "ReplaceEntry", "SetClassAttribute", "WriteFile",
]

FILE: Final = "file"  # the rule reads one migration's facts
PROJECT: Final = "project"  # the rule needs the whole migration graph
ROLLING: Final = "rolling"  # the claim needs old code running beside, or after, the migration
ANY_DEPLOY: Final = "any"  # the claim holds whatever the deploy model
# What a rule that does not say holds: the failures and costs it reports do not depend on old code running.
_ANY_DEPLOY_WHY: Final = (
    "what it reports fails, or costs the same time, whether or not old code serves requests while the migration runs"
)


class Flag:
    """One problem a check found: its position, the names for the message, (project rules) its file, and the fix
    that repairs it when the check can tell one (``with_fix``)."""

    __slots__ = ("line", "col", "names", "path", "fix")

    def __init__(self, line: int, col: int, path: str | None = None, **names: object) -> None:
        self.line = line
        self.col = col
        self.path = path
        self.names: Mapping[str, object] = names
        self.fix: Fix | ProjectFix | None = None

    def with_fix(self, fix: Fix | ProjectFix | None) -> Flag:
        """This flag with the fix that repairs it: a ``Fix``, or for a per-file rule whose fix needs the graph, a
        function of the project index giving one (or None). ``fix.py`` applies it; the findings do not carry it."""
        self.fix = fix
        return self


# Fixes ------------------------------------------------------------------------------------------------------------
# A rule attaches to a flag the edits that repair it. Rules never read files, and the facts know where things start
# but not where they end, so an edit names its place as the facts do (a file, and the line and column where an entry
# or a call starts) and says what to change there; ``fix.py`` reads the file, finds the place in its syntax tree,
# turns the edit into exact text changes (keeping quotes, comments and layout) and refuses an edit whose place no
# longer holds what it expects.

SAFE: Final = "safe"  # keeps what the migrations mean, or repairs what Django refuses: `--fix` applies it
UNSAFE: Final = "unsafe"  # changes what runs (a reverse that does nothing, no transaction): only `--unsafe-fixes`
SAFE_OR_UNSAFE: Final = "safe or unsafe"  # a rule's declaration only: which one depends on the finding


@dataclass(frozen=True, slots=True)
class ReplaceEntry:
    """The ``("app", "name")`` entry of ``dependencies``, ``run_before`` or ``replaces`` that starts at ``line`` and
    ``col`` names ``new`` instead of ``old``; only the strings that change are rewritten, in their own quotes."""

    path: str
    line: int
    col: int
    old: tuple[str, str]
    new: tuple[str, str]


@dataclass(frozen=True, slots=True)
class AddDependency:
    """``(app, name)`` added at the end of the ``Migration`` class's literal ``dependencies`` list, in the layout
    and the quotes of its entries."""

    path: str
    app: str
    name: str


@dataclass(frozen=True, slots=True)
class AddArgument:
    """``keyword=value`` passed to the call that starts at ``line`` and ``col``, or written in place of the ``None``
    given for it (by keyword, or positionally at ``position``). ``{callee}`` in ``value`` stands for the callee as
    the file writes it (``migrations.RunPython``)."""

    path: str
    line: int
    col: int
    keyword: str
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class SetClassAttribute:
    """``name = value`` (``value`` as source) in the ``Migration`` class: its assignment rewritten, else a line added
    at the top of the class body."""

    path: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class RenameCallee:
    """The call that starts at ``line`` and ``col`` calls ``new`` instead of ``old``: its callee, written ``old`` or
    ``module.old``, becomes the bare name ``new`` (an ``AddImport`` of the same fix imports it)."""

    path: str
    line: int
    col: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class AddImport:
    """``from module import name`` on a line after the file's last top-level import, unless the file imports it
    so already."""

    path: str
    module: str
    name: str


@dataclass(frozen=True, slots=True)
class WriteFile:
    """The whole text of a file: a ``max_migration.txt``, or (``create``) a new migration, refused when a file of
    that name exists."""

    path: str
    text: str
    create: bool = False


@dataclass(frozen=True, slots=True)
class RenameFile:
    """The file at ``path`` moved to ``new_path`` (refused when that exists) as it is: another fix's edit of it
    waits for the next round."""

    path: str
    new_path: str


Edit = Union[
    ReplaceEntry, AddDependency, AddArgument, SetClassAttribute, RenameCallee, AddImport, WriteFile, RenameFile
]


@dataclass(frozen=True, slots=True)
class Fix:
    """What repairs one finding: every edit or none, ``SAFE`` or ``UNSAFE``, and what it does in one sentence
    (names in backticks, no final period)."""

    applicability: str
    message: str
    edits: tuple[Edit, ...]

    @classmethod
    def safe(cls, message: str, *edits: Edit) -> Fix:
        return cls(SAFE, message, edits)

    @classmethod
    def unsafe(cls, message: str, *edits: Edit) -> Fix:
        return cls(UNSAFE, message, edits)


# A per-file rule's fix that needs the project (the leaf of another app, the migrations naming this one).
ProjectFix = Callable[["ProjectIndex"], "Fix | None"]


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
    # Whether the claim needs a rolling deploy (ROLLING) or holds in any (ANY_DEPLOY), and why, in a sentence: the
    # decorator's `deploy=(ROLLING, why)`. A rule needing a rolling deploy is not run with `djm-deploy = downtime`.
    deploy: str = ANY_DEPLOY
    deploy_why: str = _ANY_DEPLOY_WHY
    # Whether `check --fix` repairs what it reports: SAFE, UNSAFE or SAFE_OR_UNSAFE (None: no fix), and what the fix
    # does, in a clause: the decorator's `fix=(SAFE, what)`. tests/test_fix_declarations.py checks it against the
    # fixes the rule attaches to its flags.
    fix: str | None = None
    fix_does: str = ""

    @property
    def needs_rolling_deploy(self) -> bool:
        return self.deploy == ROLLING

    @property
    def option_names(self) -> tuple[str, ...]:
        """The options that decide what the rule reports: those it reads, and ``djm-deploy`` for one that needs a
        rolling deploy (it decides whether the rule runs)."""
        return (*self.options, "djm-deploy") if self.needs_rolling_deploy else self.options

    def finding(self, path: str, line: int, col: int, **names: object) -> Finding:
        return Finding(path, line, col, self.code, self.message.format(**names), self.hint.format(**names))

    def findings_in_project(self, index: ProjectIndex, settings: Settings) -> Iterator[Finding]:
        for flag in self.check(index, settings):
            assert flag.path is not None, f"{self.code}: a project rule must say which file a finding is in"
            yield self.finding(flag.path, flag.line, flag.col, **flag.names)

    def findings_with_fixes(
        self, target: MigrationFacts | ProjectIndex, settings: Settings
    ) -> Iterator[tuple[Finding, Fix | ProjectFix | None]]:
        """Each finding with the fix its flag carries (``fix.py``); ``target``: the facts of a per-file rule's
        migration, or a project rule's index."""
        default = getattr(target, "path", None) if self.scope == FILE else None
        for flag in self.check(target, settings):
            path = flag.path or default
            assert path is not None, f"{self.code}: a project rule must say which file a finding is in"
            yield self.finding(path, flag.line, flag.col, **flag.names), flag.fix


def file_rule(**record: Any) -> Callable[[Callable[[MigrationFacts, Settings], Iterable[Flag]]], Rule]:
    """Declare a per-file rule: ``record`` holds the fields of ``Rule`` but ``check`` and ``scope``, and its deploy
    model as ``deploy=(ROLLING or ANY_DEPLOY, why)``."""
    fields = _fields(record)
    return lambda check: Rule(check=check, scope=FILE, **fields)


def project_rule(**record: Any) -> Callable[[Callable[[ProjectIndex, Settings], Iterable[Flag]]], Rule]:
    """Declare a project rule, whose check reads the project index and gives each flag its file."""
    fields = _fields(record)
    return lambda check: Rule(check=check, scope=PROJECT, **fields)


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """``Rule``'s fields from a decorator's record: ``deploy=(model, why)`` is two of them, ``fix=(applicability,
    what)`` two more."""
    if "fix" in record:
        applicability, does = record["fix"]
        if applicability not in (SAFE, UNSAFE, SAFE_OR_UNSAFE) or not does.strip() or does.rstrip().endswith("."):
            raise ValueError(
                f"{record.get('code')}: fix=(applicability, what) takes {SAFE!r}, {UNSAFE!r} or {SAFE_OR_UNSAFE!r}"
                " and a clause without a final period"
            )
        record = {**record, "fix": applicability, "fix_does": does}
    if "deploy" not in record:
        return record
    model, why = record["deploy"]
    if model not in (ROLLING, ANY_DEPLOY) or not why.strip() or why.rstrip().endswith("."):
        raise ValueError(
            f"{record.get('code')}: deploy=(model, why) takes {ROLLING!r} or {ANY_DEPLOY!r} and a clause without"
            " a final period"
        )
    return {**record, "deploy": model, "deploy_why": why}

"""The ``django-migrations-lint`` command: every rule over a whole tree at once, and the migration graph.

``check`` prints what flake8 would print for the same files (same ``noqa``, ``--select`` and ``--ignore``
semantics, off-by-default rules off unless selected), so switching between the two never changes a result. The
formats it prints them in (text, JSON, SARIF, GitHub workflow commands) are in ``output/``.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import os
import re
import sys
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, NoReturn, TextIO


import flake8_django_migrations
from flake8_django_migrations.baseline import BaselineError, read_baseline, write_baseline
from flake8_django_migrations.docs import render_rule
from flake8_django_migrations.facts import MigrationFacts, is_migration_path
from flake8_django_migrations.files import MAX_SOURCE_BYTES, read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.github import write_github
from flake8_django_migrations.output.json import graph_as_json, write_json
from flake8_django_migrations.output.report import PROG, UNREADABLE, ProjectPass, Report, display_path
from flake8_django_migrations.output.sarif import write_sarif
from flake8_django_migrations.output.text import describe_settings, write_text
from flake8_django_migrations.project.cache import FactsCache
from flake8_django_migrations.project.discover import discover, find_project_root
from flake8_django_migrations.project.django_settings import settings_for_project
from flake8_django_migrations.project.findings_cache import cached_project_findings
from flake8_django_migrations.project.history import NewOnly
from flake8_django_migrations.project.index import build_index, load_all_facts, run_project_rules
from flake8_django_migrations.registry import OFF_BY_DEFAULT, PREFIX, PROJECT_RULES, RULES, check_facts
from flake8_django_migrations.source import SYNTAX_ERROR, decode_source, syntax_error_finding
from flake8_django_migrations.settings import (
    DATABASES,
    Settings,
    SettingsError,
    build_settings,
    configured_options,
    is_true,
)

__all__ = ["main"]

EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2

# flake8's own definitions (flake8.defaults), repeated because they are not flake8's public API.
FLAKE8_EXCLUDE: Final = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg")
NOQA_INLINE_REGEXP: Final = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
# The formats of ``check``; each writes a finished run (output/).
CHECK_FORMATS: Final[dict[str, Callable[[Report, TextIO], None]]] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}
VALID_CODE_PREFIX: Final = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$", re.ASCII)
_LIST_SEPARATOR: Final = re.compile(r"[,\s]")


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.explain is not None:
            out.write(_explain(args.explain, parser))
            return EXIT_CLEAN
        if args.command is None:
            parser.error("a command is required: check or graph (or --explain CODE)")
        settings = _settings(args, parser)
        select = _codes(args.select, parser, "--select") if args.select is not None else None
        ignore = _codes(args.ignore, parser, "--ignore") if args.ignore is not None else None
        decide = _Decision(select, ignore)
        if args.command == "check":
            status = _check(
                args.paths or ["."], args.format, settings, decide, parser, out, args.verbose, args.write_baseline
            )
            return EXIT_CLEAN if args.exit_zero else status
        focus = _Focus(tuple(args.graph_apps), args.around, args.depth)
        return _graph(args.path or ".", settings, decide, parser, out, args.format, focus)
    except SystemExit as exit_:
        # argparse exits on --help (0) and on usage errors (2); report rather than end an in-process caller.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


# Arguments -------------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Lint Django migration files and the migration graph.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {flake8_django_migrations.__version__}")
    parser.add_argument("--explain", metavar="CODE", help="print the documentation of a rule (DJM402, or its name)")
    # Not required by argparse, so that --explain needs none; main() asks for one otherwise.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser("check", help="run every rule over the migrations below the paths")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the current folder)")
    check.add_argument("--format", choices=tuple(CHECK_FORMATS), default="text",
                       help="text: flake8's lines; json: docs/json-output.md; sarif: SARIF 2.1.0 for code scanning;"
                       " github: workflow commands that annotate a pull request")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit with status 0 even when there are findings (usage errors still exit 2)")
    check.add_argument("--write-baseline", metavar="FILE",
                       help="write every finding to FILE (a baseline for --djm-baseline) and exit 0")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="say on standard error which Django settings were read, from where, and what is unknown")
    graph = commands.add_parser("graph", help="print the migration graph Django would build, as JSON")
    graph.add_argument("path", nargs="?", metavar="PATH", help="a file or folder of the project (default: .)")
    graph.add_argument("--format", choices=("json", "dot", "mermaid", "html"), default="json",
                       help="json (data), dot (Graphviz), mermaid (renders in GitHub markdown), html (an offline page)")
    graph.add_argument("--app", dest="graph_apps", action="append", default=[], metavar="LABEL",
                       help="draw only these apps and the migrations of other apps they touch (repeatable)")
    graph.add_argument("--around", metavar="APP.MIGRATION",
                       help="draw one migration with its ancestors and descendants within --depth steps")
    graph.add_argument("--depth", type=int, default=2, metavar="N", help="steps around --around (default: 2)")
    for command in (check, graph):
        _add_common_options(command)
    return parser


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--select", action="append", metavar="CODES", help="comma-separated code prefixes to report")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="comma-separated code prefixes to skip")
    # The same names as the flake8 options, so that a README line works for both.
    parser.add_argument("--djm-project-root", "--project-root", dest="project_root", metavar="PATH")
    parser.add_argument("--djm-app-label", "--app-label", dest="app_labels", action="append", default=[],
                        metavar="PATH=LABEL", help="the app label of the app folder PATH")
    parser.add_argument("--djm-migration-modules", "--migration-modules", dest="migration_modules", action="append",
                        default=[], metavar="LABEL=MODULE", help="Django's MIGRATION_MODULES entry for LABEL")
    parser.add_argument("--djm-swappable", "--swappable", dest="swappable", action="append", default=[],
                        metavar="SETTING=APP.MODEL", help="e.g. AUTH_USER_MODEL=accounts.User")
    parser.add_argument("--djm-database", "--database", dest="database", choices=DATABASES, default=None)
    parser.add_argument("--djm-settings", "--settings", dest="settings_module", metavar="MODULE",
                        help="the Django settings module (dotted, or a .py path), read without importing it;"
                        " 'none' to read no settings (default: DJANGO_SETTINGS_MODULE, manage.py, pytest-django)")
    parser.add_argument("--exclude", action="append", metavar="PATTERNS", help="comma-separated glob patterns")
    parser.add_argument("--djm-base", "--base", dest="base", metavar="REF",
                        help="the git revision that is deployed (origin/main, a tag): DJM5xx compare with it")
    parser.add_argument("--djm-new-only", "--new-only", dest="new_only", action="store_true",
                        help="with --djm-base, report only findings about migrations added or changed since it")
    parser.add_argument("--djm-baseline", "--baseline", dest="baseline", metavar="FILE",
                        help="a baseline file: its findings are not reported (stale entries are counted)")
    parser.add_argument("--djm-cache-dir", "--cache-dir", dest="cache_dir", metavar="PATH")
    parser.add_argument(
        "--djm-no-cache", "--no-cache", dest="no_cache", action="store_true",
        help="parse every file, neither read nor write the cache",
    )


def _explain(code_or_name: str, parser: argparse.ArgumentParser) -> str:
    """``--explain DJM402`` (or ``--explain delete-before-readers``): the rule's page, as docs/rules/ has it."""
    wanted = code_or_name.strip()
    rule = RULES.get(wanted.upper()) or next((rule for rule in RULES.values() if rule.name == wanted.lower()), None)
    if rule is None:
        parser.error(f"--explain: {code_or_name!r} is not a rule of {PROG}; its rules are {', '.join(RULES)}")
    return render_rule(rule)


def _usage_error(message: str) -> NoReturn:
    """A value that makes no sense: one line on standard error and exit status 2, as argparse and flake8 do."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def _comma_list(values: Iterable[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _codes(values: Iterable[str], parser: argparse.ArgumentParser, option: str) -> tuple[str, ...]:
    codes = tuple(_comma_list(values))
    for code in codes:
        if not VALID_CODE_PREFIX.match(code):
            parser.error(f"{option}: {code!r} is not a code or code prefix such as {PREFIX}3 or {PREFIX}302")
    return codes


def _settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    exclude = _comma_list(args.exclude) if args.exclude is not None else list(FLAKE8_EXCLUDE)
    # As flake8 does: a pattern with a slash is a path, relative to where the command runs.
    exclude = [os.path.abspath(pattern) if "/" in pattern else pattern for pattern in exclude]
    # flake8's configuration gives the defaults; the command line adds to lists and overrides the rest.
    config = configured_options(os.getcwd())

    def first(key: str) -> str | None:
        return next(iter(config.get(key, [])), None)

    try:
        return build_settings(
            database=args.database or first("djm-database"),
            project_root=args.project_root or first("djm-project-root"),
            app_labels=[*config.get("djm-app-label", []), *args.app_labels],
            migration_modules=[*config.get("djm-migration-modules", []), *args.migration_modules],
            swappable=[*config.get("djm-swappable", []), *args.swappable],
            exclude=exclude,
            cache_dir=args.cache_dir or first("djm-cache-dir"),
            use_cache=not (args.no_cache or is_true(first("djm-no-cache"))),
            settings_module=args.settings_module or first("djm-settings"),
            base=args.base or first("djm-base"),
            new_only=args.new_only or is_true(first("djm-new-only")),
            baseline=args.baseline or first("djm-baseline"),
        )
    except SettingsError as error:
        _usage_error(str(error))


# Selection and noqa, as flake8 decides them --------------------------------------------------------------------


class _Decision:
    """flake8's ``DecisionEngine`` for our codes: longest matching prefix wins; off-by-default codes stay off
    unless a ``--select`` prefix names them or an explicit ``--ignore`` replaces the default ignore list."""

    __slots__ = ("select", "ignore", "_cache")

    def __init__(self, select: tuple[str, ...] | None, ignore: tuple[str, ...] | None) -> None:
        self.select = select
        self.ignore = ignore
        self._cache: dict[str, bool] = {}

    def __call__(self, code: str) -> bool:
        decision = self._cache.get(code)
        if decision is None:
            decision = self._cache[code] = self._decide(code)
        return decision

    def _decide(self, code: str) -> bool:
        explicit_select = _longest_prefix(code, self.select or ())
        explicit_ignore = _longest_prefix(code, self.ignore or ())
        # flake8's default selection reports its E999 and E902 (a file that does not parse or cannot be read).
        default = (PREFIX, SYNTAX_ERROR, UNREADABLE)
        implicit_select = _longest_prefix(code, self.select if self.select is not None else default)
        # flake8's default ignore list, which holds our off-by-default codes, is replaced by an explicit --ignore.
        implicit_ignore = _longest_prefix(code, OFF_BY_DEFAULT) if self.ignore is None else ""
        if explicit_select and not explicit_ignore:
            return True
        if explicit_ignore and not explicit_select:
            return False
        if explicit_select and explicit_ignore:
            return len(explicit_select) > len(explicit_ignore)
        if not implicit_select:
            return False
        return not implicit_ignore


def _longest_prefix(code: str, prefixes: Iterable[str]) -> str:
    return max((prefix for prefix in prefixes if code.startswith(prefix)), key=len, default="")


class _NoqaLines:
    """The text to search for ``# noqa`` for each line, as flake8 has it: the line itself, or all the lines of a
    multi-line token (a triple-quoted string) for each line it spans."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[list[str], dict[int, str]]] = {}

    def ignores(self, finding: Finding) -> bool:
        lines, logical = self._read(finding.path)
        text = logical.get(finding.line)
        if text is None:
            text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        match = NOQA_INLINE_REGEXP.search(text)
        if match is None:
            return False
        codes = match.group("codes")
        if codes is None:
            return True
        listed = tuple(item for item in _LIST_SEPARATOR.split(codes) if item)
        return finding.code in listed or finding.code.startswith(listed)

    def _read(self, path: str) -> tuple[list[str], dict[int, str]]:
        if path not in self._files:
            self._files[path] = _logical_lines(path)
        return self._files[path]


def _logical_lines(path: str) -> tuple[list[str], dict[int, str]]:
    data = read_regular_file(path)
    if data is None:
        return [], {}
    source = decode_source(data)
    lines = io.StringIO(source).readlines()  # only "\n" ends a line, as for the tokenizer (not "\x0c", "\u2028")
    if "noqa" not in source.lower():
        return lines, {}  # nothing to find: most files with findings, and tokenizing them is most of the cost
    mapping: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first, last = min(first, token.start[0]), max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1:last])
                mapping.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return lines, {}
    return lines, mapping


def _report(findings: Iterable[Finding], decide: _Decision) -> list[Finding]:
    noqa = _NoqaLines()
    unique = {finding for finding in findings if decide(finding.code)}
    return sorted((finding for finding in unique if not noqa.ignores(finding)), key=lambda f: f.sort_key)


# Commands --------------------------------------------------------------------------------------------------------


def _check(
    paths: Sequence[str],
    output_format: str,
    settings: Settings,
    decide: _Decision,
    parser: argparse.ArgumentParser,
    out: TextIO,
    verbose: bool = False,
    write_baseline_to: str | None = None,
) -> int:
    baseline = None
    if settings.baseline is not None and write_baseline_to is None:
        try:
            baseline = read_baseline(settings.baseline)
        except BaselineError as error:
            _usage_error(str(error))
    targets = [os.path.abspath(path) for path in paths]
    for path, target in zip(paths, targets):
        if not os.path.exists(target):
            _usage_error(f"{path}: no such file or folder")
        if settings.project_root and not _is_below(target, [os.path.abspath(settings.project_root)]):
            # Its migrations would be outside the project pass: a run that checks nothing must not say "clean".
            _usage_error(f"{path} is not inside --djm-project-root {settings.project_root}")
    by_root: dict[str, list[str]] = {}
    for target in targets:
        by_root.setdefault(find_project_root(target, settings), []).append(target)
    cache = FactsCache(settings.cache_dir, settings.use_cache)
    found: list[Finding] = []
    projects: list[ProjectPass] = []
    options = settings
    for root, group in by_root.items():
        settings = settings_for_project(options, root)
        # Not through the per-process cache that serves flake8: a command reads the files as they are now, also
        # when it runs twice in one process. The disk cache is keyed by every file's stat, so it is never stale.
        discovery = discover(root, settings)
        projects.append(ProjectPass(root, settings, discovery))
        if verbose:
            describe_settings(projects[-1], sys.stderr)
        project, index = cached_project_findings(root, settings, cache, discovery, PROJECT_RULES)
        facts_by_path = index.facts_by_path() if index is not None else load_all_facts(discovery, cache)
        checked: set[str] = set()
        for path, facts in facts_by_path.items():
            if _is_below(path, group):
                checked.add(path)
                found.extend(_file_findings(facts, settings))
        # The folders of a label two of them claim are left out of the graph, not out of the per-file rules.
        for app in discovery.left_out:
            for path, left_out in cache.facts_for_files(app.files, complete=True, app_label=app.label).items():
                if left_out is not None and _is_below(path, group):
                    checked.add(path)
                    found.extend(_file_findings(left_out, settings))
        # A migration whose facts could not be read is said so, as flake8 says so, never passed over in silence.
        for app in (*discovery.apps.values(), *discovery.left_out):
            for path in app.files:
                if path not in checked and _is_below(path, group):
                    checked.add(path)
                    found.extend(_unreadable(path))
        # A path named on the command line is checked even where discovery does not look (flake8 does too): a
        # file outside a migrations package, or a folder reached through a symbolic link.
        for path in (path for target in group for path in _named_files(target, settings.exclude)):
            if path not in checked:
                checked.add(path)
                explicit = cache.facts_for(path)
                found.extend(_file_findings(explicit, settings) if explicit is not None else _unreadable(path))
        found.extend(finding for finding in project if _is_below(finding.path, group))
        if settings.new_only and settings.base_commit is not None:
            since = NewOnly.since(settings.base_commit, discovery)
            found = [f for f in found if not _is_below(f.path, group) or since.keeps(f.path, f.message)]
    reported = _report(found, decide)
    if write_baseline_to is not None:
        written = write_baseline(write_baseline_to, reported)
        sys.stderr.write(f"{PROG}: wrote {written} baseline entries ({len(reported)} findings) to"
                         f" {write_baseline_to}\n")
        return EXIT_CLEAN
    stale_entries = 0
    if baseline is not None:
        reported, stale = baseline.new_findings(reported)
        stale_entries = sum(stale.values())
        if stale:
            sys.stderr.write(
                f"{PROG}: {stale_entries} finding(s) of the baseline {settings.baseline} no longer occur;"
                " write it again to drop them\n"
            )
    CHECK_FORMATS[output_format](Report(tuple(reported), tuple(projects), options, stale_entries), out)
    return EXIT_FINDINGS if reported else EXIT_CLEAN


def _named_files(target: str, exclude: Sequence[str]) -> Iterator[str]:
    """The Python files flake8 would check for a path named on the command line, when discovery may not have seen
    them: the file itself, or the migration modules below a folder whose path runs through a symbolic link."""
    if os.path.isfile(target):
        if target.endswith(".py"):
            yield target
        return
    if os.path.realpath(target) == target:
        return  # discovery walked it
    for folder, subfolders, files in os.walk(target):
        subfolders[:] = sorted(
            name for name in subfolders
            if not any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(os.path.join(folder, name), p) for p in exclude)
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if is_migration_path(path):
                yield path


def _unreadable(path: str) -> list[Finding]:
    """flake8's E999 for a file that does not parse, or its E902 for one that cannot be read."""
    data = read_regular_file(path)
    if data is None:
        limit = MAX_SOURCE_BYTES // (1 << 20)
        reason = f"OSError: {display_path(path)} is not a readable regular file of at most {limit} MiB"
        return [Finding(path, 1, 0, UNREADABLE, reason, "")]
    error = syntax_error_finding(path, data)
    return [error] if error is not None else []


def _file_findings(facts: MigrationFacts, settings: Settings) -> Iterable[Finding]:
    for finding in check_facts(facts, settings):
        path = os.path.abspath(finding.path)
        yield finding if path == finding.path else _with_path(finding, path)


def _with_path(finding: Finding, path: str) -> Finding:
    return Finding(path, finding.line, finding.col, finding.code, finding.message, finding.hint)


@dataclass(frozen=True)
class _Focus:
    """What part of the graph a picture shows (``graph --app``, ``--around``, ``--depth``)."""

    apps: tuple[str, ...] = ()
    around: str | None = None
    depth: int = 2


def _graph(
    path: str, settings: Settings, decide: _Decision, parser: argparse.ArgumentParser, out: TextIO,
    output_format: str = "json", focus: _Focus = _Focus(),
) -> int:
    target = os.path.abspath(path)
    if not os.path.exists(target):
        _usage_error(f"{path}: no such file or folder")
    root = find_project_root(target, settings)
    index = build_index(root, settings)
    errors = _report(run_project_rules(index, PROJECT_RULES, settings), decide)
    if output_format == "json":
        if focus.apps or focus.around:
            _usage_error("--app and --around draw a picture: use them with --format dot, mermaid or html")
        json.dump(graph_as_json(index, errors), out, indent=2)
        out.write("\n")
        return EXIT_CLEAN
    from flake8_django_migrations.output.graph_dot import render_dot
    from flake8_django_migrations.output.graph_html import render_html
    from flake8_django_migrations.output.graph_mermaid import render_mermaid
    from flake8_django_migrations.output.graph_view import FocusError, build_view

    if focus.depth < 0:
        _usage_error(f"--depth must be 0 or more, not {focus.depth}")
    try:
        view = build_view(index, errors, apps=focus.apps, around=focus.around, depth=focus.depth)
    except FocusError as error:
        _usage_error(str(error))
    if output_format == "html":
        out.write(render_html(view, title=f"Migrations of {os.path.basename(root) or root}"))
    else:
        out.write(render_dot(view) if output_format == "dot" else render_mermaid(view))
    return EXIT_CLEAN


def _is_below(path: str, targets: Iterable[str]) -> bool:
    return any(path == target or path.startswith(target.rstrip(os.sep) + os.sep) for target in targets)

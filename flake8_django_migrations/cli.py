"""The ``django-migrations-lint`` command: every rule over a whole tree at once, and the migration graph.

``check`` prints what flake8 would print for the same files and configuration, so switching between the two (or
to the pre-commit hook, which runs ``check``) never changes a result. flake8's own machinery reads the
configuration (its config files, found as flake8 finds them, ``--config``, ``--isolated``, and this plugin's
``djm-*`` options), picks the files (``exclude``, ``extend-exclude``, ``filename``) and decides each finding
(``select``, ``ignore``, their ``extend-*`` forms, the plugins' default ignore, ``per-file-ignores``, ``noqa``). The
formats it prints them in (text, JSON, SARIF, GitHub workflow commands) are in ``output/``.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import fnmatch
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn, TextIO


import flake8_django_migrations
from flake8_django_migrations.baseline import BaselineError, read_baseline, write_baseline
from flake8_django_migrations.facts import MigrationFacts, is_migration_module_name
from flake8_django_migrations.files import MAX_SOURCE_BYTES, read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.github import write_github
from flake8_django_migrations.output.json import graph_as_json, write_json
from flake8_django_migrations.output.report import PROG, UNREADABLE, ProjectPass, Report, display_path
from flake8_django_migrations.output.sarif import write_sarif
from flake8_django_migrations.output.text import describe_settings, write_text
from flake8_django_migrations.project.cache import FactsCache, available_cores
from flake8_django_migrations.project.discover import Discovery, discover, find_project_root
from flake8_django_migrations.project.django_settings import settings_for_project
from flake8_django_migrations.project.findings_cache import (
    cached_project_findings,
    file_findings_key,
    project_fingerprint,
    selected_rules,
)
from flake8_django_migrations.registry import PREFIX, PROJECT_RULES, RULES, check_facts
from flake8_django_migrations.settings import DATABASES, Settings
from flake8_django_migrations.source import decode_source, syntax_error_finding

__all__ = ["main"]

EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2

# The formats of ``check``; each writes a finished run (output/).
CHECK_FORMATS: Final[dict[str, Callable[[Report, TextIO], None]]] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
}
# flake8 checks the codes of ``ignore`` in its config files only; the command checks those it is given too, so that
# a lower-case `--select djm3`, which would select nothing, is a usage error.
VALID_CODE_PREFIX: Final = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$", re.ASCII)
# The command's options that are flake8's (this plugin's included), by their `dest`, with the flake8 option each is
# handed to: flake8 merges them with its config files and gives them their meaning.
FLAKE8_OPTIONS: Final = (
    ("config", "--config"),
    ("append_config", "--append-config"),
    ("isolated", "--isolated"),
    ("select", "--select"),
    ("ignore", "--ignore"),
    ("extend_select", "--extend-select"),
    ("extend_ignore", "--extend-ignore"),
    ("per_file_ignores", "--per-file-ignores"),
    ("exclude", "--exclude"),
    ("extend_exclude", "--extend-exclude"),
    ("disable_noqa", "--disable-noqa"),
    ("database", "--djm-database"),
    ("settings_module", "--djm-settings"),
    ("project_root", "--djm-project-root"),
    ("app_labels", "--djm-app-label"),
    ("migration_modules", "--djm-migration-modules"),
    ("swappable", "--djm-swappable"),
    ("base", "--djm-base"),
    ("new_only", "--djm-new-only"),
    ("baseline", "--djm-baseline"),
    ("cache_dir", "--djm-cache-dir"),
    ("no_cache", "--djm-no-cache"),
)


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
        for dest in ("select", "ignore", "extend_select", "extend_ignore"):
            _check_codes(getattr(args, dest) or (), parser, "--" + dest.replace("_", "-"))
        options, settings = _flake8_configuration(_flake8_argv(args))
        verdict = _Verdict(options)
        if args.command == "check":
            status = _check(
                args.paths or ["."], args.format, settings, options, verdict, out, args.verbose, args.write_baseline
            )
            return EXIT_CLEAN if args.exit_zero else status
        focus = _Focus(tuple(args.graph_apps), args.around, args.depth)
        return _graph(args.path or ".", settings, verdict, out, args.format, focus)
    except SystemExit as exit_:
        # argparse exits on --help (0) and on usage errors (2); report rather than end an in-process caller.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`check ... | head`): no traceback, and none again when Python flushes stdout.
        if stdout is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS


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
    # flake8's options, handed to flake8 (FLAKE8_OPTIONS): they mean what they mean there. A repeated list option
    # adds to the list.
    flake8 = parser.add_argument_group("flake8's options (merged with flake8's configuration files, as in flake8)")
    flake8.add_argument("--config", metavar="FILE", help="read flake8's configuration from FILE only")
    flake8.add_argument("--append-config", action="append", default=[], metavar="FILE",
                        help="read FILE after flake8's configuration (repeatable)")
    flake8.add_argument("--isolated", action="store_true", help="read no configuration file")
    flake8.add_argument("--select", action="append", metavar="CODES", help="comma-separated code prefixes to report")
    flake8.add_argument("--ignore", action="append", metavar="CODES", help="comma-separated code prefixes to skip")
    flake8.add_argument("--extend-select", action="append", metavar="CODES",
                        help="code prefixes to report in addition (DJM902 turns on an off-by-default rule)")
    flake8.add_argument("--extend-ignore", action="append", metavar="CODES", help="code prefixes to skip in addition")
    flake8.add_argument("--per-file-ignores", metavar="PATTERN:CODES",
                        help="code prefixes to skip in the files matching each pattern, as in flake8")
    flake8.add_argument("--exclude", action="append", metavar="PATTERNS",
                        help="comma-separated glob patterns of files and folders not to check")
    flake8.add_argument("--extend-exclude", action="append", metavar="PATTERNS",
                        help="glob patterns not to check, in addition to --exclude")
    flake8.add_argument("--disable-noqa", action="store_true", help="report findings on lines with # noqa too")
    # This plugin's options, under the names flake8 gives them, so that a README line works for both.
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
    from flake8_django_migrations.docs import render_rule

    return render_rule(rule)


def _usage_error(message: str) -> NoReturn:
    """A value that makes no sense: one line on standard error and exit status 2, as argparse and flake8 do."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def _comma_list(values: Iterable[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _check_codes(values: Iterable[str], parser: argparse.ArgumentParser, option: str) -> None:
    for code in _comma_list(values):
        if not VALID_CODE_PREFIX.match(code):
            parser.error(f"{option}: {code!r} is not a code or code prefix such as {PREFIX}3 or {PREFIX}302")


def _flake8_argv(args: argparse.Namespace) -> list[str]:
    """The command's flake8 options as flake8's command line: a list given several times is one list."""
    argv: list[str] = []
    for dest, option in FLAKE8_OPTIONS:
        value = getattr(args, dest)
        if value is True:
            argv.append(option)
        elif option == "--append-config":
            argv.extend(f"{option}={path}" for path in value)
        elif isinstance(value, list) and value:
            argv.append(f"{option}={','.join(value)}")
        elif isinstance(value, str):
            argv.append(f"{option}={value}")
    return argv


def _flake8_configuration(argv: list[str]) -> tuple[argparse.Namespace, Settings]:
    """flake8's options for ``argv``, read by flake8 itself (``flake8.options.parse_args``: its configuration files
    found from the current folder or named by ``--config``, ``--append-config`` and ``--isolated``, every installed
    plugin's options), and the settings this plugin built from them when flake8 handed them over."""
    # flake8 loads its plugins to know their options: only a command that checks something pays for it.
    from flake8.exceptions import Flake8Exception  # type: ignore[import-untyped]
    from flake8.options.parse_args import parse_args  # type: ignore[import-untyped]

    from flake8_django_migrations.plugin import MigrationChecker

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            _, options = parse_args(argv)
    except (Flake8Exception, ValueError, configparser.Error, OSError, UnicodeError) as error:
        # flake8 stops too: a configuration file that is missing or malformed, an ignore code it refuses.
        _usage_error(f"flake8's configuration: {error}")
    except SystemExit:
        # A value this plugin refuses (or flake8's parser does) is the command's usage error: say it in its name.
        sys.stderr.write(re.sub(r"^flake8: ", f"{PROG}: ", errors.getvalue(), flags=re.MULTILINE))
        raise
    sys.stderr.write(errors.getvalue())
    if not hasattr(options, "djm_database"):
        _usage_error(f"flake8 does not find this plugin: install {PROG} where flake8 is installed")
    assert isinstance(options, argparse.Namespace)
    return options, MigrationChecker.settings


# Which files, which findings: as flake8 decides ---------------------------------------------------------------------


def _linted_files(paths: Sequence[str], options: argparse.Namespace) -> frozenset[str]:
    """The files flake8 checks for ``paths`` (as written: a pattern is matched against the base name, and ``.`` has
    none), absolute: flake8's ``discover_files.expand_paths`` with its ``exclude``, ``extend-exclude`` and
    ``filename`` patterns. Unlike discovery, flake8 enters hidden, build, dist and node_modules folders and
    virtualenvs unless they are excluded. The same walk and tests as flake8's, with each list of patterns compiled
    once: flake8 matches every file against every pattern one by one, a tenth of a second per 5,000 files."""
    excluded = _matcher((*options.exclude, *options.extend_exclude))
    included = _matcher(options.filename)

    def is_excluded(path: str, absolute: str) -> bool:  # flake8's utils.matches_filename
        if excluded is None:
            return False
        name = os.path.basename(path)
        return (name not in (".", "..") and excluded(name)) or excluded(absolute)

    found: set[str] = set()
    for given in paths:
        if is_excluded(given, os.path.abspath(given)):
            continue
        if not os.path.isdir(given):
            found.add(os.path.abspath(given))  # a file named on the command line is checked whatever its name
            continue
        for folder, subfolders, files in os.walk(given):
            # os.path.abspath once per folder: a name from a listing is never "." or "..".
            absolute = os.path.abspath(folder)
            subfolders[:] = [
                name for name in subfolders
                if not is_excluded(os.path.join(folder, name), os.path.join(absolute, name))
            ]
            for name in files:
                path = os.path.join(absolute, name)
                if not is_excluded(name, path) and (included is None or included(os.path.join(folder, name))):
                    found.add(path)
    return frozenset(found)


def _matcher(patterns: Sequence[str]) -> Callable[[str], bool] | None:
    """flake8's ``utils.fnmatch`` for a list of patterns (any one matches, after ``normcase``) as one regular
    expression; None for no patterns."""
    if not patterns:
        return None
    regex = re.compile("|".join(f"(?:{fnmatch.translate(os.path.normcase(pattern))})" for pattern in patterns))
    return lambda name: regex.match(os.path.normcase(name)) is not None


class _Verdict:
    """Whether flake8 would report a finding, decided by flake8's own ``StyleGuideManager`` (``select``,
    ``ignore``, their ``extend-*`` forms, the plugins' default ignore, ``per-file-ignores``) and its ``noqa``
    handling (the line, or all the lines of a multi-line string, as its ``FileProcessor`` gives them; a file with a
    ``# flake8: noqa`` line reports nothing)."""

    __slots__ = ("_options", "_guides", "_noqa_lines")

    def __init__(self, options: argparse.Namespace) -> None:
        from flake8.style_guide import StyleGuideManager  # type: ignore[import-untyped]

        self._options = options
        self._guides: Any = StyleGuideManager(options, _Unshown())
        self._noqa_lines: dict[str, Callable[[int], str] | None] = {}

    def reported(self, findings: Iterable[Finding]) -> list[Finding]:
        return sorted((finding for finding in set(findings) if self._reports(finding)), key=lambda f: f.sort_key)

    def _reports(self, finding: Finding) -> bool:
        from flake8.style_guide import Decision

        guide = self._guides.style_guide_for(finding.path)
        if guide.should_report_error(finding.code) is not Decision.Selected:
            return False  # decided without reading the file
        if finding.path not in self._noqa_lines:
            self._noqa_lines[finding.path] = _noqa_lines(finding.path, self._options)
        noqa_line = self._noqa_lines[finding.path]
        if noqa_line is None:
            return False
        physical_line = noqa_line(finding.line)
        return bool(guide.handle_error(
            finding.code, finding.path, finding.line, finding.col, finding.text, physical_line
        ))


class _Unshown:
    """The formatter flake8's style guide hands each reported finding to: the command writes its own formats."""

    def handle(self, error: object) -> None:
        pass


def _noqa_lines(path: str, options: argparse.Namespace) -> Callable[[int], str] | None:
    """For each line number, the text flake8 searches for ``# noqa``; None when flake8 skips the whole file."""
    data = read_regular_file(path)
    if data is None:
        return lambda line: ""  # flake8's E902: there is no line to read
    source = decode_source(data)
    if "noqa" not in source.lower():
        return lambda line: ""  # nothing to find: most files with findings, and tokenizing them is most of the cost
    from flake8.processor import FileProcessor  # type: ignore[import-untyped]

    lines = io.StringIO(source).readlines()  # only "\n" ends a line, as for the tokenizer (not "\x0c", "\u2028")
    processor = FileProcessor(path, options, lines=list(lines))
    if processor.should_ignore_file():
        return None

    def noqa_line(number: int) -> str:
        # Where the tokenizer gives no line (it fails on the file), flake8 reads the physical line.
        found = processor.noqa_line_for(number)
        if isinstance(found, str):
            return found
        return lines[number - 1] if 0 < number <= len(lines) else ""

    return noqa_line


# Commands --------------------------------------------------------------------------------------------------------


def _check(
    paths: Sequence[str],
    output_format: str,
    settings: Settings,
    options: argparse.Namespace,
    verdict: _Verdict,
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
    for path in paths:
        target = os.path.abspath(path)
        if not os.path.exists(target):
            _usage_error(f"{path}: no such file or folder")
        if settings.project_root and not _is_below(target, [os.path.abspath(settings.project_root)]):
            # Its migrations would be outside the project pass: a run that checks nothing must not say "clean".
            _usage_error(f"{path} is not inside --djm-project-root {settings.project_root}")
    by_root: dict[str, list[str]] = {}  # the paths as written, which flake8's exclude patterns are matched against
    for path in paths:
        by_root.setdefault(find_project_root(os.path.abspath(path), settings), []).append(path)
    cache = FactsCache(settings.cache_dir, settings.use_cache)
    found: list[Finding] = []
    projects: list[ProjectPass] = []
    given = settings
    packages: dict[str, bool] = {}
    unanalysed_sql = False
    for root, group in by_root.items():
        settings = settings_for_project(given, root)
        # Not through the per-process cache that serves flake8: a command reads the files as they are now, also
        # when it runs twice in one process. The disk cache is keyed by every file's stat, so it is never stale.
        discovery = discover(root, settings)
        projects.append(ProjectPass(root, settings, discovery))
        if verbose:
            describe_settings(projects[-1], sys.stderr)
        # What is reported is what flake8 reports: findings in the files it checks, whichever pass found them.
        linted = _linted_files(group, options)
        rules = selected_rules(PROJECT_RULES, settings)
        fingerprint = project_fingerprint(discovery, settings, rules)
        checked: set[str] = set()
        per_file, has_sql = _per_file_findings(discovery, settings, cache, fingerprint)
        unanalysed_sql = unanalysed_sql or (bool(has_sql) and settings.is_postgresql)
        for path, file_findings in per_file.items():
            if path in linted:
                checked.add(path)
                # A migration whose facts could not be read is said so, as flake8 does, never passed over.
                found.extend(file_findings if file_findings is not None else _unreadable(path))
        project, _ = cached_project_findings(root, settings, cache, discovery, rules, fingerprint, available_cores())
        # flake8 also checks migrations where discovery does not look (hidden, build, dist and node_modules
        # folders, virtualenvs, folders reached through a symbolic link): the plugin gives them the per-file
        # findings. A Python file named on the command line is read even outside a migrations package.
        named = {os.path.abspath(path) for path in group if path.endswith(".py") and os.path.isfile(path)}
        for path in sorted(linted - checked):
            folder = os.path.dirname(path)
            if folder not in packages:
                packages[folder] = _is_migrations_package(folder)
            if packages[folder] and is_migration_module_name(os.path.basename(path)):
                loaded = cache.facts_for(path)
                found.extend(_file_findings(loaded, settings) if loaded is not None else _unreadable(path))
            elif path in named:
                found.extend(_unreadable(path))
        found.extend(finding for finding in project if finding.path in linted)
        if settings.new_only and settings.base_commit is not None:
            from flake8_django_migrations.project.history import NewOnly  # git: only with djm-new-only

            since = NewOnly.since(settings.base_commit, discovery)
            found = [f for f in found if f.path not in linted or since.keeps(f.path, f.message)]
    reported = verdict.reported(found)
    if unanalysed_sql:
        from flake8_django_migrations.facts.sql import SQL_NOT_ANALYSED, sql_parser_available

        if not sql_parser_available():
            sys.stderr.write(f"{PROG}: {SQL_NOT_ANALYSED}\n")  # once per run, and only where it matters
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
    CHECK_FORMATS[output_format](Report(tuple(reported), tuple(projects), given, stale_entries), out)
    return EXIT_FINDINGS if reported else EXIT_CLEAN


def _per_file_findings(
    discovery: Discovery, settings: Settings, cache: FactsCache, fingerprint: str
) -> tuple[dict[str, tuple[Finding, ...] | None], bool | None]:
    """The per-file findings of every migration discovery found (None for one whose facts could not be read),
    stored under the stat of every input: when nothing changed, a run reads them in one entry, without loading
    any facts. The folders of a label two of them claim are left out of the graph, not out of the per-file rules.
    Also whether any migration holds a ``RunSQL`` (None: not known), to say when its SQL was not analysed."""
    key = file_findings_key(fingerprint, discovery, settings)
    stored = cache.file_findings(key)
    apps = (*discovery.apps.values(), *discovery.left_out)
    if stored is not None:
        with_sql = cache.file_findings(key + "-runsql")
        # Those not stored: migrations whose facts read a models module, which can change without them.
        for app in apps:
            missing = [path for path in app.files if path not in stored]
            if missing:
                for path, facts in cache.facts_for_files(missing, app_label=app.label).items():
                    stored[path] = tuple(_file_findings(facts, settings)) if facts is not None else None
        return stored, (bool(with_sql) if with_sql is not None else None)
    # Every file's facts over all cores; the project pass that follows reads them from ``cache``.
    from flake8_django_migrations.project.index import load_all_facts  # the graph and the state: only now

    load_all_facts(discovery, cache, available_cores())
    found: dict[str, tuple[Finding, ...] | None] = {}
    sql_paths: dict[str, tuple[Finding, ...] | None] = {}  # stored in the findings' shape: path -> ()
    for app in apps:
        for path, facts in cache.facts_for_files(app.files, complete=True, app_label=app.label).items():
            found.setdefault(path, tuple(_file_findings(facts, settings)) if facts is not None else None)
            if facts is not None and any(op.kind == "RunSQL" for op in facts.operations):
                sql_paths[path] = ()
    cache.store_file_findings(key, {path: found[path] for path in found if path not in cache.read_other_files})
    cache.store_file_findings(key + "-runsql", sql_paths)
    return found, bool(sql_paths)


def _is_migrations_package(folder: str) -> bool:
    """A folder named ``migrations`` holding an ``__init__.py``: where the plugin checks a module as a migration
    when the project pass does not know the folder (as Django, it skips a folder without one)."""
    return os.path.basename(folder) == "migrations" and os.path.isfile(os.path.join(folder, "__init__.py"))


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
    path: str, settings: Settings, verdict: _Verdict, out: TextIO, output_format: str = "json",
    focus: _Focus = _Focus(),
) -> int:
    target = os.path.abspath(path)
    if not os.path.exists(target):
        _usage_error(f"{path}: no such file or folder")
    root = find_project_root(target, settings)
    from flake8_django_migrations.project.index import build_index, run_project_rules

    index = build_index(root, settings)
    errors = verdict.reported(run_project_rules(index, PROJECT_RULES, settings))
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

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
import hashlib
import io
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

import flake8_django_migrations
from flake8_django_migrations.configuration import Configuration, read_configuration
from flake8_django_migrations.files import MAX_SOURCE_BYTES, is_migration_module_name, read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.report import PROG, UNREADABLE, ProjectPass, Report, display_path
from flake8_django_migrations.project.cache import FactsCache, available_cores
from flake8_django_migrations.project.discover import Discovery, discover, find_project_root, pattern_matcher
from flake8_django_migrations.project.django_settings import settings_for_project
from flake8_django_migrations.project.findings_cache import (
    cached_project_findings,
    file_findings_key,
    project_fingerprint,
)
from flake8_django_migrations.settings import DATABASES, Settings
from flake8_django_migrations.source import decode_source, syntax_error_finding

if TYPE_CHECKING:
    from flake8_django_migrations.baseline import Baseline
    from flake8_django_migrations.facts import MigrationFacts

# What a run served from the cache does not need is imported where it is used: flake8's option machinery and its
# plugins (configuration.py), the rules and the facts (only for what changed), the formats other than text.

__all__ = ["main"]

EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2

# The formats of ``check``; each writes a finished run (output/).
CHECK_FORMATS: Final = ("text", "json", "sarif", "github")
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
        cache = FactsCache(args.cache_dir, not args.no_cache)
        configuration = _flake8_configuration(_flake8_argv(args), cache)
        settings = configuration.settings
        if (settings.cache_dir, settings.use_cache) != (args.cache_dir, not args.no_cache):
            cache = FactsCache(settings.cache_dir, settings.use_cache)  # a configuration file chose another
        baseline = _baseline(settings)
        if args.command == "check":
            status = _check(
                args.paths or ["."], args.format, configuration, cache, out, args.verbose, args.write_baseline, baseline
            )
            return EXIT_CLEAN if args.exit_zero else status
        focus = _Focus(tuple(args.graph_apps), args.around, args.depth)
        verdict = _Verdict(configuration.options)
        return _graph(args.path or ".", configuration.settings, verdict, out, args.format, focus)
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
    check.add_argument("--format", choices=CHECK_FORMATS, default="text",
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
    from flake8_django_migrations.registry import RULES

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
            from flake8_django_migrations.registry import PREFIX

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


def _flake8_configuration(argv: list[str], cache: FactsCache) -> Configuration:
    """flake8's options for ``argv``, read by flake8 itself (``flake8.options.parse_args``: its configuration files
    found from the current folder or named by ``--config``, ``--append-config`` and ``--isolated``, every installed
    plugin's options), and the settings this plugin built from them when flake8 handed them over; from ``cache``
    when nothing flake8 would read changed (configuration.py)."""
    return read_configuration(argv, cache, lambda: _read_flake8_configuration(argv))


def _read_flake8_configuration(argv: list[str]) -> tuple[argparse.Namespace, Settings, str]:
    """flake8's options, the plugin's settings, and what flake8 wrote on standard error while reading them."""
    import configparser
    import contextlib

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
    if not hasattr(options, "djm_database"):
        sys.stderr.write(errors.getvalue())
        _usage_error(f"flake8 does not find this plugin: install {PROG} where flake8 is installed")
    assert isinstance(options, argparse.Namespace)
    return options, MigrationChecker.settings, errors.getvalue()


def _baseline(settings: Settings) -> Baseline | None:
    """The ``djm-baseline`` file, read up front as the plugin does when flake8 hands it the options (a baseline
    that cannot be read is a usage error, whatever the command), also when the configuration came from the cache."""
    if settings.baseline is None:
        return None
    from flake8_django_migrations.baseline import BaselineError, read_baseline

    try:
        return read_baseline(settings.baseline)
    except BaselineError as error:
        _usage_error(str(error))


# Which files, which findings: as flake8 decides ---------------------------------------------------------------------


class _LintedFiles:
    """The files flake8 checks for ``paths`` (as written: a pattern is matched against the base name, and ``.`` has
    none), absolute: flake8's ``discover_files.expand_paths`` with its ``exclude``, ``extend-exclude`` and
    ``filename`` patterns. Unlike discovery, flake8 enters hidden, build, dist and node_modules folders and
    virtualenvs unless they are excluded. The same walk and tests as flake8's, with each list of patterns compiled
    once, and a file's own tests made only when it is asked about: flake8 matches every file against every pattern,
    a tenth of a second per 5,000 files, where the command needs the answer for the migrations alone."""

    __slots__ = ("_named", "_excluded", "_included", "_walked", "_migrations_folders", "_answers")

    def __init__(self, paths: Sequence[str], options: argparse.Namespace) -> None:
        self._excluded = pattern_matcher((*options.exclude, *options.extend_exclude))
        self._included = pattern_matcher(options.filename)
        self._named: set[str] = set()  # files named on the command line: checked whatever their name
        # Each folder the walk enters (absolute) -> the folder as written, once per path given that reaches it.
        self._walked: dict[str, list[str]] = {}
        # The files of the folders named `migrations`: the only ones with findings the project pass may not know.
        self._migrations_folders: dict[str, list[str]] = {}
        for given in paths:
            if self._is_excluded(given, os.path.abspath(given)):
                continue
            if not os.path.isdir(given):
                self._named.add(os.path.abspath(given))
                continue
            for folder, subfolders, files in os.walk(given):
                # os.path.abspath once per folder: a name from a listing is never "." or "..".
                absolute = os.path.abspath(folder)
                subfolders[:] = [
                    name for name in subfolders
                    if not self._is_excluded(os.path.join(folder, name), os.path.join(absolute, name))
                ]
                self._walked.setdefault(absolute, []).append(folder)
                if os.path.basename(absolute) == "migrations":
                    self._migrations_folders.setdefault(absolute, []).extend(files)
        self._answers: dict[str, bool] = {}

    def __contains__(self, path: object) -> bool:
        """Whether flake8 checks the file at ``path`` (absolute, normalised, and a file the walk lists when it is in a
        folder the walk enters: the migrations discovery found, and the files of their findings)."""
        if not isinstance(path, str):
            return False
        answer = self._answers.get(path)
        if answer is None:
            answer = self._answers[path] = self._checks(path)
        return answer

    def outside(self, known: Collection[str]) -> set[str]:
        """The files flake8 checks in folders named ``migrations`` and those named on the command line, less the
        ``known`` ones (absolute): where it finds migrations the project pass does not know."""
        found = {path for path in self._named if path not in known}
        for folder, names in self._migrations_folders.items():
            prefix = folder + os.sep if not folder.endswith(os.sep) else folder
            found.update(path for path in (prefix + name for name in names) if path not in known and path in self)
        return found

    def _checks(self, path: str) -> bool:
        if path in self._named:
            return True
        folder, name = os.path.split(path)
        written = self._walked.get(folder)
        if written is None:
            return False
        if self._is_excluded(path, path):
            return False
        return self._included is None or any(self._included(os.path.join(given, name)) for given in written)

    def _is_excluded(self, path: str, absolute: str) -> bool:  # flake8's utils.matches_filename
        if self._excluded is None:
            return False
        name = os.path.basename(path)
        return (name not in (".", "..") and self._excluded(name)) or self._excluded(absolute)


class _Verdict:
    """Whether flake8 would report a finding, decided by flake8's own ``StyleGuideManager`` (``select``,
    ``ignore``, their ``extend-*`` forms, the plugins' default ignore, ``per-file-ignores``) and its ``noqa``
    handling (the line, or all the lines of a multi-line string, as its ``FileProcessor`` gives them; a file with a
    ``# flake8: noqa`` line reports nothing).

    It depends on the options, the findings and the text of their files, nothing else. Given the ``configuration``
    (its ``identity`` stands for the options) it is stored with all three, under the configuration's ``key``, so that
    a run where nothing changed neither imports flake8's style guide nor reads a file for its ``noqa`` comments, and
    a run where something did replaces the entry."""

    __slots__ = ("_options", "_configuration", "_guides", "_noqa_lines")

    def __init__(self, options: argparse.Namespace, configuration: Configuration | None = None) -> None:
        self._options = options
        self._configuration = configuration
        self._guides: Any = None
        self._noqa_lines: dict[str, Callable[[int], str] | None] = {}

    def reported(
        self, findings: Iterable[Finding], cache: FactsCache | None = None, paths: Sequence[str] = (),
        stats: Collection[str] = (), stat_keys: Sequence[str] = (),
    ) -> list[Finding]:
        """The findings flake8 would report, sorted. With ``cache``, the verdict is kept there for the ``paths``
        checked: ``stat_keys`` are cache keys that already stand for the stat of the files in ``stats`` (the per-file
        findings keys, which stat every migration discovery found); the other files with findings are stat'ed
        here."""
        # Sorted on everything, so that what the verdict is stored with does not depend on the order of a set.
        ordered = sorted(set(findings), key=lambda finding: (finding.sort_key, finding.hint))
        configuration = self._configuration
        if (
            cache is None or not cache.enabled
            or configuration is None or configuration.key is None or configuration.identity is None
        ):
            return [finding for finding in ordered if self._reports(finding)]
        place = repr((configuration.key, [os.path.abspath(path) for path in paths]))
        key = "verdict-" + hashlib.blake2b(place.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
        inputs = self._inputs(configuration.identity, ordered, stats, stat_keys)
        stored = cache.data(key)
        if stored is not None and stored.get("inputs") == inputs:
            positions = stored.get("reported")
            if isinstance(positions, tuple) and all(
                isinstance(position, int) and 0 <= position < len(ordered) for position in positions
            ):
                return [ordered[position] for position in positions]
        reported = [position for position, finding in enumerate(ordered) if self._reports(finding)]
        cache.store_data(key, {"inputs": inputs, "reported": tuple(reported)})
        return [ordered[position] for position in reported]

    @staticmethod
    def _inputs(identity: str, ordered: Sequence[Finding], stats: Collection[str], stat_keys: Sequence[str]) -> str:
        text = [f"{identity}\0{list(stat_keys)!r}\n"]
        text.extend(
            f"{f.path}\0{f.line}\0{f.col}\0{f.code}\0{f.message}\0{f.hint}\n" for f in ordered
        )
        for path in sorted({finding.path for finding in ordered if finding.path not in stats}):
            try:
                status = os.stat(path)
                text.append(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0{status.st_ctime_ns}\n")
            except (OSError, ValueError):
                text.append(f"{path}\0-\n")
        return hashlib.blake2b("".join(text).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _reports(self, finding: Finding) -> bool:
        from flake8.style_guide import Decision, StyleGuideManager  # type: ignore[import-untyped]

        if self._guides is None:
            self._guides = StyleGuideManager(self._options, _Unshown())
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
    configuration: Configuration,
    cache: FactsCache,
    out: TextIO,
    verbose: bool = False,
    write_baseline_to: str | None = None,
    baseline: Baseline | None = None,
) -> int:
    settings, options = configuration.settings, configuration.options
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
    found: list[Finding] = []
    projects: list[ProjectPass] = []
    given = settings
    packages: dict[str, bool] = {}
    unanalysed_sql = False
    stat_keys: list[str] = []  # the per-file findings keys: each stands for the stat of the files in `stated`
    stated: set[str] = set()
    for root, group in by_root.items():
        settings = settings_for_project(given, root)
        # Not through the per-process cache that serves flake8: a command reads the files as they are now, also
        # when it runs twice in one process. The disk cache is keyed by every file's stat, so it is never stale.
        discovery = discover(root, settings)
        projects.append(ProjectPass(root, settings, discovery))
        if verbose:
            from flake8_django_migrations.output.text import describe_settings

            describe_settings(projects[-1], sys.stderr)
        # What is reported is what flake8 reports: findings in the files it checks, whichever pass found them.
        linted = _LintedFiles(group, options)
        codes = [code for code in configuration.project_rule_codes if settings.is_enabled(code)]
        fingerprint = project_fingerprint(discovery, settings, codes)
        per_file, sql_unanalysed, per_file_key = _per_file_findings(discovery, settings, cache, fingerprint)
        stat_keys.append(per_file_key)
        stated.update(per_file)
        unanalysed_sql = unanalysed_sql or sql_unanalysed
        for path, file_findings in per_file.items():
            # Only files with something to report are looked up: the others add nothing either way.
            if file_findings != () and path in linted:
                # A migration whose facts could not be read is said so, as flake8 does, never passed over.
                found.extend(file_findings if file_findings is not None else _unreadable(path))
        project = _project_findings(root, settings, cache, discovery, fingerprint)
        # flake8 also checks migrations where discovery does not look (hidden, build, dist and node_modules
        # folders, virtualenvs, folders reached through a symbolic link): the plugin gives them the per-file
        # findings. A Python file named on the command line is read even outside a migrations package.
        named = {os.path.abspath(path) for path in group if path.endswith(".py") and os.path.isfile(path)}
        for path in sorted(linted.outside(per_file)):
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
    reported = _Verdict(options, configuration).reported(found, cache, paths, stated, stat_keys)
    if unanalysed_sql:
        from flake8_django_migrations.facts.sql import SQL_NOT_ANALYSED

        sys.stderr.write(f"{PROG}: {SQL_NOT_ANALYSED}\n")  # once per run, and only where it matters
    if write_baseline_to is not None:
        from flake8_django_migrations.baseline import write_baseline

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
    _writer(output_format)(Report(tuple(reported), tuple(projects), given, stale_entries), out)
    return EXIT_FINDINGS if reported else EXIT_CLEAN


def _writer(output_format: str) -> Callable[[Report, TextIO], None]:
    """The writer of a ``check`` format (output/), imported when asked for: the others name rules, which text
    lines do not."""
    if output_format == "json":
        from flake8_django_migrations.output.json import write_json

        return write_json
    if output_format == "sarif":
        from flake8_django_migrations.output.sarif import write_sarif

        return write_sarif
    if output_format == "github":
        from flake8_django_migrations.output.github import write_github

        return write_github
    from flake8_django_migrations.output.text import write_text

    return write_text


def _per_file_findings(
    discovery: Discovery, settings: Settings, cache: FactsCache, fingerprint: str
) -> tuple[dict[str, tuple[Finding, ...] | None], bool, str]:
    """The per-file findings of every migration discovery found (None for one whose facts could not be read),
    stored under the stat of every input: when nothing changed, a run reads them in one entry, without loading
    any facts. The folders of a label two of them claim are left out of the graph, not out of the per-file rules.
    Also whether a ``RunSQL`` among them went unanalysed for want of PostgreSQL's parser on PostgreSQL (stored with
    them: a warm run does not import the parser to tell), and the key they are stored under, which stands for the
    stat of every file discovery found."""
    key = file_findings_key(fingerprint, discovery, settings)
    stored = cache.file_findings(key)
    apps = (*discovery.apps.values(), *discovery.left_out)
    if stored is not None:
        sql = cache.data(key + "-sql")
        # Those not stored: migrations whose facts read a models module, which can change without them.
        for app in apps:
            missing = [path for path in app.files if path not in stored]
            if missing:
                for path, facts in cache.facts_for_files(missing, app_label=app.label).items():
                    stored[path] = tuple(_file_findings(facts, settings)) if facts is not None else None
        return stored, sql is not None and sql.get("unanalysed") is True, key
    # Every file's facts over all cores; the project pass that follows reads them from ``cache``.
    from flake8_django_migrations.project.index import load_all_facts  # the graph and the state: only now

    found: dict[str, tuple[Finding, ...] | None] = {}
    with_sql: list[str] = []
    # Migrations whose facts read another file (a models module, a base class's module): their findings are not
    # keyed by the stat of the project's migrations alone, so they are not stored and every run computes them.
    read_other_files: set[str] = set()

    def check_folder(paths: Sequence[str], app_label: str | None, loaded: Mapping[str, MigrationFacts | None]) -> None:
        # Each folder as soon as its facts are in: the workers extract the others meanwhile.
        for path in paths:
            facts = loaded.get(path)
            found.setdefault(path, tuple(_file_findings(facts, settings)) if facts is not None else None)
            if facts is not None and any(op.kind == "RunSQL" for op in facts.operations):
                with_sql.append(path)
            if facts is not None and facts.reads_other_files:
                read_other_files.add(path)

    load_all_facts(discovery, cache, available_cores(), check_folder)
    unanalysed = False
    if with_sql and settings.is_postgresql:
        from flake8_django_migrations.facts.sql import sql_parser_available

        unanalysed = not sql_parser_available()
    cache.store_file_findings(key, {path: found[path] for path in found if path not in read_other_files})
    cache.store_data(key + "-sql", {"unanalysed": unanalysed})
    return found, unanalysed, key


def _project_findings(
    root: str, settings: Settings, cache: FactsCache, discovery: Discovery, fingerprint: str
) -> tuple[Finding, ...]:
    """The project rules' findings: stored under ``fingerprint`` when nothing changed, else from the project pass,
    which is when the rules are imported."""
    stored = cache.project_findings(fingerprint)
    if stored is not None:
        return stored
    from flake8_django_migrations.project.findings_cache import selected_rules
    from flake8_django_migrations.registry import PROJECT_RULES

    rules = selected_rules(PROJECT_RULES, settings)
    return cached_project_findings(root, settings, cache, discovery, rules, fingerprint, available_cores())[0]


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
    from flake8_django_migrations.registry import check_facts

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
    from flake8_django_migrations.registry import PROJECT_RULES

    index = build_index(root, settings)
    errors = verdict.reported(run_project_rules(index, PROJECT_RULES, settings))
    if output_format == "json":
        import json

        from flake8_django_migrations.output.json import graph_as_json

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

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
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, NoReturn, TextIO

import flake8_django_migrations
from flake8_django_migrations.configuration import Configuration, read_configuration
from flake8_django_migrations.files import MAX_SOURCE_BYTES, is_migration_module_name, read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.report import PROG, UNREADABLE, ProjectPass, Report, display_path
from flake8_django_migrations.flake8_compat import (
    LintedFiles,
    Verdict,
    codes_on_because_ignore_is_replaced,
    excluding_pattern,
    option_origin,
)
from flake8_django_migrations.project.cache import FactsCache, available_cores
from flake8_django_migrations.project.discover import find_project_root
from flake8_django_migrations.run import ProjectRun, file_findings, run_rules
from flake8_django_migrations.options import add_command_arguments, flake8_argv
from flake8_django_migrations.settings import Settings
from flake8_django_migrations.source import syntax_error_finding

if TYPE_CHECKING:
    from flake8_django_migrations.baseline import Baseline
    from flake8_django_migrations.fix import FixOptions, FixSession

# What a run served from the cache does not need is imported where it is used: flake8's option machinery and its
# plugins (configuration.py), the rules and the facts (only for what changed), the formats other than text.

__all__ = ["main"]

EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_USAGE: Final = 2

# The formats of ``check``; each writes a finished run (output/).
CHECK_FORMATS: Final = ("text", "json", "sarif", "github", "gitlab")
# flake8 checks the codes of ``ignore`` in its config files only; the command checks those it is given too, so that
# a lower-case `--select djm3`, which would select nothing, is a usage error.
VALID_CODE_PREFIX: Final = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$", re.ASCII)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.explain is not None:
            out.write(_explain(args.explain, parser))
            return EXIT_CLEAN
        if args.command is None:
            parser.error("a command is required: check, graph or plan (or --explain CODE)")
        for dest in ("select", "ignore", "extend_select", "extend_ignore"):
            _check_codes(getattr(args, dest) or (), parser, "--" + dest.replace("_", "-"))
        cache = FactsCache(args.cache_dir, not args.no_cache)
        paths = (args.paths or ["."]) if args.command == "check" else [args.path or "."]
        # The paths as flake8's file names: djm-base is resolved in the repository that holds them.
        argv = [*flake8_argv(args), "--", *paths]
        configuration = _flake8_configuration(argv, cache)
        settings = configuration.settings
        if (settings.cache_dir, settings.use_cache) != (args.cache_dir, not args.no_cache):
            cache = FactsCache(settings.cache_dir, settings.use_cache)  # a configuration file chose another
        baseline = _baseline(settings)
        fixing = _fix_options(args) if args.command == "check" else None
        if fixing is not None:
            from flake8_django_migrations.fix import FixSession, run_rounds

            session = FixSession(fixing, out)
            # A cache per round: an instance keeps the facts it loaded for its run, and a round changes files.
            status = run_rounds(session, lambda printed: _check(
                paths, args.format, configuration, FactsCache(settings.cache_dir, settings.use_cache), printed,
                args.verbose, None, baseline, argv, session,
            ), out)
            return EXIT_CLEAN if args.exit_zero else status
        if args.command == "check":
            status = _check(
                paths, args.format, configuration, cache, out, args.verbose, args.write_baseline,
                baseline, argv,
            )
            return EXIT_CLEAN if args.exit_zero else status
        if args.command == "plan":
            return _plan(args, configuration, cache, out)
        focus = _Focus(tuple(args.graph_apps), args.around, args.depth)
        verdict = Verdict(configuration.options)
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do (COMMAND --help for more)")
    check = commands.add_parser(
        "check", help="run every rule over the migrations below the paths",
        description="Run every rule over the migrations below the paths and report what flake8 would report for"
        " the same files and configuration; the whole project's graph is read whatever the paths.",
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the current folder)")
    check.add_argument("--format", choices=CHECK_FORMATS, default="text",
                       help="text: flake8's lines; json: docs/json-output.md; sarif: SARIF 2.1.0 for code scanning;"
                       " github: workflow commands that annotate a pull request; gitlab: a Code Quality report"
                       " (artifacts: reports: codequality:)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit with status 0 even when there are findings (usage errors still exit 2)")
    check.add_argument("--write-baseline", metavar="FILE",
                       help="write every finding to FILE (a baseline for --djm-baseline) and exit 0")
    fixing = check.add_argument_group("fixes (the flake8 plugin does not fix: flake8 has no protocol for it)")
    fixing.add_argument("--fix", action="store_true",
                        help="apply the safe fixes of what is reported, check again until nothing changes, and"
                        " report what remains")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff, apply the unsafe fixes too (a reverse that does nothing, a"
                        " migration out of its transaction); alone, say how many fixes there are")
    fixing.add_argument("--diff", action="store_true",
                        help="write nothing: print the fixes as a unified diff (patch -p1 applies it); exit 1 when"
                        " there is one")
    fixing.add_argument("--fix-only", action="store_true",
                        help="as --fix, but do not report what remains and exit 0")
    fixing.add_argument("--add-noqa", action="store_true",
                        help="add a `# noqa: DJMxxx` comment for every finding reported (with a reason"
                        " placeholder when DJM908 is selected) and exit 0")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="say on standard error which Django settings were read, from where, and what is"
                       " unknown, and repeat the notices said once per project (RunSQL not analysed)")
    graph = commands.add_parser(
        "graph", help="print the migration graph Django would build: JSON data, or a DOT, Mermaid or HTML picture",
        description="Print the migration graph Django would build for the project holding PATH, with the graph"
        " findings marked: as JSON data (nodes, edges, leaves, settings), or as a picture to render with Graphviz"
        " (dot), to paste into GitHub Markdown (mermaid) or to open in a browser (html, one offline file).",
    )
    graph.add_argument("path", nargs="?", metavar="PATH", help="a file or folder of the project (default: .)")
    graph.add_argument("--format", choices=("json", "dot", "mermaid", "html"), default="json",
                       help="json (data), dot (Graphviz), mermaid (renders in GitHub markdown), html (an offline page)")
    graph.add_argument("--app", dest="graph_apps", action="append", default=[], metavar="LABEL",
                       help="draw only these apps and the migrations of other apps they touch (repeatable)")
    graph.add_argument("--around", metavar="APP.MIGRATION",
                       help="draw one migration with its ancestors and descendants within --depth steps")
    graph.add_argument("--depth", type=int, default=2, metavar="N", help="steps around --around (default: 2)")
    plan = commands.add_parser("plan", help="print what `migrate` will do on the database --djm-applied names")
    plan.add_argument("plan_app", nargs="?", metavar="APP", help="as `migrate APP`: this app's migrations only")
    plan.add_argument("plan_migration", nargs="?", metavar="MIGRATION",
                      help="as `migrate APP MIGRATION`: forwards or backwards to it (a prefix of its name), or zero")
    plan.add_argument("--path", metavar="PATH", help="a file or folder of the project (default: .)")
    plan.add_argument("--format", choices=("text", "json"), default="text",
                      help="text: the steps, their findings and any recovery; json: the same as data")
    for command in (check, graph, plan):
        add_command_arguments(command)
    return parser


def _explain(code_or_name: str, parser: argparse.ArgumentParser) -> str:
    """``--explain DJM402`` (or ``--explain delete-before-readers``): the rule's page, as docs/rules/ has it."""
    from flake8_django_migrations.registry import RULES

    wanted = code_or_name.strip()
    rule = RULES.get(wanted.upper()) or next((rule for rule in RULES.values() if rule.name == wanted.lower()), None)
    if rule is None:
        parser.error(f"--explain: {code_or_name!r} is not a rule of {PROG}; its rules are {', '.join(RULES)}")
    from flake8_django_migrations.docs import render_rule

    return render_rule(rule)


def _fix_options(args: argparse.Namespace) -> FixOptions | None:
    """What ``check`` is asked to fix (fix.py); None without --fix, --fix-only, --diff, --unsafe-fixes or
    --add-noqa. Options that contradict each other are a usage error."""
    if not (args.fix or args.fix_only or args.diff or args.unsafe_fixes or args.add_noqa):
        return None
    if args.add_noqa and (args.fix or args.fix_only or args.diff or args.unsafe_fixes):
        _usage_error("--add-noqa silences what is reported: use it without --fix, --fix-only, --diff and"
                     " --unsafe-fixes")
    if args.write_baseline is not None:
        _usage_error("--write-baseline records what is reported: use it without the fix options")
    from flake8_django_migrations.fix import FixOptions

    return FixOptions(fix=args.fix, unsafe=args.unsafe_fixes, diff=args.diff, add_noqa=args.add_noqa,
                      fix_only=args.fix_only)


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
    from flake8_django_migrations.settings import SettingsError

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
    try:
        settings = MigrationChecker.settings_for(options)
    except SettingsError as error:
        _usage_error(str(error))
    return options, settings, errors.getvalue()


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
    argv: Sequence[str] = (),
    fixing: FixSession | None = None,
) -> int:
    settings, options = configuration.settings, configuration.options
    if settings.enabled_codes == frozenset():
        _usage_error(f"nothing to check: flake8's `select` ({option_origin('select', argv, options)}) selects none"
                     f" of the {PROG} codes ({_shown_codes(options.select)}); add DJM to it (or extend-select = DJM)")
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
    runs: list[ProjectRun] = []  # for the fixes (fix.py)
    given = settings
    packages: dict[str, bool] = {}
    unanalysed_sql: list[str] = []  # the roots where a RunSQL went unanalysed for want of the [sql] extra
    stat_keys: list[str] = []  # the per-file findings keys: each stands for the stat of the files in `stated`
    stated: set[str] = set()
    migrations_found: list[str] = []  # every migration found below the paths, checked or not
    checked_any = False
    for root, group in by_root.items():
        # Not the plugin's per-process runs: a command reads the files as they are now, also when it runs twice in
        # one process. The disk cache is keyed by every file's stat, so it is never stale.
        run = _project_run(root, given, cache, configuration.project_rule_codes)
        runs.append(run)
        settings = run.settings
        projects.append(ProjectPass(root, settings, run.discovery))
        if verbose:
            from flake8_django_migrations.output.text import describe_settings

            describe_settings(projects[-1], sys.stderr)
        # What is reported is what flake8 reports: findings in the files it checks, whichever pass found them.
        linted = LintedFiles(group, options)
        per_file, sql_unanalysed, per_file_key = run.file_findings(available_cores())
        stat_keys.append(per_file_key)
        stated.update(per_file)
        unanalysed_sql.extend([root] if sql_unanalysed else [])
        _say_which_rules_are_off(run.settings)
        below = [os.path.abspath(path) for path in group]
        migrations_found.extend(path for path in per_file if _is_below(path, below))
        checked_any = checked_any or any(path in linted for path in per_file)
        in_root: list[Finding] = []
        for path, in_file in per_file.items():
            # Only files with something to report are looked up: the others add nothing either way.
            if in_file != () and path in linted:
                # A migration whose facts could not be read is said so, as flake8 does, never passed over.
                in_root.extend(in_file if in_file is not None else _unreadable(path))
        project = run.project_findings(available_cores())
        # flake8 also checks migrations where discovery does not look (hidden, build, dist and node_modules
        # folders, virtualenvs, folders reached through a symbolic link): the plugin gives them the per-file
        # findings. A Python file named on the command line is read even outside a migrations package.
        named = {os.path.abspath(path) for path in group if path.endswith(".py") and os.path.isfile(path)}
        for path in sorted(linted.outside(per_file)):
            folder = os.path.dirname(path)
            if folder not in packages:
                packages[folder] = _is_migrations_package(folder)
            if packages[folder] and is_migration_module_name(os.path.basename(path)):
                migrations_found.append(path)
                checked_any = True
                loaded = cache.facts_for(path)
                in_root.extend(file_findings(loaded, settings) if loaded is not None else _unreadable(path))
            elif path in named:
                in_root.extend(_unreadable(path))
        in_root.extend(finding for finding in project if finding.path in linted)
        found.extend(run.new_since_base(in_root))
    if not migrations_found and given.exclude:
        # Discovery skips what flake8 excludes: were there migrations it left out?
        migrations_found = _migrations_below(by_root, replace(given, exclude=()))
    _say_what_was_checked(paths, migrations_found, checked_any, options, argv)
    # Only a configuration that sets `ignore` pays for importing the rules here.
    turned_on = codes_on_because_ignore_is_replaced(options, _off_by_default_codes()) if options.ignore else []
    if turned_on:
        sys.stderr.write(
            f"{PROG}: `ignore` ({option_origin('ignore', argv, options)}) replaces flake8's default ignore list, which"
            f" holds the rules that are off by default: {', '.join(turned_on)} are on; use extend-ignore to keep them"
            " off, or select them to keep them on without this notice\n"
        )
    reported = Verdict(options, configuration).reported(found, cache, paths, stated, stat_keys)
    if unanalysed_sql:
        _say_sql_not_analysed(unanalysed_sql, cache, verbose)
    if write_baseline_to is not None:
        from flake8_django_migrations.baseline import BaselineError, write_baseline

        try:
            written = write_baseline(write_baseline_to, reported)
        except BaselineError as error:
            _usage_error(str(error))
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
    if fixing is not None:
        fixing.checked(reported, runs)
    report = Report(tuple(reported), tuple(projects), given, stale_entries)
    if output_format in ("json", "sarif"):
        # Each finding's fix, for editors and bots to apply: the rules run again, so only these formats pay for it.
        from flake8_django_migrations.fix import described_fixes
        from flake8_django_migrations.output.json import write_json
        from flake8_django_migrations.output.sarif import write_sarif

        (write_json if output_format == "json" else write_sarif)(report, out, described_fixes(reported, runs))
    else:
        _writer(output_format)(report, out)
    return EXIT_FINDINGS if reported else EXIT_CLEAN


def _say_what_was_checked(
    paths: Sequence[str], migrations_found: Sequence[str], checked_any: bool, options: argparse.Namespace,
    argv: Sequence[str],
) -> None:
    """A run that checked nothing says why: on standard error, and with exit status 2 when migrations are there
    but flake8's configuration leaves them all out (a CI job must not pass by accident)."""
    if not migrations_found:
        sys.stderr.write(f"{PROG}: no migration found in {', '.join(paths)}: nothing was checked (-v says which"
                         " Django settings and migration packages were looked for)\n")
        return
    if checked_any:
        return
    first = sorted(migrations_found)[0]
    why = excluding_pattern(first, options)
    reason = (
        f"`{why[0]} = {why[1]}` ({option_origin(why[0], argv, options)}) leaves out {display_path(first)}"
        if why is not None else f"flake8's file selection leaves out {display_path(first)}"
    )
    _usage_error(f"nothing was checked: {len(migrations_found)} migration(s) found, but none is among the files flake8"
                 f" checks: {reason} and every other one; narrow the pattern or pass the migrations as paths")


def _project_run(
    root: str, settings: Settings, cache: FactsCache | None = None, project_rule_codes: Sequence[str] | None = None
) -> ProjectRun:
    """The run of the project at ``root``; a revision its repository does not know is a usage error."""
    from flake8_django_migrations.settings import SettingsError

    try:
        return ProjectRun(root, settings, cache, project_rule_codes)
    except SettingsError as error:
        _usage_error(str(error))


def _migrations_below(by_root: Mapping[str, Sequence[str]], settings: Settings) -> list[str]:
    from flake8_django_migrations.project.discover import discover

    found: list[str] = []
    for root, group in by_root.items():
        below = [os.path.abspath(path) for path in group]
        discovery = discover(root, settings)
        for migrations in (*discovery.apps.values(), *discovery.left_out):
            found.extend(path for path in migrations.files if _is_below(path, below))
    return found


def _say_which_rules_are_off(settings: Settings) -> None:
    """Once per project: the settings module could not be read at all (every value falls back to a default), or the
    PostgreSQL checks are off because the Django settings name another database."""
    django = settings.django
    if django is not None and django.path is not None and not django.values:
        from flake8_django_migrations.project.settings_module import parse_python_file

        if parse_python_file(django.path) is None:
            sys.stderr.write(
                f"{PROG}: the Django settings {django.module} ({display_path(django.path)}) are not read: not a"
                f" readable file of Python {sys.version_info[0]}.{sys.version_info[1]} syntax; every setting takes"
                " the linter's default (run the linter with the project's Python, or set the djm-* options)\n"
            )
    if settings.is_postgresql or "database" in settings.set_explicitly or django is None:
        return
    read = django.values.get("DATABASES")
    if read is None or django.database_engine is None:
        return
    where = f"{display_path(read.path)}:{read.line}"
    sys.stderr.write(
        f"{PROG}: the PostgreSQL checks (locks, raw SQL, concurrent indexes) are off: the Django settings"
        f" {django.module} (named by {django.module_origin}) use `{django.database_engine}` ({where}); if production"
        " runs PostgreSQL, set djm-database = postgresql or djm-settings to its settings module\n"
    )


def _say_sql_not_analysed(roots: Sequence[str], cache: FactsCache, verbose: bool) -> None:
    """The `[sql]` notice, once per run where it matters, and once per project and cache: a run (the pre-commit hook
    on every commit) does not repeat it, ``-v`` does. Without a cache to remember it, every run says it."""
    import hashlib

    from flake8_django_migrations.facts.sql import SQL_NOT_ANALYSED

    keys = [hashlib.blake2b(f"sql-notice\0{root}".encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()
            for root in roots]
    unsaid = [key for key in keys if cache.data(key) is None]
    if unsaid or verbose:
        repeated = " (said once per project; -v says it again)" if cache.enabled and not verbose else ""
        sys.stderr.write(f"{PROG}: {SQL_NOT_ANALYSED}{repeated}\n")
    for key in unsaid:
        cache.store_data(key, {"said": True})


def _off_by_default_codes() -> tuple[str, ...]:
    from flake8_django_migrations.registry import OFF_BY_DEFAULT

    return OFF_BY_DEFAULT


def _shown_codes(codes: Sequence[str] | None) -> str:
    shown = ",".join(codes or ())
    return shown if len(shown) <= 60 else shown[:57] + "..."


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
    if output_format == "gitlab":
        from flake8_django_migrations.output.gitlab import write_gitlab

        return write_gitlab
    from flake8_django_migrations.output.text import write_text

    return write_text


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


@dataclass(frozen=True)
class _Focus:
    """What part of the graph a picture shows (``graph --app``, ``--around``, ``--depth``)."""

    apps: tuple[str, ...] = ()
    around: str | None = None
    depth: int = 2


def _graph(
    path: str, settings: Settings, verdict: Verdict, out: TextIO, output_format: str = "json",
    focus: _Focus = _Focus(),
) -> int:
    target = os.path.abspath(path)
    if not os.path.exists(target):
        _usage_error(f"{path}: no such file or folder")
    root = find_project_root(target, settings)
    from flake8_django_migrations.registry import PROJECT_RULES

    run = _project_run(root, settings)
    index = run.index()
    # Every project rule the deploy model runs, selected or not: flake8's verdict decides what the picture shows.
    rules = [rule for rule in PROJECT_RULES if run.settings.rolling_deploy or not rule.needs_rolling_deploy]
    errors = verdict.reported(run_rules(index, rules, run.settings))
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
    in_files: list[Finding] = []
    if output_format == "html":
        # The page lists every finding of a migration's file: the per-file findings too, as flake8 decides them.
        per_file, _, _ = run.file_findings(available_cores())
        in_files = verdict.reported(finding for found in per_file.values() for finding in found or ())
    try:
        view = build_view(
            index, errors, apps=focus.apps, around=focus.around, depth=focus.depth, file_findings=in_files,
        )
    except FocusError as error:
        _usage_error(str(error))
    if output_format == "html":
        out.write(render_html(view, title=f"Migrations of {os.path.basename(root) or root}"))
    else:
        out.write(render_dot(view) if output_format == "dot" else render_mermaid(view))
    return EXIT_CLEAN


def _is_below(path: str, targets: Iterable[str]) -> bool:
    return any(path == target or path.startswith(target.rstrip(os.sep) + os.sep) for target in targets)


def _plan(args: argparse.Namespace, configuration: Configuration, cache: FactsCache, out: TextIO) -> int:
    """``plan [APP [MIGRATION]]``: what ``migrate`` will do on the database ``djm-applied`` names, with the findings
    in the files it runs (output/plan.py). Exit status 1 when ``migrate`` would refuse or stop, 0 when it would run
    through; a source that cannot be read, an unknown app or migration: 2."""
    settings = configuration.settings
    if settings.applied is None:
        _usage_error("plan needs --djm-applied SOURCE: the database (or a file of its django_migrations rows) that"
                     " migrate would run on")
    path = args.path or "."
    target = os.path.abspath(path)
    if not os.path.exists(target):
        _usage_error(f"{path}: no such file or folder")
    from flake8_django_migrations.project.applied_graph import PlanArgumentError, history_view, plan_migrate

    run = _project_run(find_project_root(target, settings), settings, cache, configuration.project_rule_codes)
    applied = run.settings.applied_migrations
    assert applied is not None  # read by the settings, else by the run
    view = history_view(run.index(), applied)
    try:
        plan = plan_migrate(view, args.plan_app, args.plan_migration)
    except PlanArgumentError as error:
        _usage_error(f"plan: {error}")
    # The findings flake8 would report in the files the plan runs: per-file and project ones, from the cache.
    planned = {
        os.path.abspath(facts.path)
        for facts in (view.index.migrations.get(step.migration) for step in plan.steps) if facts is not None
    }
    per_file = run.file_findings(available_cores())[0]
    found = [finding for path in planned for finding in per_file.get(path) or ()]
    found.extend(finding for finding in run.project_findings(available_cores()) if finding.path in planned)
    by_path: dict[str, list[Finding]] = {}
    for finding in Verdict(configuration.options).reported(found):
        by_path.setdefault(finding.path, []).append(finding)
    command = " ".join(["migrate", *(name for name in (args.plan_app, args.plan_migration) if name is not None)])
    if args.format == "json":
        from flake8_django_migrations.output.plan import write_plan_json

        write_plan_json(view, plan, by_path, out)
    else:
        from flake8_django_migrations.output.plan import write_plan_text

        write_plan_text(view, plan, by_path, out, command)
    return EXIT_FINDINGS if plan.refusal is not None or plan.stops_at is not None else EXIT_CLEAN

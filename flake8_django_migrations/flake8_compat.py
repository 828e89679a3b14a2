"""What flake8 would decide, for the command: which files it checks and which findings it reports.

The command prints what flake8 would print for the same files and configuration. Both answers are flake8's own
machinery where it can be used as it is (its ``StyleGuideManager`` for ``select``, ``ignore``, ``per-file-ignores``
and ``noqa``; its ``FileProcessor`` for the lines ``noqa`` is searched in), and a faithful copy where flake8 would do
far more work than the command needs (its file selection, for the migrations only).
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from flake8_django_migrations.digest import blake2b
from flake8_django_migrations.files import read_regular_file, stat_stamp
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project.discover import pattern_matcher
from flake8_django_migrations.source import decode_source

if TYPE_CHECKING:
    from flake8_django_migrations.configuration import Configuration
    from flake8_django_migrations.project.cache import FactsCache

__all__ = ["LintedFiles", "Verdict"]


class LintedFiles:
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


class Verdict:
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
        key = "verdict-" + blake2b(place.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
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
            text.append(f"{path}\0{stat_stamp(path)}\n")
        return blake2b("".join(text).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

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


# Why nothing was checked, or more than the user meant: in flake8's own terms, to say on standard error. ----------


def excluding_pattern(path: str, options: argparse.Namespace) -> tuple[str, str] | None:
    """The option (``exclude``, ``extend-exclude``) and pattern that keep flake8 from checking ``path`` (absolute),
    matched as flake8 matches them against the file and every folder the walk enters; else, when ``filename``
    leaves the file out, (``filename``, its patterns); None when neither does."""
    current = path
    while True:
        for option, patterns in (("exclude", options.exclude), ("extend-exclude", options.extend_exclude)):
            for pattern in patterns:
                matches = pattern_matcher((pattern,))
                if matches is not None and (matches(os.path.basename(current)) or matches(current)):
                    return option, pattern
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    included = pattern_matcher(options.filename)
    if included is not None and not included(os.path.basename(path)) and not included(path):
        return "filename", ",".join(options.filename)
    return None


def option_origin(option: str, argv: Sequence[str], options: argparse.Namespace) -> str:
    """Where flake8 took ``option`` (``select``, ``exclude``) from: the command line, or the configuration file
    that sets it (``tox.ini``), as a short phrase."""
    flag = "--" + option
    if any(argument == flag or argument.startswith(flag + "=") for argument in argv):
        return "the command line"
    import configparser

    named = [value for name, _, value in (argument.partition("=") for argument in argv) if name == "--config"]
    extra = [value for name, _, value in (argument.partition("=") for argument in argv) if name == "--append-config"]
    try:
        from flake8.options.config import _find_config_file  # type: ignore[import-untyped]

        found = named[-1] if named else _find_config_file(os.getcwd())
    except Exception:  # noqa: BLE001 - a private helper of flake8: without it, say less
        found = named[-1] if named else None
    for path in [*extra[::-1], *([found] if found else [])]:
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeError, OSError):
            continue
        if parser.has_section("flake8") and any(
            parser.has_option("flake8", spelling) for spelling in (option, option.replace("-", "_"))
        ):
            return os.path.relpath(path) if not os.path.isabs(path) else _shown(path)
    return "flake8's configuration"


def codes_on_because_ignore_is_replaced(options: argparse.Namespace, codes: Iterable[str]) -> list[str]:
    """The ``codes`` flake8 reports only because ``ignore`` is set: it replaces flake8's default ignore list, and
    with it the codes plugins leave out by default (``extend-ignore`` adds to the list instead)."""
    if getattr(options, "ignore", None) is None:
        return []
    try:
        from flake8.style_guide import Decision, DecisionEngine

        as_set = DecisionEngine(options)
        without_ignore = DecisionEngine(argparse.Namespace(**{**vars(options), "ignore": None}))
        return [
            code for code in codes
            if as_set.decision_for(code) is Decision.Selected
            and without_ignore.decision_for(code) is not Decision.Selected
        ]
    except Exception:  # noqa: BLE001 - an internal API of flake8: when it changes, say nothing rather than guess
        return []


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith(os.pardir) else path

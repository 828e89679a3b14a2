"""The flake8 adapter: flake8 options to Settings, and findings for the file flake8 is checking."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from flake8_django_migrations import __version__
from flake8_django_migrations.codes import CODES, OFF_BY_DEFAULT
from flake8_django_migrations.files import (
    is_migration_module_name,
    read_regular_file,
    recording_lookups,
    stamps_of_lookups,
    stamps_unchanged,
)
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.source import decode_source
from flake8_django_migrations.options import add_flake8_options, settings_from_flake8_options
from flake8_django_migrations.settings import Settings, SettingsError, pyproject_options

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.run import ProjectRun

__all__ = ["MigrationChecker", "settings_of_lint_run"]


class MigrationChecker:
    name = "django-migrations-lint"
    version = __version__
    # flake8 hands options to the class once per lint run, before any file is checked; the settings built from them.
    settings: ClassVar[Settings] = Settings()
    parsed_options: ClassVar[argparse.Namespace | None] = None
    # How many times flake8 parsed options in this process: once per lint run. A long-lived process (an editor's
    # in-process flake8) checks the project's files again on its next run instead of keeping its first answer.
    lint_runs: ClassVar[int] = 0
    failure_said_in_run: ClassVar[int] = 0  # the last lint run that said its project pass failed: said once per run

    def __init__(self, tree: ast.Module, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        add_flake8_options(manager)
        manager.extend_default_ignore(list(OFF_BY_DEFAULT))

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.lint_runs += 1
        try:
            cls.settings, cls.parsed_options = settings_of_lint_run(options), options
        except SettingsError as error:
            # As flake8 reports a bad value of its own options: a usage error, exit status 2.
            print(f"flake8: error: {error}", file=sys.stderr)
            raise SystemExit(2) from None

    @classmethod
    def settings_for(cls, options: argparse.Namespace) -> Settings:
        """The settings of flake8's ``options``: those built when flake8 handed these very options to the plugin
        (the command reads flake8's configuration through flake8, which does), so git and the baseline are not
        asked twice; else built now. ``SettingsError`` for a value that makes no sense."""
        return cls.settings if options is cls.parsed_options else settings_of_lint_run(options)

    def run(self) -> Iterator[tuple[int, int, str, type[MigrationChecker]]]:
        try:
            findings = self._findings()
        except Exception as error:  # noqa: BLE001 - a plugin crash would abort the user's whole flake8 run
            print(
                f"django-migrations-lint: internal error while checking {self.filename}: "
                f"{type(error).__name__}: {error} (please report this)",
                file=sys.stderr,
            )
            return
        for finding in sorted(findings, key=lambda f: f.sort_key):
            yield finding.line, finding.col, finding.text, type(self)

    def _findings(self) -> list[Finding]:
        """The findings of this file: its own and those the project pass attributes to it, less what
        ``djm-new-only`` and ``djm-baseline`` leave out, as the command reports them."""
        if self.settings.enabled_codes == frozenset():
            return []  # none of our codes is selected: cost nothing
        if not _in_migrations_package(self.filename):
            return self._reported_outside_migrations(None)  # Django would not load it as a migration
        # The project pass is imported here so that files that are not migrations never pay for it.
        from flake8_django_migrations.run import ProjectRun

        folder = os.path.dirname(os.path.abspath(self.filename))
        named_migrations = os.path.basename(folder) == "migrations"
        if not named_migrations and not (self.settings.migration_modules or self.settings.read_django_settings):
            # Nothing could make it a MIGRATION_MODULES package: no project to look up for it.
            return self._reported_outside_migrations(None)
        try:
            run: ProjectRun | None = ProjectRun.of_file(self.filename, self.settings, self.lint_runs)
        except Exception as error:  # noqa: BLE001 - a project that cannot be read still gets the per-file rules
            _say_project_pass_failed(self.filename, error, self.lint_runs)
            run = None
        if run is None:
            return self._file_findings(self.settings, None)[1] if named_migrations else []
        if not named_migrations and not _may_be_moved_migrations(folder, run.settings) and not (
            self._has_migration_class() and folder in run.discovery.found_by_content
        ):
            return self._reported_outside_migrations(run)  # a package of the project, not a migrations package
        # The app label the project pass gives this folder (AppConfig.label, --djm-app-label), so that the
        # per-file rules see what the command's see; another folder counts only as the MIGRATION_MODULES package
        # of an app the project pass found.
        try:
            app_label = run.discovery.label_of_folder(folder)
        except Exception:  # noqa: BLE001 - as above
            app_label = None
        if not named_migrations and app_label is None:
            return []
        unsaved = self._is_unsaved_buffer()
        stored = None if unsaved else self._stored_file_findings(run, app_label)
        facts: MigrationFacts | None = None
        if stored is not None:
            has_facts, found = stored
        else:
            with recording_lookups() as looked:
                facts, found = self._file_findings(run.settings, app_label)
            has_facts = facts is not None
            if not unsaved:
                self._store_file_findings(run, app_label, facts, found, looked)
        name = os.path.basename(self.filename)
        # A migrations package's __init__.py carries DJM503 for an app whose migrations were all deleted.
        if run.codes and (has_facts or is_migration_module_name(name) or name == "__init__.py"):
            found.extend(self._project_findings(run, facts if unsaved else None))
        return run.reported_in_file(found)

    def _stored_file_findings(self, run: ProjectRun, app_label: str | None) -> tuple[bool, list[Finding]] | None:
        """Whether this file has facts, and its per-file findings, as stored when flake8 last checked this very text
        with these settings in a lint run of one file (an editor's, which checks a file again on every pause): no
        fact is extracted and no rule imported. None when not stored, or not such a run."""
        keyed = self._one_file_key(run, app_label)
        if keyed is None:
            return None
        stored = run.cache.slot_data(*keyed)
        if stored is None:
            return None
        stamps = stored.get("stamps")
        if stamps is not None and not (isinstance(stamps, tuple) and stamps_unchanged(stamps)):
            return None  # its facts were also read from a file that changed since
        has_facts, found = stored.get("facts"), stored.get("findings")
        if not isinstance(has_facts, bool) or not isinstance(found, tuple) or not all(
            isinstance(finding, Finding) for finding in found
        ):
            return None
        return has_facts, list(found)

    def _store_file_findings(
        self, run: ProjectRun, app_label: str | None, facts: MigrationFacts | None, found: list[Finding],
        looked: list[str],
    ) -> None:
        """Keeps what ``_stored_file_findings`` serves; where the facts were also read from another file (a base
        class's module, a models module), which can change without this text, with the stamp of every file and
        folder ``looked`` up to read them, as the facts cache keeps such facts."""
        stamps = None
        if facts is not None and facts.reads_other_files:
            stamps = stamps_of_lookups(looked)
            if stamps is None:
                return  # read from a file changed a moment ago: a change in the same tick would not show
        keyed = self._one_file_key(run, app_label)
        if keyed is not None:
            run.cache.store_slot_data(
                *keyed, {"facts": facts is not None, "findings": tuple(found), "stamps": stamps}
            )

    def _one_file_key(self, run: ProjectRun, app_label: str | None) -> tuple[str, str] | None:
        """The key of this file's per-file findings and the digest of the text they are for, in a lint run of one
        file only: a run over a tree would write an entry per migration, and a cold run writing many small files is
        slower than one that writes none."""
        if self.lines is None or not run.cache.enabled or not _lints_one_file(self.parsed_options):
            return None
        from flake8_django_migrations.project.fingerprint import one_file_findings_key, source_digest

        is_migration = is_migration_module_name(os.path.basename(self.filename))
        source = "".join(self.lines).encode("utf-8", "surrogatepass")
        key = one_file_findings_key(run.settings, self.filename, app_label if is_migration else None)
        return key, source_digest(source)

    def _reported_outside_migrations(self, run: ProjectRun | None) -> list[Finding]:
        """The project findings of a file that is no migration: with ``djm-base``, DJM503 of an app whose
        migrations folder was deleted is reported on the nearest remaining Python file. Without it, there are none,
        and no project is looked up."""
        if self.settings.base is None:
            return []
        if run is None:
            from flake8_django_migrations.run import ProjectRun

            try:
                run = ProjectRun.of_file(self.filename, self.settings, self.lint_runs)
            except Exception as error:  # noqa: BLE001 - flake8 would abort the user's whole run
                _say_project_pass_failed(self.filename, error, self.lint_runs)
                return []
        return run.reported_in_file(list(self._project_findings(run, None)))

    def _has_migration_class(self) -> bool:
        return any(isinstance(node, ast.ClassDef) and node.name == "Migration" for node in self.tree.body)

    def _file_findings(self, settings: Settings, app_label: str | None) -> tuple[MigrationFacts | None, list[Finding]]:
        from flake8_django_migrations.facts import extract_facts
        from flake8_django_migrations.registry import check_facts

        is_migration = is_migration_module_name(os.path.basename(self.filename))
        # The text flake8 read (an editor's buffer included), for the comments the syntax tree does not keep.
        source = "".join(self.lines) if self.lines is not None else None
        facts = extract_facts(self.tree, self.filename, app_label=app_label if is_migration else None, source=source)
        return facts, list(check_facts(facts, settings)) if facts is not None else []

    def _project_findings(self, run: ProjectRun, buffer: MigrationFacts | None) -> Iterator[Finding]:
        """The project findings attributed to this file (a module of a migrations package without a Migration
        class has some too); ``buffer``: the facts of the text flake8 was handed when it is not the saved file.
        Never raises: what the project pass cannot tell, it does not report."""
        target = os.path.abspath(self.filename)
        try:
            if buffer is not None:
                found = run.project_findings_with_buffer(target, buffer)
            else:
                found = run.project_findings_in(target)
        except Exception as error:  # noqa: BLE001 - flake8 would abort the user's whole run
            _say_project_pass_failed(self.filename, error, self.lint_runs)
            return
        for finding in found:
            yield dataclasses.replace(finding, path=self.filename)

    def _is_unsaved_buffer(self) -> bool:
        """Whether flake8 was handed text that is not the saved file (an editor's buffer on stdin with
        ``--stdin-display-name``): the project pass must then read that text for this file, not the disk."""
        if self.lines is None:
            return False
        saved = read_regular_file(self.filename)
        if saved is None:
            return False
        try:
            return decode_source(saved).splitlines() != "".join(self.lines).splitlines()
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return True


def _say_project_pass_failed(path: str, error: Exception, lint_run: int) -> None:
    """A project pass that raised is said, once per lint run: its findings are missing, the run is not clean."""
    if MigrationChecker.failure_said_in_run == lint_run:
        return
    MigrationChecker.failure_said_in_run = lint_run
    print(
        f"django-migrations-lint: the project pass failed ({type(error).__name__}: {error}) while checking {path};"
        " only the per-file rules ran, so graph and cross-file findings are missing (please report this)",
        file=sys.stderr,
    )


def settings_of_lint_run(options: argparse.Namespace) -> Settings:
    """The settings of one lint run from flake8's options (this plugin's included), as both front ends build them:
    ``pyproject.toml``'s table fills what flake8's options left at their defaults (flake8 does not read it), the
    codes flake8 will report decide which rules run, and the git base and the baseline are made ready.
    ``SettingsError`` for a value that makes no sense."""
    pyproject = {} if _is_isolated(options) else pyproject_options(os.getcwd())
    settings = settings_from_flake8_options(options, pyproject, enabled_codes=_selected_codes(options))
    if settings.project_root is not None and not os.path.isdir(settings.project_root):
        # Else every file would be its own project of nothing: the project findings would vanish without a word.
        raise SettingsError(f"djm-project-root: {settings.project_root} is not a folder")
    if settings.base is not None or settings.baseline is not None or settings.applied is not None:
        from flake8_django_migrations.run import resolve_options  # git and the baseline: only when asked

        settings = resolve_options(settings, getattr(options, "filenames", None) or ())
    return settings


def _is_isolated(options: argparse.Namespace) -> bool:
    """Whether flake8 runs with ``--isolated`` (no configuration file read, ``pyproject.toml``'s table neither).
    flake8 parses that option in a first stage and leaves it out of the options it hands plugins, so it is read
    from that stage's result while flake8's ``parse_args`` is on the stack (it calls ``parse_options``)."""
    if getattr(options, "isolated", False):
        return True
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "parse_args" and frame.f_globals.get("__name__") == "flake8.options.parse_args":
            return bool(getattr(frame.f_locals.get("args0"), "isolated", False))
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _may_be_moved_migrations(folder: str, settings: Settings) -> bool:
    """Whether ``folder`` (absolute) may be a ``MIGRATION_MODULES`` package (from the options or the project's
    Django settings): its path ends with one of the modules. Other folders cost nothing more."""
    return any(
        folder.endswith(os.sep + module.replace(".", os.sep)) for module in settings.migration_modules.values()
    )


def _in_migrations_package(path: str) -> bool:
    """Whether Django could load the module at ``path`` as a migration: its folder holds an ``__init__.py``
    (a folder without one is a namespace package, which Django's loader skips). A file that is not on disk (an
    editor's buffer on standard input) is taken at its word."""
    folder = os.path.dirname(os.path.abspath(path))
    return os.path.isfile(os.path.join(folder, "__init__.py")) or not os.path.isdir(folder)


def _lints_one_file(options: argparse.Namespace | None) -> bool:
    """Whether flake8 was asked to check one file (or standard input): an editor's run."""
    filenames: list[str] = list(getattr(options, "filenames", None) or ())
    return len(filenames) == 1 and (filenames[0] == "-" or os.path.isfile(filenames[0]))


def _selected_codes(options: argparse.Namespace) -> frozenset[str] | None:
    """The codes of ours that flake8 will report, decided by flake8's own engine; None (all) if it cannot say."""
    try:
        from flake8.style_guide import Decision, DecisionEngine  # type: ignore[import-untyped]

        engine = DecisionEngine(options)
        return frozenset(code for code in CODES if engine.decision_for(code) is Decision.Selected)
    except Exception:  # noqa: BLE001 - an internal API of flake8: when it changes, run every rule
        return None

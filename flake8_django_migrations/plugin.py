"""The flake8 adapter: flake8 options to Settings, and findings for the file flake8 is checking."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import os
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

from flake8_django_migrations import __version__
from flake8_django_migrations.facts import extract_facts, is_migration_module_name
from flake8_django_migrations.files import read_regular_file
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.registry import OFF_BY_DEFAULT, PROJECT_RULES, RULES, check_facts
from flake8_django_migrations.source import decode_source
from flake8_django_migrations.settings import (
    DATABASES,
    Settings,
    SettingsError,
    build_settings,
    is_true,
    pyproject_options,
)

__all__ = ["MigrationChecker"]


class MigrationChecker:
    name = "django-migrations-lint"
    version = __version__
    # flake8 hands options to the class once per process, before any file is checked.
    settings: ClassVar[Settings] = Settings()
    # How many times flake8 parsed options in this process: once per lint run. A long-lived process (an editor's
    # in-process flake8) checks the project's files again on its next run instead of keeping its first answer.
    lint_runs: ClassVar[int] = 0

    def __init__(self, tree: ast.Module, filename: str, lines: list[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--djm-database", default=None, choices=DATABASES, parse_from_config=True,
            help="Database the migrations run on; DJM205 and DJM206 apply to PostgreSQL only. (Default: the ENGINE"
            " of the Django settings' default database, else postgresql)",
        )
        manager.add_option(
            "--djm-settings", default=None, parse_from_config=True,
            help="The Django settings module (dotted, or a .py path), read without importing it; 'none' to read no"
            " settings. (Default: DJANGO_SETTINGS_MODULE, else manage.py's, else pytest-django's)",
        )
        manager.add_option(
            "--djm-project-root", default=None, parse_from_config=True,
            help="Root of the Django project whose migration graph is checked. (Default: found from each file)",
        )
        manager.add_option(
            "--djm-app-label", default=[], comma_separated_list=True, parse_from_config=True,
            help="PATH=LABEL: the app label of the app folder PATH, when AppConfig.label cannot be read.",
        )
        manager.add_option(
            "--djm-migration-modules", default=[], comma_separated_list=True, parse_from_config=True,
            help="LABEL=dotted.module: Django's MIGRATION_MODULES, for migrations kept in another package.",
        )
        manager.add_option(
            "--djm-swappable", default=[], comma_separated_list=True, parse_from_config=True,
            help="SETTING=app.Model for swappable dependencies. (Default: AUTH_USER_MODEL=auth.User)",
        )
        manager.add_option(
            "--djm-base", default=None, parse_from_config=True,
            help="The git revision that is deployed (origin/main, a tag): DJM5xx compare the migrations with it.",
        )
        manager.add_option(
            "--djm-new-only", default=False, action="store_true", parse_from_config=True,
            help="With --djm-base, report only findings about migrations added or changed since that revision.",
        )
        manager.add_option(
            "--djm-baseline", default=None, parse_from_config=True,
            help="A baseline file (written by `django-migrations-lint check --write-baseline`): its findings are"
            " not reported.",
        )
        manager.add_option(
            "--djm-cache-dir", default=None, parse_from_config=True,
            help="Where to cache facts about migration files. (Default: $XDG_CACHE_HOME/flake8-django-migrations)",
        )
        manager.add_option(
            "--djm-no-cache", default=False, action="store_true", parse_from_config=True,
            help="Do not cache facts about migration files on disk.",
        )
        manager.extend_default_ignore(list(OFF_BY_DEFAULT))

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        # flake8 does not read pyproject.toml; its table fills what flake8's options left at their defaults.
        pyproject = {} if getattr(options, "isolated", False) else pyproject_options(os.getcwd())

        def configured(key: str, given: str | None, default: str | None = None) -> str | None:
            if given is not None and given != default:
                return given
            return next(iter(pyproject.get(key, [])), given)

        cls.lint_runs += 1
        try:
            cls.settings = build_settings(
                database=configured("djm-database", options.djm_database),
                project_root=configured("djm-project-root", options.djm_project_root),
                app_labels=[*pyproject.get("djm-app-label", []), *options.djm_app_label],
                migration_modules=[*pyproject.get("djm-migration-modules", []), *options.djm_migration_modules],
                swappable=[*pyproject.get("djm-swappable", []), *options.djm_swappable],
                exclude=(*(getattr(options, "exclude", ()) or ()), *(getattr(options, "extend_exclude", ()) or ())),
                cache_dir=configured("djm-cache-dir", options.djm_cache_dir),
                use_cache=not (options.djm_no_cache or is_true(configured("djm-no-cache", None))),
                enabled_codes=_selected_codes(options),
                settings_module=configured("djm-settings", options.djm_settings),
                base=configured("djm-base", options.djm_base),
                new_only=options.djm_new_only or is_true(configured("djm-new-only", None)),
                baseline=configured("djm-baseline", options.djm_baseline),
            )
            if cls.settings.baseline is not None:
                _check_baseline(cls.settings.baseline)
        except SettingsError as error:
            # As flake8 reports a bad value of its own options: a usage error, exit status 2.
            print(f"flake8: error: {error}", file=sys.stderr)
            raise SystemExit(2) from None

    def run(self) -> Iterator[tuple[int, int, str, type[MigrationChecker]]]:
        try:
            findings = self._reported(list(self._findings()), self.settings)
        except Exception as error:  # noqa: BLE001 - a plugin crash would abort the user's whole flake8 run
            print(
                f"django-migrations-lint: internal error while checking {self.filename}: "
                f"{type(error).__name__}: {error} (please report this)",
                file=sys.stderr,
            )
            return
        for finding in sorted(findings, key=lambda f: f.sort_key):
            yield finding.line, finding.col, finding.text, type(self)

    def _reported(self, findings: list[Finding], settings: Settings) -> list[Finding]:
        """Less what ``djm-new-only`` and ``djm-baseline`` leave out, as the command does."""
        if settings.new_only and settings.base_commit is not None:
            from flake8_django_migrations.project.findings_cache import new_only_for

            since = new_only_for(self.filename, settings, self.lint_runs)
            findings = [f for f in findings if since.keeps(f.path, f.message)]
        if settings.baseline is not None:
            from flake8_django_migrations.baseline import memoised_baseline

            findings = memoised_baseline(settings.baseline).without_baselined(findings)
        return findings

    def _findings(self) -> Iterator[Finding]:
        if self.settings.enabled_codes == frozenset():
            return  # none of our codes is selected: cost nothing
        named_migrations = os.path.basename(os.path.dirname(self.filename)) == "migrations"
        if not _in_migrations_package(self.filename) or not (named_migrations or self._in_moved_migrations()):
            return  # Django would not load it as a migration (the command's discovery agrees)
        # The project pass is imported here so that files that are not migrations never pay for it.
        from flake8_django_migrations.project.findings_cache import file_context, project_findings_for

        # The project's settings (its Django settings read) and the app label the project pass gives this folder
        # (AppConfig.label, --djm-app-label), so that the per-file rules see what the command's see.
        settings, app_label = file_context(self.filename, self.settings, self.lint_runs)
        if not named_migrations and app_label is None:
            return  # not a MIGRATION_MODULES package of an app the project pass found
        is_migration = is_migration_module_name(os.path.basename(self.filename))
        # The text flake8 read (an editor's buffer included), for the comments the syntax tree does not keep.
        source = "".join(self.lines) if self.lines is not None else None
        facts = extract_facts(self.tree, self.filename, app_label=app_label if is_migration else None, source=source)
        if facts is not None:
            yield from check_facts(facts, settings)
        elif not is_migration:
            return  # a module of a migrations package without a Migration class still has a project finding
        if not any(settings.is_enabled(rule.code) for rule in PROJECT_RULES):
            return
        buffer = facts if facts is not None and self._is_unsaved_buffer() else None
        for finding in project_findings_for(self.filename, settings, PROJECT_RULES, self.lint_runs, buffer):
            if settings.is_enabled(finding.code):
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

    def _in_moved_migrations(self) -> bool:
        """Whether the file's folder may be a ``MIGRATION_MODULES`` package (from the options or the project's
        Django settings): its path ends with one of the modules. Other folders cost a few stats, not a walk."""
        if not self.settings.migration_modules and not self.settings.read_django_settings:
            return False
        from flake8_django_migrations.project.discover import find_project_root
        from flake8_django_migrations.project.django_settings import settings_for_project

        try:
            settings = settings_for_project(self.settings, find_project_root(self.filename, self.settings))
        except Exception:  # noqa: BLE001 - unreadable settings are no settings; never abort flake8's run
            return False
        folder = os.path.dirname(os.path.abspath(self.filename))
        return any(
            folder.endswith(os.sep + module.replace(".", os.sep)) for module in settings.migration_modules.values()
        )


def _check_baseline(path: str) -> None:
    """A baseline that cannot be read is a usage error up front, not a surprise in the middle of the run."""
    from flake8_django_migrations.baseline import BaselineError, read_baseline  # only when one is set

    try:
        read_baseline(path)
    except BaselineError as error:
        raise SettingsError(str(error)) from None


def _in_migrations_package(path: str) -> bool:
    """Whether Django could load the module at ``path`` as a migration: its folder holds an ``__init__.py``
    (a folder without one is a namespace package, which Django's loader skips). A file that is not on disk (an
    editor's buffer on standard input) is taken at its word."""
    folder = os.path.dirname(os.path.abspath(path))
    return _is_package(folder) or not os.path.isdir(folder)


@functools.lru_cache(maxsize=1024)
def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def _selected_codes(options: argparse.Namespace) -> frozenset[str] | None:
    """The codes of ours that flake8 will report, decided by flake8's own engine; None (all) if it cannot say."""
    try:
        from flake8.style_guide import Decision, DecisionEngine  # type: ignore[import-untyped]

        engine = DecisionEngine(options)
        return frozenset(code for code in RULES if engine.decision_for(code) is Decision.Selected)
    except Exception:  # noqa: BLE001 - an internal API of flake8: when it changes, run every rule
        return None

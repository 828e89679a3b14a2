"""One project run: what both front ends do between reading their options and printing findings.

A ``ProjectRun`` is one project root checked with one set of options in one lint run. It reads the project's Django
settings once (``settings``), discovers the migration packages once, fingerprints every input once, gets the per-file
and project findings through the cache (running the project rules only when an input changed), and works out once
what ``djm-new-only`` and ``djm-baseline`` leave out. The flake8 plugin asks the run of its file's project for that
file's findings; the command asks each root's run for all of them. So the two give one verdict by construction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from flake8_django_migrations.codes import NEEDS_ROLLING_DEPLOY, PROJECT_CODES
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.files import recording_lookups
from flake8_django_migrations.project.cache import FactsCache, collection_paused, fork_context
from flake8_django_migrations.project.discover import Discovery, discover, find_project_root
from flake8_django_migrations.project.fingerprint import (
    file_findings_key,
    project_fingerprint,
    project_slot,
    read_files_fingerprint,
)
from flake8_django_migrations.project.setup import setup_key, store_setup, stored_setup
from flake8_django_migrations.settings import Settings, SettingsError

if TYPE_CHECKING:
    from flake8_django_migrations.baseline import Baseline
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.project.history import NewOnly
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.rules.rule import Rule

# The graph, the state, the rules and git are imported where they are used: a run served from the cache needs none.

__all__ = ["FileFindings", "ProjectRun", "file_findings", "resolve_options", "run_rules"]

# Per migration file: its findings, or None when its facts could not be read (flake8's E999 or E902 then).
FileFindings = dict[str, "tuple[Finding, ...] | None"]

_NOT_YET: Final = object()
# The entry, beside the project findings' key, that names the migrations whose facts were read from other files too.
_READ_OTHER_FILES: Final = "-read-other-files"


class ProjectRun:
    """One project root, one set of options (``options``, as the front end built them), one lint run."""

    __slots__ = ("root", "options", "settings", "cache", "codes", "_discovery", "_fingerprint", "_project_findings",
                 "_by_path", "_new_only", "_baseline", "_setup_key", "_settings_looked_up", "_stored",
                 "_slot")

    def __init__(
        self, root: str, options: Settings, cache: FactsCache | None = None,
        project_rule_codes: Sequence[str] | None = None,
    ) -> None:
        self.root = os.path.abspath(root)
        self.options = options
        self.cache = cache if cache is not None else FactsCache(options.cache_dir, options.use_cache)
        self._discovery: Discovery | None = None
        # The options with what the project's Django settings say: read here, and nowhere else; with the migration
        # packages, kept between processes while none of the files and folders they come from changed.
        self._setup_key = setup_key(self.root, options) if self.cache.enabled else None
        self._settings_looked_up: list[str] = []
        setup = stored_setup(self.cache, self._setup_key) if self._setup_key is not None else None
        if setup is not None:
            django, self._discovery = setup
            self.settings = options.with_django(django) if django is not None else options
        else:
            from flake8_django_migrations.project.django_settings import settings_for_project  # the reader: a miss

            with recording_lookups() as self._settings_looked_up:
                self.settings = settings_for_project(options, self.root)
        repository = self.settings.base_repository
        if self.settings.base is not None and not (repository is not None and _in_repository(self.root, repository)):
            # The commit djm-base names in the repository holding this project, when the options were resolved in
            # another (the first path's, the working folder's): another repository's HEAD is another commit.
            self.settings = _with_base_resolved(self.settings, self.root)
        if self.settings.applied is not None and self.settings.applied_migrations is None:
            self.settings = _with_applied_read(self.settings)  # settings made without resolve_options
        if project_rule_codes is None:
            project_rule_codes = PROJECT_CODES
        # The project rules whose code is selected; the others are not run at all (an opinionated rule off by
        # default can cost more than all the others). Codes (codes.py, generated from the registry), so that a warm
        # run need not import the rules.
        self.codes = tuple(code for code in project_rule_codes if self.settings.is_enabled(code))
        if not self.settings.rolling_deploy:
            # djm-deploy = downtime: the rules whose claim needs old code running are not run (the records say which).
            self.codes = tuple(code for code in self.codes if code not in NEEDS_ROLLING_DEPLOY)
        self._fingerprint: str | None = None
        self._slot: str | None = None
        self._project_findings: tuple[Finding, ...] | None = None
        self._by_path: dict[str, tuple[Finding, ...]] | None = None
        self._stored: Any = _NOT_YET
        self._new_only: Any = _NOT_YET
        self._baseline: Any = _NOT_YET

    @classmethod
    def of_file(cls, path: str, options: Settings, lint_run: int) -> ProjectRun:
        """The run of the project of the file at ``path``, made once per lint run in this process: flake8 asks for
        each file, and an editor's long-lived process lints again after the user changed files."""
        root = find_project_root(os.path.abspath(path), options)
        return _RUNS.get((root, lint_run, id(options)), lambda: cls(root, options), lambda run: run.options is options)

    @property
    def discovery(self) -> Discovery:
        """Every migrations package of the project, walked once per run."""
        if self._discovery is None:
            with recording_lookups() as looked:
                self._discovery = discover(self.root, self.settings)
            if self._setup_key is not None:
                store_setup(self.cache, self._setup_key, self.settings.django, self._discovery,
                            (*self._settings_looked_up, *looked))
        return self._discovery

    @property
    def slot(self) -> str:
        """Where the project findings are stored (``project_slot``): one entry per project and settings."""
        if self._slot is None:
            self._slot = project_slot(self.discovery, self.settings, self.codes)
        return self._slot

    @property
    def fingerprint(self) -> str:
        """What the project findings are stored under: taken once, since it stats every input."""
        if self._fingerprint is None:
            self._fingerprint = project_fingerprint(self.discovery, self.settings, self.codes)
        return self._fingerprint

    def rules(self) -> tuple[Rule, ...]:
        from flake8_django_migrations.registry import RULES

        return tuple(RULES[code] for code in self.codes)

    def index(self, overrides: Mapping[str, MigrationFacts] | None = None) -> ProjectIndex:
        """The graph and model state of the project; ``overrides`` (absolute path -> facts) stand in for files
        whose text is not the saved one (an editor's unsaved buffer)."""
        from flake8_django_migrations.project.index import build_index

        return build_index(self.discovery, self.settings, self.cache, overrides)

    # Findings ----------------------------------------------------------------------------------------------------

    def project_findings(self, jobs: int = 1) -> tuple[Finding, ...]:
        """The findings of the selected project rules, from the cache when no input changed (then the graph is not
        built), else from the project pass over ``jobs`` processes, then stored. Only the findings are kept: a
        flake8 worker holding every file's facts would make the garbage collector rescan them for nothing."""
        if self._project_findings is None:
            found: tuple[Finding, ...] | None = None
            stored = self._stored_project_findings()
            if stored is not None:
                files = [self.cache.findings_of(payload) for payload in stored.values()]
                if all(file is not None for file in files):
                    found = tuple(finding for file in files for finding in file or ())
            if found is None:
                rules = self.rules()
                with collection_paused():
                    index = self.index()
                    # Sorted, as they are stored: a warm run gives them in the same order.
                    found = tuple(sorted(run_rules_in_processes(index, rules, self.settings, jobs),
                                         key=lambda finding: finding.sort_key))
                    reading = sorted(
                        (((facts.path, facts.app_label), facts)
                         for facts in index.migrations.values() if facts.reads_other_files),
                        key=lambda item: item[0][0],
                    )
                del index  # the graph and the model state, freed before the findings are written: the run's peak
                self._store_project_findings(found, reading)
            self._project_findings = found
        return self._project_findings

    def _stored_project_findings(self) -> Mapping[str, bytes] | None:
        """The project findings stored under the fingerprint, by file and still pickled (once per run); where the
        facts of some migrations were also read from other files (a base class's module, a models module), which
        the fingerprint does not cover, those stored under it with those facts as extracted now
        (``read_files_fingerprint``)."""
        if self._stored is _NOT_YET:
            self._stored = self._load_project_findings()
        stored: Mapping[str, bytes] | None = self._stored
        return stored

    def _load_project_findings(self) -> Mapping[str, bytes] | None:
        slot = self.slot
        stored = self.cache.project_findings(slot, self.fingerprint)
        if stored is not None:
            return stored
        found = self.cache.slot_data(slot + _READ_OTHER_FILES, self.fingerprint)
        reading = found.get("migrations") if found is not None else None
        if not isinstance(reading, tuple) or not all(
            isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            and (item[1] is None or isinstance(item[1], str))
            for item in reading
        ):
            return None
        return self.cache.project_findings(slot, read_files_fingerprint(self.fingerprint, self._facts_now(reading)))

    def _store_project_findings(
        self, findings: tuple[Finding, ...], reading: Sequence[tuple[tuple[str, str | None], MigrationFacts]]
    ) -> None:
        """Stores ``findings``; ``reading``: the migrations whose facts were also read from other files (path and
        app label, with those facts), by path."""
        if not reading:
            self.cache.store_project_findings(self.slot, self.fingerprint, findings)
            return
        self.cache.store_slot_data(
            self.slot + _READ_OTHER_FILES, self.fingerprint, {"migrations": tuple(key for key, _ in reading)}
        )
        worked_out_from = read_files_fingerprint(self.fingerprint, (facts for _, facts in reading))
        self.cache.store_project_findings(self.slot, worked_out_from, findings)

    def _facts_now(self, migrations: Sequence[tuple[str, str | None]]) -> list[MigrationFacts | None]:
        """The facts of ``migrations`` (path and app label) as extracted in this run: the cache keeps such facts
        for the run only, so those the per-file findings needed are not extracted again."""
        by_label: dict[str | None, list[str]] = {}
        for path, label in migrations:
            by_label.setdefault(label, []).append(path)
        found = {
            (path, label): facts
            for label, paths in by_label.items()
            for path, facts in self.cache.facts_for_files(paths, app_label=label).items()
        }
        return [found.get(migration) for migration in migrations]

    def project_findings_in(self, path: str) -> tuple[Finding, ...]:
        """The project findings attributed to the file at ``path`` (absolute): when they are stored, that file's
        only are read (an editor's run on one file)."""
        if self._project_findings is None and self._by_path is None:
            stored = self._stored_project_findings()
            if stored is not None:
                found = self.cache.findings_of(stored[path]) if path in stored else ()
                if found is not None:
                    return found
        if self._by_path is None:
            self._by_path = group_by_path(self.project_findings())
        return self._by_path.get(path, ())

    def project_findings_with_buffer(self, path: str, buffer: MigrationFacts) -> tuple[Finding, ...]:
        """The project findings attributed to the file at ``path`` when its text is ``buffer``, not the saved file
        (an editor's unsaved buffer): the project pass reads it instead, and nothing computed from it is kept."""
        with collection_paused():
            index = self.index(overrides={path: buffer})
            return group_by_path(run_rules(index, self.rules(), self.settings)).get(path, ())

    def file_findings(self, jobs: int = 1) -> tuple[FileFindings, bool, str]:
        """The per-file findings of every migration discovery found (the folders of a label two of them claim too:
        they are left out of the graph, not out of the per-file rules), stored under the stat of every input, so a
        run where nothing changed reads them in one entry without loading any facts. Also whether a ``RunSQL``
        among them went unanalysed for want of PostgreSQL's parser on PostgreSQL (stored with them: a warm run does
        not import the parser to tell), and the key they are stored under, which stands for the stat of every file
        discovery found."""
        settings, cache, discovery = self.settings, self.cache, self.discovery
        key = file_findings_key(self.fingerprint, discovery, settings)
        # One entry per project and settings, replaced when a file changes (the key is kept inside it).
        slot = "files-" + self.slot.partition("-")[2]
        kept = cache.file_findings(slot, key)
        apps = (*discovery.apps.values(), *discovery.left_out)
        if kept is not None:
            stored, sql_unanalysed = kept
            # Those not stored: migrations whose facts read a models module, which can change without them.
            for app in apps:
                missing = [path for path in app.files if path not in stored]
                if missing:
                    for path, facts in cache.facts_for_files(missing, app_label=app.label).items():
                        stored[path] = tuple(file_findings(facts, settings)) if facts is not None else None
            return stored, sql_unanalysed, key
        from flake8_django_migrations.project.index import load_all_facts  # the graph and the state: only now
        from flake8_django_migrations.registry import running_file_rules

        rules = running_file_rules(settings)

        found: FileFindings = {}
        with_sql: list[str] = []
        # Migrations whose facts read another file (a models module, a base class's module): their findings are not
        # keyed by the stat of the project's migrations alone, so they are not stored and every run computes them.
        read_other_files: set[str] = set()

        def check_folder(
            paths: Sequence[str], app_label: str | None, loaded: Mapping[str, MigrationFacts | None]
        ) -> None:
            # Each folder as soon as its facts are in: the workers extract the others meanwhile.
            for path in paths:
                facts = loaded.get(path)
                found.setdefault(path, tuple(file_findings(facts, settings, rules)) if facts is not None else None)
                if facts is not None and any(op.kind == "RunSQL" for op in facts.operations):
                    with_sql.append(path)
                if facts is not None and facts.reads_other_files:
                    read_other_files.add(path)

        # Every file's facts over ``jobs`` processes; the project pass that follows reads them from the cache.
        load_all_facts(discovery, cache, jobs, check_folder)
        unanalysed = False
        if with_sql and settings.is_postgresql:
            from flake8_django_migrations.facts.sql import sql_parser_available

            unanalysed = not sql_parser_available()
        cache.store_file_findings(
            slot, key, {path: found[path] for path in found if path not in read_other_files}, unanalysed
        )
        return found, unanalysed, key

    # What is reported --------------------------------------------------------------------------------------------

    @property
    def new_only(self) -> NewOnly | None:
        """With ``djm-new-only``: what changed since ``djm-base``, asked of git once per run."""
        if self._new_only is _NOT_YET:
            self._new_only = None
            if self.settings.new_only and self.settings.base_commit is not None:
                from flake8_django_migrations.project.history import NewOnly  # git: only with djm-new-only

                self._new_only = NewOnly.since(self.settings.base_commit, self.discovery, self.settings.base_repository)
        found: NewOnly | None = self._new_only
        return found

    def new_since_base(self, findings: Iterable[Finding]) -> list[Finding]:
        """The ``findings`` that ``djm-new-only`` reports: those about what changed since ``djm-base``."""
        since = self.new_only
        return list(findings) if since is None else [f for f in findings if since.keeps(f.path, f.message)]

    @property
    def baseline(self) -> Baseline | None:
        """The ``djm-baseline`` file, read once per run."""
        if self._baseline is _NOT_YET:
            self._baseline = None
            if self.settings.baseline is not None:
                from flake8_django_migrations.baseline import read_baseline

                self._baseline = read_baseline(self.settings.baseline)
        found: Baseline | None = self._baseline
        return found

    def reported_in_file(self, findings: Sequence[Finding]) -> list[Finding]:
        """For the plugin: one file's findings less those ``djm-new-only`` and ``djm-baseline`` leave out. (The
        command applies the baseline once over every root, after flake8's verdict, to count the stale entries.)"""
        kept = self.new_since_base(findings) if findings else []
        return self.baseline.without_baselined(kept) if kept and self.baseline is not None else kept


# The plugin's runs: a few projects, one lint run each.
_RUNS: Memo[tuple[str, int, int], ProjectRun] = Memo(4)


def resolve_options(settings: Settings, paths: Sequence[str] = ()) -> Settings:
    """The options of a lint run made ready, once, before any file is checked: the commit ``djm-base`` names now
    (a moved ref, origin/main, names other migrations) in the repository holding the project (``djm-project-root``,
    else the first of the ``paths`` checked, else the working folder; each ``ProjectRun`` resolves it again in its
    own), the baseline file read, and the applied migrations ``djm-applied`` names read. ``SettingsError`` for a
    revision git does not know, or a baseline or applied-migrations source that cannot be read: both front ends
    report it as a usage error."""
    if settings.base is not None:
        settings = _with_base_resolved(settings, settings.project_root or (paths[0] if paths else os.getcwd()))
    if settings.baseline is not None:
        from flake8_django_migrations.baseline import BaselineError, read_baseline

        try:
            read_baseline(settings.baseline)
        except BaselineError as error:
            raise SettingsError(str(error)) from None
    if settings.applied is not None and settings.applied_migrations is None:
        settings = _with_applied_read(settings)
    return settings


def _with_applied_read(settings: Settings) -> Settings:
    """``settings`` with the migrations ``djm-applied`` says are applied, read now (the source is opened read-only,
    once); ``SettingsError`` when it cannot be read."""
    from dataclasses import replace

    from flake8_django_migrations.project.applied import read_applied

    assert settings.applied is not None
    return replace(settings, applied_migrations=read_applied(settings.applied))


def _in_repository(root: str, repository: str) -> bool:
    from flake8_django_migrations.project.history import in_repository  # git's business: only with djm-base

    return in_repository(root, repository)


def _with_base_resolved(settings: Settings, where: str) -> Settings:
    """``settings`` with the commit ``djm-base`` names in the repository holding ``where`` (a file or a folder);
    ``SettingsError`` when git cannot say."""
    from dataclasses import replace

    from flake8_django_migrations.project.history import HistoryError, resolve_revision

    assert settings.base is not None
    try:
        repository, commit = resolve_revision(settings.base, where)
        return replace(settings, base_commit=commit, base_repository=repository)
    except HistoryError as error:
        raise SettingsError(str(error)) from None


def file_findings(
    facts: MigrationFacts, settings: Settings, rules: Sequence[Rule] | None = None
) -> Iterable[Finding]:
    """Every per-file finding of one migration, with an absolute path. ``rules``: the registry's
    ``running_file_rules(settings)``, worked out once by a caller that checks many files."""
    from flake8_django_migrations.registry import check_facts

    here, absolute = facts.path, os.path.abspath(facts.path)  # nearly every finding is in the file itself
    for finding in check_facts(facts, settings, rules):
        path = absolute if finding.path == here else os.path.abspath(finding.path)
        yield finding if path == finding.path else Finding(
            path, finding.line, finding.col, finding.code, finding.message, finding.hint
        )


def run_rules(index: ProjectIndex, rules: Iterable[Rule], settings: Settings) -> tuple[Finding, ...]:
    """Every finding of the project ``rules`` handed in, sorted; each is attributed to exactly one file and line,
    so flake8 reports it once however it splits the files between processes. ``settings``: the run's, with what
    the project's Django settings say, as the index was built with them."""
    found = [finding for rule in rules for finding in rule.findings_in_project(index, settings)]
    return tuple(sorted(found, key=lambda finding: finding.sort_key))


def run_rules_in_processes(
    index: ProjectIndex, rules: Sequence[Rule], settings: Settings, jobs: int
) -> tuple[Finding, ...]:
    """``run_rules`` with the rules shared out between forked processes (when ``jobs`` and the project are large
    enough), which find the index in place. The findings are merged in the order of ``rules`` before the same
    sort, so they are exactly the serial ones."""
    jobs = min(jobs, len(rules))
    context = fork_context(len(index.migrations), jobs) if jobs > 1 else None
    if context is None:
        return run_rules(index, rules, settings)
    index.state  # built once here rather than again in every worker
    by_rule: dict[int, tuple[Finding, ...]] = {}
    try:
        with context.Pool(jobs, initializer=_start_rules_worker, initargs=(index, rules, settings)) as pool:
            for number, found in pool.imap_unordered(_run_rule_in_worker, range(len(rules))):
                by_rule[number] = found
    except Exception:
        pass  # no processes here, or a worker killed: what is left runs in this process
    for number, rule in enumerate(rules):
        if number not in by_rule:
            by_rule[number] = run_rules(index, [rule], settings)
    merged = [finding for number in range(len(rules)) for finding in by_rule[number]]
    return tuple(sorted(merged, key=lambda finding: finding.sort_key))


# A rules worker's index, rules and settings: set by the pool's initializer in the forked process.
_worker_job: tuple[ProjectIndex, Sequence[Rule], Settings] | None = None


def _start_rules_worker(index: ProjectIndex, rules: Sequence[Rule], settings: Settings) -> None:
    global _worker_job
    _worker_job = (index, rules, settings)


def _run_rule_in_worker(number: int) -> tuple[int, tuple[Finding, ...]]:
    assert _worker_job is not None
    index, rules, settings = _worker_job
    return number, run_rules(index, [rules[number]], settings)


def group_by_path(findings: Iterable[Finding]) -> dict[str, tuple[Finding, ...]]:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    return {path: tuple(items) for path, items in by_path.items()}

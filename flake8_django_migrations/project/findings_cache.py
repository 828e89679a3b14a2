"""The project findings for the flake8 plugin: the fast path, which needs no graph when nothing changed.

flake8 asks for the findings of one file at a time, in each worker process. They are built once per process, and
stored on disk under a fingerprint of every input (each migration file's stat, ``max_migration.txt``, the
settings, this package's code): when nothing changed, an editor checking one file stats the project's files and
reads one entry, without importing the graph and state modules at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.project.cache import FactsCache, collection_paused, fork_context
from flake8_django_migrations.project.discover import MAX_MIGRATION_FILE, Discovery, discover, find_project_root
from flake8_django_migrations.project.django_settings import settings_for_project
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts
    from flake8_django_migrations.project.history import NewOnly
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.rules.rule import Rule

__all__ = [
    "cached_project_findings",
    "file_context",
    "file_findings_key",
    "group_by_path",
    "project_findings_for",
    "project_fingerprint",
    "remember",
    "selected_rules",
    "settings_key",
]

_CACHE_SIZE: Final = 4

# The plugin's per-process memory: findings and discoveries (the plugin asks for the app label of every file it
# checks), bounded, so a long-lived process that visits many projects does not grow, and a worker does not keep
# every file's facts alive while it parses thousands of files.
_findings_cache: dict[tuple[object, ...], Any] = {}


def file_context(path: str, settings: Settings, run: int = 0) -> tuple[Settings, str | None]:
    """For the plugin: the settings of the project of the file at ``path`` (the options with what its Django
    settings say) and the app label the project pass gives the file's migrations package (None when it found
    none), so that per-file rules see what the command's do. Never raises: flake8 would abort the whole run."""
    try:
        target = os.path.abspath(path)
        root = find_project_root(target, settings)
        settings = settings_for_project(settings, root)
        return settings, _discovery(root, settings, run).label_of_folder(os.path.dirname(target))
    except Exception:
        return settings, None


def _discovery(root: str, settings: Settings, run: int = 0) -> Discovery:
    """The project's discovery, walked once per lint run: ``run`` is the plugin's count of flake8 runs in this
    process, so an editor that lints in one long-lived process sees files added since its last run."""
    key = ("discovery", os.path.abspath(root), *settings_key(settings))
    cached = _findings_cache.get(key)
    if not (isinstance(cached, tuple) and cached[0] == run):
        cached = (run, discover(root, settings))
        remember(_findings_cache, key, cached)
    discovery: Discovery = cached[1]
    return discovery


def new_only_for(path: str, settings: Settings, run: int = 0) -> NewOnly:
    """What changed since ``djm-base`` in the project of the file at ``path`` (for ``djm-new-only``), worked out
    once per lint run: flake8 asks for it once per file, and it lists the whole project's files."""
    root = find_project_root(os.path.abspath(path), settings)
    project_settings = settings_for_project(settings, root)
    assert project_settings.base_commit is not None
    key = ("new-only", os.path.abspath(root), *settings_key(project_settings))
    cached = _findings_cache.get(key)
    if isinstance(cached, tuple) and cached[0] == run:
        since: NewOnly = cached[1]
        return since
    from flake8_django_migrations.project.history import NewOnly  # git: only with djm-new-only

    since = NewOnly.since(project_settings.base_commit, _discovery(root, project_settings, run))
    remember(_findings_cache, key, (run, since))
    return since


def project_findings_for(
    path: str, settings: Settings, rules: Sequence[Rule], run: int = 0, buffer: MigrationFacts | None = None
) -> list[Finding]:
    """The findings of the project ``rules`` attributed to the file at ``path``. ``buffer``: the facts of the text
    an editor hands flake8 for that file when it differs from the saved file, which the project pass then reads
    instead (nothing computed from it is cached). Never raises: flake8 would abort the whole run."""
    try:
        target = os.path.abspath(path)
        root = find_project_root(target, settings)
        rules = selected_rules(rules, settings)
        if buffer is not None:
            return list(_findings_with_buffer(root, settings, rules, target, buffer).get(target, ()))
        return list(_findings_by_path(root, settings, rules, run).get(target, ()))
    except Exception:
        return []


def _findings_by_path(
    root: str, settings: Settings, rules: Sequence[Rule], run: int = 0
) -> Mapping[str, tuple[Finding, ...]]:
    """The project findings per file, built once per process and checked again once per lint run (a stat of every
    input), and read from the disk cache when no migration file, ``max_migration.txt`` or setting changed since
    they were stored: an editor checking one file then stats the project's files instead of loading the facts of
    all of them and building the graph again."""
    settings = settings_for_project(settings, root)
    key = ("findings", os.path.abspath(root), *settings_key(settings), tuple(rule.code for rule in rules))
    cached = _findings_cache.get(key)
    if isinstance(cached, tuple) and cached[0] == run:
        by_path: Mapping[str, tuple[Finding, ...]] = cached[2]
        return by_path
    discovery = _discovery(root, settings, run)
    selected = selected_rules(rules, settings)
    # Taken once: it stats every input, and the disk cache is keyed by the same value.
    fingerprint = project_fingerprint(discovery, settings, [rule.code for rule in selected])
    if isinstance(cached, tuple) and cached[1] == fingerprint:
        by_path = cached[2]
    else:
        cache = FactsCache(settings.cache_dir, settings.use_cache)
        # Only the findings stay in memory: a flake8 worker holding every file's facts would make the garbage
        # collector rescan them while it parses thousands of files.
        findings, _ = cached_project_findings(root, settings, cache, discovery, selected, fingerprint)
        by_path = group_by_path(findings)
    remember(_findings_cache, key, (run, fingerprint, by_path))
    return by_path


def _findings_with_buffer(
    root: str, settings: Settings, rules: Sequence[Rule], target: str, buffer: MigrationFacts
) -> Mapping[str, tuple[Finding, ...]]:
    from flake8_django_migrations.project.index import build_index, run_project_rules

    settings = settings_for_project(settings, root)
    discovery = discover(root, settings)
    with collection_paused():
        index = build_index(root, settings, FactsCache(settings.cache_dir, settings.use_cache), discovery,
                            overrides={target: buffer})
        return group_by_path(run_project_rules(index, rules, settings))


def cached_project_findings(
    root: str,
    settings: Settings,
    cache: FactsCache,
    discovery: Discovery,
    rules: Sequence[Rule],
    fingerprint: str | None = None,
    jobs: int = 1,
) -> tuple[tuple[Finding, ...], ProjectIndex | None]:
    """The findings of the project ``rules``, from the disk cache when no input changed (then without an index),
    else from a new index. ``fingerprint``: ``project_fingerprint`` of the same arguments, when already taken.
    ``jobs``: processes the rules may run in (the command's; a flake8 worker runs them in its own)."""
    settings = settings_for_project(settings, root)
    rules = selected_rules(rules, settings)
    fingerprint = fingerprint or project_fingerprint(discovery, settings, [rule.code for rule in rules])
    stored = cache.project_findings(fingerprint)
    if stored is not None:
        return stored, None
    # The graph and the state: imported only when something changed.
    from flake8_django_migrations.project.index import build_index, run_project_rules

    with collection_paused():
        index = build_index(root, settings, cache, discovery)
        context = fork_context(len(index.migrations), min(jobs, len(rules)))
        findings = run_project_rules(index, rules, settings) if context is None else _run_in_pool(
            index, rules, settings, min(jobs, len(rules)), context)
    cache.store_project_findings(fingerprint, findings)
    return findings, index


# A rules worker's index, rules and settings: set by the pool's initializer in the forked process.
_worker_job: tuple[ProjectIndex, Sequence[Rule], Settings] | None = None


def _run_in_pool(
    index: ProjectIndex, rules: Sequence[Rule], settings: Settings, jobs: int, context: Any
) -> tuple[Finding, ...]:
    """``run_project_rules`` with the rules shared out between forked processes, which find the index in place.
    The findings are merged in the order of ``rules`` before the same sort, so they are exactly the serial ones."""
    from flake8_django_migrations.project.index import run_project_rules

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
            by_rule[number] = run_project_rules(index, [rule], settings)
    merged = [finding for number in range(len(rules)) for finding in by_rule[number]]
    return tuple(sorted(merged, key=lambda finding: finding.sort_key))


def _start_rules_worker(index: ProjectIndex, rules: Sequence[Rule], settings: Settings) -> None:
    global _worker_job
    _worker_job = (index, rules, settings)


def _run_rule_in_worker(number: int) -> tuple[int, tuple[Finding, ...]]:
    from flake8_django_migrations.project.index import run_project_rules

    assert _worker_job is not None
    index, rules, settings = _worker_job
    return number, run_project_rules(index, [rules[number]], settings)


def file_findings_key(project: str, discovery: Discovery, settings: Settings) -> str:
    """A cache key for the per-file findings of every migration of the project: its ``project_fingerprint`` (every
    file of the graph's apps by stat, the settings, the package's code), the stat of the files of the folders left
    out of the graph, and every setting (the codes enabled decide which rules run). A migration whose facts read
    another file (a models module) is not stored under it: the command computes its findings every run."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"file-findings\0{project}\0{_stable(settings)!r}".encode("utf-8", "surrogatepass"))
    for app in discovery.left_out:
        digest.update(f"\0app\0{app.label}\0{app.folder}".encode("utf-8", "surrogatepass"))
        _digest_stats(digest, app.files)
    return "files-" + digest.hexdigest()


def _stable(value: object) -> object:
    """``value`` with its sets and mappings sorted: their order, and so their repr, changes between processes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *((f.name, _stable(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return tuple(sorted((repr(k), _stable(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_stable(item)) for item in value))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(item) for item in value)
    return value


def _digest_stats(digest: Any, paths: Iterable[str]) -> None:
    for path in paths:
        try:
            stat = os.stat(path)
            digest.update(f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}".encode(
                "utf-8", "surrogatepass"))
        except OSError:
            digest.update(f"\0{path}\0-".encode("utf-8", "surrogatepass"))


def selected_rules(rules: Sequence[Rule], settings: Settings) -> tuple[Rule, ...]:
    """The ``rules`` whose code flake8 would report: as the per-file rules, the others are not run at all (an
    opinionated rule off by default can cost more than all the others)."""
    return tuple(rule for rule in rules if settings.is_enabled(rule.code))


def _sql_parser_stamp() -> str | None:
    """Where PostgreSQL's parser (the ``[sql]`` extra) is installed, found without importing it: findings stored
    before it was installed (or after it was removed) read ``RunSQL`` differently, so they are not served."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pglast")
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def project_fingerprint(discovery: Discovery, settings: Settings, codes: Sequence[str]) -> str:
    """A cache key for the project findings of the rules whose ``codes`` are given: the settings, this package's
    code, and every input file's stat. Codes rather than rules, so that a warm command need not import the rules.

    The change time is included because no tool sets it back: an edit that keeps size and modification time (a
    checkout, ``touch -r``) still changes it, so a stale entry is not served.
    """
    digest = hashlib.blake2b(digest_size=20)
    installed = (sorted(discovery.installed) if discovery.installed is not None else None, sorted(discovery.unlocated))
    digest.update(repr(
        ("project-findings", discovery.root, settings_key(settings), installed, list(codes), _code_stamp(),
         _sql_parser_stamp())
    ).encode())
    for label, app in sorted(discovery.apps.items()):
        digest.update(f"\0app\0{label}\0{app.folder}".encode("utf-8", "surrogatepass"))
        # The max_migration.txt of an app, and whether there is one, decide DJM307.
        _digest_stats(digest, (*app.files, os.path.join(app.folder, MAX_MIGRATION_FILE)))
    return "project-" + digest.hexdigest()


def _code_stamp() -> tuple[tuple[str, int, int], ...]:
    """The package's own modules, so that an editable install never serves findings of older rules."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    for folder, _, files in os.walk(package):
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                stamps.append((os.path.relpath(os.path.join(folder, name), package), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(stamps))


def group_by_path(findings: Iterable[Finding]) -> dict[str, tuple[Finding, ...]]:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    return {path: tuple(items) for path, items in by_path.items()}


def remember(cache: dict[tuple[object, ...], Any], key: tuple[object, ...], value: object) -> None:
    while len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]
    cache[key] = value


def settings_key(settings: Settings) -> tuple[object, ...]:
    """What the index depends on, hashable (Settings holds dicts, so it is not)."""
    return (
        settings.database,
        settings.project_root,
        tuple(sorted(settings.app_labels.items())),
        tuple(sorted(settings.migration_modules.items())),
        tuple(sorted(settings.swappable.items())),
        tuple(settings.exclude),
        settings.cache_dir,
        settings.use_cache,
        settings.settings_module,
        settings.read_django_settings,
        settings.django.installed_apps if settings.django is not None else None,
        settings.django.import_roots if settings.django is not None else None,
        settings.base,
        settings.base_commit,  # a moved ref (origin/main) names other migrations
    )

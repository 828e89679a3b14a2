"""Django's migration loader and executor for one database's history, without Django: what ``migrate`` does there.

``MigrationLoader(connection)`` builds its graph with the database's ``django_migrations`` rows: a squash whose
replaced migrations are all applied, or none, stands in for them (and counts as applied exactly when all are); a
squash only some of whose replaced migrations are applied cannot be used, so it leaves the graph and the migrations
depending on it depend on the last of those it replaces (``remove_replacement_node``). ``migrate`` then refuses a
history where an applied migration has an unapplied dependency (``check_consistent_history``), stops on conflicting
leaves, picks its targets and asks ``MigrationExecutor.migration_plan`` what to run, forwards or backwards.

This module follows ``django/db/migrations/loader.py``, ``graph.py``, ``executor.py`` and the ``migrate`` command
(Django 5.2) step by step on the project index (``project/graph.py`` builds the fresh database's graph the same
way), and says what rows each step writes. Apps not found in the tree are outside it, as everywhere in the index.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.facts import MigrationFacts, Operation, Ref
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.project.graph import Key, MigrationGraph, build_graph, format_key
from flake8_django_migrations.project.index import ProjectIndex
from flake8_django_migrations.settings import AppliedMigrations

__all__ = [
    "HistoryView",
    "MigratePlan",
    "PlanArgumentError",
    "Recovery",
    "RecoveryRow",
    "Refusal",
    "Step",
    "changes_to_database",
    "describe_operation",
    "history_view",
    "irreversible_operations",
    "plan_migrate",
    "recorded_rows",
]

Target = tuple[str, "str | None"]  # (app, None): migrate APP zero
# Operations that change nothing in the database (the container of SeparateDatabaseAndState: its database side is
# listed after it).
_NO_DATABASE_CHANGE: Final = frozenset({"AlterModelOptions", "AlterModelManagers", "SeparateDatabaseAndState"})
_SQL_SAFE: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def recorded_rows(applied: AppliedMigrations, migrations: Mapping[Key, MigrationFacts]) -> frozenset[Key]:
    """The rows of ``django_migrations`` as Django reads them: those read, and for a migration shown as applied
    through its squash (``showmigrations``), the migrations that squash replaces, squashes of squashes included."""
    rows = set(applied.rows)
    todo = [key for key in applied.via_replaces if key in migrations]
    while todo:
        for entry in migrations[todo.pop()].replaces:
            key = (entry.app, entry.name)
            if key not in rows:
                rows.add(key)
                if key in migrations:
                    todo.append(key)
    return frozenset(rows)


@dataclass(frozen=True, slots=True, eq=False)
class HistoryView:
    """What ``MigrationLoader(connection)`` holds for one database: its graph, its applied migrations."""

    index: ProjectIndex
    source: AppliedMigrations
    recorded: frozenset[Key]  # the rows (``MigrationRecorder.applied_migrations``)
    applied: frozenset[Key]  # ``loader.applied_migrations``: a squash counts when all it replaces are recorded
    graph: MigrationGraph  # with the replacements this history allows
    replacements: Mapping[Key, tuple[Key, ...]]  # every squash on disk -> what it replaces, as written
    partial: frozenset[Key]  # squashes only some of whose replaced migrations are recorded: out of the graph

    @property
    def load_error(self) -> Refusal | None:
        """Why Django's loader stops before ``migrate`` does anything: a missing node, a cycle."""
        return _load_error(self.graph, self.replacements)

    def order(self) -> dict[Key, int]:
        """Each node's place in what ``migrate`` runs on an empty database with this graph (all leaves)."""
        return {key: position for position, key in enumerate(_forwards(self.graph, self.graph.leaf_nodes(), set()))}

    def app_known(self, app: str) -> bool:
        """Whether the app's migrations are all read and its lists literal: else what is said of it is a guess."""
        return app in self.index.discovery.apps and self.index.leaves_known(app)


def history_view(index: ProjectIndex, source: AppliedMigrations) -> HistoryView:
    """The view of ``index`` for the history ``source`` read; worked out once per index and source (the rules and
    the ``plan`` command share it)."""
    return _VIEWS.get(
        id(index), lambda: _build_view(index, source),
        lambda view: view.index is index and view.source is source,
    )


# One index of one run at a time; the view keeps its index, so an id is never taken for another's.
_VIEWS: Memo[int, HistoryView] = Memo(2)


def _build_view(index: ProjectIndex, source: AppliedMigrations) -> HistoryView:
    migrations = index.migrations
    recorded = recorded_rows(source, migrations)
    replacements = {
        key: tuple((entry.app, entry.name) for entry in facts.replaces)
        for key, facts in sorted(migrations.items()) if facts.replaces
    }
    applied = set(recorded)
    partial: set[Key] = set()
    for squash in _inner_first(replacements):
        statuses = [target in applied for target in replacements[squash]]
        if all(statuses):
            applied.add(squash)
        else:
            applied.discard(squash)
            if any(statuses):
                partial.add(squash)
    graph = index.graph if not partial else _graph_without(index, partial, replacements)
    return HistoryView(index, source, recorded, frozenset(applied), graph, replacements, frozenset(partial))


def _inner_first(replacements: Mapping[Key, tuple[Key, ...]]) -> list[Key]:
    """The squashes in the order their replacements are carried out: a squash after the squashes it replaces (as
    Django 6.0, and ``project/graph.py``), else by name."""
    depth: dict[Key, int] = {}

    def depth_of(key: Key, seen: frozenset[Key]) -> int:
        if key not in depth:
            inner = [entry for entry in replacements[key] if entry in replacements and entry not in seen]
            depth[key] = 1 + max((depth_of(entry, seen | {key}) for entry in inner), default=0)
        return depth[key]

    return sorted(replacements, key=lambda key: (depth_of(key, frozenset({key})), key))


def _graph_without(
    index: ProjectIndex, partial: Iterable[Key], replacements: Mapping[Key, tuple[Key, ...]]
) -> MigrationGraph:
    """The graph where the ``partial`` squashes do not replace anything and then leave (``remove_replacement_node``):
    what depended on one depends on the last of the migrations it replaces that are in the graph."""
    partial = frozenset(partial)
    stripped = {
        key: dataclasses.replace(facts, replaces=()) if key in partial else facts
        for key, facts in index.migrations.items()
    }
    graph = _build(index, stripped)
    parents = {key: set(values) for key, values in graph.parents.items()}
    children = {key: set(values) for key, values in graph.children.items()}
    nodes = set(graph.nodes)
    for squash in sorted(partial):
        if squash not in nodes:
            continue
        replaced = {key for key in replacements[squash] if key in nodes or key in graph.dummies}
        # Only the last replaced migrations: those that are not a parent of another one of them.
        replaced -= {parent for key in replaced if key in nodes for parent in parents[key]}
        nodes.discard(squash)
        for child in children.pop(squash):
            parents[child].discard(squash)
            for key in replaced:
                if key in nodes:
                    parents[child].add(key)
                    children[key].add(child)
        for parent in parents.pop(squash):
            children[parent].discard(squash)
    return dataclasses.replace(
        graph,
        nodes=frozenset(nodes),
        parents={key: tuple(sorted(parents[key])) for key in nodes},
        children={key: tuple(sorted(children[key])) for key in nodes},
    )


def _build(index: ProjectIndex, migrations: Mapping[Key, MigrationFacts]) -> MigrationGraph:
    discovery = index.discovery
    return build_graph(migrations, discovery.apps.keys(), index.swappable, discovery.installed, discovery.unlocated)


# What Django refuses -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why ``migrate`` stops before it runs anything, in Django's words."""

    error: str  # the exception: "InconsistentMigrationHistory", "NodeNotFoundError", ...
    message: str


def _load_error(graph: MigrationGraph, replacements: Mapping[Key, tuple[Key, ...]]) -> Refusal | None:
    if graph.dummies:
        missing = min(graph.dummies)
        origins = sorted(
            entry.source for entry in graph.resolved if entry.target == missing and entry.source in graph.nodes
        )
        origin = format_key(origins[0]) if origins else "?"
        tried = sorted(squash for squash, replaced in replacements.items() if missing in replaced)
        if tried and not any(squash in graph.nodes for squash in tried):
            return Refusal("NodeNotFoundError", (
                f"Migration {origin} depends on nonexistent node {missing!r}. Django tried to replace migration"
                f" {format_key(missing)} with any of [{', '.join(map(format_key, tried))}] but wasn't able to"
                " because some of the replaced migrations are already applied."
            ))
        return Refusal("NodeNotFoundError", f"Migration {origin} dependencies reference nonexistent parent node"
                                            f" {missing!r}")
    cycles = graph.cycles()
    if cycles:
        return Refusal("CircularDependencyError", ", ".join(map(format_key, cycles[0])))
    return None


def inconsistencies(view: HistoryView) -> list[tuple[Key, Key]]:
    """Every (applied migration, unapplied dependency) pair ``check_consistent_history`` raises for (it raises for
    the first it meets): an unapplied squash all of whose replaced migrations are recorded does not count."""
    found: list[tuple[Key, Key]] = []
    for migration in sorted(view.recorded):
        if migration not in view.graph.nodes:
            continue  # unknown to the graph (gone from disk, replaced): Django skips it
        for parent in view.graph.parents[migration]:
            if parent in view.recorded:
                continue
            replaced = view.replacements.get(parent)
            if replaced is not None and all(key in view.recorded for key in replaced):
                continue
            found.append((migration, parent))
    return found


def gone_from_disk(view: HistoryView) -> list[Key]:
    """Recorded migrations of the project's apps that no file holds and no ``replaces`` names (what
    ``migrate --prune`` would delete), for apps whose files are all read."""
    index = view.index
    replaced = {(entry.app, entry.name) for facts in index.migrations.values() for entry in facts.replaces}
    return sorted(
        key for key in view.recorded
        if key[0] in index.discovery.apps and key[0] not in index.unknown and key[0] not in index.unsure_replacements
        and key not in index.migrations and key not in replaced
    )


def out_of_order(view: HistoryView) -> list[tuple[Key, Key]]:
    """(unapplied, applied) pairs of one app where ``migrate`` on an empty database runs the first before the
    second, while this database applied the second and nothing applied depends on the first (that would be an
    inconsistent history, ``inconsistencies``): this database runs them in the other order. One pair per unapplied
    migration, with the first such applied one; apps whose graph is not fully known are left out."""
    graph = view.graph
    order = view.order()
    by_position = sorted(order, key=order.__getitem__)
    latest: dict[str, int] = {}
    for key in view.applied:
        if key in order:
            latest[key[0]] = max(latest.get(key[0], -1), order[key])
    needed = _reach(graph.parents, (key for key in view.applied if key in graph.nodes))
    found: list[tuple[Key, Key]] = []
    for key in by_position:
        app = key[0]
        if key in view.applied or key in needed or order[key] >= latest.get(app, -1) or not view.app_known(app):
            continue
        later = next(other for other in by_position[order[key] + 1:] if other[0] == app and other in view.applied)
        found.append((key, later))
    return found


def _reach(links: Mapping[Key, tuple[Key, ...]], starts: Iterable[Key]) -> set[Key]:
    """Every node reached from ``starts`` along ``links`` (not the starts themselves, unless reached)."""
    seen: set[Key] = set()
    queue = deque(starts)
    while queue:
        for following in links[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


# The executor --------------------------------------------------------------------------------------------------


def _dfs(links: Mapping[Key, tuple[Key, ...]], start: Key, done: set[Key], out: list[Key]) -> None:
    """Django's ``MigrationGraph.iterative_dfs`` from ``start``: post-order, each node's neighbours (sorted) pushed
    on a stack so that the largest is visited first. ``done`` (what an earlier target already visited, all of whose
    ancestors were visited too) is passed over: what a full search would add again is filtered out by Django."""
    stack: list[tuple[Key, bool]] = [(start, False)]
    while stack:
        node, processed = stack.pop()
        if node in done:
            continue
        if processed:
            done.add(node)
            out.append(node)
        else:
            stack.append((node, True))
            stack.extend((following, False) for following in links[node])


def _forwards(graph: MigrationGraph, targets: Iterable[Key], done: set[Key]) -> list[Key]:
    out: list[Key] = []
    for target in targets:
        _dfs(graph.parents, target, done, out)
    return out


@dataclass(frozen=True, slots=True)
class Step:
    """One migration ``migrate`` runs, and the rows of ``django_migrations`` it adds (forwards: a squash records
    the migrations it replaces) or deletes (backwards)."""

    migration: Key
    backwards: bool
    records: tuple[Key, ...]
    irreversible: tuple[tuple[str, int], ...]  # (operation, line) with no way back


@dataclass(frozen=True, slots=True)
class RecoveryRow:
    """One row of ``django_migrations`` to write by hand (``migrate --fake`` refuses an inconsistent history too)."""

    action: str  # "insert" or "delete"
    migration: Key
    rows: tuple[Key, ...]  # the rows: a squash's replaced migrations with it
    safe: bool  # the migration changes nothing in the database, so recording it (or running it again) is harmless
    changes: tuple[str, ...]  # what it changes in the database

    def sql(self) -> str | None:
        """The statements, or None when a name holds characters this does not put in SQL."""
        statements = []
        for app, name in self.rows:
            if not (_SQL_SAFE.match(app) and _SQL_SAFE.match(name)):
                return None
            if self.action == "insert":
                statements.append(
                    f"INSERT INTO django_migrations (app, name, applied) VALUES ('{app}', '{name}', CURRENT_TIMESTAMP);"
                )
            else:
                statements.append(f"DELETE FROM django_migrations WHERE app = '{app}' AND name = '{name}';")
        return "\n".join(statements)


@dataclass(frozen=True, slots=True)
class Recovery:
    """Two ways out of an inconsistent history: record the missing dependencies as applied (their changes never
    run here), or delete the rows of the migrations applied too early (``migrate`` then runs them again after
    their dependencies)."""

    fake: tuple[RecoveryRow, ...]  # in the order Django would have applied them
    rerun: tuple[RecoveryRow, ...]  # latest first

    @property
    def fake_is_safe(self) -> bool:
        return all(row.safe for row in self.fake)

    @property
    def rerun_is_safe(self) -> bool:
        return all(row.safe for row in self.rerun)


@dataclass(frozen=True, slots=True)
class MigratePlan:
    """What ``migrate [APP [MIGRATION]]`` does on the database: refuse (``refusal``, with ``recovery`` steps for an
    inconsistent history), or run ``steps`` in order and then record ``recorded_without_running``."""

    targets: tuple[Target, ...]
    steps: tuple[Step, ...] = ()
    recorded_without_running: tuple[Key, ...] = ()  # squashes whose replaced migrations are all applied at the end
    refusal: Refusal | None = None
    inconsistent: tuple[tuple[Key, Key], ...] = ()
    recovery: Recovery | None = None
    without_replacements: bool = False  # the target is a replaced migration: planned on the graph without squashes
    not_in_tree: tuple[str, ...] = ()  # apps the database or the graph names that the tree does not hold
    unsure: tuple[str, ...] = ()  # apps whose graph is not fully known: a file that does not parse, a computed list
    next_refusal: Refusal | None = None  # what stops migrate once the inconsistent history is repaired (conflicts)

    @property
    def stops_at(self) -> Step | None:
        """The first backwards step ``migrate`` cannot run (``IrreversibleError``)."""
        return next((step for step in self.steps if step.backwards and step.irreversible), None)


class PlanArgumentError(ValueError):
    """An app or migration ``migrate`` would not accept (Django's ``CommandError``): a usage error here."""


def plan_migrate(view: HistoryView, app: str | None = None, name: str | None = None) -> MigratePlan:
    """What ``migrate [app [name]]`` would do on the database ``view`` reads. ``PlanArgumentError`` for an app or
    migration Django would not accept."""
    index, graph = view.index, view.graph
    targets = _targets(view, app, name)
    local = set(index.discovery.apps)
    not_in_tree = tuple(sorted(
        (index.graph.external_apps | {key[0] for key in view.recorded}) - local - {key[0] for key in graph.nodes}
    ))
    unsure = tuple(sorted(label for label in local if not index.leaves_known(label)))
    plan = MigratePlan(targets, not_in_tree=not_in_tree, unsure=unsure)
    refusal = view.load_error
    if refusal is not None:
        return dataclasses.replace(plan, refusal=refusal)
    conflicts = _conflicts(graph)
    inconsistent = inconsistencies(view)
    if inconsistent:
        child, parent = inconsistent[0]
        refusal = Refusal("InconsistentMigrationHistory", (
            f"Migration {format_key(child)} is applied before its dependency {format_key(parent)} on database"
            " 'default'."
        ))
        return dataclasses.replace(
            plan, refusal=refusal, inconsistent=tuple(inconsistent), recovery=_recovery(view), next_refusal=conflicts
        )
    if conflicts is not None:
        return dataclasses.replace(plan, refusal=conflicts)
    planned, without_replacements = _migration_plan(view, targets)
    if isinstance(planned, Refusal):
        return dataclasses.replace(plan, refusal=planned, without_replacements=True)
    steps, rows = _steps(view, planned)
    recorded_at_end = tuple(
        squash for squash in sorted(view.replacements)
        if squash not in rows and all(key in rows for key in view.replacements[squash])
    )
    return dataclasses.replace(
        plan, steps=steps, recorded_without_running=recorded_at_end, without_replacements=without_replacements
    )


def _conflicts(graph: MigrationGraph) -> Refusal | None:
    """``detect_conflicts``: apps with more than one leaf, as the ``migrate`` command refuses them."""
    conflicts = {label: names for label, names in graph.leaves_by_app().items() if len(names) > 1}
    if not conflicts:
        return None
    described = "; ".join(f"{', '.join(names)} in {label}" for label, names in sorted(conflicts.items()))
    return Refusal("CommandError", (
        f"Conflicting migrations detected; multiple leaf nodes in the migration graph: ({described})."
        " To fix them run 'python manage.py makemigrations --merge'"
    ))


def _targets(view: HistoryView, app: str | None, name: str | None) -> tuple[Target, ...]:
    """The ``migrate`` command's targets, with its errors."""
    graph, index = view.graph, view.index
    if app is None:
        return tuple(graph.leaf_nodes())
    known = set(index.discovery.apps) | {key[0] for key in graph.nodes}
    if app not in known:
        discovery = index.discovery
        if app in graph.external_apps or app in discovery.unlocated:
            raise PlanArgumentError(f"App '{app}' is installed, but this tree does not hold its migrations.")
        raise PlanArgumentError(f"No installed app with label '{app}'.")
    if name is None:
        return tuple(key for key in graph.leaf_nodes() if key[0] == app)
    if name == "zero":
        return ((app, None),)
    matches = sorted(key for key in index.migrations if key[0] == app and key[1].startswith(name))
    if len(matches) > 1:
        raise PlanArgumentError(f"More than one migration matches '{name}' in app '{app}'. Please be more specific.")
    if not matches:
        raise PlanArgumentError(f"Cannot find a migration matching '{name}' from app '{app}'.")
    target = matches[0]
    if target not in graph.nodes and target in view.replacements:
        target = view.replacements[target][-1]  # a partly applied squash: its last replaced migration
    return (target,)


def _migration_plan(view: HistoryView, targets: Iterable[Target]) -> tuple[list[tuple[Key, bool]] | Refusal, bool]:
    """``MigrationExecutor.migration_plan(targets)``: (migration, backwards) in order, and whether the graph had to
    be built again without replacements (a target that is a replaced migration)."""
    graph, applied = view.graph, view.applied
    without = False
    if any(target[1] is not None and target in applied and target not in graph.nodes for target in targets):
        # "If the target is missing, it's likely a replaced migration. Reload the graph without replacements."
        graph = _build(view.index, {
            key: dataclasses.replace(facts, replaces=()) if facts.replaces else facts
            for key, facts in view.index.migrations.items()
        })
        applied, without = view.recorded, True
        refusal = _load_error(graph, {})
        if refusal is not None:
            return refusal, without
    plan: list[tuple[Key, bool]] = []
    remaining = set(applied)
    forwards_done: set[Key] = set()
    backwards_done: set[Key] = set()
    for target in targets:
        if target[1] is None:
            roots = sorted(
                node for node in graph.nodes
                if node[0] == target[0] and all(parent[0] != node[0] for parent in graph.parents[node])
            )
            starts: list[Key] = roots
        elif target in remaining:
            key = (target[0], target[1])
            starts = [child for child in graph.children[key] if child[0] == key[0]]  # sorted
        else:
            visited: list[Key] = []
            _dfs(graph.parents, (target[0], target[1]), forwards_done, visited)
            for migration in visited:
                if migration not in remaining:
                    plan.append((migration, False))
                    remaining.add(migration)
            continue
        for start in starts:
            visited = []
            _dfs(graph.children, start, backwards_done, visited)
            for migration in visited:
                if migration in remaining:
                    plan.append((migration, True))
                    remaining.discard(migration)
    return plan, without


def _steps(view: HistoryView, planned: Iterable[tuple[Key, bool]]) -> tuple[tuple[Step, ...], set[Key]]:
    """The steps with the rows each writes, and the rows after the last one (``record_migration``,
    ``unapply_migration``)."""
    migrations = view.index.migrations
    rows = set(view.recorded)
    steps: list[Step] = []
    for key, backwards in planned:
        facts = migrations.get(key)
        replaced = view.replacements.get(key, ())
        # Forwards, Django records a squash's replaced migrations, and the squash itself once they all are
        # (check_replacements, at the end of migrate); backwards, it deletes the rows of both.
        written = (*replaced, key)
        if backwards:
            rows.difference_update(written)
        else:
            rows.update(written)
        irreversible = irreversible_operations(facts) if facts is not None else ()
        steps.append(Step(key, backwards, tuple(written), irreversible))
    return tuple(steps), rows


def _recovery(view: HistoryView) -> Recovery:
    """The unapplied migrations some applied one depends on (directly or not) to record, in Django's order; or
    the applied migrations that depend on them to unrecord, latest first."""
    graph, migrations = view.graph, view.index.migrations

    def counts_as_applied(key: Key) -> bool:
        replaced = view.replacements.get(key)
        return key in view.recorded or (replaced is not None and all(entry in view.recorded for entry in replaced))

    ancestors = _reach(graph.parents, (key for key in view.recorded if key in graph.nodes))
    missing = {key for key in ancestors if not counts_as_applied(key)}
    early = {key for key in _reach(graph.children, missing) if key in view.recorded}
    order = view.order()
    fake = tuple(
        _recovery_row("insert", key, (*view.replacements.get(key, ()), key), migrations.get(key))
        for key in sorted(missing, key=lambda key: order.get(key, -1))
    )
    rerun = tuple(
        _recovery_row("delete", key, (key,), migrations.get(key))
        for key in sorted(early, key=lambda key: order.get(key, -1), reverse=True)
    )
    return Recovery(fake, rerun)


def _recovery_row(action: str, key: Key, rows: tuple[Key, ...], facts: MigrationFacts | None) -> RecoveryRow:
    changes = changes_to_database(facts) if facts is not None else ("operations that cannot be read",)
    return RecoveryRow(action, key, tuple(dict.fromkeys(rows)), not changes, changes)


# What a migration does -----------------------------------------------------------------------------------------


def describe_operation(op: Operation) -> str:
    """``AddField `user.unique_id```, ``RunPython(forwards)``: an operation as a plan names it."""
    kind = op.kind or (op.func or "an operation").rpartition(".")[2]
    if op.kind == "RunPython":
        code = op.param("code")
        return f"RunPython({code.path.rpartition('.')[2] if isinstance(code, Ref) else '...'})"
    written = (op.param("model_name"), op.param("name"), op.param("old_name"))
    names = [value for value in written if isinstance(value, str)]
    return f"{kind} `{'.'.join(names[:2])}`" if names else kind


def _is_noop(value: object) -> bool:
    return isinstance(value, Ref) and value.path.endswith(".noop")


def changes_to_database(facts: MigrationFacts) -> tuple[str, ...]:
    """The operations of a migration that change the database (all but state-only ones, model options and
    managers, ``noop`` code); one entry when its operations cannot all be read."""
    found: list[str] = []
    for op in facts.operations:
        if not op.touches_database or op.kind in _NO_DATABASE_CHANGE:
            continue
        if op.kind == "RunPython" and _is_noop(op.param("code")):
            continue
        if op.kind == "RunSQL" and (op.param("sql") in ("", ()) or _is_noop(op.param("sql"))):
            continue
        found.append(describe_operation(op))
    if not facts.operations_complete:
        found.append("operations that cannot be read")
    return tuple(dict.fromkeys(found))


def irreversible_operations(facts: MigrationFacts) -> tuple[tuple[str, int], ...]:
    """``RunPython`` without ``reverse_code`` and ``RunSQL`` without ``reverse_sql`` (DJM101, DJM102): unapplying the
    migration stops there (``IrreversibleError``)."""
    found: list[tuple[str, int]] = []
    for op in facts.operations:
        if op.kind == "RunPython" and "code" in op.params and op.param("reverse_code") is None:
            found.append((describe_operation(op), op.line))
        elif op.kind == "RunSQL" and "sql" in op.params and op.param("reverse_sql") is None:
            found.append(("RunSQL", op.line))
    return tuple(found)

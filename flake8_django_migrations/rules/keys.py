"""DJM218: a table's primary key moved to another column.

Both are measured on a real server in ``tests/test_deploy_model.py``: what Django's schema editor runs for the
operation, which relations get a new file (an index or a table rebuilt) and which locks the transaction holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation, Ref, django_field_class, on_existing_table
from flake8_django_migrations.rules.rule import Flag, project_rule
from flake8_django_migrations.rules.shared import TO_ONE_RELATIONS, migrations_holding
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex
    from flake8_django_migrations.project.state import StateKey

__all__ = ["primary_key_change"]

_MANUAL: Final = "https://www.postgresql.org/docs/current/"


def _is_primary_key(field: object) -> bool:
    return isinstance(field, Call) and field.kwarg("primary_key") is True


def _old_key(index: ProjectIndex, node: Key, facts: MigrationFacts, new: Operation) -> tuple[str, str] | None:
    """How the migration takes the primary key away from the column that held it: ("removed", name) for its
    ``RemoveField``, ("altered", name) for an ``AlterField`` that makes it no longer the key; None when neither is
    in this migration."""
    model = (new.model_name or "").lower()
    for position, op in enumerate(facts.operations):
        name = op.param("name")
        if op is new or op.kind not in ("RemoveField", "AlterField") or not op.touches_database:
            continue
        if (op.model_name or "").lower() != model or not isinstance(name, str) or name == new.param("name"):
            continue
        if op.kind == "AlterField" and _is_primary_key(op.param("field")):
            continue
        if _is_primary_key(index.state.field_before(node, position, model, name)):
            return ("removed" if op.kind == "RemoveField" else "altered"), name
    return None


def _target(field: Call, app: str, model: str, settings: Settings) -> tuple[str, str] | None:
    """(app, lower-cased model) a relation points at, when written as a literal or a swappable setting."""
    target = field.kwarg("to", field.args[0] if field.args else None)
    if target == "self":
        return app, model
    if isinstance(target, str):
        target_app, dot, target_model = target.rpartition(".")
        return (target_app if dot else app), target_model.lower()
    if isinstance(target, Ref) and target.path.startswith("django.conf.settings."):
        swapped = settings.swappable.get(target.path.rpartition(".")[2], "")
        target_app, dot, target_model = swapped.partition(".")
        return (target_app, target_model.lower()) if dot else None
    return None


def _references(index: ProjectIndex, node: Key, app: str, model: str, settings: Settings) -> list[str]:
    """The relations whose foreign key constraint points at the primary key of ``app.model`` when ``node`` runs:
    a ``ForeignKey`` or ``OneToOneField`` (with its constraint, to the key) or the join table of a plain
    ``ManyToManyField``, declared in ``node`` or an ancestor and not removed in one."""
    from flake8_django_migrations.project.state import definition_in  # the project pass: loaded by then

    state = index.state
    ancestors = state.ancestors(node)
    found: set[StateKey] = set()
    for key, events in state.definitions.items():
        owner_app, owner, name = key
        if name is None:
            continue
        for event in events:
            if event.node != node and event.node not in ancestors:
                continue
            field = definition_in(event.operation, name)
            field_class = django_field_class(field)
            if field is None or "**" in field.kwargs:
                continue
            if field_class in TO_ONE_RELATIONS:
                points = field.kwarg("db_constraint", True) is True and field.kwarg("to_field") is None
            else:
                points = field_class == "ManyToManyField" and field.kwarg("through") is None
                if points and (owner_app, owner) == (app, model):
                    found.add(key)  # its join table points at both models
                    break
            if points and _target(field, owner_app, owner, settings) == (app, model):
                found.add(key)
                break
    return sorted(
        ".".join(str(part) for part in reference) for reference in found
        if not any(removal.node == node or removal.node in ancestors for removal in state.removals_affecting(reference))
    )


def _consequence(how: str, references: list[str]) -> str:
    named = ", ".join(f"`{reference}`" for reference in references[:3]) + (", ..." if len(references) > 3 else "")
    if how == "removed":
        return f"whose `RemoveField` silently drops the foreign keys that point at it ({named})"
    return f"whose primary key PostgreSQL refuses to drop while foreign keys point at it ({named})"


@project_rule(
    code="DJM218",
    deploy=("any", "the foreign keys are dropped, or the migration fails, whatever the deploy"),
    name="primary-key-change",
    message="`{operation}` makes `{field}` the primary key of `{model}` in place of `{old}`, {consequence}",
    hint=(
        "keep `{old}` as the key and make `{field}` unique with an index built `CONCURRENTLY`; a key that must move"
        " takes the steps of `django-migrations-lint --explain DJM218`"
    ),
    what_it_does=(
        "On PostgreSQL, checks for migrations that move a table's primary key to another column while foreign keys"
        " point at it: an `AddField` of a field with `primary_key=True`, or an `AlterField` that gives a column"
        " `primary_key=True` it did not have (its previous definition found along the migration graph), with a"
        " `RemoveField` of the old key in the same migration (`makemigrations`' output when `id` gives way to a"
        " natural key) or an `AlterField` that makes the old key an ordinary column. The foreign keys are those of"
        " `ForeignKey` and `OneToOneField` fields (with their constraint, to the key) and the join tables of"
        " `ManyToManyField` without `through`, declared in the migration or before it and not removed. Not"
        " reported in an initial migration, on a model created earlier in the migration, or on a proxy or"
        " unmanaged model. The unique index the new key builds is DJM205's, a rewrite for an auto-increment key"
        " DJM213's, and a change of the key's type alone (`AutoField` to `BigAutoField`) DJM207's"
        " ([ALTER TABLE](" + _MANUAL + "sql-altertable.html))."
    ),
    why_bad=(
        "Django drops the old key with `ALTER TABLE ... DROP COLUMN ... CASCADE`, and the `CASCADE` drops every"
        " foreign key constraint that points at the table (under an ACCESS EXCLUSIVE lock on each referencing"
        " table): their columns keep the old ids, checked by nothing, while Django's state says they reference the"
        " new key, so every join between them compares values of different columns, often of different types."
        " Kept as an ordinary column instead, the old key's constraint cannot be dropped while a foreign key"
        " depends on its index: PostgreSQL refuses, and the migration fails. Meanwhile the new key's unique index"
        " is built under an ACCESS EXCLUSIVE lock, and a new key with a `default` gives every existing row the same"
        " value, so that index fails on any table of two rows (the test suite shows each on a real server).\n\n"
        "The safe sequence for moving a primary key:\n\n"
        "1. Add the new column nullable, fill it in batches, and build its unique index with `CREATE UNIQUE INDEX"
        " CONCURRENTLY` (`atomic = False`).\n"
        "2. Give every referencing table a column for the new key, fill it, and add its foreign key `NOT VALID`,"
        " then `VALIDATE CONSTRAINT` it (DJM210).\n"
        "3. Make the new column NOT NULL the safe way (DJM208).\n"
        "4. In one short migration with a `lock_timeout`, a `RunSQL` of `ALTER TABLE ... DROP CONSTRAINT"
        " <old>_pkey CASCADE` and `ALTER TABLE ... ADD CONSTRAINT <new>_pkey PRIMARY KEY USING INDEX <the unique"
        " index>` (both instant), whose `state_operations` hold the `RemoveField` and `AlterField` Django expects."
    ),
    example=(
        "operations = [\n"
        '    migrations.RemoveField("customer", "id"),\n'
        '    migrations.AlterField("customer", "code", models.CharField(max_length=20, primary_key=True)),\n'
        "]\n"
    ),
    use_instead=(
        "# Keep `id` as the key, and make `code` unique without blocking writes:\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [\n"
        "        AddIndexConcurrently(\n"
        '            "customer", models.Index(fields=["code"], name="customer_code_idx"),\n'
        "        ),\n"
        "    ]\n"
        "# or move the key in the steps above, the last one a RunSQL with state_operations.\n"
    ),
    options=("djm-database",),
)
def primary_key_change(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    if not settings.is_postgresql:
        return
    state = index.state
    for key, facts in migrations_holding(index, "AddField", "AlterField", own=True):
        if facts.initial is True:
            continue  # an app's initial migrations create its tables: nothing points at them yet
        created: dict[str, int] | None = None  # read once a field is made the primary key: rare
        for position, op in enumerate(facts.operations):
            name, model = op.param("name"), op.model_name
            if op.kind not in ("AddField", "AlterField") or not op.touches_database or op.conditional:
                continue
            if not _is_primary_key(op.param("field")) or not isinstance(name, str) or model is None:
                continue
            created = facts.model_creations() if created is None else created
            if not on_existing_table(created, position, op) or state.has_no_table(key, position, model):
                continue
            if op.kind == "AlterField" and _is_primary_key(state.field_before(key, position, model, name)):
                continue  # the key already: a change of its type is DJM207's
            old = _old_key(index, key, facts, op)
            references = _references(index, key, key[0], model.lower(), settings) if old is not None else []
            if old is None or not references:
                continue
            yield Flag(
                op.line, op.col, index.path_of(key), operation=op.kind, field=name, model=model, old=old[1],
                consequence=_consequence(old[0], references),
            )

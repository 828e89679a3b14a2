"""DJM212, DJM908: the deploy phase a migration belongs to, and how a dangerous step is acknowledged.

A rolling deploy runs old and new code side by side around the migration. What new code needs must exist before
it starts (expand: the migration runs before the deploy); what old code uses must stay until it stops (contract:
the migration runs after). The acknowledgement of a contract step is a post-deploy marker or a ``# noqa`` that says
why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.facts import Call, MigrationFacts, Operation
from flake8_django_migrations.rules.rule import Flag, file_rule, project_rule
from flake8_django_migrations.rules.shared import (
    changes_existing_table,
    creates_no_table,
    migrations_holding,
    name_or_ellipsis,
)
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.graph import Key
    from flake8_django_migrations.project.index import ProjectIndex

# Steps new code needs before it starts: a column or a table it reads and writes, an index it relies on.
_EXPAND: Final = frozenset({"AddField", "CreateModel", "AddIndex", "AddIndexConcurrently"})
# Of those, what new code reads (an index only makes it faster): wrong in a migration that runs after the deploy.
_READ_BY_NEW_CODE: Final = frozenset({"AddField", "CreateModel"})
# Steps old code needs gone only after it stops: it still reads what is dropped or renamed.
_CONTRACT: Final = frozenset({"RemoveField", "DeleteModel", "RenameField", "RenameModel", "AlterModelTable"})


def _what(op: Operation) -> str:
    """The thing an operation adds, drops, renames or alters, as messages name it."""
    if op.kind in ("CreateModel", "DeleteModel", "RenameModel", "AlterModelTable"):
        return f"`{name_or_ellipsis(op.param('old_name') if op.kind == 'RenameModel' else op.param('name'))}`"
    if op.kind in ("AddIndex", "AddIndexConcurrently"):
        index = op.param("index")
        name = index.kwarg("name") if isinstance(index, Call) else None
        return f"the index `{name_or_ellipsis(name)}` on `{name_or_ellipsis(op.model_name)}`"
    field = op.param("old_name") if op.kind == "RenameField" else op.param("name")
    return f"`{name_or_ellipsis(op.model_name)}.{name_or_ellipsis(field)}`"


def _expand_steps(facts: MigrationFacts) -> Iterator[Operation]:
    for op in facts.operations:
        if op.kind in _EXPAND and op.touches_database and not op.conditional:
            if op.kind != "CreateModel" or not creates_no_table(op.param("options")):
                yield op


def _contract_steps(facts: MigrationFacts, set_not_null: dict[Key, list[Operation]], key: Key) -> list[Operation]:
    """The drops and renames of what existed before the migration (not what it created or added itself), and the
    ``SET NOT NULL`` of columns that were nullable, in source order."""
    steps = [*set_not_null.get(key, ())]
    drops = [
        (position, op) for position, op in enumerate(facts.operations)
        if op.kind in _CONTRACT and op.touches_database and not op.conditional
    ]
    if not drops:  # most migrations: what they create and add need not be read
        return sorted(steps, key=lambda op: (op.line, op.col))
    created = facts.model_creations()
    added = {
        ((op.model_name or "").lower(), op.param("name"))
        for op in facts.operations if op.kind == "AddField" and isinstance(op.param("name"), str)
    }
    for position, op in drops:
        if not changes_existing_table(created, position, op):
            continue
        if op.kind == "RemoveField" and ((op.model_name or "").lower(), op.param("name")) in added:
            continue
        steps.append(op)
    return sorted(steps, key=lambda op: (op.line, op.col))


@project_rule(
    code="DJM212",
    deploy=(
        "rolling",
        "it is about the moment a rolling deploy runs the migration: before the new code starts, or after the old"
        " code stops",
    ),
    name="mixed-deploy-phases",
    message="the migration adds {added}, which new code needs before it starts, and {contract}",
    hint=(
        "split it: the additions in a migration that runs before the deploy, the removals and renames in a later"
        " one marked post-deploy"
    ),
    what_it_does=(
        "Checks for a migration that holds both an expand step and a contract step of a rolling deploy, or that is"
        " marked to run after the deploy and adds what new code reads. Expand steps (new code needs them before it"
        " starts): `AddField`, `CreateModel` of a model with a table, `AddIndex`, `AddIndexConcurrently`. Contract"
        " steps (old code needs them undone until it stops): `RemoveField`, `DeleteModel`, `RenameField`,"
        " `RenameModel`, `AlterModelTable`, and `AlterField` that makes a nullable column NOT NULL (old code does"
        " not write the column, so its inserts fail), compared with the field's previous definition along the"
        " migration graph. A migration marked post-deploy (django-safemigrate `safe = Safe.after_deploy()`,"
        " django-syzygy `stage = Stage.POST_DEPLOY`) that holds an `AddField` or `CreateModel` is reported too."
        " Not reported: drops and renames of what the same migration created or added, operations in only one"
        " branch of a conditional list, state-only operations, squashed migrations (`replaces`: they run on fresh"
        " databases) and initial migrations (`initial = True`). The finding is on the `Migration` class and names"
        " the first step of each kind."
    ),
    why_bad=(
        "A rolling deploy runs the migration either before the new code starts or after the old code stops. Before:"
        " old code still runs and reads what the contract step dropped or renamed, or inserts rows without the"
        " column that is now NOT NULL, and fails. After: new code already runs and reads the column or table that"
        " does not exist yet, and fails. Whichever moment the migration runs, one side of the deploy breaks, and"
        " `# noqa: DJM202` on the drop does not change that. The same holds for a migration marked post-deploy"
        " that adds what new code reads: the new code starts first.\n\n"
        "The safe sequence (expand, migrate, contract):\n\n"
        "1. Release 1: a migration that runs before the deploy adds the column, table or index, nullable or with a"
        " `db_default`; the code that ships with it writes both the old and the new shape.\n"
        "2. Backfill in batches if needed (a separate data migration or job).\n"
        "3. Release 2: the code stops reading the old column or table; a migration marked post-deploy"
        " (`Safe.after_deploy()`, `Stage.POST_DEPLOY`) drops or renames it, or sets NOT NULL."
    ),
    example=(
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        '        migrations.AddField("product", "sku_code", models.CharField(max_length=20, null=True)),\n'
        '        migrations.RemoveField("product", "legacy_sku"),\n'
        "    ]\n"
    ),
    use_instead=(
        "# 0012_product_sku_code.py, runs before the deploy\n"
        "class Migration(migrations.Migration):\n"
        '    operations = [migrations.AddField("product", "sku_code", models.CharField(max_length=20, null=True))]\n'
        "\n\n"
        "# 0013_remove_product_legacy_sku.py, in the next release, after the deploy\n"
        "class Migration(migrations.Migration):\n"
        "    safe = Safe.after_deploy()\n"
        '    operations = [migrations.RemoveField("product", "legacy_sku")]\n'
    ),
)
def mixed_deploy_phases(index: ProjectIndex, settings: Settings) -> Iterator[Flag]:
    set_not_null: dict[Key, list[Operation]] = {}
    for node, op, _, before, after, added_here in index.state.field_alterations():
        if not added_here and before.kwarg("null") is True and after.kwarg("null", False) is False:
            set_not_null.setdefault(node, []).append(op)
    # Without an expand step a migration mixes nothing: only those holding one are read.
    for key, facts in migrations_holding(index, *_EXPAND, own=True):
        if facts.replaces or facts.initial is True:
            continue
        expand = list(_expand_steps(facts))
        if facts.is_post_deploy:
            read = [op for op in expand if op.kind in _READ_BY_NEW_CODE]
            if read:
                yield Flag(facts.line, facts.col, index.path_of(key), added=_what(read[0]),
                           contract="is marked to run after the deploy")
            continue
        contract = _contract_steps(facts, set_not_null, key) if expand else []
        if contract:
            step = contract[0]
            verb = {"RemoveField": "drops", "DeleteModel": "drops", "AlterField": "makes NOT NULL"}.get(
                step.kind or "", "renames")
            yield Flag(facts.line, facts.col, index.path_of(key), added=_what(expand[0]),
                       contract=f"{verb} {_what(step)} (`{step.kind}`), which old code needs until it stops")


# DJM908 --------------------------------------------------------------------------------------------------------


@file_rule(
    code="DJM908",
    deploy=("any", "a silenced finding needs its reason whatever the deploy"),
    name="unexplained-suppression",
    message="`# noqa: {codes}` silences a finding without saying why",
    hint="write the reason after the codes: `# noqa: {codes} -- the contract step of the sku rename`",
    what_it_does=(
        "Checks migration files for `# noqa` comments that name one of this linter's codes (`# noqa: DJM202`) and"
        " say nothing after them. Any text after the codes is a reason (`# noqa: DJM202 -- contract step of the"
        " sku rename`, `# noqa: DJM202: dropped after 2.4`); flake8 and `django-migrations-lint check` read"
        " only the codes, so the reason does not change what is silenced. A bare `# noqa` (every code) is"
        " flake8's business and not reported."
    ),
    why_bad=(
        "A silenced DJM finding is a dangerous operation someone decided to accept: a drop that is the contract"
        " step of an expand/contract change, a lock taken at a quiet hour. Without the reason, the next reader"
        " cannot tell a deliberate decision from a warning silenced to make CI pass, and a copied migration"
        " carries the `noqa` along to where it is wrong."
    ),
    example='migrations.RemoveField("product", "legacy_sku"),  # noqa: DJM202\n',
    use_instead='migrations.RemoveField("product", "legacy_sku"),  # noqa: DJM202 -- read by nothing since 2.4\n',
    default_enabled=False,
)
def unexplained_suppression(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for suppression in facts.suppressions or ():
        if not suppression.reason and any(code.upper().startswith("DJM") for code in suppression.codes):
            yield Flag(suppression.line, suppression.col, codes=",".join(suppression.codes))

"""The rule registry: the one place that defines every code, its name, message, hint and documentation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from flake8_django_migrations.finding import Finding

__all__ = ["PREFIX", "RULES", "Finding", "Rule", "OFF_BY_DEFAULT"]

PREFIX: Final = "DJM"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str  # kebab-case, names the pattern it flags
    message: str  # one sentence, no final period; ``str.format`` fields for the names involved
    hint: str  # how to fix it; may use the same fields
    what_it_does: str
    why_bad: str
    example: str  # Python source
    use_instead: str  # Python source
    default_enabled: bool = True
    scope: str = "file"  # "file": from one file's facts; "project": needs the whole migration graph
    options: tuple[str, ...] = ()  # flake8 option names this rule reads

    def finding(self, path: str, line: int, col: int, **names: object) -> Finding:
        return Finding(path, line, col, self.code, self.message.format(**names), self.hint.format(**names))


_RULES: Final = (
    Rule(
        code="DJM101",
        name="run-python-without-reverse",
        message="`RunPython({code})` has no reverse, so this migration can never be unapplied",
        hint="pass `reverse_code=`, or `migrations.RunPython.noop` when there is nothing to undo",
        what_it_does="Checks for `RunPython` operations without a reverse function.",
        why_bad=(
            "Django refuses to unapply a migration with an irreversible operation. When a release has to be rolled"
            " back, `migrate app 0041` stops with `IrreversibleError` at exactly the moment you need it, and every"
            " migration before it in the app is stuck too."
        ),
        example=(
            "migrations.RunPython(fill_slugs)\n"
        ),
        use_instead=(
            "migrations.RunPython(fill_slugs, migrations.RunPython.noop)\n"
            "# or, when the data change can be undone:\n"
            "migrations.RunPython(fill_slugs, reverse_code=clear_slugs)\n"
        ),
    ),
    Rule(
        code="DJM102",
        name="run-sql-without-reverse",
        message="`RunSQL` has no `reverse_sql`, so this migration can never be unapplied",
        hint="pass `reverse_sql=`, or `migrations.RunSQL.noop` when there is nothing to undo",
        what_it_does="Checks for `RunSQL` operations without reverse SQL.",
        why_bad=(
            "Like a `RunPython` without a reverse, a `RunSQL` without `reverse_sql` makes the whole migration"
            " irreversible: rolling back a release stops with `IrreversibleError`."
        ),
        example='migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm")\n',
        use_instead=(
            "migrations.RunSQL(\n"
            '    "CREATE EXTENSION IF NOT EXISTS pg_trgm",\n'
            '    reverse_sql="DROP EXTENSION IF EXISTS pg_trgm",\n'
            ")\n"
        ),
    ),
    Rule(
        code="DJM103",
        name="live-model-use",
        message="`{evidence}` uses the live model `{model}` instead of the historical one",
        hint='fetch it inside the function with `apps.get_model("app_label", "Model")`',
        what_it_does=(
            "Checks for models imported from an app's `models` module (or `get_user_model()` and the global"
            " `django.apps.apps` registry) and used as models inside a migration: through `.objects`,"
            " `._default_manager`, `._base_manager`, `._meta`, or by instantiating them. Importing a models"
            " module only for a custom field, manager or callable, as `makemigrations` itself writes, is fine."
        ),
        why_bad=(
            "A migration runs against the schema as it was at that point in history, but an imported model is"
            " today's class. Once the model gains a field, loses one or changes its manager, the old migration"
            " queries columns that do not exist yet on a fresh database and breaks every new environment."
        ),
        example=(
            "from catalog.models import Product\n\n\n"
            "def fill_slugs(apps, schema_editor):\n"
            "    for product in Product.objects.all():\n"
            "        ...\n"
        ),
        use_instead=(
            "def fill_slugs(apps, schema_editor):\n"
            '    Product = apps.get_model("catalog", "Product")\n'
            "    for product in Product.objects.all():\n"
            "        ...\n"
        ),
    ),
    Rule(
        code="DJM104",
        name="mixed-schema-and-data",
        message="this atomic migration changes data with `RunPython` and also changes the schema",
        hint="move the `RunPython` into a migration of its own, or set `atomic = False` deliberately",
        what_it_does=(
            "Checks for atomic migrations that contain both a `RunPython` and a schema operation (anything but"
            " `RunPython`, `RunSQL` and a state-only `SeparateDatabaseAndState`)."
        ),
        why_bad=(
            "One transaction then holds schema locks for as long as the data migration runs, and on PostgreSQL"
            " an `ALTER TABLE` after rows were changed in the same transaction can fail with 'pending trigger"
            " events'. A failed backfill also rolls back the schema change, which is hard to reason about."
        ),
        example=(
            "operations = [\n"
            '    migrations.AddField("order", "region", models.CharField(max_length=10, null=True)),\n'
            "    migrations.RunPython(fill_region, migrations.RunPython.noop),\n"
            "]\n"
        ),
        use_instead=(
            "# 0012_order_region.py\n"
            'operations = [migrations.AddField("order", "region", models.CharField(max_length=10, null=True))]\n'
            "# 0013_fill_order_region.py\n"
            "operations = [migrations.RunPython(fill_region, migrations.RunPython.noop)]\n"
        ),
    ),
    Rule(
        code="DJM105",
        name="side-effect-in-migration",
        message="the `RunPython` function calls `{call}`, a side effect outside the database",
        hint="do it in a management command or a deploy step; a migration may run many times, anywhere",
        what_it_does=(
            "Checks `RunPython` functions for calls to the network, mail or task queues. It looks at the"
            " functions defined in the migration and the module's functions they call, for `requests`, `httpx`,"
            " `urllib.request`, `urllib3`, `aiohttp`, `smtplib`, `socket`, `boto3`, `django.core.mail`, and"
            " `.delay()`/`.apply_async()`."
        ),
        why_bad=(
            "Migrations run on every fresh database: in CI, on every developer machine, on every staging"
            " rebuild. A side effect there sends real mail, calls real services or enqueues real tasks each"
            " time, and it cannot be rolled back with the transaction."
        ),
        example=(
            "def notify(apps, schema_editor):\n"
            '    requests.post("https://hooks.example.com/migrated")\n'
        ),
        use_instead="# Trigger the notification from your deploy pipeline instead.\n",
    ),
    Rule(
        code="DJM201",
        name="add-not-null-column-without-db-default",
        message="`AddField` adds the NOT NULL column `{model}.{field}` without `db_default`",
        hint="add it with `null=True` (or `db_default=`) first, backfill, then make it NOT NULL later",
        what_it_does=(
            "Checks for `AddField` of a column that is not nullable and has no `db_default`, on a model not"
            " created earlier in the same migration. Fields without a column (many-to-many) are skipped."
        ),
        why_bad=(
            "Django's `default=` is applied once to existing rows and then dropped from the database. During a"
            " rolling deploy the old code, which does not know the field, keeps inserting rows, and every insert"
            " fails with a NOT NULL violation until the new code is everywhere."
        ),
        example='migrations.AddField("order", "region", models.CharField(max_length=10, default="eu"))\n',
        use_instead=(
            'migrations.AddField("order", "region", models.CharField(max_length=10, db_default="eu"))\n'
            "# or null=True now, and NOT NULL in a later release\n"
        ),
    ),
    Rule(
        code="DJM202",
        name="drop-column",
        message="`RemoveField` drops the column `{model}.{field}` while running code may still read it",
        hint="stop reading it first and drop it in a later release marked post-deploy (or `# noqa: DJM202`)",
        what_it_does=(
            "Checks for `RemoveField` operations that drop a column (not state-only removals), unless the"
            " migration is marked to run after deploy (django-safemigrate `safe = Safe.after_deploy()`,"
            " django-syzygy `stage = Stage.POST_DEPLOY`)."
        ),
        why_bad=(
            "During a rolling deploy the old code keeps running while the migration runs. It still selects the"
            " column, so every request that touches the model fails until the old code is gone."
        ),
        example='migrations.RemoveField("product", "legacy_sku")\n',
        use_instead=(
            "# Release 1: remove every use of the field from the code (and the model).\n"
            "# Release 2: drop the column after the deploy.\n"
            "class Migration(migrations.Migration):\n"
            "    safe = Safe.after_deploy()\n"
            '    operations = [migrations.RemoveField("product", "legacy_sku")]\n'
        ),
    ),
    Rule(
        code="DJM203",
        name="drop-table",
        message="`DeleteModel` drops the table of `{model}` while running code may still use it",
        hint="stop using the model first and delete it in a later release marked post-deploy (or `# noqa: DJM203`)",
        what_it_does=(
            "Checks for `DeleteModel` operations that drop a table (not state-only deletions), unless the"
            " migration is marked to run after deploy."
        ),
        why_bad=(
            "Code that is still running during the deploy queries the table and fails, exactly as with a"
            " dropped column, only for every query on the model."
        ),
        example='migrations.DeleteModel("LegacyInvoice")\n',
        use_instead=(
            "class Migration(migrations.Migration):\n"
            "    stage = Stage.POST_DEPLOY\n"
            '    operations = [migrations.DeleteModel("LegacyInvoice")]\n'
        ),
    ),
    Rule(
        code="DJM204",
        name="rename-column-or-table",
        message="`{operation}` renames `{target}` in the database, which breaks code still using the old name",
        hint="add the new column or table, copy and dual-write, then remove the old one in a later release",
        what_it_does="Checks for `RenameField`, `RenameModel` and `AlterModelTable` that change the database.",
        why_bad=(
            "A rename is a drop and an add at once: the old code still running during a deploy uses the old"
            " name and fails, and the new code fails against any database not yet migrated."
        ),
        example='migrations.RenameField("customer", "name", "full_name")\n',
        use_instead=(
            "# Keep the column, rename only the Python attribute:\n"
            'full_name = models.CharField(max_length=200, db_column="name")\n'
        ),
    ),
    Rule(
        code="DJM205",
        name="non-concurrent-index",
        message="`{operation}` builds an index on `{model}` without `CONCURRENTLY`, locking the table against writes",
        hint="use `AddIndexConcurrently` (django.contrib.postgres.operations) in a migration with `atomic = False`",
        what_it_does=(
            "On PostgreSQL, checks for operations that build an index on an existing table the blocking way:"
            " `AddIndex`, `AddConstraint` with a `UniqueConstraint`, `AlterUniqueTogether`, `AlterIndexTogether`,"
            " and `AddField` of a field that gets an index (`db_index=True`, `unique=True`, `ForeignKey`,"
            " `OneToOneField`, `SlugField`, unless `db_index=False`). Models created in the same migration are"
            " empty and skipped."
        ),
        why_bad=(
            "`CREATE INDEX` without `CONCURRENTLY` holds a lock that blocks every insert, update and delete on"
            " the table until the index is built, minutes on a large table: an outage during the deploy."
        ),
        example='migrations.AddIndex("order", models.Index(fields=["created_at"], name="order_created_idx"))\n',
        use_instead=(
            "from django.contrib.postgres.operations import AddIndexConcurrently\n\n\n"
            "class Migration(migrations.Migration):\n"
            "    atomic = False\n"
            "    operations = [\n"
            '        AddIndexConcurrently("order", models.Index(fields=["created_at"], name="order_created_idx")),\n'
            "    ]\n"
        ),
        options=("djm-database",),
    ),
    Rule(
        code="DJM206",
        name="concurrent-operation-in-atomic-migration",
        message=(
            "`{operation}` runs `CONCURRENTLY`, which PostgreSQL refuses inside the transaction of an atomic"
            " migration"
        ),
        hint="set `atomic = False` on the migration",
        what_it_does=(
            "On PostgreSQL, checks for `AddIndexConcurrently`, `RemoveIndexConcurrently` and `RunSQL` containing"
            " `CONCURRENTLY` in a migration that does not set `atomic = False`."
        ),
        why_bad=(
            "PostgreSQL cannot build or drop an index concurrently inside a transaction block, and Django wraps"
            " atomic migrations in one: the migration fails when it runs."
        ),
        example=(
            "class Migration(migrations.Migration):\n"
            "    operations = [AddIndexConcurrently(\"order\", index)]\n"
        ),
        use_instead=(
            "class Migration(migrations.Migration):\n"
            "    atomic = False\n"
            "    operations = [AddIndexConcurrently(\"order\", index)]\n"
        ),
        options=("djm-database",),
    ),
    Rule(
        code="DJM207",
        name="alter-column-type",
        message="`AlterField` changes the column type of `{field}` ({change}), which rewrites or locks the table",
        hint="add a new column, backfill it in batches and switch over, or accept the lock knowingly",
        what_it_does=(
            "Checks `AlterField` operations that change a column's field class or its type parameters (a smaller"
            " `max_length`, fewer `max_digits`, other `decimal_places`), comparing with the field's previous"
            " definition found along the migration graph. Fields stored as `varchar` (`CharField`, `SlugField`,"
            " `EmailField`, `URLField`, `FileField`...) may change into one another, or into `TextField`, without"
            " a rewrite as long as the length does not shrink: that is fine."
        ),
        why_bad=(
            "Changing a column's type makes PostgreSQL (and MySQL) rewrite the table or check every row under an"
            " exclusive lock: reads and writes wait for minutes on a large table, and code still running expects"
            " the old type."
        ),
        example='migrations.AlterField("product", "name", models.CharField(max_length=120))  # was 200\n',
        use_instead=(
            "# Keep max_length=200 and validate the length in forms and serializers,\n"
            "# or add name_short, backfill it in batches, and switch the code over.\n"
        ),
        scope="project",
    ),
    Rule(
        code="DJM208",
        name="add-not-null-constraint",
        message="`AlterField` makes `{field}` NOT NULL, which scans the whole table under an exclusive lock",
        hint="backfill NULLs first; on PostgreSQL add a `CHECK (... IS NOT NULL) NOT VALID` constraint and validate it",
        what_it_does=(
            "Checks `AlterField` operations that turn a nullable column (`null=True` in its previous definition"
            " along the migration graph) NOT NULL."
        ),
        why_bad=(
            "`SET NOT NULL` scans the whole table while holding an exclusive lock, and code still running during"
            " the deploy may keep writing NULLs, which now fail."
        ),
        example='migrations.AlterField("order", "region", models.CharField(max_length=10))  # was null=True\n',
        use_instead=(
            "# 1. backfill: Order.objects.filter(region=None).update(region=\"eu\") in batches\n"
            "# 2. RunSQL: ALTER TABLE ... ADD CONSTRAINT region_not_null CHECK (region IS NOT NULL) NOT VALID\n"
            "# 3. RunSQL: ALTER TABLE ... VALIDATE CONSTRAINT region_not_null; then AlterField(null=False)\n"
        ),
        scope="project",
    ),
    Rule(
        code="DJM301",
        name="latest-dependency",
        message="the dependency on `(\"{app}\", \"__latest__\")` floats to whatever `{app}`'s newest migration is",
        hint="depend on the exact migration of `{app}` that creates what this migration needs",
        what_it_does="Checks for dependencies on another app's `__latest__` migration.",
        why_bad=(
            "`__latest__` is resolved anew every time the graph is built. When the other app later removes or"
            " renames what this migration reads, this migration is ordered after that change and fails on every"
            " fresh database, a year after it was written."
        ),
        example='dependencies = [("catalog", "__latest__")]\n',
        use_instead='dependencies = [("catalog", "0021_product_sku")]\n',
    ),
    Rule(
        code="DJM302",
        name="missing-dependency-target",
        message="`{kind}` names `{target}`, which is not a migration of the local app `{app}`",
        hint="point it at an existing migration of `{app}` (see `ls {app}/migrations`)",
        what_it_does=(
            "Checks `dependencies` and `run_before` entries that name a migration of an app in this project"
            " that does not exist."
        ),
        why_bad="Django refuses to build the migration graph (`NodeNotFoundError`): no `migrate` works at all.",
        example='dependencies = [("catalog", "0007_typo")]\n',
        use_instead='dependencies = [("catalog", "0007_product_sku")]\n',
        scope="project",
    ),
    Rule(
        code="DJM303",
        name="circular-dependency",
        message="this migration is on a dependency cycle: {cycle}",
        hint=(
            "remove one of the dependencies on the cycle, usually the one that points at another app's newer"
            " migration"
        ),
        what_it_does="Checks for migrations that, through their dependencies, depend on themselves.",
        why_bad="Django cannot order a cycle (`CircularDependencyError`): no `migrate` works at all.",
        example=(
            "# orders/migrations/0003_x.py\n"
            'dependencies = [("billing", "0002_y")]\n'
            "# billing/migrations/0002_y.py\n"
            'dependencies = [("orders", "0003_x")]\n'
        ),
        use_instead=(
            "# billing/migrations/0002_y.py depends only on what it needs and was written against:\n"
            'dependencies = [("orders", "0002_order_total")]\n'
        ),
        scope="project",
    ),
    Rule(
        code="DJM304",
        name="conflicting-leaves",
        message="`{app}` has more than one leaf migration: `{name}` and {others}",
        hint="run `python manage.py makemigrations --merge {app}` and give the merge a descriptive name",
        what_it_does=(
            "Checks for apps whose migration graph has more than one leaf (usually two branches that each"
            " added one)."
        ),
        why_bad='Django stops `migrate` with "Conflicting migrations detected" until a merge migration exists.',
        example=(
            "# billing/migrations/0015_invoice_due_date.py  (branch A)\n"
            "# billing/migrations/0015_invoice_currency.py  (branch B)\n"
        ),
        use_instead="# billing/migrations/0016_merge_due_date_currency.py depending on both\n",
        scope="project",
    ),
    Rule(
        code="DJM305",
        name="duplicate-replacement",
        message="`replaces` names `{replaced}`, which `{other}` replaces too",
        hint="let one squash replace each migration; remove the entry from all but one",
        what_it_does="Checks for migrations whose `replaces` lists share an entry with another migration's.",
        why_bad=(
            "Applying both replacements records the replaced migration twice in `django_migrations`, and"
            " databases that applied one replacement see the other as unapplied."
        ),
        example=(
            "# 0001_squashed_0004.py: replaces = [(\"billing\", \"0003_x\"), ...]\n"
            "# 0003_squashed_0006.py: replaces = [(\"billing\", \"0003_x\"), ...]\n"
        ),
        use_instead="# Each original migration is replaced by exactly one squash.\n",
        scope="project",
    ),
    Rule(
        code="DJM306",
        name="generic-merge-name",
        message="the merge migration `{name}` has a generic name that another branch can create with other contents",
        hint="rename it to something unique, e.g. `{number}_merge_{suggestion}`, and update what depends on it",
        what_it_does=(
            "Checks for merge migrations named `NNNN_merge`. A merge migration has no operations and two or"
            " more dependencies in its own app."
        ),
        why_bad=(
            "Two branches each create their own `0016_merge.py` with different dependencies. A database that"
            " applied one records `0016_merge` as applied and never runs the other, so the migrations only the"
            " other merge depended on are silently skipped."
        ),
        example="# billing/migrations/0016_merge.py\n",
        use_instead="# billing/migrations/0016_merge_invoice_due_date_currency.py\n",
    ),
    Rule(
        code="DJM307",
        name="stale-max-migration",
        message="`max_migration.txt` names `{recorded}`, but the app's leaf migration is `{leaf}`",
        hint="run `python manage.py rebase_migration {app}` or write `{leaf}` into `max_migration.txt`",
        what_it_does=(
            "Checks django-linear-migrations' `max_migration.txt` files against the app's only leaf migration."
        ),
        why_bad=(
            "The file exists to make two branches that add migrations conflict in git. When it does not name the"
            " leaf, it no longer does that job, and the next parallel branch merges silently."
        ),
        example="# max_migration.txt says 0014_user_phone while 0015_user_email exists\n",
        use_instead="# max_migration.txt says 0015_user_email\n",
        scope="project",
    ),
    Rule(
        code="DJM401",
        name="read-before-create",
        message="`{target}` is read here, but `{creator}`, which creates it, is not among this migration's ancestors",
        hint="add `{dependency}` to `dependencies`, so that every database creates it first",
        what_it_does=(
            "Checks references to another app's models and fields (relation targets, `to_field`, `through`, and"
            " `apps.get_model` with the fields its querysets use in `RunPython`) whose creating migration is not"
            " an ancestor of the reading migration."
        ),
        why_bad=(
            "Django orders migrations only by their dependencies. On your database the other app's migration ran"
            " long ago, but on a fresh one (CI, a new colleague, a staging rebuild) Django may run this migration"
            " first, and it fails because the table or column does not exist yet."
        ),
        example=(
            "# shipping/migrations/0010_fill_contact_phone.py reads accounts.User.phone_number\n"
            'dependencies = [("shipping", "0009_shipment_contact_phone")]\n'
        ),
        use_instead=(
            'dependencies = [("shipping", "0009_shipment_contact_phone"), ("accounts", "0002_user_phone_number")]\n'
        ),
        scope="project",
    ),
    Rule(
        code="DJM402",
        name="delete-before-readers",
        message="the removal of `{target}` is not ordered after {readers}, which read it, so it may run first",
        hint="add {dependencies} to this migration's `dependencies`",
        what_it_does=(
            "Checks operations that remove or rename a model or field that a migration of another app reads,"
            " when the reader is neither an ancestor nor a descendant of the removal. (When the removal is an"
            " ancestor of the reader, DJM403 reports it once, at the reader.)"
        ),
        why_bad=(
            "Nothing orders the two, so on a fresh database Django may drop the column before the reader runs,"
            " and the reader fails: the year-long bug where fresh databases and CI fail while every existing"
            " database looks fine."
        ),
        example=(
            "# catalog/migrations/0030_drop_legacy_sku.py\n"
            'dependencies = [("catalog", "0029_sku_stable")]\n'
            'operations = [migrations.RemoveField("product", "sku")]\n'
        ),
        use_instead=(
            'dependencies = [("catalog", "0029_sku_stable"), ("orders", "0017_migrate_off_sku")]\n'
        ),
        scope="project",
    ),
    Rule(
        code="DJM403",
        name="read-after-delete",
        message="`{target}` is read here, but the ancestor `{remover}` already removed it",
        hint="depend on `{last}`, the last migration that still has it, and let the removal depend on this one",
        what_it_does=(
            "Checks references to another app's models and fields that an ancestor of the reading migration has"
            " already removed or renamed, usually through a dependency on that app's latest migration."
        ),
        why_bad=(
            "The reader runs against a state that no longer has what it needs: `migrate` fails on every fresh"
            " database, with `FieldError` or a missing column."
        ),
        example='dependencies = [("catalog", "__latest__")]  # catalog 0004 removed Product.sku\n',
        use_instead='dependencies = [("catalog", "0003_copy_sku_to_ean")]  # the last state with Product.sku\n',
        scope="project",
    ),
    Rule(
        code="DJM901",
        name="auto-generated-name",
        message="the migration name `{name}` was generated from a timestamp and says nothing about its change",
        hint="rename it after what it does, e.g. `makemigrations --name add_order_region`",
        what_it_does="Checks for migration names like `0005_auto_20230101_1234`.",
        why_bad="History and merge conflicts are read by name; `auto_...` names hide what each migration does.",
        example="# orders/migrations/0005_auto_20230101_1234.py\n",
        use_instead="# orders/migrations/0005_order_region.py\n",
        default_enabled=False,
    ),
    Rule(
        code="DJM902",
        name="row-by-row-save",
        message="`.save()` is called inside a loop in a `RunPython` function, one query per row",
        hint="use `QuerySet.update()` or `bulk_update()` in batches",
        what_it_does="Checks `RunPython` functions for `.save()` calls inside a loop or comprehension.",
        why_bad=(
            "A query per row turns a backfill of a million rows into a migration that runs for hours inside a"
            " transaction."
        ),
        example=(
            "for order in Order.objects.all():\n"
            "    order.region = \"eu\"\n"
            "    order.save()\n"
        ),
        use_instead='Order.objects.filter(region__isnull=True).update(region="eu")\n',
        default_enabled=False,
    ),
    Rule(
        code="DJM903",
        name="missing-db-alias",
        message="the queryset is not routed to the database being migrated",
        hint="chain `.using(schema_editor.connection.alias)` (or `db_manager(...)`)",
        what_it_does=(
            "Checks `RunPython` functions for manager and queryset chains that do not call `.using(...)` or"
            " `.db_manager(...)`."
        ),
        why_bad=(
            "With several databases, `migrate --database=other` runs the function for `other`, but an unrouted"
            " queryset reads and writes the default database."
        ),
        example='Order.objects.filter(region="").update(region="eu")\n',
        use_instead=(
            "alias = schema_editor.connection.alias\n"
            'Order.objects.using(alias).filter(region="").update(region="eu")\n'
        ),
        default_enabled=False,
    ),
    Rule(
        code="DJM904",
        name="app-dependency-cycle",
        message="apps `{app}` and `{other}` depend on each other: {forward} and {backward}",
        hint="make the dependency go one way; pin the reader to the other app's migration it was written against",
        what_it_does="Checks for two apps whose migrations depend on each other in both directions.",
        why_bad=(
            "Apps that point at each other's moving heads are one edit away from a `CircularDependencyError`,"
            " and their migrations cannot be squashed or reset independently."
        ),
        example=(
            "# orders/0004 depends on billing/0002; billing/0003 depends on orders/0005\n"
        ),
        use_instead="# Only orders depends on billing (or the reverse).\n",
        default_enabled=False,
        scope="project",
    ),
)

RULES: Final[Mapping[str, Rule]] = {rule.code: rule for rule in _RULES}
OFF_BY_DEFAULT: Final = tuple(code for code, rule in RULES.items() if not rule.default_enabled)

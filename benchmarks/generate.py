"""Generate a realistic synthetic Django project for benchmarking: ``python benchmarks/generate.py OUT_DIR``.

Every app gets ``__init__.py``, ``apps.py`` and a ``migrations`` package of ``--migrations`` files, written the way
``makemigrations`` writes them: an initial ``CreateModel``, then added (nullable) fields, altered fields, new
models, foreign keys to other apps that depend on the exact migration creating their target, ``RunPython`` data
migrations with reverses (through ``apps.get_model``), indexes, now and then two branches joined by a merge
migration, and in some apps a squash (``0001_squashed_0010_…`` with ``replaces``, originals kept).

Migrations are generated app by app in rounds, and a migration may only depend on one generated earlier, so the
graph is acyclic by construction. The first ten migrations of an app that gets squashed stay inside their app:
Django remaps dependencies on replaced migrations to the squash, which would otherwise be able to close a cycle.
The output is deterministic for a given seed; ``benchmarks/check_django_loads.py`` proves Django loads it.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ADJECTIVES = (
    "Active", "Annual", "Billing", "Cached", "Customer", "Daily", "Default", "Draft", "External", "Global", "Internal",
    "Legacy", "Linked", "Local", "Main", "Monthly", "Open", "Partner", "Pending", "Primary", "Public", "Recurring",
    "Regional", "Remote", "Saved", "Scheduled", "Shared", "Shipping", "Store", "Team", "Trial", "Weekly",
)
NOUNS = (
    "Account", "Address", "Alert", "Asset", "Attachment", "Audit", "Badge", "Batch", "Booking", "Budget", "Campaign",
    "Category", "Channel", "Comment", "Contract", "Coupon", "Credit", "Device", "Discount", "Document", "Event",
    "Export", "Feature", "Feedback", "Invoice", "Item", "Job", "Label", "Ledger", "License", "Message", "Metric",
    "Note", "Order", "Payment", "Payout", "Plan", "Policy", "Price", "Product", "Profile", "Project", "Receipt",
    "Refund", "Report", "Request", "Review", "Rule", "Schedule", "Session", "Setting", "Shipment", "Subscription",
    "Tag", "Task", "Ticket", "Token", "Transfer", "Upload", "Vendor", "Voucher", "Webhook", "Workspace",
)
FIELD_WORDS = (
    "amount", "code", "color", "comment", "country", "currency", "description", "email", "external_id", "flag",
    "handle", "kind", "label", "locale", "memo", "name", "note", "phone", "priority", "rank", "reference", "region",
    "score", "slug", "source", "state", "status", "summary", "timezone", "title", "token", "url", "version", "weight",
)
BASE_DATE = datetime(2021, 3, 1, 9, 0)


@dataclass
class Field:
    name: str
    kind: str  # "char", "int", "bool", "text", "date", "fk"
    max_length: int = 0
    null: bool = False
    indexed: bool = False


@dataclass
class Model:
    name: str
    app: str
    created_in: str  # the migration that creates it
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def lower(self) -> str:
        return self.name.lower()


@dataclass
class Migration:
    number: int
    name: str
    dependencies: list[tuple[str, str]]
    operations: list[str]
    functions: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    initial: bool = False
    replaces: list[tuple[str, str]] = field(default_factory=list)
    swappable: bool = False
    created: datetime = BASE_DATE


@dataclass
class App:
    index: int
    label: str
    squashed: bool
    models: list[Model] = field(default_factory=list)
    migrations: list[Migration] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)
    number: int = 0  # the number of the latest migration
    files: int = 0
    pending_merge: list[str] = field(default_factory=list)
    squash_written: bool = False
    functions: set[str] = field(default_factory=set)


class Generator:
    def __init__(self, apps: int, migrations: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.per_app = migrations
        self.apps = [App(i, f"app_{i}", squashed=(i % 7 == 3 and migrations >= 20)) for i in range(apps)]
        names = [a + n for a in ADJECTIVES for n in NOUNS]
        self.rng.shuffle(names)
        self.model_names = names
        self.models_made = 0
        self.clock = BASE_DATE

    # -- naming -------------------------------------------------------------------------------------------

    def new_model_name(self) -> str:
        # Globally unique, so reverse accessors of foreign keys never clash across apps.
        base = self.model_names[self.models_made % len(self.model_names)]
        suffix = self.models_made // len(self.model_names)
        self.models_made += 1
        return f"{base}{suffix + 1}" if suffix else base

    def tick(self) -> datetime:
        self.clock += timedelta(hours=self.rng.randint(1, 30), minutes=self.rng.randint(0, 59))
        return self.clock

    # -- field source -------------------------------------------------------------------------------------

    @staticmethod
    def field_source(f: Field, target: str | None = None) -> str:
        null = "blank=True, null=True" if f.null else ""
        if f.kind == "char":
            # The deconstructed keyword arguments are written sorted, as the migration writer does.
            options = f"blank=True, max_length={f.max_length}, null=True" if f.null else f"max_length={f.max_length}"
            return f"models.CharField({options})"
        if f.kind == "text":
            return f"models.TextField({'blank=True, null=True' if f.null else 'blank=True'})"
        if f.kind == "int":
            return f"models.IntegerField({null})" if f.null else "models.IntegerField(default=0)"
        if f.kind == "bool":
            return "models.BooleanField(default=False)"
        if f.kind == "date":
            return f"models.DateTimeField({null})" if f.null else "models.DateTimeField(auto_now_add=True)"
        if f.kind == "fk":
            assert target is not None
            if target == "settings.AUTH_USER_MODEL":
                to = target
            else:
                to = repr(target)
            return (
                "models.ForeignKey(blank=True, null=True, "
                f"on_delete=django.db.models.deletion.SET_NULL, to={to})"
            )
        raise ValueError(f.kind)

    def fresh_field(self, model: Model, nullable: bool) -> Field:
        # An added field is nullable, as a safe AddField is; a BooleanField(null=True) would be unusual.
        kinds = ("char", "char", "int", "text", "date")
        if not nullable:
            kinds += ("char", "bool")
        kind = self.rng.choice(kinds)
        base = self.rng.choice(FIELD_WORDS)
        name = base
        n = 2
        while name in model.fields:
            name = f"{base}_{n}"
            n += 1
        return Field(name, kind, max_length=self.rng.choice((32, 64, 100, 128, 255)), null=nullable)

    # -- operations ---------------------------------------------------------------------------------------

    def create_model(self, app: App, migration_name: str) -> tuple[Model, str]:
        model = Model(self.new_model_name(), app.label, migration_name)
        model.fields["id"] = Field("id", "auto")
        lines = [
            "        migrations.CreateModel(",
            f"            name={model.name!r},",
            "            fields=[",
            "                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,"
            " verbose_name='ID')),",
        ]
        for _ in range(self.rng.randint(3, 7)):
            f = self.fresh_field(model, nullable=self.rng.random() < 0.3)
            model.fields[f.name] = f
            lines.append(f"                ({f.name!r}, {self.field_source(f)}),")
        lines += ["            ],"]
        if self.rng.random() < 0.3:
            lines.append(f"            options={{'ordering': ['-id'], 'verbose_name': {model.name.lower()!r}}},")
        lines.append("        ),")
        app.models.append(model)
        return model, "\n".join(lines)

    def add_field(self, model: Model) -> tuple[Field, str]:
        f = self.fresh_field(model, nullable=True)
        model.fields[f.name] = f
        source = (
            "        migrations.AddField(\n"
            f"            model_name={model.lower!r},\n"
            f"            name={f.name!r},\n"
            f"            field={self.field_source(f)},\n"
            "        ),"
        )
        return f, source

    def alter_field(self, model: Model) -> tuple[Field, str] | None:
        candidates = [f for f in model.fields.values() if f.kind == "char"]
        if not candidates:
            return None
        f = self.rng.choice(candidates)
        f.max_length = max(f.max_length, 32) * 2
        if self.rng.random() < 0.3 and not f.null:
            f.null = True
        source = (
            "        migrations.AlterField(\n"
            f"            model_name={model.lower!r},\n"
            f"            name={f.name!r},\n"
            f"            field={self.field_source(f)},\n"
            "        ),"
        )
        return f, source

    def add_foreign_key(self, model: Model, target: Model | None) -> tuple[Field, str]:
        # target None: the swappable user model.
        base = target.lower if target else self.rng.choice(("owner", "created_by", "assignee", "reviewer"))
        name, n = base, 2
        while name in model.fields:
            name = f"{base}_{n}"
            n += 1
        f = Field(name, "fk", null=True)
        model.fields[name] = f
        to = f"{target.app}.{target.lower}" if target else "settings.AUTH_USER_MODEL"
        source = (
            "        migrations.AddField(\n"
            f"            model_name={model.lower!r},\n"
            f"            name={name!r},\n"
            f"            field={self.field_source(f, to)},\n"
            "        ),"
        )
        return f, source

    def add_index(self, app: App, model: Model) -> tuple[str, str] | None:
        candidates = [f for f in model.fields.values() if f.kind in ("char", "int", "date") and not f.indexed]
        if not candidates:
            return None
        f = self.rng.choice(candidates)
        f.indexed = True
        table = f"{app.label}_{model.lower}"
        digest = hashlib.md5(f"{table}.{f.name}".encode()).hexdigest()[:6]
        index_name = f"{table[:11]}_{f.name[:7]}_{digest}_idx"
        source = (
            "        migrations.AddIndex(\n"
            f"            model_name={model.lower!r},\n"
            f"            index=models.Index(fields=[{f.name!r}], name={index_name!r}),\n"
            "        ),"
        )
        return f"{model.lower}_{index_name}", source

    def data_migration(self, app: App, model: Model, other: Model | None) -> tuple[str, list[str], str] | None:
        nullable = [f for f in model.fields.values() if f.null and f.kind in ("char", "text")]
        if not nullable:
            return None
        f = self.rng.choice(nullable)
        var = model.name
        stem, n = f"{model.lower}_{f.name}", 2
        while stem in app.functions:
            stem, n = f"{model.lower}_{f.name}_{n}", n + 1
        app.functions.add(stem)  # a squash copies every function into one module, so names must not repeat
        forward, backward = f"fill_{stem}", f"clear_{stem}"
        style = self.rng.randint(0, 2)
        if style == 0:
            body = [
                f"def {forward}(apps, schema_editor):",
                f"    {var} = apps.get_model({app.label!r}, {model.name!r})",
                "    db_alias = schema_editor.connection.alias",
                f"    {var}.objects.using(db_alias).filter({f.name}__isnull=True).update({f.name}='')",
            ]
        elif style == 1:
            body = [
                f"def {forward}(apps, schema_editor):",
                f"    {var} = apps.get_model({app.label!r}, {model.name!r})",
                f"    for obj in {var}.objects.filter({f.name}__isnull=True).iterator():",
                f"        obj.{f.name} = 'obj-%s' % obj.pk",
                f"        obj.save(update_fields=[{f.name!r}])",
            ]
        else:
            body = [
                f"def {forward}(apps, schema_editor):",
                f"    {var} = apps.get_model({app.label!r}, {model.name!r})",
                "    batch = []",
                f"    for obj in {var}.objects.filter({f.name}__isnull=True).only('pk'):",
                f"        obj.{f.name} = ''",
                "        batch.append(obj)",
                f"    {var}.objects.bulk_update(batch, [{f.name!r}], batch_size=500)",
            ]
        if other is not None:
            body[2:2] = [
                f"    {other.name} = apps.get_model({other.app!r}, {other.name!r})",
                f"    if not {other.name}.objects.exists():",
                "        return",
            ]
        reverse = [
            f"def {backward}(apps, schema_editor):",
            f"    {var} = apps.get_model({app.label!r}, {model.name!r})",
            f"    {var}.objects.filter({f.name}='').update({f.name}=None)",
        ]
        functions = ["\n".join(body), "\n".join(reverse)]
        source = f"        migrations.RunPython({forward}, {backward}),"
        return forward, functions, source

    # -- migrations ---------------------------------------------------------------------------------------

    def others_models(self, app: App) -> list[Model]:
        return [m for other in self.apps if other is not app for m in other.models]

    def next_migration(self, app: App, number: int, parents: list[str]) -> Migration:
        """One ordinary migration after ``parents`` (the app's current leaves)."""
        local_only = app.squashed and number <= 10
        deps = [(app.label, p) for p in parents]
        mig = Migration(number, "", deps, [], created=self.tick())
        fragments: list[str] = []
        roll = self.rng.random()
        others = [] if local_only else self.others_models(app)
        if roll < 0.08 or not app.models:
            model, source = self.create_model(app, "")
            mig.operations.append(source)
            mig.imports.add("from django.db import migrations, models")
            fragments.append(model.lower)
            pending_model: Model | None = model
        else:
            pending_model = None
            model = self.rng.choice(app.models)
            if roll < 0.40:
                for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
                    f, source = self.add_field(model)
                    mig.operations.append(source)
                    fragments.append(f"{model.lower}_{f.name}")
                mig.imports.add("from django.db import migrations, models")
            elif roll < 0.55:
                altered = self.alter_field(model)
                if altered is None:
                    f, source = self.add_field(model)
                    fragments.append(f"{model.lower}_{f.name}")
                else:
                    f, source = altered
                    fragments.append(f"alter_{model.lower}_{f.name}")
                mig.operations.append(source)
                mig.imports.add("from django.db import migrations, models")
            elif roll < 0.72 and (others or not local_only):
                if others and self.rng.random() < 0.85:
                    target = self.rng.choice(others)
                    # Depend on exactly the migration that created the target, as makemigrations does.
                    mig.dependencies.append((target.app, target.created_in))
                else:
                    target = None
                    mig.swappable = True
                f, source = self.add_foreign_key(model, target)
                mig.operations.append(source)
                mig.imports.update(("from django.db import migrations, models", "import django.db.models.deletion"))
                if target is None:
                    mig.imports.add("from django.conf import settings")
                fragments.append(f"{model.lower}_{f.name}")
            elif roll < 0.87:
                other = None
                if others and self.rng.random() < 0.3:
                    other = self.rng.choice(others)
                    mig.dependencies.append((other.app, other.created_in))
                made = self.data_migration(app, model, other)
                if made is None:
                    if other is not None:
                        mig.dependencies.pop()
                    f, source = self.add_field(model)
                    mig.operations.append(source)
                    mig.imports.add("from django.db import migrations, models")
                    fragments.append(f"{model.lower}_{f.name}")
                else:
                    forward, functions, source = made
                    mig.functions.extend(functions)
                    mig.operations.append(source)
                    mig.imports.add("from django.db import migrations")
                    fragments.append(forward)
            else:
                indexed = self.add_index(app, model)
                if indexed is None:
                    f, source = self.add_field(model)
                    fragments.append(f"{model.lower}_{f.name}")
                else:
                    fragment, source = indexed
                    fragments.append(fragment)
                mig.operations.append(source)
                mig.imports.add("from django.db import migrations, models")
        mig.name = self.migration_name(number, fragments, mig.created)
        if pending_model is not None:
            pending_model.created_in = mig.name
        return mig

    def branch_migration(self, app: App, number: int, parents: list[str]) -> Migration:
        mig = Migration(number, "", [(app.label, p) for p in parents], [], created=self.tick())
        model = self.rng.choice(app.models)
        f, source = self.add_field(model)
        mig.operations.append(source)
        mig.imports.add("from django.db import migrations, models")
        mig.name = self.migration_name(number, [f"{model.lower}_{f.name}"], mig.created)
        return mig

    @staticmethod
    def migration_name(number: int, fragments: list[str], created: datetime) -> str:
        # Django's auto naming: the operations' fragments when short enough, else auto_<timestamp>.
        joined = "_".join(fragments)
        if len(joined) > 52:
            joined = "auto_" + created.strftime("%Y%m%d_%H%M")
        return f"{number:04d}_{joined}"

    def initial(self, app: App) -> Migration:
        mig = Migration(1, "0001_initial", [], [], initial=True, created=self.tick())
        mig.imports.add("from django.db import migrations, models")
        for _ in range(self.rng.randint(2, 3)):
            model, source = self.create_model(app, "0001_initial")
            mig.operations.append(source)
        return mig

    def squash(self, app: App) -> Migration:
        replaced = [m for m in app.migrations if m.number <= 10 and not m.replaces]
        last = max(replaced, key=lambda m: m.number)
        tail = last.name.split("_", 1)[1]
        mig = Migration(
            1, f"0001_squashed_{last.number:04d}_{tail}"[:80], [], [], initial=True,
            replaces=[(app.label, m.name) for m in replaced], created=self.tick(),
        )
        inside = {m.name for m in replaced}
        for m in replaced:
            for dep in m.dependencies:
                if dep[0] != app.label and dep not in mig.dependencies:
                    mig.dependencies.append(dep)
            mig.operations.extend(m.operations)
            mig.functions.extend(m.functions)
            mig.imports.update(m.imports)
            mig.swappable = mig.swappable or m.swappable
        assert all(d[0] != app.label or d[1] not in inside for d in mig.dependencies)
        return mig

    def step(self, app: App) -> list[Migration]:
        """The next migration(s) of an app: the initial one, a normal one, a pair of branches, a merge or a squash."""
        remaining = self.per_app - app.files
        if remaining <= 0 and not app.pending_merge:
            return []
        if app.number == 0:
            made = [self.initial(app)]
            app.number = 1
            app.leaves = [made[0].name]
            return made
        if app.pending_merge:
            app.number += 1
            names = sorted(app.pending_merge)
            leaf_names = "_".join(names)
            tail = leaf_names if len(leaf_names) <= 47 else self.clock.strftime("%Y%m%d_%H%M")
            mig = Migration(
                app.number, f"{app.number:04d}_merge_{tail}", [(app.label, n) for n in names], [], created=self.tick(),
            )
            app.pending_merge = []
            app.leaves = [mig.name]
            return [mig]
        if app.squashed and not app.squash_written and app.number >= 10:
            app.squash_written = True
            return [self.squash(app)]
        branch = (
            app.number >= 12 and remaining >= 3 and self.rng.random() < 0.04
            and not (app.squashed and not app.squash_written)
        )
        app.number += 1
        if branch:
            # Two developers each added a field on the same parent; the merge follows in the next round. Only
            # added fields, so neither branch touches what the other one created.
            first = self.branch_migration(app, app.number, app.leaves)
            second = self.branch_migration(app, app.number, app.leaves)
            if second.name == first.name:
                second.name += "_2"
            app.pending_merge = [first.name, second.name]
            return [first, second]
        mig = self.next_migration(app, app.number, app.leaves)
        app.leaves = [mig.name]
        return [mig]

    def generate(self) -> None:
        # Round-robin over the apps, so cross-app dependencies point back in time and the graph stays acyclic.
        # Branch pairs only start with room for their merge, so every app ends with exactly --migrations files.
        while any(app.files < self.per_app or app.pending_merge for app in self.apps):
            for app in self.apps:
                made = self.step(app)
                app.migrations.extend(made)
                app.files += len(made)

    # -- writing ------------------------------------------------------------------------------------------

    @staticmethod
    def render(mig: Migration) -> str:
        imports = set(mig.imports) or {"from django.db import migrations"}
        if "from django.db import migrations, models" in imports:
            imports.discard("from django.db import migrations")
        if mig.swappable:
            imports.add("from django.conf import settings")
        ordered = sorted(imports, key=lambda i: (i.split()[0] == "from", i.split()[1]))
        out = [f"# Generated by Django 5.2 on {mig.created:%Y-%m-%d %H:%M}", "", *ordered, "", ""]
        for function in mig.functions:
            out += [function, "", ""]
        out.append("class Migration(migrations.Migration):")
        out.append("")
        if mig.replaces:
            out.append(f"    replaces = [{', '.join(repr(r) for r in mig.replaces)}]")
            out.append("")
        if mig.initial:
            out.append("    initial = True")
            out.append("")
        out.append("    dependencies = [")
        for dep in mig.dependencies:
            out.append(f"        {dep!r},")
        if mig.swappable:
            out.append("        migrations.swappable_dependency(settings.AUTH_USER_MODEL),")
        out.append("    ]")
        out.append("")
        out.append("    operations = [")
        out.extend(mig.operations)
        out.append("    ]")
        return "\n".join(out) + "\n"

    def write(self, root: Path) -> int:
        count = 0
        for app in self.apps:
            package = root / app.label
            migrations = package / "migrations"
            migrations.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").write_text("")
            class_name = "".join(part.capitalize() for part in app.label.split("_")) + "Config"
            (package / "apps.py").write_text(
                "from django.apps import AppConfig\n\n\n"
                f"class {class_name}(AppConfig):\n"
                "    default_auto_field = 'django.db.models.BigAutoField'\n"
                f"    name = {app.label!r}\n"
            )
            (migrations / "__init__.py").write_text("")
            for mig in app.migrations:
                (migrations / f"{mig.name}.py").write_text(self.render(mig))
                count += 1
        return count


def generate(out: Path, apps: int = 50, migrations: int = 100, seed: int = 20240601, clean: bool = True) -> int:
    """Write the project into ``out``; returns the number of migration files."""
    if clean and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator(apps, migrations, seed)
    generator.generate()
    count = generator.write(out)
    (out / "APPS.txt").write_text("\n".join(app.label for app in generator.apps) + "\n")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the project into (emptied first)")
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--migrations", type=int, default=100, help="migration files per app")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    if args.apps < 1 or args.migrations < 1:
        parser.error("--apps and --migrations must be at least 1")
    count = generate(args.out, args.apps, args.migrations, args.seed)
    print(f"wrote {count} migration files in {args.apps} apps to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

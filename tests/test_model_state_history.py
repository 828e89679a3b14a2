"""The model state along the graph, seen through the project rules: renames of models and fields, ``<fk>_id``
reads, the definition just before an ``AlterField``, relation fields changing class, and odd but valid inputs (a
starred ``fields`` entry, a dependency cycle) that must neither crash nor hang the state."""

from __future__ import annotations

import textwrap
from pathlib import Path

from flake8_django_migrations.finding import Finding
from flake8_django_migrations.run import ProjectRun, run_rules
from flake8_django_migrations.registry import PROJECT_RULES, RULES
from flake8_django_migrations.settings import Settings

SETTINGS = Settings(use_cache=False)
DEFAULT_RULES = tuple(rule for rule in PROJECT_RULES if rule.default_enabled)

HEADER = "import django.db.models.deletion\nfrom django.db import migrations, models\n"


def module(dependencies: str, operations: str, functions: str = "") -> str:
    """A migration module: lines 1-2 imports, then ``functions``, then the class (dependencies, operations)."""
    return (
        HEADER + textwrap.dedent(functions)
        + f"\n\nclass Migration(migrations.Migration):\n    dependencies = {dependencies}\n"
        + f"    operations = {textwrap.dedent(operations).strip()}\n"
    )


def project(root: Path, migrations: dict[str, str]) -> Path:
    """``migrations``: ``"app/0001_name"`` -> module source."""
    (root / "manage.py").parent.mkdir(parents=True, exist_ok=True)
    (root / "manage.py").write_text("", encoding="utf-8")
    for key, source in migrations.items():
        label, name = key.split("/")
        folder = root / label / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        (root / label / "__init__.py").write_text("", encoding="utf-8")
        (folder / "__init__.py").write_text("", encoding="utf-8")
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return root


def findings(root: Path) -> list[tuple[str, int, int, str, str]]:
    """(path relative to root, line, 0-based column, code, text) of every finding of the default project rules
    but DJM204."""
    found = run_rules(ProjectRun(str(root), SETTINGS).index(), DEFAULT_RULES, ProjectRun(str(root), SETTINGS).settings)
    # The renames these histories make are DJM204's own findings, tested with its fixtures: here, what follows them.
    return [(str(Path(f.path).relative_to(root)), f.line, f.col, f.code, f.text) for f in found if f.code != "DJM204"]


def expected(path: str, line: int, col: int, code: str, **names: object) -> tuple[str, int, int, str, str]:
    finding: Finding = RULES[code].finding(path, line, col, **names)
    return (path, line, col, code, finding.text)


CATALOG_INITIAL = module("[]", """
    [
        migrations.CreateModel(
            name="Product",
            fields=[("id", models.AutoField(primary_key=True)), ("sku", models.CharField(max_length=20))],
        ),
    ]
""")
# A RunPython function of `orders` reading `catalog`: `apps.get_model` on line 6, `values_list` on line 7.
READER = """

    def copy(apps, schema_editor):
        Model = apps.get_model("catalog", "{model}")
        return list(Model.objects.values_list("{field}", flat=True))
"""
RUN_COPY = "[migrations.RunPython(copy, migrations.RunPython.noop)]"


def test_a_field_of_a_renamed_model_is_read_at_the_model_level(tmp_path: Path) -> None:
    """``RenameModel`` carries the fields over without naming them: a read of ``Item.sku`` needs the rename."""
    root = project(tmp_path, {
        "catalog/0001_initial": CATALOG_INITIAL,
        "catalog/0002_rename_product_item": module(
            '[("catalog", "0001_initial")]', '[migrations.RenameModel("Product", "Item")]'
        ),
        "orders/0001_initial": module(
            '[("catalog", "0001_initial")]', RUN_COPY, READER.format(model="Item", field="sku")
        ),
    })
    reader = "orders/migrations/0001_initial.py"
    creator = {"creator": "catalog.0002_rename_product_item", "dependency": '("catalog", "0002_rename_product_item")'}
    assert findings(root) == [
        expected(reader, 6, 12, "DJM401", target="catalog.item", **creator),
        expected(reader, 7, 42, "DJM401", target="catalog.item.sku", **creator),
    ]


def test_a_renamed_field_is_gone_under_its_old_name(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "catalog/0001_initial": CATALOG_INITIAL,
        "catalog/0002_rename_sku": module(
            '[("catalog", "0001_initial")]', '[migrations.RenameField("product", "sku", "code")]'
        ),
        "orders/0001_initial": module(
            '[("catalog", "0002_rename_sku")]', RUN_COPY, READER.format(model="Product", field="sku")
        ),
    })
    assert findings(root) == [expected(
        "orders/migrations/0001_initial.py", 7, 42, "DJM403",
        target="catalog.product.sku", remover="catalog.0002_rename_sku", last="catalog.0001_initial",
    )]


def test_a_foreign_key_read_through_its_column_name(tmp_path: Path) -> None:
    """``values_list("brand_id")`` reads the field ``brand``."""
    root = project(tmp_path, {
        "catalog/0001_initial": CATALOG_INITIAL,
        "catalog/0002_brand": module('[("catalog", "0001_initial")]', """
            [
                migrations.CreateModel(name="Brand", fields=[("id", models.AutoField(primary_key=True))]),
                migrations.AddField(
                    "product", "brand",
                    models.ForeignKey(
                        null=True, db_index=False, on_delete=django.db.models.deletion.CASCADE, to="catalog.brand"
                    ),
                ),
            ]
        """),
        "orders/0001_initial": module(
            '[("catalog", "0001_initial")]', RUN_COPY, READER.format(model="Product", field="brand_id")
        ),
    })
    assert findings(root) == [expected(
        "orders/migrations/0001_initial.py", 7, 42, "DJM401",
        target="catalog.product.brand_id", creator="catalog.0002_brand", dependency='("catalog", "0002_brand")',
    )]


def test_alter_field_compares_with_the_nearest_definition_of_its_own_app(tmp_path: Path) -> None:
    """0004 depends on 0003 (whose parent 0002 widened the column to 14 digits) and on ``other.0001``, which
    depends on 0001 (10 digits): the definition before 0004 is 0002's, so 14 -> 12 shrinks the column."""
    decimal = 'models.DecimalField(max_digits={}, decimal_places=2)'
    root = project(tmp_path, {
        "shop/0001_initial": module("[]", f"""
            [
                migrations.CreateModel(
                    name="Product",
                    fields=[("id", models.AutoField(primary_key=True)), ("price", {decimal.format(10)})],
                ),
            ]
        """),
        "shop/0002_wider": module(
            '[("shop", "0001_initial")]', f'[migrations.AlterField("product", "price", {decimal.format(14)})]'
        ),
        "shop/0003_noop": module('[("shop", "0002_wider")]', "[]"),
        "other/0001_initial": module('[("shop", "0001_initial")]', "[]"),
        "shop/0004_narrower": module(
            '[("shop", "0003_noop"), ("other", "0001_initial")]',
            f'[migrations.AlterField("product", "price", {decimal.format(12)})]',
        ),
    })
    assert findings(root) == [expected(
        "shop/migrations/0004_narrower.py", 7, 18, "DJM207", operation="AlterField", field="product.price",
        change="max_digits 14 to 12",
    )]


def test_a_foreign_key_becoming_a_one_to_one_field_keeps_its_column(tmp_path: Path) -> None:
    """Both store the target's key in the same column: no type change (DJM207), but the unique constraint a
    ``OneToOneField`` adds builds an index (DJM205) and the foreign key's plain index is dropped (DJM209)."""
    relation = '{}(on_delete=django.db.models.deletion.CASCADE, to="shop.brand")'
    root = project(tmp_path, {
        "shop/0001_initial": module("[]", f"""
            [
                migrations.CreateModel(name="Brand", fields=[("id", models.AutoField(primary_key=True))]),
                migrations.CreateModel(
                    name="Product",
                    fields=[
                        ("id", models.AutoField(primary_key=True)),
                        ("brand", models.{relation.format("ForeignKey")}),
                    ],
                ),
            ]
        """),
        "shop/0002_one_brand_each": module(
            '[("shop", "0001_initial")]',
            f'[migrations.AlterField("product", "brand", models.{relation.format("OneToOneField")})]',
        ),
    })
    assert findings(root) == [
        expected("shop/migrations/0002_one_brand_each.py", 7, 18, "DJM205", operation="AlterField", model="product"),
        # ...and drops the plain index the foreign key had.
        expected("shop/migrations/0002_one_brand_each.py", 7, 18, "DJM209", operation="AlterField",
                 target="product.brand"),
    ]


def test_a_starred_entry_in_create_model_fields_hides_nothing_else(tmp_path: Path) -> None:
    """``fields=[..., *timestamps()]`` cannot be read; the relation next to it still is."""
    root = project(tmp_path, {
        "catalog/0001_initial": CATALOG_INITIAL,
        "orders/0001_initial": module("[]", """
            [
                migrations.CreateModel(
                    name="Order",
                    fields=[
                        ("product", models.ForeignKey(on_delete=models.CASCADE, to="catalog.product")),
                        *timestamps(),
                    ],
                ),
            ]
        """, "\n\ndef timestamps():\n    return []\n"),
    })
    assert findings(root) == [expected(
        "orders/migrations/0001_initial.py", 15, 24, "DJM401",
        target="catalog.product", creator="catalog.0001_initial", dependency='("catalog", "0001_initial")',
    )]


def test_a_read_on_a_dependency_cycle_ends(tmp_path: Path) -> None:
    """The ancestors of a migration on a cycle are finite: the state answers, and the cycle is DJM303's."""
    root = project(tmp_path, {
        "catalog/0001_initial": CATALOG_INITIAL,
        "catalog/0002_after_orders": module('[("catalog", "0001_initial"), ("orders", "0001_initial")]', "[]"),
        "orders/0001_initial": module(
            '[("catalog", "0002_after_orders")]', RUN_COPY, READER.format(model="Product", field="sku")
        ),
    })
    cycle = "`{0}` -> `{1}` -> `{0}`"
    assert findings(root) == [
        expected("catalog/migrations/0002_after_orders.py", 6, 4, "DJM303",
                 cycle=cycle.format("catalog.0002_after_orders", "orders.0001_initial")),
        expected("orders/migrations/0001_initial.py", 11, 4, "DJM303",
                 cycle=cycle.format("orders.0001_initial", "catalog.0002_after_orders")),
    ]

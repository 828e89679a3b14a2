"""DJM103: live models used where the historical models must be."""

from __future__ import annotations

from collections.abc import Iterator

from flake8_django_migrations.facts import MigrationFacts
from flake8_django_migrations.rules.rule import Flag, file_rule
from flake8_django_migrations.settings import Settings


@file_rule(
    code="DJM103",
    name="live-model-use",
    message="`{evidence}` uses the live model `{model}` instead of the historical one",
    hint='fetch it inside the function with `apps.get_model("app_label", "Model")`',
    what_it_does=(
        "Checks for models imported from an app's `models` module (or `get_user_model()` and the global"
        " `django.apps.apps` registry) and used as models inside a migration: through `.objects`,"
        " `._default_manager`, `._base_manager`, `._meta` (`Order._meta.db_table` too), or by instantiating"
        " them. An import inside the function that uses the model counts as one at the top of the file. Importing"
        " a models module only for a custom field, manager or callable, as `makemigrations` itself writes, is"
        " fine, and so is reading a constant of a model (`Order.STATUS_CHOICES`, `Order.Status.PAID`): the rows"
        " still go through the historical model the function queries. Only code the migration runs counts:"
        " module-level code and the module's functions that an operation is given, or that such code calls or"
        " passes on; a function only kept in a dict or registry is not checked."
    ),
    why_bad=(
        "A migration runs against the schema as it was at that point in history, but an imported model is"
        " today's class. Once the model gains a field, loses one or changes its manager, the old migration"
        " queries columns that do not exist yet on a fresh database and breaks every new environment. Its"
        " `_meta` is today's too: after an `AlterModelTable`, or a `RenameModel` of a model without `db_table`,"
        " SQL built from `Order._meta.db_table` names a table that does not exist yet at this migration."
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
)
def live_model_use(facts: MigrationFacts, settings: Settings) -> Iterator[Flag]:
    for use in facts.live_models:
        yield Flag(use.line, use.col, model=use.model, evidence=use.evidence)

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # inventory now points at pricing's newest migration, which points back here: a cycle.
    dependencies = [
        ("inventory", "0001_initial"),
        ("pricing", "0002_price_item"),
    ]

    operations = [
        migrations.AddField(
            "item", "price", models.ForeignKey("pricing.price", django.db.models.deletion.SET_NULL, null=True, db_index=False)
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0001_initial"),
        ("inventory", "0002_item_price"),
    ]

    operations = [
        migrations.AddField(
            "price", "item", models.ForeignKey("inventory.item", django.db.models.deletion.CASCADE, null=True, db_index=False)
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    # A rebase renamed 0002_item_price; this dependency still names the old file.
    dependencies = [("inventory", "0002_item_prices")]

    operations = [migrations.AddField("item", "sku", models.CharField(max_length=32, null=True))]

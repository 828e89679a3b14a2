from django.db import models


class MoneyField(models.DecimalField):
    """An amount in the shop's currency: twelve digits, two of them decimals.

    Migrations that use it say ``import catalog.models`` and
    ``catalog.models.MoneyField(...)``: that is how makemigrations writes custom
    fields, and it is not a use of a live model.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    # Replaced the old internal `sku` (catalog 0002-0004): the GTIN printed on the box.
    ean = models.CharField(max_length=13, null=True, blank=True)
    price = MoneyField()
    usd_price = MoneyField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

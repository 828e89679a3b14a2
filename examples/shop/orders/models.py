from django.conf import settings
from django.db import models

from catalog.models import MoneyField


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        SHIPPED = "shipped"
        CANCELLED = "cancelled"

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    region = models.CharField(max_length=10, default="unknown")
    priority = models.IntegerField(default=0)
    total = MoneyField()
    shipping_fee = MoneyField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "created_at"], name="order_status_created_idx"
            ),
        ]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+"
    )
    # Snapshots taken when the order was placed, so later catalog edits do not
    # rewrite history.
    product_name = models.CharField(max_length=200, null=True, blank=True)
    product_sku = models.CharField(max_length=32, null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = MoneyField()

from django.conf import settings
from django.db import models

from catalog.models import MoneyField


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        OPEN = "open"
        PAID = "paid"
        VOID = "void"

    number = models.CharField(max_length=20, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    total = MoneyField()
    currency = models.CharField(max_length=3, default="EUR")
    due_date = models.DateField(null=True, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/%m/", null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(max_length=200)
    product_sku = models.CharField(max_length=32, null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    amount = MoneyField()

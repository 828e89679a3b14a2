from django.db import models


class Carrier(models.Model):
    name = models.CharField(max_length=100)
    tracking_url = models.URLField(blank=True)

    def __str__(self):
        return self.name


class Shipment(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="shipments"
    )
    carrier = models.ForeignKey(
        Carrier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
    )
    tracking_code = models.CharField(max_length=64, blank=True)
    weight = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    dimensions = models.CharField(max_length=50, null=True, blank=True)
    contact_phone = models.CharField(max_length=20, null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

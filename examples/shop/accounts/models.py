from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The shop's customer and staff account."""

    phone_number = models.CharField(max_length=20, null=True, blank=True)
    display_name = models.CharField(max_length=150, blank=True, db_default="")

    def __str__(self):
        return self.display_name or self.username

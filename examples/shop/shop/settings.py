"""Settings for the example shop.

A small project whose migrations reproduce real migration bugs; see README.md.
Production runs PostgreSQL behind a rolling deploy.
"""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-example-shop-not-a-secret"
DEBUG = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "accounts",
    "catalog",
    "orders",
    "billing",
    "shipping",
]

MIDDLEWARE = []

ROOT_URLCONF = "shop.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
    }
}

AUTH_USER_MODEL = "accounts.User"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DEFAULT_FROM_EMAIL = "shop@example.com"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

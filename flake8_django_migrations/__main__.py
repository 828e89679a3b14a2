"""``python -m flake8_django_migrations``: the same command as the ``django-migrations-lint`` script."""

from __future__ import annotations

from flake8_django_migrations.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

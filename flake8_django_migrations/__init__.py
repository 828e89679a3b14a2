"""Lint Django migration files statically, as a flake8 plugin and as a command."""

__version__ = "0.1.0"

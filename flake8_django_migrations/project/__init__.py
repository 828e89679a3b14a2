"""The project pass: every migration of the tree, the graph Django would build from them, and cross-file rules."""

from __future__ import annotations

from flake8_django_migrations.project.checks import (
    PROJECT_RULES,
    ProjectIndex,
    build_index,
    get_index,
    project_findings,
    project_findings_for,
)
from flake8_django_migrations.project.discover import discover, find_project_root
from flake8_django_migrations.project.graph import MigrationGraph, build_graph

__all__ = [
    "PROJECT_RULES",
    "MigrationGraph",
    "ProjectIndex",
    "build_graph",
    "build_index",
    "discover",
    "find_project_root",
    "get_index",
    "project_findings",
    "project_findings_for",
]

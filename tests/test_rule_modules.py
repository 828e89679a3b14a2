"""The codes each rule module's docstring and ``rules/__init__.py``'s family list name are the codes the registry
finds there: the lists are kept by hand, and a rule added or moved must update them."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

from flake8_django_migrations import rules
from flake8_django_migrations.registry import RULES

# "DJM104", "DJM104-105" (every code between), and the older spelling "DJM209-DJM213".
_LISTED_CODES = re.compile(r"DJM(\d{3})(?:-(?:DJM)?(\d{3}))?")
_FAMILY = re.compile(r"``(\w+)``\s*\(([^)]*)\)")
MODULES = sorted(info.name for info in pkgutil.iter_modules(rules.__path__))


def _listed(text: str) -> set[str]:
    """The codes a list names before its first colon, ranges expanded."""
    listed = text.partition(":")[0]
    return {
        f"DJM{number}"
        for first, last in _LISTED_CODES.findall(listed)
        for number in range(int(first), int(last or first) + 1)
    }


def _registered(module: str) -> set[str]:
    return {code for code, rule in RULES.items() if rule.check.__module__ == f"{rules.__name__}.{module}"}


@pytest.mark.parametrize("module", MODULES)
def test_module_docstring_lists_its_codes(module: str) -> None:
    docstring = importlib.import_module(f"{rules.__name__}.{module}").__doc__
    assert docstring is not None
    assert _listed(docstring) == _registered(module)


def test_package_docstring_lists_every_family_with_its_codes() -> None:
    assert rules.__doc__ is not None
    families = {family: _listed(codes) for family, codes in _FAMILY.findall(rules.__doc__)}
    assert families == {module: _registered(module) for module in MODULES if _registered(module)}

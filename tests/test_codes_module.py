"""``codes.py`` is generated from the registry (a warm lint run reads it instead of importing every rule) and must
not go stale."""

from __future__ import annotations

from pathlib import Path

from flake8_django_migrations import codes, registry


def test_codes_module_is_up_to_date() -> None:
    path = Path(codes.__file__)
    assert path.read_text(encoding="utf-8") == registry.codes_module_text(), (
        "run `python -m flake8_django_migrations.registry`: codes.py is stale"
    )


def test_codes_module_says_what_the_registry_says() -> None:
    assert codes.CODES == tuple(registry.RULES)
    assert codes.OFF_BY_DEFAULT == registry.OFF_BY_DEFAULT
    assert codes.PROJECT_CODES == tuple(rule.code for rule in registry.PROJECT_RULES)
    assert set(codes.NEEDS_ROLLING_DEPLOY) == {c for c, r in registry.RULES.items() if r.needs_rolling_deploy}

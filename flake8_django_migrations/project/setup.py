"""A project's setup kept between processes: the Django settings read and the migration packages discovered.

Both are worked out from a few hundred files and folders (the settings modules and the files that may name them,
every folder discovery walks, each app's ``apps.py``, ``sys.path`` for the installed apps), which an editor's run on
one file would otherwise read again on every pause. They are stored with the stamp of every path looked up while
they were worked out and of the folder holding it (``files.recording_lookups``), and served while every stamp is the
same: a file edited, added, removed or renamed in any of those folders means working them out again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flake8_django_migrations.digest import blake2b
from flake8_django_migrations.files import stamps_of_lookups, stamps_unchanged
from flake8_django_migrations.settings import CONFIGURATION_VARIABLE, SETTINGS_VARIABLE, DjangoSettings, Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.cache import FactsCache
    from flake8_django_migrations.project.discover import Discovery

__all__ = ["setup_key", "store_setup", "stored_setup"]


def setup_key(root: str, options: Settings) -> str:
    """The entry of the setup of the project at ``root`` (absolute) under the options of a run: the options, the
    folder the run started in (an option may be a relative path), the environment variables that name the settings
    module, the import path, and this package's code."""
    from flake8_django_migrations.project.fingerprint import code_stamp, settings_key

    digest = blake2b(digest_size=20)
    digest.update(repr((
        "project-setup", root, os.getcwd(), settings_key(options), os.environ.get(SETTINGS_VARIABLE),
        os.environ.get(CONFIGURATION_VARIABLE), sys.path, code_stamp(),
    )).encode("utf-8", "surrogatepass"))
    return "setup-" + digest.hexdigest()


def stored_setup(cache: FactsCache, key: str) -> tuple[DjangoSettings | None, Discovery] | None:
    """The Django settings read (None: not read) and the discovery stored under ``key``, when nothing they were
    worked out from changed since; else None."""
    from flake8_django_migrations.project.discover import Discovery

    stored = cache.data(key)
    if stored is None:
        return None
    django, discovery, stamps = stored.get("django"), stored.get("discovery"), stored.get("stamps")
    if not isinstance(discovery, Discovery) or not (django is None or isinstance(django, DjangoSettings)):
        return None
    if not isinstance(stamps, tuple) or not stamps_unchanged(stamps):
        return None
    return django, discovery


def store_setup(
    cache: FactsCache, key: str, django: DjangoSettings | None, discovery: Discovery, looked: Iterable[str]
) -> None:
    """Keeps what ``stored_setup`` serves, with the stamps of the paths ``looked`` up to work it out; nothing when
    one of them changed a moment ago (a change in the same tick of the clock would not show)."""
    stamps = stamps_of_lookups(looked)
    if stamps is not None:
        cache.store_data(key, {"django": django, "discovery": discovery, "stamps": stamps})

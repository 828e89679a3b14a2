"""flake8's configuration for the command: read by flake8's own machinery, and kept until something it read changes.

Reading it imports flake8's option machinery and loads every installed plugin, to learn their options and the codes
they leave out by default: about a tenth of a second, more than the rest of a warm ``check`` of 5,000 migrations.
What it depends on is known without reading it: the command line, the working folder, the home folder (where
flake8 stops looking), the configuration files flake8 and this plugin look for (``setup.cfg``, ``tox.ini``,
``.flake8`` and ``pyproject.toml`` in the working folder and every folder above it, ``--config``,
``--append-config``), the installed distributions (whose entry points are the plugins) and the source of every
module loaded while reading. The options and settings are stored in the cache with the stat of all of these, and
served while none changed; what flake8 wrote on standard error while reading is stored and written again.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import flake8_django_migrations
from flake8_django_migrations.digest import blake2b
from flake8_django_migrations.files import Stamp, stat_stamp
from flake8_django_migrations.settings import Settings

if TYPE_CHECKING:
    from flake8_django_migrations.project.cache import FactsCache

__all__ = ["Configuration", "read_configuration"]

# What flake8 (setup.cfg, tox.ini, .flake8) and this plugin (pyproject.toml) look for in a folder and its parents.
CONFIGURATION_FILES: Final = ("setup.cfg", "tox.ini", ".flake8", "pyproject.toml")
# Where importlib.metadata finds the installed distributions, and so flake8 its plugins, in each folder of sys.path.
_SUFFIXES: Final = (".dist-info", ".egg-info")
# Option values that are plain data are stored; flake8's ``jobs`` (a class of its own) is not, and the command,
# which runs no checker processes, never reads it.
_PLAIN: Final = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Configuration:
    options: argparse.Namespace  # flake8's options, this plugin's included
    settings: Settings  # what the plugin built from them (flake8 hands them to it)
    project_rule_codes: tuple[str, ...]  # the codes of this package's project rules, selected or not
    # Names the command line and where it runs, not the files read: what is stored under it is replaced when they
    # change, rather than piling up. None when nothing may be stored (the working folder is gone).
    key: str | None
    # Names the options and everything they were read from: for what is decided from them alone (which findings
    # flake8 would report). None when it cannot be told (a module loaded while reading has no file to stat).
    identity: str | None


ReadFlake8Options = Callable[[], tuple[argparse.Namespace, Settings, str]]


def read_configuration(argv: Sequence[str], cache: FactsCache, read: ReadFlake8Options) -> Configuration:
    """The configuration for flake8's command line ``argv`` (its ``--option=value`` form): from ``cache`` when
    nothing it depends on changed, else from ``read`` (flake8's machinery: the options, the settings, what it wrote
    on standard error), then stored in ``cache`` when the settings say that this is the cache to use (a
    ``djm-cache-dir`` or ``djm-no-cache`` of a configuration file points elsewhere: nothing is written here) and
    reading is all the settings need (``djm-base`` asks git for a commit each run)."""
    key: str | None = None
    inputs: str | None = None
    try:
        key, inputs = _key(argv), _inputs(argv)
    except OSError:
        pass  # no working folder: flake8 says what it makes of that
    stored = _stored(cache, key, inputs) if key is not None and inputs is not None else None
    if stored is not None:
        configuration, messages = stored
        sys.stderr.write(messages)
        return configuration
    options, settings, messages = read()
    sys.stderr.write(messages)
    # The project rules' codes key their findings on every run; they come with the plugin flake8 just loaded, and
    # kept here a run served from the cache need not import the rules.
    from flake8_django_migrations.registry import PROJECT_RULES

    modules = _module_stats()
    identity = _identity(inputs, modules) if inputs is not None else None
    configuration = Configuration(options, settings, tuple(rule.code for rule in PROJECT_RULES), key, identity)
    if (
        key is not None
        and identity is not None
        and settings.use_cache
        and settings.cache_dir == _cache_dir(argv)
        and settings.base is None
        and settings.applied is None  # the applied migrations are read again each run
        and settings.django is None
    ):
        cache.store_data(key, {
            "inputs": inputs,
            "modules": modules,
            "options": {name: value for name, value in vars(options).items() if _is_plain(value)},
            "settings": {field.name: getattr(settings, field.name) for field in dataclasses.fields(Settings)},
            "project_rule_codes": configuration.project_rule_codes,
            "messages": messages,
        })
    return configuration


def _stored(cache: FactsCache, key: str, inputs: str) -> tuple[Configuration, str] | None:
    stored = cache.data(key)
    if stored is None or stored.get("inputs") != inputs:
        return None
    try:
        modules = stored["modules"]
        if any(stat_stamp(path) != stat for path, stat in modules):
            return None
        settings = Settings(**stored["settings"])
        options = argparse.Namespace(**stored["options"])
        codes = tuple(stored["project_rule_codes"])
        messages = stored["messages"]
    except (KeyError, TypeError, ValueError):
        return None  # an entry of another layout: read again, and the store replaces it
    if not isinstance(messages, str) or not all(isinstance(code, str) for code in codes):
        return None
    return Configuration(options, settings, codes, key, _identity(inputs, modules)), messages


def _key(argv: Sequence[str]) -> str:
    """The command line and where it runs."""
    parts = (
        "configuration", flake8_django_migrations.__version__, sys.version, sys.executable, sys.path, os.getcwd(),
        os.path.expanduser("~"), list(argv),
    )
    return "configuration-" + _digest(parts)


def _inputs(argv: Sequence[str]) -> str:
    """What reading depends on, known before reading, besides the command line and where it runs: the
    configuration files it may read and the installed distributions."""
    parts: list[object] = []
    # flake8 stops at the first file with a [flake8] section and below the home folder; any file of these names
    # from here up is taken, so that adding one anywhere is seen whatever flake8 would have made of it.
    for folder in _folders_up(os.getcwd()):
        parts.extend((folder, [stat_stamp(os.path.join(folder, name)) for name in CONFIGURATION_FILES]))
    for argument in argv:
        option, equals, value = argument.partition("=")
        if equals and option in ("--config", "--append-config"):
            parts.extend((option, stat_stamp(os.path.abspath(value))))
    for entry in sys.path:
        parts.extend((entry, _distributions(entry or ".")))
    return _digest(parts)


def _identity(inputs: str, modules: object) -> str | None:
    return _digest((inputs, modules)) if modules is not None else None


def _digest(value: object) -> str:
    return blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _folders_up(folder: str) -> Iterator[str]:
    while True:
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


def _distributions(folder: str) -> object:
    """The distributions installed in a folder of ``sys.path``, each with the stat of its metadata folder (a new
    version, a reinstall or an uninstall changes them) and of its entry points; a zip file by its own stat."""
    try:
        names = os.listdir(folder)
    except OSError:
        return stat_stamp(folder)
    return [
        (name, stat_stamp(os.path.join(folder, name)), stat_stamp(os.path.join(folder, name, "entry_points.txt")))
        for name in sorted(names) if name.endswith(_SUFFIXES)
    ]


def _module_stats() -> tuple[tuple[str, Stamp], ...] | None:
    """The source of every module loaded in this process (flake8, its plugins, this package), by stat; None when
    one that is not built in has no file to stat (loaded from a zip, say): then nothing is stored."""
    found: dict[str, Stamp] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or path in found:
            continue  # built into the interpreter, or a namespace package (its modules have files)
        found[path] = stat_stamp(path)
        if found[path] is None:
            return None
    return tuple(sorted(found.items()))


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, _PLAIN) for item in value)
    return isinstance(value, _PLAIN)


def _cache_dir(argv: Sequence[str]) -> str | None:
    """The ``--djm-cache-dir`` of the command line, which chose the cache the configuration is looked up in."""
    given = [value for option, equals, value in (argument.partition("=") for argument in argv)
             if equals and option == "--djm-cache-dir"]
    return given[-1] if given else None

"""The project's Django settings, read statically: the few literal values that decide the migration graph, from
the module ``settings_module`` finds. Nothing is imported or executed.

The module is run as Python's import would run it, but only as far as literals go:

* ``from .base import *`` and ``from .apps import INSTALLED_APPS`` inside the project are followed, each module run
  once (a module imported again gives the names it has so far, as ``sys.modules`` would);
* django-split-settings' ``include("components/*.py", optional("local.py"))`` runs the files in the same
  namespace, as the library does;
* django-configurations' ``Configuration`` classes: the one ``DJANGO_CONFIGURATION`` names gives the settings its
  attributes (and its bases') set, the others are Django's defaults, as the library's metaclass does; its
  ``values.Value("x")`` wrappers are read as their default;
* names bound to literals are remembered (``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS`` is known), a branch that
  cannot be decided keeps what both sides agree on, and a list some of whose entries are not literals (``+= PLUGINS``,
  a conditional ``append``) keeps its literal entries and is *open*: it may hold more;
* the default database's engine is read from a database URL's scheme (dj-database-url, django-environ) and from an
  environment lookup's default, there only.

A setting bound to anything else is unknown, with the reason. An unknown setting keeps the behaviour the linter has
without settings; it is never guessed.

The parts, each a module of ``project/``: ``settings_values`` (what a value can be, and the helpers over values),
``database_urls`` (dj-database-url's and django-environ's URL schemes), ``settings_expressions`` (the expressions),
``settings_reader`` (the statements, imports and includes), and this module (which module, what the linter takes from
what was read, and the per-process cache).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flake8_django_migrations.files import (
    Stamp,
    looked_up,
    recording_lookups,
    stamps_of_lookups,
    stamps_unchanged,
)
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.project.settings_module import (
    DOTTED_NAME,
    find_module_file,
    find_settings_candidates,
)
from flake8_django_migrations.project.settings_reader import CONFIGURATION_DEFAULTS, MAX_STEPS, Reader, TooComplex
from flake8_django_migrations.project.settings_values import (
    Binding,
    Class,
    DjangoDefault,
    Function,
    Known,
    Lazy,
    Module,
    Partial,
    Unknown,
    env_defaults,
    is_literal,
)
from flake8_django_migrations.settings import (
    CONFIGURATION_VARIABLE,
    READ_SETTINGS,
    SETTINGS_VARIABLE,
    DjangoSettings,
    ReadSetting,
    Settings,
)
__all__ = [
    "read_django_settings",
    "settings_for_project",
]


# What the linter takes from them -------------------------------------------------------------------------------


def read_django_settings(
    root: str, option: str | None = None, environ: Mapping[str, str] | None = None
) -> DjangoSettings:
    """The settings of the project at ``root``: its module, and the literal values of ``READ_SETTINGS``."""
    root = os.path.abspath(root)
    search = find_settings_candidates(root, option, os.environ if environ is None else environ)
    import_roots = search.import_roots
    named = tuple((candidate.module, candidate.origin) for candidate in search.candidates)
    tried: list[str] = []
    for candidate in search.candidates:
        module, origin = candidate.module, candidate.origin
        path = _settings_file(module, root, import_roots)
        if path is None:
            tried.append(f"{module} ({origin})")
            continue
        reader = Reader(import_roots, root)
        dotted = module if not module.endswith(".py") else os.path.splitext(os.path.relpath(path, root))[0].replace(
            os.sep, ".")
        configuration = candidate.configuration
        values: dict[str, ReadSetting] = {}
        unknown: dict[str, str] = {}
        open_lists: dict[str, str] = {}
        used_class: str | None = None
        try:
            read = reader.module(path, dotted)
            if isinstance(read, Unknown):
                unknown = dict.fromkeys(READ_SETTINGS, f"the settings module is not read: {read.reason}")
            else:
                bindings, used_class = _final_bindings(reader, read, configuration)
                for name in READ_SETTINGS:
                    _record(name, bindings.get(name), read, values, unknown, open_lists)
        except TooComplex:
            values, open_lists = {}, {}
            unknown = dict.fromkeys(READ_SETTINGS, f"the settings run more than {MAX_STEPS} statements: not read")
        except RecursionError:
            values, open_lists = {}, {}
            unknown = dict.fromkeys(READ_SETTINGS, "the settings nest too deeply to read")
        return DjangoSettings(
            root, module, origin, path, values, unknown, import_roots,
            tuple(dict.fromkeys([*search.watched, *reader.files])), named,
            open=open_lists, configuration=used_class, absent=tuple(reader.absent),
        )
    reason = "no settings module found" + (f" (tried {', '.join(tried)})" if tried else "")
    return DjangoSettings(
        root, None, "", None, {}, dict.fromkeys(READ_SETTINGS, reason), import_roots, search.watched, named,
    )


def _final_bindings(
    reader: Reader, module: Module, configuration: str | None
) -> tuple[dict[str, Binding | Unknown | None], str | None]:
    """What each setting of ``READ_SETTINGS`` is bound to once the module has run, and the django-configurations
    class that gave it, if any."""
    names = module.scope.names
    plain: dict[str, Binding | Unknown | None] = {}
    for name in READ_SETTINGS:
        binding = names.get(name)
        plain[name] = reader.resolve_binding(binding) if binding is not None else None
    chosen = reader.resolve(names[configuration].value) if configuration and configuration in names else None
    classes = _configuration_classes(reader, names)
    if not classes and not isinstance(chosen, Class):
        return plain, None
    result: dict[str, Binding | Unknown | None] = {}
    if isinstance(chosen, Class):  # also one whose Configuration base is not read here
        for name in READ_SETTINGS:
            found = reader.class_attribute(chosen, name)
            if found is not None and isinstance(found.value, DjangoDefault):
                found = Binding(Unknown(f"not set in `{chosen.name}` or its bases, so django-configurations gives "
                                        "it Django's default"), found.path, found.line)
            if found is not None and isinstance(reader.resolve(found.value), Function):
                found = Binding(Unknown(f"`{chosen.name}.{name}` is a method"), found.path, found.line)
            result[name] = found if found is not None else plain[name]
        return result, chosen.name
    listed = ", ".join(f"`{cls}`" for cls in classes)
    if configuration:
        reason = f"{CONFIGURATION_VARIABLE} names `{configuration}`, which is not one of the module's django-" \
                 f"configurations classes ({listed})"
    else:
        reason = f"the module's django-configurations classes ({listed}) set it, and no {CONFIGURATION_VARIABLE} " \
                 "says which one runs"
    for name in READ_SETTINGS:
        sets_it = name in CONFIGURATION_DEFAULTS or any(
            reader.class_attribute(cls_value, name) is not None for cls_value in classes.values())
        result[name] = Unknown(reason) if sets_it else plain[name]
    return result, None


def _configuration_classes(reader: Reader, names: Mapping[str, Binding]) -> dict[str, Class]:
    uses_configurations = any(
        isinstance(binding.value, Known) and binding.value.path.startswith("configurations")
        or isinstance(binding.value, Class) and binding.value.configuration
        for binding in names.values()
    )
    if not uses_configurations:
        return {}
    classes: dict[str, Class] = {}
    for name, binding in names.items():
        value = binding.value
        if isinstance(value, Lazy) and name[:1].isupper():
            value = reader.resolve(value)
        if isinstance(value, Class) and value.configuration:
            classes[name] = value
    return classes


def _record(name: str, found: Binding | Unknown | None, module: Module, values: dict[str, ReadSetting],
            unknown: dict[str, str], open_lists: dict[str, str]) -> None:
    if found is None:
        star = module.scope.names.get("*")
        unknown[name] = star.value.reason if star is not None and isinstance(star.value, Unknown) else (
            "not set in the settings")
        return
    if isinstance(found, Unknown):
        unknown[name] = found.reason
        return
    value = found.value
    if name == "DATABASES":
        value = env_defaults(value)
    if isinstance(value, Partial):
        if name != "INSTALLED_APPS" or not _well_formed(name, value.items):
            unknown[name] = value.reason
            return
        open_lists[name] = value.reason
        unknown[name] = f"may hold more entries than those read: {value.reason}"
        values[name] = ReadSetting(name, value.items, found.path, found.line)
        return
    if isinstance(value, Unknown):
        unknown[name] = value.reason
    elif not is_literal(value):
        shown = f"`{value.path}`" if isinstance(value, Known) else "something"
        unknown[name] = f"set to {shown}, not a literal, at {os.path.basename(found.path)}:{found.line}"
    elif not _well_formed(name, value):
        unknown[name] = f"not of the expected form at {os.path.basename(found.path)}:{found.line}"
    else:
        values[name] = ReadSetting(name, _frozen(value), found.path, found.line)
        default = value.get("default") if isinstance(value, dict) else None
        engine = default.get("ENGINE") if isinstance(default, dict) else default
        if name == "DATABASES" and isinstance(engine, Unknown):
            unknown[name] = f"the default database's `ENGINE` is not read: {engine.reason}"


def _settings_file(module: str, root: str, import_roots: tuple[str, ...]) -> str | None:
    if module.endswith(".py"):  # a path, from the option
        path = module if os.path.isabs(module) else os.path.join(root, module)
        return os.path.abspath(path) if os.path.isfile(looked_up(path)) else None
    return find_module_file(module, import_roots)


def _well_formed(name: str, value: object) -> bool:
    if name == "INSTALLED_APPS":
        return isinstance(value, tuple) and all(isinstance(item, str) and DOTTED_NAME.match(item) for item in value)
    if name in ("AUTH_USER_MODEL", "DEFAULT_AUTO_FIELD"):
        return isinstance(value, str)
    if name == "MIGRATION_MODULES":
        return isinstance(value, dict) and all(
            isinstance(key, str) and (item is None or isinstance(item, str)) for key, item in value.items()
        )
    if name == "DATABASES":
        return isinstance(value, dict)
    return True


def _frozen(value: object) -> object:
    """Dicts read-only (a ``Mapping`` that is a plain dict copy is enough: ``Settings`` is not hashed), without
    what is not read."""
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items() if is_literal(item)}
    if isinstance(value, tuple):
        return tuple(_frozen(item) if is_literal(item) else None for item in value)
    return value


# Settings for a project -------------------------------------------------------------------------------------------

# Per process, revalidated on each use (the stamp of every file and folder it looked at), so an editor's long-lived
# process sees an edit of the settings or a new file that names another module: (root, option,
# DJANGO_SETTINGS_MODULE, DJANGO_CONFIGURATION) -> (those stamps, what was read, the paths looked at).
_READS: Memo[
    tuple[str, str | None, str | None, str | None],
    tuple[tuple[tuple[str, Stamp], ...] | None, DjangoSettings, tuple[str, ...]],
] = Memo(8)


def _cached_read(root: str, option: str | None) -> DjangoSettings:
    def read() -> tuple[tuple[tuple[str, Stamp], ...] | None, DjangoSettings, tuple[str, ...]]:
        with recording_lookups() as looked:
            found = read_django_settings(root, option)
        return stamps_of_lookups(looked), found, tuple(looked)

    key = (root, option, os.environ.get(SETTINGS_VARIABLE), os.environ.get(CONFIGURATION_VARIABLE))
    stamps, found, looked = _READS.get(key, read, lambda kept: kept[0] is not None and stamps_unchanged(kept[0]))
    for path in looked:
        looked_up(path)  # served from memory: a recording block around this call still learns what it depends on
    return found


def settings_for_project(settings: Settings, root: str) -> Settings:
    """``settings`` with what the Django settings of the project at ``root`` say (``Settings.with_django``).
    Idempotent: settings already read for ``root`` are returned as they are."""
    root = os.path.abspath(root)
    if settings.django is not None and settings.django.root == root:
        return settings
    if not settings.read_django_settings:
        return settings
    return settings.with_django(_cached_read(root, settings.settings_module))

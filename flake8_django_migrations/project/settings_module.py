"""Which module holds a project's Django settings: every place that names one (``SettingsCandidate``), most
authoritative first, and the folders a module name is looked up in. Nothing is imported or executed.

Candidates, first that resolves to a file of the project wins:

1. the ``djm-settings`` option;
2. the ``DJANGO_SETTINGS_MODULE`` environment variable;
3. what production runs, up to three folders below the root: a ``Dockerfile``'s ``ENV`` (or its ``CMD``) and a
   ``Procfile``'s commands (they set the variable before the process starts, and ``setdefault`` yields to it), then
   ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)`` in a ``wsgi.py`` or ``asgi.py``, then a compose file's
   ``environment:`` and a ``.env`` file (as often a developer's); any of them whose path, compose service,
   Dockerfile stage or module looks like development, tests or an example after all the others;
4. ``manage.py`` (at the root, else the one folder below it that has one, up to two folders down), which usually
   names the developer's settings;
5. pytest-django's: ``--ds`` in ``addopts``, else ``DJANGO_SETTINGS_MODULE`` in ``pytest.ini``, ``pyproject.toml``,
   ``tox.ini`` or ``setup.cfg``, which names the test settings.

django-configurations' ``DJANGO_CONFIGURATION`` is taken from the same place as the module (the same file; the
same compose service, Dockerfile stage or Procfile process), else from the environment.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from flake8_django_migrations.files import listed_folder, looked_up, read_regular_file
from flake8_django_migrations.source import decode_source
from flake8_django_migrations.settings import CONFIGURATION_VARIABLE, SETTINGS_VARIABLE

__all__ = [
    "SettingsCandidate",
    "SettingsSearch",
    "candidate_file",
    "find_module_file",
    "find_settings_candidates",
    "parse_python_file",
]

_SOURCE_LIMIT: Final = 4 << 20  # a settings module of more than 4 MiB is not read
_CONFIG_LIMIT: Final = 1 << 20  # nor a configuration or deploy file of more than 1 MiB
DOTTED_NAME: Final = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

# How far below the root the files that name a module are looked for (``compose/production/django/Dockerfile``),
# and how much of a large tree is looked at before giving up on the rest.
_ENTRY_DEPTH: Final = 3
_MANAGE_PY_DEPTH: Final = 2
_MAX_FOLDERS: Final = 2000
_MAX_ENTRIES: Final = 50_000
_MAX_FILES: Final = 32  # of each kind (wsgi.py and asgi.py; deploy files), the shallowest first
_MAX_NAMED: Final = 32  # namings read from one file, the first first
# Folders that hold no project file that names settings: installed packages, build output, assets.
_SKIPPED_FOLDERS: Final = frozenset({
    "node_modules", "bower_components", "__pycache__", "site-packages", "dist-packages", "venv", "virtualenv",
    "build", "dist", "htmlcov", "static", "staticfiles", "media", "migrations", "locale",
})
# Words of a path, service or module that say it is not what production runs.
_NOT_PRODUCTION: Final = frozenset({
    "dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci", "e2e", "debug", "example",
    "examples", "sample", "samples", "demo", "template", "dist",
})
# The kinds of deploy file, in the order their candidates are tried.
_DEPLOY_ORDER: Final = ("Dockerfile", "compose", "Procfile", ".env")
# Who wins among the files a production server is started from. An image's `ENV` and a Procfile's environment are
# set before the process starts, and `os.environ.setdefault` in wsgi.py yields to them; compose and .env files are
# as often a developer's as production's, so the entry point's own choice goes first.
_PRODUCTION_ORDER: Final = ("Dockerfile", "Procfile", "entry point", "compose", ".env")
_ROOT_FILES: Final = (
    "manage.py", "pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "Dockerfile", "docker-compose.yml",
    "docker-compose.yaml", "compose.yml", "compose.yaml", "Procfile", ".env",
)

# A value as a shell, compose or Dockerfile writes it: quoted or not, or a `${VARIABLE:-default}` default.
_VALUE: Final = r"""["']?(?:\$\{\w+:?-)?(?P<value>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?=["'}\s,;\])&|]|$)"""


# The patterns below are compiled when a file that could name a module is first read, not on import: most lint runs
# (a project without deploy files) read none, and compiling them was a tenth of a warm editor run's imports.
@functools.cache
def _whole_value() -> re.Pattern[str]:
    return re.compile(_VALUE + r"\}?")  # a Dockerfile's ENV value, its quotes taken off


@functools.cache
def _by_variable() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    return {
        variable: (
            re.compile(rf"(?<![\w$]){variable}\s*=\s*{_VALUE}"),  # shell, .env, compose list, Dockerfile ENV
            re.compile(rf"(?<![\w$]){variable}[\"']?\s*:\s+{_VALUE}"),  # a YAML mapping
        )
        for variable in (SETTINGS_VARIABLE, CONFIGURATION_VARIABLE)
    }


@functools.cache
def _flag() -> dict[str, re.Pattern[str]]:
    """`manage.py migrate --settings=x`, `--configuration=X` (django-configurations' option of manage.py)."""
    return {
        SETTINGS_VARIABLE: re.compile(rf"(?<![\w-])--settings(?:=|\s+){_VALUE}"),
        CONFIGURATION_VARIABLE: re.compile(rf"(?<![\w-])--configuration(?:=|\s+){_VALUE}"),
    }


@dataclass(frozen=True, slots=True)
class SettingsCandidate:
    """One place that names a settings module."""

    module: str  # dotted, or the path of a ``.py`` file (from the option)
    origin: str  # where it was named: "djm-settings", "config/wsgi.py:12", "DJANGO_SETTINGS_MODULE (environment)"
    # django-configurations: the ``Configuration`` subclass of the module that ``DJANGO_CONFIGURATION`` names.
    configuration: str | None = None


@dataclass(frozen=True, slots=True)
class SettingsSearch:
    candidates: tuple[SettingsCandidate, ...]  # most authoritative first
    # Folders a module name is looked up in, as ``sys.path`` would hold them when Django runs: manage.py's folder,
    # the project root, ``src``, pytest's ``pythonpath``, the folder above a wsgi.py's package.
    import_roots: tuple[str, ...]
    # The files that named a candidate or could name one once they exist (a new manage.py): to notice a change.
    watched: tuple[str, ...]


def find_settings_candidates(root: str, option: str | None, environ: Mapping[str, str]) -> SettingsSearch:
    """Every place under ``root`` (absolute) that names the settings module, most authoritative first."""
    files = _scan(root)
    manage_py = _manage_py(files.manage_py)
    pytest = _pytest_options(root)
    entry_roots = [_package_parent(path, root) for path in files.entry_points]
    import_roots = _import_roots(root, manage_py, (*pytest.paths, *entry_roots))
    configuration = environ.get(CONFIGURATION_VARIABLE) or None
    candidates = tuple(
        candidate if candidate.configuration else replace(candidate, configuration=configuration)
        for candidate in _candidates(root, option, environ, files, manage_py, pytest)
    )
    found = [*files.entry_points, *files.deploy, *([manage_py] if manage_py else []), *pytest.files]
    watched = tuple(dict.fromkeys([*found, *(os.path.join(root, name) for name in _ROOT_FILES)]))
    return SettingsSearch(candidates, import_roots, watched)


def parse_python_file(path: str, limit: int = _SOURCE_LIMIT) -> ast.Module | None:
    """The module at ``path``, or None when it is not a readable regular file of valid Python (of at most
    ``limit`` bytes)."""
    data = read_regular_file(path, limit)
    if data is None:
        return None
    try:
        return ast.parse(decode_source(data), filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def find_module_file(module: str, roots: tuple[str, ...]) -> str | None:
    """The file of ``module`` below one of ``roots`` (``a/b.py`` or ``a/b/__init__.py``), or None."""
    if not DOTTED_NAME.match(module):
        return None
    parts = module.split(".")
    for root in roots:
        base = os.path.join(root, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(looked_up(candidate)):
                return candidate
    return None


def candidate_file(module: str, root: str, import_roots: tuple[str, ...]) -> str | None:
    """The file a candidate names: a ``.py`` path (from the option) relative to ``root``, else a module found
    below ``import_roots``; None when there is none."""
    if module.endswith(".py"):
        path = module if os.path.isabs(module) else os.path.join(root, module)
        return os.path.abspath(path) if os.path.isfile(looked_up(path)) else None
    return find_module_file(module, import_roots)


# The files that may name one ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    manage_py: list[tuple[int, str]] = field(default_factory=list)  # (folders below the root, path)
    entry_points: list[str] = field(default_factory=list)  # wsgi.py, asgi.py
    deploy: list[str] = field(default_factory=list)  # Dockerfiles, compose files, Procfiles, .env files


def _scan(root: str) -> _Found:
    """The files below ``root`` that may name the settings, breadth first, in name order; symbolic links to
    folders, hidden folders, virtualenvs and installed or generated trees are not entered."""
    found = _Found()
    folders: list[tuple[str, int]] = [(root, 0)]
    entries = 0
    for folder, depth in folders:  # grows while it is walked: breadth first
        if entries > _MAX_ENTRIES:
            break
        try:
            with os.scandir(listed_folder(folder)) as scanned:
                listed: list[tuple[str, bool, bool]] = []
                for entry in scanned:
                    entries += 1
                    if entries > _MAX_ENTRIES:
                        break
                    try:
                        listed.append((entry.name, entry.is_dir(follow_symlinks=False), entry.is_file()))
                    except OSError:
                        continue
        except (OSError, ValueError):
            continue
        for name, is_dir, is_file in sorted(listed):
            path = os.path.join(folder, name)
            if is_dir:
                if depth < _ENTRY_DEPTH and len(folders) < _MAX_FOLDERS and _entered(name, path):
                    folders.append((path, depth + 1))
            elif is_file:
                kind = _kind(name)
                if kind == "manage.py" and depth <= _MANAGE_PY_DEPTH:
                    found.manage_py.append((depth, path))
                elif kind == "entry point" and len(found.entry_points) < _MAX_FILES:
                    found.entry_points.append(path)
                elif kind in _DEPLOY_ORDER and len(found.deploy) < _MAX_FILES:
                    found.deploy.append(path)
    return found


def _entered(name: str, path: str) -> bool:
    if name.startswith(".") or name in _SKIPPED_FOLDERS or name.endswith(".egg-info"):
        return False
    return not os.path.isfile(looked_up(os.path.join(path, "pyvenv.cfg")))  # a virtualenv of any name


def _kind(name: str) -> str | None:
    """What a file of this name is, for this search: None for any other file."""
    lower = name.lower()
    if name == "manage.py":
        return name
    if lower.endswith(".py"):
        return "entry point" if re.fullmatch(r"(?:.*[_.-])?[wa]sgi(?:[_.-].*)?\.py", lower) else None
    if lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "Dockerfile"
    if re.fullmatch(r"(?:docker-)?compose(?:[._-][\w.-]+)?\.ya?ml", lower):
        return "compose"
    if lower == "procfile" or lower.startswith("procfile."):
        return "Procfile"
    if lower == ".env" or lower.startswith(".env.") or (lower.endswith(".env") and len(lower) > 4):
        return ".env"
    return None


def _manage_py(found: list[tuple[int, str]]) -> str | None:
    """``manage.py`` at the root, else the only one a folder below it (a repository with the project in
    ``backend/``), else the only one two folders below (``backend/api/manage.py``); None when that is ambiguous."""
    for depth in range(_MANAGE_PY_DEPTH + 1):
        at_depth = [path for level, path in found if level == depth]
        if at_depth:
            return at_depth[0] if len(at_depth) == 1 else None
    return None


def _package_parent(path: str, root: str) -> str:
    """The folder a WSGI server imports ``path``'s package from: above the last folder with an ``__init__.py``,
    never above ``root``."""
    folder = os.path.dirname(path)
    while folder not in (root, os.path.dirname(folder)) and os.path.isfile(
        looked_up(os.path.join(folder, "__init__.py"))
    ):
        folder = os.path.dirname(folder)
    return folder


def _import_roots(root: str, manage_py: str | None, more: Iterable[str]) -> tuple[str, ...]:
    roots = [os.path.dirname(manage_py)] if manage_py else []
    roots += [root, os.path.join(root, "src"), *more]
    return tuple(dict.fromkeys(os.path.abspath(path) for path in roots if os.path.isdir(looked_up(path))))


# What each names ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Named:
    """A variable's value as one place sets it: line, and the part of the file it applies to (a compose service,
    a Dockerfile stage, a Procfile process; "" for the whole file)."""

    variable: str
    value: str
    line: int
    context: str = ""


def _looks_not_production(*texts: str) -> bool:
    return any(word in _NOT_PRODUCTION for text in texts for word in re.split(r"[^a-z0-9]+", text.lower()))


def _with_configuration(named: list[_Named]) -> Iterator[tuple[_Named, str | None]]:
    """Each module named, with the configuration named nearest to it in the same context."""
    configurations = [item for item in named if item.variable == CONFIGURATION_VARIABLE]
    for item in named:
        if item.variable != SETTINGS_VARIABLE:
            continue
        near = [other for other in configurations if other.context == item.context]
        nearest = min(near, key=lambda other: (abs(other.line - item.line), other.line), default=None)
        yield item, nearest.value if nearest else None


def _python_named(path: str) -> list[_Named]:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")`` or ``os.environ["DJANGO_SETTINGS_MODULE"] = "x"``
    anywhere in the file, also inside ``main()``, and the same for ``DJANGO_CONFIGURATION``; by line."""
    tree = parse_python_file(path, _CONFIG_LIMIT)
    if tree is None:
        return []
    named: list[_Named] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
        ):
            variable, value = _constant(node.args[0]), _constant(node.args[1])
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Subscript)
        ):
            variable, value = _constant(node.targets[0].slice), _constant(node.value)
        else:
            continue
        if variable is not None and value and (
            (variable == SETTINGS_VARIABLE and value.isprintable())
            or (variable == CONFIGURATION_VARIABLE and value.isidentifier())
        ):
            named.append(_Named(variable, value, node.lineno))
    return sorted(named, key=lambda item: item.line)[:_MAX_NAMED]


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _text(path: str) -> str | None:
    data = read_regular_file(path, _CONFIG_LIMIT)
    return None if data is None else data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def _in_command(text: str, line: int, context: str) -> Iterator[_Named]:
    """``DJANGO_SETTINGS_MODULE=x`` (a shell assignment, ``gunicorn --env``, ``docker run -e``) and ``--settings=x``
    in a command line, and the same for the configuration."""
    for variable, (assignment, _) in _by_variable().items():
        for pattern in (assignment, _flag()[variable]):
            for match in pattern.finditer(text):
                yield _Named(variable, match["value"], line, context)


def _dockerfile_named(text: str) -> list[_Named]:
    """``ENV DJANGO_SETTINGS_MODULE=x`` (or the older ``ENV DJANGO_SETTINGS_MODULE x``), and the variable or
    ``--settings`` in ``CMD`` and ``ENTRYPOINT``; the context is the stage (``FROM ... AS prod``)."""
    named: list[_Named] = []
    stage = ""
    for line, instruction in _logical_lines(text):
        keyword, _, rest = instruction.strip().partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            stage = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else ""
        elif keyword == "ENV":
            for variable, value in _env_instruction(rest):
                if variable in _by_variable():
                    match = _whole_value().fullmatch(value)
                    if match:
                        named.append(_Named(variable, match["value"], line, stage))
        elif keyword in ("CMD", "ENTRYPOINT"):
            named.extend(_in_command(rest, line, stage))
    return named


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """A Dockerfile's instructions, continuation lines (ending in ``\\``) joined, comments left out; with the
    line each starts on."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        joined = " ".join(part for part in parts if part)
        parts = []
        if joined:
            yield start, joined
    if parts:
        yield start, " ".join(parts)


def _env_instruction(rest: str) -> list[tuple[str, str]]:
    first = rest.split(None, 1)
    if not first:
        return []
    if "=" not in first[0]:  # ENV KEY value with spaces
        return [(first[0], first[1].strip() if len(first) > 1 else "")]
    try:
        words = shlex.split(rest)
    except ValueError:  # an unclosed quote
        return []
    return [(key, value) for key, sep, value in (word.partition("=") for word in words) if sep]


def _compose_named(text: str) -> list[_Named]:
    """The variable in a compose file's ``environment:`` (``- KEY=x`` or ``KEY: x``, also in flow style) or a
    service's ``command:``, read line by line (no YAML parser); the context is the service (or the top-level
    key, for an ``x-...: &anchor`` block)."""
    named: list[_Named] = []
    top = ""
    service = ""
    service_indent: int | None = None
    for number, raw in enumerate(text.split("\n"), 1):
        content = raw.strip()
        if not content or content.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        key = re.match(r"""["']?([\w.-]+)["']?\s*:(?:\s|$)""", content)
        if indent == 0:
            top, service, service_indent = (key[1] if key else ""), "", None
        elif top == "services" and key:
            if service_indent is None:
                service_indent = indent
            if indent == service_indent:
                service = key[1]
        context = service if top == "services" else top
        named.extend(_in_command(content, number, context))
        for variable, (_, mapping) in _by_variable().items():
            named.extend(_Named(variable, match["value"], number, context) for match in mapping.finditer(content))
    return named


def _procfile_named(text: str) -> list[_Named]:
    """``web: gunicorn proj.wsgi --env DJANGO_SETTINGS_MODULE=x``, ``web: DJANGO_SETTINGS_MODULE=x gunicorn ...``,
    ``release: python manage.py migrate --settings=x``; the context is the process."""
    named: list[_Named] = []
    for number, raw in enumerate(text.split("\n"), 1):
        process, colon, command = raw.partition(":")
        if colon and re.fullmatch(r"\s*[\w-]+\s*", process):
            named.extend(_in_command(command, number, process.strip()))
    return named


def _dotenv_named(text: str) -> list[_Named]:
    """``DJANGO_SETTINGS_MODULE=x``, quoted or not, with or without ``export``."""
    named: list[_Named] = []
    for number, raw in enumerate(text.split("\n"), 1):
        content = re.sub(r"^export\s+", "", raw.strip())
        for variable, (assignment, _) in _by_variable().items():
            match = assignment.match(content)
            if match:
                named.append(_Named(variable, match["value"], number))
    return named


def _deploy_named(path: str) -> list[_Named]:
    text = _text(path)
    if text is None:
        return []
    kind = _kind(os.path.basename(path))
    reader = {"Dockerfile": _dockerfile_named, "compose": _compose_named, "Procfile": _procfile_named}.get(
        kind or "", _dotenv_named)
    return sorted(reader(text), key=lambda item: item.line)[:_MAX_NAMED]


# pytest ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pytest:
    candidates: tuple[SettingsCandidate, ...] = ()
    paths: tuple[str, ...] = ()  # pythonpath
    files: tuple[str, ...] = ()  # the file read


def _pytest_options(root: str) -> _Pytest:
    """pytest-django's settings module (``--ds`` in ``addopts``, then ``DJANGO_SETTINGS_MODULE``) and pytest's
    ``pythonpath``, from the file pytest would read: ``pytest.ini``, ``pyproject.toml``'s
    ``[tool.pytest.ini_options]``, ``tox.ini``'s ``[pytest]``, ``setup.cfg``'s ``[tool:pytest]``. A value of the
    wrong type is left out."""
    for name, section in (("pytest.ini", "pytest"), ("pyproject.toml", "tool.pytest.ini_options"),
                          ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        path = os.path.join(root, name)
        data = read_regular_file(path, _CONFIG_LIMIT)
        if data is None:
            continue
        options = _toml_pytest_options(data) if name == "pyproject.toml" else _ini_options(data, section)
        if options is None:
            continue
        text = data.decode("utf-8", "replace")
        candidates: list[SettingsCandidate] = []
        configuration = _option(options, CONFIGURATION_VARIABLE)
        addopts = _words(options.get("addopts"))
        for flag, variable in (("--ds", SETTINGS_VARIABLE), ("--dc", CONFIGURATION_VARIABLE)):
            given = _flag_value(addopts, flag)
            if given and variable == CONFIGURATION_VARIABLE:
                configuration = given
            elif given:
                candidates.append(SettingsCandidate(given, f"{name}:{_line_of(text, section, 'addopts')}"))
        module = _option(options, SETTINGS_VARIABLE)
        if module:
            candidates.append(SettingsCandidate(module, f"{name}:{_line_of(text, section, SETTINGS_VARIABLE)}"))
        paths = tuple(os.path.join(root, item) for item in _words(options.get("pythonpath")))
        return _Pytest(tuple(replace(candidate, configuration=configuration) for candidate in candidates), paths,
                       (path,))
    return _Pytest()


def _option(options: Mapping[str, object], variable: str) -> str | None:
    value = options.get(variable)
    if value is None:
        value = options.get(variable.lower())  # configparser lower-cases keys
    return (value.strip() or None) if isinstance(value, str) else None


def _words(value: object) -> list[str]:
    """An ini value split on white space, or a TOML list's strings; anything else gives nothing."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str) and item]
    return []


def _flag_value(words: list[str], flag: str) -> str | None:
    for index, word in enumerate(words):
        if word.startswith(flag + "="):
            return word[len(flag) + 1:] or None
        if word == flag and index + 1 < len(words):
            return words[index + 1]
    return None


def _line_of(text: str, section: str, key: str) -> int:
    """The line of ``key`` in ``[section]`` (1 when it cannot be told)."""
    inside = False
    for number, raw in enumerate(text.split("\n"), 1):
        content = raw.strip()
        if content.startswith("["):
            inside = re.sub(r"[\s\"']", "", content.partition("#")[0]) == f"[{section}]"
        elif inside and re.match(rf"""["']?{re.escape(key)}["']?\s*[=:]""", content, re.IGNORECASE):
            return number
    return 1


def _ini_options(data: bytes, section: str) -> dict[str, object] | None:
    import configparser  # only for a project with a pytest.ini, setup.cfg or tox.ini

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(data.decode("utf-8"))
        return dict(parser.items(section)) if parser.has_section(section) else None
    except (configparser.Error, UnicodeError):
        return None


def _toml_pytest_options(data: bytes) -> dict[str, object] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeError, ValueError, RecursionError):
        return None
    tool = document.get("tool")
    pytest = tool.get("pytest") if isinstance(tool, dict) else None
    options = pytest.get("ini_options") if isinstance(pytest, dict) else None
    return options if isinstance(options, dict) else None


# In order ----------------------------------------------------------------------------------------------------------


def _candidates(
    root: str, option: str | None, environ: Mapping[str, str], files: _Found, manage_py: str | None,
    pytest: _Pytest,
) -> Iterator[SettingsCandidate]:
    """Most authoritative first; a candidate's configuration is None unless named at the same place."""
    if option:
        yield SettingsCandidate(option, "djm-settings")
    if environ.get(SETTINGS_VARIABLE):
        yield SettingsCandidate(environ[SETTINGS_VARIABLE], f"{SETTINGS_VARIABLE} (environment)")
    yield from _ranked(root, [*((path, _python_named) for path in files.entry_points),
                              *((path, _deploy_named) for path in files.deploy)])
    if manage_py:
        for named, configuration in _with_configuration(_python_named(manage_py)):
            yield SettingsCandidate(named.value, f"{os.path.relpath(manage_py, root)}:{named.line}", configuration)
    yield from pytest.candidates


def _ranked(root: str, files: list[tuple[str, Callable[[str], list[_Named]]]]) -> Iterator[SettingsCandidate]:
    """What the ``files`` name (each read by its reader), those whose file, context or module looks like
    development or tests last; then in ``_PRODUCTION_ORDER``; then the shallowest file, by path and line."""
    ranked: list[tuple[tuple[bool, bool, int, int, str, int], SettingsCandidate]] = []
    for path, read in files:
        relative = os.path.relpath(path, root)
        kind = _kind(os.path.basename(path)) or ""
        for named, configuration in _with_configuration(read(path)):
            key = (
                _looks_not_production(relative, named.context),
                _looks_not_production(named.value),
                _PRODUCTION_ORDER.index(kind) if kind in _PRODUCTION_ORDER else len(_PRODUCTION_ORDER),
                relative.count(os.sep),
                relative,
                named.line,
            )
            ranked.append((key, SettingsCandidate(named.value, f"{relative}:{named.line}", configuration)))
    ranked.sort(key=lambda item: item[0])
    for _, candidate in ranked:
        yield candidate

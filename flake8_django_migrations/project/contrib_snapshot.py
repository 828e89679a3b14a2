"""Django's contrib apps and their migrations, shipped with this package for when Django is not installed where the
linter runs.

pre-commit runs a hook in an environment of its own, with flake8 and this package but without Django. There,
discovery cannot find ``django.contrib.auth`` and the other contrib apps of ``INSTALLED_APPS``, so they drop out of
the graph: a dependency on ``("auth", "0099_missing")`` is DJM302 in CI, where Django is installed, and silent in
the hook. So the package carries the files discovery and the facts read of Django's contrib apps, for every Django
feature release from 4.2 on: each app's ``apps.py`` (its label and ``AppConfig`` classes), its migration modules,
and which package files exist. They are the sources themselves, each distinct text stored once (they rarely change
between releases), as xz-compressed JSON that ``tools/contrib_snapshot.py`` writes from Django's own wheels or
sdists. Shipping sources rather than facts keeps one reading: the facts come from the same ``extract_facts`` as for
installed files, so they are the same facts, and follow any change to it.

The snapshot's files have paths inside the data file, as zipimport names a module inside an archive:
``.../project/contrib_migrations.json.xz/5.2/django/contrib/auth/migrations/0001_initial.py``. Discovery looks a
``django.*`` module up here only when the interpreter has no ``django`` (``find_module_file``), reads ``apps.py`` and
lists folders through ``read`` and ``folder_names``, and the index gets the facts of their migrations from
``facts_for_files``. The release is the one the project's requirements or lock files name (``choose``), else the
newest.
"""

from __future__ import annotations

import ast
import json
import lzma
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from flake8_django_migrations.files import Stamp, listed_folder, looked_up, read_regular_file, stat_stamp
from flake8_django_migrations.memo import Memo
from flake8_django_migrations.source import decode_source

if TYPE_CHECKING:
    from flake8_django_migrations.facts import MigrationFacts

__all__ = [
    "FORMAT",
    "SNAPSHOT_FILE",
    "Choice",
    "Release",
    "Snapshot",
    "choose",
    "decode",
    "describe_use",
    "facts_for_files",
    "find_module_file",
    "folder_names",
    "is_file",
    "is_snapshot_path",
    "read",
    "release_of",
    "snapshot",
]

FORMAT: Final = 1  # of the JSON document; the tool writes it, ``decode`` refuses any other
SNAPSHOT_FILE: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contrib_migrations.json.xz")
_PREFIX: Final = SNAPSHOT_FILE + os.sep
_DATA_LIMIT: Final = 4 << 20  # the shipped file is some 7 kB; anything this large is not it
_CONFIG_LIMIT: Final = 16 << 20  # a lock file of a large project is a few MB


@dataclass(frozen=True, slots=True)
class Release:
    """One Django feature release's contrib files."""

    name: str  # the feature release, "5.2"
    version: str  # the release the files were taken from, "5.2.20"
    files: Mapping[str, str | None]  # relative POSIX path -> its text; None when only its existence is kept
    folders: Mapping[str, frozenset[str]]  # relative POSIX folder -> the names of the files in it

    @property
    def key(self) -> tuple[int, ...]:
        return _numbers(self.name)


@dataclass(frozen=True, slots=True)
class Snapshot:
    releases: Mapping[str, Release]  # by name, oldest first

    @property
    def oldest(self) -> Release:
        return next(iter(self.releases.values()))

    @property
    def newest(self) -> Release:
        return list(self.releases.values())[-1]


def decode(data: bytes) -> Snapshot:
    """The snapshot in the bytes the tool writes. ``ValueError`` (or ``lzma.LZMAError``) when they are not one."""
    document = json.loads(lzma.decompress(data).decode("utf-8"))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("not a contrib snapshot of this format")
    texts, listed = document["texts"], document["releases"]
    releases: list[Release] = []
    for name, entry in listed.items():
        files = {path: (texts[key] if key is not None else None) for path, key in entry["files"].items()}
        folders: dict[str, set[str]] = {}
        for path in files:
            folder, _, file_name = path.rpartition("/")
            folders.setdefault(folder, set()).add(file_name)
        releases.append(Release(
            str(name), str(entry["version"]), files, {folder: frozenset(names) for folder, names in folders.items()}
        ))
    if not releases:
        raise ValueError("a contrib snapshot without releases")
    releases.sort(key=lambda release: release.key)
    return Snapshot({release.name: release for release in releases})


# The data file read once per process, again when it was replaced (an upgrade under a long-lived editor process).
_SNAPSHOTS: Memo[str, tuple[Stamp, Snapshot | None]] = Memo(1)


def snapshot() -> Snapshot | None:
    """The shipped snapshot; None when its file is missing or unreadable (discovery then goes on without it)."""

    def load() -> tuple[Stamp, Snapshot | None]:
        stamp = stat_stamp(SNAPSHOT_FILE)
        data = read_regular_file(SNAPSHOT_FILE, _DATA_LIMIT)
        try:
            return stamp, decode(data) if data is not None else None
        except (ValueError, KeyError, TypeError, AttributeError, lzma.LZMAError):
            return stamp, None

    return _SNAPSHOTS.get(SNAPSHOT_FILE, load, lambda kept: kept[0] == stat_stamp(SNAPSHOT_FILE))[1]


# Paths -------------------------------------------------------------------------------------------------------------


def is_snapshot_path(path: str) -> bool:
    """Whether ``path`` names a file or folder inside the snapshot (a string test: cheap for every other path)."""
    return path.startswith(_PREFIX)


def _path(release: str, relative: str) -> str:
    return os.path.join(SNAPSHOT_FILE, release, *relative.split("/"))


def _inside(path: str) -> tuple[Release, str] | None:
    """The release and relative POSIX path a snapshot path names."""
    if not is_snapshot_path(path):
        return None
    name, _, relative = path[len(_PREFIX):].partition(os.sep)
    found = snapshot()
    release = found.releases.get(name) if found is not None else None
    return (release, relative.replace(os.sep, "/")) if release is not None else None


def release_of(path: str) -> str | None:
    """The release (``"5.2"``) of a snapshot path; None for any other path."""
    inside = _inside(path)
    return inside[0].name if inside is not None else None


def is_file(path: str) -> bool:
    inside = _inside(path)
    return inside is not None and inside[1] in inside[0].files


def read(path: str) -> bytes | None:
    """The bytes of the snapshot file at ``path``; None for other paths and for files whose text is not kept."""
    inside = _inside(path)
    text = inside[0].files.get(inside[1]) if inside is not None else None
    return text.encode("utf-8") if text is not None else None


def folder_names(folder: str) -> frozenset[str] | None:
    """The names of the files in a snapshot folder; None for any other path."""
    inside = _inside(folder)
    return inside[0].folders.get(inside[1].rstrip("/")) if inside is not None else None


def find_module_file(module: str, roots: Sequence[str]) -> str | None:
    """The snapshot file of the dotted ``module`` (``a/b.py`` or ``a/b/__init__.py``, as
    ``settings_module.find_module_file`` finds files), in the release ``choose(roots)`` picks for the project whose
    import folders are ``roots``; None when the snapshot has no such module or cannot be read."""
    choice = choose(roots)
    found = snapshot()
    if choice is None or found is None:
        return None
    release = found.releases[choice.release]
    base = module.replace(".", "/")
    for relative in (base + ".py", base + "/__init__.py"):
        if relative in release.files:
            return _path(release.name, relative)
    return None


# Facts ---------------------------------------------------------------------------------------------------------


# Per (path, app label, the data file's stamp): the facts of a snapshot migration. A release has some 30 of them.
_FACTS: Memo[tuple[str, str | None, Stamp], "MigrationFacts | None"] = Memo(256)


def facts_for_files(paths: Iterable[str], app_label: str | None) -> dict[str, MigrationFacts | None]:
    """The facts of snapshot migrations, as ``FactsCache.facts_for_files`` gives those of files: the same decoding
    and ``extract_facts``; None for a path the snapshot does not hold (or that does not parse)."""
    stamp = stat_stamp(SNAPSHOT_FILE)
    found: dict[str, MigrationFacts | None] = {}
    for path in paths:
        data = read(path)
        found[path] = None if data is None else _FACTS.get((path, app_label, stamp), _extractor(data, path, app_label))
    return found


def _extractor(data: bytes, path: str, app_label: str | None) -> Callable[[], MigrationFacts | None]:
    return lambda: _extract(data, path, app_label)


def _extract(data: bytes, path: str, app_label: str | None) -> MigrationFacts | None:
    from flake8_django_migrations.facts import extract_facts

    source = decode_source(data)
    try:
        tree = ast.parse(source, filename=path)
        return extract_facts(tree, path, app_label=app_label, source=source)
    except Exception:  # noqa: BLE001 - as the cache: a bug in extraction leaves the file unknown, never crashes
        return None


# Which release ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """The snapshot release used for a project, and why."""

    release: str  # "5.1"
    version: str  # the Django release its files were taken from
    source: str | None  # the file that named Django's version (absolute); None when none did
    requirement: str | None  # what it says: "Django==5.1.3", "django 5.1.3" (a lock file)
    nearest: bool = False  # what it names is no release of the snapshot: the nearest one

    def describe(self, display: Callable[[str], str] = os.path.basename) -> str:
        """``Django 5.1 snapshot (`Django==5.1.3` in requirements.txt)``; ``display`` shows the file's path."""
        used = f"Django {self.release} snapshot"
        if self.source is None:
            return f"{used} (the newest: no requirements or lock file names a version of Django)"
        named = f"`{self.requirement}` in {display(self.source)}"
        return f"{used} (nearest to {named})" if self.nearest else f"{used} ({named})"


def describe_use(folders: Iterable[str | None], roots: Sequence[str], display: Callable[[str], str]) -> str | None:
    """For ``check -v``: the snapshot the contrib apps among the installed apps' ``folders`` were read from, and why;
    None when none was."""
    release = next((found for folder in folders if folder and (found := release_of(folder))), None)
    if release is None:
        return None
    choice = choose(roots)
    if choice is None or choice.release != release:  # the requirements changed since discovery
        return f"Django {release} snapshot"
    return choice.describe(display)


# Lock files name one version; then requirements files, whose pins are as good; then what a project declares.
_LOCK_FILES: Final = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
_DECLARATIONS: Final = ("pyproject.toml", "Pipfile")
_REQUIREMENTS_FOLDER: Final = "requirements"
# How far above the project root its repository's top may be (a Django project in backend/ of a repository whose
# requirements.txt sits beside .git).
_LEVELS_ABOVE: Final = 3

# Per tuple of roots: the choice, with the stamps of every folder and file it looked at.
_CHOICES: Memo[tuple[str, ...], tuple[tuple[Stamp, ...], Choice | None]] = Memo(16)


def choose(roots: Sequence[str]) -> Choice | None:
    """The release for the project whose import folders (``DjangoSettings.import_roots``, the root among them) are
    ``roots``: the newest release that the first requirement on Django found there admits, the nearest release when
    it admits none, the newest release when nothing names a version. Looked for in lock files (``uv.lock``,
    ``poetry.lock``, ``pdm.lock``, ``Pipfile.lock``), then ``requirements*.txt`` and ``requirements/*.txt``, then the
    dependencies of ``pyproject.toml`` (PEP 621 and Poetry) and ``Pipfile``, in each folder of ``roots`` and then up
    to the repository's top. None when the snapshot cannot be read."""
    folders = _search_folders(roots)
    for folder in folders:  # also when the choice is served from memory: a run kept between processes watches them
        listed_folder(folder)
        listed_folder(os.path.join(folder, _REQUIREMENTS_FOLDER))
    for path in _candidate_files(folders):
        looked_up(path)

    def make() -> tuple[tuple[Stamp, ...], Choice | None]:
        stamps = _stamps(folders)
        found = snapshot()
        return stamps, _choose(found, folders) if found is not None else None

    return _CHOICES.get(tuple(roots), make, lambda kept: kept[0] == _stamps(folders))[1]


def _search_folders(roots: Sequence[str]) -> tuple[str, ...]:
    """``roots``, then the folders above the first of them up to the repository's top (the one holding ``.git``),
    when it is at most ``_LEVELS_ABOVE`` levels up."""
    folders = [os.path.abspath(root) for root in roots]
    if folders:
        chain = [folders[0]]
        while len(chain) <= _LEVELS_ABOVE and os.path.dirname(chain[-1]) != chain[-1]:
            chain.append(os.path.dirname(chain[-1]))
        top = next(
            (index for index, folder in enumerate(chain) if os.path.exists(looked_up(os.path.join(folder, ".git")))), 0
        )
        folders.extend(chain[1:top + 1])
    return tuple(dict.fromkeys(folders))


def _stamps(folders: Sequence[str]) -> tuple[Stamp, ...]:
    """The stat of each folder searched (a file added or removed there changes it) and of each file that counts."""
    return tuple(stat_stamp(path) for path in _candidate_files(folders, stamps=True))


def _candidate_files(folders: Sequence[str], stamps: bool = False) -> Iterator[str]:
    """The files that may name Django's version, in the order they count; with ``stamps``, the folders too."""
    for folder in folders:
        if stamps:
            yield folder
            yield os.path.join(folder, _REQUIREMENTS_FOLDER)
    for name in _LOCK_FILES:
        for folder in folders:
            yield os.path.join(folder, name)
    for folder in folders:
        yield from _requirements_files(folder)
    for name in _DECLARATIONS:
        for folder in folders:
            yield os.path.join(folder, name)


def _requirements_files(folder: str) -> list[str]:
    """``requirements.txt``, the other ``requirements*.txt``, then ``requirements/*.txt``, each group sorted."""
    def listing(path: str) -> list[str]:
        try:
            return sorted(entry.name for entry in os.scandir(path) if entry.name.endswith(".txt"))
        except OSError:
            return []

    top = [name for name in listing(folder) if name.startswith("requirements")]
    top.sort(key=lambda name: (name != "requirements.txt", name))
    below = os.path.join(folder, _REQUIREMENTS_FOLDER)
    return [os.path.join(folder, name) for name in top] + [os.path.join(below, name) for name in listing(below)]


def _choose(found: Snapshot, folders: Sequence[str]) -> Choice:
    for path in _candidate_files(folders):
        named = _named_requirement(path)
        if named is None:
            continue
        requirement, alternatives = named
        admitted = [release for release in found.releases.values() if _admits(alternatives, release.key)]
        if admitted:
            return Choice(admitted[-1].name, admitted[-1].version, path, requirement)
        # Nothing of the snapshot: the oldest release for a requirement below it (Django 3.2), else the newest.
        oldest = found.oldest
        lowest = min((_padded(numbers) for clauses in alternatives for _, numbers, _ in clauses), default=None)
        release = oldest if lowest is not None and lowest < _padded(oldest.key) else found.newest
        return Choice(release.name, release.version, path, requirement, nearest=True)
    return Choice(found.newest.name, found.newest.version, None, None)


# A clause: (operator, release numbers, ends in ``.*``). A requirement: alternatives (poetry's ``||``) of clauses.
Clause = tuple[str, tuple[int, ...], bool]
Alternatives = list[list[Clause]]


def _named_requirement(path: str) -> tuple[str, Alternatives] | None:
    """What the file at ``path`` requires of Django when it names a version: its text and its clauses."""
    name = os.path.basename(path)
    data = read_regular_file(path, _CONFIG_LIMIT)
    if data is None:
        return None
    text = data.decode("utf-8", "replace")
    if name in ("uv.lock", "poetry.lock", "pdm.lock"):
        return _locked_version(text)
    if name == "Pipfile.lock":
        return _pipfile_lock(text)
    if name == "pyproject.toml":
        return _pyproject(text)
    if name == "Pipfile":
        return _pipfile(text)
    return _requirements_txt(text)


_LOCKED: Final = re.compile(
    r'^\[\[package\]\]\s*\n(?:[^\[\n][^\n]*\n|\n)*?name\s*=\s*"(?i:django)"\s*\n(?:[^\[\n][^\n]*\n|\n)*?'
    r'version\s*=\s*"([^"]+)"', re.MULTILINE,
)


def _locked_version(text: str) -> tuple[str, Alternatives] | None:
    """uv, Poetry and PDM lock files: ``[[package]]`` tables with ``name`` and ``version`` (scanned, not parsed: a
    lock file is large, and only one table of it matters)."""
    match = _LOCKED.search(text)
    return _exact(f"django {match.group(1)}", match.group(1)) if match else None


def _pipfile_lock(text: str) -> tuple[str, Alternatives] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    for section in ("default", "develop"):
        packages = document.get(section) if isinstance(document, dict) else None
        for name, entry in (packages.items() if isinstance(packages, dict) else ()):
            version = entry.get("version") if isinstance(entry, dict) else None
            if _is_django(name) and isinstance(version, str):
                return _specifier(f"django{version}", version)
    return None


def _exact(requirement: str, version: str) -> tuple[str, Alternatives] | None:
    match = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version)
    return (requirement, [[("==", _numbers(match.group(1)), False)]]) if match is not None else None


def _load_toml(text: str) -> dict[str, object] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, before it joined the standard library
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except ValueError:
        return None


def _pyproject(text: str) -> tuple[str, Alternatives] | None:
    document = _load_toml(text)
    if document is None:
        return None
    project = document.get("project")
    dependencies = project.get("dependencies") if isinstance(project, dict) else None
    for line in dependencies if isinstance(dependencies, list) else ():
        found = _requirement_line(line) if isinstance(line, str) else None
        if found is not None:
            return found
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    return _poetry_table(poetry.get("dependencies") if isinstance(poetry, dict) else None)


def _pipfile(text: str) -> tuple[str, Alternatives] | None:
    document = _load_toml(text)
    if document is None:
        return None
    for section in ("packages", "dev-packages"):
        found = _poetry_table(document.get(section), pep440=True)
        if found is not None:
            return found
    return None


def _poetry_table(table: object, pep440: bool = False) -> tuple[str, Alternatives] | None:
    """``django = "^5.1"`` (or ``{version = "^5.1"}``) in Poetry's dependency table; Pipfile's the same way, with
    PEP 440 specifiers (``pep440``)."""
    for name, value in (table.items() if isinstance(table, dict) else ()):
        if not _is_django(name):
            continue
        version = value.get("version") if isinstance(value, dict) else value
        if not isinstance(version, str):
            return None
        alternatives = _specifier_clauses(version) if pep440 else _poetry_clauses(version)
        return (f"{name} = {json.dumps(version)}", alternatives) if _restricts(alternatives) else None
    return None


_REQUIREMENT: Final = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?(?P<spec>[^;()@#]*)\)?\s*(?:;|#|$)"
)


def _requirements_txt(text: str) -> tuple[str, Alternatives] | None:
    """The first line of a requirements file that requires a version of Django (pip-compile's ``\\`` continuations
    and ``--hash`` options allowed; ``-r`` includes are not followed: every requirements file is looked at)."""
    for line in text.replace("\\\r\n", " ").replace("\\\n", " ").splitlines():
        found = _requirement_line(line.split(" --", 1)[0].split(" #", 1)[0])
        if found is not None:
            return found
    return None


def _requirement_line(line: str) -> tuple[str, Alternatives] | None:
    match = _REQUIREMENT.match(line)
    if match is None or not _is_django(match.group("name")):
        return None
    spec = match.group("spec").strip()
    return _specifier(f"{match.group('name')}{spec}", spec)


def _specifier(requirement: str, spec: str) -> tuple[str, Alternatives] | None:
    alternatives = _specifier_clauses(spec)
    return (requirement, alternatives) if _restricts(alternatives) else None


def _restricts(alternatives: Alternatives) -> bool:
    return any(clauses for clauses in alternatives)


def _is_django(name: str) -> bool:
    return re.sub(r"[-_.]+", "-", name).lower() == "django"


_CLAUSE: Final = re.compile(r"^\s*(===|==|!=|<=|>=|~=|<|>)\s*v?(\d+(?:\.\d+)*)(\.\*)?")
_POETRY_CLAUSE: Final = re.compile(r"(\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*v?(\d+(?:\.\d+)*)(\.\*)?")


def _specifier_clauses(spec: str) -> Alternatives:
    """PEP 440 ``>=4.2,<5`` as clauses; those that cannot be read are left out."""
    clauses: list[Clause] = []
    for part in spec.split(","):
        match = _CLAUSE.match(part)
        if match is not None:
            clauses.append((match.group(1), _numbers(match.group(2)), match.group(3) is not None))
    return [clauses]


def _poetry_clauses(spec: str) -> Alternatives:
    """Poetry's ``^5.1``, ``~5.1``, ``5.1.3``, ``>=4.2,<5.0``, ``^4.2 || ^5.0`` as clauses."""
    alternatives: Alternatives = []
    for alternative in spec.split("||"):
        clauses: list[Clause] = []
        for match in _POETRY_CLAUSE.finditer(alternative):
            operator, numbers, wildcard = match.group(1) or "==", _numbers(match.group(2)), match.group(3) is not None
            if operator == "^":
                first = next((index for index, number in enumerate(numbers) if number), len(numbers) - 1)
                clauses += [(">=", numbers, False), ("<", (*numbers[:first], numbers[first] + 1), False)]
            elif operator == "~":
                kept = numbers[:2] if len(numbers) > 1 else numbers
                clauses += [(">=", numbers, False), ("<", (*kept[:-1], kept[-1] + 1), False)]
            else:
                clauses.append(("==" if operator == "=" else operator, numbers, wildcard))
        alternatives.append(clauses)
    return alternatives


def _admits(alternatives: Alternatives, feature: tuple[int, ...]) -> bool:
    """Whether some release of the feature release ``feature`` (``(5, 1)``: 5.1, 5.1.1, ...) may satisfy one of the
    alternatives, clause by clause."""
    return any(all(_clause_admits(clause, feature) for clause in clauses) for clauses in alternatives)


def _clause_admits(clause: Clause, feature: tuple[int, ...]) -> bool:
    operator, numbers, wildcard = clause
    first = _padded(feature + (0,))  # the feature release's first release; its last one has no bound
    if operator in (">=", ">"):
        return feature >= _padded(numbers)[:2]
    if operator == "<=":
        return first <= _padded(numbers)
    if operator == "<":
        return first < _padded(numbers)
    if operator == "~=":
        prefix = numbers[:-1] if len(numbers) > 1 else numbers
        return feature >= _padded(numbers)[:2] and _matches_prefix(feature, prefix)
    if operator in ("==", "==="):
        return _matches_prefix(feature, numbers) if wildcard else feature == _padded(numbers)[:2]
    if operator == "!=":
        return not (wildcard and len(numbers) <= 2 and _matches_prefix(feature, numbers))
    return True


def _matches_prefix(feature: tuple[int, ...], prefix: tuple[int, ...]) -> bool:
    """Whether releases of ``feature`` start with ``prefix`` (``5.*``, ``5.1.*``; ``5.1.3.*`` is within 5.1)."""
    return feature[: len(prefix)] == prefix[:2]


def _padded(numbers: tuple[int, ...]) -> tuple[int, ...]:
    return (*numbers, 0, 0, 0)[: max(3, len(numbers))]


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))

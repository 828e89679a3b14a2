"""The real-world corpus: ``python benchmarks/corpora.py [compare|update] [--project NAME] [--work DIR]``.

A pinned list of Django projects published on PyPI is downloaded (``pip download --no-deps``), each archive's
sha256 is checked against the one pinned here (a re-uploaded file shows), the files the linter reads are unpacked
safely, and ``python -m flake8_django_migrations check`` and ``graph`` run over each unpacked project in a
subprocess, with this checkout first on ``PYTHONPATH`` and ``--djm-settings none`` (no Django settings are read,
so nothing installed in the running interpreter joins the graph; see ``LINTER_OPTIONS``). The result is
summarised per project (counts per code, every finding as ``path:line:col CODE``, the number of migration
files, the graph's shape).

``update`` rewrites ``benchmarks/corpora/NAME.json``; ``compare`` (the default) prints what changed against those
committed summaries and exits 1 when anything did, so a change to a rule shows exactly which real findings it
adds or removes. ``--linter DIR`` runs another source tree of the linter (``git archive REV | tar -x -C DIR``),
to measure a revision other than the working tree (one that knows ``--djm-settings``: 3ca1fe3 or later).

Wheels, not source distributions: a wheel is what users install (a source distribution also ships test
projects whose migrations are broken on purpose, Django's above all), and downloading one runs no build code,
whereas ``pip download`` of a source distribution runs the project's build backend to read its metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SUMMARIES: Final = ROOT / "benchmarks" / "corpora"
DEFAULT_WORK: Final = Path(tempfile.gettempdir()) / "flake8-django-migrations-corpora"
# The linter reads no file larger than this (flake8_django_migrations.files.MAX_SOURCE_BYTES); neither do we.
MAX_MEMBER_BYTES: Final = 64 << 20
LINTER_TIMEOUT: Final = 900


@dataclass(frozen=True, slots=True)
class Pinned:
    """One project of the corpus: the exact file pip must download for ``name==version``, and its sha256."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


PROJECTS: Final = (
    Pinned("dj-stripe", "2.11.0", "dj_stripe-2.11.0-py3-none-any.whl",
           "9f3073c486e84c13f1d143822d52d4b8967c9e0c00185351353778afe0f7ef05"),
    Pinned("django", "5.2.19", "django-5.2.19-py3-none-any.whl",
           "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00"),
    Pinned("django-allauth", "65.21.1", "django_allauth-65.21.1-py3-none-any.whl",
           "7bdf018c9f3f0a32c80677f84e7777272d9c833b180bd6734314c4831c802a9e"),
    Pinned("django-auditlog", "3.4.1", "django_auditlog-3.4.1-py3-none-any.whl",
           "29958ecacfee00144127214f3ccef3f0c203c3659bcb6dd404a0f3d5551a10a5"),
    Pinned("django-axes", "8.3.1", "django_axes-8.3.1-py3-none-any.whl",
           "f7887582fd12713064f1602091ff6152752becae5e891a15bf802746cab0f51a"),
    Pinned("django-celery-beat", "2.9.0", "django_celery_beat-2.9.0-py3-none-any.whl",
           "4a9e5ebe26d6f8d7215e1fc5c46e466016279dc102435a28141108649bdf2157"),
    Pinned("django-cms", "5.1.3", "django_cms-5.1.3-py3-none-any.whl",
           "acf31919aab389d2bea253efa97a901bf55e96046a252f23a7a742e495848a5e"),
    Pinned("django-constance", "4.4.0", "django_constance-4.4.0-py3-none-any.whl",
           "4924ca143777191e279b9664d4f6d59b68402c88b91c7581f5fb8a71e753f4f0"),
    Pinned("django-filer", "3.6.0", "django_filer-3.6.0-py3-none-any.whl",
           "b441e081f0f5688d234815bd0421a1bafa10217eac31bdfe7c3ef3b092430bb3"),
    Pinned("django-guardian", "3.5.2", "django_guardian-3.5.2-py3-none-any.whl",
           "545ea01d528830d936c129a125dc2f1aba581da4c3f3daa5d4d1e31654e276a8"),
    Pinned("django-oauth-toolkit", "3.4.1", "django_oauth_toolkit-3.4.1-py3-none-any.whl",
           "c47f2a70e83bade0a47a5e9b20e86030d8ed9c0a8f10ec4ed30446cad7291f2d"),
    Pinned("django-oscar", "4.2.1", "django_oscar-4.2.1-py3-none-any.whl",
           "adbb95ea0130859c204cc6fb221052d6d437ecbaa90800e8418a809f72645e9c"),
    Pinned("django-otp", "1.7.5", "django_otp-1.7.5-py3-none-any.whl",
           "475d4111e07d61616996f098d08d29884da6397273a11f53c1b8e8c75d27e1dc"),
    Pinned("django-post-office", "3.12.0", "django_post_office-3.12.0-py3-none-any.whl",
           "b75d90d2553b5c735e329b7577f4d4e522190a99174fff0a441d2f08b7052f66"),
    Pinned("django-reversion", "6.4.0", "django_reversion-6.4.0-py3-none-any.whl",
           "641a6630eedbdda7c6ebcc90881370ff6439bca1f12c8afe97af251fd7f67492"),
    Pinned("django-silk", "5.6.0", "django_silk-5.6.0-py3-none-any.whl",
           "761300bde25b8ce3c381dc0710e82c792c099c0ee6558fad3165dc560a06dd48"),
    Pinned("django-taggit", "6.1.0", "django_taggit-6.1.0-py3-none-any.whl",
           "ab776264bbc76cb3d7e49e1bf9054962457831bd21c3a42db9138b41956e4cf0"),
    Pinned("django-two-factor-auth", "1.18.1", "django_two_factor_auth-1.18.1-py3-none-any.whl",
           "ccc9cee10be880037914e572389be6dcae93947709a8a9ff01fb23f7dee254f2"),
    Pinned("django-waffle", "5.0.0", "django_waffle-5.0.0-py3-none-any.whl",
           "3312851d9d926b76b9e90712355781700a383b82b5bf2b61e1f1be97532c0f3d"),
    Pinned("pretix", "2026.8.0", "pretix-2026.8.0-py3-none-any.whl",
           "a78932e698778d873530d67f25a57c28d1c09b1bfb1a22ec817c00d90397db85"),
    Pinned("wagtail", "8.0.1", "wagtail-8.0.1-py3-none-any.whl",
           "1e6ad5c7891a54efce1400e168298b5a2cc343b642cee89c31bf5ec30c98b26c"),
    Pinned("weblate", "5.14.3", "weblate-5.14.3-py3-none-any.whl",
           "0bc2c5a49ebc496758e89f08d5ec9d1b226e8aba2cff7744a18ab9f235dca816"),
)


class UnsafeArchiveError(Exception):
    """An archive member that would land outside the target folder, or is not a plain file or folder."""


class ChangedUploadError(Exception):
    """The downloaded archive is not the one pinned: another file name, or another sha256."""


# Downloading ----------------------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(archive: Path, pinned: Pinned) -> None:
    if not archive.is_file():
        raise ChangedUploadError(f"{pinned.requirement}: pip did not download {pinned.filename}")
    found = sha256_of(archive)
    if found != pinned.sha256:
        raise ChangedUploadError(f"{pinned.requirement}: {archive.name} has sha256 {found}, pinned {pinned.sha256}")


def download(pinned: Pinned, downloads: Path) -> Path:
    """The pinned archive in ``downloads``, fetched when absent; its sha256 is checked either way."""
    archive = downloads / pinned.filename
    if not archive.is_file():
        downloads.mkdir(parents=True, exist_ok=True)
        # A wheel only, or a source distribution only: pip must not fall back to the other kind of file.
        kind = ["--only-binary", ":all:"] if pinned.is_wheel else ["--no-binary", ":all:"]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *kind, "--dest", str(downloads),
             pinned.requirement],
            check=True,
        )
    verify(archive, pinned)
    return archive


# Unpacking ------------------------------------------------------------------------------------------------------


def is_linted_file(relative: str) -> bool:
    """What the linter may read: Python modules (migrations, ``apps.py``, packages' ``__init__.py``, and the
    models modules it follows to tell a model from a field) and django-linear-migrations' ``max_migration.txt``.
    Configuration files are left out on purpose: every project is checked with the linter's defaults."""
    parts = relative.split("/")
    if any(part.endswith((".dist-info", ".egg-info")) for part in parts[:-1]):
        return False
    return parts[-1].endswith(".py") or parts[-1] == "max_migration.txt"


def safe_relative_path(name: str) -> str:
    """``name`` as a relative POSIX path that stays inside the target folder, or UnsafeArchiveError."""
    if "\\" in name or "\x00" in name:
        raise UnsafeArchiveError(f"{name!r}: backslash or NUL in a member name")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{name!r}: absolute member name")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise UnsafeArchiveError(f"{name!r}: member name leaves the target folder")
    return "/".join(parts)


def _open_archive(archive: Path) -> zipfile.ZipFile | tarfile.TarFile:
    return zipfile.ZipFile(archive) if zipfile.is_zipfile(archive) else tarfile.open(archive)


def _members(bundle: zipfile.ZipFile | tarfile.TarFile) -> list[tuple[str, bool, int, Any]]:
    """(name, is a folder, size, member) of every member, refusing links, devices and other special files."""
    found: list[tuple[str, bool, int, Any]] = []
    if isinstance(bundle, zipfile.ZipFile):
        for info in bundle.infolist():
            # The Unix file type, when the archive was made on Unix and says one (many give permissions only).
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise UnsafeArchiveError(f"{info.filename!r}: not a regular file or folder")
            found.append((info.filename, info.is_dir(), info.file_size, info))
        return found
    for member in bundle.getmembers():
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"{member.name!r}: not a regular file or folder")
        found.append((member.name, member.isdir(), member.size, member))
    return found


def _read_member(bundle: zipfile.ZipFile | tarfile.TarFile, member: Any) -> bytes:
    if isinstance(bundle, zipfile.ZipFile):
        return bundle.read(member)
    stream = bundle.extractfile(member)
    return b"" if stream is None else stream.read()


def unpack(
    archive: Path, target: Path, wanted: Callable[[str], bool] = is_linted_file, strip_top_folder: bool = False
) -> list[str]:
    """Write the members of ``archive`` that ``wanted`` accepts below ``target``; return their relative paths.

    Every member is checked before anything is written, and the archive is refused whole when one is a symbolic
    or hard link, a device, absolute, climbs out with ``..`` or comes twice: a changed upload must fail loudly,
    not half unpack. Members are written as new plain files by this function (never ``extract``), so neither a
    link nor a mode nor an owner from the archive reaches the disk, whatever the Python version.
    """
    target = target.resolve()
    with _open_archive(archive) as bundle:
        chosen: dict[str, Any] = {}
        seen: set[str] = set()
        for name, is_folder, size, member in _members(bundle):
            relative = safe_relative_path(name)
            if strip_top_folder:  # a source distribution's NAME-VERSION/ folder
                relative = relative.partition("/")[2]
            if not is_folder and relative in seen:
                raise UnsafeArchiveError(f"{name!r}: the archive holds it twice")
            seen.add(relative)
            if not is_folder and relative and wanted(relative) and size <= MAX_MEMBER_BYTES:
                chosen[relative] = member
        for relative, member in sorted(chosen.items()):
            destination = target.joinpath(*relative.split("/"))
            destination.parent.mkdir(parents=True, exist_ok=True)
            if not destination.resolve().is_relative_to(target):
                raise UnsafeArchiveError(f"{relative!r}: resolves outside {target}")
            with destination.open("xb") as out:
                out.write(_read_member(bundle, member))
    return sorted(chosen)


def prepare(pinned: Pinned, work: Path) -> Path:
    """The unpacked project of ``pinned`` below ``work``, fresh from its verified archive."""
    archive = download(pinned, work / "downloads")
    project = work / "projects" / pinned.name
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    unpack(archive, project, strip_top_folder=not pinned.is_wheel)
    return project


# Running the linter ---------------------------------------------------------------------------------------------


# Every project is read without Django settings. The linter reads a project's settings statically, and an installed
# app that the settings name but the project does not hold joins the graph from the interpreter the linter runs in
# (``importlib.util.find_spec``): the summaries would change with what happens to be installed in the venv that runs
# this script (Django itself, above all). A wheel also ships no manage.py of the project, only, at times, the
# settings of its own test suite (``wagtail/test/settings.py``), which describe a test project rather than a user's;
# and DJANGO_SETTINGS_MODULE, were it set where this runs, would be read too. ``none`` rules all of that out, so a
# summary depends on the pinned archive and the linter only: the graph comes from walking the unpacked tree.
LINTER_OPTIONS: Final = ("--djm-settings", "none", "--djm-no-cache", "--format", "json", "--djm-project-root", ".")


def linter_command(*arguments: str) -> list[str]:
    """``python -m flake8_django_migrations ARGUMENTS`` with the corpus's fixed options, over the current folder."""
    return [sys.executable, "-m", "flake8_django_migrations", *arguments, *LINTER_OPTIONS, "."]


def _run_linter(project: Path, linter: Path, *arguments: str) -> Any:
    """The JSON output of ``python -m flake8_django_migrations ARGUMENTS`` run from ``linter``'s source tree."""
    path = os.pathsep.join(filter(None, [str(linter), os.environ.get("PYTHONPATH")]))
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        linter_command(*arguments), cwd=project, env={**environment, "PYTHONPATH": path}, capture_output=True,
        text=True, timeout=LINTER_TIMEOUT,
    )
    try:
        if completed.returncode in (0, 1):  # 1 also when Python dies of an exception: then stdout is no JSON
            return json.loads(completed.stdout)
    except json.JSONDecodeError:
        pass
    raise RuntimeError(f"{arguments[0]} failed on {project} ({completed.returncode}):\n{completed.stderr}")


def migration_files(project: Path) -> list[str]:
    """The modules Django would load from the project's migrations packages, relative to the project."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(project):
        subfolders.sort()
        if os.path.basename(folder) == "migrations" and "__init__.py" in files:
            found.extend(
                os.path.relpath(os.path.join(folder, name), project).replace(os.sep, "/")
                for name in files
                if name.endswith(".py") and name[:1] not in ("_", "~")
            )
    return sorted(found)


# Summaries and their differences ---------------------------------------------------------------------------------


def finding_line(finding: Mapping[str, Any]) -> str:
    return f"{finding['path']}:{finding['line']}:{finding['col']} {finding['code']}"


def _finding_sort_key(line: str) -> tuple[str, int, int, str]:
    location, _, code = line.rpartition(" ")
    path, line_number, col = location.rsplit(":", 2)
    return path, int(line_number), int(col), code


def graph_summary(graph: Mapping[str, Any]) -> dict[str, Any]:
    leaves = {app: sorted(names) for app, names in sorted(graph["leaves"].items())}
    return {
        "apps": sorted(leaves),
        "nodes": len(graph["nodes"]),
        "edges": len(graph["edges"]),
        "external_apps": sorted(graph["external"]),
        "leaves": leaves,
    }


def build_summary(
    pinned: Pinned, findings: Iterable[Mapping[str, Any]], graph: Mapping[str, Any], files: Sequence[str]
) -> dict[str, Any]:
    lines = sorted((finding_line(finding) for finding in findings), key=_finding_sort_key)
    counts = Counter(line.rpartition(" ")[2] for line in lines)
    return {
        "project": pinned.name,
        "version": pinned.version,
        "archive": pinned.filename,
        "sha256": pinned.sha256,
        "migration_files": len(files),
        "graph": graph_summary(graph),
        "total": len(lines),
        "counts": dict(sorted(counts.items())),
        "findings": lines,
    }


def diff_summaries(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Readable lines saying how ``new`` differs from the committed ``old``; empty when they agree."""
    if old is None:
        return [f"{new['project']}: no committed summary ({new['total']} findings now)"]
    lines: list[str] = []
    for key in ("version", "archive", "sha256", "migration_files", "total"):
        if old.get(key) != new.get(key):
            lines.append(f"  {key}: {old.get(key)} -> {new.get(key)}")
    old_counts, new_counts = old.get("counts", {}), new["counts"]
    for code in sorted(set(old_counts) | set(new_counts)):
        before, after = old_counts.get(code, 0), new_counts.get(code, 0)
        if before != after:
            lines.append(f"  {code}: {before} -> {after} ({after - before:+d})")
    old_graph, new_graph = old.get("graph", {}), new["graph"]
    for key in sorted(set(old_graph) | set(new_graph)):
        if old_graph.get(key) != new_graph.get(key):
            lines.append(f"  graph {key}: {_short(old_graph.get(key))} -> {_short(new_graph.get(key))}")
    old_findings, new_findings = set(old.get("findings", [])), set(new["findings"])
    lines.extend(f"  - {line}" for line in sorted(old_findings - new_findings, key=_finding_sort_key))
    lines.extend(f"  + {line}" for line in sorted(new_findings - old_findings, key=_finding_sort_key))
    return [f"{new['project']}:", *lines] if lines else []


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


def summary_text(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


def summarise(pinned: Pinned, work: Path, linter: Path = ROOT) -> dict[str, Any]:
    project = prepare(pinned, work)
    findings = _run_linter(project, linter, "check")["findings"]
    graph = _run_linter(project, linter, "graph")
    return build_summary(pinned, findings, graph, migration_files(project))


# Command --------------------------------------------------------------------------------------------------------


def selected(names: Sequence[str] | None) -> list[Pinned]:
    if not names:
        return list(PROJECTS)
    known = {pinned.name: pinned for pinned in PROJECTS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"unknown project(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [known[name] for name in sorted(set(names))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", nargs="?", choices=("compare", "update"), default="compare")
    parser.add_argument("--project", action="append", metavar="NAME", help="only this project (repeatable)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"downloads and unpacked projects "
                        f"(default: {DEFAULT_WORK})")
    parser.add_argument("--linter", type=Path, default=ROOT, help="the source tree of the linter to run, e.g. an "
                        "exported revision (default: this checkout)")
    args = parser.parse_args(argv)
    changed = False
    started = time.monotonic()
    for pinned in selected(args.project):
        began = time.monotonic()
        summary = summarise(pinned, args.work, args.linter.resolve())
        path = SUMMARIES / f"{pinned.name}.json"
        elapsed = time.monotonic() - began
        if args.command == "update":
            SUMMARIES.mkdir(exist_ok=True)
            path.write_text(summary_text(summary), encoding="utf-8")
            print(f"{pinned.name}: {summary['total']} findings in {summary['migration_files']} migration files "
                  f"({elapsed:.1f}s)", file=sys.stderr)
            continue
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        difference = diff_summaries(old, summary)
        if difference:
            changed = True
            print("\n".join(difference))
        print(f"{pinned.name}: {'changed' if difference else 'unchanged'} ({elapsed:.1f}s)", file=sys.stderr)
    print(f"total {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the snapshot of Django's contrib apps that the package ships (``flake8_django_migrations/project/
contrib_migrations.json.xz``, read by ``project/contrib_snapshot.py``) from Django's own wheels, sdists or installed
folders.

For each source, its feature release (``5.2``, read from ``django/__init__.py``'s ``VERSION``) gets the files
discovery and the facts read of every contrib app (a folder of ``django/contrib`` with an ``apps.py``): ``apps.py``
and the migration modules as text, and the existence of the package files Django's import would find
(``__init__.py``, ``migrations/__init__.py``). Each distinct text is stored once across releases. The output depends
on nothing but the inputs: sorted JSON, compressed with xz at a fixed preset, no time or path in it.

    pip download django==5.2.20 --no-deps --only-binary :all: --python-version 3.12 -d /tmp/django
    python tools/contrib_snapshot.py /tmp/django/*.whl              # every release, written anew
    python tools/contrib_snapshot.py --update /tmp/django/django-6.1.3-py3-none-any.whl   # add or replace one

Two sources of one feature release: the later version wins. ``--update`` keeps the releases already in the output
that no source replaces.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import lzma
import os
import re
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as a script: the checkout's package, not whichever one is installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flake8_django_migrations.project import contrib_snapshot  # noqa: E402

DEFAULT_OUTPUT = Path(contrib_snapshot.SNAPSHOT_FILE)
_PRESET = 9 | lzma.PRESET_EXTREME
_CONTRIB = re.compile(r"^django/contrib/([A-Za-z_][A-Za-z0-9_]*)/(apps\.py|__init__\.py|migrations/[^/]+\.py)$")
_SUFFIXES = {"alpha": "a", "beta": "b", "rc": "rc"}


@dataclass(frozen=True)
class ReleaseFiles:
    """One feature release's snapshot entry: relative POSIX path -> bytes, None when only its existence is kept."""

    name: str  # "5.2"
    version: str  # "5.2.20"
    files: Mapping[str, bytes | None]


def read_release(source: Path) -> ReleaseFiles:
    """The snapshot entry of a Django wheel (``.whl``), sdist (``.tar.gz``) or folder (holding the ``django`` package,
    or the package itself)."""
    listing = _django_files(source)
    if "django/__init__.py" not in listing:
        raise SystemExit(f"{source}: no django/__init__.py found")
    name, version = _version(listing["django/__init__.py"]())
    apps = sorted(
        match.group(1) for path in listing if (match := _CONTRIB.match(path)) and match.group(2) == "apps.py"
        and f"django/contrib/{match.group(1)}/__init__.py" in listing
    )
    files: dict[str, bytes | None] = {"django/__init__.py": None, "django/contrib/__init__.py": None}
    for app in apps:
        base = f"django/contrib/{app}/"
        files[base + "__init__.py"] = None
        files[base + "apps.py"] = listing[base + "apps.py"]()
        if base + "migrations/__init__.py" not in listing:
            continue
        for path in sorted(path for path in listing if path.startswith(base + "migrations/") and _CONTRIB.match(path)):
            files[path] = None if path.endswith("/__init__.py") else listing[path]()
    return ReleaseFiles(name, version, dict(sorted(files.items())))


def _django_files(source: Path) -> dict[str, Callable[[], bytes]]:
    """Every file below ``django/`` in the source, by its path from the folder holding ``django``: a reader of it."""
    found: dict[str, Callable[[], bytes]] = {}
    if source.is_dir():
        top = source if (source / "django" / "__init__.py").is_file() else source.parent
        if not (top / "django" / "__init__.py").is_file():
            raise SystemExit(f"{source}: neither holds nor is the django package")
        for path in sorted((top / "django").rglob("*.py")):
            found[path.relative_to(top).as_posix()] = path.read_bytes
    elif source.suffix == ".whl":
        archive = zipfile.ZipFile(source)
        for name in archive.namelist():
            if name.startswith("django/"):
                found[name] = functools.partial(archive.read, name)
    elif source.name.endswith((".tar.gz", ".tgz")):
        tar = tarfile.open(source)
        for member in tar.getmembers():
            inside = member.name.partition("/")[2]  # below the sdist's own folder, Django-5.2.20/
            if member.isfile() and inside.startswith("django/"):
                found[inside] = functools.partial(_tar_member, tar, member)
    else:
        raise SystemExit(f"{source}: not a wheel, an sdist or a folder")
    return found


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    assert extracted is not None
    return extracted.read()


def _version(init: bytes) -> tuple[str, str]:
    """The feature release and the version of ``django/__init__.py``'s ``VERSION = (5, 2, 20, "final", 0)``."""
    for node in ast.parse(init).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "VERSION" for t in node.targets):
            major, minor, micro, level, serial = ast.literal_eval(node.value)
            version = f"{major}.{minor}" + (f".{micro}" if micro else "")
            if level != "final":
                version += f"{_SUFFIXES.get(level, level)}{serial}"
            return f"{major}.{minor}", version
    raise SystemExit("django/__init__.py has no VERSION")


def build(releases: Iterable[ReleaseFiles]) -> bytes:
    """The snapshot file of ``releases`` (one per feature release, the later version winning): the same releases
    give the same bytes."""
    chosen: dict[str, ReleaseFiles] = {}
    for release in releases:
        kept = chosen.get(release.name)
        if kept is None or _version_key(release.version) > _version_key(kept.version):
            chosen[release.name] = release
    texts: dict[str, str] = {}
    listed: dict[str, object] = {}
    for name in sorted(chosen, key=lambda name: tuple(int(part) for part in name.split("."))):
        release = chosen[name]
        files: dict[str, str | None] = {}
        for path, data in sorted(release.files.items()):
            if data is None:
                files[path] = None
                continue
            key = hashlib.sha256(data).hexdigest()[:16]
            text = data.decode("utf-8")  # Django's sources are UTF-8; stored as text, read back to the same bytes
            if texts.setdefault(key, text) != text:
                raise SystemExit(f"two texts share the key {key}: lengthen it")
            files[path] = key
        listed[name] = {"version": release.version, "files": files}
    document = {"format": contrib_snapshot.FORMAT, "releases": listed, "texts": dict(sorted(texts.items()))}
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return lzma.compress(encoded, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=_PRESET)


def releases_of(snapshot: contrib_snapshot.Snapshot) -> list[ReleaseFiles]:
    """The entries of a snapshot already written, to write them again (``--update``)."""
    return [
        ReleaseFiles(release.name, release.version, {
            path: text.encode("utf-8") if text is not None else None for path, text in release.files.items()
        })
        for release in snapshot.releases.values()
    ]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="contrib_snapshot.py")
    parser.add_argument("sources", nargs="+", type=Path, help="Django wheels, sdists or folders")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: %(default)s")
    parser.add_argument("--update", action="store_true",
                        help="keep the releases already in the output that no source replaces")
    args = parser.parse_args(argv)
    releases = [read_release(source) for source in args.sources]
    if args.update and args.output.exists():
        given = {release.name for release in releases}
        kept = releases_of(contrib_snapshot.decode(args.output.read_bytes()))
        releases = [release for release in kept if release.name not in given] + releases
    data = build(releases)
    temporary = args.output.with_name(args.output.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, args.output)
    written = contrib_snapshot.decode(data)
    print(f"{args.output}: {len(data)} bytes, releases "
          + ", ".join(f"{r.name} ({r.version})" for r in written.releases.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

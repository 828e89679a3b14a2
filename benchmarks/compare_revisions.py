"""Compare the findings of two revisions on the same trees: ``python benchmarks/compare_revisions.py OLD [NEW]``.

For a change that must not change behaviour (a refactor), both revisions must report the same findings. Each
revision is checked out into a temporary git worktree and run as ``python -m flake8_django_migrations check
--format json`` with that worktree first on ``PYTHONPATH``, over both examples, every project-tree fixture and a
generated project, on PostgreSQL and SQLite. NEW defaults to the working tree. Exit status 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def trees(scratch: Path) -> list[Path]:
    generated = scratch / "generated"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(generated), "--apps", "20",
         "--migrations", "100", "--seed", "3"],
        check=True, capture_output=True,
    )
    return [
        ROOT / "examples" / "shop",
        ROOT / "examples" / "graph_errors",
        *sorted(path for path in (ROOT / "tests" / "fixtures" / "trees").iterdir() if path.is_dir()),
        generated,
    ]


def findings(package_root: Path, tree: Path, database: str) -> list[tuple[str, int, int, str, str]]:
    environment = {**os.environ, "PYTHONPATH": str(package_root)}
    completed = subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", "check", "--format", "json", "--djm-no-cache",
         "--select", "DJM", "--djm-project-root", ".", "--djm-database", database,
         "--djm-swappable", "AUTH_USER_MODEL=accounts.User", "."],
        cwd=tree, env=environment, capture_output=True, text=True, timeout=600,
    )
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{package_root} failed on {tree}:\n{completed.stderr}")
    output = json.loads(completed.stdout)
    # A revision before the versioned JSON document (docs/json-output.md) printed the plain list of findings.
    found = output["findings"] if isinstance(output, dict) else output
    return sorted((item["path"], item["line"], item["col"], item["code"], item["message"]) for item in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="a git revision")
    parser.add_argument("new", nargs="?", help="a git revision (default: the working tree)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        roots = {}
        for label, revision in (("old", args.old), ("new", args.new)):
            if revision is None:
                roots[label] = ROOT
                continue
            roots[label] = scratch / label
            subprocess.run(["git", "worktree", "add", "--detach", str(roots[label]), revision], cwd=ROOT, check=True,
                           capture_output=True)
        try:
            total = differences = 0
            for tree in trees(scratch):
                for database in ("postgresql", "sqlite"):
                    old, new = (findings(roots[label], tree, database) for label in ("old", "new"))
                    total += len(new)
                    if old != new:
                        differences += 1
                        print(f"{tree} ({database}):")
                        for line in sorted(set(old) - set(new)):
                            print(f"  - {line}")
                        for line in sorted(set(new) - set(old)):
                            print(f"  + {line}")
            print(f"{total} findings of the new revision; {differences} tree/database pairs differ")
            return 1 if differences else 0
        finally:
            for label in ("old", "new"):
                if roots.get(label) not in (None, ROOT):
                    subprocess.run(["git", "worktree", "remove", "--force", str(roots[label])], cwd=ROOT,
                                   capture_output=True)


if __name__ == "__main__":
    sys.exit(main())

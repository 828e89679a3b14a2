"""``check``'s output formats through the real command: text, the versioned JSON document, SARIF 2.1.0 (validated
against the official schema, vendored in tests/vendor/) and GitHub workflow commands; ``--exit-zero``,
``--explain``, and the ``--format`` template the README gives flake8 users, run through the real flake8."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import flake8_django_migrations
from flake8_django_migrations.docs import render_rule
from flake8_django_migrations.finding import Finding
from flake8_django_migrations.output.github import escape_data, escape_property, workflow_command
from flake8_django_migrations.registry import RULES
from tests.flake8_runner import run_flake8
from tests.graph_trees import RUN_PYTHON, app, migration, tree, write_tree

REPOSITORY = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = REPOSITORY / "tests" / "vendor" / "sarif-schema-2.1.0.json"
GITLAB_SCHEMA = REPOSITORY / "tests" / "vendor" / "gitlab-codeclimate.json"
VERSION = flake8_django_migrations.__version__
# The template the README gives flake8 users for GitHub annotations.
FLAKE8_GITHUB_FORMAT = "::error file=%(path)s,line=%(row)d,col=%(col)d,title=%(code)s::%(text)s"
ANNOTATED_PLACE = re.compile(r"^::error file=([^,]*),line=(\d+),col=(\d+),title=([A-Z]+\d+)", re.MULTILINE)

LEAVES_HINT = "run `python manage.py makemigrations --merge shop` and give the merge a descriptive name"
REVERSE_MESSAGE = "`RunPython(forwards)` has no reverse, so this migration can never be unapplied"
REVERSE_HINT = "pass `reverse_code=`, or `migrations.RunPython.noop` when there is nothing to undo"
SHOP_A = "shop/migrations/0002_a.py"
SHOP_B = "shop/migrations/0002_b.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two leaves in `shop` (DJM304 on each), one a RunPython without reverse (DJM101); the Django settings
    module, found through manage.py, installs `shop` only."""
    root = write_tree(tmp_path / "project", tree(
        app("shop", {
            "0001_initial": migration(initial=True),
            "0002_a": migration(("shop", "0001_initial")),
            "0002_b": RUN_PYTHON,
        }),
        {"proj/__init__.py": "", "proj/settings.py": "INSTALLED_APPS = ['shop']\n"},
    ))
    (root / "manage.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n", encoding="utf-8"
    )
    return root


def command(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a new process, in the project's folder."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "flake8_django_migrations", *argv],
        cwd=cwd, capture_output=True, text=True, env=environment, timeout=120, check=False,
    )


def validate_sarif(log: Any) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors[:5])


# Text and JSON -----------------------------------------------------------------------------------------------------


def test_text(project: Path) -> None:
    completed = command("check", cwd=project)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout == (
        f"{SHOP_A}:5:1: DJM304 `shop` has more than one leaf migration: `0002_a`, `0002_b`; {LEAVES_HINT}\n"
        f"{SHOP_B}:8:1: DJM304 `shop` has more than one leaf migration: `0002_b`, `0002_a`; {LEAVES_HINT}\n"
        f"{SHOP_B}:10:19: DJM101 {REVERSE_MESSAGE}; {REVERSE_HINT}\n"
    )


def test_json_is_a_versioned_document(project: Path) -> None:
    completed = command("check", "--format", "json", cwd=project)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout.endswith("}\n")
    assert json.loads(completed.stdout) == {
        "version": 1,
        "tool": {"name": "django-migrations-lint", "version": VERSION},
        "findings": [
            {"path": SHOP_A, "line": 5, "col": 1, "code": "DJM304", "name": "conflicting-leaves",
             "message": "`shop` has more than one leaf migration: `0002_a`, `0002_b`", "hint": LEAVES_HINT},
            {"path": SHOP_B, "line": 8, "col": 1, "code": "DJM304", "name": "conflicting-leaves",
             "message": "`shop` has more than one leaf migration: `0002_b`, `0002_a`", "hint": LEAVES_HINT},
            {"path": SHOP_B, "line": 10, "col": 19, "code": "DJM101", "name": "run-python-without-reverse",
             "message": REVERSE_MESSAGE, "hint": REVERSE_HINT},
        ],
        "project": {
            "roots": [
                {
                    "root": ".",
                    "apps": [
                        {"label": "shop", "migrations_folder": "shop/migrations", "migrations": 3, "external": False,
                         "in_graph": True, "left_out_because": None},
                    ],
                    "settings": {
                        "module": "proj.settings",
                        "module_origin": "manage.py:2",
                        "path": "proj/settings.py",
                        "candidates": [{"module": "proj.settings", "origin": "manage.py:2", "path": "proj/settings.py",
                                        "used": True}],
                        "values": {"INSTALLED_APPS": {"value": ["shop"], "path": "proj/settings.py", "line": 1}},
                        "unknown": {
                            "AUTH_USER_MODEL": "not set in the settings",
                            "MIGRATION_MODULES": "not set in the settings",
                            "DEFAULT_AUTO_FIELD": "not set in the settings",
                            "DATABASES": "not set in the settings",
                        },
                        "installed_apps": [{"entry": "shop", "label": "shop", "folder": "shop", "external": False}],
                        "used": {"database": "postgresql", "swappable": {"AUTH_USER_MODEL": "auth.User"},
                                 "migration_modules": {}},
                    },
                },
            ],
            "base": None,
            "new_only": False,
            "baseline": None,
        },
    }


def test_json_says_which_folders_were_left_out_and_what_the_baseline_no_longer_matches(project: Path) -> None:
    # A migrations package of an app INSTALLED_APPS does not list: its files get the per-file rules only.
    for relative, source in app("legacy", {"0001_initial": migration()}).items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(source, encoding="utf-8")
    baseline = project / "baseline.json"
    baseline.write_text(json.dumps({"format": 1, "findings": [
        {"path": SHOP_B, "code": "DJM101", "message": REVERSE_MESSAGE},
        {"path": SHOP_B, "code": "DJM101", "message": "`RunPython(gone)` has no reverse"},
    ]}), encoding="utf-8")
    completed = command("check", "--format", "json", "--djm-baseline", "baseline.json", cwd=project)
    document = json.loads(completed.stdout)
    assert [finding["code"] for finding in document["findings"]] == ["DJM304", "DJM304"]
    assert document["project"]["baseline"] == {"path": "baseline.json", "stale": 1}
    apps = document["project"]["roots"][0]["apps"]
    assert [(app["label"], app["in_graph"], app["left_out_because"]) for app in apps] == [
        ("shop", True, None), ("legacy", False, "not-installed"),
    ]


def test_json_of_a_clean_tree(tmp_path: Path) -> None:
    root = write_tree(tmp_path, app("shop", {"0001_initial": migration()}))
    completed = command("check", "--format", "json", "--djm-settings", "none", cwd=root)
    document = json.loads(completed.stdout)
    assert (completed.returncode, document["version"], document["findings"]) == (0, 1, [])
    assert [app["label"] for app in document["project"]["roots"][0]["apps"]] == ["shop"]


# SARIF ---------------------------------------------------------------------------------------------------------------


def test_sarif(project: Path) -> None:
    completed = command("check", "--format", "sarif", cwd=project)
    assert (completed.returncode, completed.stderr) == (1, "")
    log = json.loads(completed.stdout)
    validate_sarif(log)
    assert (log["$schema"], log["version"], len(log["runs"])) == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", "2.1.0", 1,
    )
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("django-migrations-lint", VERSION)
    # Every rule, including those that found nothing and those off by default, and flake8's two codes.
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [*RULES, "E999", "E902"]
    conflicting = driver["rules"][ids.index("DJM304")]
    assert conflicting == {
        "id": "DJM304",
        "name": "conflicting-leaves",
        "shortDescription": {"text": "Checks for apps whose migration graph has more than one leaf"
                             " (usually two branches that each added one)."},
        "fullDescription": {"text": RULES["DJM304"].what_it_does},
        "help": {"text": f"{RULES['DJM304'].what_it_does}\n\n{RULES['DJM304'].why_bad}",
                 "markdown": render_rule(RULES["DJM304"])},
        "defaultConfiguration": {"enabled": True, "level": "error"},
    }
    assert driver["rules"][ids.index("DJM901")]["defaultConfiguration"] == {"enabled": False, "level": "warning"}
    # The project has no public home yet: no link at all rather than a dead one; each rule's page is in the log.
    assert "informationUri" not in driver and not any("helpUri" in rule for rule in driver["rules"])
    assert all(rule["help"]["markdown"] == render_rule(RULES[rule["id"]]) for rule in driver["rules"][:len(RULES)])
    # The fingerprints are hashes of path, code and message: checked for stability below, not spelled out here.
    fingerprints = [result.pop("partialFingerprints")["djmFinding/v1"] for result in run["results"]]
    assert len(set(fingerprints)) == 3 and all(fingerprint.endswith(":1") for fingerprint in fingerprints)

    def result(path: str, line: int, column: int, code: str, text: str) -> dict[str, object]:
        return {
            "ruleId": code,
            "ruleIndex": ids.index(code),
            "level": "error",
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": line, "startColumn": column},
            }}],
        }

    assert run["results"] == [
        result(SHOP_A, 5, 1, "DJM304", f"`shop` has more than one leaf migration: `0002_a`, `0002_b`; {LEAVES_HINT}"),
        result(SHOP_B, 8, 1, "DJM304", f"`shop` has more than one leaf migration: `0002_b`, `0002_a`; {LEAVES_HINT}"),
        result(SHOP_B, 10, 19, "DJM101", f"{REVERSE_MESSAGE}; {REVERSE_HINT}"),
    ]


def sarif_results(root: Path, *options: str) -> list[dict[str, Any]]:
    completed = command("check", "--format", "sarif", *options, cwd=root)
    log = json.loads(completed.stdout)
    validate_sarif(log)
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


def located(results: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    return [
        (result["ruleId"], result["locations"][0]["physicalLocation"]["region"]["startLine"],
         result["partialFingerprints"]["djmFinding/v1"])
        for result in results
    ]


def test_sarif_fingerprints_follow_a_finding_when_lines_move(project: Path) -> None:
    before = located(sarif_results(project))
    path = project / SHOP_B
    path.write_text("# a comment that moves every line down\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = located(sarif_results(project))
    assert [line for _, line, _ in after] == [5, 10, 12]
    assert [(code, fingerprint) for code, _, fingerprint in after] == [(code, f) for code, _, f in before]


def test_sarif_fingerprints_count_equal_findings_in_one_file(tmp_path: Path) -> None:
    twice = RUN_PYTHON.replace(
        "operations = [migrations.RunPython(forwards)]",
        "operations = [\n        migrations.RunPython(forwards),\n        migrations.RunPython(forwards),\n    ]",
    )
    root = write_tree(tmp_path, app("shop", {"0001_initial": migration(), "0002_b": twice}))
    fingerprints = [fingerprint for _, _, fingerprint in located(sarif_results(root, "--djm-settings", "none"))]
    digest = fingerprints[0].split(":")[0]
    assert fingerprints == [f"{digest}:1", f"{digest}:2"]


def test_sarif_of_files_outside_the_working_folder_and_of_flake8s_codes(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "my project", app("shop", {
        "0001_initial": migration(),
        "0002_broken": "class Migration(:\n",
    }))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    results = sarif_results(elsewhere, "--djm-settings", "none", str(root))
    assert [result["ruleId"] for result in results] == ["E999"]
    location = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (root / "shop" / "migrations" / "0002_broken.py").as_uri()}  # "my%20project"
    assert "%20" in location["uri"]
    # Percent-encoded relative URIs too, from inside the project.
    inside = sarif_results(root, "--djm-settings", "none")
    assert inside[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "shop/migrations/0002_broken.py", "uriBaseId": "%SRCROOT%",
    }


def test_the_sarif_schema_check_is_not_vacuous(project: Path) -> None:
    log = json.loads(command("check", "--format", "sarif", cwd=project).stdout)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(AssertionError, match="startLine"):
        validate_sarif(log)
    del log["runs"][0]["tool"]
    with pytest.raises(AssertionError, match="tool"):
        validate_sarif(log)


# GitHub workflow commands ----------------------------------------------------------------------------------------


def test_github(project: Path) -> None:
    completed = command("check", "--format", "github", cwd=project)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout == (
        f"::error file={SHOP_A},line=5,col=1,title=DJM304 conflicting-leaves::"
        f"`shop` has more than one leaf migration: `0002_a`, `0002_b`; {LEAVES_HINT}\n"
        f"::error file={SHOP_B},line=8,col=1,title=DJM304 conflicting-leaves::"
        f"`shop` has more than one leaf migration: `0002_b`, `0002_a`; {LEAVES_HINT}\n"
        f"::error file={SHOP_B},line=10,col=19,title=DJM101 run-python-without-reverse::"
        f"{REVERSE_MESSAGE}; {REVERSE_HINT}\n"
    )


def test_github_opinionated_rules_are_warnings(tmp_path: Path) -> None:
    root = write_tree(tmp_path, tree(
        app("one", {"0001_initial": migration(("two", "0001_initial"))}),
        app("two", {
            "0001_initial": migration(),
            "0002_x": migration(("two", "0001_initial"), ("one", "0001_initial")),
        }),
    ))
    completed = command("check", "--format", "github", "--select", "DJM904", "--djm-settings", "none", cwd=root)
    assert completed.stdout.startswith("::warning file=")
    assert ",title=DJM904 app-dependency-cycle::" in completed.stdout


def test_github_escaping() -> None:
    # What @actions/core's toCommandValue/escapeData/escapeProperty produce.
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"
    # A Finding escapes a newline from the code itself (as `repr` writes it): no line break reaches the command.
    finding = Finding(os.path.abspath("odd, name:1.py"), 3, 4, "DJM101", "`RunPython(f)` 50%\nthen", "fix: it")
    assert workflow_command(finding) == (
        "::error file=odd%2C name%3A1.py,line=3,col=5,title=DJM101 run-python-without-reverse::"
        "`RunPython(f)` 50%25\\nthen; fix: it"
    )


def test_sarif_links_appear_once_the_project_has_a_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """One constant: set, it gives the driver's informationUri and each rule's helpUri (its page in docs/rules/)."""
    from flake8_django_migrations.output import report, sarif
    from flake8_django_migrations.output.report import Report
    from flake8_django_migrations.settings import Settings

    monkeypatch.setattr(report, "REPOSITORY_URL", "https://git.example/djm")
    monkeypatch.setattr(sarif, "REPOSITORY_URL", "https://git.example/djm")
    driver = sarif.sarif_log(Report((), (), Settings()))["runs"][0]["tool"]["driver"]  # type: ignore[index]
    assert driver["informationUri"] == "https://git.example/djm"
    helps = {rule["id"]: rule.get("helpUri") for rule in driver["rules"]}
    assert helps["DJM304"] == "https://git.example/djm/blob/main/docs/rules/DJM304.md"
    assert helps["E999"] is None  # flake8's own codes have no page here
    for code in RULES:
        assert (REPOSITORY / "docs" / "rules" / f"{code}.md").is_file()  # what helpUri would name exists


# GitLab Code Quality -----------------------------------------------------------------------------------------------


def validate_gitlab(report: Any) -> None:
    """As GitLab reads a report: one JSON array whose every issue passes the schema GitLab checks it against."""
    schema = json.loads(GITLAB_SCHEMA.read_text(encoding="utf-8"))
    assert isinstance(report, list)
    validator = jsonschema.Draft7Validator(schema)
    for position, issue in enumerate(report):
        errors = list(validator.iter_errors(issue))
        assert not errors, f"issue {position}: {errors[0].message}"


def gitlab_report(root: Path, *options: str) -> list[dict[str, Any]]:
    completed = command("check", "--format", "gitlab", *options, cwd=root)
    report: list[dict[str, Any]] = json.loads(completed.stdout)
    validate_gitlab(report)
    return report


def test_gitlab(project: Path) -> None:
    completed = command("check", "--format", "gitlab", cwd=project)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout.startswith("[") and completed.stdout.endswith("]\n")
    report = json.loads(completed.stdout)
    validate_gitlab(report)
    # The fingerprints are SARIF's, so an issue keeps its identity in both; checked for stability below.
    sarif = [result["partialFingerprints"]["djmFinding/v1"] for result in sarif_results(project)]
    assert [issue.pop("fingerprint") for issue in report] == sarif

    def issue(path: str, line: int, code: str, text: str) -> dict[str, object]:
        return {"description": f"{code} {text}", "check_name": code, "severity": "major",
                "location": {"path": path, "lines": {"begin": line}}}

    assert report == [
        issue(SHOP_A, 5, "DJM304", f"`shop` has more than one leaf migration: `0002_a`, `0002_b`; {LEAVES_HINT}"),
        issue(SHOP_B, 8, "DJM304", f"`shop` has more than one leaf migration: `0002_b`, `0002_a`; {LEAVES_HINT}"),
        issue(SHOP_B, 10, "DJM101", f"{REVERSE_MESSAGE}; {REVERSE_HINT}"),
    ]


def test_gitlab_of_a_clean_tree_is_an_empty_array(tmp_path: Path) -> None:
    root = write_tree(tmp_path, app("shop", {"0001_initial": migration()}))
    completed = command("check", "--format", "gitlab", "--djm-settings", "none", cwd=root)
    assert (completed.returncode, completed.stdout) == (0, "[]\n")


def test_gitlab_fingerprints_follow_a_finding_when_lines_move_and_never_repeat(
    project: Path, tmp_path: Path
) -> None:
    """GitLab keeps one issue per fingerprint and tells new issues from fixed ones by them."""
    before = gitlab_report(project)
    path = project / SHOP_B
    path.write_text("# a comment that moves every line down\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = gitlab_report(project)
    assert [issue["location"]["lines"]["begin"] for issue in after] == [5, 10, 12]
    assert [issue["fingerprint"] for issue in after] == [issue["fingerprint"] for issue in before]
    twice = RUN_PYTHON.replace(
        "operations = [migrations.RunPython(forwards)]",
        "operations = [\n        migrations.RunPython(forwards),\n        migrations.RunPython(forwards),\n    ]",
    )
    root = write_tree(tmp_path / "twice", app("shop", {"0001_initial": migration(), "0002_b": twice}))
    report = gitlab_report(root, "--djm-settings", "none")
    assert [issue["check_name"] for issue in report] == ["DJM101", "DJM101"]
    assert len({issue["fingerprint"] for issue in report}) == 2


def test_gitlab_severity_and_paths(tmp_path: Path) -> None:
    # An opinionated rule is minor; a migration that does not parse (flake8's E999) is major, as rule errors are.
    root = write_tree(tmp_path / "my project", tree(
        app("one", {"0001_initial": migration(("two", "0001_initial"))}),
        app("two", {
            "0001_initial": migration(),
            "0002_x": migration(("two", "0001_initial"), ("one", "0001_initial")),
        }),
        app("broken", {"0001_initial": "class Migration(:\n"}),
    ))
    report = gitlab_report(root, "--select", "DJM904,E999", "--djm-settings", "none")
    assert [(issue["check_name"], issue["severity"], issue["location"]["path"]) for issue in report] == [
        ("E999", "major", "broken/migrations/0001_initial.py"),
        ("DJM904", "minor", "one/migrations/0001_initial.py"),
    ]


def test_the_gitlab_schema_check_is_not_vacuous(project: Path) -> None:
    report = gitlab_report(project)
    report[0]["location"]["lines"]["begin"] = "5"
    with pytest.raises(AssertionError, match="is not of type 'integer'"):
        validate_gitlab(report)
    del report[0]["fingerprint"]
    with pytest.raises(AssertionError, match="'fingerprint' is a required property"):
        validate_gitlab(report)


def test_the_readme_gitlab_ci_job_writes_the_report_it_declares(project: Path) -> None:
    """The README's `.gitlab-ci.yml` job, as written: its `check` line run in the project (the command as installed)
    writes the file its `artifacts: reports: codequality:` names, a report GitLab accepts."""
    import yaml  # pre-commit's own dependency

    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    block = next(block for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL) if "codequality:" in block)
    job = yaml.safe_load(block)["django-migrations-lint"]
    report_file = job["artifacts"]["reports"]["codequality"]
    (line,) = [line for line in job["script"] if line.startswith("django-migrations-lint check")]
    assert line.endswith(f" > {report_file}")
    arguments = line.removesuffix(f" > {report_file}").split()[1:]
    completed = command(*arguments, cwd=project)
    assert completed.returncode == 0  # --exit-zero: the widget decides
    (project / report_file).write_text(completed.stdout, encoding="utf-8")
    report = json.loads((project / report_file).read_text(encoding="utf-8"))
    validate_gitlab(report)
    assert [issue["check_name"] for issue in report] == ["DJM304", "DJM304", "DJM101"]


# --exit-zero and --explain ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github", "gitlab"])
def test_exit_zero_reports_and_exits_0(project: Path, output_format: str) -> None:
    reporting = command("check", "--format", output_format, cwd=project)
    zero = command("check", "--format", output_format, "--exit-zero", cwd=project)
    assert (reporting.returncode, zero.returncode) == (1, 0)
    assert zero.stdout == reporting.stdout != ""


def test_exit_zero_keeps_usage_errors(project: Path) -> None:
    completed = command("check", "--exit-zero", "no-such-folder", cwd=project)
    assert completed.returncode == 2
    assert "no-such-folder: no such file or folder" in completed.stderr


@pytest.mark.parametrize("asked", ["DJM402", "djm402", "delete-before-readers"])
def test_explain(tmp_path: Path, asked: str) -> None:
    completed = command("--explain", asked, cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == render_rule(RULES["DJM402"])
    assert completed.stdout == (REPOSITORY / "docs" / "rules" / "DJM402.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("asked", ["DJM999", "E999", "nothing"])
def test_explain_an_unknown_code_is_a_usage_error(tmp_path: Path, asked: str) -> None:
    completed = command("--explain", asked, cwd=tmp_path)
    assert (completed.returncode, completed.stdout) == (2, "")
    assert f"--explain: '{asked}' is not a rule of django-migrations-lint; its rules are DJM101, " in completed.stderr


def test_a_command_is_still_required(tmp_path: Path) -> None:
    completed = command(cwd=tmp_path)
    assert completed.returncode == 2
    assert "a command is required" in completed.stderr


# flake8 users ------------------------------------------------------------------------------------------------------


def test_flake8_format_template_annotates_what_the_command_annotates(project: Path) -> None:
    """The README's ``--format`` template for flake8 users, through the real flake8: the same files, lines,
    columns and codes as ``check --format github``."""
    completed = run_flake8("--select", "DJM", f"--format={FLAKE8_GITHUB_FORMAT}", "shop", cwd=project)
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout == (
        f"::error file={SHOP_A},line=5,col=1,title=DJM304::"
        f"`shop` has more than one leaf migration: `0002_a`, `0002_b`; {LEAVES_HINT}\n"
        f"::error file={SHOP_B},line=8,col=1,title=DJM304::"
        f"`shop` has more than one leaf migration: `0002_b`, `0002_a`; {LEAVES_HINT}\n"
        f"::error file={SHOP_B},line=10,col=19,title=DJM101::{REVERSE_MESSAGE}; {REVERSE_HINT}\n"
    )
    ours = command("check", "--format", "github", cwd=project).stdout
    assert ANNOTATED_PLACE.findall(ours) == ANNOTATED_PLACE.findall(completed.stdout)


def test_the_vendored_schema_is_the_one_its_readme_names() -> None:
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert f"SHA-256: `{digest}`" in (SARIF_SCHEMA.parent / "README.md").read_text(encoding="utf-8")


def test_flake8_sarif_formatter_plugin(project: Path) -> None:
    """The README names flake8-sarif (a flake8 formatter plugin, ``--format=sarif``) for flake8 users who want SARIF
    with every plugin's codes: its log is valid SARIF with our findings at the command's places."""
    pytest.importorskip("flake8_sarif_reporter", reason="flake8-sarif is not installed (pip install flake8-sarif)")
    completed = run_flake8("--select", "DJM", "--format=sarif", "shop", cwd=project)
    assert completed.returncode == 1, completed.stderr
    log = json.loads(completed.stdout)
    validate_sarif(log)

    def places(results: list[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
        return [
            (result["ruleId"], result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             result["locations"][0]["physicalLocation"]["region"]["startLine"],
             result["locations"][0]["physicalLocation"]["region"]["startColumn"])
            for result in results
        ]

    assert sorted(places(log["runs"][0]["results"])) == sorted(places(sarif_results(project)))

"""Exit codes that never lie: 1 for every error on every command, usage errors included (click's
default, 2, is what `plan --detailed-exitcode` and `drift` use for "changes"); with `--format json`
the error is also one JSON document on stdout, valid against docs/perso-json.schema.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from e2e_spec import SPEC

from perso_iac.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "perso-json.schema.json").read_text())
MISSING = ["-f", "missing.yaml"]

# command -> (a bad flag, a bad value, a missing file): every one must exit 1.
CASES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "validate": (["validate", "--bogus"], ["validate", "--format", "xml"], ["validate", *MISSING]),
    "plan": (["plan", "--detailed-exitcode", "--fromat", "markdown"], ["plan", "--parallelism", "0"],
             ["plan", "--detailed-exitcode", *MISSING]),
    "apply": (["apply", "--bogus"], ["apply", "--lock-timeout", "soon"], ["apply", "missing-plan.json"]),
    "destroy": (["destroy", "--bogus"], ["destroy", "--format", "yaml"], ["destroy", "--auto-approve", *MISSING]),
    "drift": (["drift", "--no-unmanged"], ["drift", "--format", "html"], ["drift", "--ignore-file", "missing.ignore"]),
    "import": (["import", "--bogus"], ["import", "--parallelism", "many"], ["import", "a.b", "arn:x", *MISSING]),
    "output": (["output", "--bogus"], ["output", "--format", "markdown"], ["output", *MISSING]),
    "schema": (["schema", "--bogus"], ["schema", "unexpected"], ["schema", "-f", "missing.yaml"]),
    "state list": (["state", "list", "--bogus"], ["state", "list", "--lock-timeout", "x"], ["state", "list", *MISSING]),
    "state show": (["state", "show"], ["state", "show", "a.b", "--parallelism", "-1"], ["state", "show", "a.b", *MISSING]),
    "state rm": (["state", "rm", "--bogus", "a.b"], ["state", "rm", "a.b", "--lock-timeout", "1y"],
                 ["state", "rm", "a.b", *MISSING]),
    "state mv": (["state", "mv", "--bogus"], ["state", "mv", "a.b", "a.c", "--lock-timeout", "-"],
                 ["state", "mv", "a.b", "a.c", *MISSING]),
    "state pull": (["state", "pull", "--bogus"], ["state", "pull", "--parallelism", "0"], ["state", "pull", *MISSING]),
    "state push": (["state", "push"], ["state", "push", ".", "--force"], ["state", "push", "missing.json",
                                                                          "--state", "state.json"]),
    "state history": (["state", "history", "--bogus"], ["state", "history", "--limit", "0"],
                      ["state", "history", *MISSING]),
    "state unlock": (["state", "unlock", "--bogus"], ["state", "unlock", "--lock-timeout", "x"],
                     ["state", "unlock", *MISSING]),
    "state lock-info": (["state", "lock-info", "--bogus"], ["state", "lock-info", "--parallelism", "x"],
                        ["state", "lock-info", *MISSING]),
    "state migrate": (["state", "migrate"], ["state", "migrate", "--to", "s3://b/k", "--parallelism", "99"],
                      ["state", "migrate", "--to", "other.json", *MISSING]),
    "emulator": (["emulator", "--bogus"], ["emulator", "--port", "http"], ["emulator", "--data-dir", "perso.yaml"]),
    "perso": (["--bogus", "plan"], ["nosuchcommand"], ["--var-file", "missing.vars.yaml", "plan"]),
}
ROWS = [(command, kind, argv) for command, argvs in CASES.items()
        for kind, argv in zip(("bad flag", "bad value", "missing file"), argvs, strict=True)]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A directory with a valid spec (so a missing *other* file is what fails) and no AWS at all."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", "http://127.0.0.1:9")  # never reached
    (tmp_path / "perso.yaml").write_text(SPEC)
    return tmp_path


def run(argv: list[str]):
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


@pytest.mark.parametrize("command, kind, argv", ROWS, ids=[f"{c}: {k}" for c, k, _ in ROWS])
def test_every_error_exits_1(workdir, command, kind, argv):
    result = run(argv)
    assert result.exit_code == 1, f"perso {' '.join(argv)} -> {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output and "Internal error" not in result.output
    assert "Error" in result.stderr


JSON_COMMANDS = ["validate", "plan", "apply", "destroy", "drift", "output"]
JSON_ROWS = [(command, kind, argv) for command, kind, argv in ROWS if command in JSON_COMMANDS
             and "--format" not in argv]  # a bad --format value cannot ask for json


@pytest.mark.parametrize("command, kind, argv", JSON_ROWS, ids=[f"{c}: {k}" for c, k, _ in JSON_ROWS])
def test_json_errors_are_one_document_on_stdout(workdir, command, kind, argv):
    result = run([*argv, "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)  # the whole of stdout is one document
    jsonschema.validate(doc, SCHEMA)
    if doc["kind"] == "validate":    # validate's own report carries the error
        assert doc["valid"] is False and doc["error"]
        return
    assert doc["kind"] == "error" and doc["exit_code"] == 1 and doc["command"] == command
    error = doc["error"]
    assert error["message"] and error["message"] in result.stderr
    if kind != "missing file":
        assert error["code"] == "usage_error"
    else:
        assert error["code"] in ("spec_error", "plan_file_error", "error") and "missing" in error["message"]
        assert error["file"] and "missing" in error["file"]


def test_json_error_of_an_invalid_spec_says_where(workdir):
    (workdir / "bad.yaml").write_text(SPEC.replace("version: 1", "version: 1\nbogus_key: 3", 1))
    result = run(["plan", "-f", "bad.yaml", "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    error = doc["error"]
    assert error["code"] == "spec_invalid" and error["file"].endswith("bad.yaml") and error["line"] == 2
    assert error["problems"] and error["problems"][0]["line"] == 2


def test_help_and_version_exit_0(workdir):
    for argv in (["--help"], ["--version"], ["plan", "--help"], ["state", "push", "--help"]):
        assert run(argv).exit_code == 0, argv


def test_a_real_process_exits_1_on_a_usage_error(workdir):
    """Through the console entry point (sys.exit), not only click's test runner."""
    code = "from perso_iac.cli import main; main()"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    for argv in (["drift", "--no-unmanged"], ["plan", "--detailed-exitcode", "--fromat", "markdown"]):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env,
                              cwd=workdir, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout == "" and "No such option" in proc.stderr

"""`perso --help`, `perso validate` and `perso schema` start without boto3, the emulator, jsonschema
or importlib.metadata (and the first and last without PyYAML or rich): heavy modules load in the
commands that need them (the import cost is measured by benchmarks/bench_startup.py, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from perso_iac.cli import main
sys.argv = ["perso", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
def name(m):
    return "perso_iac.emulator" if m.startswith("perso_iac.emulator") else m if m == "importlib.metadata" \
        else m.split(".")[0]
heavy = sorted({name(m) for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "jsonschema", "yaml", "rich")
                or m.startswith("perso_iac.emulator") or m == "importlib.metadata"})
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def probe(argv: list[str], cwd: Path = ROOT, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1", **env}, timeout=300)
    return json.loads(proc.stderr.strip().splitlines()[-1]), proc


@pytest.mark.parametrize(("argv", "loaded"), [
    (["--help"], []), (["schema"], []), (["plan", "--help"], []),
    (["validate", "-f", "examples/movielens/perso.yaml"], ["rich", "yaml"]),  # to read the spec, to print
], ids=["--help", "schema", "plan --help", "validate"])
def test_light_commands_import_neither_boto3_nor_the_emulator(argv, loaded):
    result, proc = probe(argv)
    assert result == {"code": 0, "heavy": loaded}, proc.stderr


def test_a_spec_with_problems_is_reported_by_jsonschema(tmp_path):
    """A valid spec skips jsonschema (the quick check accepts it); one with a structural problem
    goes through jsonschema, whose error is the one reported, located."""
    spec = tmp_path / "perso.yaml"
    spec.write_text("version: 1\nstack: s\nregoin: eu-west-1\n")
    result, proc = probe(["validate", "-f", str(spec)], tmp_path)
    assert result == {"code": 1, "heavy": ["jsonschema", "rich", "yaml"]}, proc.stderr
    assert f"{spec}:3:1" in proc.stderr and "unknown key 'regoin'" in proc.stderr and "did you mean 'region'" \
        in proc.stderr


def test_version_is_looked_up_when_asked():
    result, proc = probe(["--version"])
    assert result == {"code": 0, "heavy": ["importlib.metadata"]}, proc.stderr  # nothing else
    assert proc.stdout.startswith("perso, version ")


def test_the_commands_that_need_boto3_still_get_it(tmp_path):
    """The lazy imports are not skipped: `perso --local plan` builds a client and runs the emulator."""
    result, proc = probe(["--local", "plan", "-f", str(ROOT / "examples" / "tracking" / "perso.yaml")], tmp_path,
                         PERSO_EMULATOR_TIME_SCALE="0")
    assert result["code"] == 0 and {"boto3", "botocore", "perso_iac.emulator"} <= set(result["heavy"]), proc.stderr
    assert "jsonschema" not in result["heavy"], proc.stderr  # a valid spec, even when planned
    assert "Plan:" in proc.stdout

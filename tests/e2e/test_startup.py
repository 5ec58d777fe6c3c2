"""`perso --help`, `perso validate` and `perso schema` start without boto3 or the emulator: heavy
modules load in the commands that need them (the import cost is measured in the report, not here)."""

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
heavy = sorted({m.split(".")[0] if not m.startswith("perso_iac") else "perso_iac.emulator"
                for m in sys.modules if m.split(".")[0] in ("boto3", "botocore") or m.startswith("perso_iac.emulator")})
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["validate", "-f", "examples/movielens/perso.yaml"], ["schema"],
                                  ["plan", "--help"]], ids=" ".join)
def test_light_commands_import_neither_boto3_nor_the_emulator(argv):
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}, timeout=120)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}, proc.stderr


def test_the_commands_that_need_boto3_still_get_it(tmp_path):
    """The lazy imports are not skipped: `perso --local plan` builds a client and runs the emulator."""
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["--local", "plan", "-f", str(
        ROOT / "examples" / "tracking" / "perso.yaml")])], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1", "PERSO_EMULATOR_TIME_SCALE": "0"},
        timeout=300)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": ["boto3", "botocore", "perso_iac.emulator"]}, proc.stderr
    assert "Plan:" in proc.stdout

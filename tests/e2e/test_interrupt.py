"""Ctrl-C during a long apply: perso stops waiting at once, keeps what it did in the state, and
the next apply resumes the wait instead of creating anything twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from e2e_spec import SPEC

from perso_iac.emulator import EmulatorConfig, EmulatorServer

PERSO = [sys.executable, "-c", "from perso_iac.cli import main; main()"]


@pytest.fixture
def slow_emulator():
    # Training takes ~7 s here, so there is a long wait to interrupt.
    with EmulatorServer(EmulatorConfig(time_scale=0.002), port=0) as server:
        yield server


def _control(endpoint: str, body: dict) -> None:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def test_ctrl_c_stops_waiting_promptly_and_the_next_apply_resumes(tmp_path, slow_emulator):
    (tmp_path / "perso.yaml").write_text(SPEC)
    state_path = tmp_path / "state.json"
    env = {**os.environ, "AWS_ENDPOINT_URL_PERSONALIZE": slow_emulator.endpoint_url, "NO_COLOR": "1",
           "PERSO_POLL_INITIAL": "0.05", "PERSO_POLL_MAX": "0.2"}
    args = [*PERSO, "apply", "--auto-approve", "-f", str(tmp_path / "perso.yaml"), "--state", str(state_path)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until training has started
        # During a run, what changed since the last fold is in the journal beside the state file.
        written = [p.read_text() for p in (state_path, tmp_path / "state.json.journal") if p.exists()]
        if any("solution_version.e2e.up" in text for text in written):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("training never started")

    # From now on training takes a real hour: if Ctrl-C waited for it, the apply would not exit.
    _control(slow_emulator.endpoint_url, {"action": "configure", "time_scale": 1})
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert "Interrupted" in output

    journal = tmp_path / "state.json.journal"
    assert not journal.exists() or not journal.read_bytes()  # folded in when the apply ended
    state = json.loads(state_path.read_text())
    version = next(r for r in state["resources"] if r["address"] == "solution_version.e2e.up")
    assert version["arn"] and version["status"] == "pending"

    _control(slow_emulator.endpoint_url, {"action": "configure", "time_scale": 0})
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    client = boto3.client("personalize", endpoint_url=slow_emulator.endpoint_url, region_name="us-east-1")
    solution_arn = client.list_solutions()["solutions"][0]["solutionArn"]
    assert len(client.list_solution_versions(solutionArn=solution_arn)["solutionVersions"]) == 1
    assert len(client.list_campaigns()["campaigns"]) == 1

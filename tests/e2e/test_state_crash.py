"""Crash safety: `perso apply` killed with SIGKILL at several points (right after a create call,
during a wait, between state writes), then run again: the account and the state end up exactly
as after a clean apply. No duplicate resources, none created and forgotten, no corrupt state.

The emulator runs with realistic lifecycles compressed 1000x (training takes 3.6 s), so there is
time to kill the apply where we want it. The kill leaves its lock behind, as a cancelled CI job
would: the next apply on this host sees that its holder is gone, breaks it and says so.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from e2e_spec import SPEC
from test_state_concurrency import perso_env  # a sibling test module (tests/e2e is on sys.path)

from perso_iac.emulator import EmulatorConfig, EmulatorServer
from perso_iac.errors import PersoError
from perso_iac.state.local import LocalBackend

PERSO = [sys.executable, "-c", "from perso_iac.cli import main; main()"]


def perso(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*PERSO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def calls(endpoint: str) -> Counter:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps({"action": "calls"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return Counter(json.loads(response.read())["calls"])


def comparable(state: dict) -> list[dict]:
    """The state's resources, with the timestamps in job names and the recorded creation times (they
    differ between any two runs) masked."""
    text = re.sub(r"-\d{14}[0-9a-f]{4}\b", "-<time>", json.dumps(state["resources"], sort_keys=True))
    text = re.sub(r'"creationDateTime": "[^"]*"', '"creationDateTime": "<time>"', text)
    return sorted(json.loads(text), key=lambda r: r["address"])


def inventory(endpoint: str) -> dict:
    """Everything in the account, by type: names and statuses (job and version ARNs differ per run)."""
    pz = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1")
    out: dict[str, list] = {"schemas": sorted(s["name"] for s in pz.list_schemas()["schemas"])}
    groups = pz.list_dataset_groups()["datasetGroups"]
    out["dataset_groups"] = sorted((g["name"], g["status"]) for g in groups)
    out["datasets"], out["imports"], out["solutions"], out["versions"], out["campaigns"] = [], [], [], [], []
    for group in groups:
        arn = group["datasetGroupArn"]
        for ds in pz.list_datasets(datasetGroupArn=arn)["datasets"]:
            out["datasets"].append((ds["name"], ds["status"]))
            jobs = pz.list_dataset_import_jobs(datasetArn=ds["datasetArn"])["datasetImportJobs"]
            out["imports"] += [j["status"] for j in jobs]
        for sol in pz.list_solutions(datasetGroupArn=arn)["solutions"]:
            out["solutions"].append((sol["name"], sol["status"]))
            versions = pz.list_solution_versions(solutionArn=sol["solutionArn"])["solutionVersions"]
            out["versions"] += [v["status"] for v in versions]
            for camp in pz.list_campaigns(solutionArn=sol["solutionArn"])["campaigns"]:
                out["campaigns"].append((camp["name"], camp["status"]))
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture
def emulator_slow() -> Iterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig(time_scale=0.001), port=0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[dict, dict]:
    """What a clean apply leaves: the account inventory and the state's resources."""
    directory = tmp_path_factory.mktemp("clean")
    (directory / "perso.yaml").write_text(SPEC)
    server = EmulatorServer(EmulatorConfig(time_scale=0.001), port=0).start()
    try:
        env = perso_env(server.endpoint_url)
        result = perso(["apply", "--auto-approve", "--state", "state.json"], directory, env)
        assert result.returncode == 0, result.stderr
        state = json.loads((directory / "state.json").read_text())
        return inventory(server.endpoint_url), state
    finally:
        server.stop()


def _after_call(op: str, count: int = 1, then: float = 0.0) -> Callable[[str, Path], bool]:
    def reached(endpoint: str, state: Path) -> bool:
        if calls(endpoint)[op] >= count:
            time.sleep(then)
            return True
        return False
    return reached


def _at_serial(serial: int) -> Callable[[str, Path], bool]:
    def reached(endpoint: str, state: Path) -> bool:
        try:  # the state file and the journal of the writes since it was last folded
            return LocalBackend(state, stack="e2e").read().serial >= serial
        except PersoError:
            return False
    return reached


def _journal_lines(count: int) -> Callable[[str, Path], bool]:
    def reached(endpoint: str, state: Path) -> bool:
        try:
            return Path(f"{state}.journal").read_bytes().count(b"\n") >= count
        except OSError:
            return False
    return reached


KILL_POINTS = {
    "right after CreateDatasetGroup": _after_call("CreateDatasetGroup"),
    "right after CreateDataset": _after_call("CreateDataset"),
    "waiting for the data import": _after_call("CreateDatasetImportJob", then=0.2),
    "right after CreateSolutionVersion": _after_call("CreateSolutionVersion"),
    "waiting for training": _after_call("CreateSolutionVersion", then=1.5),
    "right after CreateCampaign": _after_call("CreateCampaign"),
    "between state writes (serial 3)": _at_serial(3),
    "between state writes (serial 6)": _at_serial(6),
    "with writes in the journal": _journal_lines(2),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_apply_killed_then_rerun_converges_to_a_clean_apply(point, tmp_path, emulator_slow, clean):
    clean_inventory, clean_state = clean
    (tmp_path / "perso.yaml").write_text(SPEC)
    state = tmp_path / "state.json"
    endpoint = emulator_slow.endpoint_url
    env = perso_env(endpoint)
    proc = subprocess.Popen([*PERSO, "apply", "--auto-approve", "--state", "state.json"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reached = KILL_POINTS[point]
    deadline = time.monotonic() + 120
    while True:
        if reached(endpoint, state):
            if point != "with writes in the journal":
                break
            os.kill(proc.pid, signal.SIGSTOP)  # frozen, then looked at again: no fold in between
            if reached(endpoint, state):
                break
            os.kill(proc.pid, signal.SIGCONT)
        assert proc.poll() is None, f"apply ended before the kill point: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()

    # Whatever was written is a whole state (atomic writes, whole journal lines), and the dead run's
    # lock is left behind.
    if state.exists():
        json.loads(state.read_text())
        killed = LocalBackend(state, stack="e2e").read()
        assert killed.serial >= json.loads(state.read_text())["serial"]
    journal = Path(f"{state}.journal")
    if point == "with writes in the journal":
        assert journal.read_bytes().count(b"\n") >= 2  # the next run starts from the journal's writes
    assert Path(f"{state}.lock").exists()
    again = perso(["apply", "--auto-approve", "--state", "state.json"], tmp_path, env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "note: broke the lock" in again.stderr and f"(pid {proc.pid}, 'apply' since" in again.stderr
    assert "is no longer running on this host" in again.stderr
    plan = perso(["plan", "--detailed-exitcode", "--state", "state.json"], tmp_path, env)
    assert plan.returncode == 0, plan.stdout[-3000:]

    assert inventory(endpoint) == clean_inventory
    final = json.loads(state.read_text())
    assert comparable(final) == comparable(clean_state)
    assert all(r["arn"] and r["status"] == "ready" for r in final["resources"])
    assert not Path(f"{state}.lock").exists()
    assert not journal.exists() or not journal.read_bytes()  # folded into the state file at the end


def test_apply_terminated_like_a_cancelled_ci_job_releases_its_lock_and_resumes(tmp_path, emulator_slow, clean):
    """SIGTERM (what CI runners send before SIGKILL) unwinds: the lock is released, finished steps
    are in the state, and the next apply needs no `perso state unlock`."""
    clean_inventory, clean_state = clean
    (tmp_path / "perso.yaml").write_text(SPEC)
    endpoint = emulator_slow.endpoint_url
    env = perso_env(endpoint)
    proc = subprocess.Popen([*PERSO, "apply", "--auto-approve", "--state", "state.json"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reached = _after_call("CreateSolutionVersion", then=0.5)
    deadline = time.monotonic() + 120
    while not reached(endpoint, tmp_path / "state.json"):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "state.json.lock").exists()
    again = perso(["apply", "--auto-approve", "--state", "state.json"], tmp_path, env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert inventory(endpoint) == clean_inventory
    assert comparable(json.loads((tmp_path / "state.json").read_text())) == comparable(clean_state)

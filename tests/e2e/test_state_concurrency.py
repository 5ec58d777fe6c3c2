"""N `perso apply` processes on one state at once: exactly one proceeds, the others fail fast
naming the holder. Real processes, the emulator over HTTP, state in a local file or on moto's S3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_spec import SPEC

from perso_iac.emulator import EmulatorConfig, EmulatorServer

# The same small stack the other end-to-end tests apply (schema, group, dataset + import, solution +
# training, campaign): its waits are what a kill or a race must survive.
PROCESSES = 5


@pytest.fixture
def slow_emulator() -> Iterator[EmulatorServer]:
    """Lifecycles take seconds (an hour of training: 3.6 s), so the applies overlap."""
    server = EmulatorServer(EmulatorConfig(time_scale=0.001), port=0).start()
    try:
        yield server
    finally:
        server.stop()


def configure(endpoint: str, **settings: float) -> None:
    body = json.dumps({"action": "configure", **settings}).encode()
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=body, method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def perso_env(endpoint: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AWS_ENDPOINT_URL_PERSONALIZE": endpoint, "PERSO_POLL_INITIAL": "0.05",
           "PERSO_POLL_MAX": "0.2", "NO_COLOR": "1", **extra}
    env.pop("PERSO_LOCK_TIMEOUT", None)
    return env


def perso_process(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from perso_iac.cli import main; main()", *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_parallel_applies_one_proceeds_the_others_fail_fast_naming_the_holder(where, tmp_path, slow_emulator,
                                                                               request):
    (tmp_path / "perso.yaml").write_text(SPEC)
    env = perso_env(slow_emulator.endpoint_url)
    if where == "s3":
        env["AWS_ENDPOINT_URL_S3"] = request.getfixturevalue("s3_endpoint")
        state = f"s3://{request.getfixturevalue('s3_bucket')}/perso/race.json"
    else:
        state = str(tmp_path / "state.json")
    args = ["apply", "--auto-approve", "-f", "perso.yaml", "--state", state]
    procs = [perso_process(args, tmp_path, env) for _ in range(PROCESSES)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append((proc, proc.returncode, out, err))
    winners = [r for r in results if r[1] == 0]
    losers = [r for r in results if r[1] != 0]
    assert len(winners) == 1, [(r[1], r[3][-500:]) for r in results]
    winner = winners[0][0]
    for _, code, _out, err in losers:
        assert code == 1 and "Traceback" not in err
        assert "is locked" in err and f"pid {winner.pid}" in err and "'apply'" in err
        assert "perso state unlock" in err
    plan = subprocess.run([sys.executable, "-c", "from perso_iac.cli import main; main()", "plan",
                           "--detailed-exitcode", "-f", "perso.yaml", "--state", state],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_losers_fail_before_the_winner_finishes(tmp_path, slow_emulator):
    """Timing, separately: a loser exits while the winner still holds the lock."""
    (tmp_path / "perso.yaml").write_text(SPEC)
    env = perso_env(slow_emulator.endpoint_url)
    state = tmp_path / "state.json"
    args = ["apply", "--auto-approve", "-f", "perso.yaml", "--state", str(state)]
    first = perso_process(args, tmp_path, env)
    lock = Path(str(state) + ".lock")
    deadline = time.monotonic() + 60
    while not lock.exists():
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.02)
    # The winner's training now takes a real hour: however slowly the loser starts, it meets the lock.
    configure(slow_emulator.endpoint_url, time_scale=1)
    second = perso_process(args, tmp_path, env)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 1 and f"pid {first.pid}" in err
    assert first.poll() is None, "the winner should still be applying when the loser has given up"
    configure(slow_emulator.endpoint_url, time_scale=0)
    out, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    assert not lock.exists()

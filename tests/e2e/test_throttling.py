"""Plan, apply and drift converge while Personalize throttles half of all calls (seeded)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from click.testing import CliRunner
from e2e_spec import SPEC

from perso_iac.cli import cli
from perso_iac.emulator import EmulatorConfig, EmulatorServer
from perso_iac.retry import RetryPolicy, retryable


def throttled_calls(endpoint: str) -> int:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps({"action": "calls"}).encode(),
                                     method="POST")
    with urllib.request.urlopen(request) as response:
        return sum(json.load(response)["throttled"].values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plan_apply_and_drift_converge_at_a_50_percent_throttle_rate(tmp_path, monkeypatch, seed):
    (tmp_path / "perso.yaml").write_text(SPEC)
    monkeypatch.setenv("PERSO_RETRY_BASE", "0.001")   # the emulator's clock, not AWS's
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    with EmulatorServer(EmulatorConfig(time_scale=0, throttle_rate=0.5, seed=seed), port=0) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", server.endpoint_url)
        files = ["-f", str(tmp_path / "perso.yaml"), "--state", str(tmp_path / "state.json")]
        for command in (["plan"], ["apply", "--auto-approve"], ["plan", "--detailed-exitcode"], ["drift"]):
            result = CliRunner().invoke(cli, [*command, *files], catch_exceptions=False)
            assert result.exit_code == 0, f"{command}: {result.output}"
        assert throttled_calls(server.endpoint_url) > 20   # the throttling really happened


class Http:
    def __init__(self, status: int) -> None:
        self.status_code = status


@pytest.mark.parametrize(("status", "code", "retried"), [
    (400, "ThrottlingException", True),          # Personalize's control-plane rate limit
    (500, "InternalFailure", True),
    (503, "ServiceUnavailable", True),
    (400, "LimitExceededException", False),       # a quota: retrying cannot help
    (400, "InvalidInputException", False),
    (400, "ResourceInUseException", False),       # apply's own waits handle this one
    (404, "ResourceNotFoundException", False),
])
def test_which_answers_are_retried(status, code, retried):
    assert retryable((Http(status), {"Error": {"Code": code}}), None) is retried


def test_backoff_is_bounded_and_gives_up_after_max_attempts():
    policy = RetryPolicy(max_attempts=4, base=1.0, cap=3.0)
    throttled = (Http(400), {"Error": {"Code": "ThrottlingException"}})
    delays = [policy.needs_retry(response=throttled, attempts=n) for n in (1, 2, 3)]
    assert all(d is not None and 0 <= d <= 3.0 for d in delays)
    assert policy.needs_retry(response=throttled, attempts=4) is None

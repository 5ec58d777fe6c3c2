"""Fault injection, the control endpoint, configuration from the environment, persistence."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config
from emulator_helpers import USERS, control, full_chain, raw_post, wait
from shape_checked import checked_client

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock

NO_RETRY = Config(retries={"total_max_attempts": 1})


def _throttled_count(rate: float, seed: int, n: int = 40) -> list[bool]:
    with EmulatorServer(EmulatorConfig(time_scale=0, throttle_rate=rate, seed=seed)) as server:
        c = boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1", config=NO_RETRY)
        out = []
        for _ in range(n):
            try:
                c.list_schemas()
                out.append(False)
            except c.exceptions.ClientError as err:
                assert err.response["Error"]["Code"] == "ThrottlingException"
                assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                out.append(True)
        return out


def test_throttling_is_deterministic_for_a_seed():
    first = _throttled_count(0.5, seed=7)
    assert first == _throttled_count(0.5, seed=7)
    assert 5 < sum(first) < 35


def test_boto3_retries_through_throttling():
    with EmulatorServer(EmulatorConfig(time_scale=0, throttle_rate=0.3, seed=2)) as server:
        c = boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1",
                         config=Config(retries={"mode": "standard", "total_max_attempts": 10}))
        for i in range(3):
            c.create_schema(name=f"s{i}", schema=USERS)
        calls = control(server.endpoint_url, {"action": "calls"})
        assert calls["calls"]["CreateSchema"] > 3 and calls["throttled"]["CreateSchema"] > 0


def test_latency_is_added_per_request():
    with EmulatorServer(EmulatorConfig(time_scale=0, latency_ms=60)) as server:
        c = boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1")
        c.list_schemas()
        start = time.perf_counter()
        c.list_schemas()
        assert time.perf_counter() - start >= 0.06


def test_forced_failure_rules_by_type_and_name():
    cfg = EmulatorConfig(time_scale=0, fail=["campaign:canary-*", "solution_version:*"])
    with EmulatorServer(cfg) as server:
        c = checked_client(server.endpoint_url)
        group = c.create_dataset_group(name="g")["datasetGroupArn"]
        assert wait(c.describe_dataset_group, "datasetGroup", datasetGroupArn=group)[0] == "ACTIVE"
        sol = c.create_solution(name="s", datasetGroupArn=group,
                                recipeArn="arn:aws:personalize:::recipe/aws-sims")["solutionArn"]
        wait(c.describe_solution, "solution", solutionArn=sol)
        ver = c.create_solution_version(solutionArn=sol)["solutionVersionArn"]
        status, seen = wait(c.describe_solution_version, "solutionVersion", solutionVersionArn=ver)
        assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE FAILED"]
        reason = c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]["failureReason"]
        assert "solution_version:*" in reason
        assert c.shape_checker.problems == []


def test_config_from_env_and_validation(monkeypatch):
    monkeypatch.setenv("PERSO_EMULATOR_TIME_SCALE", "0.5")
    monkeypatch.setenv("PERSO_EMULATOR_LATENCY_MS", "3")
    monkeypatch.setenv("PERSO_EMULATOR_THROTTLE_RATE", "0.25")
    monkeypatch.setenv("PERSO_EMULATOR_FAIL", "campaign:*, solution:x-*")
    cfg = EmulatorConfig.from_env()
    assert (cfg.time_scale, cfg.latency_ms, cfg.throttle_rate) == (0.5, 3.0, 0.25)
    assert cfg.fail == ("campaign:*", "solution:x-*")
    assert EmulatorConfig.from_env(time_scale=2).time_scale == 2.0
    with pytest.raises(ValueError):
        EmulatorConfig(fail=["teapot:*"])
    with pytest.raises(ValueError):
        EmulatorConfig(quotas={"unicorns": 1})
    with pytest.raises(ValueError):
        EmulatorConfig(throttle_rate=2)


# ---------------------------------------------------------------------------- control endpoint


def test_control_advance_configure_calls_reset():
    clock = VirtualClock(start=1000)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock)) as server:
        url = server.endpoint_url
        c = checked_client(url)
        arn = c.create_dataset_group(name="g")["datasetGroupArn"]
        assert control(url, {"action": "advance", "seconds": 60})["now"] == 1060
        assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"
        cfg = control(url, {"action": "configure", "time_scale": 0, "fail": ["dataset_group:*"]})["config"]
        assert cfg["time_scale"] == 0 and cfg["fail"] == ["dataset_group:*"]
        failed = c.create_dataset_group(name="h")["datasetGroupArn"]
        assert wait(c.describe_dataset_group, "datasetGroup", datasetGroupArn=failed)[0] == "CREATE FAILED"
        calls = control(url, {"action": "calls"})
        assert calls["calls"]["CreateDatasetGroup"] == 2 and calls["total"] == sum(calls["calls"].values())
        assert control(url, {"action": "calls", "reset": True})["total"] > 0
        assert control(url, {"action": "calls"})["total"] == 0
        control(url, {"action": "reset"})
        assert c.list_dataset_groups()["datasetGroups"] == []


def test_control_errors_are_json(emulator):
    status, body = raw_post(emulator.endpoint_url, json.dumps({"action": "explode"}), target=None, auth=None,
                            path="/_perso/control")
    assert status == 400 and body["__type"] == "InvalidInputException"
    status, body = raw_post(emulator.endpoint_url, "nope", target=None, auth=None, path="/_perso/control")
    assert status == 400 and body["__type"] == "SerializationException"
    status, body = raw_post(emulator.endpoint_url, json.dumps({"action": "configure", "fail": ["x"]}), target=None,
                            auth=None, path="/_perso/control")
    assert status == 400


def test_advance_with_system_clock_adds_an_offset():
    with EmulatorServer(EmulatorConfig(time_scale=1)) as server:
        c = checked_client(server.endpoint_url)
        arn = c.create_dataset_group(name="g")["datasetGroupArn"]
        control(server.endpoint_url, {"action": "advance", "seconds": 61})
        assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"


# ---------------------------------------------------------------------------- persistence


def test_account_persists_across_servers_sharing_a_data_dir(tmp_path):
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as first:
        chain = full_chain(checked_client(first.endpoint_url))
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as second:
        c = checked_client(second.endpoint_url)
        assert c.describe_campaign(campaignArn=chain["campaign"])["campaign"]["status"] == "ACTIVE"
        assert [g["datasetGroupArn"] for g in c.list_dataset_groups()["datasetGroups"]] == [chain["group"]]
        with pytest.raises(c.exceptions.ResourceAlreadyExistsException):
            c.create_dataset_group(name="p-group")


def test_two_live_servers_on_one_data_dir_see_each_other(tmp_path):
    cfg = {"time_scale": 0, "data_dir": tmp_path}
    with EmulatorServer(EmulatorConfig(**cfg)) as a, EmulatorServer(EmulatorConfig(**cfg)) as b:
        ca, cb = checked_client(a.endpoint_url), checked_client(b.endpoint_url)
        ca.create_schema(name="from-a", schema=USERS)
        cb.create_schema(name="from-b", schema=USERS)
        assert {s["name"] for s in ca.list_schemas()["schemas"]} == {"from-a", "from-b"}


def test_lifecycles_continue_across_restarts_with_the_clock(tmp_path):
    clock = VirtualClock(start=5000)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock, data_dir=tmp_path)) as server:
        arn = checked_client(server.endpoint_url).create_dataset_group(name="g")["datasetGroupArn"]
    clock.advance(120)
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock, data_dir=tmp_path)) as server:
        assert checked_client(server.endpoint_url).describe_dataset_group(datasetGroupArn=arn)["datasetGroup"][
            "status"] == "ACTIVE"


def test_separate_processes_share_the_account(tmp_path):
    script = (
        "import boto3,sys\n"
        "from perso_iac.emulator import EmulatorConfig, EmulatorServer\n"
        "with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=sys.argv[1])) as s:\n"
        "    c = boto3.client('personalize', endpoint_url=s.endpoint_url, region_name='us-east-1')\n"
        "    c.create_dataset_group(name='from-child')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=60)
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        names = [g["name"] for g in checked_client(server.endpoint_url).list_dataset_groups()["datasetGroups"]]
    assert names == ["from-child"]


def test_failed_request_leaves_store_untouched(tmp_path):
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path)) as server:
        c = checked_client(server.endpoint_url)
        c.create_schema(name="s", schema=USERS)
        path = next(tmp_path.glob("personalize-*.json"))
        before = path.read_text()
        with pytest.raises(c.exceptions.ResourceAlreadyExistsException):
            c.create_schema(name="s", schema=USERS)
        raw_post(server.endpoint_url, b"{broken")
        assert path.read_text() == before
        assert json.loads(before)["resources"]
        assert not list(tmp_path.glob(".tmp-*"))

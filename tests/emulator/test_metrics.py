"""GetSolutionMetrics like real AWS (issue 15 item 1): exactly the 8 keys, in AWS's order, 4 decimals,
an error for versions that are not ACTIVE, deterministic per version and settable per version (or for
a solution's next versions) through the control endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_helpers import (
    create_dataset,
    create_group,
    create_solution,
    full_chain,
    import_data,
    raw_post,
    train,
)

from perso_iac.emulator import EmulatorConfig, EmulatorServer
from perso_iac.emulator.ops.metrics import METRIC_NAMES, NOT_ACTIVE_MESSAGE

REAL = Path("/work/shared/reference/real-aws/responses")
# get_solution_metrics__amazon-personalize-immersion-day__1.json (2021, user-personalization)
REAL_KEYS = ["coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_10",
             "normalized_discounted_cumulative_gain_at_25", "normalized_discounted_cumulative_gain_at_5",
             "precision_at_10", "precision_at_25", "precision_at_5"]


def _control(endpoint: str, payload: dict) -> tuple[int, dict]:
    return raw_post(endpoint, json.dumps(payload), target=None, auth=None, path="/_perso/control")


def test_the_8_keys_in_aws_order_rounded_to_4_decimals(emulator, client):
    chain = full_chain(client)
    status, body = raw_post(emulator.endpoint_url, json.dumps({"solutionVersionArn": chain["version"]}),
                            target="AmazonPersonalize.GetSolutionMetrics")
    assert status == 200 and list(body) == ["solutionVersionArn", "metrics"]
    assert list(body["metrics"]) == REAL_KEYS == list(METRIC_NAMES)
    for value in body["metrics"].values():
        assert 0 <= value <= 1 and round(value, 4) == value
    # deterministic: the same version answers the same metrics every time
    assert client.get_solution_metrics(solutionVersionArn=chain["version"])["metrics"] == body["metrics"]


@pytest.mark.skipif(not REAL.is_dir(), reason="reference corpus not on this machine")
def test_key_order_matches_the_real_responses():
    files = sorted(REAL.glob("get_solution_metrics__*.json"))
    orders = [list(json.loads(f.read_text())["metrics"]) for f in files]
    assert sum(order == REAL_KEYS for order in orders) >= len(orders) - 1


def test_versions_that_are_not_active_are_refused_with_aws_message(client):
    group = create_group(client)
    import_data(client, create_dataset(client, group))
    sol = create_solution(client, group)
    pending = client.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    with pytest.raises(client.exceptions.ResourceInUseException) as err:
        client.get_solution_metrics(solutionVersionArn=pending)
    assert err.value.response["Error"]["Message"] == NOT_ACTIVE_MESSAGE
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_solution_metrics(solutionVersionArn=sol + "/deadbeef")


def test_set_one_versions_metrics_partially_or_by_scale(emulator, client):
    chain = full_chain(client)
    version = chain["version"]
    derived = client.get_solution_metrics(solutionVersionArn=version)["metrics"]
    status, body = _control(emulator.endpoint_url, {"action": "metrics", "solutionVersionArn": version,
                                                    "metrics": {"normalized_discounted_cumulative_gain_at_10": 0.01}})
    assert status == 200
    got = client.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert got == body["metrics"]
    assert got["normalized_discounted_cumulative_gain_at_10"] == 0.01
    assert {k: v for k, v in got.items() if k != "normalized_discounted_cumulative_gain_at_10"} == {
        k: v for k, v in derived.items() if k != "normalized_discounted_cumulative_gain_at_10"}
    _control(emulator.endpoint_url, {"action": "metrics", "solutionVersionArn": version, "scale": 0.5})
    halved = client.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert halved == {k: round(v * 0.5, 4) for k, v in derived.items()}
    assert list(halved) == REAL_KEYS
    _control(emulator.endpoint_url, {"action": "metrics", "solutionVersionArn": version, "clear": True})
    assert client.get_solution_metrics(solutionVersionArn=version)["metrics"] == derived


def test_a_rule_on_a_solution_makes_its_next_versions_regress(emulator, client):
    """What a promotion-gate test needs: the retrain an apply is about to run comes out worse."""
    chain = full_chain(client)
    before = client.get_solution_metrics(solutionVersionArn=chain["version"])["metrics"]
    status, body = _control(emulator.endpoint_url, {"action": "metrics", "solution": "p-solution",
                                                    "metrics": {"precision_at_25": 0.0}, "scale": 0.1})
    assert status == 200 and body["solutionArn"] == chain["solution"]
    retrained = train(client, chain["solution"])
    worse = client.get_solution_metrics(solutionVersionArn=retrained)["metrics"]
    assert worse["precision_at_25"] == 0.0
    assert worse["coverage"] < before["coverage"] or before["coverage"] == 0
    # the version trained before the rule keeps its metrics
    assert client.get_solution_metrics(solutionVersionArn=chain["version"])["metrics"] == before
    _control(emulator.endpoint_url, {"action": "metrics", "solution": chain["solution"], "clear": True})
    again = train(client, chain["solution"])
    assert client.get_solution_metrics(solutionVersionArn=again)["metrics"]["precision_at_25"] > 0


def test_metrics_overrides_persist_with_a_data_dir(tmp_path):
    cfg = {"time_scale": 0, "data_dir": tmp_path}
    with EmulatorServer(EmulatorConfig(**cfg)) as server:
        from shape_checked import checked_client

        c = checked_client(server.endpoint_url)
        version = full_chain(c)["version"]
        _control(server.endpoint_url, {"action": "metrics", "solutionVersionArn": version, "metrics": {"coverage": 0.5}})
    with EmulatorServer(EmulatorConfig(**cfg)) as server:
        c = checked_client(server.endpoint_url)
        assert c.get_solution_metrics(solutionVersionArn=version)["metrics"]["coverage"] == 0.5


@pytest.mark.parametrize("payload,fragment", [
    ({"metrics": {"ndcg": 0.1}}, "unknown metrics"),
    ({"metrics": {"coverage": 1.5}}, "between 0 and 1"),
    ({"metrics": {"coverage": "high"}}, "between 0 and 1"),
    ({"metrics": [0.1]}, "must be an object"),
    ({"scale": -1}, "scale"),
    ({"scale": 1e308}, "scale"),
    ({}, "give metrics"),
])
def test_bad_metrics_payloads_are_refused(emulator, client, payload, fragment):
    chain = full_chain(client)
    status, body = _control(emulator.endpoint_url, {"action": "metrics", "solutionVersionArn": chain["version"],
                                                    **payload})
    assert status == 400 and fragment in body["message"], body


def test_metrics_for_unknown_targets_are_refused(emulator, client):
    status, body = _control(emulator.endpoint_url, {"action": "metrics", "solution": "nope", "scale": 1})
    assert (status, body["__type"]) == (400, "ResourceNotFoundException")
    status, body = _control(emulator.endpoint_url, {"action": "metrics", "scale": 1})
    assert status == 400 and "solutionVersionArn" in body["message"]

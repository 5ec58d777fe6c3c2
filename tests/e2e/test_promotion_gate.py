"""Promotion gates end to end: a retrain whose offline metrics pass moves the campaign; one that
regresses beyond max_drop is held back (campaign still on the old version, exit 1, the failing
metric named), the next apply without new data neither retrains nor fails, and --promote moves it."""

from __future__ import annotations

import json
import re
import urllib.request

import boto3
import pytest
from e2e_spec import SPEC

GATED = SPEC.replace("variables:\n", "variables:\n  day: {default: d1}\n").replace(
    'dataLocation: "s3://perso-e2e/interactions.csv"', 'dataLocation: "s3://perso-e2e/${var.day}/interactions.csv"'
).replace("        minProvisionedTPS: ${var.tps}\n", """        minProvisionedTPS: ${var.tps}
        promotion:
          min: {coverage: 0.01}
          max_drop: {precision_at_10: "5%", normalized_discounted_cumulative_gain_at_10: 0.02}
""")
CAMPAIGN, VERSION = "campaign.e2e.main", "solution_version.e2e.up"


def control(endpoint: str, payload: dict) -> dict:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps(payload).encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@pytest.fixture
def gated(stack):
    stack.spec.write_text(GATED)
    assert "promotion" in GATED and "${var.day}" in GATED
    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return stack


def serving(stack) -> str:
    arn = {r["address"]: r["arn"] for r in stack.state()["resources"]}[CAMPAIGN]
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    return client.describe_campaign(campaignArn=arn)["campaign"]["solutionVersionArn"]


def version(stack) -> str:
    return {r["address"]: r["arn"] for r in stack.state()["resources"]}[VERSION]


def test_a_retrain_that_passes_the_gate_moves_the_campaign(gated):
    first = serving(gated)
    applied = gated.perso("apply", "--auto-approve", "--var", "day=d2")
    assert applied.exit_code == 0, applied.output
    assert serving(gated) == version(gated) != first


def test_a_regressed_retrain_is_held_back_and_not_retrained_again(gated):
    first = serving(gated)
    control(gated.endpoint, {"action": "metrics", "solution": "e2e-up", "scale": 0.5})   # the next versions regress

    held = gated.perso("apply", "--auto-approve", "--var", "day=d2")
    assert held.exit_code == 1, held.output
    assert "promotion gate failed" in held.output and "precision_at_10" in held.output
    assert re.search(r"precision_at_10 0\.\d{4} -> 0\.\d{4} \(-(49|50|51)\.\d%\) \(max_drop 5%\)", held.output)
    candidate = version(gated)
    assert candidate != first and serving(gated) == first          # trained, recorded, not served

    again = gated.perso("plan", "--detailed-exitcode", "--var", "day=d2")
    assert again.exit_code == 0, again.output                     # nothing to do: no retrain, no retry
    assert "held" in again.output and f"--promote {CAMPAIGN}" in again.output
    quiet = gated.perso("apply", "--auto-approve", "--var", "day=d2")
    assert quiet.exit_code == 0, quiet.output
    assert version(gated) == candidate and serving(gated) == first

    forced = gated.perso("apply", "--auto-approve", "--var", "day=d2", "--promote", CAMPAIGN)
    assert forced.exit_code == 0, forced.output
    assert serving(gated) == candidate
    assert gated.perso("plan", "--detailed-exitcode", "--var", "day=d2").exit_code == 0


def test_a_held_campaign_moves_when_new_data_trains_a_version_that_passes(gated):
    first = serving(gated)
    control(gated.endpoint, {"action": "metrics", "solution": "e2e-up", "scale": 0.5})
    assert gated.perso("apply", "--auto-approve", "--var", "day=d2").exit_code == 1
    control(gated.endpoint, {"action": "metrics", "solution": "e2e-up", "clear": True})
    applied = gated.perso("apply", "--auto-approve", "--var", "day=d3")
    assert applied.exit_code == 0, applied.output
    assert serving(gated) == version(gated) != first
    assert "held" not in json.dumps(gated.state()["resources"])


def test_other_changes_still_apply_while_the_candidate_is_held(gated):
    first = serving(gated)
    control(gated.endpoint, {"action": "metrics", "solution": "e2e-up", "scale": 0.5})
    assert gated.perso("apply", "--auto-approve", "--var", "day=d2").exit_code == 1
    applied = gated.perso("apply", "--auto-approve", "--var", "day=d2", "--var", "tps=3")
    assert applied.exit_code == 0, applied.output
    arn = {r["address"]: r["arn"] for r in gated.state()["resources"]}[CAMPAIGN]
    client = boto3.client("personalize", endpoint_url=gated.endpoint, region_name="us-east-1")
    campaign = client.describe_campaign(campaignArn=arn)["campaign"]
    assert campaign["minProvisionedTPS"] == 3 and serving(gated) == first


def test_perso_metrics_lists_versions_serving_and_newest_with_deltas(gated):
    first = serving(gated)
    control(gated.endpoint, {"action": "metrics", "solution": "e2e-up", "scale": 0.5})
    assert gated.perso("apply", "--auto-approve", "--var", "day=d2").exit_code == 1
    candidate = version(gated)

    result = gated.perso("metrics", "--format", "json")
    assert result.exit_code == 0, result.output
    (model,) = json.loads(result.output)["models"]
    assert model["address"] == "solution.e2e.up"
    assert model["serving"] == {CAMPAIGN: first} and model["newest"] == candidate
    assert [v["arn"] for v in model["versions"]] == [candidate, first]
    assert all(len(v["metrics"]) == 8 for v in model["versions"])
    assert model["deltas"][CAMPAIGN]["precision_at_10"] < 0          # the candidate regressed

    text = gated.perso("metrics")
    assert "solution.e2e.up" in text.output and f"serving ({CAMPAIGN})" in text.output and "newest" in text.output
    assert f"newest vs {CAMPAIGN}: coverage -" in text.output


def test_the_markdown_plan_shows_the_metrics_when_a_campaign_would_change_version(gated):
    markdown = gated.perso("plan", "--format", "markdown", "--var", "day=d2")
    assert markdown.exit_code == 0, markdown.output
    assert "### Offline metrics" in markdown.output and "| version | status | coverage | p@10 |" in markdown.output
    unchanged = gated.perso("plan", "--format", "markdown", "--var", "tps=2")
    assert "### Offline metrics" not in unchanged.output                # no version change, no table

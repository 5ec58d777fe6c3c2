"""Tags are read 100 resources per call (issue 11): a refresh asks the Resource Groups Tagging API
(tag:GetResources) for the tags of every taggable resource at once, and asks Personalize
(ListTagsForResource) only about a resource whose batched answer disagrees with the state. So a
no-op plan makes about one call per resource, an outside tag change is still reverted, a lagging
Tagging API index never invents a change, and without the tag:GetResources permission every tag is
read one by one as before."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest


def control(stack, **payload) -> dict:
    request = urllib.request.Request(f"{stack.endpoint}/_perso/control", data=json.dumps(payload).encode())
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def calls_of(stack, action) -> dict[str, int]:
    """The API calls `action()` made, by operation."""
    control(stack, action="calls", reset=True)
    action()
    return control(stack, action="calls")["calls"]


def plan(stack) -> tuple[int, str]:
    result = stack.perso("plan", "--detailed-exitcode")
    return result.exit_code, result.output


def arn(stack, address: str) -> str:
    return next(r["arn"] for r in stack.state()["resources"] if r["address"] == address)


@pytest.fixture
def applied(stack):
    line = "        minProvisionedTPS: ${var.tps}\n"
    assert line in stack.spec.read_text()
    stack.spec.write_text(stack.spec.read_text().replace(line, line + "        tags: {tier: gold}\n"))
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return stack


def test_a_no_op_plan_reads_every_tag_in_one_call(applied):
    outcome: list = []
    calls = calls_of(applied, lambda: outcome.append(plan(applied)))
    assert outcome[0][0] == 0, outcome[0][1]
    described = sum(n for op, n in calls.items() if op.startswith("Describe"))
    assert calls.get("GetResources") == 1
    assert "ListTagsForResource" not in calls, calls
    # One describe per resource, one tag read in all, and the check that the state is this account's.
    assert sum(calls.values()) == described + 1 + calls.get("ListDatasetGroups", 0) == described + 2, calls


def test_an_outside_tag_change_is_confirmed_with_personalize_and_reverted(applied):
    personalize = boto3.client("personalize", endpoint_url=applied.endpoint, region_name="us-east-1")
    campaign = arn(applied, "campaign.e2e.main")
    personalize.tag_resource(resourceArn=campaign, tags=[{"tagKey": "tier", "tagValue": "bronze"}])
    outcome: list = []
    calls = calls_of(applied, lambda: outcome.append(plan(applied)))
    code, text = outcome[0]
    assert code == 2 and "campaign.e2e.main" in text and "bronze" in text, text
    assert calls.get("ListTagsForResource") == 1, calls  # only the one that disagreed
    assert applied.perso("apply", "--auto-approve").exit_code == 0
    live = personalize.list_tags_for_resource(resourceArn=campaign)["tags"]
    assert live == [{"tagKey": "tier", "tagValue": "gold"}]
    assert plan(applied)[0] == 0


def test_a_lagging_tagging_index_never_invents_a_change(applied):
    control(applied, action="configure", tagging_lag=True)  # the index keeps showing tier: gold
    spec = applied.spec.read_text().replace("tags: {tier: gold}", "tags: {tier: platinum}")
    applied.spec.write_text(spec)
    assert applied.perso("apply", "--auto-approve").exit_code == 0
    code, text = plan(applied)  # the index disagrees with the state: Personalize is asked, and agrees
    assert code == 0, text
    # An outside change the index has not caught up with is seen once it has.
    personalize = boto3.client("personalize", endpoint_url=applied.endpoint, region_name="us-east-1")
    personalize.tag_resource(resourceArn=arn(applied, "dataset_group.e2e"),
                             tags=[{"tagKey": "team", "tagValue": "search"}])
    control(applied, action="configure", tagging_lag=False)
    code, text = plan(applied)
    assert code == 2 and "search" in text, text


def test_without_the_tag_get_resources_permission_each_tag_is_read_alone(applied):
    control(applied, action="configure", deny=["tag:GetResources"])
    personalize = boto3.client("personalize", endpoint_url=applied.endpoint, region_name="us-east-1")
    personalize.tag_resource(resourceArn=arn(applied, "dataset_group.e2e"), tags=[{"tagKey": "owner", "tagValue": "bob"}])
    outcome: list = []
    calls = calls_of(applied, lambda: outcome.append(plan(applied)))
    code, text = outcome[0]
    assert code == 2 and "owner" in text, text
    assert calls.get("GetResources") == 1 and calls.get("ListTagsForResource", 0) >= 3, calls
    drift = applied.perso("drift")
    assert drift.exit_code == 2 and "owner" in drift.output, drift.output

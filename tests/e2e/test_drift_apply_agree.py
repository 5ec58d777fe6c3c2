"""Drift agrees with apply (issue 12, item 5): for each kind of change made outside perso with plain
boto3, `perso drift` exits 2 and says what apply will do; `perso apply` then does exactly that, and
`perso drift` exits 0. What apply leaves alone (unmanaged resources, lifecycle.ignore_changes) is
reported as such, never as "would revert"."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import boto3
import pytest

FILTER = """\
    filters:
      no-clicks:
        filterExpression: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENTS)
"""
TIMESTAMP = re.compile(r"^( *)- \{name: TIMESTAMP, type: long\}$", re.M)
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"


def applied_stack(stack, *, group_ignores: str = "", campaign_ignores: str = ""):
    """The e2e stack (movielens-like: group, interactions + import, solution + training, campaign)
    plus a filter, applied; `*_ignores` set the group's and the campaign's lifecycle.ignore_changes."""
    spec, added = TIMESTAMP.subn(r"\g<0>\n\1- {name: EVENT_TYPE, type: string}", stack.spec.read_text())
    assert added == 1
    if group_ignores:
        spec = spec.replace("    tags: {team: recs}\n",
                            f"    tags: {{team: recs}}\n    lifecycle: {{ignore_changes: [{group_ignores}]}}\n")
    if campaign_ignores:
        spec = spec.replace("        minProvisionedTPS: ${var.tps}\n", "        minProvisionedTPS: ${var.tps}\n"
                            f"        lifecycle: {{ignore_changes: [{campaign_ignores}]}}\n")
    stack.spec.write_text(spec + FILTER)
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return stack


@pytest.fixture
def applied(stack):
    return applied_stack(stack)


def api(stack):
    return boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")


def arn(stack, address: str) -> str:
    return next(r["arn"] for r in stack.state()["resources"] if r["address"] == address)


def live_tags(stack, address: str) -> dict[str, str]:
    tags = api(stack).list_tags_for_resource(resourceArn=arn(stack, address))["tags"]
    return {t["tagKey"]: t["tagValue"] for t in tags}


def drift(stack) -> tuple[int, dict, str]:
    text = stack.perso("drift")
    result = stack.perso("drift", "--format", "json")
    assert result.exit_code == text.exit_code, (text.output, result.output)
    return result.exit_code, json.loads(result.stdout), text.output


def tag(key: str, value: str, address: str = "dataset_group.e2e") -> Callable:
    def change(stack) -> None:
        api(stack).tag_resource(resourceArn=arn(stack, address), tags=[{"tagKey": key, "tagValue": value}])
    return change


def untag(key: str, address: str = "dataset_group.e2e") -> Callable:
    def change(stack) -> None:
        api(stack).untag_resource(resourceArn=arn(stack, address), tagKeys=[key])
    return change


def set_tps(tps: int) -> Callable:
    def change(stack) -> None:
        c, campaign = api(stack), arn(stack, "campaign.e2e.main")
        c.update_campaign(campaignArn=campaign, minProvisionedTPS=tps)
        for _ in range(20):  # AWS shows the new TPS once the update is done
            if c.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"]["status"] == "ACTIVE":
                return
    return change


def delete(address: str, operation: str, key: str) -> Callable:
    def change(stack) -> None:
        getattr(api(stack), operation)(**{key: arn(stack, address)})
    return change


# (out-of-band change, address drift names, kind, attribute path, what drift says apply does)
REVERTED = [
    pytest.param(tag("owner", "bob"), "dataset_group.e2e", "changed", "tags.owner", "perso apply would revert this",
                 id="tag-added"),
    pytest.param(tag("team", "search"), "dataset_group.e2e", "changed", "tags.team", "perso apply would revert this",
                 id="tag-changed"),
    pytest.param(untag("team"), "dataset_group.e2e", "changed", "tags.team", "perso apply would revert this",
                 id="tag-removed"),
    pytest.param(tag("cost", "x", "campaign.e2e.main"), "campaign.e2e.main", "changed", "tags.cost",
                 "perso apply would revert this", id="campaign-tag-added"),
    pytest.param(set_tps(5), "campaign.e2e.main", "changed", "minProvisionedTPS", "perso apply would revert this",
                 id="campaign-tps-changed"),
    pytest.param(delete("filter.e2e.no-clicks", "delete_filter", "filterArn"), "filter.e2e.no-clicks", "deleted",
                 None, "perso apply would recreate it", id="filter-deleted"),
    pytest.param(delete("campaign.e2e.main", "delete_campaign", "campaignArn"), "campaign.e2e.main", "deleted",
                 None, "perso apply would recreate it", id="campaign-deleted"),
]


@pytest.mark.parametrize("change, address, kind, path, note", REVERTED)
def test_drift_then_apply_reverts_it(applied, change, address, kind, path, note):
    tags_before = {a: live_tags(applied, a) for a in ("dataset_group.e2e", "campaign.e2e.main")}
    change(applied)
    code, doc, text = drift(applied)
    assert code == 2, text
    (entry,) = doc["resource_drift"]
    assert (entry["address"], entry["kind"], entry["apply"]) == (address, kind, note)
    assert entry["reverted_by_apply"] is True and doc["has_pending_changes"] is False
    if path:
        assert [a["path"] for a in entry["attributes"]] == [path]
    assert f"{address}" in text and f"({note})" in text

    plan = applied.perso("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output  # plan sees what drift saw
    result = applied.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output

    code, doc, text = drift(applied)
    assert code == 0, text
    assert "No drift" in text
    assert applied.perso("plan", "--detailed-exitcode").exit_code == 0
    assert {a: live_tags(applied, a) for a in tags_before} == tags_before


def test_unmanaged_resource_is_left_by_apply_and_drift_says_so(applied):
    group = arn(applied, "dataset_group.e2e")
    extra = api(applied).create_solution(name="extra", datasetGroupArn=group, recipeArn=RECIPE,
                                         performAutoTraining=False)["solutionArn"]
    code, doc, text = drift(applied)
    assert code == 2 and [u["address"] for u in doc["unmanaged"]] == ["solution.e2e.extra"]
    assert "perso apply leaves them alone" in text and "perso import ADDRESS ARN" in text
    assert "would revert" not in text

    result = applied.perso("apply", "--auto-approve")
    assert result.exit_code == 0 and "No changes" in result.output, result.output
    assert drift(applied)[0] == 2  # as announced: apply does not delete what it does not manage

    api(applied).delete_solution(solutionArn=extra)  # one of the remedies drift names
    code, _, text = drift(applied)
    assert code == 0, text


def test_unmanaged_resource_imported_then_in_sync(applied):
    group = arn(applied, "dataset_group.e2e")
    extra = api(applied).create_filter(name="extra", datasetGroupArn=group,
                                       filterExpression="EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"x\")"
                                       )["filterArn"]
    assert drift(applied)[0] == 2
    applied.spec.write_text(applied.spec.read_text() + "      extra:\n        name: extra\n"
                            "        filterExpression: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"x\")\n")
    result = applied.perso("import", "filter.e2e.extra", extra)
    assert result.exit_code == 0, result.output
    code, _, text = drift(applied)
    assert code == 0, text


def test_lifecycle_ignore_changes_tags_skips_the_read_and_apply_leaves_them(stack):
    applied = applied_stack(stack, group_ignores="tags", campaign_ignores="tags")
    tag("owner", "bob")(applied)
    tag("owner", "bob", "campaign.e2e.main")(applied)
    code, doc, text = drift(applied)
    assert code == 0, text
    assert {"dataset_group.e2e:tags", "campaign.e2e.main:tags"} <= set(doc["ignored"])
    assert "would revert" not in text
    assert applied.perso("plan", "--detailed-exitcode").exit_code == 0
    assert applied.perso("apply", "--auto-approve").exit_code == 0
    assert live_tags(applied, "dataset_group.e2e") == {"team": "recs", "owner": "bob"}


def test_lifecycle_ignore_changes_one_tag_and_a_parameter(stack):
    applied = applied_stack(stack, group_ignores="tags.owner", campaign_ignores="minProvisionedTPS")
    tag("owner", "bob")(applied)     # ignored by the spec: kept by apply
    tag("stray", "x")(applied)       # not ignored: reverted by apply
    set_tps(4)(applied)              # the campaign ignores its TPS
    code, doc, text = drift(applied)
    assert code == 2, text
    (entry,) = doc["resource_drift"]
    assert entry["address"] == "dataset_group.e2e" and [a["path"] for a in entry["attributes"]] == ["tags.stray"]
    assert entry["apply"] == "perso apply would revert this"
    assert {"dataset_group.e2e:tags.owner", "campaign.e2e.main:minProvisionedTPS"} <= set(doc["ignored"])
    assert applied.perso("apply", "--auto-approve").exit_code == 0
    assert live_tags(applied, "dataset_group.e2e") == {"team": "recs", "owner": "bob"}
    code, doc, text = drift(applied)
    assert code == 0, text


def test_drift_and_spec_change_together(applied):
    set_tps(5)(applied)
    code, doc, text = drift(applied)
    assert code == 2
    applied.spec.write_text(applied.spec.read_text().replace("tps: {default: 1", "tps: {default: 3"))
    code, doc, text = drift(applied)
    (entry,) = doc["resource_drift"]
    assert code == 2 and entry["apply"] == "perso apply would set what the spec now says"
    assert applied.perso("apply", "--auto-approve").exit_code == 0
    assert drift(applied)[0] == 0

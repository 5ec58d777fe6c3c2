"""Apply on merge in a merge queue (`perso apply --expect FILE`): two pull requests planned against
the same state merge in a row; each apply re-plans main and applies only what its pull request's
reviewed plan showed. A saved plan would be refused as stale here; a plan that would do anything
unreviewed is refused with the difference, and nothing is applied."""

from __future__ import annotations

import json

import boto3


def campaign_tps(stack) -> int:
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    arn = next(r["arn"] for r in stack.state()["resources"] if r["address"] == "campaign.e2e.main")
    return client.describe_campaign(campaignArn=arn)["campaign"]["minProvisionedTPS"]


def group_tags(stack) -> dict:
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    arn = next(r["arn"] for r in stack.state()["resources"] if r["address"] == "dataset_group.e2e")
    return {t["tagKey"]: t["tagValue"] for t in client.list_tags_for_resource(resourceArn=arn)["tags"]}


def pull_request(stack, base: str, *, tps: bool = False, tag: bool = False) -> str:
    """The spec on a pull request's branch: `base` with its change(s)."""
    text = base
    if tps:
        text = text.replace("tps: {default: 1, type: integer}", "tps: {default: 3, type: integer}")
    if tag:
        text = text.replace("tags: {team: recs}", "tags: {team: recs, owner: search}")
    assert text != base
    return text


def plan_pr(stack, spec: str, out: str) -> None:
    stack.spec.write_text(spec)
    result = stack.perso("plan", "--out", str(stack.dir / out), "--detailed-exitcode")
    assert result.exit_code == 2, result.output


def test_two_merges_in_a_row_each_apply_their_reviewed_changes(stack):
    base = stack.spec.read_text()
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan_pr(stack, pull_request(stack, base, tps=True), "a.json")
    plan_pr(stack, pull_request(stack, base, tag=True), "b.json")

    stack.spec.write_text(pull_request(stack, base, tps=True))                       # A merges
    merged_a = stack.perso("apply", "--expect", str(stack.dir / "a.json"))
    assert merged_a.exit_code == 0, merged_a.output
    assert campaign_tps(stack) == 3 and "owner" not in group_tags(stack)

    stack.spec.write_text(pull_request(stack, pull_request(stack, base, tps=True), tag=True))   # then B
    stale = stack.perso("apply", str(stack.dir / "b.json"))
    assert stale.exit_code == 1 and "stale" in stale.output.lower()                 # why --expect exists
    merged_b = stack.perso("apply", "--expect", str(stack.dir / "b.json"))
    assert merged_b.exit_code == 0, merged_b.output
    assert group_tags(stack) == {"team": "recs", "owner": "search"} and campaign_tps(stack) == 3

    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0
    rerun = stack.perso("apply", "--expect", str(stack.dir / "b.json"))   # a retried apply job: nothing to do
    assert rerun.exit_code == 0 and "No changes" in rerun.output, rerun.output


def test_a_plan_that_would_do_more_than_was_reviewed_is_refused_and_nothing_is_applied(stack):
    base = stack.spec.read_text()
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan_pr(stack, pull_request(stack, base, tps=True), "a.json")
    serial = stack.state()["serial"]

    # B merged before A's apply ran: main now holds both changes, but only A's were reviewed here.
    stack.spec.write_text(pull_request(stack, pull_request(stack, base, tps=True), tag=True))
    refused = stack.perso("apply", "--expect", str(stack.dir / "a.json"), "--format", "json")
    assert refused.exit_code == 1
    error = json.loads(refused.stdout)["error"]
    assert "differs from the reviewed plan" in error["message"]
    assert "dataset_group.e2e: would update in place, which is not in the reviewed plan" in error["message"]
    assert stack.state()["serial"] == serial and campaign_tps(stack) == 1 and "owner" not in group_tags(stack)


def test_a_changed_value_is_a_difference_not_only_a_new_address(stack):
    base = stack.spec.read_text()
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan_pr(stack, pull_request(stack, base, tps=True), "a.json")
    stack.spec.write_text(base.replace("tps: {default: 1, type: integer}", "tps: {default: 5, type: integer}"))
    refused = stack.perso("apply", "--expect", str(stack.dir / "a.json"))
    assert refused.exit_code == 1
    assert "campaign.e2e.main: sets minProvisionedTPS differently" in refused.output
    assert campaign_tps(stack) == 1


def test_expect_refuses_what_cannot_go_with_it(stack):
    assert stack.perso("plan", "--out", str(stack.dir / "a.json")).exit_code == 0
    both = stack.perso("apply", str(stack.dir / "a.json"), "--expect", str(stack.dir / "a.json"))
    assert both.exit_code == 1 and "--expect takes no PLAN_FILE" in both.output
    missing = stack.perso("apply", "--expect", str(stack.dir / "nope.json"))
    assert missing.exit_code == 1 and "nope.json" in missing.output


def test_an_apply_that_never_ran_is_caught_up_with_both_reviewed_plans(stack):
    """GitHub cancelled A's pending apply; B's apply alone is refused (A's change was not reviewed
    in B), and `--expect a.json --expect b.json` applies both reviewed changes at once."""
    base = stack.spec.read_text()
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan_pr(stack, pull_request(stack, base, tps=True), "a.json")
    plan_pr(stack, pull_request(stack, base, tag=True), "b.json")
    stack.spec.write_text(pull_request(stack, pull_request(stack, base, tps=True), tag=True))   # A and B merged

    alone = stack.perso("apply", "--expect", str(stack.dir / "b.json"))
    assert alone.exit_code == 1 and "campaign.e2e.main: would update in place" in alone.output
    caught_up = stack.perso("apply", "--expect", str(stack.dir / "a.json"), "--expect", str(stack.dir / "b.json"))
    assert caught_up.exit_code == 0, caught_up.output
    assert campaign_tps(stack) == 3 and group_tags(stack) == {"team": "recs", "owner": "search"}
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0

"""`perso apply --expect`: which fresh plans count as the reviewed one (perso_iac/expect.py)."""

from __future__ import annotations

import pytest

from perso_iac.expect import compare_plans
from perso_iac.plan import Action, Change, Plan
from perso_iac.spec.model import Ref

CAMPAIGN = "campaign.g.main"


def tps(value, *, before=1, arn="arn:c") -> Change:
    return Change(address=CAMPAIGN, type="campaign", action=Action.UPDATE, arn=arn,
                  before={"minProvisionedTPS": before}, after={"minProvisionedTPS": value},
                  changed_paths=("minProvisionedTPS",))


FILTER = Change(address="filter.g.f", type="filter", action=Action.CREATE,
                after={"filterExpression": "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"x\")",
                       "datasetGroupArn": Ref("dataset_group.g", "arn")}, tags_after={"team": "a"})
IDLE = Change(address="dataset_group.g", type="dataset_group", action=Action.NOOP, arn="arn:g")


def plan(*changes: Change, stack: str = "s", serial: int = 1) -> Plan:
    return Plan(changes=changes, stack=stack, lineage="L", serial=serial)


@pytest.mark.parametrize("reviewed, fresh, differences, not_needed", [
    # the same changes, made against another serial, ARN and before-value: applied
    (plan(tps(3), FILTER), plan(FILTER, tps(3, before=2, arn="arn:other"), IDLE, serial=9), [], []),
    # a reviewed change already made (a retried job, or another apply): nothing unreviewed, applied
    (plan(tps(3), FILTER), plan(FILTER, IDLE), [], ["campaign.g.main: reviewed as update in place, no longer needed"]),
    # an unreviewed change: refused
    (plan(tps(3)), plan(tps(3), FILTER),
     ["filter.g.f: would create, which is not in the reviewed plan"], []),
    # the same address changed to another value: refused
    (plan(tps(3)), plan(tps(5)), ["campaign.g.main: sets minProvisionedTPS differently from the reviewed plan"], []),
    # another action on a reviewed address: refused
    (plan(tps(3)), plan(Change(address=CAMPAIGN, type="campaign", action=Action.REPLACE, after={})),
     ["campaign.g.main: reviewed as update in place, would now replace"], []),
    # a created resource with other tags: refused
    (plan(FILTER), plan(Change(**{**FILTER.__dict__, "tags_after": {"team": "b"}})),
     ["filter.g.f: sets tags differently from the reviewed plan"], []),
    # another stack altogether: refused
    (plan(tps(3)), plan(tps(3), stack="other"),
     ["a reviewed plan is for stack 's', this spec is stack 'other'"], []),
], ids=["same-changes", "already-done", "unreviewed-create", "other-value", "other-action", "other-tags",
        "other-stack"])
def test_compare_plans(reviewed, fresh, differences, not_needed):
    result = compare_plans([reviewed], fresh)
    assert result.differences == differences
    assert result.not_needed == not_needed


def test_several_reviewed_plans_cover_the_changes_of_merges_whose_applies_queued_up():
    reviewed_a, reviewed_b = plan(tps(3)), plan(FILTER)
    both = plan(tps(3), FILTER, serial=4)
    assert compare_plans([reviewed_b], both).differences == [
        "campaign.g.main: would update in place, which is not in the reviewed plan"]
    assert compare_plans([reviewed_a, reviewed_b], both).differences == []
    # a later review of the same address wins where they differ: the fresh plan sets 5, B reviewed 5
    assert compare_plans([plan(tps(3)), plan(tps(5))], plan(tps(5))).differences == []
    assert compare_plans([plan(tps(3)), plan(tps(5))], plan(tps(4))).differences == [
        "campaign.g.main: sets minProvisionedTPS differently from the reviewed plan"]

"""`moved:` end to end: renaming a key in the spec moves the state, keeps the AWS name and makes
no mutating AWS call; `perso state mv` says what the next plan will do."""

from __future__ import annotations

import json
import urllib.request

from e2e_spec import SPEC

RENAMED = SPEC.replace("    campaigns:\n      main:", "    campaigns:\n      home:")
assert RENAMED != SPEC
MOVED = RENAMED + "moved:\n  - from: campaign.e2e.main\n    to: campaign.e2e.home\n"


def calls(endpoint: str, reset: bool = False) -> dict[str, int]:
    request = urllib.request.Request(f"{endpoint}/_perso/control", method="POST",
                                     data=json.dumps({"action": "calls", "reset": reset}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["calls"]


def mutating(counts: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in counts.items()
            if not op.rsplit(".", 1)[-1].startswith(("Describe", "List", "Get"))}  # quota reads are reads too


def test_moved_rename_plans_moved_and_changes_nothing_in_aws(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    before = {r["address"]: r for r in stack.state()["resources"]}
    stack.spec.write_text(MOVED)
    calls(stack.endpoint, reset=True)

    plan = stack.perso("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "campaign.e2e.main has moved to campaign.e2e.home (keeps its AWS name 'e2e-main')" in plan.output
    assert "1 moved" in plan.output and "-/+" not in plan.output and "to replace" in plan.output

    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert mutating(calls(stack.endpoint)) == {}
    after = {r["address"]: r for r in stack.state()["resources"]}
    assert "campaign.e2e.main" not in after
    assert after["campaign.e2e.home"]["arn"] == before["campaign.e2e.main"]["arn"]
    assert after["campaign.e2e.home"]["name"] == "e2e-main"

    again = stack.perso("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    # The moved entry can go: the state remembers that this address keeps its AWS name.
    stack.spec.write_text(RENAMED)
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0


def test_moved_resource_still_updates_in_place(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    stack.spec.write_text(MOVED)
    applied = stack.perso("apply", "--auto-approve", "--var", "tps=3")
    assert applied.exit_code == 0, applied.output
    home = {r["address"]: r for r in stack.state()["resources"]}["campaign.e2e.home"]
    assert home["name"] == "e2e-main" and home["params"]["minProvisionedTPS"] == 3
    assert stack.perso("plan", "--detailed-exitcode", "--var", "tps=3").exit_code == 0


def test_moved_into_a_saved_plan_applies_the_move(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    stack.spec.write_text(MOVED)
    out = stack.dir / "plan.json"
    assert stack.perso("plan", "--out", str(out)).exit_code == 0
    applied = stack.perso("apply", str(out))
    assert applied.exit_code == 0, applied.output
    assert "campaign.e2e.home" in stack.addresses()


def test_moved_to_an_unknown_address_is_a_located_error(stack):
    stack.spec.write_text(SPEC + "moved:\n  - from: campaign.e2e.old\n    to: campaign.e2e.nope\n")
    result = stack.perso("validate")
    assert result.exit_code == 1
    assert "perso.yaml:" in result.output and "campaign.e2e.nope is not a resource of this spec" in result.output


def test_state_mv_keeps_the_aws_name_and_says_the_next_plan_changes_nothing(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    stack.spec.write_text(RENAMED)
    replaced = stack.perso("plan")
    assert "-/+ campaign.e2e.home" not in replaced.output  # without a move it is a new campaign...
    assert "+ campaign.e2e.home" in replaced.output and "- campaign.e2e.main" in replaced.output
    moved = stack.perso("state", "mv", "campaign.e2e.main", "campaign.e2e.home")
    assert moved.exit_code == 0, moved.output
    assert ("keeps its AWS name 'e2e-main' (recorded in the state), so the next plan changes nothing in AWS "
            "for it") in moved.output
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0

"""Confirmation on stdin (Terraform's rule: only "yes"), `perso output` without variables, and
re-runs counted as runs in the plan summary."""

from __future__ import annotations

import json

import pytest
from e2e_spec import SPEC


def test_no_answer_at_all_is_an_error_naming_the_ways_to_confirm(stack):
    result = stack.perso("apply", input="")
    assert result.exit_code == 1 and "--auto-approve" in result.output and "echo yes" in result.output
    assert not stack.state_path.exists()


@pytest.mark.parametrize(("answer", "applied"), [("yes\n", True), ("y\n", False), ("no\n", False)])
def test_only_yes_on_stdin_confirms(stack, answer, applied):
    result = stack.perso("apply", input=answer)
    assert result.exit_code == 0, result.output
    assert ("Apply complete" in result.output) is applied
    assert ("Cancelled; nothing was changed." in result.output) is not applied
    assert stack.state_path.exists() is applied


def test_output_reads_the_state_without_the_variables(stack):
    spec = SPEC.replace("tps: {default: 1, type: integer}", "tps: {type: integer}") + (
        "outputs:\n  campaign_arn: {value: '${campaign.e2e.main.arn}'}\n")
    stack.spec.write_text(spec)
    assert stack.perso("apply", "--auto-approve", "--var", "tps=1").exit_code == 0
    missing = stack.perso("plan")
    assert missing.exit_code == 1 and "tps" in missing.output  # plan needs it...
    result = stack.perso("output", "--format", "json")   # ...output does not
    assert result.exit_code == 0, result.output
    arn = {r["address"]: r["arn"] for r in stack.state()["resources"]}["campaign.e2e.main"]
    assert json.loads(result.output) == {"campaign_arn": arn}
    assert stack.perso("output", "campaign_arn").output.strip() == arn


def test_rerunning_an_import_and_a_training_counts_as_runs(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan = stack.perso("plan", "--replace", "dataset_import.e2e.interactions")
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy, 2 to run again." in plan.output, plan.output
    doc = json.loads(stack.perso("plan", "--replace", "dataset_import.e2e.interactions", "--format", "json").output)
    assert doc["summary"]["run"] == 2 and doc["summary"]["replace"] == 0

"""The perso CLI end to end against the emulator: apply, re-plan, update, replace, delete, failures."""

from __future__ import annotations

import json

import boto3

EXPECTED = {
    "schema.e2e-interactions", "dataset_group.e2e", "dataset.e2e.interactions", "dataset_import.e2e.interactions",
    "solution.e2e.up", "solution_version.e2e.up", "campaign.e2e.main",
}


def test_apply_creates_everything_and_a_second_plan_shows_no_changes(stack):
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 7 done, 0 failed, 0 skipped" in result.output
    assert stack.addresses() == EXPECTED

    again = stack.perso("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output


def test_plan_shows_terraform_style_changes_with_cost_notes(stack):
    result = stack.perso("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "+ campaign.e2e.main" in result.output
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to destroy." in result.output
    assert "solutionVersionArn = (known after apply)" in result.output
    assert "bills at least 1 TPS" in result.output


def test_campaign_tps_change_is_updated_in_place(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    arn_before = {r["address"]: r["arn"] for r in stack.state()["resources"]}["campaign.e2e.main"]

    plan = stack.perso("plan", "--var", "tps=3")
    assert "~ campaign.e2e.main" in plan.output and "minProvisionedTPS = 1 -> 3" in plan.output
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to destroy." in plan.output

    assert stack.perso("apply", "--auto-approve", "--var", "tps=3").exit_code == 0
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    campaign = client.describe_campaign(campaignArn=arn_before)["campaign"]
    assert campaign["minProvisionedTPS"] == 3
    assert stack.perso("plan", "--detailed-exitcode", "--var", "tps=3").exit_code == 0


def test_recipe_change_replaces_solution_retrains_and_replaces_campaign(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    plan = stack.perso("plan", "--var", "recipe=aws-personalized-ranking-v2")
    assert "-/+ solution.e2e.up" in plan.output
    assert "recipeArn" in plan.output and "forces replacement" in plan.output
    assert "-/+ campaign.e2e.main" in plan.output
    assert "Destructive:" in plan.output

    result = stack.perso("apply", "--auto-approve", "--var", "recipe=aws-personalized-ranking-v2")
    assert result.exit_code == 0, result.output
    again = stack.perso("plan", "--detailed-exitcode", "--var", "recipe=aws-personalized-ranking-v2")
    assert again.exit_code == 0, again.output


def test_removing_the_campaign_from_the_spec_deletes_it(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    spec = stack.spec.read_text()
    stack.spec.write_text(spec[: spec.index("    campaigns:")])
    plan = stack.perso("plan")
    assert "- campaign.e2e.main" in plan.output and "no longer in the spec" in plan.output
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    assert "campaign.e2e.main" not in stack.addresses()
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    assert client.list_campaigns()["campaigns"] == []


def test_destroy_removes_everything_in_dependency_order(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    result = stack.perso("destroy", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert stack.addresses() == set()
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    assert client.list_dataset_groups()["datasetGroups"] == []
    assert client.list_schemas()["schemas"] == []


def test_failed_resource_reports_reason_skips_dependents_and_next_apply_converges(stack, emulator):
    _control(stack.endpoint, {"action": "configure", "fail": ["solution:*"]})
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "solution.e2e.up" in result.output and "CREATE FAILED" in result.output
    assert "skipped" in result.output and "campaign.e2e.main" in result.output
    assert "dataset_import.e2e.interactions" in stack.addresses()  # independent work completed

    _control(stack.endpoint, {"action": "configure", "fail": []})
    plan = stack.perso("plan")
    assert "-/+ solution.e2e.up" in plan.output and "failed state" in plan.output
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0


def test_resource_created_before_a_crash_is_adopted_not_duplicated(stack):
    # An apply killed right after CreateDatasetGroup returned, before it learnt the ARN: the state
    # holds only the journal entry written before the call.
    journal = {"address": "dataset_group.e2e", "type": "dataset_group", "name": "e2e", "arn": "",
               "status": "creating", "tags": {"team": "recs"}}
    stack.state_path.write_text(json.dumps({"version": 1, "stack": "e2e", "lineage": "crashed-run", "serial": 1,
                                            "resources": [journal], "outputs": {}}))
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    client.create_dataset_group(name="e2e", tags=[{"tagKey": "team", "tagValue": "recs"}])
    plan = stack.perso("plan")
    assert "dataset_group.e2e is being adopted" in plan.output
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    assert len(client.list_dataset_groups()["datasetGroups"]) == 1
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0


def test_existing_resource_perso_never_managed_is_not_taken_over(stack):
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    arn = client.create_dataset_group(name="e2e")["datasetGroupArn"]
    plan = stack.perso("plan")
    assert plan.exit_code == 1
    assert "dataset_group.e2e cannot be created" in plan.output
    assert f"perso import dataset_group.e2e {arn}" in plan.output
    apply = stack.perso("apply", "--auto-approve")
    assert apply.exit_code == 1 and "already exist in AWS" in apply.output
    assert not stack.state_path.exists() or stack.addresses() == set()


def test_lost_state_is_recovered_by_importing_not_by_duplicating(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    stack.state_path.unlink()  # the worst case: the state is gone
    plan = stack.perso("plan")
    assert plan.exit_code == 1 and "perso import" in plan.output

    imported = stack.perso("import", "--dataset-group", "e2e")
    assert imported.exit_code == 0, imported.output
    assert stack.addresses() == EXPECTED
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    assert len(client.list_campaigns()["campaigns"]) == 1


def test_apply_without_a_terminal_refuses_to_proceed_unapproved(stack):
    result = stack.perso("apply")
    assert result.exit_code == 1
    assert "--auto-approve" in result.output


def _control(endpoint: str, body: dict) -> None:
    import json
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_resource_still_being_deleted_outside_perso_is_waited_out_then_recreated(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    campaign_arn = client.list_campaigns()["campaigns"][0]["campaignArn"]
    client.delete_campaign(campaignArn=campaign_arn)  # DELETE PENDING: the name is not free yet

    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "+ campaign.e2e.main" in result.output
    assert "name still being deleted, waiting" in result.output
    assert client.describe_campaign(campaignArn=campaign_arn)["campaign"]["status"] == "ACTIVE"
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0

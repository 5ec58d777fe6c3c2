"""Day-2 planning, end to end: `--replace` (the nightly "new data at the same S3 path" flow),
`--target` (one campaign's change while another waits) and `--no-refresh`, each also through a
saved plan so `perso apply plan.json` does exactly what was reviewed."""

from __future__ import annotations

import json
import textwrap

import boto3
import pytest

SPEC = textwrap.dedent("""\
    version: 1
    stack: day2
    variables:
      home_tps: {default: 1, type: integer}
      product_tps: {default: 1, type: integer}
    schemas:
      day2-interactions:
        schema:
          type: record
          name: Interactions
          namespace: com.amazonaws.personalize.schema
          version: "1.0"
          fields:
            - {name: USER_ID, type: string}
            - {name: ITEM_ID, type: string}
            - {name: TIMESTAMP, type: long}
    dataset_groups:
      shop:
        datasets:
          interactions:
            datasetType: Interactions
            schema: day2-interactions
            import:
              dataSource: {dataLocation: "s3://perso-e2e/nightly/interactions.csv"}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
        solutions:
          for-you:
            recipeArn: arn:aws:personalize:::recipe/aws-user-personalization-v2
            performAutoTraining: false
          similar:
            recipeArn: arn:aws:personalize:::recipe/aws-similar-items
            performAutoTraining: false
        campaigns:
          home:
            solution: for-you
            minProvisionedTPS: ${var.home_tps}
          product:
            solution: similar
            minProvisionedTPS: ${var.product_tps}
    """)

IMPORT = "dataset_import.shop.interactions"
VERSIONS = {"campaign.shop.home": "solution_version.shop.for-you",
            "campaign.shop.product": "solution_version.shop.similar"}
UNTOUCHED = ("dataset_group.shop", "dataset.shop.interactions", "solution.shop.for-you", "solution.shop.similar",
             "campaign.shop.home", "campaign.shop.product")


@pytest.fixture
def shop(stack):
    stack.spec.write_text(SPEC)
    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return stack


def arns(stack) -> dict[str, str]:
    return {r["address"]: r["arn"] for r in stack.state()["resources"]}


def campaign(stack, arn: str) -> dict:
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    return client.describe_campaign(campaignArn=arn)["campaign"]


def test_replace_an_import_reimports_the_same_path_retrains_and_moves_every_campaign(shop):
    before = arns(shop)
    assert shop.perso("plan", "--detailed-exitcode").exit_code == 0  # same S3 path: nothing to do unasked

    plan = shop.perso("plan", "--detailed-exitcode", "--replace", IMPORT)
    assert plan.exit_code == 2, plan.output
    assert f"{IMPORT} will run again: replacement requested with --replace" in plan.output
    for camp, version in VERSIONS.items():
        assert f"{version} will run again: its trigger changed" in plan.output
        assert f"~ {camp}" in plan.output and f"-/+ {camp}" not in plan.output
    assert "Destructive:" not in plan.output

    applied = shop.perso("apply", "--auto-approve", "--replace", IMPORT)
    assert applied.exit_code == 0, applied.output
    after = arns(shop)
    assert after[IMPORT] != before[IMPORT]
    for address in UNTOUCHED:
        assert after[address] == before[address], f"{address} was replaced"
    for camp, version in VERSIONS.items():
        assert after[version] != before[version], f"{version} was not retrained"
        assert campaign(shop, after[camp])["solutionVersionArn"] == after[version]
    assert shop.perso("plan", "--detailed-exitcode").exit_code == 0


def test_replace_a_solution_version_retrains_only_it_and_moves_its_campaign(shop):
    before = arns(shop)
    applied = shop.perso("apply", "--auto-approve", "--replace", "solution_version.shop.for-you")
    assert applied.exit_code == 0, applied.output
    after = arns(shop)
    assert after["solution_version.shop.for-you"] != before["solution_version.shop.for-you"]
    assert after["solution_version.shop.similar"] == before["solution_version.shop.similar"]
    assert after[IMPORT] == before[IMPORT]
    assert after["campaign.shop.home"] == before["campaign.shop.home"]
    assert campaign(shop, after["campaign.shop.home"])["solutionVersionArn"] == after["solution_version.shop.for-you"]
    assert shop.perso("plan", "--detailed-exitcode").exit_code == 0


def test_saved_plan_keeps_the_replacement_it_was_reviewed_with(shop):
    before = arns(shop)
    out = shop.dir / "plan.json"
    planned = shop.perso("plan", "--replace", "solution_version.shop.similar", "--out", str(out))
    assert planned.exit_code == 0, planned.output
    assert json.loads(out.read_text())["options"]["replace"] == ["solution_version.shop.similar"]
    applied = shop.perso("apply", str(out))
    assert applied.exit_code == 0, applied.output
    after = arns(shop)
    assert after["solution_version.shop.similar"] != before["solution_version.shop.similar"]
    assert after["solution_version.shop.for-you"] == before["solution_version.shop.for-you"]


def test_target_applies_one_campaign_while_the_other_change_stays_pending(shop):
    both = ["--var", "home_tps=2", "--var", "product_tps=3"]
    plan = shop.perso("plan", *both, "--target", "campaign.shop.home")
    assert plan.exit_code == 0, plan.output
    assert "Resource targeting is in effect" in plan.output
    assert "campaign.shop.home" in plan.output and "campaign.shop.product" not in plan.output

    applied = shop.perso("apply", "--auto-approve", *both, "--target", "campaign.shop.home")
    assert applied.exit_code == 0, applied.output
    state = arns(shop)
    assert campaign(shop, state["campaign.shop.home"])["minProvisionedTPS"] == 2
    assert campaign(shop, state["campaign.shop.product"])["minProvisionedTPS"] == 1

    pending = shop.perso("plan", "--detailed-exitcode", *both)
    assert pending.exit_code == 2, pending.output
    assert "~ campaign.shop.product" in pending.output and "campaign.shop.home" not in pending.output


def test_saved_targeted_plan_applies_only_its_target(shop):
    both = ["--var", "home_tps=2", "--var", "product_tps=3"]
    out = shop.dir / "plan.json"
    assert shop.perso("plan", *both, "--target", "campaign.shop.product", "--out", str(out)).exit_code == 0
    applied = shop.perso("apply", str(out))
    assert applied.exit_code == 0, applied.output
    state = arns(shop)
    assert campaign(shop, state["campaign.shop.product"])["minProvisionedTPS"] == 3
    assert campaign(shop, state["campaign.shop.home"])["minProvisionedTPS"] == 1


def test_no_refresh_plans_from_the_state_and_says_so(shop):
    client = boto3.client("personalize", endpoint_url=shop.endpoint, region_name="us-east-1")
    home = arns(shop)["campaign.shop.home"]
    client.update_campaign(campaignArn=home, minProvisionedTPS=5)  # drift perso's state does not know of
    for _ in range(20):  # AWS shows the new TPS only once the update is ACTIVE (each describe advances it here)
        if client.describe_campaign(campaignArn=home)["campaign"]["minProvisionedTPS"] == 5:
            break

    refreshed = shop.perso("plan", "--detailed-exitcode")
    assert refreshed.exit_code == 2 and "campaign.shop.home" in refreshed.output
    unrefreshed = shop.perso("plan", "--detailed-exitcode", "--no-refresh")
    assert unrefreshed.exit_code == 0, unrefreshed.output
    assert "Refresh skipped (--no-refresh)" in unrefreshed.output

    changed = shop.perso("plan", "--no-refresh", "--var", "product_tps=2", "--format", "json")
    doc = json.loads(changed.output)
    assert [c["address"] for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"]] == [
        "campaign.shop.product"]


@pytest.mark.parametrize(("flag", "address"), [("--replace", "solution_version.shop.nope"),
                                               ("--target", "campaign.nowhere")])
def test_unknown_address_is_a_clear_error(shop, flag, address):
    result = shop.perso("plan", flag, address)
    assert result.exit_code == 1
    assert f"{flag} {address}: no such resource" in result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output

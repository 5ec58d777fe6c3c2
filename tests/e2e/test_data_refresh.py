"""The nightly data refresh, end to end: new data at a new S3 path -> re-import -> retrain every
solution fed by the dataset group -> campaigns move to the new versions, in one apply, replacing
nothing else. Once crashed with a step-graph cycle; no test changed a data location after day 1."""

from __future__ import annotations

import textwrap

import boto3
import pytest

SPEC = textwrap.dedent("""\
    version: 1
    stack: refresh
    variables:
      day: {default: "2026-11-01"}
      items_day: {default: "2026-11-01"}
      users_day: {default: "2026-11-01"}
      tps: {default: 1, type: integer}
    schemas:
      refresh-interactions:
        schema:
          type: record
          name: Interactions
          namespace: com.amazonaws.personalize.schema
          version: "1.0"
          fields:
            - {name: USER_ID, type: string}
            - {name: ITEM_ID, type: string}
            - {name: TIMESTAMP, type: long}
      refresh-items:
        schema:
          type: record
          name: Items
          namespace: com.amazonaws.personalize.schema
          version: "1.0"
          fields:
            - {name: ITEM_ID, type: string}
            - {name: GENRES, type: [string, "null"], categorical: true}
      refresh-users:
        schema:
          type: record
          name: Users
          namespace: com.amazonaws.personalize.schema
          version: "1.0"
          fields:
            - {name: USER_ID, type: string}
            - {name: GENDER, type: [string, "null"], categorical: true}
    dataset_groups:
      refresh:
        datasets:
          interactions:
            datasetType: Interactions
            schema: refresh-interactions
            import:
              dataSource: {dataLocation: "s3://perso-e2e/${var.day}/interactions.csv"}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
          items:
            datasetType: Items
            schema: refresh-items
            import:
              dataSource: {dataLocation: "s3://perso-e2e/${var.items_day}/items.csv"}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
          users:
            datasetType: Users
            schema: refresh-users
            import:
              dataSource: {dataLocation: "s3://perso-e2e/${var.users_day}/users.csv"}
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
            minProvisionedTPS: ${var.tps}
          product:
            solution: similar
            minProvisionedTPS: 1
    """)

VERSIONS = ("solution_version.refresh.for-you", "solution_version.refresh.similar")
CAMPAIGNS = {"campaign.refresh.home": "solution_version.refresh.for-you",
             "campaign.refresh.product": "solution_version.refresh.similar"}
UNTOUCHED = ("dataset_group.refresh", "dataset.refresh.interactions", "dataset.refresh.items",
             "dataset.refresh.users", "solution.refresh.for-you", "solution.refresh.similar")


@pytest.fixture
def refresh(stack):
    stack.spec.write_text(SPEC)
    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return stack


def arns(stack) -> dict[str, str]:
    return {r["address"]: r["arn"] for r in stack.state()["resources"]}


def serving(stack, campaign_arn: str) -> str:
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    return client.describe_campaign(campaignArn=campaign_arn)["campaign"]["solutionVersionArn"]


@pytest.mark.parametrize(("variable", "dataset"), [
    ("day", "interactions"), ("items_day", "items"), ("users_day", "users"),
])
@pytest.mark.parametrize("with_tps_change", [False, True], ids=["alone", "with-tps-change"])
def test_new_data_location_reimports_retrains_both_solutions_and_moves_both_campaigns(
        refresh, variable, dataset, with_tps_change):
    before = arns(refresh)
    new_vars = ["--var", f"{variable}=2026-11-02"] + (["--var", "tps=2"] if with_tps_change else [])

    plan = refresh.perso("plan", "--detailed-exitcode", *new_vars)
    assert plan.exit_code == 2, plan.output
    assert f"dataset_import.refresh.{dataset}" in plan.output
    for version in VERSIONS:
        assert version in plan.output
    for campaign in CAMPAIGNS:
        assert f"~ {campaign}" in plan.output          # moved in place, never replaced
        assert f"-/+ {campaign}" not in plan.output
    for address in UNTOUCHED:
        assert address not in plan.output
    assert "Destructive:" not in plan.output

    applied = refresh.perso("apply", "--auto-approve", *new_vars)
    assert applied.exit_code == 0, applied.output

    after = arns(refresh)
    assert after[f"dataset_import.refresh.{dataset}"] != before[f"dataset_import.refresh.{dataset}"]
    for address in UNTOUCHED:
        assert after[address] == before[address], f"{address} was replaced"
    for campaign, version in CAMPAIGNS.items():
        assert after[campaign] == before[campaign], f"{campaign} was replaced"
        assert after[version] != before[version], f"{version} was not retrained"
        assert serving(refresh, after[campaign]) == after[version]

    again = refresh.perso("plan", "--detailed-exitcode", *new_vars)
    assert again.exit_code == 0, again.output


def test_two_nights_in_a_row_each_retrain_once(refresh):
    """Day 2 and day 3 both converge; each night trains exactly one new version per solution."""
    seen = {version: {arns(refresh)[version]} for version in VERSIONS}
    for day in ("2026-11-02", "2026-11-03"):
        applied = refresh.perso("apply", "--auto-approve", "--var", f"day={day}")
        assert applied.exit_code == 0, applied.output
        for version in VERSIONS:
            seen[version].add(arns(refresh)[version])
        assert refresh.perso("plan", "--detailed-exitcode", "--var", f"day={day}").exit_code == 0
    assert all(len(versions) == 3 for versions in seen.values()), seen


def test_all_datasets_refreshed_at_once_retrain_each_solution_once(refresh):
    day = ["--var", "day=2026-11-02", "--var", "items_day=2026-11-02", "--var", "users_day=2026-11-02"]
    before = arns(refresh)
    applied = refresh.perso("apply", "--auto-approve", *day)
    assert applied.exit_code == 0, applied.output
    after = arns(refresh)
    for dataset in ("interactions", "items", "users"):
        assert after[f"dataset_import.refresh.{dataset}"] != before[f"dataset_import.refresh.{dataset}"]
    for campaign, version in CAMPAIGNS.items():
        assert serving(refresh, after[campaign]) == after[version] != before[version]
    assert refresh.perso("plan", "--detailed-exitcode", *day).exit_code == 0

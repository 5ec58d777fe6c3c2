"""The issue's "done when": a plain boto3 script creates the core chain, waits for each resource,
updates the campaign and deletes everything in the documented order; run in the wrong order it
gets the errors AWS documents."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError
from shape_checked import checked_client

from perso_iac.emulator import EmulatorConfig, EmulatorServer

SCHEMA = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}],
    "version": "1.0",
})
ROLE = "arn:aws:iam::123456789012:role/PersonalizeS3"


def wait_for(describe, key, timeout=30, **kwargs):
    """What a user's script does: poll until ACTIVE or CREATE FAILED."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resource = describe(**kwargs)[key]
        status = resource.get("latestCampaignUpdate", {}).get("status") if key == "campaign" and \
            "latestCampaignUpdate" in resource else resource["status"]
        if status in ("ACTIVE", "CREATE FAILED"):
            return status
        time.sleep(0.001)
    raise TimeoutError(key)


def wait_deleted(describe, timeout=30, **kwargs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe(**kwargs)
        except describe.__self__.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.001)
    raise TimeoutError(kwargs)


def create_everything(p) -> dict:
    arns = {"schema": p.create_schema(name="done-schema", schema=SCHEMA)["schemaArn"]}
    arns["group"] = p.create_dataset_group(name="done-group")["datasetGroupArn"]
    assert wait_for(p.describe_dataset_group, "datasetGroup", datasetGroupArn=arns["group"]) == "ACTIVE"
    arns["dataset"] = p.create_dataset(name="done-interactions", schemaArn=arns["schema"],
                                       datasetGroupArn=arns["group"], datasetType="Interactions")["datasetArn"]
    assert wait_for(p.describe_dataset, "dataset", datasetArn=arns["dataset"]) == "ACTIVE"
    arns["import"] = p.create_dataset_import_job(
        jobName="done-import", datasetArn=arns["dataset"], roleArn=ROLE,
        dataSource={"dataLocation": "s3://my-bucket/interactions.csv"})["datasetImportJobArn"]
    assert wait_for(p.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=arns["import"]) == "ACTIVE"
    arns["solution"] = p.create_solution(
        name="done-solution", datasetGroupArn=arns["group"], performAutoTraining=False,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2")["solutionArn"]
    assert wait_for(p.describe_solution, "solution", solutionArn=arns["solution"]) == "ACTIVE"
    arns["version"] = p.create_solution_version(solutionArn=arns["solution"])["solutionVersionArn"]
    assert wait_for(p.describe_solution_version, "solutionVersion", solutionVersionArn=arns["version"]) == "ACTIVE"
    arns["campaign"] = p.create_campaign(name="done-campaign", solutionVersionArn=arns["version"],
                                         minProvisionedTPS=1)["campaignArn"]
    assert wait_for(p.describe_campaign, "campaign", campaignArn=arns["campaign"]) == "ACTIVE"
    return arns


def update_campaign(p, arns):
    p.update_campaign(campaignArn=arns["campaign"], minProvisionedTPS=2,
                      campaignConfig={"enableMetadataWithRecommendations": True})
    assert wait_for(p.describe_campaign, "campaign", campaignArn=arns["campaign"]) == "ACTIVE"
    campaign = p.describe_campaign(campaignArn=arns["campaign"])["campaign"]
    assert campaign["minProvisionedTPS"] == 2 and campaign["campaignConfig"]["enableMetadataWithRecommendations"]


def delete_in_documented_order(p, arns):
    p.delete_campaign(campaignArn=arns["campaign"])
    wait_deleted(p.describe_campaign, campaignArn=arns["campaign"])
    p.delete_solution(solutionArn=arns["solution"])
    wait_deleted(p.describe_solution, solutionArn=arns["solution"])
    p.delete_dataset(datasetArn=arns["dataset"])
    wait_deleted(p.describe_dataset, datasetArn=arns["dataset"])
    p.delete_dataset_group(datasetGroupArn=arns["group"])
    wait_deleted(p.describe_dataset_group, datasetGroupArn=arns["group"])
    p.delete_schema(schemaArn=arns["schema"])


@pytest.fixture(params=[0, 0.0001], ids=["instant", "scaled"])
def server(request):
    with EmulatorServer(EmulatorConfig(time_scale=request.param), port=0) as srv:
        yield srv


def test_script_runs_unmodified_in_documented_order(server):
    p = checked_client(server.endpoint_url)
    arns = create_everything(p)
    update_campaign(p, arns)
    delete_in_documented_order(p, arns)
    assert p.list_dataset_groups()["datasetGroups"] == [] and p.list_schemas()["schemas"] == []
    assert p.shape_checker.problems == []


def _code(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def test_wrong_deletion_order_gets_documented_errors(emulator):
    p = checked_client(emulator.endpoint_url)
    arns = create_everything(p)
    assert _code(lambda: p.delete_schema(schemaArn=arns["schema"])) == "ResourceInUseException"
    assert _code(lambda: p.delete_dataset_group(datasetGroupArn=arns["group"])) == "ResourceInUseException"
    assert _code(lambda: p.delete_dataset(datasetArn=arns["dataset"])) == "ResourceInUseException"
    assert _code(lambda: p.delete_solution(solutionArn=arns["solution"])) == "ResourceInUseException"
    # nothing was harmed: the right order still works afterwards
    delete_in_documented_order(p, arns)


def test_wrong_creation_order_gets_documented_errors(emulator):
    p = checked_client(emulator.endpoint_url)
    schema = p.create_schema(name="s", schema=SCHEMA)["schemaArn"]
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    # the dataset group is still CREATE PENDING: not waited for
    assert _code(lambda: p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group,
                                          datasetType="Interactions")) == "ResourceInUseException"
    assert _code(lambda: p.create_dataset(name="d", schemaArn=schema, datasetType="Interactions",
                                          datasetGroupArn=group.replace("/g", "/missing"))) == (
        "ResourceNotFoundException")
    wait_for(p.describe_dataset_group, "datasetGroup", datasetGroupArn=group)
    dataset = p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")[
        "datasetArn"]
    wait_for(p.describe_dataset, "dataset", datasetArn=dataset)
    solution = p.create_solution(name="so", datasetGroupArn=group,
                                 recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")["solutionArn"]
    assert _code(lambda: p.create_solution_version(solutionArn=solution)) == "ResourceInUseException"
    wait_for(p.describe_solution, "solution", solutionArn=solution)
    # training before any import finished fails with a clear reason
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert _code(lambda: p.create_campaign(name="c", solutionVersionArn=version)) == "ResourceInUseException"
    assert wait_for(p.describe_solution_version, "solutionVersion", solutionVersionArn=version) == "CREATE FAILED"
    reason = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["failureReason"]
    assert "import job" in reason
    assert _code(lambda: p.create_campaign(name="c", solutionVersionArn=version)) == "ResourceInUseException"
    assert p.shape_checker.problems == []

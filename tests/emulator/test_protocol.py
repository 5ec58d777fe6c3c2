"""Wire protocol: AWS JSON 1.1, AWS-shaped errors for every kind of bad input, never a 500."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from emulator_helpers import raw_post


def test_unmodified_boto3_via_standard_endpoint_env_var(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    client = boto3.client("personalize", region_name="us-east-1")
    arn = client.create_dataset_group(name="env")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:us-east-1:123456789012:dataset-group/env"


def test_timestamps_are_epoch_seconds_and_content_type_is_json_1_1(emulator, personalize):
    arn = personalize.create_dataset_group(name="ts")["datasetGroupArn"]
    status, body = raw_post(emulator.endpoint_url, json.dumps({"datasetGroupArn": arn}),
                            target="AmazonPersonalize.DescribeDatasetGroup")
    assert status == 200
    assert isinstance(body["datasetGroup"]["creationDateTime"], float)
    req = urllib.request.Request(emulator.endpoint_url + "/", data=b"{}", method="POST", headers={
        "X-Amz-Target": "AmazonPersonalize.ListSchemas", "Authorization": "AWS4-HMAC-SHA256 x",
        "Content-Type": "application/x-amz-json-1.1"})
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["Content-Type"] == "application/x-amz-json-1.1"


def test_missing_authorization_is_refused_like_aws(emulator):
    status, body = raw_post(emulator.endpoint_url, "{}", auth=None)
    assert status == 403
    assert body["__type"] == "MissingAuthenticationTokenException"


def test_non_sigv4_authorization_is_refused(emulator):
    status, body = raw_post(emulator.endpoint_url, "{}", auth="Basic dXNlcjpwYXNz")
    assert (status, body["__type"]) == (400, "IncompleteSignatureException")


@pytest.mark.parametrize("target", ["AmazonPersonalize.DoMagic", "Other.ListSchemas", None])
def test_unknown_target_is_unknown_operation(emulator, target):
    status, body = raw_post(emulator.endpoint_url, "{}", target=target)
    assert (status, body["__type"]) == (400, "UnknownOperationException")


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_body_is_serialization_exception(emulator, payload):
    status, body = raw_post(emulator.endpoint_url, payload)
    assert (status, body["__type"]) == (400, "SerializationException")
    assert body["message"]


def test_empty_body_means_no_parameters(emulator):
    status, body = raw_post(emulator.endpoint_url, b"")
    assert status == 200 and body == {"schemas": []}


def test_oversize_payload_is_refused(emulator):
    status, body = raw_post(emulator.endpoint_url, b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert status == 413
    assert body["__type"] == "RequestEntityTooLargeException"


@pytest.mark.parametrize(
    "target,payload,fragment",
    [
        ("CreateDatasetGroup", {"name": 5}, "must be a string"),
        ("CreateDatasetGroup", {"name": "x", "tags": "nope"}, "must be a list"),
        ("CreateCampaign", {"name": "c", "solutionVersionArn": "arn:aws:personalize:us-east-1:1:solution/s/1",
                            "minProvisionedTPS": "2"}, "must be an integer"),
        ("CreateCampaign", {"name": "c", "solutionVersionArn": "arn:aws:personalize:us-east-1:1:solution/s/1",
                            "minProvisionedTPS": True}, "must be an integer"),
        ("CreateSolution", {"name": "s", "datasetGroupArn": "arn:aws:personalize:us-east-1:1:dataset-group/g",
                            "performHPO": "yes"}, "must be a boolean"),
        ("CreateDatasetGroup", {}, "Member must not be null"),
        ("ListSchemas", {"maxResults": 1000}, "less than or equal to 100"),
    ],
)
def test_wrong_types_and_missing_members_are_invalid_input(emulator, target, payload, fragment):
    status, body = raw_post(emulator.endpoint_url, json.dumps(payload), target=f"AmazonPersonalize.{target}")
    assert (status, body["__type"]) == (400, "InvalidInputException")
    assert fragment in body["message"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_dataset_group(name="bad name!"),
        lambda c: c.create_dataset_group(name="x" * 64),
        lambda c: c.create_dataset_group(name="-leading-dash"),
        lambda c: c.create_dataset_group(name="ok", domain="FOO"),
        lambda c: c.create_dataset_group(name="ok", kmsKeyArn="not-a-kms-key", roleArn="arn:aws:iam::123456789012:role/r"),
        lambda c: c.create_dataset_group(name="ok", tags=[{"tagKey": "k!", "tagValue": "v"}]),
        lambda c: c.create_dataset_group(name="ok", tags=[{"tagKey": f"k{i}", "tagValue": "v"} for i in range(201)]),
        lambda c: c.describe_campaign(campaignArn="not-an-arn"),
        lambda c: c.create_solution(name="s", datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/g",
                                    recipeArn="arn:aws:personalize:::recipe/aws-sims",
                                    solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(1 week)"}}),
        lambda c: c.list_recipes(recipeProvider="CUSTOM"),
        lambda c: c.create_schema(name="s", schema="x" * 20001),
    ],
)
def test_constraints_botocore_does_not_check_are_enforced_server_side(personalize, call):
    with pytest.raises(personalize.exceptions.InvalidInputException):
        call(personalize)


def test_error_shape_maps_to_modelled_boto3_exceptions(personalize):
    with pytest.raises(personalize.exceptions.ResourceNotFoundException) as info:
        personalize.describe_dataset_group(datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/nope")
    err = info.value.response["Error"]
    assert err["Code"] == "ResourceNotFoundException" and "dataset-group/nope" in err["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_parallel_requests_are_thread_safe(emulator):
    from concurrent.futures import ThreadPoolExecutor

    client = boto3.client("personalize", endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                          config=Config(max_pool_connections=16))

    def create(i: int) -> str:
        try:
            return client.create_schema(name=f"s{i % 20}", schema=json.dumps(
                {"type": "record", "name": "Users", "fields": [{"name": "USER_ID", "type": "string"},
                                                             {"name": "AGE", "type": "int"}]}))["schemaArn"]
        except client.exceptions.ResourceAlreadyExistsException:
            return "dup"

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(create, range(60)))
    assert results.count("dup") == 40
    assert len(client.list_schemas()["schemas"]) == 20


def test_unknown_path_and_get(emulator):
    status, body = raw_post(emulator.endpoint_url, "{}", path="/elsewhere")
    assert status == 404 and body["__type"] == "UnknownOperationException"
    with urllib.request.urlopen(emulator.endpoint_url + "/_perso/health") as resp:
        assert json.loads(resp.read())["status"] == "ok"

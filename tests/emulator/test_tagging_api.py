"""The Resource Groups Tagging API's GetResources over the emulated Personalize resources, through
unmodified boto3 clients: in AWS JSON 1.1 (what botocore 1.44 picks for this service) and in Smithy
RPC v2 CBOR (the model's other protocol, which a botocore preferring it would speak)."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from perso_iac.emulator import cbor

KW = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture
def tagging(emulator):
    return boto3.client("resourcegroupstaggingapi", endpoint_url=emulator.endpoint_url, **KW)


@pytest.fixture
def cbor_tagging(emulator, tmp_path):
    """A client whose service model lists only smithy-rpc-v2-cbor: botocore's own CBOR serializer
    and parser, over HTTP, against the emulator."""
    session = botocore.session.get_session()
    model = session.get_service_model("resourcegroupstaggingapi")
    source = Path(botocore.__file__).parent / "data" / "resourcegroupstaggingapi" / model.api_version
    data = json.loads(gzip.decompress((source / "service-2.json.gz").read_bytes()))
    data["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    data["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    target = tmp_path / "models" / "resourcegroupstaggingapi" / model.api_version
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(data))
    fresh = botocore.session.Session()
    fresh.get_component("data_loader").search_paths.insert(0, str(tmp_path / "models"))
    client = boto3.Session(botocore_session=fresh).client("resourcegroupstaggingapi",
                                                          endpoint_url=emulator.endpoint_url, **KW)
    assert client.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    return client


def group(personalize, name: str, **tags: str) -> str:
    listed = [{"tagKey": k, "tagValue": v} for k, v in tags.items()]
    return personalize.create_dataset_group(name=name, **({"tags": listed} if listed else {}))["datasetGroupArn"]


@pytest.mark.parametrize("client", ["tagging", "cbor_tagging"])
def test_an_arn_list_answers_with_the_tagged_ones_and_skips_the_rest(request, personalize, client):
    api = request.getfixturevalue(client)
    tagged = group(personalize, "tagged", team="recs", env="prod")
    untagged = group(personalize, "untagged")
    missing = tagged.replace("tagged", "missing")
    resp = api.get_resources(ResourceARNList=[tagged, untagged, missing])
    assert resp["ResourceTagMappingList"] == [
        {"ResourceARN": tagged, "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "recs"}]}]
    assert resp["PaginationToken"] == ""


@pytest.mark.parametrize("client", ["tagging", "cbor_tagging"])
def test_errors_reach_the_client_as_their_code(request, personalize, client):
    api = request.getfixturevalue(client)
    arn = group(personalize, "g", team="recs")
    with pytest.raises(ClientError) as refused:
        api.get_resources(ResourceARNList=[arn], ResourcesPerPage=10)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as refused:
        api.get_resources(ResourceARNList=[arn], ResourceTypeFilters=["personalize"])
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_pages_filter_by_type_and_tag(personalize, tagging):
    arns = [group(personalize, f"g{i}", team="recs" if i % 2 else "search") for i in range(5)]
    personalize.create_schema(name="s", schema=json.dumps(
        {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                    {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}))
    pages = list(tagging.get_paginator("get_resources").paginate(
        ResourceTypeFilters=["personalize:dataset-group"], TagFilters=[{"Key": "team", "Values": ["recs"]}],
        ResourcesPerPage=1))
    found = [m["ResourceARN"] for page in pages for m in page["ResourceTagMappingList"]]
    assert found == [arns[1], arns[3]]
    assert len(pages) == math.ceil(2 / 1)


def test_a_denied_action_is_answered_as_iam_does(emulator, personalize, tagging):
    arn = group(personalize, "g", team="recs")
    emulator.backend.configure(deny=["tag:GetResources"])
    with pytest.raises(ClientError) as refused:
        tagging.get_resources(ResourceARNList=[arn])
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException" and "tag:GetResources" in error["Message"]
    assert personalize.list_tags_for_resource(resourceArn=arn)["tags"]  # other actions still allowed


def test_a_lagging_index_shows_the_tags_of_when_it_froze(emulator, personalize, tagging):
    arn = group(personalize, "g", team="recs")
    emulator.backend.configure(tagging_lag=True)
    personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "team", "tagValue": "search"}])
    assert tagging.get_resources(ResourceARNList=[arn])["ResourceTagMappingList"][0]["Tags"] == [
        {"Key": "team", "Value": "recs"}]
    emulator.backend.configure(tagging_lag=False)
    assert tagging.get_resources(ResourceARNList=[arn])["ResourceTagMappingList"][0]["Tags"] == [
        {"Key": "team", "Value": "search"}]


@pytest.mark.parametrize("value", [0, 1, 23, 24, 255, 256, 65536, 2**32, -1, -500, 1.5, "", "ünï", b"\x00\xff",
                                   True, False, None, [], [1, [2, "x"]], {"a": {"b": [None]}}])
def test_cbor_round_trips(value):
    assert cbor.decode(cbor.encode(value)) == value


@pytest.mark.parametrize("data", [b"", b"\x18", b"\x62a", b"\xa1\x61a", b"\x1c", b"\x00\x00", b"\x81" * 100 + b"\x00",
                                  b"\x62\xff\xfe"])
def test_malformed_cbor_is_refused_not_crashed_on(data):
    with pytest.raises(cbor.CborError):
        cbor.decode(data)


def test_indefinite_lengths_decode():
    # {_ "a": [_ 1, 2], "b": (_ "x", "y")}
    data = b"\xbf\x61a\x9f\x01\x02\xff\x61b\x7f\x61x\x61y\xff\xff"
    assert cbor.decode(data) == {"a": [1, 2], "b": "xy"}

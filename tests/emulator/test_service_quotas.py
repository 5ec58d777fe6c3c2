"""The emulator's Service Quotas operations, through an unmodified boto3 `service-quotas` client."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def quotas(emulator):
    return boto3.client("service-quotas", endpoint_url=emulator.endpoint_url, region_name="us-east-1")


def configure(endpoint: str, **changes: object) -> dict:
    body = json.dumps({"action": "configure", **changes}).encode()
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def by_name(client) -> dict:
    pages = client.get_paginator("list_service_quotas").paginate(ServiceCode="personalize")
    return {q["QuotaName"]: q for page in pages for q in page["Quotas"]}


def test_lists_personalize_quotas_with_their_documented_defaults(quotas):
    found = by_name(quotas)
    assert found["Active campaigns per dataset group"]["Value"] == 5
    assert found["Active dataset groups"]["Value"] == 5
    assert found["Filters per dataset group"]["Value"] == 30
    assert found["Transactions per second per campaign"]["Value"] == 500
    campaign = found["Active campaigns per dataset group"]
    assert campaign["ServiceCode"] == "personalize" and campaign["Adjustable"] is True
    assert campaign["QuotaCode"].startswith("L-")
    got = quotas.get_service_quota(ServiceCode="personalize", QuotaCode=campaign["QuotaCode"])["Quota"]
    assert got == campaign


def test_a_quota_raised_through_the_control_endpoint_shows_and_is_enforced(emulator, quotas, personalize):
    configure(emulator.endpoint_url, quotas={"dataset_groups": 1})
    assert by_name(quotas)["Active dataset groups"]["Value"] == 1
    personalize.create_dataset_group(name="one")
    with pytest.raises(ClientError) as err:
        personalize.create_dataset_group(name="two")
    assert err.value.response["Error"]["Code"] == "LimitExceededException"

    configure(emulator.endpoint_url, quotas={"dataset_groups": 2})
    assert by_name(quotas)["Active dataset groups"]["Value"] == 2
    personalize.create_dataset_group(name="two")


def test_unknown_services_and_codes_are_refused_like_aws(quotas):
    with pytest.raises(ClientError) as err:
        quotas.list_service_quotas(ServiceCode="ec2")
    assert err.value.response["Error"]["Code"] == "NoSuchResourceException"
    with pytest.raises(ClientError) as err:
        quotas.get_service_quota(ServiceCode="personalize", QuotaCode="L-00000000")
    assert err.value.response["Error"]["Code"] == "NoSuchResourceException"
    with pytest.raises(ClientError) as err:
        quotas.list_services()
    assert err.value.response["Error"]["Code"] == "UnknownOperationException"

"""Deletion constraints, name/parent rules, pagination, schema rules, quotas and tags."""

from __future__ import annotations

import pytest
from emulator_helpers import (
    INTERACTIONS,
    INTERACTIONS_EVENTS,
    ITEMS,
    ROLE,
    USERS,
    avro,
    create_dataset,
    create_group,
    full_chain,
    wait,
    wait_gone,
)

# ---------------------------------------------------------------------------- deletion rules


def test_dataset_group_with_children_cannot_be_deleted(client):
    chain = full_chain(client)
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_dataset_group(datasetGroupArn=chain["group"])
    assert "dataset/" in str(info.value) and "solution/" in str(info.value)


def test_schema_used_by_dataset_cannot_be_deleted(client):
    chain = full_chain(client)
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.delete_schema(schemaArn=chain["schema"])


def test_solution_with_campaign_cannot_be_deleted(client):
    chain = full_chain(client)
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_solution(solutionArn=chain["solution"])
    assert "campaign/" in str(info.value)


def test_dataset_with_active_campaign_filter_or_tracker_cannot_be_deleted(client):
    chain = full_chain(client)
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_dataset(datasetArn=chain["dataset"])
    assert "campaigns" in str(info.value)
    client.delete_campaign(campaignArn=chain["campaign"])
    wait_gone(client.describe_campaign, campaignArn=chain["campaign"])
    tracker = client.create_event_tracker(name="t", datasetGroupArn=chain["group"])["eventTrackerArn"]
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_dataset(datasetArn=chain["dataset"])
    assert "event trackers" in str(info.value)
    wait(client.describe_event_tracker, "eventTracker", eventTrackerArn=tracker)
    client.delete_event_tracker(eventTrackerArn=tracker)
    wait_gone(client.describe_event_tracker, eventTrackerArn=tracker)
    create_dataset(client, chain["group"], ITEMS, "Items", name="items")
    flt = client.create_filter(name="f", datasetGroupArn=chain["group"],
                               filterExpression='EXCLUDE ItemID WHERE Items.GENRE IN ("x")')["filterArn"]
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_dataset(datasetArn=chain["dataset"])
    assert "filters" in str(info.value)
    wait(client.describe_filter, "filter", filterArn=flt)
    client.delete_filter(filterArn=flt)
    wait_gone(client.describe_filter, filterArn=flt)
    client.delete_dataset(datasetArn=chain["dataset"])


def test_resources_still_being_created_cannot_be_deleted(client):
    arn = client.create_dataset_group(name="g")["datasetGroupArn"]
    with pytest.raises(client.exceptions.ResourceInUseException) as info:
        client.delete_dataset_group(datasetGroupArn=arn)
    assert "CREATE PENDING" in str(info.value)
    wait(client.describe_dataset_group, "datasetGroup", datasetGroupArn=arn)
    client.delete_dataset_group(datasetGroupArn=arn)
    with pytest.raises(client.exceptions.ResourceInUseException):  # already DELETE PENDING
        client.delete_dataset_group(datasetGroupArn=arn)


def test_deleting_a_solution_takes_its_versions_and_frees_the_name(client):
    chain = full_chain(client)
    client.delete_campaign(campaignArn=chain["campaign"])
    wait_gone(client.describe_campaign, campaignArn=chain["campaign"])
    client.delete_solution(solutionArn=chain["solution"])
    assert wait_gone(client.describe_solution, solutionArn=chain["solution"]) == ["DELETE PENDING", "DELETE IN_PROGRESS"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_solution_version(solutionVersionArn=chain["version"])
    from emulator_helpers import UP_RECIPE

    assert client.create_solution(name="p-solution", datasetGroupArn=chain["group"], recipeArn=UP_RECIPE)


# ---------------------------------------------------------------------------- names and parents


def test_names_are_unique_per_type(client):
    client.create_dataset_group(name="same")
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_dataset_group(name="same")
    client.create_schema(name="same", schema=USERS)  # another type may reuse the name
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_schema(name="same", schema=USERS)


def test_parent_must_exist_and_be_active(client):
    ghost = "arn:aws:personalize:us-east-1:123456789012:dataset-group/ghost"
    schema = client.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_dataset(name="d", schemaArn=schema, datasetGroupArn=ghost, datasetType="Interactions")
    group = client.create_dataset_group(name="g")["datasetGroupArn"]
    with pytest.raises(client.exceptions.ResourceInUseException):  # still CREATE PENDING
        client.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")


def test_one_dataset_per_type_and_domain_must_match(client):
    group = create_group(client)
    create_dataset(client, group)
    other = client.create_schema(name="other", schema=INTERACTIONS)["schemaArn"]
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_dataset(name="d2", schemaArn=other, datasetGroupArn=group, datasetType="INTERACTIONS")
    dom = client.create_schema(name="dom", schema=ITEMS, domain="ECOMMERCE")["schemaArn"]
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_dataset(name="d3", schemaArn=dom, datasetGroupArn=group, datasetType="Items")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_dataset(name="d4", schemaArn=other, datasetGroupArn=group, datasetType="Clicks")


def test_campaign_needs_an_active_solution_version(client):
    chain = full_chain(client)
    pending = client.create_solution_version(solutionArn=chain["solution"])["solutionVersionArn"]
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.create_campaign(name="early", solutionVersionArn=pending)


def test_arn_formats(client):
    chain = full_chain(client, "arn")
    prefix = "arn:aws:personalize:us-east-1:123456789012:"
    assert chain["schema"] == prefix + "schema/arn-interactions-schema"
    assert chain["group"] == prefix + "dataset-group/arn-group"
    assert chain["dataset"] == prefix + "dataset/arn-group/INTERACTIONS"
    assert chain["import"] == prefix + "dataset-import-job/arn-import"
    assert chain["solution"] == prefix + "solution/arn-solution"
    assert chain["version"].startswith(prefix + "solution/arn-solution/") and len(chain["version"].rsplit("/")[-1]) == 8
    assert chain["campaign"] == prefix + "campaign/arn-campaign"


# ---------------------------------------------------------------------------- pagination


def test_pagination_with_next_token(client):
    for i in range(7):
        client.create_schema(name=f"s{i}", schema=USERS)
    pages, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        resp = client.list_schemas(maxResults=3, **kwargs)
        pages.append([s["name"] for s in resp["schemas"]])
        token = resp.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(sum(pages, [])) == [f"s{i}" for i in range(7)]
    assert pages[0][0] == "s6"  # newest first
    paginated = [s["name"] for page in client.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 2})
                 for s in page["schemas"]]
    assert len(paginated) == 7


def test_list_filters_result_key_and_paginator(client):
    group = create_group(client)
    create_dataset(client, group, INTERACTIONS_EVENTS)
    for i in range(3):
        client.create_filter(name=f"f{i}", datasetGroupArn=group,
                             filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("x")')
    first = client.list_filters(datasetGroupArn=group, maxResults=2)
    assert len(first["Filters"]) == 2 and first["nextToken"]
    names = [f["name"] for page in client.get_paginator("list_filters").paginate(
        datasetGroupArn=group, PaginationConfig={"PageSize": 1}) for f in page["Filters"]]
    assert sorted(names) == ["f0", "f1", "f2"]


def test_bad_or_foreign_next_token(client):
    for i in range(3):
        client.create_schema(name=f"s{i}", schema=USERS)
    token = client.list_schemas(maxResults=1)["nextToken"]
    with pytest.raises(client.exceptions.InvalidNextTokenException):
        client.list_dataset_groups(nextToken=token)
    with pytest.raises(client.exceptions.InvalidNextTokenException):
        client.list_schemas(nextToken="garbage!")


def test_list_filters_by_parent(client):
    a, b = create_group(client, "a"), create_group(client, "b")
    create_dataset(client, a, name="da")
    assert len(client.list_datasets(datasetGroupArn=a)["datasets"]) == 1
    assert client.list_datasets(datasetGroupArn=b)["datasets"] == []
    assert len(client.list_datasets()["datasets"]) == 1
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_solution_versions(solutionArn="arn:aws:personalize:us-east-1:123456789012:solution/ghost")


def test_recipes_by_domain(client):
    ecommerce = [r["name"] for r in client.list_recipes(domain="ECOMMERCE")["recipes"]]
    assert "aws-ecomm-recommended-for-you" in ecommerce and all(n.startswith("aws-ecomm") for n in ecommerce)
    vod = client.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]
    assert {r["domain"] for r in vod} == {"VIDEO_ON_DEMAND"}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-nothing")


# ---------------------------------------------------------------------------- schemas


@pytest.mark.parametrize(
    "schema",
    [
        "not json",
        '{"type": "array", "items": "string"}',
        avro("Interactions", ("USER_ID", "string"), ("ITEM_ID", "string")),  # no TIMESTAMP
        avro("Interactions", ("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "string")),
        avro("Interactions", ("USER_ID", ["null", "string"]), ("ITEM_ID", "string"), ("TIMESTAMP", "long")),
        avro("Interactions", ("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long"),
             ("EVENT_VALUE", "string")),
        avro("Items", ("ITEM_ID", "string")),  # no metadata
        avro("Items", ("ITEM_ID", "string"), ("TAGS", {"type": "array", "items": "string"})),
        avro("Items", ("ITEM_ID", "string"), ("X", "bytes")),
        avro("Items", ("ITEM_ID", "string"), ("GENRE_1", "string"), ("GENRE1", "string")),
        avro("Users", ("USER_ID", "string"), ("BIO", "string", "textual")),
        avro("Items", ("ITEM_ID", "string"), ("N", "int", "categorical")),
    ],
)
def test_invalid_avro_schemas_are_refused(client, schema):
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_schema(name="bad", schema=schema)


def test_schema_type_is_checked_against_dataset_type_at_create_dataset(client):
    group = create_group(client)
    generic = client.create_schema(name="generic", schema=avro("Anything", ("ITEM_ID", "string"),
                                                               ("GENRE", "string", "categorical")))["schemaArn"]
    with pytest.raises(client.exceptions.InvalidInputException) as info:
        client.create_dataset(name="d", schemaArn=generic, datasetGroupArn=group, datasetType="Interactions")
    assert "USER_ID" in str(info.value)
    assert client.create_dataset(name="d", schemaArn=generic, datasetGroupArn=group, datasetType="Items")


def test_domain_interactions_need_event_type(client):
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_schema(name="s", schema=INTERACTIONS, domain="VIDEO_ON_DEMAND")


# ---------------------------------------------------------------------------- quotas and tags


def test_default_dataset_group_quota(noretry):
    client = noretry
    for i in range(5):
        client.create_dataset_group(name=f"g{i}")
    with pytest.raises(client.exceptions.LimitExceededException):
        client.create_dataset_group(name="g5")


def test_campaign_quota_is_configurable(noretry, emulator):
    client = noretry
    emulator.backend.configure(quotas={"campaigns_per_dataset_group": 1})
    chain = full_chain(client)
    with pytest.raises(client.exceptions.LimitExceededException):
        client.create_campaign(name="second", solutionVersionArn=chain["version"])


def test_filter_quota_and_expression_checks(noretry, emulator):
    client = noretry
    emulator.backend.configure(quotas={"filters_per_dataset_group": 1})
    group = create_group(client)
    create_dataset(client, group, INTERACTIONS_EVENTS)
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_filter(name="f", datasetGroupArn=group, filterExpression="DROP TABLE items")
    with pytest.raises(client.exceptions.InvalidInputException):  # no Items dataset
        client.create_filter(name="f", datasetGroupArn=group, filterExpression='INCLUDE ItemID WHERE Items.X IN ("a")')
    with pytest.raises(client.exceptions.InvalidInputException):  # unknown field
        client.create_filter(name="f", datasetGroupArn=group,
                             filterExpression='INCLUDE ItemID WHERE Interactions.NOPE IN ("a")')
    client.create_filter(name="f", datasetGroupArn=group, filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a")')
    with pytest.raises(client.exceptions.LimitExceededException):
        client.create_filter(name="g", datasetGroupArn=group,
                             filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a")')


def test_tags_on_create_and_limits(client):
    arn = client.create_dataset_group(name="t", tags=[{"tagKey": "env", "tagValue": "dev"}])["datasetGroupArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "env", "tagValue": "dev"}]
    client.tag_resource(resourceArn=arn, tags=[{"tagKey": f"k{i}", "tagValue": "v"} for i in range(49)])
    with pytest.raises(client.exceptions.TooManyTagsException):
        client.tag_resource(resourceArn=arn, tags=[{"tagKey": "one-more", "tagValue": "v"}])
    with pytest.raises(client.exceptions.TooManyTagKeysException):
        client.untag_resource(resourceArn=arn, tagKeys=[f"k{i}" for i in range(51)])
    with pytest.raises(client.exceptions.InvalidInputException):
        client.tag_resource(resourceArn=arn, tags=[{"tagKey": "aws:reserved", "tagValue": "v"}])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(resourceArn="arn:aws:personalize:us-east-1:123456789012:campaign/none")


def test_metric_attribution_delta_updates(client):
    group = create_group(client)
    create_dataset(client, group)
    out = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://b/metrics/"}}
    metric = {"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"}
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_metric_attribution(name="m", datasetGroupArn=group, metricsOutputConfig=out,
                                         metrics=[{**metric, "expression": "AVG(x)"}])
    arn = client.create_metric_attribution(name="m", datasetGroupArn=group, metrics=[metric],
                                           metricsOutputConfig=out)["metricAttributionArn"]
    wait(client.describe_metric_attribution, "metricAttribution", metricAttributionArn=arn)
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.update_metric_attribution(metricAttributionArn=arn, addMetrics=[metric])
    client.update_metric_attribution(metricAttributionArn=arn, addMetrics=[
        {"eventType": "buy", "metricName": "revenue", "expression": "SUM(Interactions.ITEM_ID)"}])
    metrics = client.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]
    assert [m["metricName"] for m in metrics] == ["clicks", "revenue"]
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_metric_attribution(name="m2", datasetGroupArn=group, metrics=[metric], metricsOutputConfig=out)

"""Adopting what already exists: an account built with plain boto3 calls is discovered, a spec is
generated, everything is imported, and the next plan shows no changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from perso_iac.importer import discover_dataset_group, generate_spec, import_resource, spec_key
from perso_iac.state.model import StateFile

ROLE = "arn:aws:iam::123456789012:role/PersonalizeS3"
RECIPE = "arn:aws:personalize:::recipe/"


def _avro(name: str, fields: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "version": "1.0", "fields": fields})


def _wait(describe, key: str, want: str = "ACTIVE", **kwargs: Any) -> dict:
    for _ in range(100):
        item = describe(**kwargs)[key]
        update = next((v for k, v in item.items() if k.startswith("latest") and k.endswith("Update")), None)
        if item.get("status") == want and (not update or update.get("status") in (None, "ACTIVE")):
            return item
        assert "FAILED" not in str(item.get("status")), item
    raise AssertionError(f"{kwargs} never reached {want}")


def build_account(pz) -> dict[str, str]:
    """A custom dataset group and a domain one, made the way scripts and the console make them."""
    arns: dict[str, str] = {}
    arns["interactions_schema"] = pz.create_schema(name="legacy-interactions", schema=_avro("Interactions", [
        {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]}]))["schemaArn"]
    group = arns["group"] = pz.create_dataset_group(name="legacy", tags=[{"tagKey": "team", "tagValue": "recs"}])[
        "datasetGroupArn"]
    _wait(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group)
    ds = arns["dataset"] = pz.create_dataset(name="legacy-events", datasetType="Interactions",
                                             schemaArn=arns["interactions_schema"], datasetGroupArn=group)["datasetArn"]
    _wait(pz.describe_dataset, "dataset", datasetArn=ds)
    job = pz.create_dataset_import_job(jobName="legacy-load-1", datasetArn=ds, roleArn=ROLE,
                                       dataSource={"dataLocation": "s3://bucket/events.csv"})["datasetImportJobArn"]
    _wait(pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job)
    sol = arns["solution"] = pz.create_solution(name="legacy-up", datasetGroupArn=group, performAutoTraining=False,
                                                recipeArn=RECIPE + "aws-user-personalization-v2")["solutionArn"]
    _wait(pz.describe_solution, "solution", solutionArn=sol)
    ver = pz.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    _wait(pz.describe_solution_version, "solutionVersion", solutionVersionArn=ver)
    camp = arns["campaign"] = pz.create_campaign(
        name="legacy-home", solutionVersionArn=f"{sol}/$LATEST", minProvisionedTPS=2,
        campaignConfig={"syncWithLatestSolutionVersion": True})["campaignArn"]
    _wait(pz.describe_campaign, "campaign", campaignArn=camp)
    tracker = arns["tracker"] = pz.create_event_tracker(name="legacy-web", datasetGroupArn=group)["eventTrackerArn"]
    _wait(pz.describe_event_tracker, "eventTracker", eventTrackerArn=tracker)
    flt = arns["filter"] = pz.create_filter(
        name="legacy-unseen", datasetGroupArn=group,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")')["filterArn"]
    _wait(pz.describe_filter, "filter", filterArn=flt)
    ma = arns["metric_attribution"] = pz.create_metric_attribution(
        name="legacy-impact", datasetGroupArn=group,
        metrics=[{"eventType": "purchase", "metricName": "revenue", "expression": "SUM(Interactions.EVENT_VALUE)"}],
        metricsOutputConfig={"roleArn": ROLE, "s3DataDestination": {"path": "s3://bucket/metrics/"}},
    )["metricAttributionArn"]
    _wait(pz.describe_metric_attribution, "metricAttribution", metricAttributionArn=ma)
    return arns


def build_domain_group(pz) -> dict[str, str]:
    arns: dict[str, str] = {}
    schema = pz.create_schema(name="shop-events", domain="ECOMMERCE", schema=_avro("Interactions", [
        {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}]))["schemaArn"]
    group = arns["group"] = pz.create_dataset_group(name="shop", domain="ECOMMERCE")["datasetGroupArn"]
    _wait(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group)
    ds = pz.create_dataset(name="shop-interactions", datasetType="INTERACTIONS", schemaArn=schema,
                           datasetGroupArn=group)["datasetArn"]
    _wait(pz.describe_dataset, "dataset", datasetArn=ds)
    for name, recipe in (("shop-for-you", "aws-ecomm-recommended-for-you"),
                         ("shop-also-viewed", "aws-ecomm-customers-who-viewed-x-also-viewed")):
        arn = arns[name] = pz.create_recommender(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe,
                                                 recommenderConfig={"minRecommendationRequestsPerSecond": 2},
                                                 tags=[{"tagKey": "tier", "tagValue": "gold"}])["recommenderArn"]
        _wait(pz.describe_recommender, "recommender", recommenderArn=arn)
    pz.stop_recommender(recommenderArn=arns["shop-also-viewed"])
    _wait(pz.describe_recommender, "recommender", "INACTIVE", recommenderArn=arns["shop-also-viewed"])
    return arns


def test_spec_key_strips_the_group_prefix():
    assert spec_key("legacy-home", "legacy") == "home"
    assert spec_key("legacy", "legacy") == "legacy"
    assert spec_key("other.name", "legacy") == "other_name"


def test_discover_walks_the_whole_dataset_group(personalize):
    arns = build_account(personalize)
    found = discover_dataset_group(personalize, "legacy")
    by_address = {d.address: d for d in found}
    assert set(by_address) == {
        "dataset_group.legacy", "schema.legacy-interactions", "dataset.legacy.interactions",
        "dataset_import.legacy.interactions", "solution.legacy.up", "solution_version.legacy.up",
        "campaign.legacy.home", "event_tracker.legacy.web", "filter.legacy.unseen",
        "metric_attribution.legacy.impact",
    }
    # parents come before what they contain
    order = [d.address for d in found]
    assert order.index("dataset_group.legacy") < order.index("dataset.legacy.interactions")
    assert order.index("schema.legacy-interactions") < order.index("dataset.legacy.interactions")
    assert by_address["campaign.legacy.home"].arn == arns["campaign"]
    assert by_address["dataset_group.legacy"].tags == {"team": "recs"}
    assert by_address["event_tracker.legacy.web"].observed.outputs["trackingId"]


def test_discover_unknown_group_says_so(personalize):
    from perso_iac.errors import PersoError

    with pytest.raises(PersoError, match="no dataset group named 'nope'"):
        discover_dataset_group(personalize, "nope")


def test_generated_spec_declares_what_was_found(personalize):
    build_account(personalize)
    doc = yaml.safe_load(generate_spec(discover_dataset_group(personalize, "legacy")))
    group = doc["dataset_groups"]["legacy"]
    assert doc["stack"] == "legacy"
    assert group["tags"] == {"team": "recs"}
    assert "name" not in group
    assert group["datasets"]["interactions"] == {
        "name": "legacy-events", "datasetType": "Interactions", "schema": "legacy-interactions",
        "import": {"dataSource": {"dataLocation": "s3://bucket/events.csv"}, "roleArn": ROLE}}
    assert group["solutions"]["up"] == {"performAutoTraining": False,
                                        "recipeArn": RECIPE + "aws-user-personalization-v2"}
    assert group["campaigns"]["home"] == {"solution": "up", "minProvisionedTPS": 2, "solutionVersion": "$LATEST",
                                          "campaignConfig": {"syncWithLatestSolutionVersion": True}}
    assert group["filters"]["unseen"]["filterExpression"] == 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    assert group["metric_attributions"]["impact"]["metrics"][0]["metricName"] == "revenue"
    assert group["event_trackers"]["web"] == {}
    assert doc["outputs"]["legacy_web_tracking_id"] == {"value": "${event_tracker.legacy.web.trackingId}"}
    assert json.loads(json.dumps(doc["schemas"]["legacy-interactions"]["schema"]))["name"] == "Interactions"


def test_generated_spec_for_a_domain_group_keeps_recommender_state(personalize):
    build_domain_group(personalize)
    doc = yaml.safe_load(generate_spec(discover_dataset_group(personalize, "shop")))
    recs = doc["dataset_groups"]["shop"]["recommenders"]
    assert recs["for-you"]["state"] == "ACTIVE"
    assert recs["also-viewed"]["state"] == "INACTIVE"
    assert recs["also-viewed"]["tags"] == {"tier": "gold"}
    assert recs["for-you"]["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 2
    assert doc["dataset_groups"]["shop"]["domain"] == "ECOMMERCE"
    assert doc["schemas"]["shop-events"]["domain"] == "ECOMMERCE"


def test_import_resource_records_identity_params_and_tags(personalize):
    arns = build_domain_group(personalize)
    state = StateFile(stack="shop")
    res = import_resource(personalize, state, "recommender.shop.for-you", "recommender", arns["shop-for-you"])
    assert state.resources["recommender.shop.for-you"] is res
    assert res.arn == arns["shop-for-you"] and res.name == "shop-for-you"
    assert res.tags == {"tier": "gold"}
    assert res.params["state"] == "ACTIVE"
    assert res.status == "ready"


def test_import_resource_refuses_missing_and_duplicate(personalize):
    from perso_iac.errors import PersoError

    arns = build_domain_group(personalize)
    state = StateFile(stack="shop")
    missing = arns["shop-for-you"].replace("shop-for-you", "nope")
    with pytest.raises(PersoError, match="there is no recommender"):
        import_resource(personalize, state, "recommender.shop.x", "recommender", missing)
    import_resource(personalize, state, "recommender.shop.for-you", "recommender", arns["shop-for-you"])
    with pytest.raises(PersoError, match="already in the state as recommender.shop.for-you"):
        import_resource(personalize, state, "recommender.shop.other", "recommender", arns["shop-for-you"])

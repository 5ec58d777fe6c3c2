"""The spec's JSON Schema spells Personalize parameters exactly as the API does (botocore's model)."""

from __future__ import annotations

import botocore.session
import pytest

from perso_iac.spec.schema import spec_json_schema

MODEL = botocore.session.get_session().get_service_model("personalize")
SCHEMA = spec_json_schema()
GROUP = SCHEMA["properties"]["dataset_groups"]["additionalProperties"]["properties"]


def section(name: str) -> dict:
    return GROUP[name]["additionalProperties"]["properties"]


def at(props: dict, *path: str) -> dict:
    node: dict = {"properties": props}
    for key in path:
        node = node["properties"][key]
        if node.get("type") == "array":
            node = node["items"]
    return node["properties"]


# (properties in the spec schema, botocore shape, members perso sets itself or spells differently)
CASES = [
    ("solutionConfig", at(section("solutions"), "solutionConfig"), "SolutionConfig", set()),
    ("hpoConfig", at(section("solutions"), "solutionConfig", "hpoConfig"), "HPOConfig", set()),
    ("hpoObjective", at(section("solutions"), "solutionConfig", "hpoConfig", "hpoObjective"), "HPOObjective", set()),
    ("hpoResourceConfig", at(section("solutions"), "solutionConfig", "hpoConfig", "hpoResourceConfig"),
     "HPOResourceConfig", set()),
    ("algorithmHyperParameterRanges",
     at(section("solutions"), "solutionConfig", "hpoConfig", "algorithmHyperParameterRanges"),
     "HyperParameterRanges", set()),
    ("autoMLConfig", at(section("solutions"), "solutionConfig", "autoMLConfig"), "AutoMLConfig", set()),
    ("eventsConfig", at(section("solutions"), "solutionConfig", "eventsConfig"), "EventsConfig", set()),
    ("eventParameters", at(section("solutions"), "solutionConfig", "eventsConfig", "eventParametersList"),
     "EventParameters", set()),
    ("optimizationObjective", at(section("solutions"), "solutionConfig", "optimizationObjective"),
     "OptimizationObjective", set()),
    ("trainingDataConfig", at(section("solutions"), "solutionConfig", "trainingDataConfig"),
     "TrainingDataConfig", set()),
    ("autoTrainingConfig", at(section("solutions"), "solutionConfig", "autoTrainingConfig"),
     "AutoTrainingConfig", set()),
    ("campaignConfig", at(section("campaigns"), "campaignConfig"), "CampaignConfig", set()),
    ("recommenderConfig", at(section("recommenders"), "recommenderConfig"), "RecommenderConfig", set()),
    ("metricsOutputConfig", at(section("metric_attributions"), "metricsOutputConfig"),
     "MetricAttributionOutput", set()),
    ("s3DataDestination", at(section("metric_attributions"), "metricsOutputConfig", "s3DataDestination"),
     "S3DataConfig", set()),
    ("metrics", at(section("metric_attributions"), "metrics"), "MetricAttribute", set()),
    ("dataSource", at(section("datasets"), "import", "dataSource"), "DataSource", set()),
]


@pytest.mark.parametrize("props, shape, own", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spec_schema_matches_api_shape(props, shape, own):
    assert set(props) == set(MODEL.shape_for(shape).members) - own


# Create* inputs: every API parameter a user may set is a spec key (perso supplies the others).
OPERATIONS = [
    ("CreateDatasetGroup", GROUP, {"name", "tags"}),
    ("CreateSolution", section("solutions"), {"name", "tags", "datasetGroupArn"}),
    ("CreateCampaign", section("campaigns"), {"name", "tags", "solutionVersionArn"}),
    ("CreateDatasetImportJob", at(section("datasets"), "import"), {"jobName", "datasetArn", "tags"}),
    ("CreateRecommender", section("recommenders"), {"name", "tags", "datasetGroupArn"}),
    ("CreateFilter", section("filters"), {"name", "tags", "datasetGroupArn"}),
    ("CreateMetricAttribution", section("metric_attributions"), {"name", "datasetGroupArn"}),
    ("CreateSchema", SCHEMA["properties"]["schemas"]["additionalProperties"]["properties"], {"name"}),
]


@pytest.mark.parametrize("operation, props, supplied", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_spec_schema_covers_create_parameters(operation, props, supplied):
    members = set(MODEL.operation_model(operation).input_shape.members)
    assert members - supplied <= set(props)

"""Table-driven: a good spec -> the flattened ResourceSpecs the engine sees (params, Refs, depends_on)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from perso_iac.spec.loader import load_spec
from perso_iac.spec.model import Lifecycle, Ref, Spec
from perso_iac.spec.schema import spec_json_schema

UP = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
INTERACTIONS = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                           {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}]}

SPEC = f"""\
version: 1
stack: shop
region: eu-west-1
defaults:
  tags: {{team: recs, env: dev}}
schemas:
  inter:
    schema: {json.dumps(INTERACTIONS)}
  items:
    name: shop-items-v1
    schema_file: schemas/items.json
dataset_groups:
  main:
    name: shop-main
    tags: {{env: prod, cost: 42}}
    lifecycle: {{prevent_destroy: true}}
    datasets:
      interactions:
        datasetType: INTERACTIONS
        schema: inter
        import:
          dataSource: {{dataLocation: s3://bucket/interactions/}}
          roleArn: arn:aws:iam::123456789012:role/Import
      items:
        datasetType: items
        schema: items
        import:
          dataSource: {{dataLocation: s3://bucket/items.csv}}
          importMode: INCREMENTAL
          publishAttributionMetricsToS3: true
    solutions:
      up:
        recipeArn: {UP}
        performAutoTraining: false
        performHPO: true
        solutionConfig:
          algorithmHyperParameters: {{hidden_dimension: 100, recency_mask: true}}
          eventValueThreshold: 0.5
      manual:
        name: manual-sol
        recipeArn: arn:aws:personalize:::recipe/aws-similar-items
        performAutoTraining: true
        training: {{trigger: never}}
    campaigns:
      newest:
        solution: up
        minProvisionedTPS: 2
        campaignConfig: {{itemExplorationConfig: {{explorationWeight: 0.3}}}}
        lifecycle: {{ignore_changes: all}}
      auto:
        solution: manual
        minProvisionedTPS: 1
      latest:
        solution: manual
        solutionVersion: $LATEST
        minProvisionedTPS: 1
        tags: {{env: staging}}
      follow:
        solution: up
        solutionVersion: $LATEST
        minProvisionedTPS: 1
      pinned:
        solution: up
        solutionVersion: arn:aws:personalize:eu-west-1:123456789012:solution/shop-main-up/abcd1234
        minProvisionedTPS: 1
        lifecycle: {{ignore_changes: [campaignConfig.itemExplorationConfig, tags]}}
    event_trackers:
      web: {{}}
    filters:
      unseen: {{filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}}
    metric_attributions:
      impact:
        metrics: [{{eventType: click, metricName: clicks, expression: SAMPLECOUNT()}}]
        metricsOutputConfig: {{roleArn: "arn:aws:iam::123456789012:role/Metrics"}}
  domain:
    domain: ECOMMERCE
    recommenders:
      for-you:
        recipeArn: arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you
        recommenderConfig: {{minRecommendationRequestsPerSecond: 3}}
      stopped:
        recipeArn: arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views
        state: INACTIVE
outputs:
  campaign: {{value: "${{campaign.main.newest.arn}}", description: the campaign}}
  latest: {{value: "${{solution.main.manual.arn}}/$LATEST"}}
  tracking: {{value: "${{event_tracker.main.web.trackingId}}"}}
  literal: {{value: 42}}
  escaped: {{value: "$${{not.a.ref}}"}}
"""

ITEMS = {"type": "record", "name": "Items", "fields": [
    {"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string", "categorical": True}]}


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Spec:
    root = tmp_path_factory.mktemp("spec")
    (root / "schemas").mkdir()
    (root / "schemas" / "items.json").write_text(json.dumps(ITEMS, indent=2))
    (root / "perso.yaml").write_text(SPEC)
    return load_spec(root / "perso.yaml", environ={})


DSG = Ref("dataset_group.main")
DATASETS = ("dataset.main.interactions", "dataset.main.items")
IMPORTS = ("dataset_import.main.interactions", "dataset_import.main.items")


def canonical(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


# (address, type, AWS name, params, depends_on)
EXPECTED = [
    ("schema.inter", "schema", "inter", {"name": "inter", "schema": canonical(INTERACTIONS)}, ()),
    ("schema.items", "schema", "shop-items-v1", {"name": "shop-items-v1", "schema": canonical(ITEMS)}, ()),
    ("dataset_group.main", "dataset_group", "shop-main", {"name": "shop-main"}, ()),
    ("dataset.main.interactions", "dataset", "shop-main-interactions",
     {"name": "shop-main-interactions", "datasetType": "Interactions", "schemaArn": Ref("schema.inter"),
      "datasetGroupArn": DSG}, ("schema.inter", "dataset_group.main")),
    ("dataset_import.main.interactions", "dataset_import", "shop-main-interactions-import",
     {"datasetArn": Ref("dataset.main.interactions"), "dataSource": {"dataLocation": "s3://bucket/interactions/"},
      "roleArn": "arn:aws:iam::123456789012:role/Import", "importMode": "FULL"},
     ("dataset.main.interactions",)),
    ("dataset.main.items", "dataset", "shop-main-items",
     {"name": "shop-main-items", "datasetType": "Items", "schemaArn": Ref("schema.items"), "datasetGroupArn": DSG},
     ("schema.items", "dataset_group.main")),
    ("dataset_import.main.items", "dataset_import", "shop-main-items-import",
     {"datasetArn": Ref("dataset.main.items"), "dataSource": {"dataLocation": "s3://bucket/items.csv"},
      "importMode": "INCREMENTAL", "publishAttributionMetricsToS3": True}, ("dataset.main.items",)),
    ("solution.main.up", "solution", "shop-main-up",
     {"name": "shop-main-up", "datasetGroupArn": DSG, "recipeArn": UP, "performAutoTraining": False,
      "performHPO": True, "solutionConfig": {"algorithmHyperParameters": {"hidden_dimension": "100",
                                                                          "recency_mask": "true"},
                                             "eventValueThreshold": "0.5"}},
     ("dataset_group.main", *DATASETS)),
    ("solution_version.main.up", "solution_version", "shop-main-up",
     {"solutionArn": Ref("solution.main.up"), "trainingMode": "FULL"}, ("solution.main.up", *IMPORTS)),
    ("solution.main.manual", "solution", "manual-sol",
     {"name": "manual-sol", "datasetGroupArn": DSG, "recipeArn": "arn:aws:personalize:::recipe/aws-similar-items",
      "performAutoTraining": True}, ("dataset_group.main", *DATASETS)),
    ("campaign.main.newest", "campaign", "shop-main-newest",
     {"name": "shop-main-newest", "solutionVersionArn": Ref("solution_version.main.up"), "minProvisionedTPS": 2,
      "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}}},
     ("solution_version.main.up",)),
    ("campaign.main.auto", "campaign", "shop-main-auto",
     {"name": "shop-main-auto", "solutionVersionArn": Ref("solution.main.manual", "latestActiveVersionArn"),
      "minProvisionedTPS": 1}, ("solution.main.manual",)),
    ("campaign.main.latest", "campaign", "shop-main-latest",
     {"name": "shop-main-latest", "solutionVersionArn": Ref("solution.main.manual", "arn", "/$LATEST"),
      "minProvisionedTPS": 1, "campaignConfig": {"syncWithLatestSolutionVersion": True}},
     ("solution.main.manual",)),
    ("campaign.main.follow", "campaign", "shop-main-follow",
     {"name": "shop-main-follow", "solutionVersionArn": Ref("solution.main.up", "arn", "/$LATEST"),
      "minProvisionedTPS": 1, "campaignConfig": {"syncWithLatestSolutionVersion": True}},
     ("solution.main.up", "solution_version.main.up")),  # $LATEST needs an ACTIVE version to exist
    ("campaign.main.pinned", "campaign", "shop-main-pinned",
     {"name": "shop-main-pinned",
      "solutionVersionArn": "arn:aws:personalize:eu-west-1:123456789012:solution/shop-main-up/abcd1234",
      "minProvisionedTPS": 1}, ("solution.main.up",)),
    ("event_tracker.main.web", "event_tracker", "shop-main-web", {"name": "shop-main-web", "datasetGroupArn": DSG},
     ("dataset_group.main", *DATASETS)),
    ("filter.main.unseen", "filter", "shop-main-unseen",
     {"name": "shop-main-unseen", "datasetGroupArn": DSG,
      "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'},
     ("dataset_group.main", *DATASETS)),
    ("metric_attribution.main.impact", "metric_attribution", "shop-main-impact",
     {"name": "shop-main-impact", "datasetGroupArn": DSG,
      "metrics": [{"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"}],
      "metricsOutputConfig": {"roleArn": "arn:aws:iam::123456789012:role/Metrics"}},
     ("dataset_group.main", *DATASETS)),
    ("dataset_group.domain", "dataset_group", "domain", {"name": "domain", "domain": "ECOMMERCE"}, ()),
    ("recommender.domain.for-you", "recommender", "domain-for-you",
     {"name": "domain-for-you", "datasetGroupArn": Ref("dataset_group.domain"),
      "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
      "recommenderConfig": {"minRecommendationRequestsPerSecond": 3}, "state": "ACTIVE"},
     ("dataset_group.domain",)),
    ("recommender.domain.stopped", "recommender", "domain-stopped",
     {"name": "domain-stopped", "datasetGroupArn": Ref("dataset_group.domain"),
      "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views", "state": "INACTIVE"},
     ("dataset_group.domain",)),
]


def test_spec_resources_in_file_order(spec):
    assert list(spec.resources) == [e[0] for e in EXPECTED]


@pytest.mark.parametrize("address, type_, name, params, depends_on", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_spec_flattens_resource(spec, address, type_, name, params, depends_on):
    r = spec.resources[address]
    assert (r.type, r.name) == (type_, name)
    assert dict(r.params) == params
    assert r.depends_on == depends_on


@pytest.mark.parametrize("address, tags", [
    ("schema.inter", {}),                                                       # schemas take no tags
    ("dataset_group.main", {"team": "recs", "env": "prod", "cost": "42"}),      # resource wins, values are text
    ("dataset.main.interactions", {"team": "recs", "env": "dev"}),
    ("dataset_import.main.items", {"team": "recs", "env": "dev"}),
    ("campaign.main.latest", {"team": "recs", "env": "staging"}),
    ("metric_attribution.main.impact", {}),                                     # no tags in the API
    ("recommender.domain.for-you", {"team": "recs", "env": "dev"}),
])
def test_spec_tags_merge_defaults(spec, address, tags):
    assert dict(spec.resources[address].tags) == tags


def test_spec_training_triggers_on_imports(spec):
    sv = spec.resources["solution_version.main.up"]
    assert sv.triggers == tuple(Ref(i, "arn") for i in IMPORTS)
    assert "solution_version.main.manual" not in spec.resources  # trigger: never


@pytest.mark.parametrize("address, lifecycle", [
    ("dataset_group.main", Lifecycle(prevent_destroy=True)),
    ("campaign.main.newest", Lifecycle(ignore_changes=("*",))),
    ("campaign.main.pinned", Lifecycle(ignore_changes=("campaignConfig.itemExplorationConfig", "tags"))),
    ("dataset.main.items", Lifecycle()),
])
def test_spec_lifecycle(spec, address, lifecycle):
    assert spec.resources[address].lifecycle == lifecycle


def test_spec_outputs(spec):
    outputs = {name: o.value for name, o in spec.outputs.items()}
    assert outputs == {
        "campaign": Ref("campaign.main.newest"),
        "latest": Ref("solution.main.manual", "arn", "/$LATEST"),
        "tracking": Ref("event_tracker.main.web", "trackingId"),
        "literal": 42,
        "escaped": "${not.a.ref}",
    }
    assert spec.outputs["campaign"].description == "the campaign"
    assert spec.outputs["campaign"].source.line == SPEC.splitlines().index("outputs:") + 2


def test_spec_top_level(spec):
    assert (spec.stack, spec.region, spec.backend) == ("shop", "eu-west-1", None)
    assert len(spec.digest) == 64


def test_spec_source_locations(spec):
    src = spec.resources["solution.main.up"].source
    lines = SPEC.splitlines()
    assert (src.line, src.col) == (lines.index("      up:") + 1, 7)
    assert src.file.endswith("perso.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "perso.yaml"
    path.write_text(textwrap.dedent(text))
    return path


MINIMAL = """\
version: 1
stack: s
dataset_groups:
  g: {}
"""


def test_spec_digest_is_stable_and_follows_content(tmp_path):
    a = load_spec(write(tmp_path, MINIMAL)).digest
    assert load_spec(write(tmp_path, MINIMAL + "# a comment\n")).digest == a
    assert load_spec(write(tmp_path, MINIMAL.replace("g: {}", "g: {name: other}"))).digest != a


@pytest.mark.parametrize("backend, expected", [
    ("local: {path: state/s.json}", lambda d: {"local": {"path": str((d / "state" / "s.json").resolve())}}),
    ("s3: {bucket: my-bucket, key: perso/s.json, region: eu-west-1}",
     lambda d: {"s3": {"bucket": "my-bucket", "key": "perso/s.json", "region": "eu-west-1"}}),
])
def test_spec_backend(tmp_path, backend, expected):
    spec = load_spec(write(tmp_path, MINIMAL + f"backend:\n  {backend}\n"))
    assert spec.backend == expected(tmp_path)


def test_spec_yaml_anchors_and_merge_keys(tmp_path):
    spec = load_spec(write(tmp_path, """\
        version: 1
        stack: s
        schemas:
          inter:
            schema: &inter
              type: record
              name: Interactions
              fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}]
        dataset_groups:
          g:
            datasets:
              i: {datasetType: Interactions, schema: inter}
            solutions:
              a: &sol {recipeArn: "arn:aws:personalize:::recipe/aws-sims", performAutoTraining: false}
              b:
                <<: *sol
                performAutoTraining: true
        """))
    assert spec.resources["solution.g.a"].params["performAutoTraining"] is False
    assert spec.resources["solution.g.b"].params["performAutoTraining"] is True
    assert spec.resources["solution.g.b"].params["recipeArn"] == "arn:aws:personalize:::recipe/aws-sims"


def test_spec_schema_as_json_string(tmp_path):
    spec = load_spec(write(tmp_path, f"""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: '{json.dumps(INTERACTIONS)}'
        """))
    assert spec.resources["schema.inter"].params["schema"] == canonical(INTERACTIONS)


def test_spec_json_schema_is_valid_and_closed():
    from jsonschema import Draft202012Validator

    schema = spec_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"version", "stack"}
    schema["title"] = "changed"
    assert spec_json_schema()["title"] != "changed"  # a fresh copy each time

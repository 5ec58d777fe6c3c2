"""What AWS echoes differently from what a spec says must not show as a change (issue 10 item 2).

One table row per rule: an object shaped as real AWS returned it (served by the emulator from its
store, read by the adapter over HTTP), the spec's value, and whether the differ may see a change.
Each row cites the real response (tests/emulator/real_aws/, ../shared/reference/real-aws/) or the doc
it comes from. Rows marked `changed` check that a real difference is still seen."""

from __future__ import annotations

import json

import pytest
from shape_checked import checked_client

from perso_iac.compare import differing_paths
from perso_iac.emulator.backend import TYPES
from perso_iac.resources.registry import REGISTRY

ACCT = "arn:aws:personalize:us-east-1:286088221410"
GROUP = f"{ACCT}:dataset-group/g"
T = {"creationDateTime": 1620828858.0, "lastUpdatedDateTime": 1620828858.0}
SOLUTION = {"name": "s", "solutionArn": f"{ACCT}:solution/s", "performHPO": False, "performAutoML": False,
            "recipeArn": "arn:aws:personalize:::recipe/aws-sims", "datasetGroupArn": GROUP, "status": "ACTIVE", **T}
UP = {**SOLUTION, "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization", "solutionConfig": {}}
CAMPAIGN = {"name": "c", "campaignArn": f"{ACCT}:campaign/c", "solutionVersionArn": f"{ACCT}:solution/s/67c10bf1",
            "minProvisionedTPS": 1, "campaignConfig": {}, "status": "ACTIVE", **T}
HPO_RANGES = {"integerHyperParameterRanges": [{"name": "bptt", "minValue": 2, "maxValue": 22}],
              "continuousHyperParameterRanges": [],
              "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}]}
HPO_ECHO = {"integerHyperParameterRanges": [{"name": "training.bptt", "minValue": 2, "maxValue": 22}],
            "continuousHyperParameterRanges": [],
            "categoricalHyperParameterRanges": [{"name": "data.recency_mask", "values": ["true", "false"]}]}
SCHEMA_TEXT = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", '
               '"fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
               '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')

ROWS = [
    # (adapter, emulator type, AWS object, spec params, changed paths, source)
    ("solution", "solution", SOLUTION, {"performAutoTraining": True}, [],
     "performAutoTraining omitted = true: describe_solution__amazon-personalize-immersion-day__2.json; "
     "API_CreateSolution default"),
    ("solution", "solution", SOLUTION, {"performAutoTraining": False}, ["performAutoTraining"],
     "changed: a solution AWS reports without the flag trains automatically"),
    ("solution", "solution", SOLUTION, {"performIncrementalUpdate": False}, [],
     "performIncrementalUpdate omitted = false: FINDINGS.md §2 (never returned)"),
    ("solution", "solution", SOLUTION, {"solutionConfig": {}}, [],
     "solutionConfig absent for sims: describe_solution__amazon-personalize-immersion-day__2.json"),
    ("solution", "solution", UP, {}, [],
     "solutionConfig {} added for user-personalization: describe_solution__amazon-personalize-immersion-day__1.json"),
    ("solution", "solution", UP, {"solutionConfig": {}}, [], "same, spec says {}"),
    ("solution", "solution",
     {**UP, "performHPO": True, "solutionConfig": {"hpoConfig": {"algorithmHyperParameterRanges": HPO_ECHO},
                                                    "algorithmHyperParameters": {"hidden_dimension": "55"}}},
     {"performHPO": True, "solutionConfig": {"hpoConfig": {"algorithmHyperParameterRanges": HPO_RANGES},
                                             "algorithmHyperParameters": {"hidden_dimension": 55}}}, [],
     "HPO range names echoed as training.bptt / data.recency_mask, values as strings: "
     "docs customizing-solution-config-hpo ('Viewing hyperparameters')"),
    ("solution", "solution",
     {**UP, "performHPO": True, "solutionConfig": {"hpoConfig": {"algorithmHyperParameterRanges": HPO_ECHO}}},
     {"solutionConfig": {"hpoConfig": {"algorithmHyperParameterRanges": {
         **HPO_RANGES, "integerHyperParameterRanges": [{"name": "bptt", "minValue": 2, "maxValue": 40}]}}}},
     ["solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges"],
     "changed: a new range for the same hyperparameter is still a change"),
    ("campaign", "campaign", CAMPAIGN, {"campaignConfig": {}}, [],
     "campaignConfig {} when unset: describe_campaign__amazon-personalize-immersion-day__2.json"),
    ("campaign", "campaign", {k: v for k, v in CAMPAIGN.items() if k != "campaignConfig"}, {"campaignConfig": {}}, [],
     "campaignConfig absent (emulators, older SDKs) is the same as {}"),
    ("campaign", "campaign",
     {**CAMPAIGN, "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3",
                                                               "explorationItemAgeCutOff": "30"}}},
     {"campaignConfig": {"itemExplorationConfig": {"explorationWeight": 0.3, "explorationItemAgeCutOff": 30}}}, [],
     "exploration values are strings in the API (botocore map<string,string>; FINDINGS.md gaps)"),
    ("campaign", "campaign", {**CAMPAIGN, "campaignConfig": {"enableMetadataWithRecommendations": True}},
     {"campaignConfig": {"enableMetadataWithRecommendations": False}},
     ["campaignConfig.enableMetadataWithRecommendations"],
     "changed: a JSON boolean, compared as one (describe_campaign__amazon-personalize-immersion-day__1.json)"),
    ("dataset", "dataset",
     {"name": "d", "datasetArn": f"{ACCT}:dataset/g/INTERACTIONS", "datasetGroupArn": GROUP,
      "datasetType": "INTERACTIONS", "schemaArn": f"{ACCT}:schema/Interactions", "status": "ACTIVE", **T},
     {"datasetType": "Interactions"}, [],
     "datasetType upper case: describe_dataset__amazon-personalize-immersion-day__1.json"),
    ("dataset_import", "dataset_import_job",
     {"jobName": "j", "datasetImportJobArn": f"{ACCT}:dataset-import-job/j", "datasetArn": f"{ACCT}:dataset/g/ITEMS",
      "dataSource": {"dataLocation": "s3://b/i.csv"}, "roleArn": "arn:aws:iam::286088221410:role/R",
      "status": "ACTIVE", **T},
     {"importMode": "FULL", "publishAttributionMetricsToS3": False}, [],
     "importMode / publishAttributionMetricsToS3 omitted: "
     "describe_dataset_import_job__santanu-dey-connect-personalize-demo__1.json"),
    ("schema", "schema", {"name": "Interactions", "schemaArn": f"{ACCT}:schema/Interactions", "schema": SCHEMA_TEXT,
                          **T},
     {"schema": json.loads(SCHEMA_TEXT)}, [],
     "schema is a JSON string with ', ' separators: describe_schema__amazon-personalize-immersion-day__1.json"),
    ("solution_version", "solution_version",
     {"solutionVersionArn": f"{ACCT}:solution/s/0a1b2c3d", "solutionArn": f"{ACCT}:solution/s",
      "performHPO": True, "performAutoML": True, "datasetGroupArn": GROUP, "status": "ACTIVE", **T},
     {"trainingMode": "FULL"}, [], "no trainingMode on a 2019 HPO+AutoML version: FINDINGS.md §4"),
]


@pytest.mark.parametrize("adapter_name,rtype,aws,spec,changed,source", ROWS, ids=[r[5][:60] for r in ROWS])
def test_what_aws_echoes_differently_is_not_a_change(emulator, adapter_name, rtype, aws, spec, changed, source):
    emulator.backend.seed(rtype, aws)
    client = checked_client(emulator.endpoint_url)
    adapter = REGISTRY[adapter_name]
    observed = adapter.read(client, aws[TYPES[rtype].arn_key])
    assert observed is not None
    desired = adapter.normalize(spec)
    before = adapter.align_observed(observed.params, desired)
    assert differing_paths(desired, before) == changed, source
    assert client.shape_checker.problems == []

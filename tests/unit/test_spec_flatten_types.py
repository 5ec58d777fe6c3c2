"""The flattener sends each value with the type the API model gives it.

Regression: every key named eventValueThreshold was turned into a string at any depth, so boto3
refused solutionConfig.eventsConfig.eventParametersList[].eventValueThreshold (a double) at apply,
after validate had passed. Only solutionConfig.eventValueThreshold is a string (botocore's
personalize model: SolutionConfig.eventValueThreshold -> EventValueThreshold string;
EventParameters.eventValueThreshold -> double).
"""

from __future__ import annotations

import boto3
from botocore.validate import validate_parameters

from perso_iac.spec.loader import load_spec

SPEC = """\
version: 1
stack: s
schemas:
  inter:
    schema: {type: record, name: Interactions, namespace: com.amazonaws.personalize.schema, version: "1.0",
             fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long},
                      {name: EVENT_TYPE, type: string}, {name: EVENT_VALUE, type: ["null", float]}]}
dataset_groups:
  g:
    datasets:
      interactions: {datasetType: Interactions, schema: inter}
    solutions:
      s:
        recipeArn: arn:aws:personalize:::recipe/aws-user-personalization-v2
        performAutoTraining: false
        solutionConfig:
          eventValueThreshold: 0.5
          eventsConfig:
            eventParametersList:
              - {eventType: click, eventValueThreshold: 0.5, weight: 0.3}
              - {eventType: buy, eventValueThreshold: 2, weight: 1}
          hpoConfig:
            hpoResourceConfig: {maxNumberOfTrainingJobs: 8, maxParallelTrainingJobs: 2}
"""


def test_event_value_threshold_is_a_string_only_at_the_top(tmp_path):
    path = tmp_path / "perso.yaml"
    path.write_text(SPEC)
    config = load_spec(path, environ={}).resources["solution.g.s"].params["solutionConfig"]
    assert config["eventValueThreshold"] == "0.5"
    assert [p["eventValueThreshold"] for p in config["eventsConfig"]["eventParametersList"]] == [0.5, 2]
    assert config["hpoConfig"]["hpoResourceConfig"] == {"maxNumberOfTrainingJobs": "8", "maxParallelTrainingJobs": "2"}
    model = boto3.client("personalize", region_name="us-east-1").meta.service_model
    request = {"name": "s", "datasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:dataset-group/g",
               "solutionConfig": config}
    validate_parameters(request, model.operation_model("CreateSolution").input_shape)  # raises when a type is wrong

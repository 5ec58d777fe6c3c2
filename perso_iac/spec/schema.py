"""The JSON Schema of a perso spec file: the single source of its keys and their types.

`perso schema` prints it (for editors and linters); the loader validates every spec against it
before the semantic checks in `validate.py`. Personalize parameters are spelled as the API spells
them. Objects are closed (`additionalProperties: false`) so a misspelled key is an error, not a
silently ignored setting.
"""

from __future__ import annotations

import copy
from typing import Any

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$"
KEY_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"  # map keys become address parts: no dots
VAR_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_-]*$"
DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
DOMAINS = ("ECOMMERCE", "VIDEO_ON_DEMAND")


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), description: str | None = None,
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    out.update(extra)
    return out


def _map(values: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """A mapping keyed by user-chosen keys (resource keys, tags...)."""
    out: dict[str, Any] = {"type": "object", "propertyNames": {"pattern": KEY_PATTERN},
                           "additionalProperties": values}
    if description:
        out["description"] = description
    return out


_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_SCALAR = {"type": ["string", "number", "boolean"]}
_STRING_MAP = {"type": "object", "additionalProperties": _SCALAR}  # API string maps; numbers are stringified

_LIFECYCLE = _obj({
    "prevent_destroy": {**_BOOL, "description": "Refuse any plan that would delete or replace this resource."},
    "ignore_changes": {
        "description": "Parameter paths (dotted, e.g. `campaignConfig.itemExplorationConfig`, or `tags`) "
                       "whose differences the plan ignores, or \"all\".",
        "type": ["string", "array"], "items": _STR,
    },
}, description="Terraform-style lifecycle options.")

_TAGS = {"type": "object", "additionalProperties": _SCALAR,
         "description": "Tags; merged over `defaults.tags`."}

_COMMON = {
    "name": {**_STR, "description": "The AWS name; defaults to the key (nested: '<group name>-<key>')."},
    "lifecycle": _LIFECYCLE,
}
_TAGGED = {**_COMMON, "tags": _TAGS}

_DATASET_COLUMNS = {"type": "object", "additionalProperties": {"type": "array", "items": _STR}}
_TRAINING_DATA_CONFIG = _obj({"excludedDatasetColumns": _DATASET_COLUMNS,
                              "includedDatasetColumns": _DATASET_COLUMNS})

_SOLUTION_CONFIG = _obj({
    "eventValueThreshold": _SCALAR,
    "hpoConfig": _obj({
        "hpoObjective": _obj({"type": _STR, "metricName": _STR, "metricRegex": _STR}),
        "hpoResourceConfig": _obj({"maxNumberOfTrainingJobs": _SCALAR, "maxParallelTrainingJobs": _SCALAR}),
        "algorithmHyperParameterRanges": _obj({
            "integerHyperParameterRanges": {"type": "array", "items": _obj(
                {"name": _STR, "minValue": {"type": "integer"}, "maxValue": {"type": "integer"}})},
            "continuousHyperParameterRanges": {"type": "array", "items": _obj(
                {"name": _STR, "minValue": {"type": "number"}, "maxValue": {"type": "number"}})},
            "categoricalHyperParameterRanges": {"type": "array", "items": _obj(
                {"name": _STR, "values": {"type": "array", "items": _STR}})},
        }),
    }),
    "algorithmHyperParameters": _STRING_MAP,
    "featureTransformationParameters": _STRING_MAP,
    "autoMLConfig": _obj({"metricName": _STR, "recipeList": {"type": "array", "items": _STR}}),
    "eventsConfig": _obj({"eventParametersList": {"type": "array", "items": _obj({
        "eventType": _STR, "eventValueThreshold": {"type": "number"},
        "weight": {"type": "number", "minimum": 0, "maximum": 1}})}}),
    "optimizationObjective": _obj({"itemAttribute": _STR,
                                   "objectiveSensitivity": {"enum": ["LOW", "MEDIUM", "HIGH", "OFF"]}}),
    "trainingDataConfig": _TRAINING_DATA_CONFIG,
    "autoTrainingConfig": _obj({"schedulingExpression": {
        **_STR, "description": "`rate(N days)`, N from 1 to 30 (AWS default: rate(7 days))."}}),
}, description="CreateSolution's solutionConfig, spelled as the API spells it.")

_CAMPAIGN_CONFIG = _obj({
    "itemExplorationConfig": _STRING_MAP,
    "enableMetadataWithRecommendations": _BOOL,
    "syncWithLatestSolutionVersion": _BOOL,
    "rankingInfluence": {"type": "object", "propertyNames": {"enum": ["POPULARITY", "FRESHNESS"]},
                         "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
}, description="CreateCampaign's campaignConfig.")

_RECOMMENDER_CONFIG = _obj({
    "itemExplorationConfig": _STRING_MAP,
    "minRecommendationRequestsPerSecond": {"type": "integer", "minimum": 1},
    "trainingDataConfig": _TRAINING_DATA_CONFIG,
    "enableMetadataWithRecommendations": _BOOL,
}, description="CreateRecommender's recommenderConfig.")

_S3_DATA_CONFIG = _obj({"path": _STR, "kmsKeyArn": _STR}, ("path",))

_DATASET = _obj({
    **_TAGGED,
    "datasetType": {**_STR, "description": "Interactions | Items | Users | Actions | Action_Interactions "
                                           "(case-insensitive)."},
    "schema": {**_STR, "description": "The key of an entry in `schemas`."},
    "import": _obj({
        "dataSource": _obj({"dataLocation": {**_STR, "description": "s3://bucket/prefix/ or a file"}},
                           ("dataLocation",)),
        "roleArn": _STR,
        "importMode": {"enum": ["FULL", "INCREMENTAL"]},
        "publishAttributionMetricsToS3": _BOOL,
        "tags": _TAGS,
    }, ("dataSource",), description="Import data when the dataset is created or the source changes."),
}, ("datasetType", "schema"))

_SOLUTION = _obj({
    **_TAGGED,
    "recipeArn": _STR,
    "performAutoTraining": {**_BOOL, "description": "Required: AWS trains (and bills) every 7 days by default."},
    "performHPO": _BOOL,
    "performAutoML": _BOOL,
    "performIncrementalUpdate": _BOOL,
    "eventType": _STR,
    "solutionConfig": _SOLUTION_CONFIG,
    "training": _obj({
        "trigger": {"enum": ["on_change", "never"],
                    "description": "on_change: train a version when the solution or its data changes."},
        "trainingMode": {"enum": ["FULL", "UPDATE"]},
        "tags": _TAGS,
    }, description="When perso trains solution versions (default: on_change, FULL)."),
}, ("performAutoTraining",))

_CAMPAIGN = _obj({
    **_TAGGED,
    "solution": {**_STR, "description": "The key of a solution in the same dataset group."},
    "solutionVersion": {**_STR, "description": "newest (default), $LATEST, or a solution version ARN."},
    "minProvisionedTPS": {"type": "integer", "minimum": 1,
                          "description": "Required: billed per TPS-hour while the campaign exists."},
    "campaignConfig": _CAMPAIGN_CONFIG,
}, ("solution", "minProvisionedTPS"))

_METRIC = _obj({"eventType": _STR, "metricName": _STR, "expression": _STR},
               ("eventType", "metricName", "expression"))

_DATASET_GROUP = _obj({
    **_TAGGED,
    "domain": {"enum": list(DOMAINS)},
    "roleArn": _STR,
    "kmsKeyArn": _STR,
    "datasets": _map(_DATASET),
    "solutions": _map(_SOLUTION),
    "campaigns": _map(_CAMPAIGN),
    "event_trackers": _map(_obj(_TAGGED)),
    "filters": _map(_obj({**_TAGGED, "filterExpression": _STR}, ("filterExpression",))),
    "recommenders": _map(_obj({
        **_TAGGED,
        "recipeArn": _STR,
        "recommenderConfig": _RECOMMENDER_CONFIG,
        "state": {"enum": ["ACTIVE", "INACTIVE"],
                  "description": "INACTIVE stops the recommender (and its billing)."},
    }, ("recipeArn",))),
    "metric_attributions": _map(_obj({
        **_COMMON,
        "metrics": {"type": "array", "items": _METRIC, "minItems": 1},
        "metricsOutputConfig": _obj({"s3DataDestination": _S3_DATA_CONFIG, "roleArn": _STR}, ("roleArn",)),
    }, ("metrics", "metricsOutputConfig"))),
})

_SCHEMA = _obj({
    **_COMMON,
    "domain": {"enum": list(DOMAINS)},
    "schema": {"type": ["object", "string"],
               "description": "The Avro schema: a YAML/JSON object or a JSON string."},
    "schema_file": {**_STR, "description": "A JSON file with the Avro schema, relative to the spec file."},
}, description="Exactly one of `schema` and `schema_file`.")

_VARIABLE = _obj({
    "type": {"enum": ["string", "integer", "number", "boolean"]},
    "default": {"type": ["string", "number", "boolean"]},
    "description": _STR,
    "sensitive": {"type": "boolean", "description": "Redacted in saved plans (see docs/spec.md)."},
})

_SPEC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://perso.dev/schema/spec-v1.json",
    "title": "perso spec",
    "description": "Infrastructure as code for Amazon Personalize (see docs/spec.md).",
    **_obj({
        "version": {"const": 1, "description": "The spec format version; must be 1."},
        "stack": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 63,
                  "description": "Names the state of this spec."},
        "region": _STR,
        "variables": {"type": "object", "propertyNames": {"pattern": VAR_NAME_PATTERN},
                      "additionalProperties": _VARIABLE},
        "backend": _obj({
            "local": _obj({"path": _STR}, ("path",)),
            "s3": _obj({"bucket": _STR, "key": _STR, "region": _STR, "kms_key_id": _STR,
                        "endpoint_url": _STR}, ("bucket", "key")),
        }, description="Where the state lives: exactly one of `local` and `s3`.",
            minProperties=1, maxProperties=1),
        "defaults": _obj({"tags": _TAGS}),
        "schemas": _map(_SCHEMA),
        "dataset_groups": _map(_DATASET_GROUP),
        "outputs": {"type": "object", "propertyNames": {"pattern": VAR_NAME_PATTERN},
                    "additionalProperties": _obj({"value": {}, "description": _STR}, ("value",))},
    }, ("version", "stack")),
}


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file (a fresh copy: callers may modify it)."""
    return copy.deepcopy(_SPEC_SCHEMA)

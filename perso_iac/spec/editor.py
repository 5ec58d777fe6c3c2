"""The spec's JSON Schema for editors (yaml-language-server, JetBrains): the validator's schema with
`${var.…}` / `${…}` references accepted wherever a scalar is, and a description on every key.

`perso validate` checks resolved values against the strict schema (schema.py) and then runs its
semantic checks; this one describes the file as written, before variables are resolved, so an
editor can complete keys, show hover help and flag typos without rejecting `${var.tps}`.
Published as docs/perso-spec.schema.json (`make schema` / a test keeps it current).
"""

from __future__ import annotations

import json
from typing import Any

from .schema import spec_json_schema

SCHEMA_ID = "https://raw.githubusercontent.com/perso-iac/perso/main/docs/perso-spec.schema.json"

REFERENCE = {
    "type": "string", "pattern": r"\$\{[^}]+\}",
    "description": "A reference resolved by perso: `${var.NAME}`, `${tf.NAME.outputs.KEY}`, or "
                   "`${TYPE.GROUP.KEY.ATTRIBUTE}` (in outputs).",
}

# Keys the adapters leave undescribed, by their path's last segments (the longest match wins).
# Personalize spells parameters the same way in every API, so most are described by their name.
DESCRIPTIONS: dict[str, str] = {
    "region": "The AWS region (default: --region, then the AWS configuration).",
    "variables": "Inputs set with --var, --var-file or PERSO_VAR_<NAME>; used as ${var.NAME}.",
    "variables.*.type": "The variable's type: string (default), integer, number, boolean, list or map.",
    "variables.*.default": "The value when neither --var, --var-file nor PERSO_VAR_<NAME> sets one.",
    "variables.*.description": "What the variable is for (shown in errors about it).",
    "backend.local": "State in a local JSON file (next to the spec unless `path` says otherwise).",
    "backend.local.path": "The state file, relative to the spec file.",
    "backend.s3": "State in S3, locked with a conditional-write lock object; versioning recommended.",
    "backend.s3.bucket": "The S3 bucket holding the state.",
    "backend.s3.key": "The object key of the state, e.g. perso/retail-prod.json.",
    "backend.s3.region": "The bucket's region (default: the spec's region).",
    "backend.s3.kms_key_id": "A KMS key for server-side encryption of the state object.",
    "backend.s3.endpoint_url": "An S3-compatible endpoint (tests, MinIO); default: AWS.",
    "defaults": "Settings every resource inherits.",
    "defaults.tags": "Tags added to every taggable resource (a resource's own tags win).",
    "schemas": "Avro schemas, by key (CreateSchema); datasets refer to them by key.",
    "schemas.*.domain": "ECOMMERCE or VIDEO_ON_DEMAND for a domain dataset group's schema; omit for custom.",
    "dataset_groups": "Dataset groups, by key (CreateDatasetGroup), with everything inside them.",
    "dataset_groups.*.domain": "ECOMMERCE or VIDEO_ON_DEMAND for a domain dataset group (recommenders); "
                               "omit for a custom one (solutions and campaigns). Cannot change in place.",
    "datasets": "The group's datasets, by key: one per datasetType (CreateDataset).",
    "dataSource": "Where the import reads from: {dataLocation: s3://bucket/path/}.",
    "importMode": "FULL (replace the data) or INCREMENTAL (add to it).",
    "publishAttributionMetricsToS3": "Publish metric attribution reports for this import to S3.",
    "roleArn": "An IAM role Personalize assumes (to read the S3 data or write results).",
    "kmsKeyArn": "A KMS key Personalize uses to encrypt the data (cannot change in place).",
    "solutions": "Solutions (a recipe and its configuration), by key (CreateSolution); each trains a version.",
    "recipeArn": "The recipe, e.g. arn:aws:personalize:::recipe/aws-user-personalization-v2.",
    "performHPO": "Tune hyperparameters (hpoConfig) when training.",
    "performAutoML": "Let Personalize choose among autoMLConfig.recipeList (legacy).",
    "performIncrementalUpdate": "Train incrementally on new data (recipes that support it).",
    "hpoConfig": "Hyperparameter optimization: objective, resources and ranges.",
    "hpoObjective": "The metric to optimize: type Maximize/Minimize, metricName, metricRegex.",
    "hpoObjective.type": "Maximize or Minimize.",
    "metricName": "The metric's name.",
    "metricRegex": "A regular expression finding the metric in the training logs.",
    "hpoResourceConfig": "How many training jobs HPO runs, in all and at once (strings of digits).",
    "maxNumberOfTrainingJobs": "The most training jobs HPO runs (a string, e.g. \"40\").",
    "maxParallelTrainingJobs": "The most training jobs HPO runs at once (a string, e.g. \"10\").",
    "algorithmHyperParameterRanges": "The ranges HPO searches, by kind.",
    "integerHyperParameterRanges": "Integer hyperparameters: name, minValue, maxValue.",
    "continuousHyperParameterRanges": "Continuous hyperparameters: name, minValue, maxValue.",
    "categoricalHyperParameterRanges": "Categorical hyperparameters: name and values.",
    "integerHyperParameterRanges.*.name": "The hyperparameter's name, as the recipe documents it.",
    "continuousHyperParameterRanges.*.name": "The hyperparameter's name, as the recipe documents it.",
    "categoricalHyperParameterRanges.*.name": "The hyperparameter's name, as the recipe documents it.",
    "categoricalHyperParameterRanges.*.values": "The values HPO tries.",
    "minValue": "The smallest value HPO tries.",
    "maxValue": "The largest value HPO tries.",
    "algorithmHyperParameters": "Fixed hyperparameters, name to value (strings).",
    "featureTransformationParameters": "Feature transformation settings, name to value (strings).",
    "autoMLConfig": "The recipes AutoML chooses from and the metric it compares.",
    "recipeList": "Recipe ARNs AutoML chooses from.",
    "eventsConfig": "How event types weigh in training (aws-user-personalization-v2).",
    "eventParametersList": "Per event type: eventType, eventValueThreshold, weight.",
    "eventType": "The EVENT_TYPE value this applies to.",
    "eventValueThreshold": "Only events with EVENT_VALUE at least this count (a number, or as a string).",
    "eventParametersList.*.weight": "How much this event type counts, 0 to 1.",
    "optimizationObjective": "Optimize for a business metric as well as relevance.",
    "itemAttribute": "The Items column to optimize (e.g. PRICE).",
    "objectiveSensitivity": "How strongly to optimize it: LOW, MEDIUM, HIGH or OFF.",
    "autoTrainingConfig": "Automatic training's schedule, e.g. schedulingExpression: rate(7 days).",
    "trainingDataConfig": "Columns to leave out of (or include in) training, by dataset type.",
    "excludedDatasetColumns": "Per dataset type (INTERACTIONS, ITEMS, USERS), the columns training ignores.",
    "includedDatasetColumns": "Per dataset type, the only columns training uses.",
    "trainingMode": "FULL (default) or UPDATE (only recipes that support it).",
    "campaigns": "Campaigns serving a solution's version, by key (CreateCampaign; billed per provisioned TPS).",
    "syncWithLatestSolutionVersion": "Move the campaign to each new version automatic training makes.",
    "itemExplorationConfig": "How much to explore new items: explorationWeight, "
                             "explorationItemAgeCutOff (strings).",
    "enableMetadataWithRecommendations": "Return item metadata with recommendations (billed extra).",
    "rankingInfluence": "How strongly each objective weighs in ranking (recommenders).",
    "event_trackers": "Event trackers, by key (CreateEventTracker): where PutEvents sends live events.",
    "filters": "Filters, by key (CreateFilter), used in GetRecommendations.",
    "filterExpression": "The filter expression, e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\").",
    "recommenders": "Recommenders of a domain dataset group, by key (CreateRecommender; billed while ACTIVE).",
    "minRecommendationRequestsPerSecond": "The minimum requests per second the recommender is provisioned "
                                          "for (billed).",
    "metric_attributions": "The group's metric attribution (CreateMetricAttribution): business metrics from events.",
    "metrics": "The metrics: eventType, metricName, expression (e.g. SUM(Items.PRICE)).",
    "expression": "How to compute the metric: SAMPLECOUNT() or SUM(DatasetType.COLUMN).",
    "metricsOutputConfig": "Where the metric reports go: s3DataDestination and roleArn.",
    "s3DataDestination": "An S3 path and, optionally, the KMS key to encrypt with.",
    "s3DataDestination.path": "The S3 path the reports are written to (s3://bucket/prefix/).",
    "outputs": "Values other tools read with `perso output` (e.g. a campaign's ARN for an application).",
    "outputs.*.value": "A reference such as ${campaign.GROUP.KEY.arn}, a literal, or both in a string.",
    "outputs.*.description": "What the output is, for its readers.",
    "terraform.*": "A Terraform state in S3: bucket, key, region.",
    "moved.*.from": "The old address (e.g. campaign.retail.home).",
    "moved.*.to": "The new address (e.g. campaign.retail.for-you).",
    "description": "What this is for.",
    "name": "The AWS name; defaults to the key (nested: '<group name>-<key>').",
    "type": "The kind.",
    "value": "The value.",
}

EXAMPLES: dict[str, list[Any]] = {
    "stack": ["retail-${var.env}"],
    "recipeArn": ["arn:aws:personalize:::recipe/aws-user-personalization-v2"],
    "minProvisionedTPS": [1, "${var.tps}"],
    "roleArn": ["arn:aws:iam::123456789012:role/PersonalizeS3", "${var.import_role}"],
    "dataLocation": ["s3://acme-personalize/interactions/", "s3://${var.bucket}/interactions/"],
}

_SCALARS = {"string", "integer", "number", "boolean", "null"}


def editor_schema() -> dict[str, Any]:
    """The editor schema (a fresh copy)."""
    schema = json.loads(json.dumps(spec_json_schema()))  # no shared nodes: each is rewritten once
    schema["$id"] = SCHEMA_ID
    schema["title"] = "perso spec (for editors: references allowed, values checked by `perso validate`)"
    _visit(schema, ())
    return schema


def _describe(node: dict[str, Any], path: tuple[str, ...]) -> None:
    if "description" not in node:
        for size in range(len(path), 0, -1):
            text = DESCRIPTIONS.get(".".join(path[-size:]))
            if text:
                node["description"] = text
                break
    examples = EXAMPLES.get(path[-1]) if path else None
    if examples and "examples" not in node:
        node["examples"] = examples


def _is_scalar(node: dict[str, Any]) -> bool:
    types = node.get("type")
    if isinstance(types, str):
        types = [types]
    if types is None:
        return "enum" in node or "const" in node
    return any(t in _SCALARS for t in types)


def _visit(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """Describe `node`'s keys and wrap its scalars so a reference is accepted; returns the node."""
    for key, child in list((node.get("properties") or {}).items()):
        if isinstance(child, dict):
            node["properties"][key] = _leaf(_visit(child, (*path, key)), (*path, key))
    for key in ("additionalProperties", "items"):
        child = node.get(key)
        if isinstance(child, dict):
            node[key] = _leaf(_visit(child, (*path, "*")), (*path, "*"))
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [_leaf(_visit(c, path), path) if isinstance(c, dict) else c for c in node[key]]
    return node


def _leaf(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    if path and path[-1] != "*":
        _describe(node, path)
    if not _is_scalar(node) or any(isinstance(node.get(k), list) and REFERENCE in node[k] for k in ("anyOf",)):
        return node
    inner = {k: v for k, v in node.items() if k not in ("description", "examples")}
    wrapped: dict[str, Any] = {"anyOf": [inner, REFERENCE]}
    for key in ("description", "examples"):
        if key in node:
            wrapped[key] = node[key]
    return wrapped

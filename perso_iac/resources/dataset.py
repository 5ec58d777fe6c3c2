"""Dataset: its schema can be swapped in place (UpdateDataset) for Items and Users only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import PersoError
from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick
from .impact import Impact

DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
_CANONICAL = {t.lower(): t for t in DATASET_TYPES}
_SCHEMA_UPDATABLE = {"Items", "Users"}  # AWS: "You can't update the schema of Item interactions ..." datasets
_PARAMS = ("name", "datasetType", "schemaArn", "datasetGroupArn")


def canonical_dataset_type(value: Any) -> Any:
    return _CANONICAL.get(str(value).lower(), value) if value is not None else None


class DatasetType(ResourceType):
    type_name = "dataset"
    impact = Impact(
        typical_create=60, typical_delete=120,
        unavailable="training on and filtering by its data until it is imported again",
        changes=("dataset ARN",),
        pick_up="PutItems/PutUsers/PutActions callers passing the dataset ARN",
        loss="its imported data and the records streamed into it (perso re-imports the spec's S3 source)")
    updatable = frozenset({"schemaArn"})
    create_timeout = 1800.0
    delete_timeout = 1800.0

    def can_update(self, key: str, desired: Mapping[str, Any]) -> bool:
        return key == "schemaArn" and canonical_dataset_type(desired.get("datasetType")) in _SCHEMA_UPDATABLE

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if "datasetType" in out:
            out["datasetType"] = canonical_dataset_type(out["datasetType"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_dataset, datasetArn=arn)
        if resp is None:
            return None
        ds = resp["dataset"]
        update = ds.get("latestDatasetUpdate") or {}
        # While an UpdateDataset runs, AWS reports the new schema only in latestDatasetUpdate.
        params = pick(ds, _PARAMS)
        if update.get("schemaArn") and update.get("status") not in ("CREATE FAILED",):
            params["schemaArn"] = update["schemaArn"]
        return Observed(
            arn=arn, params=self.normalize(params), status=ds.get("status"),
            failure_reason=ds.get("failureReason") or update.get("failureReason"),
            outputs={"arn": arn, **({"trackingId": ds["trackingId"]} if ds.get("trackingId") else {})},
            updating=update.get("status") in ("CREATE PENDING", "CREATE IN_PROGRESS"),
        )

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        return find_by_name(client, "list_datasets", "datasets", "datasetArn", name, datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("datasetType", "schemaArn", "datasetGroupArn"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_dataset(name=name, **args)["datasetArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        old, new = before.get("schemaArn"), after["schemaArn"]
        if isinstance(old, str) and old != new:
            problem = schema_evolution_problem(_schema_fields(client, old), _schema_fields(client, new))
            if problem:
                raise PersoError(
                    f"dataset {before.get('name') or arn}: its schema cannot be changed in place: {problem}",
                    hint="UpdateDataset accepts only additive schemas (every existing field kept as is, new "
                    "fields nullable); to change fields, give the dataset a new name so it is replaced "
                    "(its data must then be imported again)",
                )
        client.update_dataset(datasetArn=arn, schemaArn=new)

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_dataset, datasetArn=arn)


def _schema_fields(client: Any, schema_arn: str) -> list[dict[str, Any]] | None:
    resp = describe_or_none(client.describe_schema, schemaArn=schema_arn)
    if resp is None:
        return None
    try:
        fields = json.loads(resp["schema"]["schema"]).get("fields")
    except (ValueError, AttributeError, KeyError):
        return None
    return fields if isinstance(fields, list) else None


def _nullable(field_type: Any) -> bool:
    return isinstance(field_type, list) and "null" in field_type


def schema_evolution_problem(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> str | None:
    """Why AWS would refuse to move a dataset from the `old` to the `new` schema fields, if it would:
    every existing field must be kept with the same type and attributes, and added ones be nullable.
    None when allowed (or when a schema cannot be read: AWS then has the last word)."""
    if old is None or new is None:
        return None
    by_name = {f.get("name"): f for f in new if isinstance(f, Mapping)}
    for f in old:
        if not isinstance(f, Mapping):
            continue
        kept = by_name.get(f.get("name"))
        if kept is None:
            return f"field {f.get('name')} is removed"
        if {k: v for k, v in kept.items() if k != "doc"} != {k: v for k, v in f.items() if k != "doc"}:
            return f"field {f.get('name')} changes from {json.dumps(dict(f))} to {json.dumps(dict(kept))}"
    old_names = {f.get("name") for f in old if isinstance(f, Mapping)}
    for name, f in by_name.items():
        if name not in old_names and not _nullable(f.get("type")):
            return f"new field {name} is not nullable (its type must be a union with \"null\")"
    return None

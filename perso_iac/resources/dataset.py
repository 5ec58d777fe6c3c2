"""Dataset: its schema can be swapped in place (UpdateDataset) for Items and Users only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick

DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
_CANONICAL = {t.lower(): t for t in DATASET_TYPES}
_SCHEMA_UPDATABLE = {"Items", "Users"}  # AWS: "You can't update the schema of Item interactions ..." datasets
_PARAMS = ("name", "datasetType", "schemaArn", "datasetGroupArn")


def canonical_dataset_type(value: Any) -> Any:
    return _CANONICAL.get(str(value).lower(), value) if value is not None else None


class DatasetType(ResourceType):
    type_name = "dataset"
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
        client.update_dataset(datasetArn=arn, schemaArn=after["schemaArn"])

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_dataset, datasetArn=arn)

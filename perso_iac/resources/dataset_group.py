"""Dataset group: everything else lives inside one; nothing about it can be updated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick
from .impact import Impact

_PARAMS = ("name", "domain", "roleArn", "kmsKeyArn")


class DatasetGroupType(ResourceType):
    type_name = "dataset_group"
    impact = Impact(
        typical_create=60, typical_delete=300,
        unavailable="everything in it: imports, training, campaigns, recommenders, filters and PutEvents",
        changes=("dataset group ARN",),
        pick_up="anything configured with the dataset group ARN (PutItems/PutUsers callers, the console)",
        loss="all imported data, trained models and endpoints in it")
    create_timeout = 1800.0
    delete_timeout = 3600.0

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_dataset_group, datasetGroupArn=arn)
        if resp is None:
            return None
        group = resp["datasetGroup"]
        return Observed(arn=arn, params=pick(group, _PARAMS), status=group.get("status"),
                        failure_reason=group.get("failureReason"), outputs={"arn": arn})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        return find_by_name(client, "list_dataset_groups", "datasetGroups", "datasetGroupArn", name)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("domain", "roleArn", "kmsKeyArn"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_dataset_group(name=name, **args)["datasetGroupArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_dataset_group, datasetGroupArn=arn)

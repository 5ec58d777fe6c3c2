"""Dataset group: everything else lives inside one; nothing about it can be updated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts.avro import DOMAINS
from ..spec.checks import KMS_ARN_RE, ROLE_ARN_RE, Checked, PathT, Problems, check_arn
from ..spec.checks import KMS_EXAMPLE as _KMS
from ..spec.checks import ROLE_EXAMPLE as _ROLE
from ..spec.schema_parts import STR, TAGGED, obj
from .base import Listing, Observed, ResourceType, api_tags, describe_or_none, ignore_not_found, pick
from .entry import Discovered, EntryContext, Flat, SpecWriting, lifecycle_of
from .impact import Impact

_PARAMS = ("name", "domain", "roleArn", "kmsKeyArn")
_OWN = ("domain", "roleArn", "kmsKeyArn")


class DatasetGroupType(ResourceType):
    type_name = "dataset_group"
    no_create_before_destroy = ("its datasets, solutions and campaigns belong to it: a new dataset group starts empty, so nothing "
                                "could move to it")
    section = "dataset_groups"
    params = _PARAMS
    listing = Listing("list_dataset_groups", "datasetGroups", "datasetGroupArn")
    import_output = ("dataset_group_arn", "arn")
    impact = Impact(
        typical_create=30, typical_delete=300,  # real groups: 12-28 s
        unavailable="everything in it: imports, training, campaigns, recommenders, filters and PutEvents",
        changes=("dataset group ARN",),
        pick_up="anything configured with the dataset group ARN (PutItems/PutUsers callers, the console)",
        loss="all imported data, trained models and endpoints in it")
    create_timeout = 1800.0
    delete_timeout = 3600.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        """Its own keys; the sections of its members are added by the spec's schema."""
        return obj({**TAGGED, "domain": {"enum": list(DOMAINS)}, "roleArn": STR, "kmsKeyArn": STR})

    def check_entry(self, key: str, path: PathT, entry: Mapping[str, Any], checked: Checked,
                    problems: Problems) -> None:
        check_arn(entry, path, "roleArn", ROLE_ARN_RE, problems, _ROLE)
        check_arn(entry, path, "kmsKeyArn", KMS_ARN_RE, problems, _KMS)
        if "roleArn" in entry and "kmsKeyArn" not in entry:
            problems.add((*path, "roleArn"), "a dataset group's roleArn is only used with kmsKeyArn",
                         "add kmsKeyArn, or remove roleArn (imports take their own roleArn)")

    def flatten(self, c: EntryContext) -> list[Flat]:
        params: dict[str, Any] = {"name": c.name}
        params.update({k: c.entry[k] for k in _OWN if k in c.entry})
        return [Flat(c.address(), c.name, params, c.path, (c.entry.get("tags"),), lifecycle=lifecycle_of(c.entry))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        return {k: p[k] for k in _OWN if p.get(k)}

    # -- AWS ----------------------------------------------------------------------------------------
    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_dataset_group, datasetGroupArn=arn)
        if resp is None:
            return None
        group = resp["datasetGroup"]
        return Observed(arn=arn, statuses=self.statuses, params=pick(group, _PARAMS), status=group.get("status"),
                        failure_reason=group.get("failureReason"), outputs={"arn": arn})

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, _OWN)
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_dataset_group(name=name, **args)["datasetGroupArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_dataset_group, datasetGroupArn=arn)

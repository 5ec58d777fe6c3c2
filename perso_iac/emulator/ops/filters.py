"""Filters: expressions checked against the dataset group's datasets and their schemas."""

from __future__ import annotations

import re

from .. import errors as E
from .account import Account
from .datasets import datasets_by_type, schema_of
from .generic import describe, listing

_FILTER_HEAD = re.compile(r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|ActionID|UserID)\s+WHERE\s+\S.*", re.S)
_FILTER_REF = re.compile(r"\b(Interactions|Items|Users|Actions|ActionInteractions|Action_Interactions)\.([A-Za-z_]\w*)")
_FILTER_DATASET = {
    "Interactions": "INTERACTIONS",
    "Items": "ITEMS",
    "Users": "USERS",
    "Actions": "ACTIONS",
    "ActionInteractions": "ACTION_INTERACTIONS",
    "Action_Interactions": "ACTION_INTERACTIONS",
}


def create_filter(acct: Account, p: dict) -> dict:
    name = p["name"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    if acct.status(group) != "ACTIVE":
        raise E.invalid_input(f"The dataset group {group['arn']} is not ACTIVE.")
    expr = p["filterExpression"]
    if not _FILTER_HEAD.fullmatch(expr):
        raise E.invalid_input(
            "Invalid filter expression: expected 'INCLUDE|EXCLUDE ItemID|ActionID|UserID WHERE <condition>'."
        )
    datasets = datasets_by_type(acct, group["arn"])
    fields = set()
    for ds_label, field in _FILTER_REF.findall(expr):
        dtype = _FILTER_DATASET[ds_label]
        ds = datasets.get(dtype)
        if ds is None:
            raise E.invalid_input(f"Invalid filter expression: the dataset group has no {ds_label} dataset.")
        _, schema = schema_of(acct, ds["data"]["schemaArn"])
        if schema.field(field) is None:
            raise E.invalid_input(f"Invalid filter expression: {ds_label} has no field {field}.")
        fields.add((dtype, field))
    if len(fields) > 10:
        raise E.invalid_input("A filter expression can reference at most 10 distinct fields.")
    acct.unique_name("filter", name)
    acct.quota("filters_per_dataset_group", len(acct.records("filter", datasetGroupArn=group["arn"])),
               "filters per dataset group")
    arn = acct.arn("filter", name)
    data = {"name": name, "datasetGroupArn": group["arn"], "filterExpression": expr}
    acct.new("filter", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"filterArn": arn}


def delete_filter(acct: Account, p: dict) -> dict:
    return acct.start_delete(acct.get(p["filterArn"], "filter"), "filter")


OPERATIONS = {
    "CreateFilter": create_filter,
    "DescribeFilter": describe("filter", "filterArn"),
    "ListFilters": listing("ListFilters", "filter", "Filters", "datasetGroupArn"),
    "DeleteFilter": delete_filter,
}

"""Filters: expressions checked against the dataset group's datasets and their schemas."""

from __future__ import annotations

from ...facts import filters as facts_filters
from .. import avro
from .. import errors as E
from .account import Account
from .datasets import datasets_by_type, schema_of
from .generic import describe, listing


def create_filter(acct: Account, p: dict) -> dict:
    name = p["name"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    if acct.status(group) != "ACTIVE":
        raise E.invalid_input(f"The dataset group {group['arn']} is not ACTIVE.")
    expr = p["filterExpression"]
    fields = {avro.DATASET_TYPES[t]: schema_of(acct, d["data"]["schemaArn"])[1].fields
              for t, d in datasets_by_type(acct, group["arn"]).items() if t in avro.DATASET_TYPES}
    others = [r["data"]["filterExpression"] for r in acct.records("filter", datasetGroupArn=group["arn"])]
    issues = facts_filters.check(expr, fields, others)  # the rules validate applies too
    if issues:
        raise E.invalid_input(f"Invalid filter expression: {issues[0].text()}")
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

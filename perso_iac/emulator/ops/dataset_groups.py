"""Dataset groups: the container of every other resource; deletable only once empty."""

from __future__ import annotations

from .. import errors as E
from .account import Account
from .generic import describe, listing

#: resource types that keep a dataset group from being deleted while they exist
_CONTENTS = ("dataset", "solution", "event_tracker", "recommender", "filter", "metric_attribution")


def create_dataset_group(acct: Account, p: dict) -> dict:
    name = p["name"]
    if p.get("roleArn") and not p.get("kmsKeyArn"):
        raise E.invalid_input("roleArn is only valid together with kmsKeyArn.")
    tags = acct.check_tags(p.get("tags"))
    acct.unique_name("dataset_group", name)
    live = [g for g in acct.records("dataset_group") if not str(acct.status(g)).startswith("DELETE")]
    acct.quota("dataset_groups", len(live), "dataset groups")
    arn = acct.arn("dataset-group", name)
    data = {"name": name, "roleArn": p.get("roleArn"), "kmsKeyArn": p.get("kmsKeyArn"), "domain": p.get("domain")}
    acct.new("dataset_group", arn, data, {}, tags, (name,))
    return {"datasetGroupArn": arn, "domain": p.get("domain")}


def delete_dataset_group(acct: Account, p: dict) -> dict:
    rec = acct.get(p["datasetGroupArn"], "dataset_group")
    blocking = {rtype: acct.records(rtype, datasetGroupArn=rec["arn"]) for rtype in _CONTENTS}
    blocking["data_deletion_job"] = acct.in_progress(acct.records("data_deletion_job", datasetGroupArn=rec["arn"]))
    for rtype in ("solution", *_CONTENTS, "data_deletion_job"):
        if blocking[rtype]:  # AWS names one kind: error_delete_dataset_group__lmorri-vodpocinabox__1.json
            kind = rtype.replace("_", " ") + "s"
            raise E.in_use(f"The provided dataset-group is being referenced by one or more {kind}")
    return acct.start_delete(rec, "dataset group")


OPERATIONS = {
    "CreateDatasetGroup": create_dataset_group,
    "DescribeDatasetGroup": describe("dataset_group", "datasetGroupArn"),
    "ListDatasetGroups": listing("ListDatasetGroups", "dataset_group", "datasetGroups", None),
    "DeleteDatasetGroup": delete_dataset_group,
}

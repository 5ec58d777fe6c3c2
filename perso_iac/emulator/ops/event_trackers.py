"""Event trackers: at most one per dataset group, with a deterministic tracking id."""

from __future__ import annotations

import uuid

from .. import errors as E
from .account import Account
from .generic import describe, listing
from .synthetic import digest


def create_event_tracker(acct: Account, p: dict) -> dict:
    name = p["name"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    acct.require_active(group, "dataset group")
    existing = acct.records("event_tracker", datasetGroupArn=group["arn"])
    if len(existing) >= acct.config.quota("event_trackers_per_dataset_group"):
        # error_create_event_tracker__lmorri-vodpocinabox__1.json
        raise E.already_exists(f"EventTracker {existing[0]['arn']} already exists for DatasetGroup {group['arn']}")
    acct.unique_name("event_tracker", name)
    arn = acct.arn("event-tracker", acct.short_id("event-tracker", name))
    # a lowercase UUIDv4, as 11/11 real trackingIds are (FINDINGS.md §11); deterministic per ARN
    tracking_id = str(uuid.UUID(digest("tracking", arn)[:32], version=4))
    data = {"name": name, "accountId": acct.config.account_id, "trackingId": tracking_id, "datasetGroupArn": group["arn"]}
    acct.new("event_tracker", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"eventTrackerArn": arn, "trackingId": tracking_id}


def delete_event_tracker(acct: Account, p: dict) -> dict:
    return acct.start_delete(acct.get(p["eventTrackerArn"], "event_tracker"), "event tracker")


OPERATIONS = {
    "CreateEventTracker": create_event_tracker,
    "DescribeEventTracker": describe("event_tracker", "eventTrackerArn"),
    "ListEventTrackers": listing("ListEventTrackers", "event_tracker", "eventTrackers", "datasetGroupArn"),
    "DeleteEventTracker": delete_event_tracker,
}

"""Event tracker: the entry point for streamed events (PutEvents). Nothing about it can be
updated; its tracking id, which applications need, is an output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.checks import Problems
from ..spec.schema_parts import TAGGED, obj
from .base import Listing, Observed, ResourceType, api_tags, describe_or_none, ignore_not_found, pick
from .entry import EntryContext, Flat, GroupCheck, lifecycle_of
from .impact import Impact

_PARAMS = ("name", "datasetGroupArn")


class EventTrackerType(ResourceType):
    type_name = "event_tracker"
    no_create_before_destroy = ("AWS allows one event tracker per dataset group, so a new one cannot exist next to the old one "
                                "(its trackingId changes either way)")
    section = "event_trackers"
    container = "dataset_group"
    parent = "dataset_group"
    params = _PARAMS
    attributes = ("arn", "trackingId")
    listing = Listing("list_event_trackers", "eventTrackers", "eventTrackerArn", "datasetGroupArn")
    detect_unmanaged = True
    import_output = ("tracking_id", "trackingId")
    impact = Impact(
        typical_create=60, typical_delete=60,
        unavailable="PutEvents: events sent with the old trackingId are rejected and lost",
        changes=("trackingId", "event tracker ARN"),
        pick_up="every front end and back end calling PutEvents with the trackingId",
        loss="the trackingId your apps send events with; events are lost until they have the new one")
    create_timeout = 1800.0
    delete_timeout = 1800.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj(TAGGED)

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        trackers = group.sections["event_trackers"]
        if len(trackers) > 1:
            second = list(trackers)[1]
            problems.add((*group.path, "event_trackers", second), "a dataset group can have only one event tracker",
                         "remove all but one event tracker")

    def flatten(self, c: EntryContext) -> list[Flat]:
        return [Flat(c.address(), c.name, {"name": c.name, "datasetGroupArn": c.container_ref}, c.path,
                     (c.entry.get("tags"),), depends_on=c.declared.get("dataset", ()), lifecycle=lifecycle_of(c.entry))]

    # -- AWS ----------------------------------------------------------------------------------------

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_event_tracker, eventTrackerArn=arn)
        if resp is None:
            return None
        tracker = resp["eventTracker"]
        outputs: dict[str, Any] = {"arn": arn}
        if tracker.get("trackingId"):
            outputs["trackingId"] = tracker["trackingId"]
        return Observed(arn=arn, statuses=self.statuses, params=pick(tracker, _PARAMS), status=tracker.get("status"),
                        failure_reason=tracker.get("failureReason"), outputs=outputs)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args: dict[str, Any] = {"datasetGroupArn": params["datasetGroupArn"]}
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_event_tracker(name=name, **args)["eventTrackerArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_event_tracker, eventTrackerArn=arn)

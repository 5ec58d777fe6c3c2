"""Event tracker: the entry point for streamed events (PutEvents). Nothing about it can be
updated; its tracking id, which applications need, is an output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick
from .impact import Impact

_PARAMS = ("name", "datasetGroupArn")


class EventTrackerType(ResourceType):
    type_name = "event_tracker"
    impact = Impact(
        typical_create=60, typical_delete=60,
        unavailable="PutEvents: events sent with the old trackingId are rejected and lost",
        changes=("trackingId", "event tracker ARN"),
        pick_up="every front end and back end calling PutEvents with the trackingId",
        loss="the trackingId your apps send events with; events are lost until they have the new one")
    create_timeout = 1800.0
    delete_timeout = 1800.0

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_event_tracker, eventTrackerArn=arn)
        if resp is None:
            return None
        tracker = resp["eventTracker"]
        outputs: dict[str, Any] = {"arn": arn}
        if tracker.get("trackingId"):
            outputs["trackingId"] = tracker["trackingId"]
        return Observed(arn=arn, params=pick(tracker, _PARAMS), status=tracker.get("status"),
                        failure_reason=tracker.get("failureReason"), outputs=outputs)

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        return find_by_name(client, "list_event_trackers", "eventTrackers", "eventTrackerArn", name,
                            datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args: dict[str, Any] = {"datasetGroupArn": params["datasetGroupArn"]}
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_event_tracker(name=name, **args)["eventTrackerArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_event_tracker, eventTrackerArn=arn)

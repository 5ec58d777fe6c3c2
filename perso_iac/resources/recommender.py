"""Recommender: a domain use case (ECOMMERCE, VIDEO_ON_DEMAND) served without training by hand.

`recommenderConfig` changes in place (UpdateRecommender takes the whole config; the old one
keeps serving until latestRecommenderUpdate is ACTIVE). `state` is perso's own parameter:
the desired ACTIVE/INACTIVE state, reached through Start/StopRecommender (a stopped
recommender is not billed and does not retrain). The name, recipe and dataset group are fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    Observed,
    ResourceType,
    api_tags,
    covers,
    describe_or_none,
    find_by_name,
    ignore_not_found,
    pick,
)
from .impact import Impact

ACTIVE, INACTIVE = "ACTIVE", "INACTIVE"
STATES = (ACTIVE, INACTIVE)
_PARAMS = ("name", "datasetGroupArn", "recipeArn", "recommenderConfig")
_IN_PROGRESS = ("CREATE PENDING", "CREATE IN_PROGRESS")


def running_state(status: str | None) -> str | None:
    """The ACTIVE/INACTIVE state a recommender is in or heading to, from its status."""
    status = (status or "").upper()
    if status == INACTIVE or status.startswith("STOP"):
        return INACTIVE
    if status == ACTIVE or status.startswith("START") or status.startswith("CREATE"):
        return ACTIVE
    return None


class RecommenderType(ResourceType):
    type_name = "recommender"
    impact = Impact(
        typical_create=3 * 3600, typical_delete=5 * 60,
        unavailable="GetRecommendations with its ARN fail until the new one has trained and is ACTIVE",
        changes=("recommender ARN",),
        pick_up="apps passing recommenderArn (read the new one with `perso output`)",
        loss="its trained models: the new recommender trains again on creation (hours)")
    updatable = frozenset({"recommenderConfig", "state"})
    create_timeout = 6 * 3600.0
    delete_timeout = 3600.0

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if isinstance(out.get("state"), str):
            out["state"] = out["state"].upper()
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_recommender, recommenderArn=arn)
        if resp is None:
            return None
        rec = resp["recommender"]
        params = pick(rec, _PARAMS)
        update = rec.get("latestRecommenderUpdate") or {}
        updating = update.get("status") in _IN_PROGRESS
        if updating and update.get("recommenderConfig") is not None:
            params["recommenderConfig"] = update["recommenderConfig"]  # what the update converges to
        state = running_state(rec.get("status"))
        if state is not None:
            params["state"] = state
        failure = rec.get("failureReason") or (
            update.get("failureReason") if update.get("status") == "CREATE FAILED" else None)
        return Observed(arn=arn, params=params, status=rec.get("status"), failure_reason=failure,
                        outputs={"arn": arn}, updating=updating)

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        return find_by_name(client, "list_recommenders", "recommenders", "recommenderArn", name,
                            datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        # `state` is not an API parameter: a new recommender starts ACTIVE, and converge() stops it.
        args = pick(params, ("datasetGroupArn", "recipeArn", "recommenderConfig"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_recommender(name=name, **args)["recommenderArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        self._step(client, arn, before, after)

    def converge(self, client: Any, arn: str, desired: Mapping[str, Any], observed: Observed) -> bool:
        return self._step(client, arn, observed.params, desired)

    @staticmethod
    def _step(client: Any, arn: str, current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
        """Start the next transition towards `desired`; False when there is none left.

        AWS accepts UpdateRecommender, StopRecommender and StartRecommender one at a time and
        UpdateRecommender only on an ACTIVE recommender, so a stopped recommender whose config
        changes is started, updated, then stopped again, one step per settled state."""
        config = desired.get("recommenderConfig")
        state, wanted = current.get("state"), desired.get("state")
        if config is not None and not covers(current.get("recommenderConfig") or {}, config):
            if state == INACTIVE:
                client.start_recommender(recommenderArn=arn)
            else:
                # The whole desired config: UpdateRecommender replaces it.
                client.update_recommender(recommenderArn=arn, recommenderConfig=dict(config))
            return True
        if wanted not in STATES or state == wanted:
            return False
        if wanted == INACTIVE:
            client.stop_recommender(recommenderArn=arn)
        else:
            client.start_recommender(recommenderArn=arn)
        return True

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_recommender, recommenderArn=arn)

"""Campaign: everything but the name changes in place through UpdateCampaign, and the old
configuration keeps serving until latestCampaignUpdate is ACTIVE."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick
from .impact import Impact

_UPDATABLE = ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
LATEST = "/$LATEST"


class CampaignType(ResourceType):
    type_name = "campaign"
    impact = Impact(
        typical_create=15 * 60, typical_delete=5 * 60,
        unavailable="real-time recommendations: GetRecommendations/GetPersonalizedRanking with its ARN fail",
        changes=("campaign ARN",),
        pick_up="apps passing campaignArn (read the new one with `perso output`)",
        loss="the serving endpoint: recommendations fail until a new one, with a new ARN, is ACTIVE")
    updatable = frozenset(_UPDATABLE)
    create_timeout = 3 * 3600.0
    delete_timeout = 3600.0

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_campaign, campaignArn=arn)
        if resp is None:
            return None
        campaign = resp["campaign"]
        params = pick(campaign, ("name",) + _UPDATABLE)
        update = campaign.get("latestCampaignUpdate") or {}
        updating = update.get("status") in ("CREATE PENDING", "CREATE IN_PROGRESS")
        if updating:  # the campaign serves the old config until the update is ACTIVE
            params.update(pick(update, _UPDATABLE))
        failure = campaign.get("failureReason") or (update.get("failureReason") if update.get("status") == "CREATE FAILED" else None)
        return Observed(arn=arn, params=params, status=campaign.get("status"), failure_reason=failure,
                        outputs={"arn": arn}, updating=updating)

    def align_observed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(observed)
        wanted, actual = desired.get("solutionVersionArn"), out.get("solutionVersionArn")
        if isinstance(wanted, str) and wanted.endswith(LATEST) and isinstance(actual, str):
            solution_arn = wanted[: -len(LATEST)]
            syncing = (out.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion")
            if syncing and (actual == wanted or actual.startswith(solution_arn + "/")):
                out["solutionVersionArn"] = wanted
        return out

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        return find_by_name(client, "list_campaigns", "campaigns", "campaignArn", name)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, _UPDATABLE)
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_campaign(name=name, **args)["campaignArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        client.update_campaign(campaignArn=arn, **pick(after, _UPDATABLE))

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_campaign, campaignArn=arn)

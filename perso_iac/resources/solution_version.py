"""Solution version: a training run, an intent. perso trains when the solution is created or
replaced, or when its data is re-imported; solution versions have no delete API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, paginate, pick
from .impact import Impact


class SolutionVersionType(ResourceType):
    type_name = "solution_version"
    impact = Impact(
        typical_create=2 * 3600, typical_delete=0,
        unavailable="nothing: the previous version keeps serving until a campaign is moved",
        changes=("solution version ARN",),
        loss="nothing (versions cannot be deleted)")
    is_intent = True
    create_timeout = 24 * 3600.0

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        out.setdefault("trainingMode", "FULL")
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_solution_version, solutionVersionArn=arn)
        if resp is None:
            return None
        version = resp["solutionVersion"]
        params = pick(version, ("solutionArn", "trainingMode"))
        return Observed(arn=arn, params=self.normalize(params), status=version.get("status"),
                        failure_reason=version.get("failureReason"),
                        outputs={"arn": arn, "trainingHours": version.get("trainingHours")})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        solution = params.get("solutionArn")
        if not isinstance(solution, str):
            return None
        versions = [v for v in paginate(client, "list_solution_versions", "solutionVersions", solutionArn=solution)
                    if v.get("status") not in ("CREATE FAILED", "CREATE STOPPED", "CREATE STOPPING")]
        versions.sort(key=lambda v: v.get("creationDateTime", 0), reverse=True)
        return versions[0]["solutionVersionArn"] if versions else None

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("solutionArn", "trainingMode"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_solution_version(**args)["solutionVersionArn"]

    def delete(self, client: Any, arn: str) -> None:
        """Versions cannot be deleted; they go with their solution."""

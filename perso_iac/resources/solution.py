"""Solution: only auto-training, incremental updates and events config change in place
(UpdateSolution); recipe, HPO/AutoML and the rest of solutionConfig force a replacement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from .base import (
    Observed,
    ResourceType,
    api_tags,
    describe_or_none,
    find_by_name,
    ignore_not_found,
    paginate,
    pick,
)
from .impact import Impact

_CREATE_PARAMS = ("datasetGroupArn", "recipeArn", "performHPO", "performAutoML", "performAutoTraining",
                  "performIncrementalUpdate", "eventType", "solutionConfig")
_UPDATABLE_PATHS = ("performAutoTraining", "performIncrementalUpdate",
                    "solutionConfig.autoTrainingConfig", "solutionConfig.eventsConfig")
_IN_TRAINING = ("CREATE PENDING", "CREATE IN_PROGRESS")


class SolutionType(ResourceType):
    type_name = "solution"
    impact = Impact(
        typical_create=60, typical_delete=120,
        unavailable="training from it (its campaigns are replaced with it: see their impact)",
        changes=("solution ARN",),
        loss="its trained versions (models): a new training of hours is needed before a campaign can serve")
    updatable = frozenset({"performAutoTraining", "performIncrementalUpdate", "solutionConfig"})
    create_timeout = 1800.0
    delete_timeout = 3600.0

    def can_update(self, path: str, desired: Mapping[str, Any]) -> bool:
        return any(path == p or path.startswith(p + ".") for p in _UPDATABLE_PATHS)

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_solution, solutionArn=arn)
        if resp is None:
            return None
        sol = resp["solution"]
        params = pick(sol, ("name",) + _CREATE_PARAMS)
        update = sol.get("latestSolutionUpdate") or {}
        updating = update.get("status") in _IN_TRAINING
        if updating:  # report what the update is converging to
            params.update(pick(update, ("performAutoTraining", "performIncrementalUpdate")))
            config = dict(params.get("solutionConfig") or {})
            config.update(update.get("solutionUpdateConfig") or {})
            params["solutionConfig"] = config
        latest = sol.get("latestSolutionVersion") or {}
        outputs = {"arn": arn, "latestActiveVersionArn": self._latest_active(client, arn, latest)}
        return Observed(arn=arn, params=params, status=sol.get("status"),
                        failure_reason=sol.get("failureReason"), outputs=outputs, updating=updating)

    @staticmethod
    def _latest_active(client: Any, arn: str, latest: Mapping[str, Any]) -> str | None:
        if not latest:
            return None
        if latest.get("status") == "ACTIVE":
            return latest.get("solutionVersionArn")
        versions = [v for v in paginate(client, "list_solution_versions", "solutionVersions", solutionArn=arn)
                    if v.get("status") == "ACTIVE"]
        versions.sort(key=lambda v: v.get("creationDateTime", 0), reverse=True)
        return versions[0]["solutionVersionArn"] if versions else None

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        return find_by_name(client, "list_solutions", "solutions", "solutionArn", name, datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, _CREATE_PARAMS)
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_solution(name=name, **args)["solutionArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        args: dict[str, Any] = pick(after, ("performAutoTraining", "performIncrementalUpdate"))
        config = pick(after.get("solutionConfig") or {}, ("autoTrainingConfig", "eventsConfig"))
        if config:
            args["solutionUpdateConfig"] = config
        client.update_solution(solutionArn=arn, **args)

    def delete(self, client: Any, arn: str) -> None:
        # AWS refuses to delete a solution while a version trains: stop those first. The applier
        # retries the delete (ResourceInUseException) until the stop has settled.
        try:
            versions = list(paginate(client, "list_solution_versions", "solutionVersions", solutionArn=arn))
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return
            raise
        for version in versions:
            if version.get("status") in _IN_TRAINING:
                ignore_not_found(client.stop_solution_version_creation,
                                 solutionVersionArn=version["solutionVersionArn"])
        ignore_not_found(client.delete_solution, solutionArn=arn)

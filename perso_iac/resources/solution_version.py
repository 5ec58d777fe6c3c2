"""Solution version: a training run, an intent. perso trains when the solution is created or
replaced, or when its data is re-imported; solution versions have no delete API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.checks import Problems, check_tags, d
from ..spec.model import Ref
from ..spec.schema_parts import TAGS, obj
from .base import Listing, Observed, ResourceType, StatusMap, api_tags, describe_or_none, paginate, pick
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting
from .impact import Impact


def _trains(solution_entry: Mapping[str, Any]) -> bool:
    """perso trains a solution unless its spec says `training: {trigger: never}`."""
    return d(solution_entry.get("training")).get("trigger", "on_change") == "on_change"


class SolutionVersionType(ResourceType):
    type_name = "solution_version"
    host = "solution"
    nested_key = "training"
    parent = "solution"
    params = ("solutionArn", "trainingMode")
    attributes = ("arn", "trainingHours")
    listing = Listing("list_solution_versions", "solutionVersions", "solutionVersionArn", "solutionArn")
    statuses = StatusMap(failed=frozenset({"CREATE FAILED", "CREATE STOPPED"}))  # a stopped run never trains
    impact = Impact(
        typical_create=2400, typical_delete=0,  # real trainings: 20-44 min
        unavailable="nothing: the previous version keeps serving until a campaign is moved",
        changes=("solution version ARN",),
        loss="nothing (versions cannot be deleted)")
    is_intent = True
    create_timeout = 24 * 3600.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            "trigger": {"enum": ["on_change", "never"],
                        "description": "on_change: train a version when the solution or its data changes."},
            "trainingMode": {"enum": ["FULL", "UPDATE"]},
            "tags": TAGS,
        }, description="When perso trains solution versions (default: on_change, FULL).")

    def declared_in(self, host_entry: Mapping[str, Any]) -> bool:
        return _trains(host_entry)

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        for key, sol in group.sections["solutions"].items():
            if _trains(sol):
                check_tags(d(d(sol.get("training")).get("tags")), (*group.path, "solutions", key, "training", "tags"),
                           problems, group.defaults_tags)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        if not _trains(e):
            return []
        training = e.get("training") or {}
        imports = c.declared.get("dataset_import", ())
        return [Flat(c.address(self.type_name), c.name,
                     {"solutionArn": Ref(c.address("solution")), "trainingMode": training.get("trainingMode", "FULL")},
                     (*c.path, "training") if "training" in e else c.path, (e.get("tags"), training.get("tags")),
                     depends_on=imports, triggers=tuple(Ref(i, "arn") for i in imports))]

    def discover(self, client: Any, parent_arn: str, parent: Observed, container_name: str,
                 host_key: str) -> list[tuple[str, str]]:
        """The solution's latest ACTIVE version: the training the spec describes."""
        version = parent.outputs.get("latestActiveVersionArn")
        return [(host_key, version)] if isinstance(version, str) else []

    def nested_entry(self, host: Discovered, found: Discovered | None, ctx: SpecWriting) -> Any:
        if found is None:
            return {"trigger": "never"}
        mode = found.observed.params.get("trainingMode", "FULL")
        return None if mode == "FULL" else {"trainingMode": mode}

    def cost_note(self, after: Mapping[str, Any]) -> str | None:
        return "starts a training run, billed per training hour"

    # -- AWS ----------------------------------------------------------------------------------------

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
        return Observed(arn=arn, statuses=self.statuses, params=self.normalize(params), status=version.get("status"),
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

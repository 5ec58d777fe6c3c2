"""Recommender: a domain use case (ECOMMERCE, VIDEO_ON_DEMAND) served without training by hand.

`recommenderConfig` changes in place (UpdateRecommender takes the whole config; the old one
keeps serving until latestRecommenderUpdate is ACTIVE). `state` is perso's own parameter:
the desired ACTIVE/INACTIVE state, reached through Start/StopRecommender (a stopped
recommender is not billed and does not retrain). The name, recipe and dataset group are fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import recipes as catalog
from ..spec.checks import PathT, Problems, did_you_mean
from ..spec.schema_parts import BOOL, STR, STRING_MAP, TAGGED, TRAINING_DATA_CONFIG, obj
from .base import (
    Listing,
    Observed,
    ResourceType,
    StatusMap,
    api_tags,
    covers,
    describe_or_none,
    ignore_not_found,
    pick,
)
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of, stringify_maps
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


RECOMMENDER_CONFIG = obj({
    "itemExplorationConfig": STRING_MAP,
    "minRecommendationRequestsPerSecond": {"type": "integer", "minimum": 1},
    "trainingDataConfig": TRAINING_DATA_CONFIG,
    "enableMetadataWithRecommendations": BOOL,
}, description="CreateRecommender's recommenderConfig.")


class RecommenderType(ResourceType):
    type_name = "recommender"
    no_create_before_destroy = ("a recommender is not replaced create-before-destroy yet (whether AWS serves two for one use case "
                                "in a dataset group is not verified)")
    section = "recommenders"
    container = "dataset_group"
    parent = "dataset_group"
    params = ("name", "datasetGroupArn", "recipeArn", "recommenderConfig", "state")
    listing = Listing("list_recommenders", "recommenders", "recommenderArn", "datasetGroupArn")
    detect_unmanaged = True
    serves_traffic = True
    import_output = ("recommender_arn", "arn")
    statuses = StatusMap(ready=frozenset({ACTIVE, INACTIVE}))  # a stopped recommender has settled
    impact = Impact(
        typical_create=3 * 3600, typical_delete=5 * 60,
        unavailable="GetRecommendations with its ARN fail until the new one has trained and is ACTIVE",
        changes=("recommender ARN",),
        pick_up="apps passing recommenderArn (read the new one with `perso output`)",
        loss="its trained models: the new recommender trains again on creation (hours)")
    updatable = frozenset({"recommenderConfig", "state"})
    create_timeout = 6 * 3600.0
    typical_update = 1800.0
    delete_timeout = 3600.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **TAGGED,
            "recipeArn": STR,
            "recommenderConfig": RECOMMENDER_CONFIG,
            "state": {"enum": ["ACTIVE", "INACTIVE"],
                      "description": "INACTIVE stops the recommender (and its billing)."},
        }, ("recipeArn",))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        domain = group.entry.get("domain")
        check_recommenders(group.path, group.sections["recommenders"], domain if isinstance(domain, str) else None,
                           problems)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        params: dict[str, Any] = {"name": c.name, "datasetGroupArn": c.container_ref, "recipeArn": e["recipeArn"]}
        if "recommenderConfig" in e:
            params["recommenderConfig"] = stringify_maps(e["recommenderConfig"])
        params["state"] = e.get("state", ACTIVE)
        return [Flat(c.address(), c.name, params, c.path, (e.get("tags"),),
                     depends_on=c.declared.get("dataset", ()), lifecycle=lifecycle_of(e))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        entry: dict[str, Any] = {"recipeArn": p.get("recipeArn")}
        if p.get("recommenderConfig"):
            entry["recommenderConfig"] = dict(p["recommenderConfig"])
        entry["state"] = p.get("state", ACTIVE)
        return entry

    def cost_note(self, after: Mapping[str, Any]) -> str | None:
        if after.get("state", ACTIVE) != ACTIVE:
            return None
        return "bills per hour while ACTIVE (set state: INACTIVE to stop billing)"

    # -- AWS ----------------------------------------------------------------------------------------

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
        return Observed(arn=arn, statuses=self.statuses, params=params, status=rec.get("status"), failure_reason=failure,
                        outputs={"arn": arn}, updating=updating)

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


# -- checking a spec's recommenders ----------------------------------------------------------------

def check_recommenders(gpath: PathT, recommenders: Mapping[str, Any], domain: str | None,
                       problems: Problems) -> None:
    for key, rec in recommenders.items():
        if not isinstance(rec, dict):
            continue
        path: PathT = (*gpath, "recommenders", key)
        if domain is None:
            problems.add(path, "recommenders exist only in domain dataset groups",
                         f"set domain: ECOMMERCE or VIDEO_ON_DEMAND on dataset group '{gpath[1]}', or use a "
                         "solution and a campaign", key=True)
        arn = rec.get("recipeArn")
        if not isinstance(arn, str):
            continue
        recipe = catalog.recipe_for(arn)
        options = catalog.domain_recipe_arns(domain)
        if recipe is None:
            guess = did_you_mean(arn, options or catalog.domain_recipe_arns())
            problems.add((*path, "recipeArn"), f"unknown recommender use case '{arn}'",
                         f"did you mean '{guess}'?" if guess else f"use one of {', '.join(options)}")
        elif not recipe.is_domain:
            problems.add((*path, "recipeArn"), f"'{recipe.name}' is a custom recipe; recommenders need a "
                                               "domain use case",
                         f"use one of {', '.join(options)}" if options else
                         "use a solution and a campaign for custom recipes")
        elif domain is not None and recipe.domain != domain:
            problems.add((*path, "recipeArn"), f"'{recipe.name}' is a {recipe.domain} use case but dataset group "
                                               f"'{gpath[1]}' is {domain}",
                         f"use one of {', '.join(options)}")

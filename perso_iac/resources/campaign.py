"""Campaign: everything but the name changes in place through UpdateCampaign, and the old
configuration keeps serving until latestCampaignUpdate is ACTIVE."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..facts import recipes as catalog
from ..facts import solutions as facts_solutions
from ..promotion import METRICS, Gate, evaluate
from ..spec.checks import PathT, Problems, d, did_you_mean
from ..spec.model import Ref
from ..spec.schema_parts import BOOL, STR, STRING_MAP, TAGGED, obj
from .base import (
    Held,
    Listing,
    Observed,
    ResourceType,
    api_tags,
    describe_or_none,
    find_by_name,
    ignore_not_found,
    pick,
)
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of, stringify_maps
from .impact import Impact

_UPDATABLE = ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
LATEST = "/$LATEST"
SOLUTION_VERSION_ARN_RE = re.compile(r"^arn:([a-z\d-]+):personalize:[^:]*:\d{12}:solution/[^/]+/[^/]+$")

CAMPAIGN_CONFIG = obj({
    "itemExplorationConfig": STRING_MAP,
    "enableMetadataWithRecommendations": BOOL,
    "syncWithLatestSolutionVersion": BOOL,
    "rankingInfluence": {"type": "object", "propertyNames": {"enum": ["POPULARITY", "FRESHNESS"]},
                         "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
}, description="CreateCampaign's campaignConfig.")


def _metric_map(value: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "object", "propertyNames": {"enum": list(METRICS)}, "additionalProperties": value,
            "description": description}


PROMOTION = obj({
    "min": _metric_map({"type": "number", "minimum": 0, "maximum": 1},
                       "Floors the newly trained version's offline metrics must reach, e.g. {coverage: 0.1}."),
    "max_drop": _metric_map(
        {"oneOf": [{"type": "number", "minimum": 0, "maximum": 1},
                   {"type": "string", "pattern": r"^\d+(\.\d+)?%$"}]},
        "How much worse than the serving version a metric may get: absolute (0.02) or relative (\"5%\")."),
}, description="A promotion gate (perso only, never sent to AWS): the campaign moves to a newly trained "
               "version only if its GetSolutionMetrics pass every threshold.")


class CampaignType(ResourceType):
    type_name = "campaign"
    no_create_before_destroy = ""
    section = "campaigns"
    container = "dataset_group"
    parent = "solution"
    params = ("name", *_UPDATABLE)
    listing = Listing("list_campaigns", "campaigns", "campaignArn", "solutionArn")
    detect_unmanaged = True
    serves_traffic = True
    import_output = ("campaign_arn", "arn")
    required_hints = {"minProvisionedTPS": "set minProvisionedTPS explicitly (e.g. 1): a campaign bills for at least "
                                           "this many transactions per second, every hour it exists"}
    impact = Impact(
        typical_create=600, typical_delete=5 * 60,  # real campaigns: 8-10 min
        unavailable="real-time recommendations: GetRecommendations/GetPersonalizedRanking with its ARN fail",
        changes=("campaign ARN",),
        pick_up="apps passing campaignArn (read the new one with `perso output`)",
        loss="the serving endpoint: recommendations fail until a new one, with a new ARN, is ACTIVE")
    updatable = frozenset(_UPDATABLE)
    create_timeout = 3 * 3600.0
    typical_update = 600.0
    delete_timeout = 3600.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **TAGGED,
            "solution": {**STR, "description": "The key of a solution in the same dataset group."},
            "solutionVersion": {**STR, "description": "newest (default), $LATEST, or a solution version ARN."},
            "minProvisionedTPS": {"type": "integer", "minimum": 1,
                                  "description": "Required: billed per TPS-hour while the campaign exists."},
            "campaignConfig": CAMPAIGN_CONFIG,
            "promotion": PROMOTION,
        }, ("solution", "minProvisionedTPS"))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        check_campaigns(group.path, group.sections["campaigns"], group.sections["solutions"], problems)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        sol_key = e["solution"]
        sol_addr = f"solution.{c.container_key}.{sol_key}"
        version_addr = f"solution_version.{c.container_key}.{sol_key}"
        version = e.get("solutionVersion", "newest")
        config = stringify_maps(dict(e.get("campaignConfig") or {}))
        deps: tuple[str, ...] = ()
        trains = version_addr in c.declared.get("solution_version", ())
        if version == "newest":
            svarn: Any = Ref(version_addr) if trains else Ref(sol_addr, "latestActiveVersionArn")
        elif version == "$LATEST":
            svarn = Ref(sol_addr, "arn", suffix=LATEST)
            config["syncWithLatestSolutionVersion"] = True
            if trains:  # AWS refuses a $LATEST campaign until a version is ACTIVE: wait for perso's training
                deps = (version_addr,)
        else:
            svarn = version
            deps = (sol_addr,)
        params: dict[str, Any] = {"name": c.name, "solutionVersionArn": svarn,
                                  "minProvisionedTPS": e["minProvisionedTPS"]}
        if config:
            params["campaignConfig"] = config
        if e.get("promotion"):
            params["promotion"] = Gate.from_spec(e["promotion"]).to_dict()
        return [Flat(c.address(), c.name, params, c.path, (e.get("tags"),), depends_on=deps,
                     lifecycle=lifecycle_of(e))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        version_arn = str(p.get("solutionVersionArn", ""))
        solution_arn = version_arn.rsplit("/", 1)[0]
        entry: dict[str, Any] = {"solution": ctx.key_of(solution_arn, solution_arn),
                                 "minProvisionedTPS": p.get("minProvisionedTPS", 1)}
        config = dict(p.get("campaignConfig") or {})
        trained = ctx.child("solution_version", solution_arn)
        if config.get("syncWithLatestSolutionVersion"):
            entry["solutionVersion"] = "$LATEST"
        elif trained is None or trained.arn != version_arn:
            entry["solutionVersion"] = version_arn
        if config:
            entry["campaignConfig"] = config
        return entry

    def cost_note(self, after: Mapping[str, Any]) -> str | None:
        if "minProvisionedTPS" not in after:
            return None
        return f"bills at least {after['minProvisionedTPS']} TPS for every hour it is ACTIVE, used or not"

    # -- AWS ----------------------------------------------------------------------------------------
    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if out.get("campaignConfig") == {}:  # AWS echoes {} when unset (FINDINGS.md §6): same as none
            del out["campaignConfig"]
        return out

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
        params = self.normalize(params)
        failure = campaign.get("failureReason") or (update.get("failureReason") if update.get("status") == "CREATE FAILED" else None)
        return Observed(arn=arn, statuses=self.statuses, params=params, status=campaign.get("status"), failure_reason=failure,
                        outputs={"arn": arn}, updating=updating)

    def align_observed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(observed)
        if "promotion" in desired:  # perso's own setting: AWS never has it, so it never differs
            out["promotion"] = desired["promotion"]
        wanted, actual = desired.get("solutionVersionArn"), out.get("solutionVersionArn")
        if isinstance(wanted, str) and wanted.endswith(LATEST) and isinstance(actual, str):
            solution_arn = wanted[: -len(LATEST)]
            syncing = (out.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion")
            if syncing and (actual == wanted or actual.startswith(solution_arn + "/")):
                out["solutionVersionArn"] = wanted
        return out

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        # Its params name a solution version, not the solution it is listed under: search the account.
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

    def hold_back(self, client: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> Held | None:
        """Keep serving the current version when the candidate fails the campaign's promotion gate."""
        candidate, serving = after.get("solutionVersionArn"), before.get("solutionVersionArn")
        if not after.get("promotion") or not _version(candidate) or candidate == serving:
            return None
        gate = Gate.from_spec(after["promotion"])
        served = _metrics(client, serving) if _version(serving) else None
        verdict = evaluate(gate, _metrics(client, candidate) or {}, served)
        if verdict.passed:
            return None
        return Held(refused={"solutionVersionArn": candidate},
                    reason=f"{verdict.summary()}; kept {serving}, held back {candidate}")


def _version(arn: Any) -> bool:
    """A concrete solution version (not $LATEST, not unknown)."""
    return isinstance(arn, str) and bool(arn) and not arn.endswith(LATEST)


def _metrics(client: Any, version_arn: str) -> dict[str, float] | None:
    resp = describe_or_none(client.get_solution_metrics, solutionVersionArn=version_arn)
    return None if resp is None else dict(resp.get("metrics") or {})


# -- checking a spec's campaigns -------------------------------------------------------------------

def check_campaigns(gpath: PathT, campaigns: Mapping[str, Any], solutions: Mapping[str, Any],
                    problems: Problems) -> None:
    sol_keys = sorted(solutions)
    for key, camp in campaigns.items():
        if not isinstance(camp, dict):
            continue
        path: PathT = (*gpath, "campaigns", key)
        sol = camp.get("solution")
        if isinstance(sol, str) and sol not in solutions:
            guess = did_you_mean(sol, sol_keys)
            problems.add((*path, "solution"), f"no solution '{sol}' in dataset group '{gpath[1]}'",
                         f"did you mean '{guess}'?" if guess else
                         (f"solutions in this group: {', '.join(sol_keys)}" if sol_keys else
                          "define it under solutions: in the same dataset group"))
        if isinstance(sol, str) and sol in solutions:
            recipe = catalog.recipe_for(str(solutions[sol].get("recipeArn")))
            if recipe is not None and recipe.recipe_type == "USER_SEGMENTATION":
                problems.add((*path, "solution"), f"solution '{sol}' uses {recipe.name}, a user-segmentation "
                                                  "recipe that can't be deployed in a campaign",
                             "user-segmentation solutions are used by batch segment jobs; remove this campaign")
            for issue in facts_solutions.check_campaign_config(recipe.name if recipe else None,
                                                               d(camp.get("campaignConfig"))):
                if issue.warning:
                    problems.warn((*path, *issue.path), issue.message, issue.hint)
                else:
                    problems.add((*path, *issue.path), issue.message, issue.hint, key=issue.key)
        version = camp.get("solutionVersion", "newest")
        if isinstance(version, str) and version not in ("newest", "$LATEST") \
                and not SOLUTION_VERSION_ARN_RE.match(version):
            problems.add((*path, "solutionVersion"), f"invalid solutionVersion '{version}'",
                         "use newest (the version perso trained last), $LATEST (follow automatic training), "
                         "or a solution version ARN")
        sync = d(camp.get("campaignConfig")).get("syncWithLatestSolutionVersion")
        if sync is True and version != "$LATEST":
            problems.add((*path, "campaignConfig", "syncWithLatestSolutionVersion"),
                         "syncWithLatestSolutionVersion needs solutionVersion: $LATEST",
                         "set solutionVersion: $LATEST, or remove syncWithLatestSolutionVersion")
        if sync is False and version == "$LATEST":
            problems.add((*path, "campaignConfig", "syncWithLatestSolutionVersion"),
                         "solutionVersion $LATEST follows the newest version only with "
                         "syncWithLatestSolutionVersion true",
                         "remove syncWithLatestSolutionVersion (perso sets it), or pin a version")

"""Solution: only auto-training, incremental updates and events config change in place
(UpdateSolution); recipe, HPO/AutoML and the rest of solutionConfig force a replacement."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..compare import value_at
from ..facts import recipes as catalog
from ..facts import solutions as facts_solutions
from ..spec.checks import PathT, Problems, d, did_you_mean
from ..spec.schema_parts import BOOL, SCALAR, STR, STRING_MAP, TAGGED, TRAINING_DATA_CONFIG, obj
from .base import (
    Listing,
    Observed,
    ResourceType,
    api_tags,
    created_at,
    describe_or_none,
    ignore_not_found,
    not_found,
    paginate,
    pick,
)
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of, stringify_maps
from .impact import Impact

_CREATE_PARAMS = ("datasetGroupArn", "recipeArn", "performHPO", "performAutoML", "performAutoTraining",
                  "performIncrementalUpdate", "eventType", "solutionConfig")
_UPDATABLE_PATHS = ("performAutoTraining", "performIncrementalUpdate",
                    "solutionConfig.autoTrainingConfig", "solutionConfig.eventsConfig")
_IN_TRAINING = ("CREATE PENDING", "CREATE IN_PROGRESS")
_OPTIONAL = ("performHPO", "performAutoML", "performIncrementalUpdate", "eventType", "solutionConfig")
_AWS_DEFAULTS = {"performHPO": False, "performAutoML": False, "performIncrementalUpdate": False, "solutionConfig": {}}
SCHEDULE_RE = re.compile(r"^rate\((\d+) days?\)$")

SOLUTION_CONFIG = obj({
    "eventValueThreshold": SCALAR,
    "hpoConfig": obj({
        "hpoObjective": obj({"type": STR, "metricName": STR, "metricRegex": STR}),
        "hpoResourceConfig": obj({"maxNumberOfTrainingJobs": SCALAR, "maxParallelTrainingJobs": SCALAR}),
        "algorithmHyperParameterRanges": obj({
            "integerHyperParameterRanges": {"type": "array", "items": obj(
                {"name": STR, "minValue": {"type": "integer"}, "maxValue": {"type": "integer"}})},
            "continuousHyperParameterRanges": {"type": "array", "items": obj(
                {"name": STR, "minValue": {"type": "number"}, "maxValue": {"type": "number"}})},
            "categoricalHyperParameterRanges": {"type": "array", "items": obj(
                {"name": STR, "values": {"type": "array", "items": STR}})},
        }),
    }),
    "algorithmHyperParameters": STRING_MAP,
    "featureTransformationParameters": STRING_MAP,
    "autoMLConfig": obj({"metricName": STR, "recipeList": {"type": "array", "items": STR}}),
    "eventsConfig": obj({"eventParametersList": {"type": "array", "items": obj({
        "eventType": STR, "eventValueThreshold": {"type": "number"},
        "weight": {"type": "number", "minimum": 0, "maximum": 1}})}}),
    "optimizationObjective": obj({"itemAttribute": STR,
                                  "objectiveSensitivity": {"enum": ["LOW", "MEDIUM", "HIGH", "OFF"]}}),
    "trainingDataConfig": TRAINING_DATA_CONFIG,
    "autoTrainingConfig": obj({"schedulingExpression": {
        **STR, "description": "`rate(N days)`, N from 1 to 30 (AWS default: rate(7 days))."}}),
}, description="CreateSolution's solutionConfig, spelled as the API spells it.")
#: what AWS means when DescribeSolution omits a flag (API_CreateSolution defaults); real responses
#: never showed these keys (../shared/reference/real-aws/FINDINGS.md §2)
_OMITTED_DEFAULTS = {"performAutoTraining": True, "performIncrementalUpdate": False}
_RANGE_KINDS = ("integerHyperParameterRanges", "continuousHyperParameterRanges", "categoricalHyperParameterRanges")


def unprefixed_hpo_ranges(config: Mapping[str, Any]) -> dict[str, Any]:
    """solutionConfig with HPO range names as CreateSolution takes them: DescribeSolution echoes
    `bptt` as `training.bptt` and `recency_mask` as `data.recency_mask` (customizing-solution-config-hpo)."""
    hpo = config.get("hpoConfig")
    ranges = hpo.get("algorithmHyperParameterRanges") if isinstance(hpo, Mapping) else None
    if not isinstance(ranges, Mapping):
        return dict(config)
    fixed = {kind: [dict(r, name=r["name"].split(".", 1)[1])
                    if isinstance(r, Mapping) and isinstance(r.get("name"), str) and "." in r["name"] else r
                    for r in items] if kind in _RANGE_KINDS and isinstance(items, list) else items
             for kind, items in ranges.items()}
    return {**config, "hpoConfig": {**hpo, "algorithmHyperParameterRanges": fixed}}


class SolutionType(ResourceType):
    type_name = "solution"
    no_create_before_destroy = ""
    section = "solutions"
    container = "dataset_group"
    parent = "dataset_group"
    params = ("name", "datasetGroupArn", "recipeArn", "performAutoTraining", "performHPO", "performAutoML",
              "performIncrementalUpdate", "eventType", "solutionConfig")
    attributes = ("arn", "latestActiveVersionArn")
    listing = Listing("list_solutions", "solutions", "solutionArn", "datasetGroupArn")
    detect_unmanaged = True
    trains_models = True
    required_hints = {"performAutoTraining": "set performAutoTraining explicitly: AWS defaults it to true and then "
                                              "trains (and bills training hours) every 7 days; use false and "
                                              "training.trigger: on_change to train only when perso applies a change"}
    impact = Impact(
        typical_create=60, typical_delete=120,
        unavailable="training from it (its campaigns are replaced with it: see their impact)",
        changes=("solution ARN",),
        loss="its trained versions (models): a new training of hours is needed before a campaign can serve")
    updatable = frozenset({"performAutoTraining", "performIncrementalUpdate", "solutionConfig"})
    create_timeout = 1800.0
    delete_timeout = 3600.0

    # -- spec ---------------------------------------------------------------------------------------

    def trained_versions(self, client: Any, arn: str) -> list[dict[str, Any]] | None:
        versions = sorted(paginate(client, "list_solution_versions", "solutionVersions", solutionArn=arn),
                          key=lambda v: str(v.get("creationDateTime", "")), reverse=True)
        out = []
        for v in versions:
            metrics = None
            if v.get("status") == "ACTIVE":
                resp = describe_or_none(client.get_solution_metrics, solutionVersionArn=v["solutionVersionArn"])
                metrics = dict(resp.get("metrics") or {}) if resp else None
            out.append({"arn": v["solutionVersionArn"], "status": v.get("status"),
                        "created": str(v.get("creationDateTime", "")), "trainingMode": v.get("trainingMode"),
                        "metrics": metrics})
        return out
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **TAGGED,
            "recipeArn": STR,
            "performAutoTraining": {**BOOL, "description": "Required: AWS trains (and bills) every 7 days by default."},
            "performHPO": BOOL,
            "performAutoML": BOOL,
            "performIncrementalUpdate": BOOL,
            "eventType": STR,
            "solutionConfig": SOLUTION_CONFIG,
        }, ("performAutoTraining",))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        check_solutions(group.key, group.path, group.sections["solutions"], group.dataset_types, problems)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        params: dict[str, Any] = {"name": c.name, "datasetGroupArn": c.container_ref}
        if "recipeArn" in e:
            params["recipeArn"] = e["recipeArn"]
        params["performAutoTraining"] = e["performAutoTraining"]
        for k in _OPTIONAL:
            if k in e:
                params[k] = stringify_maps(e[k])
        return [Flat(c.address(), c.name, params, c.path, (e.get("tags"),),
                     depends_on=c.declared.get("dataset", ()), lifecycle=lifecycle_of(e))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        entry: dict[str, Any] = {"performAutoTraining": bool(p.get("performAutoTraining", True))}
        entry.update({k: p[k] for k in ("recipeArn", *_OPTIONAL) if p.get(k) is not None
                      and not (k in _AWS_DEFAULTS and p[k] == _AWS_DEFAULTS[k])})
        return entry

    def cost_note(self, after: Mapping[str, Any]) -> str | None:
        if after.get("performAutoTraining") is not True:
            return None
        schedule = value_at(after, "solutionConfig.autoTrainingConfig.schedulingExpression") or "rate(7 days)"
        return f"automatic training is on ({schedule}); each run is billed"

    # -- AWS ----------------------------------------------------------------------------------------

    def can_update(self, path: str, desired: Mapping[str, Any]) -> bool:
        return any(path == p or path.startswith(p + ".") for p in _UPDATABLE_PATHS)

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if out.get("solutionConfig") == {}:  # AWS shows {} or nothing by recipe (FINDINGS.md §1): same meaning
            del out["solutionConfig"]
        return out

    def align_observed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(observed)
        for key, default in _OMITTED_DEFAULTS.items():
            if key in desired and key not in out:
                out[key] = default
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_solution, solutionArn=arn)
        if resp is None:
            return None
        sol = resp["solution"]
        params = pick(sol, ("name",) + _CREATE_PARAMS)
        if isinstance(params.get("solutionConfig"), Mapping):
            params["solutionConfig"] = unprefixed_hpo_ranges(params["solutionConfig"])
        update = sol.get("latestSolutionUpdate") or {}
        updating = update.get("status") in _IN_TRAINING
        if updating:  # report what the update is converging to
            params.update(pick(update, ("performAutoTraining", "performIncrementalUpdate")))
            config = dict(params.get("solutionConfig") or {})
            config.update(update.get("solutionUpdateConfig") or {})
            params["solutionConfig"] = config
        params = self.normalize(params)
        latest = sol.get("latestSolutionVersion") or {}
        outputs = {"arn": arn, "latestActiveVersionArn": self._latest_active(client, arn, latest), **created_at(sol)}
        return Observed(arn=arn, statuses=self.statuses, params=params, status=sol.get("status"),
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
        except Exception as exc:
            if not_found(exc):
                return
            raise
        for version in versions:
            if version.get("status") in _IN_TRAINING:
                ignore_not_found(client.stop_solution_version_creation,
                                 solutionVersionArn=version["solutionVersionArn"])
        ignore_not_found(client.delete_solution, solutionArn=arn)


# -- checking a spec's solutions -------------------------------------------------------------------

def check_solutions(gkey: str, gpath: PathT, solutions: Mapping[str, Any], present: set[str],
                    problems: Problems) -> None:
    for key, sol in solutions.items():
        if not isinstance(sol, dict):
            continue
        path: PathT = (*gpath, "solutions", key)
        recipe_arn = sol.get("recipeArn")
        recipe = None
        if recipe_arn is None:
            if sol.get("performAutoML") is not True:
                problems.add(path, "missing required key 'recipeArn'",
                             "e.g. recipeArn: arn:aws:personalize:::recipe/aws-user-personalization-v2",
                             key=True)
        elif isinstance(recipe_arn, str):
            recipe = catalog.recipe_for(recipe_arn)
            if recipe is None:
                guess = did_you_mean(recipe_arn, catalog.custom_recipe_arns())
                problems.add((*path, "recipeArn"), f"unknown recipe '{recipe_arn}'",
                             f"did you mean '{guess}'?" if guess else
                             "use a built-in recipe ARN like arn:aws:personalize:::recipe/aws-user-personalization-v2")
            elif recipe.is_domain:
                problems.add((*path, "recipeArn"), f"'{recipe.name}' is a {recipe.domain} use case, not a "
                                                   "custom recipe",
                             "use it in recommenders: (in a domain dataset group), or pick a custom recipe")
                recipe = None
        if recipe is not None:
            missing = [t for t in recipe.needs if t not in present]
            if missing:
                problems.add((*path, "recipeArn"),
                             f"recipe '{recipe.name}' trains on {' and '.join(missing)} data, and dataset group "
                             f"'{gkey}' has no such dataset",
                             f"add a dataset with datasetType: {missing[0]}")
            if sol.get("performIncrementalUpdate") is True and not recipe.incremental_update:
                problems.add((*path, "performIncrementalUpdate"),
                             f"performIncrementalUpdate works only with aws-semantic-similarity, not {recipe.name}",
                             "remove performIncrementalUpdate")
        training = d(sol.get("training"))
        if training.get("trainingMode") == "UPDATE" and recipe is not None and not recipe.update_training:
            problems.add((*path, "training", "trainingMode"),
                         f"trainingMode UPDATE works only with aws-user-personalization and aws-hrnn-coldstart, "
                         f"not {recipe.name}", "use trainingMode: FULL")
        schedule = d(d(sol.get("solutionConfig")).get("autoTrainingConfig")).get("schedulingExpression")
        if isinstance(schedule, str):
            m = SCHEDULE_RE.match(schedule)
            if not m or not 1 <= int(m.group(1)) <= 30:
                problems.add((*path, "solutionConfig", "autoTrainingConfig", "schedulingExpression"),
                             f"invalid schedulingExpression '{schedule}'",
                             "use rate(N days) with N from 1 to 30, e.g. rate(7 days)")
        for issue in facts_solutions.check_solution(sol):  # AutoML, HPO limits, the recipe's hyperparameters
            problems.add((*path, *issue.path), issue.message, issue.hint, key=issue.key)

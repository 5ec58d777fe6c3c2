"""Solutions, their versions (training, stop, HPO/AutoML results) and offline metrics."""

from __future__ import annotations

import copy
import re

from ...facts import solutions as facts_solutions
from .. import avro, catalog
from .. import errors as E
from .account import Account
from .campaigns import follow_latest_version
from .datasets import datasets_by_type
from .generic import describe, listing
from .metrics import get_solution_metrics, stamp_new_version
from .synthetic import digest

DEFAULT_RECIPE_ARN = "arn:aws:personalize:::recipe/aws-user-personalization"


def _check_schedule(cfg: dict | None) -> None:
    expr = ((cfg or {}).get("autoTrainingConfig") or {}).get("schedulingExpression")
    if expr is not None:
        days = int(re.search(r"\d+", expr).group())
        if not 1 <= days <= 30:
            raise E.invalid_input("schedulingExpression must be rate(N days) with N between 1 and 30.")
        if (days == 1) != expr.endswith("day)"):
            raise E.invalid_input("schedulingExpression must read rate(1 day) or rate(N days).")


#: what DescribeSolution's latestSolutionVersion holds (FINDINGS.md §5)
LATEST_VERSION_KEYS = ("solutionVersionArn", "status", "creationDateTime", "lastUpdatedDateTime", "failureReason")
#: recipes whose solutions come back with ``solutionConfig: {}`` when none was sent (FINDINGS.md §1:
#: user-personalization does, sims / personalized-ranking / item-affinity / item-attribute-affinity
#: do not; v2 is assumed to follow v1)
EMPTY_CONFIG_RECIPES = frozenset({"aws-user-personalization", "aws-user-personalization-v2"})
#: the section DescribeSolution puts before an HPO range name ("bptt" -> "training.bptt"), as AWS
#: documents (customizing-solution-config-hpo: training.bptt, data.recency_mask); names not listed
#: are treated as training hyperparameters
HPO_NAME_SECTIONS = {"recency_mask": "data", "min_user_history_length_percentile": "data",
                     "max_user_history_length_percentile": "data"}


def echoed_solution_config(config: dict | None, recipe: catalog.Recipe | None) -> dict | None:
    """solutionConfig as DescribeSolution shows it: as sent, HPO range names prefixed with their section."""
    if config is None:
        return {} if recipe is not None and recipe.name in EMPTY_CONFIG_RECIPES else None
    out = copy.deepcopy(config)
    ranges = (out.get("hpoConfig") or {}).get("algorithmHyperParameterRanges") or {}
    for items in ranges.values():
        for item in items if isinstance(items, list) else ():
            name = item.get("name")
            if isinstance(name, str) and "." not in name:
                item["name"] = f"{HPO_NAME_SECTIONS.get(name, 'training')}.{name}"
    return out


# ---------------------------------------------------------------------- solutions
def create_solution(acct: Account, p: dict) -> dict:
    name = p["name"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    recipe_arn = p.get("recipeArn")
    automl = p.get("performAutoML", False)
    if automl and recipe_arn:
        raise E.invalid_input("recipeArn must not be specified when performAutoML is true.")
    if not automl and not recipe_arn:
        raise E.invalid_input("recipeArn is required unless performAutoML is true.")
    recipe = None
    if recipe_arn:
        recipe = catalog.BY_ARN.get(recipe_arn)
        if recipe is None:
            raise E.not_found(f"Could not find the recipe with ARN {recipe_arn}.")
        if recipe.domain is not None:
            raise E.invalid_input(f"The recipe {recipe_arn} is a domain use case; use CreateRecommender for it.")
    if p.get("performIncrementalUpdate") and (recipe is None or recipe.name not in catalog.INCREMENTAL_UPDATE_RECIPES):
        raise E.invalid_input("performIncrementalUpdate is only supported with the aws-semantic-similarity recipe.")
    issues = facts_solutions.check_solution(p)  # HPO limits, the recipe's hyperparameters: as validate checks them
    if issues:
        raise E.invalid_input(issues[0].api_message or issues[0].message + ".")
    _check_schedule(p.get("solutionConfig"))
    acct.require_active(group, "dataset group")
    acct.unique_name("solution", name)
    live = [s for s in acct.records("solution", datasetGroupArn=group["arn"])
            if not str(acct.status(s)).startswith("DELETE")]
    acct.quota("solutions_per_dataset_group", len(live), "solutions per dataset group")
    arn = acct.arn("solution", name)
    data = {
        "name": name,
        "performHPO": p.get("performHPO", False),
        "performAutoML": automl,
        # echoed only when sent: no real response shows them (FINDINGS.md §2, docs/emulator.md)
        "performAutoTraining": p.get("performAutoTraining"),
        "performIncrementalUpdate": p.get("performIncrementalUpdate"),
        "recipeArn": recipe_arn,
        "datasetGroupArn": group["arn"],
        "eventType": p.get("eventType"),
        "solutionConfig": echoed_solution_config(p.get("solutionConfig"), recipe),
    }
    acct.new("solution", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"solutionArn": arn}


def update_solution(acct: Account, p: dict) -> dict:
    rec = acct.get(p["solutionArn"], "solution")
    data = rec["data"]
    recipe = catalog.BY_ARN.get(data.get("recipeArn") or "")
    incremental = p.get("performIncrementalUpdate", data.get("performIncrementalUpdate", False))
    if incremental and (recipe is None or recipe.name not in catalog.INCREMENTAL_UPDATE_RECIPES):
        raise E.invalid_input("performIncrementalUpdate is only supported with the aws-semantic-similarity recipe.")
    _check_schedule(p.get("solutionUpdateConfig"))
    acct.require_active(rec, "solution")
    if rec.get("upd") is not None:
        raise E.in_use(f"An update of the solution {rec['arn']} is already in progress.")
    cfg = data.get("solutionConfig") or {}
    update_cfg = {k: copy.deepcopy(cfg[k]) for k in ("autoTrainingConfig", "eventsConfig") if k in cfg}
    update_cfg.update(copy.deepcopy(p.get("solutionUpdateConfig") or {}))
    data["latestSolutionUpdate"] = {
        "solutionUpdateConfig": update_cfg,
        "status": "CREATE PENDING",
        "performAutoTraining": p.get("performAutoTraining", data.get("performAutoTraining", True)),
        "performIncrementalUpdate": incremental,
        "creationDateTime": acct.now,
        "lastUpdatedDateTime": acct.now,
    }
    acct.start_update(rec, "solution", (data["name"],))
    return {"solutionArn": rec["arn"]}


def _solution_updated(acct: Account, rec: dict, summary: dict) -> None:
    data = rec["data"]
    data["performAutoTraining"] = summary["performAutoTraining"]
    if "performIncrementalUpdate" in summary:
        data["performIncrementalUpdate"] = summary["performIncrementalUpdate"]
    had_config = "solutionConfig" in data
    cfg = data.setdefault("solutionConfig", {})
    for key, value in (summary.get("solutionUpdateConfig") or {}).items():
        cfg[key] = copy.deepcopy(value)
    if not cfg and not had_config:
        data.pop("solutionConfig", None)


def _solution_view(acct: Account, rec: dict, view: dict, status: str | None, observe: bool) -> None:
    versions = acct.records("solution_version", solutionArn=rec["arn"])
    if versions:  # a 4-key summary (FINDINGS.md §5)
        latest = acct.view(versions[-1], observe)
        view["latestSolutionVersion"] = {k: latest[k] for k in LATEST_VERSION_KEYS if k in latest}


def delete_solution(acct: Account, p: dict) -> dict:
    rec = acct.get(p["solutionArn"], "solution")
    campaigns = acct.records("campaign", solutionArn=rec["arn"])
    if campaigns:
        raise E.in_use(f"Solution ARN {rec['arn']} is being referenced in one or more campaigns")
    training = acct.in_progress(acct.records("solution_version", solutionArn=rec["arn"]))
    if training:
        raise E.in_use(
            f"The solution {rec['arn']} has solution versions being created; stop them or wait: "
            + ", ".join(v["arn"] for v in training)
        )
    return acct.start_delete(rec, "solution")


# ---------------------------------------------------------------------- solution versions
def _training_problem(acct: Account, group_arn: str, recipe: catalog.Recipe | None) -> str | None:
    """Why training would fail for lack of data (the version then ends CREATE FAILED), or ``None``."""
    needed = recipe.training_datasets if recipe is not None else ("INTERACTIONS",)
    datasets = datasets_by_type(acct, group_arn)
    for dtype in needed:
        label = avro.DATASET_TYPES[dtype]
        ds = datasets.get(dtype)
        if ds is None:
            return f"Insufficient data: the dataset group has no {label} dataset to train on."
        jobs = acct.records("dataset_import_job", datasetArn=ds["arn"])
        if not any(acct.status(j) == "ACTIVE" for j in jobs):
            return (
                f"Insufficient data: the {label} dataset {ds['arn']} has no ACTIVE dataset import job. "
                "Import data and wait for the import job to be ACTIVE before training."
            )
    return None


def create_solution_version(acct: Account, p: dict) -> dict:
    sol = acct.get(p["solutionArn"], "solution")
    tags = acct.check_tags(p.get("tags"))
    name = p.get("name")
    mode = p.get("trainingMode", "FULL")
    sdata = sol["data"]
    recipe = catalog.BY_ARN.get(sdata.get("recipeArn") or "")
    acct.require_active(sol, "solution")
    versions = acct.records("solution_version", solutionArn=sol["arn"])
    if mode == "UPDATE":
        if recipe is None or recipe.name not in catalog.UPDATE_MODE_RECIPES:
            raise E.invalid_input("trainingMode UPDATE is only supported for User-Personalization and HRNN-Coldstart.")
        if not any(acct.status(v) == "ACTIVE" and v["data"].get("trainingMode") == "FULL" for v in versions):
            raise E.invalid_input("trainingMode UPDATE needs an ACTIVE solution version trained with FULL.")
    if name is not None and any(v["x"].get("given_name") == name for v in versions):
        raise E.already_exists(f"The solution already has a solution version named {name}.")
    acct.quota("pending_solution_versions", len(acct.in_progress(acct.records("solution_version"))),
               "pending or in-progress solution versions")
    group_arn = sol["links"]["datasetGroupArn"]
    arn = acct.arn("solution", f"{sdata['name']}/{acct.short_id('solution-version', sol['arn'])}")
    data = {
        # "<solution>/<id>" unless named (describe_solution_version__amazon-personalize-samples__1.json)
        "name": name or f"{sdata['name']}/{arn.rsplit('/', 1)[1]}",
        "solutionArn": sol["arn"],
        "performHPO": sdata.get("performHPO"),
        "performAutoML": sdata.get("performAutoML"),
        "performIncrementalUpdate": sdata.get("performIncrementalUpdate"),
        "recipeArn": sdata.get("recipeArn") or DEFAULT_RECIPE_ARN,
        "eventType": sdata.get("eventType"),
        "datasetGroupArn": group_arn,
        "solutionConfig": copy.deepcopy(sdata.get("solutionConfig")),
        "trainingMode": mode,
    }
    links = {"solutionArn": sol["arn"], "datasetGroupArn": group_arn}
    reason = _training_problem(acct, group_arn, recipe)
    rec = acct.new("solution_version", arn, data, links, tags, (name, sdata["name"]), fail_reason=reason)
    rec["x"]["given_name"] = name
    stamp_new_version(acct, rec)
    return {"solutionVersionArn": arn}


def _version_trained(acct: Account, rec: dict) -> None:
    data = rec["data"]
    h = int(digest(rec["arn"]), 16)
    data["trainingHours"] = round(0.25 + (h % 400) / 100.0, 3)
    if data.get("performHPO"):
        recipe = catalog.BY_ARN.get(data.get("recipeArn", ""))
        if recipe is not None:
            data["tunedHPOParams"] = {"algorithmHyperParameters": catalog.default_hyperparameters(recipe)}
    sol = acct.resources.get(rec["links"]["solutionArn"])
    if sol is not None and sol["data"].get("performAutoML"):
        acct.touch(sol)
        sol["data"]["autoMLResult"] = {"bestRecipeArn": data.get("recipeArn")}
    follow_latest_version(acct, rec)


def stop_solution_version_creation(acct: Account, p: dict) -> dict:
    rec = acct.get(p["solutionVersionArn"], "solution_version")
    status = acct.status(rec)
    if status == "CREATE PENDING":
        rec["lc"] = None
        rec["data"]["status"] = "CREATE STOPPED"
        rec["data"]["lastUpdatedDateTime"] = acct.now
    elif status == "CREATE IN_PROGRESS":
        rec["lc"] = acct.transition("stop", ("CREATE STOPPING",), (60,), "CREATE STOPPED")
        acct.track(rec)
        rec["data"]["lastUpdatedDateTime"] = acct.now
    else:
        raise E.in_use(
            f"The solution version {rec['arn']} cannot be stopped in status {status}; "
            "only CREATE PENDING or CREATE IN_PROGRESS versions can be stopped."
        )
    return {}


def list_solution_versions(acct: Account, p: dict) -> dict:
    if p.get("solutionArn"):  # unlike the other List* filters, an unknown parent is an error
        acct.get(p["solutionArn"], "solution")
    return acct.list("ListSolutionVersions", "solution_version", "solutionVersions", p, "solutionArn")


OPERATIONS = {
    "CreateSolution": create_solution,
    "DescribeSolution": describe("solution", "solutionArn"),
    "ListSolutions": listing("ListSolutions", "solution", "solutions", "datasetGroupArn"),
    "UpdateSolution": update_solution,
    "DeleteSolution": delete_solution,
    "CreateSolutionVersion": create_solution_version,
    "DescribeSolutionVersion": describe("solution_version", "solutionVersionArn"),
    "ListSolutionVersions": list_solution_versions,
    "StopSolutionVersionCreation": stop_solution_version_creation,
    "GetSolutionMetrics": get_solution_metrics,
}
ON_CREATED = {"solution_version": _version_trained}
ON_UPDATED = {"solution": _solution_updated}
VIEW_EXTRAS = {"solution": _solution_view}

"""Recommenders: domain use cases in a domain dataset group; update, stop, start and delete."""

from __future__ import annotations

import copy

from .. import catalog
from .. import errors as E
from .account import Account
from .generic import describe, listing
from .lifecycle import split
from .resources import START_STOP_SECS
from .synthetic import model_metrics


def _with_default_tps(config: dict) -> dict:
    config = copy.deepcopy(config)
    config.setdefault("minRecommendationRequestsPerSecond", 1)
    return config


def create_recommender(acct: Account, p: dict) -> dict:
    name = p["name"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    recipe = catalog.BY_ARN.get(p["recipeArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the recipe with ARN {p['recipeArn']}.")
    domain = group["data"].get("domain")
    if domain is None:
        raise E.invalid_input("Recommenders can only be created in a domain dataset group.")
    if recipe.domain != domain:
        raise E.invalid_input(f"The recipe {recipe.arn} is not a {domain} use case.")
    acct.require_active(group, "dataset group")
    acct.unique_name("recommender", name)
    live = [r for r in acct.records("recommender", datasetGroupArn=group["arn"])
            if not str(acct.status(r)).startswith("DELETE")]
    acct.quota("recommenders_per_dataset_group", len(live), "recommenders per dataset group")
    arn = acct.arn("recommender", name)
    config = _with_default_tps(p.get("recommenderConfig") or {})
    data = {"name": name, "datasetGroupArn": group["arn"], "recipeArn": recipe.arn, "recommenderConfig": config}
    acct.new("recommender", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"recommenderArn": arn}


def update_recommender(acct: Account, p: dict) -> dict:
    rec = acct.get(p["recommenderArn"], "recommender")
    acct.require_active(rec, "recommender")
    if rec.get("upd") is not None:
        raise E.in_use(f"An update of the recommender {rec['arn']} is already in progress.")
    rec["data"]["latestRecommenderUpdate"] = {
        "recommenderConfig": _with_default_tps(p["recommenderConfig"]),
        "status": "CREATE PENDING",
        "creationDateTime": acct.now,
        "lastUpdatedDateTime": acct.now,
    }
    acct.start_update(rec, "recommender", (rec["data"]["name"],))
    return {"recommenderArn": rec["arn"]}


def _created(acct: Account, rec: dict) -> None:
    rec["data"]["modelMetrics"] = model_metrics(rec["arn"])


def _updated(acct: Account, rec: dict, summary: dict) -> None:
    rec["data"]["recommenderConfig"] = copy.deepcopy(summary["recommenderConfig"])


def _view_extra(acct: Account, rec: dict, view: dict, status: str | None, observe: bool) -> None:
    if status != "ACTIVE":
        view.pop("modelMetrics", None)


def stop_recommender(acct: Account, p: dict) -> dict:
    rec = acct.get(p["recommenderArn"], "recommender")
    status = acct.status(rec)
    if status != "ACTIVE" or rec.get("upd") is not None:
        raise E.in_use(f"The recommender {rec['arn']} can only be stopped when ACTIVE (status: {status}).")
    rec["lc"] = acct.transition("stop", ("STOP PENDING", "STOP IN_PROGRESS"), split(START_STOP_SECS), "INACTIVE")
    acct.track(rec)
    rec["data"]["lastUpdatedDateTime"] = acct.now
    return {"recommenderArn": rec["arn"]}


def start_recommender(acct: Account, p: dict) -> dict:
    rec = acct.get(p["recommenderArn"], "recommender")
    status = acct.status(rec)
    if status != "INACTIVE":
        raise E.in_use(f"The recommender {rec['arn']} can only be started when INACTIVE (status: {status}).")
    rec["lc"] = acct.transition("start", ("START PENDING", "START IN_PROGRESS"), split(START_STOP_SECS), "ACTIVE")
    acct.track(rec)
    rec["data"]["lastUpdatedDateTime"] = acct.now
    return {"recommenderArn": rec["arn"]}


def delete_recommender(acct: Account, p: dict) -> dict:
    return acct.start_delete(acct.get(p["recommenderArn"], "recommender"), "recommender")


OPERATIONS = {
    "CreateRecommender": create_recommender,
    "DescribeRecommender": describe("recommender", "recommenderArn"),
    "ListRecommenders": listing("ListRecommenders", "recommender", "recommenders", "datasetGroupArn"),
    "UpdateRecommender": update_recommender,
    "StopRecommender": stop_recommender,
    "StartRecommender": start_recommender,
    "DeleteRecommender": delete_recommender,
}
ON_CREATED = {"recommender": _created}
ON_UPDATED = {"recommender": _updated}
VIEW_EXTRAS = {"recommender": _view_extra}

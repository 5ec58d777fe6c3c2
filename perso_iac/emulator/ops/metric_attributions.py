"""Metric attributions: at most one per dataset group, with up to 10 SUM/SAMPLECOUNT metrics."""

from __future__ import annotations

import copy

from ...facts import metrics as facts_metrics
from .. import errors as E
from .account import Account
from .generic import describe, listing
from .paging import paginate


def _check_metrics(metrics: list[dict]) -> None:
    names = [m["metricName"] for m in metrics]
    if len(set(names)) != len(names):
        raise E.invalid_input("Metric names must be unique within a metric attribution.")
    for m in metrics:
        issues = facts_metrics.check(m["expression"])  # any case, as validate accepts it
        if issues:
            raise E.invalid_input(f"Invalid metric expression {m['expression']!r}: {issues[0].hint}.")
    if len(metrics) > 10:
        raise E.invalid_input("A metric attribution can have at most 10 metrics.")


def create_metric_attribution(acct: Account, p: dict) -> dict:
    name = p["name"]
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    _check_metrics(p["metrics"])
    acct.require_active(group, "dataset group")
    existing = acct.records("metric_attribution", datasetGroupArn=group["arn"])
    if len(existing) >= acct.config.quota("metric_attributions_per_dataset_group"):
        raise E.already_exists(f"The dataset group {group['arn']} already has a metric attribution: {existing[0]['arn']}")
    acct.unique_name("metric_attribution", name)
    arn = acct.arn("metric-attribution", name)
    data = {"name": name, "datasetGroupArn": group["arn"], "metricsOutputConfig": p["metricsOutputConfig"]}
    rec = acct.new("metric_attribution", arn, data, {"datasetGroupArn": group["arn"]}, None, (name,))
    rec["x"]["metrics"] = copy.deepcopy(p["metrics"])
    return {"metricAttributionArn": arn}


def update_metric_attribution(acct: Account, p: dict) -> dict:
    if not p.get("metricAttributionArn"):
        raise E.invalid_input("metricAttributionArn is required.")
    rec = acct.get(p["metricAttributionArn"], "metric_attribution")
    acct.require_active(rec, "metric attribution")
    metrics = copy.deepcopy(rec["x"]["metrics"])
    existing = {m["metricName"] for m in metrics}
    for removed in p.get("removeMetrics") or []:
        if removed not in existing:
            raise E.invalid_input(f"The metric attribution has no metric named {removed}.")
    metrics = [m for m in metrics if m["metricName"] not in set(p.get("removeMetrics") or [])]
    for added in p.get("addMetrics") or []:
        if any(m["metricName"] == added["metricName"] for m in metrics):
            raise E.already_exists(f"The metric attribution already has a metric named {added['metricName']}.")
        metrics.append(copy.deepcopy(added))
    _check_metrics(metrics)
    rec["x"]["metrics"] = metrics
    if p.get("metricsOutputConfig"):
        rec["data"]["metricsOutputConfig"] = p["metricsOutputConfig"]
    rec["data"]["lastUpdatedDateTime"] = acct.now
    return {"metricAttributionArn": rec["arn"]}


def list_metric_attribution_metrics(acct: Account, p: dict) -> dict:
    if not p.get("metricAttributionArn"):
        raise E.invalid_input("metricAttributionArn is required.")
    rec = acct.get(p["metricAttributionArn"], "metric_attribution")
    page, nxt = paginate("ListMetricAttributionMetrics", rec["x"]["metrics"], p, rec["arn"])
    return {"metrics": page, "nextToken": nxt}


def delete_metric_attribution(acct: Account, p: dict) -> dict:
    return acct.start_delete(acct.get(p["metricAttributionArn"], "metric_attribution"), "metric attribution")


OPERATIONS = {
    "CreateMetricAttribution": create_metric_attribution,
    "DescribeMetricAttribution": describe("metric_attribution", "metricAttributionArn"),
    "ListMetricAttributions": listing("ListMetricAttributions", "metric_attribution", "metricAttributions",
                                      "datasetGroupArn"),
    "UpdateMetricAttribution": update_metric_attribution,
    "ListMetricAttributionMetrics": list_metric_attribution_metrics,
    "DeleteMetricAttribution": delete_metric_attribution,
}

"""Metric attribution: business metrics computed from events and published to S3/CloudWatch.

Not taggable. The metrics and the output config change in place through
UpdateMetricAttribution, whose metrics are a delta (addMetrics, removeMetrics by name), so
the adapter computes the delta between what is live and what is desired. The metric list is
compared as a set (sorted by metricName).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from .base import (
    Observed,
    ResourceType,
    covers,
    describe_or_none,
    find_by_name,
    ignore_not_found,
    paginate,
    pick,
)
from .impact import Impact

_METRIC_KEYS = ("eventType", "metricName", "expression")


def sorted_metrics(metrics: Any) -> Any:
    if not isinstance(metrics, list | tuple):
        return metrics
    return sorted(metrics, key=lambda m: str(m.get("metricName", "")) if isinstance(m, Mapping) else str(m))


def metrics_delta(before: Any, after: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """(addMetrics, removeMetrics) turning the `before` metric list into `after`; a metric
    whose definition changed is removed and added again."""
    old = {m["metricName"]: dict(m) for m in before or []}
    new = {m["metricName"]: dict(m) for m in after or []}
    remove = sorted(n for n, m in old.items() if n not in new or new[n] != m)
    add = [new[n] for n in sorted(new) if n not in old or old[n] != new[n]]
    return add, remove


class MetricAttributionType(ResourceType):
    type_name = "metric_attribution"
    impact = Impact(
        typical_create=60, typical_delete=60,
        unavailable="metrics of events and recommendations are not reported to CloudWatch or S3",
        changes=("metric attribution ARN",),
        loss="the metrics reported while it is missing")
    updatable = frozenset({"metrics", "metricsOutputConfig"})
    taggable = False
    create_timeout = 1800.0
    delete_timeout = 1800.0

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if "metrics" in out:
            out["metrics"] = sorted_metrics(out["metrics"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_metric_attribution, metricAttributionArn=arn)
        if resp is None:
            return None
        attribution = resp["metricAttribution"]
        params = pick(attribution, ("name", "datasetGroupArn", "metricsOutputConfig"))
        try:
            metrics = [pick(m, _METRIC_KEYS) for m in
                       paginate(client, "list_metric_attribution_metrics", "metrics", metricAttributionArn=arn)]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":  # deleted between the two calls
                return None
            raise
        params["metrics"] = sorted_metrics(metrics)
        return Observed(arn=arn, params=params, status=attribution.get("status"),
                        failure_reason=attribution.get("failureReason"), outputs={"arn": arn})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        return find_by_name(client, "list_metric_attributions", "metricAttributions", "metricAttributionArn",
                            name, datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("datasetGroupArn", "metrics", "metricsOutputConfig"))
        return client.create_metric_attribution(name=name, **args)["metricAttributionArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        args: dict[str, Any] = {}
        if "metrics" in after:
            add, remove = metrics_delta(before.get("metrics"), after["metrics"])
            if add:
                args["addMetrics"] = add
            if remove:
                args["removeMetrics"] = remove
        output = after.get("metricsOutputConfig")
        if output is not None and not covers(before.get("metricsOutputConfig") or {}, output):
            args["metricsOutputConfig"] = dict(output)
        if args:
            client.update_metric_attribution(metricAttributionArn=arn, **args)

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_metric_attribution, metricAttributionArn=arn)

"""Metric attribution: business metrics computed from events and published to S3/CloudWatch.

Not taggable. The metrics and the output config change in place through
UpdateMetricAttribution, whose metrics are a delta (addMetrics, removeMetrics by name), so
the adapter computes the delta between what is live and what is desired. The metric list is
compared as a set (sorted by metricName).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import metrics as facts_metrics
from ..spec.checks import (
    KMS_ARN_RE,
    KMS_EXAMPLE,
    ROLE_ARN_RE,
    ROLE_EXAMPLE,
    Checked,
    PathT,
    Problems,
    check_arn,
    check_s3,
    d,
)
from ..spec.schema_parts import COMMON, STR, obj
from .base import (
    Listing,
    Observed,
    ResourceType,
    covers,
    describe_or_none,
    ignore_not_found,
    not_found,
    paginate,
    pick,
)
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of
from .filter import filter_datasets
from .impact import Impact

_METRIC_KEYS = ("eventType", "metricName", "expression")
_METRIC = obj({"eventType": STR, "metricName": STR, "expression": STR}, ("eventType", "metricName", "expression"))
_S3_DATA_CONFIG = obj({"path": STR, "kmsKeyArn": STR}, ("path",))


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
    no_create_before_destroy = "AWS allows one metric attribution per dataset group"
    section = "metric_attributions"
    container = "dataset_group"
    parent = "dataset_group"
    params = ("name", "datasetGroupArn", "metrics", "metricsOutputConfig")
    listing = Listing("list_metric_attributions", "metricAttributions", "metricAttributionArn", "datasetGroupArn")
    detect_unmanaged = True
    impact = Impact(
        typical_create=60, typical_delete=60,
        unavailable="metrics of events and recommendations are not reported to CloudWatch or S3",
        changes=("metric attribution ARN",),
        loss="the metrics reported while it is missing")
    updatable = frozenset({"metrics", "metricsOutputConfig"})
    taggable = False
    create_timeout = 1800.0
    delete_timeout = 1800.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **COMMON,
            "metrics": {"type": "array", "items": _METRIC, "minItems": 1},
            "metricsOutputConfig": obj({"s3DataDestination": _S3_DATA_CONFIG, "roleArn": STR}, ("roleArn",)),
        }, ("metrics", "metricsOutputConfig"))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        check_metric_attributions(group.path, group.sections["metric_attributions"], group.dataset_types, problems,
                                  group.sections["datasets"], group.checked)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        params = {"name": c.name, "datasetGroupArn": c.container_ref, "metrics": [dict(m) for m in e["metrics"]],
                  "metricsOutputConfig": e["metricsOutputConfig"]}
        return [Flat(c.address(), c.name, params, c.path, depends_on=c.declared.get("dataset", ()),
                     lifecycle=lifecycle_of(e))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        return {"metrics": [dict(m) for m in p.get("metrics") or []],
                "metricsOutputConfig": dict(p.get("metricsOutputConfig") or {})}

    # -- AWS ----------------------------------------------------------------------------------------

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
        except Exception as exc:
            if not_found(exc):  # deleted between the two calls
                return None
            raise
        params["metrics"] = sorted_metrics(metrics)
        return Observed(arn=arn, statuses=self.statuses, params=params, status=attribution.get("status"),
                        failure_reason=attribution.get("failureReason"), outputs={"arn": arn})

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


# -- checking a spec's metric attributions ---------------------------------------------------------

def check_metric_attributions(gpath: PathT, attributions: Mapping[str, Any], present: set[str],
                              problems: Problems, datasets: Mapping[str, Any] | None = None,
                              checked: Checked | None = None) -> None:
    fields = filter_datasets(present, datasets or {}, checked)
    for key, attr in attributions.items():
        if not isinstance(attr, dict):
            continue
        path: PathT = (*gpath, "metric_attributions", key)
        metrics = attr.get("metrics")
        if isinstance(metrics, list):
            if len(metrics) > 10:
                problems.add((*path, "metrics"), f"{len(metrics)} metrics; AWS allows 10 per metric attribution")
            names: set[str] = set()
            for i, metric in enumerate(metrics):
                if not isinstance(metric, dict):
                    continue
                mname = metric.get("metricName")
                if isinstance(mname, str):
                    if mname in names:
                        problems.add((*path, "metrics", i, "metricName"), f"duplicate metricName '{mname}'")
                    names.add(mname)
                expr = metric.get("expression")
                if isinstance(expr, str):  # the rules live in perso_iac.facts.metrics
                    for issue in facts_metrics.check(expr, fields):
                        problems.add((*path, "metrics", i, "expression"), issue.message, issue.hint)
        out = d(attr.get("metricsOutputConfig"))
        opath = (*path, "metricsOutputConfig")
        check_arn(out, opath, "roleArn", ROLE_ARN_RE, problems, ROLE_EXAMPLE)
        dest = d(out.get("s3DataDestination"))
        check_s3(dest, (*opath, "s3DataDestination"), "path", problems)
        check_arn(dest, (*opath, "s3DataDestination"), "kmsKeyArn", KMS_ARN_RE, problems, KMS_EXAMPLE)

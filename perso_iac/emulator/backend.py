"""The emulated Amazon Personalize account (moto's ``models.py`` role): domain rules, no HTTP.

Every resource is a JSON-serialisable record::

    {"type": "campaign", "arn": ..., "seq": 7, "links": {"solutionArn": ..., "datasetGroupArn": ...},
     "data": {... the Describe* fields ...}, "lc": <transition or None>, "upd": <transition or None>,
     "x": {... private extras ...}}

Lifecycles are *derived lazily*: a transition records when it started, the (unscaled) duration of
each pending phase and the final status. At each request the backend compares the clock with
``start + sum(durations) * time_scale`` and completes what is due (``_settle_all``). With
``time_scale == 0`` a transition instead advances one phase per observation (each Describe/List
that reports it), so every pending status is seen exactly once before the final one.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import avro, catalog
from . import errors as E
from .config import DEFAULT_QUOTAS, EmulatorConfig
from .model import operation_model, project, validate, validation_message
from .store import FileStore, MemoryStore, empty_state


@dataclass(frozen=True)
class RType:
    key: str
    arn_key: str
    name_key: str
    view_key: str
    style: str  # std | batch | ddj | none
    create_secs: float
    update_key: str | None = None
    deletable: bool = False


TYPES: dict[str, RType] = {
    t.key: t
    for t in (
        RType("schema", "schemaArn", "name", "schema", "none", 0, deletable=True),
        RType("dataset_group", "datasetGroupArn", "name", "datasetGroup", "std", 60, deletable=True),
        RType("dataset", "datasetArn", "name", "dataset", "std", 60, "latestDatasetUpdate", True),
        RType("dataset_import_job", "datasetImportJobArn", "jobName", "datasetImportJob", "std", 600),
        RType("dataset_export_job", "datasetExportJobArn", "jobName", "datasetExportJob", "std", 600),
        RType("event_tracker", "eventTrackerArn", "name", "eventTracker", "std", 60, deletable=True),
        RType("filter", "filterArn", "name", "filter", "std", 60, deletable=True),
        RType("solution", "solutionArn", "name", "solution", "std", 60, "latestSolutionUpdate", True),
        RType("solution_version", "solutionVersionArn", "name", "solutionVersion", "std", 3600),
        RType("campaign", "campaignArn", "name", "campaign", "std", 600, "latestCampaignUpdate", True),
        RType("recommender", "recommenderArn", "name", "recommender", "std", 3600,
              "latestRecommenderUpdate", True),
        RType("metric_attribution", "metricAttributionArn", "name", "metricAttribution", "std",
              60, deletable=True),
        RType("batch_inference_job", "batchInferenceJobArn", "jobName", "batchInferenceJob",
              "batch", 1800),
        RType("batch_segment_job", "batchSegmentJobArn", "jobName", "batchSegmentJob", "batch", 1800),
        RType("data_deletion_job", "dataDeletionJobArn", "jobName", "dataDeletionJob", "ddj", 600),
    )
}

#: pending phases and (success, failure) final statuses per lifecycle style
STYLES = {
    "std": (("CREATE PENDING", "CREATE IN_PROGRESS"), "ACTIVE", "CREATE FAILED"),
    "batch": (("PENDING", "IN PROGRESS"), "ACTIVE", "CREATE FAILED"),
    "ddj": (("PENDING", "IN_PROGRESS"), "COMPLETED", "FAILED"),
}
UPDATE_SECS = {"campaign": 600, "recommender": 1800, "solution": 60, "dataset": 60}
DELETE_SECS = 60
START_STOP_SECS = 300
PENDING_STATUSES = frozenset(
    {"CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING", "PENDING", "IN PROGRESS", "IN_PROGRESS"}
)
DELETABLE_STATUSES = frozenset({"ACTIVE", "CREATE FAILED", "INACTIVE"})

Handler = Callable[["Backend", dict], dict]
HANDLERS: dict[str, Handler] = {}


def op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def _digest(*parts: Any) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _det_metrics(seed: str) -> dict[str, float]:
    """Plausible, deterministic offline metrics for a trained model."""
    h = int(_digest(seed), 16)

    def frac(i: int) -> float:
        return ((h >> (i * 8)) & 0xFF) / 255.0

    ndcg5 = 0.08 + 0.2 * frac(1)
    prec5 = 0.02 + 0.08 * frac(2)
    return {
        "coverage": round(0.1 + 0.5 * frac(0), 4),
        "mean_reciprocal_rank_at_25": round(0.05 + 0.25 * frac(3), 4),
        "normalized_discounted_cumulative_gain_at_5": round(ndcg5, 4),
        "normalized_discounted_cumulative_gain_at_10": round(ndcg5 * 1.15, 4),
        "normalized_discounted_cumulative_gain_at_25": round(ndcg5 * 1.3, 4),
        "precision_at_5": round(prec5, 4),
        "precision_at_10": round(prec5 * 0.8, 4),
        "precision_at_25": round(prec5 * 0.55, 4),
    }


class Backend:
    """One emulated account in one region. Thread-safe; optionally persisted in ``data_dir``."""

    def __init__(self, config: EmulatorConfig, clock: Any) -> None:
        self.config = config
        self.clock = clock
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._rng = random.Random(config.seed)
        if config.data_dir is not None:
            self._store: MemoryStore | FileStore = FileStore(config.data_dir, config.region, config.account_id)
        else:
            self._store = MemoryStore()
        with self._lock, self._store.locked():
            self.state = self._store.load()

    # ------------------------------------------------------------------ entry points
    def admit(self, op_name: str) -> None:
        """Count the call and apply the throttling fault (deterministic, seeded RNG)."""
        with self._lock:
            self.calls[op_name] += 1
            rate = self.config.throttle_rate
            if rate > 0 and self._rng.random() < rate:
                self.throttled[op_name] += 1
                raise E.ApiError("ThrottlingException", "Rate exceeded")

    def handle(self, op_name: str, params: dict) -> dict:
        """Validate ``params`` against the model, run the operation, shape the output."""
        handler = HANDLERS.get(op_name)
        if handler is None:
            raise E.ApiError("UnknownOperationException", f"Operation {op_name} is not supported.")
        om = operation_model(op_name)
        problems = validate(om.input_shape, params)
        if problems:
            raise E.invalid_input(validation_message(problems))
        with self._lock, self._store.locked():
            self.state = self._store.load()
            self._now = self.clock.now()
            self._settle_all()
            snapshot = json.dumps(self.state)
            try:
                result = handler(self, params)
            except BaseException:
                self.state = json.loads(snapshot)
                self._store.save(self.state)
                raise
            self._store.save(self.state)
        return project(om.output_shape, result)

    def control(self, payload: dict) -> dict:
        """The test control endpoint (``POST /_perso/control``)."""
        action = payload.get("action")
        if action == "advance":
            seconds = payload.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise E.invalid_input("advance needs a non-negative number of seconds")
            return {"now": self.clock.advance(seconds)}
        if action == "configure":
            return {"config": self.configure(**{k: v for k, v in payload.items() if k != "action"})}
        if action == "reset":
            self.reset()
            return {"reset": True}
        if action == "calls":
            with self._lock:
                out = {"calls": dict(self.calls), "throttled": dict(self.throttled), "total": sum(self.calls.values())}
                if payload.get("reset"):
                    self.calls.clear()
                    self.throttled.clear()
            return out
        if action == "state":
            with self._lock, self._store.locked():
                return {"state": copy.deepcopy(self._store.load()), "now": self.clock.now()}
        raise E.invalid_input(f"unknown control action {action!r} (advance, configure, reset, calls, state)")

    def configure(self, **changes: Any) -> dict:
        with self._lock:
            cfg = self.config
            for key, value in changes.items():
                if key == "time_scale":
                    if float(value) < 0:
                        raise E.invalid_input("time_scale must be >= 0")
                    cfg.time_scale = float(value)
                elif key == "latency_ms":
                    cfg.latency_ms = float(value)
                elif key == "throttle_rate":
                    if not 0 <= float(value) <= 1:
                        raise E.invalid_input("throttle_rate must be between 0 and 1")
                    cfg.throttle_rate = float(value)
                elif key == "fail":
                    try:
                        cfg.set_fail(value or ())
                    except ValueError as exc:
                        raise E.invalid_input(str(exc)) from None
                elif key == "quotas":
                    unknown = set(value or {}) - set(DEFAULT_QUOTAS)
                    if unknown:
                        raise E.invalid_input(f"unknown quotas: {', '.join(sorted(unknown))}")
                    cfg.quotas = {**DEFAULT_QUOTAS, **(cfg.quotas or {}), **{k: int(v) for k, v in (value or {}).items()}}
                elif key == "seed":
                    self._rng = random.Random(value)
                else:
                    raise E.invalid_input(f"cannot configure {key!r}")
            return {
                "time_scale": cfg.time_scale,
                "latency_ms": cfg.latency_ms,
                "throttle_rate": cfg.throttle_rate,
                "fail": list(cfg.fail),
                "quotas": dict(cfg.quotas),
            }

    def reset(self) -> None:
        with self._lock, self._store.locked():
            self.state = empty_state()
            self._store.save(self.state)
            self.calls.clear()
            self.throttled.clear()

    # ------------------------------------------------------------------ records
    @property
    def _res(self) -> dict[str, dict]:
        return self.state["resources"]

    def _arn(self, seg: str, rest: str) -> str:
        partition = "aws-cn" if self.config.region.startswith("cn-") else "aws"
        return f"arn:{partition}:personalize:{self.config.region}:{self.config.account_id}:{seg}/{rest}"

    def _records(self, rtype: str, **links: str) -> list[dict]:
        out = [
            r
            for r in self._res.values()
            if r["type"] == rtype and all(r["links"].get(k) == v for k, v in links.items())
        ]
        out.sort(key=lambda r: r["seq"])
        return out

    def _get(self, arn: str, rtype: str) -> dict:
        rec = self._res.get(arn)
        if rec is None or rec["type"] != rtype:
            label = rtype.replace("_", " ")
            raise E.not_found(f"Could not find the {label} with ARN {arn}.")
        return rec

    def _new(
        self,
        rtype: str,
        arn: str,
        data: dict,
        links: dict,
        tags: list | None = None,
        fail_names: tuple = (),
        fail_reason: str | None = None,
    ) -> dict:
        spec = TYPES[rtype]
        self.state["seq"] += 1
        data = {k: v for k, v in data.items() if v is not None}
        data[spec.arn_key] = arn
        data["creationDateTime"] = self._now
        data["lastUpdatedDateTime"] = self._now
        rec = {"type": rtype, "arn": arn, "seq": self.state["seq"], "links": links, "data": data,
               "lc": None, "upd": None, "x": {}}
        if spec.style != "none":
            phases, ok, failed = STYLES[spec.style]
            reason = self._forced_failure(rtype, fail_names) or fail_reason
            secs = spec.create_secs
            rec["lc"] = self._transition("create", phases, (secs * 0.1, secs * 0.9), failed if reason else ok, reason)
            data["status"] = phases[0]
        self._res[arn] = rec
        if tags:
            self.state["tags"][arn] = {t["tagKey"]: t.get("tagValue", "") for t in tags}
        return rec

    def _transition(self, kind: str, phases, durs, final: str | None, reason: str | None = None) -> dict:
        return {"kind": kind, "phases": list(phases), "durs": list(durs), "final": final, "reason": reason,
                "start": self._now, "obs": 0, "idx": 0}

    def _forced_failure(self, rtype: str, names: tuple) -> str | None:
        for rule in self.config.fail_rules:
            if rule.matches(rtype, names):
                return f"Forced failure by emulator fault rule '{rule}'."
        return None

    def _short_id(self, *parts: Any) -> str:
        return _digest(self.config.account_id, self.state["seq"], *parts)[:8]

    # ------------------------------------------------------------------ lifecycle
    def _index(self, tr: dict) -> int:
        n = len(tr["phases"])
        scale = self.config.time_scale
        if scale <= 0:
            idx = min(n, tr["obs"])
        else:
            elapsed = self._now - tr["start"]
            idx, acc = n, 0.0
            for i, d in enumerate(tr["durs"]):
                acc += d * scale
                if elapsed < acc:
                    idx = i
                    break
        idx = max(idx, tr["idx"])
        tr["idx"] = idx
        return idx

    def _end_time(self, tr: dict) -> float:
        if self.config.time_scale <= 0:
            return self._now
        return min(self._now, tr["start"] + sum(tr["durs"]) * self.config.time_scale)

    def _settle_all(self) -> None:
        for arn in sorted(self._res, key=lambda a: self._res[a]["seq"]):
            rec = self._res.get(arn)
            if rec is None:
                continue
            for slot in ("lc", "upd"):
                tr = rec.get(slot)
                if tr is not None and self._index(tr) >= len(tr["phases"]):
                    rec[slot] = None
                    self._complete(rec, tr)
                    if arn not in self._res:
                        break

    def _status(self, rec: dict) -> str | None:
        tr = rec.get("lc")
        if tr is not None:
            return tr["phases"][min(tr["idx"], len(tr["phases"]) - 1)]
        return rec["data"].get("status")

    def _update_status(self, rec: dict) -> str | None:
        tr = rec.get("upd")
        if tr is not None:
            return tr["phases"][min(tr["idx"], len(tr["phases"]) - 1)]
        key = TYPES[rec["type"]].update_key
        return (rec["data"].get(key) or {}).get("status") if key else None

    def _complete(self, rec: dict, tr: dict) -> None:
        end = self._end_time(tr)
        data = rec["data"]
        kind = tr["kind"]
        if kind == "delete":
            self._remove(rec["arn"])
            return
        if kind == "update":
            key = TYPES[rec["type"]].update_key
            summary = data[key]
            summary["status"] = tr["final"]
            summary["lastUpdatedDateTime"] = end
            if tr["reason"]:
                summary["failureReason"] = tr["reason"]
            else:
                self._apply_update(rec, summary)
                data["lastUpdatedDateTime"] = end
            return
        data["status"] = tr["final"]
        data["lastUpdatedDateTime"] = end
        if tr["reason"]:
            data["failureReason"] = tr["reason"]
        if kind == "create" and tr["final"] in ("ACTIVE", "COMPLETED"):
            self._on_created(rec)

    def _on_created(self, rec: dict) -> None:
        rtype, data = rec["type"], rec["data"]
        if rtype == "solution_version":
            h = int(_digest(rec["arn"]), 16)
            data["trainingHours"] = round(0.25 + (h % 400) / 100.0, 3)
            if data.get("performHPO"):
                recipe = catalog.BY_ARN.get(data.get("recipeArn", ""))
                if recipe is not None:
                    data["tunedHPOParams"] = {"algorithmHyperParameters": catalog.default_hyperparameters(recipe)}
            sol = self._res.get(rec["links"]["solutionArn"])
            if sol is not None and sol["data"].get("performAutoML"):
                sol["data"]["autoMLResult"] = {"bestRecipeArn": data.get("recipeArn")}
            self._sync_campaigns(rec)
        elif rtype == "recommender":
            data["modelMetrics"] = _det_metrics(rec["arn"])
        elif rtype == "data_deletion_job":
            data["numDeleted"] = int(_digest(rec["arn"])[:4], 16) % 1000

    def _apply_update(self, rec: dict, summary: dict) -> None:
        rtype, data = rec["type"], rec["data"]
        if rtype == "campaign":
            data["solutionVersionArn"] = summary["solutionVersionArn"]
            data["minProvisionedTPS"] = summary["minProvisionedTPS"]
            if summary.get("campaignConfig") is not None:
                data["campaignConfig"] = copy.deepcopy(summary["campaignConfig"])
            else:
                data.pop("campaignConfig", None)
            rec["x"]["requested"] = rec["x"].pop("requested_update", summary["solutionVersionArn"])
            ver = self._res.get(summary["solutionVersionArn"])
            if ver is not None:
                rec["links"]["solutionVersionArn"] = ver["arn"]
                rec["links"]["solutionArn"] = ver["links"]["solutionArn"]
            if data.get("status") == "CREATE FAILED":
                data["status"] = "ACTIVE"
                data.pop("failureReason", None)
        elif rtype == "dataset":
            data["schemaArn"] = summary["schemaArn"]
        elif rtype == "solution":
            data["performAutoTraining"] = summary["performAutoTraining"]
            data["performIncrementalUpdate"] = summary.get("performIncrementalUpdate", False)
            cfg = data.setdefault("solutionConfig", {})
            for key, value in (summary.get("solutionUpdateConfig") or {}).items():
                cfg[key] = copy.deepcopy(value)
            if not cfg:
                data.pop("solutionConfig", None)
        elif rtype == "recommender":
            data["recommenderConfig"] = copy.deepcopy(summary["recommenderConfig"])

    def _remove(self, arn: str) -> None:
        self._res.pop(arn, None)
        self.state["tags"].pop(arn, None)
        # jobs and solution versions cannot be deleted on their own: they go with their parent
        dependants = [
            r["arn"]
            for r in self._res.values()
            if not TYPES[r["type"]].deletable and arn in r["links"].values()
        ]
        for child in dependants:
            self._remove(child)

    def _observe(self, rec: dict) -> None:
        if self.config.time_scale > 0:  # clock-driven: reads change nothing (and need no write)
            return
        for slot in ("lc", "upd"):
            tr = rec.get(slot)
            if tr is not None:
                tr["obs"] += 1

    def _view(self, rec: dict, observe: bool = True) -> dict:
        view = copy.deepcopy(rec["data"])
        status = self._status(rec)
        if status is not None:
            view["status"] = status
        key = TYPES[rec["type"]].update_key
        if rec.get("upd") is not None and key:
            view[key]["status"] = self._update_status(rec)
        rtype = rec["type"]
        if rtype == "solution":
            versions = self._records("solution_version", solutionArn=rec["arn"])
            if versions:
                latest = versions[-1]
                view["latestSolutionVersion"] = self._view(latest, observe)
        elif rtype == "dataset" and view.get("datasetType", "").upper() == "ACTION_INTERACTIONS":
            trackers = self._records("event_tracker", datasetGroupArn=rec["links"]["datasetGroupArn"])
            if trackers:
                view["trackingId"] = trackers[0]["data"]["trackingId"]
        elif rtype == "recommender" and status != "ACTIVE":
            view.pop("modelMetrics", None)
        if observe:
            self._observe(rec)
        return view

    # ------------------------------------------------------------------ shared rules
    def _quota(self, key: str, count: int, what: str) -> None:
        limit = self.config.quota(key)
        if count >= limit:
            raise E.limit_exceeded(f"The limit of {limit} {what} has been reached ({key}).")

    def _unique_name(self, rtype: str, name: str, **scope: str) -> None:
        spec = TYPES[rtype]
        for rec in self._records(rtype, **scope):
            if rec["data"].get(spec.name_key) == name:
                label = rtype.replace("_", " ")
                raise E.already_exists(f"A {label} with the name {name} already exists: {rec['arn']}")

    def _require_active(self, rec: dict, what: str) -> None:
        status = self._status(rec)
        if status != "ACTIVE":
            raise E.in_use(f"The {what} {rec['arn']} is not ACTIVE (status: {status}).")

    def _check_tags(self, tags: list | None) -> list:
        tags = tags or []
        keys = [t["tagKey"] for t in tags]
        if len(set(keys)) != len(keys):
            raise E.invalid_input("Tag keys must be unique.")
        for key in keys:
            if key.lower().startswith("aws:"):
                raise E.invalid_input(f"Tag key {key!r} uses the reserved prefix 'aws:'.")
        limit = self.config.quota("tags_per_resource")
        if len(tags) > limit:
            raise E.too_many_tags(f"A resource can have at most {limit} tags.")
        return tags

    def _in_progress(self, recs: list[dict]) -> list[dict]:
        return [r for r in recs if self._status(r) in PENDING_STATUSES]

    def _resolve_version(self, arn: str) -> tuple[dict, str]:
        """``solutionVersionArn`` or ``<solutionArn>/$LATEST`` -> (ACTIVE version record, requested form)."""
        if arn.endswith("/$LATEST"):
            sol = self._get(arn[: -len("/$LATEST")], "solution")
            active = [v for v in self._records("solution_version", solutionArn=sol["arn"])
                      if self._status(v) == "ACTIVE"]
            if not active:
                raise E.in_use(f"The solution {sol['arn']} has no ACTIVE solution version for $LATEST.")
            return active[-1], arn
        ver = self._get(arn, "solution_version")
        self._require_active(ver, "solution version")
        return ver, arn

    def _sync_campaigns(self, ver: dict) -> None:
        sol_arn = ver["links"]["solutionArn"]
        for camp in self._records("campaign"):
            cfg = camp["data"].get("campaignConfig") or {}
            if (
                camp["x"].get("requested") == f"{sol_arn}/$LATEST"
                and cfg.get("syncWithLatestSolutionVersion")
                and self._status(camp) == "ACTIVE"
                and camp.get("upd") is None
            ):
                camp["data"]["solutionVersionArn"] = ver["arn"]
                camp["data"]["lastUpdatedDateTime"] = self._now
                camp["links"]["solutionVersionArn"] = ver["arn"]

    # ------------------------------------------------------------------ generic describe/list/delete
    def _paginate(self, op_name: str, items: list, params: dict, scope: str = "") -> tuple[list, str | None]:
        max_results = params.get("maxResults") or 100
        token = params.get("nextToken")
        start = 0
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                if decoded["op"] != op_name or decoded["scope"] != scope:
                    raise ValueError
                start = int(decoded["at"])
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                raise E.invalid_next_token() from None
        page = items[start : start + max_results]
        nxt = None
        if start + max_results < len(items):
            raw = json.dumps({"op": op_name, "scope": scope, "at": start + max_results})
            nxt = base64.urlsafe_b64encode(raw.encode()).decode()
        return page, nxt

    def _list(self, op_name: str, rtype: str, result_key: str, params: dict, filter_key: str | None) -> dict:
        links = {}
        if filter_key and params.get(filter_key):
            links[filter_key] = params[filter_key]
        recs = sorted(self._records(rtype, **links), key=lambda r: -r["seq"])
        # keyset-stable enough for tests: the token carries an offset bound to the operation and filter
        page, nxt = self._paginate(op_name, recs, params, json.dumps(links, sort_keys=True))
        return {result_key: [self._view(r) for r in page], "nextToken": nxt}

    def _describe(self, rtype: str, arn: str) -> dict:
        rec = self._get(arn, rtype)
        return {TYPES[rtype].view_key: self._view(rec)}

    def _start_delete(self, rec: dict, what: str) -> dict:
        status = self._status(rec)
        if status not in DELETABLE_STATUSES:
            raise E.in_use(
                f"The {what} {rec['arn']} cannot be deleted while its status is {status}; "
                "it must be ACTIVE or CREATE FAILED."
            )
        phases = ("DELETE PENDING",) if rec["type"] == "dataset_group" else ("DELETE PENDING", "DELETE IN_PROGRESS")
        durs = [DELETE_SECS / len(phases)] * len(phases)
        rec["lc"] = self._transition("delete", phases, durs, None)
        rec["upd"] = None
        rec["data"]["lastUpdatedDateTime"] = self._now
        return {}


# ---------------------------------------------------------------------- generic registrations
_DESCRIBES = {
    "DescribeBatchInferenceJob": ("batch_inference_job", "batchInferenceJobArn"),
    "DescribeBatchSegmentJob": ("batch_segment_job", "batchSegmentJobArn"),
    "DescribeCampaign": ("campaign", "campaignArn"),
    "DescribeDataDeletionJob": ("data_deletion_job", "dataDeletionJobArn"),
    "DescribeDataset": ("dataset", "datasetArn"),
    "DescribeDatasetExportJob": ("dataset_export_job", "datasetExportJobArn"),
    "DescribeDatasetGroup": ("dataset_group", "datasetGroupArn"),
    "DescribeDatasetImportJob": ("dataset_import_job", "datasetImportJobArn"),
    "DescribeEventTracker": ("event_tracker", "eventTrackerArn"),
    "DescribeFilter": ("filter", "filterArn"),
    "DescribeMetricAttribution": ("metric_attribution", "metricAttributionArn"),
    "DescribeRecommender": ("recommender", "recommenderArn"),
    "DescribeSchema": ("schema", "schemaArn"),
    "DescribeSolution": ("solution", "solutionArn"),
    "DescribeSolutionVersion": ("solution_version", "solutionVersionArn"),
}

_LISTS = {
    "ListBatchInferenceJobs": ("batch_inference_job", "batchInferenceJobs", "solutionVersionArn"),
    "ListBatchSegmentJobs": ("batch_segment_job", "batchSegmentJobs", "solutionVersionArn"),
    "ListCampaigns": ("campaign", "campaigns", "solutionArn"),
    "ListDataDeletionJobs": ("data_deletion_job", "dataDeletionJobs", "datasetGroupArn"),
    "ListDatasetExportJobs": ("dataset_export_job", "datasetExportJobs", "datasetArn"),
    "ListDatasetGroups": ("dataset_group", "datasetGroups", None),
    "ListDatasetImportJobs": ("dataset_import_job", "datasetImportJobs", "datasetArn"),
    "ListDatasets": ("dataset", "datasets", "datasetGroupArn"),
    "ListEventTrackers": ("event_tracker", "eventTrackers", "datasetGroupArn"),
    "ListFilters": ("filter", "Filters", "datasetGroupArn"),
    "ListMetricAttributions": ("metric_attribution", "metricAttributions", "datasetGroupArn"),
    "ListRecommenders": ("recommender", "recommenders", "datasetGroupArn"),
    "ListSchemas": ("schema", "schemas", None),
    "ListSolutions": ("solution", "solutions", "datasetGroupArn"),
}


def _make_describe(rtype: str, key: str) -> Handler:
    def describe(self: Backend, p: dict) -> dict:
        return self._describe(rtype, p[key])

    return describe


def _make_list(op_name: str, rtype: str, result_key: str, filter_key: str | None) -> Handler:
    def list_(self: Backend, p: dict) -> dict:
        return self._list(op_name, rtype, result_key, p, filter_key)

    return list_


for _op, (_t, _k) in _DESCRIBES.items():
    HANDLERS[_op] = _make_describe(_t, _k)
for _op, (_t, _rk, _fk) in _LISTS.items():
    HANDLERS[_op] = _make_list(_op, _t, _rk, _fk)


# ---------------------------------------------------------------------- schemas
@op("CreateSchema")
def create_schema(self: Backend, p: dict) -> dict:
    name = p["name"]
    self._quota("schemas", len(self._records("schema")), "schemas per account and region")
    self._unique_name("schema", name)
    try:
        avro.check_schema_text(p["schema"], p.get("domain"))
    except avro.SchemaError as exc:
        raise E.invalid_input(f"Invalid schema: {exc}") from None
    arn = self._arn("schema", name)
    self._new("schema", arn, {"name": name, "schema": p["schema"], "domain": p.get("domain")}, {})
    return {"schemaArn": arn}


@op("DeleteSchema")
def delete_schema(self: Backend, p: dict) -> dict:
    rec = self._get(p["schemaArn"], "schema")
    users = [
        d["arn"]
        for d in self._records("dataset")
        if d["data"].get("schemaArn") == rec["arn"]
        or (d.get("upd") is not None and d["data"]["latestDatasetUpdate"].get("schemaArn") == rec["arn"])
    ]
    if users:
        raise E.in_use(f"The schema {rec['arn']} is used by datasets: {', '.join(users)}. Delete them first.")
    self._remove(rec["arn"])
    return {}


# ---------------------------------------------------------------------- dataset groups
@op("CreateDatasetGroup")
def create_dataset_group(self: Backend, p: dict) -> dict:
    name = p["name"]
    if p.get("roleArn") and not p.get("kmsKeyArn"):
        raise E.invalid_input("roleArn is only valid together with kmsKeyArn.")
    tags = self._check_tags(p.get("tags"))
    self._unique_name("dataset_group", name)
    live = [g for g in self._records("dataset_group") if not str(self._status(g)).startswith("DELETE")]
    self._quota("dataset_groups", len(live), "dataset groups")
    arn = self._arn("dataset-group", name)
    data = {"name": name, "roleArn": p.get("roleArn"), "kmsKeyArn": p.get("kmsKeyArn"), "domain": p.get("domain")}
    self._new("dataset_group", arn, data, {}, tags, (name,))
    return {"datasetGroupArn": arn, "domain": p.get("domain")}


@op("DeleteDatasetGroup")
def delete_dataset_group(self: Backend, p: dict) -> dict:
    rec = self._get(p["datasetGroupArn"], "dataset_group")
    blocking = []
    for rtype in ("dataset", "solution", "event_tracker", "recommender", "filter", "metric_attribution"):
        blocking += [r["arn"] for r in self._records(rtype, datasetGroupArn=rec["arn"])]
    blocking += [r["arn"] for r in self._in_progress(self._records("data_deletion_job", datasetGroupArn=rec["arn"]))]
    if blocking:
        raise E.in_use(
            f"The dataset group {rec['arn']} still contains resources; delete them first: {', '.join(blocking)}"
        )
    return self._start_delete(rec, "dataset group")


# ---------------------------------------------------------------------- datasets
def _schema_of(self: Backend, arn: str) -> tuple[dict, avro.Schema]:
    rec = self._get(arn, "schema")
    try:
        return rec, avro.parse(rec["data"]["schema"])
    except avro.SchemaError as exc:  # pragma: no cover - schemas are checked at creation
        raise E.invalid_input(str(exc)) from None


@op("CreateDataset")
def create_dataset(self: Backend, p: dict) -> dict:
    name = p["name"]
    dtype = avro.normalize_dataset_type(p["datasetType"])
    if dtype is None:
        raise E.invalid_input(
            f"Invalid datasetType {p['datasetType']!r}; expected one of Interactions, Items, Users, Actions, "
            "Action_Interactions."
        )
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
    schema_rec, schema = _schema_of(self, p["schemaArn"])
    self._require_active(group, "dataset group")
    domain = group["data"].get("domain")
    if schema_rec["data"].get("domain") != domain:
        raise E.invalid_input(
            f"The schema domain ({schema_rec['data'].get('domain')}) does not match the dataset group domain ({domain})."
        )
    try:
        avro.check_for_dataset_type(schema, dtype, domain)
    except avro.SchemaError as exc:
        raise E.invalid_input(f"The schema does not fit a {avro.DATASET_TYPES[dtype]} dataset: {exc}") from None
    for other in self._records("dataset", datasetGroupArn=group["arn"]):
        if avro.normalize_dataset_type(other["data"]["datasetType"]) == dtype:
            raise E.already_exists(f"The dataset group already has a {avro.DATASET_TYPES[dtype]} dataset: {other['arn']}")
    self._unique_name("dataset", name, datasetGroupArn=group["arn"])
    arn = self._arn("dataset", f"{group['data']['name']}/{dtype}")
    data = {"name": name, "datasetGroupArn": group["arn"], "datasetType": p["datasetType"], "schemaArn": schema_rec["arn"]}
    self._new("dataset", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"datasetArn": arn}


@op("UpdateDataset")
def update_dataset(self: Backend, p: dict) -> dict:
    rec = self._get(p["datasetArn"], "dataset")
    new_rec, new_schema = _schema_of(self, p["schemaArn"])
    dtype = avro.normalize_dataset_type(rec["data"]["datasetType"])
    if dtype not in ("ITEMS", "USERS"):
        raise E.invalid_input("Only Items and Users datasets can be updated with a new schema.")
    self._require_active(rec, "dataset")
    if rec.get("upd") is not None:
        raise E.in_use(f"An update of the dataset {rec['arn']} is already in progress.")
    if new_rec["arn"] == rec["data"]["schemaArn"]:
        raise E.invalid_input("The dataset already uses this schema.")
    group = self._res[rec["links"]["datasetGroupArn"]]
    domain = group["data"].get("domain")
    if new_rec["data"].get("domain") != domain:
        raise E.invalid_input("The schema domain does not match the dataset group domain.")
    _, old_schema = _schema_of(self, rec["data"]["schemaArn"])
    try:
        avro.check_for_dataset_type(new_schema, dtype, domain)
        avro.check_schema_update(old_schema, new_schema)
    except avro.SchemaError as exc:
        raise E.invalid_input(f"The new schema cannot replace the current one: {exc}") from None
    rec["data"]["latestDatasetUpdate"] = {
        "schemaArn": new_rec["arn"],
        "status": "CREATE PENDING",
        "creationDateTime": self._now,
        "lastUpdatedDateTime": self._now,
    }
    _start_update(self, rec, "dataset", (rec["data"]["name"],))
    return {"datasetArn": rec["arn"]}


def _start_update(self: Backend, rec: dict, rtype: str, names: tuple) -> None:
    reason = self._forced_failure(f"{rtype}_update", names)
    secs = UPDATE_SECS[rtype]
    phases, ok, failed = STYLES["std"]
    rec["upd"] = self._transition("update", phases, (secs * 0.1, secs * 0.9), failed if reason else ok, reason)
    rec["data"]["lastUpdatedDateTime"] = self._now


@op("DeleteDataset")
def delete_dataset(self: Backend, p: dict) -> dict:
    rec = self._get(p["datasetArn"], "dataset")
    group_arn = rec["links"]["datasetGroupArn"]
    dtype = avro.normalize_dataset_type(rec["data"]["datasetType"])
    problems = []
    filters = self._records("filter", datasetGroupArn=group_arn)
    if filters:
        problems.append("filters " + ", ".join(r["arn"] for r in filters))
    if dtype in ("INTERACTIONS", "ACTION_INTERACTIONS"):
        trackers = self._records("event_tracker", datasetGroupArn=group_arn)
        if trackers:
            problems.append("event trackers " + ", ".join(r["arn"] for r in trackers))
    attributions = self._records("metric_attribution", datasetGroupArn=group_arn)
    if attributions:
        problems.append("metric attributions " + ", ".join(r["arn"] for r in attributions))
    campaigns = [
        c for c in self._records("campaign", datasetGroupArn=group_arn)
        if self._status(c) in ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
    ]
    if campaigns:
        problems.append("campaigns " + ", ".join(r["arn"] for r in campaigns))
    busy = []
    for rtype in ("solution_version", "recommender", "batch_inference_job", "batch_segment_job"):
        busy += self._in_progress(self._records(rtype, datasetGroupArn=group_arn))
    for rtype in ("dataset_import_job", "dataset_export_job"):
        busy += self._in_progress(self._records(rtype, datasetArn=rec["arn"]))
    if busy:
        problems.append("resources still being created " + ", ".join(r["arn"] for r in busy))
    if problems:
        raise E.in_use(f"The dataset {rec['arn']} cannot be deleted; first delete or wait for: " + "; ".join(problems))
    return self._start_delete(rec, "dataset")


# ---------------------------------------------------------------------- import / export jobs
@op("CreateDatasetImportJob")
def create_dataset_import_job(self: Backend, p: dict) -> dict:
    name = p["jobName"]
    tags = self._check_tags(p.get("tags"))
    ds = self._get(p["datasetArn"], "dataset")
    if not (p.get("dataSource") or {}).get("dataLocation"):
        raise E.invalid_input("dataSource.dataLocation is required.")
    self._require_active(ds, "dataset")
    self._unique_name("dataset_import_job", name)
    self._quota("pending_dataset_import_jobs", len(self._in_progress(self._records("dataset_import_job"))),
                "pending or in-progress dataset import jobs")
    arn = self._arn("dataset-import-job", name)
    data = {
        "jobName": name,
        "datasetArn": ds["arn"],
        "dataSource": p["dataSource"],
        "roleArn": p.get("roleArn"),
        "importMode": p.get("importMode", "FULL"),
        "publishAttributionMetricsToS3": p.get("publishAttributionMetricsToS3", False),
    }
    links = {"datasetArn": ds["arn"], "datasetGroupArn": ds["links"]["datasetGroupArn"]}
    self._new("dataset_import_job", arn, data, links, tags, (name,))
    return {"datasetImportJobArn": arn}


@op("CreateDatasetExportJob")
def create_dataset_export_job(self: Backend, p: dict) -> dict:
    name = p["jobName"]
    tags = self._check_tags(p.get("tags"))
    ds = self._get(p["datasetArn"], "dataset")
    self._require_active(ds, "dataset")
    self._unique_name("dataset_export_job", name)
    arn = self._arn("dataset-export-job", name)
    data = {
        "jobName": name,
        "datasetArn": ds["arn"],
        "ingestionMode": p.get("ingestionMode", "PUT"),
        "roleArn": p["roleArn"],
        "jobOutput": p["jobOutput"],
    }
    links = {"datasetArn": ds["arn"], "datasetGroupArn": ds["links"]["datasetGroupArn"]}
    self._new("dataset_export_job", arn, data, links, tags, (name,))
    return {"datasetExportJobArn": arn}


# ---------------------------------------------------------------------- event trackers
@op("CreateEventTracker")
def create_event_tracker(self: Backend, p: dict) -> dict:
    name = p["name"]
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
    self._require_active(group, "dataset group")
    existing = self._records("event_tracker", datasetGroupArn=group["arn"])
    if len(existing) >= self.config.quota("event_trackers_per_dataset_group"):
        raise E.already_exists(
            f"The dataset group {group['arn']} already has an event tracker ({existing[0]['arn']}); "
            "only one event tracker can be associated with a dataset group."
        )
    self._unique_name("event_tracker", name)
    arn = self._arn("event-tracker", self._short_id("event-tracker", name))
    tracking_id = str(uuid.UUID(_digest("tracking", arn)[:32]))
    data = {"name": name, "accountId": self.config.account_id, "trackingId": tracking_id, "datasetGroupArn": group["arn"]}
    self._new("event_tracker", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"eventTrackerArn": arn, "trackingId": tracking_id}


@op("DeleteEventTracker")
def delete_event_tracker(self: Backend, p: dict) -> dict:
    return self._start_delete(self._get(p["eventTrackerArn"], "event_tracker"), "event tracker")


# ---------------------------------------------------------------------- filters
_FILTER_HEAD = re.compile(r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|ActionID|UserID)\s+WHERE\s+\S.*", re.S)
_FILTER_REF = re.compile(r"\b(Interactions|Items|Users|Actions|ActionInteractions|Action_Interactions)\.([A-Za-z_]\w*)")
_FILTER_DATASET = {
    "Interactions": "INTERACTIONS",
    "Items": "ITEMS",
    "Users": "USERS",
    "Actions": "ACTIONS",
    "ActionInteractions": "ACTION_INTERACTIONS",
    "Action_Interactions": "ACTION_INTERACTIONS",
}


@op("CreateFilter")
def create_filter(self: Backend, p: dict) -> dict:
    name = p["name"]
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
    if self._status(group) != "ACTIVE":
        raise E.invalid_input(f"The dataset group {group['arn']} is not ACTIVE.")
    expr = p["filterExpression"]
    if not _FILTER_HEAD.fullmatch(expr):
        raise E.invalid_input(
            "Invalid filter expression: expected 'INCLUDE|EXCLUDE ItemID|ActionID|UserID WHERE <condition>'."
        )
    datasets = {avro.normalize_dataset_type(d["data"]["datasetType"]): d for d in
                self._records("dataset", datasetGroupArn=group["arn"])}
    fields = set()
    for ds_label, field in _FILTER_REF.findall(expr):
        dtype = _FILTER_DATASET[ds_label]
        ds = datasets.get(dtype)
        if ds is None:
            raise E.invalid_input(f"Invalid filter expression: the dataset group has no {ds_label} dataset.")
        _, schema = _schema_of(self, ds["data"]["schemaArn"])
        if schema.field(field) is None:
            raise E.invalid_input(f"Invalid filter expression: {ds_label} has no field {field}.")
        fields.add((dtype, field))
    if len(fields) > 10:
        raise E.invalid_input("A filter expression can reference at most 10 distinct fields.")
    self._unique_name("filter", name)
    self._quota("filters_per_dataset_group", len(self._records("filter", datasetGroupArn=group["arn"])),
                "filters per dataset group")
    arn = self._arn("filter", name)
    data = {"name": name, "datasetGroupArn": group["arn"], "filterExpression": expr}
    self._new("filter", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"filterArn": arn}


@op("DeleteFilter")
def delete_filter(self: Backend, p: dict) -> dict:
    return self._start_delete(self._get(p["filterArn"], "filter"), "filter")


# ---------------------------------------------------------------------- solutions
def _check_schedule(cfg: dict | None) -> None:
    expr = ((cfg or {}).get("autoTrainingConfig") or {}).get("schedulingExpression")
    if expr is not None:
        days = int(re.search(r"\d+", expr).group())
        if not 1 <= days <= 30:
            raise E.invalid_input("schedulingExpression must be rate(N days) with N between 1 and 30.")
        if (days == 1) != expr.endswith("day)"):
            raise E.invalid_input("schedulingExpression must read rate(1 day) or rate(N days).")


@op("CreateSolution")
def create_solution(self: Backend, p: dict) -> dict:
    name = p["name"]
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
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
    _check_schedule(p.get("solutionConfig"))
    self._require_active(group, "dataset group")
    self._unique_name("solution", name)
    live = [s for s in self._records("solution", datasetGroupArn=group["arn"])
            if not str(self._status(s)).startswith("DELETE")]
    self._quota("solutions_per_dataset_group", len(live), "solutions per dataset group")
    arn = self._arn("solution", name)
    data = {
        "name": name,
        "performHPO": p.get("performHPO", False),
        "performAutoML": automl,
        "performAutoTraining": p.get("performAutoTraining", True),
        "performIncrementalUpdate": p.get("performIncrementalUpdate", False),
        "recipeArn": recipe_arn,
        "datasetGroupArn": group["arn"],
        "eventType": p.get("eventType"),
        "solutionConfig": p.get("solutionConfig"),
    }
    self._new("solution", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"solutionArn": arn}


@op("UpdateSolution")
def update_solution(self: Backend, p: dict) -> dict:
    rec = self._get(p["solutionArn"], "solution")
    data = rec["data"]
    recipe = catalog.BY_ARN.get(data.get("recipeArn") or "")
    incremental = p.get("performIncrementalUpdate", data.get("performIncrementalUpdate", False))
    if incremental and (recipe is None or recipe.name not in catalog.INCREMENTAL_UPDATE_RECIPES):
        raise E.invalid_input("performIncrementalUpdate is only supported with the aws-semantic-similarity recipe.")
    _check_schedule(p.get("solutionUpdateConfig"))
    self._require_active(rec, "solution")
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
        "creationDateTime": self._now,
        "lastUpdatedDateTime": self._now,
    }
    _start_update(self, rec, "solution", (data["name"],))
    return {"solutionArn": rec["arn"]}


@op("DeleteSolution")
def delete_solution(self: Backend, p: dict) -> dict:
    rec = self._get(p["solutionArn"], "solution")
    campaigns = self._records("campaign", solutionArn=rec["arn"])
    if campaigns:
        raise E.in_use(
            f"The solution {rec['arn']} has campaigns; delete them first: " + ", ".join(c["arn"] for c in campaigns)
        )
    training = self._in_progress(self._records("solution_version", solutionArn=rec["arn"]))
    if training:
        raise E.in_use(
            f"The solution {rec['arn']} has solution versions being created; stop them or wait: "
            + ", ".join(v["arn"] for v in training)
        )
    return self._start_delete(rec, "solution")


# ---------------------------------------------------------------------- solution versions
def _training_problem(self: Backend, group_arn: str, recipe: catalog.Recipe | None) -> str | None:
    needed = recipe.training_datasets if recipe is not None else ("INTERACTIONS",)
    datasets = {avro.normalize_dataset_type(d["data"]["datasetType"]): d for d in
                self._records("dataset", datasetGroupArn=group_arn)}
    for dtype in needed:
        label = avro.DATASET_TYPES[dtype]
        ds = datasets.get(dtype)
        if ds is None:
            return f"Insufficient data: the dataset group has no {label} dataset to train on."
        jobs = self._records("dataset_import_job", datasetArn=ds["arn"])
        if not any(self._status(j) == "ACTIVE" for j in jobs):
            return (
                f"Insufficient data: the {label} dataset {ds['arn']} has no ACTIVE dataset import job. "
                "Import data and wait for the import job to be ACTIVE before training."
            )
    return None


@op("CreateSolutionVersion")
def create_solution_version(self: Backend, p: dict) -> dict:
    sol = self._get(p["solutionArn"], "solution")
    tags = self._check_tags(p.get("tags"))
    name = p.get("name")
    mode = p.get("trainingMode", "FULL")
    sdata = sol["data"]
    recipe = catalog.BY_ARN.get(sdata.get("recipeArn") or "")
    self._require_active(sol, "solution")
    versions = self._records("solution_version", solutionArn=sol["arn"])
    if mode == "UPDATE":
        if recipe is None or recipe.name not in catalog.UPDATE_MODE_RECIPES:
            raise E.invalid_input("trainingMode UPDATE is only supported for User-Personalization and HRNN-Coldstart.")
        if not any(self._status(v) == "ACTIVE" and v["data"].get("trainingMode") == "FULL" for v in versions):
            raise E.invalid_input("trainingMode UPDATE needs an ACTIVE solution version trained with FULL.")
    if name is not None and any(v["data"].get("name") == name for v in versions):
        raise E.already_exists(f"The solution already has a solution version named {name}.")
    self._quota("pending_solution_versions", len(self._in_progress(self._records("solution_version"))),
                "pending or in-progress solution versions")
    group_arn = sol["links"]["datasetGroupArn"]
    arn = self._arn("solution", f"{sdata['name']}/{self._short_id('solution-version', sol['arn'])}")
    data = {
        "name": name,
        "solutionArn": sol["arn"],
        "performHPO": sdata.get("performHPO"),
        "performAutoML": sdata.get("performAutoML"),
        "performIncrementalUpdate": sdata.get("performIncrementalUpdate"),
        "recipeArn": sdata.get("recipeArn") or "arn:aws:personalize:::recipe/aws-user-personalization",
        "eventType": sdata.get("eventType"),
        "datasetGroupArn": group_arn,
        "solutionConfig": copy.deepcopy(sdata.get("solutionConfig")),
        "trainingMode": mode,
        "trainingType": "MANUAL",
    }
    links = {"solutionArn": sol["arn"], "datasetGroupArn": group_arn}
    reason = _training_problem(self, group_arn, recipe)
    self._new("solution_version", arn, data, links, tags, (name, sdata["name"]), fail_reason=reason)
    return {"solutionVersionArn": arn}


@op("StopSolutionVersionCreation")
def stop_solution_version_creation(self: Backend, p: dict) -> dict:
    rec = self._get(p["solutionVersionArn"], "solution_version")
    status = self._status(rec)
    if status == "CREATE PENDING":
        rec["lc"] = None
        rec["data"]["status"] = "CREATE STOPPED"
        rec["data"]["lastUpdatedDateTime"] = self._now
    elif status == "CREATE IN_PROGRESS":
        rec["lc"] = self._transition("stop", ("CREATE STOPPING",), (60,), "CREATE STOPPED")
        rec["data"]["lastUpdatedDateTime"] = self._now
    else:
        raise E.in_use(
            f"The solution version {rec['arn']} cannot be stopped in status {status}; "
            "only CREATE PENDING or CREATE IN_PROGRESS versions can be stopped."
        )
    return {}


@op("GetSolutionMetrics")
def get_solution_metrics(self: Backend, p: dict) -> dict:
    rec = self._get(p["solutionVersionArn"], "solution_version")
    self._require_active(rec, "solution version")
    return {"solutionVersionArn": rec["arn"], "metrics": _det_metrics(rec["arn"])}


# ---------------------------------------------------------------------- campaigns
def _check_sync(requested: str, config: dict | None) -> None:
    if (config or {}).get("syncWithLatestSolutionVersion") and not requested.endswith("/$LATEST"):
        raise E.invalid_input(
            "With syncWithLatestSolutionVersion, solutionVersionArn must be in SolutionArn/$LATEST format."
        )


@op("CreateCampaign")
def create_campaign(self: Backend, p: dict) -> dict:
    name = p["name"]
    tags = self._check_tags(p.get("tags"))
    _check_sync(p["solutionVersionArn"], p.get("campaignConfig"))
    ver, requested = self._resolve_version(p["solutionVersionArn"])
    self._unique_name("campaign", name)
    group_arn = ver["links"]["datasetGroupArn"]
    live = [c for c in self._records("campaign", datasetGroupArn=group_arn)
            if not str(self._status(c)).startswith("DELETE")]
    self._quota("campaigns_per_dataset_group", len(live), "campaigns per dataset group")
    arn = self._arn("campaign", name)
    data = {
        "name": name,
        "solutionVersionArn": ver["arn"],
        "minProvisionedTPS": p.get("minProvisionedTPS", 1),
        "campaignConfig": p.get("campaignConfig"),
    }
    links = {"solutionVersionArn": ver["arn"], "solutionArn": ver["links"]["solutionArn"], "datasetGroupArn": group_arn}
    rec = self._new("campaign", arn, data, links, tags, (name,))
    rec["x"]["requested"] = requested
    return {"campaignArn": arn}


@op("UpdateCampaign")
def update_campaign(self: Backend, p: dict) -> dict:
    rec = self._get(p["campaignArn"], "campaign")
    data = rec["data"]
    status = self._status(rec)
    if status not in ("ACTIVE", "CREATE FAILED"):
        raise E.in_use(f"The campaign {rec['arn']} can only be updated when ACTIVE or CREATE FAILED (status: {status}).")
    if rec.get("upd") is not None:
        raise E.in_use(f"An update of the campaign {rec['arn']} is already in progress.")
    config = p["campaignConfig"] if "campaignConfig" in p else data.get("campaignConfig")
    requested = p.get("solutionVersionArn") or rec["x"].get("requested", data["solutionVersionArn"])
    _check_sync(requested, config)
    if p.get("solutionVersionArn") or requested.endswith("/$LATEST"):
        ver, requested = self._resolve_version(requested)
        version_arn = ver["arn"]
    else:
        version_arn = data["solutionVersionArn"]
    data["latestCampaignUpdate"] = {
        "solutionVersionArn": version_arn,
        "minProvisionedTPS": p.get("minProvisionedTPS", data.get("minProvisionedTPS", 1)),
        "campaignConfig": copy.deepcopy(config),
        "status": "CREATE PENDING",
        "creationDateTime": self._now,
        "lastUpdatedDateTime": self._now,
    }
    rec["x"]["requested_update"] = requested
    _start_update(self, rec, "campaign", (data["name"],))
    return {"campaignArn": rec["arn"]}


@op("DeleteCampaign")
def delete_campaign(self: Backend, p: dict) -> dict:
    return self._start_delete(self._get(p["campaignArn"], "campaign"), "campaign")


# ---------------------------------------------------------------------- recommenders
@op("CreateRecommender")
def create_recommender(self: Backend, p: dict) -> dict:
    name = p["name"]
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
    recipe = catalog.BY_ARN.get(p["recipeArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the recipe with ARN {p['recipeArn']}.")
    domain = group["data"].get("domain")
    if domain is None:
        raise E.invalid_input("Recommenders can only be created in a domain dataset group.")
    if recipe.domain != domain:
        raise E.invalid_input(f"The recipe {recipe.arn} is not a {domain} use case.")
    self._require_active(group, "dataset group")
    self._unique_name("recommender", name)
    live = [r for r in self._records("recommender", datasetGroupArn=group["arn"])
            if not str(self._status(r)).startswith("DELETE")]
    self._quota("recommenders_per_dataset_group", len(live), "recommenders per dataset group")
    arn = self._arn("recommender", name)
    config = copy.deepcopy(p.get("recommenderConfig") or {})
    config.setdefault("minRecommendationRequestsPerSecond", 1)
    data = {"name": name, "datasetGroupArn": group["arn"], "recipeArn": recipe.arn, "recommenderConfig": config}
    self._new("recommender", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"recommenderArn": arn}


@op("UpdateRecommender")
def update_recommender(self: Backend, p: dict) -> dict:
    rec = self._get(p["recommenderArn"], "recommender")
    self._require_active(rec, "recommender")
    if rec.get("upd") is not None:
        raise E.in_use(f"An update of the recommender {rec['arn']} is already in progress.")
    config = copy.deepcopy(p["recommenderConfig"])
    config.setdefault("minRecommendationRequestsPerSecond", 1)
    rec["data"]["latestRecommenderUpdate"] = {
        "recommenderConfig": config,
        "status": "CREATE PENDING",
        "creationDateTime": self._now,
        "lastUpdatedDateTime": self._now,
    }
    _start_update(self, rec, "recommender", (rec["data"]["name"],))
    return {"recommenderArn": rec["arn"]}


@op("StopRecommender")
def stop_recommender(self: Backend, p: dict) -> dict:
    rec = self._get(p["recommenderArn"], "recommender")
    status = self._status(rec)
    if status != "ACTIVE" or rec.get("upd") is not None:
        raise E.in_use(f"The recommender {rec['arn']} can only be stopped when ACTIVE (status: {status}).")
    rec["lc"] = self._transition("stop", ("STOP PENDING", "STOP IN_PROGRESS"),
                                 (START_STOP_SECS * 0.1, START_STOP_SECS * 0.9), "INACTIVE")
    rec["data"]["lastUpdatedDateTime"] = self._now
    return {"recommenderArn": rec["arn"]}


@op("StartRecommender")
def start_recommender(self: Backend, p: dict) -> dict:
    rec = self._get(p["recommenderArn"], "recommender")
    status = self._status(rec)
    if status != "INACTIVE":
        raise E.in_use(f"The recommender {rec['arn']} can only be started when INACTIVE (status: {status}).")
    rec["lc"] = self._transition("start", ("START PENDING", "START IN_PROGRESS"),
                                 (START_STOP_SECS * 0.1, START_STOP_SECS * 0.9), "ACTIVE")
    rec["data"]["lastUpdatedDateTime"] = self._now
    return {"recommenderArn": rec["arn"]}


@op("DeleteRecommender")
def delete_recommender(self: Backend, p: dict) -> dict:
    return self._start_delete(self._get(p["recommenderArn"], "recommender"), "recommender")


# ---------------------------------------------------------------------- metric attributions
_METRIC_EXPR = re.compile(r"(SUM\((Interactions|Items)\.[A-Za-z_]\w*\)|SAMPLECOUNT\(\))")


def _check_metrics(metrics: list[dict]) -> None:
    names = [m["metricName"] for m in metrics]
    if len(set(names)) != len(names):
        raise E.invalid_input("Metric names must be unique within a metric attribution.")
    for m in metrics:
        if not _METRIC_EXPR.fullmatch(m["expression"]):
            raise E.invalid_input(
                f"Invalid metric expression {m['expression']!r}: use SUM(Interactions.COLUMN), SUM(Items.COLUMN) "
                "or SAMPLECOUNT()."
            )
    if len(metrics) > 10:
        raise E.invalid_input("A metric attribution can have at most 10 metrics.")


@op("CreateMetricAttribution")
def create_metric_attribution(self: Backend, p: dict) -> dict:
    name = p["name"]
    group = self._get(p["datasetGroupArn"], "dataset_group")
    _check_metrics(p["metrics"])
    self._require_active(group, "dataset group")
    existing = self._records("metric_attribution", datasetGroupArn=group["arn"])
    if len(existing) >= self.config.quota("metric_attributions_per_dataset_group"):
        raise E.already_exists(f"The dataset group {group['arn']} already has a metric attribution: {existing[0]['arn']}")
    self._unique_name("metric_attribution", name)
    arn = self._arn("metric-attribution", name)
    data = {"name": name, "datasetGroupArn": group["arn"], "metricsOutputConfig": p["metricsOutputConfig"]}
    rec = self._new("metric_attribution", arn, data, {"datasetGroupArn": group["arn"]}, None, (name,))
    rec["x"]["metrics"] = copy.deepcopy(p["metrics"])
    return {"metricAttributionArn": arn}


@op("UpdateMetricAttribution")
def update_metric_attribution(self: Backend, p: dict) -> dict:
    if not p.get("metricAttributionArn"):
        raise E.invalid_input("metricAttributionArn is required.")
    rec = self._get(p["metricAttributionArn"], "metric_attribution")
    self._require_active(rec, "metric attribution")
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
    rec["data"]["lastUpdatedDateTime"] = self._now
    return {"metricAttributionArn": rec["arn"]}


@op("ListMetricAttributionMetrics")
def list_metric_attribution_metrics(self: Backend, p: dict) -> dict:
    if not p.get("metricAttributionArn"):
        raise E.invalid_input("metricAttributionArn is required.")
    rec = self._get(p["metricAttributionArn"], "metric_attribution")
    page, nxt = self._paginate("ListMetricAttributionMetrics", rec["x"]["metrics"], p, rec["arn"])
    return {"metrics": page, "nextToken": nxt}


@op("DeleteMetricAttribution")
def delete_metric_attribution(self: Backend, p: dict) -> dict:
    return self._start_delete(self._get(p["metricAttributionArn"], "metric_attribution"), "metric attribution")


# ---------------------------------------------------------------------- batch jobs
def _batch_common(self: Backend, p: dict, rtype: str) -> tuple[dict, dict, list]:
    tags = self._check_tags(p.get("tags"))
    ver = self._get(p["solutionVersionArn"], "solution_version")
    if p.get("filterArn"):
        self._get(p["filterArn"], "filter")
    self._require_active(ver, "solution version")
    self._unique_name(rtype, p["jobName"])
    links = {"solutionVersionArn": ver["arn"], "solutionArn": ver["links"]["solutionArn"],
             "datasetGroupArn": ver["links"]["datasetGroupArn"]}
    return ver, links, tags


@op("CreateBatchInferenceJob")
def create_batch_inference_job(self: Backend, p: dict) -> dict:
    ver, links, tags = _batch_common(self, p, "batch_inference_job")
    recipe = catalog.BY_ARN.get(ver["data"].get("recipeArn", ""))
    if recipe is not None and recipe.recipe_type == "USER_SEGMENTATION":
        raise E.invalid_input("Solution versions of USER_SEGMENTATION recipes need CreateBatchSegmentJob.")
    mode = p.get("batchInferenceJobMode", "BATCH_INFERENCE")
    if mode == "THEME_GENERATION" and not p.get("themeGenerationConfig"):
        raise E.invalid_input("THEME_GENERATION mode requires themeGenerationConfig.")
    self._quota("pending_batch_inference_jobs", len(self._in_progress(self._records("batch_inference_job"))),
                "pending or in-progress batch inference jobs")
    name = p["jobName"]
    arn = self._arn("batch-inference-job", name)
    data = {
        "jobName": name,
        "filterArn": p.get("filterArn"),
        "solutionVersionArn": ver["arn"],
        "numResults": p.get("numResults", 25),
        "jobInput": p["jobInput"],
        "jobOutput": p["jobOutput"],
        "batchInferenceJobConfig": p.get("batchInferenceJobConfig"),
        "roleArn": p["roleArn"],
        "batchInferenceJobMode": mode,
        "themeGenerationConfig": p.get("themeGenerationConfig"),
    }
    self._new("batch_inference_job", arn, data, links, tags, (name,))
    return {"batchInferenceJobArn": arn}


@op("CreateBatchSegmentJob")
def create_batch_segment_job(self: Backend, p: dict) -> dict:
    ver, links, tags = _batch_common(self, p, "batch_segment_job")
    recipe = catalog.BY_ARN.get(ver["data"].get("recipeArn", ""))
    if recipe is None or recipe.recipe_type != "USER_SEGMENTATION":
        raise E.invalid_input("Batch segment jobs need a solution version of a USER_SEGMENTATION recipe.")
    self._quota("pending_batch_segment_jobs", len(self._in_progress(self._records("batch_segment_job"))),
                "pending or in-progress batch segment jobs")
    name = p["jobName"]
    arn = self._arn("batch-segment-job", name)
    data = {
        "jobName": name,
        "filterArn": p.get("filterArn"),
        "solutionVersionArn": ver["arn"],
        "numResults": p.get("numResults", 25),
        "jobInput": p["jobInput"],
        "jobOutput": p["jobOutput"],
        "roleArn": p["roleArn"],
    }
    self._new("batch_segment_job", arn, data, links, tags, (name,))
    return {"batchSegmentJobArn": arn}


# ---------------------------------------------------------------------- data deletion jobs
@op("CreateDataDeletionJob")
def create_data_deletion_job(self: Backend, p: dict) -> dict:
    name = p["jobName"]
    tags = self._check_tags(p.get("tags"))
    group = self._get(p["datasetGroupArn"], "dataset_group")
    if not (p.get("dataSource") or {}).get("dataLocation"):
        raise E.invalid_input("dataSource.dataLocation is required.")
    self._require_active(group, "dataset group")
    self._unique_name("data_deletion_job", name)
    pending = self._in_progress(self._records("data_deletion_job", datasetGroupArn=group["arn"]))
    self._quota("pending_data_deletion_jobs_per_dataset_group", len(pending), "pending data deletion jobs")
    arn = self._arn("data-deletion-job", name)
    data = {"jobName": name, "datasetGroupArn": group["arn"], "dataSource": p["dataSource"], "roleArn": p["roleArn"]}
    self._new("data_deletion_job", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"dataDeletionJobArn": arn}


# ---------------------------------------------------------------------- catalogue
@op("DescribeRecipe")
def describe_recipe(self: Backend, p: dict) -> dict:
    recipe = catalog.BY_ARN.get(p["recipeArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the recipe with ARN {p['recipeArn']}.")
    return {"recipe": catalog.recipe_view(recipe)}


@op("DescribeAlgorithm")
def describe_algorithm(self: Backend, p: dict) -> dict:
    recipe = catalog.BY_ALGORITHM_ARN.get(p["algorithmArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the algorithm with ARN {p['algorithmArn']}.")
    return {"algorithm": catalog.algorithm_view(recipe)}


@op("DescribeFeatureTransformation")
def describe_feature_transformation(self: Backend, p: dict) -> dict:
    recipe = catalog.BY_FEATURE_ARN.get(p["featureTransformationArn"])
    if recipe is None:
        raise E.not_found(f"Could not find the feature transformation with ARN {p['featureTransformationArn']}.")
    return {"featureTransformation": catalog.feature_transformation_view(recipe)}


@op("ListRecipes")
def list_recipes(self: Backend, p: dict) -> dict:
    domain = p.get("domain")
    recipes = [catalog.recipe_view(r) for r in catalog.RECIPES if domain is None or r.domain == domain]
    page, nxt = self._paginate("ListRecipes", recipes, p, str(domain))
    return {"recipes": page, "nextToken": nxt}


# ---------------------------------------------------------------------- solution versions list (RNF on unknown parent)
@op("ListSolutionVersions")
def list_solution_versions(self: Backend, p: dict) -> dict:
    if p.get("solutionArn"):
        self._get(p["solutionArn"], "solution")
    return self._list("ListSolutionVersions", "solution_version", "solutionVersions", p, "solutionArn")


# ---------------------------------------------------------------------- tags
def _taggable(self: Backend, arn: str) -> dict:
    rec = self._res.get(arn)
    if rec is None:
        raise E.not_found(f"Could not find the resource with ARN {arn}.")
    return rec


@op("TagResource")
def tag_resource(self: Backend, p: dict) -> dict:
    rec = _taggable(self, p["resourceArn"])
    self._check_tags(p["tags"])
    current = dict(self.state["tags"].get(rec["arn"], {}))
    current.update({t["tagKey"]: t.get("tagValue", "") for t in p["tags"]})
    limit = self.config.quota("tags_per_resource")
    if len(current) > limit:
        raise E.too_many_tags(f"A resource can have at most {limit} tags; this request would give it {len(current)}.")
    self.state["tags"][rec["arn"]] = current
    return {}


@op("UntagResource")
def untag_resource(self: Backend, p: dict) -> dict:
    rec = _taggable(self, p["resourceArn"])
    limit = self.config.quota("tags_per_resource")
    if len(p["tagKeys"]) > limit:
        raise E.too_many_tag_keys(f"The request can name at most {limit} tag keys.")
    current = self.state["tags"].get(rec["arn"], {})
    for key in p["tagKeys"]:
        current.pop(key, None)
    if current:
        self.state["tags"][rec["arn"]] = current
    else:
        self.state["tags"].pop(rec["arn"], None)
    return {}


@op("ListTagsForResource")
def list_tags_for_resource(self: Backend, p: dict) -> dict:
    rec = _taggable(self, p["resourceArn"])
    tags = self.state["tags"].get(rec["arn"], {})
    return {"tags": [{"tagKey": k, "tagValue": v} for k, v in sorted(tags.items())]}

"""Offline metrics of the models a stack trains: each solution's versions, which one each
campaign serves, and how the newest compares with it. Reads AWS through the adapters; the
rendering functions are pure."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .plan import Action, Plan
from .promotion import METRICS
from .resources.base import ResourceType
from .state.model import StateFile

SHOWN = ("coverage", "precision_at_10", "normalized_discounted_cumulative_gain_at_10", "mean_reciprocal_rank_at_25")
SHORT = {"coverage": "coverage", "precision_at_10": "p@10", "normalized_discounted_cumulative_gain_at_10": "ndcg@10",
         "mean_reciprocal_rank_at_25": "mrr@25"}


@dataclass(frozen=True)
class ModelReport:
    address: str                     # the resource that trains (a solution)
    arn: str
    versions: list[dict[str, Any]]   # newest first: arn, status, created, trainingMode, metrics
    serving: dict[str, str]          # endpoint address -> the version it serves

    @property
    def newest(self) -> dict[str, Any] | None:
        return next((v for v in self.versions if v.get("metrics")), None)

    def served_versions(self) -> set[str]:
        return set(self.serving.values())

    def deltas(self) -> dict[str, dict[str, float]]:
        """Per serving endpoint: newest minus served, for every metric both have."""
        newest = self.newest
        by_arn = {v["arn"]: v for v in self.versions}
        out = {}
        for endpoint, arn in self.serving.items():
            served = (by_arn.get(arn) or {}).get("metrics")
            if newest and served and newest["arn"] != arn:
                out[endpoint] = {m: round(newest["metrics"][m] - served[m], 4)
                                 for m in METRICS if m in newest["metrics"] and m in served}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "arn": self.arn, "serving": self.serving,
                "newest": (self.newest or {}).get("arn"), "deltas": self.deltas(), "versions": self.versions}


def read_reports(client: Any, state: StateFile, adapters: Mapping[str, ResourceType], *,
                 parallelism: int = 10) -> list[ModelReport]:
    """One report per trained resource in the state, read in parallel."""
    trained = [r for r in state.resources.values() if adapters[r.type].trains_models]
    serving: dict[str, dict[str, str]] = {}
    for res in state.resources.values():
        version = res.params.get("solutionVersionArn")
        if adapters[res.type].serves_traffic and isinstance(version, str):
            owner = version.rsplit("/", 1)[0]
            serving.setdefault(owner, {})[res.address] = version
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        versions = list(pool.map(lambda r: adapters[r.type].trained_versions(client, r.arn) or [], trained))
    return [ModelReport(r.address, r.arn, v, serving.get(r.arn, {})) for r, v in zip(trained, versions, strict=True)]


def serving_changes(plan: Plan) -> bool:
    """Whether an endpoint would serve another model version (its metrics then belong in the PR)."""
    return any("solutionVersionArn" in c.changed_paths or (c.action is Action.REPLACE and bool(c.after)
               and "solutionVersionArn" in c.after) for c in plan.changes)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _rows(report: ModelReport) -> list[list[str]]:
    served_by: dict[str, list[str]] = {}
    for endpoint, arn in report.serving.items():
        served_by.setdefault(arn, []).append(endpoint)
    newest = (report.newest or {}).get("arn")
    rows = []
    for v in report.versions:
        marks = [f"serving ({', '.join(served_by[v['arn']])})"] if v["arn"] in served_by else []
        if v["arn"] == newest:
            marks.append("newest")
        metrics = v.get("metrics") or {}
        rows.append([v["arn"].rsplit("/", 1)[-1], str(v.get("status")), *(_cell(metrics.get(m)) for m in SHOWN),
                     ", ".join(marks)])
    return rows


def render_text(reports: list[ModelReport]) -> str:
    if not reports:
        return "No trained models in the state."
    header = ["version", "status", *(SHORT[m] for m in SHOWN), ""]
    lines: list[str] = []
    for report in reports:
        rows = [header, *_rows(report)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines.append(report.address)
        lines.extend("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
        for endpoint, delta in report.deltas().items():
            shown = ", ".join(f"{SHORT[m]} {delta[m]:+.4f}" for m in SHOWN if m in delta)
            lines.append(f"  newest vs {endpoint}: {shown}")
        lines.append("")
    return "\n".join(lines).rstrip()


def render_markdown(reports: list[ModelReport]) -> str:
    lines = ["### Offline metrics", ""]
    for report in reports:
        lines += [f"**{report.address}**", "", "| version | status | " + " | ".join(SHORT[m] for m in SHOWN) + " | |",
                  "|---|---|" + "---:|" * len(SHOWN) + "---|"]
        lines += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(row)) + " |" for row in _rows(report)]
        for endpoint, delta in report.deltas().items():
            lines.append(f"\nNewest vs `{endpoint}`: " + ", ".join(f"{SHORT[m]} {delta[m]:+.4f}" for m in SHOWN if m in delta))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

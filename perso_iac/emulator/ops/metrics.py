"""GetSolutionMetrics like AWS, plus the control action that sets a version's metrics.

AWS answers exactly 8 keys, rounded to 4 decimals, in this (alphabetical) order, identical for
every recipe from 2019 to 2025 (FINDINGS.md §15, 106 of 107 real responses in this order). A
version's metrics are derived from its ARN (deterministic, plausible), unless a test set them:
``{"action": "metrics", "solutionVersionArn": ..., "metrics": {...}}`` for a version that exists,
or ``{"action": "metrics", "solution": <name or ARN>, ...}`` for the versions of that solution
created from then on (so a test can make the next training regress before an apply runs it).
"""

from __future__ import annotations

import math
from typing import Any

from .. import errors as E
from .account import Account
from .synthetic import digest

METRIC_NAMES: tuple[str, ...] = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "precision_at_10",
    "precision_at_25",
    "precision_at_5",
)
#: 2022 wording and code (FINDINGS.md §D; 2020 answered InvalidInputException "The given solution
#: must be in the ACTIVE state: <arn>"): the newer one is what a client meets today.
NOT_ACTIVE_MESSAGE = "Cannot get metrics for solution since it is not in ACTIVE state."
RULES_KEY = "metric_rules"  # state key: solution ARN -> override stamped on its next versions
MAX_SCALE = 100.0


def derived_metrics(seed: str) -> dict[str, float]:
    """Plausible, deterministic offline metrics (within the ranges real responses show)."""
    h = int(digest(seed), 16)

    def frac(i: int) -> float:
        return ((h >> (i * 8)) & 0xFF) / 255.0

    ndcg5 = 0.08 + 0.2 * frac(1)
    prec5 = 0.02 + 0.08 * frac(2)
    return _ordered({
        "coverage": 0.1 + 0.5 * frac(0),
        "mean_reciprocal_rank_at_25": 0.05 + 0.25 * frac(3),
        "normalized_discounted_cumulative_gain_at_5": ndcg5,
        "normalized_discounted_cumulative_gain_at_10": ndcg5 * 1.15,
        "normalized_discounted_cumulative_gain_at_25": ndcg5 * 1.3,
        "precision_at_5": prec5,
        "precision_at_10": prec5 * 0.8,
        "precision_at_25": prec5 * 0.55,
    })


def _ordered(values: dict[str, float]) -> dict[str, float]:
    return {name: round(min(max(float(values[name]), 0.0), 1.0), 4) for name in METRIC_NAMES}


def check_override(payload: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` (some of the 8 names, each in [0, 1]) and/or ``scale`` (a factor on the derived values)."""
    metrics = payload.get("metrics", {})
    if not isinstance(metrics, dict):
        raise E.invalid_input("metrics must be an object of metric name: number")
    unknown = sorted(set(metrics) - set(METRIC_NAMES))
    if unknown:
        raise E.invalid_input(f"unknown metrics: {', '.join(map(str, unknown))} (known: {', '.join(METRIC_NAMES)})")
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise E.invalid_input(f"metric {name} must be a number between 0 and 1, not {str(value)[:40]}")
    scale = payload.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) \
            or not 0 <= scale <= MAX_SCALE:
        raise E.invalid_input(f"scale must be a number between 0 and {MAX_SCALE:g}, not {str(scale)[:40]}")
    if not metrics and "scale" not in payload and not payload.get("clear"):
        raise E.invalid_input("give metrics (name: value), a scale, or clear: true")
    return {"metrics": dict(metrics), "scale": float(scale)}


def _apply(base: dict[str, float], override: dict[str, Any] | None) -> dict[str, float]:
    if not override:
        return base
    scaled = {name: value * override["scale"] for name, value in base.items()}
    return _ordered({**scaled, **override["metrics"]})


def version_metrics(rec: dict) -> dict[str, float]:
    return _apply(retrained_metrics(rec["arn"]), rec["x"].get("metrics"))


def retrained_metrics(version_arn: str) -> dict[str, float]:
    """A version's metrics: its solution's, within ±1 % (retraining on similar data moves offline
    metrics a little, not by the full plausible range, so a promotion gate holds only a regression)."""
    solution_arn = version_arn.rsplit("/", 1)[0]
    jitter = int(digest(version_arn), 16)
    return _ordered({name: value * (1 + 0.02 * (((jitter >> (i * 8)) & 0xFF) / 255.0 - 0.5))
                     for i, (name, value) in enumerate(derived_metrics(solution_arn).items())})


def stamp_new_version(acct: Account, rec: dict) -> None:
    """Give a new version the override its solution has, if a test set one."""
    rule = acct.state.get(RULES_KEY, {}).get(rec["links"]["solutionArn"])
    if rule:
        rec["x"]["metrics"] = dict(rule)


def get_solution_metrics(acct: Account, p: dict) -> dict:
    rec = acct.get(p["solutionVersionArn"], "solution_version")
    if acct.status(rec) != "ACTIVE":
        raise E.in_use(NOT_ACTIVE_MESSAGE)
    return {"solutionVersionArn": rec["arn"], "metrics": version_metrics(rec)}


def set_metrics(acct: Account, payload: dict[str, Any]) -> dict[str, Any]:
    """The ``metrics`` control action; answers what GetSolutionMetrics will return."""
    override = None if payload.get("clear") is True else check_override(payload)
    if payload.get("solutionVersionArn") is not None:
        rec = acct.get(str(payload["solutionVersionArn"]), "solution_version")
        if override is None:
            rec["x"].pop("metrics", None)
        else:
            rec["x"]["metrics"] = override
        return {"solutionVersionArn": rec["arn"], "metrics": version_metrics(rec)}
    target = payload.get("solution")
    if not isinstance(target, str) or not target:
        raise E.invalid_input("metrics needs solutionVersionArn (one version) or solution (its next versions)")
    arn = target if target.startswith("arn:") else acct.arn("solution", target)
    acct.get(arn, "solution")
    acct.touch_top(RULES_KEY)
    rules = acct.state.setdefault(RULES_KEY, {})
    if override is None:
        rules.pop(arn, None)
    else:
        rules[arn] = override
    return {"solutionArn": arn, "rule": override}

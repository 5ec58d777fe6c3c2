"""Promotion gates: may a campaign move to a newly trained solution version? Pure: no AWS here.

A gate holds thresholds on the offline metrics Personalize reports for each solution version
(GetSolutionMetrics): `min` is an absolute floor for the candidate; `max_drop` bounds how much
worse the candidate may be than the version the campaign serves now, either absolute (0.02) or
relative ("5%"). Every threshold must hold for the campaign to move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The 8 keys real GetSolutionMetrics answers carry (../shared/reference/real-aws/, FINDINGS.md).
METRICS = (
    "coverage", "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5", "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5", "precision_at_10", "precision_at_25",
)


@dataclass(frozen=True)
class Threshold:
    metric: str
    kind: str            # "min" or "max_drop"
    value: float
    relative: bool = False   # max_drop given as a percentage of the serving version's value

    def __str__(self) -> str:
        if self.kind == "min":
            return f"min {self.value:g}"
        return f"max_drop {self.value:g}%" if self.relative else f"max_drop {self.value:g}"


@dataclass(frozen=True)
class Gate:
    thresholds: tuple[Threshold, ...]

    @classmethod
    def from_spec(cls, entry: Mapping[str, Any]) -> Gate:
        """From the spec's `promotion:` mapping (already validated by the JSON Schema)."""
        out: list[Threshold] = []
        for metric, value in (entry.get("min") or {}).items():
            out.append(Threshold(metric, "min", float(value)))
        for metric, value in (entry.get("max_drop") or {}).items():
            relative = isinstance(value, str) and value.strip().endswith("%")
            number = float(value.strip()[:-1]) if relative else float(value)
            out.append(Threshold(metric, "max_drop", number, relative))
        return cls(tuple(out))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t in self.thresholds:
            out.setdefault(t.kind, {})[t.metric] = f"{t.value:g}%" if t.relative else t.value
        return out


@dataclass(frozen=True)
class Check:
    threshold: Threshold
    candidate: float | None
    serving: float | None
    passed: bool

    def describe(self) -> str:
        t = self.threshold
        if self.candidate is None:
            return f"{t.metric}: the candidate has no such metric ({t})"
        if t.kind == "min":
            return f"{t.metric} = {self.candidate:.4f} ({t})"
        if self.serving is None:
            return f"{t.metric} = {self.candidate:.4f}, nothing served to compare with ({t})"
        drop = self.serving - self.candidate
        pct = f" ({-100 * drop / self.serving:+.1f}%)" if self.serving else ""
        return f"{t.metric} {self.serving:.4f} -> {self.candidate:.4f}{pct} ({t})"


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def summary(self) -> str:
        failing = self.failures
        if not failing:
            return "promotion gate passed: " + "; ".join(c.describe() for c in self.checks)
        return "promotion gate failed: " + "; ".join(c.describe() for c in failing)


def evaluate(gate: Gate, candidate: Mapping[str, float], serving: Mapping[str, float] | None) -> Verdict:
    """Judge `candidate`'s metrics against the gate, and against `serving`'s (None: nothing served yet)."""
    checks = []
    for t in gate.thresholds:
        new = candidate.get(t.metric)
        old = (serving or {}).get(t.metric)
        if new is None:
            passed = False
        elif t.kind == "min":
            passed = new >= t.value
        elif old is None:
            passed = True       # a first version has nothing to drop from
        else:
            allowed = old * t.value / 100 if t.relative else t.value
            passed = old - new <= allowed + 1e-12
        checks.append(Check(t, new, old, passed))
    return Verdict(tuple(checks))

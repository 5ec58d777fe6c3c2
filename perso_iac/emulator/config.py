"""Emulator configuration: time scale, faults, quotas, persistence."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Resource types that fault rules (``type:name-glob``) may name. ``<type>_update`` rules make
#: the asynchronous update of that type fail instead of its creation.
FAILABLE_TYPES = frozenset(
    {
        "dataset_group",
        "dataset",
        "dataset_import_job",
        "dataset_export_job",
        "solution",
        "solution_version",
        "campaign",
        "event_tracker",
        "filter",
        "recommender",
        "metric_attribution",
        "batch_inference_job",
        "batch_segment_job",
        "data_deletion_job",
        "campaign_update",
        "dataset_update",
        "solution_update",
        "recommender_update",
    }
)

#: Default service quotas (https://docs.aws.amazon.com/personalize/latest/dg/limits.html).
DEFAULT_QUOTAS: dict[str, int] = {
    "schemas": 500,
    "dataset_groups": 5,
    "solutions_per_dataset_group": 10,
    "campaigns_per_dataset_group": 5,
    "recommenders_per_dataset_group": 5,
    "filters_per_dataset_group": 30,
    "event_trackers_per_dataset_group": 1,
    "metric_attributions_per_dataset_group": 1,
    "pending_dataset_import_jobs": 5,
    "pending_batch_inference_jobs": 5,
    "pending_batch_segment_jobs": 5,
    "pending_solution_versions": 20,
    "pending_data_deletion_jobs_per_dataset_group": 5,
    "tags_per_resource": 50,
}


@dataclass(frozen=True)
class FailRule:
    """``campaign:my-campaign-*`` — force CREATE FAILED for matching resources."""

    type: str
    glob: str

    @classmethod
    def parse(cls, text: str) -> FailRule:
        text = text.strip()
        if ":" not in text:
            raise ValueError(f"fault rule {text!r} must look like TYPE:NAME-GLOB, e.g. 'campaign:*'")
        rtype, glob = text.split(":", 1)
        rtype = rtype.strip().lower().replace("-", "_")
        if rtype != "*" and rtype not in FAILABLE_TYPES:
            known = ", ".join(sorted(FAILABLE_TYPES))
            raise ValueError(f"fault rule {text!r}: unknown type {rtype!r} (known: {known}, or *)")
        return cls(rtype, glob.strip() or "*")

    def matches(self, rtype: str, names: Iterable[str]) -> bool:
        if self.type not in ("*", rtype):
            return False
        return any(name is not None and fnmatch.fnmatchcase(name, self.glob) for name in names)

    def __str__(self) -> str:
        return f"{self.type}:{self.glob}"


def parse_fail_rules(rules: Iterable[str] | str | None) -> tuple[FailRule, ...]:
    if rules is None:
        return ()
    if isinstance(rules, str):
        rules = rules.split(",")
    return tuple(FailRule.parse(r) if isinstance(r, str) else r for r in rules if str(r).strip())


@dataclass
class EmulatorConfig:
    """How the emulator behaves. All fields can also be changed at run time through the
    control endpoint (``POST /_perso/control`` with ``{"action": "configure", ...}``)."""

    time_scale: float = 1.0
    latency_ms: float = 0
    throttle_rate: float = 0.0
    data_dir: str | os.PathLike | None = None
    fail: Iterable[str] = ()
    quotas: Mapping[str, int] | None = None
    clock: Any = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    seed: int = 0

    def __post_init__(self) -> None:
        self.time_scale = float(self.time_scale)
        if self.time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.latency_ms = float(self.latency_ms)
        self.throttle_rate = float(self.throttle_rate)
        if not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError("throttle_rate must be between 0 and 1")
        self.fail = tuple(str(r) for r in parse_fail_rules(self.fail))
        merged = dict(DEFAULT_QUOTAS)
        for key, value in (self.quotas or {}).items():
            if key not in DEFAULT_QUOTAS:
                raise ValueError(f"unknown quota {key!r} (known: {', '.join(sorted(DEFAULT_QUOTAS))})")
            merged[key] = int(value)
        self.quotas = merged
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)

    @property
    def fail_rules(self) -> tuple[FailRule, ...]:
        """The parsed ``fail`` rules (re-parsed if ``fail`` was reassigned)."""
        return parse_fail_rules(self.fail)

    def set_fail(self, rules: Iterable[str] | str | None) -> None:
        self.fail = tuple(str(r) for r in parse_fail_rules(rules))

    def quota(self, key: str) -> int:
        """The effective value of a quota (defaults fill whatever ``quotas`` omits)."""
        return int({**DEFAULT_QUOTAS, **(self.quotas or {})}[key])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> EmulatorConfig:
        """Read ``PERSO_EMULATOR_TIME_SCALE``, ``PERSO_EMULATOR_LATENCY_MS``,
        ``PERSO_EMULATOR_THROTTLE_RATE`` and ``PERSO_EMULATOR_FAIL`` (comma-separated rules);
        keyword arguments that are not ``None`` win over the environment."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        if env.get("PERSO_EMULATOR_TIME_SCALE"):
            kwargs["time_scale"] = float(env["PERSO_EMULATOR_TIME_SCALE"])
        if env.get("PERSO_EMULATOR_LATENCY_MS"):
            kwargs["latency_ms"] = float(env["PERSO_EMULATOR_LATENCY_MS"])
        if env.get("PERSO_EMULATOR_THROTTLE_RATE"):
            kwargs["throttle_rate"] = float(env["PERSO_EMULATOR_THROTTLE_RATE"])
        if env.get("PERSO_EMULATOR_FAIL"):
            kwargs["fail"] = [r for r in env["PERSO_EMULATOR_FAIL"].split(",") if r.strip()]
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

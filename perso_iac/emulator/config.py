"""Emulator configuration: time scale, faults, quotas, persistence."""

from __future__ import annotations

import fnmatch
import math
import os
import re
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
    "tps_per_campaign": 500,  # GetRecommendations per campaign; served through Service Quotas
}


#: Upper bounds for run-time settings: far above any useful value, low enough that a typo (or a
#: hostile 1e308) cannot stall the emulator or overflow its clock.
MAX_TIME_SCALE = 1000.0
MAX_LATENCY_MS = 60_000.0
MAX_ADVANCE_SECONDS = 100 * 365 * 86400.0  # a century
MAX_QUOTA = 1_000_000
MAX_FAIL_RULES = 100
_MAX_RULE_LENGTH = 256


def bounded_number(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a finite float in ``[low, high]``, or ``ValueError`` naming the setting."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, not {str(value)[:40]!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, not {str(value)[:40]}")
    return number


def bounded_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an integer in ``[low, high]`` (no bools, no fractions)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer between {low} and {high}, not {str(value)[:40]}")
    return value


@dataclass(frozen=True)
class FailRule:
    """``campaign:my-campaign-*`` — force CREATE FAILED for matching resources."""

    type: str
    glob: str

    @classmethod
    def parse(cls, text: str) -> FailRule:
        if not isinstance(text, str):
            raise ValueError(f"fault rule {str(text)[:40]!r} must be a string like TYPE:NAME-GLOB, e.g. 'campaign:*'")
        text = text.strip()
        if ":" not in text or len(text) > _MAX_RULE_LENGTH or not text.isprintable():
            raise ValueError(f"fault rule {text[:80]!r} must look like TYPE:NAME-GLOB, e.g. 'campaign:*'")
        rtype, glob = text.split(":", 1)
        rtype = rtype.strip().lower().replace("-", "_")
        if rtype != "*" and rtype not in FAILABLE_TYPES:
            known = ", ".join(sorted(FAILABLE_TYPES))
            raise ValueError(f"fault rule {text!r}: unknown type {rtype!r} (known: {known}, or *)")
        if not glob.strip():
            raise ValueError(f"fault rule {text!r} has no name glob (use '*' for every name)")
        return cls(rtype, glob.strip())

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
        rules = [r for r in rules.split(",") if r.strip()]
    if not isinstance(rules, (list, tuple)):
        raise ValueError(f"fault rules must be a list of TYPE:NAME-GLOB strings, not {type(rules).__name__}")
    if len(rules) > MAX_FAIL_RULES:
        raise ValueError(f"at most {MAX_FAIL_RULES} fault rules, not {len(rules)}")
    return tuple(r if isinstance(r, FailRule) else FailRule.parse(r) for r in rules)


def check_actions(actions: Any) -> tuple[str, ...]:
    """IAM action names (`service:Operation`), as `deny` takes them."""
    if isinstance(actions, str) or not isinstance(actions, Iterable):
        raise ValueError("deny must be a list of IAM actions such as \"tag:GetResources\"")
    out = tuple(str(a) for a in actions)
    if len(out) > MAX_FAIL_RULES or any(not re.fullmatch(r"[a-z-]+:[A-Za-z]+", a) for a in out):
        raise ValueError(f"deny must list at most {MAX_FAIL_RULES} IAM actions such as \"tag:GetResources\"")
    return out


def check_quotas(quotas: Any) -> dict[str, int]:
    """Quota overrides: known names mapped to non-negative integers."""
    if not isinstance(quotas, Mapping):
        raise ValueError(f"quotas must be an object of name: integer, not {type(quotas).__name__}")
    unknown = set(quotas) - set(DEFAULT_QUOTAS)
    if unknown:
        raise ValueError(f"unknown quotas: {', '.join(sorted(map(str, unknown)))} (known: {', '.join(DEFAULT_QUOTAS)})")
    return {key: bounded_int(f"quota {key}", value, 0, MAX_QUOTA) for key, value in quotas.items()}


@dataclass
class EmulatorConfig:
    """How the emulator behaves. All fields can also be changed at run time through the
    control endpoint (``POST /_perso/control`` with ``{"action": "configure", ...}``)."""

    time_scale: float = 1.0
    latency_ms: float = 0
    throttle_rate: float = 0.0
    data_dir: str | os.PathLike | None = None
    fail: Iterable[str] = ()
    # IAM actions the caller is not allowed (e.g. "tag:GetResources"): AccessDeniedException, as AWS answers
    deny: Iterable[str] = ()
    # The Tagging API's index as it was when `tagging_lag` was switched on (None: up to date). AWS's
    # index is eventually consistent; this freezes it so tests can show perso never trusts it blindly.
    tagging_snapshot: dict[str, dict[str, str]] | None = None
    quotas: Mapping[str, int] | None = None
    clock: Any = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    seed: int = 0

    def __post_init__(self) -> None:
        self.time_scale = bounded_number("time_scale", self.time_scale, 0, MAX_TIME_SCALE)
        self.latency_ms = bounded_number("latency_ms", self.latency_ms, 0, MAX_LATENCY_MS)
        self.throttle_rate = bounded_number("throttle_rate", self.throttle_rate, 0, 1)
        self.fail = tuple(str(r) for r in parse_fail_rules(list(self.fail) if self.fail is not None else None))
        self.deny = check_actions(self.deny)
        self.quotas = {**DEFAULT_QUOTAS, **check_quotas(self.quotas or {})}
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

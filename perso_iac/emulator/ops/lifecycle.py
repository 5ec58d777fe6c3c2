"""Transitions: how a resource's pending statuses are derived lazily from the clock.

A transition records when it started, the (unscaled) duration of each pending phase and the final
status. At each request the account compares the clock with ``start + sum(durations) * time_scale``
and completes what is due. With ``time_scale == 0`` a transition instead advances one phase per
observation (each Describe/List that reports it), so every pending status is seen exactly once
before the final one.
"""

from __future__ import annotations

from collections.abc import Sequence

#: the record slots that can hold a transition: the lifecycle itself and a pending update
SLOTS = ("lc", "upd")


def transition(kind: str, phases: Sequence[str], durs: Sequence[float], final: str | None,
               reason: str | None, start: float) -> dict:
    """A new transition record (JSON-serialisable, persisted inside the resource record)."""
    return {"kind": kind, "phases": list(phases), "durs": list(durs), "final": final, "reason": reason,
            "start": start, "obs": 0, "idx": 0}


def split(secs: float) -> tuple[float, float]:
    """The usual two-phase split of a duration: 10 % pending, 90 % in progress."""
    return (secs * 0.1, secs * 0.9)


def advance(tr: dict, now: float, time_scale: float) -> int:
    """The index of the current phase (``len(phases)`` once done); never goes backwards."""
    n = len(tr["phases"])
    if time_scale <= 0:
        idx = min(n, tr["obs"])
    else:
        elapsed = now - tr["start"]
        idx, acc = n, 0.0
        for i, d in enumerate(tr["durs"]):
            acc += d * time_scale
            if elapsed < acc:
                idx = i
                break
    idx = max(idx, tr["idx"])
    tr["idx"] = idx
    return idx


def next_change(tr: dict, time_scale: float) -> float:
    """When the current phase ends (``time_scale > 0``): the clock reading at which ``advance``
    next moves, summed as ``advance`` sums, so both agree on the boundary."""
    acc = 0.0
    for i, d in enumerate(tr["durs"]):
        acc += d * time_scale
        if i >= tr["idx"]:
            return tr["start"] + acc
    return tr["start"]


def is_due(tr: dict, now: float, time_scale: float) -> bool:
    return advance(tr, now, time_scale) >= len(tr["phases"])


def end_time(tr: dict, now: float, time_scale: float) -> float:
    """When the transition finished: its scheduled end, or ``now`` when driven by observations."""
    if time_scale <= 0:
        return now
    return min(now, tr["start"] + sum(tr["durs"]) * time_scale)


def phase(tr: dict) -> str:
    """The status a pending transition reports."""
    return tr["phases"][min(tr["idx"], len(tr["phases"]) - 1)]

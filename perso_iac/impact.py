"""The impact of each destructive change of a plan: what is unavailable and for about how long,
which identities change and who must pick them up, what is lost. Pure: from the plan and the
per-type facts each adapter declares (`impact`, see resources/impact.py).

A replacement's window runs from the old resource's deletion until the new one is usable, which
waits for everything it depends on that the same plan creates or replaces (a campaign whose
solution is replaced waits for the new solution and its training).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .plan import Action, Change, Plan
from .resources.impact import Impact, duration


@dataclass(frozen=True)
class ChangeImpact:
    address: str
    action: str
    window: float | None          # seconds without it (replace); None: gone for good (delete)
    waits_for: tuple[str, ...]    # what the new one waits for in the same plan
    facts: Impact
    seamless: bool = False        # create before destroy: the old one serves until the new one is ready

    def text(self) -> str:
        f = self.facts
        if self.window is None:
            return f"deleted for good: {f.describe_loss()}"
        if self.seamless:
            out = ("no downtime: created before the old one is deleted, which goes once the new one (and what "
                   "uses it, moved to it in place) is ready")
        else:
            out = f"{f.unavailable}, for {duration(self.window)}"
        if self.waits_for:
            out += f" (waits for {', '.join(self.waits_for)})"
        if f.changes:
            out += f"; new {' and '.join(f.changes)}"
            if f.pick_up:
                out += f": update {f.pick_up}"
        return out

    def to_dict(self) -> dict[str, Any]:
        f = self.facts
        return {"unavailable": f.unavailable, "typical_window_seconds": self.window,
                "window": None if self.window is None else duration(self.window), "waits_for": list(self.waits_for),
                "changes_identities": list(f.changes), "pick_up": f.pick_up, "loss": f.describe_loss(),
                "create_before_destroy": self.seamless, "downtime": not self.seamless and self.window is not None,
                "summary": self.text()}


def _facts(adapters: Mapping[str, Any], type_name: str) -> Impact | None:
    adapter = adapters.get(type_name)
    return adapter.impact if adapter is not None else None


def plan_impacts(plan: Plan, adapters: Mapping[str, Any]) -> dict[str, ChangeImpact]:
    """The impact of every destructive change of `plan`, by address."""
    changes = plan.by_address()
    ready: dict[str, tuple[float, tuple[str, ...]]] = {}

    def ready_after(address: str, seen: frozenset[str]) -> tuple[float, tuple[str, ...]]:
        """Seconds until a (re)created `address` is usable, and the changes it waits for."""
        if address in ready:
            return ready[address]
        change = changes[address]
        facts = _facts(adapters, change.type)
        own = facts.typical_create if facts else 0.0
        longest, chain = 0.0, ()
        for dep in change.depends_on:
            d = changes.get(dep)
            if d is None or dep in seen or d.action not in (Action.CREATE, Action.REPLACE):
                continue
            seconds, deps = ready_after(dep, seen | {address})
            if seconds > longest:
                longest, chain = seconds, (dep, *deps)
        ready[address] = (own + longest, chain)
        return ready[address]

    out = {}
    for change in plan.changes:
        facts = _facts(adapters, change.type)
        if not change.destructive or facts is None:
            continue
        if change.action is Action.DELETE:
            out[change.address] = ChangeImpact(change.address, "delete", None, (), facts)
            continue
        seconds, chain = ready_after(change.address, frozenset())
        if change.create_before_destroy:
            out[change.address] = ChangeImpact(change.address, "replace", 0.0, chain, facts, seamless=True)
            continue
        out[change.address] = ChangeImpact(change.address, "replace", facts.typical_delete + seconds, chain, facts)
    return out


def destructive_line(change: Change, impact: ChangeImpact | None) -> str:
    """One destructive change with its type's own wording of what is at risk."""
    if impact is None:
        return f"{change.address}: deleted"
    verb = "replaced" if impact.window is not None else "deleted"
    if impact.seamless:
        return f"{change.address} (replaced, create before destroy): no downtime; the old one is deleted last"
    return f"{change.address} ({verb}): {impact.facts.describe_loss()}"

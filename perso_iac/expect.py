"""`perso apply --expect FILE`: does the plan made now make the same changes as the reviewed one?

A saved plan is refused as soon as anything moved since it was made (its state serial, its spec,
the live resources). At merge time in a merge queue something always moved: other pull requests
merged and applied in between. What reviewers approved is not a serial but a set of changes, so
this compares those: the same addresses, each with the same action and the same attribute
changes (the changed paths and the values they change to). Serials, live digests, ARNs and the
order of the changes may differ. Pure: no AWS, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .compare import value_at
from .plan import Action, Change, Plan
from .planfile import encode_value


def fingerprint(change: Change) -> dict[str, Any]:
    """What a reviewer approves in one change: its action, and what it sets (not how AWS is now)."""
    sets: dict[str, Any] = {}
    if change.action in (Action.CREATE, Action.REPLACE):
        sets = {key: encode_value(value) for key, value in (change.after or {}).items()}
        sets["tags"] = encode_value(dict(change.tags_after or {}))
    elif change.action is Action.UPDATE:
        paths = sorted(set(change.changed_paths))
        sets = {path: encode_value(_at(change, path)) for path in paths}
    return {"action": change.action.value, "sets": sets, "moved_from": change.moved_from}


def _at(change: Change, path: str) -> Any:
    if path == "tags" or path.startswith("tags."):
        return value_at({"tags": change.tags_after or {}}, path)
    return value_at(change.after or {}, path)


def _changes(plan: Plan) -> dict[str, Change]:
    return {c.address: c for c in plan.changes if c.action is not Action.NOOP or c.moved_from}


@dataclass(frozen=True)
class Comparison:
    differences: list[str]      # what the fresh plan would do that was not reviewed, or do differently
    not_needed: list[str]       # reviewed changes the fresh plan no longer makes (already applied, say)


def compare_plans(reviewed: Sequence[Plan], fresh: Plan) -> Comparison:
    """Whether applying `fresh` does only what the `reviewed` plans showed (several when merges
    queued up and their applies must be caught up in one go: each change of the fresh plan must be
    in one of them, the same). A reviewed change that is no longer needed (another apply made it,
    or a re-run of this one) is not a difference: the fresh plan does nothing unreviewed, so a
    retried apply job succeeds."""
    stacks = sorted({plan.stack for plan in reviewed} - {fresh.stack})
    if stacks:
        return Comparison([f"a reviewed plan is for stack {stacks[0]!r}, this spec is stack {fresh.stack!r}"], [])
    old: dict[str, list[Change]] = {}
    for plan in reviewed:
        for address, change in _changes(plan).items():
            old.setdefault(address, []).append(change)
    new = _changes(fresh)
    differences, not_needed = [], []
    for address in sorted(old.keys() | new.keys()):
        candidates, after = old.get(address, []), new.get(address)
        if after is None:
            not_needed.append(f"{address}: reviewed as {_verb(candidates[-1])}, no longer needed")
        elif not candidates:
            differences.append(f"{address}: would {_verb(after)}, which is not in the reviewed plan")
        elif not any(c.action is after.action and fingerprint(c) == fingerprint(after) for c in candidates):
            before = candidates[-1]  # the latest review of it: the one to explain against
            if before.action is not after.action:
                differences.append(f"{address}: reviewed as {_verb(before)}, would now {_verb(after)}")
            else:
                differences.extend(f"{address}: {line}"
                                   for line in _setting_differences(fingerprint(before), fingerprint(after)))
    return Comparison(differences, not_needed)


def _verb(change: Change | None) -> str:
    if change is None:
        return "nothing"
    if change.action is Action.NOOP:
        return f"move from {change.moved_from}"
    return {"create": "create", "update": "update in place", "replace": "replace", "delete": "destroy"}[
        change.action.value]


def _setting_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    if before["moved_from"] != after["moved_from"]:
        return [f"reviewed as moved from {before['moved_from'] or 'nowhere'}, now from {after['moved_from'] or 'nowhere'}"]
    old, new = before["sets"], after["sets"]
    if old == new:
        return []
    paths = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return [f"sets {', '.join(paths)} differently from the reviewed plan"]

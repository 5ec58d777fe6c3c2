"""What a plan says, independent of the format: one sentence per change, its diff lines, the
counts behind the summary line and the exit code, and the cost notes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..compare import value_at
from ..plan import Action, Change, Plan, Reason
from ..spec.model import Ref

_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be destroyed",
}

_REASONS = {
    Reason.MISSING_REMOTELY: "it is in the state but no longer exists in AWS",
    Reason.CANNOT_UPDATE: "{paths} cannot be updated in place",
    Reason.DEPENDENCY_REPLACED: "AWS requires it gone before its parent is replaced: {detail}",
    Reason.TRIGGERED: "its trigger changed: {detail}",
    Reason.FAILED_REMOTELY: "it is in a failed state in AWS: {detail}",
    Reason.ALREADY_EXISTS: "a resource with this name already exists in AWS and perso does not manage it; "
                           "adopt it with `{detail}` (or give this one another name)",
    Reason.REMOVED_FROM_SPEC: "it is no longer in the spec",
    Reason.DESTROY: "destroy was requested",
}

_INTENT_VERB = {Action.CREATE: "will run", Action.REPLACE: "will run again",
                Action.DELETE: "will be forgotten (jobs cannot be deleted)"}


# -- what a change is (the one place that reads Change's flags) -----------------------------------

def adopting(change: Change) -> bool:
    """Apply records a resource it finds by name (an interrupted apply of ours created it)."""
    return change.adopt


def waiting(change: Change) -> bool:
    """The resource exists but is still settling: apply waits for it."""
    return change.pending


def conflicting(change: Change) -> bool:
    """The name is taken in AWS by a resource perso does not manage."""
    return change.conflict


def shown_changes(plan: Plan) -> list[Change]:
    """The changes a plan lists: anything but a plain no-op."""
    return [c for c in plan.changes if c.action is not Action.NOOP or waiting(c) or adopting(c)]


def plan_has_changes(plan: Plan) -> bool:
    """What `plan --detailed-exitcode` exits 2 on: anything apply would change, in AWS or in the
    state (adopting a resource records it). Waiting for a resource still settling is not a change."""
    return plan.has_changes() or any(adopting(c) for c in plan.changes)


def plan_summary(plan: Plan) -> dict[str, int]:
    counts = dict(plan.summary())
    counts["adopt"] = sum(1 for c in plan.changes if adopting(c) and c.action is Action.NOOP)
    counts["no_op"] = sum(1 for c in plan.changes if c.action is Action.NOOP and not adopting(c))
    return counts


def summary_sentence(plan: Plan) -> str:
    """`Plan: 1 to create, …` without its label."""
    s = plan_summary(plan)
    adopt = f", {s['adopt']} to adopt" if s["adopt"] else ""
    return (f"{s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
            f"{s['delete']} to destroy{adopt}.")


def action_label(change: Change) -> str:
    if change.action is Action.NOOP:
        return "adopt" if adopting(change) else "wait"
    if change.is_intent and change.action in (Action.CREATE, Action.REPLACE):
        return "run"
    return change.action.value


def describe_change(change: Change) -> str:
    if change.is_intent and change.action in _INTENT_VERB:
        verb = _INTENT_VERB[change.action]
    elif change.action is Action.NOOP:
        verb = ("is being adopted" if adopting(change)
                else "was left unfinished; apply will wait for it to settle and record it")
    elif conflicting(change):
        verb = "cannot be created"
    elif adopting(change):
        verb = "is being adopted and " + _VERB[change.action].removeprefix("will be ")
    else:
        verb = _VERB[change.action]
    reason = _REASONS.get(change.reason, "")
    if reason:
        reason = reason.format(paths=", ".join(change.replace_paths) or "a field", detail=change.detail)
        return f"{change.address} {verb}: {reason}"
    return f"{change.address} {verb}"


def why(change: Change) -> str:
    """describe_change without the address, for tables."""
    return describe_change(change).removeprefix(change.address).lstrip(": ")


# -- values ---------------------------------------------------------------------------------------

def format_value(value: Any) -> str:
    if isinstance(value, Ref):
        return "(known after apply)"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping | list):
        text = json.dumps(_plain(value), sort_keys=True)
        return text if len(text) <= 120 else text[:117] + "..."
    return json.dumps(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Ref):
        return "(known after apply)"
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- diff lines -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiffLine:
    """One line of a change as Terraform users read it, before any format is applied.

    kind "heading": `# <text>`; "address": `<mark> <text>` (mark: the action's symbol);
    "attribute": `<mark> <text>` under the address (mark: + - ~), `note` after it."""

    kind: str
    mark: str
    text: str
    note: str = ""


def change_lines(change: Change) -> list[DiffLine]:
    symbol = change.action.symbol if change.action is not Action.NOOP else "~"
    lines = [DiffLine("heading", "#", describe_change(change)), DiffLine("address", symbol, change.address)]
    if change.action is Action.CREATE or (change.action is Action.REPLACE and change.reason is not Reason.CANNOT_UPDATE):
        for key, value in (change.after or {}).items():
            lines.append(DiffLine("attribute", "+", f"{key} = {format_value(value)}"))
        for key, value in (change.tags_after or {}).items():
            lines.append(DiffLine("attribute", "+", f"tags.{key} = {format_value(value)}"))
    elif change.action is Action.DELETE:
        for key, value in (change.before or {}).items():
            lines.append(DiffLine("attribute", "-", f"{key} = {format_value(value)}"))
    else:
        for path in change.changed_paths:
            if path == "tags":
                before, after = change.tags_before or {}, change.tags_after or {}
            else:
                before, after = value_at(change.before, path), value_at(change.after, path)
            note = "# forces replacement" if path in change.replace_paths else ""
            lines.append(DiffLine("attribute", "~", f"{path} = {format_value(before)} -> {format_value(after)}", note))
    return lines


# -- cost -----------------------------------------------------------------------------------------

def cost_notes(plan: Plan) -> list[str]:
    """What the plan starts billing for: Personalize charges by training hour and by provisioned TPS."""
    notes = []
    for change in plan.changes:
        after = change.after or {}
        if change.action is Action.NOOP or change.action is Action.DELETE:
            continue
        if change.type == "solution_version":
            notes.append(f"{change.address}: starts a training run, billed per training hour")
        elif change.type == "solution" and after.get("performAutoTraining") is True:
            schedule = value_at(after, "solutionConfig.autoTrainingConfig.schedulingExpression") or "rate(7 days)"
            notes.append(f"{change.address}: automatic training is on ({schedule}); each run is billed")
        elif change.type == "campaign" and "minProvisionedTPS" in after:
            notes.append(f"{change.address}: bills at least {after['minProvisionedTPS']} TPS for every hour it is "
                         "ACTIVE, used or not")
        elif change.type == "recommender" and after.get("state", "ACTIVE") == "ACTIVE":
            notes.append(f"{change.address}: bills per hour while ACTIVE (set state: INACTIVE to stop billing)")
    return notes


def outcome(result: Any) -> str:
    """A step result's outcome as its string value ("done", "failed", "skipped")."""
    value = result.outcome
    return value.value if isinstance(value, Enum) else str(value)


def outcome_counts(results: Iterable[Any]) -> dict[str, int]:
    counts = {"done": 0, "failed": 0, "skipped": 0}
    for result in results:
        counts[outcome(result)] = counts.get(outcome(result), 0) + 1
    return counts

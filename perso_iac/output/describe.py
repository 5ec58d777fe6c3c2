"""What every format says about a change, in plain words (no markup): its sentence, its reasons,
its impact and cost notes, the plan's counts. Text, JSON and markdown all build on it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..plan import Action, Change, Plan, Reason
from ..resources.registry import REGISTRY
from ..spec.model import Ref

if TYPE_CHECKING:
    from ..drift import DriftReport


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
    Reason.REQUESTED: "replacement requested with --replace",
    Reason.DEPOSED: "the old one of a create-before-destroy replacement, once the new one is ready",
}


_INTENT_VERB = {Action.CREATE: "will run", Action.REPLACE: "will run again", Action.DELETE: "will be forgotten (jobs cannot be deleted)"}


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


def describe_change(change: Change) -> str:
    if change.is_intent and change.action in _INTENT_VERB:
        verb = _INTENT_VERB[change.action]
    elif change.action is Action.NOOP:
        verb = "is being adopted" if change.adopt else "was left unfinished; apply will wait for it to settle and record it"
    elif change.conflict:
        verb = "cannot be created"
    elif change.adopt:
        verb = "is being adopted and " + _VERB[change.action].removeprefix("will be ")
    else:
        verb = _VERB[change.action]
    reason = _REASONS.get(change.reason, "")
    if change.create_before_destroy and not change.is_intent:  # issue 13: say the order, and why
        verb = f"will be replaced, creating the new one ({change.name}) before deleting the old one ({change.cbd_why})"
    if reason:
        reason = reason.format(paths=", ".join(change.replace_paths) or "a field", detail=change.detail)
        return f"{change.address} {verb}: {reason}"
    return f"{change.address} {verb}"


def change_impacts(plan: Plan) -> dict[str, Any]:
    from ..impact import plan_impacts

    return plan_impacts(plan, REGISTRY)


def cost_notes(plan: Plan) -> list[str]:
    """What the plan starts billing for: each type's adapter says (`ResourceType.cost_note`)."""
    notes = []
    for change in plan.changes:
        adapter = REGISTRY.get(change.type)
        if change.action is Action.NOOP or change.action is Action.DELETE or adapter is None:
            continue
        note = adapter.cost_note(change.after or {})
        if note:
            notes.append(f"{change.address}: {note}")
    return notes


def plan_has_changes(plan: Plan) -> bool:
    """What `plan --detailed-exitcode` exits 2 on: anything apply would change, in AWS or in the
    state (adopting a resource records it). Waiting for a resource still settling is not a change."""
    return plan.has_changes() or any(c.adopt for c in plan.changes)


def plan_summary(plan: Plan) -> dict[str, int]:
    counts = dict(plan.summary())
    counts["adopt"] = sum(1 for c in plan.changes if c.adopt and c.action is Action.NOOP)
    counts["no_op"] = sum(1 for c in plan.changes if c.action is Action.NOOP and not c.adopt)
    return counts


# -- values --------------------------------------------------------------------------------------


def action_label(change: Change) -> str:
    if change.action is Action.NOOP:
        return "adopt" if change.adopt else "wait"
    if change.is_intent and change.action in (Action.CREATE, Action.REPLACE):
        return "run"
    return change.action.value


# -- apply ---------------------------------------------------------------------------------------


def drift_headline(report: DriftReport) -> str:
    s = report.summary()
    if not report.has_changes:
        return f"No drift: {report.checked} managed resources match what perso last applied, and the spec."
    return (f"Drift: {s['changed']} changed outside perso, {s['deleted']} deleted outside perso, "
            f"{s['unmanaged']} unmanaged; {s['pending']} change(s) pending in the spec.")

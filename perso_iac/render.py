"""Plans and apply results as text for people (rich markup). Decides nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.markup import escape

from .apply import StepResult
from .compare import value_at
from .impact import destructive_line
from .plan import Action, Change, Plan, Reason
from .resources.registry import REGISTRY
from .spec.model import Ref

_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red",
          Action.NOOP: "dim"}

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


def render_change(change: Change) -> list[str]:
    if change.moved_from and change.action is Action.NOOP and not change.actionable_beyond_move:
        kept = f" (keeps its AWS name {change.name!r})" if change.spec_name else ""
        return [f"  [bold]# {escape(change.moved_from)} has moved to {escape(change.address)}{escape(kept)}[/bold]",
                f"    {escape(change.address)}"]
    style = _STYLE[change.action]
    symbol = change.symbol if change.action is not Action.NOOP else "~"
    lines = [f"  [bold]# {escape(describe_change(change))}[/bold]",
             f"[{style}]{symbol:>3} {escape(change.address)}[/{style}]"]
    if change.moved_from:
        lines.insert(1, f"  [bold]# (moved from {escape(change.moved_from)})[/bold]")
    if change.action is Action.CREATE or (change.action is Action.REPLACE and change.reason is not Reason.CANNOT_UPDATE):
        for key, value in (change.after or {}).items():
            lines.append(f"      [green]+[/green] {escape(key)} = {escape(format_value(value))}")
        for key, value in (change.tags_after or {}).items():
            lines.append(f"      [green]+[/green] tags.{escape(key)} = {escape(format_value(value))}")
    elif change.action is Action.DELETE:
        for key, value in (change.before or {}).items():
            lines.append(f"      [red]-[/red] {escape(key)} = {escape(format_value(value))}")
    else:
        for path in change.changed_paths:
            if path == "tags":
                before, after = change.tags_before or {}, change.tags_after or {}
            else:
                before, after = value_at(change.before, path), value_at(change.after, path)
            note = " [magenta]# forces replacement[/magenta]" if path in change.replace_paths else ""
            lines.append(f"      [yellow]~[/yellow] {escape(path)} = {escape(format_value(before))} -> "
                         f"{escape(format_value(after))}{note}")
    return lines


def render_plan(plan: Plan) -> str:
    """The plan as Terraform users read it: symbols, field-level before/after, reasons, summary."""
    shown = [c for c in plan.changes if c.action is not Action.NOOP or c.pending or c.adopt or c.moved_from]
    warnings = [f"[yellow]Warning:[/yellow] {escape(w)}" for w in plan.warnings]
    if not shown:
        return "\n".join([*warnings, "[green]No changes.[/green] The live resources match the spec."])
    lines = [*warnings, *([""] if warnings else []), "perso will perform the following actions:", ""]
    impacts = change_impacts(plan)
    for change in shown:
        block = render_change(change)
        if change.address in impacts:  # what users of it lose, and for how long (perso_iac/impact.py)
            block.insert(1, f"  [dim]# impact: {escape(impacts[change.address].text())}[/dim]")
        lines.extend(block)
        lines.append("")
    lines.append(summary_line(plan))
    destructive = [c for c in plan.changes if c.destructive]
    if destructive:
        lines.append("[bold red]Destructive:[/bold red]")
        lines.extend(f"  - {escape(destructive_line(c, impacts.get(c.address)))}" for c in destructive)
    notes = cost_notes(plan)
    if notes:
        lines.append("")
        lines.append("[bold]Cost notes:[/bold]")
        lines.extend(f"  - {escape(n)}" for n in notes)
    lines.extend(cost_section(plan))
    return "\n".join(lines)


def change_impacts(plan: Plan) -> dict[str, Any]:
    from .impact import plan_impacts
    from .resources.registry import REGISTRY

    return plan_impacts(plan, REGISTRY)


def cost_section(plan: Plan) -> list[str]:
    """The plan's cost estimate (perso_iac/cost), when the engine attached one."""
    from .cost.report import text_lines

    if plan.cost is None or not plan.cost.items:
        return []
    lines = [escape(line) for line in text_lines(plan.cost)]
    count = len(plan.cost.items)
    return ["", f"[bold]Cost ({escape(plan.cost.currency)}):[/bold]", *(f"  {line}" for line in lines[:count]),
            f"[bold]{lines[count]}[/bold]", *(f"[dim]{line}[/dim]" for line in lines[count + 1:])]


def summary_line(plan: Plan) -> str:
    return f"[bold]Plan:[/bold] {plan.summary_text()}."


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


def render_results(results: list[StepResult]) -> str:
    counts = {"done": 0, "failed": 0, "skipped": 0}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    lines = []
    for result in results:
        if result.outcome != "done":
            style = "red" if result.outcome == "failed" else "yellow"
            lines.append(f"[{style}]{result.outcome}[/{style}] {escape(result.address)} ({result.step}): "
                         f"{escape(result.message)}")
    lines.append(f"[bold]Apply complete:[/bold] {counts['done']} done, {counts['failed']} failed, "
                 f"{counts['skipped']} skipped.")
    return "\n".join(lines)

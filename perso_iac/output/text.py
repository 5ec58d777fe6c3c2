"""Plans, apply results and drift as text for people, with rich markup. Every piece of user text
(addresses, values, messages, file names) goes through `escape`, and the CLI's consoles have
emoji codes off, so `[bold]` or `:fire:` in a value prints as written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape

from ..plan import Action, Change, Plan
from .describe import (
    DiffLine,
    change_lines,
    cost_notes,
    describe_change,
    format_value,
    outcome,
    outcome_counts,
    shown_changes,
    summary_sentence,
)

if TYPE_CHECKING:
    from ..apply import StepResult
    from ..drift import DriftReport


_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red",
          Action.NOOP: "dim"}
_MARK_STYLE = {"+": "green", "-": "red", "~": "yellow"}


def _line(line: DiffLine, style: str) -> str:
    if line.kind == "heading":
        return f"  [bold]# {escape(line.text)}[/bold]"
    if line.kind == "address":
        return f"[{style}]{line.mark:>3} {escape(line.text)}[/{style}]"
    mark = _MARK_STYLE[line.mark]
    note = f" [magenta]{escape(line.note)}[/magenta]" if line.note else ""
    return f"      [{mark}]{line.mark}[/{mark}] {escape(line.text)}{note}"


def render_change(change: Change) -> list[str]:
    return [_line(line, _STYLE[change.action]) for line in change_lines(change)]


def render_plan(plan: Plan) -> str:
    """The plan as Terraform users read it: symbols, field-level before/after, reasons, summary."""
    shown = shown_changes(plan)
    if not shown:
        return "[green]No changes.[/green] The live resources match the spec."
    lines = ["perso will perform the following actions:", ""]
    for change in shown:
        lines.extend(render_change(change))
        lines.append("")
    lines.append(f"[bold]Plan:[/bold] {summary_sentence(plan)}")
    destructive = [c.address for c in plan.changes if c.destructive]
    if destructive:
        lines.append(f"[bold red]Destructive:[/bold red] {escape(', '.join(destructive))} "
                     "will be deleted (data, models and endpoints are lost).")
    notes = cost_notes(plan)
    if notes:
        lines.append("")
        lines.append("[bold]Cost notes:[/bold]")
        lines.extend(f"  - {escape(n)}" for n in notes)
    return "\n".join(lines)


def render_results(results: Sequence[StepResult]) -> str:
    counts = outcome_counts(results)
    lines = []
    for result in results:
        if outcome(result) != "done":
            style = "red" if outcome(result) == "failed" else "yellow"
            lines.append(f"[{style}]{outcome(result)}[/{style}] {escape(result.address)} ({escape(str(result.step))}): "
                         f"{escape(result.message)}")
    lines.append(f"[bold]Apply complete:[/bold] {counts['done']} done, {counts['failed']} failed, "
                 f"{counts['skipped']} skipped.")
    return "\n".join(lines)


def drift_headline(report: DriftReport) -> str:
    s = report.summary()
    if not report.has_changes:
        return f"No drift: {report.checked} managed resources match what perso last applied, and the spec."
    return (f"Drift: {s['changed']} changed outside perso, {s['deleted']} deleted outside perso, "
            f"{s['unmanaged']} unmanaged; {s['pending']} change(s) pending in the spec.")


def drift_text(report: DriftReport) -> str:
    lines = []
    if report.changed:
        lines.append("[bold]Changed outside perso[/bold] (last applied -> live):")
        for d in report.changed:
            note = " [dim](perso apply would revert this)[/dim]" if d.reverted_by_apply else ""
            lines.append(f"  [yellow]~ {escape(d.address)}[/yellow]{note}")
            for a in d.attributes:
                lines.append(f"      {escape(a.path)} = {escape(format_value(a.before))} -> "
                             f"{escape(format_value(a.after))}")
        lines.append("")
    if report.deleted:
        lines.append("[bold]Deleted outside perso:[/bold]")
        for d in report.deleted:
            status = f" ({d.status})" if d.status else ""
            lines.append(f"  [red]- {escape(d.address)}[/red] {escape(d.arn)}{escape(status)}")
        lines.append("")
    if report.unmanaged:
        lines.append("[bold]Unmanaged resources in managed dataset groups:[/bold]")
        for u in report.unmanaged:
            lines.append(f"  [magenta]? {escape(u.address)}[/magenta] {escape(u.arn)}")
        lines.append("")
    spec_pending = report.spec_pending
    if spec_pending:
        lines.append("[bold]Changes pending in the spec[/bold] (`perso apply` would make them):")
        for p in spec_pending:
            lines.append(f"  {escape(p.change.action.symbol.strip() or '~')} {escape(describe_change(p.change))}")
        lines.append("")
    if report.ignored:
        lines.append(f"[dim]{len(report.ignored)} finding(s) ignored by the ignore file.[/dim]")
    for warning in report.warnings:
        lines.append(f"[yellow]warning:[/yellow] {escape(warning)}")
    style = "red" if report.has_drift else "yellow" if report.has_changes else "green"
    lines.append(f"[bold {style}]{escape(drift_headline(report))}[/bold {style}]")
    return "\n".join(lines)

"""Plans, apply results and drift as text for people, with rich markup. Every piece of user text
(addresses, values, messages) goes through `escape`, and the CLI's consoles have emoji codes off,
so `[bold]` or `:fire:` in a value prints as written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from ..compare import value_at
from ..impact import destructive_line
from ..plan import Action, Change, Plan, Reason
from .describe import change_impacts, cost_notes, describe_change, drift_headline, format_value

if TYPE_CHECKING:
    from ..apply import StepResult
    from ..drift import DriftReport


_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red",
          Action.NOOP: "dim"}


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


def cost_section(plan: Plan) -> list[str]:
    """The plan's cost estimate (perso_iac/cost), when the engine attached one."""
    from ..cost.report import text_lines

    if plan.cost is None or not plan.cost.items:
        return []
    lines = [escape(line) for line in text_lines(plan.cost)]
    count = len(plan.cost.items)
    return ["", f"[bold]Cost ({escape(plan.cost.currency)}):[/bold]", *(f"  {line}" for line in lines[:count]),
            f"[bold]{lines[count]}[/bold]", *(f"[dim]{line}[/dim]" for line in lines[count + 1:])]


def summary_line(plan: Plan) -> str:
    return f"[bold]Plan:[/bold] {plan.summary_text()}."


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


def drift_text(report: DriftReport) -> str:
    """Drift for people, with rich markup (the CLI prints it)."""
    lines = []
    if report.changed:
        lines.append("[bold]Changed outside perso[/bold] (last applied -> live):")
        for d in report.changed:
            lines.append(f"  [yellow]~ {escape(d.address)}[/yellow] [dim]({escape(d.apply_note)})[/dim]")
            for a in d.attributes:
                lines.append(f"      {escape(a.path)} = {escape(format_value(a.before))} -> "
                             f"{escape(format_value(a.after))}")
        lines.append("")
    if report.deleted:
        lines.append("[bold]Deleted outside perso:[/bold]")
        for d in report.deleted:
            status = f" ({d.status})" if d.status else ""
            lines.append(f"  [red]- {escape(d.address)}[/red] {escape(d.arn)}{escape(status)} [dim]({escape(d.apply_note)})[/dim]")
        lines.append("")
    if report.unmanaged:
        lines.append("[bold]Unmanaged resources in managed dataset groups[/bold] (perso apply leaves them alone: "
                     "`perso import ADDRESS ARN` and add them to the spec, delete them, or list them in .persoignore):")
        for u in report.unmanaged:
            lines.append(f"  [magenta]? {escape(u.address)}[/magenta] {escape(u.arn)}")
        lines.append("")
    spec_pending = report.spec_pending
    if spec_pending:
        lines.append("[bold]Changes pending in the spec[/bold] (`perso apply` would make them):")
        for p in spec_pending:
            lines.append(f"  {escape(p.change.symbol.strip() or '~')} {escape(describe_change(p.change))}")
        lines.append("")
    if report.ignored:
        lines.append(f"[dim]{len(report.ignored)} finding(s) ignored (the ignore file, lifecycle.ignore_changes): "
                     f"{escape(', '.join(report.ignored))}[/dim]")
    for warning in report.warnings:
        lines.append(f"[yellow]warning:[/yellow] {escape(warning)}")
    style = "red" if report.has_drift else "yellow" if report.has_changes else "green"
    lines.append(f"[bold {style}]{escape(drift_headline(report))}[/bold {style}]")
    return "\n".join(lines)

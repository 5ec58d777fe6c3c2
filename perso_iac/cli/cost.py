"""`perso cost`: the stack's current monthly run-rate from what is live. Read-only."""

from __future__ import annotations

from typing import Any

import click

from .display import emit, escape
from .errors import handle_errors
from .options import common_options, format_option, load, merged_options
from .workspace import workspace


@click.command("cost")
@common_options
@format_option
@click.pass_context
@handle_errors
def cost_command(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Print the stack's monthly run-rate (campaigns, recommenders) from the live resources."""
    from .. import __version__
    from ..cost.estimate import run_rate
    from ..cost.report import markdown, text_lines
    from ..engine import read_state
    from ..observe import observe

    opts = merged_options(ctx, given)
    spec = load(opts)
    ws = workspace(opts, spec)
    state = read_state(ws.backend, spec.stack)
    observed = observe(ws.client, {}, state, ws.adapters, parallelism=ws.parallelism, tagging=ws.tagging)
    estimate = run_rate(state, observed, ws.prices)

    def text() -> str:
        if not estimate.items:
            return "Nothing live bills by the hour in this stack (no campaigns or active recommenders)."
        lines = [escape(line) for line in text_lines(estimate)]
        count = len(estimate.items)
        return "\n".join([f"[bold]Live resources billed by the hour ({escape(estimate.currency)}):[/bold]",
                          *(f"  {line}" for line in lines[:count]), f"[bold]{lines[count]}[/bold]",
                          *(f"[dim]{line}[/dim]" for line in lines[count + 1:])])

    emit(opts, fmt, text=text,
         document=lambda: {"format_version": "1.0", "kind": "cost", "perso_version": __version__,
                           "stack": spec.stack, "cost": estimate.to_dict()},
         markdown=lambda: f"### perso cost · `{spec.stack}`\n\n" + (markdown(estimate) or "Nothing billed by the hour.\n"))

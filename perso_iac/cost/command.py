"""`perso cost`: the stack's current monthly run-rate from what is live. Read-only.

Registered on the `perso` group in cli.py (`cli.add_command(cost_command, "cost")`).
"""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from .. import __version__
from ..engine import read_state
from ..observe import observe
from .estimate import run_rate
from .report import markdown, text_lines

from ..cli import (  # isort: skip  (cli.py owns the shared building blocks)
    FORMATS,
    common_options,
    emit,
    handle_errors,
    load,
    merged_options,
    workspace,
)


@click.command("cost")
@common_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              help="Output: text (default), json or markdown.")
@click.pass_context
@handle_errors
def cost_command(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Print the stack's monthly run-rate (campaigns, recommenders) from the live resources."""
    opts = merged_options(ctx, given)
    spec = load(opts)
    ws = workspace(opts, spec)
    state = read_state(ws.backend, spec.stack)
    observed = observe(ws.client, {}, state, ws.adapters, parallelism=ws.parallelism)
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

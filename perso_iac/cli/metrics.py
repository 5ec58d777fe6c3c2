"""`perso metrics`: offline metrics of the models the stack trains. Read-only."""

from __future__ import annotations

from typing import Any

import click

from .display import emit, escape
from .errors import handle_errors
from .options import common_options, format_option, load, merged_options
from .workspace import workspace


@click.command("metrics")
@common_options
@format_option
@click.pass_context
@handle_errors
def metrics_command(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Offline metrics of every model the stack trains: each solution's versions, the one each
    campaign serves, and the newest's deltas against it (GetSolutionMetrics)."""
    from ..engine import read_state
    from ..metrics import read_reports, render_markdown, render_text

    opts = merged_options(ctx, given)
    spec = load(opts)
    ws = workspace(opts, spec)
    reports = read_reports(ws.client, read_state(ws.backend, spec.stack), ws.adapters, parallelism=ws.parallelism)
    emit(opts, fmt, text=lambda: escape(render_text(reports)),
         document=lambda: {"models": [r.to_dict() for r in reports]},
         markdown=lambda: render_markdown(reports))

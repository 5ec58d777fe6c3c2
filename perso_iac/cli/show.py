"""`perso show [PLAN_FILE]` (a saved plan, or the state) and `perso graph` (the spec's dependencies)."""

from __future__ import annotations

from typing import Any

import click

from .display import emit
from .errors import handle_errors
from .options import common_options, format_option, load, merged_options, parse_vars
from .workspace import aws_settings, state_backend


@click.command("show")
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@common_options
@format_option
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, plan_file: str | None, fmt: str, **given: Any) -> None:
    """Show a saved plan (PLAN_FILE, from `perso plan --out`) or, without one, the state. Read-only."""
    from ..output.json import plan_report
    from ..output.markdown import plan_markdown
    from ..output.text import render_plan
    from ..planfile import read_plan_file
    from ..show import state_document, state_markdown, state_text
    from ..spec.locate import load_for_state

    opts = merged_options(ctx, given)
    if plan_file:
        saved = read_plan_file(plan_file, settings=aws_settings(opts))
        where = saved.origin.backend_description
        emit(opts, fmt, text=lambda: render_plan(saved.plan), document=lambda: plan_report(saved.plan, backend=where),
             markdown=lambda: plan_markdown(saved.plan, backend=where))
        return
    spec = load_for_state(opts.file, parse_vars(opts.vars), opts.var_files)  # no variables needed
    backend = state_backend(opts, spec)
    state, where = backend.read(), backend.describe()
    emit(opts, fmt, text=lambda: state_text(state, where=where), document=lambda: state_document(state, where=where),
         markdown=lambda: state_markdown(state, where=where))


@click.command("graph")
@common_options
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              help="dot (Graphviz: `perso graph | dot -Tsvg > graph.svg`) or mermaid (for Markdown).")
@click.pass_context
@handle_errors
def graph_command(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Print the spec's dependency graph: an arrow from each resource to what needs it. No AWS."""
    from ..show import to_dot, to_mermaid

    spec = load(merged_options(ctx, given))
    click.echo(to_dot(spec.resources, spec.stack) if fmt == "dot" else to_mermaid(spec.resources), nl=False)

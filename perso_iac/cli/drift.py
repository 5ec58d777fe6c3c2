"""`perso drift`: read-only; exit 0 in sync, 2 drift or pending changes, 1 error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .display import console_for, emit, escape
from .errors import handle_errors
from .options import common_options, format_option, load, merged_options
from .workspace import aws_settings, workspace


@click.command()
@common_options
@format_option
@click.option("--ignore-file", type=click.Path(dir_okay=False), default=None,
              help="Accepted drift: lines of ADDRESS or ADDRESS:ATTRIBUTE.PATH (default: .persoignore next to "
                   "the spec, when present).")
@click.option("--no-unmanaged", is_flag=True, help="Do not look for unmanaged resources in managed dataset groups.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None,
              help="Write ignore rules accepting every finding of this run to FILE.")
@click.option("--json-out", type=click.Path(dir_okay=False), default=None,
              help="Also write the JSON report to FILE or s3://... (one refresh for both the log and a CI artifact).")
@click.pass_context
@handle_errors
def drift(ctx: click.Context, fmt: str, ignore_file: str | None, no_unmanaged: bool, write_baseline: str | None,
          json_out: str | None, **given: Any) -> None:
    """Report changes made outside perso, unmanaged resources and pending spec changes. Read-only.

    Exit 0: in sync; 2: drift or pending changes found; 1: error."""
    from ..artifacts import write_text
    from ..drift import baseline_lines, load_ignore
    from ..engine import detect_drift
    from ..output.json import drift_report, to_json
    from ..output.markdown import drift_markdown
    from ..output.text import drift_text
    from ..state.backend import ci_run_url

    opts = merged_options(ctx, given)
    spec = load(opts)
    if ignore_file is None:
        default = Path(opts.file).resolve().parent / ".persoignore"
        ignore_file = str(default) if default.is_file() else None
    ignore = load_ignore(ignore_file)
    report = detect_drift(workspace(opts, spec), ignore=ignore, unmanaged=not no_unmanaged)
    emit(opts, fmt, text=lambda: drift_text(report), document=lambda: drift_report(report),
         markdown=lambda: drift_markdown(report, link=ci_run_url()))
    if json_out:
        write_text(json_out, to_json(drift_report(report)) + "\n", aws_settings(opts, spec))
    if write_baseline:
        lines = baseline_lines(report)
        Path(write_baseline).write_text(f"# accepted drift of stack {spec.stack}, written by `perso drift`\n"
                                        + "".join(f"{line}\n" for line in lines))
        console_for(opts, stderr=True).print(f"Wrote {len(lines)} ignore rule(s) to {escape(write_baseline)}.")
    ctx.exit(report.exit_code)

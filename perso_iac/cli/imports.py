"""`perso import` and `perso output`: adopting existing resources, and printing what other
systems need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import PersoError
from .display import console_for, escape
from .errors import handle_errors
from .options import common_options, load, merged_options, parse_vars
from .workspace import personalize_client, state_backend, workspace

if TYPE_CHECKING:
    from ..spec.model import Ref, Spec
    from ..state.model import StateFile


@click.command("import")
@common_options
@click.argument("address", required=False)
@click.argument("arn", required=False)
@click.option("--dataset-group", "group_name", default=None,
              help="Discover and import everything in this dataset group (by name).")
@click.option("--generate-spec", "spec_out", default=None, type=click.Path(dir_okay=False),
              help="With --dataset-group: write the spec for what was found to FILE and import into its state.")
@click.pass_context
@handle_errors
def import_command(ctx: click.Context, address: str | None, arn: str | None, group_name: str | None,
                   spec_out: str | None, **given: Any) -> None:
    """Adopt existing resources into the state: `perso import ADDRESS ARN`, or
    `perso import --dataset-group NAME [--generate-spec FILE]`. The next plan then updates
    them in place (or shows no changes) instead of creating them again."""
    from ..engine import Workspace, import_discovered_resources, import_into_state
    from ..importer import discover_dataset_group, generate_spec

    opts = merged_options(ctx, given)
    out = console_for(opts)
    if group_name is None:
        if not address or not arn:
            raise click.UsageError("give ADDRESS and ARN, or --dataset-group NAME")
        if spec_out:
            raise click.UsageError("--generate-spec goes with --dataset-group")
        spec = load(opts)
        resource = spec.resources.get(address)
        if resource is None:
            raise PersoError(f"{address} is not declared in {opts.file}",
                             hint="add it to the spec first, or use `perso import --dataset-group NAME "
                                  "--generate-spec FILE` to write the spec for you")
        imported = import_into_state(workspace(opts, spec), address, arn)
        out.print(f"[green]Imported[/green] {escape(address)} ({escape(imported.arn)}).")
        return

    if address or arn:
        raise click.UsageError("ADDRESS and ARN cannot be combined with --dataset-group")
    if spec_out:
        target = Path(spec_out)
        if target.exists():
            raise PersoError(f"{spec_out} already exists", hint="choose a new file name; perso never overwrites a spec")
        client = personalize_client(opts)
        discovered = discover_dataset_group(client, group_name)
        target.write_text(generate_spec(discovered))
        out.print(f"Wrote {escape(spec_out)} ({len(discovered)} resources).")
        opts.file = spec_out
        spec = load(opts)
        ws = Workspace(spec=spec, backend=state_backend(opts, spec), client=client, parallelism=opts.parallelism,
                       lock_timeout=opts.lock_timeout)
    else:
        spec = load(opts)
        ws = workspace(opts, spec)
        discovered = discover_dataset_group(ws.client, group_name)
    done = import_discovered_resources(ws, discovered)
    imported, skipped, state = done.imported, done.skipped, done.state
    for res in imported:
        out.print(f"[green]Imported[/green] {escape(res.address)} ({escape(res.arn)})")
    for item in skipped:
        why = "already in the state" if item.address in state.resources else f"not declared in {opts.file}"
        out.print(f"[yellow]Skipped[/yellow] {escape(item.address)} ({escape(item.arn)}): {escape(why)}")
    out.print(f"{len(imported)} imported, {len(skipped)} skipped. Run `perso plan` to compare with the spec.")


def output_values(spec: Spec, state: StateFile) -> dict[str, Any]:
    """The spec's outputs resolved from the state: None where a referenced resource has not
    been applied yet (or has no such value)."""
    from ..compare import contains_ref
    from ..diff import resolve

    def lookup(ref: Ref) -> Any:
        res = state.resources.get(ref.address)
        if res is None:
            return None
        return res.arn if ref.attr == "arn" else res.outputs.get(ref.attr)

    values: dict[str, Any] = {}
    for name, output in spec.outputs.items():
        value = resolve(output.value, lookup)
        values[name] = None if contains_ref(value) else value
    return values


@click.command("output")
@common_options
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@handle_errors
def output_command(ctx: click.Context, name: str | None, fmt: str, **given: Any) -> None:
    """Print the spec's outputs (ARNs, tracking ids...) from the state, for applications,
    Lambdas or Terraform's `external` data source. With NAME, print just that value."""
    from ..spec.locate import load_for_state

    opts = merged_options(ctx, given)
    spec = load_for_state(opts.file, parse_vars(opts.vars), opts.var_files)  # no variables needed
    state = state_backend(opts, spec).read()
    values = output_values(spec, state)
    if name is not None:
        if name not in values:
            known = ", ".join(sorted(values)) or "none declared"
            raise PersoError(f"no output named '{name}'", hint=f"outputs: {known}")
        value = values[name]
        if value is None:
            raise PersoError(f"output '{name}' has no value yet", hint="run `perso apply` first")
        click.echo(json.dumps(value) if fmt == "json" else (value if isinstance(value, str) else json.dumps(value)))
        return
    if fmt == "json":
        # A flat {"name": "value"} object: what Terraform's `external` data source reads.
        missing = [k for k, v in values.items() if v is None]
        if missing:
            console_for(opts, stderr=True).print(
                f"[yellow]warning:[/yellow] not yet applied, left out: {escape(', '.join(missing))}")
        click.echo(json.dumps({k: v for k, v in values.items() if v is not None}, indent=2))
        return
    if not values:
        console_for(opts).print("No outputs are declared in the spec (`outputs:`).")
        return
    for key, value in values.items():
        shown = "(not yet applied)" if value is None else (value if isinstance(value, str) else json.dumps(value))
        click.echo(f"{key} = {shown}")

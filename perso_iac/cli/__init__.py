"""The `perso` command: a thin layer that parses options, calls the engine (perso_iac.engine),
prints through perso_iac.output and maps errors to exit codes. The only package that prints.

    options.py    the options every command takes; reading the spec they name
    errors.py     errors -> message, hint and exit code (0 ok, 2 changes/drift, 1 any error, 130 ^C)
    display.py    consoles, one document per format, apply progress, the confirmation prompt
    workspace.py  options -> AWS client (or the embedded emulator), state backend, waiter
    spec.py run.py drift.py imports.py state.py show.py cost.py metrics.py    one module per command group

Heavy modules (boto3, the emulator, jsonschema) are imported inside the commands that use them,
so `perso --help`, `perso validate` and `perso schema` start fast.
"""

from __future__ import annotations

from typing import Any

import click

from .cost import cost_command
from .display import Progress, console_for
from .drift import drift
from .errors import PersoGroup
from .imports import import_command, output_command
from .metrics import metrics_command
from .options import Options, common_options, set_given
from .run import apply, destroy, plan
from .show import graph_command, show_command
from .spec import schema_command, validate
from .state import state_group


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """click.version_option, with the version looked up only when asked (importlib.metadata is slow)."""
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__

    click.echo(f"perso, version {__version__}", color=ctx.color)
    ctx.exit()


@click.group(cls=PersoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, **given: Any) -> None:
    """perso: infrastructure as code for Amazon Personalize."""
    opts = set_given(Options(), given)
    ctx.obj = opts
    ctx.call_on_close(lambda: [cleanup() for cleanup in reversed(opts.cleanups)])


class _LazyEmulator(click.Command):
    """`perso emulator`, loaded only when run (or asked for its help)."""

    def _real(self) -> click.Command:
        from ..emulator.command import emulator_command

        return emulator_command

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self._real().invoke(ctx)


for command in (validate, plan, apply, destroy, drift, metrics_command, cost_command, show_command, graph_command,
                schema_command):
    cli.add_command(command)
cli.add_command(import_command, "import")
cli.add_command(output_command, "output")
cli.add_command(_LazyEmulator("emulator", help="Run a local Amazon Personalize emulator that boto3 can talk to."),
                "emulator")
cli.add_command(state_group, "state")


def main() -> None:
    cli(prog_name="perso")


__all__ = ["Options", "Progress", "cli", "console_for", "main"]

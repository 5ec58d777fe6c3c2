"""The `perso` command. The only module that prints and picks exit codes.

Exit codes: 0 success; 1 error; 2 (plan --detailed-exitcode) changes present.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from . import __version__
from .apply import ApplyEvent
from .aws import AwsSettings, make_client
from .engine import Workspace, apply_plan, refresh_and_plan
from .errors import ApplyError, PersoError, SpecValidationError, StateError
from .plan import Plan
from .render import render_plan, render_results
from .spec.loader import load_spec
from .spec.model import Spec
from .spec.schema import spec_json_schema
from .state.backend import locked
from .state.factory import make_backend, save_errored_state
from .wait import Waiter

LOCAL_DIR = ".perso"
LOCAL_TIME_SCALE = 0.001  # an hour of training takes 3.6 s in the embedded emulator


@dataclass
class Options:
    """Common options; given on the group (`perso --local plan`) or the command (`perso plan --local`)."""

    file: str = "perso.yaml"
    vars: tuple[str, ...] = ()
    var_files: tuple[str, ...] = ()
    region: str | None = None
    profile: str | None = None
    parallelism: int = 10
    no_color: bool = False
    local: bool = False
    state: str | None = None
    debug: bool = False
    cleanups: list[Callable[[], None]] = field(default_factory=list)


_COMMON = [
    click.option("-f", "--file", "file", default=None, help="The spec file (default perso.yaml)."),
    click.option("--var", "vars", multiple=True, help="Set a variable: KEY=VALUE (repeatable)."),
    click.option("--var-file", "var_files", multiple=True, help="YAML/JSON file of variables (repeatable)."),
    click.option("--region", default=None, help="AWS region (default: from the spec or AWS config)."),
    click.option("--profile", default=None, help="AWS profile."),
    click.option("--parallelism", type=click.IntRange(1, 64), default=None, help="Concurrent AWS operations (10)."),
    click.option("--no-color", is_flag=True, default=None, help="Plain output (NO_COLOR is honoured too)."),
    click.option("--local", is_flag=True, default=None,
                 help="Use the embedded Personalize emulator and local state under .perso/."),
    click.option("--state", default=None, help="State location: a path or s3://bucket/key."),
    click.option("--debug", is_flag=True, default=None, help="Show tracebacks for unexpected errors."),
]


def common_options(func: Callable) -> Callable:
    for option in reversed(_COMMON):
        func = option(func)
    return func


def merged_options(ctx: click.Context, given: dict[str, Any]) -> Options:
    """The group's options overridden by the command's own."""
    base: Options = ctx.find_object(Options) or Options()
    for key, value in given.items():
        if value not in (None, ()):
            setattr(base, key, value)
    return base


def console_for(opts: Options, stderr: bool = False) -> Console:
    no_color = opts.no_color or "NO_COLOR" in os.environ
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True,
                   force_terminal=None if not no_color else False)


def handle_errors(func: Callable) -> Callable:
    """Turn perso's errors into a message, a hint and exit code 1; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        opts: Options = ctx.find_object(Options) or Options()
        err = console_for(opts, stderr=True)
        try:
            return func(*args, **kwargs)
        except SpecValidationError as exc:
            for problem in exc.problems:
                err.print(f"[red]error[/red] {escape(str(problem))}")
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            ctx.exit(1)
        except ApplyError as exc:
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"[dim]hint: {escape(exc.hint)}[/dim]")
            ctx.exit(1)
        except PersoError as exc:
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"[dim]hint: {escape(exc.hint)}[/dim]")
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            err.print("[red]Interrupted.[/red] State was saved after every completed step; run the command again.")
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if opts.debug:
                raise
            err.print(f"[red]Internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))}")
            err.print("[dim]hint: run again with --debug for a traceback, and report it[/dim]")
            ctx.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(__version__, prog_name="perso")
@click.pass_context
def cli(ctx: click.Context, **given: Any) -> None:
    """perso: infrastructure as code for Amazon Personalize."""
    opts = Options()
    for key, value in given.items():
        if value not in (None, ()):
            setattr(opts, key, value)
    ctx.obj = opts
    ctx.call_on_close(lambda: [cleanup() for cleanup in reversed(opts.cleanups)])


# -- building blocks -----------------------------------------------------------------------------

def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise PersoError(f"--var {pair!r} is not KEY=VALUE", hint="e.g. --var env=prod")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def load(opts: Options) -> Spec:
    return load_spec(opts.file, variables=parse_vars(opts.vars), var_files=opts.var_files)


def local_endpoint(opts: Options) -> str:
    """Start the embedded emulator over `.perso/emulator` for the duration of the command."""
    from .emulator import EmulatorConfig, EmulatorServer

    scale = None if os.environ.get("PERSO_EMULATOR_TIME_SCALE") else LOCAL_TIME_SCALE
    config = EmulatorConfig.from_env(data_dir=Path(LOCAL_DIR) / "emulator", time_scale=scale)
    server = EmulatorServer(config, port=0).start()
    opts.cleanups.append(server.stop)
    return server.endpoint_url


def workspace(opts: Options, spec: Spec) -> Workspace:
    settings = AwsSettings(region=opts.region or spec.region, profile=opts.profile,
                           max_pool_connections=opts.parallelism)
    endpoint = None
    if opts.local:
        endpoint = local_endpoint(opts)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    client = make_client("personalize", settings, endpoint_url=endpoint)
    spec_dir = Path(opts.file).resolve().parent
    backend = make_backend(None if opts.local and not opts.state else spec.backend, opts.state,
                           stack=spec.stack, spec_dir=spec_dir, settings=settings)
    return Workspace(spec=spec, backend=backend, client=client, parallelism=opts.parallelism)


def waiter_for(opts: Options) -> Waiter:
    fast = opts.local
    initial = float(os.environ.get("PERSO_POLL_INITIAL", 0.1 if fast else 2.0))
    maximum = float(os.environ.get("PERSO_POLL_MAX", 1.0 if fast else 30.0))
    return Waiter(initial_delay=initial, max_delay=maximum)


class Progress:
    """Apply progress: timestamped lines in CI and logs, coloured lines on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()

    def __call__(self, event: ApplyEvent) -> None:
        elapsed = time.monotonic() - self.started
        style = {"done": "green", "failed": "red", "skipped": "yellow"}.get(event.kind, "cyan")
        stamp = time.strftime("%H:%M:%S") if not self.console.is_terminal else f"{elapsed:6.1f}s"
        text = f"{event.kind}: {event.step}" + (f" ({event.message})" if event.message else "")
        self.console.print(f"[dim]{stamp}[/dim] {escape(event.address)}: [{style}]{escape(text)}[/{style}]")


def confirm(console: Console, what: str) -> bool:
    if not sys.stdin.isatty():
        raise PersoError(f"{what} needs confirmation but the input is not a terminal",
                         hint="review the plan above and pass --auto-approve")
    console.print(f"\n[bold]Do you want to {what}?[/bold] Only 'yes' will be accepted.")
    return click.prompt("  Enter a value", default="", show_default=False).strip() == "yes"


def run_apply(opts: Options, *, destroy: bool, auto_approve: bool) -> None:
    out = console_for(opts)
    spec = load(opts)
    ws = workspace(opts, spec)
    verb = "destroy" if destroy else "apply"
    with locked(ws.backend, verb):
        refreshed = refresh_and_plan(ws, destroy=destroy)
        plan: Plan = refreshed.plan
        out.print(render_plan(plan))
        if not plan.actionable:
            return
        if not auto_approve and not confirm(out, "destroy all resources of this stack" if destroy else "perform these actions"):
            out.print("Cancelled; nothing was changed.")
            return
        out.print("")
        try:
            results = apply_plan(ws, plan, refreshed.state, waiter=waiter_for(opts), on_event=Progress(out))
        except StateError:
            path = save_errored_state(refreshed.state, Path.cwd())
            raise StateError(
                f"the state could not be saved to {ws.backend.describe()}; it was written to {path}",
                hint=f"fix access to the backend, then run `perso state push {path}`",
            ) from None
        except ApplyError as exc:
            out.print(render_results(exc.results or []))
            raise
        out.print(render_results(results))


# -- commands ------------------------------------------------------------------------------------

@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@handle_errors
def validate(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Check the spec without calling AWS: structure, references, names, Avro schemas, recipes."""
    opts = merged_options(ctx, given)
    try:
        spec = load(opts)
    except SpecValidationError as exc:
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "problems": [p.__dict__ for p in exc.problems]}, indent=2))
            ctx.exit(1)
        raise
    if fmt == "json":
        click.echo(json.dumps({"valid": True, "problems": [], "resources": len(spec.resources)}, indent=2))
    else:
        console_for(opts).print(f"[green]The spec is valid:[/green] {len(spec.resources)} resources in stack "
                                f"'{escape(spec.stack)}'.")


@cli.command()
@common_options
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything in the state.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--lock/--no-lock", "take_lock", default=False, help="Hold the state lock while planning.")
@click.pass_context
@handle_errors
def plan(ctx: click.Context, destroy: bool, detailed_exitcode: bool, take_lock: bool, **given: Any) -> None:
    """Show what apply would change: create, update in place, replace, destroy."""
    opts = merged_options(ctx, given)
    ws = workspace(opts, load(opts))
    with locked(ws.backend, "plan", enabled=take_lock):
        refreshed = refresh_and_plan(ws, destroy=destroy)
    console_for(opts).print(render_plan(refreshed.plan))
    if detailed_exitcode and refreshed.plan.has_changes():
        ctx.exit(2)


@cli.command()
@common_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.pass_context
@handle_errors
def apply(ctx: click.Context, auto_approve: bool, **given: Any) -> None:
    """Make AWS match the spec, waiting for each resource; state is saved after every step."""
    run_apply(merged_options(ctx, given), destroy=False, auto_approve=auto_approve)


@cli.command()
@common_options
@click.option("--auto-approve", is_flag=True, help="Destroy without asking for confirmation.")
@click.pass_context
@handle_errors
def destroy(ctx: click.Context, auto_approve: bool, **given: Any) -> None:
    """Delete everything in the state, in the order AWS requires (honours prevent_destroy)."""
    run_apply(merged_options(ctx, given), destroy=True, auto_approve=auto_approve)


@cli.command("schema")
def schema_command() -> None:
    """Print the spec's JSON Schema (for editors and linters)."""
    click.echo(json.dumps(spec_json_schema(), indent=2))


def main() -> None:
    cli(prog_name="perso")

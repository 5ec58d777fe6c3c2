"""The `perso` command. The only module that prints and picks exit codes.

Exit codes: 0 success; 2 changes present (`plan --detailed-exitcode`) or drift or pending
changes found (`drift`), and nothing else ever exits 2; 1 every error, click's usage errors
(a bad flag, a bad value, a missing argument) included; 130 interrupted. See docs/ci.md.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from . import __version__
from .apply import ApplyEvent, StepResult
from .aws import AwsSettings, make_client
from .drift import baseline_lines, detect_drift, load_ignore
from .engine import Workspace, apply_plan, conflicts_error, refresh_and_plan
from .errors import ApplyError, PersoError, SpecValidationError, StateError
from .observe import observe
from .plan import Plan
from .planfile import Origin, build_document, live_moved, read_plan_file, spec_moved, stale_error, state_moved
from .planfile import write_plan_file as save_plan_file
from .render import render_plan, render_results
from .report import (
    apply_markdown,
    apply_report,
    drift_markdown,
    drift_report,
    drift_text,
    error_document,
    error_info,
    plan_has_changes,
    plan_markdown,
    plan_report,
    to_json,
    validate_markdown,
    validate_report,
)
from .spec.loader import load_spec
from .spec.model import Spec
from .spec.schema import spec_json_schema
from .state.backend import StateBackend, ci_run_url, locked
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
    lock_timeout: float = 0.0
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    emitted: bool = False  # the command's document is on stdout: an error adds no second one


class Duration(click.ParamType):
    """Seconds, or a number with s/m/h: `30`, `90s`, `5m`, `1h`."""

    name = "duration"
    _UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        if not match:
            self.fail(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)", param, ctx)
        return float(match.group(1)) * self._UNITS[match.group(2)]


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
    click.option("--lock-timeout", type=Duration(), default=None,
                 help="How long to wait for a held state lock (e.g. 30s, 5m; default: fail at once)."),
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
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True, emoji=False,
                   force_terminal=None if not no_color else False)


def handle_errors(func: Callable) -> Callable:
    """Turn perso's errors into a message, a hint and exit code 1 (130 when interrupted); never a
    traceback. With `--format json`, the error is also a JSON document on stdout."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        opts: Options = ctx.find_object(Options) or Options()
        err = console_for(opts, stderr=True)

        def fail(exc: BaseException, exit_code: int = 1, **info: Any) -> None:
            if kwargs.get("fmt") == "json" and not opts.emitted:
                click.echo(to_json(error_document(ctx.command_path.partition(" ")[2] or None,
                                                  error_info(exc, **info), exit_code)))
            ctx.exit(exit_code)

        try:
            return func(*args, **kwargs)
        except SpecValidationError as exc:
            for problem in exc.problems:
                err.print(f"[red]error[/red] {escape(str(problem))}")
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            fail(exc)
        except PersoError as exc:
            err.print(f"[red]Error:[/red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"[dim]hint: {escape(exc.hint)}[/dim]")
            fail(exc)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            message = "Interrupted. State was saved after every completed step; run the command again."
            err.print(f"[red]Interrupted.[/red] {message.removeprefix('Interrupted. ')}")
            fail(exc, 130, code="interrupted", message=message)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if opts.debug:
                raise
            err.print(f"[red]Internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))}")
            hint = "run again with --debug for a traceback, and report it"
            err.print(f"[dim]hint: {hint}[/dim]")
            fail(exc, message=f"Internal error: {type(exc).__name__}: {exc}", hint=hint)

    return wrapper


def _wants_json(args: list[str]) -> bool:
    """Whether the command line asks for `--format json` (read before click could parse it)."""
    return any(a == "--format=json" or (a == "--format" and b == "json") for a, b in zip(args, [*args[1:], ""], strict=True))


class PersoGroup(click.Group):
    """click's group, with exit code 1 for usage errors (click's default, 2, means "changes" here)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            if _wants_json(argv):
                command = next((a for a in argv if a in self.commands), None)
                file = exc.filename if isinstance(exc, click.FileError) else None
                info = error_info(exc, code="usage_error", message=exc.format_message(), file=file)
                click.echo(to_json(error_document(command, info)))
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=PersoGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def aws_settings(opts: Options, spec: Spec | None = None) -> AwsSettings:
    return AwsSettings(region=opts.region or (spec.region if spec else None), profile=opts.profile,
                       max_pool_connections=opts.parallelism)


def personalize_client(opts: Options, spec: Spec | None = None) -> Any:
    """A Personalize client: AWS through boto3's chain, or the embedded emulator with --local."""
    endpoint = None
    if opts.local:
        endpoint = local_endpoint(opts)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return make_client("personalize", aws_settings(opts, spec), endpoint_url=endpoint)


def state_backend(opts: Options, spec: Spec) -> StateBackend:
    """--state wins; with --local the spec's backend is ignored in favour of .perso/state/."""
    spec_dir = Path(opts.file).resolve().parent
    return make_backend(None if opts.local and not opts.state else spec.backend, opts.state,
                        stack=spec.stack, spec_dir=spec_dir, settings=aws_settings(opts, spec))


def workspace(opts: Options, spec: Spec) -> Workspace:
    return Workspace(spec=spec, backend=state_backend(opts, spec), client=personalize_client(opts, spec),
                     parallelism=opts.parallelism)


def waiter_for(opts: Options) -> Waiter:
    fast = opts.local
    initial = float(os.environ.get("PERSO_POLL_INITIAL", 0.1 if fast else 2.0))
    maximum = float(os.environ.get("PERSO_POLL_MAX", 1.0 if fast else 30.0))
    return Waiter(initial_delay=initial, max_delay=maximum)


class Progress:
    """Apply progress. In CI and logs: one timestamped line per event. On a terminal: finished
    steps scroll by while a live table shows what is in flight, its status and for how long."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.active: dict[str, tuple[str, str, float]] = {}  # address -> (step, status, since)
        self._lock = threading.Lock()
        self._live = Live(console=console, refresh_per_second=4, transient=True) if console.is_terminal else None

    def __enter__(self) -> Progress:
        if self._live:
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.stop()

    def __call__(self, event: ApplyEvent) -> None:
        with self._lock:
            now = time.monotonic()
            if event.kind in ("start", "progress"):
                step, _, since = self.active.get(event.address, (event.step, "", now))
                self.active[event.address] = (step, event.message if event.kind == "progress" else "", since)
            else:
                self.active.pop(event.address, None)
            if self._live is None or event.kind not in ("start", "progress"):
                self._print(event, now)
            if self._live:
                self._live.update(self)

    def _print(self, event: ApplyEvent, now: float) -> None:
        style = {"done": "green", "failed": "red", "skipped": "yellow"}.get(event.kind, "cyan")
        stamp = f"{now - self.started:6.1f}s" if self._live else time.strftime("%H:%M:%S")
        text = f"{event.kind}: {event.step}" + (f" ({event.message})" if event.message else "")
        self.console.print(f"[dim]{stamp}[/dim] {escape(event.address)}: [{style}]{escape(text)}[/{style}]")

    def __rich__(self) -> Table:
        """Rendered by the live display on every refresh, so the elapsed times keep counting."""
        now = time.monotonic()
        table = Table(box=None, show_header=False, padding=(0, 1))
        for address, (step, status, since) in sorted(self.active.items()):
            table.add_row("[cyan]…[/cyan]", escape(address), step, escape(status), f"{now - since:5.0f}s")
        return table


def confirm(console: Console, what: str) -> bool:
    if not sys.stdin.isatty():
        raise PersoError(f"{what} needs confirmation but the input is not a terminal",
                         hint="review the plan above and pass --auto-approve")
    console.print(f"\n[bold]Do you want to {what}?[/bold] Only 'yes' will be accepted.")
    return click.prompt("  Enter a value", default="", show_default=False).strip() == "yes"


FORMATS = ["text", "json", "markdown"]
_FORMAT_HELP = "Output: text (default; colour on a terminal), json (docs/perso-json.schema.json) or markdown."


def emit(opts: Options, fmt: str, *, text: Callable[[], str], document: Callable[[], dict],
         markdown: Callable[[], str]) -> None:
    """Print the result in the chosen format: JSON and markdown on stdout, alone."""
    if fmt == "json":
        click.echo(to_json(document()))
    elif fmt == "markdown":
        click.echo(markdown())
    else:
        console_for(opts).print(text())
    opts.emitted = True


def run_apply(opts: Options, *, destroy: bool, auto_approve: bool, fmt: str = "text") -> None:
    log = console_for(opts, stderr=fmt != "text")
    if fmt != "text" and not auto_approve:
        raise PersoError(f"--format {fmt} cannot ask for confirmation",
                         hint="pass --auto-approve, or apply a reviewed saved plan: `perso apply FILE`")
    spec = load(opts)
    ws = workspace(opts, spec)
    verb = "destroy" if destroy else "apply"
    with locked(ws.backend, verb, timeout=opts.lock_timeout) as lock:
        refreshed = refresh_and_plan(ws, destroy=destroy)
        plan: Plan = refreshed.plan
        log.print(render_plan(plan))
        conflict = conflicts_error(plan)
        if conflict is not None:
            raise conflict
        if not plan.actionable:
            report_apply(opts, fmt, ws, plan, [])
            return
        if not auto_approve and not confirm(log, "destroy all resources of this stack" if destroy else "perform these actions"):
            log.print("Cancelled; nothing was changed.")
            return
        log.print("")
        execute_plan(opts, ws, plan, refreshed.state, fmt=fmt, log=log, lock_id=lock.id)


def report_apply(opts: Options, fmt: str, ws: Workspace, plan: Plan, results: list[StepResult], *,
                 error: PersoError | None = None, plan_file: str | None = None) -> None:
    if fmt == "text":
        return
    doc = apply_report(plan, results, error=error, backend=ws.backend.describe(), plan_file=plan_file)
    emit(opts, fmt, text=str, document=lambda: doc, markdown=lambda: apply_markdown(doc))


def execute_plan(opts: Options, ws: Workspace, plan: Plan, state: Any, *, fmt: str, log: Console,
                 plan_file: str | None = None, lock_id: str | None = None) -> None:
    """Apply `plan` to `state` (read under the lock the caller holds) and report the results."""
    try:
        with Progress(log) as progress:
            results = apply_plan(ws, plan, state, waiter=waiter_for(opts), on_event=progress)
    except StateError:
        path = save_errored_state(state, Path.cwd())
        # In this order: a push is refused while this run's lock is still held.
        unlock = f"`perso state unlock {lock_id}`" if lock_id else "`perso state unlock`"
        error = StateError(
            f"the state could not be saved to {ws.backend.describe()}; it was written to {path}",
            hint=f"once the backend is reachable again, first release this run's lock if it is still held "
                 f"({unlock}), then run `perso state push {path}`",
        )
        report_apply(opts, fmt, ws, plan, [], error=error, plan_file=plan_file)
        raise error from None
    except ApplyError as exc:
        log.print(render_results(exc.results or []))
        report_apply(opts, fmt, ws, plan, list(exc.results or []), error=exc, plan_file=plan_file)
        raise
    log.print(render_results(results))
    report_apply(opts, fmt, ws, plan, results, plan_file=plan_file)


def plan_origin(opts: Options, spec: Spec, ws: Workspace) -> Origin:
    """What `perso apply FILE` needs to find the state and the spec again, with no -f or --state."""
    return Origin(spec_file=_portable(opts.file), variables=parse_vars(opts.vars),
                  var_files=tuple(_portable(f) for f in opts.var_files),
                  state=opts.state if opts.state is None or opts.state.startswith("s3://") else _portable(opts.state),
                  backend=spec.backend, backend_description=ws.backend.describe(),
                  region=opts.region or spec.region, local=opts.local)


def _portable(path: str) -> str:
    """`path` relative to the working directory when it is under it (CI checkouts move around)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(Path(path).resolve())


def run_saved_apply(opts: Options, plan_file: str, fmt: str) -> None:
    """`perso apply FILE`: apply exactly the reviewed plan, or refuse it as stale and say why."""
    log = console_for(opts, stderr=fmt != "text")
    if opts.vars or opts.var_files:
        raise PersoError("--var and --var-file cannot be combined with a saved plan: it records the variables "
                         "it was made with", hint=f"apply it as is (`perso apply {plan_file}`), or re-plan")
    saved = read_plan_file(plan_file)
    origin = saved.origin
    if opts.file == Options.file:  # no -f: look for the spec where the plan was made from
        opts.file = origin.spec_file
    opts.vars = tuple(f"{k}={v}" for k, v in origin.variables.items())
    opts.var_files = tuple(origin.var_files)
    opts.state = opts.state or origin.state
    opts.region = opts.region or origin.region
    opts.local = opts.local or origin.local
    moved: list[str] = []
    try:
        current = load(opts)
    except (PersoError, OSError) as exc:
        log.print(f"[yellow]warning:[/yellow] cannot check whether the spec changed since the plan "
                  f"({escape(str(exc))}); applying the plan as saved")
    else:
        moved += spec_moved(saved, current.digest)
    spec = saved.spec()
    ws = workspace(opts, spec)
    with locked(ws.backend, "apply", timeout=opts.lock_timeout) as lock:
        state = ws.backend.read()
        if not state.serial:
            state.stack = spec.stack
        moved += state_moved(saved, state)
        if not moved:
            observed = observe(ws.client, spec.resources, state, ws.adapters, parallelism=ws.parallelism)
            moved += live_moved(saved, observed)
        if moved:
            raise stale_error(plan_file, moved, saved)
        plan = saved.plan
        log.print(f"Applying the saved plan {escape(plan_file)} (state serial {plan.serial}, "
                  f"{escape(ws.backend.describe())}).")
        log.print(render_plan(plan))
        conflict = conflicts_error(plan)
        if conflict is not None:
            raise conflict
        if not plan.actionable:
            report_apply(opts, fmt, ws, plan, [], plan_file=plan_file)
            return
        log.print("")
        execute_plan(opts, ws, plan, state, fmt=fmt, log=log, plan_file=plan_file, lock_id=lock.id)


# -- commands ------------------------------------------------------------------------------------

@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=_FORMAT_HELP)
@click.pass_context
@handle_errors
def validate(ctx: click.Context, fmt: str, **given: Any) -> None:
    """Check the spec without calling AWS: structure, references, names, Avro schemas, recipes."""
    opts = merged_options(ctx, given)
    try:
        spec = load(opts)
    except SpecValidationError as exc:
        if fmt != "text":
            doc = validate_report(problems=exc.problems)
            emit(opts, fmt, text=str, document=lambda: doc, markdown=lambda: validate_markdown(doc))
            ctx.exit(1)
        raise
    except PersoError as exc:
        if fmt != "text":
            doc = validate_report(error=exc.message)
            emit(opts, fmt, text=str, document=lambda: doc, markdown=lambda: validate_markdown(doc))
        raise
    doc = validate_report(stack=spec.stack, resources=len(spec.resources))
    emit(opts, fmt, document=lambda: doc, markdown=lambda: validate_markdown(doc),
         text=lambda: f"[green]The spec is valid:[/green] {len(spec.resources)} resources in stack "
                      f"'{escape(spec.stack)}'.")


@cli.command()
@common_options
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything in the state.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--lock/--no-lock", "take_lock", default=False, help="Hold the state lock while planning.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Save the plan to FILE; `perso apply FILE` applies exactly it (no -f/--state needed).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=_FORMAT_HELP)
@click.pass_context
@handle_errors
def plan(ctx: click.Context, destroy: bool, detailed_exitcode: bool, take_lock: bool, out_file: str | None,
         fmt: str, **given: Any) -> None:
    """Show what apply would change: create, update in place, replace, destroy."""
    opts = merged_options(ctx, given)
    spec = load(opts)
    ws = workspace(opts, spec)
    with locked(ws.backend, "plan", enabled=take_lock, timeout=opts.lock_timeout):
        refreshed = refresh_and_plan(ws, destroy=destroy)
    result, backend = refreshed.plan, ws.backend.describe()
    conflict = conflicts_error(result)
    if out_file and conflict is None:
        document = build_document(result, spec, refreshed.observed, plan_origin(opts, spec, ws),
                                  report=plan_report(result, backend=backend),
                                  created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        save_plan_file(out_file, document)
    if conflict is not None:
        # Refused: stdout stays empty (docs/ci.md); the plan goes to stderr to explain the error.
        if fmt == "text":
            console_for(opts, stderr=True).print(render_plan(result))
        raise conflict
    emit(opts, fmt, text=lambda: render_plan(result), document=lambda: plan_report(result, backend=backend),
         markdown=lambda: plan_markdown(result, backend=backend, link=ci_run_url()))
    if out_file:
        console_for(opts, stderr=fmt != "text").print(
            f"\nSaved the plan to {escape(out_file)}; apply exactly it with: perso apply {escape(out_file)}")
    if detailed_exitcode and plan_has_changes(result):
        ctx.exit(2)


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@common_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=_FORMAT_HELP)
@click.pass_context
@handle_errors
def apply(ctx: click.Context, plan_file: str | None, auto_approve: bool, fmt: str, **given: Any) -> None:
    """Make AWS match the spec, waiting for each resource; state is saved after every step.

    With PLAN_FILE (from `perso plan --out`), apply exactly that plan without asking, or refuse
    it if the state, the spec or the live resources changed since it was made."""
    opts = merged_options(ctx, given)
    if plan_file:
        run_saved_apply(opts, plan_file, fmt)
    else:
        run_apply(opts, destroy=False, auto_approve=auto_approve, fmt=fmt)


@cli.command()
@common_options
@click.option("--auto-approve", is_flag=True, help="Destroy without asking for confirmation.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=_FORMAT_HELP)
@click.pass_context
@handle_errors
def destroy(ctx: click.Context, auto_approve: bool, fmt: str, **given: Any) -> None:
    """Delete everything in the state, in the order AWS requires (honours prevent_destroy)."""
    run_apply(merged_options(ctx, given), destroy=True, auto_approve=auto_approve, fmt=fmt)


@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help=_FORMAT_HELP)
@click.option("--ignore-file", type=click.Path(dir_okay=False), default=None,
              help="Accepted drift: lines of ADDRESS or ADDRESS:ATTRIBUTE.PATH (default: .persoignore next to "
                   "the spec, when present).")
@click.option("--no-unmanaged", is_flag=True, help="Do not look for unmanaged resources in managed dataset groups.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None,
              help="Write ignore rules accepting every finding of this run to FILE.")
@click.option("--json-out", type=click.Path(dir_okay=False), default=None,
              help="Also write the JSON report to FILE (one refresh for both the log and a CI artifact).")
@click.pass_context
@handle_errors
def drift(ctx: click.Context, fmt: str, ignore_file: str | None, no_unmanaged: bool, write_baseline: str | None,
          json_out: str | None, **given: Any) -> None:
    """Report changes made outside perso, unmanaged resources and pending spec changes. Read-only.

    Exit 0: in sync; 2: drift or pending changes found; 1: error."""
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
        Path(json_out).write_text(to_json(drift_report(report)) + "\n")
    if write_baseline:
        lines = baseline_lines(report)
        Path(write_baseline).write_text(f"# accepted drift of stack {spec.stack}, written by `perso drift`\n"
                                        + "".join(f"{line}\n" for line in lines))
        console_for(opts, stderr=True).print(f"Wrote {len(lines)} ignore rule(s) to {escape(write_baseline)}.")
    ctx.exit(report.exit_code)


@cli.command("schema")
def schema_command() -> None:
    """Print the spec's JSON Schema (for editors and linters)."""
    click.echo(json.dumps(spec_json_schema(), indent=2))


# Commands defined in their own modules; imported last because they build on the helpers above.
from .cli_import import import_command, output_command  # noqa: E402
from .cli_state import state_group  # noqa: E402
from .emulator.command import emulator_command  # noqa: E402

cli.add_command(import_command, "import")
cli.add_command(output_command, "output")
cli.add_command(emulator_command, "emulator")
cli.add_command(state_group, "state")


def main() -> None:
    cli(prog_name="perso")

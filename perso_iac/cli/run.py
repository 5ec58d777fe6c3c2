"""`perso plan`, `perso apply [FILE]` and `perso destroy`: parse, call the engine, print."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import ApplyError, PersoError, StateError
from .display import Progress, confirm, console_for, emit, escape
from .errors import handle_errors
from .options import Options, common_options, format_option, load, merged_options, planning_options
from .workspace import aws_settings, plan_origin, waiter_for, workspace

if TYPE_CHECKING:
    from rich.console import Console

    from ..apply import StepResult
    from ..engine import Workspace
    from ..plan import Plan, PlanOptions


@click.command()
@common_options
@planning_options
@click.option("--destroy", is_flag=True, help="Plan the destruction of everything in the state.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--lock/--no-lock", "take_lock", default=False, help="Hold the state lock while planning.")
@click.option("--out", "out_file", type=click.Path(), default=None,
              help="Save the plan to FILE (or s3://...); `perso apply FILE` applies exactly it (no -f/--state needed).")
@format_option
@click.pass_context
@handle_errors
def plan(ctx: click.Context, destroy: bool, detailed_exitcode: bool, take_lock: bool, out_file: str | None,
         fmt: str, replace: tuple[str, ...], targets: tuple[str, ...], refresh: bool, **given: Any) -> None:
    """Show what apply would change: create, update in place, replace, destroy."""
    from ..engine import conflicts_error, plan_changes
    from ..metrics import read_reports, serving_changes
    from ..metrics import render_markdown as render_metrics_markdown
    from ..output.describe import plan_has_changes
    from ..output.json import plan_report
    from ..output.markdown import plan_markdown
    from ..output.text import render_plan
    from ..plan import PlanOptions
    from ..planfile import build_document, redact_plan, write_plan_file
    from ..state.backend import ci_run_url

    opts = merged_options(ctx, given)
    spec = load(opts)
    ws = workspace(opts, spec)
    refreshed = plan_changes(ws, destroy=destroy, lock=take_lock,
                             options=PlanOptions(replace=replace, targets=targets, refresh=refresh))
    # What is shown never holds a sensitive variable's value; the saved plan seals them itself.
    result, backend = refreshed.plan, ws.backend.describe()
    shown = redact_plan(result, spec.sensitive)
    conflict = conflicts_error(result)
    if conflict is not None:
        # Refused: stdout stays empty (docs/ci.md); the plan goes to stderr to explain the error.
        if fmt == "text":
            console_for(opts, stderr=True).print(render_plan(shown))
        raise conflict
    if out_file:
        document = build_document(result, spec, refreshed.observed, plan_origin(opts, spec, ws),
                                  report=plan_report(result, backend=backend),
                                  created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_plan_file(out_file, document, aws_settings(opts, spec))

    def markdown() -> str:
        text = plan_markdown(shown, backend=backend, link=ci_run_url())
        if serving_changes(result):  # the pull request shows whether the model got better
            text += "\n" + render_metrics_markdown(read_reports(ws.client, refreshed.state, ws.adapters,
                                                                 parallelism=ws.parallelism))
        return text

    emit(opts, fmt, text=lambda: render_plan(shown), document=lambda: plan_report(shown, backend=backend),
         markdown=markdown)
    if out_file:
        console_for(opts, stderr=fmt != "text").print(
            f"\nSaved the plan to {escape(out_file)}; apply exactly it with: perso apply {escape(out_file)}")
    if detailed_exitcode and plan_has_changes(result):
        ctx.exit(2)


@click.command()
@click.argument("plan_file", required=False, type=click.Path())
@common_options
@planning_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--expect", "expected", type=click.Path(dir_okay=False), multiple=True, metavar="PLAN_FILE",
              help="Plan now and apply only if the plan makes the same changes as the reviewed PLAN_FILE "
                   "(apply on merge in a merge queue; docs/ci.md). Repeatable: the reviewed plans of merges "
                   "not applied yet. No prompt: the reviewed plans are the approval.")
@format_option
@click.pass_context
@handle_errors
def apply(ctx: click.Context, plan_file: str | None, auto_approve: bool, expected: tuple[str, ...], fmt: str,
          replace: tuple[str, ...], targets: tuple[str, ...], refresh: bool, **given: Any) -> None:
    """Make AWS match the spec, waiting for each resource; state is saved after every step.

    With PLAN_FILE (from `perso plan --out`), apply exactly that plan without asking, or refuse
    it if the state, the spec or the live resources changed since it was made. With --expect
    PLAN_FILE, plan afresh and apply if it makes the same changes as PLAN_FILE, else refuse."""
    from ..plan import PlanOptions

    opts = merged_options(ctx, given)
    options = PlanOptions(replace=replace, targets=targets, refresh=refresh)
    if expected:
        if plan_file or options != PlanOptions() or opts.promote:
            raise PersoError("--expect takes no PLAN_FILE argument and no --replace, --target, --no-refresh or "
                             "--promote: it plans as the reviewed plan was made",
                             hint=f"perso apply -f SPEC --expect {expected[0]}")
        run_expected_apply(opts, expected, fmt)
    elif plan_file:
        if options != PlanOptions() or opts.promote:
            raise PersoError("--replace, --target, --no-refresh and --promote cannot be combined with a saved plan: "
                             "it records the ones it was made with", hint=f"apply it as is (`perso apply {plan_file}`)")
        run_saved_apply(opts, plan_file, fmt)
    else:
        run_apply(opts, destroy=False, auto_approve=auto_approve, fmt=fmt, options=options)


@click.command()
@common_options
@click.option("--auto-approve", is_flag=True, help="Destroy without asking for confirmation.")
@format_option
@click.pass_context
@handle_errors
def destroy(ctx: click.Context, auto_approve: bool, fmt: str, **given: Any) -> None:
    """Delete everything in the state, in the order AWS requires (honours prevent_destroy)."""
    run_apply(merged_options(ctx, given), destroy=True, auto_approve=auto_approve, fmt=fmt)


class _Run:
    """What one apply shows as it goes: the plan, the progress, the results and the report."""

    def __init__(self, opts: Options, fmt: str, ws: Workspace, log: Console, plan_file: str | None = None) -> None:
        self.opts, self.fmt, self.ws, self.log, self.plan_file = opts, fmt, ws, log, plan_file
        self.plan: Plan | None = None

    def show_plan(self, plan: Plan) -> None:
        from ..output.text import render_plan
        from ..planfile import redact_plan

        self.plan = plan
        self.log.print(render_plan(redact_plan(plan, self.ws.spec.sensitive)))

    def headed(self, headline: Callable[[Plan], str]) -> Callable[[Plan], None]:
        """show_plan under a line saying which plan this is (a saved one, a re-plan to compare)."""
        def show(plan: Plan) -> None:
            self.log.print(headline(plan))
            self.show_plan(plan)
            if plan.actionable:
                self.log.print("")
        return show

    def report(self, results: list[StepResult], error: PersoError | None = None) -> None:
        from ..output.json import apply_report
        from ..output.markdown import apply_markdown

        if self.fmt == "text" or self.plan is None:
            return
        doc = apply_report(self.plan, results, error=error, backend=self.ws.backend.describe(),
                           plan_file=self.plan_file)
        emit(self.opts, self.fmt, text=str, document=lambda: doc, markdown=lambda: apply_markdown(doc))

    def carry_out(self, action: Any) -> None:
        """Run the engine's `action(waiter, on_event)` and print and report what happened."""
        from ..output.text import render_results

        try:
            with Progress(self.log) as progress:
                applied = action(waiter_for(self.opts), progress)
        except StateError as exc:  # the backend refused a write during the apply: nothing is lost
            if self.plan is not None:
                self.report([], error=exc)
            raise
        except ApplyError as exc:
            self.log.print(render_results(exc.results or []))
            self.report(list(exc.results or []), error=exc)
            raise
        if not applied.approved:
            self.log.print("Cancelled; nothing was changed.")
            return
        if applied.results:
            self.log.print(render_results(applied.results))
        self.report(applied.results)


def run_apply(opts: Options, *, destroy: bool, auto_approve: bool, fmt: str = "text",
              options: PlanOptions | None = None) -> None:
    from ..engine import apply_changes

    log = console_for(opts, stderr=fmt != "text")
    if fmt != "text" and not auto_approve:
        raise PersoError(f"--format {fmt} cannot ask for confirmation",
                         hint="pass --auto-approve, or apply a reviewed saved plan: `perso apply FILE`")
    spec = load(opts)
    run = _Run(opts, fmt, workspace(opts, spec), log)
    what = "destroy all resources of this stack" if destroy else "perform these actions"

    def approve(plan: Plan) -> bool:
        if not auto_approve and not confirm(log, what):
            return False
        log.print("")
        return True

    run.carry_out(lambda waiter, on_event: apply_changes(run.ws, destroy=destroy, options=options, approve=approve,
                                                         on_plan=run.show_plan, waiter=waiter, on_event=on_event))


def run_saved_apply(opts: Options, plan_file: str, fmt: str) -> None:
    """`perso apply FILE`: apply exactly the reviewed plan, or refuse it as stale and say why."""
    from ..engine import apply_saved_plan
    from ..planfile import read_plan_file

    log = console_for(opts, stderr=fmt != "text")
    if opts.vars or opts.var_files:
        raise PersoError("--var and --var-file cannot be combined with a saved plan: it records the variables "
                         "it was made with", hint=f"apply it as is (`perso apply {plan_file}`), or re-plan")
    saved = read_plan_file(plan_file, settings=aws_settings(opts))
    origin = saved.origin
    if opts.file == Options.file:  # no -f: look for the spec where the plan was made from
        opts.file = origin.spec_file
    opts.vars = tuple(f"{k}={v}" for k, v in origin.variables.items())
    opts.var_files = tuple(origin.var_files)
    opts.state = opts.state or origin.state
    opts.region = opts.region or origin.region
    opts.local = opts.local or origin.local
    try:
        current = load(opts)
    except (PersoError, OSError) as exc:
        current = None
        log.print(f"[yellow]warning:[/yellow] cannot check whether the spec changed since the plan "
                  f"({escape(str(exc))}); applying the plan as saved")
    run = _Run(opts, fmt, workspace(opts, saved.spec()), log, plan_file=plan_file)
    show_plan = run.headed(lambda plan: f"Applying the saved plan {escape(plan_file)} (state serial {plan.serial}, "
                                        f"{escape(run.ws.backend.describe())}).")
    run.carry_out(lambda waiter, on_event: apply_saved_plan(run.ws, saved, source=plan_file, current_spec=current,
                                                            on_plan=show_plan, waiter=waiter, on_event=on_event))


def run_expected_apply(opts: Options, expected: tuple[str, ...], fmt: str) -> None:
    """`perso apply --expect FILE...`: plan from the spec now, apply if it matches the reviewed plan(s)."""
    from ..engine import apply_expected
    from ..planfile import read_plan_file

    log = console_for(opts, stderr=fmt != "text")
    reviewed = [read_plan_file(path, settings=aws_settings(opts)) for path in expected]
    source = ", ".join(expected)
    spec = load(opts)
    run = _Run(opts, fmt, workspace(opts, spec), log, plan_file=source)
    show_plan = run.headed(lambda plan: f"Planned afresh against {escape(run.ws.backend.describe())} (state serial "
                                        f"{plan.serial}) and compared with the reviewed plan {escape(source)}.")
    run.carry_out(lambda waiter, on_event: apply_expected(run.ws, reviewed, source=source, on_plan=show_plan,
                                                          waiter=waiter, on_event=on_event))

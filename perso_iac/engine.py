"""Every sequence a command runs, for the CLI and for scripts and Airflow tasks alike: refresh and
plan, apply a fresh plan, apply a saved plan (refused when stale), apply what a review expected
(`--expect`), destroy, drift (detect_drift), import. Each takes the state lock where it writes,
and keeps the state safe when the backend fails mid-apply.
No printing, no click: callers watch through `on_plan`/`on_event` and decide through `approve`.

    ws = Workspace(spec=load_spec("perso.yaml"), backend=make_backend(...), client=make_client(...))
    applied = apply_changes(ws, approve=lambda plan: plan.summary()["delete"] == 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .apply import Applier, ApplyEvent, EventKind, StepResult
from .cost import Catalogue, estimate_plan
from .diff import make_plan
from .drift import detect_drift  # `perso drift`: read-only, no lock, no write
from .errors import PersoError, PlanError, StateError
from .expect import compare_plans
from .importer import Discovered, import_discovered, import_resource
from .moves import apply_moves, moved_copy, with_moves
from .observe import from_state, observe
from .plan import Plan, PlanOptions
from .planfile import SavedPlan, live_moved, redact_plan, spec_moved, stale_error, state_moved
from .quotas import adds_usage, preflight
from .resources.base import Observed, ResourceType
from .resources.registry import REGISTRY
from .spec.model import Spec
from .state.backend import StateBackend, locked
from .state.checks import check_client
from .state.factory import save_errored_state
from .state.model import ResourceState, StateFile
from .wait import Waiter


@dataclass
class Workspace:
    """What a command works on: the spec, where its state lives, and the AWS client."""

    spec: Spec
    backend: StateBackend
    client: Any                                   # boto3 personalize client (perso_iac.aws.make_client)
    tagging: Any = None                           # Tagging API client: tag reads 100 per call (observe.py)
    adapters: Mapping[str, ResourceType] = field(default_factory=lambda: REGISTRY)
    parallelism: int = 10
    promote: frozenset[str] = frozenset()         # campaigns to move past their promotion gate
    prices: Catalogue | None = None               # when set, plans carry their cost (perso_iac/cost)
    check_quotas: bool = False                    # quota preflight (perso_iac/quotas.py) before a plan is shown
    service_quotas: Any = None                    # boto3 service-quotas client; None: documented defaults
    lock_timeout: float = 0.0                     # seconds to wait for a held state lock
    errored_state_dir: Path = field(default_factory=Path.cwd)  # where a state the backend refused is kept


@dataclass(frozen=True)
class Refreshed:
    plan: Plan
    state: StateFile
    observed: Mapping[str, Observed | None]


@dataclass(frozen=True)
class Applied:
    """What an apply did: `approved` False means `approve` declined and nothing was changed."""

    plan: Plan
    results: list[StepResult]
    approved: bool = True


def _ignore(_: Any) -> None:
    return None


def read_state(backend: StateBackend, stack: str, sensitive: Mapping[str, str] | None = None) -> StateFile:
    """The stack's state from its backend (a new one if none); refuses another stack's state.
    `sensitive` (the spec's sensitive values) restores what the file keeps only as hashes."""
    state = backend.read()
    state.unseal(sensitive or {})
    if not state.serial:
        state.stack = stack
    elif state.stack != stack:
        raise StateError(
            f"the state at {backend.describe()} belongs to stack '{state.stack}', not '{stack}'",
            hint="point --state at this stack's state, or fix `stack:` in the spec",
        )
    return state


def refresh_and_plan(ws: Workspace, *, destroy: bool = False, options: PlanOptions | None = None) -> Refreshed:
    """Read the state and the live resources (only the state with options.refresh off), and diff
    them against the spec. Takes no lock."""
    options = options or PlanOptions()
    state = read_state(ws.backend, ws.spec.stack, ws.spec.sensitive)
    check_client(state, ws.client, f"the state at {ws.backend.describe()}")
    # Plan against the state as the spec's `moved:` entries leave it; apply makes those moves.
    seen, moved, warnings = with_moves(state, () if destroy else ws.spec.moves, ws.spec.resources)
    if options.refresh:
        observed = observe(ws.client, ws.spec.resources, seen, ws.adapters, parallelism=ws.parallelism,
                           tagging=ws.tagging)
    else:
        observed = from_state(seen)
    plan = make_plan(ws.spec.resources, seen, observed, ws.adapters, spec_digest=ws.spec.digest, destroy=destroy,
                     options=options, moved=moved, warnings=tuple(warnings), promote=ws.promote)
    if ws.check_quotas and not destroy and adds_usage(plan):
        plan = replace(plan, warnings=plan.warnings + tuple(preflight(ws.spec.resources, plan, ws.client,
                                                                      ws.service_quotas)))
    if ws.prices is not None:
        plan = replace(plan, cost=estimate_plan(plan, observed, ws.prices))
    return Refreshed(plan=plan, state=state, observed=observed)


def plan_changes(ws: Workspace, *, destroy: bool = False, lock: bool = False,
                 options: PlanOptions | None = None) -> Refreshed:
    """`perso plan`: refresh and plan, holding the state lock meanwhile when `lock`."""
    with locked(ws.backend, "plan", enabled=lock, timeout=ws.lock_timeout):
        return refresh_and_plan(ws, destroy=destroy, options=options)


def conflicts_error(plan: Plan) -> PlanError | None:
    """The error for a plan that would create resources whose names are already taken."""
    if not plan.conflicts:
        return None
    lines = "; ".join(f"{c.address} ({c.arn})" for c in plan.conflicts)
    commands = " && ".join(c.detail for c in plan.conflicts)
    return PlanError(
        f"{len(plan.conflicts)} resource(s) of the spec already exist in AWS but perso does not manage them: {lines}",
        hint=f"adopt them into the state first: {commands} (or `perso import --dataset-group NAME`), "
             "or give them other names in the spec",
    )


def apply_plan(
    ws: Workspace,
    plan: Plan,
    state: StateFile,
    *,
    waiter: Waiter | None = None,
    on_event: Callable[[ApplyEvent], None] = _ignore,
    lock_id: str | None = None,
) -> list[StepResult]:
    """Carry out `plan` on `state` (read under the lock the caller holds), saving the state through
    the backend after every step. If the backend refuses a write, the state is kept in
    `ws.errored_state_dir` and the StateError says how to push it back."""
    error = conflicts_error(plan)
    if error is not None:
        raise error
    state.unseal(ws.spec.sensitive)  # what apply writes keeps no sensitive value in clear
    try:
        return _apply(ws, plan, state, waiter=waiter, on_event=on_event, lock_id=lock_id)
    finally:
        ws.backend.flush()  # what was written is whole in the state's main form (local: journal folded)


def _apply(ws: Workspace, plan: Plan, state: StateFile, *, waiter: Waiter | None,
           on_event: Callable[[ApplyEvent], None], lock_id: str | None) -> list[StepResult]:
    made = apply_moves(state, plan)
    if made:  # the state follows `moved:`; nothing changes in AWS
        ws.backend.write(state)
        for old, new in made:
            on_event(ApplyEvent(new, EventKind.DONE, "move", f"moved from {old}; nothing changed in AWS"))
    applier = Applier(ws.client, ws.backend, state, ws.adapters, waiter=waiter,
                      parallelism=ws.parallelism, on_event=on_event)
    try:
        return applier.apply(plan)
    except StateError:
        path = save_errored_state(state, ws.errored_state_dir)
        # In this order: a push is refused while this run's lock is still held.
        unlock = f"`perso state unlock {lock_id}`" if lock_id else "`perso state unlock`"
        raise StateError(
            f"the state could not be saved to {ws.backend.describe()}; it was written to {path}",
            hint=f"once the backend is reachable again, first release this run's lock if it is still held "
                 f"({unlock}), then run `perso state push {path}`",
        ) from None


def _carry_out(ws: Workspace, plan: Plan, state: StateFile, lock_id: str, *, approve: Callable[[Plan], bool],
               on_plan: Callable[[Plan], None], waiter: Waiter | None,
               on_event: Callable[[ApplyEvent], None]) -> Applied:
    on_plan(plan)
    conflict = conflicts_error(plan)
    if conflict is not None:
        raise conflict
    if not plan.actionable:
        return Applied(plan=plan, results=[])
    if not approve(plan):
        return Applied(plan=plan, results=[], approved=False)
    results = apply_plan(ws, plan, state, waiter=waiter, on_event=on_event, lock_id=lock_id)
    return Applied(plan=plan, results=results)


def apply_changes(
    ws: Workspace,
    *,
    destroy: bool = False,
    options: PlanOptions | None = None,
    approve: Callable[[Plan], bool] = lambda plan: True,
    on_plan: Callable[[Plan], None] = _ignore,
    waiter: Waiter | None = None,
    on_event: Callable[[ApplyEvent], None] = _ignore,
) -> Applied:
    """`perso apply` (or `destroy`): under the state lock, refresh, plan, show the plan to
    `on_plan`, refuse name conflicts, ask `approve`, apply. ApplyError carries each step's result."""
    with locked(ws.backend, "destroy" if destroy else "apply", timeout=ws.lock_timeout) as lock:
        refreshed = refresh_and_plan(ws, destroy=destroy, options=options)
        return _carry_out(ws, refreshed.plan, refreshed.state, lock.id, approve=approve, on_plan=on_plan,
                          waiter=waiter, on_event=on_event)


def destroy_stack(ws: Workspace, **kwargs: Any) -> Applied:
    """`perso destroy`: apply_changes of the plan that deletes everything in the state."""
    return apply_changes(ws, destroy=True, **kwargs)


def apply_saved_plan(
    ws: Workspace,
    saved: SavedPlan,
    *,
    source: str,
    current_spec: Spec | None,
    on_plan: Callable[[Plan], None] = _ignore,
    waiter: Waiter | None = None,
    on_event: Callable[[ApplyEvent], None] = _ignore,
) -> Applied:
    """`perso apply FILE`: apply exactly the reviewed plan, or refuse it (StaleStateError, nothing
    applied) if the spec (`current_spec`, None when it cannot be read), the state or the live
    resources moved since it was made. `ws.spec` is the plan's own spec (`saved.spec()`)."""
    moved = spec_moved(saved, current_spec.digest) if current_spec is not None else []
    with locked(ws.backend, "apply", timeout=ws.lock_timeout) as lock:
        state = ws.backend.read()
        state.unseal(ws.spec.sensitive)  # sensitive values again, before the live resources are compared
        if not state.serial:
            state.stack = ws.spec.stack
        moved += state_moved(saved, state)
        if not moved and saved.plan.options.refresh:  # a --no-refresh plan never read AWS
            observed = observe(ws.client, ws.spec.resources, moved_copy(state, saved.plan), ws.adapters,
                               parallelism=ws.parallelism, tagging=ws.tagging)
            moved += live_moved(saved, observed)
        if moved:
            raise stale_error(source, moved, saved)
        return _carry_out(ws, saved.plan, state, lock.id, approve=lambda plan: True, on_plan=on_plan,
                          waiter=waiter, on_event=on_event)


def apply_expected(
    ws: Workspace,
    reviewed: SavedPlan | Sequence[SavedPlan],
    *,
    source: str,
    on_plan: Callable[[Plan], None] = _ignore,
    waiter: Waiter | None = None,
    on_event: Callable[[ApplyEvent], None] = _ignore,
) -> Applied:
    """`perso apply --expect FILE`: under the state lock, plan afresh and apply that plan only if it
    makes the same changes as the reviewed one (or, given several, as one of them: merges whose
    applies queued up), else refuse (PlanError, nothing applied) with the differences. Made for apply-on-merge in a merge queue, where other
    merges move the state between review and apply. The reviewed plan is the approval."""
    with locked(ws.backend, "apply", timeout=ws.lock_timeout) as lock:
        plans = [reviewed] if isinstance(reviewed, SavedPlan) else list(reviewed)
        refreshed = refresh_and_plan(ws, options=plans[-1].plan.options)
        sensitive = ws.spec.sensitive
        differences = compare_plans([redact_plan(p.plan, sensitive) for p in plans],
                                    redact_plan(refreshed.plan, sensitive)).differences
        if differences:
            on_plan(refreshed.plan)
            raise PlanError(
                f"the plan made now differs from the reviewed plan {source}; nothing was applied: "
                + "; ".join(differences),
                hint="review the plan above (e.g. re-plan main in a pull request) and apply that one; "
                     "`perso apply --expect` applies only what was reviewed")
        return _carry_out(ws, refreshed.plan, refreshed.state, lock.id, approve=lambda plan: True,
                          on_plan=on_plan, waiter=waiter, on_event=on_event)


def import_into_state(ws: Workspace, address: str, arn: str) -> ResourceState:
    """`perso import ADDRESS ARN`: adopt one live resource declared in the spec, under the lock."""
    resource = ws.spec.resources.get(address)
    if resource is None:
        raise PersoError(f"{address} is not declared in the spec", hint="add it to the spec first")
    with locked(ws.backend, "import", timeout=ws.lock_timeout):
        state = read_state(ws.backend, ws.spec.stack, ws.spec.sensitive)
        if address in state.resources:
            raise PersoError(f"{address} is already in the state ({state.resources[address].arn})",
                             hint=f"`perso state rm {address}` first to import another resource there")
        imported = import_resource(ws.client, state, address, resource.type, arn, spec=resource,
                                   adapters=ws.adapters)
        ws.backend.write(state)
    return imported


@dataclass(frozen=True)
class ImportedGroup:
    imported: list[ResourceState]
    skipped: list[Discovered]
    state: StateFile


def import_discovered_resources(ws: Workspace, discovered: Iterable[Discovered]) -> ImportedGroup:
    """`perso import --dataset-group`: adopt what was discovered and the spec declares, under the lock."""
    with locked(ws.backend, "import", timeout=ws.lock_timeout):
        state = read_state(ws.backend, ws.spec.stack, ws.spec.sensitive)
        imported, skipped = import_discovered(ws.client, state, discovered, ws.spec.resources, adapters=ws.adapters)
        if imported:
            ws.backend.write(state)
    return ImportedGroup(imported=imported, skipped=skipped, state=state)


__all__ = [
    "Applied", "ImportedGroup", "Refreshed", "Workspace", "apply_changes", "apply_expected", "apply_plan",
    "apply_saved_plan",
    "conflicts_error", "destroy_stack", "detect_drift", "import_discovered_resources", "import_into_state",
    "plan_changes", "read_state", "refresh_and_plan",
]

"""The operations behind the commands: refresh + plan, and apply. No printing, no click."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .apply import Applier, ApplyEvent, EventKind, StepResult
from .cost import Catalogue, estimate_plan
from .diff import make_plan
from .errors import PlanError, StateError
from .moves import apply_moves, with_moves
from .observe import from_state, observe
from .plan import Plan, PlanOptions
from .quotas import preflight
from .resources.base import Observed, ResourceType
from .resources.registry import REGISTRY
from .spec.model import Spec
from .state.backend import StateBackend
from .state.checks import check_client
from .state.model import StateFile
from .wait import Waiter


@dataclass
class Workspace:
    """What a command works on: the spec, where its state lives, and the AWS client."""

    spec: Spec
    backend: StateBackend
    client: Any                                   # boto3 personalize client
    adapters: Mapping[str, ResourceType] = field(default_factory=lambda: REGISTRY)
    parallelism: int = 10
    promote: frozenset[str] = frozenset()         # campaigns to move past their promotion gate
    prices: Catalogue | None = None               # when set, plans carry their cost (perso_iac/cost)
    check_quotas: bool = False                    # quota preflight (perso_iac/quotas.py) before a plan is shown
    service_quotas: Any = None                    # boto3 service-quotas client; None: documented defaults


@dataclass(frozen=True)
class Refreshed:
    plan: Plan
    state: StateFile
    observed: Mapping[str, Observed | None]


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
    them against the spec."""
    options = options or PlanOptions()
    state = read_state(ws.backend, ws.spec.stack, ws.spec.sensitive)
    check_client(state, ws.client, f"the state at {ws.backend.describe()}")
    # Plan against the state as the spec's `moved:` entries leave it; apply makes those moves.
    seen, moved, warnings = with_moves(state, () if destroy else ws.spec.moves, ws.spec.resources)
    if options.refresh:
        observed = observe(ws.client, ws.spec.resources, seen, ws.adapters, parallelism=ws.parallelism)
    else:
        observed = from_state(seen)
    plan = make_plan(ws.spec.resources, seen, observed, ws.adapters, spec_digest=ws.spec.digest, destroy=destroy,
                     options=options, moved=moved, warnings=tuple(warnings), promote=ws.promote)
    if ws.check_quotas and not destroy:
        plan = replace(plan, warnings=plan.warnings + tuple(preflight(ws.spec.resources, plan, ws.client,
                                                                      ws.service_quotas)))
    if ws.prices is not None:
        plan = replace(plan, cost=estimate_plan(plan, observed, ws.prices))
    return Refreshed(plan=plan, state=state, observed=observed)


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
    on_event: Callable[[ApplyEvent], None] = lambda event: None,
) -> list[StepResult]:
    """Carry out `plan`, saving `state` through the backend after every step."""
    error = conflicts_error(plan)
    if error is not None:
        raise error
    state.unseal(ws.spec.sensitive)  # what apply writes keeps no sensitive value in clear
    made = apply_moves(state, plan)
    if made:  # the state follows `moved:`; nothing changes in AWS
        ws.backend.write(state)
        for old, new in made:
            on_event(ApplyEvent(new, EventKind.DONE, "move", f"moved from {old}; nothing changed in AWS"))
    applier = Applier(ws.client, ws.backend, state, ws.adapters, waiter=waiter,
                      parallelism=ws.parallelism, on_event=on_event)
    return applier.apply(plan)

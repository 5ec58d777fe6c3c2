"""The differ: (spec, state, observed) -> Plan. Pure: no AWS, no printing, no clock.

It compares the desired parameters with what a refresh read, over the keys the spec sets
(an optional field left out of the spec is whatever AWS has, so server defaults never show
as changes), and lets each adapter say which paths it can update in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .compare import differing_paths
from .errors import PlanError
from .graph import topological_order
from .plan import Action, Change, Plan, Reason
from .resources.base import Observed, Phase, ResourceType
from .spec.model import Ref, ResourceSpec
from .state.model import StateFile

Lookup = Callable[[Ref], Any]
UNKNOWN = object()  # returned by a Lookup for a value known only after apply


def resolve(value: Any, lookup: Lookup) -> Any:
    """Replace every Ref in `value` by what `lookup` returns; unknown ones stay Refs."""
    if isinstance(value, Ref):
        found = lookup(value)
        return value if found is UNKNOWN or found is None else f"{found}{value.suffix}"
    if isinstance(value, Mapping):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, lookup) for v in value]
    return value


def _ignored(path: str, ignore: tuple[str, ...]) -> bool:
    return "*" in ignore or "all" in ignore or any(path == p or path.startswith(p + ".") for p in ignore)


def make_plan(
    resources: Mapping[str, ResourceSpec],
    state: StateFile,
    observed: Mapping[str, Observed | None],
    adapters: Mapping[str, ResourceType],
    *,
    spec_digest: str = "",
    destroy: bool = False,
) -> Plan:
    """Compute what apply must do to make AWS match `resources` (or, with destroy, remove all)."""
    desired_resources: Mapping[str, ResourceSpec] = {} if destroy else resources
    planned: dict[str, Change] = {}
    outputs: dict[str, Mapping[str, Any]] = {}

    def lookup(ref: Ref) -> Any:
        change = planned.get(ref.address)
        if change is None or change.action in (Action.CREATE, Action.REPLACE):
            return UNKNOWN
        return outputs.get(ref.address, {}).get(ref.attr, UNKNOWN)

    order = topological_order({a: r.depends_on for a, r in desired_resources.items()})
    for address in order:
        spec = desired_resources[address]
        adapter = adapters[spec.type]
        change = _plan_resource(spec, adapter, state, observed.get(address), planned, lookup)
        planned[address] = change
        obs = observed.get(address)
        if change.action not in (Action.CREATE, Action.REPLACE) and obs is not None:
            outputs[address] = obs.outputs

    for address, res in state.resources.items():
        if address in desired_resources:
            continue
        obs = observed.get(address)
        adapter = adapters[res.type]
        planned[address] = Change(
            address=address, type=res.type, action=Action.DELETE,
            reason=Reason.DESTROY if destroy else Reason.REMOVED_FROM_SPEC,
            name=res.name, arn=res.arn, before=dict(obs.params) if obs else dict(res.params),
            tags_before=dict(res.tags), prior_depends_on=tuple(res.depends_on),
            is_intent=adapter.is_intent, gone=obs is None,
        )

    _check_prevent_destroy(planned.values(), resources)
    changes = tuple(planned[a] for a in order) + tuple(
        c for a, c in planned.items() if a not in desired_resources)
    return Plan(changes=changes, stack=state.stack, lineage=state.lineage if state.serial else None,
                serial=state.serial, spec_digest=spec_digest, destroy=destroy)


def _plan_resource(spec: ResourceSpec, adapter: ResourceType, state: StateFile, obs: Observed | None,
                   planned: Mapping[str, Change], lookup: Lookup) -> Change:
    prior = state.resources.get(spec.address)
    desired = adapter.normalize(resolve(dict(spec.params), lookup))
    base = dict(address=spec.address, type=spec.type, name=spec.name, after=desired,
                tags_after=dict(spec.tags) if adapter.taggable else {}, depends_on=spec.depends_on,
                prior_depends_on=tuple(prior.depends_on) if prior else (), triggers=spec.triggers,
                is_intent=adapter.is_intent)

    if obs is None or obs.phase is Phase.GONE or obs.phase is Phase.DELETING:
        missing = prior is not None and bool(prior.arn)
        return Change(action=Action.CREATE, reason=Reason.MISSING_REMOTELY if missing else Reason.NEW, **base)

    creating = prior is not None and prior.status == "creating"
    if prior is None and not adapter.is_intent:
        # Someone else's resource (or a lost state): taking it over silently would let a later
        # destroy delete it. Terraform's answer, and ours: import it explicitly.
        return Change(action=Action.CREATE, reason=Reason.ALREADY_EXISTS, arn=obs.arn, conflict=True,
                      detail=f"perso import {spec.address} {obs.arn}", **base)
    before = adapter.align_observed(obs.params, desired)
    adopt = prior is None or creating  # intents are harmless to adopt: they cannot be deleted
    base.update(arn=obs.arn, before=before, tags_before=dict(prior.tags) if prior and not creating else None,
                adopt=adopt)
    # First, because only this reason cascades (a failed version of a replaced solution must take
    # its campaign along, like a healthy one).
    # AWS will not delete a parent while this exists, so this goes too. Intents are transparent:
    # retraining on new data does not replace a campaign, but replacing its solution does.
    replaced_deps = [d for d in spec.depends_on if d in planned and planned[d].action is Action.REPLACE
                     and (not planned[d].is_intent or planned[d].reason is Reason.DEPENDENCY_REPLACED)]
    if replaced_deps:
        return Change(action=Action.REPLACE, reason=Reason.DEPENDENCY_REPLACED,
                      detail=f"{', '.join(replaced_deps)} must be replaced first", **base)

    if obs.phase is Phase.FAILED:
        return Change(action=Action.REPLACE, reason=Reason.FAILED_REMOTELY,
                      detail=obs.failure_reason or "", **base)

    if prior is not None and spec.triggers:
        fired = [str(t) for t in spec.triggers if _trigger_value(t, lookup) != prior.triggers.get(str(t))]
        if fired:
            return Change(action=Action.REPLACE, reason=Reason.TRIGGERED, detail=", ".join(fired), **base)

    ignore = spec.lifecycle.ignore_changes
    paths = [p for p in differing_paths(desired, before) if not _ignored(p, ignore)]
    fixed = tuple(p for p in paths if not adapter.can_update(p, desired))
    if fixed:
        return Change(action=Action.REPLACE, reason=Reason.CANNOT_UPDATE, changed_paths=tuple(paths),
                      replace_paths=fixed, **base)
    known_tags = base["tags_before"]
    tags_differ = adapter.taggable and not _ignored("tags", ignore) and (
        (known_tags is None and bool(spec.tags)) or (known_tags is not None and dict(known_tags) != dict(spec.tags)))
    if tags_differ:
        paths.append("tags")
    if paths:
        return Change(action=Action.UPDATE, reason=Reason.CHANGED, changed_paths=tuple(paths), **base)
    # Still settling, or settled since a killed apply recorded it as pending: apply waits for it
    # (a no-op when already settled) and records it as a clean apply would.
    unsettled = obs.phase is Phase.PENDING or (prior is not None and prior.status != "ready")
    return Change(action=Action.NOOP, pending=unsettled, **base)


def _trigger_value(ref: Ref, lookup: Lookup) -> Any:
    value = lookup(ref)
    return None if value is UNKNOWN else value


def _check_prevent_destroy(changes: Any, resources: Mapping[str, ResourceSpec]) -> None:
    blocked = [c for c in changes
               if c.destructive and c.address in resources and resources[c.address].lifecycle.prevent_destroy]
    if blocked:
        lines = "; ".join(f"{c.address} ({c.action.value}: {c.reason.value})" for c in blocked)
        raise PlanError(
            f"the plan would destroy resources protected by lifecycle.prevent_destroy: {lines}",
            hint="remove prevent_destroy from these resources in the spec if destroying them is intended",
        )

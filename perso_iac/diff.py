"""The differ: (spec, state, observed) -> Plan. Pure: no AWS, no printing, no clock.

It compares the desired parameters with what a refresh read, over the keys the spec sets
(an optional field left out of the spec is whatever AWS has, so server defaults never show
as changes), and lets each adapter say which paths it can update in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from . import cbd
from .compare import differing_paths, same_value
from .errors import PlanError
from .graph import topological_order
from .plan import Action, Change, Plan, PlanOptions, Reason
from .resources.base import Observed, Phase, ResourceType
from .spec.model import Ref, ResourceSpec
from .state.model import ResourceState, ResourceStatus, StateFile

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


def ignored_by_lifecycle(path: str, ignore: tuple[str, ...]) -> bool:
    """Whether `lifecycle.ignore_changes` covers the dotted `path` ("tags.KEY" for a tag)."""
    return "*" in ignore or "all" in ignore or any(path == p or path.startswith(p + ".") for p in ignore)


_ignored = ignored_by_lifecycle


def make_plan(
    resources: Mapping[str, ResourceSpec],
    state: StateFile,
    observed: Mapping[str, Observed | None],
    adapters: Mapping[str, ResourceType],
    *,
    spec_digest: str = "",
    destroy: bool = False,
    promote: frozenset[str] = frozenset(),
    options: PlanOptions | None = None,
    moved: Mapping[str, str] | None = None,
    warnings: tuple[str, ...] = (),
) -> Plan:
    """Compute what apply must do to make AWS match `resources` (or, with destroy, remove all).

    `options.replace` forces those addresses to be replaced (re-run, for an import or a training);
    `options.targets` keeps only the changes of those addresses and of what they depend on.
    `moved` (new address -> old) names the resources `state` holds under a new address since the
    spec's `moved:` entries (engine.py makes the moves in a copy of the state before refreshing).
    `promote`: addresses whose held-back values (a promotion gate refused them) apply anyway."""
    options = options or PlanOptions()
    desired_resources: Mapping[str, ResourceSpec] = {} if destroy else resources
    _check_addresses(options, desired_resources, state, destroy)
    requested = frozenset(options.replace)
    planned: dict[str, Change] = {}
    outputs: dict[str, Mapping[str, Any]] = {}

    def lookup(ref: Ref) -> Any:
        change = planned.get(ref.address)
        if change is None or change.action in (Action.CREATE, Action.REPLACE):
            return UNKNOWN
        return outputs.get(ref.address, {}).get(ref.attr, UNKNOWN)

    order = topological_order({a: r.depends_on for a, r in desired_resources.items()})
    names = cbd.names_in_use(desired_resources, state)
    for address in order:
        spec = desired_resources[address]
        adapter = adapters[spec.type]
        change = _plan_resource(spec, adapter, state, observed.get(address), planned, lookup,
                                requested=address in requested, promote=address in promote)
        prior = state.resources.get(address)
        change = cbd.order(change, spec, adapter, prior.name if prior is not None and change.arn else None,
                           planned, names)
        if moved and address in moved:
            change = replace(change, moved_from=moved[address])
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
            reason=Reason.DESTROY if destroy else Reason.DEPOSED if cbd.deposed_base(address) else Reason.REMOVED_FROM_SPEC,
            name=res.name, arn=res.arn, before=dict(obs.params) if obs else dict(res.params),
            tags_before=dict(res.tags), prior_depends_on=tuple(res.depends_on),
            is_intent=adapter.is_intent,
        )
        if obs is None:  # already gone outside perso: apply only forgets it
            planned[address] = replace(planned[address], reason=Reason.GONE)

    _check_prevent_destroy(planned.values(), resources)
    changes = tuple(planned[a] for a in order) + tuple(
        c for a, c in planned.items() if a not in desired_resources)
    warnings = list(warnings) + [
        f"{c.address}: {c.detail}; it moves when a newer version passes the gate, "
        f"or with `perso apply --promote {c.address}`" for c in changes if c.reason is Reason.HELD]
    if not destroy:
        warnings += cbd.hints(changes, resources, adapters) + [
            c.hint for c in changes if c.hint]
    if options.targets:
        keep = targeted(options.targets, changes)
        changes = tuple(c for c in changes if c.address in keep)
        warnings.append(TARGET_WARNING)
    if not options.refresh:
        warnings.append(NO_REFRESH_WARNING)
    return Plan(changes=changes, stack=state.stack, lineage=state.lineage if state.serial else None,
                serial=state.serial, spec_digest=spec_digest, destroy=destroy, warnings=tuple(warnings),
                options=options)


TARGET_WARNING = (
    "Resource targeting is in effect: this plan covers only the targeted resources and what they depend "
    "on, so it may not show every change the spec needs, and other changes stay pending. Like Terraform's "
    "-target, --target is for exceptional cases (recovering from a mistake, one urgent change), not routine use."
)
NO_REFRESH_WARNING = (
    "Refresh skipped (--no-refresh): this plan is computed from the state alone, without reading AWS, "
    "so changes made outside perso are not shown."
)


def targeted(targets: tuple[str, ...] | list[str], changes: tuple[Change, ...]) -> set[str]:
    """The targets, everything they depend on, and what must be replaced along with them (AWS will
    not delete a parent that still has children, so a targeted replacement takes its children)."""
    by_address = {c.address: c for c in changes}
    keep: set[str] = set()
    todo = list(targets)
    while todo:
        address = todo.pop()
        if address in keep:
            continue
        keep.add(address)
        change = by_address.get(address)
        if change is not None:
            todo.extend(change.depends_on)
    moving: set[str] = set()  # what moves to a create-before-destroy replacement, and what follows it
    grew = True
    while grew:
        grew = False
        for change in changes:
            if change.address in keep:
                continue
            cascades = change.reason is Reason.DEPENDENCY_REPLACED and any(d in keep for d in change.depends_on)
            # what uses a create-before-destroy replacement moves to it before the old one can go
            moves = change.action is not Action.NOOP and any(
                d in keep and (by_address[d].create_before_destroy or d in moving)
                for d in change.depends_on if d in by_address)
            if moves:
                moving.add(change.address)
            orphaned = change.action is Action.DELETE and any(
                d in keep and by_address[d].deletes for d in change.prior_depends_on if d in by_address)
            if cascades or orphaned or moves:
                keep.add(change.address)
                grew = True
    return keep


def _check_addresses(options: PlanOptions, resources: Mapping[str, ResourceSpec], state: StateFile,
                     destroy: bool) -> None:
    """An address --replace or --target names must exist: a typo would silently plan nothing."""
    if destroy and options.replace:
        raise PlanError("--replace cannot be combined with --destroy", hint="destroy deletes everything anyway")
    known = set(resources) | set(state.resources)
    for flag, addresses in (("--replace", options.replace), ("--target", options.targets)):
        unknown = [a for a in addresses if a not in known]
        if unknown:
            close = sorted(k for k in known if any(k.endswith(u.split(".")[-1]) for u in unknown))[:5]
            raise PlanError(
                f"{flag} {', '.join(unknown)}: no such resource in the spec or the state",
                hint=("did you mean " + ", ".join(close) + "? " if close else "")
                + "addresses are TYPE.GROUP.KEY as `perso plan` shows them (e.g. solution_version.retail.for-you)",
            )
    missing = [a for a in options.replace if a not in resources]
    if missing and not destroy:
        raise PlanError(f"--replace {', '.join(missing)}: not in the spec, so it will be destroyed, not replaced",
                        hint="drop --replace for it")


def _plan_resource(spec: ResourceSpec, adapter: ResourceType, state: StateFile, obs: Observed | None,
                   planned: Mapping[str, Change], lookup: Lookup, *, requested: bool = False,
                   promote: bool = False) -> Change:
    prior = state.resources.get(spec.address)
    derived = spec.name
    if prior is not None and prior.spec_name and prior.spec_name == spec.name:
        spec = _kept_name(spec, prior.name)  # moved: the resource keeps its AWS name
    change = _plan_change(spec, adapter, state, obs, planned, lookup, prior, requested, promote)
    if spec.name == derived:
        return change
    if change.action in (Action.CREATE, Action.REPLACE):  # a new resource takes the spec's name
        after = dict(change.after or {})
        if after.get("name") == spec.name:
            after["name"] = derived
        return replace(change, name=derived, after=after)
    return replace(change, spec_name=derived)


def _kept_name(spec: ResourceSpec, name: str) -> ResourceSpec:
    params = dict(spec.params)
    if params.get("name") == spec.name:
        params["name"] = name
    return replace(spec, name=name, params=params)


def _plan_change(spec: ResourceSpec, adapter: ResourceType, state: StateFile, obs: Observed | None,
                 planned: Mapping[str, Change], lookup: Lookup, prior: ResourceState | None,
                 requested: bool, promote: bool = False) -> Change:
    desired = adapter.normalize(resolve(dict(spec.params), lookup))
    base = dict(address=spec.address, type=spec.type, name=spec.name, after=desired,
                tags_after=dict(spec.tags) if adapter.taggable else {}, depends_on=spec.depends_on,
                prior_depends_on=tuple(prior.depends_on) if prior else (), triggers=spec.triggers,
                is_intent=adapter.is_intent)

    if obs is None or obs.phase is Phase.GONE or obs.phase is Phase.DELETING:
        missing = prior is not None and bool(prior.arn)
        return Change(action=Action.CREATE, reason=Reason.MISSING_REMOTELY if missing else Reason.NEW, **base)

    creating = prior is not None and prior.status == ResourceStatus.CREATING
    if prior is None and not adapter.is_intent:
        # Someone else's resource (or a lost state): taking it over silently would let a later
        # destroy delete it. Terraform's answer, and ours: import it explicitly.
        return Change(action=Action.CREATE, reason=Reason.ALREADY_EXISTS, arn=obs.arn,
                      detail=f"perso import {spec.address} {obs.arn}", **base)
    before = adapter.align_observed(obs.params, desired)
    adopt = prior is None or creating  # intents are harmless to adopt: they cannot be deleted
    base.update(arn=obs.arn, before=before, tags_before=dict(prior.tags) if prior and not creating else None)
    if obs.tags is not None:  # read live (refresh): tags changed outside perso are reverted too
        base.update(tags_before=dict(obs.tags))
    if base["tags_before"] is not None and adapter.taggable:
        base.update(tags_after=_kept_tags(spec.tags, base["tags_before"], spec.lifecycle.ignore_changes))
    # The dependency cascade first, because only that reason cascades (a failed version of a
    # replaced solution must take its campaign along, like a healthy one).
    # AWS will not delete a parent while this exists, so this goes too. Intents are transparent:
    # retraining on new data does not replace a campaign, but replacing its solution does.
    replaced_deps = [d for d in spec.depends_on if d in planned and cbd.cascades(planned[d])]
    if replaced_deps:
        return Change(action=Action.REPLACE, reason=Reason.DEPENDENCY_REPLACED,
                      detail=f"{', '.join(replaced_deps)} must be replaced first", **base)

    if requested:  # --replace: for an intent, a re-run; what depends on it follows as usual
        return Change(action=Action.REPLACE, reason=Reason.REQUESTED, detail="--replace", **base)

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
                      replace_paths=fixed, hint=adapter.in_place_hint(desired, before, planned, fixed), **base)
    refused = adapter.in_place_problem(desired, before, planned)
    if refused is not None:  # updatable in general, but AWS would refuse this very change (the plan knows why)
        return Change(action=Action.REPLACE, reason=Reason.CANNOT_UPDATE, changed_paths=tuple(paths),
                      replace_paths=refused[0], detail=refused[1], hint=refused[2], **base)
    known_tags = base["tags_before"]
    tags_differ = adapter.taggable and not _ignored("tags", ignore) and (
        (known_tags is None and bool(spec.tags)) or (known_tags is not None and dict(known_tags) != base["tags_after"]))
    if tags_differ:
        paths.append("tags")
    # A value a promotion gate refused stays refused until the spec wants another one (or --promote).
    held = [p for p in paths if prior is not None and p in prior.held.get("values", {})
            and same_value(desired.get(p), prior.held["values"][p])]
    if held and promote:
        return Change(action=Action.UPDATE, reason=Reason.PROMOTED, changed_paths=tuple(paths), **base)
    paths = [p for p in paths if p not in held]
    if paths:
        return Change(action=Action.UPDATE, reason=Reason.ADOPTED if adopt else Reason.CHANGED,
                      changed_paths=tuple(paths), **base)
    if held and prior is not None:
        return Change(action=Action.NOOP, reason=Reason.HELD, detail=str(prior.held.get("reason", "")), **base)
    if adopt:
        return Change(action=Action.NOOP, reason=Reason.ADOPTED, **base)
    # Still settling, or settled since a killed apply recorded it as pending: apply waits for it
    # (a no-op when already settled) and records it as a clean apply would.
    unsettled = obs.phase is Phase.PENDING or (prior is not None and prior.status != ResourceStatus.READY)
    return Change(action=Action.NOOP, reason=Reason.SETTLING if unsettled else Reason.NONE, **base)


def _kept_tags(wanted: Mapping[str, str], live: Mapping[str, str], ignore: tuple[str, ...]) -> dict[str, str]:
    """The tags to have: the spec's, except keys under `ignore_changes: [tags.KEY]`, which keep
    their live value (or stay absent)."""
    keys = {p.split(".", 1)[1] for p in ignore if p.startswith("tags.")}
    out = {k: v for k, v in wanted.items() if k not in keys}
    out.update({k: v for k, v in live.items() if k in keys})
    return out


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

"""The pure comparison: last applied state against what a refresh read, and the spec against both.

Terraform's model: drift is PrevRunState (what the last apply wrote) against PriorState (what a
refresh just read), attribute by attribute. No AWS, no printing, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..compare import differing_paths, value_at
from ..diff import ignored_by_lifecycle
from ..observe import tags_ignored
from ..plan import Action, Plan, Reason
from ..resources.base import Observed, Phase, ResourceType
from ..state.model import ResourceStatus, StateFile
from .ignore import IgnoreList
from .model import (
    AttributeDrift,
    DriftKind,
    DriftReport,
    PendingCause,
    PendingChange,
    ResourceDrift,
    UnmanagedResource,
)


def compute_drift(
    state: StateFile,
    observed: Mapping[str, Observed | None],
    adapters: Mapping[str, ResourceType],
    *,
    live_tags: Mapping[str, Mapping[str, str]] | None = None,
    plan: Plan | None = None,
    members: Sequence[UnmanagedResource] = (),
    ignore: IgnoreList | None = None,
    lifecycle_ignore: Mapping[str, tuple[str, ...]] | None = None,
    spec_addresses: set[str] | None = None,
    backend: str = "",
    warnings: Sequence[str] = (),
) -> DriftReport:
    """Compare the last applied state with what a refresh read, and the spec with both.

    `live_tags` holds the tags read for each existing taggable resource (absent: not read; by
    default the tags the refresh read, `Observed.tags`, which is what the plan compares too);
    `members` lists what lives in the managed dataset groups; `plan` is the plan for the spec;
    `lifecycle_ignore` is each spec resource's `lifecycle.ignore_changes`: drift under it is
    listed as ignored, since apply leaves it by design.
    """
    ignore = ignore or IgnoreList()
    if live_tags is None:
        live_tags = {a: dict(o.tags) for a, o in observed.items() if o is not None and o.tags is not None}
    lifecycle_ignore = lifecycle_ignore or {}
    ignored: list[str] = []
    drifted: list[ResourceDrift] = []
    plan_changes = plan.by_address() if plan else {}
    in_spec = spec_addresses if spec_addresses is not None else set(plan_changes)

    for address in sorted(state.resources):
        res = state.resources[address]
        obs = observed.get(address)
        common = dict(address=address, type=res.type, name=res.name, in_spec=address in in_spec)
        if obs is None or obs.phase in (Phase.GONE, Phase.DELETING):
            if ignore.ignores_resource(address, res.arn):
                ignored.append(address)
                continue
            drifted.append(ResourceDrift(arn=res.arn, kind=DriftKind.DELETED, status=obs.status if obs else None, **common))
            continue
        adapter = adapters.get(res.type)
        attrs: list[AttributeDrift] = []
        if obs.phase is Phase.FAILED:
            attrs.append(AttributeDrift("status", "ACTIVE", f"{obs.status}: {obs.failure_reason or ''}".rstrip(": ")))
        if obs.arn != res.arn:
            attrs.append(AttributeDrift("arn", res.arn, obs.arn))
        applied = dict(res.params)
        live = adapter.align_observed(obs.params, applied) if adapter else dict(obs.params)
        for path in differing_paths(applied, live):
            attrs.append(AttributeDrift(path, value_at(applied, path), value_at(live, path)))
        if address in live_tags:
            now = live_tags[address]
            for key in sorted(set(res.tags) | set(now)):
                if res.tags.get(key) != now.get(key):
                    attrs.append(AttributeDrift(f"tags.{key}", res.tags.get(key), now.get(key)))
        kept = []
        by_lifecycle = lifecycle_ignore.get(address, ())
        if adapter and adapter.taggable and not adapter.is_intent and tags_ignored(by_lifecycle):
            ignored.append(f"{address}:tags")  # not read: lifecycle.ignore_changes covers them
        for attr in attrs:
            if (ignore.ignores_attribute(address, attr.path) or ignore.ignores_resource(res.arn)
                    or (attr.path != "status" and ignored_by_lifecycle(attr.path, by_lifecycle))):
                ignored.append(f"{address}:{attr.path}")
            else:
                kept.append(attr)
        if kept:
            drifted.append(ResourceDrift(arn=obs.arn, kind=DriftKind.CHANGED, attributes=tuple(kept), status=obs.status,
                                         **common))

    known_arns = {r.arn for r in state.resources.values()} | {o.arn for o in observed.values() if o is not None}
    unmanaged = []
    for member in sorted(members, key=lambda m: (m.dataset_group, m.type, m.name)):
        if member.arn in known_arns:
            continue
        if ignore.ignores_resource(member.address, member.arn):
            ignored.append(member.address)
            continue
        unmanaged.append(member)

    drifted_by_address = {d.address: d for d in drifted}
    pending = _classify_pending(plan, state, drifted_by_address, ignore, ignored, lifecycle_ignore) if plan else []
    ignored[:] = list(dict.fromkeys(ignored))
    for change_address, p in ((p.change.address, p) for p in pending):
        d = drifted_by_address.get(change_address)
        if d is not None and p.change.actionable:
            drifted[drifted.index(d)] = replace(d, reverted_by_apply=p.cause is PendingCause.DRIFT,
                                                spec_changes_it=p.cause is PendingCause.SPEC)

    return DriftReport(
        stack=state.stack, lineage=state.lineage if state.serial else None, serial=state.serial, backend=backend,
        checked=len(state.resources), drifted=tuple(drifted), unmanaged=tuple(unmanaged), pending=tuple(pending),
        ignored=tuple(ignored), warnings=tuple(warnings), plan=plan,
    )


def _classify_pending(plan: Plan, state: StateFile, drifted: Mapping[str, ResourceDrift], ignore: IgnoreList,
                      ignored: list[str], lifecycle_ignore: Mapping[str, tuple[str, ...]]) -> list[PendingChange]:
    """The plan's changes, each marked as coming from the spec or only undoing drift.

    A change undoes drift when the spec still asks for exactly what was last applied (so AWS
    moved, not the spec), or when it only cascades from such a change. Drift the ignore file
    accepts still makes the plan revert it; that change is listed, as caused by drift."""
    out: list[PendingChange] = []
    by_cause: dict[PendingCause, set[str]] = {PendingCause.DRIFT: set(), PendingCause.SPEC: set()}
    for change in plan.changes:
        if change.action is Action.NOOP and not change.adopt:
            continue
        prior = state.resources.get(change.address)
        spec_unchanged = (
            prior is not None and change.action is not Action.DELETE and not change.adopt
            and prior.status != ResourceStatus.CREATING
            and not differing_paths(dict(change.after or {}), dict(prior.params))
            and _tags(change.tags_after, lifecycle_ignore.get(change.address, ())) == _tags(
                prior.tags, lifecycle_ignore.get(change.address, ()))
        )
        cause = PendingCause.SPEC
        if spec_unchanged:
            if change.reason in (Reason.DEPENDENCY_REPLACED, Reason.TRIGGERED):
                deps = set(change.depends_on)
                only_drift = deps & by_cause[PendingCause.DRIFT] and not deps & by_cause[PendingCause.SPEC]
                cause = PendingCause.DRIFT if only_drift else PendingCause.SPEC
            else:
                cause = PendingCause.DRIFT
        by_cause[cause].add(change.address)
        if ignore.ignores_resource(change.address, change.arn or ""):
            ignored.append(change.address)
            continue
        out.append(PendingChange(change, cause))
    return out


def _tags(tags: Mapping[str, str] | None, by_lifecycle: tuple[str, ...]) -> dict[str, str]:
    """The tags the spec decides (keys under lifecycle.ignore_changes keep whatever AWS has)."""
    return {k: v for k, v in (tags or {}).items() if not ignored_by_lifecycle(f"tags.{k}", by_lifecycle)}

"""Reading AWS for a drift check: everything in the managed dataset groups; the managed
resources and their tags are read by the plan's own refresh (observe.py).

Lists go through botocore's paginators (`ResourceType.list_live`); which types count as
unmanaged when perso does not know them, and under which parent they are listed, is each
adapter's to say (`detect_unmanaged`, `parent`, `listing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..diff import make_plan
from ..errors import PlanError, StateError
from ..observe import observe
from ..plan import Plan
from ..planfile import redact_plan, redact_sensitive
from ..resources.base import Phase, ResourceType
from ..resources.registry import REGISTRY, children_of
from .compare import compute_drift
from .ignore import IgnoreList
from .model import AttributeDrift, DriftReport, UnmanagedResource


def _unmanaged_children(type_name: str, adapters: Mapping[str, ResourceType]) -> list[ResourceType]:
    return [a for a in children_of(type_name, adapters) if a.detect_unmanaged and a.listing is not None]


def unmanaged_roots(adapters: Mapping[str, ResourceType] = REGISTRY) -> set[str]:
    """Types whose managed resources are searched for unmanaged members (the dataset group)."""
    return {t for t, a in adapters.items() if not a.detect_unmanaged and _unmanaged_children(t, adapters)}


def list_group_members(client: Any, groups: Mapping[str, str], *, parallelism: int = 10,
                       adapters: Mapping[str, ResourceType] = REGISTRY, root_type: str | None = None
                       ) -> tuple[list[UnmanagedResource], list[str]]:
    """Everything that lives in each dataset group (address -> ARN), level by level: what AWS
    lists under the group, then what it lists under those (campaigns under solutions).

    Listing failures (permissions, an API the region lacks) become warnings, not errors."""
    root = root_type or next(iter(sorted(unmanaged_roots(adapters))))
    found: list[UnmanagedResource] = []
    warnings: list[str] = []

    def group_key(address: str) -> str:
        return address.split(".", 1)[1] if "." in address else address

    def one(group: str, parent_arn: str, adapter: ResourceType) -> list[UnmanagedResource]:
        try:
            items = adapter.list_live(client, parent_arn)
        except (ClientError, BotoCoreError) as exc:
            warnings.append(f"could not list {adapter.type_name.replace('_', ' ')}s in {group}: {exc}")
            return []
        arn_key = adapter.listing.arn_key if adapter.listing else "arn"
        return [UnmanagedResource(address=f"{adapter.type_name}.{group_key(group)}.{item.get('name', '?')}",
                                  type=adapter.type_name, name=str(item.get("name", "")), arn=item[arn_key],
                                  dataset_group=group, status=item.get("status"))
                for item in items]

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        level = [(group, arn, root) for group, arn in groups.items()]
        while level:
            futures = [pool.submit(one, group, arn, adapter)
                       for group, arn, type_name in level for adapter in _unmanaged_children(type_name, adapters)]
            listed = [m for future in futures for m in future.result()]
            found.extend(listed)
            level = [(m.dataset_group, m.arn, m.type) for m in listed]
    return found, warnings


def detect_drift(ws: Any, *, ignore: IgnoreList | None = None, unmanaged: bool = True) -> DriftReport:
    """Refresh everything perso manages (and the groups it manages) and compare. Read-only.

    `ws` is an engine.Workspace. No lock is taken and nothing is written."""
    state = ws.backend.read()
    if state.serial and state.stack != ws.spec.stack:
        raise StateError(
            f"the state at {ws.backend.describe()} belongs to stack '{state.stack}', not '{ws.spec.stack}'",
            hint="point --state at this stack's state, or fix `stack:` in the spec",
        )
    if not state.serial:
        state.stack = ws.spec.stack
    state.unseal(ws.spec.sensitive)
    warnings: list[str] = []
    observed = observe(ws.client, ws.spec.resources, state, ws.adapters, parallelism=ws.parallelism,
                       tagging=ws.tagging)
    plan: Plan | None
    try:
        plan = make_plan(ws.spec.resources, state, observed, ws.adapters, spec_digest=ws.spec.digest)
    except PlanError as exc:
        plan = None
        warnings.append(f"pending changes could not be planned: {exc.message}")
    members: list[UnmanagedResource] = []
    if unmanaged:
        roots = unmanaged_roots(ws.adapters)
        for root in sorted(roots):
            groups = {a: o.arn for a, o in observed.items()
                      if a in state.resources and state.resources[a].type == root and o is not None
                      and o.phase not in (Phase.GONE, Phase.DELETING)}
            listed, list_warnings = list_group_members(ws.client, groups, parallelism=ws.parallelism,
                                                       adapters=ws.adapters, root_type=root)
            members.extend(listed)
            warnings.extend(list_warnings)
    # The tags were read by the same refresh as the plan's (observe), so drift and plan agree.
    report = compute_drift(state, observed, ws.adapters, plan=plan, members=members, ignore=ignore,
                         lifecycle_ignore={a: r.lifecycle.ignore_changes for a, r in ws.spec.resources.items()},
                         spec_addresses=set(ws.spec.resources), backend=ws.backend.describe(),
                         warnings=sorted(warnings))
    return _redacted(report, ws.spec.sensitive)


def _redacted(report: DriftReport, values: Mapping[str, str]) -> DriftReport:
    """The report to show: sensitive values replaced by `(sensitive:NAME)`, like a plan's."""
    if not values:
        return report
    drifted = tuple(replace(d, attributes=tuple(
        AttributeDrift(a.path, redact_sensitive(a.before, values), redact_sensitive(a.after, values))
        for a in d.attributes)) for d in report.drifted)
    plan = redact_plan(report.plan, values) if report.plan else None
    shown = plan.by_address() if plan else {}
    pending = tuple(replace(p, change=shown.get(p.change.address, p.change)) for p in report.pending)
    return replace(report, drifted=drifted, pending=pending, plan=plan)

"""Drift: what changed in AWS behind perso's back, and what the spec still wants to change.

Terraform's model: drift is the last applied state (PrevRunState) against what a refresh just
read (PriorState), attribute by attribute. perso reports four kinds of finding:

- changed:   a managed resource whose live parameters or tags differ from what perso last
             applied (with before = last applied, after = live);
- deleted:   a managed resource that is gone (or being deleted) in AWS;
- unmanaged: a dataset, solution, campaign, filter, event tracker, recommender or metric
             attribution inside a dataset group perso manages, that perso does not manage;
- pending:   changes the plan would make because the spec differs from what was applied.

Known, accepted drift is silenced with an ignore file (`.persoignore`): one rule a line,
`ADDRESS` (everything about that resource) or `ADDRESS:ATTRIBUTE.PATH`; shell-style wildcards
(`campaign.*`, `*:tags.*`); `#` starts a comment. Unmanaged resources are matched by the address
they would have (`solution.GROUP.NAME`) or by ARN.

Drift never writes: no state write, no lock, no AWS change. `compute_drift` is pure; the
functions around it read AWS.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .compare import value_at
from .diff import differing_paths, make_plan
from .errors import PersoError, PlanError, StateError
from .observe import observe
from .plan import Action, Change, Plan, Reason
from .resources.base import Observed, Phase, ResourceType
from .state.model import StateFile

DRIFT_FORMAT_VERSION = "1.0"


# -- findings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttributeDrift:
    path: str          # dotted parameter path, or "tags.KEY", or "status"
    before: Any        # what perso last applied
    after: Any         # what AWS has now


@dataclass(frozen=True)
class ResourceDrift:
    address: str
    type: str
    name: str
    arn: str
    kind: str                                   # "changed" | "deleted"
    attributes: tuple[AttributeDrift, ...] = ()
    status: str | None = None                   # the live status, when there is one
    in_spec: bool = True                        # False: removed from the spec, not yet destroyed
    reverted_by_apply: bool = False             # the spec still wants the applied value


@dataclass(frozen=True)
class UnmanagedResource:
    address: str                                # the address it would have: solution.GROUP.NAME
    type: str
    name: str
    arn: str
    dataset_group: str                          # the managed group's address
    status: str | None = None


@dataclass(frozen=True)
class PendingChange:
    change: Change
    cause: str                                  # "spec": the spec changed; "drift": it reverts drift


@dataclass(frozen=True)
class DriftReport:
    stack: str
    lineage: str | None
    serial: int
    backend: str
    checked: int                                # managed resources refreshed
    drifted: tuple[ResourceDrift, ...] = ()
    unmanaged: tuple[UnmanagedResource, ...] = ()
    pending: tuple[PendingChange, ...] = ()
    ignored: tuple[str, ...] = ()               # what the ignore file silenced, as ignore-file lines
    warnings: tuple[str, ...] = ()
    plan: Plan | None = None

    @property
    def changed(self) -> list[ResourceDrift]:
        return [d for d in self.drifted if d.kind == "changed"]

    @property
    def deleted(self) -> list[ResourceDrift]:
        return [d for d in self.drifted if d.kind == "deleted"]

    @property
    def spec_pending(self) -> list[PendingChange]:
        return [p for p in self.pending if p.cause == "spec"]

    @property
    def has_drift(self) -> bool:
        return bool(self.drifted or self.unmanaged)

    @property
    def has_pending_changes(self) -> bool:
        return bool(self.spec_pending)

    @property
    def has_changes(self) -> bool:
        return self.has_drift or self.has_pending_changes

    @property
    def exit_code(self) -> int:
        """0: in sync; 2: drift or pending changes found (1, an error, is the CLI's)."""
        return 2 if self.has_changes else 0

    def summary(self) -> dict[str, int]:
        return {"changed": len(self.changed), "deleted": len(self.deleted), "unmanaged": len(self.unmanaged),
                "pending": len(self.spec_pending), "ignored": len(self.ignored)}


# -- the ignore file -----------------------------------------------------------------------------

@dataclass(frozen=True)
class IgnoreRule:
    address: str                  # glob
    path: str | None = None       # glob over dotted attribute paths; None: the whole resource

    def __str__(self) -> str:
        return self.address if self.path is None else f"{self.address}:{self.path}"


@dataclass(frozen=True)
class IgnoreList:
    rules: tuple[IgnoreRule, ...] = ()
    source: str = ""

    def ignores_resource(self, *names: str) -> bool:
        return any(r.path is None and any(fnmatch.fnmatchcase(n, r.address) for n in names if n)
                   for r in self.rules)

    def ignores_attribute(self, address: str, path: str) -> bool:
        for rule in self.rules:
            if not fnmatch.fnmatchcase(address, rule.address):
                continue
            if rule.path is None or fnmatch.fnmatchcase(path, rule.path) or path.startswith(rule.path + "."):
                return True
        return False


def parse_ignore(text: str, source: str = ".persoignore") -> IgnoreList:
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("arn:"):
            rules.append(IgnoreRule(line))
            continue
        address, sep, path = line.partition(":")
        address, path = address.strip(), path.strip()
        if not address or (sep and not path) or " " in address or " " in path:
            raise PersoError(f"{source}:{number}: cannot read the ignore rule {raw.strip()!r}",
                             hint="write ADDRESS or ADDRESS:ATTRIBUTE.PATH, e.g. campaign.main.recs:minProvisionedTPS")
        rules.append(IgnoreRule(address, path or None))
    return IgnoreList(tuple(rules), source)


def load_ignore(path: str | Path | None) -> IgnoreList:
    if path is None:
        return IgnoreList()
    file = Path(path)
    try:
        return parse_ignore(file.read_text(encoding="utf-8"), str(file))
    except FileNotFoundError:
        raise PersoError(f"the ignore file {file} does not exist",
                         hint="create it, or leave out --ignore-file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PersoError(f"the ignore file {file} cannot be read: {exc}") from None


def baseline_lines(report: DriftReport) -> list[str]:
    """Ignore-file lines that accept every drift finding of `report` (like driftctl gen-driftignore)."""
    lines = []
    for d in report.drifted:
        if d.kind == "deleted":
            lines.append(d.address)
        else:
            lines.extend(f"{d.address}:{a.path}" for a in d.attributes)
    lines.extend(u.address for u in report.unmanaged)
    return lines


# -- the pure comparison -------------------------------------------------------------------------

def compute_drift(
    state: StateFile,
    observed: Mapping[str, Observed | None],
    adapters: Mapping[str, ResourceType],
    *,
    live_tags: Mapping[str, Mapping[str, str]] | None = None,
    plan: Plan | None = None,
    members: Sequence[UnmanagedResource] = (),
    ignore: IgnoreList | None = None,
    spec_addresses: set[str] | None = None,
    backend: str = "",
    warnings: Sequence[str] = (),
) -> DriftReport:
    """Compare the last applied state with what a refresh read, and the spec with both.

    `live_tags` holds the tags read for each existing taggable resource (absent: not read);
    `members` lists what lives in the managed dataset groups; `plan` is the plan for the spec.
    """
    ignore = ignore or IgnoreList()
    live_tags = live_tags or {}
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
            drifted.append(ResourceDrift(arn=res.arn, kind="deleted", status=obs.status if obs else None, **common))
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
        for attr in attrs:
            if ignore.ignores_attribute(address, attr.path) or ignore.ignores_resource(res.arn):
                ignored.append(f"{address}:{attr.path}")
            else:
                kept.append(attr)
        if kept:
            drifted.append(ResourceDrift(arn=obs.arn, kind="changed", attributes=tuple(kept), status=obs.status,
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
    pending = _classify_pending(plan, state, drifted_by_address, ignore, ignored) if plan else []
    ignored[:] = list(dict.fromkeys(ignored))
    for change_address, p in ((p.change.address, p) for p in pending):
        d = drifted_by_address.get(change_address)
        if d is not None and p.cause == "drift":
            drifted[drifted.index(d)] = replace(d, reverted_by_apply=True)

    return DriftReport(
        stack=state.stack, lineage=state.lineage if state.serial else None, serial=state.serial, backend=backend,
        checked=len(state.resources), drifted=tuple(drifted), unmanaged=tuple(unmanaged), pending=tuple(pending),
        ignored=tuple(ignored), warnings=tuple(warnings), plan=plan,
    )


def _classify_pending(plan: Plan, state: StateFile, drifted: Mapping[str, ResourceDrift], ignore: IgnoreList,
                      ignored: list[str]) -> list[PendingChange]:
    """The plan's changes, each marked as coming from the spec or only undoing drift.

    A change undoes drift when the spec still asks for exactly what was last applied (so AWS
    moved, not the spec), or when it only cascades from such a change. Drift the ignore file
    accepts still makes the plan revert it; that change is listed, as caused by drift."""
    out: list[PendingChange] = []
    by_cause: dict[str, set[str]] = {"drift": set(), "spec": set()}
    for change in plan.changes:
        if change.action is Action.NOOP and not change.adopt:
            continue
        prior = state.resources.get(change.address)
        spec_unchanged = (
            prior is not None and change.action is not Action.DELETE and not change.adopt
            and not differing_paths(dict(change.after or {}), dict(prior.params))
            and dict(change.tags_after or {}) == dict(prior.tags)
        )
        cause = "spec"
        if spec_unchanged:
            if change.reason in (Reason.DEPENDENCY_REPLACED, Reason.TRIGGERED):
                deps = set(change.depends_on)
                cause = "drift" if deps & by_cause["drift"] and not deps & by_cause["spec"] else "spec"
            else:
                cause = "drift"
        by_cause[cause].add(change.address)
        if ignore.ignores_resource(change.address, change.arn or ""):
            ignored.append(change.address)
            continue
        out.append(PendingChange(change, cause))
    return out


# -- reading AWS ---------------------------------------------------------------------------------

# Personalize types that live inside a dataset group: (type, list operation, result key, ARN key)
GROUP_MEMBERS: tuple[tuple[str, str, str, str], ...] = (
    ("dataset", "list_datasets", "datasets", "datasetArn"),
    ("solution", "list_solutions", "solutions", "solutionArn"),
    ("filter", "list_filters", "Filters", "filterArn"),
    ("event_tracker", "list_event_trackers", "eventTrackers", "eventTrackerArn"),
    ("recommender", "list_recommenders", "recommenders", "recommenderArn"),
    ("metric_attribution", "list_metric_attributions", "metricAttributions", "metricAttributionArn"),
)


def _list_all(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[dict]:
    items: list[dict] = []
    token = None
    while True:
        args = dict(kwargs, maxResults=100)
        if token:
            args["nextToken"] = token
        page = getattr(client, operation)(**args)
        items.extend(page.get(result_key, []))
        token = page.get("nextToken")
        if not token:
            return items


def list_group_members(client: Any, groups: Mapping[str, str], *, parallelism: int = 10
                       ) -> tuple[list[UnmanagedResource], list[str]]:
    """Everything that lives in each dataset group (address -> ARN), campaigns included.

    Listing failures (permissions, an API the region lacks) become warnings, not errors."""
    found: list[UnmanagedResource] = []
    warnings: list[str] = []

    def group_key(address: str) -> str:
        return address.split(".", 1)[1] if "." in address else address

    def one(group: str, group_arn: str, type_name: str, operation: str, key: str, arn_key: str,
            **filters: Any) -> list[UnmanagedResource]:
        try:
            items = _list_all(client, operation, key, **filters)
        except (ClientError, BotoCoreError) as exc:
            warnings.append(f"could not list {type_name.replace('_', ' ')}s in {group}: {exc}")
            return []
        return [UnmanagedResource(address=f"{type_name}.{group_key(group)}.{item.get('name', '?')}", type=type_name,
                                  name=str(item.get("name", "")), arn=item[arn_key], dataset_group=group,
                                  status=item.get("status"))
                for item in items if not str(item.get("status", "")).upper().startswith("DELETE")]

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        futures = [pool.submit(one, group, arn, t, op, key, arn_key, datasetGroupArn=arn)
                   for group, arn in groups.items() for t, op, key, arn_key in GROUP_MEMBERS]
        for future in futures:
            found.extend(future.result())
        solutions = [m for m in found if m.type == "solution"]
        campaigns = [pool.submit(one, s.dataset_group, groups[s.dataset_group], "campaign", "list_campaigns",
                                 "campaigns", "campaignArn", solutionArn=s.arn) for s in solutions]
        for future in campaigns:
            found.extend(future.result())
    return found, warnings


def read_live_tags(client: Any, state: StateFile, observed: Mapping[str, Observed | None],
                   adapters: Mapping[str, ResourceType], *, parallelism: int = 10
                   ) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The live tags of every existing, taggable managed resource (intents have none of their own)."""
    targets = {}
    for address, res in state.resources.items():
        obs, adapter = observed.get(address), adapters.get(res.type)
        if obs is None or adapter is None or not adapter.taggable or adapter.is_intent:
            continue
        if obs.phase in (Phase.GONE, Phase.DELETING):
            continue
        targets[address] = (adapter, obs.arn)
    tags: dict[str, dict[str, str]] = {}
    warnings: list[str] = []

    def read(address: str) -> None:
        adapter, arn = targets[address]
        try:
            tags[address] = adapter.read_tags(client, arn)
        except (ClientError, BotoCoreError) as exc:
            warnings.append(f"could not read the tags of {address}: {exc}")

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        list(pool.map(read, sorted(targets)))
    return tags, warnings


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
    warnings: list[str] = []
    observed = observe(ws.client, ws.spec.resources, state, ws.adapters, parallelism=ws.parallelism)
    plan: Plan | None
    try:
        plan = make_plan(ws.spec.resources, state, observed, ws.adapters, spec_digest=ws.spec.digest)
    except PlanError as exc:
        plan = None
        warnings.append(f"pending changes could not be planned: {exc.message}")
    tags, tag_warnings = read_live_tags(ws.client, state, observed, ws.adapters, parallelism=ws.parallelism)
    warnings.extend(tag_warnings)
    members: list[UnmanagedResource] = []
    if unmanaged:
        groups = {a: o.arn for a, o in observed.items()
                  if a in state.resources and state.resources[a].type == "dataset_group" and o is not None
                  and o.phase not in (Phase.GONE, Phase.DELETING)}
        members, list_warnings = list_group_members(ws.client, groups, parallelism=ws.parallelism)
        warnings.extend(list_warnings)
    return compute_drift(state, observed, ws.adapters, live_tags=tags, plan=plan, members=members, ignore=ignore,
                         spec_addresses=set(ws.spec.resources), backend=ws.backend.describe(),
                         warnings=sorted(warnings))


__all__ = [
    "AttributeDrift", "DriftReport", "IgnoreList", "IgnoreRule", "PendingChange", "ResourceDrift",
    "UnmanagedResource", "baseline_lines", "compute_drift", "detect_drift", "list_group_members", "load_ignore",
    "parse_ignore", "read_live_tags", "DRIFT_FORMAT_VERSION",
]

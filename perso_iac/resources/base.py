"""The contract every resource adapter fulfils, and the mapping of Personalize statuses to phases.

An adapter knows one Personalize type: how to read it (Describe), find it by name (List),
create, update in place (only through the real Update APIs) and delete it, and how to put
its parameters in a canonical shape so the generic differ sees no phantom differences.
Adapters never wait and never print; the applier waits, the CLI prints.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from ..compare import differing_paths, same_value
from .impact import Impact

if TYPE_CHECKING:  # the spec-facing hooks' argument types; entry.py imports this module
    from ..spec.checks import Checked, PathT, Problems
    from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting


class Phase(Enum):
    PENDING = "pending"      # being created, updated, started or stopped
    READY = "ready"          # settled: ACTIVE (or INACTIVE for a stopped recommender)
    FAILED = "failed"        # CREATE FAILED / CREATE STOPPED: needs replacing
    DELETING = "deleting"    # DELETE PENDING / DELETE IN_PROGRESS
    GONE = "gone"            # not found


@dataclass(frozen=True)
class StatusMap:
    """How one type's Personalize statuses map onto the phases the engine reasons about.
    No status (schemas) is READY; DELETE* is DELETING; anything else not listed is PENDING."""

    ready: frozenset[str] = frozenset({"ACTIVE"})
    failed: frozenset[str] = frozenset({"CREATE FAILED"})

    def phase(self, status: str | None) -> Phase:
        if status is None:
            return Phase.READY  # schemas have no status: they exist as soon as they are created
        status = status.upper()
        if status in self.ready:
            return Phase.READY
        if status in self.failed:
            return Phase.FAILED
        if status.startswith("DELETE"):
            return Phase.DELETING
        return Phase.PENDING


# Any type's statuses, for an Observed built without its adapter's map (tests, saved plans).
ANY_STATUSES = StatusMap(ready=frozenset({"ACTIVE", "INACTIVE", "COMPLETED"}),
                         failed=frozenset({"CREATE FAILED", "CREATE STOPPED", "FAILED"}))


def phase(status: str | None) -> Phase:
    """Map a Personalize status string onto the few phases the engine reasons about."""
    return ANY_STATUSES.phase(status)


@dataclass(frozen=True)
class Observed:
    """A live resource as read from AWS, already normalized for comparison."""

    arn: str
    params: Mapping[str, Any]
    status: str | None = None
    failure_reason: str | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)  # always includes "arn"
    # True while an update (latestCampaignUpdate etc.) is still in progress
    updating: bool = False
    statuses: StatusMap = field(default=ANY_STATUSES, compare=False, repr=False)
    # The live tags (ListTagsForResource); None when not read (not taggable, an intent, tags under
    # lifecycle.ignore_changes, --no-refresh): the plan then trusts the state's tags.
    tags: Mapping[str, str] | None = None

    @property
    def phase(self) -> Phase:
        settled = self.statuses.phase(self.status)
        if self.updating and settled is Phase.READY:
            return Phase.PENDING
        return settled


@dataclass(frozen=True)
class Held:
    """What an update keeps back: the values refused (apply sends what AWS has instead) and a
    message saying why (a promotion gate's verdict)."""

    refused: Mapping[str, Any]     # path -> the desired value not applied
    reason: str


@dataclass(frozen=True)
class Listing:
    """How a type is listed: `client.<operation>(<parent_param>=parent ARN)` → items under `result_key`."""

    operation: str
    result_key: str
    arn_key: str
    parent_param: str | None = None   # the List filter naming the parent (None: listed account-wide)


class ResourceType:
    """Base adapter. Subclasses set the class attributes and implement the lifecycle verbs.

    Besides talking to AWS, an adapter is the one place that says what its type is in a spec
    (section, keys, JSON Schema, checks, how an entry flattens), in the account (parent, how it
    is listed, whether drift reports unmanaged ones) and in a plan (cost notes, timeouts)."""

    type_name: ClassVar[str]
    # -- in the spec ----------------------------------------------------------------------------
    section: ClassVar[str | None] = None      # the spec key its entries are written under ("datasets")
    container: ClassVar[str | None] = None    # the type whose entries hold `section`; None: top level
    host: ClassVar[str | None] = None         # intents: the type whose entry declares them, under nested_key
    nested_key: ClassVar[str | None] = None
    params: ClassVar[tuple[str, ...]] = ()    # API parameters a spec sets (lifecycle.ignore_changes names them)
    attributes: ClassVar[tuple[str, ...]] = ("arn",)  # outputs a reference may name: ${type.key.<attribute>}
    import_output: ClassVar[tuple[str, str] | None] = None  # (output name suffix, attribute) a generated spec exports
    required_hints: ClassVar[Mapping[str, str]] = {}  # why a required key must be written (it bills)
    # -- in the account -------------------------------------------------------------------------
    statuses: ClassVar[StatusMap] = StatusMap()  # which statuses mean ready, failed (DELETE*: deleting)
    parent: ClassVar[str | None] = None       # the type whose ARN its List call is filtered by
    listing: ClassVar[Listing | None] = None
    detect_unmanaged: ClassVar[bool] = False  # drift reports live ones perso does not manage
    serves_traffic: ClassVar[bool] = False    # an endpoint apps call: may be an A/B experiment's side
    trains_models: ClassVar[bool] = False     # has trained versions with offline metrics (trained_versions)
    references: ClassVar[tuple[tuple[str, str], ...]] = ()  # (param, type) of top-level resources it uses
    # Top-level parameter keys that the type's Update API changes in place; any other change replaces.
    updatable: ClassVar[frozenset[str]] = frozenset()
    taggable: ClassVar[bool] = True
    # Intents (an import job, a training run) have no delete API: deleting one only forgets it,
    # and they never block the deletion of what they depend on.
    is_intent: ClassVar[bool] = False
    # How long the applier waits for this type to settle, in seconds of real (scaled) time.
    create_timeout: ClassVar[float] = 3600.0
    delete_timeout: ClassVar[float] = 3600.0
    # What replacing or deleting one costs its users, and how long AWS usually takes to create and
    # delete it: plans show it, and the waiter polls on a schedule fitted to it.
    impact: ClassVar[Impact | None] = None
    typical_update: ClassVar[float] = 60.0    # seconds an in-place update usually takes
    # Why a replacement cannot be created before the old one is deleted (validate refuses
    # lifecycle.create_before_destroy with it); empty: AWS allows two at once under different names.
    no_create_before_destroy: ClassVar[str] = "perso does not replace this type create-before-destroy"
    create_before_destroy_by_default: ClassVar[bool] = False  # even without lifecycle.create_before_destroy

    @property
    def typical_create(self) -> float:
        return self.impact.typical_create if self.impact else 60.0

    @property
    def typical_delete(self) -> float:
        return self.impact.typical_delete if self.impact else 60.0

    def with_timeouts(self, *, create: float | None = None, delete: float | None = None) -> ResourceType:
        """A copy of this adapter waiting `create`/`delete` seconds instead (e.g. for a slow region)."""
        adapter = copy.copy(self)
        if create is not None:
            adapter.create_timeout = create
        if delete is not None:
            adapter.delete_timeout = delete
        return adapter

    # -- reading --------------------------------------------------------------------------------
    def read(self, client: Any, arn: str) -> Observed | None:
        """Describe the resource; None when it does not exist."""
        raise NotImplementedError

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        """The ARN of an existing resource with this name (under the parent in `params`), if any.
        Used to adopt what a killed apply created before it could record it."""
        listing = self.listing
        if listing is None:
            raise NotImplementedError
        filters: dict[str, Any] = {}
        if listing.parent_param:
            parent = params.get(listing.parent_param)
            if not isinstance(parent, str):
                return None
            filters[listing.parent_param] = parent
        return find_by_name(client, listing.operation, listing.result_key, listing.arn_key, name, **filters)

    def list_live(self, client: Any, parent_arn: str | None) -> list[dict[str, Any]]:
        """The listed items of this type (under `parent_arn`), without those being deleted."""
        listing = self.listing
        if listing is None:
            return []
        filters = {listing.parent_param: parent_arn} if listing.parent_param and parent_arn else {}
        return [i for i in paginate(client, listing.operation, listing.result_key, **filters)
                if not str(i.get("status", "")).upper().startswith("DELETE")]

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Canonical comparable shape of desired parameters (defaults, spelling, JSON text)."""
        return dict(params)

    def can_update(self, path: str, desired: Mapping[str, Any]) -> bool:
        """Whether a change at dotted parameter `path` can be made in place by `update()`."""
        return path.split(".", 1)[0] in self.updatable

    def in_place_problem(self, desired: Mapping[str, Any], before: Mapping[str, Any],
                         planned: Mapping[str, Any]) -> tuple[tuple[str, ...], str, str] | None:
        """When AWS would refuse this in-place update although its paths are updatable (the plan's other
        changes, `planned` by address, can tell): (paths forcing replacement, why, the in-place route)."""
        return None

    def in_place_hint(self, desired: Mapping[str, Any], before: Mapping[str, Any], planned: Mapping[str, Any],
                      fixed: tuple[str, ...]) -> str:
        """For a replacement forced by `fixed`: how AWS could make a similar change in place, if it can."""
        return ""

    def align_observed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        """Rewrite observed values that mean the same as the desired ones in another spelling
        (e.g. a campaign following `$LATEST` reports the concrete version it serves)."""
        return dict(observed)

    # -- writing --------------------------------------------------------------------------------
    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        """Start creating the resource; return its ARN without waiting."""
        raise NotImplementedError

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        """Change updatable parameters in place; called only when they differ."""
        raise NotImplementedError(f"{self.type_name} has no update API")

    def delete(self, client: Any, arn: str) -> None:
        """Start deleting the resource; must tolerate it being already gone."""
        raise NotImplementedError

    def trained_versions(self, client: Any, arn: str) -> list[dict[str, Any]] | None:
        """Models trained for this resource, newest first, with their offline metrics; None: it trains none."""
        return None

    def hold_back(self, client: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> Held | None:
        """Values of `after` that must not be applied yet, and why (e.g. a promotion gate); None: apply all."""
        return None

    def converge(self, client: Any, arn: str, desired: Mapping[str, Any], observed: Observed) -> bool:
        """Called once the resource is READY after create or update: start what create()/update()
        could not start yet because AWS allows it only on a settled resource (e.g. stopping a new
        recommender). Return True when a transition was started (wait for READY again, then call
        this again), False when nothing is left to do."""
        return False

    # -- in the spec ----------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of one spec entry of this type (None: the type has no entries of its own)."""
        return None

    def declared_in(self, host_entry: Mapping[str, Any]) -> bool:
        """Intents: whether the host's entry asks for one."""
        return False

    def check_entry(self, key: str, path: PathT, entry: Mapping[str, Any], checked: Checked,
                    problems: Problems) -> None:
        """Checks of one entry that a JSON Schema cannot make (beyond name, tags and lifecycle)."""

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        """Checks across the entries of this type in one container, once per container."""

    def flatten(self, c: EntryContext) -> list[Flat]:
        """The resources this validated entry (or, for an intent, its host's entry) declares."""
        return []

    # -- in a generated spec (perso import --generate-spec) ---------------------------------------
    def discover(self, client: Any, parent_arn: str, parent: Observed, container_name: str,
                 host_key: str) -> list[tuple[str, str]]:
        """(spec key, ARN) of the live resources of this type under a discovered parent."""
        arn_key = self.listing.arn_key if self.listing else "arn"
        return [(spec_key(str(i.get("name", "")), container_name), i[arn_key])
                for i in self.list_live(client, parent_arn)]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        """The spec entry's own keys (no name, no tags) describing a discovered resource."""
        return {}

    def nested_entry(self, host: Discovered, found: Discovered | None, ctx: SpecWriting) -> Any:
        """Intents: the value of `nested_key` in the host's generated entry; None to leave it out."""
        return None

    # -- in a plan ------------------------------------------------------------------------------
    def cost_note(self, after: Mapping[str, Any]) -> str | None:
        """What creating or changing it to `after` starts billing for, if anything."""
        return None

    # -- tags -----------------------------------------------------------------------------------
    def read_tags(self, client: Any, arn: str) -> dict[str, str]:
        resp = client.list_tags_for_resource(resourceArn=arn)
        return {t["tagKey"]: t.get("tagValue", "") for t in resp.get("tags", [])}

    def update_tags(self, client: Any, arn: str, before: Mapping[str, str], after: Mapping[str, str]) -> None:
        removed = [k for k in before if k not in after]
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if removed:
            client.untag_resource(resourceArn=arn, tagKeys=removed)
        if changed:
            client.tag_resource(resourceArn=arn, tags=api_tags(changed))


# -- helpers shared by adapters ----------------------------------------------------------------

KEY_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")


def spec_key(name: str, group_name: str | None = None) -> str:
    """The spec key for an AWS name: without the '<group>-' prefix the loader adds by default."""
    if group_name and name.startswith(group_name + "-") and len(name) > len(group_name) + 1:
        name = name[len(group_name) + 1:]
    key = KEY_CHARS.sub("_", name).strip("_-") or "main"
    return key if key[0].isalnum() else "r" + key


def api_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"tagKey": k, "tagValue": v} for k, v in sorted(tags.items())]


def not_found(exc: BaseException) -> bool:
    """Whether an AWS call failed with ResourceNotFoundException. Read from the error's response, as
    botocore's ClientError carries it, so that adapters import no botocore (`perso validate` uses
    them and starts without boto3)."""
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def describe_or_none(call: Callable[..., dict], **kwargs: Any) -> dict | None:
    """Run a Describe call; None on ResourceNotFoundException."""
    try:
        return call(**kwargs)
    except Exception as exc:
        if not_found(exc):
            return None
        raise


def ignore_not_found(call: Callable[..., Any], **kwargs: Any) -> None:
    """Run a Delete/Stop call that may find the resource already gone."""
    try:
        call(**kwargs)
    except Exception as exc:
        if not not_found(exc):
            raise


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a List* call, following nextToken."""
    for page in client.get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": 100}):
        yield from page.get(result_key, [])


def find_by_name(client: Any, operation: str, result_key: str, arn_key: str, name: str,
                 **filters: Any) -> str | None:
    """The ARN of the listed item called `name`, skipping ones already being deleted."""
    for item in paginate(client, operation, result_key, **filters):
        if item.get("name") == name and not str(item.get("status", "")).startswith("DELETE"):
            return item[arn_key]
    return None


def covers(have: Any, want: Any) -> bool:
    """Whether `have` already holds every value `want` sets (keys `want` leaves out are ignored)."""
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and not differing_paths(want, have)
    return same_value(want, have)


def created_at(data: Mapping[str, Any]) -> dict[str, str]:
    """`{"creationDateTime": ISO 8601}` from a describe, for outputs: which incarnation of a name this is
    (a resource deleted and made again outside perso keeps its ARN, not its creation time)."""
    value = data.get("creationDateTime")
    if value is None:
        return {}
    return {"creationDateTime": value.isoformat() if hasattr(value, "isoformat") else str(value)}


def pick(data: Mapping[str, Any], keys: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """The given keys of `data` that are present and not None."""
    return {k: data[k] for k in keys if data.get(k) is not None}

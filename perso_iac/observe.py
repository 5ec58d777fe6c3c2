"""Refresh: read the live resources that the spec or the state mention.

Resources in the state are described by ARN, all in parallel (one call each), and the tags of
the taggable ones are read at the same time, so that plan and apply revert tags changed outside
perso like Terraform's refresh does; drift reads through here too, so what drift sees is what plan
sees. A resource whose `lifecycle.ignore_changes` covers its tags skips that read.

Tags are read 100 resources per call with the Resource Groups Tagging API (tag:GetResources), which
AWS documents for Personalize, instead of one ListTagsForResource each: a no-op plan then makes
about one call per resource. That API is eventually consistent, so it is trusted only where it
agrees with the tags the state recorded; where it does not, ListTagsForResource (Personalize's own
answer) decides. A lagging index can therefore delay seeing an outside change, never invent one.
Without the permission (or the endpoint), every taggable resource is read one by one as before.

Resources only in the spec are looked up by name under their parent (a List call), wave by wave in
dependency order, so that what a killed apply created before recording it is found and adopted.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import error_code, wrap_error
from .diff import UNKNOWN, resolve
from .graph import topological_order
from .resources.base import ANY_STATUSES, Observed, Phase, ResourceType, StatusMap
from .spec.model import Ref, ResourceSpec
from .state.model import ResourceState, ResourceStatus, StateFile
from .state.sensitive import hide_previous


def observe(
    client: Any,
    resources: Mapping[str, ResourceSpec],
    state: StateFile,
    adapters: Mapping[str, ResourceType],
    *,
    parallelism: int = 10,
    tagging: Any = None,
) -> dict[str, Observed | None]:
    """The live resource (None: not found) of every address in the state or the spec. `tagging`, a
    Resource Groups Tagging API client, batches the tag reads (see the module's docstring)."""
    observed: dict[str, Observed | None] = {}

    def read(address: str, type_name: str, arn: str) -> Observed | None:
        try:
            return adapters[type_name].read(client, arn)
        except (ClientError, BotoCoreError) as exc:
            raise wrap_error(exc, operation=f"read {type_name}", address=address) from exc

    def read_tags(address: str, type_name: str, arn: str) -> dict[str, str] | None:
        try:
            return adapters[type_name].read_tags(client, arn)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None  # gone: the describe says so
            raise wrap_error(exc, operation=f"read the tags of {type_name}", address=address) from exc
        except BotoCoreError as exc:
            raise wrap_error(exc, operation=f"read the tags of {type_name}", address=address) from exc

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        with_tags = [a for a, r in state.resources.items()
                     if r.arn and reads_tags(adapters[r.type], resources.get(a))]
        batches = _submit_batches(pool, tagging, [state.resources[a].arn for a in with_tags])
        settled = {a for a, r in state.resources.items() if r.arn and _settled_intent(adapters[r.type], r)}
        known = {a: pool.submit(read, a, r.type, r.arn) for a, r in state.resources.items()
                 if r.arn and a not in settled}
        listed = _gather(batches)
        tagged: dict[str, Future] = {}
        for address in with_tags:
            res = state.resources[address]
            if listed is not None and listed.get(res.arn, {}) == res.tags:
                tagged[address] = _done(res.tags)
            else:  # no batch, or it disagrees with the state: Personalize's own answer decides
                tagged[address] = pool.submit(read_tags, address, res.type, res.arn)
        for address, future in known.items():
            observed[address] = _with_tags(future.result(), tagged[address].result() if address in tagged else None)
        by_arn = {r.arn: a for a, r in state.resources.items() if r.arn}
        again = {}
        for address in settled:  # after their parents, whose reads decide whether they are read
            res = state.resources[address]
            if _same_parent(adapters[res.type], res, state, by_arn, observed):
                observed[address] = as_recorded(res, adapters[res.type].statuses)
            else:  # the parent is gone, changing, or was deleted and made again outside perso
                again[address] = pool.submit(read, address, res.type, res.arn)
        observed.update({address: future.result() for address, future in again.items()})

        unknown = {a: r for a, r in resources.items() if a not in observed}
        if not unknown:
            return hide_previous(observed, state)

        def lookup(ref: Ref) -> Any:
            obs = observed.get(ref.address)
            return obs.outputs.get(ref.attr, UNKNOWN) if obs is not None else UNKNOWN

        held = {r.arn for r in state.resources.values() if r.arn}

        def find(spec: ResourceSpec) -> Observed | None:
            adapter = adapters[spec.type]
            params = resolve(dict(spec.params), lookup)
            prior = state.resources.get(spec.address)
            # The name an interrupted apply gave it (a create-before-destroy suffix), else the spec's.
            name = prior.name if prior is not None and prior.name and prior.spec_name == spec.name else spec.name
            try:
                arn = adapter.find(client, name, params)
                if arn in held:  # another address's (e.g. the old one of a create-before-destroy): not this one
                    return None
                obs = adapter.read(client, arn) if arn else None
                if obs is None or spec.address not in state.resources or not reads_tags(adapter, spec):
                    return obs
                return _with_tags(obs, adapter.read_tags(client, obs.arn))  # an interrupted apply's: adopted
            except (ClientError, BotoCoreError) as exc:
                raise wrap_error(exc, operation=f"find {spec.type} by name", address=spec.address) from exc

        for wave in _waves(unknown):
            futures = {a: pool.submit(find, unknown[a]) for a in wave}
            for address, future in futures.items():
                observed[address] = future.result()
    # A sensitive variable that changed: its old value, where AWS still has it, is not shown.
    return hide_previous(observed, state)


TAGS_PER_CALL = 100  # GetResources takes at most 100 ARNs


def _submit_batches(pool: ThreadPoolExecutor, tagging: Any, arns: list[str]) -> list[Future] | None:
    if tagging is None or not arns:
        return None
    return [pool.submit(_tags_of, tagging, arns[i:i + TAGS_PER_CALL]) for i in range(0, len(arns), TAGS_PER_CALL)]


def _tags_of(tagging: Any, arns: list[str]) -> dict[str, dict[str, str]] | None:
    """The tags of the tagged ones among `arns` (GetResources leaves untagged resources out);
    None when the Tagging API cannot be used here (no permission, no endpoint)."""
    try:
        resp = tagging.get_resources(ResourceARNList=arns)
    except (ClientError, BotoCoreError):
        return None
    return {m["ResourceARN"]: {t["Key"]: t.get("Value", "") for t in m.get("Tags", [])}
            for m in resp.get("ResourceTagMappingList", [])}


def _gather(batches: list[Future] | None) -> dict[str, dict[str, str]] | None:
    """All batches' tags together, or None if any batch failed (then every resource is read alone)."""
    if batches is None:
        return None
    merged: dict[str, dict[str, str]] = {}
    for batch in batches:
        tags = batch.result()
        if tags is None:
            return None
        merged.update(tags)
    return merged


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _settled_intent(adapter: ResourceType, res: ResourceState) -> bool:
    """An import job or training that finished: AWS can neither change nor delete it on its own
    (there is no Update or Delete API for them); it goes only with its parent."""
    return (adapter.is_intent and res.status == ResourceStatus.READY and adapter.listing is not None
            and bool(adapter.listing.parent_param))


def _same_parent(adapter: ResourceType, res: ResourceState, state: StateFile, by_arn: Mapping[str, str],
                 observed: Mapping[str, Observed | None]) -> bool:
    """Whether the intent's parent (its dataset, its solution) is settled and is still the one the
    state recorded: same ARN and same creation time, which a parent made again under the same name
    (and so the same ARN) outside perso does not have. Without a recorded time, no: read it."""
    parent_param = adapter.listing.parent_param if adapter.listing else None
    parent = by_arn.get(res.params.get(parent_param)) if parent_param else None
    live = observed.get(parent) if parent else None
    if live is None or live.phase is not Phase.READY:
        return False
    recorded = state.resources[parent].outputs.get("creationDateTime")
    return recorded is not None and live.outputs.get("creationDateTime") == recorded


def as_recorded(res: ResourceState, statuses: StatusMap = ANY_STATUSES) -> Observed:
    """The resource as the state last recorded it, unread: ACTIVE once it had settled."""
    return Observed(arn=res.arn, params=dict(res.params), outputs=dict(res.outputs, arn=res.arn),
                    status="ACTIVE" if res.status == ResourceStatus.READY else "CREATE PENDING",
                    statuses=statuses)


def tags_ignored(ignore_changes: tuple[str, ...]) -> bool:
    """Whether `lifecycle.ignore_changes` covers every tag (`tags`, or all)."""
    return bool({"*", "all", "tags"} & set(ignore_changes))


def reads_tags(adapter: ResourceType, spec: ResourceSpec | None) -> bool:
    """Whether a refresh reads this resource's live tags: taggable, not an intent (an import job's
    or a training's tags are fixed when it runs) and tags not under lifecycle.ignore_changes."""
    return adapter.taggable and not adapter.is_intent and not (
        spec is not None and tags_ignored(spec.lifecycle.ignore_changes))


def _with_tags(obs: Observed | None, tags: dict[str, str] | None) -> Observed | None:
    if obs is None or tags is None or obs.phase in (Phase.GONE, Phase.DELETING):
        return obs
    return replace(obs, tags=tags)


def from_state(state: StateFile) -> dict[str, Observed | None]:
    """What `--no-refresh` plans against: each resource as the state last recorded it, unread."""
    return {address: as_recorded(res) for address, res in state.resources.items() if res.arn}


def _waves(resources: Mapping[str, ResourceSpec]) -> list[list[str]]:
    """Group addresses so that every one comes after the wave holding its dependencies."""
    depth: dict[str, int] = {}
    for address in topological_order({a: r.depends_on for a, r in resources.items()}):
        deps = [depth[d] for d in resources[address].depends_on if d in depth]
        depth[address] = 1 + max(deps, default=-1)
    waves: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for address, level in depth.items():
        waves[level].append(address)
    return waves

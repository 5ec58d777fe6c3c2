"""Refresh: read the live resources that the spec or the state mention.

Resources in the state are described by ARN, all in parallel (one call each). Resources only
in the spec are looked up by name under their parent (a List call), wave by wave in dependency
order, so that what a killed apply created before recording it is found and adopted.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import wrap_error
from .diff import UNKNOWN, resolve
from .graph import topological_order
from .resources.base import Observed, ResourceType
from .spec.model import Ref, ResourceSpec
from .state.model import ResourceStatus, StateFile


def observe(
    client: Any,
    resources: Mapping[str, ResourceSpec],
    state: StateFile,
    adapters: Mapping[str, ResourceType],
    *,
    parallelism: int = 10,
) -> dict[str, Observed | None]:
    observed: dict[str, Observed | None] = {}

    def read(address: str, type_name: str, arn: str) -> Observed | None:
        try:
            return adapters[type_name].read(client, arn)
        except (ClientError, BotoCoreError) as exc:
            raise wrap_error(exc, operation=f"read {type_name}", address=address) from exc

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        known = {a: pool.submit(read, a, r.type, r.arn) for a, r in state.resources.items() if r.arn}
        for address, future in known.items():
            observed[address] = future.result()

        unknown = {a: r for a, r in resources.items() if a not in known}
        if not unknown:
            return observed

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
                return adapter.read(client, arn) if arn else None
            except (ClientError, BotoCoreError) as exc:
                raise wrap_error(exc, operation=f"find {spec.type} by name", address=spec.address) from exc

        for wave in _waves(unknown):
            futures = {a: pool.submit(find, unknown[a]) for a in wave}
            for address, future in futures.items():
                observed[address] = future.result()
    return observed

def from_state(state: StateFile) -> dict[str, Observed | None]:
    """What `--no-refresh` plans against: each resource as the state last recorded it, unread."""
    return {
        address: Observed(arn=res.arn, params=dict(res.params), outputs=dict(res.outputs, arn=res.arn),
                          status="ACTIVE" if res.status == ResourceStatus.READY else "CREATE PENDING")
        for address, res in state.resources.items() if res.arn
    }


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

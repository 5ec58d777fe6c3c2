"""The state document. State is a cache of identities (ARNs) and last-applied parameters;
the truth is always what a refresh reads from AWS."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import StateCorruptError

STATE_FORMAT_VERSION = 1
ENCODED = "_encoded"  # where a ResourceState keeps its encoded JSON between state writes


class ResourceStatus(StrEnum):
    """How far perso got with a resource (str-valued: the state file stays plain JSON)."""

    CREATING = "creating"   # journaled just before the create call, no ARN yet
    PENDING = "pending"     # created, not yet settled
    READY = "ready"


@dataclass
class ResourceState:
    address: str
    type: str
    name: str
    arn: str
    params: dict[str, Any] = field(default_factory=dict)   # last applied, refs resolved
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)  # e.g. trackingId, latestActiveVersionArn
    depends_on: list[str] = field(default_factory=list)    # kept so deletes are ordered after the spec is gone
    triggers: dict[str, Any] = field(default_factory=dict) # resolved trigger values at the last create
    # "creating": written just before the create call, with no ARN yet, so that a resource a killed
    # apply created is adopted by name on the next run (and only then: anything else found by name
    # is someone else's, to be imported explicitly); "pending": created, not yet settled; "ready".
    status: str = ResourceStatus.READY
    # Values of params that apply held back (a promotion gate refused a candidate): the path, the
    # value not applied, and why. The next plan does not try again until the desired value changes.
    held: dict[str, Any] = field(default_factory=dict)
    # After a `moved:` to a key from which the spec derives another name: that name. The AWS name
    # (`name`) is kept while the spec asks for this one; empty when they are the same.
    spec_name: str = ""

    def __setattr__(self, name: str, value: Any) -> None:
        # Any assignment invalidates the encoded form that state writes reuse (state/encode.py).
        # Values are replaced, never mutated in place, so assignments are all there is to see.
        object.__setattr__(self, name, value)
        self.__dict__.pop(ENCODED, None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.held:
            del data["held"]   # state files of stacks without gates stay as they were
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class StateFile:
    stack: str
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    version: int = STATE_FORMAT_VERSION
    resources: dict[str, ResourceState] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    perso_version: str = ""

    def record(self, resource: ResourceState) -> None:
        self.resources[resource.address] = resource

    def forget(self, address: str) -> None:
        self.resources.pop(address, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "perso_version": self.perso_version,
            "stack": self.stack,
            "lineage": self.lineage,
            "serial": self.serial,
            "resources": [r.to_dict() for r in sorted(self.resources.values(), key=lambda r: r.address)],
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "state") -> StateFile:
        """Parse and check a state document (see `checks`); StateCorruptError when it can't be used."""
        from . import checks  # checks reads this module's classes: import it late

        try:
            if not isinstance(data, dict):
                raise TypeError("top level is not an object")
            version = data.get("version")
            if isinstance(version, int) and not isinstance(version, bool) and version > STATE_FORMAT_VERSION:
                raise checks.StateInvalidError(source, [
                    f"it has state format {version}, written by perso {data.get('perso_version') or '?'}; "
                    f"this perso ({checks.__version__}) reads format {STATE_FORMAT_VERSION}"],
                    hint="upgrade perso to the version that wrote it; an older perso could misread it")
            if version != STATE_FORMAT_VERSION:
                raise ValueError(f"unsupported state format version {version!r}")
            if checks.too_deep(data):
                raise ValueError(f"it is nested more than {checks.MAX_DEPTH} levels deep")
            items = data.get("resources", [])
            if not isinstance(items, list):
                raise TypeError("'resources' is not a list")
            serial = data["serial"]
            if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
                raise ValueError(f"'serial' must be a whole number, not {serial!r}")
            resources = {}
            duplicates = []
            for item in items:
                if not isinstance(item, dict):
                    raise TypeError(f"a resource entry is not an object: {str(item)[:60]!r}")
                res = ResourceState.from_dict(item)
                if res.address in resources:
                    duplicates.append(f"{res.address}: listed twice in the state (the second entry hides the first)")
                resources[res.address] = res
            outputs = data.get("outputs") or {}
            if not isinstance(outputs, dict):
                raise TypeError("'outputs' is not an object")
            state = cls(
                stack=str(data["stack"]),
                lineage=str(data["lineage"]),
                serial=serial,
                version=int(version),
                resources=resources,
                outputs=dict(outputs),
                perso_version=str(data.get("perso_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise StateCorruptError(
                f"{source} is not a valid perso state: {problem}",
                hint="restore a previous version (e.g. the .backup file or an S3 object version) "
                "and push it with `perso state push FILE`",
            ) from exc
        checks.enforce(state, source, extra=duplicates)
        return state

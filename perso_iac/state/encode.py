"""Encoding a state for storage at a cost proportional to what changed.

During an apply the state is written after every group of finished steps, so re-encoding every
resource on every write made apply's cost grow with the square of the stack. The encoder keeps
each resource's encoded JSON on the ResourceState itself, and any assignment to one of its fields
drops it (perso replaces a resource's values, never mutates them in place).

The document is compact JSON with one resource per line (still valid JSON, diffable, greppable):
`{"version":1,...,"serial":N,"resources":[` newline, one resource a line, `],"outputs":{...}}`.
The header's key order is fixed (lineage then serial near the start), so that a backend can check
which version is stored from its first bytes (`header`).
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any

from .model import ENCODED, ResourceState, StateFile

_FIELDS = tuple(f.name for f in fields(ResourceState))
_HEADER = re.compile(rb'"lineage":\s*"([^"\\]+)",\s*"serial":\s*(\d+)')
HEADER_BYTES = 1024  # lineage and serial lie within this prefix of any state perso wrote


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_resource(resource: ResourceState) -> bytes:
    data = {name: getattr(resource, name) for name in _FIELDS}
    if not resource.held:
        del data["held"]  # state files of stacks without gates stay as they were
    return _compact(data).encode()


class Encoder:
    """Encodes states, re-encoding only the resources assigned to since they were last encoded."""

    def __init__(self) -> None:
        self.encoded = 0  # resources encoded (not reused) by this encoder: what the reuse saves

    def resource(self, resource: ResourceState) -> bytes:
        data = resource.__dict__.get(ENCODED)
        if data is None:
            data = encode_resource(resource)
            resource.__dict__[ENCODED] = data  # dropped by the next assignment to the resource
            self.encoded += 1
        return data

    def encode(self, state: StateFile, serial: int) -> bytes:
        """The stored form of `state` with `serial`."""
        head = _compact({"version": state.version, "perso_version": state.perso_version, "stack": state.stack,
                         "lineage": state.lineage, "serial": serial})
        resources = state.resources
        body = b",\n".join([self.resource(resources[a]) for a in sorted(resources)])
        return b"".join((head[:-1].encode(), b',"resources":[\n', body, b"\n" if resources else b"",
                         b'],"outputs":', _compact(state.outputs).encode(), b"}\n"))


def header(prefix: bytes) -> tuple[str, int] | None:
    """(lineage, serial) from the first bytes of a stored state, or None if they are not there."""
    found = _HEADER.search(prefix[:HEADER_BYTES])
    return (found.group(1).decode(), int(found.group(2))) if found else None

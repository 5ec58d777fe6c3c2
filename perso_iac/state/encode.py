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
from dataclasses import dataclass, fields
from typing import Any

from . import sensitive as sealing
from .model import ENCODED, ResourceState, StateFile

_FIELDS = tuple(f.name for f in fields(ResourceState))
_HEADER = re.compile(rb'"lineage":\s*"([^"\\]+)",\s*"serial":\s*(\d+)')
HEADER_BYTES = 1024  # lineage and serial lie within this prefix of any state perso wrote


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_resource(resource: ResourceState, redact: list[tuple[str, str]] | None = None) -> bytes:
    data = {name: getattr(resource, name) for name in _FIELDS}
    if not resource.held:
        del data["held"]  # state files of stacks without gates stay as they were
    if redact:
        data = sealing.redact_resource(data, redact)  # sensitive values never stored in clear
    return _compact(data).encode()


class Encoder:
    """Encodes states, re-encoding only the resources assigned to since they were last encoded."""

    def __init__(self) -> None:
        self.encoded = 0  # resources encoded (not reused) by this encoder: what the reuse saves

    def resource(self, resource: ResourceState, redact: list[tuple[str, str]] | None = None) -> bytes:
        key = tuple(redact or ())
        cached = resource.__dict__.get(ENCODED)
        if cached is not None and cached[0] == key:
            return cached[1]
        data = encode_resource(resource, redact)
        resource.__dict__[ENCODED] = (key, data)  # dropped by the next assignment to the resource
        self.encoded += 1
        return data

    def parts(self, state: StateFile) -> Parts:
        """The encoded pieces of `state`'s stored form (sensitive values sealed: state/sensitive.py);
        `render` joins them. Resources not assigned to since their last encoding cost nothing."""
        redact = sealing.redaction(state.sensitive)
        key = tuple(redact)
        resources = {}
        for address, resource in state.resources.items():  # per write: the cache hits inline, no call
            cached = resource.__dict__.get(ENCODED)
            resources[address] = cached[1] if cached is not None and cached[0] == key else \
                self.resource(resource, redact)
        outputs = _compact(sealing.redact_value(state.outputs, redact) if redact else state.outputs).encode()
        sensitive = b""
        if state.sensitive or state.seals:
            body = b",\n".join([resources[a] for a in sorted(resources)])
            sealed = sealing.new_seals(state.sensitive, state.seals, (body + outputs).decode())
            state.seals = sealed  # the next write keeps the same salts
            sensitive = _compact(sealed).encode() if sealed else b""
        top = {"version": state.version, "perso_version": state.perso_version, "stack": state.stack,
               "lineage": state.lineage}
        return Parts(top, resources, outputs, sensitive)

    def encode(self, state: StateFile, serial: int) -> bytes:
        """The stored form of `state` with `serial` (sensitive values sealed: state/sensitive.py)."""
        return render(self.parts(state), serial)


@dataclass(frozen=True)
class Parts:
    """A state's stored form in pieces: what a journal line compares to find what changed."""

    top: dict[str, Any]            # version, perso_version, stack, lineage (in the header's order)
    resources: dict[str, bytes]    # address -> the resource's encoded line
    outputs: bytes                 # the encoded outputs object
    sensitive: bytes               # the encoded seals, b"" when there are none


def render(parts: Parts, serial: int) -> bytes:
    """The document: header, one resource a line (sorted by address), outputs, seals."""
    head = _compact({**parts.top, "serial": serial})
    resources = parts.resources
    body = b",\n".join([resources[a] for a in sorted(resources)])
    tail = b',"sensitive":' + parts.sensitive if parts.sensitive else b""
    return b"".join((head[:-1].encode(), b',"resources":[\n', body, b"\n" if resources else b"",
                     b'],"outputs":', parts.outputs, tail, b"}\n"))


def header(prefix: bytes) -> tuple[str, int] | None:
    """(lineage, serial) from the first bytes of a stored state, or None if they are not there."""
    found = _HEADER.search(prefix[:HEADER_BYTES])
    return (found.group(1).decode(), int(found.group(2))) if found else None

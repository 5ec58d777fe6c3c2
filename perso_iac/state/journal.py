"""The local state's journal: what changed since the document was written, one line per write.

`<state>.journal` sits beside the state file. Each line is one JSON object holding only what a
write changed: `{"after": H, "serial": N, "del": [address...], "top": {...}, "put": [resource...]}`,
where H names the document the line follows (a hash of its bytes), `put` holds the resources added
or replaced (encoded exactly as in the document, sensitive values sealed), `del` the addresses
removed, and `top` the changed top-level fields (`outputs`, `sensitive`, `perso_version`). The
stored state is the document with the lines that follow it replayed in order.

A line is written with one `write` and fsynced before the write returns. A process killed in the
middle of one leaves a torn last line (no newline): never acknowledged, so readers ignore it and
the next writer cuts it off. Lines that follow another document (a process was killed between
writing a new document and emptying the journal) are ignored: they are already in the document.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import StateCorruptError
from .encode import Parts, _compact

SUFFIX = ".journal"
TOP_FIELDS = ("outputs", "sensitive", "perso_version")  # what a line may change besides resources


def doc_hash(data: bytes) -> str:
    """What names a document in the lines that follow it: its bytes, so no stale line can match."""
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def delta(old: Parts, new: Parts, serial: int, after: str) -> bytes | None:
    """The journal line taking `old` to `new` at `serial`; None when a line cannot say it (the
    stack, lineage or format changed: the whole document is written instead).

    Resources are compared by their encoded bytes: the encoder hands back the same bytes object
    for a resource not assigned to since, so an unchanged resource costs an identity check."""
    if new.top["version"] != old.top["version"] or new.top["stack"] != old.top["stack"] \
            or new.top["lineage"] != old.top["lineage"]:
        return None
    before = old.resources
    put = [line for address, line in new.resources.items()
           if (was := before.get(address)) is not line and was != line]
    removed = [address for address in before if address not in new.resources]
    top = []
    if new.outputs != old.outputs:
        top.append(b'"outputs":' + new.outputs)
    if new.sensitive != old.sensitive:
        top.append(b'"sensitive":' + (new.sensitive or b"{}"))
    if new.top["perso_version"] != old.top["perso_version"]:
        top.append(b'"perso_version":' + _compact(new.top["perso_version"]).encode())
    return b"".join((b'{"after":"', after.encode(), b'","serial":', str(serial).encode(),
                     b',"del":', _compact(sorted(removed)).encode(), b',"top":{', b",".join(top),
                     b'},"put":[', b",".join(put), b"]}\n"))


def replay(doc: Any, data: bytes, after: str, *, source: str, hint: str) -> tuple[Any, int, int]:
    """`doc` (a parsed document) with the journal `data`'s lines that follow it applied; also the
    byte length of the whole lines (a torn tail lies beyond) and how many lines applied.

    Every whole line must be valid, whichever document it follows: one that is not was damaged
    after it was written, and the error names it (StateCorruptError)."""
    end = data.rfind(b"\n") + 1
    changes: dict[str, Any] = {}
    top: dict[str, Any] = {}
    serial = None
    applied = 0
    for number, line in enumerate(data[:end].split(b"\n")[:-1], 1):
        try:
            entry = json.loads(line)
            problem = _check(entry)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            problem = f"not valid JSON ({exc})"
        if problem:
            raise StateCorruptError(f"state journal {source} line {number} is {problem}", hint=hint)
        if entry["after"] != after:
            continue
        for address in entry["del"]:
            changes[address] = None
        for resource in entry["put"]:
            changes[resource["address"]] = resource
        top.update(entry["top"])
        serial = entry["serial"]
        applied += 1
    if not applied or not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return doc, end, applied  # nothing to apply (or a malformed document: its own check says so)
    kept = [r for r in doc["resources"] if not (isinstance(r, dict) and r.get("address") in changes)]
    out = {**doc, **top, "serial": serial, "resources": kept + [r for r in changes.values() if r is not None]}
    if out.get("sensitive") == {}:
        del out["sensitive"]
    return out, end, applied


def _check(entry: Any) -> str:
    """What is wrong with a parsed journal line ("" when nothing)."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    if not isinstance(entry.get("after"), str):
        return "missing its 'after' (the document it follows)"
    serial = entry.get("serial")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        return f"not valid: 'serial' must be a whole number, not {serial!r}"
    if not isinstance(entry.get("del"), list) or not all(isinstance(a, str) for a in entry["del"]):
        return "not valid: 'del' must be a list of addresses"
    if not isinstance(entry.get("put"), list) or not all(
            isinstance(r, dict) and isinstance(r.get("address"), str) for r in entry["put"]):
        return "not valid: 'put' must be a list of resources with addresses"
    if not isinstance(entry.get("top"), dict) or set(entry["top"]) - set(TOP_FIELDS):
        return f"not valid: 'top' may only change {', '.join(TOP_FIELDS)}"
    return ""

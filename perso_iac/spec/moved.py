"""`moved:` in the spec (Terraform's moved blocks): an address renamed in the spec keeps its resource.

    moved:
      - from: campaign.retail.home
        to: campaign.retail.for-you

The plan shows the resource as moved and apply only re-keys the state: nothing changes in AWS,
and the resource keeps its AWS name (recorded in the state) although the spec would now derive
another one from the new key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Problems
from .model import Move, ResourceSpec, SourceLocation
from .yamlsrc import Document


def build_moves(doc: Document, data: Mapping[str, Any], resources: Mapping[str, ResourceSpec],
                problems: Problems) -> tuple[Move, ...]:
    """The spec's `moved:` entries, checked against its resources; problems are located."""
    moves: list[Move] = []
    seen_from: set[str] = set()
    seen_to: set[str] = set()
    entries = data.get("moved") or []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping):
            continue
        old, new = entry.get("from"), entry.get("to")
        if not isinstance(old, str) or not isinstance(new, str):
            continue
        at = ("moved", i)
        if old.split(".", 1)[0] != new.split(".", 1)[0]:
            problems.add((*at, "to"), f"cannot move {old} to {new}: an address keeps its type",
                         f"e.g. to: {old.split('.', 1)[0]}.NEW_KEY")
        elif new not in resources:
            problems.add((*at, "to"), f"{new} is not a resource of this spec",
                         "`to` is the new address, as `perso plan` shows it (TYPE.GROUP.KEY)")
        elif old in resources:
            problems.add((*at, "from"), f"{old} is still a resource of this spec",
                         "`from` is the old address, no longer in the spec")
        elif old in seen_from or new in seen_to:
            problems.add(at, f"{old if old in seen_from else new} is already moved by an earlier entry",
                         "each address moves once")
        else:
            pos = doc.locate(at)
            moves.append(Move(old, new, SourceLocation(doc.file, pos.line, pos.col)))
        seen_from.add(old)
        seen_to.add(new)
    return tuple(moves)

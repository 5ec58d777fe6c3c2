"""An in-memory index over the stored records, so a request costs what it touches, not the account.

Built once per loaded state document (again only when another process changed the data file) and
kept up to date by ``Account``: records by type (List* and the rules that look for children scan
one type, not the account) and the ARNs whose lifecycle or update is still running (settling visits
those, not every record). The index is never persisted: it is derived from the records.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any


class RecordIndex:
    def __init__(self, resources: dict[str, dict[str, Any]]) -> None:
        self.by_type: defaultdict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.pending: set[str] = set()
        for rec in resources.values():
            self.add(rec)

    def add(self, rec: dict[str, Any]) -> None:
        self.by_type[rec["type"]][rec["arn"]] = rec
        self.track(rec)

    def track(self, rec: dict[str, Any]) -> None:
        """Note that ``rec`` may have a transition to settle."""
        if rec.get("lc") is not None or rec.get("upd") is not None:
            self.pending.add(rec["arn"])

    def discard(self, rec: dict[str, Any]) -> None:
        self.by_type[rec["type"]].pop(rec["arn"], None)
        self.pending.discard(rec["arn"])

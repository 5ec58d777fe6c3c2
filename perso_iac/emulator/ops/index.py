"""An in-memory index over the stored records, so a request costs what it touches, not the account.

Built once per loaded state document (again only when another process changed the data file) and
kept up to date by ``Account``:

- records by type, and by type and dataset group (a dataset group's resources never move, and
  every child shares its parent's group: filtered List* calls and the rules that look for children
  scan one group, not the account), and by type and name (name uniqueness checks);
- the ARNs whose lifecycle or update is still running (``pending``), with a heap of when each next
  changes phase at the current time scale, so settling visits what is due, not every pending record;
  at time scale 0 phases move only when observed, so settling visits the records observed since.

The index is never persisted: it is derived from the records.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

from . import lifecycle
from .resources import TYPES


def group_of(rec: dict[str, Any]) -> str | None:
    """The dataset group a record belongs to (itself for a dataset group; ``None`` for schemas)."""
    if rec["type"] == "dataset_group":
        return rec["arn"]
    return rec["links"].get("datasetGroupArn")


class RecordIndex:
    def __init__(self, resources: dict[str, dict[str, Any]]) -> None:
        self.by_type: defaultdict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.by_group: defaultdict[tuple[str, str | None], dict[str, dict[str, Any]]] = defaultdict(dict)
        self.by_name: defaultdict[tuple[str, Any], dict[str, dict[str, Any]]] = defaultdict(dict)
        self.pending: set[str] = set()
        self.observed: set[str] = set()  # time scale 0: pending records observed since the last settle
        self.scale: float | None = None  # the time scale ``due`` was computed for (None: not yet)
        self.due: list[tuple[float, int, str]] = []  # (when the next phase starts, seq, arn)
        for rec in resources.values():
            self.add(rec)

    def add(self, rec: dict[str, Any]) -> None:
        arn, rtype = rec["arn"], rec["type"]
        self.by_type[rtype][arn] = rec
        self.by_group[(rtype, group_of(rec))][arn] = rec
        self.by_name[(rtype, _name(rec))][arn] = rec
        self.track(rec)

    def discard(self, rec: dict[str, Any]) -> None:
        arn, rtype = rec["arn"], rec["type"]
        self.by_type[rtype].pop(arn, None)
        self.by_group[(rtype, group_of(rec))].pop(arn, None)
        self.by_name[(rtype, _name(rec))].pop(arn, None)
        self.pending.discard(arn)

    def track(self, rec: dict[str, Any]) -> None:
        """Note that ``rec`` may have a transition to settle (and when, at the current time scale)."""
        if rec.get("lc") is not None or rec.get("upd") is not None:
            self.pending.add(rec["arn"])
            self.schedule(rec)

    def schedule(self, rec: dict[str, Any]) -> None:
        """Push when each running transition of ``rec`` next changes phase (time scale > 0)."""
        if self.scale is None or self.scale <= 0:
            return
        for slot in lifecycle.SLOTS:
            tr = rec.get(slot)
            if tr is not None:
                heapq.heappush(self.due, (lifecycle.next_change(tr, self.scale), rec["seq"], rec["arn"]))

    def use_scale(self, scale: float) -> bool:
        """Switch to ``scale``; ``True`` when it changed (then every pending record must be visited
        once, and is rescheduled as it is)."""
        if scale == self.scale:
            return False
        self.scale = scale
        self.due = []
        return True

    def take_due(self, now: float) -> set[str]:
        """The pending ARNs whose phase may have changed by ``now`` (removed from the schedule)."""
        out = self.observed
        self.observed = set()
        due = self.due
        while due and due[0][0] <= now:
            out.add(heapq.heappop(due)[2])
        return out


def _name(rec: dict[str, Any]) -> Any:
    return rec["data"].get(TYPES[rec["type"]].name_key)

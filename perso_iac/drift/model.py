"""What a drift check finds: changed and deleted managed resources, unmanaged ones, pending changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..plan import Change, Plan

DRIFT_FORMAT_VERSION = "1.0"


class DriftKind(StrEnum):
    CHANGED = "changed"    # live parameters or tags differ from what perso last applied
    DELETED = "deleted"    # gone (or being deleted) in AWS


class PendingCause(StrEnum):
    SPEC = "spec"          # the spec changed since the last apply
    DRIFT = "drift"        # the change only reverts drift


@dataclass(frozen=True)
class AttributeDrift:
    path: str          # dotted parameter path, or "tags.KEY", or "status"
    before: Any        # what perso last applied
    after: Any         # what AWS has now


@dataclass(frozen=True)
class ResourceDrift:
    address: str
    type: str
    name: str
    arn: str
    kind: DriftKind
    attributes: tuple[AttributeDrift, ...] = ()
    status: str | None = None                   # the live status, when there is one
    in_spec: bool = True                        # False: removed from the spec, not yet destroyed
    reverted_by_apply: bool = False             # the spec still wants the applied value
    spec_changes_it: bool = False               # the spec changed too: apply sets the spec's value

    @property
    def apply_note(self) -> str:
        """What `perso apply` does about this drift, in a few words (why, when it does nothing)."""
        if self.kind is DriftKind.DELETED:
            if not self.in_spec:
                return "perso apply would forget it: it is no longer in the spec"
            if self.reverted_by_apply or self.spec_changes_it:
                return "perso apply would recreate it"
        elif self.reverted_by_apply:
            return "perso apply would revert this"
        elif not self.in_spec:
            return "perso apply would destroy it: it is no longer in the spec"
        elif self.spec_changes_it:
            return "perso apply would set what the spec now says"
        return ("perso apply would leave this as it is: change it back in AWS, "
                "or accept it in .persoignore")


@dataclass(frozen=True)
class UnmanagedResource:
    address: str                                # the address it would have: solution.GROUP.NAME
    type: str
    name: str
    arn: str
    dataset_group: str                          # the managed group's address
    status: str | None = None


@dataclass(frozen=True)
class PendingChange:
    change: Change
    cause: PendingCause


@dataclass(frozen=True)
class DriftReport:
    stack: str
    lineage: str | None
    serial: int
    backend: str
    checked: int                                # managed resources refreshed
    drifted: tuple[ResourceDrift, ...] = ()
    unmanaged: tuple[UnmanagedResource, ...] = ()
    pending: tuple[PendingChange, ...] = ()
    ignored: tuple[str, ...] = ()               # what the ignore file silenced, as ignore-file lines
    warnings: tuple[str, ...] = ()
    plan: Plan | None = None

    @property
    def changed(self) -> list[ResourceDrift]:
        return [d for d in self.drifted if d.kind is DriftKind.CHANGED]

    @property
    def deleted(self) -> list[ResourceDrift]:
        return [d for d in self.drifted if d.kind is DriftKind.DELETED]

    @property
    def spec_pending(self) -> list[PendingChange]:
        return [p for p in self.pending if p.cause is PendingCause.SPEC]

    @property
    def has_drift(self) -> bool:
        return bool(self.drifted or self.unmanaged)

    @property
    def has_pending_changes(self) -> bool:
        return bool(self.spec_pending)

    @property
    def has_changes(self) -> bool:
        return self.has_drift or self.has_pending_changes

    @property
    def exit_code(self) -> int:
        """0: in sync; 2: drift or pending changes found (1, an error, is the CLI's)."""
        return 2 if self.has_changes else 0

    def summary(self) -> dict[str, int]:
        return {"changed": len(self.changed), "deleted": len(self.deleted), "unmanaged": len(self.unmanaged),
                "pending": len(self.spec_pending), "ignored": len(self.ignored)}

"""The plan as data: what will change, how, and why. No I/O here.

A plan is made against one state (lineage, serial) and one resolved spec (digest); applying
it anywhere else is refused as stale, like Terraform's saved plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .spec.model import Ref

PLAN_FORMAT_VERSION = "1.0"


class Action(Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"   # delete, then create; or, with Change.create_before_destroy, create first
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return {"no-op": " ", "create": "+", "update": "~", "replace": "-/+", "delete": "-"}[self.value]

    @property
    def terraform_actions(self) -> list[str]:
        """Terraform's plan JSON `change.actions` list for this action."""
        return {"no-op": ["no-op"], "create": ["create"], "update": ["update"],
                "replace": ["delete", "create"], "delete": ["delete"]}[self.value]


class Reason(Enum):
    NONE = "none"
    NEW = "new"
    MISSING_REMOTELY = "missing_remotely"                       # in state, gone from AWS
    CHANGED = "changed"
    CANNOT_UPDATE = "replace_because_cannot_update"             # an immutable field changed
    DEPENDENCY_REPLACED = "replace_because_dependency_replaced" # AWS refuses to delete the parent otherwise
    TRIGGERED = "replace_triggered_by"                          # an intent's trigger changed (new data → retrain)
    FAILED_REMOTELY = "replace_because_failed"                  # CREATE FAILED in AWS
    ALREADY_EXISTS = "create_conflicts_with_existing"            # name taken by a resource perso does not manage
    REMOVED_FROM_SPEC = "delete_because_no_resource_config"
    DESTROY = "delete_because_destroy"
    # What apply does for a resource whose last apply did not finish, or that is gone already:
    SETTLING = "wait_because_settling"              # NOOP: still settling (a killed apply): wait, then record it
    ADOPTED = "adopt_because_created_by_perso"      # NOOP/UPDATE: an interrupted apply created it: record it
    GONE = "forget_because_gone"                    # DELETE: already gone outside perso: only forget it
    # Promotion gates: a NOOP whose desired value the last apply held back (the gate refused it),
    # and an UPDATE that promotes it anyway because the user asked (--promote).
    HELD = "noop_because_held_by_gate"
    PROMOTED = "update_because_promotion_requested"
    REQUESTED = "replace_by_request"                # `--replace ADDRESS` (Terraform's -replace)
    DEPOSED = "delete_because_deposed"              # the old one of a create-before-destroy replacement


# Reasons that give a NOOP change work to do at apply time.
_NOOP_WORK = frozenset({Reason.SETTLING, Reason.ADOPTED})


def legacy_reason(reason: Reason, *, pending: bool = False, adopt: bool = False, gone: bool = False) -> Reason:
    """The reason of a change saved by a perso that marked these cases with side flags."""
    if gone:
        return Reason.GONE
    if adopt and reason in (Reason.NONE, Reason.CHANGED):
        return Reason.ADOPTED
    if pending and reason is Reason.NONE:
        return Reason.SETTLING
    return reason


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    action: Action
    reason: Reason = Reason.NONE
    name: str = ""
    arn: str | None = None                      # the current ARN, when the resource exists
    before: Mapping[str, Any] | None = None     # observed params (None when creating)
    after: Mapping[str, Any] | None = None      # desired params; a Ref where the value is known only after apply
    tags_before: Mapping[str, str] | None = None
    tags_after: Mapping[str, str] | None = None
    changed_paths: tuple[str, ...] = ()
    replace_paths: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()            # from the spec: what must exist before creating
    prior_depends_on: tuple[str, ...] = ()      # from the state: what this kept alive before
    triggers: tuple[Ref, ...] = ()
    is_intent: bool = False     # the type's delete only forgets (import jobs, training runs)
    detail: str = ""            # e.g. the failureReason behind a replacement
    moved_from: str = ""        # `moved:` the state's address for it before this plan
    spec_name: str = ""         # the name the spec derives, when `name` is an AWS name kept through a move
    # REPLACE only: the new one is created (named `name`), what uses the old one moves to it, and the
    # old one (`arn`) is deleted last; `cbd_why` says why (lifecycle, a rename, a schema's datasets).
    create_before_destroy: bool = False
    cbd_why: str = ""
    hint: str = ""              # the in-place route AWS offers instead, when the plan replaces

    @property
    def symbol(self) -> str:
        """`+/-` for a create-before-destroy replacement (Terraform's), else the action's own."""
        return "+/-" if self.create_before_destroy and not self.is_intent else self.action.symbol

    @property
    def terraform_actions(self) -> list[str]:
        if self.create_before_destroy and not self.is_intent:
            return ["create", "delete"]
        return self.action.terraform_actions

    # The cases below are reasons, not flags: these only name them.
    @property
    def pending(self) -> bool:
        """Exists but still settling (a killed apply): apply waits for it."""
        return self.reason is Reason.SETTLING

    @property
    def adopt(self) -> bool:
        """Created by an interrupted apply of ours, found by name: apply records it."""
        return self.reason is Reason.ADOPTED

    @property
    def conflict(self) -> bool:
        """Exists in AWS under this name but perso never managed it: import it first."""
        return self.reason is Reason.ALREADY_EXISTS

    @property
    def gone(self) -> bool:
        """A DELETE of something already gone: apply only forgets it."""
        return self.reason is Reason.GONE

    @property
    def actionable(self) -> bool:
        """Whether apply has anything to do for it (a NOOP may still need waiting for or recording)."""
        return self.action is not Action.NOOP or self.reason in _NOOP_WORK or bool(self.moved_from)

    @property
    def actionable_beyond_move(self) -> bool:
        """Whether apply has more to do for it than re-keying the state."""
        return self.action is not Action.NOOP or self.reason in _NOOP_WORK

    @property
    def deletes(self) -> bool:
        return self.action in (Action.DELETE, Action.REPLACE) and not self.gone

    @property
    def creates_or_updates(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)

    @property
    def destructive(self) -> bool:
        return self.action in (Action.DELETE, Action.REPLACE) and not self.is_intent


@dataclass(frozen=True)
class PlanOptions:
    """How a plan was asked for (Terraform's -replace, -target, -refresh=false); a saved plan keeps them."""

    replace: tuple[str, ...] = ()     # addresses to recreate, re-run or retrain although unchanged
    targets: tuple[str, ...] = ()     # plan only these and what they depend on (empty: everything)
    refresh: bool = True              # False: the live resources are taken from the state, unread

    def to_dict(self) -> dict[str, Any]:
        return {"replace": list(self.replace), "targets": list(self.targets), "refresh": self.refresh}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PlanOptions:
        data = data or {}
        return cls(replace=tuple(data.get("replace") or ()), targets=tuple(data.get("targets") or ()),
                   refresh=bool(data.get("refresh", True)))


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    stack: str
    lineage: str | None
    serial: int
    spec_digest: str = ""
    destroy: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
    cost: Any = None            # a cost.CostEstimate, added by the engine when prices are known
    options: PlanOptions = field(default_factory=PlanOptions)

    def by_address(self) -> dict[str, Change]:
        return {c.address: c for c in self.changes}

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.actionable]

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.conflict]

    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP or c.moved_from for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Counts by action; an import or a training run again is a "run", not a replacement
        (nothing is deleted in AWS: a new job runs and the old record is forgotten)."""
        counts = {"create": 0, "update": 0, "replace": 0, "delete": 0, "run": 0, "move": 0}
        for change in self.changes:
            if change.moved_from:
                counts["move"] += 1
            if change.action is Action.REPLACE and change.is_intent:
                counts["run"] += 1
            elif change.action is not Action.NOOP:
                counts[change.action.value] += 1
        return counts

    def summary_text(self) -> str:
        """`1 to create, 0 to update, 0 to replace, 0 to destroy, 2 to run again`: Terraform's four
        counts, then runs, adoptions and moves when there are any."""
        s = self.summary()
        adopt = sum(1 for c in self.changes if c.adopt and c.action is Action.NOOP)
        extra = [f"{s['run']} to run again" if s["run"] else "", f"{adopt} to adopt" if adopt else "",
                 f"{s['move']} moved" if s["move"] else ""]
        return ", ".join([f"{s['create']} to create", f"{s['update']} to update", f"{s['replace']} to replace",
                          f"{s['delete']} to destroy", *[e for e in extra if e]])

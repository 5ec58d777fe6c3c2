"""Machine-readable documents for plan, apply, drift, validate and errors. Each carries
`format_version` and `kind` and is described by docs/perso-json.schema.json. Plan JSON follows
Terraform's `terraform show -json`: `resource_changes[]` with `address`, `type`, `name`,
`change.actions` (["create"], ["update"], ["delete", "create"], ["delete"], ["no-op"]), `before`,
`after`, `after_unknown`, `replace_paths` and `action_reason`, so OPA/conftest policies written
for Terraform plans apply."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import (
    ApplyError,
    AwsError,
    PersoError,
    PlanError,
    PlanFileError,
    SpecError,
    SpecValidationError,
    StaleStateError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
    WaitTimeoutError,
)
from ..plan import PLAN_FORMAT_VERSION, Action, Change, Plan
from ..spec.model import Ref
from .describe import (
    change_impacts,
    cost_notes,
    describe_change,
    plan_has_changes,
    plan_summary,
)

if TYPE_CHECKING:
    from ..drift import DriftReport, ResourceDrift


REPORT_FORMAT_VERSION = PLAN_FORMAT_VERSION


def to_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def _known(value: Any) -> Any:
    """`value` with every unknown (a Ref) left out, as Terraform's `after` does."""
    if isinstance(value, Mapping):
        return {k: _known(v) for k, v in value.items() if not isinstance(v, Ref)}
    if isinstance(value, list | tuple):
        return [None if isinstance(v, Ref) else _known(v) for v in value]
    return value


def _unknown(value: Any) -> Any:
    """Terraform's `after_unknown`: true where the value is known only after apply."""
    if isinstance(value, Ref):
        return True
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            u = _unknown(v)
            if u is True or (isinstance(u, dict | list) and u):
                out[k] = u
        return out
    if isinstance(value, list | tuple):
        items = [_unknown(v) for v in value]
        return items if any(i is True or (isinstance(i, dict | list) and i) for i in items) else []
    return False


def _references(value: Any, prefix: str = "") -> dict[str, str]:
    """perso's extension: where each unknown value comes from, e.g. {"solutionVersionArn": "${...}"}."""
    if isinstance(value, Ref):
        return {prefix.rstrip("."): str(value)}
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            out.update(_references(v, f"{prefix}{k}."))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            out.update(_references(v, f"{prefix}{i}."))
    return out


def _with_tags(params: Mapping[str, Any] | None, tags: Mapping[str, str] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    out = dict(params)
    if tags is not None:
        out["tags"] = dict(tags)
    return out


# -- errors --------------------------------------------------------------------------------------


ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (SpecValidationError, "spec_invalid"), (SpecError, "spec_error"),
    (StateLockedError, "state_locked"), (StateConflictError, "state_conflict"), (StaleStateError, "stale_state"),
    (StateCorruptError, "state_corrupt"), (StateError, "state_error"), (AwsError, "aws_error"),
    (PlanError, "plan_error"), (WaitTimeoutError, "wait_timeout"), (ApplyError, "apply_failed"),
    (PlanFileError, "plan_file_error"), (PersoError, "error"),
)


_FILE = re.compile(r"\b(?:spec|variables|schema|plan|ignore|state) file (?P<file>\S+) ")


_LOCATION = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?:")


def error_code(exc: BaseException) -> str:
    """A stable, machine-readable name for the kind of error (the JSON error's `code`)."""
    for cls, code in ERROR_CODES:
        if isinstance(exc, cls):
            return code
    return "internal_error"


def error_info(exc: BaseException, *, code: str | None = None, message: str | None = None,
               hint: str | None = None, file: str | None = None) -> dict[str, Any]:
    """The JSON error object: code, message, hint, and the file/line (or resource) where known."""
    info: dict[str, Any] = {"code": code or error_code(exc), "message": message or getattr(exc, "message", None) or str(exc),
                            "hint": hint or getattr(exc, "hint", None), "file": None, "line": None, "col": None}
    if isinstance(exc, SpecValidationError) and exc.problems:
        first = exc.problems[0]
        info.update(file=first.file, line=first.line, col=first.col)
        info["problems"] = [{"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message,
                             "hint": p.hint} for p in exc.problems]
    elif isinstance(exc, PersoError) and (match := _LOCATION.match(exc.message)):
        info.update(file=match["file"], line=int(match["line"]), col=int(match["col"]) if match["col"] else None)
    if isinstance(exc, AwsError):
        info.update(address=exc.address, operation=exc.operation, aws_code=exc.code)
    elif isinstance(exc, PersoError) and (match := _FILE.search(exc.message)):
        info["file"] = match["file"]
    if file:
        info["file"] = file
    return info


def error_document(command: str | None, info: dict[str, Any], exit_code: int = 1) -> dict[str, Any]:
    """`--format json` on an error: one document on stdout, described in docs/perso-json.schema.json."""
    return {"format_version": REPORT_FORMAT_VERSION, "kind": "error", "perso_version": __version__,
            "command": command, "exit_code": exit_code, "error": info}


# -- plan ----------------------------------------------------------------------------------------


def resource_change(change: Change) -> dict[str, Any]:
    before = _with_tags(change.before, change.tags_before) if change.action is not Action.CREATE else None
    after_full = _with_tags(change.after, change.tags_after) if change.action is not Action.DELETE else None
    return {
        "address": change.address,
        "type": change.type,
        "name": change.name,
        "arn": change.arn,
        "change": {
            "actions": change.terraform_actions,
            "before": _known(before),
            "after": _known(after_full),
            "after_unknown": _unknown(after_full) if after_full is not None else {},
            "replace_paths": [p.split(".") for p in change.replace_paths],
            "changed_paths": list(change.changed_paths),
            "references": _references(after_full) if after_full is not None else {},
        },
        "action_reason": None if change.reason.value in ("none", "new", "changed") else change.reason.value,
        "reason": change.reason.value,
        "description": describe_change(change),
        "detail": change.detail,
        "destructive": change.destructive,
        "intent": change.is_intent,
        "pending": change.pending,
        "adopt": change.adopt,
        "previous_address": change.moved_from or None,   # Terraform's name for a moved resource's old address
        "create_before_destroy": change.create_before_destroy and not change.is_intent,
    }


def plan_report(plan: Plan, *, backend: str = "") -> dict[str, Any]:
    """The plan as a stable JSON document (`perso plan --format json`)."""
    has_changes = plan_has_changes(plan)
    impacts = change_impacts(plan)
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "kind": "plan",
        "perso_version": __version__,
        "stack": plan.stack,
        "state": {"backend": backend, "lineage": plan.lineage, "serial": plan.serial},
        "spec_digest": plan.spec_digest,
        "destroy": plan.destroy,
        "has_changes": has_changes,
        "applyable": bool(plan.actionable),
        "summary": plan_summary(plan),
        "destructive": [c.address for c in plan.changes if c.destructive],
        "resource_changes": [dict(resource_change(c), impact=impacts[c.address].to_dict() if c.address in impacts
                                  else None) for c in plan.changes],
        "cost_notes": cost_notes(plan),
        "cost": plan.cost.to_dict() if plan.cost is not None else None,
        "warnings": list(plan.warnings),
    }


def apply_report(plan: Plan | None, results: Sequence[Any], *, error: Any = None, backend: str = "",
                 plan_file: str | None = None) -> dict[str, Any]:
    counts = {"done": 0, "failed": 0, "skipped": 0}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "kind": "apply",
        "perso_version": __version__,
        "stack": plan.stack if plan else "",
        "plan_file": plan_file,
        "success": error is None and counts["failed"] == 0,
        "summary": counts,
        "results": [{"address": r.address, "step": r.step, "outcome": r.outcome, "message": r.message}
                    for r in results],
        "plan": plan_report(plan, backend=backend) if plan else None,
        "error": error_info(error) if error is not None else None,
    }


def validate_report(*, problems: Sequence[Any] = (), stack: str | None = None, resources: int = 0,
                    error: str | None = None) -> dict[str, Any]:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "kind": "validate",
        "perso_version": __version__,
        "valid": not problems and error is None,
        "stack": stack,
        "resources": resources,
        "problems": [{"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message,
                      "hint": p.hint} for p in problems],
        "error": error,
    }


def _drift_entry(d: ResourceDrift) -> dict[str, Any]:
    return {"address": d.address, "type": d.type, "name": d.name, "arn": d.arn, "kind": d.kind,
            "status": d.status, "in_spec": d.in_spec, "reverted_by_apply": d.reverted_by_apply, "apply": d.apply_note,
            "attributes": [{"path": a.path, "before": a.before, "after": a.after} for a in d.attributes]}


def drift_report(report: DriftReport) -> dict[str, Any]:
    """`perso drift --format json`; `exit_code` is the code the command exits with."""
    from ..drift import DRIFT_FORMAT_VERSION  # the drift package reads AWS: not for `perso validate`

    return {
        "format_version": DRIFT_FORMAT_VERSION,
        "kind": "drift",
        "perso_version": __version__,
        "stack": report.stack,
        "state": {"backend": report.backend, "lineage": report.lineage, "serial": report.serial},
        "has_drift": report.has_drift,
        "has_pending_changes": report.has_pending_changes,
        "has_changes": report.has_changes,
        "exit_code": report.exit_code,
        "summary": dict(report.summary(), checked=report.checked),
        "resource_drift": [_drift_entry(d) for d in report.drifted],
        "unmanaged": [{"address": u.address, "type": u.type, "name": u.name, "arn": u.arn,
                       "dataset_group": u.dataset_group, "status": u.status} for u in report.unmanaged],
        "pending_changes": [dict(resource_change(p.change), cause=p.cause) for p in report.pending],
        "ignored": list(report.ignored),
        "warnings": list(report.warnings),
    }

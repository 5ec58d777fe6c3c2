"""Machine-readable and PR-ready output: JSON and markdown for plan, apply, drift and validate
(plus drift as text; plan and apply text stay in render.py). Decides nothing.

JSON documents carry `format_version` and `kind`, and are described by the JSON Schema in
docs/perso-json.schema.json. Plan JSON follows Terraform's `terraform show -json`:
`resource_changes[]` with `address`, `type`, `name`, `change.actions` (["create"], ["update"],
["delete", "create"], ["delete"], ["no-op"]), `before`, `after`, `after_unknown`,
`replace_paths` and `action_reason`, so OPA/conftest policies written for Terraform plans apply.

Markdown is for a pull-request comment or $GITHUB_STEP_SUMMARY: summary first, destructive
changes called out, details collapsed, and never longer than MARKDOWN_LIMIT characters
(GitHub rejects comments over 65,536): what does not fit is cut, with a note saying so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.text import Text

from . import __version__
from .drift import DRIFT_FORMAT_VERSION, DriftReport, ResourceDrift
from .errors import (
    ApplyError,
    AwsError,
    PersoError,
    PlanError,
    SpecError,
    SpecValidationError,
    StaleStateError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
    WaitTimeoutError,
)
from .plan import PLAN_FORMAT_VERSION, Action, Change, Plan
from .planfile import PlanFileError
from .render import change_impacts, cost_notes, describe_change, format_value, render_change
from .spec.model import Ref

REPORT_FORMAT_VERSION = PLAN_FORMAT_VERSION
MARKDOWN_LIMIT = 65_000
COMMENT_MARKER = "<!-- perso:{kind}:{stack} -->"


def to_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def plan_has_changes(plan: Plan) -> bool:
    """What `plan --detailed-exitcode` exits 2 on: anything apply would change, in AWS or in the
    state (adopting a resource records it). Waiting for a resource still settling is not a change."""
    return plan.has_changes() or any(c.adopt for c in plan.changes)


def plan_summary(plan: Plan) -> dict[str, int]:
    counts = dict(plan.summary())
    counts["adopt"] = sum(1 for c in plan.changes if c.adopt and c.action is Action.NOOP)
    counts["no_op"] = sum(1 for c in plan.changes if c.action is Action.NOOP and not c.adopt)
    return counts


# -- values --------------------------------------------------------------------------------------

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
        "previous_address": change.moved_from or None,
        "create_before_destroy": change.create_before_destroy and not change.is_intent,   # Terraform's name for a moved resource's old address
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


def _plain(markup: str) -> str:
    return Text.from_markup(markup, emoji=False).plain


_DIFF_MARK = {"+": "+", "-": "-", "~": "!", "-/+": "!", "+/-": "!"}


def change_diff_lines(change: Change) -> list[str]:
    """render.py's lines for one change, plain, with the change marker moved to column 0 so that
    GitHub's ```diff highlighting colours them (`~` and `-/+` become `!`, as tfcmt does)."""
    out = []
    for line in render_change(change):
        text = _plain(line)
        stripped = text.lstrip()
        head, _, rest = stripped.partition(" ")
        if head in _DIFF_MARK:
            indent = len(text) - len(stripped)
            out.append(f"{_DIFF_MARK[head]}{' ' * max(indent - 3, 0)} {rest}" if indent > 3
                       else f"{_DIFF_MARK[head]} {rest}")
        else:
            out.append(f"  {stripped}")
    return [line.replace("```", "`\u200b``") for line in out]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class _Doc:
    """A markdown document assembled under a character budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []

    def size(self) -> int:
        return sum(len(p) for p in self.parts)

    def fits(self, text: str, reserve: int = 0) -> bool:
        return self.size() + len(text) + reserve <= self.limit

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        out = "".join(self.parts)
        if len(out) > self.limit:  # last resort; the builders keep within the budget themselves
            note = "\n\n_(output cut to fit the comment size limit)_\n"
            out = out[: self.limit - len(note)] + note
        return out


def _bullets(items: Sequence[str], budget: int, prefix: str = "> - ") -> str:
    """As many items as fit in `budget` characters, then a count of the rest."""
    lines: list[str] = []
    used = 0
    for shown, item in enumerate(items):
        line = f"{prefix}{item}"
        if used + len(line) + 40 > budget:
            lines.append(f"{prefix}… and {len(items) - shown} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def plan_markdown(plan: Plan, *, backend: str = "", title: str = "perso plan", link: str | None = None,
                  limit: int = MARKDOWN_LIMIT) -> str:
    """The plan for a PR comment: summary, destructive changes, table, collapsed details."""
    doc = _Doc(limit)
    shown = [c for c in plan.changes if c.action is not Action.NOOP or c.pending or c.adopt or c.moved_from]
    doc.add(COMMENT_MARKER.format(kind="plan", stack=plan.stack) + "\n")
    doc.add(f"### {title} · `{plan.stack}`{' (destroy)' if plan.destroy else ''}\n\n")
    if not plan_has_changes(plan):
        doc.add("**No changes.** The live resources match the spec.\n\n")
    else:
        doc.add(f"**Plan:** {plan.summary_text()}.\n\n")
    destructive = [c for c in plan.changes if c.destructive]
    if destructive:
        impacts = change_impacts(plan)
        items = [f"`{c.address}`: {_cell(describe_change(c).removeprefix(c.address).lstrip(': '))}"
                 + (f" **Impact:** {_cell(impacts[c.address].text())}" if c.address in impacts else "")
                 for c in destructive]
        doc.add(f"> [!CAUTION]\n> **{len(destructive)} destructive change{'s' if len(destructive) != 1 else ''}**\n"
                + _bullets(items, limit // 4) + "\n\n")
    notes = cost_notes(plan)
    if notes:
        doc.add("**Cost notes**\n" + _bullets([_cell(n) for n in notes], limit // 8, "- ") + "\n\n")
    if plan.cost is not None and plan.cost.items:
        from .cost.report import markdown as cost_markdown

        section = cost_markdown(plan.cost) + "\n"
        if doc.fits(section, limit // 2):
            doc.add(section)
    for warning in plan.warnings[:10]:
        doc.add(f"> [!WARNING]\n> {_cell(warning)}\n\n")

    footer = (f"<sub>perso {__version__} · state {escape_md(backend) or '?'} serial {plan.serial}"
              f"{' · spec ' + plan.spec_digest.split(':')[-1][:12] if plan.spec_digest else ''}</sub>\n")
    reserve = len(footer) + 600  # the truncation note and the closing of the details block
    table_rows = detail_blocks = 0
    if shown:
        header = "| | Resource | Action | Why |\n|---|---|---|---|\n"
        if doc.fits(header, reserve):
            doc.add(header)
            for change in shown:
                symbol = change.symbol.strip() or "~"
                why = describe_change(change).removeprefix(change.address).lstrip(": ") or change.reason.value
                row = (f"| `{symbol}` | `{change.address}` | {_action_label(change)} | {_cell(why)} |\n")
                if not doc.fits(row, reserve + 200):
                    break
                doc.add(row)
                table_rows += 1
            doc.add("\n")
        opening = f"<details><summary>Details of {len(shown)} change{'s' if len(shown) != 1 else ''}</summary>\n\n```diff\n"
        closing = "```\n\n</details>\n\n"
        blocks: list[str] = []
        room = limit - doc.size() - reserve - len(opening) - len(closing)
        for change in shown:
            block = "\n".join(change_diff_lines(change)) + "\n\n"
            if len(block) > room:
                break
            blocks.append(block)
            room -= len(block)
        if blocks:
            doc.add(opening + "".join(blocks) + closing)
            detail_blocks = len(blocks)
    if table_rows < len(shown) or detail_blocks < len(shown):
        where = f"[the full plan]({link})" if link else "the full plan in the job log or the saved plan artifact"
        doc.add(f"> [!NOTE]\n> Truncated to fit a comment: the table shows {table_rows} and the details "
                f"{detail_blocks} of {len(shown)} changes. See {where}.\n\n")
    doc.add(footer)
    return doc.text()


def escape_md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _action_label(change: Change) -> str:
    if change.action is Action.NOOP:
        return "adopt" if change.adopt else "wait"
    if change.is_intent and change.action in (Action.CREATE, Action.REPLACE):
        return "run"
    return change.action.value


# -- apply ---------------------------------------------------------------------------------------

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


def apply_markdown(report: Mapping[str, Any], *, limit: int = MARKDOWN_LIMIT) -> str:
    doc = _Doc(limit)
    s = report["summary"]
    ok = report["success"]
    doc.add(COMMENT_MARKER.format(kind="apply", stack=report["stack"]) + "\n")
    doc.add(f"### perso apply · `{report['stack']}`: {'succeeded' if ok else 'FAILED'}\n\n")
    doc.add(f"**Apply {'complete' if ok else 'failed'}:** {s['done']} done, {s['failed']} failed, "
            f"{s['skipped']} skipped.\n\n")
    if report.get("error"):
        err = report["error"]
        doc.add(f"> [!CAUTION]\n> {_cell(err['message'])}" + (f"\n> hint: {_cell(err['hint'])}" if err.get("hint") else "")
                + "\n\n")
    rows = [r for r in report["results"] if r["outcome"] != "done"] + [
        r for r in report["results"] if r["outcome"] == "done"]
    if rows:
        doc.add("| Resource | Step | Outcome | Message |\n|---|---|---|---|\n")
        for shown, r in enumerate(rows):
            row = f"| `{r['address']}` | {r['step']} | {r['outcome']} | {_cell(r['message'])} |\n"
            if not doc.fits(row, 300):
                doc.add(f"\n_… {len(rows) - shown} more results not shown; see the job log._\n")
                break
            doc.add(row)
    return doc.text()


# -- validate ------------------------------------------------------------------------------------

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


def validate_markdown(report: Mapping[str, Any], *, limit: int = MARKDOWN_LIMIT) -> str:
    doc = _Doc(limit)
    doc.add(COMMENT_MARKER.format(kind="validate", stack=report.get("stack") or "") + "\n")
    if report["valid"]:
        doc.add(f"### perso validate: the spec is valid\n\n{report['resources']} resources in stack "
                f"`{report.get('stack')}`.\n")
        return doc.text()
    problems = report["problems"]
    doc.add(f"### perso validate: {len(problems) or 1} problem{'s' if len(problems) != 1 else ''}\n\n")
    if report.get("error"):
        doc.add(f"> [!CAUTION]\n> {_cell(report['error'])}\n\n")
    for shown, p in enumerate(problems):
        line = (f"- `{p['file']}:{p['line']}:{p['col']}` `{p['path'] or '<root>'}`: {_cell(p['message'])}"
                + (f" (hint: {_cell(p['hint'])})" if p.get("hint") else "") + "\n")
        if not doc.fits(line, 200):
            doc.add(f"\n_… {len(problems) - shown} more problems not shown._\n")
            break
        doc.add(line)
    return doc.text()


# -- drift ---------------------------------------------------------------------------------------

def _drift_entry(d: ResourceDrift) -> dict[str, Any]:
    return {"address": d.address, "type": d.type, "name": d.name, "arn": d.arn, "kind": d.kind,
            "status": d.status, "in_spec": d.in_spec, "reverted_by_apply": d.reverted_by_apply, "apply": d.apply_note,
            "attributes": [{"path": a.path, "before": a.before, "after": a.after} for a in d.attributes]}


def drift_report(report: DriftReport) -> dict[str, Any]:
    """`perso drift --format json`; `exit_code` is the code the command exits with."""
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


def _drift_headline(report: DriftReport) -> str:
    s = report.summary()
    if not report.has_changes:
        return f"No drift: {report.checked} managed resources match what perso last applied, and the spec."
    return (f"Drift: {s['changed']} changed outside perso, {s['deleted']} deleted outside perso, "
            f"{s['unmanaged']} unmanaged; {s['pending']} change(s) pending in the spec.")


def drift_text(report: DriftReport) -> str:
    """Drift for people, with rich markup (the CLI prints it)."""
    lines = []
    if report.changed:
        lines.append("[bold]Changed outside perso[/bold] (last applied -> live):")
        for d in report.changed:
            lines.append(f"  [yellow]~ {escape(d.address)}[/yellow] [dim]({escape(d.apply_note)})[/dim]")
            for a in d.attributes:
                lines.append(f"      {escape(a.path)} = {escape(format_value(a.before))} -> "
                             f"{escape(format_value(a.after))}")
        lines.append("")
    if report.deleted:
        lines.append("[bold]Deleted outside perso:[/bold]")
        for d in report.deleted:
            status = f" ({d.status})" if d.status else ""
            lines.append(f"  [red]- {escape(d.address)}[/red] {escape(d.arn)}{escape(status)} [dim]({escape(d.apply_note)})[/dim]")
        lines.append("")
    if report.unmanaged:
        lines.append("[bold]Unmanaged resources in managed dataset groups[/bold] (perso apply leaves them alone: "
                     "`perso import ADDRESS ARN` and add them to the spec, delete them, or list them in .persoignore):")
        for u in report.unmanaged:
            lines.append(f"  [magenta]? {escape(u.address)}[/magenta] {escape(u.arn)}")
        lines.append("")
    spec_pending = report.spec_pending
    if spec_pending:
        lines.append("[bold]Changes pending in the spec[/bold] (`perso apply` would make them):")
        for p in spec_pending:
            lines.append(f"  {escape(p.change.symbol.strip() or '~')} {escape(describe_change(p.change))}")
        lines.append("")
    if report.ignored:
        lines.append(f"[dim]{len(report.ignored)} finding(s) ignored (the ignore file, lifecycle.ignore_changes): "
                     f"{escape(', '.join(report.ignored))}[/dim]")
    for warning in report.warnings:
        lines.append(f"[yellow]warning:[/yellow] {escape(warning)}")
    style = "red" if report.has_drift else "yellow" if report.has_changes else "green"
    lines.append(f"[bold {style}]{escape(_drift_headline(report))}[/bold {style}]")
    return "\n".join(lines)


def drift_markdown(report: DriftReport, *, link: str | None = None, limit: int = MARKDOWN_LIMIT) -> str:
    doc = _Doc(limit)
    doc.add(COMMENT_MARKER.format(kind="drift", stack=report.stack) + "\n")
    doc.add(f"### perso drift · `{report.stack}`\n\n**{_drift_headline(report)}**\n\n")
    s = report.summary()
    doc.add("| Changed | Deleted | Unmanaged | Pending in spec | Ignored |\n|---|---|---|---|---|\n"
            f"| {s['changed']} | {s['deleted']} | {s['unmanaged']} | {s['pending']} | {s['ignored']} |\n\n")
    footer = f"<sub>perso {__version__} · state {escape_md(report.backend) or '?'} serial {report.serial}</sub>\n"
    reserve = len(footer) + 400
    cut = False

    def section(title: str, rows: list[str], header: str) -> None:
        nonlocal cut
        if not rows:
            return
        opening = f"<details open><summary>{title} ({len(rows)})</summary>\n\n{header}"
        closing = "\n</details>\n\n"
        if not doc.fits(opening + closing, reserve):
            cut = True
            return
        doc.add(opening)
        for row in rows:
            if not doc.fits(row, reserve + len(closing)):
                cut = True
                break
            doc.add(row)
        doc.add(closing)

    changed_rows = [f"| `{d.address}` | `{_cell(a.path)}` | `{_cell(format_value(a.before))}` | "
                    f"`{_cell(format_value(a.after))}` |\n" for d in report.changed for a in d.attributes]
    section("Changed outside perso", changed_rows,
            "| Resource | Attribute | Last applied | Live |\n|---|---|---|---|\n")
    section("Deleted outside perso", [f"| `{d.address}` | `{d.arn}` |\n" for d in report.deleted],
            "| Resource | ARN |\n|---|---|\n")
    section("Unmanaged in managed dataset groups",
            [f"| `{u.address}` | {u.type} | `{u.arn}` |\n" for u in report.unmanaged],
            "| Would-be address | Type | ARN |\n|---|---|---|\n")
    section("Pending in the spec",
            [f"| `{p.change.symbol.strip() or '~'}` | `{p.change.address}` | "
             f"{_cell(describe_change(p.change).removeprefix(p.change.address).lstrip(': '))} |\n"
             for p in report.spec_pending],
            "| | Resource | Change |\n|---|---|---|\n")
    for warning in report.warnings[:10]:
        doc.add(f"> [!WARNING]\n> {_cell(warning)}\n\n")
    if cut:
        where = f"[the full report]({link})" if link else "the full report in the job log (`--format json`)"
        doc.add(f"> [!NOTE]\n> Truncated to fit a comment. See {where}.\n\n")
    doc.add(footer)
    return doc.text()

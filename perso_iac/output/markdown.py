"""Pull-request comments and $GITHUB_STEP_SUMMARY: summary first, destructive changes called out,
details collapsed, and never longer than MARKDOWN_LIMIT characters (GitHub rejects comments over
65,536): what does not fit is cut, with a note saying so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from .. import __version__
from ..plan import Action, Change, Plan
from .describe import (
    action_label,
    change_impacts,
    cost_notes,
    describe_change,
    drift_headline,
    format_value,
    plan_has_changes,
)
from .text import render_change

if TYPE_CHECKING:
    from ..drift import DriftReport


MARKDOWN_LIMIT = 65_000


COMMENT_MARKER = "<!-- perso:{kind}:{stack} -->"


def _plain(markup: str) -> str:
    return Text.from_markup(markup, emoji=False).plain


_DIFF_MARK = {"+": "+", "-": "-", "~": "!", "-/+": "!", "+/-": "!"}


def change_diff_lines(change: Change) -> list[str]:
    """text.py's lines for one change, plain, with the change marker moved to column 0 so that
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
        from ..cost.report import markdown as cost_markdown

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
                row = (f"| `{symbol}` | `{change.address}` | {action_label(change)} | {_cell(why)} |\n")
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


def drift_markdown(report: DriftReport, *, link: str | None = None, limit: int = MARKDOWN_LIMIT) -> str:
    doc = _Doc(limit)
    doc.add(COMMENT_MARKER.format(kind="drift", stack=report.stack) + "\n")
    doc.add(f"### perso drift · `{report.stack}`\n\n**{drift_headline(report)}**\n\n")
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

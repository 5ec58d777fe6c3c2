"""A cost estimate as plain text lines and as markdown. Decides nothing; the callers add markup."""

from __future__ import annotations

from .estimate import CostEstimate, CostItem


def money(value: float, signed: bool = False) -> str:
    text = f"{abs(value):,.2f}"
    if signed:
        return ("+" if value >= 0 else "-") + text
    return ("-" if value < 0 else "") + text


def item_text(item: CostItem, currency: str) -> str:
    delta = item.monthly_delta
    parts = []
    if delta is not None:
        before, after = item.monthly_before, item.monthly_after
        span = f" ({money(before or 0)} -> {money(after or 0)})" if item.action != "live" else ""
        parts.append(f"{money(delta, signed=item.action != 'live')} {currency}/month{span}")
    if item.one_off is not None:
        parts.append(f"about {money(item.one_off)} {currency} once")
    if item.unit_price is not None:
        parts.append(f"{item.unit_price.flat:g} {currency} per {item.unit_price.unit}")
    detail = "; ".join(c.name for c in item.components)
    if item.note:
        detail = f"{detail}; {item.note}" if detail else item.note
    return f"{item.address}: {', '.join(parts)}" + (f" [{detail}]" if detail else "")


def summary_text(est: CostEstimate) -> str:
    cur = est.currency
    if est.kind == "run_rate":
        return f"Monthly run-rate: {money(est.monthly_after)} {cur} at the provisioned minimums."
    text = (f"Monthly cost change: {money(est.monthly_delta, signed=True)} {cur} "
            f"({money(est.monthly_before)} -> {money(est.monthly_after)} for what changes)")
    if est.one_off:
        text += f"; one-off: about {money(est.one_off)} {cur}"
    unpriced = sum(1 for i in est.items if i.unit_price is not None)
    if unpriced:
        text += f"; {unpriced} billed per unit, quantity unknown"
    return text + "."


def caveat(est: CostEstimate) -> str:
    used = {c.price.key for i in est.items for c in i.components} | {
        i.unit_price.key for i in est.items if i.unit_price is not None}
    unconfirmed = [k for k in est.catalogue.unconfirmed() if k in used]
    if not unconfirmed:
        return ""
    return (f"Prices for {est.catalogue.region} from {', '.join(est.catalogue.origin)}; not confirmed by a "
            f"first-party source: {', '.join(unconfirmed)} (override with --prices FILE).")


def text_lines(est: CostEstimate) -> list[str]:
    """Plain lines: one per item, then the total and the caveat."""
    lines = [item_text(i, est.currency) for i in est.items]
    lines.append(summary_text(est))
    note = caveat(est)
    if note:
        lines.append(note)
    return lines


def markdown(est: CostEstimate) -> str:
    if not est.items:
        return ""
    rows = ["| Resource | Monthly Δ | One-off | Per unit | Basis |", "|---|---|---|---|---|"]
    cur = est.currency
    for i in est.items:
        delta = "" if i.monthly_delta is None else money(i.monthly_delta, signed=est.kind != "run_rate")
        once = "" if i.one_off is None else money(i.one_off)
        unit = "" if i.unit_price is None else f"{i.unit_price.flat:g} / {i.unit_price.unit}"
        basis = "; ".join([c.name for c in i.components] + ([i.note] if i.note else [])).replace("|", "\\|")
        rows.append(f"| `{i.address}` | {delta} | {once} | {unit} | {basis} |")
    note = caveat(est)
    return (f"**Cost ({cur})**: {summary_text(est)}\n\n" + "\n".join(rows) + "\n"
            + (f"\n<sub>{note}</sub>\n" if note else ""))

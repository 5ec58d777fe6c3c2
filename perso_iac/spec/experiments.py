"""A/B experiments: a control and a challenger endpoint (campaigns or recommenders) and the share
of traffic the challenger gets. perso does not route traffic; it validates the experiment and
publishes it, with both ARNs, as the `experiments` output the application reads to split traffic.
Promoting the challenger is a reviewed spec change (swap control and challenger, or drop one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..resources.registry import REGISTRY
from .checks import Checked, Problems
from .model import OutputSpec, Ref, SourceLocation
from .schema_parts import STR, obj
from .yamlsrc import Document

OUTPUT_NAME = "experiments"

EXPERIMENT = obj({
    "control": {**STR, "description": "Address of the endpoint serving most traffic, e.g. campaign.retail.for-you."},
    "challenger": {**STR, "description": "Address of the endpoint under test (same dataset group)."},
    "challenger_share": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                         "description": "Share of traffic for the challenger, e.g. 0.05 for 5 %."},
    "description": STR,
}, ("control", "challenger", "challenger_share"),
    description="An A/B experiment between two endpoints; read by the application from `perso output experiments`.")


def serving_types() -> list[str]:
    return sorted(name for name, adapter in REGISTRY.items() if adapter.serves_traffic)


def check_experiments(data: Mapping[str, Any], checked: Checked, problems: Problems) -> None:
    """Both sides are endpoints the spec declares, different, and in the same dataset group."""
    kinds = serving_types()
    for name, entry in (data.get("experiments") or {}).items():
        if not isinstance(entry, dict):
            continue
        sides = {}
        for side in ("control", "challenger"):
            address = entry.get(side)
            if not isinstance(address, str):
                continue
            kind = checked.addresses.get(address)
            if kind not in kinds:
                endpoints = sorted(a for a, t in checked.addresses.items() if t in kinds)
                problems.add(("experiments", name, side), f"'{address}' is not a {' or '.join(kinds)} of this spec",
                             f"use one of: {', '.join(endpoints)}" if endpoints else "declare the endpoint first")
                continue
            sides[side] = address
        if len(sides) == 2:
            control, challenger = sides["control"], sides["challenger"]
            if control == challenger:
                problems.add(("experiments", name, "challenger"), "the challenger is the control",
                             "name another endpoint as challenger")
            elif control.split(".")[1] != challenger.split(".")[1]:
                problems.add(("experiments", name, "challenger"),
                             f"{challenger} is in another dataset group than {control}",
                             "an experiment compares endpoints of one dataset group (same users and items)")


def experiments_output(doc: Document, data: Mapping[str, Any]) -> dict[str, OutputSpec]:
    """The routing document, as one output: {name: {control: {address, arn}, challenger: ..., share}}."""
    entries = data.get("experiments") or {}
    if not entries:
        return {}
    value = {name: {"control": {"address": e["control"], "arn": Ref(e["control"])},
                    "challenger": {"address": e["challenger"], "arn": Ref(e["challenger"])},
                    "challenger_share": e["challenger_share"]}
             for name, e in entries.items()}
    pos = doc.locate(("experiments",), key=True)
    return {OUTPUT_NAME: OutputSpec(name=OUTPUT_NAME, value=value, source=SourceLocation(doc.file, pos.line, pos.col),
                                    description="A/B experiments: both endpoints' ARNs and the challenger's share")}

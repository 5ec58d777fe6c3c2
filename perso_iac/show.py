"""`perso show` of a state and `perso graph`: pure formatting, no AWS, no click."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .resources.registry import REGISTRY
from .spec.model import ResourceSpec
from .state.model import StateFile


def state_document(state: StateFile, *, where: str = "") -> dict[str, Any]:
    """The state as `perso show --format json` prints it (no secrets are kept in a state)."""
    return {"format_version": "1.0", "kind": "perso-state", "backend": where, "stack": state.stack,
            "lineage": state.lineage, "serial": state.serial,
            "resources": [r.to_dict() for r in sorted(state.resources.values(), key=lambda r: r.address)],
            "outputs": dict(state.outputs)}


def state_text(state: StateFile, *, where: str = "") -> str:
    if not state.serial:
        return f"The state at {where} is empty: nothing has been applied yet."
    lines = [f"# stack {state.stack}, serial {state.serial} ({where})", ""]
    for res in sorted(state.resources.values(), key=lambda r: r.address):
        status = "" if res.status == "ready" else f"  ({res.status})"
        lines.append(f"{res.address}{status}")
        lines.append(f"    name = {json.dumps(res.name)}")
        lines.append(f"    arn  = {json.dumps(res.arn)}")
        for key, value in sorted(res.outputs.items()):
            lines.append(f"    {key} = {json.dumps(value, default=str)}")
    return "\n".join(lines)


def state_markdown(state: StateFile, *, where: str = "") -> str:
    rows = [f"| `{r.address}` | `{r.name}` | `{r.arn}` | {r.status} |"
            for r in sorted(state.resources.values(), key=lambda r: r.address)]
    head = f"### perso state: stack `{state.stack}`, serial {state.serial}\n\n{where}\n\n"
    if not rows:
        return head + "_Empty: nothing has been applied yet._\n"
    return head + "| Address | Name | ARN | Status |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def _intent(res: ResourceSpec) -> bool:
    adapter = REGISTRY.get(res.type)
    return bool(adapter and adapter.is_intent)


def _edges(resources: Mapping[str, ResourceSpec]) -> list[tuple[str, str]]:
    """(dependency, dependent) pairs: arrows point the way things are created."""
    return [(dep, address) for address, res in resources.items() for dep in res.depends_on if dep in resources]


def to_dot(resources: Mapping[str, ResourceSpec], stack: str = "perso") -> str:
    """Graphviz DOT: one node per resource (intents dashed), an edge from each dependency."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(stack)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for address, res in resources.items():
        style = ", style=dashed" if _intent(res) else ""  # runs (imports, trainings), not resources
        lines.append(f"  {q(address)} [label={q(address)}{style}];")
    lines += [f"  {q(a)} -> {q(b)};" for a, b in _edges(resources)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(resources: Mapping[str, ResourceSpec]) -> str:
    """A Mermaid flowchart (renders in GitHub pull requests and docs)."""
    ids = {address: "n" + str(i) for i, address in enumerate(resources)}

    def node(address: str) -> str:
        label = re.sub(r'["<>]', "", address)
        return f'{ids[address]}(["{label}"])' if _intent(resources[address]) else f'{ids[address]}["{label}"]'

    lines = ["flowchart LR"]
    lines += [f"  {node(a)}" for a in resources]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in _edges(resources)]
    return "\n".join(lines) + "\n"

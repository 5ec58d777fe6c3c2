"""`perso show` (a saved plan, the state) and `perso graph` (DOT parsed back, Mermaid)."""

from __future__ import annotations

import json
import re

DOT_NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*\[(.*)\];\s*$')
DOT_EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*->\s*"((?:[^"\\]|\\.)*)"\s*;\s*$')


def parse_dot(text: str) -> tuple[str, set[str], set[tuple[str, str]]]:
    """A strict little parser for the DOT subset perso writes: fails on any other line."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = re.fullmatch(r'digraph "([^"]+)" \{', lines[0])
    assert header and lines[-1] == "}", text
    nodes: set[str] = set()
    edges: set[tuple[str, str]] = set()
    for line in lines[1:-1]:
        if (edge := DOT_EDGE.match(line)):
            edges.add((edge.group(1), edge.group(2)))
        elif (node := DOT_NODE.match(line)):
            nodes.add(node.group(1))
        else:
            assert re.fullmatch(r"\s*(rankdir=LR|node \[.*\]);", line), f"not DOT: {line!r}"
    assert {a for edge in edges for a in edge} <= nodes
    return header.group(1), nodes, edges


def test_graph_is_dot_with_every_resource_and_dependency(stack):
    result = stack.perso("graph")
    assert result.exit_code == 0, result.output
    name, nodes, edges = parse_dot(result.output)
    assert name == "e2e"
    assert "campaign.e2e.main" in nodes and "schema.e2e-interactions" in nodes
    assert ("solution_version.e2e.up", "campaign.e2e.main") in edges
    assert ("dataset_import.e2e.interactions", "solution_version.e2e.up") in edges
    assert ("dataset_group.e2e", "solution.e2e.up") in edges


def test_graph_as_mermaid(stack):
    result = stack.perso("graph", "--format", "mermaid")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "flowchart LR"
    ids = dict(re.findall(r'^\s+(n\d+)[\[(]+"([^"]+)"', result.output, re.M))
    by_name = {v: k for k, v in ids.items()}
    assert f"  {by_name['solution_version.e2e.up']} --> {by_name['campaign.e2e.main']}" in lines


def test_show_a_saved_plan_and_the_state(stack):
    out = stack.dir / "plan.json"
    assert stack.perso("plan", "--out", str(out)).exit_code == 0
    text = stack.perso("show", str(out))
    assert text.exit_code == 0 and "+ campaign.e2e.main" in text.output, text.output
    doc = json.loads(stack.perso("show", str(out), "--format", "json").output)
    assert "campaign.e2e.main" in {c["address"] for c in doc["resource_changes"]}
    assert "perso plan" in stack.perso("show", str(out), "--format", "markdown").output

    assert "is empty" in stack.perso("show").output
    assert stack.perso("apply", str(out)).exit_code == 0
    state = json.loads(stack.perso("show", "--format", "json").output)
    assert state["kind"] == "perso-state" and state["serial"] > 0
    arn = {r["address"]: r["arn"] for r in state["resources"]}["campaign.e2e.main"]
    assert arn in stack.perso("show").output
    assert f"`{arn}`" in stack.perso("show", "--format", "markdown").output

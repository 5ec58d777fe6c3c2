"""Inputs from Terraform: the JSON `terraform output -json` writes, read as a variables file.

    terraform -chdir=network output -json > network.tf.json
    perso plan --var-file network.tf.json      # each output NAME sets the perso variable NAME

Terraform writes `{"NAME": {"value": ..., "type": ..., "sensitive": bool}}`; the values are
unwrapped, and outputs that no perso variable declares are skipped (a Terraform module has many
outputs; the spec reads those it needs). Perso's own outputs flow back with
`perso output --format json` (Terraform's `external` data source).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_output_json(data: Any) -> bool:
    """Whether a variables file is `terraform output -json`: every entry is {value, type[, sensitive]}."""
    return isinstance(data, Mapping) and bool(data) and all(
        isinstance(v, Mapping) and "value" in v and "type" in v and set(v) <= {"value", "type", "sensitive"}
        for v in data.values())


def output_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """NAME -> value of a `terraform output -json` document."""
    return {str(name): entry["value"] for name, entry in data.items()}


def sensitive_outputs(data: Mapping[str, Any]) -> set[str]:
    """The outputs Terraform marks sensitive (perso treats their variables as sensitive too)."""
    return {str(name) for name, entry in data.items() if entry.get("sensitive") is True}

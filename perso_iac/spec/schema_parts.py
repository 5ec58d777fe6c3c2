"""Building blocks of the spec's JSON Schema, shared by `schema.py` and the adapters that
describe their own spec entries (`ResourceType.entry_schema`)."""

from __future__ import annotations

from typing import Any

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$"
KEY_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"  # map keys become address parts: no dots


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), description: str | None = None,
        **extra: Any) -> dict[str, Any]:
    """A closed object: a misspelled key is an error, not a silently ignored setting."""
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    out.update(extra)
    return out


def keyed(values: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """A mapping keyed by user-chosen keys (resource keys, tags...)."""
    out: dict[str, Any] = {"type": "object", "propertyNames": {"pattern": KEY_PATTERN},
                           "additionalProperties": values}
    if description:
        out["description"] = description
    return out


STR = {"type": "string"}
BOOL = {"type": "boolean"}
SCALAR = {"type": ["string", "number", "boolean"]}
STRING_MAP = {"type": "object", "additionalProperties": SCALAR}  # API string maps; numbers are stringified

LIFECYCLE = obj({
    "prevent_destroy": {**BOOL, "description": "Refuse any plan that would delete or replace this resource."},
    "create_before_destroy": {**BOOL, "description": "Replace by creating the new one first (with a generated "
                              "name suffix when the name does not change), moving what uses it, then deleting "
                              "the old one: campaigns, solutions, filters and schemas only."},
    "ignore_changes": {
        "description": "Parameter paths (dotted, e.g. `campaignConfig.itemExplorationConfig`, or `tags`) "
                       "whose differences the plan ignores, or \"all\".",
        "type": ["string", "array"], "items": STR,
    },
}, description="Terraform-style lifecycle options.")

TAGS = {"type": "object", "additionalProperties": SCALAR,
        "description": "Tags; merged over `defaults.tags`."}

COMMON = {
    "name": {**STR, "description": "The AWS name; defaults to the key (nested: '<group name>-<key>')."},
    "lifecycle": LIFECYCLE,
}
TAGGED = {**COMMON, "tags": TAGS}

DATASET_COLUMNS = {"type": "object", "additionalProperties": {"type": "array", "items": STR}}
TRAINING_DATA_CONFIG = obj({"excludedDatasetColumns": DATASET_COLUMNS,
                            "includedDatasetColumns": DATASET_COLUMNS})

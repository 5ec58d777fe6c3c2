"""Personalize's Avro schema rules for `perso validate`: an adapter over `perso_iac.facts.avro`.

The rules themselves live in `perso_iac.facts.avro`, shared with the emulator, so the validator
accepts exactly what the emulator (and AWS) accept. Every issue carries a path relative to the
schema object (`("fields", 2, "type")`).
"""

from __future__ import annotations

from typing import Any

from ..facts import avro as _facts
from ..facts.avro import (  # noqa: F401 - re-exported for importers of perso_iac.spec.avro
    MAX_SCHEMA_CHARS,
    METADATA_LIMITS,
    NUMERIC,
    PRIMITIVES,
    REQUIRED,
    RESERVED,
    AvroIssue,
    Field,
    FieldRule,
    canonical,
    check_schema,
    parse_schema_text,
)


def check_for_dataset_type(schema: Any, dataset_type: str, *, domain: str | None = None) -> list[AvroIssue]:
    """The rules for a dataset of `dataset_type` (spec spelling) in a group of `domain`.

    Assumes `check_schema` ran. Also applies the rules of the type the record's name announces
    (`name: Items`) when that differs: CreateSchema checks those before any dataset exists.
    """
    fields, _ = check_schema(schema)
    issues = _facts.check_for_dataset_type(schema, dataset_type, domain=domain, fields=fields)
    announced = _facts.announced_dataset_type(schema)
    if announced is not None and announced != _facts.dataset_type(dataset_type):
        prefix = f"the record name '{schema['name']}' makes this {announced.replace('_', ' ')} schema: "
        issues += [AvroIssue(i.path, prefix + i.message, i.hint or "rename the record after its dataset type")
                   for i in _facts.check_announced_type(schema, domain=domain, fields=fields)]
    return issues

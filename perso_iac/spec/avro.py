"""Personalize's Avro schema rules for `perso validate`: an adapter over `perso_iac.facts.avro`.

The rules themselves live in `perso_iac.facts.avro`, shared with the emulator, so the validator
accepts exactly what the emulator (and AWS) accept. Every issue carries a path relative to the
schema object (`("fields", 2, "type")`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import SpecError
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
from .readfile import SCHEMA_MAX_BYTES, read_bounded
from .yamlsrc import MAX_DEPTH, MAX_INT_DIGITS


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


def read_schema_file(file: Path, display: str) -> tuple[str | None, str | None]:
    """The text of a `schema_file`, or (None, why it can't be used): bounded like the spec itself."""
    try:
        return read_bounded(file, "schema file", SCHEMA_MAX_BYTES, display=display), None
    except FileNotFoundError:
        return None, f"schema file '{display}' does not exist (looked in {file.parent})"
    except SpecError as exc:
        return None, exc.message


def parse_schema_json(text: str) -> tuple[Any, str | None]:
    """A schema's JSON text -> (object, None) or (None, what is wrong): no duplicate keys, no deep nesting."""
    def pairs(items: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key '{k}'")
            out[k] = v
        return out

    def integer(digits: str) -> int:
        if len(digits) > MAX_INT_DIGITS:
            raise ValueError(f"an integer of {len(digits):,} characters is too large (at most {MAX_INT_DIGITS})")
        return int(digits)

    try:
        obj = json.loads(text, object_pairs_hook=pairs, parse_int=integer)
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return None, f"nested more than {MAX_DEPTH} levels deep"
    except ValueError as exc:  # duplicate keys; integers too long for Python to convert
        return None, str(exc)
    if _too_deep(obj, MAX_DEPTH):
        return None, f"nested more than {MAX_DEPTH} levels deep"
    return obj, None


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False

"""Personalize's rules for Avro schemas, checked without AWS.

General rules (any schema): a flat Avro `record` with a name and a non-empty `fields` list; field
types are `float, double, int, long, string, boolean`, or a union of `null` with one of them;
field names are unique when compared by their letters and digits only, ignoring case
(`GENRES_FIELD_1` clashes with `GENRESFIELD1`); `categorical`/`textual` only on strings; at most
20,000 characters. Per dataset type: the required fields and the reserved keywords with their
types, and the number of metadata fields. Sources: the Personalize developer guide's "Custom
datasets and schemas" and per-dataset requirement pages (shared/reference/personalize-api.md §9).

Every issue carries a path relative to the schema object (`("fields", 2, "type")`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PRIMITIVES = ("float", "double", "int", "long", "string", "boolean")
NUMERIC = ("float", "double", "int", "long")
MAX_SCHEMA_CHARS = 20000
_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class AvroIssue:
    path: tuple[str | int, ...]
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class FieldRule:
    types: tuple[str, ...]      # accepted base types
    nullable: bool = False      # whether a union with null is accepted


_STRING = FieldRule(("string",))
_LONG = FieldRule(("long",))
_NULL_STRING = FieldRule(("string",), nullable=True)
_NULL_LONG = FieldRule(("long",), nullable=True)

# Required fields and reserved keywords per dataset type (spec spelling of the type).
REQUIRED: dict[str, dict[str, FieldRule]] = {
    "Interactions": {"USER_ID": _STRING, "ITEM_ID": _STRING, "TIMESTAMP": _LONG},
    "Users": {"USER_ID": _STRING},
    "Items": {"ITEM_ID": _STRING},
    "Actions": {"ACTION_ID": _STRING},
    "Action_Interactions": {"USER_ID": _STRING, "ACTION_ID": _STRING, "EVENT_TYPE": _STRING,
                            "TIMESTAMP": _LONG},
}
RESERVED: dict[str, dict[str, FieldRule]] = {
    "Interactions": {
        "EVENT_TYPE": _STRING,
        "EVENT_VALUE": FieldRule(("float",), nullable=True),
        "IMPRESSION": _NULL_STRING,
        "RECOMMENDATION_ID": _NULL_STRING,
        "EVENT_ATTRIBUTION_SOURCE": _NULL_STRING,
    },
    "Users": {},
    "Items": {"CREATION_TIMESTAMP": _NULL_LONG},
    "Actions": {
        "CREATION_TIMESTAMP": _NULL_LONG,
        "VALUE": _NULL_LONG,
        "TYPE": _NULL_STRING,
        "EXPIRATION_TIMESTAMP": _NULL_LONG,
        "REPEAT_FREQUENCY": _NULL_LONG,
    },
    "Action_Interactions": {"IMPRESSION": _NULL_STRING, "RECOMMENDATION_ID": _NULL_STRING},
}
# (minimum, maximum) metadata fields: fields that are neither required nor reserved.
METADATA_LIMITS: dict[str, tuple[int, int]] = {
    "Interactions": (0, 5),
    "Users": (1, 25),
    "Items": (1, 100),
    "Actions": (1, 10),
    "Action_Interactions": (0, 10),
}


@dataclass(frozen=True)
class Field:
    index: int
    name: str
    base: str | None         # the non-null type, None when invalid
    nullable: bool
    categorical: bool
    textual: bool


def parse_schema_text(text: str) -> tuple[Any, AvroIssue | None]:
    """Parse a schema given as a JSON string."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, AvroIssue((), f"the schema is not valid JSON: {exc.msg} at line {exc.lineno} "
                                   f"column {exc.colno}",
                               "write the schema as a YAML mapping, or as a JSON object string")


def canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def check_schema(schema: Any) -> tuple[list[Field], list[AvroIssue]]:
    """The general rules. Returns the fields it could read and the issues."""
    issues: list[AvroIssue] = []
    if not isinstance(schema, dict):
        return [], [AvroIssue((), "the Avro schema must be an object (a record)",
                              'e.g. {type: record, name: Interactions, fields: [...]}')]
    if schema.get("type") != "record":
        issues.append(AvroIssue(("type",), f"the schema's type must be 'record', not {schema.get('type')!r}",
                                "Personalize schemas are one flat Avro record"))
    name = schema.get("name")
    if not isinstance(name, str) or not _AVRO_NAME.match(name):
        issues.append(AvroIssue(("name",), f"the record needs a valid Avro name, not {name!r}",
                                "e.g. name: Interactions (letters, digits, _; not starting with a digit)"))
    if "namespace" in schema and not isinstance(schema["namespace"], str):
        issues.append(AvroIssue(("namespace",), "namespace must be a string",
                                "e.g. com.amazonaws.personalize.schema"))
    raw_fields = schema.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        issues.append(AvroIssue(("fields",), "the record needs a non-empty list of fields",
                                "e.g. fields: [{name: USER_ID, type: string}, ...]"))
        return [], issues
    fields: list[Field] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(raw_fields):
        if not isinstance(raw, dict):
            issues.append(AvroIssue(("fields", i), "a field must be an object with a name and a type"))
            continue
        fname = raw.get("name")
        if not isinstance(fname, str) or not _AVRO_NAME.match(fname):
            issues.append(AvroIssue(("fields", i, "name"), f"invalid field name {fname!r}",
                                    "field names use letters, digits and _ and don't start with a digit"))
            fname = None
        else:
            folded = re.sub(r"[^A-Za-z0-9]", "", fname).upper()
            if folded in seen:
                other = seen[folded]
                msg = (f"duplicate field '{fname}'" if other == fname else
                       f"field '{fname}' clashes with '{other}': Personalize compares field names "
                       "by their letters and digits only, ignoring case")
                issues.append(AvroIssue(("fields", i, "name"), msg, "rename one of the two fields"))
            else:
                seen[folded] = fname
        base, nullable, issue = _field_type(raw.get("type"), ("fields", i, "type"))
        if issue:
            issues.append(issue)
        flags = {}
        for attr in ("categorical", "textual"):
            value = raw.get(attr, False)
            if not isinstance(value, bool):
                issues.append(AvroIssue(("fields", i, attr), f"{attr} must be true or false"))
                value = False
            elif value and base is not None and base != "string":
                issues.append(AvroIssue(("fields", i, attr), f"{attr} applies only to string fields, "
                                                             f"not {base}",
                                        f"remove {attr}, or make the field a string"))
            flags[attr] = value
        if flags["categorical"] and flags["textual"]:
            issues.append(AvroIssue(("fields", i), "a field can't be both categorical and textual"))
        if fname is not None:
            fields.append(Field(i, fname, base, nullable, flags["categorical"], flags["textual"]))
    if len(canonical(schema)) > MAX_SCHEMA_CHARS:
        issues.append(AvroIssue((), f"the schema is longer than {MAX_SCHEMA_CHARS} characters",
                                "Personalize accepts Avro schemas up to 20,000 characters"))
    return fields, issues


def _field_type(ftype: Any, path: tuple[str | int, ...]) -> tuple[str | None, bool, AvroIssue | None]:
    allowed = ", ".join(PRIMITIVES)
    if isinstance(ftype, str):
        if ftype in PRIMITIVES:
            return ftype, False, None
        if ftype == "null":
            return None, True, AvroIssue(path, "a field can't be only null",
                                         'make it nullable with a union, e.g. ["null", "string"]')
        return None, False, AvroIssue(path, f"unsupported field type {ftype!r}", f"use one of {allowed}")
    if isinstance(ftype, list):
        members = [m for m in ftype if m != "null"]
        if len(ftype) - len(members) > 1 or len(members) != 1 or not isinstance(members[0], str) \
                or members[0] not in PRIMITIVES:
            shown = json.dumps(ftype)
            return None, True, AvroIssue(path, f"unsupported union {shown}: a union must be null plus one "
                                               "type", f'e.g. ["null", "string"]; types: {allowed}')
        return members[0], "null" in ftype, None
    if isinstance(ftype, dict):
        kind = ftype.get("type")
        return None, False, AvroIssue(path, f"nested type {kind!r} is not supported: Personalize schemas "
                                            "are flat",
                                      f"use a primitive type ({allowed}); put several values in one "
                                      "string separated by '|'")
    return None, False, AvroIssue(path, "every field needs a type", f"one of {allowed}")


def check_for_dataset_type(schema: Any, dataset_type: str, *, domain: str | None = None) -> list[AvroIssue]:
    """The rules for a dataset of `dataset_type` (spec spelling). Assumes `check_schema` ran."""
    fields, _ = check_schema(schema)
    if not fields and not (isinstance(schema, dict) and schema.get("fields")):
        return []
    required = dict(REQUIRED[dataset_type])
    if domain and dataset_type == "Interactions":
        required["EVENT_TYPE"] = _STRING
    reserved = {k: v for k, v in RESERVED[dataset_type].items() if k not in required}
    by_name = {f.name: f for f in fields}
    by_upper = {f.name.upper(): f for f in fields}
    issues: list[AvroIssue] = []
    what = f"an {dataset_type} dataset" if dataset_type[0] in "AI" else f"a {dataset_type} dataset"
    for fname, rule in required.items():
        f = by_name.get(fname)
        if f is None:
            near = by_upper.get(fname)
            hint = (f"field names are case-sensitive: rename '{near.name}' to '{fname}'" if near else
                    f"add {{name: {fname}, type: {rule.types[0]}}}")
            issues.append(AvroIssue(("fields",), f"{what} needs the field {fname} ({rule.types[0]})", hint))
            continue
        issues.extend(_check_rule(f, rule, "required", what))
    for fname, rule in reserved.items():
        f = by_name.get(fname)
        if f is not None:
            issues.extend(_check_rule(f, rule, "reserved", what))
    metadata = [f for f in fields if f.name not in required and f.name not in reserved]
    low, high = METADATA_LIMITS[dataset_type]
    if len(metadata) < low:
        issues.append(AvroIssue(("fields",), f"{what} needs at least {low} metadata field besides "
                                             f"{', '.join(required)}",
                                "add a categorical string or a numeric field"))
    if len(metadata) > high:
        issues.append(AvroIssue(("fields",), f"{what} allows at most {high} metadata fields, "
                                             f"this schema has {len(metadata)}",
                                "drop the fields that matter least for recommendations"))
    textual = [f for f in fields if f.textual]
    if textual and dataset_type != "Items":
        issues.append(AvroIssue(("fields", textual[0].index, "textual"),
                                "textual fields are allowed only in Items datasets",
                                "remove textual, or mark the field categorical"))
    elif len(textual) > 1:
        issues.append(AvroIssue(("fields", textual[1].index, "textual"),
                                "an Items dataset allows at most one textual field",
                                "keep textual on one field"))
    return issues


def _check_rule(f: Field, rule: FieldRule, kind: str, what: str) -> list[AvroIssue]:
    if f.base is None:
        return []  # already reported by check_schema
    wanted = " or ".join(rule.types)
    if f.base not in rule.types:
        nullable = ' (or ["null", "' + rule.types[0] + '"])' if rule.nullable else ""
        return [AvroIssue(("fields", f.index, "type"),
                          f"{f.name} is a {kind} field of {what} and must be {wanted}, not {f.base}",
                          f"type: {rule.types[0]}{nullable}")]
    if f.nullable and not rule.nullable:
        return [AvroIssue(("fields", f.index, "type"),
                          f"{f.name} is a {kind} field of {what} and can't be null",
                          f"type: {rule.types[0]}")]
    return []

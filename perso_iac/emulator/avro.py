"""Avro schema checks for Personalize datasets.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/custom-datasets-and-schemas.html and
the per-dataset requirement pages. A schema is a flat Avro ``record``; field types are limited to
``string, int, long, float, double, boolean`` (optionally in a union with ``null``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")
NUMERIC = ("int", "long", "float", "double")
_AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: canonical (ARN) dataset type -> spelling used in docs and describe output
DATASET_TYPES = {
    "INTERACTIONS": "Interactions",
    "ITEMS": "Items",
    "USERS": "Users",
    "ACTIONS": "Actions",
    "ACTION_INTERACTIONS": "Action_Interactions",
}

_RECORD_NAMES = {
    "interactions": "INTERACTIONS",
    "iteminteractions": "INTERACTIONS",
    "items": "ITEMS",
    "users": "USERS",
    "actions": "ACTIONS",
    "actioninteractions": "ACTION_INTERACTIONS",
}

#: required fields: name -> accepted (non-null) types; required fields may not be nullable
REQUIRED = {
    "INTERACTIONS": {"USER_ID": ("string",), "ITEM_ID": ("string",), "TIMESTAMP": ("long",)},
    "ITEMS": {"ITEM_ID": ("string",)},
    "USERS": {"USER_ID": ("string",)},
    "ACTIONS": {"ACTION_ID": ("string",)},
    "ACTION_INTERACTIONS": {
        "USER_ID": ("string",),
        "ACTION_ID": ("string",),
        "TIMESTAMP": ("long",),
        "EVENT_TYPE": ("string",),
    },
}

#: reserved keywords: when present they must have these types
RESERVED = {
    "INTERACTIONS": {
        "EVENT_TYPE": ("string",),
        "EVENT_VALUE": ("float", "double"),
        "IMPRESSION": ("string",),
        "RECOMMENDATION_ID": ("string",),
        "EVENT_ATTRIBUTION_SOURCE": ("string",),
    },
    "ITEMS": {"CREATION_TIMESTAMP": ("long",)},
    "USERS": {},
    "ACTIONS": {
        "VALUE": NUMERIC,
        "CREATION_TIMESTAMP": ("long",),
        "EXPIRATION_TIMESTAMP": ("long",),
        "REPEAT_FREQUENCY": ("int", "long"),
    },
    "ACTION_INTERACTIONS": {"IMPRESSION": ("string",), "RECOMMENDATION_ID": ("string",)},
}

#: (minimum, maximum) number of metadata fields (fields that are neither required nor reserved)
METADATA_LIMITS = {
    "INTERACTIONS": (0, 5),
    "ITEMS": (1, 100),
    "USERS": (1, 25),
    "ACTIONS": (1, 10),
    "ACTION_INTERACTIONS": (0, 10),
}


class SchemaError(ValueError):
    """The schema is not acceptable; the message is shown to the caller."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the non-null type
    nullable: bool
    categorical: bool = False
    textual: bool = False

    def as_tuple(self) -> tuple:
        return (self.name, self.type, self.nullable, self.categorical, self.textual)


@dataclass(frozen=True)
class Schema:
    record_name: str
    fields: tuple[Field, ...]

    @property
    def dataset_type(self) -> str | None:
        """The dataset type the record name announces, if any."""
        key = re.sub(r"[^a-z]", "", self.record_name.lower())
        return _RECORD_NAMES.get(key)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def normalize_dataset_type(value: str) -> str | None:
    """``Interactions``/``item_interactions``/``ACTION_INTERACTIONS`` -> canonical upper case."""
    key = value.strip().upper()
    if key in DATASET_TYPES:
        return key
    if key == "ITEM_INTERACTIONS":
        return "INTERACTIONS"
    return None


def parse(text: str) -> Schema:
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"The schema is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise SchemaError('The schema must be an Avro record: {"type": "record", "name": ..., "fields": [...]}')
    name = doc.get("name")
    if not isinstance(name, str) or not _AVRO_NAME.fullmatch(name):
        raise SchemaError("The schema record must have a valid Avro name")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError("The schema must declare a non-empty list of fields")
    fields: list[Field] = []
    seen: dict[str, str] = {}
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise SchemaError("Every schema field must be an object with a name")
        fname = raw["name"]
        if not _AVRO_NAME.fullmatch(fname):
            raise SchemaError(f"Invalid field name {fname!r}")
        key = re.sub(r"[^a-z0-9]", "", fname.lower())
        if key in seen:
            raise SchemaError(
                f"Field names {seen[key]!r} and {fname!r} are not unique when compared alphanumerically"
            )
        seen[key] = fname
        ftype, nullable = _field_type(fname, raw.get("type"))
        categorical = raw.get("categorical") is True
        textual = raw.get("textual") is True
        if (categorical or textual) and ftype != "string":
            raise SchemaError(f"Field {fname!r}: only string fields can be categorical or textual")
        if categorical and textual:
            raise SchemaError(f"Field {fname!r} cannot be both categorical and textual")
        fields.append(Field(fname, ftype, nullable, categorical, textual))
    return Schema(name, tuple(fields))


def _field_type(fname: str, ftype: object) -> tuple[str, bool]:
    if isinstance(ftype, str):
        if ftype in PRIMITIVES:
            return ftype, False
        if ftype == "null":
            raise SchemaError(f"Field {fname!r} cannot have type null only")
        raise SchemaError(
            f"Field {fname!r} has unsupported type {ftype!r}; allowed: {', '.join(PRIMITIVES)} (or a union with null)"
        )
    if isinstance(ftype, list):
        non_null = [t for t in ftype if t != "null"]
        unique = len(ftype) == len(set(map(str, ftype)))
        if unique and len(non_null) == 1 and isinstance(non_null[0], str) and non_null[0] in PRIMITIVES:
            return non_null[0], "null" in ftype
        raise SchemaError(f"Field {fname!r}: a union must be one allowed type plus null, e.g. [\"null\", \"string\"]")
    if isinstance(ftype, dict):
        raise SchemaError(f"Field {fname!r}: nested types (records, arrays, maps, enums) are not supported")
    raise SchemaError(f"Field {fname!r} has no valid type")


def check_for_dataset_type(schema: Schema, dataset_type: str, domain: str | None = None) -> None:
    """Raise SchemaError unless ``schema`` fits ``dataset_type`` (canonical upper case)."""
    label = DATASET_TYPES[dataset_type]
    required = REQUIRED[dataset_type]
    reserved = RESERVED[dataset_type]
    for fname, types in required.items():
        f = schema.field(fname)
        if f is None:
            raise SchemaError(f"The {label} schema must contain the required field {fname}")
        if f.type not in types:
            raise SchemaError(f"Field {fname} of the {label} schema must be of type {' or '.join(types)}")
        if f.nullable:
            raise SchemaError(f"Required field {fname} of the {label} schema cannot be nullable")
    for fname, types in reserved.items():
        f = schema.field(fname)
        if f is not None and f.type not in types:
            raise SchemaError(f"Reserved field {fname} of the {label} schema must be of type {' or '.join(types)}")
    if dataset_type == "INTERACTIONS":
        f = schema.field("EVENT_TYPE")
        if f is not None and f.categorical:
            raise SchemaError("EVENT_TYPE cannot be categorical")
    textual = [f.name for f in schema.fields if f.textual]
    if textual and dataset_type != "ITEMS":
        raise SchemaError(f"Only Items schemas can have textual fields ({', '.join(textual)})")
    if len(textual) > 1:
        raise SchemaError("An Items schema can have at most one textual field")
    metadata = [f for f in schema.fields if f.name not in required and f.name not in reserved]
    low, high = METADATA_LIMITS[dataset_type]
    if len(metadata) < low:
        raise SchemaError(f"The {label} schema must contain at least {low} metadata field besides the id")
    if len(metadata) > high:
        raise SchemaError(f"The {label} schema can contain at most {high} metadata fields")
    if domain is not None and dataset_type == "INTERACTIONS" and schema.field("EVENT_TYPE") is None:
        raise SchemaError(f"A {domain} domain Interactions schema must contain the EVENT_TYPE field")
    if domain is not None and dataset_type in ("ACTIONS", "ACTION_INTERACTIONS"):
        raise SchemaError(f"{label} datasets are not supported in a domain dataset group")


def check_schema_text(text: str, domain: str | None = None) -> Schema:
    """CreateSchema-time check: structure always, dataset rules when the record name tells the type."""
    schema = parse(text)
    dtype = schema.dataset_type
    if dtype is not None:
        check_for_dataset_type(schema, dtype, domain)
    return schema


def check_schema_update(old: Schema, new: Schema) -> None:
    """UpdateDataset: keep every old field unchanged; new fields must be nullable."""
    for f in old.fields:
        g = new.field(f.name)
        if g is None:
            raise SchemaError(f"The new schema must keep the existing field {f.name}")
        if g.as_tuple() != f.as_tuple():
            raise SchemaError(f"The new schema must keep field {f.name} with the same type and attributes")
    for g in new.fields:
        if old.field(g.name) is None and not g.nullable:
            raise SchemaError(f"New field {g.name} must be nullable (a union with null)")

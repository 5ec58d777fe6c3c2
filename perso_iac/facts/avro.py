"""Personalize's rules for Avro schemas: the single source for the validator and the emulator.

General rules (any schema): one flat Avro `record` with a valid name and a non-empty `fields`
list; field types are `float, double, int, long, string, boolean`, or a union of `null` with one
of them; field names are unique when compared by their letters and digits only, ignoring case
(`GENRES_FIELD_1` clashes with `GENRESFIELD1`); `categorical`/`textual` are booleans and apply
only to strings; the schema string is at most 20,000 characters (CreateSchema's `schema`).

Per dataset type: the required fields and the reserved keywords with their types and whether they
may be null, the number of metadata fields, where `textual` is allowed, and that Actions and
Action_Interactions datasets can't exist in a domain dataset group.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/custom-datasets-and-schemas.html (the
table of required fields and reserved keywords, e.g. `EVENT_VALUE (float, null)`,
`REPEAT_FREQUENCY (long, null)`), the per-dataset requirement pages (interactions-, user-, item-,
action-, action-interactions-dataset-requirements.html), how-it-works-dataset-schema.html, the
CreateSchema API reference (schema ≤ 20,000 characters), and /work/shared/reference/
personalize-api.md §9.

Every check returns `AvroIssue`s with a path relative to the schema object
(`("fields", 2, "type")`), a message and an optional hint; callers decide how to show them
(`perso validate` problems, or the emulator's InvalidInputException message).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PRIMITIVES = ("float", "double", "int", "long", "string", "boolean")
NUMERIC = ("float", "double", "int", "long")
MAX_SCHEMA_CHARS = 20000
AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: dataset types, spelled as CreateDataset's documentation (and perso specs) spell them
DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
#: upper-case spelling (dataset ARNs, describe output of some SDKs) -> documented spelling
API_DATASET_TYPES = {t.upper(): t for t in DATASET_TYPES}
#: dataset types that can't be created in a domain (ECOMMERCE / VIDEO_ON_DEMAND) dataset group
DOMAIN_EXCLUDED_TYPES = ("Actions", "Action_Interactions")
DOMAINS = ("ECOMMERCE", "VIDEO_ON_DEMAND")

# a record name, folded to lower-case letters, that announces its dataset type
_RECORD_NAMES = {
    "interactions": "Interactions",
    "iteminteractions": "Interactions",
    "items": "Items",
    "users": "Users",
    "actions": "Actions",
    "actioninteractions": "Action_Interactions",
}


@dataclass(frozen=True)
class AvroIssue:
    path: tuple[str | int, ...]
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class FieldRule:
    types: tuple[str, ...]      # accepted base (non-null) types
    nullable: bool = False      # whether a union with null is accepted
    categorical: bool = True    # whether `categorical: true` is accepted
    needs: str | None = None    # "categorical" or "textual": the attribute the field must carry


_STRING = FieldRule(("string",))
_LONG = FieldRule(("long",))
_NULL_STRING = FieldRule(("string",), nullable=True)
_NULL_LONG = FieldRule(("long",), nullable=True)
_EVENT_TYPE = FieldRule(("string",), categorical=False)

#: required fields per dataset type (custom dataset groups)
REQUIRED: dict[str, dict[str, FieldRule]] = {
    "Interactions": {"USER_ID": _STRING, "ITEM_ID": _STRING, "TIMESTAMP": _LONG},
    "Users": {"USER_ID": _STRING},
    "Items": {"ITEM_ID": _STRING},
    "Actions": {"ACTION_ID": _STRING},
    "Action_Interactions": {"USER_ID": _STRING, "ACTION_ID": _STRING, "EVENT_TYPE": _STRING,
                            "TIMESTAMP": _LONG},
}
#: fields a domain dataset group additionally requires, and its reserved keywords, per domain.
#: Sources: ECOMMERCE-interactions-/items-/users-dataset.html and VIDEO-ON-DEMAND-interactions-/
#: items-/users-dataset.html (archived guide awsdocs/amazon-personalize-developer-guide@83a0cb3,
#: doc_source/*.md). Numbers documented as `float` also accept double, and domain fields may be
#: nullable: the pages don't say otherwise, so perso does not refuse them.
_D_CAT = FieldRule(("string",), nullable=True, needs="categorical")
_D_TEXT = FieldRule(("string",), nullable=True, needs="textual")
_D_FLOAT = FieldRule(("float", "double"), nullable=True)
DOMAIN_REQUIRED: dict[str, dict[str, dict[str, FieldRule]]] = {
    "ECOMMERCE": {"Interactions": {"EVENT_TYPE": _EVENT_TYPE},
                  "Items": {"PRICE": _D_FLOAT, "CATEGORY_L1": _D_CAT}},
    "VIDEO_ON_DEMAND": {"Interactions": {"EVENT_TYPE": _EVENT_TYPE},
                        "Items": {"GENRES": _D_CAT, "CREATION_TIMESTAMP": FieldRule(("long",), nullable=True)}},
}
DOMAIN_RESERVED: dict[str, dict[str, dict[str, FieldRule]]] = {
    "ECOMMERCE": {"Items": {"CATEGORY_L2": _D_CAT, "CATEGORY_L3": _D_CAT, "PRODUCT_DESCRIPTION": _D_TEXT,
                            # documented as float here, long in custom Items datasets: either is accepted
                            "CREATION_TIMESTAMP": FieldRule(("long", "float"), nullable=True),
                            "AGE_GROUP": _D_CAT, "ADULT": _D_CAT, "GENDER": _D_CAT}},
    "VIDEO_ON_DEMAND": {"Items": {"PRICE": _D_FLOAT, "DURATION": _D_FLOAT, "GENRE_L2": _D_CAT, "GENRE_L3": _D_CAT,
                                  "AVERAGE_RATING": _D_FLOAT, "PRODUCT_DESCRIPTION": _D_TEXT,
                                  "CONTENT_OWNER": _D_CAT, "CONTENT_CLASSIFICATION": _D_CAT},
                        "Users": {"SUBSCRIPTION_MODEL": _D_CAT}},
}
#: reserved keywords: optional, but when present they must have this type
RESERVED: dict[str, dict[str, FieldRule]] = {
    "Interactions": {
        "EVENT_TYPE": _EVENT_TYPE,
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
#: (minimum, maximum) metadata fields: fields that are neither required nor reserved
METADATA_LIMITS: dict[str, tuple[int, int]] = {
    "Interactions": (0, 5),
    "Users": (1, 25),
    "Items": (1, 100),
    "Actions": (1, 10),
    "Action_Interactions": (0, 10),
}
#: the only dataset type that may have a `textual` field, and how many
TEXTUAL_TYPE = "Items"
MAX_TEXTUAL_FIELDS = 1


@dataclass(frozen=True)
class Field:
    index: int
    name: str
    base: str | None         # the non-null type, None when invalid
    nullable: bool
    categorical: bool
    textual: bool

    @property
    def type(self) -> str | None:
        return self.base

    def signature(self) -> tuple:
        """What must stay the same when a dataset's schema is replaced."""
        return (self.name, self.base, self.nullable, self.categorical, self.textual)


# ---------------------------------------------------------------------- spellings
def dataset_type(value: Any) -> str | None:
    """Any spelling of a dataset type -> the documented spelling (`Action_Interactions`), else None.

    Accepts the documented spelling in any case, `-` for `_`, `ITEM_INTERACTIONS`.
    """
    if not isinstance(value, str):
        return None
    key = value.strip().replace("-", "_").upper()
    if key == "ITEM_INTERACTIONS":
        return "Interactions"
    return API_DATASET_TYPES.get(key)


def api_dataset_type(value: Any) -> str | None:
    """Any spelling -> upper case (`ACTION_INTERACTIONS`), else None."""
    t = dataset_type(value)
    return t.upper() if t else None


def announced_dataset_type(schema: Any) -> str | None:
    """The dataset type a schema's record name announces (`ActionInteractions` -> Action_Interactions)."""
    name = schema.get("name") if isinstance(schema, dict) else None
    if not isinstance(name, str):
        return None
    return _RECORD_NAMES.get(re.sub(r"[^a-z]", "", name.lower()))


def describe_dataset(dtype: str) -> str:
    """`an Interactions dataset`, `a Users dataset`."""
    return f"{'an' if dtype[0] in 'AI' else 'a'} {dtype} dataset"


def dotted(path: Sequence[str | int]) -> str:
    """`("fields", 2, "type")` -> `fields[2].type`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def canonical(schema: Any) -> str:
    """The compact JSON perso sends as CreateSchema's `schema`."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------- general rules
def parse_schema_text(text: str) -> tuple[Any, AvroIssue | None]:
    """Parse a schema given as a JSON string."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, AvroIssue((), f"the schema is not valid JSON: {exc.msg} at line {exc.lineno} "
                                   f"column {exc.colno}",
                               "write the schema as a YAML mapping, or as a JSON object string")
    except (TypeError, ValueError) as exc:
        return None, AvroIssue((), f"the schema is not valid JSON: {exc}")


def check_schema(schema: Any, text: str | None = None) -> tuple[list[Field], list[AvroIssue]]:
    """The general rules. Returns the fields it could read and the issues.

    `text` is the schema string as sent to CreateSchema (its length is limited); by default the
    compact JSON perso sends.
    """
    issues: list[AvroIssue] = []
    if not isinstance(schema, dict):
        return [], [AvroIssue((), "the Avro schema must be an object (a record)",
                              'e.g. {type: record, name: Interactions, fields: [...]}')]
    if schema.get("type") != "record":
        issues.append(AvroIssue(("type",), f"the schema's type must be 'record', not {schema.get('type')!r}",
                                "Personalize schemas are one flat Avro record"))
    name = schema.get("name")
    if not isinstance(name, str) or not AVRO_NAME.fullmatch(name):
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
        if not isinstance(fname, str) or not AVRO_NAME.fullmatch(fname):
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
    length = len(canonical(schema) if text is None else text)
    if length > MAX_SCHEMA_CHARS:
        issues.append(AvroIssue((), f"the schema is longer than {MAX_SCHEMA_CHARS} characters ({length})",
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


# ---------------------------------------------------------------------- per dataset type
def rules_for(dtype: str, domain: str | None = None) -> tuple[dict[str, FieldRule], dict[str, FieldRule]]:
    """(required, reserved) field rules for a dataset type (documented spelling) in a group of `domain`."""
    required = dict(REQUIRED[dtype])
    reserved = dict(RESERVED[dtype])
    if domain:
        required.update(DOMAIN_REQUIRED.get(domain, {}).get(dtype, {}))
        reserved.update(DOMAIN_RESERVED.get(domain, {}).get(dtype, {}))
    return required, {k: v for k, v in reserved.items() if k not in required}


def check_for_dataset_type(schema: Any, dtype: str, *, domain: str | None = None,
                           fields: list[Field] | None = None) -> list[AvroIssue]:
    """The rules for a dataset of type `dtype` (any spelling) in a dataset group of `domain`.

    Assumes the general rules were checked; reports nothing when no field could be read.
    """
    label = dataset_type(dtype)
    if label is None:
        raise KeyError(dtype)
    if fields is None:
        fields, _ = check_schema(schema)
    if not fields:
        return []
    required, reserved = rules_for(label, domain)
    by_name = {f.name: f for f in fields}
    by_upper = {f.name.upper(): f for f in fields}
    issues: list[AvroIssue] = []
    what = describe_dataset(label) + (f" in {'an' if domain[0] == 'E' else 'a'} {domain} dataset group"
                                      if domain else "")
    for fname, rule in required.items():
        f = by_name.get(fname)
        if f is None:
            near = by_upper.get(fname)
            hint = (f"field names are case-sensitive: rename '{near.name}' to '{fname}'" if near else
                    f"add {{name: {fname}, type: {rule.types[0]}"
                    + (f", {rule.needs}: true}}" if rule.needs else "}"))
            issues.append(AvroIssue(("fields",), f"{what} needs the field {fname} ({rule.types[0]})", hint))
            continue
        issues.extend(_check_rule(f, rule, "required", what))
    for fname, rule in reserved.items():
        f = by_name.get(fname)
        if f is not None:
            issues.extend(_check_rule(f, rule, "reserved", what))
    # domain fields are metadata too (the VIDEO_ON_DEMAND default Users schema is USER_ID + SUBSCRIPTION_MODEL)
    metadata = [f for f in fields if f.name not in REQUIRED[label] and f.name not in RESERVED[label]]
    low, high = METADATA_LIMITS[label]
    if len(metadata) < low:
        issues.append(AvroIssue(("fields",), f"{what} needs at least {low} metadata field besides "
                                             f"{', '.join(required)}",
                                "add a categorical string or a numeric field"))
    if len(metadata) > high:
        issues.append(AvroIssue(("fields",), f"{what} allows at most {high} metadata fields, "
                                             f"this schema has {len(metadata)}",
                                "drop the fields that matter least for recommendations"))
    textual = [f for f in fields if f.textual]
    if textual and label != TEXTUAL_TYPE:
        issues.append(AvroIssue(("fields", textual[0].index, "textual"),
                                f"textual fields are allowed only in {TEXTUAL_TYPE} datasets",
                                "remove textual, or mark the field categorical"))
    elif len(textual) > MAX_TEXTUAL_FIELDS:
        issues.append(AvroIssue(("fields", textual[MAX_TEXTUAL_FIELDS].index, "textual"),
                                f"{describe_dataset(TEXTUAL_TYPE)} allows at most one textual field",
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
    if f.categorical and not rule.categorical:
        return [AvroIssue(("fields", f.index, "categorical"),
                          f"{f.name} is a {kind} field of {what} and can't be categorical",
                          "remove categorical")]
    if rule.needs == "categorical" and not f.categorical:
        return [AvroIssue(("fields", f.index), f"{f.name} is a {kind} field of {what} and must be categorical",
                          "add categorical: true")]
    if rule.needs == "textual" and not f.textual:
        return [AvroIssue(("fields", f.index), f"{f.name} is a {kind} field of {what} and must be textual",
                          "add textual: true")]
    return []


def check_domain(dtype: str, domain: str | None) -> list[AvroIssue]:
    """Actions and Action_Interactions datasets can't be created in a domain dataset group."""
    label = dataset_type(dtype)
    if domain and label in DOMAIN_EXCLUDED_TYPES:
        return [AvroIssue((), f"{label} datasets can't be created in a domain ({domain}) dataset group",
                          "use a custom dataset group (no domain) for actions")]
    return []


def check_announced_type(schema: Any, *, domain: str | None = None,
                         fields: list[Field] | None = None) -> list[AvroIssue]:
    """CreateSchema: a record named after a dataset type (`Interactions`, `ActionInteractions`, ...)
    must fit that type, in a group of the schema's `domain`. Other names are checked at CreateDataset."""
    announced = announced_dataset_type(schema)
    if announced is None:
        return []
    return check_for_dataset_type(schema, announced, domain=domain, fields=fields) + check_domain(announced, domain)


# ---------------------------------------------------------------------- schema replacement
def check_update(old: Iterable[Field], new: Iterable[Field]) -> list[AvroIssue]:
    """UpdateDataset (Items and Users only): keep every old field unchanged; new fields must be nullable."""
    new_by_name = {g.name: g for g in new}
    old_names = set()
    issues: list[AvroIssue] = []
    for f in old:
        old_names.add(f.name)
        g = new_by_name.get(f.name)
        if g is None:
            issues.append(AvroIssue(("fields",), f"the new schema must keep the existing field {f.name}"))
        elif g.signature() != f.signature():
            issues.append(AvroIssue(("fields", g.index), f"the new schema must keep field {f.name} with the "
                                                         "same type and attributes"))
    for g in new_by_name.values():
        if g.name not in old_names and not g.nullable:
            issues.append(AvroIssue(("fields", g.index, "type"),
                                    f"new field {g.name} must be nullable (a union with null)",
                                    f'type: ["null", "{g.base}"]'))
    return issues


UPDATABLE_TYPES = ("Items", "Users")


# ---------------------------------------------------------------------- accepted, but not trained on
def untrained_fields(fields: Iterable[Field], dtype: str, domain: str | None = None) -> list[AvroIssue]:
    """String metadata fields with neither `categorical` nor `textual`: AWS accepts them, and does not
    train on them (custom-datasets-and-schemas.html: string metadata must be categorical, or textual in
    Items, to be used). A warning, not an error."""
    label = dataset_type(dtype)
    if label is None:
        return []
    required, reserved = rules_for(label, domain)
    hint = "add categorical: true" + (" (or textual: true for free text)" if label == TEXTUAL_TYPE else "")
    return [AvroIssue(("fields", f.index), f"{f.name} is a string with neither categorical nor textual: Amazon "
                                           "Personalize imports it but does not train on it", hint)
            for f in fields
            if f.base == "string" and not (f.categorical or f.textual) and f.name not in required
            and f.name not in reserved]

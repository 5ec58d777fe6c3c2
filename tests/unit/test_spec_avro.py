"""Personalize's Avro rules, table-driven: schema (+ dataset type) -> issues (path, message)."""

from __future__ import annotations

import pytest

from perso_iac.spec.avro import check_for_dataset_type, check_schema


def record(*fields: dict, name: str = "R") -> dict:
    return {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
            "fields": list(fields), "version": "1.0"}


def f(name: str, type_: object, **attrs: object) -> dict:
    return {"name": name, "type": type_, **attrs}


S, L = "string", "long"
VALID = {
    "Interactions": record(f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", L), f("EVENT_TYPE", S),
                           f("EVENT_VALUE", ["null", "float"]), f("IMPRESSION", ["null", S]),
                           f("RECOMMENDATION_ID", ["null", S]), f("EVENT_ATTRIBUTION_SOURCE", ["null", S]),
                           f("DEVICE", S, categorical=True)),
    "Users": record(f("USER_ID", S), f("AGE", "int"), f("GENDER", ["null", S], categorical=True)),
    "Items": record(f("ITEM_ID", S), f("PRICE", "double"), f("DESCRIPTION", ["null", S], textual=True),
                    f("CREATION_TIMESTAMP", L), f("IN_STOCK", "boolean")),
    "Actions": record(f("ACTION_ID", S), f("VALUE", ["null", L]), f("CREATION_TIMESTAMP", L),
                      f("REPEAT_FREQUENCY", ["null", L]), f("TYPE", ["null", S]),
                      f("EXPIRATION_TIMESTAMP", ["null", L]), f("LEVEL", S, categorical=True)),
    "Action_Interactions": record(f("USER_ID", S), f("ACTION_ID", S), f("TIMESTAMP", L), f("EVENT_TYPE", S),
                                  f("IMPRESSION", ["null", S]), f("RECOMMENDATION_ID", ["null", S])),
}


@pytest.mark.parametrize("dataset_type", list(VALID))
def test_spec_avro_valid_schema_per_type(dataset_type):
    schema = VALID[dataset_type]
    assert check_schema(schema)[1] == []
    assert check_for_dataset_type(schema, dataset_type) == []


GENERAL = [
    ("not an object", ["x"], (), "must be an object"),
    ("no name", {"type": "record", "fields": [f("A", S)]}, ("name",), "valid Avro name"),
    ("no fields", {"type": "record", "name": "R", "fields": []}, ("fields",), "non-empty list of fields"),
    ("field not an object", record("USER_ID"), ("fields", 0), "must be an object"),
    ("bad field name", record(f("1ID", S)), ("fields", 0, "name"), "invalid field name '1ID'"),
    ("exact duplicate", record(f("A", S), f("A", "int")), ("fields", 1, "name"), "duplicate field 'A'"),
    ("only null", record(f("A", "null")), ("fields", 0, "type"), "can't be only null"),
    ("missing type", record({"name": "A"}), ("fields", 0, "type"), "needs a type"),
    ("union of null twice", record(f("A", ["null", "null", S])), ("fields", 0, "type"), "null plus one type"),
    ("map", record(f("A", {"type": "map", "values": S})), ("fields", 0, "type"), "nested type 'map'"),
    ("categorical not bool", record(f("A", S, categorical="yes")), ("fields", 0, "categorical"),
     "true or false"),
    ("textual on int", record(f("A", "int", textual=True)), ("fields", 0, "textual"), "only to string fields"),
    ("both categorical and textual", record(f("A", S, categorical=True, textual=True)), ("fields", 0),
     "both categorical and textual"),
    ("too long", record(*(f(f"F{i}", S, doc="x" * 300) for i in range(70))), (), "longer than 20000"),
]


@pytest.mark.parametrize("schema, path, message", [c[1:] for c in GENERAL], ids=[c[0] for c in GENERAL])
def test_spec_avro_general_rules(schema, path, message):
    _, issues = check_schema(schema)
    assert [(i.path, message in i.message) for i in issues] == [(path, True)], issues


def meta(n: int, prefix: str = "M") -> list[dict]:
    return [f(f"{prefix}{i}", S, categorical=True) for i in range(n)]


PER_TYPE = [
    ("interactions metadata limit", "Interactions", None,
     record(f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", L), *meta(6)), "at most 5 metadata fields"),
    ("items metadata limit", "Items", None, record(f("ITEM_ID", S), *meta(101)), "at most 100 metadata fields"),
    ("users metadata limit", "Users", None, record(f("USER_ID", S), *meta(26)), "at most 25 metadata fields"),
    ("actions need metadata", "Actions", None, record(f("ACTION_ID", S), f("VALUE", L)),
     "needs at least 1 metadata field"),
    ("actions reserved VALUE is long", "Actions", None, record(f("ACTION_ID", S), f("VALUE", "float"), *meta(1)),
     "VALUE is a reserved field of an Actions dataset and must be long, not float"),
    ("action interactions need EVENT_TYPE", "Action_Interactions", None,
     record(f("USER_ID", S), f("ACTION_ID", S), f("TIMESTAMP", L)), "needs the field EVENT_TYPE"),
    ("items: one textual field", "Items", None,
     record(f("ITEM_ID", S), f("A", S, textual=True), f("B", S, textual=True)), "at most one textual field"),
    ("items CREATION_TIMESTAMP is long", "Items", None,
     record(f("ITEM_ID", S), f("CREATION_TIMESTAMP", "int"), *meta(1)), "must be long, not int"),
    ("domain interactions need EVENT_TYPE", "Interactions", "VIDEO_ON_DEMAND",
     record(f("USER_ID", S), f("ITEM_ID", S), f("TIMESTAMP", L)), "needs the field EVENT_TYPE"),
    ("USER_ID must be a string", "Users", None, record(f("USER_ID", "int"), *meta(1)),
     "USER_ID is a required field of a Users dataset and must be string, not int"),
]


@pytest.mark.parametrize("dataset_type, domain, schema, message", [c[1:] for c in PER_TYPE],
                         ids=[c[0] for c in PER_TYPE])
def test_spec_avro_dataset_type_rules(dataset_type, domain, schema, message):
    issues = check_for_dataset_type(schema, dataset_type, domain=domain)
    assert [message in i.message for i in issues] == [True], issues

"""The quick structure check (perso_iac.spec.fastcheck) agrees with jsonschema on every value.

It decides alone only that a spec is valid; a spec it refuses goes through jsonschema. So the
property that matters is: whenever it says valid, jsonschema finds no error. These tests check
agreement both ways, on small schemas for each keyword and on mutations of the example specs
against the real spec schema.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from perso_iac.spec import validate
from perso_iac.spec.fastcheck import Unsupported, compile_schema, json_equal
from perso_iac.spec.schema import spec_json_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = spec_json_schema()
QUICK = compile_schema(SCHEMA)
FULL = Draft202012Validator(SCHEMA)

TRICKY: list[Any] = [None, True, False, 0, 1, -1, 1.0, 0.0, 2.5, -0.5, 10**20, float("inf"), float("nan"),
                     "", "a", "1", "true", "ab-c_1", "-x", "a.b", "x" * 64, "é", [], [1], [True], ["a", "b"],
                     [[1]], {}, {"a": 1}, {"a": True}, {"1": "x"}, {"-bad": 1}]


def _agree(schema: Any, value: Any) -> None:
    expected = Draft202012Validator(schema).is_valid(value)
    assert compile_schema(schema)(value) is expected, (schema, value)


@pytest.mark.parametrize("schema", [
    {"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"}, {"type": "null"},
    {"type": "array"}, {"type": "object"}, {"type": ["string", "number", "boolean"]},
    {"type": ["string", "array"], "items": {"type": "string"}},
    {"enum": [1, "a", True, None]}, {"enum": [0]}, {"enum": [[1], {"a": 1}]}, {"const": 1}, {"const": True},
    {"const": [1, True]}, {"pattern": r"^[a-z]+$"}, {"pattern": "b"}, {"maxLength": 1}, {"minLength": 1},
    {"minimum": 0}, {"maximum": 1}, {"exclusiveMinimum": 0}, {"exclusiveMaximum": 1.0}, {"minimum": 0.5},
    {"minItems": 1}, {"maxItems": 1}, {"minProperties": 1}, {"maxProperties": 1},
    {"items": {"type": "integer"}}, {"propertyNames": {"pattern": "^[a-z]"}},
    {"properties": {"a": {"type": "integer"}}}, {"required": ["a"]}, {"additionalProperties": False},
    {"properties": {"a": {}}, "additionalProperties": {"type": "string"}},
    {"type": "object", "properties": {"a": True, "1": False}, "additionalProperties": False, "required": ["1"]},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]}, {"oneOf": [{"type": "string"}, {"minimum": 1}]},
    {"anyOf": [{"type": "string"}, {"minimum": 1}]}, {"allOf": [{"type": "number"}, {"maximum": 1}]},
    {"description": "only an annotation", "title": "t"}, True, False,
], ids=str)
def test_each_keyword_agrees_with_jsonschema(schema):
    for value in TRICKY:
        _agree(schema, value)


@pytest.mark.parametrize("schema", [{"$ref": "#/x"}, {"patternProperties": {"a": {}}}, {"format": "uri"},
                                    {"type": "decimal"}, {"if": {}}, {"prefixItems": [{}]}, "not a schema"])
def test_a_keyword_it_lacks_is_refused_when_compiled(schema):
    """Not silently ignored: the loader then falls back to jsonschema for every spec."""
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_the_spec_schema_is_in_the_subset():
    """Else every `perso validate` would pay for importing jsonschema again."""
    assert validate._quick_check is not None


def test_json_equal_is_jsonschemas_equality():
    from jsonschema._utils import equal

    for one in TRICKY:
        for two in TRICKY:
            assert json_equal(one, two) is equal(one, two), (one, two)
    assert json_equal([1], [1.0]) and not json_equal([True], [1]) and not json_equal({"a": 1}, {"a": True})


def _examples() -> list[Any]:
    return [yaml.safe_load(p.read_text()) for p in sorted(ROOT.glob("examples/*/perso.yaml"))]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


def _schema_values(node: Any) -> set:
    """Enum options, constants and numeric bounds of the schema, with their neighbours."""
    found: set = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("enum",):
                found.update(v for v in value if not isinstance(v, list | dict))
            elif key == "const":
                found.add(value)
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxLength", "minItems"):
                found.update({value, value - 1, value + 1, value + 0.5, float(value)})
            else:
                found |= _schema_values(value)
    elif isinstance(node, list):
        for value in node:
            found |= _schema_values(value)
    return found


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _replace(doc[path[0]], path[1:], value)
    return copy


def _delete(doc: Any, path: tuple) -> Any:
    node = doc
    for key in path[:-1]:
        node = node[key]
    copy = dict(node) if isinstance(node, dict) else list(node)
    del copy[path[-1]]
    return _replace(doc, path[:-1], copy)


def test_mutated_examples_agree_with_jsonschema():
    """Every example spec, and a few thousand single-point mutations of them (wrong types, enum
    neighbours, bounds, deleted and unknown keys), get the same verdict from both."""
    rng = random.Random(11)
    probes = TRICKY + sorted(_schema_values(SCHEMA), key=repr)
    cases: list[Any] = []
    for doc in _examples():
        cases.append(doc)
        paths = _paths(doc)
        for path in paths:
            node = doc
            for key in path:
                node = node[key]
            # a number meets every numeric probe (the bounds and their neighbours); anything else a sample
            alike = [p for p in probes if type(p) is type(node)] if isinstance(node, int | float) else []
            for value in alike + rng.sample(probes, 6):
                cases.append(_replace(doc, path, value))
            if path:
                cases.append(_delete(doc, path))
                parent = doc
                for key in path[:-1]:
                    parent = parent[key]
                if isinstance(parent, dict):
                    cases.append(_replace(doc, path[:-1], {**parent, "unknownKey": 1}))
    assert len(cases) > 1000
    verdicts = {True: 0, False: 0}
    for case in cases:
        expected = FULL.is_valid(case)
        assert QUICK(case) is expected, case
        verdicts[expected] += 1
    assert min(verdicts.values()) > 50  # both verdicts are exercised

"""A yes/no JSON Schema check for the spec's own schema, so a valid spec never imports jsonschema.

jsonschema (with referencing, rpds and attrs) costs ~100 ms of imports, more than validating a spec.
`compile_schema(schema)` returns a predicate that answers exactly what
`not any(Draft202012Validator(schema).iter_errors(data))` would, for the keywords the spec schema
uses (Draft 2020-12 semantics: booleans are not numbers, 1.0 is an integer, `pattern` is
`re.search`). Only a spec it refuses goes through jsonschema, whose errors are the ones reported,
so every message stays jsonschema's. A keyword outside this subset raises `Unsupported` when the
schema is compiled, and the caller then uses jsonschema for everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]

# keywords that never affect validity (annotations); a schema using any other keyword is Unsupported
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly"})


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    # Draft 6 and later: a float with an integral value is an integer
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def json_equal(one: Any, two: Any) -> bool:
    """jsonschema's `_utils.equal`: `True` is not `1`, even inside lists and mappings."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # `one is two` already matched the equal booleans
    return bool(one == two)


def compile_schema(schema: Any) -> Check:
    """A predicate: does a value satisfy `schema`? Raises `Unsupported` for keywords outside the subset."""
    if schema is True:
        return lambda _: True
    if schema is False:
        return lambda _: False
    if not isinstance(schema, dict):
        raise Unsupported(f"a schema must be a mapping or a boolean, not {type(schema).__name__}")
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword in ("properties", "additionalProperties", "required"):
            continue  # the object keywords are compiled together below
        checks.append(_keyword(keyword, value))
    if any(k in schema for k in ("properties", "additionalProperties", "required")):
        checks.append(_object(schema.get("properties", {}), schema.get("additionalProperties", True),
                              schema.get("required", [])))
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


def _keyword(keyword: str, value: Any) -> Check:  # noqa: C901 - one branch per keyword
    # each test is jsonschema's failure condition negated, so NaN and friends fail alike
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        if not all(n in _TYPES for n in names):
            raise Unsupported(f"type {value!r}")
        wanted = [_TYPES[n] for n in names]
        return lambda v: any(t(v) for t in wanted)
    if keyword == "enum":
        return lambda v: any(json_equal(option, v) for option in value)
    if keyword == "const":
        return lambda v: json_equal(v, value)
    if keyword == "pattern":
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if keyword == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= value
    if keyword == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= value
    if keyword == "minimum":
        return lambda v: not (_is_number(v) and v < value)
    if keyword == "maximum":
        return lambda v: not (_is_number(v) and v > value)
    if keyword == "exclusiveMinimum":
        return lambda v: not (_is_number(v) and v <= value)
    if keyword == "exclusiveMaximum":
        return lambda v: not (_is_number(v) and v >= value)
    if keyword == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= value
    if keyword == "maxItems":
        return lambda v: not isinstance(v, list) or len(v) <= value
    if keyword == "minProperties":
        return lambda v: not isinstance(v, dict) or len(v) >= value
    if keyword == "maxProperties":
        return lambda v: not isinstance(v, dict) or len(v) <= value
    if keyword == "items":
        item = compile_schema(value)
        return lambda v: not isinstance(v, list) or all(item(i) for i in v)
    if keyword == "propertyNames":
        name = compile_schema(value)
        return lambda v: not isinstance(v, dict) or all(name(k) for k in v)
    if keyword in ("oneOf", "anyOf", "allOf"):
        subs = [compile_schema(s) for s in value]
        if keyword == "oneOf":
            return lambda v: sum(1 for sub in subs if sub(v)) == 1
        if keyword == "anyOf":
            return lambda v: any(sub(v) for sub in subs)
        return lambda v: all(sub(v) for sub in subs)
    raise Unsupported(f"keyword {keyword!r}")


def _object(properties: dict[str, Any], additional: Any, required: list[str]) -> Check:
    props = {key: compile_schema(sub) for key, sub in properties.items()}
    extra = compile_schema(additional)

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key in required:
            if key not in v:
                return False
        for key, item in v.items():
            sub = props.get(key, extra)
            if not sub(item):
                return False
        return True

    return check

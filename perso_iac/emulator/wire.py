"""Parse request bodies the way AWS's JSON front end does: anything malformed is a 400.

Python's ``json`` accepts what AWS refuses (``NaN``, ``Infinity``) and raises ``RecursionError``
on deep nesting; both must end as ``SerializationException``, never as an internal error. No
Personalize request shape nests deeper than a handful of levels, so a depth far above that is
refused before parsing.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from .errors import ApiError

#: Deepest nesting accepted: Personalize shapes need ~6 levels; AWS refuses far less than Python's ~1000.
MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")


def nesting_depth(body: bytes) -> int:
    """The deepest bracket nesting in a JSON text, ignoring brackets inside strings."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body)).translate(_STEP)
    if not brackets:
        return 0
    return max(accumulate(1 if b == 1 else -1 for b in brackets))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_object(body: bytes, what: str = "request body") -> dict[str, Any]:
    """``body`` as a JSON object, or ``SerializationException`` (HTTP 400) saying what is wrong."""
    if not body.strip():
        return {}
    if nesting_depth(body) > MAX_DEPTH:
        raise ApiError("SerializationException", f"The {what} nests deeper than {MAX_DEPTH} levels.")
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ApiError("SerializationException", f"The {what} is not valid JSON: {detail}") from None
    if not isinstance(value, dict):
        raise ApiError("SerializationException", f"The {what} must be a JSON object.")
    return value

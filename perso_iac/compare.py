"""Comparing desired values with observed ones: the one definition of "the same" for perso."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec.model import Ref


def refs_in(value: Any) -> list[Ref]:
    """Every Ref anywhere inside `value`."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in refs_in(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in refs_in(v)]
    return []


def contains_ref(value: Any) -> bool:
    return bool(refs_in(value))


def value_at(params: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted path (None where the path does not exist)."""
    value: Any = params or {}
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def differing_paths(desired: Mapping[str, Any], observed: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths where `observed` differs from `desired`, looking only at keys `desired` sets."""
    paths: list[str] = []
    for key, want in desired.items():
        path = f"{prefix}{key}"
        have = observed.get(key)
        if isinstance(want, Mapping) and want and isinstance(have, Mapping | None):
            paths.extend(differing_paths(want, have or {}, path + "."))
        elif contains_ref(want) or not same_value(want, have):
            paths.append(path)
    return paths


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    scalars = str | int | float
    if isinstance(a, scalars) and isinstance(b, scalars) and isinstance(a, str) != isinstance(b, str):
        return str(a) == str(b)  # AWS returns some numeric config values as strings
    return a == b

"""Sensitive variables in the state: never in clear, yet every change to them is still seen.

Like a saved plan, the state file replaces each text occurrence of a sensitive variable's value
by `(sensitive:NAME)` and keeps a salted SHA-256 of the value (`"sensitive": {NAME: {salt, sha256}}`).
Reading it back with the spec's values (`unseal`), a marker whose value still matches its hash is
given its value again, so an unchanged variable plans clean. A marker whose variable changed
becomes `(sensitive:NAME:previous)`: it differs from the new value, so the plan changes it; and
`hide_previous` recognises the old value where AWS still shows it (by its hash) and shows that
marker instead, so neither value is printed and drift sees no difference where AWS still has
what perso last applied.

Identity fields (address, type, name, ARN, dependencies) and ARN strings are never rewritten,
and a value shorter than MIN_SUBSTRING is only replaced where it is a whole string, so a short
value cannot mangle unrelated text.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

MIN_SUBSTRING = 4
_FIELDS = ("params", "tags", "outputs", "triggers", "held")   # where a variable's value can land


def marker(name: str) -> str:
    return f"(sensitive:{name})"


def previous_marker(name: str) -> str:
    return f"(sensitive:{name}:previous)"


def seal(value: str, salt: str | None = None) -> dict[str, str]:
    salt = salt if salt is not None else secrets.token_hex(16)
    return {"salt": salt, "sha256": hashlib.sha256((salt + value).encode()).hexdigest()}


def matches(sealed: Any, value: str) -> bool:
    return (isinstance(sealed, Mapping) and isinstance(sealed.get("salt"), str)
            and seal(value, sealed["salt"])["sha256"] == sealed.get("sha256"))


def _rewrite(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        if value.startswith("arn:"):
            return value
        for old, new in pairs:
            if value == old:
                return new
            if len(old) >= MIN_SUBSTRING and old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, Mapping):
        return {k: _rewrite(v, pairs) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rewrite(v, pairs) for v in value]
    return value


def _pairs(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    return sorted(((old, new) for old, new in mapping.items() if old), key=lambda p: -len(p[0]))


def redaction(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """(value, marker) pairs to rewrite a document with, longest value first."""
    return _pairs({v: marker(n) for n, v in values.items() if v})


def redact_resource(data: Mapping[str, Any], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """One resource's stored fields with the sensitive values replaced (identities untouched)."""
    return {k: _rewrite(v, pairs) if k in _FIELDS else v for k, v in data.items()}


def redact_value(value: Any, pairs: list[tuple[str, str]]) -> Any:
    return _rewrite(value, pairs)


def new_seals(values: Mapping[str, str], seals: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The `sensitive` block to store: a seal per known value (the same salt while the value holds),
    seals of values no longer known kept as they are, and each changed value's previous seal while
    `text` (the stored document) still shows `(sensitive:NAME:previous)`."""
    sealed: dict[str, Any] = {}
    for name in sorted(set(values) | set(seals)):
        old = seals.get(name) if isinstance(seals.get(name), Mapping) else None
        if name in values:
            same = bool(old) and matches(old, values[name])
            current = {"salt": old["salt"], "sha256": old["sha256"]} if old and same else seal(values[name])
            previous = (old.get("previous") if same else
                        {"salt": old["salt"], "sha256": old.get("sha256")}) if old else None
        elif old:
            current, previous = {"salt": old["salt"], "sha256": old.get("sha256")}, old.get("previous")
        else:
            continue
        if previous and previous_marker(name) in text:
            current["previous"] = previous  # still shown by resources apply has not rewritten yet
        sealed[name] = current
    return sealed


def seal_document(doc: dict[str, Any], values: Mapping[str, str], seals: Mapping[str, Any]) -> dict[str, Any]:
    """A state document (StateFile.to_dict) with sensitive values replaced by markers, and their seals."""
    pairs = redaction(values)
    out = dict(doc)
    out["resources"] = [redact_resource(r, pairs) for r in doc["resources"]]
    out["outputs"] = _rewrite(doc.get("outputs") or {}, pairs)
    sealed = new_seals(values, seals, repr(out))
    if sealed:
        out["sensitive"] = sealed
    return out


def check_seals(data: Any) -> dict[str, Any]:
    """The `sensitive` block of a state document, checked (TypeError when malformed)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping) or not all(
            isinstance(v, Mapping) and isinstance(v.get("salt"), str) and isinstance(v.get("sha256"), str)
            for v in data.values()):
        raise TypeError("'sensitive' must map variable names to {salt, sha256}")
    return {str(k): dict(v) for k, v in data.items()}


def unseal(state: Any, values: Mapping[str, str]) -> None:
    """Give `state` (a StateFile) its sensitive values again, where their seals still match."""
    restore: dict[str, str] = {}
    for name, sealed in state.seals.items():
        if name in values and matches(sealed, values[name]):
            restore[marker(name)] = values[name]
        else:
            restore[marker(name)] = previous_marker(name)
    pairs = _pairs(restore)
    if pairs:
        for res in state.resources.values():
            for name in _FIELDS:
                setattr(res, name, _rewrite_markers(getattr(res, name), pairs))
        state.outputs = _rewrite_markers(state.outputs, pairs)
    state.sensitive = dict(values)


def _rewrite_markers(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _rewrite_markers(v, pairs) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_markers(v, pairs) for v in value]
    return value


def _previous_seals(state: Any) -> dict[str, Any]:
    """The seals of values the state still shows as `(sensitive:NAME:previous)`."""
    out = {}
    for name, sealed in state.seals.items():
        if name in state.sensitive and matches(sealed, state.sensitive[name]):
            if sealed.get("previous"):
                out[name] = sealed["previous"]
        else:
            out[name] = sealed
    return out


def _pairs_of_strings(applied: Any, live: Any) -> list[tuple[str, str]]:
    """(applied string, live string) at the same place in two parallel documents."""
    if isinstance(applied, str) and isinstance(live, str):
        return [(applied, live)]
    if isinstance(applied, Mapping) and isinstance(live, Mapping):
        return [p for k in applied if k in live for p in _pairs_of_strings(applied[k], live[k])]
    if isinstance(applied, list) and isinstance(live, list | tuple):
        return [p for a, b in zip(applied, live, strict=False) for p in _pairs_of_strings(a, b)]
    return []


def hide_previous(observed: Mapping[str, Any], state: Any) -> dict[str, Any]:
    """`observed` (address -> Observed) with the previous values of changed sensitive variables,
    recognised by their seal where the state shows `(sensitive:NAME:previous)`, shown as that marker."""
    wanted = _previous_seals(state)
    if not wanted:
        return dict(observed)
    old: dict[str, str] = {}
    for address, res in state.resources.items():
        obs = observed.get(address)
        if obs is None:
            continue
        for applied, live in (_pairs_of_strings(res.params, dict(obs.params))
                              + _pairs_of_strings(res.tags, dict(obs.tags or {}))):
            for name, sealed in wanted.items():
                mark = previous_marker(name)
                if name in old or applied.count(mark) != 1:
                    continue
                head, tail = applied.split(mark)
                if live.startswith(head) and live.endswith(tail) and len(live) >= len(head) + len(tail):
                    candidate = live[len(head):len(live) - len(tail)]
                    if matches(sealed, candidate):
                        old[name] = candidate
    if not old:
        return dict(observed)
    pairs = _pairs({v: previous_marker(n) for n, v in old.items()})
    return {a: o if o is None else replace(o, params=_rewrite(dict(o.params), pairs),
                                           tags=None if o.tags is None else _rewrite(dict(o.tags), pairs),
                                           outputs=_rewrite(dict(o.outputs), pairs))
            for a, o in observed.items()}

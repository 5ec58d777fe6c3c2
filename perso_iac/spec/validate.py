"""Every check `perso validate` makes, without AWS: the JSON Schema, then the semantic rules.

`check_structure` maps each jsonschema error onto the YAML node it is about (file:line:col and a
dotted path) with a hint (unknown keys get "did you mean ...?"); a spec the quick check of
fastcheck.py accepts has no such error, and never loads jsonschema. `check_semantics` then checks
what a JSON Schema cannot: references resolve, AWS names follow the API's pattern and length and
are unique, one dataset per type per group, Avro schemas fit their dataset type, recipes exist and
are of the right kind, cost-bearing settings are explicit and consistent, tags, ARNs and S3
locations are well-formed, outputs name real resources. Both are defensive: they only look at
values of the right shape, so one mistake gives one problem, not a cascade.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..resources.base import ResourceType
from ..resources.entry import GroupCheck, default_name
from ..resources.registry import REGISTRY, hosted_by, members_of, top_level
from .checks import NAME_RE, Checked, PathT, Problems, SpecWarning, check_tags, d, entries, tag_value
from .fastcheck import Unsupported, compile_schema
from .schema import spec_json_schema
from .variables import did_you_mean
from .yamlsrc import dotted

__all__ = ["ATTRIBUTES", "PARAMS", "SECTIONS", "TAGGABLE", "Checked", "Problems", "check_semantics",
           "check_structure", "parse_output_ref", "tag_value"]

OUTPUT_REF_RE = re.compile(r"^\$\{([a-z_]+(?:\.[A-Za-z0-9_-]+)+)\.([A-Za-z]+)\}(.*)$", re.DOTALL)
MAX_NAME = 63

# Per-type tables, derived from the adapters.
SECTIONS = {a.section: a.type_name for a in REGISTRY.values() if a.container and a.section}  # group section -> type
TAGGABLE = {a.type_name for a in REGISTRY.values() if a.taggable}
PARAMS = {a.type_name: a.params for a in REGISTRY.values() if a.section}        # for lifecycle.ignore_changes
ATTRIBUTES = {a.type_name: a.attributes for a in REGISTRY.values()}              # what outputs may reference
_REQUIRED_HINTS = {k: v for a in REGISTRY.values() for k, v in a.required_hints.items()}
_JSON_TYPES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


# -- JSON Schema ---------------------------------------------------------------------------------

@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # ~100 ms of imports: only for a spec with problems

    return Draft202012Validator(spec_json_schema())


try:  # a valid spec is recognised without jsonschema; its errors always come from jsonschema
    _quick_check: Callable[[Any], bool] | None = compile_schema(spec_json_schema())
except Unsupported:  # a keyword the quick check lacks: jsonschema decides every time
    _quick_check = None


def check_structure(data: Any, problems: Problems) -> None:
    if _quick_check is not None and _quick_check(data):
        return
    for error in _validator().iter_errors(data):
        path = tuple(error.absolute_path)
        kind = error.validator
        inst = error.instance
        if kind == "additionalProperties" and isinstance(inst, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in inst:
                if key not in allowed:
                    guess = did_you_mean(str(key), allowed)
                    hint = (f"did you mean '{guess}'?" if guess else
                            f"allowed here: {', '.join(allowed)}" if allowed else None)
                    problems.add((*path, key), f"unknown key '{key}'", hint, key=True)
        elif kind == "required" and isinstance(inst, dict):
            for key in error.validator_value:
                if key not in inst:
                    problems.add(path, f"missing required key '{key}'",
                                 _REQUIRED_HINTS.get(key) or f"add {key}: ...", key=True)
        elif kind == "propertyNames":
            continue  # reported by the nested pattern error
        elif kind == "pattern" and "propertyNames" in error.schema_path:
            problems.add((*path, inst), f"invalid key '{inst}'",
                         "keys use letters, digits, '-' and '_' and start with a letter or digit "
                         "(they become part of resource addresses)", key=True)
        elif kind == "type":
            wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            text = " or ".join(_JSON_TYPES.get(w, w) for w in wanted)
            hint = "quote it to make it a string" if "string" in wanted and not isinstance(inst, dict | list) \
                else None
            problems.add(path, f"expected {text}, got {_describe(inst)}", hint)
        elif kind == "enum":
            options = [str(o) for o in error.validator_value]
            guess = did_you_mean(str(inst), options) if isinstance(inst, str) else None
            problems.add(path, f"{_describe(inst)} is not one of {', '.join(options)}",
                         f"did you mean '{guess}'?" if guess else None)
        elif kind == "const":
            problems.add(path, f"must be {json.dumps(error.validator_value)}, got {_describe(inst)}",
                         "this version of perso reads spec format version 1" if path == ("version",) else None)
        elif kind in ("minProperties", "maxProperties") and path == ("backend",):
            problems.add(path, "backend needs exactly one of 'local' and 's3'",
                         "e.g. backend: {local: {path: state/stack.json}}")
        elif kind == "pattern" and path == ("stack",):
            problems.add(path, f"invalid stack name {inst!r}",
                         "use letters, digits, '-' and '_', starting with a letter or digit")
        else:
            problems.add(path, error.message)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}".replace("int ", "integer ").replace("float ", "number ")


# -- semantic checks -----------------------------------------------------------------------------

def check_semantics(data: Any, problems: Problems, base_dir: Path) -> Checked:
    """Every check a JSON Schema cannot make: generic ones here (names, tags, lifecycle, outputs),
    per-type ones in the adapters (`check_entry` per entry, `check_entries` per container)."""
    checked = Checked(base_dir=base_dir)
    if not isinstance(data, dict):
        return checked
    by_type_names: dict[str, dict[str, PathT]] = {}

    def name_check(type_: str, path: PathT, name: str, explicit: bool, parent_ok: bool = True) -> bool:
        """Check an AWS name; returns whether it is valid. A default name derived from an invalid
        parent name is not reported again."""
        at = (*path, "name") if explicit else path
        if "${" in name and problems.poisoned:
            return False
        valid = bool(NAME_RE.match(name)) and len(name) <= MAX_NAME
        if not explicit and not parent_ok:
            pass
        elif not NAME_RE.match(name):
            problems.add(at, f"invalid {type_.replace('_', ' ')} name '{name}'",
                         "AWS names use letters, digits, '-' and '_' and start with a letter or digit"
                         + ("" if explicit else "; set name: explicitly"), key=not explicit)
        elif len(name) > MAX_NAME:
            problems.add(at, f"{type_.replace('_', ' ')} name '{name}' is {len(name)} characters long; "
                             f"AWS allows {MAX_NAME}",
                         "shorten it" if explicit else "set name: to a shorter name", key=not explicit)
        seen = by_type_names.setdefault(type_, {})
        if name in seen:
            problems.add(at, f"{type_.replace('_', ' ')} name '{name}' is already used by {dotted(seen[name])}",
                         "names of the same type must be unique in the account and region; set name: to "
                         "another value", key=not explicit)
        else:
            seen[name] = path
        checked.names[path] = name
        return valid

    def entry_check(adapter: ResourceType, key: str, path: PathT, entry: dict, container: str | None,
                    container_name: str | None, container_ok: bool) -> bool:
        address = f"{adapter.type_name}.{container}.{key}" if container else f"{adapter.type_name}.{key}"
        checked.addresses[address] = adapter.type_name
        ok = name_check(adapter.type_name, path, default_name(key, entry, container_name), "name" in entry,
                        container_ok)
        adapter.check_entry(key, path, entry, checked, problems)
        if adapter.taggable:
            check_tags(d(entry.get("tags")), (*path, "tags"), problems, defaults_tags)
        check_lifecycle(entry, path, adapter, problems)
        for intent in hosted_by(adapter.type_name):
            if intent.declared_in(entry):
                checked.addresses[f"{intent.type_name}.{container}.{key}"] = intent.type_name
        return ok

    check_backend(data, problems)
    defaults_tags = d(d(data.get("defaults")).get("tags"))
    check_tags(defaults_tags, ("defaults", "tags"), problems, {})

    for adapter in top_level():
        for key, entry in entries(data.get(adapter.section)):
            path: PathT = (str(adapter.section), key)
            ok = entry_check(adapter, key, path, entry, None, None, True)
            members = members_of(adapter.type_name)
            if not members:
                continue
            name = default_name(key, entry, None)
            sections = {str(m.section): dict(entries(entry.get(m.section))) for m in members}
            for member in members:
                for mkey, mentry in sections[str(member.section)].items():
                    entry_check(member, mkey, (*path, str(member.section), mkey), mentry, key, name, ok)
            group = GroupCheck(key, path, entry, sections, checked, defaults_tags)
            for member in members:
                member.check_entries(group, problems)
                for intent in hosted_by(member.type_name):
                    intent.check_entries(group, problems)

    check_outputs(data, checked, problems)
    checked.warnings = list(problems.warnings)
    for w in checked.warnings:  # located at the spec line, e.g. "perso.yaml:12: SpecWarning: ..."
        warnings.warn_explicit(f"{w.path}: {w.message}" + (f" (hint: {w.hint})" if w.hint else ""), SpecWarning,
                               w.file, w.line, module="perso.validate")
    return checked


def check_backend(data: dict, problems: Problems) -> None:
    backend = d(data.get("backend"))
    s3 = d(backend.get("s3"))
    if "bucket" in s3 and isinstance(s3["bucket"], str) and not re.match(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$",
                                                                        s3["bucket"]):
        problems.add(("backend", "s3", "bucket"), f"invalid S3 bucket name '{s3['bucket']}'",
                     "bucket names are 3-63 lower-case letters, digits, '.' and '-'")


def check_lifecycle(entry: Mapping[str, Any], path: PathT, adapter: ResourceType, problems: Problems) -> None:
    lifecycle = d(entry.get("lifecycle"))
    if lifecycle.get("create_before_destroy") is True and adapter.no_create_before_destroy:
        problems.add((*path, "lifecycle", "create_before_destroy"),
                     f"a {adapter.type_name.replace('_', ' ')} cannot be replaced create-before-destroy: "
                     f"{adapter.no_create_before_destroy}",
                     "remove create_before_destroy (campaigns, solutions, filters and schemas support it)")
    ignore = lifecycle.get("ignore_changes")
    if isinstance(ignore, str):
        if ignore != "all":
            problems.add((*path, "lifecycle", "ignore_changes"), f"ignore_changes must be a list or \"all\", "
                                                                  f"not '{ignore}'",
                         f"e.g. ignore_changes: [{adapter.params[-1]}]")
        return
    if not isinstance(ignore, list):
        return
    known = list(adapter.params) + (["tags"] if adapter.taggable else [])
    for i, item in enumerate(ignore):
        if not isinstance(item, str):
            continue
        head = item.split(".", 1)[0]
        if item == "all":
            problems.add((*path, "lifecycle", "ignore_changes", i), "\"all\" replaces the list",
                         "write ignore_changes: all")
        elif head not in known:
            guess = did_you_mean(head, known)
            problems.add((*path, "lifecycle", "ignore_changes", i),
                         f"'{item}' is not a parameter of a {adapter.type_name.replace('_', ' ')}",
                         f"did you mean '{guess}'?" if guess else f"parameters: {', '.join(known)}")


def parse_output_ref(value: str) -> tuple[str, str, str] | None:
    """`${campaign.g.main.arn}/x` -> ("campaign.g.main", "arn", "/x")."""
    m = OUTPUT_REF_RE.match(value)
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3)


def check_outputs(data: dict, checked: Checked, problems: Problems) -> None:
    addresses = sorted(checked.addresses)
    for name, out in d(data.get("outputs")).items():
        if not isinstance(out, dict):
            continue
        value = out.get("value")
        if not isinstance(value, str):
            continue
        at: PathT = ("outputs", name, "value")
        stripped = value.replace("$${", "")
        if "${" not in stripped:
            continue
        ref = parse_output_ref(value)
        if ref is None or "${" in ref[2].replace("$${", ""):
            problems.add(at, "an output value is a literal, or one reference ${TYPE.GROUP.KEY.ATTRIBUTE} "
                             "optionally followed by literal text",
                         "e.g. value: ${campaign.movielens.main.arn}")
            continue
        address, attr, _ = ref
        type_ = checked.addresses.get(address)
        if type_ is None:
            guess = did_you_mean(address, addresses)
            problems.add(at, f"no resource '{address}' in this spec",
                         f"did you mean '{guess}'?" if guess else
                         "addresses are TYPE.KEY for schemas and groups, TYPE.GROUP.KEY for the rest")
        elif attr not in ATTRIBUTES[type_]:
            problems.add(at, f"a {type_.replace('_', ' ')} has no attribute '{attr}'",
                         f"attributes: {', '.join(ATTRIBUTES[type_])}")

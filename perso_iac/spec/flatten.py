"""Flatten a checked spec document into the engine's `ResourceSpec`s and `OutputSpec`s.

Runs only on a document that passed `validate.py`, so it can trust shapes and references.
Resources come out in file order: schemas, then per dataset group the group itself followed by
its sections in the order they are written (each dataset followed by its import, each solution
by its training run).
"""

from __future__ import annotations

import graphlib
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..compare import refs_in
from ..errors import Problem
from ..resources.base import ResourceType
from ..resources.entry import EntryContext, Flat, default_name
from ..resources.registry import REGISTRY, hosted_by, members_of, top_level
from .checks import Checked, Problems, tag_value
from .model import OutputSpec, Ref, ResourceSpec, SourceLocation
from .validate import parse_output_ref
from .yamlsrc import Document


class Flattener:
    """Walks the document in file order and asks each entry's adapter what it declares."""

    def __init__(self, doc: Document, data: dict, checked: Checked,
                 adapters: dict[str, ResourceType] | None = None) -> None:
        self.doc = doc
        self.data = data
        self.checked = checked
        self.adapters = adapters or REGISTRY
        self.resources: dict[str, ResourceSpec] = {}
        self.default_tags = _tags(data.get("defaults", {}).get("tags", {}))

    def source(self, path: tuple) -> SourceLocation:
        pos = self.doc.locate(path, key=True)
        return SourceLocation(self.doc.file, pos.line, pos.col)

    def add(self, adapter: ResourceType, flat: Flat) -> None:
        tags: dict[str, str] = {}
        if adapter.taggable:
            tags = dict(self.default_tags)
            for own in flat.own_tags:
                tags.update(_tags(own or {}))
        refs = [r.address for r in refs_in(flat.params)]
        deps = tuple(dict.fromkeys([*refs, *flat.depends_on]))
        self.resources[flat.address] = ResourceSpec(
            address=flat.address, type=adapter.type_name, name=flat.name, params=flat.params, tags=tags,
            depends_on=deps, triggers=flat.triggers, lifecycle=flat.lifecycle, source=self.source(flat.path))

    def entry(self, adapter: ResourceType, c: EntryContext) -> None:
        """The entry's own resources, then the intents it declares (an import, a training run)."""
        for flat in adapter.flatten(c):
            self.add(adapter, flat)
        for intent in hosted_by(adapter.type_name, self.adapters):
            for flat in intent.flatten(c):
                self.add(intent, flat)

    def run(self) -> dict[str, ResourceSpec]:
        for adapter in top_level(self.adapters):
            section = str(adapter.section)
            for key, entry in self.data.get(section, {}).items():
                self.container(adapter, key, entry)
        return self.resources

    def container(self, adapter: ResourceType, key: str, entry: dict) -> None:
        path = (str(adapter.section), key)
        name = default_name(key, entry, None)
        self.entry(adapter, EntryContext(adapter.type_name, key, name, path, entry, self.checked))
        members = {str(m.section): m for m in members_of(adapter.type_name, self.adapters)}
        if not members:
            return
        ref = Ref(f"{adapter.type_name}.{key}")
        declared: dict[str, tuple[str, ...]] = {}
        for member in members.values():
            mentries = entry.get(member.section, {})
            declared[member.type_name] = tuple(f"{member.type_name}.{key}.{k}" for k in mentries)
            for intent in hosted_by(member.type_name, self.adapters):
                declared[intent.type_name] = tuple(f"{intent.type_name}.{key}.{k}" for k, e in mentries.items()
                                                   if intent.declared_in(e))
        # Sections in the order they are written.
        for section in entry:
            member = members.get(section)
            if member is None:
                continue
            for mkey, mentry in entry[section].items():
                c = EntryContext(member.type_name, mkey, default_name(mkey, mentry, name), (*path, section, mkey),
                                 mentry, self.checked, container_key=key, container=entry, container_ref=ref,
                                 declared=declared)
                self.entry(member, c)


def _tags(tags: Any) -> dict[str, str]:
    return {str(k): tag_value(v) for k, v in tags.items()}


def build_outputs(doc: Document, data: dict) -> dict[str, OutputSpec]:
    out: dict[str, OutputSpec] = {}
    for name, entry in (data.get("outputs") or {}).items():
        value = entry.get("value")
        if isinstance(value, str):
            ref = parse_output_ref(value)
            value = Ref(ref[0], ref[1], ref[2].replace("$${", "${")) if ref else value.replace("$${", "${")
        pos = doc.locate(("outputs", name), key=True)
        out[name] = OutputSpec(name=name, value=value, description=entry.get("description", ""),
                               source=SourceLocation(doc.file, pos.line, pos.col))
    return out


def check_cycles(resources: Mapping[str, ResourceSpec], problems: Problems) -> None:
    graph = {a: [d for d in r.depends_on if d in resources] for a, r in resources.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        first = resources[cycle[0]]
        problems.items.append(_problem_at(first, "dependency cycle: " + " -> ".join(cycle),
                                          "break the cycle: a resource can't depend on itself"))


def _problem_at(r: ResourceSpec, message: str, hint: str) -> Problem:
    src = r.source
    return Problem(src.file if src else "", src.line if src else 1, src.col if src else 1, r.address, message, hint)


def digest(resources: Mapping[str, ResourceSpec], outputs: Mapping[str, OutputSpec]) -> str:
    def enc(value: Any) -> Any:
        if isinstance(value, Ref):
            return str(value)
        if isinstance(value, Mapping):
            return {str(k): enc(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [enc(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    doc = {
        "resources": {a: {"type": r.type, "name": r.name, "params": enc(r.params), "tags": enc(r.tags),
                          "depends_on": list(r.depends_on), "triggers": [str(t) for t in r.triggers],
                          "lifecycle": {"prevent_destroy": r.lifecycle.prevent_destroy,
                                        "ignore_changes": list(r.lifecycle.ignore_changes),
                                        **({"create_before_destroy": r.lifecycle.create_before_destroy}
                                           if r.lifecycle.create_before_destroy is not None else {})}}
                      for a, r in resources.items()},
        "outputs": {n: {"value": enc(o.value), "description": o.description} for n, o in outputs.items()},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

"""Schema: synchronous, immutable, not taggable. Compared semantically (parsed Avro JSON)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..facts.avro import DOMAINS
from ..spec import avro
from ..spec.avro import canonical
from ..spec.checks import Checked, PathT, Problems, s
from ..spec.schema_parts import COMMON, STR, obj
from ..spec.yamlsrc import dotted
from .base import Listing, Observed, ResourceType, describe_or_none, ignore_not_found, pick
from .entry import Discovered, EntryContext, Flat, SpecWriting, lifecycle_of
from .impact import Impact

_AVRO_ORDER = ("type", "name", "namespace", "doc", "version", "fields")


def canonical_json(text: str | Mapping[str, Any]) -> str:
    """One spelling per JSON document, so whitespace and key order never show as a change."""
    data = json.loads(text) if isinstance(text, str) else text
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class SchemaType(ResourceType):
    type_name = "schema"
    no_create_before_destroy = ""
    create_before_destroy_by_default = True  # a new schema first, so Items/Users datasets can move to it in place
    section = "schemas"
    params = ("name", "schema", "domain")
    listing = Listing("list_schemas", "schemas", "schemaArn")
    impact = Impact(
        typical_create=5, typical_delete=5,
        unavailable="nothing serves from a schema; the datasets using it are replaced with it",
        changes=("schema ARN",),
        loss="nothing stored (a schema is a definition), but its datasets are replaced and lose their data")
    taggable = False
    create_timeout = 120.0
    typical_update = 1.0
    delete_timeout = 120.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **COMMON,
            "domain": {"enum": list(DOMAINS)},
            "schema": {"type": ["object", "string"],
                       "description": "The Avro schema: a YAML/JSON object or a JSON string."},
            "schema_file": {**STR, "description": "A JSON file with the Avro schema, relative to the spec file."},
        }, description="Exactly one of `schema` and `schema_file`.")

    def check_entry(self, key: str, path: PathT, entry: Mapping[str, Any], checked: Checked,
                    problems: Problems) -> None:
        checked.schema_domains[key] = s(entry.get("domain"))
        parsed = load_avro(entry, path, checked, problems)
        if parsed is not None:
            checked.schemas[key] = parsed

    def flatten(self, c: EntryContext) -> list[Flat]:
        params: dict[str, Any] = {"name": c.name, "schema": canonical(c.checked.schemas[c.key])}
        if c.entry.get("domain"):
            params["domain"] = c.entry["domain"]
        return [Flat(c.address(), c.name, params, c.path, lifecycle=lifecycle_of(c.entry))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        entry: dict[str, Any] = {}
        if p.get("domain"):
            entry["domain"] = p["domain"]
        entry["schema"] = _readable_avro(json.loads(p["schema"]))
        return entry

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if isinstance(out.get("schema"), str | dict):
            # Invalid JSON stays as written: the API rejects it with a clear message.
            with contextlib.suppress(ValueError):
                out["schema"] = canonical_json(out["schema"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_schema, schemaArn=arn)
        if resp is None:
            return None
        schema = resp["schema"]
        params = self.normalize(pick(schema, ("name", "schema", "domain")))
        return Observed(arn=arn, statuses=self.statuses, params=params, status=None, outputs={"arn": arn})

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("schema", "domain"))
        return client.create_schema(name=name, **args)["schemaArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_schema, schemaArn=arn)


def _readable_avro(schema: Any) -> Any:
    """The Avro record with its keys in the conventional order (type, name, ... fields last)."""
    if not isinstance(schema, dict):
        return schema
    head = {k: schema[k] for k in _AVRO_ORDER if k in schema and k != "fields"}
    rest = {k: v for k, v in schema.items() if k not in _AVRO_ORDER}
    tail = {"fields": schema["fields"]} if "fields" in schema else {}
    return {**head, **rest, **tail}


# -- checking a spec's Avro schemas ----------------------------------------------------------------

def load_avro(entry: Mapping[str, Any], path: PathT, checked: Checked, problems: Problems) -> Any:
    """Read and check a schema's Avro definition; None when it can't be used."""
    has_inline, has_file = "schema" in entry, "schema_file" in entry
    if has_inline == has_file:
        problems.add(path, "a schema needs exactly one of 'schema' (inline) and 'schema_file'",
                     "keep one of the two" if has_inline else "add schema: {...} or schema_file: path.json",
                     key=True)
        return None
    if has_file:
        file_value = entry["schema_file"]
        if not isinstance(file_value, str):
            return None
        at: PathT = (*path, "schema_file")
        file = (checked.base_dir / file_value)
        text, why = avro.read_schema_file(file, file_value)
        if text is None:
            problems.add(at, why or "cannot read the schema file", "schema_file is relative to the spec file")
            return None
        parsed, issue = avro.parse_schema_json(text)
        if issue:
            problems.add(at, f"{file_value}: {issue}", "the schema file must hold one JSON object")
            return None
        return _report_avro(parsed, at, problems, prefix=f"{file_value}: ")
    inline = entry["schema"]
    at = (*path, "schema")
    if isinstance(inline, str):
        parsed, issue = avro.parse_schema_json(inline)
        if issue:
            problems.add(at, f"the schema string is not valid JSON: {issue}",
                         "write the schema as a YAML mapping, or as a JSON object string")
            return None
        return _report_avro(parsed, at, problems, prefix="")
    if isinstance(inline, dict):
        return _report_avro(inline, at, problems, prefix=None)
    return None


def _report_avro(parsed: Any, at: PathT, problems: Problems, prefix: str | None) -> Any:
    """Report general Avro issues: at the exact node for inline YAML, else at `at` with the inner path."""
    _, issues = avro.check_schema(parsed)
    report_avro_issues(issues, at, problems, prefix)
    return parsed if not issues else None


def report_avro_issues(issues: Iterable[avro.AvroIssue], at: PathT, problems: Problems, prefix: str | None,
                       suffix: str = "") -> None:
    for issue in issues:
        if prefix is None:
            problems.add((*at, *issue.path), issue.message + suffix, issue.hint)
        else:
            inner = dotted(issue.path)
            problems.add(at, f"{prefix}{inner + ': ' if inner else ''}{issue.message}{suffix}", issue.hint)


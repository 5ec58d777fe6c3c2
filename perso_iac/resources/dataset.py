"""Dataset: its schema can be swapped in place (UpdateDataset) for Items and Users only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import PersoError
from ..facts import avro as facts_avro
from ..facts.avro import DATASET_TYPES
from ..spec import avro
from ..spec.checks import Checked, PathT, Problems, did_you_mean
from ..spec.model import Ref
from ..spec.schema_parts import STR, TAGGED, obj
from ..spec.yamlsrc import dotted
from .base import (
    Listing,
    Observed,
    ResourceType,
    api_tags,
    created_at,
    describe_or_none,
    ignore_not_found,
    pick,
    spec_key,
)
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of
from .impact import Impact

_CANONICAL = {t.lower(): t for t in DATASET_TYPES}
_SCHEMA_UPDATABLE = {"Items", "Users"}  # AWS: "You can't update the schema of Item interactions ..." datasets
_PARAMS = ("name", "datasetType", "schemaArn", "datasetGroupArn")


def canonical_dataset_type(value: Any) -> Any:
    return _CANONICAL.get(str(value).lower(), value) if value is not None else None


def normalize_dataset_type(value: Any) -> str | None:
    """The API spelling of a datasetType written in any case, with '-' or '_' (None if unknown)."""
    if not isinstance(value, str):
        return None
    folded = value.replace("-", "_").lower()
    for t in DATASET_TYPES:
        if t.lower() == folded or t.lower().replace("_", "") == folded.replace("_", ""):
            return t
    return None


class DatasetType(ResourceType):
    type_name = "dataset"
    no_create_before_destroy = "AWS allows one dataset of each type per dataset group"
    section = "datasets"
    container = "dataset_group"
    parent = "dataset_group"
    params = _PARAMS
    attributes = ("arn", "trackingId")
    listing = Listing("list_datasets", "datasets", "datasetArn", "datasetGroupArn")
    detect_unmanaged = True
    references = (("schemaArn", "schema"),)
    impact = Impact(
        typical_create=60, typical_delete=120,
        unavailable="training on and filtering by its data until it is imported again",
        changes=("dataset ARN",),
        pick_up="PutItems/PutUsers/PutActions callers passing the dataset ARN",
        loss="its imported data and the records streamed into it (perso re-imports the spec's S3 source)")
    updatable = frozenset({"schemaArn"})
    create_timeout = 1800.0
    delete_timeout = 1800.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            **TAGGED,
            "datasetType": {**STR, "description": "Interactions | Items | Users | Actions | Action_Interactions "
                                                  "(case-insensitive)."},
            "schema": {**STR, "description": "The key of an entry in `schemas`."},
        }, ("datasetType", "schema"))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        group.dataset_types |= check_datasets(group.key, group.path, group.entry, group.sections["datasets"],
                                              group.checked, problems)

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        params = {"name": c.name, "datasetType": normalize_dataset_type(e["datasetType"]),
                  "schemaArn": Ref(f"schema.{e['schema']}"), "datasetGroupArn": c.container_ref}
        return [Flat(c.address(), c.name, params, c.path, (e.get("tags"),), lifecycle=lifecycle_of(e))]

    def discover(self, client: Any, parent_arn: str, parent: Observed, container_name: str,
                 host_key: str) -> list[tuple[str, str]]:
        # One dataset per type in a group: the type is the natural key.
        return [(str(canonical_dataset_type(i.get("datasetType") or "") or spec_key(i["name"], container_name))
                 .lower(), i["datasetArn"]) for i in self.list_live(client, parent_arn)]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        p = found.observed.params
        return {"datasetType": p.get("datasetType"), "schema": ctx.key_of(p.get("schemaArn"), p.get("schemaArn"))}

    # -- AWS ----------------------------------------------------------------------------------------

    def can_update(self, key: str, desired: Mapping[str, Any]) -> bool:
        return key == "schemaArn" and canonical_dataset_type(desired.get("datasetType")) in _SCHEMA_UPDATABLE

    def in_place_problem(self, desired: Mapping[str, Any], before: Mapping[str, Any],
                         planned: Mapping[str, Any]) -> tuple[tuple[str, ...], str, str] | None:
        schema = planned.get(desired["schemaArn"].address) if isinstance(desired.get("schemaArn"), Ref) else None
        if schema is None or schema.type != "schema" or not schema.before or not schema.after:
            return None  # not moving to a schema this plan replaces: update() checks the fields at apply
        problem = schema_evolution_problem(_fields_of(schema.before.get("schema")), _fields_of(schema.after.get("schema")))
        if problem is None:
            return None
        return (("schemaArn",), f"{schema.address} is not additive: {problem}",
                f"{before.get('name') or 'the dataset'} is replaced (its data is deleted and imported again) because "
                f"the new {schema.address} is not additive ({problem})"
                f": AWS updates an {desired.get('datasetType')} dataset in place (a new schema, then UpdateDataset) "
                "only when the new schema keeps every field as it is and adds nullable ones "
                "(e.g. {\"name\": \"NEW_FIELD\", \"type\": [\"null\", \"string\"]}); write the change that way to keep "
                "the dataset, its data and everything trained on it")

    def in_place_hint(self, desired: Mapping[str, Any], before: Mapping[str, Any], planned: Mapping[str, Any],
                      fixed: tuple[str, ...]) -> str:
        if fixed != ("schemaArn",):
            return ""
        return (f"{before.get('name') or 'the dataset'} is replaced with its new schema: AWS changes a schema in "
                f"place (UpdateDataset) only for Items and Users datasets, not {desired.get('datasetType')}; to keep "
                "its data, keep its schema and put new metadata columns in the Items or Users schema instead")

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if "datasetType" in out:
            out["datasetType"] = canonical_dataset_type(out["datasetType"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_dataset, datasetArn=arn)
        if resp is None:
            return None
        ds = resp["dataset"]
        update = ds.get("latestDatasetUpdate") or {}
        # While an UpdateDataset runs, AWS reports the new schema only in latestDatasetUpdate.
        params = pick(ds, _PARAMS)
        if update.get("schemaArn") and update.get("status") not in ("CREATE FAILED",):
            params["schemaArn"] = update["schemaArn"]
        return Observed(
            arn=arn, statuses=self.statuses, params=self.normalize(params), status=ds.get("status"),
            failure_reason=ds.get("failureReason") or update.get("failureReason"),
            outputs={"arn": arn, **({"trackingId": ds["trackingId"]} if ds.get("trackingId") else {}),
                     **created_at(ds)},
            updating=update.get("status") in ("CREATE PENDING", "CREATE IN_PROGRESS"),
        )

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("datasetType", "schemaArn", "datasetGroupArn"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_dataset(name=name, **args)["datasetArn"]

    def update(self, client: Any, arn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        old, new = before.get("schemaArn"), after["schemaArn"]
        if isinstance(old, str) and old != new:
            problem = schema_evolution_problem(_schema_fields(client, old), _schema_fields(client, new))
            if problem:
                raise PersoError(
                    f"dataset {before.get('name') or arn}: its schema cannot be changed in place: {problem}",
                    hint="UpdateDataset accepts only additive schemas (every existing field kept as is, new "
                    "fields nullable); to change fields, give the dataset a new name so it is replaced "
                    "(its data must then be imported again)",
                )
        client.update_dataset(datasetArn=arn, schemaArn=new)

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_dataset, datasetArn=arn)


def _schema_fields(client: Any, schema_arn: str) -> list[dict[str, Any]] | None:
    resp = describe_or_none(client.describe_schema, schemaArn=schema_arn)
    if resp is None:
        return None
    try:
        fields = json.loads(resp["schema"]["schema"]).get("fields")
    except (ValueError, AttributeError, KeyError):
        return None
    return fields if isinstance(fields, list) else None


def _fields_of(schema_json: Any) -> list[dict[str, Any]] | None:
    try:
        fields = json.loads(schema_json).get("fields") if isinstance(schema_json, str) else None
    except (ValueError, AttributeError):
        return None
    return fields if isinstance(fields, list) else None


def _nullable(field_type: Any) -> bool:
    return isinstance(field_type, list) and "null" in field_type


def schema_evolution_problem(old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None) -> str | None:
    """Why AWS would refuse to move a dataset from the `old` to the `new` schema fields, if it would:
    every existing field must be kept with the same type and attributes, and added ones be nullable.
    None when allowed (or when a schema cannot be read: AWS then has the last word)."""
    if old is None or new is None:
        return None
    by_name = {f.get("name"): f for f in new if isinstance(f, Mapping)}
    for f in old:
        if not isinstance(f, Mapping):
            continue
        kept = by_name.get(f.get("name"))
        if kept is None:
            return f"field {f.get('name')} is removed"
        if {k: v for k, v in kept.items() if k != "doc"} != {k: v for k, v in f.items() if k != "doc"}:
            return f"field {f.get('name')} changes from {json.dumps(dict(f))} to {json.dumps(dict(kept))}"
    old_names = {f.get("name") for f in old if isinstance(f, Mapping)}
    for name, f in by_name.items():
        if name not in old_names and not _nullable(f.get("type")):
            return f"new field {name} is not nullable (its type must be a union with \"null\")"
    return None


# -- checking a spec's datasets --------------------------------------------------------------------

def check_datasets(gkey: str, gpath: PathT, group: Mapping[str, Any], datasets: Mapping[str, Any],
                   checked: Checked, problems: Problems) -> set[str]:
    """Check a dataset group's datasets; returns the dataset types it has."""
    domain = group.get("domain") if isinstance(group.get("domain"), str) else None
    schema_domains = checked.schema_domains
    present: dict[str, str] = {}
    schema_keys = sorted(schema_domains)
    for key, ds in datasets.items():
        if not isinstance(ds, dict):
            continue
        path: PathT = (*gpath, "datasets", key)
        raw_type = ds.get("datasetType")
        dtype = normalize_dataset_type(raw_type)
        if isinstance(raw_type, str) and dtype is None:
            guess = did_you_mean(raw_type, DATASET_TYPES)
            problems.add((*path, "datasetType"), f"unknown datasetType '{raw_type}'",
                         f"did you mean '{guess}'?" if guess else f"one of {', '.join(DATASET_TYPES)}")
        if dtype is not None:
            if dtype in present:
                problems.add((*path, "datasetType"), f"dataset group '{gkey}' already has an {dtype} dataset "
                                                     f"('{present[dtype]}')",
                             "a dataset group holds at most one dataset of each type")
            else:
                present[dtype] = key
            if domain and dtype in ("Actions", "Action_Interactions"):
                problems.add((*path, "datasetType"), f"{dtype} datasets can't be created in a domain "
                                                     f"({domain}) dataset group",
                             "use a custom dataset group (no domain) for actions")
        schema_key = ds.get("schema")
        if isinstance(schema_key, str):
            if schema_key not in schema_domains:
                guess = did_you_mean(schema_key, schema_keys)
                problems.add((*path, "schema"), f"unknown schema '{schema_key}'",
                             f"did you mean '{guess}'?" if guess else
                             (f"schemas defined: {', '.join(schema_keys)}" if schema_keys else
                              "define it under schemas:"))
            else:
                sdomain = schema_domains[schema_key]
                if sdomain != domain:
                    problems.add((*path, "schema"),
                                 f"schema '{schema_key}' has domain {sdomain or 'none'} but dataset group "
                                 f"'{gkey}' has domain {domain or 'none'}",
                                 "a dataset's schema must have the same domain as its dataset group")
                parsed = checked.schemas.get(schema_key)
                if parsed is not None and dtype is not None:
                    issues = avro.check_for_dataset_type(parsed, dtype, domain=domain)
                    report_schema_fit(schema_key, issues, path, problems)
                    for issue in facts_avro.untrained_fields(avro.check_schema(parsed)[0], dtype, domain):
                        problems.warn((*path, "schema"), f"schema '{schema_key}': {issue.message}", issue.hint)
    return set(present)


def report_schema_fit(schema_key: str, issues: list[avro.AvroIssue], dataset_path: PathT,
                      problems: Problems) -> None:
    """Report at the dataset's `schema:` reference: that's where the type and the schema meet."""
    for issue in issues:
        where = f" (at {dotted(issue.path)})" if len(issue.path) > 1 else ""
        problems.add((*dataset_path, "schema"), f"schema '{schema_key}': {issue.message}{where}", issue.hint)

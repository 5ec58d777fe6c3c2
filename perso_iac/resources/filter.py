"""Filter: a filter expression over a dataset group's data. Immutable: any change to the
expression replaces the filter (there is no UpdateFilter)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..facts import filters as facts_filters
from ..spec import avro
from ..spec.checks import Checked, PathT, Problems, d
from ..spec.schema_parts import STR, TAGGED, obj
from .base import Listing, Observed, ResourceType, api_tags, describe_or_none, ignore_not_found, pick
from .dataset import normalize_dataset_type
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of
from .impact import Impact

_PARAMS = ("name", "datasetGroupArn", "filterExpression")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\s+|[^"\s]+')


def canonical_expression(text: str) -> str:
    """The expression with runs of whitespace outside quoted values collapsed to one space,
    so a YAML block scalar's line breaks and indentation never show as a change."""
    out: list[str] = []
    for token in _TOKENS.findall(text.strip()):
        out.append(" " if token.isspace() else token)
    return "".join(out)


class FilterType(ResourceType):
    type_name = "filter"
    no_create_before_destroy = ""
    section = "filters"
    container = "dataset_group"
    parent = "dataset_group"
    params = _PARAMS
    # ListFilters' result key is spelled "Filters" in the service model.
    listing = Listing("list_filters", "Filters", "filterArn", "datasetGroupArn")
    detect_unmanaged = True
    import_output = ("filter_arn", "arn")
    impact = Impact(
        typical_create=120, typical_delete=60,
        unavailable="requests passing its filterArn fail (requests without it are served unfiltered)",
        changes=("filter ARN",),
        pick_up="apps passing filterArn to GetRecommendations/GetPersonalizedRanking",
        loss="nothing stored: a short window without the filter, then a new filterArn")
    create_timeout = 1800.0
    delete_timeout = 1800.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({**TAGGED, "filterExpression": STR}, ("filterExpression",))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        check_filters(group.path, group.sections["filters"], group.dataset_types, problems,
                      group.sections["datasets"], group.checked)

    def flatten(self, c: EntryContext) -> list[Flat]:
        params = {"name": c.name, "datasetGroupArn": c.container_ref, "filterExpression": c.entry["filterExpression"]}
        return [Flat(c.address(), c.name, params, c.path, (c.entry.get("tags"),),
                     depends_on=c.declared.get("dataset", ()), lifecycle=lifecycle_of(c.entry))]

    def spec_entry(self, found: Discovered, ctx: SpecWriting) -> dict[str, Any]:
        return {"filterExpression": found.observed.params.get("filterExpression")}

    # -- AWS ----------------------------------------------------------------------------------------

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if isinstance(out.get("filterExpression"), str):
            out["filterExpression"] = canonical_expression(out["filterExpression"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_filter, filterArn=arn)
        if resp is None:
            return None
        flt = resp["filter"]
        return Observed(arn=arn, statuses=self.statuses, params=self.normalize(pick(flt, _PARAMS)), status=flt.get("status"),
                        failure_reason=flt.get("failureReason"), outputs={"arn": arn})

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("datasetGroupArn", "filterExpression"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_filter(name=name, **args)["filterArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_filter, filterArn=arn)


# -- checking a spec's filters ---------------------------------------------------------------------

def check_filters(gpath: PathT, filters: Mapping[str, Any], present: set[str], problems: Problems,
                  datasets: Mapping[str, Any] | None = None, checked: Checked | None = None) -> None:
    """The filter grammar and CreateFilter's rules live in `perso_iac.facts.filters`."""
    fields = filter_datasets(present, datasets or {}, checked)
    texts = []
    for key, flt in filters.items():
        expr = flt.get("filterExpression") if isinstance(flt, dict) else None
        if not isinstance(expr, str):
            continue
        texts.append(expr)
        for issue in facts_filters.check(expr, fields):
            problems.add((*gpath, "filters", key, "filterExpression"), issue.text(), issue.hint)
    over = facts_filters.check_group(texts)
    if over is not None:
        problems.add((*gpath, "filters"), over.text(), over.hint)


def filter_datasets(present: set[str], datasets: Mapping[str, Any], checked: Checked | None) -> dict[str, Any]:
    """Dataset type -> its schema's fields (None when the schema could not be read)."""
    out: dict[str, Any] = {t: None for t in present}
    for ds in datasets.values():
        dtype = normalize_dataset_type(d(ds).get("datasetType"))
        schema_key = d(ds).get("schema")
        if dtype in out and checked is not None and isinstance(schema_key, str) and schema_key in checked.schemas:
            out[dtype] = avro.check_schema(checked.schemas[schema_key])[0] or None
    return out

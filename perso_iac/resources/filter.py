"""Filter: a filter expression over a dataset group's data. Immutable: any change to the
expression replaces the filter (there is no UpdateFilter)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..spec.checks import PathT, Problems
from ..spec.schema_parts import STR, TAGGED, obj
from .base import Listing, Observed, ResourceType, api_tags, describe_or_none, ignore_not_found, pick
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting, lifecycle_of

_PARAMS = ("name", "datasetGroupArn", "filterExpression")
FILTER_RE = re.compile(r"^\s*(INCLUDE|EXCLUDE)\s+(ItemID|ActionID|UserID)\s+WHERE\s+\S", re.IGNORECASE)
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
    section = "filters"
    container = "dataset_group"
    parent = "dataset_group"
    params = _PARAMS
    # ListFilters' result key is spelled "Filters" in the service model.
    listing = Listing("list_filters", "Filters", "filterArn", "datasetGroupArn")
    detect_unmanaged = True
    import_output = ("filter_arn", "arn")
    create_timeout = 1800.0
    delete_timeout = 1800.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({**TAGGED, "filterExpression": STR}, ("filterExpression",))

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        check_filters(group.path, group.sections["filters"], group.dataset_types, problems)

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

def check_filters(gpath: PathT, filters: Mapping[str, Any], present: set[str], problems: Problems) -> None:
    for key, flt in filters.items():
        if not isinstance(flt, dict):
            continue
        expr = flt.get("filterExpression")
        if not isinstance(expr, str):
            continue
        at: PathT = (*gpath, "filters", key, "filterExpression")
        if not expr.strip():
            problems.add(at, "filterExpression is empty",
                         'e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
            continue
        if len(expr) > 2500:
            problems.add(at, f"filterExpression is {len(expr)} characters long; AWS allows 2500")
        if not FILTER_RE.match(expr):
            problems.add(at, "a filter expression starts with INCLUDE or EXCLUDE, then ItemID, ActionID or "
                             "UserID, then WHERE",
                         'e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
        for ds in sorted(set(re.findall(r"\b(Action_Interactions|Interactions|Items|Users|Actions)\.", expr))):
            if ds not in present:
                problems.add(at, f"the filter uses {ds} data, and dataset group '{gpath[1]}' has no {ds} dataset",
                             f"add a dataset with datasetType: {ds}, or change the expression")

"""Filter: a filter expression over a dataset group's data. Immutable: any change to the
expression replaces the filter (there is no UpdateFilter)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, find_by_name, ignore_not_found, pick
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
    impact = Impact(
        typical_create=120, typical_delete=60,
        unavailable="requests passing its filterArn fail (requests without it are served unfiltered)",
        changes=("filter ARN",),
        pick_up="apps passing filterArn to GetRecommendations/GetPersonalizedRanking",
        loss="nothing stored: a short window without the filter, then a new filterArn")
    create_timeout = 1800.0
    delete_timeout = 1800.0

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
        return Observed(arn=arn, params=self.normalize(pick(flt, _PARAMS)), status=flt.get("status"),
                        failure_reason=flt.get("failureReason"), outputs={"arn": arn})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        group = params.get("datasetGroupArn")
        if not isinstance(group, str):
            return None
        # ListFilters' result key is spelled "Filters" in the service model.
        return find_by_name(client, "list_filters", "Filters", "filterArn", name, datasetGroupArn=group)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("datasetGroupArn", "filterExpression"))
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_filter(name=name, **args)["filterArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_filter, filterArn=arn)

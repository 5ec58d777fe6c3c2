"""The emulated account's domain model (moto's ``models.py`` role), without HTTP or storage.

Shared rules every operation builds on:

- ``resources``: the resource type table (ARN keys, Describe keys, lifecycle styles, durations)
- ``lifecycle``: transitions and how pending statuses are derived lazily from the clock
- ``account``: ``Account``, one request's view of the state (records, ARNs, names, statuses,
  views, quotas, tags, deletion and update rules)
- ``paging``: ``nextToken`` pagination; ``synthetic``: deterministic made-up values
- ``generic``: Describe*/List* handlers made from a table row

One module per resource family: ``schemas``, ``dataset_groups``, ``datasets`` (+ import/export
jobs), ``solutions`` (+ versions, metrics), ``campaigns``, ``recommenders``, ``filters``,
``event_trackers``, ``metric_attributions``, ``jobs`` (batch inference/segment, data deletion),
``recipes`` (catalogue reads), ``tags``, and ``tagging`` (the Resource Groups Tagging API's
GetResources, which reads many resources' tags in one call). Each exposes ``OPERATIONS`` (operation name ->
handler ``(account, params) -> result``) and, where its resources need them, the lifecycle hook
tables ``ON_CREATED``, ``ON_UPDATED`` and ``VIEW_EXTRAS`` (resource type -> hook). This module
merges them into the explicit dispatch table ``HANDLERS`` and the ``HOOKS`` the shared lifecycle
calls back into.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from . import (
    campaigns,
    dataset_groups,
    datasets,
    event_trackers,
    filters,
    jobs,
    metric_attributions,
    recipes,
    recommenders,
    schemas,
    solutions,
    tagging,
    tags,
)
from .account import Handler, Hooks

FAMILIES: tuple[ModuleType, ...] = (
    schemas,
    dataset_groups,
    datasets,
    solutions,
    campaigns,
    recommenders,
    filters,
    event_trackers,
    metric_attributions,
    jobs,
    recipes,
    tags,
    tagging,
)


def _merge(tables: list[Mapping[str, Any]], what: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for table in tables:
        for key, value in table.items():
            if key in merged:
                raise RuntimeError(f"{what} {key} is defined twice")
            merged[key] = value
    return merged


HANDLERS: dict[str, Handler] = _merge([m.OPERATIONS for m in FAMILIES], "operation")
HOOKS = Hooks(
    on_created=_merge([solutions.ON_CREATED, recommenders.ON_CREATED, jobs.ON_CREATED], "on-created hook for"),
    on_updated=_merge([datasets.ON_UPDATED, solutions.ON_UPDATED, campaigns.ON_UPDATED, recommenders.ON_UPDATED],
                      "on-updated hook for"),
    view_extras=_merge([datasets.VIEW_EXTRAS, solutions.VIEW_EXTRAS, recommenders.VIEW_EXTRAS], "view extra for"),
)

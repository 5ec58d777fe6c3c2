"""Every resource type perso manages, by type name. Explicit: no import magic."""

from __future__ import annotations

from ..errors import PersoError
from .base import ResourceType
from .campaign import CampaignType
from .dataset import DatasetType
from .dataset_group import DatasetGroupType
from .dataset_import import DatasetImportType
from .event_tracker import EventTrackerType
from .filter import FilterType
from .metric_attribution import MetricAttributionType
from .recommender import RecommenderType
from .schema import SchemaType
from .solution import SolutionType
from .solution_version import SolutionVersionType

REGISTRY: dict[str, ResourceType] = {
    adapter.type_name: adapter
    for adapter in (
        SchemaType(),
        DatasetGroupType(),
        DatasetType(),
        DatasetImportType(),
        SolutionType(),
        SolutionVersionType(),
        CampaignType(),
        EventTrackerType(),
        FilterType(),
        RecommenderType(),
        MetricAttributionType(),
    )
}


def adapter_for(type_name: str) -> ResourceType:
    try:
        return REGISTRY[type_name]
    except KeyError:
        raise PersoError(f"unknown resource type '{type_name}'",
                         hint=f"known types: {', '.join(sorted(REGISTRY))}") from None

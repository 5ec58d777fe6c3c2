"""Every resource type perso manages, by type name. Explicit: no import magic.

The spec's JSON Schema, the validator, the flattener, the importer and drift derive their
per-type tables from this registry through the helpers below; adding a type means adding its
adapter here (tests/contract/test_registry.py checks that every derived table has it).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def top_level(registry: Mapping[str, ResourceType] = REGISTRY) -> list[ResourceType]:
    """Types whose entries are written at the top of a spec (schemas, dataset_groups), in order."""
    return [a for a in registry.values() if a.section and a.container is None]


def members_of(type_name: str, registry: Mapping[str, ResourceType] = REGISTRY) -> list[ResourceType]:
    """Types whose entries are written in sections of a `type_name` entry, in spec order."""
    return [a for a in registry.values() if a.container == type_name]


def hosted_by(type_name: str, registry: Mapping[str, ResourceType] = REGISTRY) -> list[ResourceType]:
    """Intents declared inside a `type_name` entry (a dataset's import, a solution's training)."""
    return [a for a in registry.values() if a.host == type_name]


def children_of(type_name: str, registry: Mapping[str, ResourceType] = REGISTRY) -> list[ResourceType]:
    """Types AWS lists under a `type_name` resource (its ARN filters their List call)."""
    return [a for a in registry.values() if a.parent == type_name]

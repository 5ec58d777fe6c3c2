"""Every per-type table perso derives from the registry has every registered type.

Adding a resource type is one adapter file and one line in `resources/registry.py`; these tests
fail when a derived table (JSON Schema, validator, flattener, importer, drift) would miss it.
"""

from __future__ import annotations

import pytest

from perso_iac.drift.live import unmanaged_roots
from perso_iac.resources.base import Phase, ResourceType
from perso_iac.resources.registry import REGISTRY, children_of, hosted_by, members_of, top_level
from perso_iac.spec import validate
from perso_iac.spec.schema import spec_json_schema

TYPES = sorted(REGISTRY)
DECLARED = [t for t in TYPES if REGISTRY[t].section or REGISTRY[t].host]  # written in a spec


def _overrides(adapter: ResourceType, method: str) -> bool:
    return getattr(type(adapter), method) is not getattr(ResourceType, method)


def _entry_schema_of(type_name: str) -> dict:
    """Where the spec's JSON Schema describes entries of `type_name`."""
    adapter = REGISTRY[type_name]
    props = spec_json_schema()["properties"]
    if adapter.host:
        return _entry_schema_of(adapter.host)["properties"][adapter.nested_key]
    if adapter.container:
        return _entry_schema_of(adapter.container)["properties"][adapter.section]["additionalProperties"]
    return props[adapter.section]["additionalProperties"]


@pytest.mark.parametrize("type_name", TYPES)
def test_registry_every_type_is_registered_under_its_own_name_with_a_place(type_name):
    adapter = REGISTRY[type_name]
    assert adapter.type_name == type_name
    assert adapter.section or adapter.host, f"{type_name}: neither a spec section nor a host entry"
    for other in (adapter.container, adapter.host, adapter.parent):
        assert other is None or other in REGISTRY, f"{type_name} names unknown type {other}"
    assert adapter.listing is not None, f"{type_name}: no List call: it cannot be found by name"
    assert adapter.params, f"{type_name}: no params: lifecycle.ignore_changes could name nothing"
    assert "arn" in adapter.attributes


@pytest.mark.parametrize("type_name", DECLARED)
def test_registry_json_schema_describes_every_type_where_it_is_written(type_name):
    placed = _entry_schema_of(type_name)["properties"]
    for key, schema in REGISTRY[type_name].entry_schema()["properties"].items():
        assert placed[key] == schema, f"{type_name}.{key} is not in the spec's JSON Schema as its adapter says"


def test_registry_validator_tables_have_every_type():
    members = {a.type_name for a in REGISTRY.values() if a.container}
    assert set(validate.SECTIONS.values()) == members
    assert {t for t in TYPES if REGISTRY[t].taggable} == validate.TAGGABLE
    assert set(validate.PARAMS) == {t for t in TYPES if REGISTRY[t].section}
    assert set(validate.ATTRIBUTES) == set(TYPES)


@pytest.mark.parametrize("type_name", DECLARED)
def test_registry_every_declared_type_flattens_itself(type_name):
    assert _overrides(REGISTRY[type_name], "flatten"), f"{type_name} has no flatten(): the spec would drop it"
    if REGISTRY[type_name].host:
        assert _overrides(REGISTRY[type_name], "declared_in")
        assert REGISTRY[type_name] in hosted_by(REGISTRY[type_name].host)
    elif REGISTRY[type_name].container:
        assert REGISTRY[type_name] in members_of(REGISTRY[type_name].container)
    else:
        assert REGISTRY[type_name] in top_level()


def _reachable(roots: set[str], step) -> set[str]:
    seen, todo = set(), list(roots)
    while todo:
        t = todo.pop()
        for child in step(t):
            if child.type_name not in seen:
                seen.add(child.type_name)
                todo.append(child.type_name)
    return seen


def test_registry_importer_discovers_every_type_under_a_dataset_group():
    roots = {a.type_name for a in top_level() if members_of(a.type_name)}
    found = roots | _reachable(roots, children_of)
    found |= {t for a in REGISTRY.values() if a.type_name in found for _, t in a.references}
    assert found == set(TYPES)


def test_registry_drift_looks_for_every_unmanaged_kind_of_member():
    """A member type that is not an intent must be listed by drift, or it silently drops out."""
    roots = unmanaged_roots()
    listed = _reachable(roots, lambda t: [a for a in children_of(t) if a.detect_unmanaged])
    members = {a.type_name for a in REGISTRY.values() if a.container and not a.is_intent}
    assert listed == members


@pytest.mark.parametrize("type_name", TYPES)
def test_registry_timeouts_are_configurable_per_adapter(type_name):
    adapter = REGISTRY[type_name]
    quick = adapter.with_timeouts(create=5.0, delete=6.0)
    assert (quick.create_timeout, quick.delete_timeout) == (5.0, 6.0)
    assert adapter.create_timeout > 5.0 and type(quick) is type(adapter)


@pytest.mark.parametrize("type_name", TYPES)
def test_registry_every_type_maps_the_common_statuses_to_phases(type_name):
    statuses = REGISTRY[type_name].statuses
    assert statuses.phase("ACTIVE") is Phase.READY and statuses.phase("CREATE FAILED") is Phase.FAILED
    assert statuses.phase("DELETE IN_PROGRESS") is Phase.DELETING
    assert statuses.phase("CREATE PENDING") is Phase.PENDING and statuses.phase("CREATE IN_PROGRESS") is Phase.PENDING


def test_registry_statuses_only_some_types_have_are_theirs():
    assert REGISTRY["recommender"].statuses.phase("INACTIVE") is Phase.READY
    assert REGISTRY["campaign"].statuses.phase("INACTIVE") is Phase.PENDING
    assert REGISTRY["solution_version"].statuses.phase("CREATE STOPPED") is Phase.FAILED
    assert REGISTRY["solution_version"].statuses.phase("CREATE STOPPING") is Phase.PENDING

"""How long resources take, grounded in what real AWS recorded: every ACTIVE resource in the real
responses (tests/emulator/real_aws/, copied from ../shared/reference/real-aws with provenance in its
index.json) carries creationDateTime and lastUpdatedDateTime, the time it took to become ACTIVE.

perso's typical durations set the waiter's schedule (first poll at 5 %, cap at 10 % of it) and the
windows a plan states; the emulator's set the lifecycles every test and benchmark runs against.
A typical duration 3x the real one made perso see a 40-minute training up to 12 minutes late;
both stay within a factor of 1.5 of the real median."""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path

import pytest

from perso_iac.emulator.ops.resources import TYPES
from perso_iac.resources.registry import REGISTRY

REAL = Path(__file__).resolve().parents[1] / "emulator" / "real_aws"
# The member holding one resource, in describe and list responses -> perso's type, the emulator's type.
MEMBERS = {
    "datasetGroup": ("dataset_group", "dataset_group"), "datasetGroups": ("dataset_group", "dataset_group"),
    "datasetImportJobs": ("dataset_import", "dataset_import_job"),
    "datasetImportJob": ("dataset_import", "dataset_import_job"),
    "solutionVersion": ("solution_version", "solution_version"),
    "latestSolutionVersion": ("solution_version", "solution_version"),
    "campaign": ("campaign", "campaign"), "campaigns": ("campaign", "campaign"),
}
MEASURABLE = 5.0  # below this, creation and last update are the same moment: nothing was recorded
TOLERANCE = 1.5


def recorded_durations() -> dict[str, list[float]]:
    """Seconds from creation to ACTIVE of every resource the real responses show ACTIVE, by perso type."""
    out: dict[str, list[float]] = {}
    for path in sorted(REAL.glob("*.json")):
        if path.name == "index.json":
            continue
        for member, item in _members(json.loads(path.read_text())):
            if item.get("status") != "ACTIVE" or "lastUpdatedDateTime" not in item:
                continue
            took = (datetime.fromisoformat(item["lastUpdatedDateTime"])
                    - datetime.fromisoformat(item["creationDateTime"])).total_seconds()
            if MEASURABLE <= took <= 6 * 3600:  # beyond: updated later, not the creation's time
                out.setdefault(MEMBERS[member][0], []).append(took)
    return out


def _members(value: object, key: str = "") -> list[tuple[str, dict]]:
    """Every (member name, resource) in a response, nested ones too (a solution's latestSolutionVersion)."""
    if isinstance(value, list):
        return [found for item in value for found in _members(item, key)]
    if not isinstance(value, dict):
        return []
    own = [(key, value)] if key in MEMBERS else []
    return own + [found for k, v in value.items() for found in _members(v, k)]


RECORDED = recorded_durations()
EMULATED = {perso: emulated for perso, emulated in MEMBERS.values()}


def test_the_real_responses_record_the_long_waits():
    assert set(RECORDED) >= {"dataset_group", "dataset_import", "solution_version", "campaign"}
    assert len(RECORDED["solution_version"]) >= 3


@pytest.mark.parametrize("type_name", sorted(RECORDED))
def test_perso_expects_what_aws_takes(type_name):
    median = statistics.median(RECORDED[type_name])
    typical = REGISTRY[type_name].typical_create
    assert median / TOLERANCE <= typical <= median * TOLERANCE, (type_name, typical, sorted(RECORDED[type_name]))


@pytest.mark.parametrize("type_name", sorted(RECORDED))
def test_the_emulator_takes_what_aws_takes(type_name):
    median = statistics.median(RECORDED[type_name])
    emulated = TYPES[EMULATED[type_name]].create_secs
    assert median / TOLERANCE <= emulated <= median * TOLERANCE, (type_name, emulated, sorted(RECORDED[type_name]))

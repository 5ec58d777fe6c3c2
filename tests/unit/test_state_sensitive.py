"""The state's sealing of sensitive values: reversible while the value holds, never touching
identities or ARNs, refusing malformed seals."""

from __future__ import annotations

import json

import pytest

from perso_iac.errors import StateCorruptError
from perso_iac.state.model import ResourceState, StateFile

ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/abc"


def _state(value: str) -> StateFile:
    state = StateFile(stack="s", serial=3)
    state.record(ResourceState("dataset_group.abc", "dataset_group", "abc", ARN,
                               params={"name": "abc", "note": f"x-{value}-y", "short": "abc"},
                               tags={"owner": value, "k": "abc"}))
    return state


def _round_trip(state: StateFile) -> StateFile:
    return StateFile.from_dict(json.loads(json.dumps(state.to_dict())))


def test_sealed_in_the_file_and_restored_with_the_same_value():
    state = _state("s3cr3t-value")
    state.unseal({"tok": "s3cr3t-value", "short": "abc"})
    text = json.dumps(state.to_dict())
    assert "s3cr3t-value" not in text and text.count("(sensitive:tok)") == 2
    # a short value is replaced only where it is the whole string: the ARN and the name stay
    doc = json.loads(text)["resources"][0]
    assert doc["arn"] == ARN and doc["name"] == "abc" and doc["params"]["name"] == "(sensitive:short)"
    again = _round_trip(state)
    again.unseal({"tok": "s3cr3t-value", "short": "abc"})
    assert again.resources["dataset_group.abc"].tags == {"owner": "s3cr3t-value", "k": "abc"}
    assert again.resources["dataset_group.abc"].params["note"] == "x-s3cr3t-value-y"
    assert json.loads(json.dumps(again.to_dict()))["sensitive"] == json.loads(text)["sensitive"]  # same salt


def test_a_changed_value_leaves_a_previous_marker_and_keeps_its_seal():
    state = _state("s3cr3t-value")
    state.unseal({"tok": "s3cr3t-value"})
    again = _round_trip(state)
    again.unseal({"tok": "new-value-2"})
    res = again.resources["dataset_group.abc"]
    assert res.tags["owner"] == "(sensitive:tok:previous)"
    doc = again.to_dict()
    assert "previous" in doc["sensitive"]["tok"] and "new-value-2" not in json.dumps(doc)


def test_a_state_without_values_keeps_markers_and_seals_as_they_are():
    state = _state("s3cr3t-value")
    state.unseal({"tok": "s3cr3t-value"})
    doc = state.to_dict()
    untouched = _round_trip(state)  # e.g. `perso state mv`, which knows no variable
    assert untouched.to_dict()["sensitive"] == doc["sensitive"]
    assert untouched.resources["dataset_group.abc"].tags["owner"] == "(sensitive:tok)"


@pytest.mark.parametrize("seals", [[], {"tok": "x"}, {"tok": {"salt": 1, "sha256": "a"}}])
def test_malformed_seals_are_refused(seals):
    doc = _state("v").to_dict()
    doc["sensitive"] = seals
    with pytest.raises(StateCorruptError, match="sensitive"):
        StateFile.from_dict(doc)

"""A state is checked before it is trusted: ARNs match types, one account and region, no ARN twice,
known types, well-formed fields, not from a newer perso; `perso state` commands can still repair it."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from perso_iac.cli import cli
from perso_iac.errors import StateCorruptError
from perso_iac.resources.registry import REGISTRY
from perso_iac.state import checks
from perso_iac.state.checks import ARN_SEGMENTS, StateInvalidError
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import StateFile

ACCT = "123456789012"
P = f"arn:aws:personalize:us-east-1:{ACCT}"


def _doc() -> dict:
    def res(address, type_, arn, **extra):
        return {"address": address, "type": type_, "name": address.split(".")[-1], "arn": arn, "params": {},
                "tags": {"team": "recs"}, "outputs": {}, "depends_on": [], "triggers": {}, "status": "ready", **extra}

    return {"version": 1, "perso_version": "0.1.0", "stack": "s", "lineage": "l-1", "serial": 3, "outputs": {},
            "resources": [
                res("schema.s", "schema", f"{P}:schema/s"),
                res("dataset_group.g", "dataset_group", f"{P}:dataset-group/g"),
                res("dataset.g.interactions", "dataset", f"{P}:dataset/g/INTERACTIONS"),
                res("dataset_import.g.interactions", "dataset_import", f"{P}:dataset-import-job/g-i-1"),
                res("solution.g.up", "solution", f"{P}:solution/g-up"),
                res("solution_version.g.up", "solution_version", f"{P}:solution/g-up/abcd1234"),
                res("campaign.g.main", "campaign", f"{P}:campaign/g-main"),
                res("event_tracker.g.t", "event_tracker", f"{P}:event-tracker/d2e0162e"),
                res("filter.g.f", "filter", f"{P}:filter/g-f"),
                res("recommender.g.r", "recommender", f"{P}:recommender/g-r"),
                res("metric_attribution.g.m", "metric_attribution", f"{P}:metric-attribution/g-m"),
                res("campaign.g.new", "campaign", "", status="creating"),
            ]}


def _entry(doc: dict, address: str) -> dict:
    return next(r for r in doc["resources"] if r["address"] == address)


def test_arn_table_covers_every_resource_type():
    assert set(ARN_SEGMENTS) == set(REGISTRY)


def test_a_good_state_passes():
    state = StateFile.from_dict(_doc())
    assert len(state.resources) == 12 and checks.check_state(state) == []


def _swap_arns(doc):
    a, b = _entry(doc, "campaign.g.main"), _entry(doc, "solution.g.up")
    a["arn"], b["arn"] = b["arn"], a["arn"]


CASES = {
    "two addresses for one ARN": (
        lambda d: d["resources"].append({**_entry(d, "campaign.g.main"), "address": "campaign.g.other"}),
        f"{P}:campaign/g-main has 2 addresses: campaign.g.main, campaign.g.other"),
    "types swapped": (_swap_arns, f"campaign.g.main: {P}:solution/g-up is not the ARN of a campaign"),
    "version ARN on a solution": (
        lambda d: _entry(d, "solution.g.up").update(arn=f"{P}:solution/g-up/abcd"),
        "solution.g.up: " + f"{P}:solution/g-up/abcd is not the ARN of a solution"),
    "not an ARN": (lambda d: _entry(d, "filter.g.f").update(arn="filter-1"),
                   "filter.g.f: 'filter-1' is not a Personalize ARN"),
    "another account for one": (
        lambda d: _entry(d, "campaign.g.main").update(arn=_entry(d, "campaign.g.main")["arn"].replace(ACCT, "999999999999")),
        "its resources are in 2 accounts/regions"),
    "another region for one": (
        lambda d: _entry(d, "filter.g.f").update(arn=_entry(d, "filter.g.f")["arn"].replace("us-east-1", "eu-west-1")),
        "its resources are in 2 accounts/regions"),
    "unknown type": (lambda d: d["resources"].append({**_entry(d, "filter.g.f"), "address": "widget.g.w",
                                                       "type": "widget", "arn": f"{P}:widget/w"}),
                     "widget.g.w: unknown resource type 'widget'"),
    "address of another type": (lambda d: _entry(d, "filter.g.f").update(address="campaign.g.f"),
                                "campaign.g.f: the address of a filter must be filter.NAME"),
    "tags not a map of strings": (lambda d: _entry(d, "campaign.g.main").update(tags={"n": 1}),
                                  "campaign.g.main: 'tags' must be an object of string values, not {'n': 1}"),
    "tags a list": (lambda d: _entry(d, "campaign.g.main").update(tags=["a"]), "'tags' must be an object"),
    "params a string": (lambda d: _entry(d, "campaign.g.main").update(params="x"), "'params' must be an object"),
    "depends_on not addresses": (lambda d: _entry(d, "campaign.g.main").update(depends_on=[1]),
                                 "'depends_on' must be a list of addresses"),
    "unknown status": (lambda d: _entry(d, "campaign.g.main").update(status="gone"), "unknown status 'gone'"),
    "no ARN but ready": (lambda d: _entry(d, "campaign.g.main").update(arn=""),
                         "campaign.g.main: no ARN, but status 'ready' says it exists"),
    "address listed twice": (lambda d: d["resources"].append(copy.deepcopy(_entry(d, "filter.g.f"))),
                             "filter.g.f: listed twice in the state"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_state_is_refused_with_what_is_wrong_and_how_to_repair(case):
    mutate, expected = CASES[case]
    doc = _doc()
    mutate(doc)
    with pytest.raises(StateInvalidError) as exc:
        StateFile.from_dict(doc, source="state.json")
    assert expected in exc.value.message, exc.value.message
    assert exc.value.message.startswith("state.json cannot be trusted")
    assert "perso state rm ADDRESS" in exc.value.hint and "perso state push" in exc.value.hint
    with checks.lenient():  # what `perso state` commands do, to repair it
        StateFile.from_dict(doc, source="state.json")


@pytest.mark.parametrize("doc_change,expected", [
    ({"perso_version": "99.0.0"}, "written by perso 99.0.0, newer than this perso"),
    ({"version": 2, "perso_version": "1.4.0"}, "it has state format 2, written by perso 1.4.0"),
])
def test_a_state_from_a_newer_perso_is_refused_even_leniently(doc_change, expected):
    doc = {**_doc(), **doc_change}
    for context in (checks.lenient, lambda: _nothing()):
        with context(), pytest.raises(StateInvalidError, match=expected) as exc:
            StateFile.from_dict(doc)
        assert "upgrade perso" in exc.value.hint


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("doc_change,expected", [
    ({"resources": {"a": 1}}, "'resources' is not a list"),
    ({"resources": ["x"]}, "a resource entry is not an object"),
    ({"serial": "3"}, "'serial' must be a whole number"),
    ({"serial": True}, "'serial' must be a whole number"),
    ({"outputs": "x"}, "'outputs' is not an object"),
    ({"outputs": {"x": json.loads("[" * 150 + "]" * 150)}}, "nested more than 100 levels"),
])
def test_a_malformed_state_document_is_corrupt_not_a_crash(doc_change, expected):
    with pytest.raises(StateCorruptError, match=expected):
        StateFile.from_dict({**_doc(), **doc_change})


def _write_raw(path, doc: dict) -> None:
    path.write_text(json.dumps(doc))


def test_backend_read_refuses_and_state_commands_repair(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    path = tmp_path / "state.json"
    doc = _doc()
    doc["resources"].append({**_entry(doc, "campaign.g.main"), "address": "campaign.g.other"})
    _write_raw(path, doc)
    with pytest.raises(StateInvalidError, match="has 2 addresses"):
        LocalBackend(path).read()

    run = CliRunner()
    listed = run.invoke(cli, ["state", "list", "--state", str(path)])
    assert listed.exit_code == 0 and "campaign.g.other" in listed.output, listed.output
    removed = run.invoke(cli, ["state", "rm", "campaign.g.other", "--state", str(path)])
    assert removed.exit_code == 0, removed.output
    assert "campaign.g.other" not in LocalBackend(path).read().resources  # checked again, and fine
    with pytest.raises(StateInvalidError):  # lenient reading ended with the command
        StateFile.from_dict(doc)


def test_state_push_runs_the_same_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    target = tmp_path / "state.json"
    _write_raw(target, _doc())
    before = target.read_text()
    bad = _doc()
    bad["serial"] = 9
    _swap_arns(bad)
    pushed = tmp_path / "bad.json"
    _write_raw(pushed, bad)
    for args in (["state", "push", str(pushed), "--state", str(target)],
                 ["state", "push", str(pushed), "--state", str(target), "--force"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "cannot be trusted" in result.output and "is not the ARN of a campaign" in result.output
    assert target.read_text() == before


@pytest.mark.parametrize("special", ["dir", "/dev/zero", "deep"])
def test_state_push_of_a_special_file_is_an_error(tmp_path, monkeypatch, special):
    monkeypatch.setenv("NO_COLOR", "1")
    target = tmp_path / "state.json"
    _write_raw(target, _doc())
    pushed = tmp_path / "x.json"
    if special == "dir":
        pushed.mkdir()
    elif special == "deep":
        pushed.write_text("[" * 100_000 + "]" * 100_000)
    else:
        pushed.symlink_to(special)
    result = CliRunner().invoke(cli, ["state", "push", str(pushed), "--state", str(target)])
    assert result.exit_code == 1 and "Internal error" not in result.output, result.output


@pytest.mark.parametrize("special", ["dir", "/dev/zero", "fifo"])
def test_a_state_path_that_is_no_regular_file_is_refused_unread(tmp_path, special):
    import os

    path = tmp_path / "state.json"
    if special == "dir":
        path.mkdir()
    elif special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(special)
    with pytest.raises(Exception, match="is not a regular file|cannot read state"):
        LocalBackend(path).read()


@pytest.mark.parametrize("depth, refused", [(1, False), (checks.MAX_DEPTH, False), (checks.MAX_DEPTH + 1, True)])
@pytest.mark.parametrize("container", ["list", "dict"])
def test_nesting_is_refused_just_past_the_limit(depth, refused, container):
    value: object = "leaf"
    for _ in range(depth):
        value = [value] if container == "list" else {"k": value}
    assert checks.too_deep({"resources": [1, "x"], "wrapped": value}, limit=checks.MAX_DEPTH + 1) is refused

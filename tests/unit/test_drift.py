"""Drift computation, pure: last applied state vs live resources vs the spec's plan."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from perso_iac.drift import (
    UnmanagedResource,
    baseline_lines,
    compute_drift,
    load_ignore,
    parse_ignore,
)
from perso_iac.errors import PersoError
from perso_iac.output.json import drift_report
from perso_iac.output.markdown import drift_markdown
from perso_iac.output.text import drift_text
from perso_iac.plan import Action, Change, Plan, Reason
from perso_iac.resources.base import Observed
from perso_iac.resources.registry import REGISTRY
from perso_iac.state.model import ResourceState, StateFile

ACCT = "arn:aws:personalize:us-east-1:123456789012"
DSG = f"{ACCT}:dataset-group/ml"
SOL = f"{ACCT}:solution/ml-up"
CAMP = f"{ACCT}:campaign/ml-main"
FILTER = f"{ACCT}:filter/ml-no-bought"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "perso-json.schema.json"


def _state() -> StateFile:
    state = StateFile(stack="ml", lineage="lin", serial=7)
    for res in (
        ResourceState("dataset_group.ml", "dataset_group", "ml", DSG, params={}, tags={"team": "recs"}),
        ResourceState("solution.ml.up", "solution", "ml-up", SOL,
                      params={"datasetGroupArn": DSG, "recipeArn": "r", "performAutoTraining": False}),
        ResourceState("campaign.ml.main", "campaign", "ml-main", CAMP,
                      params={"solutionVersionArn": f"{SOL}/v1", "minProvisionedTPS": 1,
                              "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}}},
                      tags={"team": "recs"}),
        ResourceState("filter.ml.no-bought", "filter", "ml-no-bought", FILTER,
                      params={"datasetGroupArn": DSG, "filterExpression": "EXCLUDE x"}),
    ):
        state.record(res)
    return state


def _live(**overrides) -> dict[str, Observed | None]:
    live: dict[str, Observed | None] = {
        "dataset_group.ml": Observed(DSG, {"name": "ml"}, "ACTIVE", outputs={"arn": DSG}),
        "solution.ml.up": Observed(SOL, {"name": "ml-up", "datasetGroupArn": DSG, "recipeArn": "r",
                                         "performAutoTraining": False, "performHPO": False}, "ACTIVE"),
        "campaign.ml.main": Observed(CAMP, {"name": "ml-main", "solutionVersionArn": f"{SOL}/v1",
                                            "minProvisionedTPS": 1, "campaignConfig": {
                                                "itemExplorationConfig": {"explorationWeight": "0.3"},
                                                "enableMetadataWithRecommendations": False}}, "ACTIVE"),
        "filter.ml.no-bought": Observed(FILTER, {"datasetGroupArn": DSG, "filterExpression": "EXCLUDE x"}, "ACTIVE"),
    }
    live.update(overrides)
    return live


TAGS = {"dataset_group.ml": {"team": "recs"}, "campaign.ml.main": {"team": "recs"}, "solution.ml.up": {},
        "filter.ml.no-bought": {}}
MEMBERS = [UnmanagedResource("solution.ml.up", "solution", "ml-up", SOL, "dataset_group.ml", "ACTIVE"),
           UnmanagedResource("campaign.ml.main", "campaign", "ml-main", CAMP, "dataset_group.ml", "ACTIVE"),
           UnmanagedResource("filter.ml.no-bought", "filter", "ml-no-bought", FILTER, "dataset_group.ml")]


def test_in_sync_reports_nothing_and_server_defaults_are_not_drift():
    report = compute_drift(_state(), _live(), REGISTRY, live_tags=TAGS, members=MEMBERS)
    assert not report.has_changes and report.exit_code == 0
    assert report.drifted == () and report.unmanaged == ()
    assert "No drift" in drift_text(report)


def test_changed_attribute_is_reported_with_before_and_after():
    campaign = _live()["campaign.ml.main"]
    changed = Observed(CAMP, {**campaign.params, "minProvisionedTPS": 5}, "ACTIVE")
    report = compute_drift(_state(), _live(**{"campaign.ml.main": changed}), REGISTRY, live_tags=TAGS)
    assert report.exit_code == 2 and report.has_drift
    (drift,) = report.drifted
    assert drift.address == "campaign.ml.main" and drift.kind == "changed"
    assert [(a.path, a.before, a.after) for a in drift.attributes] == [("minProvisionedTPS", 1, 5)]
    assert "minProvisionedTPS = 1 -> 5" in drift_text(report)


def test_nested_and_tag_changes_have_dotted_paths():
    campaign = _live()["campaign.ml.main"]
    config = {"itemExplorationConfig": {"explorationWeight": "0.9"}}
    changed = Observed(CAMP, {**campaign.params, "campaignConfig": config}, "ACTIVE")
    tags = dict(TAGS, **{"campaign.ml.main": {"team": "search", "owner": "bob"}})
    report = compute_drift(_state(), _live(**{"campaign.ml.main": changed}), REGISTRY, live_tags=tags)
    paths = {a.path: (a.before, a.after) for a in report.drifted[0].attributes}
    assert paths == {"campaignConfig.itemExplorationConfig.explorationWeight": ("0.3", "0.9"),
                     "tags.owner": (None, "bob"), "tags.team": ("recs", "search")}


def test_deleted_and_deleting_resources_are_reported():
    report = compute_drift(_state(), _live(**{
        "filter.ml.no-bought": None,
        "solution.ml.up": Observed(SOL, {}, "DELETE IN_PROGRESS")}), REGISTRY, live_tags=TAGS)
    assert {(d.address, d.kind) for d in report.drifted} == {("filter.ml.no-bought", "deleted"),
                                                            ("solution.ml.up", "deleted")}
    assert report.summary()["deleted"] == 2


def test_failed_resource_reports_its_status():
    report = compute_drift(_state(), _live(**{"solution.ml.up": Observed(SOL, _live()["solution.ml.up"].params,
                                                                         "CREATE FAILED", "bad data")}), REGISTRY)
    assert report.drifted[0].attributes[0].path == "status"
    assert "bad data" in report.drifted[0].attributes[0].after


def test_unmanaged_resources_in_managed_groups_are_reported():
    extra = UnmanagedResource("solution.ml.extra", "solution", "extra", f"{ACCT}:solution/extra", "dataset_group.ml")
    report = compute_drift(_state(), _live(), REGISTRY, live_tags=TAGS, members=[*MEMBERS, extra])
    assert report.unmanaged == (extra,) and report.exit_code == 2
    assert "solution.ml.extra" in drift_text(report)


def _plan(*changes: Change) -> Plan:
    return Plan(changes=changes, stack="ml", lineage="lin", serial=7)


def test_pending_spec_changes_are_separated_from_reverting_drift():
    campaign = _live()["campaign.ml.main"]
    changed = Observed(CAMP, {**campaign.params, "minProvisionedTPS": 5}, "ACTIVE")
    state = _state()
    revert = Change(address="campaign.ml.main", type="campaign", action=Action.UPDATE, reason=Reason.CHANGED,
                    name="ml-main", arn=CAMP, before=changed.params, after=dict(state.resources["campaign.ml.main"].params),
                    tags_after={"team": "recs"}, changed_paths=("minProvisionedTPS",))
    new_filter = Change(address="filter.ml.new", type="filter", action=Action.CREATE, reason=Reason.NEW, name="new",
                        after={"filterExpression": "EXCLUDE y"})
    report = compute_drift(state, _live(**{"campaign.ml.main": changed}), REGISTRY, live_tags=TAGS,
                           plan=_plan(revert, new_filter))
    causes = {p.change.address: p.cause for p in report.pending}
    assert causes == {"campaign.ml.main": "drift", "filter.ml.new": "spec"}
    assert report.drifted[0].reverted_by_apply
    assert report.summary()["pending"] == 1 and report.has_pending_changes


def test_only_pending_spec_changes_still_exit_2():
    new_filter = Change(address="filter.ml.new", type="filter", action=Action.CREATE, reason=Reason.NEW, name="new")
    report = compute_drift(_state(), _live(), REGISTRY, live_tags=TAGS, plan=_plan(new_filter))
    assert not report.has_drift and report.has_changes and report.exit_code == 2
    assert "Changes pending in the spec" in drift_text(report)


def test_ignore_file_silences_known_drift_and_counts_it():
    campaign = _live()["campaign.ml.main"]
    changed = Observed(CAMP, {**campaign.params, "minProvisionedTPS": 5}, "ACTIVE")
    extra = UnmanagedResource("solution.ml.extra", "solution", "extra", f"{ACCT}:solution/extra", "dataset_group.ml")
    ignore = parse_ignore("""
        # accepted drift
        campaign.ml.main:minProvisionedTPS   # ops raised TPS for the sale
        solution.*.extra
        filter.ml.no-bought
        *:tags.owner
    """)
    tags = dict(TAGS, **{"dataset_group.ml": {"team": "recs", "owner": "x"}})
    report = compute_drift(_state(), _live(**{"campaign.ml.main": changed, "filter.ml.no-bought": None}), REGISTRY,
                           live_tags=tags, members=[*MEMBERS, extra], ignore=ignore)
    assert not report.has_changes and report.exit_code == 0
    assert sorted(report.ignored) == ["campaign.ml.main:minProvisionedTPS", "dataset_group.ml:tags.owner",
                                      "filter.ml.no-bought", "solution.ml.extra"]
    # an attribute rule does not hide other attributes of the same resource
    both = Observed(CAMP, {**changed.params, "solutionVersionArn": f"{SOL}/v2"}, "ACTIVE")
    report = compute_drift(_state(), _live(**{"campaign.ml.main": both}), REGISTRY, ignore=ignore)
    assert [a.path for a in report.drifted[0].attributes] == ["solutionVersionArn"]


def test_ignore_rules_by_arn_and_baseline_round_trip():
    extra = UnmanagedResource("solution.ml.extra", "solution", "extra", f"{ACCT}:solution/extra", "dataset_group.ml")
    assert compute_drift(_state(), _live(), REGISTRY, members=[extra],
                         ignore=parse_ignore(f"{ACCT}:solution/extra")).unmanaged == ()
    campaign = _live()["campaign.ml.main"]
    changed = Observed(CAMP, {**campaign.params, "minProvisionedTPS": 5}, "ACTIVE")
    live = _live(**{"campaign.ml.main": changed, "filter.ml.no-bought": None})
    report = compute_drift(_state(), live, REGISTRY, members=[extra])
    lines = baseline_lines(report)
    assert lines == ["campaign.ml.main:minProvisionedTPS", "filter.ml.no-bought", "solution.ml.extra"]
    again = compute_drift(_state(), live, REGISTRY, members=[extra], ignore=parse_ignore("\n".join(lines)))
    assert not again.has_changes


@pytest.mark.parametrize("line", ["campaign.x:", ":path", "campaign x:y"])
def test_bad_ignore_lines_are_errors_with_a_line_number(line):
    with pytest.raises(PersoError, match=r"\.persoignore:2: "):
        parse_ignore(f"ok.one\n{line}\n")


def test_missing_ignore_file_is_an_error(tmp_path):
    with pytest.raises(PersoError, match="does not exist"):
        load_ignore(tmp_path / ".persoignore")


def test_drift_json_is_valid_and_agrees_with_the_exit_code():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    campaign = _live()["campaign.ml.main"]
    changed = Observed(CAMP, {**campaign.params, "minProvisionedTPS": 5}, "ACTIVE")
    extra = UnmanagedResource("solution.ml.extra", "solution", "extra", f"{ACCT}:solution/extra", "dataset_group.ml")
    new_filter = Change(address="filter.ml.new", type="filter", action=Action.CREATE, reason=Reason.NEW, name="new",
                        after={"filterExpression": "EXCLUDE y"})
    for report in (
        compute_drift(_state(), _live(), REGISTRY, live_tags=TAGS, members=MEMBERS),
        compute_drift(_state(), _live(**{"campaign.ml.main": changed, "filter.ml.no-bought": None}), REGISTRY,
                      members=[extra], plan=_plan(new_filter), backend="s3://b/k", warnings=["w"]),
    ):
        doc = json.loads(json.dumps(drift_report(report), default=str))
        assert not list(validator.iter_errors(doc))
        assert doc["exit_code"] == report.exit_code == (2 if doc["has_changes"] else 0)
        md = drift_markdown(report)
        assert md.startswith("<!-- perso:drift:ml -->") and len(md) < 65_000
    assert doc["resource_drift"][0]["attributes"] == [{"path": "minProvisionedTPS", "before": 1, "after": 5}]
    assert doc["summary"] == {"changed": 1, "deleted": 1, "unmanaged": 1, "pending": 1, "ignored": 0, "checked": 4}


def test_drift_markdown_is_bounded():
    state = _state()
    live = _live()
    members = [UnmanagedResource(f"solution.ml.x{i}", "solution", f"x{i}", f"{ACCT}:solution/x{i}-" + "y" * 200,
                                 "dataset_group.ml") for i in range(2000)]
    report = compute_drift(state, live, REGISTRY, members=members)
    md = drift_markdown(report, link="https://ci/run")
    assert len(md) <= 65_000 and "Truncated" in md and "2000" in md

"""`perso drift` end to end: out-of-band changes made with plain boto3 are each reported with exit
code 2 and the right attribute; known drift can be ignored; drift never writes anything."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "perso-json.schema.json").read_text())
FILTER = """\
    filters:
      no-clicks:
        filterExpression: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENTS)
"""
# AWS filters interactions by EVENT_TYPE only (filter-expression-guidelines-requirements.html)
TIMESTAMP = re.compile(r"^( *)- \{name: TIMESTAMP, type: long\}$", re.M)


@pytest.fixture
def applied(stack):
    """The e2e stack plus a filter, applied."""
    spec, added = TIMESTAMP.subn(r"\g<0>\n\1- {name: EVENT_TYPE, type: string}", stack.spec.read_text())
    assert added == 1
    stack.spec.write_text(spec + FILTER)
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "filter.e2e.no-clicks" in stack.addresses()
    return stack


def client(stack):
    return boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")


def arn(stack, address: str) -> str:
    return next(r["arn"] for r in stack.state()["resources"] if r["address"] == address)


def drift_json(stack, *args: str) -> tuple[int, dict]:
    result = stack.perso("drift", "--format", "json", *args)
    assert result.exit_code in (0, 2), result.output
    document = json.loads(result.stdout)
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
    assert not errors, [e.message for e in errors[:3]]
    assert document["exit_code"] == result.exit_code
    assert document["has_changes"] is (result.exit_code == 2)
    return result.exit_code, document


def test_no_drift_right_after_apply(applied):
    code, doc = drift_json(applied)
    assert code == 0, doc
    assert doc["summary"]["checked"] == len(applied.addresses())
    text = applied.perso("drift")
    assert text.exit_code == 0 and "No drift" in text.output


def test_campaign_tps_changed_outside_perso(applied):
    before = applied.state_path.read_bytes()
    client(applied).update_campaign(campaignArn=arn(applied, "campaign.e2e.main"), minProvisionedTPS=5)
    code, doc = drift_json(applied)
    assert code == 2
    (entry,) = doc["resource_drift"]
    assert entry["address"] == "campaign.e2e.main" and entry["kind"] == "changed"
    assert entry["attributes"] == [{"path": "minProvisionedTPS", "before": 1, "after": 5}]
    assert entry["reverted_by_apply"] is True
    assert doc["has_pending_changes"] is False  # the spec did not change: apply would only revert the drift
    text = applied.perso("drift")
    assert text.exit_code == 2 and "minProvisionedTPS = 1 -> 5" in text.output
    md = applied.perso("drift", "--format", "markdown", "--json-out", str(applied.dir / "drift.json"))
    assert md.exit_code == 2 and "| `campaign.e2e.main` | `minProvisionedTPS` | `1` | `5` |" in md.stdout
    assert json.loads((applied.dir / "drift.json").read_text())["resource_drift"] == doc["resource_drift"]
    assert applied.state_path.read_bytes() == before  # drift never writes the state


def test_filter_deleted_outside_perso(applied):
    client(applied).delete_filter(filterArn=arn(applied, "filter.e2e.no-clicks"))
    code, doc = drift_json(applied)
    assert code == 2
    assert [(d["address"], d["kind"]) for d in doc["resource_drift"]] == [("filter.e2e.no-clicks", "deleted")]


def test_extra_solution_created_in_a_managed_group(applied):
    group = arn(applied, "dataset_group.e2e")
    extra = client(applied).create_solution(name="extra", datasetGroupArn=group,
                                            recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
                                            performAutoTraining=False)["solutionArn"]
    code, doc = drift_json(applied)
    assert code == 2
    assert doc["unmanaged"] == [{"address": "solution.e2e.extra", "type": "solution", "name": "extra",
                                 "arn": extra, "dataset_group": "dataset_group.e2e",
                                 "status": doc["unmanaged"][0]["status"]}]
    assert doc["resource_drift"] == []
    assert applied.perso("drift", "--no-unmanaged").exit_code == 0


def test_tags_changed_outside_perso(applied):
    client(applied).tag_resource(resourceArn=arn(applied, "dataset_group.e2e"),
                                 tags=[{"tagKey": "team", "tagValue": "search"}])
    code, doc = drift_json(applied)
    assert code == 2
    (entry,) = doc["resource_drift"]
    assert entry["address"] == "dataset_group.e2e"
    assert entry["attributes"] == [{"path": "tags.team", "before": "recs", "after": "search"}]


def test_pending_spec_change_is_reported_and_exits_2(applied):
    code, doc = drift_json(applied, "--var", "tps=3")
    assert code == 2 and doc["has_drift"] is False and doc["has_pending_changes"] is True
    (pending,) = doc["pending_changes"]
    assert pending["address"] == "campaign.e2e.main" and pending["cause"] == "spec"
    assert pending["change"]["actions"] == ["update"]


def test_ignore_file_and_baseline_accept_known_drift(applied):
    client(applied).update_campaign(campaignArn=arn(applied, "campaign.e2e.main"), minProvisionedTPS=5)
    baseline = applied.dir / "baseline.persoignore"
    first = applied.perso("drift", "--write-baseline", str(baseline))
    assert first.exit_code == 2
    assert "campaign.e2e.main:minProvisionedTPS" in baseline.read_text()
    code, doc = drift_json(applied, "--ignore-file", str(baseline))
    assert code == 0 and doc["ignored"] == ["campaign.e2e.main:minProvisionedTPS"]
    # .persoignore next to the spec is read by default
    (applied.dir / ".persoignore").write_text("campaign.e2e.main:minProvisionedTPS  # raised for the sale\n")
    assert applied.perso("drift").exit_code == 0
    # other drift still shows
    client(applied).delete_filter(filterArn=arn(applied, "filter.e2e.no-clicks"))
    code, doc = drift_json(applied)
    assert code == 2 and [d["address"] for d in doc["resource_drift"]] == ["filter.e2e.no-clicks"]


def test_drift_errors_exit_1_not_2(stack):
    result = stack.perso("drift", "--ignore-file", str(stack.dir / "missing"))
    assert result.exit_code == 1 and "does not exist" in result.output

"""CI flow end to end against the emulator: plan on a pull request saved with --out, apply that file on
merge (no -f, no --state), stale plans refused with the reason, machine-readable output valid against
the documented schema, and exit codes that agree with the output."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import jsonschema
import pytest
from click.testing import CliRunner, Result

from perso_iac.cli import cli

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "perso-json.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def run(*args: str) -> Result:
    """The CLI as a CI job runs it: from the checkout, with no extra options."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_schema_valid(document: dict) -> None:
    errors = list(VALIDATOR.iter_errors(document))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


@pytest.fixture
def ci(stack, monkeypatch):
    """The stack's directory as the CI checkout (relative paths, like a workflow uses)."""
    monkeypatch.chdir(stack.dir)
    return stack


def campaign(stack) -> dict:
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    return client.describe_campaign(campaignArn=_arn(stack, "campaign.e2e.main"))["campaign"]


def _arn(stack, address: str) -> str:
    return next(r["arn"] for r in stack.state()["resources"] if r["address"] == address)


def test_plan_on_pull_request_then_apply_that_file_on_merge_then_nothing_to_do(ci):
    pr = run("plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json", "--detailed-exitcode",
             "--format", "json")
    assert pr.exit_code == 2, pr.output
    document = json.loads(pr.stdout)
    assert_schema_valid(document)
    assert document["has_changes"] is True and document["summary"]["create"] == 7
    saved = json.loads(Path("plan.json").read_text())
    assert_schema_valid(saved)  # the saved plan is a plan document too: policy tools can check it
    assert saved["kind"] == "perso-saved-plan" and saved["origin"]["spec_file"] == "perso.yaml"
    assert saved["resource_changes"] == document["resource_changes"]
    assert "AWS_SECRET_ACCESS_KEY" not in Path("plan.json").read_text()
    assert "testing" not in json.dumps(saved["origin"])  # no credentials, only locations

    merge = run("apply", "plan.json", "--format", "json")
    assert merge.exit_code == 0, merge.output
    report = json.loads(merge.stdout)
    assert_schema_valid(report)
    assert report["success"] is True and report["summary"] == {"done": 7, "failed": 0, "skipped": 0}
    assert report["plan_file"] == "plan.json"
    assert len(ci.addresses()) == 7

    again = run("plan", "-f", "perso.yaml", "--state", "state.json", "--detailed-exitcode", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["has_changes"] is False
    text = run("plan", "-f", "perso.yaml", "--state", "state.json", "--detailed-exitcode")
    assert text.exit_code == 0 and "No changes" in text.output


def test_saved_update_plan_applies_exactly_the_reviewed_change(ci):
    assert ci.perso("apply", "--auto-approve").exit_code == 0
    pr = run("plan", "-f", "perso.yaml", "--state", "state.json", "--var", "tps=3", "--out", "plan.json",
             "--format", "markdown")
    assert pr.exit_code == 0, pr.output
    assert pr.stdout.startswith("<!-- perso:plan:e2e -->") and "**Plan:** 0 to create, 1 to update" in pr.stdout
    merge = run("apply", "plan.json")
    assert merge.exit_code == 0, merge.output
    assert "Applying the saved plan plan.json" in merge.output and "Apply complete: 1 done" in merge.output
    assert campaign(ci)["minProvisionedTPS"] == 3
    assert ci.perso("plan", "--detailed-exitcode", "--var", "tps=3").exit_code == 0


def test_plan_made_stale_by_another_apply_is_refused_and_says_why(ci):
    assert ci.perso("apply", "--auto-approve").exit_code == 0
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--var", "tps=3", "--out", "plan.json"
               ).exit_code == 0
    serial = ci.state()["serial"]
    assert ci.perso("apply", "--auto-approve", "--var", "tps=4").exit_code == 0  # another PR merged first
    moved_serial = ci.state()["serial"]
    assert moved_serial > serial

    refused = run("apply", "plan.json")
    assert refused.exit_code == 1
    assert "is stale; nothing was applied" in refused.output
    assert f"serial {serial} -> {moved_serial}" in refused.output
    assert "perso plan -f perso.yaml --var tps=3 --state state.json --out plan.json" in refused.output
    assert "Traceback" not in refused.output
    assert campaign(ci)["minProvisionedTPS"] == 4 and ci.state()["serial"] == moved_serial


def test_plan_made_stale_by_an_out_of_band_change_names_the_resource_and_attribute(ci):
    assert ci.perso("apply", "--auto-approve").exit_code == 0
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--var", "tps=3", "--out", "plan.json"
               ).exit_code == 0
    client = boto3.client("personalize", endpoint_url=ci.endpoint, region_name="us-east-1")
    client.update_campaign(campaignArn=_arn(ci, "campaign.e2e.main"), minProvisionedTPS=5)
    # AWS shows the new TPS only once the update is done (latestCampaignUpdate has 4 keys)
    for _ in range(10):
        if campaign(ci)["latestCampaignUpdate"]["status"] == "ACTIVE":
            break

    refused = run("apply", "plan.json")
    assert refused.exit_code == 1, refused.output
    assert "campaign.e2e.main changed outside perso since the plan: minProvisionedTPS 1 -> 5" in refused.output
    assert campaign(ci)["minProvisionedTPS"] == 5  # not the plan's 3


def test_plan_made_stale_by_a_spec_change_is_refused(ci):
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json").exit_code == 0
    Path("perso.yaml").write_text(Path("perso.yaml").read_text().replace("default: 1, type: integer",
                                                                         "default: 2, type: integer"))
    refused = run("apply", "plan.json")
    assert refused.exit_code == 1
    assert "the spec perso.yaml changed since the plan" in refused.output
    assert not Path("state.json").exists()


def test_plan_for_another_stack_state_is_refused(ci, tmp_path):
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json").exit_code == 0
    other = Path("other.yaml")
    other.write_text(Path("perso.yaml").read_text().replace("e2e", "oth").replace("stack: oth\n", "stack: other\n"))
    assert run("apply", "-f", "other.yaml", "--state", "other.json", "--auto-approve").exit_code == 0
    refused = run("apply", "plan.json", "--state", "other.json")
    assert refused.exit_code == 1
    assert "belongs to stack 'other', but the plan is for stack 'e2e'" in refused.output


@pytest.mark.parametrize("damage", ["truncate", "edit", "foreign", "newer"])
def test_damaged_or_foreign_plan_files_are_refused_and_nothing_is_applied(ci, damage):
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json").exit_code == 0
    text = Path("plan.json").read_text()
    if damage == "truncate":
        text = text[: len(text) // 3]
    elif damage == "edit":
        text = text.replace('"minProvisionedTPS": 1', '"minProvisionedTPS": 50')
    elif damage == "foreign":
        text = json.dumps({"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": []})
    else:
        text = text.replace('"format_version": "1.0"', '"format_version": "7.0"')
    Path("plan.json").write_text(text)
    result = run("apply", "plan.json")
    assert result.exit_code == 1
    assert "nothing was applied" in result.output and "Traceback" not in result.output
    assert not Path("state.json").exists()
    client = boto3.client("personalize", endpoint_url=ci.endpoint, region_name="us-east-1")
    assert client.list_dataset_groups()["datasetGroups"] == []


def test_saved_plan_refuses_extra_variables(ci):
    assert run("plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plan.json").exit_code == 0
    result = run("apply", "plan.json", "--var", "tps=9")
    assert result.exit_code == 1 and "cannot be combined with a saved plan" in result.output


def test_validate_and_destroy_formats(ci):
    valid = run("validate", "-f", "perso.yaml", "--format", "json")
    assert valid.exit_code == 0
    assert_schema_valid(json.loads(valid.stdout))
    Path("bad.yaml").write_text("version: 1\nstack: e2e\ndataset_groups:\n  e2e:\n    bogus: 1\n")
    invalid = run("validate", "-f", "bad.yaml", "--format", "json")
    assert invalid.exit_code == 1
    doc = json.loads(invalid.stdout)
    assert_schema_valid(doc)
    assert doc["valid"] is False and doc["problems"][0]["file"].endswith("bad.yaml")
    assert "### perso validate" in run("validate", "-f", "bad.yaml", "--format", "markdown").stdout

    assert ci.perso("apply", "--auto-approve").exit_code == 0
    unapproved = run("destroy", "-f", "perso.yaml", "--state", "state.json", "--format", "json")
    assert unapproved.exit_code == 1 and "--auto-approve" in unapproved.output
    gone = run("destroy", "-f", "perso.yaml", "--state", "state.json", "--format", "json", "--auto-approve")
    assert gone.exit_code == 0, gone.output
    report = json.loads(gone.stdout)
    assert_schema_valid(report)
    assert report["success"] and report["plan"]["destroy"] and report["plan"]["summary"]["delete"] == 7

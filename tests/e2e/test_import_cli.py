"""`perso import` and `perso output` through the CLI, against the emulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_import import build_account, build_domain_group

from perso_iac.cli import cli
from perso_iac.importer import discover_dataset_group, generate_spec


@pytest.fixture
def env(tmp_path, emulator, monkeypatch) -> Path:
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def perso(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_dataset_group_generates_spec_and_plan_is_clean(env, personalize):
    build_account(personalize)
    spec, state = env / "legacy.yaml", env / "state.json"
    result = perso("import", "--dataset-group", "legacy", "--generate-spec", str(spec), "--state", str(state))
    assert result.exit_code == 0, result.output
    assert "10 imported, 0 skipped" in result.output
    assert "campaign.legacy.home" in result.output
    plan = perso("plan", "--detailed-exitcode", "-f", str(spec), "--state", str(state))
    assert plan.exit_code == 0, plan.output

    out = perso("output", "legacy_web_tracking_id", "-f", str(spec), "--state", str(state))
    assert out.exit_code == 0, out.output
    tracker = personalize.list_event_trackers()["eventTrackers"][0]["eventTrackerArn"]
    assert out.output.strip() == personalize.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["trackingId"]
    as_json = perso("output", "--format", "json", "-f", str(spec), "--state", str(state))
    values = json.loads(as_json.stdout)
    assert values["legacy_home_campaign_arn"].endswith(":campaign/legacy-home")
    assert all(isinstance(v, str) for v in values.values())  # what Terraform's `external` data source needs


def test_generate_spec_never_overwrites(env, personalize):
    build_account(personalize)
    spec = env / "legacy.yaml"
    spec.write_text("keep me")
    result = perso("import", "--dataset-group", "legacy", "--generate-spec", str(spec), "--state", str(env / "s.json"))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert spec.read_text() == "keep me"


def test_import_by_address_and_arn_then_plan_adopts_the_rest(env, personalize):
    arns = build_domain_group(personalize)
    spec, state = env / "shop.yaml", env / "state.json"
    spec.write_text(generate_spec(discover_dataset_group(personalize, "shop")))
    result = perso("import", "recommender.shop.for-you", arns["shop-for-you"], "-f", str(spec), "--state", str(state))
    assert result.exit_code == 0, result.output
    saved = json.loads(state.read_text())
    assert [r["address"] for r in saved["resources"]] == ["recommender.shop.for-you"]
    assert saved["resources"][0]["arn"] == arns["shop-for-you"]

    again = perso("import", "recommender.shop.for-you", arns["shop-for-you"], "-f", str(spec), "--state", str(state))
    assert again.exit_code == 1
    unknown = perso("import", "recommender.shop.nope", arns["shop-for-you"], "-f", str(spec), "--state", str(state))
    assert unknown.exit_code == 1

    out = perso("output", "--format", "json", "-f", str(spec), "--state", str(state))
    assert json.loads(out.stdout) == {"shop_for_you_recommender_arn": arns["shop-for-you"]}
    one = perso("output", "shop_also_viewed_recommender_arn", "-f", str(spec), "--state", str(state))
    assert one.exit_code == 1  # not in the state yet

"""Saved plans and reports through S3 with perso's own client, for workers without a disk or the
`aws` CLI (Airflow): plan --out s3://, apply s3://, drift --json-out s3://, and clear errors."""

from __future__ import annotations

import json
import textwrap

import boto3
import pytest
from click.testing import CliRunner, Result

from perso_iac.cli import cli

SPEC = textwrap.dedent("""\
    version: 1
    stack: artifacts
    dataset_groups:
      artifacts:
        tags: {team: recs}
    """)


@pytest.fixture
def s3(tmp_path, emulator, s3_endpoint, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "perso.yaml").write_text(SPEC)
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


def perso(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plan_apply_and_drift_through_s3(s3, s3_bucket, tmp_path):
    state, plan = f"s3://{s3_bucket}/state/a.json", f"s3://{s3_bucket}/plans/run 1.json"
    planned = perso("plan", "-f", "perso.yaml", "--state", state, "--out", plan, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    saved = json.loads(s3.get_object(Bucket=s3_bucket, Key="plans/run 1.json")["Body"].read())
    assert saved["kind"] == "perso-saved-plan" and saved["origin"]["state"] == state
    assert not (tmp_path / "s3:").exists()                       # not a local file named like the URL

    applied = perso("apply", plan)
    assert applied.exit_code == 0, applied.output
    assert perso("plan", "-f", "perso.yaml", "--state", state, "--detailed-exitcode").exit_code == 0

    drift = perso("drift", "-f", "perso.yaml", "--state", state, "--json-out", f"s3://{s3_bucket}/drift/a.json")
    assert drift.exit_code == 0, drift.output
    report = json.loads(s3.get_object(Bucket=s3_bucket, Key="drift/a.json")["Body"].read())
    assert report["kind"] == "drift" and report["exit_code"] == 0

    stale = perso("apply", plan)                                 # the state moved since: refused, by URL
    assert stale.exit_code == 1 and plan in stale.output


def test_missing_or_unreachable_plan_in_s3_is_a_clear_error(s3, s3_bucket):
    missing = perso("apply", f"s3://{s3_bucket}/plans/nope.json")
    assert missing.exit_code == 1
    assert f"the plan file s3://{s3_bucket}/plans/nope.json does not exist" in missing.output
    assert "Traceback" not in missing.output

    no_bucket = perso("plan", "-f", "perso.yaml", "--state", f"s3://{s3_bucket}/state/b.json",
                      "--out", "s3://perso-no-such-bucket-x/p.json")
    assert no_bucket.exit_code == 1 and "Traceback" not in no_bucket.output
    assert "s3://perso-no-such-bucket-x/p.json: s3:PutObject failed: NoSuchBucket" in no_bucket.output

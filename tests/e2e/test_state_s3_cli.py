"""The S3 backend through the CLI: apply and plan against moto's S3 (AWS_ENDPOINT_URL_S3) and the
emulator, history and recovery of old versions, migration from the local backend, locks."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result

from perso_iac.aws import AwsSettings
from perso_iac.cli import cli
from perso_iac.state.s3 import S3Backend

SPEC = textwrap.dedent("""\
    version: 1
    stack: s3e2e
    dataset_groups:
      s3e2e:
        tags: {team: recs}
    """)


@pytest.fixture
def env(tmp_path, emulator, s3_endpoint, s3_bucket, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "perso.yaml").write_text(SPEC)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    return {"bucket": s3_bucket, "url": f"s3://{s3_bucket}/perso/s3e2e.json", "s3": s3, "endpoint": s3_endpoint}


def perso(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _versioned(env: dict) -> None:
    env["s3"].put_bucket_versioning(Bucket=env["bucket"], VersioningConfiguration={"Status": "Enabled"})


def test_apply_and_plan_with_state_in_s3(env):
    assert perso("apply", "--auto-approve", "--state", env["url"]).exit_code == 0
    stored = json.loads(env["s3"].get_object(Bucket=env["bucket"], Key="perso/s3e2e.json")["Body"].read())
    assert [r["address"] for r in stored["resources"]] == ["dataset_group.s3e2e"]
    head = env["s3"].head_object(Bucket=env["bucket"], Key="perso/s3e2e.json")
    assert head["ServerSideEncryption"] == "AES256"
    assert perso("plan", "--detailed-exitcode", "--state", env["url"]).exit_code == 0
    assert perso("state", "list", "--state", env["url"]).output.split() == ["dataset_group.s3e2e"]
    objects = env["s3"].list_objects_v2(Bucket=env["bucket"])["Contents"]
    assert [o["Key"] for o in objects] == ["perso/s3e2e.json"]  # the lock was released


def test_history_and_recovery_of_an_old_version(env):
    _versioned(env)
    assert perso("apply", "--auto-approve", "--state", env["url"]).exit_code == 0
    assert perso("state", "rm", "dataset_group.s3e2e", "--state", env["url"]).exit_code == 0
    history = perso("state", "history", "--state", env["url"])
    assert history.exit_code == 0, history.output
    rows = [line.split() for line in history.output.splitlines()[1:] if line and not line.startswith(("Recover", "."))]
    serials = [int(row[2]) for row in rows]
    current = json.loads(perso("state", "pull", "--state", env["url"]).output)["serial"]
    assert serials[0] == current and serials == sorted(serials, reverse=True) and "(latest)" in rows[0]
    before_rm = rows[1][0]  # the version written just before `state rm`
    pulled = perso("state", "pull", "--version", before_rm, "--state", env["url"])
    old = json.loads(pulled.output)
    assert old["serial"] == current - 1 and [r["address"] for r in old["resources"]] == ["dataset_group.s3e2e"]
    Path("old.json").write_text(pulled.output)
    refused = perso("state", "push", "old.json", "--state", env["url"])
    assert refused.exit_code == 1 and "would undo" in refused.output
    assert perso("state", "push", "old.json", "--force", "--state", env["url"]).exit_code == 0
    assert perso("state", "list", "--state", env["url"]).output.split() == ["dataset_group.s3e2e"]
    assert perso("plan", "--detailed-exitcode", "--state", env["url"]).exit_code == 0


def test_history_on_an_unversioned_bucket_says_how_to_keep_versions(env):
    assert perso("apply", "--auto-approve", "--state", env["url"]).exit_code == 0
    result = perso("state", "history", "--state", env["url"])
    assert result.exit_code == 0 and "not versioned" in result.output and "put-bucket-versioning" in result.output


def test_migrate_local_state_to_s3_keeps_lineage_and_serial(env):
    assert perso("apply", "--auto-approve", "--state", "local.json").exit_code == 0
    assert perso("state", "rm", "dataset_group.s3e2e", "--state", "local.json").exit_code == 0
    assert perso("import", "dataset_group.s3e2e", _group_arn(env), "--state", "local.json").exit_code == 0
    local = json.loads(Path("local.json").read_text())
    result = perso("state", "migrate", "--to", env["url"], "--state", "local.json")
    assert result.exit_code == 0, result.output
    assert f"s3: {{bucket: {env['bucket']}, key: perso/s3e2e.json}}" in result.output
    stored = json.loads(env["s3"].get_object(Bucket=env["bucket"], Key="perso/s3e2e.json")["Body"].read())
    assert (stored["lineage"], stored["serial"]) == (local["lineage"], local["serial"])
    assert perso("plan", "--detailed-exitcode", "--state", env["url"]).exit_code == 0
    again = perso("state", "migrate", "--to", env["url"], "--state", "local.json")
    assert again.exit_code == 0 and "already holds this state" in again.output


def _group_arn(env: dict) -> str:
    pz = boto3.client("personalize", region_name="us-east-1")
    return pz.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]


def test_spec_backend_s3_is_used_without_state_option(env, tmp_path):
    (tmp_path / "perso.yaml").write_text(SPEC + f"backend:\n  s3: {{bucket: {env['bucket']}, key: spec/s3e2e.json}}\n")
    assert perso("apply", "--auto-approve").exit_code == 0
    assert perso("state", "list").output.split() == ["dataset_group.s3e2e"]
    env["s3"].head_object(Bucket=env["bucket"], Key="spec/s3e2e.json")


def test_a_held_s3_lock_is_shown_and_released_by_id(env):
    backend = S3Backend(stack="s3e2e", settings=AwsSettings(region="us-east-1"), bucket=env["bucket"],
                        key="perso/s3e2e.json")
    holder = backend.lock("apply")
    blocked = perso("apply", "--auto-approve", "--state", env["url"])
    assert blocked.exit_code == 1 and holder.id in blocked.output and f"perso state unlock {holder.id}" in blocked.output
    info = perso("state", "lock-info", "--state", env["url"])
    assert holder.id in info.output and "apply" in info.output
    assert perso("state", "unlock", holder.id, "--state", env["url"]).exit_code == 0
    assert "No lock" in perso("state", "lock-info", "--state", env["url"]).output
    assert perso("apply", "--auto-approve", "--state", env["url"]).exit_code == 0


def test_missing_bucket_is_a_clear_error(env):
    result = perso("state", "list", "--state", "s3://perso-no-such-bucket/k.json")
    assert result.exit_code == 1 and "does not exist" in result.output and "Traceback" not in result.output
    applied = perso("apply", "--auto-approve", "--state", "s3://perso-no-such-bucket/k.json")
    assert applied.exit_code == 1 and "does not exist" in applied.output

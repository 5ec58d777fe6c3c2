"""A variable marked `sensitive: true` never reaches the state in clear (local files, their backups,
every S3 object version), yet plan and drift still see it change: unchanged, the plan is clean;
changed, the plan shows a change with both values redacted, and apply makes it."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from e2e_spec import SPEC

from perso_iac.cli import cli

TOKENS = ("ghp-7Qw2-first-not-real", "ghp-8Rx3-second-not-real", "ghp-9Sy4-third-not-real")
SENSITIVE_SPEC = SPEC.replace(
    "  recipe: {default: aws-user-personalization-v2}\n",
    "  recipe: {default: aws-user-personalization-v2}\n  owner_token: {sensitive: true}\n",
).replace("tags: {team: recs}", "tags: {team: recs, owner: \"${var.owner_token}\"}").replace(
    "        minProvisionedTPS: ${var.tps}\n",
    "        minProvisionedTPS: ${var.tps}\n        tags: {contact: \"key=${var.owner_token}:rotate\"}\n")


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def live_tags(endpoint: str, state: dict, address: str) -> dict[str, str]:
    arn = next(r["arn"] for r in state["resources"] if r["address"] == address)
    tags = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1").list_tags_for_resource(
        resourceArn=arn)["tags"]
    return {t["tagKey"]: t["tagValue"] for t in tags}


def no_token_in(*texts: str) -> bool:
    return not any(token in text for token in TOKENS for text in texts)


def files_text(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file() and p.name != "perso.yaml")


def lifecycle(stack_dir: Path, endpoint: str, state_args: list[str], read_state, stored_text) -> None:
    """apply → grep → plan clean → change → plan redacted → apply → plan clean → saved plan with another change."""
    base = ["-f", str(stack_dir / "perso.yaml"), *state_args]
    first = run("apply", "--auto-approve", *base, "--var", f"owner_token={TOKENS[0]}")
    assert first.exit_code == 0, first.output
    state = read_state()
    assert no_token_in(stored_text(), first.output)
    assert "(sensitive:owner_token)" in stored_text() and set(state["sensitive"]["owner_token"]) == {"salt", "sha256"}
    assert live_tags(endpoint, state, "dataset_group.e2e")["owner"] == TOKENS[0]

    same = run("plan", "--detailed-exitcode", *base, "--var", f"owner_token={TOKENS[0]}")
    assert same.exit_code == 0 and "No changes" in same.output, same.output  # no perpetual diff
    drift = run("drift", *base, "--var", f"owner_token={TOKENS[0]}")
    assert drift.exit_code == 0, drift.output

    for fmt in ("text", "json"):
        changed = run("plan", "--detailed-exitcode", "--format", fmt, *base, "--var", f"owner_token={TOKENS[1]}")
        assert changed.exit_code == 2, changed.output  # no missed change
        assert no_token_in(changed.output), changed.output
        assert "(sensitive:owner_token)" in changed.output and "(sensitive:owner_token:previous)" in changed.output
    drift = run("drift", "--format", "json", *base, "--var", f"owner_token={TOKENS[1]}")
    assert drift.exit_code == 2 and no_token_in(drift.output), drift.output
    report = json.loads(drift.stdout)
    assert report["resource_drift"] == [] and report["summary"]["pending"] == 2  # the spec changed, not AWS

    second = run("apply", "--auto-approve", *base, "--var", f"owner_token={TOKENS[1]}")
    assert second.exit_code == 0 and no_token_in(second.output), second.output
    state = read_state()
    assert live_tags(endpoint, state, "dataset_group.e2e")["owner"] == TOKENS[1]
    assert live_tags(endpoint, state, "campaign.e2e.main")["contact"] == f"key={TOKENS[1]}:rotate"
    assert no_token_in(stored_text())
    assert run("plan", "--detailed-exitcode", *base, "--var", f"owner_token={TOKENS[1]}").exit_code == 0

    # A saved plan for a third value applies (not stale), and still leaves nothing in clear.
    plan_file = stack_dir / "plan.json"
    planned = run("plan", *base, "--var", f"owner_token={TOKENS[2]}", "--out", str(plan_file))
    assert planned.exit_code == 0 and no_token_in(planned.output, plan_file.read_text()), planned.output
    applied = run("apply", str(plan_file), env={"PERSO_VAR_owner_token": TOKENS[2]})
    assert applied.exit_code == 0, applied.output
    assert live_tags(endpoint, read_state(), "dataset_group.e2e")["owner"] == TOKENS[2]
    assert no_token_in(stored_text())
    assert run("plan", "--detailed-exitcode", *base, "--var", f"owner_token={TOKENS[2]}").exit_code == 0


def test_local_state_never_holds_a_sensitive_value(stack):
    stack.spec.write_text(SENSITIVE_SPEC)
    lifecycle(stack.dir, stack.endpoint, ["--state", str(stack.state_path)], stack.state,
              lambda: files_text(stack.dir))


@pytest.fixture
def s3_env(tmp_path, emulator, s3_endpoint, s3_bucket, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("PERSO_POLL_INITIAL", "0.01")
    monkeypatch.setenv("PERSO_POLL_MAX", "0.05")
    monkeypatch.setenv("NO_COLOR", "1")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    return {"bucket": s3_bucket, "s3": s3, "endpoint": emulator.endpoint_url}


def test_s3_state_never_holds_a_sensitive_value_in_any_version(tmp_path, s3_env):
    (tmp_path / "perso.yaml").write_text(SENSITIVE_SPEC)
    s3, bucket, key = s3_env["s3"], s3_env["bucket"], "perso/e2e.json"

    def stored_text() -> str:  # every version of every object: the state, its lock, its history
        texts = []
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"]
            texts.append(body.read().decode("utf-8", "replace"))
        return "".join(texts) + files_text(tmp_path)

    def read_state() -> dict:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    lifecycle(tmp_path, s3_env["endpoint"], ["--state", f"s3://{bucket}/{key}"], read_state, stored_text)

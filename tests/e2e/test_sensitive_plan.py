"""A variable marked `sensitive: true` is not written into a saved plan; applying the plan takes its
value again from PERSO_VAR_NAME and refuses another one."""

from __future__ import annotations

import json
import stat

import boto3
from click.testing import CliRunner
from e2e_spec import SPEC

from perso_iac.cli import cli

TOKEN = "ghp-9Zk1-not-a-real-token"
SENSITIVE_SPEC = SPEC.replace(
    "  recipe: {default: aws-user-personalization-v2}\n",
    "  recipe: {default: aws-user-personalization-v2}\n  owner_token: {sensitive: true}\n",
).replace("tags: {team: recs}", "tags: {team: recs, owner: \"${var.owner_token}\"}")


def test_a_sensitive_variable_stays_out_of_the_saved_plan_and_is_needed_again(stack, monkeypatch):
    assert SENSITIVE_SPEC != SPEC
    stack.spec.write_text(SENSITIVE_SPEC)
    monkeypatch.chdir(stack.dir)
    run = CliRunner()
    planned = run.invoke(cli, ["plan", "-f", "perso.yaml", "--state", "state.json", "--var", f"owner_token={TOKEN}",
                               "--out", "plan.json"], catch_exceptions=False)
    assert planned.exit_code == 0, planned.output
    text = (stack.dir / "plan.json").read_text()
    assert TOKEN not in text and "(sensitive:owner_token)" in text
    assert stat.S_IMODE((stack.dir / "plan.json").stat().st_mode) == 0o600

    missing = run.invoke(cli, ["apply", "plan.json"], catch_exceptions=False)
    assert missing.exit_code == 1 and "PERSO_VAR_owner_token" in missing.output, missing.output
    wrong = run.invoke(cli, ["apply", "plan.json"], env={"PERSO_VAR_owner_token": "other"}, catch_exceptions=False)
    assert wrong.exit_code == 1 and "is not the value" in wrong.output, wrong.output
    assert not (stack.dir / "state.json").exists()  # nothing was applied

    applied = run.invoke(cli, ["apply", "plan.json"], env={"PERSO_VAR_owner_token": TOKEN}, catch_exceptions=False)
    assert applied.exit_code == 0, applied.output
    group = next(r for r in stack.state()["resources"] if r["type"] == "dataset_group")
    client = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    tags = client.list_tags_for_resource(resourceArn=group["arn"])["tags"]
    assert {"tagKey": "owner", "tagValue": TOKEN} in tags
    assert json.loads(text)["sensitive"]["owner_token"].keys() == {"salt", "sha256"}

"""Safer replacements (issue 13): create_before_destroy keeps a campaign serving through the
replacement of the campaign or of its solution, a rename creates before it destroys, AWS's
one-per-group types refuse it at validate, a killed apply converges, and a schema change on an
Items dataset takes the in-place route. A thread polls the emulator all through each apply."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from e2e_spec import SPEC

from perso_iac.emulator import EmulatorConfig, EmulatorServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PERSO = [sys.executable, "-c", "from perso_iac.cli import main; main()"]

CBD_SPEC = SPEC.replace(
    "  recipe: {default: aws-user-personalization-v2}\n",
    "  recipe: {default: aws-user-personalization-v2}\n  bias: {default: \"true\"}\n",
).replace(
    "        performAutoTraining: false\n",
    "        performAutoTraining: false\n"
    "        solutionConfig: {algorithmHyperParameters: {apply_recency_bias: \"${var.bias}\"}}\n"
    "        lifecycle: {create_before_destroy: true}\n",
).replace(
    "        minProvisionedTPS: ${var.tps}\n",
    "        minProvisionedTPS: ${var.tps}\n        lifecycle: {create_before_destroy: true}\n",
)
assert CBD_SPEC.count("create_before_destroy") == 2


class CampaignWatch:
    """Lists the stack's campaigns over and over, from its own client, while an apply runs."""

    def __init__(self, endpoint: str, prefix: str = "e2e-") -> None:
        self.client = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1")
        self.prefix = prefix
        self.samples: list[tuple[tuple[str, str], ...]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            listed = self.client.list_campaigns()["campaigns"]
            self.samples.append(tuple(sorted((c["name"], c["status"]) for c in listed
                                             if c["name"].startswith(self.prefix))))

    def __enter__(self) -> CampaignWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def gaps(self) -> list[tuple[tuple[str, str], ...]]:
        """Polls at which no campaign of the stack was ACTIVE."""
        return [s for s in self.samples if not any(status == "ACTIVE" for _, status in s)]

    @property
    def most_at_once(self) -> int:
        return max(len(s) for s in self.samples)


def changes_of(stack, *args: str) -> dict[str, dict]:
    result = stack.perso("plan", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return {c["address"]: c for c in json.loads(result.output)["resource_changes"]}


def live_campaigns(client) -> list[dict]:
    return [client.describe_campaign(campaignArn=c["campaignArn"])["campaign"]
            for c in client.list_campaigns()["campaigns"]]


def assert_clean(stack, *args: str) -> None:
    again = stack.perso("plan", "--detailed-exitcode", *args)
    assert again.exit_code == 0, again.output
    assert not any("~deposed" in a for a in stack.addresses())


def test_a_campaign_replaced_create_before_destroy_keeps_one_active_at_every_poll(stack, personalize):
    stack.spec.write_text(CBD_SPEC)
    assert stack.perso("apply", "--auto-approve").exit_code == 0

    change = changes_of(stack, "--replace", "campaign.e2e.main")["campaign.e2e.main"]
    assert change["change"]["actions"] == ["create", "delete"] and change["create_before_destroy"]
    assert change["impact"]["create_before_destroy"] and not change["impact"]["downtime"]
    assert change["name"].startswith("e2e-main-")          # the old one still holds e2e-main
    text = stack.perso("plan", "--replace", "campaign.e2e.main").output
    assert "+/- campaign.e2e.main" in text and "no downtime" in text
    markdown = stack.perso("plan", "--replace", "campaign.e2e.main", "--format", "markdown").output
    assert "| `+/-` | `campaign.e2e.main` |" in markdown and "**Impact:** no downtime" in markdown

    with CampaignWatch(stack.endpoint) as watch:
        applied = stack.perso("apply", "--auto-approve", "--replace", "campaign.e2e.main")
    assert applied.exit_code == 0, applied.output
    assert watch.samples and not watch.gaps, watch.gaps[:3]
    assert watch.most_at_once == 2                          # the new one was up next to the old one
    [campaign] = live_campaigns(personalize)
    assert campaign["name"] == change["name"] and campaign["status"] == "ACTIVE"
    recorded = next(r for r in stack.state()["resources"] if r["address"] == "campaign.e2e.main")
    assert (recorded["name"], recorded["spec_name"]) == (change["name"], "e2e-main")
    assert_clean(stack)

    # The next one goes back to the plain name, now free.
    assert stack.perso("apply", "--auto-approve", "--replace", "campaign.e2e.main").exit_code == 0
    assert [c["name"] for c in live_campaigns(personalize)] == ["e2e-main"]
    assert_clean(stack)


def test_the_watch_sees_the_outage_of_a_delete_first_replacement(stack):
    """The control: without create_before_destroy, the same poll finds moments with no campaign."""
    stack.spec.write_text(CBD_SPEC.replace("create_before_destroy: true", "create_before_destroy: false"))
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    assert changes_of(stack, "--replace", "campaign.e2e.main")["campaign.e2e.main"]["change"]["actions"] == \
        ["delete", "create"]
    with CampaignWatch(stack.endpoint) as watch:
        assert stack.perso("apply", "--auto-approve", "--replace", "campaign.e2e.main").exit_code == 0
    assert watch.gaps and watch.most_at_once == 1


def test_a_solution_hyperparameter_change_retrains_beside_the_old_one_and_the_campaign_keeps_serving(
        stack, personalize):
    stack.spec.write_text(CBD_SPEC)
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    [before] = live_campaigns(personalize)

    changes = changes_of(stack, "--var", "bias=false")
    assert changes["solution.e2e.up"]["change"]["actions"] == ["create", "delete"]
    assert changes["campaign.e2e.main"]["change"]["actions"] == ["update"]   # moved in place, not replaced
    assert "no downtime" in changes["solution.e2e.up"]["impact"]["summary"]

    with CampaignWatch(stack.endpoint) as watch:
        applied = stack.perso("apply", "--auto-approve", "--var", "bias=false")
    assert applied.exit_code == 0, applied.output
    assert watch.samples and not watch.gaps, watch.gaps[:3]
    [after] = live_campaigns(personalize)
    [solution] = personalize.list_solutions()["solutions"]                   # the old one is deleted
    assert after["campaignArn"] == before["campaignArn"]
    assert after["solutionVersionArn"].startswith(solution["solutionArn"] + "/")
    config = personalize.describe_solution(solutionArn=solution["solutionArn"])["solution"]["solutionConfig"]
    assert config["algorithmHyperParameters"]["apply_recency_bias"] == "false"
    assert_clean(stack, "--var", "bias=false")


def test_a_rename_without_a_clash_creates_the_new_campaign_first(stack, personalize):
    stack.spec.write_text(SPEC)
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    stack.spec.write_text(SPEC.replace("      main:\n", "      main:\n        name: e2e-home\n"))
    change = changes_of(stack)["campaign.e2e.main"]
    assert change["change"]["actions"] == ["create", "delete"] and change["name"] == "e2e-home"
    assert "a rename whose old and new names do not clash" in change["description"]

    saved = stack.perso("plan", "--out", str(stack.dir / "rename.plan"))   # the order survives a saved plan
    assert saved.exit_code == 0, saved.output
    with CampaignWatch(stack.endpoint) as watch:
        applied = stack.perso("apply", "--auto-approve", str(stack.dir / "rename.plan"))
    assert applied.exit_code == 0, applied.output
    assert watch.samples and not watch.gaps, watch.gaps[:3]
    assert watch.most_at_once == 2
    assert [c["name"] for c in live_campaigns(personalize)] == ["e2e-home"]
    assert_clean(stack)


def test_create_before_destroy_on_an_event_tracker_is_refused_at_validate_with_its_line(stack):
    spec = SPEC + "    event_trackers:\n      web:\n        lifecycle: {create_before_destroy: true}\n"
    stack.spec.write_text(spec)
    result = stack.perso("validate")
    assert result.exit_code == 1
    line = spec.splitlines().index("        lifecycle: {create_before_destroy: true}") + 1
    assert f"perso.yaml:{line}:" in result.output
    assert "one event tracker per dataset group" in " ".join(result.output.split())


@pytest.fixture
def slow_emulator():
    # A campaign takes ~2 s to create here, long enough to kill the apply in the middle.
    with EmulatorServer(EmulatorConfig(time_scale=0.002), port=0) as server:
        yield server


def test_a_killed_create_before_destroy_converges_on_the_next_apply(tmp_path, slow_emulator):
    spec, state_path = tmp_path / "perso.yaml", tmp_path / "state.json"
    spec.write_text(CBD_SPEC)
    env = {**os.environ, "AWS_ENDPOINT_URL_PERSONALIZE": slow_emulator.endpoint_url, "NO_COLOR": "1",
           "PERSO_POLL_INITIAL": "0.05", "PERSO_POLL_MAX": "0.2"}
    base = ["-f", str(spec), "--state", str(state_path)]
    _control(slow_emulator.endpoint_url, {"action": "configure", "time_scale": 0})
    first = subprocess.run([*PERSO, "apply", "--auto-approve", *base], env=env, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    _control(slow_emulator.endpoint_url, {"action": "configure", "time_scale": 0.002})

    proc = subprocess.Popen([*PERSO, "apply", "--auto-approve", "--replace", "campaign.e2e.main", *base], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = boto3.client("personalize", endpoint_url=slow_emulator.endpoint_url, region_name="us-east-1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the old one is deposed and the new one is being created
        if state_path.exists() and "campaign.e2e.main~deposed" in state_path.read_text() \
                and len(client.list_campaigns()["campaigns"]) == 2:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the replacement never started: " + proc.communicate()[0])
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)

    assert len(client.list_campaigns()["campaigns"]) == 2          # both exist: killed in the middle
    _control(slow_emulator.endpoint_url, {"action": "configure", "time_scale": 0})
    again = subprocess.run([*PERSO, "apply", "--auto-approve", *base], env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    campaigns = client.list_campaigns()["campaigns"]
    assert len(campaigns) == 1 and campaigns[0]["name"].startswith("e2e-main-")   # no orphan, no duplicate
    state = json.loads(state_path.read_text())
    assert not any("~deposed" in r["address"] for r in state["resources"])
    clean = subprocess.run([*PERSO, "plan", "--detailed-exitcode", *base], env=env, capture_output=True, text=True,
                           timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr


def _control(endpoint: str, body: dict) -> None:
    request = urllib.request.Request(f"{endpoint}/_perso/control", data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def _retail(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "retail", tmp_path / "retail")
    return tmp_path / "retail"


def test_the_retail_example_plans_the_in_place_route_for_an_additive_items_schema(stack, tmp_path, monkeypatch):
    retail = _retail(tmp_path)
    monkeypatch.chdir(retail)
    args = ["-f", "perso.yaml", "--state", str(tmp_path / "retail.json"), "--var-file", "dev.vars.yaml"]
    from click.testing import CliRunner

    from perso_iac.cli import cli

    def perso(*extra: str):
        return CliRunner().invoke(cli, [*extra, *args], catch_exceptions=False)

    assert perso("apply", "--auto-approve").exit_code == 0
    items = retail / "schemas" / "items.json"
    original = items.read_text()
    items.write_text(original.replace(
        '{"name": "CREATION_TIMESTAMP", "type": "long"}',
        '{"name": "CREATION_TIMESTAMP", "type": "long"},\n    {"name": "COLOR", "type": ["null", "string"], '
        '"categorical": true}'))
    doc = json.loads(perso("plan", "--format", "json").output)
    acting = {c["address"]: c for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"]}
    schema = next(a for a in acting if a.startswith("schema."))
    dataset = next(a for a in acting if a.startswith("dataset.") and a.endswith(".items"))
    assert acting[schema]["change"]["actions"] == ["create", "delete"]
    assert acting[dataset]["change"]["actions"] == ["update"]
    assert set(acting) == {schema, dataset}, sorted(acting)    # nothing else: no campaign, no tracker
    assert doc["summary"]["replace"] == 1 and doc["summary"]["update"] == 1
    applied = perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert perso("plan", "--detailed-exitcode").exit_code == 0

    # Dropping a field cannot be done in place: the plan replaces the dataset and says which route would.
    items.write_text(original.replace('    {"name": "BRAND", "type": ["null", "string"], "categorical": true},\n', ""))
    text = " ".join(perso("plan").output.split())
    assert "field BRAND is removed" in text and "UpdateDataset" in text


def test_killed_after_the_journal_but_before_the_create_call_converges_too(stack, personalize):
    """The other kill point: the state says the old one is deposed and the new one is being created,
    but AWS never got the create call. The next apply creates it under the suffix, then deletes the old."""
    stack.spec.write_text(CBD_SPEC)
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    state = stack.state()
    old = next(r for r in state["resources"] if r["address"] == "campaign.e2e.main")
    suffixed = changes_of(stack, "--replace", "campaign.e2e.main")["campaign.e2e.main"]["name"]
    journal = {**old, "name": suffixed, "spec_name": old["name"], "arn": "", "status": "creating"}
    state["resources"] = [r for r in state["resources"] if r is not old] + [
        {**old, "address": "campaign.e2e.main~deposed"}, journal]
    state["serial"] += 1
    stack.state_path.write_text(json.dumps(state))

    change = changes_of(stack)
    assert change["campaign.e2e.main"]["change"]["actions"] == ["create"]
    assert change["campaign.e2e.main"]["name"] == suffixed
    assert change["campaign.e2e.main~deposed"]["change"]["actions"] == ["delete"]
    with CampaignWatch(stack.endpoint) as watch:
        applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert not watch.gaps, watch.gaps[:3]
    assert [c["name"] for c in live_campaigns(personalize)] == [suffixed]
    assert_clean(stack)

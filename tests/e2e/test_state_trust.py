"""A state (or saved plan) that fails the checks never leads to a destructive apply, against the emulator:
one ARN under two addresses, swapped types, another account or region, an unknown type, malformed tags,
a newer perso; a forged saved plan; `perso state rm` repairs what can be repaired."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
from click.testing import CliRunner

from perso_iac.cli import cli
from perso_iac.planfile import sha256

ACCOUNT = "123456789012"  # the emulator's


def _client(stack):
    return boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")


def _live(stack, good: str) -> dict[str, str]:
    """Every resource the good state names, with its live status (all must survive a refused run)."""
    client = _client(stack)
    out = {}
    for res in json.loads(good)["resources"]:
        kind = {"dataset_import": "dataset_import_job"}.get(res["type"], res["type"])
        if kind in ("schema",):
            client.describe_schema(schemaArn=res["arn"])
            out[res["address"]] = "present"
            continue
        key = "".join(p.capitalize() if i else p for i, p in enumerate(kind.split("_")))
        described = getattr(client, f"describe_{kind}")(**{f"{key}Arn": res["arn"]})
        out[res["address"]] = next(iter(described.values()))["status"] if isinstance(
            next(iter(described.values())), dict) else "?"
    out["#groups"] = str(len(client.list_dataset_groups()["datasetGroups"]))
    out["#campaigns"] = str(len(client.list_campaigns()["campaigns"]))
    return out


def _entry(doc: dict, address: str) -> dict:
    return next(r for r in doc["resources"] if r["address"] == address)


def _swap(doc: dict) -> None:
    a, b = _entry(doc, "campaign.e2e.main"), _entry(doc, "solution.e2e.up")
    a["arn"], b["arn"] = b["arn"], a["arn"]


def _replace_all(old: str, new: str) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        for res in doc["resources"]:
            res["arn"] = res["arn"].replace(old, new)
    return edit


CASES: list[tuple[str, Callable[[dict], None], str, str | None]] = [
    # (name, edit of the state, what the error says, the address `perso state rm` repairs it with)
    ("one ARN, two addresses",
     lambda d: d["resources"].append({**_entry(d, "campaign.e2e.main"), "address": "campaign.e2e.copy"}),
     "has 2 addresses: campaign.e2e.copy, campaign.e2e.main", "campaign.e2e.copy"),
    ("types swapped", _swap, "is not the ARN of a campaign", None),
    ("another account", _replace_all(f":{ACCOUNT}:", ":210987654321:"),
     f"its resources are in account 210987654321, but the credentials in use reach account {ACCOUNT}", None),
    ("another region", _replace_all(":us-east-1:", ":eu-west-1:"),
     "its resources are in region eu-west-1, but the client uses region us-east-1", None),
    ("unknown type",
     lambda d: d["resources"].append({**_entry(d, "campaign.e2e.main"), "address": "widget.e2e.w", "type": "widget",
                                      "arn": f"arn:aws:personalize:us-east-1:{ACCOUNT}:widget/w"}),
     "widget.e2e.w: unknown resource type 'widget'", "widget.e2e.w"),
    ("tags not strings", lambda d: _entry(d, "campaign.e2e.main").update(tags={"team": 7}),
     "'tags' must be an object of string values", None),
    ("newer perso", lambda d: d.update(perso_version="99.1.0"), "written by perso 99.1.0, newer than this perso",
     None),
]


def test_a_state_that_fails_the_checks_plans_and_applies_nothing(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    good = stack.state_path.read_text()
    live = _live(stack, good)
    for name, edit, message, repair in CASES:
        doc = json.loads(good)
        edit(doc)
        stack.state_path.write_text(json.dumps(doc))
        for command in (("apply", "--auto-approve"), ("destroy", "--auto-approve")):  # apply plans first
            result = stack.perso(*command)
            assert result.exit_code == 1, (name, command, result.output)
            assert "cannot be trusted" in result.output and message in result.output, (name, result.output)
            assert "Internal error" not in result.output
        assert _live(stack, good) == live, name  # nothing deleted, replaced or created
        if repair:
            removed = stack.perso("state", "rm", repair)
            assert removed.exit_code == 0, removed.output
            again = stack.perso("plan", "--detailed-exitcode")
            assert again.exit_code == 0, (name, again.output)  # repaired: nothing to do
        stack.state_path.write_text(good)
    assert stack.perso("plan", "--detailed-exitcode").exit_code == 0


def test_state_push_of_a_state_with_one_arn_twice_is_refused(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    good = stack.state_path.read_text()
    doc = json.loads(good)
    doc["serial"] += 1
    doc["resources"].append({**_entry(doc, "campaign.e2e.main"), "address": "campaign.e2e.copy"})
    pushed = stack.dir / "pushed.json"
    pushed.write_text(json.dumps(doc))
    result = stack.perso("state", "push", str(pushed))
    assert result.exit_code == 1 and "has 2 addresses" in result.output, result.output
    assert stack.state_path.read_text() == good


def _forge(path: Path, edit: Callable[[dict], None]) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    doc.pop("checksum")
    doc["checksum"] = sha256(doc)
    path.write_text(json.dumps(doc))


def test_a_forged_saved_plan_touching_an_address_outside_its_spec_is_refused(stack, monkeypatch):
    monkeypatch.chdir(stack.dir)
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    planned = stack.perso("plan", "--var", "tps=3", "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    campaign_arn = _entry(stack.state(), "campaign.e2e.main")["arn"]

    def add_phantom(doc: dict) -> None:
        change = next(c for c in doc["planned_changes"] if c["address"] == "campaign.e2e.main")
        doc["planned_changes"].append({**change, "address": "campaign.nope.nope"})

    _forge(stack.dir / "plan.json", add_phantom)
    result = CliRunner().invoke(cli, ["apply", "plan.json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "campaign.nope.nope: a update of a resource that is not in the plan's spec" in result.output
    assert "campaign.nope.nope" not in stack.addresses()
    described = _client(stack).describe_campaign(campaignArn=campaign_arn)["campaign"]
    assert described["minProvisionedTPS"] == 1 and "pendingCampaignUpdate" not in described


def test_a_plan_path_that_is_a_directory_exits_1(stack, monkeypatch):
    monkeypatch.chdir(stack.dir)
    (stack.dir / "plans").mkdir()
    for args in (["apply", "plans"], ["plan", "-f", "perso.yaml", "--state", "state.json", "--out", "plans"]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert "is a directory" in result.output and "Internal error" not in result.output

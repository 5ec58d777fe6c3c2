"""Saved plans: round trip, refusal of damaged/foreign/newer files, and stale detection."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from perso_iac import __version__
from perso_iac.errors import StaleStateError
from perso_iac.plan import Action, Change, Plan, Reason
from perso_iac.planfile import (
    Origin,
    PlanFileError,
    build_document,
    live_moved,
    read_plan_file,
    redact_plan,
    sha256,
    spec_moved,
    stale_error,
    state_moved,
    write_plan_file,
)
from perso_iac.resources.base import Observed
from perso_iac.spec.flatten import digest as spec_digest
from perso_iac.spec.model import Lifecycle, OutputSpec, Ref, ResourceSpec, Spec
from perso_iac.state.model import ResourceState, StateFile

ACCT = "arn:aws:personalize:us-east-1:123456789012"
SOL = f"{ACCT}:solution/ml-up"
CAMP = f"{ACCT}:campaign/ml-main"

CAMPAIGN_SPEC = ResourceSpec(
    address="campaign.ml.main", type="campaign", name="ml-main",
    params={"solutionVersionArn": Ref("solution_version.ml.up"), "minProvisionedTPS": 2,
            "campaignConfig": {"$ref": "not a reference, a literal key"}},
    tags={"team": "recs"}, depends_on=("solution_version.ml.up",),
    triggers=(Ref("dataset_import.ml.items", "lastImport"),), lifecycle=Lifecycle(prevent_destroy=True,
                                                                                  ignore_changes=("campaignConfig",)),
)
SOLUTION_SPEC = ResourceSpec(address="solution.ml.up", type="solution", name="ml-up",
                             params={"recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2"})
VERSION_SPEC = ResourceSpec(address="solution_version.ml.up", type="solution_version", name="ml-up",
                            params={"solutionArn": Ref("solution.ml.up")}, depends_on=("solution.ml.up",))
IMPORT_SPEC = ResourceSpec(address="dataset_import.ml.items", type="dataset_import", name="ml-items",
                           params={"dataSource": {"dataLocation": "s3://b/items.csv"}})
RESOURCES = {r.address: r for r in (SOLUTION_SPEC, VERSION_SPEC, IMPORT_SPEC, CAMPAIGN_SPEC)}
OUTPUTS = {"campaign": OutputSpec("campaign", Ref("campaign.ml.main"), "the campaign")}
SPEC = Spec(path=Path("perso.yaml"), stack="ml", resources=RESOURCES,
            region="us-east-1", backend={"s3": {"bucket": "b", "key": "k", "secret_key": "SHOULD-NOT-APPEAR"}},
            outputs=OUTPUTS, digest=spec_digest(RESOURCES, OUTPUTS))

CHANGES = (
    Change(address="solution.ml.up", type="solution", action=Action.NOOP, name="ml-up", arn=SOL,
           before={"recipeArn": "r"}, after={"recipeArn": "r"}),
    Change(address="campaign.ml.main", type="campaign", action=Action.UPDATE, reason=Reason.CHANGED, name="ml-main",
           arn=CAMP, before={"minProvisionedTPS": 1, "solutionVersionArn": f"{SOL}/v1"},
           after={"minProvisionedTPS": 2, "solutionVersionArn": Ref("solution_version.ml.up", suffix="")},
           tags_before={"team": "recs"}, tags_after={"team": "recs"}, changed_paths=("minProvisionedTPS",),
           depends_on=("solution_version.ml.up",), prior_depends_on=("solution_version.ml.up",),
           triggers=(Ref("dataset_import.ml.items", "lastImport"),), detail="x"),
    Change(address="filter.ml.old", type="filter", action=Action.DELETE, reason=Reason.REMOVED_FROM_SPEC,
           name="old", arn=f"{ACCT}:filter/old", before={"filterExpression": "EXCLUDE"}, gone=True),
)
PLAN = Plan(changes=CHANGES, stack="ml", lineage="lin-1", serial=4, spec_digest=SPEC.digest,
            warnings=("careful",))
OBSERVED = {
    "solution.ml.up": Observed(arn=SOL, params={"recipeArn": "r"}, status="ACTIVE",
                               outputs={"arn": SOL, "latestActiveVersionArn": f"{SOL}/v1"}),
    "campaign.ml.main": Observed(arn=CAMP, params={"minProvisionedTPS": 1}, status="ACTIVE", outputs={"arn": CAMP}),
    "filter.ml.old": None,
}
ORIGIN = Origin(spec_file="perso.yaml", variables={"env": "prod"}, var_files=("prod.yaml",), state="s3://b/k",
                backend=SPEC.backend, backend_description="s3://b/k", region="us-east-1")


@pytest.fixture
def saved_path(tmp_path) -> Path:
    doc = build_document(PLAN, SPEC, OBSERVED, ORIGIN, report={"resource_changes": [], "kind": "plan"})
    return write_plan_file(tmp_path / "plan.json", doc)


def test_planfile_round_trip_preserves_every_change_field_and_refs(saved_path):
    saved = read_plan_file(saved_path)
    assert saved.plan == PLAN
    assert saved.resources["campaign.ml.main"] == CAMPAIGN_SPEC
    assert saved.origin.variables == {"env": "prod"} and saved.origin.state == "s3://b/k"
    rebuilt = saved.spec()
    assert rebuilt.stack == "ml" and rebuilt.digest == SPEC.digest and rebuilt.region == "us-east-1"
    assert rebuilt.outputs["campaign"].value == Ref("campaign.ml.main")
    doc = json.loads(saved_path.read_text())
    assert doc["kind"] == "perso-saved-plan" and doc["perso_version"] == __version__
    assert doc["lineage"] == "lin-1" and doc["serial"] == 4 and doc["spec_digest"] == SPEC.digest
    assert doc["observed_digest"].startswith("sha256:")
    after = next(c for c in doc["planned_changes"] if c["address"] == "campaign.ml.main")["after"]
    assert after["solutionVersionArn"] == {"$ref": "solution_version.ml.up", "attr": "arn", "suffix": ""}


def test_planfile_holds_no_backend_secrets(saved_path):
    text = saved_path.read_text()
    assert "SHOULD-NOT-APPEAR" not in text and "secret_key" not in text
    assert json.loads(text)["origin"]["backend"] == {"s3": {"bucket": "b", "key": "k"}}


@pytest.mark.parametrize("damage, message", [
    (lambda text: text[: len(text) // 2], "truncated"),
    (lambda text: text.replace('"serial": 4', '"serial": 5', 1), "checksum mismatch"),
    (lambda text: "\x00\x01garbage{" + text, "corrupt"),
    (lambda text: json.dumps({"format_version": "1.0", "planned_changes": []}), "not a perso saved plan"),
    (lambda text: json.dumps({"format_version": 1, "terraform_version": "1.9.0", "resource_changes": []}),
     "not a perso saved plan"),
    (lambda text: text.replace('"format_version": "1.0"', '"format_version": "2.0"', 1), "format 2.0"),
    (lambda text: text.replace(f'"perso_version": "{__version__}"', '"perso_version": "99.0.0"', 1),
     "newer perso"),
])
def test_damaged_foreign_or_newer_plan_files_are_refused_clearly(saved_path, damage, message):
    saved_path.write_text(damage(saved_path.read_text()))
    with pytest.raises(PlanFileError) as info:
        read_plan_file(saved_path)
    assert message in info.value.message
    assert "nothing was applied" in info.value.message
    assert info.value.hint


def test_structurally_broken_plan_with_valid_checksum_is_refused(tmp_path):
    doc = build_document(PLAN, SPEC, OBSERVED, ORIGIN)
    doc["planned_changes"][0]["action"] = "explode"
    doc.pop("checksum")
    doc["checksum"] = sha256(doc)
    path = write_plan_file(tmp_path / "plan.json", doc)
    with pytest.raises(PlanFileError, match="not a valid perso plan"):
        read_plan_file(path)


def test_missing_plan_file_is_a_clear_error(tmp_path):
    with pytest.raises(PlanFileError, match="does not exist"):
        read_plan_file(tmp_path / "nope.json")


def _state(serial: int, lineage: str = "lin-1", stack: str = "ml") -> StateFile:
    """The state PLAN was made against: it holds what the plan updates and deletes."""
    state = StateFile(stack=stack, lineage=lineage, serial=serial)
    for change in CHANGES:
        state.record(ResourceState(address=change.address, type=change.type, name=change.name, arn=change.arn or ""))
    return state


def test_state_checks_name_what_moved(saved_path):
    saved = read_plan_file(saved_path)
    assert state_moved(saved, _state(4)) == []
    assert "serial 4 -> 6" in state_moved(saved, _state(6))[0]
    assert "different state" in state_moved(saved, _state(4, lineage="other"))[0]
    assert "stack 'other'" in state_moved(saved, _state(4, stack="other"))[0]


def test_first_plan_against_an_empty_state_compares_serial_only(tmp_path):
    plan = Plan(changes=(), stack="ml", lineage=None, serial=0)
    path = write_plan_file(tmp_path / "p.json", build_document(plan, SPEC, {}, ORIGIN))
    saved = read_plan_file(path)
    assert state_moved(saved, StateFile(stack="ml", serial=0)) == []  # a fresh state has a random lineage
    assert "serial 0 -> 1" in state_moved(saved, StateFile(stack="ml", serial=1))[0]


def test_spec_digest_check(saved_path):
    saved = read_plan_file(saved_path)
    assert spec_moved(saved, SPEC.digest) == []
    assert "perso.yaml changed since the plan" in spec_moved(saved, "sha256:" + "b" * 64)[0]


def test_live_changes_are_explained_per_address_and_attribute(saved_path):
    saved = read_plan_file(saved_path)
    assert live_moved(saved, OBSERVED) == []
    # settling (pending -> ready) is not a change
    settling = dict(OBSERVED, **{"campaign.ml.main": Observed(arn=CAMP, params={"minProvisionedTPS": 1},
                                                                status="CREATE IN_PROGRESS", outputs={"arn": CAMP})})
    assert live_moved(saved, settling) == []
    moved = dict(OBSERVED)
    moved["campaign.ml.main"] = Observed(arn=CAMP, params={"minProvisionedTPS": 5}, status="ACTIVE",
                                         outputs={"arn": CAMP})
    moved["solution.ml.up"] = None
    moved["filter.ml.old"] = Observed(arn=f"{ACCT}:filter/old", params={}, status="ACTIVE", outputs={})
    reasons = live_moved(saved, moved)
    assert any("campaign.ml.main changed outside perso" in r and "minProvisionedTPS 1 -> 5" in r for r in reasons)
    assert any("solution.ml.up was deleted" in r for r in reasons)
    assert any("filter.ml.old now exists" in r for r in reasons)
    assert len(reasons) == 3


def test_stale_error_explains_and_gives_the_replan_command(saved_path):
    saved = read_plan_file(saved_path)
    err = stale_error(saved_path, ["the state was written"], saved)
    assert isinstance(err, StaleStateError)
    assert "stale" in err.message and "the state was written" in err.message
    assert "perso plan -f perso.yaml --var env=prod --var-file prod.yaml --state s3://b/k --out" in err.hint


def test_a_spec_passed_as_plan_file_gets_a_pointed_hint(tmp_path):
    spec = tmp_path / "perso.yaml"
    spec.write_text("version: 1\nstack: ml\n")
    with pytest.raises(PlanFileError, match="looks like a spec") as info:
        read_plan_file(spec)
    assert "perso apply -f" in info.value.hint


def _forge(path: Path, edit) -> None:
    """Edit a saved plan and give it a matching checksum, as someone forging it would."""
    doc = json.loads(path.read_text())
    edit(doc)
    doc.pop("checksum")
    doc["checksum"] = sha256(doc)
    path.write_text(json.dumps(doc))


def _campaign_change(doc: dict) -> dict:
    return next(c for c in doc["planned_changes"] if c["address"] == "campaign.ml.main")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["planned_changes"].append({**_campaign_change(d), "address": "campaign.nope.nope"}),
     "campaign.nope.nope: a update of a resource that is not in the plan's spec"),
    (lambda d: d["planned_changes"].append({**_campaign_change(d), "address": "solution.ml.up"}),
     "solution.ml.up: not an address of a 'campaign' resource"),
    (lambda d: d["planned_changes"].append({**_campaign_change(d), "address": "widget.x", "type": "widget"}),
     "widget.x: not an address of a 'widget' resource"),
    (lambda d: _campaign_change(d)["after"].update(solutionVersionArn={"$ref": "solution_version.other.x"}),
     "campaign.ml.main refers to solution_version.other.x, which is not in the plan's spec"),
    (lambda d: d["resources"].append({**d["resources"][0], "address": "campaign.nope.nope", "type": "campaign"}),
     "its resources do not match the spec digest it records"),
    (lambda d: d["resources"][0]["params"].update(recipeArn="arn:aws:personalize:::recipe/aws-sims"),
     "its resources do not match the spec digest it records"),
])
def test_a_forged_plan_touching_what_its_spec_does_not_describe_is_refused(saved_path, edit, message):
    _forge(saved_path, edit)
    with pytest.raises(PlanFileError) as info:
        read_plan_file(saved_path)
    assert "touches what its spec does not describe" in info.value.message and message in info.value.message


def test_a_forged_plan_acting_on_what_the_state_does_not_hold_is_refused(saved_path):
    saved = read_plan_file(saved_path)
    state = _state(4)
    state.forget("filter.ml.old")
    assert state_moved(saved, state) == [
        "filter.ml.old: a delete of a resource that is neither in the plan's spec nor in the state"]
    state = _state(4)
    state.resources["campaign.ml.main"].arn = f"{ACCT}:campaign/someone-elses"
    assert state_moved(saved, state) == [
        f"campaign.ml.main: the plan acts on {CAMP}, the state holds {ACCT}:campaign/someone-elses"]
    state = _state(4)
    state.resources["filter.ml.old"].type = "campaign"
    assert state_moved(saved, state) == ["filter.ml.old: a filter in the plan, a campaign in the state"]


def test_plan_files_are_written_0600_whatever_the_umask(tmp_path):
    import os
    import stat

    old = os.umask(0)
    try:
        path = write_plan_file(tmp_path / "plan.json", build_document(PLAN, SPEC, OBSERVED, ORIGIN))
        (tmp_path / "again.json.tmp").write_text("a leftover, world-readable")
        os.chmod(tmp_path / "again.json.tmp", 0o666)
        again = write_plan_file(tmp_path / "again.json", build_document(PLAN, SPEC, OBSERVED, ORIGIN))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(again.stat().st_mode) == 0o600
    assert read_plan_file(again).plan == PLAN


@pytest.mark.parametrize("special", ["dir", "/dev/zero", "fifo"])
def test_a_plan_path_that_is_no_regular_file_is_refused_unread(tmp_path, special):
    import os

    path = tmp_path / "plan.json"
    if special == "dir":
        path.mkdir()
    elif special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(special)
    kind = {"dir": "a directory", "fifo": "a FIFO"}.get(special, "a character device")
    with pytest.raises(PlanFileError, match=f"plan file .*plan.json is {kind}"):
        read_plan_file(path)
    if special == "dir":
        with pytest.raises(PlanFileError, match="it is a directory"):
            write_plan_file(path, build_document(PLAN, SPEC, OBSERVED, ORIGIN))


TOKEN = "tok-3f9a-SECRET"


def _sensitive_spec() -> Spec:
    campaign = dataclasses.replace(CAMPAIGN_SPEC, tags={"team": "recs", "token": TOKEN})
    resources = {**RESOURCES, campaign.address: campaign}
    return dataclasses.replace(SPEC, resources=resources, digest=spec_digest(resources, OUTPUTS),
                               sensitive={"token": TOKEN})


def test_a_plan_keeps_only_a_seal_of_sensitive_values_and_needs_them_again(tmp_path):
    spec = _sensitive_spec()
    plan = dataclasses.replace(PLAN, spec_digest=spec.digest)
    origin = dataclasses.replace(ORIGIN, variables={"env": "prod", "token": TOKEN})
    path = write_plan_file(tmp_path / "plan.json",
                           build_document(plan, spec, OBSERVED, origin,
                                          report={"resource_changes": [{"after": {"tags": {"token": TOKEN}}}]}))
    text = path.read_text()
    assert TOKEN not in text and "(sensitive:token)" in text and "sensitive=" not in repr(spec)
    doc = json.loads(text)
    assert doc["origin"]["variables"] == {"env": "prod", "token": "(sensitive:token)"}
    assert set(doc["sensitive"]["token"]) == {"salt", "sha256"}

    with pytest.raises(PlanFileError, match="sensitive variable 'token', whose value it does not keep") as info:
        read_plan_file(path, environ={})
    assert "PERSO_VAR_token" in info.value.hint
    with pytest.raises(PlanFileError, match="PERSO_VAR_token is not the value"):
        read_plan_file(path, environ={"PERSO_VAR_token": "tok-guess"})
    saved = read_plan_file(path, environ={"PERSO_VAR_token": TOKEN})
    assert saved.resources["campaign.ml.main"].tags["token"] == TOKEN
    assert saved.origin.variables["token"] == TOKEN and saved.plan == plan
    assert TOKEN not in json.dumps(saved.document)  # what may be shown stays redacted


def test_no_sensitive_variables_no_seal(saved_path):
    assert "sensitive" not in json.loads(saved_path.read_text())


def test_a_plan_to_show_has_its_sensitive_values_redacted():
    campaign = next(c for c in CHANGES if c.address == "campaign.ml.main")
    plan = dataclasses.replace(PLAN, changes=(dataclasses.replace(campaign, tags_after={"token": TOKEN}),))
    shown = redact_plan(plan, {"token": TOKEN})
    assert shown.changes[0].tags_after == {"token": "(sensitive:token)"} and TOKEN not in repr(shown)
    assert shown.changes[0].after == campaign.after and redact_plan(plan, {}) is plan

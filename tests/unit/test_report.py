"""JSON and markdown reports: Terraform-shaped plan JSON valid against the documented schema,
markdown for PR comments that stays under GitHub's limit whatever the plan size."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from perso_iac.errors import Problem
from perso_iac.output.describe import plan_has_changes
from perso_iac.output.json import apply_report, plan_report, validate_report
from perso_iac.output.markdown import (
    MARKDOWN_LIMIT,
    apply_markdown,
    change_diff_lines,
    plan_markdown,
    validate_markdown,
)
from perso_iac.plan import Action, Change, Plan, Reason
from perso_iac.spec.model import Ref

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "perso-json.schema.json"
ACCT = "arn:aws:personalize:us-east-1:123456789012"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(validator, document) -> None:
    # through a JSON round trip, as a consumer sees it
    errors = sorted(validator.iter_errors(json.loads(json.dumps(document, default=str))), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


CREATE = Change(address="campaign.ml.main", type="campaign", action=Action.CREATE, reason=Reason.NEW, name="ml-main",
                after={"minProvisionedTPS": 1, "solutionVersionArn": Ref("solution_version.ml.up"),
                       "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}}},
                tags_after={"team": "recs"})
UPDATE = Change(address="campaign.ml.other", type="campaign", action=Action.UPDATE, reason=Reason.CHANGED,
                name="ml-other", arn=f"{ACCT}:campaign/ml-other", before={"minProvisionedTPS": 1},
                after={"minProvisionedTPS": 3}, changed_paths=("minProvisionedTPS",))
REPLACE = Change(address="solution.ml.up", type="solution", action=Action.REPLACE, reason=Reason.CANNOT_UPDATE,
                 name="ml-up", arn=f"{ACCT}:solution/ml-up", before={"recipeArn": "a", "performHPO": False},
                 after={"recipeArn": "b", "performHPO": False}, changed_paths=("recipeArn", "solutionConfig.x"),
                 replace_paths=("recipeArn", "solutionConfig.x"))
DELETE = Change(address="filter.ml.old", type="filter", action=Action.DELETE, reason=Reason.REMOVED_FROM_SPEC,
                name="old", arn=f"{ACCT}:filter/old", before={"filterExpression": 'EXCLUDE ItemID WHERE Items.X IN ("a")'},
                tags_before={})
NOOP = Change(address="dataset_group.ml", type="dataset_group", action=Action.NOOP, name="ml",
              arn=f"{ACCT}:dataset-group/ml", before={"name": "ml"}, after={"name": "ml"})
PLAN = Plan(changes=(NOOP, CREATE, UPDATE, REPLACE, DELETE), stack="ml", lineage="lin", serial=3,
            spec_digest="sha256:abc")


def test_plan_json_is_terraform_shaped_and_valid(validator):
    doc = plan_report(PLAN, backend="s3://b/k")
    assert_valid(validator, doc)
    by = {rc["address"]: rc for rc in doc["resource_changes"]}
    assert [by[a]["change"]["actions"] for a in ("dataset_group.ml", "campaign.ml.main", "campaign.ml.other",
                                                  "solution.ml.up", "filter.ml.old")] == [
        ["no-op"], ["create"], ["update"], ["delete", "create"], ["delete"]]
    create = by["campaign.ml.main"]["change"]
    assert create["before"] is None
    assert "solutionVersionArn" not in create["after"] and create["after_unknown"] == {"solutionVersionArn": True}
    assert create["references"] == {"solutionVersionArn": "${solution_version.ml.up.arn}"}
    assert create["after"]["tags"] == {"team": "recs"}
    replace = by["solution.ml.up"]
    assert replace["change"]["replace_paths"] == [["recipeArn"], ["solutionConfig", "x"]]
    assert replace["action_reason"] == "replace_because_cannot_update" and replace["destructive"]
    assert by["filter.ml.old"]["change"]["after"] is None
    assert by["filter.ml.old"]["action_reason"] == "delete_because_no_resource_config"
    assert doc["summary"] == {"create": 1, "update": 1, "replace": 1, "delete": 1, "run": 0, "move": 0, "adopt": 0,
                              "no_op": 1}
    assert doc["has_changes"] is True and doc["destructive"] == ["solution.ml.up", "filter.ml.old"]
    assert doc["cost_notes"] and "campaign.ml.main" in doc["cost_notes"][0]
    assert doc["state"] == {"backend": "s3://b/k", "lineage": "lin", "serial": 3}


def test_policy_style_query_finds_deletes_by_scanning_actions():
    doc = plan_report(PLAN)
    deleting = [rc["address"] for rc in doc["resource_changes"] if "delete" in rc["change"]["actions"]]
    assert deleting == ["solution.ml.up", "filter.ml.old"]


def test_has_changes_agrees_with_the_detailed_exit_code_rule():
    assert plan_has_changes(PLAN)
    quiet = Plan(changes=(NOOP,), stack="ml", lineage="lin", serial=3)
    assert not plan_has_changes(quiet) and plan_report(quiet)["has_changes"] is False
    settling = Plan(changes=(Change(**{**NOOP.__dict__, "reason": Reason.SETTLING}),), stack="ml", lineage="l", serial=1)
    assert not plan_has_changes(settling)  # waiting is not a change: exit 0, "Plan: 0 to ..."
    adopting = Plan(changes=(Change(**{**NOOP.__dict__, "reason": Reason.ADOPTED}),), stack="ml", lineage="l", serial=1)
    assert plan_has_changes(adopting) and plan_report(adopting)["summary"]["adopt"] == 1


def test_markdown_puts_summary_first_and_flags_destruction():
    md = plan_markdown(PLAN, backend="s3://b/k")
    lines = md.splitlines()
    assert lines[0] == "<!-- perso:plan:ml -->"
    assert lines[1].startswith("### perso plan")
    assert "**Plan:** 1 to create, 1 to update, 1 to replace, 1 to destroy." in lines[3]
    caution = md.index("[!CAUTION]")
    assert caution < md.index("<details>")
    assert "`solution.ml.up`" in md[caution:md.index("<details>")]
    assert "```diff" in md and "</details>" in md
    assert "\n! campaign.ml.other\n!    minProvisionedTPS = 1 -> 3\n" in md  # diff colouring: ~ shown as !
    assert "\n- filter.ml.old\n" in md and "\n+ campaign.ml.main\n" in md
    assert '\\"a\\"' in md or '"a"' in md
    assert "Truncated" not in md


def test_markdown_for_no_changes():
    md = plan_markdown(Plan(changes=(NOOP,), stack="ml", lineage="l", serial=1))
    assert "**No changes.**" in md and "<details>" not in md and "CAUTION" not in md


def _huge_plan(count: int) -> Plan:
    changes = []
    for i in range(count):
        action = [Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE][i % 4]
        big = {f"key{j}": "x" * 100 for j in range(8)}
        changes.append(Change(
            address=f"campaign.group{i // 50}.campaign-with-a-long-name-{i}", type="campaign", action=action,
            reason=Reason.CANNOT_UPDATE if action is Action.REPLACE else Reason.NEW, name=f"c{i}",
            before=None if action is Action.CREATE else dict(big, minProvisionedTPS=1),
            after=None if action is Action.DELETE else dict(big, minProvisionedTPS=2),
            changed_paths=tuple(big) + ("minProvisionedTPS",) if action in (Action.UPDATE, Action.REPLACE) else (),
            replace_paths=("key0",) if action is Action.REPLACE else (),
        ))
    return Plan(changes=tuple(changes), stack="big", lineage="l", serial=9, spec_digest="sha256:f")


@pytest.mark.parametrize("count", [300, 800])
def test_markdown_of_hundreds_of_changes_stays_under_the_comment_limit(count):
    plan = _huge_plan(count)
    full_details = sum(len("\n".join(change_diff_lines(c))) for c in plan.changes)
    assert full_details > 65_536  # the untruncated rendering would break GitHub's limit
    md = plan_markdown(plan, link="https://ci.example/run/1")
    assert len(md) <= MARKDOWN_LIMIT < 65_536
    assert f"of {count} changes" in md and "[the full plan](https://ci.example/run/1)" in md
    assert md.count("```") % 2 == 0 and md.count("<details>") == md.count("</details>")
    s = plan.summary()
    assert f"**Plan:** {s['create']} to create, {s['update']} to update" in md  # the summary is never cut
    assert "… and" in md  # the destructive list is bounded too
    assert md.rstrip().endswith("</sub>")


def test_markdown_limit_holds_even_when_tiny():
    md = plan_markdown(_huge_plan(50), limit=3000)
    assert len(md) <= 3000 and "Truncated" in md


def test_apply_and_validate_reports_are_valid(validator):
    from perso_iac.apply import StepResult

    results = [StepResult("campaign.ml.main", "create", "done", "created"),
               StepResult("solution.ml.up", "replace", "failed", "CREATE FAILED: bad"),
               StepResult("campaign.ml.other", "update", "skipped", "solution.ml.up did not complete")]
    from perso_iac.errors import ApplyError

    doc = apply_report(PLAN, results, error=ApplyError("apply failed", hint="fix it"), backend="local:x")
    assert_valid(validator, doc)
    assert doc["success"] is False and doc["summary"] == {"done": 1, "failed": 1, "skipped": 1}
    md = apply_markdown(doc)
    assert "FAILED" in md.splitlines()[1] and md.index("failed |") < md.index("done |")

    ok = validate_report(stack="ml", resources=7)
    assert_valid(validator, ok)
    bad = validate_report(problems=[Problem("perso.yaml", 3, 5, "dataset_groups.ml", "unknown key", "did you mean x")])
    assert_valid(validator, bad)
    assert bad["valid"] is False and bad["problems"][0]["line"] == 3
    assert "perso.yaml:3:5" in validate_markdown(bad) and "the spec is valid" in validate_markdown(ok)


def test_schema_rejects_what_it_should(validator):
    doc = json.loads(json.dumps(plan_report(PLAN)))
    doc["resource_changes"][1]["change"]["actions"] = ["update", "delete"]  # perso never plans this
    assert list(validator.iter_errors(doc))
    doc = json.loads(json.dumps(plan_report(PLAN)))
    del doc["has_changes"]
    assert list(validator.iter_errors(doc))


def test_text_summary_counts_adoptions_so_it_agrees_with_the_exit_code():
    from perso_iac.output.text import render_plan

    adopting = Plan(changes=(Change(**{**NOOP.__dict__, "reason": Reason.ADOPTED}),), stack="ml", lineage="l", serial=1)
    assert "0 to destroy, 1 to adopt." in render_plan(adopting)
    assert "to adopt" not in render_plan(PLAN)

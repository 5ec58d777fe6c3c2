"""The differ's day-2 options: --replace (Terraform's replace_by_request), --target, --no-refresh."""

from __future__ import annotations

import pytest
from test_diff import (
    ALL_LIVE,
    ALL_SPECS,
    ALL_STATE,
    CAMPAIGN,
    GROUP,
    IMPORT_SPEC,
    SOLUTION,
    VERSION,
    with_params,
)

from perso_iac.diff import make_plan
from perso_iac.errors import PlanError
from perso_iac.observe import from_state
from perso_iac.plan import Action, PlanOptions, Reason
from perso_iac.planfile import Origin, build_document, read_plan_file, write_plan_file
from perso_iac.resources.registry import REGISTRY
from perso_iac.spec.model import Spec
from perso_iac.state.model import StateFile


def state() -> StateFile:
    return StateFile(stack="test", serial=3, resources={r.address: r for r in ALL_STATE})


def plan(specs=ALL_SPECS, observed=ALL_LIVE, **options):
    return make_plan({s.address: s for s in specs}, state(), observed, REGISTRY, options=PlanOptions(**options))


def acts(p) -> dict[str, tuple[Action, Reason]]:
    return {c.address: (c.action, c.reason) for c in p.changes if c.action is not Action.NOOP}


def test_replace_an_import_reruns_it_retrains_and_updates_the_campaign_in_place():
    assert acts(plan(replace=("dataset_import.ml.items",))) == {
        "dataset_import.ml.items": (Action.REPLACE, Reason.REQUESTED),
        "solution_version.ml.up": (Action.REPLACE, Reason.TRIGGERED),
        "campaign.ml.main": (Action.UPDATE, Reason.CHANGED),
    }


def test_replace_a_version_retrains_and_moves_the_campaign():
    assert acts(plan(replace=("solution_version.ml.up",))) == {
        "solution_version.ml.up": (Action.REPLACE, Reason.REQUESTED),
        "campaign.ml.main": (Action.UPDATE, Reason.CHANGED),
    }


def test_replace_a_solution_cascades_like_any_replacement():
    assert acts(plan(replace=("solution.ml.up",))) == {
        "solution.ml.up": (Action.REPLACE, Reason.REQUESTED),
        "solution_version.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
        "campaign.ml.main": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
    }


def test_target_keeps_the_target_and_its_dependencies_only():
    specs = [GROUP, IMPORT_SPEC, with_params(SOLUTION, performAutoTraining=True), VERSION,
             with_params(CAMPAIGN, minProvisionedTPS=4)]
    full = plan(specs)
    assert set(acts(full)) == {"solution.ml.up", "campaign.ml.main"}
    only = plan(specs, targets=("solution.ml.up",))
    assert {c.address for c in only.changes} == {"solution.ml.up", "dataset_group.ml"}
    assert acts(only) == {"solution.ml.up": (Action.UPDATE, Reason.CHANGED)}
    assert any("Resource targeting is in effect" in w for w in only.warnings)


def test_a_targeted_replacement_takes_the_children_aws_would_not_let_go():
    specs = [GROUP, IMPORT_SPEC, with_params(SOLUTION, recipeArn="arn:aws:personalize:::recipe/aws-similar-items"),
             VERSION, CAMPAIGN]
    only = plan(specs, targets=("solution.ml.up",))
    assert set(acts(only)) == {"solution.ml.up", "solution_version.ml.up", "campaign.ml.main"}


@pytest.mark.parametrize("options", [{"replace": ("campaign.ml.nope",)}, {"targets": ("nope",)}])
def test_unknown_addresses_are_errors(options):
    with pytest.raises(PlanError, match="no such resource"):
        plan(**options)


def test_no_refresh_plans_against_the_state_and_warns():
    p = make_plan({s.address: s for s in ALL_SPECS}, state(), from_state(state()), REGISTRY,
                  options=PlanOptions(refresh=False))
    assert any("Refresh skipped" in w for w in p.warnings)
    assert all(c.action is not Action.CREATE for c in p.changes)


def test_a_saved_plan_carries_its_options(tmp_path):
    options = {"replace": ("solution_version.ml.up",), "targets": ("campaign.ml.main",), "refresh": False}
    p = plan(**options)
    spec = Spec(path=tmp_path / "perso.yaml", stack="test", resources={s.address: s for s in ALL_SPECS})
    path = write_plan_file(tmp_path / "plan.json", build_document(p, spec, ALL_LIVE, Origin(spec_file="perso.yaml")))
    assert read_plan_file(path).plan.options == PlanOptions(**options)

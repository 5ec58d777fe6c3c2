"""Whole-engine round trips for the types of issue 6, through the loader, observe, the differ and
the applier, against the emulator over HTTP (no CLI: see test_import_cli.py for the commands).

- An account built with plain boto3 is discovered, its spec generated and loaded, everything
  imported: the next plan shows no changes.
- The examples (ECOMMERCE domain stack with a stopped recommender; tracking stack with filters, an
  event tracker and a metric attribution) apply, re-plan clean, update in place, and destroy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_import import build_account, build_domain_group  # same directory (rootdir-relative imports)

from perso_iac.apply import Applier
from perso_iac.diff import make_plan
from perso_iac.importer import discover_dataset_group, generate_spec, import_discovered
from perso_iac.observe import observe
from perso_iac.plan import Action, Plan
from perso_iac.resources.registry import REGISTRY
from perso_iac.spec.loader import load_spec
from perso_iac.spec.model import Spec
from perso_iac.state.model import StateFile
from perso_iac.wait import Waiter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FAST = Waiter(sleep=lambda s: None, initial_delay=0, max_delay=0)


class MemoryBackend:
    """Just enough of a state backend for the applier: keeps the last written state."""

    def __init__(self) -> None:
        self.writes = 0

    def describe(self) -> str:
        return "memory"

    def write(self, state: StateFile) -> None:
        self.writes += 1
        state.serial += 1


def plan_for(client: Any, spec: Spec, state: StateFile, *, destroy: bool = False) -> Plan:
    observed = observe(client, spec.resources, state, REGISTRY)
    return make_plan(spec.resources, state, observed, REGISTRY, spec_digest=spec.digest, destroy=destroy)


def apply(client: Any, spec: Spec, state: StateFile, *, destroy: bool = False) -> Plan:
    plan = plan_for(client, spec, state, destroy=destroy)
    Applier(client, MemoryBackend(), state, REGISTRY, waiter=FAST).apply(plan)
    return plan


def changes(plan: Plan) -> dict[str, str]:
    return {c.address: f"{c.action.value}:{','.join(c.changed_paths or c.replace_paths)}"
            for c in plan.changes if c.action is not Action.NOOP}


@pytest.mark.parametrize("group, build", [("legacy", build_account), ("shop", build_domain_group)])
def test_import_then_plan_shows_no_changes(group, build, personalize, tmp_path):
    build(personalize)
    discovered = discover_dataset_group(personalize, group)
    spec_file = tmp_path / "perso.yaml"
    spec_file.write_text(generate_spec(discovered))
    spec = load_spec(spec_file, environ={})
    assert {d.address for d in discovered} == set(spec.resources)

    state = StateFile(stack=spec.stack)
    imported, skipped = import_discovered(personalize, state, discovered, spec.resources)
    assert skipped == []
    assert {r.address for r in imported} == set(spec.resources)
    assert changes(plan_for(personalize, spec, state)) == {}


def test_without_import_the_plan_points_to_import_instead_of_failing_at_apply(personalize, tmp_path):
    """Before import, the resources are found by name: the plan names each conflict and the
    `perso import` command that adopts it, rather than failing on ResourceAlreadyExistsException."""
    build_account(personalize)
    spec_file = tmp_path / "perso.yaml"
    spec_file.write_text(generate_spec(discover_dataset_group(personalize, "legacy")))
    spec = load_spec(spec_file, environ={})
    plan = plan_for(personalize, spec, StateFile(stack=spec.stack))
    conflicts = {c.address for c in plan.conflicts}
    assert conflicts == {a for a, r in spec.resources.items() if r.type not in ("dataset_import", "solution_version")}
    assert all(c.detail.startswith(f"perso import {c.address} arn:aws:personalize:") for c in plan.conflicts)


def test_ecommerce_example_applies_replans_clean_and_destroys(personalize):
    spec = load_spec(EXAMPLES / "ecommerce" / "perso.yaml", environ={})
    state = StateFile(stack=spec.stack)
    apply(personalize, spec, state)

    recs = {a: r for a, r in state.resources.items() if r.type == "recommender"}
    assert len(recs) == 3
    stopped = personalize.describe_recommender(recommenderArn=recs["recommender.shop.also-viewed"].arn)
    assert stopped["recommender"]["status"] == "INACTIVE", "a recommender declared INACTIVE is stopped in one apply"
    assert changes(plan_for(personalize, spec, state)) == {}

    # start the stopped one and resize the other, in place
    spec2 = load_spec(EXAMPLES / "ecommerce" / "perso.yaml", variables={"for_you_rps": "5"}, environ={})
    changed = _with_params(spec2, "recommender.shop.also-viewed", state="ACTIVE")
    plan = apply(personalize, changed, state)
    assert changes(plan) == {"recommender.shop.for-you": "update:recommenderConfig.minRecommendationRequestsPerSecond",
                             "recommender.shop.also-viewed": "update:state"}
    assert changes(plan_for(personalize, changed, state)) == {}
    assert all(r.arn == state.resources[a].arn for a, r in recs.items()), "updated in place, not replaced"

    apply(personalize, changed, state, destroy=True)
    assert state.resources == {}
    assert personalize.list_dataset_groups()["datasetGroups"] == []
    assert personalize.list_schemas()["schemas"] == []


def test_latest_campaign_waits_for_the_first_training_run():
    spec = load_spec(EXAMPLES / "tracking" / "perso.yaml", environ={})
    assert "solution_version.site.personalized" in spec.resources["campaign.site.home"].depends_on


def test_tracking_example_applies_updates_in_place_and_destroys(personalize):
    spec = load_spec(EXAMPLES / "tracking" / "perso.yaml", environ={})
    state = StateFile(stack=spec.stack)
    apply(personalize, spec, state)
    tracker = state.resources["event_tracker.site.web"]
    assert tracker.outputs["trackingId"]
    assert changes(plan_for(personalize, spec, state)) == {}

    metrics = [{"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"},
               {"eventType": "view", "metricName": "views", "expression": "SAMPLECOUNT()"}]
    changed = _with_params(spec, "metric_attribution.site.impact", metrics=metrics)
    changed = _with_params(changed, "filter.site.unseen",
                           filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
    filter_arn = state.resources["filter.site.unseen"].arn
    plan = apply(personalize, changed, state)
    assert changes(plan) == {"metric_attribution.site.impact": "update:metrics",
                             "filter.site.unseen": "replace:filterExpression"}
    assert changes(plan_for(personalize, changed, state)) == {}
    listed = personalize.list_metric_attribution_metrics(
        metricAttributionArn=state.resources["metric_attribution.site.impact"].arn)["metrics"]
    assert sorted(m["metricName"] for m in listed) == ["clicks", "views"]
    assert state.resources["filter.site.unseen"].arn == filter_arn  # same name, so the same ARN again

    apply(personalize, changed, state, destroy=True)
    assert state.resources == {}
    assert personalize.list_dataset_groups()["datasetGroups"] == []


def _with_params(spec: Spec, address: str, **params: Any) -> Spec:
    from dataclasses import replace

    resources = dict(spec.resources)
    resources[address] = replace(resources[address], params={**resources[address].params, **params})
    return replace(spec, resources=resources)

"""The differ, table-driven: (spec, state, observed) -> the changes a user would expect."""

from __future__ import annotations

from typing import Any

import pytest

from perso_iac.diff import make_plan
from perso_iac.errors import PlanError
from perso_iac.plan import Action, Reason
from perso_iac.resources.base import Observed
from perso_iac.resources.registry import REGISTRY
from perso_iac.spec.model import Lifecycle, Ref, ResourceSpec
from perso_iac.state.model import ResourceState, StateFile

ACCT = "arn:aws:personalize:us-east-1:123456789012"
DSG = f"{ACCT}:dataset-group/ml"
SCHEMA = f"{ACCT}:schema/ml-items"
SOL = f"{ACCT}:solution/ml-up"
SV = f"{ACCT}:solution/ml-up/abcd1234"
CAMP = f"{ACCT}:campaign/ml-main"
ITEMS = f"{ACCT}:dataset/ml/ITEMS"
IMPORT = f"{ACCT}:dataset-import-job/ml-items-import-1"


def spec(address: str, params: dict[str, Any], *, tags: dict | None = None, deps: tuple[str, ...] = (),
         triggers: tuple[Ref, ...] = (), lifecycle: Lifecycle | None = None) -> ResourceSpec:
    type_name = address.split(".")[0]
    name = params.get("name", address.split(".")[-1])
    refs = tuple(v.address for v in params.values() if isinstance(v, Ref))
    return ResourceSpec(address=address, type=type_name, name=name, params=params, tags=tags or {},
                        depends_on=tuple(dict.fromkeys(refs + deps)), triggers=triggers,
                        lifecycle=lifecycle or Lifecycle())


GROUP = spec("dataset_group.ml", {"name": "ml"})
GROUP_ECOMM = spec("dataset_group.ml", {"name": "ml", "domain": "ECOMMERCE"})
ITEMS_SCHEMA = spec("schema.items", {"name": "ml-items", "schema": '{"type": "record", "name": "Items"}'})
ITEMS_DATASET = spec("dataset.ml.items", {"name": "ml-items", "datasetType": "Items",
                                          "schemaArn": Ref("schema.items"),
                                          "datasetGroupArn": Ref("dataset_group.ml")})
SOLUTION = spec("solution.ml.up", {"name": "ml-up", "datasetGroupArn": Ref("dataset_group.ml"),
                                   "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
                                   "performAutoTraining": False})
VERSION = spec("solution_version.ml.up", {"solutionArn": Ref("solution.ml.up"), "trainingMode": "FULL"},
               triggers=(Ref("dataset_import.ml.items"),))
CAMPAIGN = spec("campaign.ml.main", {"name": "ml-main", "solutionVersionArn": Ref("solution_version.ml.up"),
                                     "minProvisionedTPS": 1})


def live(arn: str, params: dict[str, Any], status: str | None = "ACTIVE", **outputs: Any) -> Observed:
    return Observed(arn=arn, params=params, status=status, outputs={"arn": arn, **outputs})


def recorded(address: str, arn: str, tags: dict | None = None, deps: list[str] | None = None,
             triggers: dict | None = None) -> ResourceState:
    return ResourceState(address=address, type=address.split(".")[0], name=address.split(".")[-1], arn=arn,
                         tags=tags or {}, depends_on=deps or [], triggers=triggers or {})


LIVE_GROUP = live(DSG, {"name": "ml"})
LIVE_SCHEMA = live(SCHEMA, {"name": "ml-items", "schema": '{"name":"Items","type":"record"}'}, status=None)
LIVE_ITEMS = live(ITEMS, {"name": "ml-items", "datasetType": "Items", "schemaArn": SCHEMA, "datasetGroupArn": DSG})
LIVE_SOLUTION = live(SOL, {"name": "ml-up", "datasetGroupArn": DSG,
                           "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
                           "performAutoTraining": False, "performHPO": False})
LIVE_VERSION = live(SV, {"solutionArn": SOL, "trainingMode": "FULL"})
LIVE_CAMPAIGN = live(CAMP, {"name": "ml-main", "solutionVersionArn": SV, "minProvisionedTPS": 1,
                            "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}}})

IMPORT_SPEC = spec("dataset_import.ml.items", {"datasetArn": ITEMS, "dataSource": {"dataLocation": "s3://b/items.csv"},
                                                "importMode": "FULL"})
LIVE_IMPORT = live(IMPORT, {"datasetArn": ITEMS, "dataSource": {"dataLocation": "s3://b/items.csv"},
                            "importMode": "FULL"})

ALL_SPECS = [GROUP, IMPORT_SPEC, SOLUTION, VERSION, CAMPAIGN]
ALL_LIVE = {"dataset_group.ml": LIVE_GROUP, "dataset_import.ml.items": LIVE_IMPORT, "solution.ml.up": LIVE_SOLUTION,
            "solution_version.ml.up": LIVE_VERSION, "campaign.ml.main": LIVE_CAMPAIGN}
ALL_STATE = [recorded("dataset_group.ml", DSG), recorded("dataset_import.ml.items", IMPORT),
             recorded("solution.ml.up", SOL, deps=["dataset_group.ml"]),
             recorded("solution_version.ml.up", SV, deps=["solution.ml.up"],
                      triggers={str(Ref("dataset_import.ml.items")): IMPORT}),
             recorded("campaign.ml.main", CAMP, deps=["solution_version.ml.up"])]


def with_params(base: ResourceSpec, **changes: Any) -> ResourceSpec:
    return spec(base.address, {**base.params, **changes}, tags=dict(base.tags), triggers=base.triggers)


def plan_for(specs: list[ResourceSpec], states: list[ResourceState], observed: dict[str, Observed | None],
             destroy: bool = False):
    state = StateFile(stack="test", serial=3 if states else 0,
                      resources={r.address: r for r in states})
    return make_plan({s.address: s for s in specs}, state, observed, REGISTRY, destroy=destroy)


# (id, specs, state, observed, expected {address: (action, reason)}, expected paths {address: (changed, replace)})
CASES = [
    ("new resource is created",
     [GROUP], [], {}, {"dataset_group.ml": (Action.CREATE, Reason.NEW)}, {}),
    ("unchanged resource is a no-op",
     [GROUP], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": LIVE_GROUP},
     {"dataset_group.ml": (Action.NOOP, Reason.NONE)}, {}),
    ("resource deleted outside perso is created again",
     [GROUP], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": None},
     {"dataset_group.ml": (Action.CREATE, Reason.MISSING_REMOTELY)}, {}),
    ("immutable field change replaces",
     [GROUP_ECOMM], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": LIVE_GROUP},
     {"dataset_group.ml": (Action.REPLACE, Reason.CANNOT_UPDATE)}, {"dataset_group.ml": (("domain",), ("domain",))}),
    ("whole stack unchanged, server defaults not in the spec are ignored",
     ALL_SPECS, ALL_STATE, ALL_LIVE, {a: (Action.NOOP, Reason.NONE) for a in ALL_LIVE}, {}),
    ("campaign TPS change is an in-place update",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, with_params(CAMPAIGN, minProvisionedTPS=5)], ALL_STATE, ALL_LIVE,
     {"campaign.ml.main": (Action.UPDATE, Reason.CHANGED), "solution.ml.up": (Action.NOOP, Reason.NONE)},
     {"campaign.ml.main": (("minProvisionedTPS",), ())}),
    ("recipe change replaces the solution, retrains, and replaces the campaign AWS would not let go",
     [GROUP, IMPORT_SPEC, with_params(SOLUTION, recipeArn="arn:aws:personalize:::recipe/aws-similar-items"),
      VERSION, CAMPAIGN],
     ALL_STATE, ALL_LIVE,
     {"solution.ml.up": (Action.REPLACE, Reason.CANNOT_UPDATE),
      "solution_version.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
      "campaign.ml.main": (Action.REPLACE, Reason.DEPENDENCY_REPLACED)},
     {"solution.ml.up": (("recipeArn",), ("recipeArn",))}),
    ("a replaced dataset group cascades to everything in it",
     [GROUP_ECOMM, IMPORT_SPEC, SOLUTION, VERSION, CAMPAIGN], ALL_STATE, ALL_LIVE,
     {"dataset_group.ml": (Action.REPLACE, Reason.CANNOT_UPDATE),
      "solution.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
      "solution_version.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
      "campaign.ml.main": (Action.REPLACE, Reason.DEPENDENCY_REPLACED)}, {}),
    ("new data triggers retraining and the campaign follows the new version in place",
     ALL_SPECS, [*ALL_STATE[:3], recorded("solution_version.ml.up", SV, deps=["solution.ml.up"],
                                          triggers={str(Ref("dataset_import.ml.items")): "old-import"}),
                 ALL_STATE[4]], ALL_LIVE,
     {"solution_version.ml.up": (Action.REPLACE, Reason.TRIGGERED), "campaign.ml.main": (Action.UPDATE, Reason.CHANGED)},
     {"campaign.ml.main": (("solutionVersionArn",), ())}),
    ("resource removed from the spec is destroyed",
     [], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": LIVE_GROUP},
     {"dataset_group.ml": (Action.DELETE, Reason.REMOVED_FROM_SPEC)}, {}),
    ("Avro schema compared semantically: whitespace and key order are not changes",
     [ITEMS_SCHEMA], [recorded("schema.items", SCHEMA)], {"schema.items": LIVE_SCHEMA},
     {"schema.items": (Action.NOOP, Reason.NONE)}, {}),
    ("Items dataset schema swap is an in-place UpdateDataset",
     [GROUP, spec("schema.items2", {"name": "ml-items-v2", "schema": "{}"}),
      with_params(ITEMS_DATASET, schemaArn=Ref("schema.items2"))],
     [recorded("dataset_group.ml", DSG), recorded("schema.items2", SCHEMA + "-v2"),
      recorded("dataset.ml.items", ITEMS)],
     {"dataset_group.ml": LIVE_GROUP, "schema.items2": live(SCHEMA + "-v2", {"name": "ml-items-v2", "schema": "{}"}),
      "dataset.ml.items": LIVE_ITEMS},
     {"dataset.ml.items": (Action.UPDATE, Reason.CHANGED)}, {"dataset.ml.items": (("schemaArn",), ())}),
    ("Interactions dataset schema swap replaces",
     [GROUP, spec("schema.items2", {"name": "ml-items-v2", "schema": "{}"}),
      with_params(ITEMS_DATASET, schemaArn=Ref("schema.items2"), datasetType="Interactions")],
     [recorded("dataset_group.ml", DSG), recorded("schema.items2", SCHEMA + "-v2"),
      recorded("dataset.ml.items", ITEMS)],
     {"dataset_group.ml": LIVE_GROUP, "schema.items2": live(SCHEMA + "-v2", {"name": "ml-items-v2", "schema": "{}"}),
      "dataset.ml.items": live(ITEMS, {**LIVE_ITEMS.params, "datasetType": "Interactions"})},
     {"dataset.ml.items": (Action.REPLACE, Reason.CANNOT_UPDATE)}, {"dataset.ml.items": (("schemaArn",), ("schemaArn",))}),
    ("auto-training switch and schedule are UpdateSolution; HPO config replaces",
     [GROUP, with_params(SOLUTION, performAutoTraining=True,
                         solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}})],
     [ALL_STATE[0], ALL_STATE[2]], ALL_LIVE,
     {"solution.ml.up": (Action.UPDATE, Reason.CHANGED)},
     {"solution.ml.up": (("performAutoTraining", "solutionConfig.autoTrainingConfig.schedulingExpression"), ())}),
    ("HPO config change replaces the solution",
     [GROUP, with_params(SOLUTION, solutionConfig={"hpoConfig": {"hpoObjective": {"type": "Maximize"}}})],
     [ALL_STATE[0], ALL_STATE[2]], ALL_LIVE,
     {"solution.ml.up": (Action.REPLACE, Reason.CANNOT_UPDATE)},
     {"solution.ml.up": (("solutionConfig.hpoConfig.hpoObjective.type",),
                         ("solutionConfig.hpoConfig.hpoObjective.type",))}),
    ("ignore_changes hides a difference",
     [spec("campaign.ml.main", {**CAMPAIGN.params, "solutionVersionArn": SV, "minProvisionedTPS": 9},
           lifecycle=Lifecycle(ignore_changes=("minProvisionedTPS",)))],
     [ALL_STATE[4]], {"campaign.ml.main": LIVE_CAMPAIGN},
     {"campaign.ml.main": (Action.NOOP, Reason.NONE)}, {}),
    ("CREATE FAILED in AWS is replaced",
     [GROUP], [recorded("dataset_group.ml", DSG)],
     {"dataset_group.ml": Observed(arn=DSG, params={"name": "ml"}, status="CREATE FAILED", failure_reason="boom")},
     {"dataset_group.ml": (Action.REPLACE, Reason.FAILED_REMOTELY)}, {}),
    ("a failed trained version of a replaced solution still takes its campaign along (found by the "
     "step-graph property test: replaced for its failure, it did not cascade, and apply cycled)",
     [GROUP, IMPORT_SPEC, with_params(SOLUTION, recipeArn="arn:aws:personalize:::recipe/aws-similar-items"),
      VERSION, CAMPAIGN],
     ALL_STATE, {**ALL_LIVE, "solution_version.ml.up": live(SV, LIVE_VERSION.params, status="CREATE FAILED")},
     {"solution_version.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED),
      "campaign.ml.main": (Action.REPLACE, Reason.DEPENDENCY_REPLACED)}, {}),
    ("tag change is an update, never a replacement",
     [spec("dataset_group.ml", {"name": "ml"}, tags={"team": "recs"})],
     [recorded("dataset_group.ml", DSG, tags={"team": "old"})], {"dataset_group.ml": LIVE_GROUP},
     {"dataset_group.ml": (Action.UPDATE, Reason.CHANGED)}, {"dataset_group.ml": (("tags",), ())}),
]


@pytest.mark.parametrize("specs,states,observed,expected,paths", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff(specs, states, observed, expected, paths):
    changes = plan_for(specs, states, observed).by_address()
    for address, (action, reason) in expected.items():
        assert (changes[address].action, changes[address].reason) == (action, reason), address
    for address, (changed, replace) in paths.items():
        assert changes[address].changed_paths == changed
        assert changes[address].replace_paths == replace


def test_diff_pending_resource_is_a_noop_that_apply_waits_for():
    pending = Observed(arn=DSG, params={"name": "ml"}, status="CREATE IN_PROGRESS", outputs={"arn": DSG})
    change = plan_for([GROUP], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": pending}).by_address()[
        "dataset_group.ml"]
    assert change.action is Action.NOOP and change.pending


def test_diff_resource_found_by_name_but_never_managed_is_a_conflict_pointing_to_import():
    change = plan_for([GROUP], [], {"dataset_group.ml": LIVE_GROUP}).by_address()["dataset_group.ml"]
    assert change.conflict and change.reason is Reason.ALREADY_EXISTS
    assert change.detail == f"perso import dataset_group.ml {DSG}"


def test_diff_resource_created_by_an_interrupted_apply_is_adopted():
    journal = ResourceState(address="dataset_group.ml", type="dataset_group", name="ml", arn="", status="creating")
    change = plan_for([GROUP], [journal], {"dataset_group.ml": LIVE_GROUP}).by_address()["dataset_group.ml"]
    assert change.action is Action.NOOP and change.adopt and not change.conflict and change.arn == DSG


def test_diff_training_run_found_without_state_is_adopted_not_repeated():
    change = plan_for([GROUP, SOLUTION, VERSION], [], {"solution_version.ml.up": LIVE_VERSION}).by_address()[
        "solution_version.ml.up"]
    assert not change.conflict and change.adopt


def test_diff_destroy_deletes_everything_in_state():
    plan = plan_for(ALL_SPECS, ALL_STATE, ALL_LIVE, destroy=True)
    assert {c.address: (c.action, c.reason) for c in plan.changes} == {
        a: (Action.DELETE, Reason.DESTROY) for a in ALL_LIVE}


def test_diff_resource_already_gone_is_only_forgotten():
    change = plan_for([], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": None}).by_address()[
        "dataset_group.ml"]
    assert change.action is Action.DELETE and change.gone


def test_diff_prevent_destroy_blocks_a_replacement():
    protected = spec("dataset_group.ml", {"name": "ml", "domain": "ECOMMERCE"},
                     lifecycle=Lifecycle(prevent_destroy=True))
    with pytest.raises(PlanError, match="prevent_destroy"):
        plan_for([protected], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": LIVE_GROUP})


def test_diff_unknown_values_are_refs_in_the_plan():
    plan = plan_for([GROUP, SOLUTION], [], {})
    assert plan.by_address()["solution.ml.up"].after["datasetGroupArn"] == Ref("dataset_group.ml")


def test_diff_known_values_are_resolved_from_observed_outputs():
    plan = plan_for([GROUP, SOLUTION], [recorded("dataset_group.ml", DSG)], {"dataset_group.ml": LIVE_GROUP})
    assert plan.by_address()["solution.ml.up"].after["datasetGroupArn"] == DSG

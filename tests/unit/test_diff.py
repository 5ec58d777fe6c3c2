"""The differ, table-driven: (spec, state, observed) -> the changes a user would expect."""

from __future__ import annotations

from typing import Any

import pytest

from perso_iac.diff import make_plan
from perso_iac.errors import PlanError
from perso_iac.plan import Action, PlanOptions, Reason
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
    state = [recorded("dataset_group.ml", DSG), recorded("solution.ml.up", SOL)]
    live_now = {"dataset_group.ml": LIVE_GROUP, "solution.ml.up": LIVE_SOLUTION, "solution_version.ml.up": LIVE_VERSION}
    change = plan_for([GROUP, SOLUTION, VERSION], state, live_now).by_address()["solution_version.ml.up"]
    assert change.action is Action.NOOP and change.reason is Reason.ADOPTED and change.arn == SV
    assert not change.conflict and change.adopt and change.actionable


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


# -- create before destroy (issue 13) ---------------------------------------------------------------
# Each row: (id, specs, state, observed, {address: (action, reason, create_before_destroy, AWS name)}, options)

CBD = Lifecycle(create_before_destroy=True)
NO_CBD = Lifecycle(create_before_destroy=False)
TRACKER = f"{ACCT}:event-tracker/ml-web"
ITEMS_V1 = '{"fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true}],' \
           '"name":"Items","type":"record"}'


def named(address: str, arn: str, name: str, deps: list[str] | None = None, spec_name: str = "",
          triggers: dict | None = None) -> ResourceState:
    return ResourceState(address=address, type=address.split(".")[0], name=name, arn=arn, depends_on=deps or [],
                         spec_name=spec_name, triggers=triggers or {})


def relife(base: ResourceSpec, lifecycle: Lifecycle, **changes: Any) -> ResourceSpec:
    return spec(base.address, {**base.params, **changes}, tags=dict(base.tags), triggers=base.triggers,
                lifecycle=lifecycle)


STACK_STATE = [named("dataset_group.ml", DSG, "ml"), named("dataset_import.ml.items", IMPORT, "ml-items-import"),
               named("solution.ml.up", SOL, "ml-up", deps=["dataset_group.ml"]),
               named("solution_version.ml.up", SV, "ml-up", deps=["solution.ml.up"],
                     triggers={str(Ref("dataset_import.ml.items")): IMPORT}),
               named("campaign.ml.main", CAMP, "ml-main", deps=["solution_version.ml.up"])]
HPO = {"hpoConfig": {"hpoObjective": {"type": "Maximize"}}}
SUFFIXED_SOL = "ml-up-" + __import__("hashlib").sha256(b"solution.ml.up").hexdigest()[:6]
SUFFIXED_CAMP = "ml-main-" + __import__("hashlib").sha256(b"campaign.ml.main").hexdigest()[:6]
TRACKER_SPEC = spec("event_tracker.ml.web", {"name": "ml-web", "datasetGroupArn": Ref("dataset_group.ml")})
LIVE_TRACKER = live(TRACKER, {"name": "ml-web", "datasetGroupArn": DSG}, trackingId="t-1")
ITEMS_SCHEMA_V1 = spec("schema.items", {"name": "ml-items", "schema": ITEMS_V1})
LIVE_SCHEMA_V1 = live(SCHEMA, {"name": "ml-items", "schema": ITEMS_V1}, status=None)
SCHEMA_STATE = [named("dataset_group.ml", DSG, "ml"), named("schema.items", SCHEMA, "ml-items"),
                named("dataset.ml.items", ITEMS, "ml-items", deps=["schema.items", "dataset_group.ml"])]
SCHEMA_LIVE = {"dataset_group.ml": LIVE_GROUP, "schema.items": LIVE_SCHEMA_V1, "dataset.ml.items": LIVE_ITEMS}


def items_schema(*extra: str, drop_genre: bool = False) -> ResourceSpec:
    fields = ['{"name":"ITEM_ID","type":"string"}']
    if not drop_genre:
        fields.append('{"name":"GENRE","type":"string","categorical":true}')
    text = '{"fields":[' + ",".join([*fields, *extra]) + '],"name":"Items","type":"record"}'
    return spec("schema.items", {"name": "ml-items", "schema": text})


CBD_CASES = [
    ("solution hyperparameters with create_before_destroy: +/- under a suffixed name, retrain, campaign updated",
     [GROUP, IMPORT_SPEC, relife(SOLUTION, CBD, solutionConfig=HPO), VERSION, CAMPAIGN], STACK_STATE, ALL_LIVE,
     {"solution.ml.up": (Action.REPLACE, Reason.CANNOT_UPDATE, True, SUFFIXED_SOL),
      "solution_version.ml.up": (Action.REPLACE, Reason.CANNOT_UPDATE, False, None),
      "campaign.ml.main": (Action.UPDATE, Reason.CHANGED, False, "ml-main")}, ()),
    ("the same change without it deletes first and takes the campaign down",
     [GROUP, IMPORT_SPEC, with_params(SOLUTION, solutionConfig=HPO), VERSION, CAMPAIGN], STACK_STATE, ALL_LIVE,
     {"solution.ml.up": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-up"),
      "campaign.ml.main": (Action.REPLACE, Reason.DEPENDENCY_REPLACED, False, "ml-main")}, ()),
    ("a rename whose names do not clash creates the new one first, under the new name",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, with_params(CAMPAIGN, name="ml-home")], STACK_STATE, ALL_LIVE,
     {"campaign.ml.main": (Action.REPLACE, Reason.CANNOT_UPDATE, True, "ml-home")}, ()),
    ("a rename onto a name another resource holds deletes first",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, with_params(CAMPAIGN, name="ml-old")],
     [*STACK_STATE, named("campaign.ml.old", CAMP + "-old", "ml-old", deps=["solution_version.ml.up"])],
     {**ALL_LIVE, "campaign.ml.old": live(CAMP + "-old", {"name": "ml-old"})},
     {"campaign.ml.main": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-old")}, ()),
    ("create_before_destroy: false keeps a rename delete-first",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, NO_CBD, name="ml-home")], STACK_STATE, ALL_LIVE,
     {"campaign.ml.main": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-home")}, ()),
    ("a --replace of a create_before_destroy campaign keeps its name with a suffix",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, CBD)], STACK_STATE, ALL_LIVE,
     {"campaign.ml.main": (Action.REPLACE, Reason.REQUESTED, True, SUFFIXED_CAMP)}, ("campaign.ml.main",)),
    ("a dependency deleted first (the dataset group) makes its create_before_destroy solution delete-first too",
     [GROUP_ECOMM, IMPORT_SPEC, relife(SOLUTION, CBD), VERSION, CAMPAIGN], STACK_STATE, ALL_LIVE,
     {"solution.ml.up": (Action.REPLACE, Reason.DEPENDENCY_REPLACED, False, "ml-up")}, ()),
    ("an event tracker rename deletes first: AWS allows one per dataset group",
     [GROUP, with_params(TRACKER_SPEC, name="ml-app")],
     [named("dataset_group.ml", DSG, "ml"), named("event_tracker.ml.web", TRACKER, "ml-web", deps=["dataset_group.ml"])],
     {"dataset_group.ml": LIVE_GROUP, "event_tracker.ml.web": LIVE_TRACKER},
     {"event_tracker.ml.web": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-app")}, ()),
    ("a failed campaign is replaced delete-first even with create_before_destroy",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, CBD)], STACK_STATE,
     {**ALL_LIVE, "campaign.ml.main": live(CAMP, LIVE_CAMPAIGN.params, status="CREATE FAILED")},
     {"campaign.ml.main": (Action.REPLACE, Reason.FAILED_REMOTELY, False, "ml-main")}, ()),
    ("a suffixed AWS name recorded with its spec name is kept: no perpetual diff",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, CBD)],
     [*STACK_STATE[:4], named("campaign.ml.main", CAMP, SUFFIXED_CAMP, deps=["solution_version.ml.up"],
                              spec_name="ml-main")],
     {**ALL_LIVE, "campaign.ml.main": live(CAMP, {**LIVE_CAMPAIGN.params, "name": SUFFIXED_CAMP})},
     {"campaign.ml.main": (Action.NOOP, Reason.NONE, False, SUFFIXED_CAMP)}, ()),
    ("the next create-before-destroy goes back to the plain name, free again",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, CBD)],
     [*STACK_STATE[:4], named("campaign.ml.main", CAMP, SUFFIXED_CAMP, deps=["solution_version.ml.up"],
                              spec_name="ml-main")],
     {**ALL_LIVE, "campaign.ml.main": live(CAMP, {**LIVE_CAMPAIGN.params, "name": SUFFIXED_CAMP})},
     {"campaign.ml.main": (Action.REPLACE, Reason.REQUESTED, True, "ml-main")}, ("campaign.ml.main",)),
    ("a killed create-before-destroy: the old one (deposed) is deleted, the new one created under the suffix",
     [GROUP, IMPORT_SPEC, SOLUTION, VERSION, relife(CAMPAIGN, CBD)],
     [*STACK_STATE[:4], named("campaign.ml.main~deposed", CAMP, "ml-main", deps=["solution_version.ml.up"])],
     {**ALL_LIVE, "campaign.ml.main": None, "campaign.ml.main~deposed": LIVE_CAMPAIGN},
     {"campaign.ml.main": (Action.CREATE, Reason.NEW, False, SUFFIXED_CAMP),
      "campaign.ml.main~deposed": (Action.DELETE, Reason.DEPOSED, False, "ml-main")}, ()),
    ("a filter expression change with create_before_destroy: the new filter first, under a suffixed name",
     [GROUP, spec("filter.ml.seen", {"name": "ml-seen", "datasetGroupArn": Ref("dataset_group.ml"),
                                     "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("buy")'},
                  lifecycle=CBD)],
     [named("dataset_group.ml", DSG, "ml"), named("filter.ml.seen", f"{ACCT}:filter/ml-seen", "ml-seen",
                                                  deps=["dataset_group.ml"])],
     {"dataset_group.ml": LIVE_GROUP,
      "filter.ml.seen": live(f"{ACCT}:filter/ml-seen", {"name": "ml-seen", "datasetGroupArn": DSG,
                                                         "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'})},
     {"filter.ml.seen": (Action.REPLACE, Reason.CANNOT_UPDATE, True,
                         "ml-seen-" + __import__("hashlib").sha256(b"filter.ml.seen").hexdigest()[:6])}, ()),
    ("an additive Items schema: a new schema first (+/-), the dataset moved to it in place (UpdateDataset)",
     [GROUP, items_schema('{"name":"COLOR","type":["null","string"],"categorical":true}'), ITEMS_DATASET],
     SCHEMA_STATE, SCHEMA_LIVE,
     {"schema.items": (Action.REPLACE, Reason.CANNOT_UPDATE, True, "ml-items-"
                       + __import__("hashlib").sha256(b"schema.items").hexdigest()[:6]),
      "dataset.ml.items": (Action.UPDATE, Reason.CHANGED, False, "ml-items")}, ()),
    ("a schema that drops a field replaces the Items dataset, and the plan says which schema would not",
     [GROUP, items_schema(drop_genre=True), ITEMS_DATASET], SCHEMA_STATE, SCHEMA_LIVE,
     {"dataset.ml.items": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-items")}, ()),
    ("a new field that is not nullable replaces the Items dataset too",
     [GROUP, items_schema('{"name":"COLOR","type":"string","categorical":true}'), ITEMS_DATASET],
     SCHEMA_STATE, SCHEMA_LIVE,
     {"dataset.ml.items": (Action.REPLACE, Reason.CANNOT_UPDATE, False, "ml-items")}, ()),
]


@pytest.mark.parametrize("specs,states,observed,expected,replace", [c[1:] for c in CBD_CASES],
                         ids=[c[0] for c in CBD_CASES])
def test_diff_create_before_destroy(specs, states, observed, expected, replace):
    state = StateFile(stack="test", serial=3, resources={r.address: r for r in states})
    plan = make_plan({s.address: s for s in specs}, state, observed, REGISTRY, options=PlanOptions(replace=replace))
    changes = plan.by_address()
    for address, (action, reason, cbd, name) in expected.items():
        got = changes[address]
        assert (got.action, got.reason, got.create_before_destroy) == (action, reason, cbd), address
        if name is not None:
            assert got.name == name, address
        if cbd:
            assert got.symbol == "+/-" and got.terraform_actions == ["create", "delete"]
            assert got.spec_name == ("" if name == specs_by(specs)[address].name else specs_by(specs)[address].name)


def specs_by(specs: list[ResourceSpec]) -> dict[str, ResourceSpec]:
    return {s.address: s for s in specs}


def test_diff_points_to_the_in_place_route_when_a_schema_change_is_not_additive():
    plan = make_plan(specs_by([GROUP, items_schema(drop_genre=True), ITEMS_DATASET]),
                     StateFile(stack="test", serial=3, resources={r.address: r for r in SCHEMA_STATE}),
                     SCHEMA_LIVE, REGISTRY)
    text = " ".join(plan.warnings)
    assert "field GENRE is removed" in text and "UpdateDataset" in text and "nullable" in text
    assert plan.by_address()["dataset.ml.items"].detail.startswith("schema.items is not additive")


def test_diff_suggests_create_before_destroy_where_a_replacement_takes_a_campaign_down():
    plan = plan_for([GROUP, IMPORT_SPEC, with_params(SOLUTION, solutionConfig=HPO), VERSION, CAMPAIGN],
                    STACK_STATE, ALL_LIVE)
    assert any("solution.ml.up is deleted before its replacement is ready, taking campaign.ml.main down" in w
               and "create_before_destroy: true" in w for w in plan.warnings)


def test_targeting_a_create_before_destroy_solution_takes_the_campaign_that_moves_to_it():
    state = StateFile(stack="test", serial=3, resources={r.address: r for r in STACK_STATE})
    plan = make_plan(specs_by([GROUP, IMPORT_SPEC, relife(SOLUTION, CBD, solutionConfig=HPO), VERSION, CAMPAIGN]),
                     state, ALL_LIVE, REGISTRY, options=PlanOptions(targets=("solution.ml.up",)))
    assert {"solution.ml.up", "solution_version.ml.up", "campaign.ml.main"} <= set(plan.by_address())

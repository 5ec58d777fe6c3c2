"""The adapter contract, run for every type in REGISTRY against the emulator over HTTP.

For each type: build its parents through the adapters themselves, then create -> wait until
READY -> normalize(read) matches normalize(desired) over the desired keys -> update in place
(where the type can) -> a non-updatable change is reported as such -> tags -> find by name ->
delete -> gone. With time_scale=0 every Describe advances a lifecycle by one phase, so waiting
is a handful of reads and no sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from perso_iac.aws import error_code
from perso_iac.diff import differing_paths
from perso_iac.errors import PersoError
from perso_iac.resources.base import Observed, Phase, ResourceType
from perso_iac.resources.registry import REGISTRY

MAX_READS = 60
ROLE = "arn:aws:iam::123456789012:role/PersonalizeS3"
RECIPE = "arn:aws:personalize:::recipe/"


def avro(name: str, fields: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "version": "1.0", "fields": fields})


INTERACTIONS = avro("Interactions", [
    {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"},
    {"name": "EVENT_VALUE", "type": ["null", "float"]},
])
ITEMS_V1 = avro("Items", [{"name": "ITEM_ID", "type": "string"},
                          {"name": "CATEGORY", "type": "string", "categorical": True}])
ITEMS_V2 = avro("Items", [{"name": "ITEM_ID", "type": "string"},
                          {"name": "CATEGORY", "type": "string", "categorical": True},
                          {"name": "PRICE", "type": ["null", "float"]}])
ITEMS_BROKEN = avro("Items", [{"name": "ITEM_ID", "type": "string"},
                              {"name": "CATEGORY", "type": "int"}])


# -- driving adapters the way the applier does ----------------------------------------------------

def wait_ready(adapter: ResourceType, client: Any, arn: str) -> Observed:
    for _ in range(MAX_READS):
        observed = adapter.read(client, arn)
        assert observed is not None, f"{adapter.type_name} {arn} vanished while waiting"
        assert observed.phase is not Phase.FAILED, f"{arn}: {observed.status}: {observed.failure_reason}"
        if observed.phase is Phase.READY:
            return observed
    raise AssertionError(f"{adapter.type_name} {arn} did not become ready: {observed.status}")


def settle(adapter: ResourceType, client: Any, arn: str, desired: Mapping[str, Any]) -> Observed:
    """Wait until READY, then let the adapter start what only a settled resource allows."""
    observed = wait_ready(adapter, client, arn)
    for _ in range(5):
        if not adapter.converge(client, arn, desired, observed):
            return observed
        observed = wait_ready(adapter, client, arn)
    raise AssertionError(f"{arn} keeps converging")


def create(adapter: ResourceType, client: Any, params: Mapping[str, Any],
           tags: Mapping[str, str] | None = None) -> tuple[str, Observed]:
    """Create from spec-shaped params: `name` is the AWS name, or an intent's job-name prefix
    (which is not a parameter of the job itself)."""
    desired = adapter.normalize(params)
    name = desired.pop("name") if adapter.is_intent else desired["name"]
    arn = adapter.create(client, name, desired, tags or {})
    return arn, settle(adapter, client, arn, desired)


def delete(adapter: ResourceType, client: Any, arn: str) -> None:
    """Delete, retrying while AWS says the resource is in use (as the applier does), until gone."""
    for _ in range(MAX_READS):
        try:
            adapter.delete(client, arn)
            break
        except ClientError as exc:
            assert error_code(exc) == "ResourceInUseException", exc
            adapter.read(client, arn)  # let whatever blocks the delete settle
    else:
        raise AssertionError(f"{arn} could not be deleted")
    if adapter.is_intent:
        return
    for _ in range(MAX_READS):
        if adapter.read(client, arn) is None:
            return
    raise AssertionError(f"{arn} was not deleted")


def mismatches(adapter: ResourceType, desired: Mapping[str, Any], observed: Observed) -> list[str]:
    want = adapter.normalize({k: v for k, v in desired.items() if not (adapter.is_intent and k == "name")})
    have = adapter.align_observed(adapter.normalize(observed.params), want)
    return differing_paths(want, have)


# -- building parents through the adapters --------------------------------------------------------

@dataclass
class Parents:
    client: Any
    made: dict[str, str] = field(default_factory=dict)

    def _make(self, key: str, type_name: str, params: dict[str, Any]) -> str:
        if key not in self.made:
            self.made[key] = create(REGISTRY[type_name], self.client, params)[0]
        return self.made[key]

    def schema(self, name: str, text: str, domain: str | None = None) -> str:
        params = {"name": name, "schema": text, **({"domain": domain} if domain else {})}
        return self._make(f"schema:{name}", "schema", params)

    def group(self, name: str = "grp", domain: str | None = None) -> str:
        return self._make(f"group:{name}", "dataset_group",
                          {"name": name, **({"domain": domain} if domain else {})})

    def dataset(self, kind: str = "Interactions", group: str = "grp", domain: str | None = None) -> str:
        text = INTERACTIONS if kind == "Interactions" else ITEMS_V1
        schema = self.schema(f"{group}-{kind.lower()}", text, domain)
        return self._make(f"dataset:{group}:{kind}", "dataset", {
            "name": f"{group}-{kind.lower()}", "datasetType": kind, "schemaArn": schema,
            "datasetGroupArn": self.group(group, domain)})

    def data(self, group: str = "grp") -> str:
        return self._make(f"import:{group}", "dataset_import", {
            "name": f"{group}-import", "datasetArn": self.dataset("Interactions", group),
            "dataSource": {"dataLocation": f"s3://bucket/{group}/interactions.csv"}, "roleArn": ROLE})

    def solution(self, group: str = "grp") -> str:
        self.data(group)
        return self._make(f"solution:{group}", "solution", {
            "name": f"{group}-up", "datasetGroupArn": self.group(group),
            "recipeArn": RECIPE + "aws-user-personalization-v2", "performAutoTraining": False})

    def version(self, group: str = "grp") -> str:
        return self._make(f"version:{group}", "solution_version",
                          {"name": f"{group}-train", "solutionArn": self.solution(group), "trainingMode": "FULL"})


# -- one case per type ----------------------------------------------------------------------------

@dataclass
class Case:
    params: dict[str, Any]                        # desired, including `name`
    update: dict[str, Any] | None = None          # top-level params changed in place
    immutable: dict[str, Any] = field(default_factory=dict)  # dotted path -> a new value that forces replacement
    outputs: tuple[str, ...] = ()                 # output keys besides "arn"


def case_schema(p: Parents) -> Case:
    return Case({"name": "items-schema", "schema": ITEMS_V1}, immutable={"schema": ITEMS_V2})


def case_dataset_group(p: Parents) -> Case:
    return Case({"name": "grp"}, immutable={"domain": "ECOMMERCE", "kmsKeyArn": "arn:aws:kms:us-east-1:1:key/x"})


def case_dataset(p: Parents) -> Case:
    v1, v2 = p.schema("items-v1", ITEMS_V1), p.schema("items-v2", ITEMS_V2)
    return Case({"name": "items", "datasetType": "Items", "schemaArn": v1, "datasetGroupArn": p.group()},
                update={"schemaArn": v2}, immutable={"datasetType": "Users", "datasetGroupArn": "x"})


def case_dataset_import(p: Parents) -> Case:
    return Case({"name": "load", "datasetArn": p.dataset("Interactions"),
                 "dataSource": {"dataLocation": "s3://bucket/interactions.csv"}, "roleArn": ROLE},
                immutable={"dataSource.dataLocation": "s3://bucket/other.csv", "importMode": "INCREMENTAL"},
                outputs=("jobName",))


def case_solution(p: Parents) -> Case:
    return Case({"name": "up", "datasetGroupArn": p.group(), "recipeArn": RECIPE + "aws-user-personalization-v2",
                 "performAutoTraining": False},
                update={"performAutoTraining": True,
                        "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}}},
                immutable={"recipeArn": RECIPE + "aws-sims", "performHPO": True,
                           "solutionConfig.eventValueThreshold": "0.5"})


def case_solution_version(p: Parents) -> Case:
    return Case({"name": "train", "solutionArn": p.solution(), "trainingMode": "FULL"},
                immutable={"trainingMode": "UPDATE"}, outputs=("trainingHours",))


def case_campaign(p: Parents) -> Case:
    solution = p.solution()
    return Case({"name": "main", "solutionVersionArn": p.version(), "minProvisionedTPS": 1},
                update={"minProvisionedTPS": 2, "solutionVersionArn": f"{solution}/$LATEST",
                        "campaignConfig": {"syncWithLatestSolutionVersion": True}},
                immutable={"name": "other"})


def case_event_tracker(p: Parents) -> Case:
    p.dataset("Interactions")
    return Case({"name": "tracker", "datasetGroupArn": p.group()},
                immutable={"datasetGroupArn": "x", "name": "other"}, outputs=("trackingId",))


def case_filter(p: Parents) -> Case:
    p.dataset("Interactions")
    return Case({"name": "no-purchased", "datasetGroupArn": p.group(),
                 "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'},
                immutable={"filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("view")'})


def case_recommender(p: Parents) -> Case:
    group = p.group("shop", "ECOMMERCE")
    return Case({"name": "for-you", "datasetGroupArn": group, "recipeArn": RECIPE + "aws-ecomm-recommended-for-you",
                 "recommenderConfig": {"minRecommendationRequestsPerSecond": 1}, "state": "ACTIVE"},
                update={"recommenderConfig": {"minRecommendationRequestsPerSecond": 3}},
                immutable={"recipeArn": RECIPE + "aws-ecomm-popular-items-by-views", "datasetGroupArn": "x"})


def case_metric_attribution(p: Parents) -> Case:
    p.dataset("Interactions")
    return Case({"name": "revenue", "datasetGroupArn": p.group(),
                 "metrics": [{"eventType": "purchase", "metricName": "revenue",
                              "expression": "SUM(Interactions.EVENT_VALUE)"},
                             {"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"}],
                 "metricsOutputConfig": {"roleArn": ROLE, "s3DataDestination": {"path": "s3://bucket/metrics/"}}},
                update={"metrics": [{"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"},
                                    {"eventType": "view", "metricName": "views", "expression": "SAMPLECOUNT()"}],
                        "metricsOutputConfig": {"roleArn": ROLE,
                                                "s3DataDestination": {"path": "s3://bucket/metrics-v2/"}}},
                immutable={"datasetGroupArn": "x", "name": "other"})


CASES: dict[str, Callable[[Parents], Case]] = {
    "schema": case_schema,
    "dataset_group": case_dataset_group,
    "dataset": case_dataset,
    "dataset_import": case_dataset_import,
    "solution": case_solution,
    "solution_version": case_solution_version,
    "campaign": case_campaign,
    "event_tracker": case_event_tracker,
    "filter": case_filter,
    "recommender": case_recommender,
    "metric_attribution": case_metric_attribution,
}


def test_every_registered_type_has_a_contract_case():
    assert set(CASES) == set(REGISTRY)


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_adapter_contract(type_name, personalize):
    adapter = REGISTRY[type_name]
    case = CASES[type_name](Parents(personalize))
    desired = adapter.normalize(case.params)

    # create -> READY -> what AWS reports is what was asked for
    arn, observed = create(adapter, personalize, case.params)
    assert observed.arn == arn
    assert mismatches(adapter, desired, observed) == []
    assert observed.outputs["arn"] == arn
    for key in case.outputs:
        assert observed.outputs.get(key), f"output {key} missing from {observed.outputs}"
    # a fresh read is stable, and find() locates the resource by name under its parent
    assert mismatches(adapter, desired, adapter.read(personalize, arn)) == []
    assert adapter.find(personalize, desired["name"], desired) == arn
    if not adapter.is_intent:  # a training run is found as its solution's latest version, whatever its name
        assert adapter.find(personalize, "no-such-name", desired) is None

    # changes that no Update API can make force a replacement
    for path in case.immutable:
        assert not adapter.can_update(path, desired), f"{type_name}.{path} should force a replacement"
    if case.update is None:
        assert adapter.updatable == frozenset()
    else:
        after = adapter.normalize({**desired, **case.update})
        before = adapter.align_observed(observed.params, after)
        paths = differing_paths(after, before)
        assert paths, "the update case changes nothing"
        assert all(adapter.can_update(p, after) for p in paths), paths
        adapter.update(personalize, arn, before, after)
        updated = settle(adapter, personalize, arn, after)
        assert updated.arn == arn
        assert mismatches(adapter, after, updated) == []
        desired = after

    # tags change in place, never by replacement
    if adapter.taggable:
        adapter.update_tags(personalize, arn, {}, {"team": "recs", "env": "test"})
        assert adapter.read_tags(personalize, arn) == {"team": "recs", "env": "test"}
        adapter.update_tags(personalize, arn, {"team": "recs", "env": "test"}, {"team": "search"})
        assert adapter.read_tags(personalize, arn) == {"team": "search"}
        assert adapter.read(personalize, arn).arn == arn

    # delete -> gone (intents have no delete API: deleting one only forgets it)
    delete(adapter, personalize, arn)
    if adapter.is_intent:
        assert adapter.read(personalize, arn) is not None
    else:
        assert adapter.read(personalize, arn) is None
        assert adapter.find(personalize, desired["name"], desired) is None


def test_contract_catches_a_wrong_read(personalize):
    """The comparison the suite relies on does fail when AWS disagrees with the spec."""
    adapter = REGISTRY["filter"]
    case = case_filter(Parents(personalize))
    arn, observed = create(adapter, personalize, case.params)
    wrong = {**case.params, "filterExpression": 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("x")'}
    assert mismatches(adapter, wrong, observed) == ["filterExpression"]


# -- behaviours specific to one type ----------------------------------------------------------------

def test_filter_expression_whitespace_is_not_a_change(personalize):
    adapter = REGISTRY["filter"]
    case = case_filter(Parents(personalize))
    arn, observed = create(adapter, personalize, case.params)
    folded = {**case.params, "filterExpression":
              '  EXCLUDE ItemID\n  WHERE Interactions.EVENT_TYPE\n     IN ("purchase")\n'}
    assert mismatches(adapter, folded, observed) == []
    quoted = {**case.params, "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("pur  chase")'}
    assert mismatches(adapter, quoted, observed) == ["filterExpression"]


def test_metric_order_is_not_a_change(personalize):
    adapter = REGISTRY["metric_attribution"]
    case = case_metric_attribution(Parents(personalize))
    arn, observed = create(adapter, personalize, case.params)
    reordered = {**case.params, "metrics": list(reversed(case.params["metrics"]))}
    assert mismatches(adapter, reordered, observed) == []


def test_metric_attribution_changed_metric_is_removed_and_added(personalize):
    adapter = REGISTRY["metric_attribution"]
    case = case_metric_attribution(Parents(personalize))
    arn, observed = create(adapter, personalize, case.params)
    after = adapter.normalize({**case.params, "metrics": [
        {"eventType": "purchase", "metricName": "revenue", "expression": "SUM(Interactions.EVENT_VALUE)"},
        {"eventType": "tap", "metricName": "clicks", "expression": "SAMPLECOUNT()"}]})
    adapter.update(personalize, arn, observed.params, after)
    assert mismatches(adapter, after, settle(adapter, personalize, arn, after)) == []


def test_recommender_created_inactive_is_stopped_once_active(personalize):
    adapter = REGISTRY["recommender"]
    case = case_recommender(Parents(personalize))
    params = {**case.params, "state": "INACTIVE"}
    arn, observed = create(adapter, personalize, params)
    assert observed.status == "INACTIVE"
    assert mismatches(adapter, params, observed) == []
    # the whole config goes to UpdateRecommender, which AWS accepts only on an ACTIVE recommender:
    # start, update, stop again
    after = adapter.normalize({**params, "recommenderConfig": {"minRecommendationRequestsPerSecond": 4}})
    adapter.update(personalize, arn, observed.params, after)
    observed = settle(adapter, personalize, arn, after)
    assert observed.status == "INACTIVE"
    assert mismatches(adapter, after, observed) == []
    # and back to ACTIVE through update()
    active = {**after, "state": "ACTIVE"}
    adapter.update(personalize, arn, observed.params, active)
    observed = settle(adapter, personalize, arn, active)
    assert observed.status == "ACTIVE"
    assert mismatches(adapter, active, observed) == []


def test_recommender_state_and_create_params(personalize):
    adapter = REGISTRY["recommender"]
    assert adapter.can_update("state", {}) and adapter.can_update("recommenderConfig.minRecommendationRequestsPerSecond", {})
    assert adapter.normalize({"state": "inactive"})["state"] == "INACTIVE"


def test_campaign_following_latest_stays_in_sync_after_retraining(personalize):
    p = Parents(personalize)
    solution = p.solution()
    p.version()
    adapter = REGISTRY["campaign"]
    params = {"name": "follow", "solutionVersionArn": f"{solution}/$LATEST", "minProvisionedTPS": 1,
              "campaignConfig": {"syncWithLatestSolutionVersion": True}}
    arn, observed = create(adapter, personalize, params)
    assert mismatches(adapter, params, observed) == []
    first = observed.params["solutionVersionArn"]
    # a new training run: the campaign moves to it by itself and still matches the spec
    version_arn, _ = create(REGISTRY["solution_version"], personalize,
                            {"name": "again", "solutionArn": solution, "trainingMode": "FULL"})
    observed = wait_ready(adapter, personalize, arn)
    assert observed.params["solutionVersionArn"] == version_arn != first
    assert mismatches(adapter, params, observed) == []
    # without sync, a campaign pinned to another solution's versions is a real difference
    assert mismatches(adapter, {**params, "solutionVersionArn": "arn:aws:personalize:us-east-1:1:solution/x/$LATEST"},
                      observed) == ["solutionVersionArn"]


def record_calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the client makes from now on."""
    calls: list[dict[str, Any]] = []
    client.meta.events.register(f"provide-client-params.personalize.{operation}",
                                lambda params, **_: calls.append(dict(params)))
    return calls


def test_solution_delete_stops_training_versions_first(personalize):
    p = Parents(personalize)
    solution = p.solution()
    versions = REGISTRY["solution_version"]
    training = versions.create(personalize, "t", {"solutionArn": solution, "trainingMode": "FULL"}, {})
    assert versions.read(personalize, training).phase is Phase.PENDING
    stops = record_calls(personalize, "StopSolutionVersionCreation")
    delete(REGISTRY["solution"], personalize, solution)
    assert stops == [{"solutionVersionArn": training}]
    assert REGISTRY["solution"].read(personalize, solution) is None


def test_solution_delete_stops_only_its_own_versions(personalize):
    p = Parents(personalize)
    solution = p.solution()
    p.version()  # an ACTIVE version of the deleted solution: nothing to stop
    other, _ = create(REGISTRY["solution"], personalize, {
        "name": "other", "datasetGroupArn": p.group(), "recipeArn": RECIPE + "aws-sims", "performAutoTraining": False})
    versions = REGISTRY["solution_version"]
    kept = versions.create(personalize, "t", {"solutionArn": other, "trainingMode": "FULL"}, {})
    stops = record_calls(personalize, "StopSolutionVersionCreation")
    delete(REGISTRY["solution"], personalize, solution)
    assert stops == []
    assert wait_ready(versions, personalize, kept).status == "ACTIVE"


def test_dataset_schema_change_on_interactions_forces_replacement():
    adapter = REGISTRY["dataset"]
    assert not adapter.can_update("schemaArn", {"datasetType": "Interactions"})
    assert adapter.can_update("schemaArn", {"datasetType": "items"})
    assert adapter.can_update("schemaArn", {"datasetType": "Users"})


def test_dataset_schema_update_that_is_not_additive_is_refused_clearly(personalize):
    p = Parents(personalize)
    adapter = REGISTRY["dataset"]
    v1, broken = p.schema("items-v1", ITEMS_V1), p.schema("items-broken", ITEMS_BROKEN)
    params = {"name": "items", "datasetType": "Items", "schemaArn": v1, "datasetGroupArn": p.group()}
    arn, observed = create(adapter, personalize, params)
    with pytest.raises(PersoError) as exc:
        adapter.update(personalize, arn, observed.params, {**params, "schemaArn": broken})
    assert "CATEGORY" in exc.value.message
    assert exc.value.hint


def test_event_tracker_tracking_id_is_an_output(personalize):
    adapter = REGISTRY["event_tracker"]
    case = case_event_tracker(Parents(personalize))
    arn, observed = create(adapter, personalize, case.params)
    described = personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
    assert observed.outputs["trackingId"] == described["trackingId"]


ACTIONS = avro("Actions", [{"name": "ACTION_ID", "type": "string"},
                           {"name": "CHANNEL", "type": "string", "categorical": True}])
ACTION_INTERACTIONS = avro("ActionInteractions", [
    {"name": "USER_ID", "type": "string"}, {"name": "ACTION_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}])


@pytest.mark.parametrize("kind, text", [("Actions", ACTIONS), ("Action_Interactions", ACTION_INTERACTIONS),
                                        ("action_interactions", ACTION_INTERACTIONS)])
def test_action_datasets_round_trip(kind, text, personalize):
    p = Parents(personalize)
    adapter = REGISTRY["dataset"]
    params = {"name": "acts", "datasetType": kind, "schemaArn": p.schema("acts", text),
              "datasetGroupArn": p.group()}
    arn, observed = create(adapter, personalize, params)
    assert mismatches(adapter, params, observed) == []
    assert not adapter.can_update("schemaArn", adapter.normalize(params))
    delete(adapter, personalize, arn)

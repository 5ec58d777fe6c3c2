"""Lifecycles: observable pending statuses at time_scale=0, clock-driven ones with a VirtualClock,
updates that keep the old config until ACTIVE, $LATEST sync, training failures, stop/start."""

from __future__ import annotations

import pytest
from emulator_helpers import (
    INTERACTIONS_EVENTS,
    UP_RECIPE,
    create_campaign,
    create_dataset,
    create_group,
    create_solution,
    full_chain,
    import_data,
    train,
    wait,
    wait_gone,
    wait_update,
)
from shape_checked import checked_client

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock


def test_time_scale_zero_shows_each_pending_status_once(client):
    arn = client.create_dataset_group(name="g")["datasetGroupArn"]
    assert wait(client.describe_dataset_group, "datasetGroup", datasetGroupArn=arn)[1] == [
        "CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    client.delete_dataset_group(datasetGroupArn=arn)
    assert wait_gone(client.describe_dataset_group, datasetGroupArn=arn) == ["DELETE PENDING"]


def test_list_calls_also_observe_the_lifecycle(client):
    client.create_dataset_group(name="g")
    statuses = [client.list_dataset_groups()["datasetGroups"][0]["status"] for _ in range(3)]
    assert statuses == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]


@pytest.fixture
def timed():
    clock = VirtualClock(start=1_700_000_000)
    server = EmulatorServer(EmulatorConfig(time_scale=1.0, clock=clock), port=0).start()
    try:
        yield server, checked_client(server.endpoint_url)
    finally:
        server.stop()


def test_virtual_clock_drives_realistic_durations(timed):
    server, c = timed
    assert server.clock is server.backend.clock
    arn = c.create_dataset_group(name="g")["datasetGroupArn"]
    for _ in range(3):  # observing alone does not move a clock-driven lifecycle
        assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "CREATE PENDING"
    server.clock.advance(10)
    assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "CREATE IN_PROGRESS"
    server.clock.advance(50)
    group = c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert group["status"] == "ACTIVE"
    assert group["lastUpdatedDateTime"].timestamp() == pytest.approx(1_700_000_060)


def test_training_takes_much_longer_than_a_dataset_group(timed):
    server, c = timed
    group = c.create_dataset_group(name="g")["datasetGroupArn"]
    server.clock.advance(60)
    schema = c.create_schema(name="s", schema=INTERACTIONS_EVENTS)["schemaArn"]
    ds = c.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
    server.clock.advance(60)
    job = c.create_dataset_import_job(jobName="j", datasetArn=ds, dataSource={"dataLocation": "s3://b/k"})[
        "datasetImportJobArn"]
    server.clock.advance(799)  # real imports took 778-795 s (tests/unit/test_durations.py)
    assert c.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "CREATE IN_PROGRESS"
    server.clock.advance(1)
    assert c.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "ACTIVE"
    sol = c.create_solution(name="s", datasetGroupArn=group, recipeArn=UP_RECIPE)["solutionArn"]
    server.clock.advance(60)
    ver = c.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    server.clock.advance(2399)  # real trainings took 20-44 min
    assert c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]["status"] == "CREATE IN_PROGRESS"
    server.clock.advance(1)
    version = c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]
    assert version["status"] == "ACTIVE" and version["trainingHours"] > 0


def test_time_scale_multiplies_durations():
    clock = VirtualClock(start=0)
    with EmulatorServer(EmulatorConfig(time_scale=0.001, clock=clock)) as server:
        c = checked_client(server.endpoint_url)
        arn = c.create_dataset_group(name="g")["datasetGroupArn"]
        clock.advance(0.029)  # 30 s at time scale 0.001
        assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "CREATE IN_PROGRESS"
        clock.advance(0.002)
        assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"


def test_campaign_update_serves_old_config_until_active(client):
    chain = full_chain(client)
    newer = train(client, chain["solution"])
    client.update_campaign(campaignArn=chain["campaign"], solutionVersionArn=newer, minProvisionedTPS=5)
    campaign = client.describe_campaign(campaignArn=chain["campaign"])["campaign"]
    assert campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == chain["version"] and campaign["minProvisionedTPS"] == 1
    assert campaign["latestCampaignUpdate"]["status"] == "CREATE PENDING"
    assert campaign["latestCampaignUpdate"]["solutionVersionArn"] == newer
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.update_campaign(campaignArn=chain["campaign"], minProvisionedTPS=6)
    assert wait_update(client.describe_campaign, "campaign", "latestCampaignUpdate", campaignArn=chain["campaign"])[
        0] == "ACTIVE"
    campaign = client.describe_campaign(campaignArn=chain["campaign"])["campaign"]
    assert (campaign["solutionVersionArn"], campaign["minProvisionedTPS"]) == (newer, 5)


def test_failed_campaign_update_keeps_old_config(client, emulator):
    chain = full_chain(client)
    emulator.backend.configure(fail=["campaign_update:*"])
    client.update_campaign(campaignArn=chain["campaign"], minProvisionedTPS=9)
    status, _ = wait_update(client.describe_campaign, "campaign", "latestCampaignUpdate", campaignArn=chain["campaign"])
    campaign = client.describe_campaign(campaignArn=chain["campaign"])["campaign"]
    assert status == "CREATE FAILED" and campaign["latestCampaignUpdate"]["failureReason"]
    assert campaign["minProvisionedTPS"] == 1 and campaign["status"] == "ACTIVE"


def test_latest_with_sync_follows_newest_active_version(client):
    chain = full_chain(client)
    latest = f"{chain['solution']}/$LATEST"
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_campaign(name="bad", solutionVersionArn=chain["version"],
                               campaignConfig={"syncWithLatestSolutionVersion": True})
    synced = create_campaign(client, latest, "synced", campaignConfig={"syncWithLatestSolutionVersion": True})
    pinned = create_campaign(client, latest, "pinned")
    assert client.describe_campaign(campaignArn=synced)["campaign"]["solutionVersionArn"] == chain["version"]
    newer = train(client, chain["solution"])
    assert client.describe_campaign(campaignArn=synced)["campaign"]["solutionVersionArn"] == newer
    assert client.describe_campaign(campaignArn=pinned)["campaign"]["solutionVersionArn"] == chain["version"]


def test_latest_without_active_version_is_in_use(client):
    group = create_group(client)
    sol = create_solution(client, group)
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.create_campaign(name="c", solutionVersionArn=f"{sol}/$LATEST")


def test_describe_solution_reports_latest_solution_version(client):
    chain = full_chain(client)
    second = client.create_solution_version(solutionArn=chain["solution"], trainingMode="UPDATE")["solutionVersionArn"]
    latest = client.describe_solution(solutionArn=chain["solution"])["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == second and latest["status"].startswith("CREATE")
    # a 4-key summary, as in describe_solution__amazon-personalize-immersion-day__1.json
    assert set(latest) == {"solutionVersionArn", "status", "creationDateTime", "lastUpdatedDateTime"}
    assert client.describe_solution_version(solutionVersionArn=second)["solutionVersion"]["trainingMode"] == "UPDATE"


def test_training_without_successful_import_fails_with_reason(client):
    group = create_group(client)
    create_dataset(client, group)
    sol = create_solution(client, group)
    ver = client.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    status, _ = wait(client.describe_solution_version, "solutionVersion", solutionVersionArn=ver)
    version = client.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]
    assert status == "CREATE FAILED"
    assert "no ACTIVE dataset import job" in version["failureReason"]
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.get_solution_metrics(solutionVersionArn=ver)


def test_update_training_mode_needs_full_version_and_supported_recipe(client):
    group = create_group(client)
    import_data(client, create_dataset(client, group))
    sims = create_solution(client, group, "sims", "arn:aws:personalize:::recipe/aws-sims")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_solution_version(solutionArn=sims, trainingMode="UPDATE")
    up = create_solution(client, group, "up")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_solution_version(solutionArn=up, trainingMode="UPDATE")


def test_stop_solution_version_while_pending(client):
    chain = full_chain(client)
    pending = client.create_solution_version(solutionArn=chain["solution"])["solutionVersionArn"]
    client.stop_solution_version_creation(solutionVersionArn=pending)
    assert client.describe_solution_version(solutionVersionArn=pending)["solutionVersion"]["status"] == "CREATE STOPPED"
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.stop_solution_version_creation(solutionVersionArn=chain["version"])


def test_stop_solution_version_while_training(timed):
    server, c = timed
    group = c.create_dataset_group(name="g")["datasetGroupArn"]
    server.clock.advance(60)
    sol = c.create_solution(name="s", datasetGroupArn=group, recipeArn=UP_RECIPE)["solutionArn"]
    server.clock.advance(60)
    ver = c.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    server.clock.advance(600)
    assert c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]["status"] == "CREATE IN_PROGRESS"
    with pytest.raises(c.exceptions.ResourceInUseException):
        c.delete_solution(solutionArn=sol)
    c.stop_solution_version_creation(solutionVersionArn=ver)
    assert c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]["status"] == "CREATE STOPPING"
    server.clock.advance(60)
    assert c.describe_solution_version(solutionVersionArn=ver)["solutionVersion"]["status"] == "CREATE STOPPED"
    c.delete_solution(solutionArn=sol)


def test_recommender_stop_start_statuses(client):
    group = create_group(client, "vod", "VIDEO_ON_DEMAND")
    create_dataset(client, group, INTERACTIONS_EVENTS, name="vod-int", domain="VIDEO_ON_DEMAND")
    rec = client.create_recommender(name="r", datasetGroupArn=group,
                                    recipeArn="arn:aws:personalize:::recipe/aws-vod-top-picks")["recommenderArn"]
    assert wait(client.describe_recommender, "recommender", recommenderArn=rec)[0] == "ACTIVE"
    assert client.describe_recommender(recommenderArn=rec)["recommender"]["modelMetrics"]
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.start_recommender(recommenderArn=rec)
    client.stop_recommender(recommenderArn=rec)
    assert wait(client.describe_recommender, "recommender", recommenderArn=rec)[1] == [
        "STOP PENDING", "STOP IN_PROGRESS", "INACTIVE"]
    client.start_recommender(recommenderArn=rec)
    assert wait(client.describe_recommender, "recommender", recommenderArn=rec)[1] == [
        "START PENDING", "START IN_PROGRESS", "ACTIVE"]


def test_update_solution_tracks_latest_solution_update(client):
    group = create_group(client)
    sol = create_solution(client, group)
    client.update_solution(solutionArn=sol, performAutoTraining=True,
                           solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}})
    solution = client.describe_solution(solutionArn=sol)["solution"]
    assert solution["performAutoTraining"] is False
    assert solution["latestSolutionUpdate"]["status"] == "CREATE PENDING"
    wait_update(client.describe_solution, "solution", "latestSolutionUpdate", solutionArn=sol)
    solution = client.describe_solution(solutionArn=sol)["solution"]
    assert solution["performAutoTraining"] is True
    assert solution["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(1 day)"
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_solution(solutionArn=sol, performIncrementalUpdate=True)
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_solution(solutionArn=sol,
                               solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(31 days)"}})


def test_create_solution_defaults_and_recipe_rules(client):
    group = create_group(client)
    sol = client.create_solution(name="s", datasetGroupArn=group, recipeArn=UP_RECIPE)["solutionArn"]
    solution = client.describe_solution(solutionArn=sol)["solution"]
    # no invented defaults (FINDINGS.md §2): performAutoTraining only when sent; performHPO always
    assert "performAutoTraining" not in solution and solution["performHPO"] is False
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_solution(name="t", datasetGroupArn=group)
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_solution(name="t", datasetGroupArn=group, recipeArn=UP_RECIPE, performAutoML=True)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_solution(name="t", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-nope")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_solution(name="t", datasetGroupArn=group,
                               recipeArn="arn:aws:personalize:::recipe/aws-vod-top-picks")


def test_event_tracker_one_per_group_and_tracking_id(client):
    group = create_group(client)
    first = client.create_event_tracker(name="t1", datasetGroupArn=group)
    described = client.describe_event_tracker(eventTrackerArn=first["eventTrackerArn"])["eventTracker"]
    assert described["trackingId"] == first["trackingId"] and described["accountId"] == "123456789012"
    assert first["eventTrackerArn"].split(":")[-1].startswith("event-tracker/")
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_event_tracker(name="t2", datasetGroupArn=group)


def test_dataset_update_rules(client):
    from emulator_helpers import ITEMS, ITEMS_V2, avro

    group = create_group(client)
    interactions = create_dataset(client, group)
    items = create_dataset(client, group, ITEMS, "Items", name="items")
    v2 = client.create_schema(name="v2", schema=ITEMS_V2)["schemaArn"]
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_dataset(datasetArn=interactions, schemaArn=v2)
    dropped = client.create_schema(name="dropped", schema=avro("Items", ("ITEM_ID", "string"), ("PRICE", "float")))
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_dataset(datasetArn=items, schemaArn=dropped["schemaArn"])
    not_null = client.create_schema(name="notnull", schema=avro(
        "Items", ("ITEM_ID", "string"), ("GENRE", "string", "categorical"), ("PRICE", "float")))
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_dataset(datasetArn=items, schemaArn=not_null["schemaArn"])
    client.update_dataset(datasetArn=items, schemaArn=v2)
    dataset = client.describe_dataset(datasetArn=items)["dataset"]
    assert dataset["latestDatasetUpdate"]["schemaArn"] == v2 and dataset["schemaArn"] != v2
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.delete_schema(schemaArn=v2)


def test_campaign_update_to_a_version_of_another_solution_moves_it_and_frees_the_old_solution(client):
    """UpdateCampaign's solutionVersionArn is "the ARN of a new model to deploy", with no rule that it
    belongs to the same solution (API_UpdateCampaign); create-before-destroy of a solution relies on it.
    The old solution stays in use (DeleteSolution: ResourceInUse) until the update is ACTIVE."""
    chain = full_chain(client)
    other = create_solution(client, chain["group"], "p-solution-2")
    version = train(client, other)
    client.update_campaign(campaignArn=chain["campaign"], solutionVersionArn=version)
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.delete_solution(solutionArn=chain["solution"])
    assert wait_update(client.describe_campaign, "campaign", "latestCampaignUpdate", campaignArn=chain["campaign"])[
        0] == "ACTIVE"
    assert client.describe_campaign(campaignArn=chain["campaign"])["campaign"]["solutionVersionArn"] == version
    assert [c["campaignArn"] for c in client.list_campaigns(solutionArn=other)["campaigns"]] == [chain["campaign"]]
    client.delete_solution(solutionArn=chain["solution"])
    wait_gone(client.describe_solution, solutionArn=chain["solution"])

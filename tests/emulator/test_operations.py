"""Every one of the 71 operations through a real boto3 client, every response checked against
the botocore output shape (see conftest.ShapeChecker)."""

from __future__ import annotations

from emulator_helpers import (
    INTERACTIONS_EVENTS,
    ITEMS,
    ITEMS_V2,
    ROLE,
    SEGMENT_RECIPE,
    create_dataset,
    create_group,
    create_solution,
    full_chain,
    train,
    wait,
    wait_gone,
    wait_update,
)

from perso_iac.emulator.model import operation_names

S3 = {"path": "s3://bucket/out/"}


def test_every_operation_answers_with_its_model_output_shape(client):
    c = client
    chain = full_chain(c, "all")
    group, dataset, version, solution, campaign = (
        chain["group"], chain["dataset"], chain["version"], chain["solution"], chain["campaign"],
    )

    # catalogue
    recipes = [r for page in c.get_paginator("list_recipes").paginate() for r in page["recipes"]]
    assert any(r["name"] == "aws-user-personalization" for r in recipes)
    recipe = c.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-sims")["recipe"]
    assert recipe["recipeType"] == "RELATED_ITEMS"
    c.describe_algorithm(algorithmArn=recipe["algorithmArn"])
    c.describe_feature_transformation(featureTransformationArn=recipe["featureTransformationArn"])

    # schemas, groups, datasets
    assert c.describe_schema(schemaArn=chain["schema"])["schema"]["name"] == "all-interactions-schema"
    assert len(c.list_schemas()["schemas"]) == 1
    assert c.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"] == group
    assert c.list_datasets(datasetGroupArn=group)["datasets"][0]["datasetArn"] == dataset
    items = create_dataset(c, group, ITEMS, "Items", name="all-items")
    v2 = c.create_schema(name="items-v2", schema=ITEMS_V2)["schemaArn"]
    assert c.update_dataset(datasetArn=items, schemaArn=v2)["datasetArn"] == items
    assert wait_update(c.describe_dataset, "dataset", "latestDatasetUpdate", datasetArn=items)[0] == "ACTIVE"
    assert c.describe_dataset(datasetArn=items)["dataset"]["schemaArn"] == v2

    # jobs on datasets
    assert c.describe_dataset_import_job(datasetImportJobArn=chain["import"])["datasetImportJob"]["status"] == "ACTIVE"
    assert len(c.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]) == 1
    export = c.create_dataset_export_job(jobName="exp", datasetArn=dataset, roleArn=ROLE,
                                         jobOutput={"s3DataDestination": S3})["datasetExportJobArn"]
    assert wait(c.describe_dataset_export_job, "datasetExportJob", datasetExportJobArn=export)[0] == "ACTIVE"
    assert c.list_dataset_export_jobs(datasetArn=dataset)["datasetExportJobs"][0]["datasetExportJobArn"] == export
    deletion = c.create_data_deletion_job(jobName="del", datasetGroupArn=group,
                                          dataSource={"dataLocation": "s3://bucket/users.csv"},
                                          roleArn=ROLE)["dataDeletionJobArn"]
    assert wait(c.describe_data_deletion_job, "dataDeletionJob", dataDeletionJobArn=deletion)[0] == "COMPLETED"
    assert len(c.list_data_deletion_jobs(datasetGroupArn=group)["dataDeletionJobs"]) == 1

    # event tracker, filter, metric attribution
    tracker = c.create_event_tracker(name="trk", datasetGroupArn=group)
    assert tracker["trackingId"]
    assert wait(c.describe_event_tracker, "eventTracker", eventTrackerArn=tracker["eventTrackerArn"])[0] == "ACTIVE"
    assert len(c.list_event_trackers(datasetGroupArn=group)["eventTrackers"]) == 1
    flt = c.create_filter(name="flt", datasetGroupArn=group,
                          filterExpression='EXCLUDE ItemID WHERE Items.GENRE IN ("horror")')["filterArn"]
    assert wait(c.describe_filter, "filter", filterArn=flt)[0] == "ACTIVE"
    assert c.list_filters(datasetGroupArn=group)["Filters"][0]["filterArn"] == flt
    metric = {"eventType": "click", "metricName": "clicks", "expression": "SAMPLECOUNT()"}
    attribution = c.create_metric_attribution(
        name="attr", datasetGroupArn=group, metrics=[metric],
        metricsOutputConfig={"roleArn": ROLE, "s3DataDestination": S3},
    )["metricAttributionArn"]
    assert wait(c.describe_metric_attribution, "metricAttribution", metricAttributionArn=attribution)[0] == "ACTIVE"
    assert len(c.list_metric_attributions(datasetGroupArn=group)["metricAttributions"]) == 1
    c.update_metric_attribution(metricAttributionArn=attribution, removeMetrics=["clicks"],
                                addMetrics=[{**metric, "metricName": "views"}])
    names = [m["metricName"] for m in c.list_metric_attribution_metrics(metricAttributionArn=attribution)["metrics"]]
    assert names == ["views"]

    # solutions, versions, campaigns
    assert c.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]["solutionVersionArn"] == version
    assert len(c.list_solutions(datasetGroupArn=group)["solutions"]) == 1
    c.update_solution(solutionArn=solution, performAutoTraining=True,
                      solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}})
    assert wait_update(c.describe_solution, "solution", "latestSolutionUpdate", solutionArn=solution)[0] == "ACTIVE"
    assert c.describe_solution(solutionArn=solution)["solution"]["performAutoTraining"] is True
    assert c.list_solution_versions(solutionArn=solution)["solutionVersions"][0]["solutionVersionArn"] == version
    metrics = c.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert 0 < metrics["normalized_discounted_cumulative_gain_at_10"] < 1
    stopping = c.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    c.stop_solution_version_creation(solutionVersionArn=stopping)
    assert c.describe_solution_version(solutionVersionArn=stopping)["solutionVersion"]["status"] == "CREATE STOPPED"
    assert c.list_campaigns(solutionArn=solution)["campaigns"][0]["campaignArn"] == campaign
    c.update_campaign(campaignArn=campaign, minProvisionedTPS=3)
    assert wait_update(c.describe_campaign, "campaign", "latestCampaignUpdate", campaignArn=campaign)[0] == "ACTIVE"
    assert c.describe_campaign(campaignArn=campaign)["campaign"]["minProvisionedTPS"] == 3

    # batch jobs
    job_io = {"jobInput": {"s3DataSource": {"path": "s3://bucket/in.json"}}, "jobOutput": {"s3DataDestination": S3}}
    inference = c.create_batch_inference_job(jobName="bij", solutionVersionArn=version, roleArn=ROLE, filterArn=flt,
                                             **job_io)["batchInferenceJobArn"]
    assert wait(c.describe_batch_inference_job, "batchInferenceJob", batchInferenceJobArn=inference)[0] == "ACTIVE"
    assert len(c.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]) == 1
    seg_solution = create_solution(c, group, "seg", SEGMENT_RECIPE)
    seg_version = train(c, seg_solution)
    segment = c.create_batch_segment_job(jobName="bsj", solutionVersionArn=seg_version, roleArn=ROLE,
                                         **job_io)["batchSegmentJobArn"]
    assert wait(c.describe_batch_segment_job, "batchSegmentJob", batchSegmentJobArn=segment)[0] == "ACTIVE"
    assert len(c.list_batch_segment_jobs(solutionVersionArn=seg_version)["batchSegmentJobs"]) == 1

    # recommenders in a domain dataset group
    dom = create_group(c, "dom", "ECOMMERCE")
    create_dataset(c, dom, INTERACTIONS_EVENTS, "Interactions", name="dom-int", domain="ECOMMERCE")
    rec = c.create_recommender(name="rec", datasetGroupArn=dom,
                               recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you")["recommenderArn"]
    assert wait(c.describe_recommender, "recommender", recommenderArn=rec)[0] == "ACTIVE"
    assert c.list_recommenders(datasetGroupArn=dom)["recommenders"][0]["recommenderArn"] == rec
    c.update_recommender(recommenderArn=rec, recommenderConfig={"minRecommendationRequestsPerSecond": 2})
    assert wait_update(c.describe_recommender, "recommender", "latestRecommenderUpdate", recommenderArn=rec)[0] == "ACTIVE"
    assert c.stop_recommender(recommenderArn=rec)["recommenderArn"] == rec
    assert wait(c.describe_recommender, "recommender", recommenderArn=rec)[1][-1] == "INACTIVE"
    assert c.start_recommender(recommenderArn=rec)["recommenderArn"] == rec
    assert wait(c.describe_recommender, "recommender", recommenderArn=rec)[0] == "ACTIVE"

    # tags
    c.tag_resource(resourceArn=campaign, tags=[{"tagKey": "team", "tagValue": "recs"}])
    assert c.list_tags_for_resource(resourceArn=campaign)["tags"] == [{"tagKey": "team", "tagValue": "recs"}]
    c.untag_resource(resourceArn=campaign, tagKeys=["team"])
    assert c.list_tags_for_resource(resourceArn=campaign)["tags"] == []

    # deletes, in the documented order
    c.delete_recommender(recommenderArn=rec)
    wait_gone(c.describe_recommender, recommenderArn=rec)
    c.delete_campaign(campaignArn=campaign)
    wait_gone(c.describe_campaign, campaignArn=campaign)
    c.delete_solution(solutionArn=solution)
    c.delete_solution(solutionArn=seg_solution)
    c.delete_filter(filterArn=flt)
    c.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    c.delete_metric_attribution(metricAttributionArn=attribution)
    for arn in (flt,):
        wait_gone(c.describe_filter, filterArn=arn)
    wait_gone(c.describe_event_tracker, eventTrackerArn=tracker["eventTrackerArn"])
    wait_gone(c.describe_metric_attribution, metricAttributionArn=attribution)
    wait_gone(c.describe_solution, solutionArn=solution)
    wait_gone(c.describe_solution, solutionArn=seg_solution)
    c.delete_dataset(datasetArn=dataset)
    c.delete_dataset(datasetArn=items)
    wait_gone(c.describe_dataset, datasetArn=dataset)
    wait_gone(c.describe_dataset, datasetArn=items)
    c.delete_dataset_group(datasetGroupArn=group)
    wait_gone(c.describe_dataset_group, datasetGroupArn=group)
    c.delete_schema(schemaArn=chain["schema"])

    missing = set(operation_names()) - c.shape_checker.ok_ops
    assert not missing, f"operations never answered successfully: {sorted(missing)}"


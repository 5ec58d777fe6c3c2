"""The emulator answers like real AWS did (issue 10 item 1), response by response: each test puts an
emulator response next to a real one from `real_aws/` (copied from ../shared/reference/real-aws, with
its provenance in `real_aws/index.json`) and checks the same members are present, absent or shaped alike."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from emulator_helpers import (
    ITEMS,
    ITEMS_V2,
    ROLE,
    UP_RECIPE,
    create_campaign,
    create_dataset,
    create_solution,
    full_chain,
    import_data,
    raw_post,
    train,
    wait,
    wait_update,
)

REAL = Path(__file__).parent / "real_aws"
TIMES = {"creationDateTime", "lastUpdatedDateTime"}
SIMS = "arn:aws:personalize:::recipe/aws-sims"
RANKING = "arn:aws:personalize:::recipe/aws-personalized-ranking"
ATTR_AFFINITY = "arn:aws:personalize:::recipe/aws-item-attribute-affinity"


def real(name: str, key: str | None = None) -> dict:
    body = json.loads((REAL / name).read_text())
    body.pop("ResponseMetadata", None)
    return body.get(key, body) if key else body


def keys(d: dict) -> set[str]:
    return set(d)


def solution(client, group: str, name: str, recipe: str) -> str:
    """CreateSolution as the notebooks called it: no performAutoTraining, no solutionConfig."""
    arn = client.create_solution(name=name, datasetGroupArn=group, recipeArn=recipe)["solutionArn"]
    assert wait(client.describe_solution, "solution", solutionArn=arn)[0] == "ACTIVE"
    return arn


# -------------------------------------------------------------------- solutions and versions
def test_solution_config_is_empty_for_user_personalization_and_absent_for_other_recipes(client):
    chain = full_chain(client)
    sims = solution(client, chain["group"], "sims", SIMS)
    ranking = solution(client, chain["group"], "ranking", RANKING)
    train(client, sims)
    up_arn = solution(client, chain["group"], "up", UP_RECIPE)
    train(client, up_arn)
    up = client.describe_solution(solutionArn=up_arn)["solution"]
    # describe_solution__amazon-personalize-immersion-day__1/2/3.json: UP has {}, sims and ranking have no key
    assert up["solutionConfig"] == {}
    assert keys(up) == keys(real("describe_solution__amazon-personalize-immersion-day__1.json", "solution"))
    for arn, file in ((sims, "__2"), (ranking, "__3")):
        got = client.describe_solution(solutionArn=arn)["solution"]
        if "latestSolutionVersion" not in got:  # ranking was never trained here
            got["latestSolutionVersion"] = {}
        assert keys(got) == keys(real(f"describe_solution__amazon-personalize-immersion-day{file}.json", "solution"))
        assert "solutionConfig" not in got and "performAutoTraining" not in got


def test_latest_solution_version_is_a_4_key_summary(client):
    chain = full_chain(client)
    latest = client.describe_solution(solutionArn=chain["solution"])["solution"]["latestSolutionVersion"]
    want = real("describe_solution__amazon-personalize-immersion-day__1.json", "solution")["latestSolutionVersion"]
    assert keys(latest) == keys(want)


def test_solution_version_name_config_and_training_hours_like_aws(client):
    chain = full_chain(client)
    group = chain["group"]
    import_data(client, create_dataset(client, group, ITEMS, "Items", name="items"), "items-import")
    affinity = solution(client, group, "affinity", ATTR_AFFINITY)
    up = client.describe_solution_version(solutionVersionArn=chain["version"])["solutionVersion"]
    # describe_solution_version__amazon-personalize-samples__1.json (UP) and __2 (item-attribute-affinity)
    assert keys(up) == keys(real("describe_solution_version__amazon-personalize-samples__1.json", "solutionVersion"))
    assert up["name"] == f"p-solution/{chain['version'].rsplit('/', 1)[1]}"
    assert up["solutionConfig"] == {} and up["trainingMode"] == "FULL"
    assert round(up["trainingHours"], 3) == up["trainingHours"]
    other = client.describe_solution_version(solutionVersionArn=train(client, affinity))["solutionVersion"]
    assert keys(other) == keys(real("describe_solution_version__amazon-personalize-samples__2.json", "solutionVersion"))
    assert re.fullmatch(r"affinity/[0-9a-f]{8}", other["name"])


def test_hpo_range_names_are_echoed_with_their_section_prefix(client):
    """docs: customizing-solution-config-hpo, 'Viewing hyperparameters' (DescribeSolution output)."""
    chain = full_chain(client)
    config = {
        "algorithmHyperParameters": {"hidden_dimension": "55"},
        "hpoConfig": {
            "algorithmHyperParameterRanges": {
                "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}],
                "integerHyperParameterRanges": [{"name": "bptt", "minValue": 2, "maxValue": 22}],
                "continuousHyperParameterRanges": [],
            },
            "hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"},
        },
    }
    arn = create_solution(client, chain["group"], "hpo", performHPO=True, solutionConfig=config)
    got = client.describe_solution(solutionArn=arn)["solution"]["solutionConfig"]
    ranges = got["hpoConfig"]["algorithmHyperParameterRanges"]
    assert ranges["integerHyperParameterRanges"] == [{"name": "training.bptt", "minValue": 2, "maxValue": 22}]
    assert ranges["categoricalHyperParameterRanges"] == [{"name": "data.recency_mask", "values": ["true", "false"]}]
    assert ranges["continuousHyperParameterRanges"] == []
    assert got["algorithmHyperParameters"] == {"hidden_dimension": "55"}  # values stay strings, names unprefixed
    assert got["hpoConfig"]["hpoResourceConfig"] == {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"}


def test_solution_flags_are_echoed_only_when_sent(client):
    chain = full_chain(client)
    arn = create_solution(client, chain["group"], "flags")  # the helper sends performAutoTraining=False
    got = client.describe_solution(solutionArn=arn)["solution"]
    assert got["performAutoTraining"] is False and "performIncrementalUpdate" not in got


# -------------------------------------------------------------------- campaigns
def test_campaign_config_is_empty_when_unset_and_echoed_as_sent(client):
    chain = full_chain(client)
    got = client.describe_campaign(campaignArn=chain["campaign"])["campaign"]
    want = real("describe_campaign__amazon-personalize-immersion-day__2.json", "campaign")
    assert got["campaignConfig"] == {} == want["campaignConfig"] and keys(got) == keys(want)
    meta = create_campaign(client, chain["version"], "meta", campaignConfig={"enableMetadataWithRecommendations": True})
    got = client.describe_campaign(campaignArn=meta)["campaign"]
    # describe_campaign__amazon-personalize-immersion-day__1.json: that key alone, a JSON boolean
    assert got["campaignConfig"] == {"enableMetadataWithRecommendations": True}
    assert got["minProvisionedTPS"] == 1


def test_campaign_update_shows_a_4_key_summary_and_the_old_config_until_done(emulator, client):
    chain = full_chain(client)
    camp = chain["campaign"]
    client.update_campaign(campaignArn=camp, campaignConfig={"enableMetadataWithRecommendations": True},
                           minProvisionedTPS=2)
    during = client.describe_campaign(campaignArn=camp)["campaign"]
    want = real("describe_campaign__amazon-personalize-immersion-day__5.json", "campaign")
    assert keys(during) == keys(want)
    assert keys(during["latestCampaignUpdate"]) == keys(want["latestCampaignUpdate"])
    assert during["status"] == "ACTIVE" and during["campaignConfig"] == {} and during["minProvisionedTPS"] == 1
    assert during["lastUpdatedDateTime"] == during["latestCampaignUpdate"]["creationDateTime"]
    with pytest.raises(client.exceptions.ResourceInUseException) as err:
        client.update_campaign(campaignArn=camp, minProvisionedTPS=3)
    assert err.value.response["Error"]["Message"] == "Campaign is already being updated"
    assert wait_update(client.describe_campaign, "campaign", "latestCampaignUpdate", campaignArn=camp)[0] == "ACTIVE"
    after = client.describe_campaign(campaignArn=camp)["campaign"]
    assert after["campaignConfig"] == {"enableMetadataWithRecommendations": True} and after["minProvisionedTPS"] == 2


# -------------------------------------------------------------------- datasets, groups, schemas, imports
def test_dataset_update_statuses_are_on_the_dataset(client):
    chain = full_chain(client)
    items = create_dataset(client, chain["group"], ITEMS, "Items", name="items")
    before = client.describe_dataset(datasetArn=items)["dataset"]
    assert "latestDatasetUpdate" not in before  # describe_dataset__amazon-personalize-immersion-day__2.json
    assert keys(before) == keys(real("describe_dataset__amazon-personalize-immersion-day__2.json", "dataset"))
    v2 = client.create_schema(name="items-v2", schema=ITEMS_V2)["schemaArn"]
    client.update_dataset(datasetArn=items, schemaArn=v2)
    seen = []
    for _ in range(10):
        ds = client.describe_dataset(datasetArn=items)["dataset"]
        seen.append(ds["status"])
        if ds["status"] == "ACTIVE":
            break
    assert seen == ["UPDATE PENDING", "UPDATE IN_PROGRESS", "ACTIVE"]  # FINDINGS.md §8
    want = real("describe_dataset__amazon-personalize-samples__1.json", "dataset")
    assert keys(ds) == keys(want) and keys(ds["latestDatasetUpdate"]) == keys(want["latestDatasetUpdate"])
    assert ds["schemaArn"] == v2 and ds["latestDatasetUpdate"]["status"] == "ACTIVE"
    assert ds["lastUpdatedDateTime"] >= ds["latestDatasetUpdate"]["lastUpdatedDateTime"]


def test_dataset_group_schema_and_import_job_members(client):
    chain = full_chain(client)
    group = client.describe_dataset_group(datasetGroupArn=chain["group"])["datasetGroup"]
    assert keys(group) == keys(real("describe_dataset_group__amazon-personalize-immersion-day__1.json",
                                    "datasetGroup"))
    schema = client.describe_schema(schemaArn=chain["schema"])["schema"]
    assert keys(schema) == keys(real("describe_schema__amazon-personalize-immersion-day__1.json", "schema"))
    job = client.describe_dataset_import_job(datasetImportJobArn=chain["import"])["datasetImportJob"]
    want = real("describe_dataset_import_job__santanu-dey-connect-personalize-demo__1.json")
    assert keys(job) == keys(want) - {"failureReason"}  # that job failed; ours succeeded
    explicit = client.create_dataset_import_job(
        jobName="incremental", datasetArn=chain["dataset"], dataSource={"dataLocation": "s3://b/k.csv"},
        roleArn=ROLE, importMode="INCREMENTAL")["datasetImportJobArn"]
    got = client.describe_dataset_import_job(datasetImportJobArn=explicit)["datasetImportJob"]
    assert got["importMode"] == "INCREMENTAL" and "publishAttributionMetricsToS3" not in got


# -------------------------------------------------------------------- event trackers, recipes, deletes
def test_event_tracker_arn_has_a_hex_id_and_a_uuid4_tracking_id(client):
    chain = full_chain(client)
    got = client.create_event_tracker(name="tracker", datasetGroupArn=chain["group"])
    got.pop("ResponseMetadata")
    want = real("create_event_tracker__amazon-personalize-immersion-day__1.json")
    assert keys(got) == keys(want)
    assert re.fullmatch(r"arn:aws:personalize:us-east-1:\d{12}:event-tracker/[0-9a-f]{8}", got["eventTrackerArn"])
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(uuid4, got["trackingId"]) and re.fullmatch(uuid4, want["trackingId"])
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException) as err:
        client.create_event_tracker(name="second", datasetGroupArn=chain["group"])
    # error_create_event_tracker__lmorri-vodpocinabox__1.json
    assert err.value.response["Error"]["Message"] == (
        f"EventTracker {got['eventTrackerArn']} already exists for DatasetGroup {chain['group']}")


def test_list_recipes_pages_at_12_by_name_with_a_token(client):
    first = client.list_recipes()
    want = real("list_recipes__KJMAN678-AmazonPersonalize__1.json")
    assert len(first["recipes"]) == len(want["recipes"]) == 12 and first["nextToken"]
    names = [r["name"] for r in first["recipes"]]
    assert names == sorted(names)
    for recipe in first["recipes"]:  # domain only on domain recipes
        assert ("domain" in recipe) == recipe["name"].startswith(("aws-ecomm-", "aws-vod-"))
        assert keys(recipe) - {"domain"} == {"name", "recipeArn", "status"} | TIMES
    rest = client.list_recipes(nextToken=first["nextToken"])
    assert rest["recipes"] and not {r["name"] for r in rest["recipes"]} & set(names)
    assert len(client.list_recipes(maxResults=100)["recipes"]) > 12


def test_delete_answers_an_empty_body(emulator, client):
    chain = full_chain(client)
    req = urllib.request.Request(emulator.endpoint_url + "/", method="POST",
                                 data=json.dumps({"campaignArn": chain["campaign"]}).encode(), headers={
                                     "X-Amz-Target": "AmazonPersonalize.DeleteCampaign",
                                     "Content-Type": "application/x-amz-json-1.1",
                                     "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/personalize"})
    with urllib.request.urlopen(req) as resp:  # delete_campaign__lmorri-amazon-personalize-samples__1.json
        assert resp.status == 200 and resp.read() == b"" and resp.headers["Content-Length"] == "0"
        assert resp.headers["Content-Type"] == "application/x-amz-json-1.1"


# -------------------------------------------------------------------- error texts (real_aws error_*.json)
def test_exact_error_messages(emulator, client):
    chain = full_chain(client)
    err = client.exceptions
    cases = [
        (lambda: client.create_dataset_group(name="p-group"), err.ResourceAlreadyExistsException,
         f"Another resource with Arn {chain['group']} already exists."),
        (lambda: client.create_solution(name="p-solution", datasetGroupArn=chain["group"], recipeArn=SIMS),
         err.ResourceAlreadyExistsException, f"Another resource with Arn {chain['solution']} already exists."),
        (lambda: client.describe_solution(solutionArn=chain["solution"] + "x"), err.ResourceNotFoundException,
         f"The given solution does not exist: {chain['solution']}x"),
        (lambda: client.delete_dataset_group(datasetGroupArn=chain["group"] + "x"), err.ResourceNotFoundException,
         f"The given dataset group does not exist: {chain['group']}x"),
        (lambda: client.delete_dataset(datasetArn=chain["dataset"] + "X"), err.ResourceNotFoundException,
         f"Resource Arn {chain['dataset']}X does not exist."),
        (lambda: client.delete_schema(schemaArn=chain["schema"]), err.ResourceInUseException,
         "The provided schema is being referenced by one or more datasets"),
        (lambda: client.create_dataset(name="again", datasetType="Interactions", datasetGroupArn=chain["group"],
                                       schemaArn=chain["schema"]), err.ResourceAlreadyExistsException,
         "Another dataset of type: INTERACTIONS already exists in the provided dataset group"),
    ]
    for call, exc, message in cases:
        with pytest.raises(exc) as info:
            call()
        assert info.value.response["Error"]["Message"] == message
    pending = client.create_campaign(name="new", solutionVersionArn=chain["version"])["campaignArn"]
    with pytest.raises(err.ResourceInUseException) as info:
        client.delete_campaign(campaignArn=pending)
    assert info.value.response["Error"]["Message"] == f"campaign is in PENDING or IN_PROGRESS status: {pending}"
    status, body = raw_post(emulator.endpoint_url, json.dumps({"eventTrackerArn": chain["group"].replace(
        "dataset-group/p-group", "event-tracker/0000abcd")}), target="AmazonPersonalize.DeleteEventTracker")
    assert status == 400 and re.fullmatch(r"Resource Arn \S+event-tracker/0000abcd does not exist\.", body["message"])

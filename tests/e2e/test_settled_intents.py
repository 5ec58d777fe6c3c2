"""A finished import job or training is not described again (issue 11): AWS has no API to change or
delete one, it goes only with its dataset or solution. So a refresh takes it as the state recorded
it, as long as its parent is settled and is the same incarnation the state recorded (same ARN and
same creation time). A dataset deleted and made again under the same name outside perso has the same
ARN but not the same creation time: its import is read, found gone, and run again."""

from __future__ import annotations

import json
import urllib.request

import boto3

INTENT_DESCRIBES = ("DescribeDatasetImportJob", "DescribeSolutionVersion")


def calls_of(stack, action) -> dict[str, int]:
    def control(payload: dict) -> dict:
        request = urllib.request.Request(f"{stack.endpoint}/_perso/control", data=json.dumps(payload).encode())
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    control({"action": "calls", "reset": True})
    action()
    return control({"action": "calls"})["calls"]


def plan(stack) -> tuple[int, str]:
    result = stack.perso("plan", "--detailed-exitcode")
    return result.exit_code, result.output


def applied(stack):
    result = stack.perso("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return stack


def resource(stack, address: str) -> dict:
    return next(r for r in stack.state()["resources"] if r["address"] == address)


def test_a_no_op_plan_does_not_describe_finished_imports_and_trainings(stack):
    applied(stack)
    outcome: list = []
    calls = calls_of(stack, lambda: outcome.append(plan(stack)))
    assert outcome[0][0] == 0, outcome[0][1]
    assert not {op for op in calls if op in INTENT_DESCRIBES}, calls
    assert calls.get("DescribeDataset") == 1 and calls.get("DescribeSolution") == 1, calls  # their parents are


def test_a_dataset_made_again_outside_perso_gets_its_data_imported_again(stack):
    data_only, cut = stack.spec.read_text().split("\n    solutions:\n")[0], True  # nothing trained on it
    assert cut
    stack.spec.write_text(data_only + "\n")
    applied(stack)
    dataset = resource(stack, "dataset.e2e.interactions")
    personalize = boto3.client("personalize", endpoint_url=stack.endpoint, region_name="us-east-1")
    live = personalize.describe_dataset(datasetArn=dataset["arn"])["dataset"]
    personalize.delete_dataset(datasetArn=dataset["arn"])
    for _ in range(50):  # deleting is asynchronous, even at the emulator's time scale 0
        try:
            personalize.describe_dataset(datasetArn=dataset["arn"])
        except personalize.exceptions.ResourceNotFoundException:
            break
    again = personalize.create_dataset(name=live["name"], schemaArn=live["schemaArn"], datasetType="Interactions",
                                       datasetGroupArn=live["datasetGroupArn"])["datasetArn"]
    assert again == dataset["arn"]  # same name, same ARN: only its creation time tells them apart
    for _ in range(50):  # and settled, like the one perso made
        if personalize.describe_dataset(datasetArn=again)["dataset"]["status"] == "ACTIVE":
            break
    assert personalize.describe_dataset(datasetArn=again)["dataset"]["status"] == "ACTIVE"
    code, text = plan(stack)
    assert code == 2, text
    assert "dataset_import.e2e.interactions will run: it is in the state but no longer exists in AWS" in text
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    jobs = personalize.list_dataset_import_jobs(datasetArn=again)["datasetImportJobs"]
    assert [j["status"] for j in jobs] == ["ACTIVE"]
    assert plan(stack)[0] == 0


def test_a_state_without_the_parents_creation_time_describes_them_as_before(stack):
    applied(stack)
    state = stack.state()
    for res in state["resources"]:
        res["outputs"].pop("creationDateTime", None)  # as perso before this change recorded them
    stack.state_path.write_text(json.dumps(state))
    outcome: list = []
    calls = calls_of(stack, lambda: outcome.append(plan(stack)))
    assert outcome[0][0] == 0, outcome[0][1]
    assert {op: calls.get(op) for op in INTENT_DESCRIBES} == dict.fromkeys(INTENT_DESCRIBES, 1), calls

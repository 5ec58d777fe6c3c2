"""The emulator's cost per request as the account grows (issue 11 item 2).

Run by hand: `python benchmarks/bench_emulator.py --groups 1 50 100` (13 resources per group: 3
datasets with imports, 2 solutions each trained once, 2 campaigns; plus 3 schemas: 16 / 653 / 1303
resources). For each size, in memory and with a data dir (the file store `perso --local` uses), it
prints the emulator's own CPU per call in µs (``Backend.handle`` timed with ``process_time``, no
HTTP and no boto3 in the measurement) for a describe, a filtered list, a mutating call and a
mutating call that fails (its rollback), first with the account settled and then with every campaign
still being created (a running apply: 2 per group transitions pending). ``--http`` adds calls/s over
HTTP with boto3 in the same process. "Flat" means the columns do not grow with the size. Numbers go
into issue notes, never into test assertions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import boto3

from perso_iac.emulator import EmulatorConfig, EmulatorServer, VirtualClock
from perso_iac.emulator.errors import ApiError

ROLE = "arn:aws:iam::123456789012:role/R"
SCHEMAS = {
    "Interactions": '{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", '
                    '"fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
                    '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}',
    "Items": '{"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema", '
             '"fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string", '
             '"categorical": true}], "version": "1.0"}',
    "Users": '{"type": "record", "name": "Users", "namespace": "com.amazonaws.personalize.schema", '
             '"fields": [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}], "version": "1.0"}',
}
RECIPES = ("aws-user-personalization", "aws-sims")


def populate(server: EmulatorServer, clock: VirtualClock, groups: int, settle: bool = True) -> dict[str, str]:
    """Build the account through the backend (no HTTP), advancing the virtual clock between layers;
    without ``settle`` the campaigns are left being created."""
    call = server.backend.handle
    schemas = {k: call("CreateSchema", {"name": f"s-{k.lower()}", "schema": v})["schemaArn"] for k, v in SCHEMAS.items()}
    names = [f"g{i}" for i in range(groups)]
    arns = {g: call("CreateDatasetGroup", {"name": g})["datasetGroupArn"] for g in names}
    clock.advance(120)
    datasets = {(g, k): call("CreateDataset", {"name": f"{g}-{k}", "datasetType": k, "schemaArn": schemas[k],
                                                "datasetGroupArn": arns[g]})["datasetArn"]
                for g in names for k in SCHEMAS}
    clock.advance(120)
    for (g, k), arn in datasets.items():
        call("CreateDatasetImportJob", {"jobName": f"{g}-{k}-import", "datasetArn": arn, "roleArn": ROLE,
                                        "dataSource": {"dataLocation": "s3://b/k.csv"}})
        if len(server.backend.state["resources"]) % 4 == 0:
            clock.advance(1200)  # at most 5 imports pending at a time
    clock.advance(1200)
    solutions = [call("CreateSolution", {"name": f"{g}-{r}", "datasetGroupArn": arns[g],
                                         "recipeArn": f"arn:aws:personalize:::recipe/{r}",
                                         "performAutoTraining": False})["solutionArn"]
                 for g in names for r in RECIPES]
    clock.advance(120)
    versions = []
    for i, sol in enumerate(solutions):
        versions.append(call("CreateSolutionVersion", {"solutionArn": sol})["solutionVersionArn"])
        if i % 10 == 9:
            clock.advance(7200)
    clock.advance(7200)
    campaigns = [call("CreateCampaign", {"name": f"c{i}", "solutionVersionArn": v})["campaignArn"]
                 for i, v in enumerate(versions)]
    if settle:
        clock.advance(1200)
    return {"campaign": campaigns[len(campaigns) // 2], "solution": solutions[len(solutions) // 2],
            "group": arns[names[len(names) // 2]]}


def cpu_per_call(fn: Callable[[], object], seconds: float) -> float:
    """Mean CPU µs of ``fn`` over at least ``seconds`` of CPU (and at least 20 calls)."""
    n, start = 0, time.process_time()
    while n < 20 or time.process_time() - start < seconds:
        fn()
        n += 1
    return (time.process_time() - start) / n * 1e6


def rate(fn: Callable[[], object], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def _failing(call: Callable[[str, dict], object], arn: str) -> Callable[[], None]:
    def fn() -> None:
        try:  # a tag key AWS reserves: refused after the record is looked up, so it rolls back
            call("TagResource", {"resourceArn": arn, "tags": [{"tagKey": "aws:x", "tagValue": "v"}]})
        except ApiError:
            return
        raise AssertionError("the reserved tag key was accepted")
    return fn


def measure(groups: int, data_dir: str | None, seconds: float, settle: bool, http: bool) -> dict[str, float]:
    clock = VirtualClock(start=1_700_000_000)
    quotas = {"dataset_groups": groups + 1, "campaigns_per_dataset_group": 10}
    with EmulatorServer(EmulatorConfig(time_scale=1, clock=clock, quotas=quotas, data_dir=data_dir)) as server:
        arns = populate(server, clock, groups, settle)
        call = server.backend.handle
        out: dict[str, float] = {"resources": len(server.backend.state["resources"])}
        out["DescribeCampaign"] = cpu_per_call(lambda: call("DescribeCampaign", {"campaignArn": arns["campaign"]}),
                                               seconds)
        out["ListCampaigns(solution)"] = cpu_per_call(
            lambda: call("ListCampaigns", {"solutionArn": arns["solution"]}), seconds)
        tag = {"resourceArn": arns["campaign"], "tags": [{"tagKey": "k", "tagValue": "v"}]}
        out["TagResource"] = cpu_per_call(lambda: call("TagResource", tag), seconds)
        out["TagResource(fails)"] = cpu_per_call(_failing(call, arns["campaign"]), seconds)
        if http:
            c = boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1",
                             aws_access_key_id="x", aws_secret_access_key="x")
            c.describe_campaign(campaignArn=arns["campaign"])
            out["http DescribeCampaign/s"] = rate(lambda: c.describe_campaign(campaignArn=arns["campaign"]), seconds)
            out["http TagResource/s"] = rate(lambda: c.tag_resource(
                resourceArn=arns["campaign"], tags=[{"tagKey": "k", "tagValue": "v"}]), seconds)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 50, 100])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per measurement")
    parser.add_argument("--memory-only", action="store_true", help="skip the data-dir runs")
    parser.add_argument("--settled-only", action="store_true", help="skip the runs with campaigns pending")
    parser.add_argument("--http", action="store_true", help="also measure calls/s over HTTP with boto3")
    args = parser.parse_args()
    print("emulator CPU per call, µs (Backend.handle, no HTTP)", flush=True)
    for persist in (False,) if args.memory_only else (False, True):
        for settle in (True,) if args.settled_only else (True, False):
            for groups in args.groups:
                with tempfile.TemporaryDirectory() as tmp:
                    result = measure(groups, tmp if persist else None, args.seconds, settle, args.http)
                where = ("file store" if persist else "memory    ") + (" settled" if settle else " pending")
                cols = "  ".join(f"{k} {v:8.0f}" for k, v in result.items() if k != "resources")
                print(f"{where} {result['resources']:5d} resources  {cols}", flush=True)


if __name__ == "__main__":
    main()

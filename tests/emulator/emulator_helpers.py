"""Shared helpers for the emulator tests: schemas, waiting, a full resource chain, raw HTTP."""

from __future__ import annotations

import json
import urllib.request

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
UP_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
SEGMENT_RECIPE = "arn:aws:personalize:::recipe/aws-item-affinity"
TERMINAL = {"ACTIVE", "CREATE FAILED", "CREATE STOPPED", "INACTIVE", "COMPLETED", "FAILED"}


def avro(name: str, *fields: tuple) -> str:
    out = []
    for f in fields:
        fname, ftype, *extra = f
        field = {"name": fname, "type": ftype}
        for attr in extra:
            field[attr] = True
        out.append(field)
    return json.dumps(
        {"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema", "fields": out, "version": "1.0"}
    )


INTERACTIONS = avro("Interactions", ("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long"))
INTERACTIONS_EVENTS = avro(
    "Interactions", ("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long"), ("EVENT_TYPE", "string")
)
ITEMS = avro("Items", ("ITEM_ID", "string"), ("GENRE", "string", "categorical"))
ITEMS_V2 = avro("Items", ("ITEM_ID", "string"), ("GENRE", "string", "categorical"), ("PRICE", ["null", "float"]))
USERS = avro("Users", ("USER_ID", "string"), ("AGE", "int"))


def wait(describe, key: str, max_polls: int = 20, **arn) -> tuple[str, list[str]]:
    """Poll a Describe* until a terminal status; return (final, every status seen)."""
    seen = []
    for _ in range(max_polls):
        status = describe(**arn)[key]["status"]
        seen.append(status)
        if status in TERMINAL:
            return status, seen
    raise AssertionError(f"{key} never reached a terminal status: {seen}")


def wait_update(describe, key: str, update_key: str, max_polls: int = 20, **arn) -> tuple[str, list[str]]:
    seen = []
    for _ in range(max_polls):
        status = describe(**arn)[key][update_key]["status"]
        seen.append(status)
        if status in TERMINAL:
            return status, seen
    raise AssertionError(f"{key}.{update_key} never reached a terminal status: {seen}")


def wait_gone(describe, max_polls: int = 20, **arn) -> list[str]:
    seen = []
    client = describe.__self__
    for _ in range(max_polls):
        try:
            seen.append(_status(describe(**arn)))
        except client.exceptions.ResourceNotFoundException:
            return seen
    raise AssertionError(f"resource never went away: {seen}")


def _status(resp: dict) -> str:
    body = {k: v for k, v in resp.items() if k != "ResponseMetadata"}
    return next(iter(body.values()))["status"]


def create_group(c, name: str = "g", domain: str | None = None) -> str:
    kwargs = {"domain": domain} if domain else {}
    arn = c.create_dataset_group(name=name, **kwargs)["datasetGroupArn"]
    assert wait(c.describe_dataset_group, "datasetGroup", datasetGroupArn=arn)[0] == "ACTIVE"
    return arn


def create_dataset(c, group: str, schema_text: str = INTERACTIONS, dtype: str = "Interactions", name: str = "ds",
                   schema_name: str | None = None, domain: str | None = None) -> str:
    kwargs = {"domain": domain} if domain else {}
    schema = c.create_schema(name=schema_name or f"{name}-schema", schema=schema_text, **kwargs)["schemaArn"]
    arn = c.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group, datasetType=dtype)["datasetArn"]
    assert wait(c.describe_dataset, "dataset", datasetArn=arn)[0] == "ACTIVE"
    return arn


def import_data(c, dataset: str, name: str = "import") -> str:
    arn = c.create_dataset_import_job(
        jobName=name, datasetArn=dataset, dataSource={"dataLocation": "s3://bucket/data.csv"}, roleArn=ROLE
    )["datasetImportJobArn"]
    assert wait(c.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=arn)[0] == "ACTIVE"
    return arn


def create_solution(c, group: str, name: str = "sol", recipe: str = UP_RECIPE, **kwargs) -> str:
    arn = c.create_solution(name=name, datasetGroupArn=group, recipeArn=recipe, performAutoTraining=False, **kwargs)[
        "solutionArn"
    ]
    assert wait(c.describe_solution, "solution", solutionArn=arn)[0] == "ACTIVE"
    return arn


def train(c, solution: str, **kwargs) -> str:
    arn = c.create_solution_version(solutionArn=solution, **kwargs)["solutionVersionArn"]
    assert wait(c.describe_solution_version, "solutionVersion", solutionVersionArn=arn)[0] == "ACTIVE"
    return arn


def create_campaign(c, version: str, name: str = "camp", **kwargs) -> str:
    arn = c.create_campaign(name=name, solutionVersionArn=version, **kwargs)["campaignArn"]
    assert wait(c.describe_campaign, "campaign", campaignArn=arn)[0] == "ACTIVE"
    return arn


def full_chain(c, prefix: str = "p") -> dict[str, str]:
    """schema -> dataset group -> dataset -> import -> solution -> version -> campaign, all ACTIVE."""
    out = {"group": create_group(c, f"{prefix}-group")}
    out["dataset"] = create_dataset(c, out["group"], name=f"{prefix}-interactions")
    out["schema"] = c.describe_dataset(datasetArn=out["dataset"])["dataset"]["schemaArn"]
    out["import"] = import_data(c, out["dataset"], f"{prefix}-import")
    out["solution"] = create_solution(c, out["group"], f"{prefix}-solution")
    out["version"] = train(c, out["solution"])
    out["campaign"] = create_campaign(c, out["version"], f"{prefix}-campaign")
    return out


def raw_post(endpoint: str, body: bytes | str, target: str | None = "AmazonPersonalize.ListSchemas",
             auth: str | None = "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/personalize/aws4_request, "
             "SignedHeaders=host, Signature=00", path: str = "/", headers: dict | None = None) -> tuple[int, dict]:
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(endpoint + path, data=data, method="POST")
    req.add_header("Content-Type", "application/x-amz-json-1.1")
    if target:
        req.add_header("X-Amz-Target", target)
    if auth:
        req.add_header("Authorization", auth)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def control(endpoint: str, payload: dict) -> dict:
    status, body = raw_post(endpoint, json.dumps(payload), target=None, auth=None, path="/_perso/control")
    assert status == 200, body
    return body

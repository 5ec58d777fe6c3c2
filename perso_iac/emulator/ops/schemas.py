"""Schemas: Avro-checked at creation, no lifecycle, deletable only when no dataset uses them."""

from __future__ import annotations

from .. import avro
from .. import errors as E
from .account import Account
from .generic import describe, listing


def create_schema(acct: Account, p: dict) -> dict:
    name = p["name"]
    acct.quota("schemas", len(acct.records("schema")), "schemas per account and region")
    acct.unique_name("schema", name)
    try:
        avro.check_schema_text(p["schema"], p.get("domain"))
    except avro.SchemaError as exc:
        raise E.invalid_input(f"Invalid schema: {exc}") from None
    arn = acct.arn("schema", name)
    acct.new("schema", arn, {"name": name, "schema": p["schema"], "domain": p.get("domain")}, {})
    return {"schemaArn": arn}


def delete_schema(acct: Account, p: dict) -> dict:
    rec = acct.get(p["schemaArn"], "schema")
    users = [
        d["arn"]
        for d in acct.records("dataset")
        if d["data"].get("schemaArn") == rec["arn"]
        or (d.get("upd") is not None and d["data"]["latestDatasetUpdate"].get("schemaArn") == rec["arn"])
    ]
    if users:
        raise E.in_use("The provided schema is being referenced by one or more datasets")
    acct.remove(rec["arn"])
    return {}


OPERATIONS = {
    "CreateSchema": create_schema,
    "DescribeSchema": describe("schema", "schemaArn"),
    "ListSchemas": listing("ListSchemas", "schema", "schemas", None),
    "DeleteSchema": delete_schema,
}

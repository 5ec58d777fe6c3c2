"""Schema: synchronous, immutable, not taggable. Compared semantically (parsed Avro JSON)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, describe_or_none, find_by_name, ignore_not_found, pick
from .impact import Impact


def canonical_json(text: str | Mapping[str, Any]) -> str:
    """One spelling per JSON document, so whitespace and key order never show as a change."""
    data = json.loads(text) if isinstance(text, str) else text
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class SchemaType(ResourceType):
    type_name = "schema"
    impact = Impact(
        typical_create=5, typical_delete=5,
        unavailable="nothing serves from a schema; the datasets using it are replaced with it",
        changes=("schema ARN",),
        loss="nothing stored (a schema is a definition), but its datasets are replaced and lose their data")
    taggable = False
    create_timeout = 120.0
    delete_timeout = 120.0

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if isinstance(out.get("schema"), str | dict):
            # Invalid JSON stays as written: the API rejects it with a clear message.
            with contextlib.suppress(ValueError):
                out["schema"] = canonical_json(out["schema"])
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_schema, schemaArn=arn)
        if resp is None:
            return None
        schema = resp["schema"]
        params = self.normalize(pick(schema, ("name", "schema", "domain")))
        return Observed(arn=arn, params=params, status=None, outputs={"arn": arn})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        return find_by_name(client, "list_schemas", "schemas", "schemaArn", name)

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, ("schema", "domain"))
        return client.create_schema(name=name, **args)["schemaArn"]

    def delete(self, client: Any, arn: str) -> None:
        ignore_not_found(client.delete_schema, schemaArn=arn)

"""A boto3 client whose every response is checked against the botocore output shape.

In its own module (not conftest.py) so test files can import it by a name no other test
directory uses."""

from __future__ import annotations

import json

import boto3

from perso_iac.emulator.model import validate


class ShapeChecker:
    """botocore ``after-call`` hook: validates every raw response body against the model."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.ok_ops: set[str] = set()
        self.error_codes: list[tuple[str, str]] = []

    def __call__(self, http_response, parsed, model, **_: object) -> None:
        body = json.loads(http_response.content or b"{}")
        if http_response.status_code != 200:
            if set(body) != {"__type", "message"}:
                self.problems.append(f"{model.name}: error body {body}")
            self.error_codes.append((model.name, body.get("__type", "")))
            return
        shape = model.output_shape
        if shape is None:  # Delete*: AWS sends content-length 0 (FINDINGS.md §12)
            if http_response.content != b"":
                self.problems.append(f"{model.name}: expected an empty body, got {http_response.content[:80]!r}")
        else:
            self.problems += [f"{model.name}: {p}" for p in validate(shape, body, output=True)]
        self.ok_ops.add(model.name)


def checked_client(endpoint_url: str, **kwargs):
    client = boto3.client("personalize", endpoint_url=endpoint_url, region_name="us-east-1", **kwargs)
    checker = ShapeChecker()
    client.meta.events.register("after-call.personalize", checker)
    client.shape_checker = checker  # type: ignore[attr-defined]
    return client

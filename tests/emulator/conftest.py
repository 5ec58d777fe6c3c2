"""Emulator test fixtures: every response checked against the botocore output shape."""

from __future__ import annotations

import json

import boto3
import pytest

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
        if shape is None:
            if body != {}:
                self.problems.append(f"{model.name}: expected an empty body, got {body}")
        else:
            self.problems += [f"{model.name}: {p}" for p in validate(shape, body, output=True)]
        self.ok_ops.add(model.name)


def checked_client(endpoint_url: str, **kwargs):
    client = boto3.client("personalize", endpoint_url=endpoint_url, region_name="us-east-1", **kwargs)
    checker = ShapeChecker()
    client.meta.events.register("after-call.personalize", checker)
    client.shape_checker = checker  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client(emulator):
    """A boto3 client on the emulator whose every response must match the model's output shape."""
    c = checked_client(emulator.endpoint_url)
    yield c
    assert c.shape_checker.problems == []


@pytest.fixture
def noretry(emulator):
    """Like ``client`` but without botocore retries (LimitExceeded/Throttling are retried by default)."""
    from botocore.config import Config

    c = checked_client(emulator.endpoint_url, config=Config(retries={"total_max_attempts": 1}))
    yield c
    assert c.shape_checker.problems == []

"""Emulator test fixtures: every response checked against the botocore output shape."""

from __future__ import annotations

import pytest
from shape_checked import checked_client


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

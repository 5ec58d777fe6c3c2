"""Shared fixtures: the Personalize emulator and an S3 server, both real HTTP on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

# Never let a test reach real AWS or pick up a developer's credentials.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)
# The emulator verifies after every request that it persisted and could roll back all it changed.
os.environ.setdefault("PERSO_EMULATOR_CHECK", "1")


@pytest.fixture
def emulator() -> Iterator[object]:
    """A fresh emulator on a free port with instant (but observable) lifecycles."""
    from perso_iac.emulator import EmulatorConfig, EmulatorServer

    server = EmulatorServer(EmulatorConfig(time_scale=0), port=0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def personalize(emulator):
    """An unmodified boto3 Personalize client talking to the emulator over HTTP."""
    return boto3.client("personalize", endpoint_url=emulator.endpoint_url, region_name="us-east-1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server in a subprocess: real HTTP, no in-process mocking; its writes are atomic as
    S3's are (tests/moto_s3_server.py)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("moto_s3_server.py")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto server did not start")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_endpoint, request) -> str:
    """A new, empty bucket on the moto server for one test."""
    import uuid

    name = f"perso-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name

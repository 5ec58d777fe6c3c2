"""The only place boto3 clients are built.

Credentials, region and endpoints follow boto3's standard chain (profiles, environment,
SSO, roles, AWS_ENDPOINT_URL_PERSONALIZE / AWS_ENDPOINT_URL_S3). An explicit endpoint_url
(the embedded emulator, a test server) overrides the chain. With `local` (`perso --local`), the
Personalize client talks to the embedded emulator with fixed fake credentials: it needs none,
never sends the user's real ones, and the process environment is left alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from . import retry
from .errors import AwsError

DEFAULT_REGION = "us-east-1"
AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    personalize_endpoint: str | None = None
    max_pool_connections: int = 10
    local: bool = False          # Personalize is the embedded emulator (personalize_endpoint)


LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # the emulator takes any


def make_session(settings: AwsSettings) -> boto3.session.Session:
    try:
        return boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    except BotoCoreError as exc:
        raise AwsError(f"cannot set up AWS session: {exc}", hint="check --profile and your AWS config") from exc


def make_client(service: str, settings: AwsSettings, *, endpoint_url: str | None = None,
                region: str | None = None) -> Any:
    """A boto3 client that retries throttling patiently (perso_iac.retry) with a pool sized for --parallelism."""
    session = make_session(settings)
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},  # perso's RetryPolicy decides instead
        max_pool_connections=max(10, settings.max_pool_connections),
        connect_timeout=10,
        read_timeout=60,
    )
    region_name = region or settings.region or session.region_name or DEFAULT_REGION
    credentials: dict[str, str] = {}
    if service == "personalize":
        endpoint_url = endpoint_url or settings.personalize_endpoint
        credentials = LOCAL_CREDENTIALS if settings.local else {}
    try:
        client = session.client(service, region_name=region_name, endpoint_url=endpoint_url, config=config,
                                **credentials)
    except (NoRegionError, NoCredentialsError, BotoCoreError) as exc:
        raise AwsError(f"cannot create the {service} client: {exc}") from exc
    return retry.install(client, retry.RetryPolicy.from_env())


def make_tagging_client(settings: AwsSettings, personalize: Any) -> Any:
    """A Resource Groups Tagging API client (tag:GetResources reads the tags of 100 resources in one
    call) with the Personalize client's identity and region. Its endpoint:
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API, else the Personalize client's own when that is not
    AWS's (the embedded emulator, a test server: they serve both), else AWS's. Short timeouts and
    botocore's own few retries: where the API cannot be reached (a VPC with only a Personalize
    endpoint), the refresh falls back to one ListTagsForResource per resource instead of waiting."""
    endpoint = None
    if not os.environ.get("AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API"):
        own = personalize.meta.endpoint_url
        endpoint = None if (urlsplit(own).hostname or "").endswith(AWS_DOMAINS) else own
    config = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
                    max_pool_connections=max(10, settings.max_pool_connections))
    credentials = LOCAL_CREDENTIALS if settings.local and endpoint is not None else {}
    try:
        return make_session(settings).client("resourcegroupstaggingapi", region_name=personalize.meta.region_name,
                                             endpoint_url=endpoint, config=config, **credentials)
    except BotoCoreError as exc:
        raise AwsError(f"cannot create the Resource Groups Tagging API client: {exc}") from exc


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def wrap_error(exc: BaseException, *, operation: str, address: str | None = None) -> AwsError:
    """Turn a botocore error into an AwsError naming the resource and the operation."""
    where = f"{address}: " if address else ""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "Unknown")
        return AwsError(f"{where}{operation} failed: {code}: {err.get('Message', '')}".rstrip(": "),
                        address=address, operation=operation, code=code)
    if isinstance(exc, NoCredentialsError):
        return AwsError(f"{where}{operation} failed: no AWS credentials found", address=address,
                        operation=operation, hint="configure credentials (AWS_PROFILE, env vars, SSO) or use --local")
    return AwsError(f"{where}{operation} failed: {exc}", address=address, operation=operation)

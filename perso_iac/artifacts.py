"""Saved plans and reports at a local path or an s3://bucket/key URL.

Schedulers' workers (Airflow, Kubernetes jobs) keep no disk between tasks: `perso plan --out
s3://…`, `perso drift --json-out s3://…` and `perso apply s3://…/plan.json` let them pass plans
and reports through S3 with perso's own client (same credentials chain, AWS_ENDPOINT_URL_S3
honoured), so they need no `aws` CLI.
"""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from .aws import AwsSettings, error_code, make_client, wrap_error
from .errors import AwsError


def is_s3(location: str | Path) -> bool:
    return str(location).startswith("s3://")


def _split(url: str) -> tuple[str, str]:
    bucket, _, key = url[len("s3://"):].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise AwsError(f"{url!r} must be s3://BUCKET/KEY", hint="e.g. s3://my-bucket/perso/plans/plan.json")
    return bucket, key


def write_text(location: str | Path, text: str, settings: AwsSettings | None = None) -> None:
    """Write atomically: a local temp file renamed over the target, or one S3 PutObject."""
    if not is_s3(location):
        target = Path(location)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        return
    bucket, key = _split(str(location))
    try:
        make_client("s3", settings or AwsSettings()).put_object(
            Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
    except (BotoCoreError, ClientError) as exc:  # named by URL and operation, never a traceback
        raise wrap_error(exc, operation="s3:PutObject", address=str(location)) from exc


def read_text(location: str | Path, settings: AwsSettings | None = None) -> str:
    """Read a local file or an S3 object; FileNotFoundError when either does not exist."""
    if not is_s3(location):
        return Path(location).read_text(encoding="utf-8")
    bucket, key = _split(str(location))
    try:
        body = make_client("s3", settings or AwsSettings()).get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            raise FileNotFoundError(str(location)) from None
        raise wrap_error(exc, operation="s3:GetObject", address=str(location)) from exc
    return body.decode("utf-8")

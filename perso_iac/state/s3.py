"""State in S3: conditional writes (If-Match on the ETag we read), a lock object written with
If-None-Match: *, SSE-S3 or SSE-KMS, and object versions for recovery.

Two writers can never silently overwrite each other, lock or no lock: every write names the
version it replaces, and S3 refuses it (412, or 409 under a concurrent conditional write)
if that is no longer the current one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from ..aws import AwsSettings, error_code, make_client
from ..errors import StaleStateError, StateConflictError, StateCorruptError, StateError, StateLockedError
from .backend import LockInfo
from .model import StateFile

DEFAULT_LEASE_SECONDS = 12 * 3600  # longer than any apply should run; expired locks may be broken
_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


@dataclass(frozen=True)
class StateVersion:
    version_id: str
    last_modified: str
    size: int
    is_latest: bool


class S3Backend:
    def __init__(self, *, stack: str, settings: AwsSettings, bucket: str, key: str, region: str | None = None,
                 kms_key_id: str | None = None, endpoint_url: str | None = None,
                 lease_seconds: int = DEFAULT_LEASE_SECONDS) -> None:
        self.stack = stack
        self.bucket = bucket
        self.key = key
        self.lock_key = f"{key}.lock"
        self.kms_key_id = kms_key_id
        self.lease_seconds = lease_seconds
        self.client = make_client("s3", settings, endpoint_url=endpoint_url, region=region)
        self._etag: str | None = None       # ETag of the state object we last read or wrote
        self._stored: tuple[str, int] | None = None  # its (lineage, serial)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    # -- state ------------------------------------------------------------------------------------
    def read(self) -> StateFile:
        body, etag = self._get(self.key)
        if body is None:
            self._etag, self._stored = None, None
            return StateFile(stack=self.stack)
        state = self._parse(body, self.describe())
        self._etag, self._stored = etag, (state.lineage, state.serial)
        return state

    def read_version(self, version_id: str) -> StateFile:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
            body = resp["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, f"read version {version_id} of") from exc
        return self._parse(body, f"{self.describe()} (version {version_id})")

    def write(self, state: StateFile) -> None:
        if self._stored is not None and self._stored[0] != state.lineage:
            raise StaleStateError(
                f"{self.describe()} holds lineage {self._stored[0]}, not {state.lineage}: it is another state",
                hint="refusing to overwrite it; check --state, or use `perso state push --force`")
        serial = (self._stored[1] if self._stored else state.serial) + 1
        body = json.dumps({**state.to_dict(), "serial": serial}, indent=2).encode() + b"\n"
        condition = {"IfMatch": self._etag} if self._etag else {"IfNoneMatch": "*"}
        try:
            resp = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body,
                                          ContentType="application/json", **condition, **self._sse())
        except ClientError as exc:
            if _is_conflict(exc):
                raise StateConflictError(
                    f"{self.describe()} was changed by someone else since it was read; nothing was overwritten",
                    hint="run the command again (hold the lock to keep concurrent writers out)") from exc
            raise self._error(exc, "write") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "write") from exc
        state.serial = serial
        self._etag, self._stored = resp.get("ETag"), (state.lineage, serial)

    def history(self) -> list[StateVersion]:
        """Versions of the state object, newest first (empty on an unversioned bucket)."""
        try:
            paginator = self.client.get_paginator("list_object_versions")
            versions = [v for page in paginator.paginate(Bucket=self.bucket, Prefix=self.key)
                        for v in page.get("Versions", []) if v["Key"] == self.key]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list versions of") from exc
        versions.sort(key=lambda v: v["LastModified"], reverse=True)
        return [StateVersion(v["VersionId"], v["LastModified"].isoformat(timespec="seconds"), v.get("Size", 0),
                             bool(v.get("IsLatest"))) for v in versions if v.get("VersionId") not in (None, "null")]

    # -- locking ------------------------------------------------------------------------------------
    def lock(self, operation: str) -> LockInfo:
        info = LockInfo.new(operation, self.describe(), lease_seconds=self.lease_seconds)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.lock_key, Body=json.dumps(info.to_dict()).encode(),
                                   ContentType="application/json", IfNoneMatch="*", **self._sse())
        except ClientError as exc:
            if not _is_conflict(exc):
                raise self._error(exc, "lock") from exc
            holder = self.lock_info()
            raise StateLockedError(_held_message(self.describe(), holder), lock=holder,
                                   hint=_unlock_hint(holder)) from None
        except BotoCoreError as exc:
            raise self._error(exc, "lock") from exc
        return info

    def unlock(self, lock_id: str) -> None:
        body, etag = self._get(self.lock_key)
        if body is None:
            return
        holder = _parse_lock(body)
        if holder is not None and holder.id != lock_id:
            raise StateError(f"{self.describe()} is locked by another lock ({holder.describe()}), not {lock_id}",
                             hint="only the holder's lock id releases it: see `perso state lock-info`")
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.lock_key, IfMatch=etag)
        except ClientError as exc:
            if error_code(exc) == "NoSuchKey":
                return
            if _is_conflict(exc):
                raise StateError(f"the lock on {self.describe()} changed while it was being released",
                                 hint="check `perso state lock-info`") from exc
            raise self._error(exc, "unlock") from exc

    def lock_info(self) -> LockInfo | None:
        body, _ = self._get(self.lock_key)
        if body is None:
            return None
        return _parse_lock(body) or LockInfo(id="", operation="?", who="unknown (unreadable lock object)", created="?")

    # -- helpers ------------------------------------------------------------------------------------
    def _sse(self) -> dict[str, str]:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
            return resp["Body"].read(), resp.get("ETag")
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None, None
            raise self._error(exc, "read") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "read") from exc

    def _parse(self, body: bytes, source: str) -> StateFile:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise StateCorruptError(
                f"{source} is not valid JSON ({exc}); it may be truncated",
                hint="restore an earlier version: `perso state history`, then `perso state pull --version ID` "
                     "and `perso state push FILE --force`") from exc
        return StateFile.from_dict(data, source=source)

    def _error(self, exc: Exception, doing: str) -> StateError:
        where = f"s3://{self.bucket}/{self.key}"
        if not isinstance(exc, ClientError):
            return StateError(f"cannot {doing} {where}: {exc}", hint="check the network, region and endpoint")
        code = error_code(exc) or "Unknown"
        message = exc.response.get("Error", {}).get("Message", "")
        hints = {
            "NoSuchBucket": f"create the bucket {self.bucket} (with versioning on), or fix backend.s3.bucket",
            "AccessDenied": f"the credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on {self.key} "
                            f"and {self.lock_key}" + (" plus kms:Encrypt/Decrypt/GenerateDataKey on the key"
                                                      if self.kms_key_id else ""),
            "PermanentRedirect": "the bucket is in another region: set backend.s3.region",
            "AuthorizationHeaderMalformed": "the bucket is in another region: set backend.s3.region",
            "KMS.NotFoundException": "backend.s3.kms_key_id names no KMS key in this account and region",
            "KMS.DisabledException": "the KMS key is disabled",
        }
        hint = hints.get(code) or ("check the KMS key policy and kms_key_id" if code.startswith("KMS") else None)
        return StateError(f"cannot {doing} {where}: {code}: {message}".rstrip(": "), hint=hint)


def _is_conflict(exc: ClientError) -> bool:
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return error_code(exc) in _CONFLICT or status in ("409", "412")


def _parse_lock(body: bytes) -> LockInfo | None:
    try:
        return LockInfo.from_dict(json.loads(body))
    except (ValueError, TypeError):
        return None


def lease_expired(lock: LockInfo, now: datetime | None = None) -> bool:
    if not lock.lease_seconds:
        return False
    try:
        created = datetime.fromisoformat(lock.created)
    except ValueError:
        return False
    return ((now or datetime.now(UTC)) - created).total_seconds() > lock.lease_seconds


def _held_message(where: str, holder: LockInfo | None) -> str:
    if holder is None:
        return f"{where} is locked (the lock object vanished while being read; try again)"
    expired = " (its lease has expired: the holder is probably gone)" if lease_expired(holder) else ""
    return f"{where} is locked: {holder.describe()}{expired}"


def _unlock_hint(holder: LockInfo | None) -> str:
    lock_id = holder.id if holder and holder.id else "LOCK_ID"
    return (f"wait for that run to finish (or use --lock-timeout); if it was cancelled, release it with "
            f"`perso state unlock {lock_id}`")

"""State in S3: conditional writes (If-Match on the ETag we read), a lock object written with
If-None-Match: *, SSE-S3 or SSE-KMS, and object versions for recovery.

Two writers can never silently overwrite each other, lock or no lock: every write names the
version it replaces (`IfMatch: <etag>`, or `IfNoneMatch: *` when there was none), and S3 refuses
it with 412 if that is no longer the current one.

What real S3 does that moto's server does not, and how this module copes anyway:
- 409 ConditionalRequestConflict, when two conditional writes to one key race: the write is
  retried a few times with backoff (S3's advice); it then succeeds, or gets the 412 that says
  someone else won. Tests inject the 409 through a proxy in front of moto.
- A write whose response was lost (timeout, connection reset) is retried by botocore; if the
  first attempt had landed, the retry gets 412. Every state write carries its SHA-256 in the
  object's metadata (and every lock its id), so a 412 on our own write is recognised as success.
- DeleteObject with If-Match (releasing the lock only if it is still ours) is recent on general
  purpose buckets; where S3 answers NotImplemented the id is checked, then deleted plainly.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, IncompleteReadError, ResponseStreamingError

from ..aws import AwsSettings, error_code, make_client
from ..errors import StaleStateError, StateConflictError, StateCorruptError, StateError, StateLockedError
from .backend import LockInfo, StateBackend, StateVersion, default_lease_seconds, lock_error
from .encode import Encoder
from .model import StateFile

__all__ = ["S3Backend", "StateVersion"]

_PRECONDITION = {"PreconditionFailed", "412"}
_RACE = {"ConditionalRequestConflict", "409", "OperationAborted"}
_SHA_META = "perso-sha256"
_RACE_RETRIES = 4


class S3Backend(StateBackend):
    def __init__(self, *, stack: str, settings: AwsSettings, bucket: str, key: str, region: str | None = None,
                 kms_key_id: str | None = None, endpoint_url: str | None = None,
                 lease_seconds: int | None = None, client: Any = None) -> None:
        self.stack = stack
        self.bucket = bucket
        self.key = key
        self.lock_key = f"{key}.lock"
        self.kms_key_id = kms_key_id
        self.region = region or settings.region
        self.lease_seconds = default_lease_seconds() if lease_seconds is None else lease_seconds
        self.client = client or make_client("s3", settings, endpoint_url=endpoint_url, region=region)
        self._etag: str | None = None                 # ETag of the state object we last read or wrote
        self._stored: tuple[str, int] | None = None   # its (lineage, serial); None: there was none
        self._lock_etags: dict[str, str] = {}          # lock id -> ETag of the lock object we wrote
        self._encoder = Encoder()

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    # -- state ------------------------------------------------------------------------------------
    def read(self) -> StateFile:
        got = self._get(self.key, "read")
        if got is None:
            self._etag, self._stored = None, None
            return StateFile(stack=self.stack)
        body, etag, meta = got
        state = self._parse(body, self.describe(), meta)
        self._etag, self._stored = etag, (state.lineage, state.serial)
        return state

    def read_version(self, version_id: str) -> StateFile:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
            body = resp["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchVersion", "InvalidArgument", "NoSuchKey", "404", "400"):
                raise StateError(f"{self.describe()} has no version {version_id!r}",
                                 hint="list them with `perso state history`") from exc
            raise self._error(exc, f"read version {version_id} of") from exc
        except (BotoCoreError, IncompleteReadError, ResponseStreamingError) as exc:
            raise self._error(exc, f"read version {version_id} of") from exc
        return self._parse(body, f"{self.describe()} (version {version_id})", resp.get("Metadata") or {})

    def write(self, state: StateFile, *, allow_new_lineage: bool = False) -> None:
        if self._stored is not None and self._stored[0] != state.lineage and not allow_new_lineage:
            raise StaleStateError(
                f"{self.describe()} holds lineage {self._stored[0]}, not {state.lineage}: it is another state",
                hint="refusing to overwrite it; check --state, or use `perso state push --force`")
        serial = max((self._stored[1] if self._stored else 0) + 1, state.serial)
        body = self._encoder.encode(state, serial)
        digest = hashlib.sha256(body).hexdigest()
        condition = {"IfMatch": self._etag} if self._etag else {"IfNoneMatch": "*"}
        for attempt in range(_RACE_RETRIES + 1):
            try:
                resp = self.client.put_object(
                    Bucket=self.bucket, Key=self.key, Body=body, ContentType="application/json",
                    Metadata={_SHA_META: digest, "perso-lineage": state.lineage, "perso-serial": str(serial)},
                    **condition, **self._sse())
                etag = resp.get("ETag")
                break
            except ClientError as exc:
                code = _code(exc)
                if code in _RACE and attempt < _RACE_RETRIES:
                    _backoff(attempt)
                    continue
                if code in _PRECONDITION | _RACE or (self._etag and code in ("NoSuchKey", "404")):
                    # (IfMatch on an object deleted since it was read: 412 on S3, 404 on moto)
                    etag = self._landed(digest)  # a retried request whose first attempt landed?
                    if etag:
                        break
                    raise self._conflict() from exc
                raise self._error(exc, "write") from exc
            except BotoCoreError as exc:
                raise self._error(exc, "write") from exc
        state.serial = serial
        self._etag, self._stored = etag, (state.lineage, serial)

    def _landed(self, digest: str) -> str | None:
        """The ETag of the stored state if it is the body we just tried to write."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key)
        except (ClientError, BotoCoreError):
            return None
        return head.get("ETag") if (head.get("Metadata") or {}).get(_SHA_META) == digest else None

    def _conflict(self) -> StateConflictError:
        now = ""
        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=self.key).get("Metadata") or {}
            if meta.get("perso-serial"):
                now = f" (it is now at serial {meta['perso-serial']})"
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                now = " (it was deleted)"
        except BotoCoreError:
            pass
        return StateConflictError(
            f"{self.describe()} was changed by someone else since it was read{now}; nothing was overwritten",
            hint="run the command again (hold the lock to keep concurrent writers out)")

    def history(self) -> list[StateVersion]:
        """Versions of the state object, newest first (empty on an unversioned bucket)."""
        try:
            paginator = self.client.get_paginator("list_object_versions")
            pages = list(paginator.paginate(Bucket=self.bucket, Prefix=self.key))
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list the versions of") from exc
        found = []
        for page in pages:
            found += [(v, False) for v in page.get("Versions", []) if v["Key"] == self.key]
            found += [(m, True) for m in page.get("DeleteMarkers", []) if m["Key"] == self.key]
        if all(v.get("VersionId") in (None, "null") for v, _ in found):
            return []  # never versioned: there is only the current object
        # Newest first; S3 lists each key's versions newest first, and the sort keeps that order for
        # versions written within the same second (LastModified has one-second resolution).
        found.sort(key=lambda item: (item[0]["LastModified"], bool(item[0].get("IsLatest"))), reverse=True)
        return [StateVersion(v["VersionId"], v["LastModified"].isoformat(timespec="seconds"), v.get("Size", 0),
                             bool(v.get("IsLatest")), deleted=marker) for v, marker in found]

    # -- locking ------------------------------------------------------------------------------------
    def lock(self, operation: str) -> LockInfo:
        info = LockInfo.new(operation, self.describe(), lease_seconds=self.lease_seconds)
        body = json.dumps(info.to_dict(), indent=2).encode()
        for attempt in range(_RACE_RETRIES + 1):
            try:
                resp = self.client.put_object(Bucket=self.bucket, Key=self.lock_key, Body=body,
                                              ContentType="application/json", IfNoneMatch="*", **self._sse())
                self._lock_etags[info.id] = resp.get("ETag", "")
                return info
            except ClientError as exc:
                code = _code(exc)
                if code in _RACE and attempt < _RACE_RETRIES:
                    _backoff(attempt)
                    continue
                if code not in _PRECONDITION | _RACE:
                    raise self._error(exc, "lock") from exc
            except BotoCoreError as exc:
                raise self._error(exc, "lock") from exc
            got = self._get(self.lock_key, "read the lock of")
            if got is None:  # released between our attempt and this read: try again
                if attempt < _RACE_RETRIES:
                    continue
                break
            holder = _parse_lock(got[0])
            if holder is not None and holder.id == info.id:  # our own write, retried by botocore
                self._lock_etags[info.id] = got[1] or ""
                return info
            raise lock_error(self.describe(), holder or _unreadable(self.lock_key)) from None
        raise lock_error(self.describe(), None)

    def renew(self, lock_id: str) -> LockInfo:
        got = self._get(self.lock_key, "read the lock of")
        holder = _parse_lock(got[0]) if got else None
        if got is None or holder is None or holder.id != lock_id:
            raise StateLockedError(f"the lock {lock_id} on {self.describe()} is no longer held "
                                   f"({holder.describe() if holder else 'the lock was released'})", lock=holder)
        renewed = holder.renewed()
        try:
            resp = self.client.put_object(Bucket=self.bucket, Key=self.lock_key, IfMatch=got[1],
                                          Body=json.dumps(renewed.to_dict(), indent=2).encode(),
                                          ContentType="application/json", **self._sse())
        except ClientError as exc:
            if _code(exc) in _PRECONDITION | _RACE:
                raise StateLockedError(f"the lock {lock_id} on {self.describe()} changed while being renewed",
                                       lock=holder) from exc
            raise self._error(exc, "renew the lock of") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "renew the lock of") from exc
        self._lock_etags[lock_id] = resp.get("ETag", "")
        return renewed

    def unlock(self, lock_id: str) -> None:
        got = self._get(self.lock_key, "read the lock of")
        if got is None:
            return
        holder = _parse_lock(got[0])
        if holder is None or holder.id != lock_id:
            holder = holder or _unreadable(self.lock_key)
            raise StateError(f"{self.describe()} is locked by another lock ({holder.describe()}), not {lock_id}",
                             hint="only the holder's lock id releases it: see `perso state lock-info`")
        self._delete_lock(got[1])
        self._lock_etags.pop(lock_id, None)

    def break_lock(self, seen: LockInfo) -> None:
        """Remove the lock if it is still the one `seen` (force-unlock)."""
        got = self._get(self.lock_key, "read the lock of")
        if got is None:
            return
        holder = _parse_lock(got[0]) or _unreadable(self.lock_key)
        if holder != seen:
            raise StateError(f"the lock on {self.describe()} changed meanwhile: it is now {holder.describe()}",
                             hint="check `perso state lock-info` again")
        self._delete_lock(got[1])

    def _delete_lock(self, etag: str | None) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.lock_key, **({"IfMatch": etag} if etag else {}))
        except ClientError as exc:
            code = _code(exc)
            if code in ("NoSuchKey", "404"):
                return
            if code in _PRECONDITION | _RACE:
                raise StateError(f"the lock on {self.describe()} changed while it was being released",
                                 hint="check `perso state lock-info`") from exc
            if code in ("NotImplemented", "501"):  # no conditional delete here: the id was checked just now
                try:
                    self.client.delete_object(Bucket=self.bucket, Key=self.lock_key)
                    return
                except (ClientError, BotoCoreError) as again:
                    raise self._error(again, "release the lock of") from again
            raise self._error(exc, "release the lock of") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "release the lock of") from exc

    def lock_info(self) -> LockInfo | None:
        got = self._get(self.lock_key, "read the lock of")
        if got is None:
            return None
        return _parse_lock(got[0]) or _unreadable(self.lock_key)

    # -- helpers ------------------------------------------------------------------------------------
    def _sse(self) -> dict[str, str]:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def _get(self, key: str, doing: str) -> tuple[bytes, str | None, dict[str, str]] | None:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
            return resp["Body"].read(), resp.get("ETag"), resp.get("Metadata") or {}
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise self._error(exc, doing) from exc
        except (BotoCoreError, IncompleteReadError, ResponseStreamingError) as exc:
            raise self._error(exc, doing) from exc

    def _parse(self, body: bytes, source: str, meta: dict[str, str]) -> StateFile:
        hint = ("restore an earlier version: `perso state history`, then `perso state pull --version ID > old.json` "
                "and `perso state push old.json --force`")
        expected = meta.get(_SHA_META)
        if expected and hashlib.sha256(body).hexdigest() != expected:
            raise StateCorruptError(f"{source} does not match the checksum perso stored with it: it was truncated "
                                    "or altered", hint=hint)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise StateCorruptError(f"{source} is not valid JSON ({exc}); it may be truncated", hint=hint) from exc
        return StateFile.from_dict(data, source=source)

    def _error(self, exc: BaseException, doing: str) -> StateError:
        where = f"s3://{self.bucket}/{self.key}"
        if isinstance(exc, IncompleteReadError | ResponseStreamingError):
            return StateError(f"cannot {doing} {where}: the download was cut short ({exc})",
                              hint="nothing was changed; run the command again")
        if not isinstance(exc, ClientError):
            text = str(exc)
            hint = ("configure AWS credentials (AWS_PROFILE, environment variables, SSO, an instance role)"
                    if "credentials" in text.lower() else "check the network, --region and the endpoint")
            return StateError(f"cannot {doing} {where}: {text}", hint=hint)
        code = _code(exc) or "Unknown"
        err = exc.response.get("Error", {})
        message = err.get("Message", "")
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        bucket_region = err.get("Region") or headers.get("x-amz-bucket-region")
        kms = code.startswith("KMS") or "kms" in message.lower()
        if code in ("NoSuchBucket",):
            return StateError(f"cannot {doing} {where}: the bucket {self.bucket} does not exist (NoSuchBucket)",
                              hint=f"create the bucket {self.bucket} (with versioning on, to keep every version of "
                                   "the state), or fix backend.s3.bucket / --state")
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
                    "301") or (code == "400" and bucket_region):
            where_is = f"in region {bucket_region}" if bucket_region else "in another region"
            return StateError(f"cannot {doing} {where}: the bucket is {where_is}, not {self.region or 'the default'} "
                              f"({code})", hint="set backend.s3.region in the spec (or --region) to the bucket's region")
        if kms:
            key = f"the KMS key {self.kms_key_id}" if self.kms_key_id else "the bucket's KMS key"
            return StateError(f"cannot {doing} {where}: {code}: {message}".rstrip(": "),
                              hint=f"check that {key} exists in the bucket's region, is enabled, and lets you "
                                   "kms:Encrypt, kms:Decrypt and kms:GenerateDataKey")
        if code in ("AccessDenied", "403", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                    "ExpiredToken", "InvalidToken"):
            return StateError(f"cannot {doing} {where}: access denied ({code}{': ' + message if message else ''})",
                              hint=f"the credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on "
                                   f"{self.key} and {self.lock_key}, and s3:ListBucket (s3:ListBucketVersions "
                                   "for history) on the bucket")
        return StateError(f"cannot {doing} {where}: {code}: {message}".rstrip(": "))


def _code(exc: ClientError) -> str:
    code = error_code(exc) or ""
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    if status == "412" and code not in _PRECONDITION:
        return "412"
    if status == "409" and code not in _RACE:
        return code or "409"
    return code or status


def _backoff(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))


def _parse_lock(body: bytes) -> LockInfo | None:
    try:
        info = LockInfo.from_dict(json.loads(body))
    except (ValueError, TypeError, AttributeError):
        return None
    return info if info.id else None


def _unreadable(key: str) -> LockInfo:
    return LockInfo(id="", operation="?", who=f"unknown (unreadable lock object {key})", created="?")

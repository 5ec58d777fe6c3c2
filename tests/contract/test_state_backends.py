"""One conformance suite that every state backend must pass (Terraform's statemgr TestFull):
local files, and S3 on moto's server over real HTTP, versioned and unversioned.

S3 behaviours moto does not reproduce (409 ConditionalRequestConflict, lost responses, cut-short
downloads, access denied, KMS and region errors) are injected by `FaultProxy`, a plain HTTP proxy
in front of moto's server: the backend still talks real HTTP, nothing in-process is mocked."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import boto3
import pytest

from perso_iac.aws import AwsSettings, make_client
from perso_iac.errors import (
    StaleStateError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
)
from perso_iac.state import backend as backend_mod
from perso_iac.state.backend import LockInfo, StateBackend, locked
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import ResourceState, StateFile
from perso_iac.state.s3 import S3Backend

Factory = Callable[[], StateBackend]


def _s3_factory(endpoint: str, bucket: str) -> Factory:
    """Independent backend instances (each remembers its own reads) sharing one boto3 client,
    built by perso's own client factory (building one per instance costs ~0.3 s)."""
    settings = AwsSettings(region="us-east-1")
    client = make_client("s3", settings, endpoint_url=endpoint)
    return lambda: S3Backend(stack="test", settings=settings, bucket=bucket, key="perso/test.json",
                             endpoint_url=endpoint, client=client)


@pytest.fixture(params=["local", "s3", "s3-versioned"])
def make(request, tmp_path) -> Factory:
    """A factory of backend instances that all point at the same stored state."""
    if request.param == "local":
        return lambda: LocalBackend(tmp_path / "state.json", stack="test")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    if request.param == "s3-versioned":
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return _s3_factory(endpoint, bucket)


def _with_resource(state: StateFile, address: str = "dataset_group.g") -> StateFile:
    state.record(ResourceState(address=address, type=address.split(".")[0], name="g",
                               arn=f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{address}"))
    return state


def test_empty_read_is_a_new_state_with_serial_zero_and_a_lineage(make):
    state = make().read()
    assert state.serial == 0 and state.lineage and state.resources == {}


def test_round_trip_keeps_resources_and_increments_serial(make):
    backend = make()
    state = _with_resource(backend.read())
    backend.write(state)
    assert state.serial == 1
    backend.write(_with_resource(state, "dataset_group.h"))
    assert state.serial == 2
    again = make().read()
    assert again.serial == 2 and again.lineage == state.lineage
    assert set(again.resources) == {"dataset_group.g", "dataset_group.h"}


def test_lineage_is_never_overwritten_by_another_state(make):
    first = make()
    first.write(_with_resource(first.read()))
    other = make()
    other.read()
    foreign = _with_resource(StateFile(stack="test"))
    with pytest.raises(StaleStateError):
        other.write(foreign)
    assert make().read().lineage != foreign.lineage


def test_conditional_write_refuses_a_lost_update(make):
    a, b = make(), make()
    a.write(_with_resource(a.read()))
    state_a, state_b = a.read(), b.read()
    a.write(_with_resource(state_a, "dataset_group.a"))
    with pytest.raises(StateConflictError):
        b.write(_with_resource(state_b, "dataset_group.b"))
    assert "dataset_group.b" not in make().read().resources


def test_lock_is_exclusive_and_names_its_holder(make):
    holder = make().lock("apply")
    with pytest.raises(StateLockedError) as info:
        make().lock("apply")
    assert holder.id in info.value.message and "apply" in info.value.message
    assert f"perso state unlock {holder.id}" in info.value.hint
    assert make().lock_info().id == holder.id


def test_lock_is_released_only_by_its_id(make):
    holder = make().lock("apply")
    with pytest.raises(StateError):
        make().unlock("not-the-holder")
    make().unlock(holder.id)
    assert make().lock_info() is None
    make().unlock(make().lock("plan").id)


def test_lock_timeout_waits_for_the_holder(make):
    holder_backend = make()
    holder = holder_backend.lock("apply")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        holder_backend.unlock(holder.id)  # the other run finishes while we wait

    with locked(make(), "apply", timeout=30, sleep=sleep) as lock:
        assert lock is not None and lock.id != holder.id
    assert waits


def test_concurrent_lock_attempts_have_exactly_one_winner(make):
    winners, losers = [], []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        backend = make()
        barrier.wait()
        try:
            winners.append(backend.lock("apply"))
        except StateLockedError:
            losers.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 7


def test_corrupted_state_is_reported_not_overwritten(make, tmp_path, request):
    backend = make()
    backend.write(_with_resource(backend.read()))
    if isinstance(backend, LocalBackend):
        backend.path.write_text('{"version": 1, "stack": "te')
    else:
        backend.client.put_object(Bucket=backend.bucket, Key=backend.key, Body=b'{"version": 1, "stack": "te')
    with pytest.raises(StateCorruptError) as info:
        make().read()
    assert "not valid" in info.value.message and info.value.hint


# -- S3 specifics -----------------------------------------------------------------------------------

def test_s3_missing_bucket_is_a_clear_error(s3_endpoint):
    backend = _s3_factory(s3_endpoint, "no-such-bucket-perso")()
    with pytest.raises(StateError) as info:
        backend.read()
    assert "NoSuchBucket" in info.value.message and "create the bucket" in info.value.hint


def test_s3_state_and_lock_are_encrypted_at_rest(s3_endpoint, s3_bucket):
    backend = _s3_factory(s3_endpoint, s3_bucket)()
    backend.write(_with_resource(backend.read()))
    lock = backend.lock("apply")
    for key in (backend.key, backend.lock_key):
        head = backend.client.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
    backend.unlock(lock.id)


def test_s3_history_lists_versions_and_an_old_one_can_be_read_back(s3_endpoint, s3_bucket):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").put_bucket_versioning(
        Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    backend = _s3_factory(s3_endpoint, s3_bucket)()
    state = _with_resource(backend.read())
    backend.write(state)
    backend.write(_with_resource(state, "dataset_group.h"))
    versions = backend.history()
    assert len(versions) == 2 and versions[0].is_latest
    oldest = backend.read_version(versions[-1].version_id)
    assert oldest.serial == 1 and set(oldest.resources) == {"dataset_group.g"}


# -- more of the contract -----------------------------------------------------------------------------

def test_two_first_writers_of_a_new_state_conflict(make):
    a, b = make(), make()
    state_a, state_b = a.read(), b.read()
    a.write(_with_resource(state_a, "dataset_group.a"))
    with pytest.raises(StateConflictError):
        b.write(_with_resource(state_b, "dataset_group.b"))
    stored = make().read()
    assert stored.lineage == state_a.lineage and set(stored.resources) == {"dataset_group.a"}


def test_a_state_deleted_since_it_was_read_is_not_silently_recreated(make):
    backend = make()
    state = _with_resource(backend.read())
    backend.write(state)
    other = make()
    other.read()
    if isinstance(backend, LocalBackend):
        backend.path.unlink()
    else:
        backend.client.delete_object(Bucket=backend.bucket, Key=backend.key)
    with pytest.raises(StateConflictError) as info:
        other.write(_with_resource(state, "dataset_group.h"))
    assert "deleted" in info.value.message
    assert make().read().serial == 0


def test_a_backend_that_never_read_cannot_overwrite(make):
    first = make()
    first.write(_with_resource(first.read()))
    with pytest.raises(StateConflictError):
        make().write(_with_resource(StateFile(stack="test", lineage=first.read().lineage), "dataset_group.x"))
    assert "dataset_group.x" not in make().read().resources


def test_concurrent_writers_exactly_one_wins(make):
    seed = make()
    seed.write(_with_resource(seed.read()))
    count = 8
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def writer(i: int) -> None:
        backend = make()
        state = backend.read()
        barrier.wait()
        try:
            backend.write(_with_resource(state, f"dataset_group.w{i}"))
            outcomes.append(f"dataset_group.w{i}")
        except StateConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == count - 1
    stored = make().read()
    assert stored.serial == 2 and set(stored.resources) == {"dataset_group.g", winners[0]}


def test_serial_never_goes_down_and_a_pushed_serial_is_kept(make):
    backend = make()
    state = _with_resource(backend.read())
    state.serial = 41                       # e.g. migrated from another backend
    backend.write(state)
    assert state.serial == 41 and make().read().serial == 41
    backend.write(state)
    assert state.serial == 42


def test_a_new_lineage_replaces_the_state_only_when_allowed(make):
    backend = make()
    backend.write(_with_resource(backend.read()))
    foreign = _with_resource(StateFile(stack="test"), "dataset_group.foreign")
    with pytest.raises(StaleStateError):
        backend.write(foreign)
    backend.write(foreign, allow_new_lineage=True)
    stored = make().read()
    assert stored.lineage == foreign.lineage and set(stored.resources) == {"dataset_group.foreign"}
    assert stored.serial == 2


def test_corrupted_state_is_never_made_worse(make):
    backend = make()
    backend.write(_with_resource(backend.read()))
    garbage = b'{"version": 1, "stack": "te'
    _store_raw(backend, garbage)
    other = make()
    with pytest.raises(StateCorruptError):
        other.read()
    with pytest.raises(StateError):
        other.write(_with_resource(StateFile(stack="test")))
    assert _load_raw(backend) == garbage


def test_unlock_without_a_lock_is_a_no_op_and_a_released_lock_can_be_taken_again(make):
    make().unlock("whatever")
    first = make().lock("apply")
    make().unlock(first.id)
    second = make().lock("apply")
    assert second.id != first.id
    make().unlock(second.id)


def test_lock_records_who_where_and_its_lease(make, monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/recs")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    backend = make()
    lock = backend.lock("apply")
    seen = make().lock_info()
    assert seen == lock
    assert seen.info["pid"] and seen.info["host"] and seen.who and seen.created
    assert seen.info["ci_run_url"] == "https://github.com/acme/recs/actions/runs/42"
    assert seen.lease_seconds > 0 and seen.expires > seen.created and not seen.abandoned()
    with pytest.raises(StateLockedError) as info:
        make().lock("plan")
    assert "actions/runs/42" in info.value.message
    backend.unlock(lock.id)


def test_renewing_extends_the_lease_of_the_holder_only(make, monkeypatch):
    backend = make()
    lock = backend.lock("apply")
    later = datetime.now(UTC) + timedelta(seconds=120)
    monkeypatch.setattr(backend_mod, "_now", lambda: later)
    renewed = backend.renew(lock.id)
    assert renewed.id == lock.id and renewed.expires > lock.expires
    assert make().lock_info().expires == renewed.expires
    with pytest.raises(StateLockedError):
        make().renew("not-the-holder")
    backend.unlock(lock.id)
    with pytest.raises(StateLockedError):
        backend.renew(lock.id)


def test_an_expired_lease_is_reported_and_broken_only_on_request(make, monkeypatch):
    lock = make().lock("apply")
    later = datetime.now(UTC) + timedelta(seconds=lock.lease_seconds + 5)
    monkeypatch.setattr(backend_mod, "_now", lambda: later)
    with pytest.raises(StateLockedError) as info:
        make().lock("apply")  # never taken over silently
    assert "lease expired" in info.value.message and f"perso state unlock {lock.id}" in info.value.hint
    seen = make().lock_info()
    assert seen.abandoned()
    make().break_lock(seen)
    assert make().lock_info() is None
    make().unlock(make().lock("apply").id)


def test_break_lock_refuses_a_lock_that_changed_since_it_was_seen(make):
    first = make().lock("apply")
    seen = make().lock_info()
    make().unlock(first.id)
    second = make().lock("apply")
    with pytest.raises(StateError):
        make().break_lock(seen)
    assert make().lock_info().id == second.id
    make().unlock(second.id)


def test_an_unreadable_lock_is_held_and_named_and_can_be_forced(make):
    backend = make()
    _store_raw(backend, b"not json", lock=True)
    with pytest.raises(StateLockedError) as info:
        make().lock("apply")
    assert "unreadable" in info.value.message and "--force" in info.value.hint
    with pytest.raises(StateError):
        make().unlock("some-id")
    seen = make().lock_info()
    assert seen.id == ""
    make().break_lock(seen)
    make().unlock(make().lock("apply").id)


def test_locked_releases_the_lock_after_an_error(make):
    backend = make()
    with pytest.raises(RuntimeError), locked(backend, "apply"):
        assert make().lock_info() is not None
        raise RuntimeError("boom")
    assert make().lock_info() is None


def _store_raw(backend: StateBackend, data: bytes, *, lock: bool = False) -> None:
    if isinstance(backend, LocalBackend):
        (backend.lock_path if lock else backend.path).write_bytes(data)
    else:
        backend.client.put_object(Bucket=backend.bucket, Key=backend.lock_key if lock else backend.key, Body=data)


def _load_raw(backend: StateBackend) -> bytes:
    if isinstance(backend, LocalBackend):
        return backend.path.read_bytes()
    return backend.client.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read()


# -- S3 faults moto does not produce, injected over HTTP ----------------------------------------------

@dataclass
class Fault:
    method: str
    key: str                      # the object key the request is for (path suffix)
    status: int
    code: str
    times: int = 1
    conditional_only: bool = False
    forward_first: bool = False   # let the request land, then answer with the error (a lost response)
    truncate: bool = False        # forward and cut the body short
    headers: dict | None = None


class FaultProxy:
    """An HTTP proxy in front of moto's server that answers chosen requests with S3 errors."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.hits: list[tuple[str, str, int]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, **kwargs: object) -> Fault:
        fault = Fault(**kwargs)  # type: ignore[arg-type]
        self.faults.append(fault)
        return fault

    def _match(self, req: BaseHTTPRequestHandler) -> Fault | None:
        path = urlsplit(req.path).path
        for fault in self.faults:
            if fault.times > 0 and req.command == fault.method and path.endswith("/" + fault.key):
                if fault.conditional_only and not (req.headers.get("If-Match") or req.headers.get("If-None-Match")):
                    continue
                fault.times -= 1
                return fault
        return None

    def _forward(self, req: BaseHTTPRequestHandler, body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(req.command, req.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        fault = self._match(req)
        if fault is None or fault.forward_first or fault.truncate:
            status, headers, data = self._forward(req, body)
        if fault is not None and fault.truncate:
            req.send_response(status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "connection"):
                    req.send_header(name, value)
            req.send_header("Connection", "close")
            req.end_headers()
            req.wfile.write(data[: len(data) // 2])
            req.close_connection = True
            return
        if fault is not None:
            status, data = fault.status, (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{fault.code}</Code>'
                f"<Message>injected {fault.code}</Message></Error>").encode()
            headers = [("Content-Type", "application/xml"), *(fault.headers or {}).items()]
            if req.command == "HEAD":
                data = b""
        self.hits.append((req.command, urlsplit(req.path).path, status))
        req.send_response(status)
        for name, value in headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                req.send_header(name, value)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(s3_endpoint):
    p = FaultProxy(s3_endpoint)
    yield p
    p.close()


@pytest.fixture
def via_proxy(proxy, s3_bucket) -> Factory:
    return _s3_factory(proxy.url, s3_bucket)


KEY, LOCK_KEY = "perso/test.json", "perso/test.json.lock"


def test_s3_a_409_conditional_conflict_is_retried_then_succeeds(proxy, via_proxy):
    backend = via_proxy()
    state = _with_resource(backend.read())
    proxy.fail(method="PUT", key=KEY, status=409, code="ConditionalRequestConflict", times=2, conditional_only=True)
    backend.write(state)
    assert state.serial == 1 and via_proxy().read().serial == 1
    assert [h[2] for h in proxy.hits if h[0] == "PUT"][:3] == [409, 409, 200]


def test_s3_a_persistent_409_is_a_conflict_never_an_overwrite(proxy, via_proxy):
    backend = via_proxy()
    state = _with_resource(backend.read())
    proxy.fail(method="PUT", key=KEY, status=409, code="ConditionalRequestConflict", times=50, conditional_only=True)
    with pytest.raises(StateConflictError):
        backend.write(state)
    assert via_proxy().read().serial == 0


def test_s3_a_409_on_the_lock_is_retried(proxy, via_proxy):
    proxy.fail(method="PUT", key=LOCK_KEY, status=409, code="ConditionalRequestConflict", times=1)
    lock = via_proxy().lock("apply")
    assert via_proxy().lock_info().id == lock.id


def test_s3_a_lost_response_to_our_own_write_is_recognised(proxy, via_proxy):
    """The write lands, the response is lost (500), botocore retries, S3 says 412: it was ours."""
    backend = via_proxy()
    state = _with_resource(backend.read())
    backend.write(state)
    proxy.fail(method="PUT", key=KEY, status=500, code="InternalError", forward_first=True)
    backend.write(_with_resource(state, "dataset_group.h"))
    assert state.serial == 2
    backend.write(state)  # and the ETag we kept is the stored one
    assert via_proxy().read().serial == 3


def test_s3_a_lost_response_to_our_own_lock_is_recognised(proxy, via_proxy):
    proxy.fail(method="PUT", key=LOCK_KEY, status=500, code="InternalError", forward_first=True)
    backend = via_proxy()
    lock = backend.lock("apply")
    backend.unlock(lock.id)
    assert via_proxy().lock_info() is None


def test_s3_a_cut_short_download_is_an_error_not_a_corrupt_state(proxy, via_proxy):
    backend = via_proxy()
    backend.write(_with_resource(backend.read()))
    proxy.fail(method="GET", key=KEY, status=200, code="", truncate=True)
    with pytest.raises(StateError) as info:
        via_proxy().read()
    assert not isinstance(info.value, StateCorruptError) and "cut short" in info.value.message


@pytest.mark.parametrize(("status", "code", "headers", "expect_message", "expect_hint"), [
    (403, "AccessDenied", None, "access denied", "s3:PutObject"),
    (400, "KMS.NotFoundException", None, "KMS.NotFoundException", "kms:Decrypt"),
    (403, "AccessDenied", None, "access denied", "s3:GetObject"),
    (301, "PermanentRedirect", {"x-amz-bucket-region": "eu-west-1"}, "eu-west-1", "backend.s3.region"),
    (400, "AuthorizationHeaderMalformed", {"x-amz-bucket-region": "eu-west-1"}, "eu-west-1", "region"),
    (404, "NoSuchBucket", None, "does not exist", "create the bucket"),
])
def test_s3_access_kms_and_region_errors_are_explained(proxy, via_proxy, status, code, headers, expect_message,
                                                        expect_hint):
    proxy.fail(method="GET", key=KEY, status=status, code=code, headers=headers, times=20)
    with pytest.raises(StateError) as info:
        via_proxy().read()
    assert expect_message in info.value.message and expect_hint in (info.value.hint or "")


def test_s3_a_kms_error_on_write_leaves_the_state_as_it_was(proxy, via_proxy):
    backend = via_proxy()
    state = _with_resource(backend.read())
    backend.write(state)
    proxy.fail(method="PUT", key=KEY, status=400, code="KMS.DisabledException", times=20)
    with pytest.raises(StateError) as info:
        backend.write(_with_resource(state, "dataset_group.h"))
    assert "KMS" in info.value.message and "enabled" in info.value.hint
    assert state.serial == 1 and set(via_proxy().read().resources) == {"dataset_group.g"}


def test_s3_sse_kms_when_a_key_is_given(s3_endpoint, s3_bucket):
    kms = boto3.client("kms", endpoint_url=s3_endpoint, region_name="us-east-1")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    backend = S3Backend(stack="test", settings=AwsSettings(region="us-east-1"), bucket=s3_bucket, key=KEY,
                        endpoint_url=s3_endpoint, kms_key_id=key_id)
    backend.write(_with_resource(backend.read()))
    lock = backend.lock("apply")
    for key in (KEY, LOCK_KEY):
        head = backend.client.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]
    backend.unlock(lock.id)


def test_s3_a_state_altered_behind_its_checksum_is_corrupt(s3_endpoint, s3_bucket):
    backend = _s3_factory(s3_endpoint, s3_bucket)()
    backend.write(_with_resource(backend.read()))
    head = backend.client.head_object(Bucket=s3_bucket, Key=KEY)
    altered = json.dumps({**json.loads(_load_raw(backend)), "serial": 99}).encode()
    backend.client.put_object(Bucket=s3_bucket, Key=KEY, Body=altered, Metadata=head["Metadata"])
    with pytest.raises(StateCorruptError) as info:
        _s3_factory(s3_endpoint, s3_bucket)().read()
    assert "checksum" in info.value.message and "perso state history" in info.value.hint


def test_s3_history_marks_deletions_and_unversioned_buckets_have_none(s3_endpoint, s3_bucket):
    backend = _s3_factory(s3_endpoint, s3_bucket)()
    backend.write(_with_resource(backend.read()))
    assert backend.history() == []
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    fresh = _s3_factory(s3_endpoint, s3_bucket)()
    fresh.write(_with_resource(fresh.read(), "dataset_group.h"))
    s3.delete_object(Bucket=s3_bucket, Key=KEY)
    versions = _s3_factory(s3_endpoint, s3_bucket)().history()
    assert versions[0].deleted and versions[0].is_latest and len(versions) == 3
    assert fresh.read_version(versions[1].version_id).serial == 2


def test_lock_info_round_trips_unknown_fields_safely():
    info = LockInfo.new("apply", "x")
    data = {**info.to_dict(), "future_field": 1}
    assert LockInfo.from_dict(data) == info
    assert replace(info, expires="").expired() is False


def _dead_pid() -> int:
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def _store_lock(backend: StateBackend, info: LockInfo) -> None:
    _store_raw(backend, json.dumps(info.to_dict()).encode(), lock=True)


def test_a_lock_whose_holder_died_on_this_host_is_broken_at_once_and_said(make):
    dead = LockInfo.new("apply", "x")
    dead = replace(dead, info={**dead.info, "pid": _dead_pid()})
    _store_lock(make(), dead)
    notes: list[str] = []
    with locked(make(), "apply", notify=notes.append) as lock:
        assert make().lock_info().id == lock.id != dead.id
    assert len(notes) == 1 and f"broke the lock {dead.id}" in notes[0]
    assert f"pid {dead.info['pid']}" in notes[0] and "no longer running on this host" in notes[0]
    assert make().lock_info() is None


@pytest.mark.parametrize("elsewhere", [{"host": "ci-runner-7"}, {"pid_ns": "pid:[1]"}, {}])
def test_a_lock_from_another_host_or_a_live_holder_follows_the_lease_rules(make, elsewhere):
    import os

    holder = LockInfo.new("apply", "x")
    pid = _dead_pid() if elsewhere else os.getpid()  # {}: this very process, alive
    holder = replace(holder, info={**holder.info, "pid": pid, **elsewhere})
    _store_lock(make(), holder)
    notes: list[str] = []
    with pytest.raises(StateLockedError) as info, locked(make(), "apply", notify=notes.append):
        pass
    assert info.value.lock == holder and notes == []
    assert f"perso state unlock {holder.id}" in info.value.hint
    assert make().lock_info() == holder


def test_racing_runs_break_a_dead_lock_once_and_exactly_one_takes_it(make):
    dead = LockInfo.new("apply", "x")
    dead = replace(dead, info={**dead.info, "pid": _dead_pid()})
    _store_lock(make(), dead)
    won: list[LockInfo] = []
    refused: list[StateLockedError] = []
    barrier = threading.Barrier(6)

    def run() -> None:
        backend = make()
        barrier.wait()
        try:
            won.append(backend_mod.acquire(backend, "apply", timeout=0, notify=lambda _: None))
        except StateLockedError as exc:
            refused.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 5, (won, refused)
    assert make().lock_info().id == won[0].id  # nobody broke the winner's (live) lock
    make().unlock(won[0].id)


# -- writes cost what changed: token checks, compact encoding, one backup per command -------------------

def _forbid_parsing(monkeypatch) -> None:
    def refuse(cls, data, *, source="state"):
        raise AssertionError(f"the stored state was parsed ({source})")
    monkeypatch.setattr(StateFile, "from_dict", classmethod(refuse))


def test_consecutive_writes_check_a_version_token_and_never_reparse_the_stored_state(make, monkeypatch):
    backend = make()
    state = _with_resource(backend.read())
    backend.write(state)
    _forbid_parsing(monkeypatch)
    for name in ("a", "b", "c"):
        backend.write(_with_resource(state, f"dataset_group.{name}"))
    monkeypatch.undo()
    assert make().read().serial == state.serial == 4


def test_an_external_write_between_two_writes_is_detected(make):
    ours, theirs = make(), make()
    state = _with_resource(ours.read())
    ours.write(state)
    other = theirs.read()
    theirs.write(_with_resource(other, "dataset_group.theirs"))
    with pytest.raises(StateConflictError, match="changed by someone else"):
        ours.write(_with_resource(state, "dataset_group.ours"))
    stored = make().read()
    assert "dataset_group.theirs" in stored.resources and "dataset_group.ours" not in stored.resources


def test_states_written_as_indented_json_are_read_and_written_over(make):
    backend = make()
    old = _with_resource(StateFile(stack="test", serial=7))
    _store_raw(backend, (json.dumps(old.to_dict(), indent=2) + "\n").encode())
    state = backend.read()
    assert state.serial == 7 and set(state.resources) == {"dataset_group.g"}
    backend.write(_with_resource(state, "dataset_group.h"))
    backend.write(_with_resource(state, "dataset_group.i"))
    assert make().read().serial == 9


def test_the_stored_state_is_compact_json_one_resource_a_line(make):
    backend = make()
    state = backend.read()
    for name in ("a", "b", "c"):
        _with_resource(state, f"dataset_group.{name}")
    state.resources["dataset_group.b"].params = {"nested": {"list": [1, "ü"]}}
    backend.write(state)
    raw = _load_raw(backend)
    assert json.loads(raw) == state.to_dict()
    lines = raw.decode().splitlines()
    assert len(lines) == 3 + 2 and lines[2].startswith('{"address":"dataset_group.b",') and ": " not in raw.decode()


def test_many_writes_adding_replacing_and_removing_read_back_as_the_last_state(make):
    """A command's later writes (the local backend journals them) read back, by another instance,
    as exactly the last state written; after `flush` the stored document alone says the same."""
    backend = make()
    state = backend.read()
    for step in range(24):
        _with_resource(state, f"dataset_group.r{step}")
        if step % 3 == 0 and step:
            state.forget(f"dataset_group.r{step - 2}")
        if step % 4 == 0:
            old = state.resources["dataset_group.r0"]
            state.record(replace(old, params={"step": step, "text": "ü" * step}))
        if step % 5 == 0:
            state.outputs = {"step": step}
        backend.write(state)
        if step in (1, 11):
            assert make().read().to_dict() == state.to_dict()
    assert state.serial == 24
    assert make().read().to_dict() == state.to_dict()
    backend.flush()
    assert json.loads(_load_raw(backend)) == state.to_dict()
    assert make().read().to_dict() == state.to_dict()


def test_a_writer_behind_another_writers_later_writes_is_refused(make):
    """Another writer's second and third writes (for the local backend: journal lines, with the
    state file untouched) still make a write from an older read a conflict."""
    theirs, ours = make(), make()
    state = _with_resource(theirs.read())
    theirs.write(state)
    theirs.write(_with_resource(state, "dataset_group.two"))
    mine = ours.read()
    theirs.write(_with_resource(state, "dataset_group.three"))
    with pytest.raises(StateConflictError, match="serial 3"):
        ours.write(_with_resource(mine, "dataset_group.mine"))
    stored = make().read()
    assert set(stored.resources) == {"dataset_group.g", "dataset_group.two", "dataset_group.three"}


def test_local_a_hand_edit_keeping_lineage_and_serial_is_detected(tmp_path):
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _with_resource(backend.read())
    backend.write(state)
    backend.path.write_bytes(backend.path.read_bytes().replace(b'"name":"g"', b'"name":"edited"'))
    with pytest.raises(StateConflictError):
        backend.write(state)
    assert LocalBackend(backend.path, stack="test").read().resources["dataset_group.g"].name == "edited"


def test_local_an_external_write_that_keeps_inode_size_and_mtime_is_detected_by_its_header(tmp_path):
    """The token is the file's stat and the serial in its first bytes: an in-place rewrite to
    another serial of the same size, with the mtime put back, is still caught."""
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state = _with_resource(backend.read())
    backend.write(state)
    before = os.stat(backend.path)
    raw = backend.path.read_bytes()
    assert b'"serial":1,' in raw
    with open(backend.path, "r+b") as handle:  # in place: same inode
        handle.write(raw.replace(b'"serial":1,', b'"serial":5,'))
    os.utime(backend.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(backend.path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    with pytest.raises(StateConflictError, match="now serial 5"):
        backend.write(_with_resource(state, "dataset_group.h"))


def test_local_backup_is_the_state_before_the_command_kept_without_a_copy(tmp_path):
    path = tmp_path / "state.json"
    first = LocalBackend(path, stack="test")
    state = _with_resource(first.read())
    first.write(state)  # serial 1: there was nothing to back up
    assert not first.backup_path.exists()

    command = LocalBackend(path, stack="test")  # the next command
    state = command.read()
    inode = os.stat(path).st_ino
    for name in ("a", "b", "c"):
        command.write(_with_resource(state, f"dataset_group.{name}"))
    backup = command.read_version("backup")
    assert backup.serial == 1 and set(backup.resources) == {"dataset_group.g"}
    assert os.stat(command.backup_path).st_ino == inode  # the old file itself (a hard link), not a copy
    assert command.read_version("current").serial == 4

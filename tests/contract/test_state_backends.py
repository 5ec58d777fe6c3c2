"""One conformance suite that every state backend must pass (Terraform's statemgr TestFull):
local files, and S3 on moto's server over real HTTP, versioned and unversioned."""

from __future__ import annotations

import threading
from collections.abc import Callable

import boto3
import pytest

from perso_iac.aws import AwsSettings
from perso_iac.errors import (
    StaleStateError,
    StateConflictError,
    StateCorruptError,
    StateError,
    StateLockedError,
)
from perso_iac.state.backend import StateBackend, locked
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import ResourceState, StateFile
from perso_iac.state.s3 import S3Backend

Factory = Callable[[], StateBackend]


def _s3_factory(endpoint: str, bucket: str) -> Factory:
    return lambda: S3Backend(stack="test", settings=AwsSettings(region="us-east-1"), bucket=bucket,
                             key="perso/test.json", endpoint_url=endpoint)


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

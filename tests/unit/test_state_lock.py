"""Lock helpers: waiting with backoff, lease renewal, what is said when a lock can't be released,
SIGTERM releasing the lock, and how a holder is described."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from perso_iac.errors import PersoError, StateError, StateLockedError
from perso_iac.state.backend import LockInfo, acquire, lock_error, locked
from perso_iac.state.local import LocalBackend


class FakeBackend:
    """In-memory lock holder: `busy_for` failed attempts before the lock is free."""

    def __init__(self, busy_for: int = 0, lease: int = 0) -> None:
        self.busy_for, self.lease = busy_for, lease
        self.attempts, self.renewals, self.unlocked = 0, 0, []
        self.fail_unlock: Exception | None = None
        self.holder = LockInfo.new("apply", "fake", lease_seconds=0)

    def describe(self) -> str:
        return "fake"

    def lock(self, operation: str) -> LockInfo:
        self.attempts += 1
        if self.attempts <= self.busy_for:
            raise lock_error("fake", self.holder)
        return LockInfo.new(operation, "fake", lease_seconds=self.lease)

    def renew(self, lock_id: str) -> LockInfo:
        self.renewals += 1
        return LockInfo.new("apply", "fake", lease_seconds=self.lease)

    def unlock(self, lock_id: str) -> None:
        if self.fail_unlock:
            raise self.fail_unlock
        self.unlocked.append(lock_id)


class FakeClock:
    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_state_lock_without_timeout_fails_at_once_naming_the_holder():
    backend, clock = FakeBackend(busy_for=1), FakeClock()
    with pytest.raises(StateLockedError) as info:
        acquire(backend, "apply", timeout=0, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [] and backend.holder.id in info.value.message
    assert f"perso state unlock {backend.holder.id}" in info.value.hint


def test_state_lock_timeout_retries_with_growing_backoff_until_free():
    backend, clock = FakeBackend(busy_for=4), FakeClock()
    lock = acquire(backend, "apply", timeout=60, sleep=clock.sleep, clock=clock)
    assert lock.operation == "apply" and backend.attempts == 5
    assert len(clock.sleeps) == 4 and clock.sleeps == sorted(clock.sleeps)  # exponential, jittered
    assert clock.sleeps[-1] > clock.sleeps[0] * 3


def test_state_lock_timeout_gives_up_and_says_how_long_it_waited():
    backend, clock = FakeBackend(busy_for=10_000), FakeClock()
    with pytest.raises(StateLockedError) as info:
        acquire(backend, "apply", timeout=30, sleep=clock.sleep, clock=clock)
    assert "after waiting 30s" in info.value.message and clock.now == pytest.approx(30)
    assert max(clock.sleeps) <= 10


def test_state_lock_timeout_defaults_to_the_environment(monkeypatch):
    monkeypatch.setenv("PERSO_LOCK_TIMEOUT", "5")
    backend, clock = FakeBackend(busy_for=10_000), FakeClock()
    with pytest.raises(StateLockedError):
        acquire(backend, "apply", sleep=clock.sleep, clock=clock)
    assert clock.now == pytest.approx(5)


def test_state_lock_lease_is_renewed_while_held():
    backend = FakeBackend(lease=3)  # renewed every second
    with locked(backend, "apply") as lock:
        time.sleep(1.3)
    assert backend.renewals >= 1 and backend.unlocked == [lock.id]


def test_state_lock_release_failure_after_an_error_keeps_the_error_and_says_how_to_unlock():
    backend = FakeBackend()
    backend.fail_unlock = StateError("network down")
    with pytest.raises(PersoError) as info, locked(backend, "apply") as lock:
        raise PersoError("apply failed", hint="fix it")
    assert info.value.message == "apply failed"
    assert info.value.hint.startswith("fix it; ") and f"perso state unlock {lock.id}" in info.value.hint


def test_state_lock_release_failure_after_success_is_an_error_with_the_unlock_command():
    backend = FakeBackend()
    backend.fail_unlock = StateError("network down")
    with pytest.raises(StateError) as info, locked(backend, "apply") as lock:
        pass
    assert f"perso state unlock {lock.id}" in info.value.hint


def test_state_lock_disabled_takes_nothing():
    backend = FakeBackend(busy_for=100)
    with locked(backend, "plan", enabled=False) as lock:
        assert lock is None
    assert backend.attempts == 0


def test_state_lock_sigterm_releases_the_lock(tmp_path):
    """A cancelled CI job gets SIGTERM before SIGKILL: the lock must not be left behind."""
    state = tmp_path / "state.json"
    code = textwrap.dedent(f"""
        import time
        from perso_iac.state.local import LocalBackend
        from perso_iac.state.backend import locked
        try:
            with locked(LocalBackend({str(state)!r}), "apply"):
                print("locked", flush=True)
                time.sleep(30)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            raise SystemExit(130)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    assert LocalBackend(state).lock_info() is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 130 and proc.stdout.read().strip() == "interrupted"
    assert LocalBackend(state).lock_info() is None


def test_state_lock_describes_its_holder_and_knows_when_it_is_gone(monkeypatch):
    monkeypatch.setenv("CI_JOB_URL", "https://gitlab.example/acme/recs/-/jobs/7")
    info = LockInfo.new("apply", "s3://b/k", lease_seconds=60)
    text = info.describe()
    assert info.id in text and "'apply'" in text and info.created in text and "jobs/7" in text
    assert not info.holder_gone() and not info.expired() and not info.abandoned()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = dataclasses.replace(info, info={**info.info, "pid": dead.pid})
    assert gone.holder_gone() and gone.abandoned() and "no longer running" in gone.describe()
    elsewhere = dataclasses.replace(gone, info={**gone.info, "host": "some-other-host"})
    assert not elsewhere.holder_gone()
    expired = dataclasses.replace(info, expires="2000-01-01T00:00:00+00:00")
    assert expired.expired() and "lease expired" in expired.describe()
    assert not dataclasses.replace(info, lease_seconds=0, expires="").expired()


def test_state_lock_error_for_an_abandoned_lock_says_it_was_left_behind():
    info = dataclasses.replace(LockInfo.new("apply", "x", lease_seconds=60), expires="2000-01-01T00:00:00+00:00")
    error = lock_error("s3://b/k", info)
    assert "left behind" in error.hint and f"perso state unlock {info.id}" in error.hint
    assert error.lock == info


def test_state_lock_lease_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PERSO_LOCK_LEASE", "0")
    assert LockInfo.new("apply", "x").expires == ""
    monkeypatch.setenv("PERSO_LOCK_LEASE", "60")
    assert LockInfo.new("apply", "x").lease_seconds == 60


def test_state_lock_local_lock_file_is_exclusive_across_processes(tmp_path):
    state = tmp_path / "state.json"
    holder = LocalBackend(state).lock("apply")
    code = ("from perso_iac.state.local import LocalBackend\nimport sys\n"
            f"try:\n    LocalBackend({str(state)!r}).lock('apply')\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n    sys.exit(1)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 1 and "StateLockedError" in out.stdout and holder.id in out.stdout


def test_state_lock_records_what_tells_its_process_apart_and_sees_a_reused_pid():
    info = LockInfo.new("apply", "x")
    if not info.info.get("pid_start"):
        pytest.skip("no /proc here")
    assert info.info["pid"] == os.getpid() and info.info["pid_ns"].startswith("pid:")
    assert not info.holder_gone()
    reused = dataclasses.replace(info, info={**info.info, "pid_start": "1"})  # same pid, another process
    assert reused.holder_gone()
    other_ns = dataclasses.replace(info, info={**info.info, "pid_start": "1", "pid_ns": "pid:[1]"})
    assert not other_ns.holder_gone()  # another container: perso cannot tell, the lease decides

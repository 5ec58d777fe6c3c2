"""State saving during apply: every step's change is durable before the step completes, and
steps that finish together share writes instead of serializing one write each."""

from __future__ import annotations

import threading
import time

import pytest

from perso_iac.errors import StateConflictError
from perso_iac.state.commit import GroupCommit as _GroupCommit
from perso_iac.state.model import ResourceState, StateFile


class SlowBackend:
    """Records what each write contained; each write takes a while, like a real one."""

    def __init__(self, fail: bool = False) -> None:
        self.writes: list[set[str]] = []
        self.fail = fail

    def write(self, state: StateFile) -> None:
        time.sleep(0.02)
        if self.fail:
            raise StateConflictError("someone else wrote the state")
        self.writes.append(set(state.resources))


def _run(saver: _GroupCommit, state: StateFile, lock: threading.Lock, n: int):
    durable, errors = [], []

    def step(i: int, backend_writes: list[set[str]]) -> None:
        with lock:
            state.record(ResourceState(address=f"a.{i}", type="a", name=str(i), arn=f"arn:{i}"))
        try:
            saver.save()
            durable.append(any(f"a.{i}" in w for w in backend_writes))
        except StateConflictError as exc:
            errors.append(exc)

    return durable, errors, step


def test_concurrent_steps_share_writes_and_each_is_durable_when_save_returns():
    state, lock, backend = StateFile(stack="t"), threading.Lock(), SlowBackend()
    saver = _GroupCommit(backend, state, lock)
    durable, errors, step = _run(saver, state, lock, 40)
    threads = [threading.Thread(target=step, args=(i, backend.writes)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(durable) == 40 and all(durable)
    assert len(backend.writes) < 40 / 2
    assert backend.writes[-1] == {f"a.{i}" for i in range(40)}


def test_a_failed_write_fails_every_waiting_step():
    state, lock, backend = StateFile(stack="t"), threading.Lock(), SlowBackend(fail=True)
    saver = _GroupCommit(backend, state, lock)
    _, errors, step = _run(saver, state, lock, 5)
    threads = [threading.Thread(target=step, args=(i, backend.writes)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 5
    with pytest.raises(StateConflictError):
        saver.save()

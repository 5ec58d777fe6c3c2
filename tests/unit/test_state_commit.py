"""Group commit and incremental encoding of state writes (issue 11 item 1), on real state files.

A step is reported done (`save()` returns) only once a write containing it is durable; steps
that finish while a write is in flight share the next write; a killed writer loses at most the
group in flight; and only resources assigned to since the last write are encoded again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from perso_iac.errors import StateConflictError
from perso_iac.moves import rename
from perso_iac.state.commit import GroupCommit
from perso_iac.state.encode import Encoder, header
from perso_iac.state.local import LocalBackend
from perso_iac.state.model import ResourceState, StateFile

ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/"


def _resource(name: str, **extra) -> ResourceState:
    return ResourceState(address=f"dataset_group.{name}", type="dataset_group", name=name, arn=ARN + name, **extra)


class GatedBackend(LocalBackend):
    """A real local backend whose first write waits until the test opens the gate."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, stack="test")
        self.gate, self.entered = threading.Event(), threading.Event()
        self.written: list[set[str]] = []

    def write(self, state: StateFile, *, allow_new_lineage: bool = False) -> None:
        if not self.written:
            self.entered.set()
            assert self.gate.wait(30), "the test never opened the gate"
        super().write(state, allow_new_lineage=allow_new_lineage)
        self.written.append(set(state.resources))


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30  # synchronisation only: never an assertion on time
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_steps_finishing_during_a_write_share_the_next_one_and_each_is_durable_when_reported(tmp_path):
    backend = GatedBackend(tmp_path / "state.json")
    state, lock = backend.read(), threading.Lock()
    saver = GroupCommit(backend, state, lock)
    durable_when_reported: dict[str, bool] = {}

    def step(name: str) -> None:
        with lock:
            state.record(_resource(name))
        saver.save()
        on_disk = LocalBackend(backend.path, stack="test").read()  # what a crash right now would leave
        durable_when_reported[name] = f"dataset_group.{name}" in on_disk.resources

    first = threading.Thread(target=step, args=("first",))
    first.start()
    assert backend.entered.wait(30)
    others = [threading.Thread(target=step, args=(f"g{i}",)) for i in range(8)]
    for thread in others:
        thread.start()
    _wait_for(lambda: saver._changed == 9, "the other steps to queue their changes")  # noqa: SLF001
    assert durable_when_reported == {}  # nothing reported while the first write is held
    backend.gate.set()
    for thread in [first, *others]:
        thread.join(30)
    assert durable_when_reported == {"first": True, **{f"g{i}": True for i in range(8)}}
    assert saver.writes == len(backend.written) == 2  # 9 steps, 2 writes: the 8 queued shared one
    assert len(backend.written[1]) == 9


def test_a_failed_write_fails_every_waiting_step_and_none_is_reported_done(tmp_path):
    backend = GatedBackend(tmp_path / "state.json")
    state, lock = backend.read(), threading.Lock()
    saver = GroupCommit(backend, state, lock)
    outcomes: dict[str, str] = {}

    def step(name: str) -> None:
        with lock:
            state.record(_resource(name))
        try:
            saver.save()
            outcomes[name] = "done"
        except StateConflictError:
            outcomes[name] = "failed"

    threads = [threading.Thread(target=step, args=(f"g{i}",)) for i in range(4)]
    threads[0].start()
    assert backend.entered.wait(30)
    intruder = LocalBackend(backend.path, stack="test")  # someone else writes the state meanwhile
    intruder.write(_resource_state("intruder", intruder.read()))
    for thread in threads[1:]:
        thread.start()
    _wait_for(lambda: saver._changed == 4, "the other steps to queue")  # noqa: SLF001
    backend.gate.set()
    for thread in threads:
        thread.join(30)
    assert outcomes == {f"g{i}": "failed" for i in range(4)}
    assert set(LocalBackend(backend.path, stack="test").read().resources) == {"dataset_group.intruder"}


def _resource_state(name: str, state: StateFile) -> StateFile:
    state.record(_resource(name))
    return state


WRITER = textwrap.dedent("""
    import sys, threading
    from perso_iac.state.commit import GroupCommit
    from perso_iac.state.local import LocalBackend
    from perso_iac.state.model import ResourceState

    backend = LocalBackend(sys.argv[1], stack="test")
    state, lock = backend.read(), threading.Lock()
    saver = GroupCommit(backend, state, lock)
    out = threading.Lock()

    def step(worker):
        for i in range(100_000):
            name = f"w{worker}-{i}"
            with lock:
                state.record(ResourceState(address=f"dataset_group.{name}", type="dataset_group", name=name,
                                           arn=f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{name}",
                                           params={"pad": "x" * 200}))
            saver.save()
            with out:
                print(name, flush=True)  # reported done

    for w in range(6):
        threading.Thread(target=step, args=(w,)).start()
""")


def test_a_writer_killed_mid_apply_loses_no_step_it_reported_done(tmp_path):
    path = tmp_path / "state.json"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    reported = []
    try:
        for line in proc.stdout:
            reported.append(line.strip())
            if len(reported) >= 300:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    reported += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    assert len(reported) >= 300
    stored = LocalBackend(path, stack="test").read()  # a whole state, never half of one
    assert {f"dataset_group.{name}" for name in reported} <= set(stored.resources)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("state.json", "state.json.backup",
                                                                      "state.json.journal")]
    assert all(name.endswith(".tmp") for name in leftovers)  # at most the write in flight


def test_only_resources_assigned_to_since_the_last_write_are_encoded_again():
    state = StateFile(stack="test")
    for i in range(50):
        state.record(_resource(f"g{i}", depends_on=[f"dataset_group.g{i - 1}"] if i else []))
    encoder = Encoder()
    first = encoder.encode(state, 1)
    assert encoder.encoded == 50 and json.loads(first) == {**state.to_dict(), "serial": 1}
    assert encoder.encode(state, 2) == first.replace(b'"serial":1,', b'"serial":2,') and encoder.encoded == 50
    state.record(_resource("g7", tags={"team": "recs"}))  # a step replaced one resource
    state.resources["dataset_group.g9"].status = "pending"  # a field assigned in place
    third = encoder.encode(state, 3)
    assert encoder.encoded == 52 and json.loads(third) == {**state.to_dict(), "serial": 3}
    rename(state, "dataset_group.g3", "dataset_group.moved")  # re-keys g3, assigns every depends_on
    fourth = encoder.encode(state, 4)
    assert json.loads(fourth) == {**state.to_dict(), "serial": 4} and encoder.encoded == 52 + 50
    assert b'"depends_on":["dataset_group.moved"]' in fourth
    assert header(fourth) == (state.lineage, 4)


@pytest.mark.parametrize("text", [
    '{"version": 1, "perso_version": "0.1.0", "stack": "s", "lineage": "L-1",\n  "serial": 12, "resources": []}',
    '{"version":1,"perso_version":"","stack":"s","lineage":"L-1","serial":12,"resources":[\n]}',
])
def test_the_header_is_read_from_indented_and_compact_states(text):
    assert header(text.encode()) == ("L-1", 12)


def test_writes_take_at_most_their_duty_of_the_time_and_steps_finishing_in_the_pause_share_the_next(tmp_path):
    """Once the burst allowance is spent, a write that took c CPU seconds keeps the next one from
    starting until c / duty seconds after it started; the steps that finish meanwhile are all saved
    by the one write after it, and none is reported before."""
    cpu, pauses = [0.0], []
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    written: list[int] = []
    original_write = backend.write

    def costly_write(state: StateFile, *, allow_new_lineage: bool = False) -> None:
        original_write(state, allow_new_lineage=allow_new_lineage)
        written.append(len(state.resources))
        cpu[0] += 0.5  # as if this write took half a CPU second

    backend.write = costly_write
    state, lock = backend.read(), threading.Lock()
    reported: list[str] = []
    queued: list[threading.Thread] = []

    def step(name: str) -> None:
        with lock:
            state.record(_resource(name))
        saver.save()
        reported.append(name)

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        for i in range(5):  # steps finish while the writer pauses
            queued.append(threading.Thread(target=step, args=(f"late{i}",)))
            queued[-1].start()
        _wait_for(lambda: saver._changed == 7, "the late steps to queue")  # noqa: SLF001
        assert reported == ["first"]  # none of them is reported during the pause

    saver = GroupCommit(backend, state, lock, duty=0.2, burst=1.0, sleep=pause, clock=lambda: 0.0,
                        cpu=lambda: cpu[0])
    step("first")
    assert pauses == [] and written == [1]  # the first write does not wait
    trigger = threading.Thread(target=step, args=("trigger",))
    trigger.start()
    trigger.join(30)
    for thread in queued:
        thread.join(30)
    assert pauses == [pytest.approx(1.5)]  # 0.5 s of CPU at a duty of 0.2 uses 2.5 s; 1 s had accrued
    assert written == [1, 7] and saver.writes == 2 and len(reported) == 7


def test_rare_writes_do_not_wait_and_a_sustained_rate_is_held_to_the_duty(tmp_path):
    """Writes 10 s apart, each of 0.1 CPU s at a duty of 0.1, never wait; back to back, they are
    paced to one per second once the second of accrued allowance is spent."""
    now, pauses = [0.0], []
    backend = LocalBackend(tmp_path / "state.json", stack="test")
    state, lock = backend.read(), threading.Lock()
    spent = [0.0]
    original_write = backend.write

    def costly_write(state: StateFile, *, allow_new_lineage: bool = False) -> None:
        original_write(state, allow_new_lineage=allow_new_lineage)
        spent[0] += 0.1

    def pause(seconds: float) -> None:
        pauses.append(round(seconds, 6))
        now[0] += seconds

    backend.write = costly_write
    saver = GroupCommit(backend, state, lock, duty=0.1, burst=1.0, sleep=pause, clock=lambda: now[0],
                        cpu=lambda: spent[0])
    for i in range(5):
        with lock:
            state.record(_resource(f"rare{i}"))
        saver.save()
        now[0] += 10.0
    assert pauses == []
    for i in range(4):
        with lock:
            state.record(_resource(f"busy{i}"))
        saver.save()
    assert pauses == [1.0, 1.0]  # the first two used the accrued second; then one write per second

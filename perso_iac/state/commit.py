"""Group commit: the state is saved after every apply step, at most one write at a time, and the
steps that finish while a write is in flight share the next one.

A step's change counts as done only once a write that includes it succeeded (`save()` returns
then), so a killed apply loses at most the changes of the write in flight, never one reported
done. The write rate is bounded twice: never more than one write in flight, and the CPU the writes
take is at most `DUTY` of the time, over any stretch longer than `BURST` seconds (a token bucket:
a write that took c CPU seconds uses c / DUTY seconds of allowance, which accrues in real time up
to BURST; a write waits for the allowance, and steps finishing meanwhile join it). An S3 write
stores the whole state (a local one appends what changed: state/journal.py), so without the
second bound a large stack, whose apply makes many writes of a large document, would spend CPU
growing with the square of its size; the burst keeps a small stack's steps, each saved three
times, from waiting out a pause after every write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ..errors import StateError
from .backend import StateBackend
from .model import StateFile

DUTY = 0.1  # at most this fraction of the time goes to state writes' CPU
BURST = 1.0  # seconds of allowance that may accrue while writes are rare


class GroupCommit:
    """Persists the state after every step, sharing writes between steps that finish together.

    `save()` returns only once a write that includes the caller's change has succeeded, so a step
    is never reported done before it is durable; but while one write is in flight, every change
    made meanwhile is covered by the next single write, not one write each (with hundreds of
    resources, per-step writes of the whole state serialized the apply)."""

    def __init__(self, backend: StateBackend, state: StateFile, state_lock: threading.Lock, *,
                 duty: float = DUTY, burst: float = BURST, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 cpu: Callable[[], float] = time.thread_time) -> None:
        self._backend, self._state, self._state_lock = backend, state, state_lock
        self._per_cpu_second = 1 / duty if 0 < duty < 1 else 0.0  # allowance a CPU second of writing uses
        self._burst = burst
        self._sleep, self._clock, self._cpu = sleep, clock, cpu
        self._not_before = -float("inf")  # when the next write may start
        self._cond = threading.Condition()
        self._changed = 0       # changes made so far
        self._saved = 0         # changes covered by the last successful write
        self._writing = False
        self._error: StateError | None = None
        self.writes = 0         # successful writes (fewer than saves when steps shared them)

    def save(self) -> None:
        with self._cond:
            self._changed += 1
            mine = self._changed
            while self._saved < mine:
                if self._error is not None:
                    raise self._error
                if self._writing:
                    self._cond.wait()
                    continue
                self._write_locked()

    def _write_locked(self) -> None:
        """Write with the condition released (so others can queue their changes), then re-take it."""
        self._writing = True
        covered = 0
        error: BaseException | None = None
        self._cond.release()
        try:
            pause = self._not_before - self._clock()
            if pause > 0:  # steps finishing meanwhile join this write
                self._sleep(pause)
            with self._cond:
                covered = self._changed  # every change counted here is in the snapshot below
            # Write a snapshot, so steps can keep recording their changes while the write is in flight
            # (ResourceStates are replaced, never mutated, so a shallow copy is a consistent snapshot).
            with self._state_lock:
                snapshot = replace(self._state, resources=dict(self._state.resources),
                                   outputs=dict(self._state.outputs))
            started, spent = self._clock(), self._cpu()
            self._backend.write(snapshot)
            spent = self._cpu() - spent
            if self._per_cpu_second:
                self._not_before = max(self._not_before, started - self._burst) + spent * self._per_cpu_second
            with self._state_lock:
                self._state.serial = snapshot.serial
        except BaseException as exc:  # noqa: BLE001 - handed back to every waiting step
            error = exc
        finally:
            self._cond.acquire()
            self._writing = False
            self._cond.notify_all()
        if isinstance(error, StateError):
            self._error = error
        elif error is not None:
            raise error
        else:
            self._saved = max(self._saved, covered)
            self.writes += 1

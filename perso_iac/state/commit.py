"""Group commit: the state is saved after every apply step, at most one write at a time, and the
steps that finish while a write is in flight share the next one.

A step's change counts as done only once a write that includes it succeeded (`save()` returns
then), so a killed apply loses at most the changes of the write in flight, never one reported
done. The write rate is bounded by the backend's own write time: however many steps finish, there
is never more than one write in flight and one queued.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from ..errors import StateError
from .backend import StateBackend
from .model import StateFile


class GroupCommit:
    """Persists the state after every step, sharing writes between steps that finish together.

    `save()` returns only once a write that includes the caller's change has succeeded, so a step
    is never reported done before it is durable; but while one write is in flight, every change
    made meanwhile is covered by the next single write, not one write each (with hundreds of
    resources, per-step writes of the whole state serialized the apply)."""

    def __init__(self, backend: StateBackend, state: StateFile, state_lock: threading.Lock) -> None:
        self._backend, self._state, self._state_lock = backend, state, state_lock
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
        covered = self._changed
        error: BaseException | None = None
        self._cond.release()
        try:
            # Write a snapshot, so steps can keep recording their changes while the write is in flight
            # (ResourceStates are replaced, never mutated, so a shallow copy is a consistent snapshot).
            with self._state_lock:
                snapshot = replace(self._state, resources=dict(self._state.resources),
                                   outputs=dict(self._state.outputs))
            self._backend.write(snapshot)
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

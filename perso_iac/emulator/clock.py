"""Clocks for the emulator.

Every lifecycle in the emulator is derived lazily from timestamps taken from a clock, so the
same code serves realistic runs (``SystemClock``), accelerated runs (``time_scale``) and tests
(``VirtualClock``, which only moves when told to).
"""

from __future__ import annotations

import threading
import time


class SystemClock:
    """Wall-clock time in epoch seconds, plus an offset that ``advance`` moves forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._offset += float(seconds)
        return self.now()


class VirtualClock:
    """A clock that stands still until ``advance(seconds)`` is called.

    ``VirtualClock()`` starts at the current wall-clock time so timestamps look plausible;
    pass ``start`` for fully reproducible timestamps.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = float(time.time() if start is None else start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += float(seconds)
            return self._now

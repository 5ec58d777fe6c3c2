"""The only place perso sleeps: polling a resource until it settles, with backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import WaitTimeoutError

T = TypeVar("T")

FIRST_POLL = 0.04  # of the expected duration
POLL_CAP = 0.06    # of the expected duration: how late a resource is seen ready, at most


@dataclass(frozen=True)
class Waiter:
    """Polls with backoff. Given how long a wait usually takes (`expected`, at AWS's real speed),
    the schedule fits it: the first poll at 4 % of it, then backoff capped at 6 % of it, so a
    resource is seen ready within about 6 % of its duration, with about 18 describes
    whatever that duration (a fixed 30 s cap made a one-hour training cost ~126 describes and a
    one-minute resource wait ~83 s). Modelled at the durations real responses recorded
    (benchmarks/bench_waiting.py): 42 describes per resource-hour, worst lag 5 % (first 5 % and cap
    10 %: 27 and 11 %). `time_scale` shrinks the schedule with the emulator's clock."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    initial_delay: float = 1.0     # without `expected`, or when `fixed`
    max_delay: float = 30.0
    factor: float = 1.5
    min_delay: float = 1.0         # never poll AWS more often than this (scaled by time_scale)
    time_scale: float = 1.0
    fixed: bool = False            # use initial_delay/max_delay as given (PERSO_POLL_* in tests)

    def schedule(self, expected: float | None) -> tuple[float, float]:
        """The first delay and the cap for a wait expected to last `expected` real seconds."""
        if expected is None or self.fixed:
            return self.initial_delay, self.max_delay
        floor = self.min_delay * self.time_scale
        scaled = expected * self.time_scale
        first = max(floor, FIRST_POLL * scaled)
        return first, max(first, POLL_CAP * scaled)

    def due(self, expected: float | None) -> float:
        """When, on this waiter's clock, a wait starting now and lasting `expected` should end."""
        return self.clock() + (expected or 0.0) * self.time_scale

    def until(self, check: Callable[[], T | None], *, timeout: float, what: str,
              expected: float | None = None) -> T:
        """Call `check` until it returns something other than None; raise after `timeout` seconds."""
        deadline = self.clock() + timeout
        delay, cap = self.schedule(expected)
        while True:
            result = check()
            if result is not None:
                return result
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"timed out after {timeout:.0f}s waiting for {what}",
                    hint="the operation continues in AWS; run `perso apply` again to resume waiting",
                )
            self.sleep(min(delay, remaining))
            delay = min(delay * self.factor, cap)

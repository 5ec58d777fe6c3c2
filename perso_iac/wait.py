"""The only place perso sleeps: polling a resource until it settles, with backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import WaitTimeoutError

T = TypeVar("T")


@dataclass(frozen=True)
class Waiter:
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    initial_delay: float = 1.0
    max_delay: float = 30.0
    factor: float = 1.6

    def until(self, check: Callable[[], T | None], *, timeout: float, what: str) -> T:
        """Call `check` until it returns something other than None; raise after `timeout` seconds."""
        deadline = self.clock() + timeout
        delay = self.initial_delay
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
            delay = min(delay * self.factor, self.max_delay)

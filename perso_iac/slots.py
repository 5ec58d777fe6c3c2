"""How apply shares --parallelism between its AWS calls: at most that many at once; a waiting
change (create, update, delete) goes before any waiting poll, in arrival order; waiting polls go
earliest-due first: the resource expected to be ready soonest is read first.

A plain semaphore wakes an arbitrary waiter. With hundreds of resources settling at once, their
polls held the slots and a create, the next link of the critical path, waited half a second on
average behind them (benchmarks/bench_scale.py, 50 dataset groups). And when there are more polls
than slots can serve, reading a resource that was created a moment ago and takes minutes is the
least useful of them: serving the earliest-due first spends the slots where a resource is likely
ready. A released slot is handed to one waiter, so no release wakes every waiting thread.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class ApiSlots:
    def __init__(self, size: int) -> None:
        self._free = max(1, size)
        self._lock = threading.Lock()
        self._changes: deque[threading.Lock] = deque()
        self._polls: list[tuple[float, int, threading.Lock]] = []  # (due, arrival, baton)
        self._arrival = itertools.count()

    @contextmanager
    def slot(self, *, due: float | None = None) -> Iterator[None]:
        """A slot for one call: a change's when `due` is None, else a poll of a resource expected
        to be ready at `due` (any clock, the same for every poll)."""
        self._acquire(due)
        try:
            yield
        finally:
            self._release()

    def _acquire(self, due: float | None) -> None:
        with self._lock:
            if self._free > 0 and not self._changes and not self._polls:
                self._free -= 1
                return
            baton = threading.Lock()
            baton.acquire()
            if due is None:
                self._changes.append(baton)
            else:
                heapq.heappush(self._polls, (due, next(self._arrival), baton))
        baton.acquire()  # released by the _release that hands this caller its slot

    def _release(self) -> None:
        with self._lock:
            if self._changes:
                self._changes.popleft().release()  # the slot passes on: _free is unchanged
            elif self._polls:
                heapq.heappop(self._polls)[2].release()
            else:
                self._free += 1

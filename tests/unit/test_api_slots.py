"""Apply's AWS call slots: never more calls at once than --parallelism; a waiting change goes
before any waiting poll, changes in arrival order, polls earliest-due first."""

from __future__ import annotations

import threading
import time

from perso_iac.slots import ApiSlots


def _queued(slots: ApiSlots) -> int:
    with slots._lock:  # noqa: SLF001 - how many callers are waiting, to order arrivals
        return len(slots._changes) + len(slots._polls)  # noqa: SLF001


def _wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def served_order(arrivals: list[tuple[str, float | None]]) -> list[str]:
    """Who gets the single slot, in order, when all of `arrivals` queue (in that order) behind a holder."""
    slots = ApiSlots(1)
    order: list[str] = []
    holder = slots.slot()
    holder.__enter__()
    threads = []
    for count, (name, due) in enumerate(arrivals, start=1):
        def call(name: str = name, due: float | None = due) -> None:
            with slots.slot(due=due):
                order.append(name)
        threads.append(threading.Thread(target=call))
        threads[-1].start()
        _wait_until(lambda count=count: _queued(slots) == count, f"{name} to queue")
    holder.__exit__(None, None, None)
    for thread in threads:
        thread.join(10)
    return order


def test_waiting_changes_go_before_waiting_polls_and_in_arrival_order():
    order = served_order([("poll-a", 5.0), ("create-1", None), ("poll-b", 1.0), ("create-2", None)])
    assert order == ["create-1", "create-2", "poll-b", "poll-a"]


def test_polls_are_served_earliest_due_first_and_ties_in_arrival_order():
    order = served_order([("due-9", 9.0), ("due-3", 3.0), ("due-3-later", 3.0), ("due-1", 1.0)])
    assert order == ["due-1", "due-3", "due-3-later", "due-9"]


def test_never_more_calls_at_once_than_slots_and_every_caller_is_served():
    slots, lock = ApiSlots(3), threading.Lock()
    running, peak, served = [0], [0], []

    def call(i: int) -> None:
        with slots.slot(due=None if i % 3 == 0 else float(i % 7)):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.005)
            with lock:
                running[0] -= 1
                served.append(i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(served) == list(range(60))
    assert peak[0] == 3

"""The polling schedule fits each wait's typical duration: seen ready within 6 % of it after it
is, with about 18 describes whatever the duration. Virtual clock, no sleeping."""

from __future__ import annotations

import pytest

from perso_iac.resources.registry import REGISTRY
from perso_iac.wait import Waiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait_for(duration: float, expected: float, waiter_kw: dict | None = None) -> tuple[int, float]:
    """(describes, lag) for a resource that becomes ready after `duration` seconds."""
    clock = Clock()
    waiter = Waiter(sleep=clock.sleep, clock=clock.time, **(waiter_kw or {}))
    calls = [0]

    def check() -> bool | None:
        calls[0] += 1
        return True if clock.now >= duration else None

    waiter.until(check, timeout=10 * duration + 100, what="it", expected=expected)
    return calls[0], clock.now - duration


@pytest.mark.parametrize("type_name", sorted(t for t, a in REGISTRY.items() if a.typical_create >= 60))
def test_each_type_is_seen_ready_within_6_percent_of_its_duration_with_few_describes(type_name):
    expected = REGISTRY[type_name].typical_create
    describes, lag = wait_for(expected, expected)
    assert lag <= 0.06 * expected + 1e-9
    assert describes <= 20
    assert describes / (expected / 3600) <= 120 or expected < 3600 / 8   # per resource-hour, for long waits


def test_a_one_hour_training_costs_under_thirty_describes_not_126():
    typical = REGISTRY["solution_version"].typical_create
    describes, lag = wait_for(3600, typical)
    old_describes, old_lag = wait_for(3600, None, {"initial_delay": 2.0, "max_delay": 30.0, "factor": 1.6})
    assert describes <= 30 and old_describes >= 100
    assert lag <= 0.06 * typical


def test_the_schedule_follows_the_emulator_clock():
    describes, lag = wait_for(3.6, 3600, {"time_scale": 0.001})
    assert lag <= 0.22 and describes <= 20


def test_fixed_delays_ignore_the_expected_duration():
    waiter = Waiter(initial_delay=0.01, max_delay=0.05, fixed=True)
    assert waiter.schedule(3600) == (0.01, 0.05)
    assert Waiter().schedule(None) == (1.0, 30.0)
    assert Waiter().schedule(0.5) == (1.0, 1.0)     # never faster than once a second against AWS

"""How many describes perso's waits cost, and how late they see a resource ready, modelled at
real AWS durations on a virtual clock (nothing sleeps). Issue 11's goals: <= 120 describes per
resource-hour of waiting, seen ready within ~10 % of the duration.

    python benchmarks/bench_waiting.py

The durations: for the types real responses recorded (tests/emulator/real_aws/, see
tests/unit/test_durations.py), each recorded creation-to-ACTIVE time and the same times doubled
(production data trains longer than notebooks'); for the others, half, once and twice perso's
typical duration.
"""

from __future__ import annotations

import sys
from pathlib import Path

from perso_iac.resources.registry import REGISTRY
from perso_iac.wait import Waiter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from test_durations import RECORDED  # noqa: E402

FACTORS = (0.5, 1.0, 2.0)


def durations() -> dict[str, list[float]]:
    """The waits of a modelled stack, in real seconds, by type (waits under a minute left out)."""
    out = {}
    for type_name, adapter in REGISTRY.items():
        recorded = RECORDED.get(type_name)
        waits = [d * k for d in recorded for k in (1, 2)] if recorded else \
            [adapter.typical_create * k for k in FACTORS]
        out[type_name] = [d for d in waits if d >= 60]
    return out


def simulate(waiter_kw: dict, expected_of: dict[str, float | None]) -> tuple[int, float, float]:
    describes, hours, worst_lag = 0, 0.0, 0.0
    for type_name, waits in durations().items():
        for duration in waits:
            now = [0.0]
            calls = [0]

            def check(duration: float = duration, now: list = now, calls: list = calls) -> bool | None:
                calls[0] += 1
                return True if now[0] >= duration else None

            waiter = Waiter(sleep=lambda s, now=now: now.__setitem__(0, now[0] + s), clock=lambda now=now: now[0],
                            **waiter_kw)
            waiter.until(check, timeout=100 * duration, what=type_name, expected=expected_of[type_name])
            describes += calls[0]
            hours += duration / 3600
            worst_lag = max(worst_lag, (now[0] - duration) / duration)
    return describes, describes / hours, worst_lag


def main() -> None:
    fitted = simulate({}, {t: a.typical_create for t, a in REGISTRY.items()})
    fixed = simulate({"initial_delay": 2.0, "max_delay": 30.0, "factor": 1.6}, dict.fromkeys(REGISTRY))
    print("| schedule | describes | describes per resource-hour | worst lag (share of duration) |")
    print("|---|---:|---:|---:|")
    print(f"| fixed 2 s -> 30 s (before) | {fixed[0]} | {fixed[1]:.0f} | {fixed[2]:.0%} |")
    print(f"| fitted per type (after) | {fitted[0]} | {fitted[1]:.0f} | {fitted[2]:.0%} |")


if __name__ == "__main__":
    main()

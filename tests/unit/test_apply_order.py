"""The order apply runs its steps in, and the waiter's backoff, without AWS or real time."""

from __future__ import annotations

import graphlib

import pytest

from perso_iac.apply import step_graph
from perso_iac.errors import WaitTimeoutError
from perso_iac.plan import Action, Change, Reason
from perso_iac.wait import Waiter


def change(address: str, action: Action, deps=(), prior=(), **kw) -> Change:
    return Change(address=address, type=address.split(".")[0], action=action, depends_on=tuple(deps),
                  prior_depends_on=tuple(prior), arn="arn" if action is not Action.CREATE else None, **kw)


def order(changes: list[Change]) -> list[tuple[str, str]]:
    graph = step_graph({c.address: c for c in changes})
    return list(graphlib.TopologicalSorter(graph).static_order())


def before(steps: list[tuple[str, str]], first: tuple[str, str], then: tuple[str, str]) -> bool:
    return steps.index(first) < steps.index(then)


def test_creates_run_after_what_they_reference():
    steps = order([change("campaign.g.c", Action.CREATE, deps=["solution.g.s"]),
                   change("solution.g.s", Action.CREATE, deps=["dataset_group.g"]),
                   change("dataset_group.g", Action.CREATE)])
    assert steps == [("apply", "dataset_group.g"), ("apply", "solution.g.s"), ("apply", "campaign.g.c")]


def test_deletes_run_in_reverse_dependency_order():
    steps = order([change("dataset_group.g", Action.DELETE),
                   change("solution.g.s", Action.DELETE, prior=["dataset_group.g"]),
                   change("campaign.g.c", Action.DELETE, prior=["solution.g.s"])])
    assert steps == [("delete", "campaign.g.c"), ("delete", "solution.g.s"), ("delete", "dataset_group.g")]


def test_replace_deletes_dependents_then_parent_then_recreates_in_order():
    steps = order([change("solution.g.s", Action.REPLACE, deps=["dataset_group.g"], prior=["dataset_group.g"]),
                   change("campaign.g.c", Action.REPLACE, deps=["solution.g.s"], prior=["solution.g.s"])])
    assert before(steps, ("delete", "campaign.g.c"), ("delete", "solution.g.s"))
    assert before(steps, ("delete", "solution.g.s"), ("apply", "solution.g.s"))
    assert before(steps, ("apply", "solution.g.s"), ("apply", "campaign.g.c"))


def test_old_schema_is_deleted_only_after_the_dataset_moved_off_it():
    steps = order([change("schema.old", Action.DELETE),
                   change("schema.new", Action.CREATE),
                   change("dataset.g.items", Action.UPDATE, deps=["schema.new"], prior=["schema.old"])])
    assert before(steps, ("apply", "schema.new"), ("apply", "dataset.g.items"))
    assert before(steps, ("apply", "dataset.g.items"), ("delete", "schema.old"))


def test_noop_changes_have_no_steps_but_pending_ones_are_waited_for():
    graph = step_graph({"a.x": change("a.x", Action.NOOP), "b.y": change("b.y", Action.NOOP, reason=Reason.SETTLING)})
    assert set(graph) == {("apply", "b.y")}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_waiter_backs_off_until_ready():
    clock = FakeClock()
    answers = iter([None, None, None, "ready"])
    waiter = Waiter(sleep=clock.sleep, clock=clock.time, initial_delay=1, factor=2, max_delay=3)
    assert waiter.until(lambda: next(answers), timeout=100, what="x") == "ready"
    assert clock.sleeps == [1, 2, 3]


def test_waiter_times_out_with_a_resumable_hint():
    clock = FakeClock()
    waiter = Waiter(sleep=clock.sleep, clock=clock.time, initial_delay=5, max_delay=5)
    with pytest.raises(WaitTimeoutError) as info:
        waiter.until(lambda: None, timeout=12, what="campaign.g.c to become ready")
    assert "campaign.g.c" in info.value.message and "apply" in info.value.hint
    assert clock.now == pytest.approx(12)

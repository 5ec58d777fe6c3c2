"""Apply a plan: walk its steps in dependency order, in parallel, saving state after each.

Each change becomes up to two steps: `delete` (DELETE and the first half of REPLACE) and
`apply` (create, update, or wait for something still settling). Deletes run after whatever
depended on the resource is deleted or updated away from it; creates run after what they
reference. A failed step skips its dependents; everything else proceeds. Because state is
written after every step, and the next plan starts from what AWS reports, running apply
again after a failure or a kill converges.
"""

from __future__ import annotations

import graphlib
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import error_code, wrap_error
from .cbd import cbd_delete_base, dependents, deposed
from .compare import contains_ref, refs_in, same_value
from .diff import resolve
from .errors import ApplyError, PersoError, PlanError, StateError
from .plan import Action, Change, Plan, Reason
from .resources.base import Observed, Phase, ResourceType
from .slots import ApiSlots
from .spec.model import Ref
from .state.backend import StateBackend
from .state.commit import GroupCommit
from .state.model import ResourceState, ResourceStatus, StateFile
from .wait import Waiter

Step = tuple[str, str]  # ("delete" | "apply", address)
MAX_WAITING_STEPS = 512  # threads that may sit waiting for resources to settle at once


class EventKind(StrEnum):
    START = "start"
    PROGRESS = "progress"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ApplyEvent:
    address: str
    kind: EventKind
    step: str          # "create", "update", "replace", "delete", "wait", "adopt"
    message: str = ""


@dataclass(frozen=True)
class StepResult:
    address: str
    step: str
    outcome: Outcome
    message: str = ""


class StepFailed(PersoError):
    """A step ended badly; its dependents are skipped."""


class Applier:
    def __init__(
        self,
        client: Any,
        backend: StateBackend,
        state: StateFile,
        adapters: Mapping[str, ResourceType],
        *,
        waiter: Waiter | None = None,
        parallelism: int = 10,
        on_event: Callable[[ApplyEvent], None] = lambda event: None,
    ) -> None:
        self.client = client
        self.backend = backend
        self.state = state
        self.adapters = adapters
        self._cancelled = threading.Event()
        base = waiter or Waiter()
        self.waiter = replace(base, sleep=self._interruptible(base.sleep))
        self.parallelism = max(1, parallelism)
        self.on_event = on_event
        self._state_lock = threading.Lock()
        self._saver = GroupCommit(backend, state, self._state_lock)
        # --parallelism bounds concurrent AWS calls, not concurrent waits: a step that is only
        # polling a training run must not keep another resource from starting.
        self._api_slots = ApiSlots(self.parallelism)
        self._outputs: dict[str, dict[str, Any]] = {a: dict(r.outputs, arn=r.arn) for a, r in state.resources.items()}

    # -- scheduling -------------------------------------------------------------------------------
    def apply(self, plan: Plan) -> list[StepResult]:
        changes = {c.address: c for c in plan.actionable}
        graph = step_graph(changes)
        sorter: graphlib.TopologicalSorter[Step] = graphlib.TopologicalSorter(graph)
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:  # a differ bug, never the user's: stop before touching AWS
            steps = " -> ".join(f"{kind} {address}" for kind, address in exc.args[1])
            raise PlanError(f"the plan's steps cannot be ordered: {steps}",
                            hint="nothing was changed; report this plan (perso plan --format json)") from exc
        results: dict[Step, StepResult] = {}
        blocked: set[Step] = set()
        state_error: StateError | None = None

        pool = ThreadPoolExecutor(max_workers=max(self.parallelism, min(len(graph), MAX_WAITING_STEPS)))
        running: dict[Future[StepResult], Step] = {}
        try:
            while sorter.is_active():
                for step in sorter.get_ready():
                    failed_deps = [d for d in graph.get(step, ()) if d in blocked]
                    if failed_deps or state_error is not None:
                        blocked.add(step)
                        why = f"{failed_deps[0][1]} did not complete" if failed_deps else "state could not be saved"
                        results[step] = StepResult(step[1], step[0], Outcome.SKIPPED, why)
                        self.on_event(ApplyEvent(step[1], EventKind.SKIPPED, step[0], why))
                        sorter.done(step)
                        continue
                    running[pool.submit(self._run_step, step, changes[step[1]])] = step
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    step = running.pop(future)
                    try:
                        result = future.result()
                    except StateError as exc:
                        state_error = exc
                        result = StepResult(step[1], step[0], Outcome.FAILED, exc.message)
                    if result.outcome is not Outcome.DONE:
                        blocked.add(step)
                    results[step] = result
                    sorter.done(step)
        except BaseException:
            # Ctrl-C or SIGTERM: stop waiting at once. Every finished step is in the state, and a
            # resource still settling is recorded as pending, so the next apply picks it up.
            self._cancelled.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

        ordered = list(results.values())
        if state_error is not None:
            raise state_error
        failed = [r for r in ordered if r.outcome is Outcome.FAILED]
        if failed:
            skipped = sum(r.outcome is Outcome.SKIPPED for r in ordered)
            raise ApplyError(
                f"apply failed: {len(failed)} step(s) failed, {skipped} skipped",
                results=ordered,
                hint="fix the cause and run `perso apply` again; completed steps are saved in the state",
            )
        return ordered

    def _run_step(self, step: Step, change: Change) -> StepResult:
        kind, address = step
        label = "delete" if kind == "delete" else _apply_label(change)
        self.on_event(ApplyEvent(address, EventKind.START, label))
        try:
            message = self._delete(change) if kind == "delete" else self._apply(change)
        except StateError:
            raise
        except (PersoError, ClientError, BotoCoreError) as exc:
            text = exc.message if isinstance(exc, PersoError) else str(wrap_error(exc, operation=label, address=address))
            self.on_event(ApplyEvent(address, EventKind.FAILED, label, text))
            return StepResult(address, label, Outcome.FAILED, text)
        self.on_event(ApplyEvent(address, EventKind.DONE, label, message))
        return StepResult(address, label, Outcome.DONE, message)

    def _interruptible(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """The waiter's sleep, cut short when the apply is cancelled."""

        def pause(seconds: float) -> None:
            if sleep is time.sleep:
                self._cancelled.wait(seconds)
            else:
                sleep(seconds)
            if self._cancelled.is_set():
                raise StepFailed("cancelled while waiting")

        return pause

    def _call(self, fn: Callable[..., Any], *args: Any, due: float | None = None) -> Any:
        """One AWS call in one of --parallelism slots; `due`: a poll of a resource expected ready then."""
        with self._api_slots.slot(due=due):
            return fn(*args)

    # -- steps ------------------------------------------------------------------------------------
    def _delete(self, change: Change) -> str:
        adapter = self.adapters[change.type]
        if change.is_intent or change.gone or change.arn is None:
            self._forget(change.address)
            return "forgotten" if change.is_intent else "already gone"
        arn = change.arn

        def attempt_delete() -> bool | None:
            try:
                self._call(adapter.delete, self.client, arn)
                return True
            except ClientError as exc:
                if error_code(exc) == "ResourceInUseException":  # something still settling: retry
                    self.on_event(ApplyEvent(change.address, EventKind.PROGRESS, "delete", "in use, retrying"))
                    return None
                raise wrap_error(exc, operation=f"delete {change.type}", address=change.address) from exc

        self.waiter.until(attempt_delete, timeout=adapter.delete_timeout, what=f"{change.address} to accept deletion",
                          expected=adapter.typical_delete)
        due = self.waiter.due(adapter.typical_delete)
        self.waiter.until(lambda: True if self._read(change.address, adapter, arn, due) is None else None,
                          timeout=adapter.delete_timeout, what=f"{change.address} to be deleted",
                          expected=adapter.typical_delete)
        if _creates_first(change):  # the new one holds the address: forget only the old one
            self._forget(deposed(change.address))
            return f"deleted the old one ({arn})"
        self._forget(change.address)
        return "deleted"

    def _apply(self, change: Change) -> str:
        adapter = self.adapters[change.type]
        params = self._resolve(change)
        tags = dict(change.tags_after or {})
        prior = self.state.resources.get(change.address)
        held: dict[str, Any] = dict(prior.held) if prior and change.action is Action.NOOP else {}
        if change.action in (Action.CREATE, Action.REPLACE):
            arn, message = self._create(change, adapter, params, tags), "created"
        else:
            arn = change.arn or ""
            message = "settled"
            if change.action is Action.UPDATE:
                paths = [p for p in change.changed_paths if p != "tags"]
                try:
                    params, held = self._hold_back(change, adapter, params)
                    paths = [p for p in paths if p not in held.get("values", {})]
                    if paths:
                        self._call(adapter.update, self.client, arn, change.before or {}, params)
                    if "tags" in change.changed_paths:
                        self._call(adapter.update_tags, self.client, arn, change.tags_before or {}, tags)
                except ClientError as exc:
                    raise wrap_error(exc, operation=f"update {change.type}", address=change.address) from exc
                message = "updated " + ", ".join(change.changed_paths)
            elif change.adopt:
                message = "adopted"
        observed = self._wait_ready(change, adapter, arn)
        # Some desired states are reachable only from a settled resource (e.g. stopping a recommender).
        while self._converge(change, adapter, arn, params, observed):
            observed = self._wait_ready(change, adapter, arn)
        self._record(change, arn, params, tags, observed, status=ResourceStatus.READY, held=held)
        if held and change.action is Action.UPDATE and set(held["values"]) & set(change.changed_paths):
            raise StepFailed(f"{change.address}: {held['reason']}",
                             hint=f"the campaign keeps serving its current version; `perso apply --promote "
                                  f"{change.address}` promotes the candidate anyway")
        return message

    def _hold_back(self, change: Change, adapter: ResourceType,
                   params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The params to send, and what stays held back: values a promotion gate refused now or
        at an earlier apply (unless the plan promotes them), reverted to what AWS has."""
        prior = self.state.resources.get(change.address)
        held: dict[str, Any] = dict(prior.held) if prior and change.reason is not Reason.PROMOTED else {}
        if change.reason is not Reason.PROMOTED:
            verdict = self._call(adapter.hold_back, self.client, change.before or {}, params)
            if verdict is not None:
                held = {"values": dict(verdict.refused), "reason": verdict.reason}
        before = change.before or {}
        values = {p: v for p, v in held.get("values", {}).items() if same_value(params.get(p), v)}
        if not values:
            return params, {}
        return {**params, **{p: before.get(p) for p in values}}, {**held, "values": values}

    def _create(self, change: Change, adapter: ResourceType, params: dict[str, Any], tags: dict[str, str]) -> str:
        def attempt() -> str | None:
            try:
                return self._call(adapter.create, self.client, change.name, params, tags)
            except ClientError as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    self._forget(change.address)  # AWS answered: nothing was created
                    if _creates_first(change):
                        self._undepose(change)  # the old one is still the one in use
                    raise wrap_error(exc, operation=f"create {change.type}", address=change.address) from exc
            # Created by an earlier, interrupted apply: adopt it. Not found by name means the old
            # one is still being deleted (DELETE IN_PROGRESS): wait it out and create again.
            arn = self._call(adapter.find, self.client, change.name, params)
            with self._state_lock:  # another address's resource (e.g. one being deleted) is never adopted
                if arn is not None and any(r.arn == arn for a, r in self.state.resources.items()
                                           if a != change.address):
                    arn = None
            if arn is not None:
                self.on_event(ApplyEvent(change.address, EventKind.PROGRESS, "create", f"adopting existing {arn}"))
            else:
                self.on_event(ApplyEvent(change.address, EventKind.PROGRESS, "create", "name still being deleted, waiting"))
            return arn

        # Journal the attempt first: if we are killed after AWS created it but before we learn its
        # ARN, the next run finds it by name and knows it is ours to adopt.
        self._record(change, "", params, tags, None, status=ResourceStatus.CREATING, depose=_creates_first(change))
        arn = self.waiter.until(attempt, timeout=adapter.delete_timeout, what=f"the name of {change.address} to be free",
                                expected=adapter.typical_delete)
        # Record at once: if we are killed while waiting, the next run knows the ARN.
        self._record(change, arn, params, tags, None, status=ResourceStatus.PENDING)
        return arn

    def _converge(self, change: Change, adapter: ResourceType, arn: str, params: dict[str, Any],
                  observed: Observed) -> bool:
        try:
            return self._call(adapter.converge, self.client, arn, params, observed)
        except ClientError as exc:
            raise wrap_error(exc, operation=f"converge {change.type}", address=change.address) from exc

    def _wait_ready(self, change: Change, adapter: ResourceType, arn: str) -> Observed:
        last_status: list[str | None] = [None]
        expected = adapter.typical_update if change.action is Action.UPDATE else adapter.typical_create
        due = self.waiter.due(expected)

        def settled() -> Observed | None:
            observed = self._read(change.address, adapter, arn, due)
            if observed is None:
                raise StepFailed(f"{change.address}: {arn} disappeared while waiting for it")
            if observed.status != last_status[0]:
                last_status[0] = observed.status
                self.on_event(ApplyEvent(change.address, EventKind.PROGRESS, "wait", observed.status or ""))
            if observed.phase is Phase.FAILED:
                raise StepFailed(f"{change.address}: {observed.status}: {observed.failure_reason or 'no reason given'}")
            return observed if observed.phase is Phase.READY else None

        return self.waiter.until(settled, timeout=adapter.create_timeout, what=f"{change.address} to become ready",
                                 expected=expected)

    def _read(self, address: str, adapter: ResourceType, arn: str, due: float) -> Observed | None:
        try:
            return self._call(adapter.read, self.client, arn, due=due)
        except ClientError as exc:
            raise wrap_error(exc, operation=f"read {adapter.type_name}", address=address) from exc

    # -- values and state ---------------------------------------------------------------------------
    def _lookup(self, ref: Ref) -> Any:
        return self._outputs.get(ref.address, {}).get(ref.attr)

    def _resolve(self, change: Change) -> dict[str, Any]:
        params = resolve(dict(change.after or {}), self._lookup)
        if contains_ref(params):
            missing = sorted({str(r) for r in refs_in(params)})
            raise StepFailed(f"{change.address}: values not available: {', '.join(missing)}",
                             hint="the referenced resource has no such value yet (e.g. no ACTIVE solution version)")
        return self.adapters[change.type].normalize(params)

    def _record(self, change: Change, arn: str, params: dict[str, Any], tags: dict[str, str],
                observed: Observed | None, *, status: ResourceStatus, held: dict[str, Any] | None = None,
                depose: bool = False) -> None:
        outputs = dict(observed.outputs) if observed else {"arn": arn}
        outputs["arn"] = arn
        triggers = {str(t): self._lookup(t) for t in change.triggers}
        with self._state_lock:
            if depose:  # in the same write as the new one's journal entry: a kill leaves both recorded
                self._depose(change)
            self._outputs[change.address] = outputs
            self.state.record(ResourceState(
                address=change.address, type=change.type, name=change.name, arn=arn, params=params,
                tags=tags, outputs={k: v for k, v in outputs.items() if v is not None and k != "arn"},
                depends_on=list(change.depends_on), triggers=triggers, status=status, held=dict(held or {}),
                spec_name=change.spec_name,
            ))
        self._saver.save()

    def _depose(self, change: Change) -> None:
        """Keep the old one in the state as `<address>~deposed` until it is deleted (state lock held)."""
        old = self.state.resources.get(change.address)
        if old is None or old.arn != change.arn:
            return  # deposed already, or never recorded
        self.state.forget(change.address)
        self.state.record(replace(old, address=deposed(change.address)))

    def _undepose(self, change: Change) -> None:
        with self._state_lock:
            old = self.state.resources.get(deposed(change.address))
            if old is None or change.address in self.state.resources:
                return
            self.state.forget(old.address)
            self.state.record(replace(old, address=change.address))
            self._outputs[change.address] = dict(old.outputs, arn=old.arn)
        self._saver.save()

    def _forget(self, address: str) -> None:
        with self._state_lock:
            self._outputs.pop(address, None)
            if address not in self.state.resources:
                return
            self.state.forget(address)
        self._saver.save()


def _creates_first(change: Change) -> bool:
    return change.create_before_destroy and change.action is Action.REPLACE and not change.is_intent \
        and change.arn is not None


def _apply_label(change: Change) -> str:
    if change.action is Action.NOOP:
        return "adopt" if change.adopt else "wait"
    return change.action.value


def step_graph(changes: Mapping[str, Change]) -> dict[Step, set[Step]]:
    """Each step with the steps that must finish before it.

    Acyclic by construction (for any plan the differ makes):
    - an `apply` waits for its own `delete` (replace) and for the `apply` of what it references;
    - a create-before-destroy replacement turns the first rule round: its `delete` (of the old one)
      waits for its own `apply` and for the `apply` of everything that depends on it (moved to the
      new one), and the same holds for the `<address>~deposed` entry a killed apply left;
    - a `delete` that only forgets a record (an intent such as an import job or a trained version,
      which AWS cannot delete on its own, or something already gone) waits for nothing: it touches
      nothing in AWS, so nothing has to be released first;
    - a real `delete` waits until nothing keeps the resource alive in AWS: the deletion of each
      resource that referenced it, or the update that moved that resource away from it. A record
      that is only forgotten passes the wait on: a campaign that served a trained version of a
      solution keeps the solution alive until the campaign itself is updated or deleted.
    The nightly data refresh (re-import, retrain, campaign update) once made a cycle here: the old
    trained version's forget waited for the campaign update, which waits for the new training,
    which waits for that forget."""
    graph: dict[Step, set[Step]] = {}
    for address, change in changes.items():
        if change.deletes or (change.action is Action.DELETE and change.gone):
            graph[("delete", address)] = set()
        if change.creates_or_updates or change.pending or change.adopt:
            graph[("apply", address)] = set()
    keepers: dict[str, list[str]] = {}
    for address, change in changes.items():
        for dep in change.prior_depends_on:
            keepers.setdefault(dep, []).append(address)
    for address, change in changes.items():
        apply_step = ("apply", address)
        if apply_step in graph:
            if ("delete", address) in graph and not _creates_first(change):
                graph[apply_step].add(("delete", address))
            graph[apply_step].update(("apply", d) for d in change.depends_on if ("apply", d) in graph)
        delete_step = ("delete", address)
        if delete_step in graph and not forgets_only(change):
            graph[delete_step] |= _releasing_steps(address, changes, keepers, graph)
        base = cbd_delete_base(change)
        if delete_step in graph and base is not None:
            # Create before destroy: the old one goes once the new one, and all that uses it, are applied.
            graph[delete_step] |= {("apply", a) for a in {base, *dependents(base, changes)} if ("apply", a) in graph}
    return graph


def forgets_only(change: Change) -> bool:
    """Whether deleting `change` only removes its record from the state (no AWS call)."""
    return change.is_intent or change.gone or change.arn is None


def _releasing_steps(address: str, changes: Mapping[str, Change], keepers: Mapping[str, list[str]],
                     graph: Mapping[Step, set[Step]]) -> set[Step]:
    """The steps after which nothing that referenced `address` keeps it alive in AWS."""
    steps: set[Step] = set()
    seen: set[str] = set()
    todo = [(keeper, True) for keeper in keepers.get(address, ())]
    while todo:
        keeper, direct = todo.pop()
        if keeper in seen or keeper not in changes:
            continue  # a keeper without a change still references it: the differ replaced this one's keepers
        seen.add(keeper)
        change = changes[keeper]
        if change.action is Action.CREATE:
            continue  # not in AWS (gone outside perso, or never made): it keeps nothing alive
        if ("delete", keeper) in graph:
            if forgets_only(change):
                todo.extend((k, False) for k in keepers.get(keeper, ()))  # its own keepers release it
            else:
                steps.add(("delete", keeper))
        elif ("apply", keeper) in graph and (not direct or address not in change.depends_on):
            # Updated away from it (or, through a forgotten record, moved to a newer version). An
            # update that still references it cannot release it; the differ replaces such keepers.
            steps.add(("apply", keeper))
    return steps

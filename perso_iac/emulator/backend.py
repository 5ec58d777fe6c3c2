"""The emulated Amazon Personalize account (moto's ``models.py`` role): no HTTP.

``Backend`` owns the store, the lock, call counting, faults and the test control actions, and
dispatches an operation name to its handler in ``ops`` (one module per resource family). Handlers
work on an ``Account`` (``ops/account.py``): the loaded state plus the shared rules for records,
ARNs, names, lifecycles, tags, pagination and quotas. Every request runs under the lock on a freshly
loaded state, first completing the transitions that are due; a failed request leaves no change.

A request costs what it touches, not the account: settling visits what is due (``ops/index.py``),
a writer keeps before-images of the records it touches instead of a snapshot of the account, and
the store persists only the touched records (``store.py``). ``PERSO_EMULATOR_CHECK=1`` (set by the
test suite) verifies after every request, at whole-account cost, that nothing changed untouched
and that a rollback restored the state exactly.
"""

from __future__ import annotations

import copy
import os
import random
import threading
from collections import Counter
from typing import Any

from . import errors as E
from .config import (
    DEFAULT_QUOTAS,
    MAX_ADVANCE_SECONDS,
    MAX_LATENCY_MS,
    MAX_TIME_SCALE,
    EmulatorConfig,
    bounded_int,
    bounded_number,
    check_actions,
    check_quotas,
    parse_fail_rules,
)
from .model import OTHER_SERVICES, operation_model, project, validate, validation_message
from .ops import HANDLERS, HOOKS
from .ops.account import Account, clone
from .ops.index import RecordIndex
from .ops.metrics import set_metrics
from .ops.resources import TYPES
from .store import Changes, FileStore, MemoryStore, empty_state

__all__ = ["HANDLERS", "TYPES", "Backend"]

#: operations that only read (AWS's naming is systematic): they need no rollback snapshot
READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def iam_action(op_name: str) -> str:
    """The IAM action of an operation the server answers: `tag:GetResources`, `personalize:ListSchemas`,
    `servicequotas:GetServiceQuota` (service-quota calls are counted by their whole target)."""
    if op_name in OTHER_SERVICES:
        return f"tag:{op_name}"
    if "." in op_name:
        return f"servicequotas:{op_name.rsplit('.', 1)[1]}"
    return f"personalize:{op_name}"


class Backend:
    """One emulated account in one region. Thread-safe; optionally persisted in ``data_dir``."""

    def __init__(self, config: EmulatorConfig, clock: Any) -> None:
        self.config = config
        self.clock = clock
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._rng = random.Random(config.seed)
        self._index: RecordIndex | None = None
        self._index_of: dict | None = None
        self._check = os.environ.get("PERSO_EMULATOR_CHECK") == "1"
        if config.data_dir is not None:
            self._store: MemoryStore | FileStore = FileStore(config.data_dir, config.region, config.account_id)
        else:
            self._store = MemoryStore()
        with self._lock, self._store.locked():
            self.state = self._store.load()

    # ------------------------------------------------------------------ entry points
    def admit(self, op_name: str) -> None:
        """Count the call and apply the throttling fault (deterministic, seeded RNG)."""
        with self._lock:
            self.calls[op_name] += 1
            action = iam_action(op_name)
            if action in self.config.deny:
                raise E.ApiError("AccessDeniedException", f"User: arn:aws:iam::{self.config.account_id}:user/perso "
                                 f"is not authorized to perform: {action} because no identity-based policy "
                                 f"allows the {action} action")
            rate = self.config.throttle_rate
            if rate > 0 and self._rng.random() < rate:
                self.throttled[op_name] += 1
                raise E.ApiError("ThrottlingException", "Rate exceeded")

    def handle(self, op_name: str, params: dict) -> dict | None:
        """Validate ``params`` against the model, run the operation, shape the output
        (``None`` for operations without an output shape: AWS answers them with an empty body)."""
        handler = HANDLERS.get(op_name)
        if handler is None:
            raise E.ApiError("UnknownOperationException", f"Operation {op_name} is not supported.")
        om = operation_model(op_name)
        problems = validate(om.input_shape, params)
        if problems:
            raise E.invalid_input(validation_message(problems))
        with self._lock, self._store.locked():
            account = self._account()
            before = clone(self.state) if self._check else None
            account.settle_all()
            try:
                if op_name.startswith(READ_ONLY_PREFIXES):
                    # reads change at most lifecycle progress: no undo, and no write at all when
                    # nothing moved (time_scale > 0 and nothing due)
                    result = handler(account, params)
                else:
                    result = self._atomically(account, lambda: handler(account, params))
            finally:
                if before is not None:
                    self._verify(before, account)
                if account.dirty:
                    self._store.save(self.state, Changes.of(account))
        return None if om.output_shape is None else project(om.output_shape, result)

    def _atomically(self, account: Account, run: Any) -> Any:
        """``run()`` under an undo: when it fails, what it touched is restored before the error
        propagates (the settling before it stays: it happened whether the request succeeds or not)."""
        settled = clone(self.state) if self._check else None
        account.begin()
        try:
            result = run()
        except BaseException:
            account.rollback()
            if settled is not None and clone(self.state) != settled:
                raise _check_failure("a failed request was not rolled back exactly") from None
            raise
        account.undo = None
        return result

    @staticmethod
    def _verify(before: dict, account: Account) -> None:
        """Check mode: every record, tag set and top-level key that differs from ``before`` was touched."""
        after = clone(account.state)
        untouched = [arn for arn in before["resources"].keys() | after["resources"].keys()
                     if arn not in account.touched
                     and before["resources"].get(arn) != after["resources"].get(arn)]
        untouched += [f"tags of {arn}" for arn in before["tags"].keys() | after["tags"].keys()
                      if arn not in account.touched_tags and before["tags"].get(arn) != after["tags"].get(arn)]
        untouched += [key for key in before.keys() | after.keys()
                      if key not in ("resources", "tags", "seq", *account.touched_top)
                      and before.get(key) != after.get(key)]
        if untouched:
            raise _check_failure(f"changed without touch: {', '.join(sorted(untouched))}")

    def _account(self) -> Account:
        """The account for one request (under the lock): the stored state and its index, rebuilt
        only when the state document changed identity (first load, another process wrote it, reset)."""
        state = self._store.load()
        if state is not self.state or self._index is None or self._index_of is not state:
            self._index, self._index_of = RecordIndex(state["resources"]), state
        self.state = state
        return Account(state, self.clock.now(), self.config, HOOKS, self._index)

    def control(self, payload: dict) -> dict:
        """The test control endpoint (``POST /_perso/control``)."""
        action = payload.get("action")
        if action == "advance":
            try:
                seconds = bounded_number("advance seconds", payload.get("seconds"), 0, MAX_ADVANCE_SECONDS)
            except ValueError as exc:
                raise E.invalid_input(str(exc)) from None
            return {"now": self.clock.advance(seconds)}
        if action == "configure":
            return {"config": self.configure(**{k: v for k, v in payload.items() if k != "action"})}
        if action == "reset":
            self.reset()
            return {"reset": True}
        if action == "calls":
            with self._lock:
                out = {"calls": dict(self.calls), "throttled": dict(self.throttled), "total": sum(self.calls.values())}
                if payload.get("reset"):
                    self.calls.clear()
                    self.throttled.clear()
            return out
        if action == "metrics":
            with self._lock, self._store.locked():
                account = self._account()
                result = self._atomically(account, lambda: set_metrics(account, payload))
                if account.dirty:
                    self._store.save(self.state, Changes.of(account))
            return result
        if action == "state":
            with self._lock, self._store.locked():
                return {"state": copy.deepcopy(self._store.load()), "now": self.clock.now()}
        raise E.invalid_input(f"unknown control action {action!r} (advance, configure, metrics, reset, calls, state)")

    def configure(self, **changes: Any) -> dict:
        """Change settings at run time; every value is checked before any is applied."""
        try:
            checked = self._check_settings(changes)
        except ValueError as exc:
            raise E.invalid_input(str(exc)) from None
        with self._lock:
            cfg = self.config
            for key, value in checked.items():
                if key == "quotas":
                    cfg.quotas = {**DEFAULT_QUOTAS, **(cfg.quotas or {}), **value}
                elif key == "seed":
                    self._rng = random.Random(value)
                elif key == "tagging_lag":
                    with self._store.locked():
                        tags = self._account().tags
                    cfg.tagging_snapshot = copy.deepcopy(tags) if value else None
                else:
                    setattr(cfg, key, value)
            return {
                "time_scale": cfg.time_scale,
                "latency_ms": cfg.latency_ms,
                "throttle_rate": cfg.throttle_rate,
                "fail": list(cfg.fail),
                "deny": list(cfg.deny),
                "tagging_lag": cfg.tagging_snapshot is not None,
                "quotas": dict(cfg.quotas),
            }

    @staticmethod
    def _check_settings(changes: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "time_scale":
                out[key] = bounded_number(key, value, 0, MAX_TIME_SCALE)
            elif key == "latency_ms":
                out[key] = bounded_number(key, value, 0, MAX_LATENCY_MS)
            elif key == "throttle_rate":
                out[key] = bounded_number(key, value, 0, 1)
            elif key == "fail":
                out[key] = tuple(str(r) for r in parse_fail_rules(value if value is not None else ()))
            elif key == "deny":
                out[key] = check_actions(value if value is not None else ())
            elif key == "tagging_lag":
                if not isinstance(value, bool):
                    raise ValueError("tagging_lag must be true (freeze the Tagging API's index now) or false")
                out[key] = value
            elif key == "quotas":
                out[key] = check_quotas(value if value is not None else {})
            elif key == "seed":
                out[key] = bounded_int(key, value, -(2**63), 2**63 - 1)
            else:
                raise ValueError(f"cannot configure {str(key)[:40]!r} (time_scale, latency_ms, throttle_rate, "
                                 "fail, deny, tagging_lag, quotas, seed)")
        return out

    def seed(self, rtype: str, data: dict, links: dict | None = None) -> dict:
        """Store ``data`` (a Describe* object, timestamps as epoch seconds) as a settled record of
        ``rtype``, so tests can serve a real AWS response as it was recorded."""
        if rtype not in TYPES:
            raise ValueError(f"unknown resource type {rtype!r}")
        arn = data[TYPES[rtype].arn_key]
        with self._lock, self._store.locked():
            self.state = self._store.load()
            self.state["seq"] += 1
            rec = {"type": rtype, "arn": arn, "seq": self.state["seq"], "links": dict(links or {}),
                   "data": copy.deepcopy(data), "lc": None, "upd": None, "x": {}}
            self.state["resources"][arn] = rec
            self._index = None
            self._store.save(self.state, Changes(records={arn}))
        return rec

    def reset(self) -> None:
        with self._lock, self._store.locked():
            self.state = empty_state()
            self._index = None
            self._store.save(self.state, None)
            self.calls.clear()
            self.throttled.clear()



def _check_failure(what: str) -> E.ApiError:
    """A check-mode failure: a 400 no client retries and no test expects (a 500 would be retried,
    and the retry would see the change already made)."""
    return E.ApiError("EmulatorCheckFailure", f"emulator check: {what}")

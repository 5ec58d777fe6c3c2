"""The emulated account as one request sees it: records, ARNs, names, statuses, views and the rules
every resource family shares (quotas, tags, deletion, updates). Operations live in the family
modules next to this one.

An ``Account`` wraps the loaded state document and the request's clock reading; the ``Backend``
makes one per request, under its lock.

Every change goes through ``touch`` first (``get`` touches for writers, ``new``, ``remove``, the
lifecycle and the tag rules touch for themselves; code that changes a record it found another way
touches it explicitly): what was touched is what gets persisted, and while an ``Undo`` is open the
first touch keeps a copy of the record as it was, so a failed request restores those records and
nothing else (no whole-account snapshot). The backend's check mode proves the discipline in tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import errors as E
from ..config import EmulatorConfig
from . import lifecycle
from .index import RecordIndex, group_of
from .paging import paginate
from .resources import DELETABLE_STATUSES, DELETE_SECS, PENDING_STATUSES, STYLES, TYPES, UPDATE_SECS
from .synthetic import digest

Handler = Callable[["Account", dict], dict]
#: effects of a completed create, by resource type: ``hook(account, record)``
OnCreated = Callable[["Account", dict], None]
#: a completed update made current, by resource type: ``hook(account, record, update_summary)``
OnUpdated = Callable[["Account", dict, dict], None]
#: fields a Describe/List adds to a record's view: ``hook(account, record, view, status, observe)``
ViewExtra = Callable[["Account", dict, dict, "str | None", bool], None]


@dataclass(frozen=True)
class Hooks:
    """Per-resource-type effects the shared lifecycle calls back into (collected in ``ops``)."""

    on_created: Mapping[str, OnCreated] = field(default_factory=dict)
    on_updated: Mapping[str, OnUpdated] = field(default_factory=dict)
    view_extras: Mapping[str, ViewExtra] = field(default_factory=dict)


#: types whose missing ARN AWS reports as "Resource Arn <arn> does not exist." (error_delete_dataset_*,
#: error_delete_event_tracker_*); the others say "The given <type> does not exist: <arn>"
#: (error_delete_solution_*, error_delete_dataset_group_*, error_get_recommendations_* for campaigns)
_RESOURCE_ARN_WORDING = frozenset({"dataset", "event_tracker"})


def not_found_message(rtype: str, arn: str) -> str:
    if rtype in _RESOURCE_ARN_WORDING:
        return f"Resource Arn {arn} does not exist."
    return f"The given {rtype.replace('_', ' ')} does not exist: {arn}"


_ABSENT = object()


def clone(value: Any) -> Any:
    """A deep copy of JSON data (records, tags), faster than ``copy.deepcopy``."""
    return json.loads(json.dumps(value))


class Undo:
    """Before-images of what one request touched: records and tags (``None`` when absent), other
    top-level keys of the state (``_ABSENT`` when absent), and the sequence number."""

    def __init__(self, state: dict) -> None:
        self.seq = state["seq"]
        self.records: dict[str, dict | None] = {}
        self.tags: dict[str, dict | None] = {}
        self.top: dict[str, Any] = {}


class Account:
    def __init__(self, state: dict, now: float, config: EmulatorConfig, hooks: Hooks,
                 index: RecordIndex | None = None) -> None:
        self.state = state
        self.now = now
        self.config = config
        self.hooks = hooks
        self.index = index if index is not None else RecordIndex(state["resources"])
        # what this request changed (reads usually change nothing), for the store to persist
        self.touched: set[str] = set()
        self.touched_tags: set[str] = set()
        self.touched_top: set[str] = set()
        self.undo: Undo | None = None

    @property
    def dirty(self) -> bool:
        return bool(self.touched or self.touched_tags or self.touched_top)

    # ------------------------------------------------------------------ changes and rollback
    def touch(self, rec: dict) -> dict:
        """``rec`` is about to change (or be added or removed): persist it, and keep its
        before-image while an undo is open. Returns ``rec``."""
        arn = rec["arn"]
        undo = self.undo
        if undo is not None and arn not in undo.records:
            old = self.resources.get(arn)
            undo.records[arn] = None if old is None else clone(old)
        self.touched.add(arn)
        return rec

    def touch_tags(self, arn: str) -> None:
        undo = self.undo
        if undo is not None and arn not in undo.tags:
            old = self.tags.get(arn)
            undo.tags[arn] = None if old is None else dict(old)
        self.touched_tags.add(arn)

    def touch_top(self, key: str) -> None:
        """A top-level key of the state other than records, tags and ``seq`` is about to change."""
        undo = self.undo
        if undo is not None and key not in undo.top:
            undo.top[key] = clone(self.state[key]) if key in self.state else _ABSENT
        self.touched_top.add(key)

    def begin(self) -> None:
        """Open an undo: from here on, a failure can be rolled back by ``rollback``."""
        self.undo = Undo(self.state)

    def rollback(self) -> None:
        """Restore everything touched since ``begin`` (records, the index, tags, keys, ``seq``)."""
        undo, self.undo = self.undo, None
        if undo is None:
            return
        state, res, index = self.state, self.resources, self.index
        state["seq"] = undo.seq
        for arn, image in undo.records.items():
            current = res.pop(arn, None)
            if current is not None:
                index.discard(current)
            if image is not None:
                res[arn] = image
                index.add(image)
        for arn, tags in undo.tags.items():
            if tags is None:
                self.tags.pop(arn, None)
            else:
                self.tags[arn] = tags
        for key, value in undo.top.items():
            if value is _ABSENT:
                state.pop(key, None)
            else:
                state[key] = value

    # ------------------------------------------------------------------ records
    @property
    def resources(self) -> dict[str, dict]:
        return self.state["resources"]

    @property
    def tags(self) -> dict[str, dict[str, str]]:
        return self.state["tags"]

    def arn(self, seg: str, rest: str) -> str:
        partition = "aws-cn" if self.config.region.startswith("cn-") else "aws"
        return f"arn:{partition}:personalize:{self.config.region}:{self.config.account_id}:{seg}/{rest}"

    def short_id(self, *parts: Any) -> str:
        return digest(self.config.account_id, self.state["seq"], *parts)[:8]

    def records(self, rtype: str, **links: str) -> list[dict]:
        """The records of ``rtype`` linked to all of ``links``, oldest first. (Read-only: touch
        a record found here before changing it.)"""
        out = [r for r in self._candidates(rtype, links) if all(r["links"].get(k) == v for k, v in links.items())]
        out.sort(key=lambda r: r["seq"])
        return out

    def _candidates(self, rtype: str, links: dict[str, str]) -> Any:
        """The records of ``rtype`` that can match ``links``: those of one dataset group when a
        link names it or names a parent in it (children share their parent's group), else all."""
        by_type, by_group = self.index.by_type, self.index.by_group
        group = links.get("datasetGroupArn")
        if group is None:
            for value in links.values():
                parent = self.resources.get(value)
                if parent is not None:
                    group = group_of(parent)
                    if group is not None:
                        break
        if group is None:
            return list(by_type[rtype].values())
        return [*by_group[(rtype, group)].values(), *by_group[(rtype, None)].values()]

    def get(self, arn: str, rtype: str) -> dict:
        """The record of ``rtype`` at ``arn``; a writer (an open undo) may change it: touched."""
        rec = self.resources.get(arn)
        if rec is None or rec["type"] != rtype:
            raise E.not_found(not_found_message(rtype, arn))
        if self.undo is not None:
            self.touch(rec)
        return rec

    def new(
        self,
        rtype: str,
        arn: str,
        data: dict,
        links: dict,
        tags: list | None = None,
        fail_names: tuple = (),
        fail_reason: str | None = None,
    ) -> dict:
        """Store a new record; unless it has no status, it starts its create transition."""
        spec = TYPES[rtype]
        self.state["seq"] += 1
        data = {k: v for k, v in data.items() if v is not None}
        data[spec.arn_key] = arn
        data["creationDateTime"] = self.now
        data["lastUpdatedDateTime"] = self.now
        rec = {"type": rtype, "arn": arn, "seq": self.state["seq"], "links": links, "data": data,
               "lc": None, "upd": None, "x": {}}
        if spec.style != "none":
            phases, ok, failed = STYLES[spec.style]
            reason = self.forced_failure(rtype, fail_names) or fail_reason
            rec["lc"] = self.transition("create", phases, lifecycle.split(spec.create_secs),
                                        failed if reason else ok, reason)
            data["status"] = phases[0]
        self.touch(rec)
        self.resources[arn] = rec
        self.index.add(rec)
        if tags:
            self.touch_tags(arn)
            self.tags[arn] = {t["tagKey"]: t.get("tagValue", "") for t in tags}
        return rec

    def remove(self, arn: str) -> None:
        """Drop a record, its tags and (recursively) the records that cannot be deleted on their own."""
        rec = self.resources.get(arn)
        if rec is None:
            return
        self.touch(rec)
        del self.resources[arn]
        self.index.discard(rec)
        if arn in self.tags:
            self.touch_tags(arn)
            del self.tags[arn]
        # jobs and solution versions cannot be deleted on their own: they go with their parent
        # (which shares their dataset group)
        group = group_of(rec)
        dependants = [
            r["arn"]
            for rtype, spec in TYPES.items() if not spec.deletable
            for r in (self.index.by_group[(rtype, group)] | self.index.by_group[(rtype, None)]).values()
            if arn in r["links"].values()
        ]
        for child in dependants:
            self.remove(child)

    # ------------------------------------------------------------------ lifecycle
    def transition(self, kind: str, phases, durs, final: str | None, reason: str | None = None) -> dict:
        return lifecycle.transition(kind, phases, durs, final, reason, self.now)

    def forced_failure(self, rtype: str, names: tuple) -> str | None:
        for rule in self.config.fail_rules:
            if rule.matches(rtype, names):
                return f"Forced failure by emulator fault rule '{rule}'."
        return None

    def track(self, rec: dict) -> None:
        """``rec`` just got a transition: settle it from now on."""
        self.touch(rec)
        self.index.track(rec)

    def settle_all(self) -> None:
        """Complete every transition that is due and move every phase that changed, oldest record
        first. Visits only the records the index says may have moved (all pending ones once after
        the time scale changed)."""
        res, index, scale = self.resources, self.index, self.config.time_scale
        pending = index.pending
        visit = set(pending) if index.use_scale(scale) else index.take_due(self.now) & pending
        for arn in sorted(visit, key=lambda a: res[a]["seq"] if a in res else -1):
            rec = res.get(arn)
            if rec is None:
                pending.discard(arn)
                continue
            for slot in lifecycle.SLOTS:
                tr = rec.get(slot)
                if tr is None:
                    continue
                before = tr["idx"]
                if lifecycle.is_due(tr, self.now, scale):
                    self.touch(rec)
                    rec[slot] = None
                    self._complete(rec, tr)
                    if arn not in res:
                        break
                elif tr["idx"] != before:
                    self.touch(rec)
            if arn not in res:
                continue
            if rec.get("lc") is None and rec.get("upd") is None:
                pending.discard(arn)
            else:
                index.schedule(rec)

    def _complete(self, rec: dict, tr: dict) -> None:
        end = lifecycle.end_time(tr, self.now, self.config.time_scale)
        data = rec["data"]
        kind = tr["kind"]
        if kind == "delete":
            self.remove(rec["arn"])
            return
        if kind == "update":
            summary = data[TYPES[rec["type"]].update_key]
            summary["status"] = tr["final"]
            summary["lastUpdatedDateTime"] = end
            if tr["reason"]:
                summary["failureReason"] = tr["reason"]
            else:
                on_updated = self.hooks.on_updated.get(rec["type"])
                if on_updated is not None:
                    on_updated(self, rec, summary)
                data["lastUpdatedDateTime"] = end
            return
        data["status"] = tr["final"]
        data["lastUpdatedDateTime"] = end
        if tr["reason"]:
            data["failureReason"] = tr["reason"]
        if kind == "create" and tr["final"] in ("ACTIVE", "COMPLETED"):
            on_created = self.hooks.on_created.get(rec["type"])
            if on_created is not None:
                on_created(self, rec)

    def status(self, rec: dict) -> str | None:
        tr = rec.get("lc")
        if tr is not None:
            return lifecycle.phase(tr)
        return rec["data"].get("status")

    def update_status(self, rec: dict) -> str | None:
        tr = rec.get("upd")
        if tr is not None:
            return lifecycle.phase(tr)
        key = TYPES[rec["type"]].update_key
        return (rec["data"].get(key) or {}).get("status") if key else None

    def in_progress(self, recs: list[dict]) -> list[dict]:
        return [r for r in recs if self.status(r) in PENDING_STATUSES]

    def start_update(self, rec: dict, rtype: str, names: tuple) -> None:
        """Start the update transition of ``rec`` (its ``latest*Update`` summary is already set)."""
        reason = self.forced_failure(f"{rtype}_update", names)
        phases, ok, failed = STYLES["std"]
        self.touch(rec)
        rec["upd"] = self.transition("update", phases, lifecycle.split(UPDATE_SECS[rtype]),
                                     failed if reason else ok, reason)
        rec["data"]["lastUpdatedDateTime"] = self.now
        self.track(rec)

    def start_delete(self, rec: dict, what: str) -> dict:
        status = self.status(rec)
        if status not in DELETABLE_STATUSES:
            raise E.in_use(
                f"The {what} {rec['arn']} cannot be deleted while its status is {status}; "
                "it must be ACTIVE or CREATE FAILED."
            )
        phases = ("DELETE PENDING",) if rec["type"] == "dataset_group" else ("DELETE PENDING", "DELETE IN_PROGRESS")
        durs = [DELETE_SECS / len(phases)] * len(phases)
        self.touch(rec)
        rec["lc"] = self.transition("delete", phases, durs, None)
        rec["upd"] = None
        rec["data"]["lastUpdatedDateTime"] = self.now
        self.track(rec)
        return {}

    # ------------------------------------------------------------------ views
    def view(self, rec: dict, observe: bool = True) -> dict:
        """What Describe/List report for ``rec``; with ``time_scale == 0`` reporting it is an observation."""
        view = copy.deepcopy(rec["data"])
        status = self.status(rec)
        if status is not None:
            view["status"] = status
        key = TYPES[rec["type"]].update_key
        if rec.get("upd") is not None and key:
            view[key]["status"] = self.update_status(rec)
        extra = self.hooks.view_extras.get(rec["type"])
        if extra is not None:
            extra(self, rec, view, status, observe)
        if observe:
            self._observe(rec)
        return view

    def _observe(self, rec: dict) -> None:
        if self.config.time_scale > 0:  # clock-driven: reads change nothing (and need no write)
            return
        for slot in lifecycle.SLOTS:
            tr = rec.get(slot)
            if tr is not None:
                self.touch(rec)
                tr["obs"] += 1
                self.index.observed.add(rec["arn"])

    def describe(self, rtype: str, arn: str) -> dict:
        return {TYPES[rtype].view_key: self.view(self.get(arn, rtype))}

    def list(self, op_name: str, rtype: str, result_key: str, params: dict, filter_key: str | None) -> dict:
        """A List* page of ``rtype``, newest first, optionally filtered on one parent link."""
        links = {}
        if filter_key and params.get(filter_key):
            links[filter_key] = params[filter_key]
        recs = sorted(self.records(rtype, **links), key=lambda r: -r["seq"])
        # keyset-stable enough for tests: the token carries an offset bound to the operation and filter
        page, nxt = paginate(op_name, recs, params, json.dumps(links, sort_keys=True))
        return {result_key: [self.view(r) for r in page], "nextToken": nxt}

    # ------------------------------------------------------------------ shared rules
    def quota(self, key: str, count: int, what: str) -> None:
        limit = self.config.quota(key)
        if count >= limit:
            raise E.limit_exceeded(f"The limit of {limit} {what} has been reached ({key}).")

    def unique_name(self, rtype: str, name: str, **scope: str) -> None:
        for rec in sorted(self.index.by_name[(rtype, name)].values(), key=lambda r: r["seq"]):
            if all(rec["links"].get(k) == v for k, v in scope.items()):
                # error_create_solution__lmorri-vodpocinabox__1.json and 5 more types
                raise E.already_exists(f"Another resource with Arn {rec['arn']} already exists.")

    def require_active(self, rec: dict, what: str) -> None:
        status = self.status(rec)
        if status != "ACTIVE":
            raise E.in_use(f"The {what} {rec['arn']} is not ACTIVE (status: {status}).")

    def check_tags(self, tags: list | None) -> list:
        """Validate the tags of a Create* request (unique keys, no ``aws:`` prefix, the quota)."""
        tags = tags or []
        keys = [t["tagKey"] for t in tags]
        if len(set(keys)) != len(keys):
            raise E.invalid_input("Tag keys must be unique.")
        for key in keys:
            if key.lower().startswith("aws:"):
                raise E.invalid_input(f"Tag key {key!r} uses the reserved prefix 'aws:'.")
        limit = self.config.quota("tags_per_resource")
        if len(tags) > limit:
            raise E.too_many_tags(f"A resource can have at most {limit} tags.")
        return tags

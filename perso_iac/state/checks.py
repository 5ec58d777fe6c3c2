"""A state is checked before it is trusted.

A state tells perso which resources are its own, and a plan deletes or replaces what the state
names. A state edited by hand, pushed from elsewhere or damaged could name another account's
resources, give a campaign the ARN of a solution, or give one ARN two addresses (and the plan
would delete what the other address still serves). So every state read for a plan is checked:

* `check_state` (no AWS): every resource has a known type, its address starts with its type,
  its fields have their types (tags a map of strings, ...), its ARN is a Personalize ARN of that
  type (`arn:aws:personalize:REGION:ACCOUNT:campaign/NAME` for a campaign), no ARN has two
  addresses, all ARNs are in one account and one region, and perso is not older than the perso
  that wrote it. Reading a state runs it (`StateFile.from_dict`) and refuses a state that fails;
  `perso state` commands read leniently (`lenient()`) so that `perso state rm` can repair it.
* `check_client` (one AWS call): the state's account and region are those of the client. STS is
  not used: the account and region are read from the ARNs `ListDatasetGroups` returns to this
  client (every Personalize resource lives in a dataset group). An account with no dataset group
  tells nothing; then only the client's configured region is compared (when it talks to AWS,
  not to an emulator whose ARNs carry its own region).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

from .. import __version__
from ..errors import StateCorruptError

# The resource segment of each type's ARN, and how many `/` parts follow it (reference §7).
ARN_SEGMENTS: dict[str, tuple[str, int]] = {
    "schema": ("schema", 1),
    "dataset_group": ("dataset-group", 1),
    "dataset": ("dataset", 2),                      # dataset/<group name>/<TYPE>
    "dataset_import": ("dataset-import-job", 1),
    "solution": ("solution", 1),
    "solution_version": ("solution", 2),            # solution/<solution name>/<version id>
    "campaign": ("campaign", 1),
    "event_tracker": ("event-tracker", 1),
    "filter": ("filter", 1),
    "recommender": ("recommender", 1),
    "metric_attribution": ("metric-attribution", 1),
}
STATUSES = ("creating", "pending", "ready")
MAX_DEPTH = 100  # perso writes about 10 levels; deeper is forged, and would exhaust recursion later
_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):personalize:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):"
                  r"([a-z-]+)/([^/\s]+(?:/[^/\s]+)*)")
_lenient: contextvars.ContextVar[bool] = contextvars.ContextVar("perso_state_lenient", default=False)

REPAIR_HINT = ("a state must not be trusted like this. Forget a wrong entry with `perso state rm ADDRESS` "
               "(nothing is deleted in AWS; `perso import` adopts the resource back), or fix the file: "
               "`perso state pull > state.json`, edit it, `perso state push state.json`")


class StateInvalidError(StateCorruptError):
    """The state parses, but fails the checks that make it safe to plan from."""

    def __init__(self, source: str, problems: list[str], hint: str = REPAIR_HINT) -> None:
        count = len(problems)
        bullet = "\n  - "
        super().__init__(f"{source} cannot be trusted ({count} problem{'s' if count != 1 else ''}); "
                         f"nothing was planned:{bullet}{bullet.join(problems)}", hint=hint)
        self.problems = problems


@contextlib.contextmanager
def lenient() -> Iterator[None]:
    """Read states without refusing them (for `perso state` commands, which repair them)."""
    token = _lenient.set(True)
    try:
        yield
    finally:
        _lenient.reset(token)


def set_lenient() -> contextvars.Token:
    """`lenient()` for a scope that is not a block (a click command); undo with `reset_lenient`."""
    return _lenient.set(True)


def reset_lenient(token: contextvars.Token) -> None:
    _lenient.reset(token)


def is_lenient() -> bool:
    return _lenient.get()


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(m.group()) if (m := re.match(r"\d+", part)) else 0 for part in str(text).split("."))


def newer_than_us(written_by: str) -> bool:
    """Whether `written_by` is a later perso than this one (never when this one's version is unknown:
    a bare checkout that was never installed)."""
    if not written_by or "unknown" in __version__:
        return False
    return version_tuple(written_by) > version_tuple(__version__)


def parse_arn(arn: str) -> tuple[str, str, str, list[str]] | None:
    """(region, account, resource segment, parts after it), or None when it is no Personalize ARN."""
    m = _ARN.fullmatch(arn)
    if not m:
        return None
    return m.group(2), m.group(3), m.group(4), m.group(5).split("/")


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def check_resource(res: Any) -> list[str]:
    """What is wrong with one resource entry (a `ResourceState`)."""
    where = res.address if isinstance(res.address, str) and res.address else "<no address>"
    out = []
    if res.type not in ARN_SEGMENTS:
        out.append(f"{where}: unknown resource type {res.type!r} (perso manages {', '.join(sorted(ARN_SEGMENTS))})")
    elif not isinstance(res.address, str) or not res.address.startswith(f"{res.type}.") \
            or len(res.address) == len(res.type) + 1:
        out.append(f"{where}: the address of a {res.type} must be {res.type}.NAME")
    for name, ok, expected in (
        ("name", isinstance(res.name, str), "a string"),
        ("arn", isinstance(res.arn, str), "a string"),
        ("params", isinstance(res.params, dict), "an object"),
        ("tags", _is_str_map(res.tags), "an object of string values"),
        ("outputs", isinstance(res.outputs, dict), "an object"),
        ("triggers", isinstance(res.triggers, dict), "an object"),
        ("depends_on", isinstance(res.depends_on, list) and all(isinstance(d, str) for d in res.depends_on),
         "a list of addresses"),
    ):
        if not ok:
            out.append(f"{where}: '{name}' must be {expected}, not {_show(getattr(res, name))}")
    if res.status not in STATUSES:
        out.append(f"{where}: unknown status {_show(res.status)} (one of {', '.join(STATUSES)})")
    if res.type in ARN_SEGMENTS and isinstance(res.arn, str):
        segment, parts = ARN_SEGMENTS[res.type]
        example = f"arn:aws:personalize:REGION:ACCOUNT:{segment}/" + "/".join(["NAME"] * parts)
        if not res.arn:
            if res.status != "creating":  # only a resource whose create call may not have happened has none
                out.append(f"{where}: no ARN, but status {res.status!r} says it exists")
        else:
            parsed = parse_arn(res.arn)
            if parsed is None:
                out.append(f"{where}: {res.arn!r} is not a Personalize ARN (expected {example})")
            elif (parsed[2], len(parsed[3])) != (segment, parts):
                out.append(f"{where}: {res.arn} is not the ARN of a {res.type.replace('_', ' ')} "
                           f"(expected {example})")
    return out


def check_state(state: Any) -> list[str]:
    """Everything that makes `state` (a `StateFile`) unsafe to plan from; empty when it is fine."""
    problems: list[str] = []
    if newer_than_us(state.perso_version):
        problems.append(f"it was written by perso {state.perso_version}, newer than this perso ({__version__})")
    by_arn: dict[str, list[str]] = {}
    places: dict[tuple[str, str], list[str]] = {}
    for address, res in sorted(state.resources.items()):
        problems += check_resource(res)
        if isinstance(res.arn, str) and res.arn:
            by_arn.setdefault(res.arn, []).append(address)
            parsed = parse_arn(res.arn)
            if parsed:
                places.setdefault((parsed[1], parsed[0]), []).append(address)
    for arn, addresses in sorted(by_arn.items()):
        if len(addresses) > 1:
            problems.append(f"{arn} has {len(addresses)} addresses: {', '.join(addresses)} "
                            "(perso would treat one resource as several, and a delete of one deletes all)")
    if len(places) > 1:
        spread = "; ".join(f"account {acct} region {region}: {', '.join(a[:3])}{' ...' if len(a) > 3 else ''}"
                           for (acct, region), a in sorted(places.items()))
        problems.append(f"its resources are in {len(places)} accounts/regions ({spread}); a state covers one")
    return problems


def enforce(state: Any, source: str, extra: list[str] | None = None) -> None:
    """Refuse `state` if it fails `check_state`, unless reading leniently (`perso state` commands).

    A state written by a newer perso is refused even then: rewriting it would lose what it has."""
    if newer_than_us(state.perso_version):
        raise StateInvalidError(source, [f"it was written by perso {state.perso_version}, newer than this "
                                         f"perso ({__version__})"],
                                hint="upgrade perso to at least that version; an older perso could misread it")
    if _lenient.get():
        return
    problems = list(extra or []) + check_state(state)
    if problems:
        raise StateInvalidError(source, problems)


def verify(state: Any, source: str) -> None:
    """`enforce`, even while reading leniently: for a state about to be stored (`perso state push`)."""
    token = _lenient.set(False)
    try:
        enforce(state, source)
    finally:
        _lenient.reset(token)


def state_place(state: Any) -> tuple[str, str] | None:
    """(account, region) of the state's ARNs, when it has any (and they agree)."""
    places = {(p[1], p[0]) for r in state.resources.values()
              if isinstance(r.arn, str) and (p := parse_arn(r.arn))}
    return next(iter(places)) if len(places) == 1 else None


def client_place(client: Any) -> tuple[str | None, str | None]:
    """(account, region) this client reaches, from the ARNs Personalize returns to it."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..aws import wrap_error

    try:
        listed = client.list_dataset_groups(maxResults=1).get("datasetGroups") or []
    except (BotoCoreError, ClientError) as exc:
        raise wrap_error(exc, operation="ListDatasetGroups (to check the state's account)") from exc
    for group in listed:
        parsed = parse_arn(str(group.get("datasetGroupArn", "")))
        if parsed:
            return parsed[1], parsed[0]
    endpoint = str(getattr(client.meta, "endpoint_url", "") or "")
    region = client.meta.region_name if endpoint.endswith(".amazonaws.com") or \
        endpoint.endswith(".amazonaws.com.cn") else None
    return None, region


def check_client(state: Any, client: Any, source: str = "the state") -> None:
    """Refuse a state whose ARNs are in another account or region than `client`'s."""
    place = state_place(state)
    if place is None:
        return
    account, region = client_place(client)
    problems = []
    if account is not None and account != place[0]:
        problems.append(f"its resources are in account {place[0]}, but the credentials in use reach account "
                        f"{account}")
    if region is not None and region != place[1]:
        problems.append(f"its resources are in region {place[1]}, but the client uses region {region}")
    if problems:
        raise StateInvalidError(source, problems, hint=(
            "use the credentials (AWS_PROFILE/--profile) and region (--region or the spec's region:) of the "
            "account the state describes, or point --state at this account's state"))


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether dicts and lists nest deeper than `limit`. Level by level, containers only: the
    scalars, most of a state, are never queued (this ran on every state read)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, dict | list)]
        depth += 1
    return False


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

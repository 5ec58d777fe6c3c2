"""Quota preflight: before anything is applied, check the spec against the account's Personalize
quotas, so that an apply does not fail half-way on LimitExceededException.

Values come from the Service Quotas API (service code `personalize`, ListServiceQuotas) where the
caller may read it, else from AWS's documented defaults
(https://docs.aws.amazon.com/personalize/latest/dg/limits.html). Quotas are matched by name;
one Service Quotas does not report keeps its documented default. Over a quota the plan fails
naming the quota, its value and how to ask for more; from 80 % it warns.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .aws import LOCAL_CREDENTIALS, AwsSettings, error_code, make_session
from .errors import AwsError, PlanError
from .plan import Action, Plan
from .spec.model import ResourceSpec

SERVICE_CODE = "personalize"
LIMITS_URL = "https://docs.aws.amazon.com/personalize/latest/dg/limits.html"
CONSOLE_URL = "https://console.aws.amazon.com/servicequotas/home/services/personalize/quotas"
WARN_FROM = 0.8


@dataclass(frozen=True)
class Quota:
    key: str
    name: str            # the QuotaName perso looks for in Service Quotas
    default: float       # AWS's documented default
    adjustable: bool
    counts: str          # what is counted, for messages


QUOTAS: tuple[Quota, ...] = (
    Quota("dataset_groups", "Active dataset groups", 5, True, "dataset groups"),
    Quota("schemas", "Active schemas", 500, False, "schemas"),
    Quota("solutions_per_dataset_group", "Active solutions per dataset group", 10, True, "solutions"),
    Quota("campaigns_per_dataset_group", "Active campaigns per dataset group", 5, True, "campaigns"),
    Quota("recommenders_per_dataset_group", "Recommenders per dataset group", 5, False, "recommenders"),
    Quota("filters_per_dataset_group", "Filters per dataset group", 30, True, "filters"),
    Quota("pending_dataset_import_jobs", "Pending or in-progress dataset import jobs", 5, False,
          "dataset imports started by one apply"),
    Quota("pending_solution_versions", "Pending or in-progress solution versions", 20, True,
          "trainings started by one apply"),
    Quota("tps_per_campaign", "Transactions per second per campaign", 500, True, "minProvisionedTPS"),
)
BY_KEY = {q.key: q for q in QUOTAS}
_PER_GROUP = {"solution": "solutions_per_dataset_group", "campaign": "campaigns_per_dataset_group",
              "recommender": "recommenders_per_dataset_group", "filter": "filters_per_dataset_group"}


@dataclass(frozen=True)
class QuotaValue:
    quota: Quota
    value: float
    code: str | None = None        # the Service Quotas code, when it reported this quota
    adjustable: bool | None = None

    @property
    def source(self) -> str:
        return "Service Quotas" if self.code else "AWS's documented default"


@dataclass(frozen=True)
class Usage:
    key: str
    where: str           # "dataset group 'shop'", "campaign.shop.main", "the region"
    used: float


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def read_quotas(client: Any | None) -> tuple[dict[str, QuotaValue], list[str]]:
    """The applied quota values (defaults where Service Quotas has none), and why it fell back."""
    values = {q.key: QuotaValue(q, q.default) for q in QUOTAS}
    if client is None:
        return values, []
    by_name = {_norm(q.name): q for q in QUOTAS}
    try:
        for page in client.get_paginator("list_service_quotas").paginate(ServiceCode=SERVICE_CODE):
            for item in page.get("Quotas", []):
                quota = by_name.get(_norm(str(item.get("QuotaName", ""))))
                if quota is not None and isinstance(item.get("Value"), int | float):
                    values[quota.key] = QuotaValue(quota, float(item["Value"]), item.get("QuotaCode"),
                                                   item.get("Adjustable"))
    except (ClientError, BotoCoreError) as exc:
        why = error_code(exc) or type(exc).__name__
        return {q.key: QuotaValue(q, q.default) for q in QUOTAS}, [
            f"could not read Personalize quotas from Service Quotas ({why}); checked against AWS's documented "
            f"defaults ({LIMITS_URL}); allow servicequotas:ListServiceQuotas to check the account's own values"]
    return values, []


def usages(resources: Mapping[str, ResourceSpec], plan: Plan, live_groups: Iterable[str] = (),
           live_schemas: Iterable[str] = ()) -> list[Usage]:
    """What the spec (and the apply of `plan`) would use of each quota. Pure."""
    out: list[Usage] = []
    groups = {r.name for r in resources.values() if r.type == "dataset_group"} | set(live_groups)
    schemas = {r.name for r in resources.values() if r.type == "schema"} | set(live_schemas)
    out.append(Usage("dataset_groups", "the region", len(groups)))
    # A create-before-destroy replacement holds the old one and the new one at once, for a while.
    both = [c for c in plan.changes if c.create_before_destroy and not c.is_intent]
    out.append(Usage("schemas", "the region", len(schemas) + sum(c.type == "schema" for c in both)))
    per_group: Counter[tuple[str, str]] = Counter(
        (_PER_GROUP[c.type], c.address.split(".")[1]) for c in both if c.type in _PER_GROUP)
    for r in resources.values():
        if r.type in _PER_GROUP:
            per_group[(_PER_GROUP[r.type], r.address.split(".")[1])] += 1
        if r.type == "campaign":
            tps = r.params.get("minProvisionedTPS")
            if isinstance(tps, int | float) and not isinstance(tps, bool):
                out.append(Usage("tps_per_campaign", r.address, tps))
    out.extend(Usage(key, f"dataset group '{group}'", n) for (key, group), n in sorted(per_group.items()))
    started = Counter(c.type for c in plan.changes if c.action in (Action.CREATE, Action.REPLACE))
    out.append(Usage("pending_dataset_import_jobs", "one apply", started["dataset_import"]))
    out.append(Usage("pending_solution_versions", "one apply", started["solution_version"]))
    return out


def _how_to_raise(v: QuotaValue, wanted: float) -> str:
    if v.adjustable is False or (v.adjustable is None and not v.quota.adjustable):
        return f"'{v.quota.name}' cannot be raised: reduce the spec"
    if v.code:
        return (f"ask for more with `aws service-quotas request-service-quota-increase --service-code "
                f"{SERVICE_CODE} --quota-code {v.code} --desired-value {wanted:g}` or in the Service Quotas "
                f"console ({CONSOLE_URL}), then plan again; or reduce the spec")
    return (f"ask for more in the Service Quotas console ({CONSOLE_URL}; `aws service-quotas list-service-quotas "
            f"--service-code {SERVICE_CODE}` shows the quota codes), then plan again; or reduce the spec")


def check(found: Iterable[Usage], values: Mapping[str, QuotaValue]) -> tuple[list[tuple[str, str]], list[str]]:
    """(errors as (message, how to raise), warnings from 80 %). Pure."""
    errors, warnings = [], []
    for u in found:
        v = values[u.key]
        quota = f"quota '{v.quota.name}'" + (f" ({v.code})" if v.code else "")
        if u.used > v.value:
            errors.append((f"{u.where}: {u.used:g} {v.quota.counts}, over the {quota} of {v.value:g} "
                           f"(from {v.source})", _how_to_raise(v, u.used)))
        elif v.value and u.used >= WARN_FROM * v.value:
            warnings.append(f"{u.where}: {u.used:g} {v.quota.counts} is {u.used / v.value:.0%} of the {quota} "
                            f"of {v.value:g} (from {v.source})")
    return errors, warnings


def _live_names(client: Any, operation: str, key: str) -> list[str]:
    names = []
    for page in client.get_paginator(operation).paginate():
        names.extend(i["name"] for i in page.get(key, []) if not str(i.get("status", "")).startswith("DELETE"))
    return names


def adds_usage(plan: Plan) -> bool:
    """Whether applying `plan` could use more of a quota: it creates, replaces or updates something
    (a higher minProvisionedTPS). A plan that only deletes, or does nothing, needs no preflight, and so
    the no-op plans CI and cron run most make none of its calls."""
    return any(c.action in (Action.CREATE, Action.REPLACE, Action.UPDATE) for c in plan.changes)


def preflight(resources: Mapping[str, ResourceSpec], plan: Plan, personalize: Any,
              service_quotas: Any | None) -> list[str]:
    """Warnings for the plan; raises PlanError when the spec exceeds a quota."""
    values, warnings = read_quotas(service_quotas)
    try:
        groups = _live_names(personalize, "list_dataset_groups", "datasetGroups")
        schemas = _live_names(personalize, "list_schemas", "schemas")
    except (ClientError, BotoCoreError) as exc:
        warnings.append(f"could not count the region's dataset groups and schemas ({error_code(exc) or exc}); "
                        "checked the spec's alone")
        groups, schemas = [], []
    errors, near = check(usages(resources, plan, groups, schemas), values)
    if errors:
        raise PlanError(
            f"the spec exceeds {len(errors)} Personalize quota{'s' if len(errors) > 1 else ''}: "
            + "; ".join(m for m, _ in errors),
            hint="; ".join(dict.fromkeys(h for _, h in errors)))
    return warnings + [f"quota: {w}" for w in near]


def service_quotas_client(settings: AwsSettings, region: str, local_endpoint: str | None = None) -> Any:
    """A Service Quotas client with the Personalize client's identity and region and short timeouts
    (the preflight falls back to defaults rather than hang). Its endpoint:
    AWS_ENDPOINT_URL_SERVICE_QUOTAS, else the embedded emulator's, else the Personalize endpoint when
    AWS_ENDPOINT_URL_PERSONALIZE overrides it (an emulator serves both), else AWS's."""
    endpoint = None
    if not os.environ.get("AWS_ENDPOINT_URL_SERVICE_QUOTAS"):
        endpoint = local_endpoint or os.environ.get("AWS_ENDPOINT_URL_PERSONALIZE") or None
    config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"})
    try:
        return make_session(settings).client("service-quotas", region_name=region, endpoint_url=endpoint,
                                             config=config, **(LOCAL_CREDENTIALS if local_endpoint else {}))
    except (BotoCoreError, AwsError):
        return None

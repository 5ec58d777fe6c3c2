"""Service Quotas for ``personalize``: the read operations perso's quota preflight uses.

Served by the same HTTP server, routed by ``X-Amz-Target: ServiceQuotasV20190624.<Operation>``
(boto3's ``service-quotas`` client with ``endpoint_url`` or ``AWS_ENDPOINT_URL_SERVICE_QUOTAS``).
Values are the emulator's own quotas (``EmulatorConfig.quotas``), so raising one through the
control endpoint (``{"action": "configure", "quotas": {...}}``) both lifts the limit the
Create* calls enforce and shows in Service Quotas, as an approved increase would.

Quota names follow the wording of https://docs.aws.amazon.com/personalize/latest/dg/limits.html;
the quota codes are the emulator's own (stable, derived from the name): AWS's real codes for
Personalize could not be checked here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import errors as E
from ..config import EmulatorConfig

TARGET_PREFIX = "ServiceQuotasV20190624."
SERVICE_CODE = "personalize"
SERVICE_NAME = "Amazon Personalize"

#: emulator quota key -> (QuotaName, adjustable, global)
QUOTAS: dict[str, tuple[str, bool]] = {
    "dataset_groups": ("Active dataset groups", True),
    "schemas": ("Active schemas", False),
    "solutions_per_dataset_group": ("Active solutions per dataset group", True),
    "campaigns_per_dataset_group": ("Active campaigns per dataset group", True),
    "recommenders_per_dataset_group": ("Recommenders per dataset group", False),
    "filters_per_dataset_group": ("Filters per dataset group", True),
    "pending_dataset_import_jobs": ("Pending or in-progress dataset import jobs", False),
    "pending_solution_versions": ("Pending or in-progress solution versions", True),
    "tps_per_campaign": ("Transactions per second per campaign", True),
}


def quota_code(name: str) -> str:
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


def _quota(config: EmulatorConfig, key: str) -> dict[str, Any]:
    name, adjustable = QUOTAS[key]
    code = quota_code(name)
    return {"ServiceCode": SERVICE_CODE, "ServiceName": SERVICE_NAME, "QuotaCode": code, "QuotaName": name,
            "QuotaArn": f"arn:aws:servicequotas:{config.region}:{config.account_id}:{SERVICE_CODE}/{code}",
            "Value": float(config.quota(key)), "Unit": "None", "Adjustable": adjustable, "GlobalQuota": False}


def _service(params: dict) -> None:
    code = params.get("ServiceCode")
    if not isinstance(code, str) or not code:
        raise E.ApiError("IllegalArgumentException", "ServiceCode is required.")
    if code != SERVICE_CODE:
        raise E.ApiError("NoSuchResourceException", f"The emulator serves quotas of '{SERVICE_CODE}' only, "
                                                     f"not '{code}'.")


def list_service_quotas(config: EmulatorConfig, params: dict) -> dict:
    _service(params)
    quotas = [_quota(config, k) for k in QUOTAS]
    if params.get("QuotaCode"):
        quotas = [q for q in quotas if q["QuotaCode"] == params["QuotaCode"]]
    return {"Quotas": quotas}


def get_service_quota(config: EmulatorConfig, params: dict) -> dict:
    _service(params)
    for key, (name, _) in QUOTAS.items():
        if quota_code(name) == params.get("QuotaCode"):
            return {"Quota": _quota(config, key)}
    raise E.ApiError("NoSuchResourceException", f"Quota {params.get('QuotaCode')!r} does not exist.")


OPERATIONS = {
    "ListServiceQuotas": list_service_quotas,
    "GetServiceQuota": get_service_quota,
    "ListAWSDefaultServiceQuotas": list_service_quotas,   # the emulator's defaults are its configured values
    "GetAWSDefaultServiceQuota": get_service_quota,
}


def handle(config: EmulatorConfig, target: str, params: Any) -> dict:
    """Run the Service Quotas operation named by `target` (the full X-Amz-Target)."""
    op = OPERATIONS.get(target[len(TARGET_PREFIX):])
    if op is None:
        raise E.ApiError("UnknownOperationException", f"Unknown operation {target}.")
    if not isinstance(params, dict):
        raise E.ApiError("SerializationException", "The request body must be a JSON object.")
    return op(config, params)

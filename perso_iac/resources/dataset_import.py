"""Dataset import: an intent, not a resource. A new job runs when the dataset is created or
the import's source changes; there is no delete API, so "deleting" one only forgets it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from .base import Observed, ResourceType, api_tags, describe_or_none, paginate, pick
from .impact import Impact

_PARAMS = ("datasetArn", "dataSource", "roleArn", "importMode", "publishAttributionMetricsToS3")


_SUFFIX_LEN = 14 + 4     # a UTC %Y%m%d%H%M%S stamp and 2 random bytes in hex


def _prefix(name: str) -> str:
    """The part of the spec's name a job name keeps: names are at most 63 characters."""
    return name[: 63 - _SUFFIX_LEN - 1]


def job_name(prefix: str) -> str:
    """A unique job name from the spec's prefix (job names are unique per account and region)."""
    suffix = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(2)
    return f"{_prefix(prefix)}-{suffix}"


class DatasetImportType(ResourceType):
    type_name = "dataset_import"
    impact = Impact(
        typical_create=30 * 60, typical_delete=0,
        unavailable="nothing: the data already imported stays",
        loss="nothing (import jobs cannot be deleted)")
    is_intent = True
    create_timeout = 6 * 3600.0

    def normalize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        out.setdefault("importMode", "FULL")
        return out

    def align_observed(self, observed: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(observed)
        # absent means false: the real describe (2020) has no such key (FINDINGS.md §2)
        if "publishAttributionMetricsToS3" in desired:
            out.setdefault("publishAttributionMetricsToS3", False)
        return out

    def read(self, client: Any, arn: str) -> Observed | None:
        resp = describe_or_none(client.describe_dataset_import_job, datasetImportJobArn=arn)
        if resp is None:
            return None
        job = resp["datasetImportJob"]
        params = pick(job, _PARAMS)
        if "dataSource" in params:
            params["dataSource"] = pick(params["dataSource"], ("dataLocation",))
        return Observed(arn=arn, params=self.normalize(params), status=job.get("status"),
                        failure_reason=job.get("failureReason"), outputs={"arn": arn, "jobName": job.get("jobName")})

    def find(self, client: Any, name: str, params: Mapping[str, Any]) -> str | None:
        dataset = params.get("datasetArn")
        if not isinstance(dataset, str):
            return None
        jobs = [j for j in paginate(client, "list_dataset_import_jobs", "datasetImportJobs", datasetArn=dataset)
                if j.get("jobName", "").startswith(f"{_prefix(name)}-") and j.get("status") != "CREATE FAILED"]
        jobs.sort(key=lambda j: j.get("creationDateTime", 0), reverse=True)
        return jobs[0]["datasetImportJobArn"] if jobs else None

    def create(self, client: Any, name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        args = pick(params, _PARAMS)
        if tags:
            args["tags"] = api_tags(tags)
        return client.create_dataset_import_job(jobName=job_name(name), **args)["datasetImportJobArn"]

    def delete(self, client: Any, arn: str) -> None:
        """Import jobs cannot be deleted; the data stays in the dataset until it is deleted."""

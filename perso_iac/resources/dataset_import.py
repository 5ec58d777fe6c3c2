"""Dataset import: an intent, not a resource. A new job runs when the dataset is created or
the import's source changes; there is no delete API, so "deleting" one only forgets it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from ..spec.checks import ROLE_ARN_RE, ROLE_EXAMPLE, Problems, check_arn, check_s3, check_tags, d
from ..spec.model import Ref
from ..spec.schema_parts import BOOL, STR, TAGS, obj
from .base import Listing, Observed, ResourceType, api_tags, describe_or_none, paginate, pick
from .entry import Discovered, EntryContext, Flat, GroupCheck, SpecWriting
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
    host = "dataset"
    nested_key = "import"
    parent = "dataset"
    params = _PARAMS
    attributes = ("arn", "jobName")
    listing = Listing("list_dataset_import_jobs", "datasetImportJobs", "datasetImportJobArn", "datasetArn")
    impact = Impact(
        typical_create=800, typical_delete=0,  # real imports: 778-795 s
        unavailable="nothing: the data already imported stays",
        loss="nothing (import jobs cannot be deleted)")
    is_intent = True
    create_timeout = 6 * 3600.0

    # -- spec ---------------------------------------------------------------------------------------
    def entry_schema(self) -> dict[str, Any]:
        return obj({
            "dataSource": obj({"dataLocation": {**STR, "description": "s3://bucket/prefix/ or a file"}},
                              ("dataLocation",)),
            "roleArn": STR,
            "importMode": {"enum": ["FULL", "INCREMENTAL"]},
            "publishAttributionMetricsToS3": BOOL,
            "tags": TAGS,
        }, ("dataSource",), description="Import data when the dataset is created or the source changes.")

    def declared_in(self, host_entry: Mapping[str, Any]) -> bool:
        return isinstance(host_entry.get("import"), dict)

    def check_entries(self, group: GroupCheck, problems: Problems) -> None:
        for key, ds in group.sections["datasets"].items():
            imp = ds.get("import")
            if not isinstance(imp, dict):
                continue
            ipath = (*group.path, "datasets", key, "import")
            check_s3(d(imp.get("dataSource")), (*ipath, "dataSource"), "dataLocation", problems)
            check_arn(imp, ipath, "roleArn", ROLE_ARN_RE, problems, ROLE_EXAMPLE)
            check_tags(d(imp.get("tags")), (*ipath, "tags"), problems, group.defaults_tags)
            if imp.get("importMode") == "INCREMENTAL":  # API_CreateDatasetImportJob.html, importMode
                problems.warn((*ipath, "importMode"), "AWS refuses an INCREMENTAL import into a dataset that has "
                                                      "never had a FULL one, so this fails when the dataset is new",
                              "import with FULL first (the default), then switch to INCREMENTAL")

    def flatten(self, c: EntryContext) -> list[Flat]:
        e = c.entry
        imp = e.get("import")
        if imp is None:
            return []
        params: dict[str, Any] = {"datasetArn": Ref(c.address("dataset")), "dataSource": dict(imp["dataSource"])}
        if "roleArn" in imp:
            params["roleArn"] = imp["roleArn"]
        params["importMode"] = imp.get("importMode", "FULL")
        if "publishAttributionMetricsToS3" in imp:
            params["publishAttributionMetricsToS3"] = imp["publishAttributionMetricsToS3"]
        return [Flat(c.address(self.type_name), f"{c.name}-import", params, (*c.path, "import"),
                     (e.get("tags"), imp.get("tags")))]

    def discover(self, client: Any, parent_arn: str, parent: Observed, container_name: str,
                 host_key: str) -> list[tuple[str, str]]:
        """The latest job that did not fail: the import the spec describes."""
        jobs = [j for j in self.list_live(client, parent_arn) if j.get("status") != "CREATE FAILED"]
        jobs.sort(key=lambda j: j.get("creationDateTime", 0), reverse=True)
        return [(host_key, jobs[0]["datasetImportJobArn"])] if jobs else []

    def nested_entry(self, host: Discovered, found: Discovered | None, ctx: SpecWriting) -> Any:
        if found is None:
            return None
        p = found.observed.params
        imp: dict[str, Any] = {"dataSource": {"dataLocation": p.get("dataSource", {}).get("dataLocation")}}
        defaults = {"importMode": "FULL", "publishAttributionMetricsToS3": False}
        imp.update({k: p[k] for k in ("roleArn", "importMode", "publishAttributionMetricsToS3")
                    if k in p and not (k in defaults and p[k] == defaults[k])})
        if found.tags:
            imp["tags"] = dict(found.tags)
        return imp

    # -- AWS ----------------------------------------------------------------------------------------

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
        return Observed(arn=arn, statuses=self.statuses, params=self.normalize(params), status=job.get("status"),
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

"""Batch inference and batch segment jobs on a solution version, and data deletion jobs."""

from __future__ import annotations

from .. import catalog
from .. import errors as E
from .account import Account
from .generic import describe, listing
from .synthetic import digest


# ---------------------------------------------------------------------- batch jobs
def _batch_common(acct: Account, p: dict, rtype: str) -> tuple[dict, dict, list]:
    tags = acct.check_tags(p.get("tags"))
    ver = acct.get(p["solutionVersionArn"], "solution_version")
    if p.get("filterArn"):
        acct.get(p["filterArn"], "filter")
    acct.require_active(ver, "solution version")
    acct.unique_name(rtype, p["jobName"])
    links = {"solutionVersionArn": ver["arn"], "solutionArn": ver["links"]["solutionArn"],
             "datasetGroupArn": ver["links"]["datasetGroupArn"]}
    return ver, links, tags


def create_batch_inference_job(acct: Account, p: dict) -> dict:
    ver, links, tags = _batch_common(acct, p, "batch_inference_job")
    recipe = catalog.BY_ARN.get(ver["data"].get("recipeArn", ""))
    if recipe is not None and recipe.recipe_type == "USER_SEGMENTATION":
        raise E.invalid_input("Solution versions of USER_SEGMENTATION recipes need CreateBatchSegmentJob.")
    mode = p.get("batchInferenceJobMode", "BATCH_INFERENCE")
    if mode == "THEME_GENERATION" and not p.get("themeGenerationConfig"):
        raise E.invalid_input("THEME_GENERATION mode requires themeGenerationConfig.")
    acct.quota("pending_batch_inference_jobs", acct.count_in_progress("batch_inference_job"),
               "pending or in-progress batch inference jobs")
    name = p["jobName"]
    arn = acct.arn("batch-inference-job", name)
    data = {
        "jobName": name,
        "filterArn": p.get("filterArn"),
        "solutionVersionArn": ver["arn"],
        "numResults": p.get("numResults", 25),
        "jobInput": p["jobInput"],
        "jobOutput": p["jobOutput"],
        "batchInferenceJobConfig": p.get("batchInferenceJobConfig"),
        "roleArn": p["roleArn"],
        "batchInferenceJobMode": mode,
        "themeGenerationConfig": p.get("themeGenerationConfig"),
    }
    acct.new("batch_inference_job", arn, data, links, tags, (name,))
    return {"batchInferenceJobArn": arn}


def create_batch_segment_job(acct: Account, p: dict) -> dict:
    ver, links, tags = _batch_common(acct, p, "batch_segment_job")
    recipe = catalog.BY_ARN.get(ver["data"].get("recipeArn", ""))
    if recipe is None or recipe.recipe_type != "USER_SEGMENTATION":
        raise E.invalid_input("Batch segment jobs need a solution version of a USER_SEGMENTATION recipe.")
    acct.quota("pending_batch_segment_jobs", acct.count_in_progress("batch_segment_job"),
               "pending or in-progress batch segment jobs")
    name = p["jobName"]
    arn = acct.arn("batch-segment-job", name)
    data = {
        "jobName": name,
        "filterArn": p.get("filterArn"),
        "solutionVersionArn": ver["arn"],
        "numResults": p.get("numResults", 25),
        "jobInput": p["jobInput"],
        "jobOutput": p["jobOutput"],
        "roleArn": p["roleArn"],
    }
    acct.new("batch_segment_job", arn, data, links, tags, (name,))
    return {"batchSegmentJobArn": arn}


# ---------------------------------------------------------------------- data deletion jobs
def create_data_deletion_job(acct: Account, p: dict) -> dict:
    name = p["jobName"]
    tags = acct.check_tags(p.get("tags"))
    group = acct.get(p["datasetGroupArn"], "dataset_group")
    if not (p.get("dataSource") or {}).get("dataLocation"):
        raise E.invalid_input("dataSource.dataLocation is required.")
    acct.require_active(group, "dataset group")
    acct.unique_name("data_deletion_job", name)
    pending = acct.in_progress(acct.records("data_deletion_job", datasetGroupArn=group["arn"]))
    acct.quota("pending_data_deletion_jobs_per_dataset_group", len(pending), "pending data deletion jobs")
    arn = acct.arn("data-deletion-job", name)
    data = {"jobName": name, "datasetGroupArn": group["arn"], "dataSource": p["dataSource"], "roleArn": p["roleArn"]}
    acct.new("data_deletion_job", arn, data, {"datasetGroupArn": group["arn"]}, tags, (name,))
    return {"dataDeletionJobArn": arn}


def _deletion_done(acct: Account, rec: dict) -> None:
    rec["data"]["numDeleted"] = int(digest(rec["arn"])[:4], 16) % 1000


OPERATIONS = {
    "CreateBatchInferenceJob": create_batch_inference_job,
    "DescribeBatchInferenceJob": describe("batch_inference_job", "batchInferenceJobArn"),
    "ListBatchInferenceJobs": listing("ListBatchInferenceJobs", "batch_inference_job", "batchInferenceJobs",
                                      "solutionVersionArn"),
    "CreateBatchSegmentJob": create_batch_segment_job,
    "DescribeBatchSegmentJob": describe("batch_segment_job", "batchSegmentJobArn"),
    "ListBatchSegmentJobs": listing("ListBatchSegmentJobs", "batch_segment_job", "batchSegmentJobs",
                                    "solutionVersionArn"),
    "CreateDataDeletionJob": create_data_deletion_job,
    "DescribeDataDeletionJob": describe("data_deletion_job", "dataDeletionJobArn"),
    "ListDataDeletionJobs": listing("ListDataDeletionJobs", "data_deletion_job", "dataDeletionJobs",
                                    "datasetGroupArn"),
}
ON_CREATED = {"data_deletion_job": _deletion_done}

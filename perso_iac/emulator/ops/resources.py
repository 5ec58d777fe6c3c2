"""The emulated resource types: ARN shapes, Describe keys, lifecycle styles and durations.

Every resource is a JSON-serialisable record::

    {"type": "campaign", "arn": ..., "seq": 7, "links": {"solutionArn": ..., "datasetGroupArn": ...},
     "data": {... the Describe* fields ...}, "lc": <transition or None>, "upd": <transition or None>,
     "x": {... private extras ...}}
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RType:
    key: str
    arn_key: str
    name_key: str
    view_key: str
    style: str  # std | batch | ddj | none
    create_secs: float  # at time scale 1; real ones where recorded (tests/unit/test_durations.py)
    update_key: str | None = None
    deletable: bool = False


TYPES: dict[str, RType] = {
    t.key: t
    for t in (
        RType("schema", "schemaArn", "name", "schema", "none", 0, deletable=True),
        RType("dataset_group", "datasetGroupArn", "name", "datasetGroup", "std", 30, deletable=True),
        RType("dataset", "datasetArn", "name", "dataset", "std", 60, "latestDatasetUpdate", True),
        RType("dataset_import_job", "datasetImportJobArn", "jobName", "datasetImportJob", "std", 800),
        RType("dataset_export_job", "datasetExportJobArn", "jobName", "datasetExportJob", "std", 600),
        RType("event_tracker", "eventTrackerArn", "name", "eventTracker", "std", 60, deletable=True),
        RType("filter", "filterArn", "name", "filter", "std", 60, deletable=True),
        RType("solution", "solutionArn", "name", "solution", "std", 60, "latestSolutionUpdate", True),
        RType("solution_version", "solutionVersionArn", "name", "solutionVersion", "std", 2400),
        RType("campaign", "campaignArn", "name", "campaign", "std", 600, "latestCampaignUpdate", True),
        RType("recommender", "recommenderArn", "name", "recommender", "std", 3600, "latestRecommenderUpdate", True),
        RType("metric_attribution", "metricAttributionArn", "name", "metricAttribution", "std", 60,
              deletable=True),
        RType("batch_inference_job", "batchInferenceJobArn", "jobName", "batchInferenceJob", "batch", 1800),
        RType("batch_segment_job", "batchSegmentJobArn", "jobName", "batchSegmentJob", "batch", 1800),
        RType("data_deletion_job", "dataDeletionJobArn", "jobName", "dataDeletionJob", "ddj", 600),
    )
}

#: pending phases and (success, failure) final statuses per lifecycle style
STYLES = {
    "std": (("CREATE PENDING", "CREATE IN_PROGRESS"), "ACTIVE", "CREATE FAILED"),
    "batch": (("PENDING", "IN PROGRESS"), "ACTIVE", "CREATE FAILED"),
    "ddj": (("PENDING", "IN_PROGRESS"), "COMPLETED", "FAILED"),
}
UPDATE_SECS = {"campaign": 600, "recommender": 1800, "solution": 60, "dataset": 60}
DELETE_SECS = 60
START_STOP_SECS = 300
PENDING_STATUSES = frozenset(
    {"CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING", "PENDING", "IN PROGRESS", "IN_PROGRESS"}
)
DELETABLE_STATUSES = frozenset({"ACTIVE", "CREATE FAILED", "INACTIVE"})

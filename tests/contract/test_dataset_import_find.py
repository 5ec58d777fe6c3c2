"""A killed apply's import job is adopted by name, also when the dataset's name is long.

Regression: job names keep the first 44 characters of `<dataset>-import` (63 minus the
18-character stamp and a dash), but find() looked for the full `<dataset>-import-` prefix, so an
import started by a killed apply was never found again and ran a second time.
"""

from __future__ import annotations

import json

import pytest

from perso_iac.resources.registry import REGISTRY

INTERACTIONS = json.dumps({"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                           "version": "1.0", "fields": [{"name": "USER_ID", "type": "string"},
                                                        {"name": "ITEM_ID", "type": "string"},
                                                        {"name": "TIMESTAMP", "type": "long"}]})


def _active(describe, key: str, **arn: str) -> None:
    for _ in range(30):  # time scale 0: each describe moves the lifecycle on
        if describe(**arn)[key]["status"] == "ACTIVE":
            return
    raise AssertionError(f"{arn} never became ACTIVE")


@pytest.mark.parametrize("name", ["short-import", "a-dataset-group-with-a-long-name-interactions-import"])
def test_an_import_job_is_found_by_its_spec_name(personalize, name):
    group = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    _active(personalize.describe_dataset_group, "datasetGroup", datasetGroupArn=group)
    schema = personalize.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    dataset = personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    _active(personalize.describe_dataset, "dataset", datasetArn=dataset)
    adapter = REGISTRY["dataset_import"]
    params = adapter.normalize({"datasetArn": dataset, "dataSource": {"dataLocation": "s3://bucket/i.csv"},
                                "roleArn": "arn:aws:iam::123456789012:role/PersonalizeS3"})
    arn = adapter.create(personalize, name, params, {})
    job = personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]["jobName"]
    assert len(job) <= 63
    assert adapter.find(personalize, name, params) == arn
    assert adapter.find(personalize, "other-" + name, params) is None

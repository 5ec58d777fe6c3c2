"""What CreateDatasetImportJob refuses that depends on the dataset's history.

Source: API_CreateDatasetImportJob.html, importMode: "The default import mode is FULL. If you
haven't imported bulk records into the dataset previously, you can only specify FULL."
"""

from __future__ import annotations

from collections.abc import Iterable

IMPORT_MODES = ("FULL", "INCREMENTAL")


def check_import_mode(mode: str | None, previous: Iterable[str]) -> str | None:
    """Why an import with `mode` is refused, given the statuses of the dataset's earlier import jobs."""
    if (mode or "FULL") == "INCREMENTAL" and "ACTIVE" not in set(previous):
        return ("importMode INCREMENTAL needs bulk records imported before: a dataset's first import job "
                "must be FULL")
    return None

"""Metric attribution expressions: `SUM(DatasetType.COLUMN)` and `SAMPLECOUNT()`.

Shared by `perso validate` and the emulator's CreateMetricAttribution / UpdateMetricAttribution.

Sources (https://docs.aws.amazon.com/personalize/latest/dg/creating-metric-attribution.html):
"Available functions include SUM(DatasetType.COLUMN_NAME) and SAMPLECOUNT()"; "You can apply SUM()
functions to only numeric columns of Items and Interactions datasets". Case: AWS's samples write
the dataset in upper case (`SUM(ITEMS.MARGIN)`, as reported in issue 10), the docs in title case
(`SUM(Items.LENGTH)`): function and dataset names are matched ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .avro import NUMERIC, Field

SUM_DATASETS = {"interactions": "Interactions", "items": "Items"}
EXAMPLE = "SAMPLECOUNT() or SUM(Interactions.COLUMN) / SUM(Items.COLUMN)"
_EXPR = re.compile(r"\s*(?:(?P<sum>SUM)\(\s*(?P<ds>[A-Za-z_]+)\s*\.\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*\)"
                   r"|(?P<count>SAMPLECOUNT)\(\s*\))\s*", re.IGNORECASE)


@dataclass(frozen=True)
class MetricIssue:
    message: str
    hint: str | None = None


def parse(expr: str) -> tuple[str, str] | None | MetricIssue:
    """(dataset type, column) for SUM, None for SAMPLECOUNT, or why the expression is invalid."""
    m = _EXPR.fullmatch(expr)
    if m is None:
        return MetricIssue(f"invalid metric expression {expr!r}", f"use {EXAMPLE}")
    if m.group("count"):
        return None
    dataset = SUM_DATASETS.get(m.group("ds").lower())
    if dataset is None:
        return MetricIssue(f"SUM() applies to Interactions or Items columns, not {m.group('ds')}",
                           f"use {EXAMPLE}")
    return dataset, m.group("field")


def check(expr: str, datasets: Mapping[str, Sequence[Field] | None] | None = None) -> list[MetricIssue]:
    """`datasets`: the dataset group's dataset types -> schema fields (None: unknown fields)."""
    parsed = parse(expr)
    if isinstance(parsed, MetricIssue):
        return [parsed]
    if parsed is None or datasets is None:
        return []
    dataset, column = parsed
    if dataset not in datasets:
        return [MetricIssue(f"the metric sums {dataset} data, and the dataset group has no {dataset} dataset",
                            f"add a dataset with datasetType: {dataset}")]
    fields = datasets[dataset]
    if fields is None:
        return []
    f = next((g for g in fields if g.name.upper() == column.upper()), None)
    if f is None:
        return [MetricIssue(f"the {dataset} schema has no column {column}",
                            f"numeric columns: {', '.join(g.name for g in fields if g.base in NUMERIC) or 'none'}")]
    if f.base not in NUMERIC:
        return [MetricIssue(f"SUM() needs a numeric column, and {dataset}.{f.name} is {f.base}",
                            "sum an int, long, float or double column, or count events with SAMPLECOUNT()")]
    return []

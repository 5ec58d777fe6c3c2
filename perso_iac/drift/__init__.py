"""Drift: what changed in AWS behind perso's back, and what the spec still wants to change.

Terraform's model: drift is the last applied state (PrevRunState) against what a refresh just
read (PriorState), attribute by attribute. perso reports four kinds of finding:

- changed:   a managed resource whose live parameters or tags differ from what perso last
             applied (with before = last applied, after = live);
- deleted:   a managed resource that is gone (or being deleted) in AWS;
- unmanaged: a dataset, solution, campaign, filter, event tracker, recommender or metric
             attribution inside a dataset group perso manages, that perso does not manage;
- pending:   changes the plan would make because the spec differs from what was applied.

Known, accepted drift is silenced with an ignore file (`.persoignore`): one rule a line,
`ADDRESS` (everything about that resource) or `ADDRESS:ATTRIBUTE.PATH`; shell-style wildcards
(`campaign.*`, `*:tags.*`); `#` starts a comment. Unmanaged resources are matched by the address
they would have (`solution.GROUP.NAME`) or by ARN.

Drift never writes: no state write, no lock, no AWS change. `compute_drift` is pure; the
functions around it read AWS.
"""

from __future__ import annotations

from .compare import compute_drift
from .ignore import IgnoreList, IgnoreRule, baseline_lines, load_ignore, parse_ignore
from .live import detect_drift, list_group_members
from .model import (
    DRIFT_FORMAT_VERSION,
    AttributeDrift,
    DriftKind,
    DriftReport,
    PendingCause,
    PendingChange,
    ResourceDrift,
    UnmanagedResource,
)

__all__ = [
    "AttributeDrift", "DriftKind", "DriftReport", "IgnoreList", "IgnoreRule", "PendingCause", "PendingChange",
    "ResourceDrift", "UnmanagedResource", "baseline_lines", "compute_drift", "detect_drift", "list_group_members",
    "load_ignore", "parse_ignore", "DRIFT_FORMAT_VERSION",
]

"""Deterministic made-up values: digests, short ids, training hours and offline metrics."""

from __future__ import annotations

import hashlib
from typing import Any


def digest(*parts: Any) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def model_metrics(seed: str) -> dict[str, float]:
    """Plausible, deterministic offline metrics for a trained model."""
    h = int(digest(seed), 16)

    def frac(i: int) -> float:
        return ((h >> (i * 8)) & 0xFF) / 255.0

    ndcg5 = 0.08 + 0.2 * frac(1)
    prec5 = 0.02 + 0.08 * frac(2)
    return {
        "coverage": round(0.1 + 0.5 * frac(0), 4),
        "mean_reciprocal_rank_at_25": round(0.05 + 0.25 * frac(3), 4),
        "normalized_discounted_cumulative_gain_at_5": round(ndcg5, 4),
        "normalized_discounted_cumulative_gain_at_10": round(ndcg5 * 1.15, 4),
        "normalized_discounted_cumulative_gain_at_25": round(ndcg5 * 1.3, 4),
        "precision_at_5": round(prec5, 4),
        "precision_at_10": round(prec5 * 0.8, 4),
        "precision_at_25": round(prec5 * 0.55, 4),
    }

"""The fusion formula: per-objective predictions -> one ranking score.

``score = prod_k (1 + scale_k * p_k) ** weight_k``, computed in log space. Each factor is
at least 1 for a non-negative weight, so one weak objective cannot zero the score; the scales
put rare events (like, follow) on a par with frequent ones; a negative weight on ``hate``
divides the score by the predicted annoyance.
"""

from __future__ import annotations

import numpy as np

from laotie.core.feedconfig import FusionConfig
from laotie.feed.ranker import OBJECTIVES


def fuse(predictions: dict[str, np.ndarray], config: FusionConfig) -> np.ndarray:
    """Fused score per row (float32, > 0)."""
    total = None
    for objective in OBJECTIVES:
        weight = getattr(config.weights, objective)
        if weight == 0 or objective not in predictions:
            continue
        scale = getattr(config.scales, objective)
        term = weight * np.log1p(scale * np.clip(predictions[objective], 0.0, 1.0))
        total = term if total is None else total + term
    if total is None:
        first = next(iter(predictions.values()))
        return np.ones(len(first), np.float32)
    return np.exp(total).astype(np.float32)

"""The gate's judgement: a judging ranker's predictions of the held-out rows and gate pages.

Predictions are taken objective by objective (``add``), so that a judge still being fitted —
the served ranker, on a large log — can be predicted for each objective it has finished while
it fits the next, on another thread; ``judgement`` then measures them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from laotie.core.feedconfig import FeedConfig
from laotie.feed.blend import DEPTH, GatePages, choose_blend, prerank_depth
from laotie.feed.metrics import auc, logloss
from laotie.feed.ranker import Ranker
from laotie.feed.ranker_rows import RankerRows
from laotie.feed.rows import LABELS

#: held-out rows the holdout AUC and log loss are measured on at most
METRIC_ROWS = 50_000


class GateJudge:
    """Collects a judging ranker's predictions for the judgement of ``rows``' held-out users."""

    def __init__(self, rows: RankerRows, config: FeedConfig, *, threads: int) -> None:
        self.rows, self.config, self.threads = rows, config, threads
        measured = np.flatnonzero(rows.holdout)
        if len(measured) > METRIC_ROWS:  # an even sample: half the rows is more than AUC needs
            measured = measured[np.linspace(0, len(measured) - 1, METRIC_ROWS).astype(np.int64)]
        self.measured = measured
        self.predictions: dict[str, np.ndarray] = {}
        self.gate_predictions: dict[str, np.ndarray] = {}
        self.pages: GatePages | None = None
        self._scored = np.empty(0, np.int64)

    def add(self, judge: Ranker, objective: str) -> None:
        """Predict ``objective`` (which ``judge`` has fitted) for the held-out rows and, once
        ``play`` is in (the pre-rank needs it), for the gate rows a pre-rank keeps."""
        self.predictions[objective] = self._predict(
            judge, self.rows.features[self.measured], objective
        )
        gate = self.rows.gate
        if not gate.height:
            return
        if objective == "play":
            early = self._predict(
                judge, self.rows.gate_features, "play", rounds=self.config.ranker.prerank_rounds
            )
            self.pages = GatePages(
                gate["user_id"].to_numpy(),
                gate["relevant"].to_numpy(),
                early,
                self.rows.gate_heads,
                depth=prerank_depth(self.config.ranker.rank_depth, DEPTH),
            )
            self._scored = self.pages.scored_rows()
            self.gate_predictions["play_early"] = early
            for earlier in self.predictions:  # objectives added before play
                self._predict_gate(judge, earlier)
        elif self.pages is not None:
            self._predict_gate(judge, objective)

    def _predict(
        self, judge: Ranker, features: np.ndarray, objective: str, *, rounds: int = 0
    ) -> np.ndarray:
        """One objective's predictions of ``features``' rows."""
        return judge.predict(
            features, objectives=(objective,), rounds=rounds, threads=self.threads
        )[objective]

    def _predict_gate(self, judge: Ranker, objective: str) -> None:
        """``objective`` for the gate rows some pre-rank keeps (0 for the others)."""
        values = np.zeros(self.rows.gate.height, np.float32)
        values[self._scored] = self._predict(
            judge, self.rows.gate_features[self._scored], objective
        )
        self.gate_predictions[objective] = values

    def judgement(self) -> dict[str, Any]:
        """AUC and log loss per label on the held-out rows and, when there are gate pages,
        the blend chosen on them (``blend``, ``blend_ndcg``, ``gate_users``)."""
        labels = self.rows.labels
        judged: dict[str, Any] = {}
        for name in LABELS:
            judged[f"{name}_auc"] = auc(labels[name][self.measured], self.predictions[name])
            judged[f"{name}_logloss"] = logloss(labels[name][self.measured], self.predictions[name])
        if self.pages is None:
            return judged
        judged["blend"], judged["blend_ndcg"] = choose_blend(
            self.pages, self.gate_predictions, self.config.fusion
        )
        judged["gate_users"] = int(self.rows.gate["user_id"].n_unique())
        return judged

"""Ad response models: pCTR and pCVR, fitted on recorded ad outcomes and saved as ``.npz``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from laotie.ads.prediction import PriorModel, ResponseModel, calibration_report
from laotie.store.db import Database
from laotie.store.repos import ads as repo

DEFAULT_CTR = 0.02
DEFAULT_CVR = 0.05
MIN_TRAINING_ROWS = 200


class AdModels:
    """The saved pCTR/pCVR models under ``models_dir``; ``version`` moves on each training."""

    def __init__(self, db: Database, *, models_dir: Path) -> None:
        self.db = db
        self.models_dir = models_dir
        self.version = 0

    def load(self) -> tuple[Any, Any]:
        """(pCTR, pCVR): the saved models, or priors where none was trained yet."""
        models = []
        for name, default in (("pctr", DEFAULT_CTR), ("pcvr", DEFAULT_CVR)):
            path = self.models_dir / f"{name}.npz"
            models.append(ResponseModel.load(path) if path.is_file() else PriorModel(default))
        return models[0], models[1]

    def train(self, *, holdout: float = 0.2, random_state: int | None = 0) -> dict[str, Any]:
        """Fit pCTR (impressions -> clicks) and pCVR (clicks -> conversions) on recorded ad
        outcomes; report calibration (ECE), log loss and AUC on the latest ``holdout`` share
        against the prior-only baseline; save the models refitted on all rows."""
        out: dict[str, Any] = {}
        self.models_dir.mkdir(parents=True, exist_ok=True)
        for name, kind, outcome in (
            ("pctr", "impression", "click"),
            ("pcvr", "click", "conversion"),
        ):
            with self.db.session() as session:
                rows = repo.training_rows(session, kind=kind, outcome_kind=outcome)
            if len(rows) < MIN_TRAINING_ROWS:
                out[name] = {
                    "trained": False,
                    "rows": len(rows),
                    "reason": f"needs >= {MIN_TRAINING_ROWS} {kind} rows",
                }
                continue
            data = np.array([(r[0], r[1], r[2], r[4]) for r in rows], dtype=np.int64)
            entity, match, position, label = data.T
            cut = int(len(rows) * (1 - holdout))
            model = ResponseModel(random_state=random_state)
            model.fit(
                entity=entity[:cut], match=match[:cut], position=position[:cut], outcome=label[:cut]
            )
            predicted = model.predict(
                entity=entity[cut:], match=match[cut:], position=position[cut:]
            )
            baseline = np.full(len(rows) - cut, label[:cut].mean())
            full = ResponseModel(random_state=random_state).fit(
                entity=entity, match=match, position=position, outcome=label
            )
            full.save(self.models_dir / f"{name}.npz")
            out[name] = {
                "trained": True,
                "rows": len(rows),
                "train_rows": cut,
                "holdout": calibration_report(label[cut:], predicted),
                "baseline": calibration_report(label[cut:], baseline),
            }
        self.version += 1
        return out

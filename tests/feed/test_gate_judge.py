"""The gate's judgement, taken objective by objective as a judging ranker is fitted."""

from __future__ import annotations

import numpy as np
import pytest

import laotie.feed
from laotie.core.feedconfig import FeedConfig
from laotie.feed import training
from laotie.feed.gate_judge import GateJudge
from laotie.feed.ranker import OBJECTIVES, Ranker
from laotie.feed.ranker_rows import RankerRows


def _rows(world: laotie.feed.FeedData, monkeypatch: pytest.MonkeyPatch) -> RankerRows:
    """The ranker rows (with the gate's) of a training run on ``world``."""
    seen: list[RankerRows] = []
    fit = training._fit_ranker

    def recording(config: FeedConfig, rows: RankerRows, *args: object, **kw: object) -> Ranker:
        seen.append(rows)
        return fit(config, rows, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "_fit_ranker", recording)
    training.train(world, FeedConfig(ranker={"n_estimators": 10}), version="x")
    return seen[0]


def test_the_judgement_is_the_same_whichever_objective_is_ready_first(
    world: laotie.feed.FeedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Objectives can be predicted as the judge fits them; the pre-rank needs ``play``, so
    those ready before it are predicted for the gate rows once it is in."""
    rows = _rows(world, monkeypatch)
    config = FeedConfig(ranker={"n_estimators": 10})
    in_order = GateJudge(rows, config, threads=1)
    ready: list[str] = []

    def fitted(ranker: Ranker, objective: str) -> None:
        ready.append(objective)
        assert objective in ranker.models_ or objective in ranker.constants_
        in_order.add(ranker, objective)

    judge = training.make_ranker(config)
    features, labels, watch_ms, durations = rows.picked(~rows.holdout)
    judge.fit(features, labels, watch_ms=watch_ms, durations=durations, fitted=fitted)
    assert ready == list(OBJECTIVES)
    backwards = GateJudge(rows, config, threads=1)
    for objective in reversed(OBJECTIVES):
        backwards.add(judge, objective)
    first, second = in_order.judgement(), backwards.judgement()
    assert rows.gate.height and "blend" in first and first["gate_users"] > 0
    assert first.keys() == second.keys()
    for key, value in first.items():
        assert (
            value == second[key] if not isinstance(value, float) else np.isclose(value, second[key])
        )

"""pCTR model: learns entity, match and position effects; calibrated; priors for new entities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from laotie.ads import ResponseModel, calibration_report
from laotie.core.errors import ArtefactError, InvalidInput


def _world(n: int, seed: int) -> dict[str, np.ndarray]:
    entity_effect = np.random.default_rng(0).normal(0, 0.6, size=60)  # the same world
    rng = np.random.default_rng(seed)
    entity = rng.integers(0, 60, size=n)
    match = rng.random(n) < 0.4
    position = rng.integers(0, 4, size=n)
    logit = -3.6 + entity_effect[entity] + 0.7 * match - 0.25 * position
    truth = expit(logit)
    return {
        "entity": entity,
        "match": match,
        "position": position,
        "outcome": rng.random(n) < truth,
        "truth": truth,
    }


def test_model_is_calibrated_and_beats_the_prior():
    train, test = _world(60_000, 1), _world(20_000, 2)
    model = ResponseModel(random_state=0).fit(
        entity=train["entity"],
        match=train["match"],
        position=train["position"],
        outcome=train["outcome"],
    )
    predicted = model.predict(entity=test["entity"], match=test["match"], position=test["position"])
    report = calibration_report(test["outcome"], predicted)
    baseline = calibration_report(test["outcome"], np.full(predicted.size, train["outcome"].mean()))
    assert report["ece"] < 0.005
    assert report["log_loss"] < baseline["log_loss"]
    assert report["auc"] > 0.62 > baseline["auc"] + 0.1
    assert np.corrcoef(predicted, test["truth"])[0, 1] > 0.8
    assert model.coef_[1] == pytest.approx(0.7, abs=0.2)  # interest match


def test_unseen_entity_gets_the_prior_and_sparse_entity_is_shrunk():
    world = _world(30_000, 3)
    model = ResponseModel(prior_strength=100, random_state=0).fit(
        entity=world["entity"],
        match=world["match"],
        position=world["position"],
        outcome=world["outcome"],
    )
    assert model.offsets(np.array([999]))[0] == 0.0
    new = model.predict(entity=np.array([999]), match=np.array([False]), position=0)[0]
    assert 0.005 < new < 0.06
    # one impression with a click must not make an entity look like a 100% CTR
    sparse = ResponseModel(prior_strength=100, random_state=0).fit(
        entity=np.r_[world["entity"], 500],
        match=np.r_[world["match"], False],
        position=np.r_[world["position"], 0],
        outcome=np.r_[world["outcome"], True],
    )
    assert sparse.predict(entity=np.array([500]), match=np.array([False]), position=0)[0] < 0.1


def test_save_load_roundtrip(tmp_path):
    world = _world(5_000, 4)
    model = ResponseModel(random_state=0).fit(
        entity=world["entity"],
        match=world["match"],
        position=world["position"],
        outcome=world["outcome"],
    )
    model.save(tmp_path / "pctr.npz")
    loaded = ResponseModel.load(tmp_path / "pctr.npz")
    args = {"entity": world["entity"], "match": world["match"], "position": world["position"]}
    assert np.allclose(model.predict(**args), loaded.predict(**args))
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ArtefactError):
        ResponseModel.load(tmp_path / "bad.npz")


def test_calibration_report_on_known_values():
    report = calibration_report(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), bins=2)
    assert report["auc"] == pytest.approx(0.75)
    # sorted by prediction: bins (0.1, 0.35) and (0.4, 0.8), each with one click of two
    assert report["ece"] == pytest.approx(0.5 * abs(0.225 - 0.5) + 0.5 * abs(0.6 - 0.5))
    with pytest.raises(InvalidInput):
        calibration_report(np.array([]), np.array([]))

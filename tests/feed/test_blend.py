"""The learned blend: the configured fusion unless another choice wins beyond noise."""

from __future__ import annotations

import numpy as np

from laotie.core.feedconfig import FusionConfig
from laotie.feed.blend import Blend, GatePages, choose_blend, head_scores


def test_head_scores_are_reciprocal_ranks_in_the_source_list() -> None:
    found = np.array([7, 3, 9, -1, -1])
    np.testing.assert_allclose(head_scores(found, np.array([3, 4, 7, 9])), [0.5, 0, 1, 1 / 3])
    assert not head_scores(np.full(3, -1), np.array([1, 2])).any()


def _candidates(users: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per user 40 candidate rows, the first 3 relevant."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(users), 40)
    relevant = np.tile(np.arange(40) < 3, users)
    return user, relevant, rng.random(len(user))


def _choose(
    users: np.ndarray,
    relevant: np.ndarray,
    predictions: dict[str, np.ndarray],
    heads: dict[str, np.ndarray],
    *,
    depth: int = 40,
) -> tuple[Blend, dict[str, float]]:
    """The blend chosen on pages whose pre-rank (``play_early``) keeps ``depth`` rows."""
    pages = GatePages(users, relevant, predictions["play_early"], heads, depth=depth)
    return choose_blend(pages, predictions, FusionConfig())


def test_a_head_that_knows_better_is_blended_in() -> None:
    users, relevant, noise = _candidates(200, 0)
    predictions = {"play": noise, "play_early": noise}
    heads = {"ease": relevant + 0.1 * noise}
    blend, report = _choose(users, relevant, predictions, heads)
    assert blend.head == "ease" and blend.weight > 0
    assert report["chosen"] > report["fused"] and report["ease"] > 0.9


def test_the_configured_fusion_stays_when_it_ranks_best() -> None:
    users, relevant, noise = _candidates(200, 1)
    predictions = {"play": relevant + 0.1 * noise, "like": relevant * 0.5}
    predictions["play_early"] = predictions["play"]
    blend, _ = _choose(users, relevant, predictions, {"ease": noise})
    assert blend == Blend()


def test_a_tie_within_noise_keeps_the_configured_fusion() -> None:
    users, relevant, noise = _candidates(30, 2)
    other = np.random.default_rng(3).random(len(users))
    predictions = {"play": noise, "play_early": other}
    blend, _ = _choose(users, relevant, predictions, {"ease": other})
    assert blend == Blend()


def test_pages_are_judged_after_the_pre_rank_as_serving_ranks_them() -> None:
    """A model that ranks well but whose early rounds drop the relevant rows from the pre-rank
    loses on the gate, as it loses in serving: a head that brings them into the pre-rank wins,
    and only the rows some pre-rank keeps are scored by the full model."""
    users, relevant, noise = _candidates(200, 4)
    predictions = {"play": relevant + 0.1 * noise, "play_early": 1.0 - relevant - 0.1 * noise}
    heads = {"ease": relevant * 0.5 + noise}
    pages = GatePages(users, relevant, predictions["play_early"], heads, depth=10)
    assert pages.ndcg(Blend(model="play"), predictions["play"]).max() == 0.0
    blend, report = choose_blend(pages, predictions, FusionConfig())
    assert blend.head == "ease" and blend.model != "play_early" and report["chosen"] > 0.5
    scored = pages.scored_rows()
    assert len(scored) < len(users)
    unscored = np.setdiff1d(np.arange(len(users)), scored)
    predictions = {k: v.copy() for k, v in predictions.items()}
    predictions["play"][unscored] = np.nan  # rows no pre-rank keeps are never read
    assert choose_blend(pages, predictions, FusionConfig()) == (blend, report)


def test_apply_leaves_scores_alone_without_a_head() -> None:
    scores = np.array([0.3, 0.1, 0.7], np.float32)
    assert Blend().apply(scores, np.array([1.0, 2.0, 3.0])) is scores
    mixed = Blend("ease", 1.0).apply(scores, np.array([3.0, 2.0, 1.0]))
    assert np.argsort(-mixed).tolist() == [0, 1, 2]
    manifest = {"learned": {"blend": Blend("popular", 0.5, "play").as_dict()}}
    assert Blend.from_manifest(manifest) == Blend("popular", 0.5, "play")
    assert Blend.from_manifest({}) == Blend()

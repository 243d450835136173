"""A rating log shaped like real ones, written in MovieLens-100k's published layout.

Real public logs differ from the simulator's world in ways that decide which recommender
wins: item popularity is long-tailed (Zipf-like: a few hundred items take half the ratings),
most users are sparse (median ~20 ratings, a long tail of heavy raters), feedback is an
explicit 1-5 rating with no watch time or duration, and users rate in bursts (most of a
user's ratings within days of signing up). ``write_real_shaped`` draws such a log from a
latent-taste model so that what a user picks (taste x popularity) and how they rate it
(taste + item quality + user bias) both carry signal, and writes ``u.data``/``u.item`` so
``laotie evaluate movielens:DIR`` reads it through the real importer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from laotie.core.errors import InvalidInput
from laotie.store.importers.movielens import GENRES_100K

#: first rating of the log (1997-09-20, ml-100k's first day), seconds
_START_S = 874_724_710
#: days over which users sign up
_SPAN_DAYS = 210


def write_real_shaped(
    directory: Path,
    *,
    users: int = 1200,
    items: int = 1600,
    median_ratings: int = 20,
    zipf: float = 1.0,
    seed: int = 0,
) -> Path:
    """Write ``u.data`` (user, item, rating 1-5, unix seconds; tab-separated) and ``u.item``
    (MovieLens-100k's pipe-separated movie table) into ``directory``; returns it."""
    if users < 2 or items < 20:
        raise InvalidInput("need at least 2 users and 20 items", field="users", limit=">= 2, >= 20")
    if not 0.0 < zipf <= 3.0:
        raise InvalidInput(f"zipf exponent {zipf} out of range", field="zipf", limit="(0, 3]")
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    genres = len(GENRES_100K) - 1  # "unknown" is not drawn
    # items: a main genre (its taste cluster), a long-tailed base popularity, a quality that
    # popular items have a little more of (as in real catalogs)
    genre = rng.integers(1, genres + 1, items)
    second = np.where(rng.random(items) < 0.5, rng.integers(1, genres + 1, items), 0)
    popularity = 1.0 / np.arange(1, items + 1) ** zipf
    popularity = popularity[rng.permutation(items)]
    rank_share = np.argsort(np.argsort(-popularity)) / items
    quality = rng.normal(0.0, 0.5, items) + 0.4 * (0.5 - rank_share)
    # users: a few favourite genres, a rating bias, a log-normal activity
    taste = rng.dirichlet(np.full(genres, 0.15), users)
    bias = rng.normal(0.0, 0.35, users)
    counts = np.clip(
        np.round(median_ratings * np.exp(rng.normal(0.0, 0.9, users))), 5, items // 2
    ).astype(np.int64)
    affinity_of = taste[:, genre - 1] + 0.5 * np.where(
        second > 0, taste[:, np.maximum(second, 1) - 1], 0.0
    )
    log_pop = 0.8 * np.log(popularity)
    rows: list[np.ndarray] = []
    for user in range(users):
        affinity = affinity_of[user]
        # Gumbel top-k: ``counts[user]`` distinct items, chosen ∝ popularity^0.8 · e^(6·taste)
        keys = log_pop + 6.0 * affinity + rng.gumbel(size=items)
        chosen = np.argpartition(-keys, counts[user] - 1)[: counts[user]]
        latent = (
            3.2
            + quality[chosen]
            + bias[user]
            + 2.5 * (affinity[chosen] - affinity.mean())
            + rng.normal(0.0, 0.75, len(chosen))
        )
        rating = np.clip(np.round(latent), 1, 5).astype(np.int64)
        start = _START_S + rng.integers(0, _SPAN_DAYS * 86_400)
        later = rng.random(len(chosen)) < 0.3  # a burst at sign-up, then occasional returns
        offset = np.where(
            later,
            rng.exponential(30 * 86_400, len(chosen)),
            rng.exponential(3_600, len(chosen)),
        ).astype(np.int64)
        rows.append(
            np.column_stack([np.full(len(chosen), user + 1), chosen + 1, rating, start + offset])
        )
    log = np.concatenate(rows)
    log = log[np.lexsort((log[:, 3], log[:, 0]))]
    with (directory / "u.data").open("w", encoding="ascii") as handle:
        handle.writelines(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in log.tolist())
    with (directory / "u.item").open("w", encoding="latin-1") as handle:
        for item in range(items):
            flags = ["0"] * len(GENRES_100K)
            flags[genre[item]] = "1"
            if second[item]:
                flags[second[item]] = "1"
            year = 1930 + int(rng.integers(0, 68))
            handle.write(
                f"{item + 1}|Movie {item + 1} ({year})|01-Jan-{year}||"
                f"http://example.invalid/{item + 1}|{'|'.join(flags)}\n"
            )
    return directory

"""The one interface every retrieval source implements, and what it learns from.

``fit(training) -> self``; batch-first ``recommend(user_ids, n) -> (ids, scores)`` arrays of
shape ``(len(user_ids), n)`` padded with -1 / -inf, best first; ``save``/``load`` to ``.npz``
with ``allow_pickle=False``. Sources read request-time state (the catalog, per-user state,
the clock) through ``bind``; hyperparameters are stored as given in ``__init__``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import polars as pl
from scipy import sparse

from laotie.core.clock import Clock, SystemClock
from laotie.core.errors import ArtefactError
from laotie.feed.catalog import Catalog
from laotie.feed.state import UserState


@dataclass
class TrainingSet:
    """A training window: catalog, normalized events, their per-pair interactions, user state."""

    catalog: Catalog
    events: pl.DataFrame
    pairs: pl.DataFrame
    state: UserState
    now_ms: int
    n_users: int
    _matrix: sparse.csr_matrix | None = field(default=None, repr=False)

    def matrix(self) -> sparse.csr_matrix:
        """Users x items preference weights (float32 CSR), net of negative feedback."""
        if self._matrix is None:
            self._matrix = preference_matrix(self.pairs, (self.n_users, self.catalog.size))
        return self._matrix


def preference_matrix(pairs: pl.DataFrame, shape: tuple[int, int]) -> sparse.csr_matrix:
    """The nonzero ``weight`` of each (user, item) pair as a users x items float32 CSR."""
    pairs = pairs.filter(pl.col("weight") != 0)
    return sparse.csr_matrix(
        (
            pairs["weight"].to_numpy().astype(np.float32),
            (pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy()),
        ),
        shape=shape,
    )


def empty_result(rows: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Padding arrays: ids -1 and scores -inf of shape (rows, n)."""
    return np.full((rows, n), -1, dtype=np.int64), np.full((rows, n), -np.inf, dtype=np.float32)


def top_n(ids: np.ndarray, scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best (ids, scores), best first, padded to length ``n``."""
    out_ids, out_scores = empty_result(1, n)
    if len(ids):
        k = min(n, len(ids))
        part = np.argpartition(-scores, k - 1)[:k] if len(ids) > k else np.arange(len(ids))
        order = part[np.argsort(-scores[part], kind="stable")]
        out_ids[0, :k] = ids[order]
        out_scores[0, :k] = scores[order]
    return out_ids[0], out_scores[0]


class Source:
    """Base class of retrieval sources (see the module docstring for the contract)."""

    #: the name the pipeline configuration uses
    name: ClassVar[str] = ""
    #: learned attributes (ending in ``_``) that ``save`` writes, all numpy arrays
    learned: ClassVar[tuple[str, ...]] = ()

    catalog: Catalog | None = None
    state: UserState | None = None
    clock: Clock = SystemClock()

    def fit(self, training: TrainingSet) -> Self:
        """Learn from ``training``; returns self."""
        raise NotImplementedError

    def recommend(self, user_ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidates for each user: (ids, scores) of shape (len(user_ids), n), best first."""
        user_ids = np.asarray(user_ids, dtype=np.int64).reshape(-1)
        ids, scores = empty_result(len(user_ids), n)
        for row, user in enumerate(user_ids):
            ids[row], scores[row] = self.recommend_one(int(user), n)
        return ids, scores

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidates for one user, padded to ``n``."""
        raise NotImplementedError

    def observe(self, events: Sequence[Any], weights: Sequence[float]) -> None:
        """Learn in real time from just-committed item events (with their ``event_weight``),
        before the user state takes them in; most sources learn only in ``fit``."""

    def bind(self, *, catalog: Catalog, state: UserState, clock: Clock) -> Self:
        """Attach the request-time catalog, user state and clock; returns self."""
        self.catalog, self.state, self.clock = catalog, state, clock
        return self

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as given to ``__init__``."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def save(self, path: Path) -> None:
        """Write params and learned arrays to ``path`` (.npz, no pickles)."""
        arrays = {name: np.asarray(getattr(self, name)) for name in self.learned}
        with Path(path).open("wb") as handle:
            arrays["__params__"] = np.array(json.dumps(self.get_params()))
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read a source written by ``save``; ``ArtefactError`` when it is missing or corrupt."""
        try:
            with np.load(path, allow_pickle=False) as data:
                source = cls(**json.loads(str(data["__params__"])))
                missing = [name for name in cls.learned if name not in data.files]
                if missing:
                    raise ArtefactError(
                        f"{path} lacks {', '.join(missing)}: written by another laotie version,"
                        " run `laotie train`",
                        path=str(path),
                    )
                for name in cls.learned:
                    setattr(source, name, data[name])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ArtefactError(
                f"cannot load {cls.__name__} from {path}: {exc}", path=str(path)
            ) from exc
        source.loaded()
        return source

    def loaded(self) -> None:
        """Rebuild derived, unsaved structures after ``load`` (e.g. an ANN index)."""

"""ALS on Spark MLlib: the early window's factorisation of ``laotie train``, distributed.

Spark's implicit-feedback ALS solves the same problem as implicit's (Hu, Koren and Volinsky
2008, negative weights as dislikes with confidence from ``|weight|``), with two differences the
mapping here accounts for or accepts:

* Spark scales the L2 penalty of a vector by its number of ratings (ALS-WR); implicit does not.
  ``regParam`` is ``regularization`` divided by the mean ratings per user, so an average user
  sees the penalty the single-process fit gives everyone.
* Spark's confidence is ``1 + alpha * |weight|``, implicit's ``alpha * |weight|``: kept as it is.
* Spark's penalty counts only positive entries, so a user or item with dislikes alone would
  be unregularised (singular normal equations on real logs full of skips): such rows are left
  out of the Spark fit and get no vector, like rows without entries.

The vectors come back to the driver and are adopted by the ``AlsSource``, so everything after
the fit (the re-solve to the whole window, the ANN index, the saved bundle) is the
single-process trainer's own code and the artefacts are the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from scipy import sparse

from laotie.engine.spark import parallelism
from laotie.feed.sources import AlsSource

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from laotie.feed.training import Factorise


def spark_factorise(session: SparkSession) -> Factorise:
    """The ``factorise`` hook of ``train``: ALS vectors fitted on ``session``'s executors."""

    def factorise(als: AlsSource, matrix: sparse.csr_matrix) -> AlsSource:
        users, items = fit_spark_als(session, als, matrix)
        return als.adopt(users, items, matrix)

    return factorise


def fit_spark_als(
    session: SparkSession, als: AlsSource, matrix: sparse.csr_matrix
) -> tuple[np.ndarray, np.ndarray]:
    """User and item vectors (float32, one row per matrix row/column; zeros where a user or
    item has no entry) of ``als``'s hyperparameters fitted by Spark MLlib on ``matrix``."""
    from pyspark.ml.recommendation import ALS

    coo = matrix.tocoo()
    # Spark regularises a row by lambda x its positive entries: a user or item with none is
    # not regularised at all and its normal equations can be singular (LAPACK dppsv fails),
    # so such rows get no vector here, as rows without entries
    positive = coo.data > 0
    liked_users = np.bincount(coo.row[positive], minlength=matrix.shape[0]) > 0
    liked_items = np.bincount(coo.col[positive], minlength=matrix.shape[1]) > 0
    keep = (coo.data != 0) & liked_users[coo.row] & liked_items[coo.col]
    if not keep.any():  # Spark refuses an empty fit; a model of nobody has no vectors
        return (
            np.zeros((matrix.shape[0], als.factors), np.float32),
            np.zeros((matrix.shape[1], als.factors), np.float32),
        )
    ratings = pa.table(
        {
            "user": pa.array(coo.row[keep].astype(np.int32)),
            "item": pa.array(coo.col[keep].astype(np.int32)),
            "weight": pa.array(coo.data[keep].astype(np.float32)),
        }
    )
    users_with_data = max(int(np.count_nonzero(np.diff(matrix.indptr))), 1)
    per_user = max(int(keep.sum()) / users_with_data, 1.0)
    blocks = parallelism(session)
    model = ALS(
        rank=als.factors,
        maxIter=als.iterations,
        regParam=als.regularization / per_user,
        alpha=als.alpha,
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="weight",
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        seed=als.random_state,
    ).fit(session.createDataFrame(ratings))
    return (
        _dense(model.userFactors, matrix.shape[0], als.factors),
        _dense(model.itemFactors, matrix.shape[1], als.factors),
    )


def _dense(factors: DataFrame, rows: int, rank: int) -> np.ndarray:
    """Spark's (id, features) rows as a dense float32 array of ``rows`` x ``rank``."""
    table = factors.toArrow()
    out = np.zeros((rows, rank), np.float32)
    ids = table.column("id").to_numpy()
    vectors = table.column("features").combine_chunks().flatten().to_numpy()
    out[ids] = vectors.reshape(len(ids), rank)
    return out

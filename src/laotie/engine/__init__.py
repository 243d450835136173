"""The distributed engine for the heavy batch work: Apache Spark.

Embedded by default (``--engine local``: the single-process trainer and a serial loop of A/B
replicates); ``--engine spark`` runs the ALS factorisation of ``laotie train`` as Spark MLlib's
distributed ALS and the replicates of ``laotie sim ab`` as Spark tasks, on the master named by
``LAOTIE_SPARK_MASTER`` (``local[2]``, or ``spark://host:7077`` for a standalone cluster).

Public face: ``ENGINES`` and ``check_engine``; ``spark_session`` and ``settings_session``
(context managers); ``spark_factorise`` (the ``factorise`` hook of ``FeedService.train``) and
``spark_map`` (the ``map_replicates`` hook of ``run_ab``).
"""

from laotie.engine.als import spark_factorise
from laotie.engine.spark import (
    ENGINES,
    check_engine,
    settings_session,
    spark_map,
    spark_session,
)

__all__ = [
    "ENGINES",
    "check_engine",
    "settings_session",
    "spark_factorise",
    "spark_map",
    "spark_session",
]

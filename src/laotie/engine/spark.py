"""A Spark session built from settings, and a parallel map over its executors."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from laotie.core.errors import Conflict, InvalidInput, ProviderError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from laotie.core.settings import Settings

log = logging.getLogger(__name__)

#: the engines ``--engine`` accepts: the embedded default and Apache Spark
ENGINES: tuple[str, ...] = ("local", "spark")


def check_engine(name: str) -> str:
    """``name`` when it is one of ``ENGINES``; InvalidInput naming the known ones otherwise."""
    if name not in ENGINES:
        raise InvalidInput(f"unknown engine {name!r}; known: {', '.join(ENGINES)}", field="engine")
    return name


@contextmanager
def spark_session(
    master: str,
    *,
    work_dir: Path,
    app_name: str = "laotie",
    driver_memory: str = "2g",
    driver_host: str = "127.0.0.1",
) -> Iterator[SparkSession]:
    """A Spark session on ``master`` (``local[N]`` or ``spark://host:port``), stopped on exit.

    The driver binds to ``driver_host`` (loopback for local masters); executors run
    Python work with this interpreter; scratch files go under ``work_dir``. ProviderError
    when the JVM cannot start (no Java 17) or the master cannot be reached; Conflict when
    this process already runs a session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # an install without the engine's dependency
        raise ProviderError(
            "pyspark is not installed: pip install pyspark", engine="spark"
        ) from exc
    running = SparkSession.getActiveSession()
    if running is not None:  # getOrCreate would hand it back whatever its master, then stop it
        raise Conflict(
            f"a Spark session on {running.sparkContext.master} is already running in this "
            "process; use it instead of starting another",
            field="spark_master",
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    # PySpark takes its executors' interpreter from this variable, not from the config below
    # (which only spark-submit reads): without it they start a bare python3 without laotie
    os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.host", driver_host)
        .config("spark.driver.bindAddress", driver_host)
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(work_dir))
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / PySparkRuntimeError: the JVM or the master is missing
        raise ProviderError(
            f"could not start Spark on {master}: {exc}; Spark needs Java 17 on PATH "
            "(Debian: openjdk-17-jre-headless) and a reachable master",
            engine="spark",
            master=master,
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    log.info("spark session on %s (%d default partitions)", master, parallelism(session))
    try:
        yield session
    finally:
        session.stop()


def settings_session(
    settings: Settings, *, app_name: str = "laotie"
) -> AbstractContextManager[SparkSession]:
    """``spark_session`` on ``LAOTIE_SPARK_MASTER`` with scratch under ``LAOTIE_HOME/spark``."""
    return spark_session(
        settings.spark_master,
        work_dir=settings.home.resolve() / "spark",
        app_name=app_name,
        driver_memory=settings.spark_driver_memory,
        driver_host=settings.spark_driver_host,
    )


def parallelism(session: SparkSession) -> int:
    """Task slots the session's executors offer (``spark.default.parallelism``)."""
    return max(int(session.sparkContext.defaultParallelism), 1)


def spark_map(session: SparkSession) -> Callable[[Callable[[Any], Any], list[Any]], list[Any]]:
    """A ``map`` that runs each call of the function as one Spark task (results in order).

    The function and its items travel to the executors pickled (cloudpickle), so they must
    not hold open files, connections or locks."""

    def mapped(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if not items:
            return []
        rdd = session.sparkContext.parallelize(items, len(items))
        return rdd.map(function).collect()

    return mapped

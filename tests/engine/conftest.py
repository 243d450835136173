"""A real Spark session (``local[2]``, driver on loopback) shared by the engine tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from laotie.engine import spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def java() -> None:
    """Skip, naming the package, where no Java runtime is installed (CI installs it)."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 on PATH (Debian: openjdk-17-jre-headless)")


@pytest.fixture(scope="session")
def spark(java: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One ``local[2]`` session for every engine test (its JVM takes seconds to start)."""
    work: Path = tmp_path_factory.mktemp("spark")
    with spark_session("local[2]", work_dir=work, app_name="laotie-tests") as session:
        yield session

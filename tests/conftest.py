"""Shared fixtures: the run's SparkSession (Delta) and Spark Connect server, fresh schemas."""

from __future__ import annotations

import os
import re
import uuid
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pyspark.sql import SparkSession

    from examples.remote_spark import ConnectServer

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: The session time zone of the test session. It is deliberately not UTC (and not a whole-hour
#: offset), so any code that lets the session time zone leak into stored instants fails tests.
SESSION_TIME_ZONE = "Asia/Kolkata"


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """Yield the one SparkSession of the run: local[2], UI off, Delta, Hive metastore in tmp."""
    from examples.local_spark import local_delta_session

    work_dir = tmp_path_factory.mktemp("spark")
    session = local_delta_session(
        "sparkforge-tests",
        work_dir=work_dir,
        extra_conf={
            "spark.sql.session.timeZone": SESSION_TIME_ZONE,
            # One driver serves the whole suite (thousands of tables); Spark 3.5's ran out of
            # its default 1 GiB heap after ~55 minutes of it.
            "spark.driver.memory": "2g",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectServer]:
    """Start the run's one Spark Connect server (Delta's extension and catalog) on first use.

    The CLI and the writer Connect tests share it (each start costs 15 to 30 s of the two
    cores); their tables live under their own tmp paths. Stopped at the end of the run,
    whatever happened.
    """
    from examples.remote_spark import start_connect_server

    running = start_connect_server(tmp_path_factory.mktemp("connect_server"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def schema(spark: SparkSession, request: pytest.FixtureRequest) -> Iterator[str]:
    """Create a fresh, uniquely named database for one test and drop it afterwards."""
    base = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40]
    name = f"t_{base}_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {name}")
    yield name
    spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")


@pytest.fixture
def table_path(tmp_path: Path) -> str:
    """Return a fresh directory path for a path-based Delta table."""
    return str(tmp_path / "delta_table")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the Spark fixture with ``spark`` so ``-m "not spark"`` works."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)

"""read_as_of and restore: versions and instants, and every point Delta cannot serve refused."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError, ValidationError
from sparkforge.table_operations.detail import history_entries

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import SparkSession

_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
_LISTING = "spark.sql.sources.parallelPartitionDiscovery.parallelism"


def _ids(frame: object) -> list[int]:
    return sorted(row["id"] for row in frame.collect())  # type: ignore[attr-defined]


@pytest.fixture
def three_versions(spark: SparkSession, table_path: str) -> ops.TableRef:
    """v0: ids 0-1; v1: 0-3 (append); v2: 10 (overwrite)."""
    spark.range(0, 2).coalesce(1).write.format("delta").save(table_path)
    spark.range(2, 4).coalesce(1).write.format("delta").mode("append").save(table_path)
    spark.range(10, 11).coalesce(1).write.format("delta").mode("overwrite").save(table_path)
    return ops.TableRef.at_path(table_path)


@pytest.fixture
def unsafe_vacuum_allowed(spark: SparkSession) -> Iterator[None]:
    """Set the test session's own conf: Delta's retention check off, listing on 2 tasks."""
    saved = {key: spark.conf.get(key, None) for key in (_CHECK, _LISTING)}
    spark.conf.set(_CHECK, "false")
    spark.conf.set(_LISTING, "2")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def test_read_as_of_a_version_and_an_instant(
    spark: SparkSession, three_versions: ops.TableRef
) -> None:
    table = three_versions
    commits = {e.version: e.timestamp for e in history_entries(spark, table, limit=None)}

    assert _ids(ops.read_as_of(spark, table, version=1)) == [0, 1, 2, 3]
    assert _ids(ops.read_as_of(spark, table, version=0)) == [0, 1]
    # An instant reads the newest commit at or before it, whatever the time zone it is in.
    # (Between two commits: Delta resolves instants by its commit files' times.)
    between_1_2 = (commits[1] + (commits[2] - commits[1]) / 2).astimezone(
        timezone(timedelta(hours=-7))
    )
    between_0_1 = commits[0] + (commits[1] - commits[0]) / 2
    assert _ids(ops.read_as_of(spark, table, timestamp=between_1_2)) == [0, 1, 2, 3]
    assert _ids(ops.read_as_of(spark, table, timestamp=between_0_1)) == [0, 1]


def test_read_as_of_refuses_points_delta_does_not_have(
    spark: SparkSession, three_versions: ops.TableRef
) -> None:
    table = three_versions
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"version": 99}, "version 99", r"Available versions: \[0, 2\]"),
        (
            {"timestamp": datetime(2000, 1, 1, tzinfo=timezone.utc)},
            "2000-01-01T00:00:00+00:00",
            "is before the earliest version available",
        ),
        (
            {"timestamp": datetime(2099, 1, 1, tzinfo=timezone.utc)},
            "2099-01-01T00:00:00+00:00",
            # Delta 4 names the condition; Delta 3.3 says it in words.
            "DELTA_TIMESTAMP_GREATER_THAN_COMMIT|is after the latest commit timestamp",
        ),
    ]
    for arguments, point, reason in cases:
        with pytest.raises(TableOperationError) as caught:
            ops.read_as_of(spark, table, **arguments)  # type: ignore[arg-type]
        error = caught.value
        assert error.code == "TABLE_VERSION_UNAVAILABLE"
        assert error.params["point"] == point
        assert re.search(reason, error.params["reason"])
        assert "An error occurred" not in str(error)


def test_read_as_of_checks_its_arguments_before_any_spark_call() -> None:
    table = ops.TableRef.at_path("/nonexistent/never_read")
    cases: list[tuple[dict[str, object], str]] = [
        ({}, "give exactly one of version and timestamp"),
        (
            {"version": 1, "timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc)},
            "give exactly one",
        ),
        ({"version": -1}, "expected an integer >= 0, got -1"),
        ({"version": True}, "expected an integer >= 0, got True"),
        ({"timestamp": datetime(2026, 1, 1)}, "expected a timezone-aware datetime"),
    ]
    for arguments, reason in cases:
        with pytest.raises(ValidationError) as caught:
            ops.read_as_of(None, table, **arguments)  # type: ignore[arg-type]
        assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
        assert reason in str(caught.value)


def test_restore_brings_back_old_rows_and_refuses_a_missing_version(
    spark: SparkSession, three_versions: ops.TableRef
) -> None:
    table = three_versions

    result = ops.restore(spark, table, 1)

    assert (result.restored_version, result.version) == (1, 3)
    assert (result.files_removed, result.files_restored, result.files_after) == (1, 2, 2)
    assert _ids(table.read(spark)) == [0, 1, 2, 3]
    with pytest.raises(TableOperationError) as caught:
        ops.restore(spark, table, 99)
    assert caught.value.code == "TABLE_VERSION_UNAVAILABLE"
    assert "DELTA_CANNOT_RESTORE_TABLE_VERSION" in caught.value.params["reason"]
    assert ops.latest_version(spark, table) == 3


@pytest.mark.usefixtures("unsafe_vacuum_allowed")
def test_a_vacuumed_version_is_refused_by_the_call(
    spark: SparkSession, three_versions: ops.TableRef
) -> None:
    table = three_versions
    vacuumed = ops.vacuum(spark, table, retention_hours=0, allow_unsafe_retention=True)
    assert vacuumed.files_deleted == 2  # v0's and v1's files, removed by the overwrite
    assert len(list(Path(str(table.path)).glob("*.parquet"))) == 1

    with pytest.raises(TableOperationError) as caught:
        ops.read_as_of(spark, table, version=1)
    assert caught.value.code == "TABLE_VERSION_UNAVAILABLE"
    assert caught.value.params["point"] == "version 1"
    assert "its data files were removed by the VACUUM of version 3" in str(caught.value)
    with pytest.raises(TableOperationError) as caught:
        ops.restore(spark, table, 0)
    assert caught.value.code == "TABLE_VERSION_UNAVAILABLE"
    assert "Not all files from version 0 are available" in caught.value.params["reason"]
    # The current version's files are there: the check (history + one listing) passes.
    started = time.perf_counter()
    frame = ops.read_as_of(spark, table, version=2)
    checked_secs = time.perf_counter() - started
    assert _ids(frame) == [10]
    assert checked_secs < 30


def test_a_catalog_table_travels_and_restores_by_its_quoted_name(
    spark: SparkSession, schema: str
) -> None:
    table = ops.TableRef.named(schema, "select")  # a keyword: only its quoted form works
    spark.range(0, 2).coalesce(1).write.format("delta").saveAsTable(table.quoted)
    spark.range(2, 3).coalesce(1).write.format("delta").mode("append").saveAsTable(table.quoted)
    second, first = history_entries(spark, table, limit=None)

    assert _ids(ops.read_as_of(spark, table, version=0)) == [0, 1]
    between = first.timestamp + (second.timestamp - first.timestamp) / 2
    assert _ids(ops.read_as_of(spark, table, timestamp=between)) == [0, 1]
    # Delta 4.0.1 shifts a catalog table's timestampAsOf by the session's offset, so these
    # are resolved from the history: the session here is Asia/Kolkata, 5:30 from UTC.
    for moment, reason in (
        (datetime(2000, 1, 1, tzinfo=timezone.utc), "before the earliest version available"),
        (datetime(2099, 1, 1, tzinfo=timezone.utc), "after the latest version, version 1"),
    ):
        with pytest.raises(TableOperationError) as caught:
            ops.read_as_of(spark, table, timestamp=moment)
        assert caught.value.code == "TABLE_VERSION_UNAVAILABLE"
        assert reason in caught.value.params["reason"]
    assert ops.restore(spark, table, 0).version == 2
    assert _ids(table.read(spark)) == [0, 1]
    assert ops.describe_table(spark, table).num_files == 1

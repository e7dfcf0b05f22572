"""optimize, vacuum, clustering and auto-compaction on real Delta tables, counted by Delta."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.errors import ConfigurationError, TableOperationError, ValidationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
_LISTING = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
SCHEMA = T.StructType([T.StructField("id", T.LongType()), T.StructField("k", T.StringType())])


def _append(spark: SparkSession, path: str, *ids: int) -> None:
    frame = spark.createDataFrame([(i, f"k{i % 3}") for i in ids], SCHEMA).coalesce(1)
    frame.write.format("delta").mode("append").save(path)


def _rows(spark: SparkSession, table: ops.TableRef) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in table.read(spark).collect())


def _data_files(path: str) -> int:
    return sum(1 for f in Path(path).rglob("*.parquet") if "_delta_log" not in f.parts)


def _set_conf(spark: SparkSession, values: dict[str, str]) -> None:
    """Set the test session's own conf (the library never does)."""
    for key, value in values.items():
        spark.conf.set(key, value)


def _restore_conf(spark: SparkSession, saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, value)


@pytest.mark.parametrize("commits", [10, pytest.param(50, marks=pytest.mark.long)])
def test_optimize_compacts_single_row_commits_and_changes_no_row(
    spark: SparkSession, table_path: str, commits: int
) -> None:
    for i in range(commits):
        _append(spark, table_path, i)
    table = ops.TableRef.at_path(table_path)
    before = _rows(spark, table)

    result = ops.optimize(spark, table)

    assert (result.files_before, result.files_after) == (commits, 1)
    assert (result.files_removed, result.files_added) == (commits, 1)
    assert (result.version, result.clustered, result.zorder_by) == (commits, False, ())
    assert result.bytes_after > 0
    assert result.bytes_before > result.bytes_after
    assert _rows(spark, table) == before
    assert f"{commits} -> 1" in str(result)
    # Nothing left to compact: no commit, and the result says so.
    again = ops.optimize(spark, table)
    assert (again.version, again.files_added, again.files_removed) == (None, 0, 0)
    assert (again.files_before, again.files_after) == (1, 1)
    assert ops.latest_version(spark, table) == commits


def test_optimize_zorders_and_refuses_bad_columns_before_any_change(
    spark: SparkSession, table_path: str
) -> None:
    for i in range(3):
        _append(spark, table_path, i, i + 10)
    table = ops.TableRef.at_path(table_path)
    before = _rows(spark, table)

    result = ops.optimize(spark, table, zorder_by=["k"])

    assert (result.files_before, result.files_after, result.version) == (3, 1, 3)
    assert result.zorder_by == ("k",)
    assert _rows(spark, table) == before
    with pytest.raises(TableOperationError) as caught:
        ops.optimize(spark, table, zorder_by=["nope"])
    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert "Z-order column(s) nope are not columns of the table (it has id, k)" in str(caught.value)
    with pytest.raises(ValidationError) as invalid:
        ops.optimize(spark, table, zorder_by="k")
    assert invalid.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert ops.latest_version(spark, table) == 3


def test_optimize_of_recent_partitions_only(spark: SparkSession, table_path: str) -> None:
    frame = spark.createDataFrame(
        [(i, date(2026, 3, 1 + i % 2)) for i in range(4)], "id BIGINT, run_date DATE"
    )
    for _ in range(2):
        frame.repartition(2).write.format("delta").mode("append").partitionBy("run_date").save(
            table_path
        )
    table = ops.TableRef.at_path(table_path)
    old_day = _data_files(str(Path(table_path, "run_date=2026-03-01")))
    new_day = _data_files(str(Path(table_path, "run_date=2026-03-02")))
    assert min(old_day, new_day) >= 2

    result = ops.optimize(spark, table, partitions_from=("run_date", date(2026, 3, 2)))

    # Only 2026-03-02 was compacted: its files became one; 2026-03-01's were not touched.
    assert (result.files_removed, result.files_added) == (new_day, 1)
    assert (result.files_before, result.files_after) == (old_day + new_day, old_day + 1)


def test_clustered_table_is_clustered_by_optimize(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    with pytest.raises(ConfigurationError) as both:
        ops.create_table_if_not_exists(spark, table, SCHEMA, partition_by=["k"], cluster_by=["k"])
    assert both.value.code == "CONFIG_INVALID"
    assert not Path(table_path).exists()

    assert ops.create_table_if_not_exists(spark, table, SCHEMA, cluster_by=["k"]) is True
    assert ops.describe_table(spark, table).clustering_columns == ("k",)
    for i in range(3):
        _append(spark, table_path, i, i + 3)
    before = _rows(spark, table)

    with pytest.raises(TableOperationError) as caught:
        ops.optimize(spark, table, zorder_by=["id"])
    assert "the table is clustered by k" in str(caught.value)
    result = ops.optimize(spark, table)

    assert result.clustered is True
    assert (result.files_before, result.files_after, result.version) == (3, 1, 4)
    assert _rows(spark, table) == before


def test_vacuum_refuses_a_short_retention_before_any_change(
    spark: SparkSession, table_path: str
) -> None:
    spark.createDataFrame([(1, "a")], SCHEMA).write.format("delta").save(table_path)
    spark.sql(
        f"ALTER TABLE delta.`{table_path}` SET TBLPROPERTIES "
        "('delta.deletedFileRetentionDuration' = 'interval 2 hours')"
    )
    table = ops.TableRef.at_path(table_path)

    with pytest.raises(TableOperationError) as caught:
        ops.vacuum(spark, table, retention_hours=1.5)
    assert caught.value.code == "TABLE_RETENTION_UNSAFE"
    assert (caught.value.params["hours"], caught.value.params["minimum"]) == ("1.5", "2")
    for bad in (-1.0, float("inf"), float("nan"), True, "168"):
        with pytest.raises(ValidationError) as invalid:
            ops.vacuum(spark, table, retention_hours=bad)  # type: ignore[arg-type]
        assert invalid.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert ops.latest_version(spark, table) == 1


def test_vacuum_dry_run_then_vacuum_removes_the_overwritten_files(
    spark: SparkSession, table_path: str
) -> None:
    for i in range(2):
        _append(spark, table_path, i)
    spark.createDataFrame([(9, "z")], SCHEMA).coalesce(1).write.format("delta").mode(
        "overwrite"
    ).save(table_path)
    table = ops.TableRef.at_path(table_path)
    assert _data_files(table_path) == 3
    saved = {key: spark.conf.get(key, None) for key in (_LISTING, _CHECK)}
    _set_conf(spark, {_LISTING: "2"})
    try:
        # Safe retention: the files were removed just now, nothing is old enough.
        assert ops.vacuum(spark, table, dry_run=True) == ops.VacuumResult(
            files_deleted=0, retention_hours=168.0, dry_run=True, version=None
        )
        # Unsafe retention allowed by us, but Delta's session check still refuses it.
        with pytest.raises(TableOperationError) as caught:
            ops.vacuum(spark, table, retention_hours=0, allow_unsafe_retention=True)
        assert caught.value.code == "TABLE_RETENTION_UNSAFE"
        assert f"set {_CHECK}=false in your session" in str(caught.value)

        _set_conf(spark, {_CHECK: "false"})
        dry = ops.vacuum(spark, table, retention_hours=0, allow_unsafe_retention=True, dry_run=True)
        assert (dry.files_deleted, dry.version) == (2, None)
        assert _data_files(table_path) == 3
        result = ops.vacuum(spark, table, retention_hours=0, allow_unsafe_retention=True)
    finally:
        _restore_conf(spark, saved)

    assert result == ops.VacuumResult(
        files_deleted=2, retention_hours=0.0, dry_run=False, version=4
    )
    assert _data_files(table_path) == 1
    assert _rows(spark, table) == [(9, "z")]


@pytest.mark.long
def test_auto_compaction_keeps_the_file_count_low(spark: SparkSession, tmp_path: Path) -> None:
    counts: dict[bool, tuple[int, float]] = {}
    for auto in (False, True):
        path = str(tmp_path / f"auto_{auto}")
        properties = {"delta.autoOptimize.autoCompact": "true"} if auto else {}
        table = ops.TableRef.at_path(path)
        ops.create_table_if_not_exists(spark, table, SCHEMA, properties=properties)
        started = time.perf_counter()
        for i in range(60):
            _append(spark, path, i)
        counts[auto] = (ops.describe_table(spark, table).num_files, time.perf_counter() - started)

    # Delta 4.0.1 compacts once a table holds autoCompact.minNumFiles (50) small files:
    # after the 50th append the 50 files became 1, and 10 appends followed.
    assert counts[False][0] == 60
    assert counts[True][0] == 11

"""The log table itself: creation, schema enforcement, reads, quality checks, Spark jobs."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.writer import (
    LOG_SCHEMA,
    LogWriter,
    WriterConfig,
    WriterTableError,
    WriterValidationError,
    rows_from_report,
)
from tests.factories import BASE_TIME, make_report
from tests.integration.writer_support import versions

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta


def test_create_table_is_idempotent_and_typed(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))

    assert writer.create_table() is True
    assert writer.create_table() is False

    schema = ops.read_schema(spark, writer.table)
    assert [(f.name, f.dataType) for f in schema] == [(f.name, f.dataType) for f in LOG_SCHEMA]
    assert versions(spark, writer.table) == [0]


def test_log_table_enforces_not_null(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.create_table()
    row = rows_from_report(make_report(1))[0]
    row["run_id"] = None  # type: ignore[typeddict-item]

    nullable = T.StructType([T.StructField(f.name, f.dataType, True) for f in LOG_SCHEMA])
    df = spark.createDataFrame([row], nullable, verifySchema=False)
    with pytest.raises(Exception, match="run_id"):
        df.write.format("delta").mode("append").save(table_path)
    assert versions(spark, writer.table) == [0]


def test_extra_nullable_column_is_tolerated(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.create_table()
    spark.sql(f"ALTER TABLE delta.`{table_path}` ADD COLUMNS (ticket STRING)")

    LogWriter(spark, WriterConfig(table_path=table_path)).write_report(make_report(1))

    assert writer.read_logs().where(F.col("ticket").isNull()).count() == 1


def test_narrower_column_is_refused_before_writing(spark: SparkSession, table_path: str) -> None:
    fields = [
        T.StructField(f.name, T.IntegerType(), f.nullable) if f.name == "valid_rows" else f
        for f in LOG_SCHEMA.fields
    ]
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, T.StructType(fields))

    with pytest.raises(WriterTableError) as caught:
        LogWriter(spark, WriterConfig(table_path=table_path)).write_report(make_report(1))

    assert "valid_rows is int, expected bigint" in caught.value.params["reason"]
    assert versions(spark, table) == [0]


def test_read_logs_filters_combine(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    week_ago = BASE_TIME - timedelta(days=7)
    old = make_report(2, pipeline="orders", start=week_ago)
    new = make_report(2, pipeline="orders")
    other = make_report(1, pipeline="events")
    writer.write_reports([old, new, other])

    def runs(**filters: object) -> set[str]:
        df = writer.read_logs(**filters)  # type: ignore[arg-type]
        return {r["run_id"] for r in df.select("run_id").distinct().collect()}

    assert runs() == {old.run_id, new.run_id, other.run_id}
    assert runs(pipeline_name="orders") == {old.run_id, new.run_id}
    assert runs(pipeline_name=["events"]) == {other.run_id}
    assert runs(run_id=old.run_id) == {old.run_id}
    assert runs(since=BASE_TIME - timedelta(days=1)) == {new.run_id, other.run_id}
    assert runs(until=BASE_TIME) == {old.run_id}
    assert runs(pipeline_name="orders", since=BASE_TIME) == {new.run_id}
    # An instant given in another offset is the same instant.
    kolkata = timezone(timedelta(hours=5, minutes=30))
    assert runs(since=BASE_TIME.astimezone(kolkata)) == {new.run_id, other.run_id}


def test_read_logs_rejects_naive_datetimes_and_bad_filters(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))

    with pytest.raises(WriterValidationError) as caught:
        writer.read_logs(since=datetime(2026, 1, 1), run_id=[1, 2])  # type: ignore[list-item]

    assert {p.path for p in caught.value.problems} == {"since", "run_id"}


def test_validate_data_quality_counts_each_problem(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.write_report(make_report(3))
    assert writer.validate_data_quality().passed

    # Rows that bypass the writer's checks, appended straight to the table.
    bad = rows_from_report(make_report(4))
    bad[0]["valid_rows"] = 1  # counts no longer add up, and the rate no longer matches
    bad[1]["end_time"] = BASE_TIME - timedelta(hours=1)  # ends before it starts
    bad[2]["validation_rate"] = 150.0  # out of range (and mismatching)
    bad[3]["step"] = bad[2]["step"]  # duplicate key
    bad[0]["rows_written"] = -5  # a negative count
    bad[1]["run_ended_at"] = None  # a column v1 rows must have (nullable for migrated rows)
    spark.createDataFrame(bad, LOG_SCHEMA, verifySchema=False).write.format("delta").mode(
        "append"
    ).save(table_path)

    result = writer.validate_data_quality()

    assert result.total_rows == 7
    assert result.failures == {
        "counts_mismatch": 1,
        "end_before_start": 1,
        "rate_out_of_range": 1,
        "rate_mismatch": 2,
        "duplicate_keys": 1,
        "negative_counts": 1,
        "required_nulls": 1,
    }
    assert not result.passed


def test_a_v1_writer_has_no_legacy_methods(spark: SparkSession, table_path: str) -> None:
    """The legacy methods live on the legacy class only: a v1 writer has no legacy branches."""
    writer = LogWriter(spark, WriterConfig(table_path=table_path))

    assert type(writer) is LogWriter
    assert not hasattr(writer, "append")
    assert not hasattr(writer, "show")
    with pytest.raises(TypeError):
        writer.create_table({"run": {}})  # type: ignore[call-arg]


def test_write_report_starts_only_an_idempotent_append_and_one_history_read(
    spark: SparkSession, table_path: str, tmp_path: object
) -> None:
    """The writer adds only the history read that finds its commit: no count, no re-read.

    A history read is Delta's ``DESCRIBE HISTORY`` (its command runs a job) and the collect of
    its rows: two jobs, measured here on the bare table rather than assumed.
    """
    tracker = spark.sparkContext.statusTracker()
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    raw_path = f"{table_path}_raw"
    raw = ops.TableRef.at_path(raw_path)
    ops.create_table_if_not_exists(spark, raw, LOG_SCHEMA, partition_by=["run_date"])
    writer.create_table()
    for table in (writer.table, raw):  # warm both tables' state the same way
        ops.latest_version(spark, table)

    def jobs(group: str, action: object) -> int:
        spark.sparkContext.setJobGroup(group, group)
        try:
            action()  # type: ignore[operator]
        finally:
            spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        return len(tracker.getJobIdsForGroup(group))

    report = make_report(20)
    rows = rows_from_report(report)
    group = uuid.uuid4().hex
    raw_jobs = jobs(
        f"raw-{group}",
        lambda: ops.append(
            spark.createDataFrame(rows, LOG_SCHEMA, verifySchema=False).coalesce(1),
            raw,
            transaction=ops.Transaction(app_id=f"raw/{report.run_id}"),
        ),
    )
    history_jobs = jobs(f"history-{group}", lambda: ops.recent_commits(spark, raw, limit=20))
    writer_jobs = jobs(f"writer-{group}", lambda: writer.write_report(report))

    assert 1 <= history_jobs <= 2
    assert writer_jobs == raw_jobs + history_jobs

"""Each WriterConfig option, shown by its effect on a real Delta log table."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING

import pytest

from sparkforge import table_operations as ops
from sparkforge.writer import (
    LogWriter,
    WriteMode,
    WriterConfig,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.config import DEFAULT_TABLE_PROPERTIES
from tests.factories import make_report
from tests.integration.writer_support import read_rows, versions

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta


def detail(spark: SparkSession, writer: LogWriter) -> dict[str, object]:
    row = writer.table.delta_table(spark).detail().collect()[0]
    return row.asDict(recursive=True)


def test_table_schema_and_name_make_a_catalog_table(spark: SparkSession, schema: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_schema=schema, table_name="run_log"))

    writer.write_report(make_report(1))

    assert spark.catalog.tableExists(f"{schema}.run_log")
    assert spark.table(f"{schema}.run_log").count() == 1


def test_table_name_pattern_and_environment(spark: SparkSession, schema: str) -> None:
    config = WriterConfig(
        table_schema=schema,
        table_name="run_log",
        table_name_pattern="{table_name}_{environment}",
        environment="staging",
    )
    writer = LogWriter(spark, config)

    writer.write_report(make_report(1, tags={"team": "data"}))

    assert spark.catalog.tableExists(f"{schema}.run_log_staging")
    assert not spark.catalog.tableExists(f"{schema}.run_log")
    (row,) = read_rows(writer.read_logs())
    assert row["tags"]["environment"] == "staging"  # type: ignore[index]
    assert row["tags"]["team"] == "data"  # type: ignore[index]


def test_run_tags_win_over_the_writer_environment(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, environment="staging"))

    writer.write_report(make_report(1, tags={"environment": "prod"}))

    (row,) = read_rows(writer.read_logs())
    assert row["tags"]["environment"] == "prod"  # type: ignore[index]


def test_write_mode_overwrite_replaces_rows_and_keeps_history(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, write_mode=WriteMode.OVERWRITE))
    first, second = make_report(3), make_report(2)

    writer.write_report(first)
    writer.write_report(second)

    assert {r["run_id"] for r in read_rows(writer.read_logs())} == {second.run_id}
    old = spark.read.format("delta").option("versionAsOf", 1).load(table_path)
    assert {r["run_id"] for r in old.select("run_id").collect()} == {first.run_id}


def test_write_mode_overwrite_keeps_every_batch_of_one_call(
    spark: SparkSession, table_path: str
) -> None:
    config = WriterConfig(table_path=table_path, write_mode="overwrite", batch_size=2)
    writer = LogWriter(spark, config)
    writer.write_report(make_report(1))
    reports = [make_report(2) for _ in range(3)]

    result = writer.write_reports(reports)

    assert result.commits == 3
    assert {r["run_id"] for r in read_rows(writer.read_logs())} == {r.run_id for r in reports}


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ((), []),
        (("run_date",), ["run_date"]),
        (("pipeline_name", "run_date"), ["pipeline_name", "run_date"]),
    ],
    ids=["unpartitioned", "run-date", "pipeline-then-date"],
)
def test_partition_columns(
    spark: SparkSession, table_path: str, columns: tuple[str, ...], expected: list[str]
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, partition_columns=columns))

    writer.write_report(make_report(1))

    assert detail(spark, writer)["partitionColumns"] == expected


def test_default_layout_is_unpartitioned_and_unclustered(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.create_table()
    assert detail(spark, writer)["partitionColumns"] == []
    assert detail(spark, writer)["clusteringColumns"] == []


def test_table_properties_merge_over_defaults(spark: SparkSession, table_path: str) -> None:
    properties = {"delta.logRetentionDuration": "interval 60 days", "team": "data-platform"}
    writer = LogWriter(spark, WriterConfig(table_path=table_path, table_properties=properties))

    assert writer.create_table() is True

    found = detail(spark, writer)["properties"]
    assert isinstance(found, dict)
    for key, value in {**DEFAULT_TABLE_PROPERTIES, **properties}.items():
        assert found[key] == value


def codecs(path: str) -> set[str]:
    """Return the codecs in the Parquet footers of a table's files (pyarrow's names)."""
    import pyarrow.parquet as pq

    found = set()
    for directory, _, names in os.walk(path):
        for name in names:
            if name.endswith(".parquet"):
                parquet = pq.ParquetFile(os.path.join(directory, name))
                found.add(parquet.metadata.row_group(0).column(0).compression)
                assert parquet.read().num_rows > 0  # another reader decodes it
    return found


@pytest.mark.parametrize(
    ("codec", "footer"),
    [("zstd", "ZSTD"), ("gzip", "GZIP"), ("lz4_raw", "LZ4"), ("uncompressed", "UNCOMPRESSED")],
    ids=["zstd", "gzip", "lz4-raw", "uncompressed"],
)
def test_compression_sets_the_parquet_codec(
    spark: SparkSession, table_path: str, codec: str, footer: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, compression=codec))  # type: ignore[arg-type]

    writer.write_report(make_report(2))

    assert codecs(table_path) == {footer}


def test_default_compression_is_snappy(spark: SparkSession, table_path: str) -> None:
    LogWriter(spark, WriterConfig(table_path=table_path)).write_report(make_report(1))
    assert codecs(table_path) == {"SNAPPY"}


def test_performance_monitoring_on_measures_writes(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.write_report(make_report(3))
    writer.write_report(make_report(2))

    metrics = writer.get_performance_metrics()

    assert metrics.monitoring_enabled
    assert (metrics.writes, metrics.runs_written, metrics.rows_written, metrics.commits) == (
        2,
        2,
        5,
        2,
    )
    assert metrics.total_duration_secs is not None
    assert metrics.total_duration_secs > 0
    assert metrics.max_duration_secs is not None
    assert metrics.max_duration_secs <= metrics.total_duration_secs
    assert metrics.rows_per_sec == pytest.approx(5 / metrics.total_duration_secs)
    assert metrics.peak_python_rss_growth_bytes is not None
    assert metrics.peak_python_rss_growth_bytes >= 0


def test_performance_monitoring_off_measures_nothing(spark: SparkSession, table_path: str) -> None:
    config = WriterConfig(table_path=table_path, enable_performance_monitoring=False)
    writer = LogWriter(spark, config)
    writer.write_report(make_report(3))
    writer.write_reports([make_report(2), make_report(1)])

    metrics = writer.get_performance_metrics()

    assert not metrics.monitoring_enabled
    # Counts are kept whatever the monitoring: two calls, three runs, six rows.
    assert (metrics.writes, metrics.runs_written, metrics.rows_written) == (2, 3, 6)
    assert (metrics.commits, metrics.failed_writes) == (2, 0)
    assert metrics.total_duration_secs is None
    assert metrics.rows_per_sec is None
    assert metrics.peak_python_rss_growth_bytes is None


def inconsistent_report() -> object:
    report = make_report(2)
    step = dataclasses.replace(report.steps[1], output_rows=999)  # != valid + invalid
    return dataclasses.replace(report, steps=(report.steps[0], step))


def test_data_quality_checks_on_reject_inconsistent_counts(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))

    with pytest.raises(WriterValidationError) as caught:
        writer.write_report(inconsistent_report())  # type: ignore[arg-type]

    assert [p.path for p in caught.value.problems] == ["steps[1].valid_rows"]


def test_data_quality_checks_off_log_inconsistent_counts(
    spark: SparkSession, table_path: str
) -> None:
    config = WriterConfig(table_path=table_path, enable_data_quality_checks=False)
    writer = LogWriter(spark, config)

    writer.write_report(inconsistent_report())  # type: ignore[arg-type]

    quality = writer.validate_data_quality()
    assert quality.failures == {"counts_mismatch": 1}


def test_data_quality_checks_off_still_reject_wrong_types(
    spark: SparkSession, table_path: str
) -> None:
    config = WriterConfig(table_path=table_path, enable_data_quality_checks=False)
    report = make_report(1)
    bad = dataclasses.replace(report, steps=(dataclasses.replace(report.steps[0], valid_rows=-3),))

    with pytest.raises(WriterValidationError):
        LogWriter(spark, config).write_report(bad)


def test_on_failure_warn_returns_a_failed_result(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    spark.range(1).write.format("delta").save(table_path)
    writer = LogWriter(spark, WriterConfig(table_path=table_path, on_failure="warn"))
    report = make_report(1)

    with caplog.at_level(logging.WARNING, logger="sparkforge.writer"):
        result = writer.write_report(report)

    assert not result.success
    assert isinstance(result.error, WriterTableError)
    assert result.written_run_ids == ()
    assert result.run_ids == (report.run_id,)
    assert any("failed" in r.getMessage() for r in caplog.records)
    assert writer.get_performance_metrics().failed_writes == 1


def test_on_failure_warn_covers_bad_input(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, on_failure="warn"))

    result = writer.write_report(dataclasses.replace(make_report(1), run_id=""))

    assert isinstance(result.error, WriterValidationError)
    assert not ops.table_exists(spark, writer.table)


def test_deduplication_scan_catches_a_run_resent_alone(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, deduplication="scan"))
    reports = [make_report(2) for _ in range(3)]
    writer.write_reports(reports)

    result = writer.write_report(reports[1])

    assert result.skipped
    assert writer.read_logs().count() == 6


def test_deduplication_transaction_misses_a_run_resent_in_another_grouping(
    spark: SparkSession, table_path: str
) -> None:
    # The documented limit of the default: ids are per commit, and this commit is new.
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    reports = [make_report(2) for _ in range(3)]
    writer.write_reports(reports)

    result = writer.write_report(reports[1])

    assert not result.skipped
    assert writer.validate_data_quality().failures == {"duplicate_keys": 2}


def test_deduplication_none_logs_a_retry_twice(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, deduplication="none"))
    report = make_report(2)
    writer.write_report(report)

    result = writer.write_report(report)

    assert not result.skipped
    assert result.rows_written == 2
    assert writer.read_logs().count() == 4
    assert len(versions(spark, writer.table)) == 3  # create + two appends


def test_max_commit_attempts_bounds_conflict_retries(spark: SparkSession, tmp_path: Path) -> None:
    import threading

    report = make_report(2)

    def race(path: str, attempts: int) -> list[str]:
        outcomes: list[str] = []
        barrier = threading.Barrier(6)
        config = WriterConfig(table_path=path, max_commit_attempts=attempts)
        writer = LogWriter(spark, config)
        writer.create_table()

        def one() -> None:
            barrier.wait()
            try:
                result = writer.write_report(report)
                outcomes.append("skipped" if result.skipped else "written")
            except WriterTableError as exc:
                outcomes.append(exc.code)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes

    patient = race(str(tmp_path / "patient"), 5)
    # Six writers released together overlap in practice; on a starved machine they may not,
    # so the impatient race gets up to three tables to show a conflict.
    for round_ in range(3):
        impatient = race(str(tmp_path / f"impatient_{round_}"), 1)
        if "TABLE_CONFLICT" in impatient:
            break

    # Delta lets exactly one commit of the run through either way; with retries the losers
    # all learn it is logged, without them the losers that overlapped it fail.
    assert sorted(patient) == ["skipped"] * 5 + ["written"]
    assert impatient.count("written") == 1
    assert "TABLE_CONFLICT" in impatient
    assert set(impatient) <= {"written", "skipped", "TABLE_CONFLICT"}

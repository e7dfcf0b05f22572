"""Each write's outcome on real Delta: written, skipped by Delta, or committed but unconfirmed.

Also the overwrite mode's coherence with retries, the table the writer refuses or warns about,
the read filters' checks, and the error contract with ``on_failure="warn"``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import TYPE_CHECKING, Literal

import pytest
from pyspark.sql import functions as F

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError
from sparkforge.writer import (
    LogWriter,
    WriterCommitUnconfirmedError,
    WriterConfig,
    WriterConfigurationError,
    WriterTableError,
    WriterValidationError,
)
from tests.factories import make_report
from tests.integration.writer_support import read_rows

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _run_ids(writer: LogWriter) -> set[str]:
    return {r["run_id"] for r in writer.read_logs().select("run_id").collect()}


def _rows(writer: LogWriter) -> int:
    return writer.read_logs().count()


# --------------------------------------------------------------------------- overwrite


def test_overwrite_whose_first_batch_was_committed_before_still_replaces(
    spark: SparkSession, table_path: str
) -> None:
    """overwrite([A]) then overwrite([A, B]): the table holds A and B only, nothing older."""
    config = WriterConfig(table_path=table_path, write_mode="overwrite", batch_size=1)
    writer = LogWriter(spark, config)
    a, b, other = make_report(1), make_report(1), make_report(1)
    writer.write_report(a)
    LogWriter(spark, WriterConfig(table_path=table_path)).write_report(other)  # appended

    result = writer.write_reports([a, b])

    assert _run_ids(writer) == {a.run_id, b.run_id}
    assert result.written_run_ids == (a.run_id, b.run_id)
    assert result.skipped_run_ids == ()


def test_overwrite_retried_completes_the_same_call_without_duplicates(
    spark: SparkSession, table_path: str
) -> None:
    config = WriterConfig(table_path=table_path, write_mode="overwrite", batch_size=1)
    writer = LogWriter(spark, config)
    reports = [make_report(1) for _ in range(3)]
    writer.write_reports(reports)
    versions_before = len(ops.recent_commits(spark, writer.table, limit=None))

    retry = writer.write_reports(reports)

    assert retry.skipped_run_ids == tuple(r.run_id for r in reports)
    assert retry.skipped
    assert len(ops.recent_commits(spark, writer.table, limit=None)) == versions_before
    assert _run_ids(writer) == {r.run_id for r in reports}
    assert _rows(writer) == 3


def test_overwrite_with_scan_deduplication_is_refused_before_anything() -> None:
    with pytest.raises(WriterConfigurationError) as caught:
        WriterConfig(table_path="/tmp/unused", write_mode="overwrite", deduplication="scan")
    assert caught.value.code == "WRITER_CONFIG_INVALID"
    assert "deduplication" in str(caught.value)
    assert "write_mode" in str(caught.value)


# --------------------------------------------------------------------------- three outcomes


@pytest.mark.parametrize("deduplication", ["transaction", "none"], ids=["txn", "none"])
def test_history_unreadable_after_a_commit_is_unconfirmed_not_unwritten(
    spark: SparkSession,
    table_path: str,
    monkeypatch: pytest.MonkeyPatch,
    deduplication: Literal["transaction", "none"],
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, deduplication=deduplication))
    writer.create_table()
    report = make_report(2)

    def unreadable(*args: object, **kwargs: object) -> list[ops.Commit]:
        raise TableOperationError(
            "TABLE_OPERATION_FAILED", {"operation": "history", "table": "t", "reason": "gone"}
        )

    monkeypatch.setattr(ops, "recent_commits", unreadable)
    with pytest.raises(WriterTableError) as caught:
        writer.write_report(report)

    assert caught.value.code == "WRITER_COMMIT_UNCONFIRMED"
    assert isinstance(caught.value, WriterCommitUnconfirmedError)
    assert caught.value.run_ids == (report.run_id,)
    assert report.run_id in caught.value.params["run_ids"]
    monkeypatch.undo()
    assert _run_ids(writer) == {report.run_id}  # Delta did commit it


def test_marker_missing_without_transaction_is_unconfirmed_not_skipped(
    spark: SparkSession, table_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = WriterConfig(table_path=table_path, deduplication="none", on_failure="warn")
    writer = LogWriter(spark, config)
    writer.create_table()
    real = ops.recent_commits

    def without_markers(*args: object, **kwargs: object) -> list[ops.Commit]:
        commits = real(*args, **kwargs)  # type: ignore[arg-type]
        return [dataclasses.replace(c, user_metadata=None) for c in commits]

    monkeypatch.setattr(ops, "recent_commits", without_markers)
    report = make_report(1)
    result = writer.write_report(report)

    assert result.skipped_run_ids == ()
    assert result.unconfirmed_run_ids == (report.run_id,)
    assert result.error is not None
    assert result.error.code == "WRITER_COMMIT_UNCONFIRMED"


def test_retry_is_skipped_by_delta_and_names_the_original_commit(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    report = make_report(2)
    first = writer.write_report(report)

    with caplog.at_level(logging.INFO, logger="sparkforge.writer"):
        retry = LogWriter(spark, WriterConfig(table_path=table_path)).write_report(report)

    assert retry.skipped
    assert retry.unconfirmed_run_ids == ()
    assert f"(commit {first.table_version})" in caplog.text


# --------------------------------------------------------------------------- the table


def test_a_table_that_is_not_a_log_is_named_so_and_left_untouched(
    spark: SparkSession, table_path: str
) -> None:
    spark.range(3).write.format("delta").save(table_path)
    writer = LogWriter(spark, WriterConfig(table_path=table_path))

    with pytest.raises(WriterTableError) as caught:
        writer.write_report(make_report(1))

    assert caught.value.code == "WRITER_NOT_A_LOG"
    assert len(ops.recent_commits(spark, writer.table, limit=None)) == 1


def test_options_an_existing_table_does_not_match_are_reported(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    LogWriter(spark, WriterConfig(table_path=table_path)).create_table()
    config = WriterConfig(
        table_path=table_path,
        partition_columns=("pipeline_name",),
        table_properties={"delta.logRetentionDuration": "interval 60 days"},
    )

    with caplog.at_level(logging.WARNING, logger="sparkforge.writer"):
        LogWriter(spark, config).write_report(make_report(1))

    assert "partition_columns" in caplog.text
    assert "the writer asks for ['pipeline_name'], the table has []" in caplog.text
    assert "delta.logRetentionDuration" in caplog.text


def test_a_clustering_an_existing_table_lacks_is_reported(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    LogWriter(spark, WriterConfig(table_path=table_path)).create_table()
    config = WriterConfig(table_path=table_path, cluster_by=("pipeline_name",))
    with caplog.at_level(logging.WARNING, logger="sparkforge.writer"):
        LogWriter(spark, config).write_report(make_report(1))
    assert "cluster_by: the writer asks for ['pipeline_name'], the table has []" in caplog.text


def test_a_new_table_gets_its_clustering(spark: SparkSession, table_path: str) -> None:
    config = WriterConfig(table_path=table_path, cluster_by=("pipeline_name", "run_started_at"))
    writer = LogWriter(spark, config)
    writer.write_report(make_report(2))
    detail = ops.describe_table(spark, writer.table)
    assert detail.clustering_columns == ("pipeline_name", "run_started_at")
    assert detail.partition_columns == ()
    assert writer.optimize().clustered


def test_matching_options_are_not_reported(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    LogWriter(spark, WriterConfig(table_path=table_path)).create_table()
    with caplog.at_level(logging.WARNING, logger="sparkforge.writer"):
        LogWriter(spark, WriterConfig(table_path=table_path)).write_report(make_report(1))
    assert "does not apply" not in caplog.text


# --------------------------------------------------------------------------- reads


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"pipeline_name": 5}, "pipeline_name"),
        ({"run_id": [1, 2]}, "run_id"),
        ({"pipeline_name": []}, "pipeline_name"),
    ],
    ids=["int-pipeline", "int-run-ids", "empty-list"],
)
def test_read_logs_wrong_filter_types_are_sparkforge_errors(
    spark: SparkSession, table_path: str, kwargs: dict[str, object], path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    with pytest.raises(WriterValidationError) as caught:
        writer.read_logs(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "WRITER_ARGUMENT_INVALID"
    assert [p.path for p in caught.value.problems] == [path]
    assert "nothing was written" not in str(caught.value)


def test_read_logs_since_after_until_is_refused(spark: SparkSession, table_path: str) -> None:
    from datetime import datetime, timezone

    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    with pytest.raises(WriterValidationError) as caught:
        writer.read_logs(
            since=datetime(2026, 5, 2, tzinfo=timezone.utc),
            until=datetime(2026, 5, 1, tzinfo=timezone.utc),
        )
    assert caught.value.code == "WRITER_ARGUMENT_INVALID"
    assert "not before until" in str(caught.value)


def test_read_logs_of_an_absent_table_says_so(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    with pytest.raises(WriterTableError) as caught:
        writer.read_logs()
    assert caught.value.code == "TABLE_NOT_FOUND"


# --------------------------------------------------------------------------- error contract


def test_on_failure_warn_never_raises_even_for_a_non_iterable(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, on_failure="warn"))
    result = writer.write_reports(5)  # type: ignore[arg-type]
    assert result.error is not None
    assert result.error.code == "WRITER_INPUT_INVALID"


def test_on_failure_warn_turns_an_unexpected_spark_failure_into_a_result(
    spark: SparkSession, table_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, on_failure="warn"))
    writer.create_table()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("An error occurred while calling o12.save.\n: java.io.IOException: disk")

    monkeypatch.setattr(ops, "append", broken)
    result = writer.write_report(make_report(1))

    assert result.error is not None
    assert result.error.code == "WRITER_WRITE_FAILED"
    assert "java.io.IOException: disk" in str(result.error)
    assert "An error occurred while calling" not in str(result.error)


def test_rows_written_is_what_delta_counted(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    report = make_report(4)
    result = writer.write_report(report)
    assert result.rows_written == len(read_rows(writer.read_logs()))
    metrics = writer.table.read(spark).agg(F.count(F.lit(1))).collect()[0][0]
    assert result.rows_written == metrics


def test_one_writer_shared_by_threads_logs_every_run_and_counts_exactly(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))  # the table is absent
    reports = [[make_report(2) for _ in range(3)] for _ in range(4)]
    errors: list[BaseException] = []

    def work(mine: list[object]) -> None:
        try:
            for report in mine:
                writer.write_report(report)  # type: ignore[arg-type]
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    expected = {r.run_id for mine in reports for r in mine}
    assert _run_ids(writer) == expected
    metrics = writer.get_performance_metrics()
    assert (metrics.writes, metrics.runs_written, metrics.commits) == (12, 12, 12)
    assert metrics.rows_written == _rows(writer)


# --------------------------------------------------------------------------- names users write


def test_three_part_name_and_a_keyword_schema_log_end_to_end(spark: SparkSession) -> None:
    """``spark_catalog.order.<table>``: a catalog, and a schema that is a SQL keyword."""
    config = WriterConfig(table_catalog="spark_catalog", table_schema="order", table_name="runs")
    writer = LogWriter(spark, config)
    try:
        report = make_report(2)
        result = writer.write_report(report)

        assert result.written_run_ids == (report.run_id,)
        assert _run_ids(writer) == {report.run_id}
        assert spark.catalog.tableExists("spark_catalog.`order`.runs")
        assert writer.validate_data_quality().passed
    finally:
        spark.sql("DROP SCHEMA IF EXISTS spark_catalog.`order` CASCADE")

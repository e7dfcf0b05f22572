"""LogWriter.write_report / write_reports on real Delta: rows, commits, idempotency, atomicity."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.models import StepStatus
from sparkforge.writer import (
    LOG_SCHEMA,
    LogWriter,
    WriterConfig,
    WriterConfigurationError,
    WriterTableError,
    WriterValidationError,
    rows_from_report,
)
from tests.factories import BASE_TIME, make_failed_before_steps, make_report
from tests.integration.writer_support import comparable, micros, read_rows, versions

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta

FIXED_NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    return FIXED_NOW


def path_writer(spark: SparkSession, path: str, **options: object) -> LogWriter:
    config = WriterConfig(table_path=path, **options)  # type: ignore[arg-type]
    return LogWriter(spark, config, clock=fixed_clock)


def test_write_report_rows_equal_flattened_report(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path)
    report = make_report(4, failed_step=2)

    result = writer.write_report(report)

    expected = [comparable(r) for r in rows_from_report(report, logged_at=FIXED_NOW)]
    assert read_rows(writer.read_logs()) == sorted(
        expected, key=lambda r: (str(r["run_id"]), r["step_index"])
    )
    assert result.run_id == report.run_id
    assert result.written_run_ids == (report.run_id,)
    assert result.rows_written == 4
    assert result.table_version == versions(spark, writer.table)[-1]
    assert not result.skipped
    assert result.success
    assert result.duration_secs > 0


def test_write_report_instants_do_not_depend_on_session_time_zone(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path)
    first, second = make_report(1), make_report(1)
    original = spark.conf.get("spark.sql.session.timeZone")
    try:
        writer.write_report(first)  # written under Asia/Kolkata
        spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
        writer.write_report(second)
    finally:
        spark.conf.set("spark.sql.session.timeZone", str(original))

    rows = read_rows(writer.read_logs())
    assert {r["run_started_at"] for r in rows} == {micros(BASE_TIME)}
    # 23:30 UTC on March 1st is March 2nd in Kolkata: the partition date is the UTC one.
    assert {str(r["run_date"]) for r in rows} == {"2026-03-01"}


def test_write_report_failed_before_any_step_leaves_a_run_row(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path)
    report = make_failed_before_steps()

    writer.write_report(report)

    (row,) = read_rows(writer.read_logs(run_id=report.run_id))
    assert row["row_kind"] == "run"
    assert row["run_status"] == "failed"
    assert row["error_type"] == "PipelineError"
    assert row["error_message"] == "bronze source orders is missing"
    assert row["step"] is None


def test_write_report_retry_after_commit_adds_nothing(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path)
    report = make_report(3)
    first = writer.write_report(report)
    before = versions(spark, writer.table)

    again = writer.write_report(report)

    assert again.skipped
    assert again.skipped_run_ids == (report.run_id,)
    assert again.rows_written == 0
    assert again.table_version is None
    assert versions(spark, writer.table) == before
    assert writer.read_logs().count() == first.rows_written == 3


def test_write_report_retry_from_a_new_writer_adds_nothing(
    spark: SparkSession, table_path: str
) -> None:
    report = make_report(2)
    path_writer(spark, table_path).write_report(report)

    again = path_writer(spark, table_path).write_report(report)

    assert again.skipped
    assert path_writer(spark, table_path).read_logs().count() == 2


def test_write_report_malformed_report_writes_nothing(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path)
    writer.write_report(make_report(1))
    before = versions(spark, writer.table)
    good = make_report(3)
    broken_step = dataclasses.replace(good.steps[1], valid_rows=-1, step_name="")
    bad = dataclasses.replace(good, steps=(good.steps[0], broken_step, good.steps[2]))

    with pytest.raises(WriterValidationError) as caught:
        writer.write_report(bad)

    assert caught.value.code == "WRITER_INPUT_INVALID"
    paths = {p.path for p in caught.value.problems}
    assert {"steps[1].valid_rows", "steps[1].step_name"} <= paths
    assert versions(spark, writer.table) == before


def test_write_report_malformed_report_on_absent_table_creates_nothing(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path)
    bad = dataclasses.replace(make_report(1), run_id="")

    with pytest.raises(WriterValidationError):
        writer.write_report(bad)

    assert not ops.table_exists(spark, writer.table)


def test_write_reports_one_commit_per_batch(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path, batch_size=7)
    reports = [make_report(3) for _ in range(5)]  # 15 rows: batches of 6, 6, 3 rows

    result = writer.write_reports(reports)

    assert result.commits == 3
    assert result.written_run_ids == tuple(r.run_id for r in reports)
    assert result.rows_written == 15
    assert writer.read_logs().count() == 15
    history = ops.history(spark, writer.table).where("operation = 'WRITE'").count()
    assert history == 3


def test_write_reports_default_batch_is_one_commit(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path)
    reports = [make_report(2) for _ in range(6)]

    result = writer.write_reports(reports)

    assert result.commits == 1
    assert result.rows_written == 12


def test_write_reports_retry_of_same_call_adds_nothing(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path, batch_size=4)
    reports = [make_report(2) for _ in range(4)]
    writer.write_reports(reports)
    before = versions(spark, writer.table)

    again = writer.write_reports(reports)

    assert again.skipped
    assert versions(spark, writer.table) == before


def test_write_reports_bad_report_anywhere_writes_nothing(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path, batch_size=2)
    reports = [make_report(1) for _ in range(4)]
    reports[3] = dataclasses.replace(reports[3], pipeline_name=" ")
    duplicate = reports[0]

    with pytest.raises(WriterValidationError) as caught:
        writer.write_reports([*reports, duplicate])

    paths = {p.path for p in caught.value.problems}
    assert paths == {
        "reports[3].pipeline_name",
        "reports[3].context.pipeline_name",
        "reports[4].run_id",
    }
    assert not ops.table_exists(spark, writer.table)


def test_execution_context_argument_overrides_report_context(
    spark: SparkSession, table_path: str
) -> None:
    writer = path_writer(spark, table_path)
    report = make_report(1, tags={"env": "test"})
    assert report.context is not None
    context = dataclasses.replace(report.context, tags={"env": "prod", "job": "nightly"})

    writer.write_report(report, context)

    (row,) = read_rows(writer.read_logs())
    assert row["tags"] == {
        "env": "prod",
        "job": "nightly",
        "spark_version": "4.0.1",
        "user": "tester",
    }


def test_write_report_skipped_step_keeps_null_counts(spark: SparkSession, table_path: str) -> None:
    writer = path_writer(spark, table_path)
    report = make_report(3, failed_step=1)
    skipped = dataclasses.replace(
        report.steps[2],
        status=StepStatus.SKIPPED,
        started_at=None,
        ended_at=None,
        duration_secs=None,
        input_rows=None,
        output_rows=None,
        rows_written=None,
        valid_rows=None,
        invalid_rows=None,
        validation_rate=None,
        rule_results=(),
        filtered_rows=None,
        previous_watermark=None,
    )
    report = dataclasses.replace(report, steps=(*report.steps[:2], skipped))

    writer.write_report(report)

    row = read_rows(writer.read_logs())[2]
    assert row["step_status"] == "skipped"
    assert row["valid_rows"] is None
    assert row["start_time"] is None
    assert row["rule_results"] == []


def test_write_report_logs_each_write(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    writer = path_writer(spark, table_path)
    report = make_report(2)

    with caplog.at_level(logging.INFO, logger="sparkforge.writer"):
        writer.write_report(report)
        writer.write_report(report)

    records = [r for r in caplog.records if r.name == "sparkforge.writer"]
    assert [getattr(r, "run_id", None) for r in records] == [report.run_id, report.run_id]
    assert [getattr(r, "pipeline", None) for r in records] == [report.pipeline_name] * 2
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert re.fullmatch(
        r"logged 2 row\(s\) at table version \d+ in \d+\.\d{3} s", records[0].getMessage()
    )
    assert records[1].getMessage().startswith("already in the log (commit ")


def test_log_writer_takes_its_logger_as_third_argument(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    mine = logging.getLogger("my_pipeline.audit")
    writer = LogWriter(spark, WriterConfig(table_path=table_path), mine)

    with caplog.at_level(logging.INFO, logger="my_pipeline.audit"):
        writer.write_report(make_report(1))

    assert [r.name for r in caplog.records if "logged 1 row(s)" in r.getMessage()] == [
        "my_pipeline.audit"
    ]
    with pytest.raises(WriterConfigurationError) as caught:
        LogWriter(spark, WriterConfig(table_path=table_path), "audit")  # type: ignore[call-overload]
    assert caught.value.params["option"] == "logger"


def test_write_report_on_incompatible_table_leaves_it_untouched(
    spark: SparkSession, table_path: str
) -> None:
    without_run_id = T.StructType([f for f in LOG_SCHEMA.fields if f.name != "run_id"])
    spark.createDataFrame([], without_run_id).write.format("delta").save(table_path)
    writer = path_writer(spark, table_path)
    before = versions(spark, writer.table)

    with pytest.raises(WriterTableError) as caught:
        writer.write_report(make_report(1))

    assert caught.value.code == "TABLE_SCHEMA_MISMATCH"
    assert "run_id is missing" in caught.value.params["reason"]
    assert versions(spark, writer.table) == before
    assert spark.read.format("delta").load(table_path).count() == 0


def test_rows_reach_spark_identically_with_and_without_pyarrow(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparkforge.writer import _commit

    report = make_report(5, failed_step=3)
    with_arrow = path_writer(spark, str(tmp_path / "arrow"))
    with_arrow.write_report(report)
    # pyarrow is a dev dependency: the fast path ran wherever Spark takes Arrow tables (4.0 on).
    assert (_commit._arrow_schema() is not None) == _commit.SPARK_TAKES_ARROW_TABLES
    monkeypatch.setattr(_commit, "_arrow_schema", lambda: None)  # as without pyarrow installed
    without = path_writer(spark, str(tmp_path / "list"))
    without.write_report(report)

    assert read_rows(with_arrow.read_logs()) == read_rows(without.read_logs())
    assert with_arrow.read_logs().schema == without.read_logs().schema

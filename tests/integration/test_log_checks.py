"""check_log_quality on a real Delta log table: each check counts exactly the rows it should."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F

from sparkforge.models import WriteMode
from sparkforge.validation import check_log_quality
from sparkforge.writer.models import LOG_SCHEMA, rows_from_report
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineReport
    from sparkforge.writer.models import LogRow


def _delta(spark: SparkSession, path: str, rows: list[LogRow]) -> DataFrame:
    """Write ``rows`` as a Delta log table at ``path`` and read it back."""
    spark.createDataFrame(rows, LOG_SCHEMA).write.format("delta").save(path)
    return spark.read.format("delta").load(path)


def _written(report: PipelineReport) -> PipelineReport:
    """Return ``report`` with every step writing its table by append (and counting it)."""
    steps = tuple(
        dataclasses.replace(step, write_mode=WriteMode.APPEND, rows_written=step.valid_rows)
        for step in report.steps
    )
    return dataclasses.replace(report, steps=steps)


def test_check_log_quality_passes_a_clean_log(spark: SparkSession, table_path: str) -> None:
    rows = rows_from_report(_written(make_report(4))) + rows_from_report(make_report(2))
    result = check_log_quality(_delta(spark, table_path, rows))
    assert result.total_rows == 6
    assert result.failures == {}
    assert result.passed
    assert [c.name for c in result.checks] == [
        "required_nulls",
        "negative_counts",
        "counts_mismatch",
        "end_before_start",
        "rate_out_of_range",
        "rate_mismatch",
        "rows_written_missing",
        "duplicate_keys",
    ]


def test_check_log_quality_finds_a_written_step_whose_count_was_lost(
    spark: SparkSession, table_path: str
) -> None:
    report = _written(make_report(3))
    lost = dataclasses.replace(report.steps[1], rows_written=None)
    failed = dataclasses.replace(report.steps[2], rows_written=None, error=None)
    rows = rows_from_report(dataclasses.replace(report, steps=(report.steps[0], lost, failed)))
    rows[2]["step_status"] = "failed"  # a failed step's count may be missing: not counted
    # A step that wrote no table (bronze, validation-only runs) has no count to lose.
    rows += rows_from_report(make_report(1))
    result = check_log_quality(_delta(spark, table_path, rows))
    assert result.failures == {"rows_written_missing": 1}


def test_check_log_quality_counts_each_broken_row_once_per_check(
    spark: SparkSession, table_path: str
) -> None:
    rows = rows_from_report(make_report(6))
    rows[0]["valid_rows"] = -1  # negative, counts mismatch and rate mismatch
    rows[1]["validation_rate"] = 150.0  # out of range and mismatching
    rows[2]["end_time"] = None  # a NULL end is no evidence of ending early
    rows[3]["schema_version"] = 0  # legacy row: v1 meanings do not apply to it
    rows[3]["valid_rows"] = 0
    rows.append(dict(rows[4]))  # type: ignore[arg-type]
    result = check_log_quality(_delta(spark, table_path, rows))
    assert result.total_rows == 7
    assert result.failures == {
        "negative_counts": 1,
        "counts_mismatch": 1,
        "rate_out_of_range": 1,
        "rate_mismatch": 2,
        "duplicate_keys": 1,
    }


def _jobs(spark: SparkSession, action: Callable[[], object]) -> int:
    context = spark.sparkContext
    group = f"sparkforge-log-checks-{uuid.uuid4().hex}"
    context.setJobGroup(group, "log checks")
    try:
        action()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    return len(context.statusTracker().getJobIdsForGroup(group))


def test_check_log_quality_is_one_aggregation(spark: SparkSession, table_path: str) -> None:
    log_df = _delta(spark, table_path, rows_from_report(make_report(3)))

    # Every check in one pass: the jobs of a single aggregation with one distinct count.
    def aggregate() -> object:
        return log_df.agg(F.count_distinct("run_id")).collect()

    _jobs(spark, aggregate)  # the first read of the table also loads its Delta state
    assert _jobs(spark, lambda: check_log_quality(log_df)) == _jobs(spark, aggregate)


@pytest.mark.parametrize("rows", [0], ids=["empty"])
def test_check_log_quality_on_an_empty_log(spark: SparkSession, table_path: str, rows: int) -> None:
    result = check_log_quality(_delta(spark, table_path, []))
    assert (result.total_rows, result.failures) == (rows, {})

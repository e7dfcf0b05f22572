"""prune: one DELETE of whole runs older than a cutoff, counted by Delta, undone by time travel."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F

from sparkforge import table_operations as ops
from sparkforge.errors import ValidationError
from sparkforge.writer.models import LOG_SCHEMA, rows_from_report
from tests.factories import BASE_TIME, make_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CUTOFF = BASE_TIME  # 2026-03-01 23:30 UTC: 2026-03-02 in the session's time zone
# run_id -> (start, steps); the first three start before the cutoff and are deleted.
RUNS = {
    "old_a": (BASE_TIME - timedelta(days=10), 3),
    "old_b": (BASE_TIME - timedelta(days=1), 2),
    "same_day_before": (datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc), 2),
    "at_cutoff": (CUTOFF, 1),
    "same_day_after": (datetime(2026, 3, 1, 23, 45, tzinfo=timezone.utc), 2),
    "new": (BASE_TIME + timedelta(days=2), 4),
}
DELETED = {"old_a", "old_b", "same_day_before"}


def _log_table(spark: SparkSession, table_path: str) -> ops.TableRef:
    rows = [
        row
        for run_id, (start, steps) in RUNS.items()
        for row in rows_from_report(make_report(steps, run_id=run_id, start=start))
    ]
    spark.createDataFrame(rows, LOG_SCHEMA).write.format("delta").partitionBy("run_date").save(
        table_path
    )
    return ops.TableRef.at_path(table_path)


def _rows_by_run(spark: SparkSession, table: ops.TableRef) -> dict[str, list[str]]:
    """Every row of the table, as text, by run (one job)."""
    found: dict[str, list[str]] = {}
    for row in table.read(spark).collect():
        found.setdefault(row["run_id"], []).append(repr(row))
    return {run_id: sorted(rows) for run_id, rows in found.items()}


def test_prune_deletes_whole_runs_only_in_one_commit(spark: SparkSession, table_path: str) -> None:
    table = _log_table(spark, table_path)
    before_prune = _rows_by_run(spark, table)

    result = ops.prune(spark, table, cutoff=CUTOFF)

    assert result == ops.PruneResult(cutoff=CUTOFF, runs=3, rows=7, version=1)
    # The deleted runs are gone, whole; the rest is untouched, row for row.
    after_prune = _rows_by_run(spark, table)
    assert set(after_prune) == set(RUNS) - DELETED
    assert after_prune == {k: v for k, v in before_prune.items() if k not in DELETED}
    # Time travel still has them, every row.
    before = ops.read_as_of(spark, table, version=0)
    deleted = (
        before.where(F.col("run_id").isin(sorted(DELETED))).groupBy("run_id").count().collect()
    )
    assert {r["run_id"]: r["count"] for r in deleted} == {
        "old_a": 3,
        "old_b": 2,
        "same_day_before": 2,
    }
    assert "version 1" in str(result)
    assert "runs  3" in str(result)

    # Nothing left to delete: Delta commits nothing, and the result says so.
    again = ops.prune(spark, table, cutoff=CUTOFF.astimezone(timezone(timedelta(hours=5))))
    assert again == ops.PruneResult(cutoff=CUTOFF, runs=0, rows=0, version=None)
    assert ops.latest_version(spark, table) == 1


def test_prune_refuses_a_bad_cutoff_before_any_change(spark: SparkSession, table_path: str) -> None:
    spark.range(1).write.format("delta").save(table_path)
    table = ops.TableRef.at_path(table_path)
    cases: list[tuple[object, str]] = [
        (datetime(2026, 3, 1), "expected a timezone-aware datetime, got datetime.datetime"),
        (None, "expected a timezone-aware datetime, got None"),
        ("2026-03-01", "expected a timezone-aware datetime, got '2026-03-01'"),
        (datetime.now(timezone.utc) + timedelta(days=1), "is in the future"),
    ]

    for cutoff, reason in cases:
        with pytest.raises(ValidationError) as caught:
            ops.prune(spark, table, cutoff=cutoff)  # type: ignore[arg-type]
        assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
        assert reason in str(caught.value)

    assert ops.latest_version(spark, table) == 0

"""The log's latest runs and one run's rows, listed (``sparkforge runs`` / ``steps`` print them).

Both are selections of the log's own rows (``LogWriter.read_logs`` with its filters pushed
down): a run's columns are the same on each of its rows, so a run is its distinct run
columns; the only aggregates are the run's step count and its rows written, summed from the
steps' own measured counts. Instants are collected as epoch microseconds, so they are UTC
whatever the session's or the machine's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sparkforge._result import Result

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["list_runs", "list_steps", "RunListing", "StepListing"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RUN_COLUMNS = ("run_id", "pipeline_name", "run_status", "run_mode")


def _instant(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunListing(Result):
    """One run of the log: its identity, status, instants, steps and rows written.

    Examples
    --------
    >>> run = RunListing(run_id="r1", pipeline_name="orders", run_status="failed",
    ...     run_mode="incremental", run_started_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    ...     run_ended_at=None, steps=3, failed_steps=1, rows_written=120, error_message=None)
    >>> run.to_dict()["run_started_at"], run.failed_steps
    ('2026-01-02T00:00:00+00:00', 1)
    """

    run_id: str
    pipeline_name: str
    run_status: str
    run_mode: str
    run_started_at: datetime | None
    run_ended_at: datetime | None
    steps: int
    failed_steps: int
    rows_written: int | None
    error_message: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StepListing(Result):
    """One row of a run: a step (``row_kind = "step"``) or the run's own row (``"run"``).

    Examples
    --------
    >>> row = StepListing(row_kind="step", step_index=1, phase="silver", step="clean_orders",
    ...     step_status="success", start_time=None, end_time=None, duration_secs=2.5,
    ...     input_rows=4, rows_written=3, valid_rows=3, invalid_rows=1, validation_rate=75.0,
    ...     table_fqn="shop.clean_orders", error_type=None, error_message=None)
    >>> row.to_dict()["validation_rate"], row.table_fqn
    (75.0, 'shop.clean_orders')
    """

    row_kind: str
    step_index: int | None
    phase: str | None
    step: str | None
    step_status: str | None
    start_time: datetime | None
    end_time: datetime | None
    duration_secs: float | None
    input_rows: int | None
    rows_written: int | None
    valid_rows: int | None
    invalid_rows: int | None
    validation_rate: float | None
    table_fqn: str | None
    error_type: str | None
    error_message: str | None


def list_runs(log_df: DataFrame, *, status: str | None, limit: int) -> tuple[RunListing, ...]:
    """Return the newest ``limit`` runs of ``log_df``, newest first.

    Parameters
    ----------
    log_df
        The run log, or any filtered part of it (e.g. ``writer.read_logs(pipeline_name=...)``).
    status
        Only runs of this ``run_status`` (``"success"``, ``"failed"``...), or every run.
    limit
        How many runs at most.

    Returns
    -------
    tuple of RunListing
        One per run: its identity, status, UTC instants, step count, failed steps, the rows
        its steps wrote (summed from their measured counts) and its error message.

    Examples
    --------
    ```python
    for run in list_runs(writer.read_logs(), status="failed", limit=5):
        print(run.run_id, run.run_started_at, run.error_message)
    ```
    """
    from pyspark.sql import functions as F

    if status is not None:
        log_df = log_df.where(F.col("run_status") == status)
    is_step = F.col("row_kind") == "step"
    runs_df = (
        log_df.groupBy(*_RUN_COLUMNS)
        .agg(
            F.max(F.unix_micros("run_started_at")).alias("started_us"),
            F.max(F.unix_micros("run_ended_at")).alias("ended_us"),
            F.count(F.when(is_step, 1)).alias("steps"),
            F.count(F.when(is_step & (F.col("step_status") == "failed"), 1)).alias("failed"),
            F.sum(F.when(is_step, F.col("rows_written"))).alias("rows_written"),
            F.max("error_message").alias("error_message"),
        )
        .orderBy(F.col("started_us").desc_nulls_last(), F.col("run_id"))
        .limit(limit)
    )
    return tuple(
        RunListing(
            run_id=row["run_id"],
            pipeline_name=row["pipeline_name"],
            run_status=row["run_status"],
            run_mode=row["run_mode"],
            run_started_at=_instant(row["started_us"]),
            run_ended_at=_instant(row["ended_us"]),
            steps=int(row["steps"]),
            failed_steps=int(row["failed"]),
            rows_written=None if row["rows_written"] is None else int(row["rows_written"]),
            error_message=row["error_message"],
        )
        for row in runs_df.collect()
    )


def list_steps(run_df: DataFrame) -> tuple[StepListing, ...]:
    """Return the rows of one run (``run_df`` holds only its rows), steps in their order.

    Examples
    --------
    ```python
    for row in list_steps(writer.read_logs(run_id="r-42")):
        print(row.step, row.step_status, row.rows_written, row.duration_secs)
    ```
    """
    from pyspark.sql import functions as F

    rows = (
        run_df.select(
            "row_kind",
            "step_index",
            "phase",
            "step",
            "step_status",
            F.unix_micros("start_time").alias("start_us"),
            F.unix_micros("end_time").alias("end_us"),
            "duration_secs",
            "input_rows",
            "rows_written",
            "valid_rows",
            "invalid_rows",
            "validation_rate",
            "table_fqn",
            "error_type",
            "error_message",
        )
        .orderBy(F.col("step_index").asc_nulls_last())
        .collect()
    )
    return tuple(
        StepListing(
            row_kind=row["row_kind"],
            step_index=row["step_index"],
            phase=row["phase"],
            step=row["step"],
            step_status=row["step_status"],
            start_time=_instant(row["start_us"]),
            end_time=_instant(row["end_us"]),
            duration_secs=row["duration_secs"],
            input_rows=row["input_rows"],
            rows_written=row["rows_written"],
            valid_rows=row["valid_rows"],
            invalid_rows=row["invalid_rows"],
            validation_rate=row["validation_rate"],
            table_fqn=row["table_fqn"],
            error_type=row["error_type"],
            error_message=row["error_message"],
        )
        for row in rows
    )

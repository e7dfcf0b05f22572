"""Retention of the run log: deleting whole runs older than a cutoff, in one Delta commit.

All rows of a run carry the run's ``run_started_at``, so deleting the rows that started
before the cutoff deletes whole runs only. The delete is SQL (``DELETE FROM``), never
``DeltaTable``; the cutoff enters the SQL text only as integers formatted here
(``TIMESTAMP_MICROS(<int>)``, ``DATE_FROM_UNIX_DATE(<int>)``). The deleted runs stay readable
by time travel ([`read_as_of`][sparkforge.table_operations.read_as_of]) until a VACUUM removes their
files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from sparkforge._result import Result
from sparkforge.errors import ProblemCollector
from sparkforge.table_operations.conflicts import retry_on_conflict
from sparkforge.table_operations.detail import (
    commit_after,
    latest_entry,
    render_lines,
    unix_micros,
)
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from pyspark.sql import Row, SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["prune", "PruneResult"]

_UNIX_EPOCH_DATE = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PruneResult(Result):
    """What one [`prune`][sparkforge.table_operations.prune] deleted.

    Attributes
    ----------
    cutoff : datetime
        Runs started before this UTC instant were deleted.
    runs : int
        Distinct ``run_id`` among exactly the deleted rows (counted on the version the
        DELETE read, with the DELETE's own predicate).
    rows : int
        Rows deleted (the DELETE commit's ``numDeletedRows`` metric).
    version : int or None
        The version the DELETE committed; None when nothing matched (Delta commits nothing).

    Examples
    --------
    >>> result = PruneResult(cutoff=datetime(2026, 1, 1, tzinfo=timezone.utc), runs=2,
    ...                      rows=7, version=12)
    >>> print(result)
    Prune of runs started before 2026-01-01T00:00:00+00:00 (version 12)
      runs  2
      rows  7
    """

    cutoff: datetime
    runs: int
    rows: int
    version: int | None

    def __str__(self) -> str:
        done = "nothing deleted" if self.version is None else f"version {self.version}"
        return render_lines(
            f"Prune of runs started before {self.cutoff.isoformat()} ({done})",
            [("runs", self.runs), ("rows", self.rows)],
        )


def _check_cutoff(cutoff: object) -> datetime:
    from sparkforge.reporting._log_frame import argument_error, check_instant

    problems = ProblemCollector()
    instant = check_instant(problems, "cutoff", cutoff)
    if cutoff is None:
        problems.add("cutoff", "expected a timezone-aware datetime, got None")
    elif instant is not None and instant > datetime.now(timezone.utc):
        problems.add(
            "cutoff",
            f"{instant.isoformat()} is in the future: it would delete runs still being "
            "logged (a negative retention)",
        )
    if problems or instant is None:
        raise argument_error("prune arguments", problems)
    return instant


def _deleted_rows(metric: int | None, output: list[Row]) -> int:
    """Return the DELETE commit's ``numDeletedRows``, else what the DELETE itself returned."""
    if metric is not None:
        return metric
    affected = output[0]["num_affected_rows"] if output else None
    return 0 if affected is None else int(affected)


def prune(spark: SparkSession, table: TableRef, *, cutoff: datetime) -> PruneResult:
    """Delete every run of the log that started before ``cutoff``, in one Delta DELETE.

    The predicate is ``run_date <= cutoff.date() AND run_started_at < cutoff``; the first
    half only prunes the ``run_date`` partitions the DELETE reads (a run's date is the UTC
    date of its start). Rows without ``run_started_at`` are kept. A commit conflict with a
    concurrent writer is retried (the DELETE is idempotent).

    Parameters
    ----------
    spark
        The session.
    table
        The log table (it needs ``run_id``, ``run_started_at`` and ``run_date``).
    cutoff
        A timezone-aware instant, not in the future.

    Returns
    -------
    PruneResult
        Rows deleted (Delta's metric), distinct runs among them (counted on the version the
        DELETE read), and the version it committed.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` for a naive, future or non-datetime cutoff, before any
        Spark call.
    TableOperationError
        ``TABLE_CONFLICT`` or ``TABLE_OPERATION_FAILED`` with Delta's reason.

    Examples
    --------
    With a session ``spark`` and a log ``table`` (the integration tests run this):

    ```python
    prune(spark, table, cutoff=datetime(2026, 1, 1, tzinfo=timezone.utc)).runs  # 3
    ```
    """
    instant = _check_cutoff(cutoff)
    day = (instant.date() - _UNIX_EPOCH_DATE).days
    predicate = (
        f"run_date <= DATE_FROM_UNIX_DATE({int(day)}) "
        f"AND run_started_at < TIMESTAMP_MICROS({int(unix_micros(instant))})"
    )
    latest = latest_entry(spark, table)
    before = None if latest is None else latest.version
    statement = f"DELETE FROM {table.sql_name} WHERE {predicate}"
    output = retry_on_conflict(lambda: spark.sql(statement).collect(), name="prune", table=table)
    commit = commit_after(spark, table, before, {"DELETE"})
    if commit is None:
        return PruneResult(cutoff=instant, runs=0, rows=0, version=None)
    read_version = commit.read_version if commit.read_version is not None else commit.version - 1
    try:
        (row,) = spark.sql(
            f"SELECT COUNT(DISTINCT run_id) AS runs FROM {table.sql_name} "
            f"VERSION AS OF {int(read_version)} WHERE {predicate}"
        ).collect()
    except Exception as exc:
        raise operation_failed("prune", table, exc) from exc
    return PruneResult(
        cutoff=instant,
        runs=int(row["runs"]),
        rows=_deleted_rows(commit.metric("numDeletedRows"), output),
        version=commit.version,
    )

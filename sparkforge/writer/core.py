"""``LogWriter``: the user's one object for the Delta run log.

Its methods are thin: the checks of a report live in `sparkforge.validation`, the
report -> rows mapping in `sparkforge.writer.models`, the commits and their three outcomes
(written, skipped by Delta, committed but not confirmed) in ``sparkforge.writer._commit``, and
the table's lifecycle in ``sparkforge.writer._table``. The writer never re-reads the rows it
wrote: the commit's own entry in the table history gives the version and Delta's row count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from sparkforge import table_operations as ops
from sparkforge.errors import SparkForgeError
from sparkforge.performance import MemoryProbe, Timer
from sparkforge.writer._commit import Progress
from sparkforge.writer._prepare import prepare_runs
from sparkforge.writer._questions import LogQuestions
from sparkforge.writer._reading import log_filter
from sparkforge.writer._state import Clock
from sparkforge.writer._table import as_writer_error
from sparkforge.writer._upkeep import LogUpkeep
from sparkforge.writer.exceptions import WriterError, WriterTableError, WriterValidationError
from sparkforge.writer.results import WriterMetrics

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Sequence
    from datetime import date, datetime

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.logging import PipelineLogger
    from sparkforge.models import ExecutionContext, PipelineReport
    from sparkforge.writer.config import WriterConfig
    from sparkforge.writer.legacy import LegacyLogWriter
    from sparkforge.writer.results import WriteResult

__all__ = ["Clock", "LogWriter"]


class LogWriter(LogQuestions, LogUpkeep):
    """Write pipeline run reports to the Delta run log, and answer questions over it.

    A writer may be shared between threads: its counters are kept under a lock, and each
    call's commits are its own.

    Parameters
    ----------
    spark
        The session to use (the writer never creates one or changes its settings).
    config
        Where and how to write.
    logger
        Where to log each write; defaults to the ``sparkforge.writer`` logger.
    clock
        Where ``logged_at`` comes from.

    Notes
    -----
    The legacy form ``LogWriter(spark, write_schema, logs_table_name)`` still works: it
    returns a `LegacyLogWriter` (an instance of
    ``LogWriter``) with the legacy methods and table; see docs/legacy.md.

    Examples
    --------
    With a session ``spark`` and a run's ``report`` (the integration tests run this):

    ```python
    from sparkforge.writer import LogWriter, WriterConfig

    writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
    result = writer.write_report(report)
    result.rows_written, result.table_version, result.skipped  # (5, 3, False)
    ```
    """

    @overload
    def __new__(
        cls,
        spark: SparkSession,
        config: WriterConfig,
        logger: logging.Logger | PipelineLogger | None = None,
        *,
        clock: Clock | None = None,
    ) -> LogWriter: ...

    @overload
    def __new__(cls, spark: SparkSession, config: str, logs_table_name: str) -> LegacyLogWriter: ...

    def __new__(
        cls, spark: SparkSession, config: object, *args: object, **kwargs: object
    ) -> LogWriter:
        """Return a new writer (a ``LegacyLogWriter`` for the legacy positional form)."""
        if cls is LogWriter and isinstance(config, str):
            from sparkforge.writer.legacy import LegacyLogWriter

            return object.__new__(LegacyLogWriter)
        return object.__new__(cls)

    # ------------------------------------------------------------------ table

    def create_table(self) -> bool:
        """Create the log table: [`sparkforge.writer.LOG_SCHEMA`][], partitioning and properties.

        Nothing happens when it exists and can hold the log. Options that an existing table
        does not match (its partitioning, its properties) are logged as warnings: they apply
        only when a table is created.

        Returns
        -------
        bool
            Whether the table was absent when the call began (this call, or a writer racing
            it, created it).

        Raises
        ------
        WriterTableError
            If the session cannot use Delta (nothing is created), the table exists with an
            incompatible schema or is not a log (it is left untouched), or Delta/Spark failed.

        Examples
        --------
        Writing creates the table when needed; create it ahead, say in a deployment step:

        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        writer.create_table()  # True: the table was created
        writer.create_table()  # False: it was there already
        ```
        """
        with self._lock:
            return self._log_table.ensure()

    # ------------------------------------------------------------------ writing

    def write_report(
        self, report: PipelineReport, execution_context: ExecutionContext | None = None
    ) -> WriteResult:
        """Log one run: its rows land in one Delta commit, or not at all.

        Parameters
        ----------
        report
            The run's report.
        execution_context
            Where the run executed; defaults to ``report.context``.

        Returns
        -------
        WriteResult
            Rows written, the table version, the duration, and ``skipped`` when Delta found
            the run already logged (a retry: nothing was added).

        Raises
        ------
        WriterValidationError
            If the report is malformed: every problem is listed and nothing is written.
        WriterTableError
            If the table is incompatible (untouched) or Delta/Spark failed;
            ``WRITER_COMMIT_UNCONFIRMED`` when the write returned but its commit could not be
            confirmed. With ``on_failure="warn"`` nothing is raised: the result carries it.

        Examples
        --------
        With a pipeline's ``report`` (``pipeline.run_initial_load(...)`` returns one):

        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        result = writer.write_report(report)
        print(result.run_id, result.rows_written, result.table_version)
        writer.write_report(report).skipped  # True: a retry adds nothing
        ```
        """
        return self._write([(report, execution_context)], prefix=False)

    def write_reports(
        self, reports: Iterable[PipelineReport | tuple[PipelineReport, ExecutionContext | None]]
    ) -> WriteResult:
        """Log many runs in as few commits as ``batch_size`` allows.

        Each commit holds whole runs (a run is never split). Runs Delta finds already logged
        are skipped. When a later commit fails, the runs of the earlier ones stay logged (see
        ``written_run_ids``); calling again with the same reports completes the log without
        duplicates. With ``write_mode="overwrite"`` the first commit replaces the table and
        the later ones add to it; a retry of the same call completes it.

        Parameters
        ----------
        reports
            Reports, or ``(report, execution_context)`` pairs.

        Returns
        -------
        WriteResult
            What was written, skipped and left unconfirmed.

        Raises
        ------
        WriterValidationError
            If any report is malformed (paths are prefixed ``reports[i].``); nothing is
            written.
        WriterTableError
            As for [`write_report`][sparkforge.writer.LogWriter.write_report].

        Examples
        --------
        A backfill of reports kept elsewhere, in commits of at most 10,000 rows:

        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        config = WriterConfig(table_schema="ops", table_name="run_log", batch_size=10_000)
        writer = LogWriter(spark, config)
        result = writer.write_reports([report_1, (report_2, context_2)])
        print(result.written_run_ids, result.skipped_run_ids, result.commits)
        ```
        """
        try:
            items = [item if isinstance(item, tuple) else (item, None) for item in reports]
        except TypeError as exc:
            error = WriterValidationError(
                "WRITER_INPUT_INVALID",
                {"subject": "reports", "problems": f"expected an iterable of reports ({exc})"},
            )
            return self._finish(Progress(run_ids=()), 0.0, error, None)
        return self._write(items, prefix=True)

    def _write(
        self, items: list[tuple[PipelineReport, ExecutionContext | None]], *, prefix: bool
    ) -> WriteResult:
        monitoring = self.config.enable_performance_monitoring
        probe = MemoryProbe() if monitoring else None
        progress = Progress(run_ids=tuple(_run_id_text(report) for report, _ in items))
        timer = Timer()
        error: WriterError | None = None
        first_day: date | None = None
        try:
            with timer:
                if probe is None:
                    first_day = self._commit_all(items, progress, prefix=prefix)
                else:
                    with probe:
                        first_day = self._commit_all(items, progress, prefix=prefix)
        except WriterError as exc:
            error = exc
        except SparkForgeError as exc:
            error = as_writer_error(exc)
        except Exception as exc:  # the contract: nothing raw escapes, with "warn" nothing at all
            error = WriterTableError(
                "WRITER_WRITE_FAILED",
                {
                    "runs": str(len(items)),
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            )
            error.__cause__ = exc
        return self._finish(progress, timer.duration_secs, error, probe, first_day)

    def _finish(
        self,
        progress: Progress,
        duration_secs: float,
        error: WriterError | None,
        probe: MemoryProbe | None,
        first_day: date | None = None,
    ) -> WriteResult:
        result = progress.result(duration_secs, error=error)
        self._account(result, probe)
        if error is None:
            result = self._after_write(result, first_day)
        if error is not None:
            if self.config.on_failure == "raise":
                raise error
            self._log.warning("writing %d run(s) to the log failed: %s", len(result.run_ids), error)
        return result

    def _account(self, result: WriteResult, probe: MemoryProbe | None) -> None:
        # Counts are kept whatever the monitoring; timings and memory only while it is on.
        with self._lock:
            self._writes += 1
            self._failed_writes += 0 if result.success else 1
            self._rows_written += result.rows_written
            self._runs_written += len(result.written_run_ids)
            self._runs_skipped += len(result.skipped_run_ids)
            self._commits += result.commits
            if probe is not None:
                self._stats.record(
                    rows=result.rows_written,
                    duration_secs=result.duration_secs,
                    peak_python_rss_growth_bytes=probe.peak_python_rss_growth_bytes,
                    failed=not result.success,
                )

    def _commit_all(
        self,
        items: list[tuple[PipelineReport, ExecutionContext | None]],
        progress: Progress,
        *,
        prefix: bool,
    ) -> date | None:
        """Commit the runs; return the earliest UTC day they started on (for compaction)."""
        runs = prepare_runs(items, self.config, self._clock, prefix=prefix)
        with self._lock:
            self._log_table.ensure()
        self._engine.commit_all(runs, progress)
        days = [run.rows[0]["run_date"] for run in runs if run.rows]
        return min((day for day in days if day is not None), default=None)

    # ------------------------------------------------------------------ reading

    def read_logs(
        self,
        *,
        pipeline_name: str | Sequence[str] | None = None,
        run_id: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        as_of_version: int | None = None,
        as_of_timestamp: datetime | None = None,
    ) -> DataFrame:
        """Return the log as a DataFrame, filtered (all filters are optional and combine).

        Parameters
        ----------
        pipeline_name
            Only these pipelines.
        run_id
            Only these runs.
        since, until
            Only runs that started at or after ``since`` and before ``until`` (aware
            datetimes; ``since`` must come before ``until``). They also prune the
            ``run_date`` partitions, or skip files by statistics on an unpartitioned log.
        as_of_version, as_of_timestamp
            Time travel: the log as it was at this table version, or at this instant (aware);
            at most one of them. Runs removed by ``prune`` or an overwrite are there until a
            vacuum deletes their files.

        Returns
        -------
        DataFrame
            The matching rows (lazy: nothing runs until you act on it).

        Raises
        ------
        WriterValidationError
            ``WRITER_ARGUMENT_INVALID`` for a naive datetime, ``since`` not before ``until``,
            both time-travel points, or a filter of the wrong type; every problem is listed.
        WriterTableError
            If the table does not exist or cannot be read; ``TABLE_VERSION_UNAVAILABLE`` for a
            version or instant the table does not have (any more), or whose files a vacuum
            deleted.

        Examples
        --------
        ```python
        writer.read_logs(pipeline_name="orders", since=week_ago).count()
        writer.read_logs(as_of_version=3).select("run_id").distinct().count()
        ```
        """
        condition, point = log_filter(
            pipeline_name=pipeline_name,
            run_id=run_id,
            since=since,
            until=until,
            as_of_version=as_of_version,
            as_of_timestamp=as_of_timestamp,
        )
        if point is None:
            return self._read("read").where(condition)
        self._read("read")  # a clear TABLE_NOT_FOUND for a missing table
        version, timestamp = point
        log = self._answer(
            "time travel",
            lambda: ops.read_as_of(self.spark, self.table, version=version, timestamp=timestamp),
        )
        return log.where(condition)

    def get_performance_metrics(self) -> WriterMetrics:
        """Return what this writer measured so far.

        Counts are always kept; durations, rows per second and the Python process's memory
        growth only while ``enable_performance_monitoring`` is on (``None`` otherwise).

        Examples
        --------
        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        writer.write_report(report)
        metrics = writer.get_performance_metrics()
        print(metrics.writes, metrics.runs_written, metrics.rows_written)
        print(metrics.mean_duration_secs, metrics.peak_python_rss_growth_bytes)
        ```
        """
        enabled = self.config.enable_performance_monitoring
        with self._lock:
            stats = self._stats
            return WriterMetrics(
                monitoring_enabled=enabled,
                writes=self._writes,
                failed_writes=self._failed_writes,
                runs_written=self._runs_written,
                runs_skipped=self._runs_skipped,
                rows_written=self._rows_written,
                commits=self._commits,
                total_duration_secs=stats.total_duration_secs if enabled else None,
                mean_duration_secs=stats.mean_duration_secs if enabled else None,
                max_duration_secs=stats.max_duration_secs if enabled else None,
                rows_per_sec=stats.rows_per_sec if enabled else None,
                peak_python_rss_growth_bytes=(
                    stats.max_peak_python_rss_growth_bytes if enabled else None
                ),
            )


def _run_id_text(report: object) -> str:
    run_id = getattr(report, "run_id", None)
    return run_id if isinstance(run_id, str) else repr(run_id)

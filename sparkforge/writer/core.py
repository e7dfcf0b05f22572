"""``LogWriter``: the user's one object for the Delta run log.

Its methods are thin: the checks of a report live in :mod:`sparkforge.validation`, the
report -> rows mapping in :mod:`sparkforge.writer.models`, the commits and their three outcomes
(written, skipped by Delta, committed but not confirmed) in ``sparkforge.writer._commit``, and
the table's lifecycle in ``sparkforge.writer._table``. The writer never re-reads the rows it
wrote: the commit's own entry in the table history gives the version and Delta's row count.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol, overload

from sparkforge import table_operations as ops
from sparkforge.errors import SparkForgeError
from sparkforge.logging import PipelineLogger
from sparkforge.models import utc_now
from sparkforge.performance import MemoryProbe, OperationStats, Timer
from sparkforge.validation import check_log_quality, schema_problems  # noqa: F401  (re-exported until writer/__init__ is curated)
from sparkforge.writer._commit import CommitEngine, Progress
from sparkforge.writer._prepare import prepare_runs
from sparkforge.writer._reading import log_filter
from sparkforge.writer._table import LogTable, as_writer_error
from sparkforge.writer.config import WriterConfig
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.models import LOG_SCHEMA
from sparkforge.writer.results import WriterMetrics

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import ExecutionContext, PipelineReport
    from sparkforge.writer.legacy import LegacyLogWriter
    from sparkforge.writer.migration import MigrationResult
    from sparkforge.writer.models import DataQualityResult
    from sparkforge.writer.results import WriteResult

__all__ = ["Clock", "LogWriter"]


class Clock(Protocol):
    """Where the writer takes the ``logged_at`` instant from (tests pass a fixed one)."""

    def __call__(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


class _Construction:
    """Build a v1 writer's state; the base of :class:`LogWriter`.

    ``__init__`` lives here so that type checkers read ``LogWriter(...)``'s signature from
    ``LogWriter.__new__``, whose overloads also type the legacy form as ``LegacyLogWriter``.
    """

    def __init__(
        self,
        spark: SparkSession,
        config: WriterConfig,
        logger: logging.Logger | PipelineLogger | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(config, WriterConfig):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "config", "reason": f"expected a WriterConfig, got {config!r}"},
            )
        if logger is not None and not isinstance(logger, (logging.Logger, PipelineLogger)):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "logger", "reason": f"expected a logging.Logger, got {logger!r}"},
            )
        self.spark = spark
        self.config = config
        self.table = config.table
        self.write_schema: str | None = config.table_schema
        self.logs_table_name: str | None = config.resolved_table_name
        self.schema = LOG_SCHEMA
        if isinstance(logger, PipelineLogger):
            self._log = logger
        else:
            self._log = PipelineLogger("sparkforge.writer", logger=logger)
        self._clock: Clock = clock or utc_now
        self._lock = threading.Lock()
        self._stats = OperationStats()
        self._writes = 0
        self._failed_writes = 0
        self._rows_written = 0
        self._runs_written = 0
        self._runs_skipped = 0
        self._commits = 0
        self._log_table = LogTable(spark, config, self._log)
        self._engine = CommitEngine(spark, config, self._log)


class LogWriter(_Construction):
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
    returns a :class:`~sparkforge.writer.legacy.LegacyLogWriter` (an instance of
    ``LogWriter``) with the legacy methods and table; see docs/legacy.md.

    Examples
    --------
    With a session ``spark`` and a run's ``report`` (the integration tests run this):

    .. code-block:: python

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        result = writer.write_report(report)
        result.rows_written, result.table_version, result.skipped  # (5, 3, False)
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
        """Create the log table with :data:`LOG_SCHEMA`, its partitioning and properties.

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
        """
        with self._lock:
            created = self._log_table.ensure()
            if created:
                self._engine.forget_table()
            return created

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
            As for :meth:`write_report`.
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
        try:
            with timer:
                if probe is None:
                    self._commit_all(items, progress, prefix=prefix)
                else:
                    with probe:
                        self._commit_all(items, progress, prefix=prefix)
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
        return self._finish(progress, timer.duration_secs, error, probe)

    def _finish(
        self,
        progress: Progress,
        duration_secs: float,
        error: WriterError | None,
        probe: MemoryProbe | None,
    ) -> WriteResult:
        result = progress.result(duration_secs, error=error)
        self._account(result, probe)
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
    ) -> None:
        runs = prepare_runs(items, self.config, self._clock, prefix=prefix)
        with self._lock:
            if self._log_table.ensure():
                self._engine.forget_table()
        self._engine.commit_all(runs, progress)

    # ------------------------------------------------------------------ reading

    def read_logs(
        self,
        *,
        pipeline_name: str | Sequence[str] | None = None,
        run_id: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
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
            ``run_date`` partitions.

        Returns
        -------
        DataFrame
            The matching rows (lazy: nothing runs until you act on it).

        Raises
        ------
        WriterValidationError
            ``WRITER_ARGUMENT_INVALID`` for a naive datetime, ``since`` not before ``until``,
            or a filter of the wrong type; every problem is listed.
        WriterTableError
            If the table does not exist or cannot be read.
        """
        condition = log_filter(pipeline_name=pipeline_name, run_id=run_id, since=since, until=until)
        return self._read("read").where(condition)

    def _read(self, operation: str) -> DataFrame:
        try:
            if not ops.table_exists(self.spark, self.table):
                raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.table)})
            return self.table.read(self.spark)
        except SparkForgeError as exc:
            raise as_writer_error(exc) from exc
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {
                    "operation": operation,
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            ) from exc

    def get_performance_metrics(self) -> WriterMetrics:
        """Return what this writer measured so far.

        Counts are always kept; durations, rows per second and the Python process's memory
        growth only while ``enable_performance_monitoring`` is on (``None`` otherwise).
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

    def validate_data_quality(self) -> DataQualityResult:
        """Check the log table itself, in one pass over it.

        Returns
        -------
        DataQualityResult
            Each check with the number of rows failing it; ``passed`` when none fail.

        Raises
        ------
        WriterTableError
            If the table does not exist or cannot be read.
        """
        log_df = self._read("quality check")
        try:
            return check_log_quality(log_df)
        except SparkForgeError:
            raise
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {
                    "operation": "quality check",
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            ) from exc

    def migrate_legacy_table(self, *, pipeline_name: str = "legacy") -> MigrationResult:
        """Upgrade this writer's table from the legacy log schema to schema v1, in place.

        Every row is kept with its values in one Delta commit; the previous version stays
        readable by time travel. A second, metadata-only commit gives the table the properties
        of a new log table (:attr:`WriterConfig.effective_table_properties`) it lacks. Calling
        it on a table this writer created does nothing. The rows are read at a pinned
        version; a Delta conflict with a concurrent writer retries the whole migration up to
        ``max_commit_attempts`` (then ``TABLE_CONFLICT``), and an append that lands between
        the pinned read and the commit is kept by undoing the migration (a restore) and
        raising ``TABLE_CONCURRENT_CHANGE``: no row is lost. See docs/migration.md.

        Parameters
        ----------
        pipeline_name
            The pipeline name given to the legacy rows (the legacy log had none).
        """
        from sparkforge.writer.migration import migrate_legacy_table

        result = migrate_legacy_table(
            self.spark,
            self.table,
            pipeline_name=pipeline_name,
            partition_columns=self.config.partition_columns,
            table_properties=self.config.effective_table_properties,
            max_commit_attempts=self.config.max_commit_attempts,
        )
        with self._lock:
            self._log_table.checked = False
            self._engine.forget_table()
        return result


def _run_id_text(report: object) -> str:
    run_id = getattr(report, "run_id", None)
    return run_id if isinstance(run_id, str) else repr(run_id)

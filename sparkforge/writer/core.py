"""``LogWriter``: validate reports, turn them into rows, commit them to the Delta run log.

One run's rows land in one Delta commit or not at all. A commit carries a Delta transaction
identifier derived from its runs, so a retry of a write that already committed is skipped by
Delta itself (atomically, across processes) and reported as a duplicate. The writer never
re-reads the rows it wrote: the commit's own entry in the table history gives the version and
Delta's count of the rows written.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol, overload

from pyspark.sql import functions as F

from sparkforge import table_operations as ops
from sparkforge.errors import Problem, SparkForgeError, TableOperationError, render_problems
from sparkforge.logging import PipelineLogger
from sparkforge.performance import MemoryProbe, OperationStats, Timer
from sparkforge.writer.config import WriteMode, WriterConfig
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.models import (
    _RATE_TOLERANCE,
    LOG_COLUMNS,
    LOG_SCHEMA,
    REQUIRED_COLUMNS,
    DataQualityCheck,
    DataQualityResult,
    WriteResult,
    WriterMetrics,
    report_problems,
    rows_from_report,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

    from sparkforge.models import ExecutionContext, PipelineReport
    from sparkforge.writer.legacy import LegacyLogWriter, MigrationResult
    from sparkforge.writer.models import (
        LogRow,
    )

__all__ = ["check_log_quality", "Clock", "LogWriter", "schema_problems"]

_MARKER_PREFIX = "sparkforge.log.write:"
_TXN_PREFIX = "sparkforge.log"
_LEGACY_COLUMNS = frozenset(LOG_COLUMNS[:17])


class Clock(Protocol):
    """Where the writer takes the ``logged_at`` instant from (tests pass a fixed one)."""

    def __call__(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


def _utc_clock() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def _arrow_schema() -> pa.Schema | None:
    """Return LOG_SCHEMA as an Arrow schema, or None when pyarrow is not installed."""
    try:
        from pyspark.sql.pandas.types import to_arrow_schema
    except ImportError:
        return None
    try:
        return to_arrow_schema(LOG_SCHEMA)
    except ImportError:  # pyarrow itself is missing
        return None


def _rows_dataframe(spark: SparkSession, rows: list[LogRow]) -> DataFrame:
    """Hand the rows to Spark: as one Arrow table when pyarrow is there, else as a list.

    Both give the same DataFrame. A list goes through a Python worker task that pickles every
    row; an Arrow table is handed to the JVM in columnar batches, which makes a write of 1,000
    rows about a third faster (see docs/performance.md). pyarrow is optional: it comes with
    ``pyspark[sql]`` and with Databricks runtimes.
    """
    schema = _arrow_schema()
    if schema is None:
        return spark.createDataFrame(rows, LOG_SCHEMA, verifySchema=False)
    import pyarrow as pa

    return spark.createDataFrame(pa.Table.from_pylist(rows, schema=schema), LOG_SCHEMA)


def _transaction(run_ids: Sequence[str]) -> ops.Transaction:
    if len(run_ids) == 1:
        return ops.Transaction(app_id=f"{_TXN_PREFIX}/{run_ids[0]}")
    digest = hashlib.sha256("\n".join(sorted(run_ids)).encode("utf-8")).hexdigest()
    return ops.Transaction(app_id=f"{_TXN_PREFIX}.batch/{digest[:40]}")


def _plain(data_type: DataType) -> str:
    # Compare types without nullability: Delta may keep NOT NULL differently than asked.
    from pyspark.sql import types as T

    if isinstance(data_type, T.StructType):
        return "struct<" + ",".join(f"{f.name}:{_plain(f.dataType)}" for f in data_type) + ">"
    if isinstance(data_type, T.ArrayType):
        return f"array<{_plain(data_type.elementType)}>"
    if isinstance(data_type, T.MapType):
        return f"map<{_plain(data_type.keyType)},{_plain(data_type.valueType)}>"
    return data_type.simpleString()


def schema_problems(actual: StructType) -> list[str]:
    """Say why a table with schema ``actual`` cannot hold the log (empty: it can).

    Every :data:`LOG_SCHEMA` column must be there with the same type, and nullable where the
    log may leave it NULL; more columns are fine if they are nullable (the writer leaves them
    NULL).
    """
    found = {f.name: f for f in actual.fields}
    problems = []
    for expected in LOG_SCHEMA.fields:
        have = found.get(expected.name)
        if have is None:
            problems.append(f"column {expected.name} is missing")
        elif _plain(have.dataType) != _plain(expected.dataType):
            problems.append(
                f"column {expected.name} is {have.dataType.simpleString()}, "
                f"expected {expected.dataType.simpleString()}"
            )
        elif expected.nullable and not have.nullable:
            problems.append(f"column {expected.name} is NOT NULL, but the log leaves it NULL")
    for name, extra in found.items():
        if name not in LOG_COLUMNS and not extra.nullable:
            problems.append(f"unknown column {name} is NOT NULL, so the log cannot be appended")
    if set(found) == _LEGACY_COLUMNS:
        problems.insert(0, "it is a legacy log table: upgrade it with migrate_legacy_table()")
    return problems


class LogWriter:
    """Write pipeline run reports to the Delta run log, and answer questions over it.

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
    The legacy form ``LogWriter(spark, write_schema, logs_table_name)`` still works, with
    the legacy methods ``create_table(report)``, ``append(report)`` and ``show(n)`` and the
    legacy table schema; each of these emits a ``DeprecationWarning`` naming its replacement.
    See the migration guide.

    Examples
    --------
    With a session ``spark`` and a run's ``report`` (the integration tests run this):

    .. code-block:: python

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        result = writer.write_report(report)
        result.rows_written, result.table_version, result.skipped  # (5, 3, False)
    """

    @overload
    def __init__(
        self,
        spark: SparkSession,
        config: WriterConfig,
        *,
        logger: logging.Logger | PipelineLogger | None = None,
        clock: Clock | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        spark: SparkSession,
        config: WriterConfig,
        logger: logging.Logger | PipelineLogger,
        /,
        *,
        clock: Clock | None = None,
    ) -> None: ...

    @overload
    def __init__(self, spark: SparkSession, config: str, logs_table_name: str) -> None: ...

    def __init__(
        self,
        spark: SparkSession,
        config: WriterConfig | str,
        logs_table_name: str | logging.Logger | PipelineLogger | None = None,
        *,
        logger: logging.Logger | PipelineLogger | None = None,
        clock: Clock | None = None,
    ) -> None:
        # LogWriter(spark, config, logger): the third positional is the logger, unless legacy.
        if isinstance(logs_table_name, (logging.Logger, PipelineLogger)):
            if logger is not None:
                raise WriterConfigurationError(
                    "WRITER_CONFIG_INVALID",
                    {"option": "logger", "reason": "given both by position and by keyword"},
                )
            logger, logs_table_name = logs_table_name, None
        self.spark = spark
        self._legacy: LegacyLogWriter | None = None
        if isinstance(logger, PipelineLogger):
            self._log = logger
        else:
            self._log = PipelineLogger("sparkforge.writer", logger=logger)
        self._clock: Clock = clock or _utc_clock
        self._stats = OperationStats()
        self._writes = 0
        self._failed_writes = 0
        self._rows_written = 0
        self._runs_written = 0
        self._runs_skipped = 0
        self._commits = 0
        self._table_checked = False
        if isinstance(config, str):
            warnings.warn(
                "LogWriter(spark, write_schema, logs_table_name) is deprecated; use "
                "LogWriter(spark, WriterConfig(table_schema=..., table_name=...))",
                DeprecationWarning,
                stacklevel=2,
            )
            from sparkforge.writer.legacy import LegacyLogWriter

            if not isinstance(logs_table_name, str):
                raise WriterConfigurationError(
                    "WRITER_CONFIG_INVALID",
                    {"option": "logs_table_name", "reason": "the legacy form takes 3 arguments"},
                )
            self._legacy = LegacyLogWriter(spark, config, logs_table_name)
            self.write_schema: str | None = config
            self.logs_table_name: str | None = logs_table_name
            self.schema: StructType = self._legacy.schema
            return
        if not isinstance(config, WriterConfig):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "config", "reason": f"expected WriterConfig, got {config!r}"},
            )
        if logs_table_name is not None:
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "logs_table_name", "reason": "give it only with the legacy form"},
            )
        self.config = config
        self.table = config.table
        self.write_schema = config.table_schema
        self.logs_table_name = config.resolved_table_name
        self.schema = LOG_SCHEMA

    # ------------------------------------------------------------------ table

    def _require_v1(self, method: str) -> None:
        if self._legacy is not None:
            raise WriterConfigurationError(
                "WRITER_MODE_MISMATCH",
                {
                    "method": method,
                    "reason": "this writer was built with the legacy LogWriter(spark, schema, "
                    "table) form; build it with LogWriter(spark, WriterConfig(...))",
                },
            )

    def _check_table(self) -> None:
        try:
            actual = ops.read_schema(self.spark, self.table)
        except TableOperationError as exc:
            raise _table_error(exc) from exc
        problems = schema_problems(actual)
        if problems:
            raise WriterTableError(
                "TABLE_SCHEMA_MISMATCH", {"table": str(self.table), "reason": "; ".join(problems)}
            )
        self._table_checked = True

    def _ensure_table(self) -> bool:
        try:
            exists = ops.table_exists(self.spark, self.table)
            if exists and self._table_checked:
                return False
            created = False
            if not exists:
                created = ops.create_table_if_not_exists(
                    self.spark,
                    self.table,
                    LOG_SCHEMA,
                    partition_by=self.config.partition_columns,
                    properties=self.config.effective_table_properties,
                    comment="sparkforge pipeline run log (schema v1)",
                    max_attempts=self.config.max_commit_attempts,
                )
        except TableOperationError as exc:
            raise _table_error(exc) from exc
        # Whoever created it (this writer or a concurrent one), it must hold the log.
        self._check_table()
        return created

    @overload
    def create_table(self) -> bool: ...

    @overload
    def create_table(self, initial_report: Mapping[str, object]) -> DataFrame: ...

    def create_table(self, initial_report: Mapping[str, object] | None = None) -> bool | DataFrame:
        """Create the log table with :data:`LOG_SCHEMA`, its partitioning and properties.

        Nothing happens when it exists and can hold the log.

        Returns
        -------
        bool
            Whether the table was absent when the call began (this call, or a writer racing
            it, created it).

        Raises
        ------
        WriterTableError
            If the table exists with an incompatible schema (it is left untouched), or
            Delta/Spark failed.
        """
        if self._legacy is not None:
            if initial_report is None:
                raise WriterConfigurationError(
                    "WRITER_MODE_MISMATCH",
                    {
                        "method": "create_table()",
                        "reason": "the legacy writer's create_table takes the initial report",
                    },
                )
            warnings.warn(
                "LogWriter.create_table(report) is deprecated; use "
                "LogWriter(spark, WriterConfig(...)).create_table() and write_report(report)",
                DeprecationWarning,
                stacklevel=2,
            )
            return self._legacy.create_table(initial_report)
        if initial_report is not None:
            raise WriterConfigurationError(
                "WRITER_MODE_MISMATCH",
                {
                    "method": "create_table(report)",
                    "reason": "call create_table() and then write_report(report)",
                },
            )
        return self._ensure_table()

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
            Rows written, the table version, the duration, and ``skipped`` when the run was
            already logged (a retry: nothing was added).

        Raises
        ------
        WriterValidationError
            If the report is malformed: every problem is listed and nothing is written.
        WriterTableError
            If the table is incompatible (untouched) or Delta/Spark failed.
        """
        self._require_v1("write_report")
        return self._write([(report, execution_context)])

    def write_reports(
        self, reports: Iterable[PipelineReport | tuple[PipelineReport, ExecutionContext | None]]
    ) -> WriteResult:
        """Log many runs in as few commits as ``batch_size`` allows.

        Each commit holds whole runs (a run is never split). Runs already logged are skipped.
        When a later commit fails, the runs of the earlier ones stay logged (see
        ``written_run_ids``); calling again with the same reports completes the log without
        duplicates.

        Parameters
        ----------
        reports
            Reports, or ``(report, execution_context)`` pairs.

        Returns
        -------
        WriteResult
            What was written and skipped.

        Raises
        ------
        WriterValidationError
            If any report is malformed (paths are prefixed ``reports[i].``); nothing is
            written.
        WriterTableError
            If the table is incompatible or Delta/Spark failed.
        """
        self._require_v1("write_reports")
        items = [item if isinstance(item, tuple) else (item, None) for item in reports]
        return self._write(items, prefix=True)

    def _write(
        self, items: list[tuple[PipelineReport, ExecutionContext | None]], *, prefix: bool = False
    ) -> WriteResult:
        monitoring = self.config.enable_performance_monitoring
        probe = MemoryProbe() if monitoring else None
        progress = _Progress(run_ids=tuple(_run_id_text(report) for report, _ in items))
        timer = Timer()
        try:
            with timer:
                if probe is None:
                    self._commit_all(items, progress, prefix=prefix)
                else:
                    with probe:
                        self._commit_all(items, progress, prefix=prefix)
        except WriterError as exc:
            result = progress.result(timer.duration_secs, error=exc)
            self._account(result, probe)
            if self.config.on_failure == "raise":
                raise
            self._log.warning("writing %d run(s) to the log failed: %s", len(items), exc)
            return result
        result = progress.result(timer.duration_secs)
        self._account(result, probe)
        return result

    def _account(self, result: WriteResult, probe: MemoryProbe | None) -> None:
        # Counts are kept whatever the monitoring; timings and memory only while it is on.
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
                peak_memory_growth_bytes=probe.peak_growth_bytes,
                failed=not result.success,
            )

    def _prepare(
        self, items: list[tuple[PipelineReport, ExecutionContext | None]], *, prefix: bool
    ) -> list[tuple[str, list[LogRow]]]:
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        consistency = self.config.enable_data_quality_checks
        for i, (report, context) in enumerate(items):
            lead = f"reports[{i}]." if prefix else ""
            for problem in report_problems(report, context, consistency=consistency):
                problems.append(Problem(lead + problem.path, problem.reason))
            for problem in _partition_problems(report, self.config.partition_columns):
                problems.append(Problem(lead + problem.path, problem.reason))
            run_id = getattr(report, "run_id", None)
            if isinstance(run_id, str):
                if run_id in seen:
                    problems.append(
                        Problem(f"{lead}run_id", f"run {run_id!r} is also reports[{seen[run_id]}]")
                    )
                seen.setdefault(run_id, i)
        if problems:
            subject = "reports" if prefix else "report"
            raise WriterValidationError(
                "WRITER_INPUT_INVALID",
                {"subject": subject, "problems": render_problems(tuple(problems))},
                problems=tuple(problems),
            )
        logged_at: object = self._clock()
        if not isinstance(logged_at, datetime) or logged_at.utcoffset() is None:
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "clock", "reason": f"it returned {logged_at!r}, not an aware datetime"},
            )
        tags = {"environment": self.config.environment} if self.config.environment else None
        return [
            (report.run_id, rows_from_report(report, context, logged_at=logged_at, extra_tags=tags))
            for report, context in items
        ]

    def _batches(
        self, runs: list[tuple[str, list[LogRow]]]
    ) -> list[list[tuple[str, list[LogRow]]]]:
        batches: list[list[tuple[str, list[LogRow]]]] = []
        size = 0
        for run in runs:
            if batches and size + len(run[1]) <= self.config.batch_size:
                batches[-1].append(run)
                size += len(run[1])
            else:
                batches.append([run])
                size = len(run[1])
        return batches

    def _commit_all(
        self,
        items: list[tuple[PipelineReport, ExecutionContext | None]],
        progress: _Progress,
        *,
        prefix: bool,
    ) -> None:
        runs = self._prepare(items, prefix=prefix)
        self._ensure_table()
        if self.config.deduplication == "scan":
            logged = self._logged_run_ids(runs)
            progress.skipped.extend(run_id for run_id, _ in runs if run_id in logged)
            runs = [run for run in runs if run[0] not in logged]
        overwrite = self.config.write_mode == WriteMode.OVERWRITE
        for batch in self._batches(runs):
            self._commit(batch, progress, overwrite=overwrite)
            overwrite = False  # later batches of an overwriting call add to the first

    def _commit(
        self, batch: list[tuple[str, list[LogRow]]], progress: _Progress, *, overwrite: bool
    ) -> None:
        run_ids = [run_id for run_id, _ in batch]
        rows = [row for _, run_rows in batch for row in run_rows]
        marker = f"{_MARKER_PREFIX}{uuid.uuid4()}"
        pipelines = sorted({run_rows[0]["pipeline_name"] for _, run_rows in batch if run_rows})
        log = self._log.bind(
            run_id=run_ids[0] if len(run_ids) == 1 else f"{len(run_ids)} runs",
            pipeline=", ".join(pipelines) or None,
        )
        try:
            with Timer() as timer:
                df = _rows_dataframe(self.spark, rows).coalesce(1)
                write = ops.overwrite if overwrite else ops.append
                write(
                    df,
                    self.table,
                    transaction=None
                    if self.config.deduplication == "none"
                    else _transaction(run_ids),
                    marker=marker,
                    options={"compression": self.config.compression},
                    max_attempts=self.config.max_commit_attempts,
                )
                commit = ops.find_commit(self.spark, self.table, marker)
        except TableOperationError as exc:
            raise _table_error(exc) from exc
        except SparkForgeError:
            raise
        except Exception as exc:
            error = WriterTableError(
                "WRITER_WRITE_FAILED",
                {"runs": str(len(run_ids)), "table": str(self.table), "reason": str(exc)[:500]},
            )
            raise error from exc
        if commit is None:
            progress.skipped.extend(run_ids)
            log.info(
                "already in the log, nothing added (%.3f s): %s",
                timer.duration_secs,
                ", ".join(run_ids),
            )
            return
        written = commit.num_output_rows if commit.num_output_rows is not None else 0
        progress.written.extend(run_ids)
        progress.versions.append(commit.version)
        progress.rows += written
        log.info(
            "logged %d row(s) at table version %d in %.3f s",
            written,
            commit.version,
            timer.duration_secs,
        )

    def _logged_run_ids(self, runs: list[tuple[str, list[LogRow]]]) -> set[str]:
        if not runs:
            return set()
        ids = [run_id for run_id, _ in runs]
        condition: Column = F.col("run_id").isin(ids)
        if "run_date" in self.config.partition_columns:
            dates = {row["run_date"] for _, rows in runs for row in rows[:1]}
            condition = condition & F.col("run_date").isin(sorted(d for d in dates if d))
        try:
            found = self.table.read(self.spark).where(condition).select("run_id").distinct()
            return {row["run_id"] for row in found.collect()}
        except Exception as exc:
            raise WriterTableError(
                "WRITER_WRITE_FAILED",
                {"runs": str(len(ids)), "table": str(self.table), "reason": str(exc)[:500]},
            ) from exc

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
            datetimes). They also prune the ``run_date`` partitions.

        Returns
        -------
        DataFrame
            The matching rows (lazy: nothing runs until you act on it).

        Raises
        ------
        WriterValidationError
            For a naive datetime or a filter of the wrong type.
        WriterTableError
            If the table does not exist.
        """
        self._require_v1("read_logs")
        problems: list[Problem] = []
        condition = F.lit(True)
        for name, value in (("pipeline_name", pipeline_name), ("run_id", run_id)):
            if value is None:
                continue
            values = [value] if isinstance(value, str) else list(value)
            if not values or not all(isinstance(v, str) for v in values):
                problems.append(Problem(name, "expected a string or a sequence of strings"))
                continue
            condition = condition & F.col(name).isin(values)
        bounds: tuple[tuple[str, object], ...] = (("since", since), ("until", until))
        for name, moment in bounds:
            if moment is None:
                continue
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                problems.append(Problem(name, "expected a timezone-aware datetime"))
                continue
            utc = moment.astimezone(timezone.utc)
            if name == "since":
                condition = condition & (F.col("run_started_at") >= F.lit(utc))
                condition = condition & (F.col("run_date") >= F.lit(utc.date()))
            else:
                condition = condition & (F.col("run_started_at") < F.lit(utc))
                condition = condition & (F.col("run_date") <= F.lit(utc.date()))
        if problems:
            raise WriterValidationError(
                "WRITER_INPUT_INVALID",
                {"subject": "read_logs filters", "problems": render_problems(tuple(problems))},
                problems=tuple(problems),
            )
        try:
            return self.table.read(self.spark).where(condition)
        except Exception as exc:
            raise _table_error(
                TableOperationError(
                    "TABLE_OPERATION_FAILED",
                    {"operation": "read", "table": str(self.table), "reason": str(exc)[:500]},
                )
            ) from exc

    def get_performance_metrics(self) -> WriterMetrics:
        """Return what this writer measured so far.

        Counts are always kept; durations, rows per second and memory only while
        ``enable_performance_monitoring`` is on (``None`` otherwise).
        """
        stats = self._stats
        enabled = self._legacy is None and self.config.enable_performance_monitoring
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
            peak_memory_growth_bytes=stats.max_peak_memory_growth_bytes if enabled else None,
        )

    def validate_data_quality(self) -> DataQualityResult:
        """Check the log table itself, in one pass over it.

        Returns
        -------
        DataQualityResult
            Each check with the number of rows failing it; ``passed`` when none fail.
        """
        self._require_v1("validate_data_quality")
        try:
            return check_log_quality(self.table.read(self.spark))
        except SparkForgeError:
            raise
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {"operation": "quality check", "table": str(self.table), "reason": str(exc)[:500]},
            ) from exc

    def migrate_legacy_table(self, *, pipeline_name: str = "legacy") -> MigrationResult:
        """Upgrade this writer's table from the legacy log schema to schema v1, in place.

        Every row is kept with its values in one Delta commit; the previous version stays
        readable by time travel. A second, metadata-only commit gives the table the properties
        of a new log table (:attr:`WriterConfig.effective_table_properties`) it lacks. Calling
        it on a table this writer created does nothing.

        Parameters
        ----------
        pipeline_name
            The pipeline name given to the legacy rows (the legacy log had none).
        """
        self._require_v1("migrate_legacy_table")
        from sparkforge.writer.legacy import migrate_legacy_table

        result = migrate_legacy_table(
            self.spark,
            self.table,
            pipeline_name=pipeline_name,
            partition_columns=self.config.partition_columns,
            table_properties=self.config.effective_table_properties,
        )
        self._table_checked = False
        return result

    # ------------------------------------------------------------------ legacy

    def append(self, report: Mapping[str, object]) -> DataFrame:
        """Append a legacy report dict's rows to the legacy table.

        .. deprecated:: 0.1.0
            Use :meth:`write_report` with a :class:`~sparkforge.models.PipelineReport`.
        """
        legacy = self._legacy_only("append(report)", "write_report(report)")
        warnings.warn(
            "LogWriter.append(report) is deprecated; use write_report(report) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        return legacy.append(report)

    def show(self, n: int | None = None) -> None:
        """Show the legacy table's rows (``DataFrame.show``).

        .. deprecated:: 0.1.0
            Use ``read_logs().show(n)``.
        """
        legacy = self._legacy_only("show(n)", "read_logs().show(n)")
        warnings.warn(
            "LogWriter.show(n) is deprecated; use read_logs().show(n) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        legacy.show(n)

    def _legacy_only(self, method: str, replacement: str) -> LegacyLogWriter:
        if self._legacy is None:
            raise WriterConfigurationError(
                "WRITER_MODE_MISMATCH",
                {"method": method, "reason": f"it is part of the legacy API; use {replacement}"},
            )
        return self._legacy


@dataclass(slots=True)
class _Progress:
    run_ids: tuple[str, ...]
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    rows: int = 0

    def result(self, duration_secs: float, *, error: WriterError | None = None) -> WriteResult:
        return WriteResult(
            run_ids=self.run_ids,
            written_run_ids=tuple(self.written),
            skipped_run_ids=tuple(self.skipped),
            rows_written=self.rows,
            table_versions=tuple(self.versions),
            duration_secs=duration_secs,
            error=error,
        )


# What Spark escapes in a partition directory name (ExternalCatalogUtils.escapePathName), each
# character becoming %XX; a NUL is not escaped, and no file system takes it.
_PATH_ESCAPED = frozenset("\"#%'*/:=?\\\x7f{[]^") | frozenset(chr(c) for c in range(1, 32))
_MAX_DIRECTORY_BYTES = 255  # the usual limit of one file name (ext4, xfs, APFS, HDFS)


def _partition_problems(report: object, partition_columns: Sequence[str]) -> list[Problem]:
    """Say why the report's pipeline name cannot name a partition directory of the log."""
    name = getattr(report, "pipeline_name", None)
    if "pipeline_name" not in partition_columns or not isinstance(name, str):
        return []
    if "\x00" in name:
        return [Problem("pipeline_name", "holds NUL, which no partition directory name can")]
    size = len("pipeline_name=") + sum(
        3 if c in _PATH_ESCAPED else len(c.encode("utf-8", "surrogatepass")) for c in name
    )
    if size > _MAX_DIRECTORY_BYTES:
        return [
            Problem(
                "pipeline_name",
                f"is too long to name a partition directory of the log ({size} bytes once "
                f"escaped, at most {_MAX_DIRECTORY_BYTES}); the log is partitioned by it",
            )
        ]
    return []


def _run_id_text(report: object) -> str:
    run_id = getattr(report, "run_id", None)
    return run_id if isinstance(run_id, str) else repr(run_id)


def _table_error(exc: SparkForgeError) -> WriterTableError:
    if isinstance(exc, WriterTableError):
        return exc
    error = WriterTableError(exc.code, exc.params)
    error.__cause__ = exc.__cause__ or exc
    return error


def _when(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0))


def check_log_quality(log_df: DataFrame) -> DataQualityResult:
    """Run the log's data-quality checks over ``log_df`` in one aggregation (one Spark job).

    The checks of v1 meanings (counts adding up, the rate matching them, required columns)
    apply to rows written under schema v1; rows migrated from the legacy log (schema_version 0)
    keep the legacy meanings, where the validation counts need not be the transform's output.

    Parameters
    ----------
    log_df
        Rows of a log table (all of it, or a filtered part).

    Returns
    -------
    DataQualityResult
        The number of rows failing each check.
    """
    col = F.col
    v1 = col("schema_version") >= 1
    step = col("row_kind") == "step"
    required = [col(name).isNull() for name in REQUIRED_COLUMNS]
    step_required = [col(name).isNull() for name in ("phase", "step", "step_index", "step_status")]
    any_null = required[0]
    for condition in required[1:]:
        any_null = any_null | condition
    any_step_null = step_required[0]
    for condition in step_required[1:]:
        any_step_null = any_step_null | condition
    counts = ["input_rows", "output_rows", "rows_written", "valid_rows", "invalid_rows"]
    negative = col(counts[0]) < 0
    for name in counts[1:]:
        negative = negative | (col(name) < 0)
    total = col("valid_rows") + col("invalid_rows")
    expected_rate = F.when(total == 0, F.lit(100.0)).otherwise(col("valid_rows") * 100.0 / total)
    key = F.concat_ws("\u0000", col("run_id"), col("row_kind"), F.coalesce(col("step"), F.lit("")))
    checks = {
        "required_nulls": (
            "required columns are NULL (v1 rows), or a step row lacks phase/step/index/status",
            _when((v1 & any_null) | (step & any_step_null)),
        ),
        "negative_counts": ("a row count is negative", _when(negative)),
        "counts_mismatch": (
            "valid_rows + invalid_rows differs from output_rows (v1 rows)",
            _when(v1 & (total != col("output_rows"))),
        ),
        "end_before_start": (
            "a step or run ends before it starts",
            _when(
                (col("end_time") < col("start_time"))
                | (col("run_ended_at") < col("run_started_at"))
            ),
        ),
        "rate_out_of_range": (
            "validation_rate is outside 0-100 or NaN",
            _when(
                (col("validation_rate") < 0)
                | (col("validation_rate") > 100)
                | F.isnan(col("validation_rate"))
            ),
        ),
        "rate_mismatch": (
            "validation_rate does not match valid_rows / (valid_rows + invalid_rows) (v1 rows)",
            _when(v1 & (F.abs(col("validation_rate") - expected_rate) > _RATE_TOLERANCE)),
        ),
    }
    aggregates = [expr.alias(name) for name, (_, expr) in checks.items()]
    aggregates += [F.count(F.lit(1)).alias("_rows"), F.count_distinct(key).alias("_keys")]
    row = log_df.agg(*aggregates).collect()[0]
    rows = int(row["_rows"])
    results = [
        DataQualityCheck(name=name, description=text, failed_rows=int(row[name] or 0))
        for name, (text, _) in checks.items()
    ]
    results.append(
        DataQualityCheck(
            name="duplicate_keys",
            description="rows repeat a (run_id, step) key",
            failed_rows=rows - int(row["_keys"]),
        )
    )
    return DataQualityResult(total_rows=rows, checks=tuple(results))

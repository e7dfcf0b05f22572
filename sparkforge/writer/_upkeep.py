"""The upkeep of a writer's log table over years: history, compaction, vacuum, retention, restore.

Each method checks its arguments (every problem at once, before any Spark job) and calls the
operation of `sparkforge.table_operations` that does the work with Delta's SQL.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sparkforge import table_operations as ops
from sparkforge.errors import ProblemCollector, SparkForgeError
from sparkforge.writer._commit import MARKER_PREFIX, logged_runs
from sparkforge.writer._state import WriterState
from sparkforge.writer.exceptions import WriterError, WriterTableError, WriterValidationError
from sparkforge.writer.results import LogCommit

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from sparkforge.table_operations import (
        OptimizeResult,
        PruneResult,
        RestoreResult,
        VacuumResult,
    )
    from sparkforge.writer.migration import MigrationResult
    from sparkforge.writer.results import WriteResult

__all__ = ["LogUpkeep", "retention_cutoff"]

_MAX_HISTORY = 1_000_000


def retention_cutoff(now: datetime, retention: timedelta) -> datetime:
    """Return the start of the UTC day ``now - retention`` falls in: runs before it go.

    Whole days keep the automatic retention to one DELETE a day, and it never removes a run
    younger than ``retention``.

    Examples
    --------
    >>> now = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)
    >>> retention_cutoff(now, timedelta(days=7)).isoformat()
    '2026-03-03T00:00:00+00:00'
    """
    moment = (now - retention).astimezone(timezone.utc)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _integer_in(value: object, low: int, high: int | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return False
    return high is None or value <= high


def _invalid(subject: str, problems: ProblemCollector) -> WriterValidationError:
    return WriterValidationError(
        "WRITER_ARGUMENT_INVALID",
        {"subject": subject, "problems": problems.render()},
        problems=problems.problems,
    )


class LogUpkeep(WriterState):
    """The writer's table maintenance (a base of ``LogWriter``)."""

    def history(self, limit: int | None = 20) -> tuple[LogCommit, ...]:
        """Return the log table's newest commits, newest first.

        Parameters
        ----------
        limit
            How many commits (1 or more); None for the whole history.

        Returns
        -------
        tuple[LogCommit, ...]
            Each commit's version, UTC time, operation, the runs it logged (for the writer's
            commits) and Delta's count of the rows it wrote.

        Raises
        ------
        WriterValidationError
            ``WRITER_ARGUMENT_INVALID`` for a limit that is not a positive integer.
        WriterTableError
            If the table does not exist or its history cannot be read.

        Examples
        --------
        ```python
        [(c.version, c.operation, c.runs) for c in writer.history(limit=3)]
        # [(12, 'WRITE', 1), (11, 'OPTIMIZE', None), (10, 'WRITE', 1)]
        ```
        """
        problems = ProblemCollector()
        given: object = limit
        if given is not None and not _integer_in(given, 1, _MAX_HISTORY):
            problems.add(
                "limit", f"expected an integer in 1..{_MAX_HISTORY} or None, got {limit!r}"
            )
        if problems:
            raise _invalid("history arguments", problems)
        self._read("history")  # a clear TABLE_NOT_FOUND for a missing table
        commits = self._answer(
            "history", lambda: ops.recent_commits(self.spark, self.table, limit=limit)
        )
        return tuple(
            LogCommit(
                version=c.version,
                timestamp=c.timestamp,
                operation=c.operation,
                runs=logged_runs(c.user_metadata),
                rows=c.num_output_rows,
                user_metadata=c.user_metadata,
                by_writer=(c.user_metadata or "").startswith(MARKER_PREFIX),
            )
            for c in commits
        )

    def optimize(self, *, zorder_by: Sequence[str] | None = None) -> OptimizeResult:
        """Compact the log's small files (Delta ``OPTIMIZE``); a clustered log is clustered.

        Parameters
        ----------
        zorder_by
            Columns to Z-order the files by (not on a clustered table, whose clustering
            columns decide the order).

        Returns
        -------
        OptimizeResult
            Files and bytes before and after, as Delta reports them.

        Examples
        --------
        ```python
        result = writer.optimize()
        result.files_before, result.files_after  # (50, 1)
        ```
        """
        self._read("optimize")
        return self._answer(
            "optimize",
            lambda: ops.optimize(self.spark, self.table, zorder_by=tuple(zorder_by or ())),
        )

    def vacuum(
        self,
        *,
        retention_hours: float = 168.0,
        allow_unsafe_retention: bool = False,
        dry_run: bool = False,
    ) -> VacuumResult:
        """Delete the data files no version within ``retention_hours`` needs (Delta ``VACUUM``).

        Time travel to versions older than the retention stops working. A retention shorter
        than the table's ``delta.deletedFileRetentionDuration`` (7 days by default) is
        refused (``TABLE_RETENTION_UNSAFE``) unless ``allow_unsafe_retention=True``.

        Examples
        --------
        ```python
        writer.vacuum(dry_run=True).files_deleted  # what a vacuum would delete
        ```
        """
        self._read("vacuum")
        return self._answer(
            "vacuum",
            lambda: ops.vacuum(
                self.spark,
                self.table,
                retention_hours=retention_hours,
                allow_unsafe_retention=allow_unsafe_retention,
                dry_run=dry_run,
            ),
        )

    def prune(self, *, older_than: timedelta, as_of: datetime | None = None) -> PruneResult:
        """Delete the runs that started before ``as_of - older_than``, in one Delta DELETE.

        Whole runs only (every row of a run has the run's start). The deleted runs stay
        readable by time travel (``read_logs(as_of_version=...)``) until a vacuum removes
        their files.

        Parameters
        ----------
        older_than
            How old a run must be to go: a positive ``timedelta``.
        as_of
            The instant ages are measured from (aware); the writer's clock by default.

        Returns
        -------
        PruneResult
            The cutoff, and the runs and rows removed as the DELETE removed them.

        Raises
        ------
        WriterValidationError
            ``WRITER_ARGUMENT_INVALID`` for a non-positive or non-timedelta ``older_than`` or a
            naive ``as_of``; nothing is deleted.

        Examples
        --------
        ```python
        writer.prune(older_than=timedelta(days=395)).runs  # 1204
        ```
        """
        problems = ProblemCollector()
        age: object = older_than
        moment_given: object = as_of
        if not isinstance(age, timedelta) or age <= timedelta(0):
            problems.add("older_than", f"expected a positive timedelta, got {older_than!r}")
        if moment_given is not None and (
            not isinstance(moment_given, datetime) or moment_given.utcoffset() is None
        ):
            problems.add("as_of", f"expected a timezone-aware datetime, got {as_of!r}")
        if problems:
            raise _invalid("prune arguments", problems)
        moment = as_of if as_of is not None else self._clock()
        cutoff = (moment - older_than).astimezone(timezone.utc)
        self._read("prune")
        return self._answer("prune", lambda: ops.prune(self.spark, self.table, cutoff=cutoff))

    def restore(self, version: int) -> RestoreResult:
        """Bring the log back to an earlier ``version`` (Delta ``RESTORE``), in a new commit.

        For a log damaged by a bad overwrite: the versions since stay in the history.

        Examples
        --------
        ```python
        writer.restore(12).restored_version  # 12
        ```
        """
        if not _integer_in(version, 0, None):
            problems = ProblemCollector()
            problems.add("version", f"expected a table version (an integer >= 0), got {version!r}")
            raise _invalid("restore arguments", problems)
        self._read("restore")
        result = self._answer("restore", lambda: ops.restore(self.spark, self.table, version))
        with self._lock:
            self._log_table.checked = False
        return result

    def migrate_legacy_table(self, *, pipeline_name: str = "legacy") -> MigrationResult:
        """Upgrade this writer's table from the legacy log schema to schema v1, in place.

        Every row is kept with its values in one Delta commit; the previous version stays
        readable by time travel. A second, metadata-only commit gives the table the properties
        of a new log table
        ([`effective_table_properties`][sparkforge.writer.WriterConfig.effective_table_properties])
        it lacks. Calling it on a table this writer created does nothing. The rows are read at a
        pinned version; a Delta conflict with a concurrent writer retries the whole migration up to
        ``max_commit_attempts`` (then ``TABLE_CONFLICT``), and an append that lands between
        the pinned read and the commit is kept by undoing the migration (a restore) and
        raising ``TABLE_CONCURRENT_CHANGE``: no row is lost. See docs/migration.md.

        Parameters
        ----------
        pipeline_name
            The pipeline name given to the legacy rows (the legacy log had none).

        Returns
        -------
        MigrationResult
            Whether a commit was made, the versions read and written, Delta's count of the
            rows written, the properties set and the attempts it took.

        Raises
        ------
        WriterTableError
            As [`sparkforge.writer.migrate_legacy_table`][] raises it: ``TABLE_NOT_FOUND``,
            ``TABLE_SCHEMA_MISMATCH``, ``TABLE_CONFLICT``, ``TABLE_CONCURRENT_CHANGE`` or
            ``TABLE_OPERATION_FAILED``.

        Examples
        --------
        On the table a legacy writer filled (see docs/migration.md):

        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="pipeline_logs"))
        result = writer.migrate_legacy_table(pipeline_name="orders")
        print(result.migrated, result.version_before, result.version_after, result.rows_migrated)
        writer.migrate_legacy_table(pipeline_name="orders").migrated  # False: already v1
        ```
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
        return result

    def _after_write(self, result: WriteResult, first_day: date | None) -> WriteResult:
        """Apply ``retention`` then ``compact_every`` after a call that committed.

        Neither ever fails the write: a failure is logged and said in
        ``WriteResult.maintenance_error``, and the call's own commits stand.
        """
        if not result.table_versions:
            return result
        result = self._keep_retention(result)
        if result.maintenance_error is None:
            result = self._keep_compact(result, first_day)
        return result

    def _keep_retention(self, result: WriteResult) -> WriteResult:
        retention = self.config.retention
        if retention is None:
            return result
        cutoff = retention_cutoff(self._clock(), retention)
        try:
            pruned = ops.prune(self.spark, self.table, cutoff=cutoff)
        except Exception as exc:
            return dataclasses.replace(
                result, maintenance_error=self._maintenance_failed("retention", exc)
            )
        if not pruned.rows:
            return result
        self._log.info(
            "retention removed %d run(s), %d row(s) started before %s",
            pruned.runs,
            pruned.rows,
            cutoff.isoformat(),
        )
        return dataclasses.replace(result, pruned=pruned)

    def _keep_compact(self, result: WriteResult, first_day: date | None) -> WriteResult:
        every = self.config.compact_every
        versions = result.table_versions
        # Compact when this call's commits reached a multiple of ``every``.
        if every is None or max(versions) // every == (min(versions) - 1) // every:
            return result
        try:
            compacted = ops.optimize(
                self.spark,
                self.table,
                partitions_from=("run_date", first_day) if first_day is not None else None,
            )
        except Exception as exc:
            return dataclasses.replace(
                result, maintenance_error=self._maintenance_failed("compaction", exc)
            )
        self._log.info(
            "compacted the log: %d file(s) -> %d", compacted.files_before, compacted.files_after
        )
        return dataclasses.replace(result, compacted=compacted)

    def _maintenance_failed(self, operation: str, exc: Exception) -> WriterError:
        error: WriterError
        if isinstance(exc, WriterError):
            error = exc
        elif isinstance(exc, SparkForgeError):
            error = WriterTableError(exc.code, exc.params)
        else:
            error = WriterTableError(
                "TABLE_OPERATION_FAILED",
                {
                    "operation": operation,
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            )
        error.__cause__ = exc
        self._log.warning("%s of the log failed (the write stands): %s", operation, error)
        return error

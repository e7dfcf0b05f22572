"""What the writer reports: the result of one write call and a writer's lifetime metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from sparkforge.table_operations import OptimizeResult, PruneResult
    from sparkforge.writer.exceptions import WriterError

__all__ = ["LogCommit", "WriteResult", "WriterMetrics"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    """What one ``write_report`` / ``write_reports`` call did.

    Every run given ends in exactly one of ``written_run_ids``, ``skipped_run_ids`` and
    ``unconfirmed_run_ids``, or in none of them when the call failed before committing it.

    Parameters
    ----------
    run_ids
        The runs given, in order.
    written_run_ids
        The runs this call committed, and whose commit it confirmed.
    skipped_run_ids
        The runs already in the log (a retry): nothing was added for them.
    unconfirmed_run_ids
        The runs whose commit returned without error but could not be confirmed (the table's
        history did not show it): they are most likely in the log; a retry is safe only with
        ``deduplication="transaction"``.
    rows_written
        Rows committed, as counted by Delta in the commits' metrics: the sum of the known
        counts of ``commit_rows_written``.
    commit_rows_written
        Delta's row count of each commit in ``table_versions``, in the same order; None where
        Delta's metrics did not say (see
        [`rows_unknown_commits`][sparkforge.writer.WriteResult.rows_unknown_commits]).
    table_versions
        The table version of each commit this call made.
    duration_secs
        Seconds the call took, from a monotonic clock.
    error
        Why the call failed (only with ``on_failure="warn"``; otherwise it raised). Runs in
        ``written_run_ids`` committed before the failure.
    pruned
        What the writer's ``retention`` removed after this call's commits, when it removed
        anything.
    compacted
        The compaction (``OPTIMIZE``) the writer ran after this call's commits, when
        ``compact_every`` called for one.
    maintenance_error
        Why the retention or the compaction failed, if one did. The call's own commits
        stand: a failed maintenance step never fails a write; it is logged as a warning and
        said here.

    Examples
    --------
    >>> result = WriteResult(run_ids=("r1",), written_run_ids=("r1",), rows_written=3,
    ...     commit_rows_written=(3,), table_versions=(7,), duration_secs=0.8)
    >>> result.success, result.run_id, result.table_version, result.skipped, result.commits
    (True, 'r1', 7, False, 1)
    """

    run_ids: tuple[str, ...]
    written_run_ids: tuple[str, ...] = ()
    skipped_run_ids: tuple[str, ...] = ()
    unconfirmed_run_ids: tuple[str, ...] = ()
    rows_written: int = 0
    commit_rows_written: tuple[int | None, ...] = ()
    table_versions: tuple[int, ...] = ()
    duration_secs: float = 0.0
    error: WriterError | None = None
    pruned: PruneResult | None = None
    compacted: OptimizeResult | None = None
    maintenance_error: WriterError | None = None

    @property
    def success(self) -> bool:
        """Whether the call raised no error (unconfirmed commits are not errors)."""
        return self.error is None

    @property
    def run_id(self) -> str:
        """The run of a single-report write."""
        if len(self.run_ids) != 1:
            raise ValueError(f"this result covers {len(self.run_ids)} runs; see run_ids")
        return self.run_ids[0]

    @property
    def table_version(self) -> int | None:
        """The version of the last commit made, or None when nothing was committed."""
        return self.table_versions[-1] if self.table_versions else None

    @property
    def skipped(self) -> bool:
        """Whether every run given was already in the log, so nothing was written."""
        return bool(self.run_ids) and len(self.skipped_run_ids) == len(self.run_ids)

    @property
    def commits(self) -> int:
        """How many Delta commits the call made."""
        return len(self.table_versions)

    @property
    def rows_unknown_commits(self) -> int:
        """How many commits Delta gave no row count for (``rows_written`` leaves them out)."""
        return sum(1 for rows in self.commit_rows_written if rows is None)


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterMetrics:
    """What a writer measured over its lifetime (see ``enable_performance_monitoring``).

    The counts are always kept; the timing and memory figures only while monitoring is on
    (they are ``None`` otherwise).

    Parameters
    ----------
    monitoring_enabled
        Whether the timing and memory figures were measured.
    writes, failed_writes
        Calls made, and those that failed.
    runs_written, runs_skipped
        Runs committed, and runs found already logged.
    rows_written
        Rows committed (Delta's counts).
    commits
        Delta commits made.
    total_duration_secs, mean_duration_secs, max_duration_secs
        Seconds spent in the calls.
    rows_per_sec
        ``rows_written`` over ``total_duration_secs``.
    peak_python_rss_growth_bytes
        The largest growth of this Python process's resident memory during one call. It is
        the driver's Python process only: the JVM's and the executors' memory is not in it.

    Examples
    --------
    >>> metrics = WriterMetrics(monitoring_enabled=False, writes=2, failed_writes=0,
    ...     runs_written=3, runs_skipped=1, rows_written=12, commits=2,
    ...     total_duration_secs=None, mean_duration_secs=None, max_duration_secs=None,
    ...     rows_per_sec=None, peak_python_rss_growth_bytes=None)
    >>> metrics.runs_written + metrics.runs_skipped, metrics.rows_per_sec
    (4, None)
    """

    monitoring_enabled: bool
    writes: int
    failed_writes: int
    runs_written: int
    runs_skipped: int
    rows_written: int
    commits: int
    total_duration_secs: float | None
    mean_duration_secs: float | None
    max_duration_secs: float | None
    rows_per_sec: float | None
    peak_python_rss_growth_bytes: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LogCommit:
    """One commit of the log table, as [`history`][sparkforge.writer.LogWriter.history] lists them.

    Parameters
    ----------
    version
        The table version the commit made.
    timestamp
        When it was committed, a UTC-aware instant.
    operation
        Delta's name of the operation (``"WRITE"``, ``"OPTIMIZE"``, ``"DELETE"`` ...).
    runs
        The runs the commit logged, as its writer recorded in the commit (None for commits
        this library's writer did not make: maintenance, migrations, other engines).
    rows
        The rows the commit wrote, as Delta's ``numOutputRows`` metric says (None where
        Delta did not report it).
    user_metadata
        The commit's ``userMetadata``.
    by_writer
        Whether a sparkforge log writer made the commit.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> commit = LogCommit(version=3, timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...     operation="WRITE", runs=1, rows=5, user_metadata=None, by_writer=True)
    >>> commit.runs, commit.rows
    (1, 5)
    """

    version: int
    timestamp: datetime
    operation: str
    runs: int | None
    rows: int | None
    user_metadata: str | None
    by_writer: bool

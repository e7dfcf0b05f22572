"""Table maintenance: ``OPTIMIZE`` (compaction, Z-order, clustering) and ``VACUUM``.

``RESTORE`` is in `time_travel`.

Everything here is SQL, never ``DeltaTable``, so it runs on Spark Connect sessions without
Delta's Connect plugin too. Identifiers enter SQL text only quoted; the only values that do
are integers and floats checked and formatted here. Every count in a result is Delta's: the
operation's metrics, its commit's metrics in the history, or ``DESCRIBE DETAIL``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sparkforge._result import Result
from sparkforge.errors import ProblemCollector, TableOperationError
from sparkforge.table_operations.detail import (
    commit_after,
    describe_table,
    latest_entry,
    render_lines,
)
from sparkforge.table_operations.failures import failure_reason, operation_failed
from sparkforge.table_operations.identifiers import quote_identifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["optimize", "OptimizeResult", "retention_hours_of", "vacuum", "VacuumResult"]

#: Delta's default of ``delta.deletedFileRetentionDuration`` (interval 1 week).
DEFAULT_RETENTION_HOURS = 168.0
_UNIX_EPOCH_DATE = date(1970, 1, 1)
_CHECK_CONF = "spark.databricks.delta.retentionDurationCheck.enabled"
# Delta's refusal of a retention below its check: the message up to Delta 4.2, the error
# class from Delta 4.3 on.
_DELTA_REFUSED_RETENTION = re.compile(
    r"such a low retention period|DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT"
)
_HOURS_PER_UNIT = {
    "week": 168.0,
    "day": 24.0,
    "hour": 1.0,
    "minute": 1 / 60,
    "second": 1 / 3600,
    "millisecond": 1 / 3_600_000,
    "microsecond": 1 / 3_600_000_000,
}


def _argument_error(subject: str, problems: ProblemCollector) -> Exception:
    from sparkforge.reporting._log_frame import argument_error

    return argument_error(subject, problems)


@dataclass(frozen=True, slots=True)
class OptimizeResult(Result):
    """What one [`optimize`][sparkforge.table_operations.optimize] did, in Delta's own counts.

    Attributes
    ----------
    files_before, files_after : int
        Data files of the current version before and after (``DESCRIBE DETAIL``).
    bytes_before, bytes_after : int
        Their total size in bytes (``DESCRIBE DETAIL``).
    files_added, files_removed : int
        Files the OPTIMIZE wrote and removed (its metrics ``numFilesAdded`` and
        ``numFilesRemoved``).
    clustered : bool
        Whether the table has clustering columns, so the OPTIMIZE clustered it.
    zorder_by : tuple of str
        The Z-order columns given.
    version : int or None
        The version the OPTIMIZE committed; None when it changed nothing (no commit).

    Examples
    --------
    >>> result = OptimizeResult(files_before=50, files_after=1, bytes_before=24_700,
    ...     bytes_after=514, files_added=1, files_removed=50, clustered=False, zorder_by=(),
    ...     version=51)
    >>> print(result)
    Optimize (version 51)
      files          50 -> 1
      bytes          24700 -> 514
      files_added    1
      files_removed  50
      clustered      False
      zorder_by      -
    """

    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    files_added: int
    files_removed: int
    clustered: bool
    zorder_by: tuple[str, ...]
    version: int | None

    def __str__(self) -> str:
        title = (
            "Optimize (no change)" if self.version is None else f"Optimize (version {self.version})"
        )
        return render_lines(
            title,
            [
                ("files", f"{self.files_before} -> {self.files_after}"),
                ("bytes", f"{self.bytes_before} -> {self.bytes_after}"),
                ("files_added", self.files_added),
                ("files_removed", self.files_removed),
                ("clustered", self.clustered),
                ("zorder_by", ", ".join(self.zorder_by) or None),
            ],
        )


@dataclass(frozen=True, slots=True)
class VacuumResult(Result):
    """What one [`vacuum`][sparkforge.table_operations.vacuum] did.

    Attributes
    ----------
    files_deleted : int or None
        Files deleted (Delta's ``numDeletedFiles`` metric of its ``VACUUM END`` commit), or
        for a dry run the files it would delete (the length of Delta's list); None when Delta
        logged no ``VACUUM END`` commit (``spark.databricks.delta.vacuum.logging.enabled``
        off).
    retention_hours : float
        The retention used: files no longer referenced for longer than this were deleted.
    dry_run : bool
        Whether it only listed the files.
    version : int or None
        The version of the ``VACUUM END`` commit; None for a dry run (no commit).

    Examples
    --------
    >>> print(VacuumResult(files_deleted=4, retention_hours=168.0, dry_run=True, version=None))
    Vacuum (dry run)
      files_deleted    4
      retention_hours  168.0
    """

    files_deleted: int | None
    retention_hours: float
    dry_run: bool
    version: int | None

    def __str__(self) -> str:
        title = "Vacuum (dry run)" if self.dry_run else f"Vacuum (version {self.version})"
        return render_lines(
            title,
            [("files_deleted", self.files_deleted), ("retention_hours", self.retention_hours)],
        )


def _check_zorder(
    spark: SparkSession, table: TableRef, columns: tuple[str, ...], clustering: tuple[str, ...]
) -> None:
    def refuse(reason: str) -> TableOperationError:
        return TableOperationError(
            "TABLE_OPERATION_FAILED",
            {"operation": "optimize", "table": str(table), "reason": reason},
        )

    if clustering:
        raise refuse(
            f"the table is clustered by {', '.join(clustering)}, so OPTIMIZE clusters it by "
            "those columns and takes no Z-order columns (Delta refuses ZORDER BY on a "
            "clustered table): call optimize without zorder_by"
        )
    try:
        names = table.read(spark).columns
    except Exception as exc:
        raise operation_failed("optimize", table, exc) from exc
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise refuse(
            f"the Z-order column(s) {', '.join(unknown)} are not columns of the table "
            f"(it has {', '.join(names)})"
        )


def optimize(
    spark: SparkSession,
    table: TableRef,
    *,
    zorder_by: Sequence[str] = (),
    partitions_from: tuple[str, date] | None = None,
) -> OptimizeResult:
    """Compact the table's small files (``OPTIMIZE``): Z-ordered, or clustered when clustered.

    On a table with clustering columns, OPTIMIZE clusters the files by them (liquid
    clustering) and ``zorder_by`` is refused. Rows are not changed, only rewritten into fewer
    files; the old files stay until a [`vacuum`][sparkforge.table_operations.vacuum] past the
    retention.

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    zorder_by
        Columns to Z-order the files by (none: plain compaction, bin-packing).
    partitions_from
        ``(column, day)``: compact only the partitions whose date partition ``column`` is
        ``day`` or later (``OPTIMIZE ... WHERE column >= day``), e.g. the days a write
        touched. Ignored when ``column`` is not a partition column of the table (a
        clustered table: its OPTIMIZE is incremental anyway), which is then compacted whole.

    Returns
    -------
    OptimizeResult
        Files and bytes before and after (``DESCRIBE DETAIL``), files added and removed
        (OPTIMIZE's metrics), and the version it committed.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` when ``zorder_by`` is not a sequence of strings.
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unusable column name (before any Spark call);
        ``TABLE_OPERATION_FAILED`` for ``zorder_by`` on a clustered table or an unknown
        column (before any change), or with Delta's reason.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    optimize(spark, table).files_after  # 1
    ```
    """
    problems = ProblemCollector()
    given: object = zorder_by
    if isinstance(given, str) or not isinstance(given, (list, tuple)):
        problems.add("zorder_by", f"expected a list or tuple of column names, got {given!r}")
    elif not all(isinstance(c, str) for c in given):
        problems.add("zorder_by", f"expected column names (strings), got {given!r}")
    bound: object = partitions_from
    if bound is not None and not (
        isinstance(bound, tuple)
        and len(bound) == 2
        and isinstance(bound[0], str)
        and isinstance(bound[1], date)
        and not isinstance(bound[1], datetime)
    ):
        problems.add("partitions_from", f"expected None or (column, date), got {bound!r}")
    if problems:
        raise _argument_error("optimize arguments", problems)
    columns = tuple(zorder_by)
    quoted = [quote_identifier(c, kind="column") for c in columns]
    before = describe_table(spark, table)
    if columns:
        _check_zorder(spark, table, columns, before.clustering_columns)
    latest = latest_entry(spark, table)
    statement = f"OPTIMIZE {table.sql_name}"
    if partitions_from is not None and partitions_from[0] in before.partition_columns:
        column = quote_identifier(partitions_from[0], kind="column")
        day = (partitions_from[1] - _UNIX_EPOCH_DATE).days
        statement += f" WHERE {column} >= DATE_FROM_UNIX_DATE({int(day)})"
    if quoted:
        statement += f" ZORDER BY ({', '.join(quoted)})"
    try:
        (row,) = spark.sql(statement).collect()
    except Exception as exc:
        raise operation_failed("optimize", table, exc) from exc
    metrics = row["metrics"]
    added, removed = int(metrics["numFilesAdded"]), int(metrics["numFilesRemoved"])
    after = describe_table(spark, table)
    version = None
    if added or removed:
        commit = commit_after(
            spark, table, None if latest is None else latest.version, {"OPTIMIZE"}
        )
        version = None if commit is None else commit.version
    return OptimizeResult(
        files_before=before.num_files,
        files_after=after.num_files,
        bytes_before=before.size_in_bytes,
        bytes_after=after.size_in_bytes,
        files_added=added,
        files_removed=removed,
        clustered=bool(before.clustering_columns),
        zorder_by=columns,
        version=version,
    )


def retention_hours_of(properties: dict[str, str]) -> float:
    """Return the table's ``delta.deletedFileRetentionDuration`` in hours (default 168).

    A value this cannot read (Delta would refuse it anyway) counts as the default.

    Examples
    --------
    >>> retention_hours_of({"delta.deletedFileRetentionDuration": "interval 2 days 12 hours"})
    60.0
    >>> retention_hours_of({})
    168.0
    """
    lowered = {k.lower(): v for k, v in properties.items()}
    words = lowered.get("delta.deletedfileretentionduration", "").split()
    if words and words[0].lower() == "interval":
        words = words[1:]
    if not words or len(words) % 2:
        return DEFAULT_RETENTION_HOURS
    hours = 0.0
    for amount, unit_word in zip(words[::2], words[1::2], strict=True):
        unit = unit_word.lower().removesuffix("s")
        try:
            hours += float(amount) * _HOURS_PER_UNIT[unit]
        except (KeyError, ValueError):
            return DEFAULT_RETENTION_HOURS
    return hours


def _hours_text(hours: float) -> str:
    """``hours`` as a plain decimal literal (no exponent), exactly as Python shows it."""
    return format(Decimal(repr(float(hours))), "f")


def vacuum(
    spark: SparkSession,
    table: TableRef,
    *,
    retention_hours: float = DEFAULT_RETENTION_HOURS,
    allow_unsafe_retention: bool = False,
    dry_run: bool = False,
) -> VacuumResult:
    """Delete the files no version within the retention references (``VACUUM``).

    Time travel to versions older than the retention stops working after a vacuum, and a
    reader or writer still working on such a version fails. So a retention shorter than the
    table's ``delta.deletedFileRetentionDuration`` (default 168 hours) is refused unless
    ``allow_unsafe_retention`` is set; even then Delta's own check refuses it while the
    session has ``spark.databricks.delta.retentionDurationCheck.enabled`` true (sparkforge
    never sets Spark conf: the session's owner decides).

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    retention_hours
        Keep the files the versions of the last this many hours need (finite, >= 0).
    allow_unsafe_retention
        Allow a retention below the table's ``delta.deletedFileRetentionDuration``.
    dry_run
        Only count the files that would be deleted (``VACUUM ... DRY RUN``; no commit).

    Returns
    -------
    VacuumResult
        Files deleted (or to delete), as Delta counts them.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` for a negative, non-finite or non-number retention or
        non-boolean flags (before any Spark call).
    TableOperationError
        ``TABLE_RETENTION_UNSAFE`` for a retention below the table's minimum without
        ``allow_unsafe_retention`` (before any change), or when Delta's session check
        refuses it (the error says which conf to set); ``TABLE_OPERATION_FAILED`` with
        Delta's reason.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    vacuum(spark, table, dry_run=True).files_deleted  # 0
    ```
    """
    problems = ProblemCollector()
    hours: object = retention_hours
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        problems.add("retention_hours", f"expected a number of hours, got {hours!r}")
    elif not math.isfinite(hours) or hours < 0:
        problems.add("retention_hours", f"expected a finite number >= 0, got {hours!r}")
    flags: tuple[tuple[str, object], ...] = (
        ("allow_unsafe_retention", allow_unsafe_retention),
        ("dry_run", dry_run),
    )
    for name, flag in flags:
        if not isinstance(flag, bool):
            problems.add(name, f"expected True or False, got {flag!r}")
    if problems:
        raise _argument_error("vacuum arguments", problems)
    retention = float(retention_hours)
    minimum = retention_hours_of(describe_table(spark, table).properties)

    def unsafe(hint: str) -> TableOperationError:
        return TableOperationError(
            "TABLE_RETENTION_UNSAFE",
            {
                "hours": f"{retention:g}",
                "table": str(table),
                "minimum": f"{minimum:g}",
                "hint": hint,
            },
        )

    if retention < minimum and not allow_unsafe_retention:
        raise unsafe(
            "time travel to older versions, and readers or writers still using them, would "
            "fail; pass allow_unsafe_retention=True only when no one uses those versions"
        )
    latest = None if dry_run else latest_entry(spark, table)
    statement = f"VACUUM {table.sql_name} RETAIN {_hours_text(retention)} HOURS"
    try:
        if dry_run:
            return VacuumResult(
                files_deleted=spark.sql(f"{statement} DRY RUN").count(),
                retention_hours=retention,
                dry_run=True,
                version=None,
            )
        spark.sql(statement).collect()
    except Exception as exc:
        if _DELTA_REFUSED_RETENTION.search(str(exc)[:4000]):
            raise unsafe(
                f"Delta's own check refused it ({failure_reason(exc)}); sparkforge never "
                f"sets Spark conf: set {_CHECK_CONF}=false in your session to allow it"
            ) from exc
        raise operation_failed("vacuum", table, exc) from exc
    end = commit_after(spark, table, None if latest is None else latest.version, {"VACUUM END"})
    return VacuumResult(
        files_deleted=None if end is None else end.metric("numDeletedFiles"),
        retention_hours=retention,
        dry_run=False,
        version=None if end is None else end.version,
    )

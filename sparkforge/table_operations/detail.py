"""What ``DESCRIBE DETAIL`` and ``DESCRIBE HISTORY`` say about a table, as typed values.

Both are read with SQL, not through ``DeltaTable``, so they work on Spark Connect sessions
without Delta's Connect plugin too. Commit instants are read as microseconds since the epoch
(``unix_micros``): Delta reports them in the session time zone, as naive timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable

    from pyspark.sql import SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = [
    "commit_after",
    "describe_table",
    "history_entries",
    "HistoryEntry",
    "latest_entry",
    "newer_entries",
    "render_lines",
    "TableDetail",
    "unix_micros",
]


@dataclass(frozen=True, slots=True)
class TableDetail:
    """A Delta table's layout and properties, from one ``DESCRIBE DETAIL``.

    Attributes
    ----------
    location : str
        Where its files are.
    partition_columns : tuple of str
        Its partition columns, in order.
    clustering_columns : tuple of str
        Its liquid-clustering columns (empty when it has none).
    properties : dict of str to str
        Its table properties.
    num_files : int
        Data files in the current version.
    size_in_bytes : int
        Their total size.

    Examples
    --------
    >>> TableDetail(location="file:/w/t", partition_columns=("day",)).clustering_columns
    ()
    """

    location: str
    partition_columns: tuple[str, ...] = ()
    clustering_columns: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    num_files: int = 0
    size_in_bytes: int = 0


def describe_table(spark: SparkSession, table: TableRef) -> TableDetail:
    """Return what ``DESCRIBE DETAIL`` reports about ``table``, read once.

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` with Delta's reason (no Delta table there ...).

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    describe_table(spark, table).partition_columns  # ('day',)
    ```
    """
    try:
        (row,) = spark.sql(f"DESCRIBE DETAIL {table.sql_name}").collect()
    except Exception as exc:
        raise operation_failed("describe detail", table, exc) from exc
    values = row.asDict()
    return TableDetail(
        location=str(values.get("location") or ""),
        partition_columns=tuple(str(c) for c in values.get("partitionColumns") or ()),
        clustering_columns=tuple(str(c) for c in values.get("clusteringColumns") or ()),
        properties={str(k): str(v) for k, v in (values.get("properties") or {}).items()},
        num_files=int(values.get("numFiles") or 0),
        size_in_bytes=int(values.get("sizeInBytes") or 0),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: How many of the newest commits are read at a time when looking back through the history.
_WINDOWS: tuple[int | None, ...] = (10, 100, 1000, None)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One commit of ``DESCRIBE HISTORY``, typed.

    Attributes
    ----------
    version : int
        The version the commit made.
    operation : str
        Delta's operation name (``"WRITE"``, ``"DELETE"``, ``"VACUUM END"`` ...).
    read_version : int or None
        The version the operation read (None for the first commit).
    metrics : dict of str to str
        Delta's ``operationMetrics``.
    timestamp : datetime
        The commit instant, UTC-aware.

    Examples
    --------
    >>> entry = HistoryEntry(4, "DELETE", 3, {"numDeletedRows": "2"},
    ...                      datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> entry.metric("numDeletedRows"), entry.metric("numAddedFiles")
    (2, None)
    """

    version: int
    operation: str
    read_version: int | None
    metrics: dict[str, str]
    timestamp: datetime

    def metric(self, name: str) -> int | None:
        """Return the integer metric ``name``, or None when Delta did not report it."""
        text = self.metrics.get(name)
        return int(text) if text is not None and text.isdigit() else None


def unix_micros(instant: datetime) -> int:
    """Return an aware ``instant`` as whole microseconds since the epoch.

    Examples
    --------
    >>> unix_micros(datetime(1970, 1, 2, tzinfo=timezone.utc))
    86400000000
    """
    return (instant - _EPOCH) // timedelta(microseconds=1)


def render_lines(title: str, pairs: Iterable[tuple[str, object]]) -> str:
    """Return ``title`` and aligned ``name  value`` lines (what the results print).

    Examples
    --------
    >>> print(render_lines("Vacuum", [("dry_run", True), ("files_deleted", 3)]))
    Vacuum
      dry_run        True
      files_deleted  3
    """
    items = [(name, "-" if value is None else str(value)) for name, value in pairs]
    width = max((len(name) for name, _ in items), default=0)
    return "\n".join([title, *(f"  {name.ljust(width)}  {value}" for name, value in items)])


def history_entries(
    spark: SparkSession, table: TableRef, *, limit: int | None
) -> tuple[HistoryEntry, ...]:
    """Return the table's newest ``limit`` commits (all for None), newest first.

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` with Delta's reason (no Delta table there ...).

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    history_entries(spark, table, limit=1)[0].operation  # 'WRITE'
    ```
    """
    suffix = "" if limit is None else f" LIMIT {int(limit)}"
    try:
        rows = (
            spark.sql(f"DESCRIBE HISTORY {table.sql_name}{suffix}")
            .select(
                "version",
                "operation",
                "readVersion",
                "operationMetrics",
                F.unix_micros("timestamp").alias("micros"),
            )
            .collect()
        )
    except Exception as exc:
        raise operation_failed("history", table, exc) from exc
    entries = (
        HistoryEntry(
            version=int(row["version"]),
            operation=str(row["operation"]),
            read_version=None if row["readVersion"] is None else int(row["readVersion"]),
            metrics={str(k): str(v) for k, v in (row["operationMetrics"] or {}).items()},
            timestamp=_EPOCH + timedelta(microseconds=int(row["micros"])),
        )
        for row in rows
    )
    return tuple(sorted(entries, key=lambda e: e.version, reverse=True))


def latest_entry(spark: SparkSession, table: TableRef) -> HistoryEntry | None:
    """Return the table's newest commit (None for a table without commits)."""
    entries = history_entries(spark, table, limit=1)
    return entries[0] if entries else None


def newer_entries(
    spark: SparkSession, table: TableRef, is_newer: Callable[[HistoryEntry], bool]
) -> tuple[HistoryEntry, ...]:
    """Return the newest commits for which ``is_newer`` holds, oldest first.

    The history is read newest first in growing windows, so looking back a few commits reads
    a few commits.
    """
    for window in _WINDOWS:
        entries = history_entries(spark, table, limit=window)
        newer = tuple(e for e in entries if is_newer(e))
        if window is None or len(entries) < window or len(newer) < len(entries):
            return tuple(reversed(newer))
    return ()  # pragma: no cover - the last window is the whole history


def commit_after(
    spark: SparkSession, table: TableRef, before: int | None, operations: Collection[str]
) -> HistoryEntry | None:
    """Return the oldest commit after version ``before`` made by one of ``operations``.

    ``before`` is the version read just before the operation ran (None: the table had no
    commit), so the commit found is the operation's own unless a concurrent writer ran the
    same kind of operation meanwhile.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    commit_after(spark, table, 4, {"OPTIMIZE"}).version  # 5
    ```
    """
    floor = -1 if before is None else before
    newer = newer_entries(spark, table, lambda e: e.version > floor)
    return next((e for e in newer if e.operation in operations), None)

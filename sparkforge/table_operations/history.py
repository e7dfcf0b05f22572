"""A table's commit history: typed commits, the latest version, a commit found by its marker.

The history is read with ``DESCRIBE HISTORY`` (SQL, never ``DeltaTable``), so it is read the
same way on classic and Spark Connect sessions.

Delta reports a commit's time in the session time zone as a naive timestamp; here it is read
as microseconds since the epoch (``unix_micros``), so `Commit.timestamp` is the same UTC
instant whatever the session's and the Python process's time zones are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.errors import ConfigurationError, TableOperationError
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pyspark.sql import DataFrame, Row, SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["Commit", "find_commit", "history", "latest_version", "recent_commits"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Commit:
    """One Delta commit, as read from the table history.

    Attributes
    ----------
    version : int
        The table version the commit made.
    operation : str
        Delta's name of the operation (``"WRITE"``, ``"CREATE TABLE"``, ``"OPTIMIZE"`` ...).
    num_output_rows : int or None
        The rows it wrote, as Delta's ``numOutputRows`` metric reports; None when Delta did
        not report it (a metadata-only commit, or metrics turned off).
    user_metadata : str or None
        The commit's ``userMetadata`` (the marker of
        [`append`][sparkforge.table_operations.append]).
    timestamp : datetime
        When it was committed, a UTC-aware instant.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> Commit(version=3, operation="WRITE", num_output_rows=10, user_metadata=None,
    ...        timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc)).version
    3
    """

    version: int
    operation: str
    num_output_rows: int | None
    user_metadata: str | None
    timestamp: datetime


def _check_limit(limit: int | None) -> None:
    # Typed, but given by users; it is written into the SQL text, so it must be an integer.
    given: object = limit
    if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < 1):
        raise ConfigurationError(
            "CONFIG_INVALID",
            {"option": "limit", "reason": f"expected None or an integer >= 1, got {given!r}"},
        )


def history(
    spark: SparkSession,
    table: TableRef,
    *,
    limit: int | None = None,
) -> DataFrame:
    """Return the table's commit history, newest first (``DESCRIBE HISTORY``).

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    limit
        How many of the newest commits; None for all (an integer, written into the SQL text
        as one).

    Returns
    -------
    DataFrame
        Delta's history columns, lazily.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` when ``limit`` is not None or a positive integer.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Delta cannot read the history (no table there ...).

    Notes
    -----
    *Changed in 0.1.0:* Read with ``DESCRIBE HISTORY``; the ``handle`` parameter (a ``DeltaTable``)
    is gone.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    history(spark, table, limit=1).select("version").collect()  # [Row(version=0)]
    ```
    """
    _check_limit(limit)
    suffix = "" if limit is None else f" LIMIT {int(limit)}"
    try:
        return spark.sql(f"DESCRIBE HISTORY {table.sql_name}{suffix}")
    except Exception as exc:
        raise operation_failed("history", table, exc) from exc


def _output_rows(metrics: Mapping[str, str] | None) -> int | None:
    text = (metrics or {}).get("numOutputRows")
    if text is None or not str(text).isdigit():
        return None
    return int(text)


def _commit(row: Row) -> Commit:
    return Commit(
        version=int(row["version"]),
        operation=str(row["operation"]),
        num_output_rows=_output_rows(row["operationMetrics"]),
        user_metadata=row["userMetadata"],
        timestamp=_EPOCH + timedelta(microseconds=int(row["micros"])),
    )


def recent_commits(
    spark: SparkSession,
    table: TableRef,
    *,
    limit: int | None,
) -> list[Commit]:
    """Return the table's newest commits, newest first.

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    limit
        How many commits at most (at least 1); None for the whole history.

    Returns
    -------
    list of Commit
        Newest first.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` when ``limit`` is not None or a positive integer.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Delta cannot read the history.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    [c.operation for c in recent_commits(spark, table, limit=2)]  # ['WRITE', 'CREATE TABLE']
    ```
    """
    _check_limit(limit)
    commits_df = history(spark, table, limit=limit).select(
        "version",
        "operation",
        "operationMetrics",
        "userMetadata",
        F.unix_micros("timestamp").alias("micros"),
    )
    try:
        rows = commits_df.collect()
    except Exception as exc:
        raise operation_failed("history", table, exc) from exc
    return sorted((_commit(row) for row in rows), key=lambda c: c.version, reverse=True)


def latest_version(spark: SparkSession, table: TableRef) -> int:
    """Return the table's current version.

    Raises
    ------
    TableOperationError
        ``TABLE_NOT_FOUND`` for a table without commits, ``TABLE_OPERATION_FAILED`` when
        Delta cannot read its history.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    latest_version(spark, table)  # 4
    ```
    """
    commits = recent_commits(spark, table, limit=1)
    if not commits:
        raise TableOperationError("TABLE_NOT_FOUND", {"table": str(table)})
    return commits[0].version


def find_commit(
    spark: SparkSession,
    table: TableRef,
    marker: str,
    *,
    windows: Sequence[int | None] = (1, 100),
) -> Commit | None:
    """Find the newest commit whose ``userMetadata`` is ``marker``.

    The history is read newest first in growing windows, so the usual case (the marker is
    on the latest commit) reads one commit.

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    marker
        The marker given to [`append`][sparkforge.table_operations.append] or
        [`overwrite`][sparkforge.table_operations.overwrite].
    windows
        How many recent commits to look at, one window after another; None (last) looks at
        the whole history.

    Returns
    -------
    Commit or None
        The commit, or None when none of the looked-at commits carries the marker (for an
        append with a [`Transaction`][sparkforge.table_operations.Transaction]: Delta skipped it as
        already committed).

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` for a window that is not None or a positive integer.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Delta cannot read the history.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    find_commit(spark, table, "run-42", windows=(1, None)).version  # 7
    ```
    """
    for window in windows:
        commits = recent_commits(spark, table, limit=window)
        for commit in commits:
            if commit.user_metadata == marker:
                return commit
        if window is None or len(commits) < window:
            return None
    return None

"""A table's commit history: commits, the latest version, finding a commit by its marker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge.errors import TableOperationError
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["Commit", "find_commit", "history", "latest_version"]


@dataclass(frozen=True, slots=True)
class Commit:
    """One Delta commit, as read from the table history."""

    version: int
    operation: str
    num_output_rows: int | None
    user_metadata: str | None


def history(spark: SparkSession, table: TableRef, *, limit: int | None = None) -> DataFrame:
    """Return the table's commit history, newest first (``DESCRIBE HISTORY``)."""
    try:
        return table.delta_table(spark).history(limit)
    except Exception as exc:
        raise operation_failed("history", table, exc) from exc


def _commits(spark: SparkSession, table: TableRef, limit: int) -> list[Commit]:
    rows = (
        history(spark, table, limit=limit)
        .select("version", "operation", "operationMetrics", "userMetadata")
        .collect()
    )
    commits = []
    for row in rows:
        metrics = row["operationMetrics"] or {}
        output = metrics.get("numOutputRows")
        commits.append(
            Commit(
                version=int(row["version"]),
                operation=str(row["operation"]),
                num_output_rows=None if output is None else int(output),
                user_metadata=row["userMetadata"],
            )
        )
    return commits


def latest_version(spark: SparkSession, table: TableRef) -> int:
    """Return the table's current version."""
    commits = _commits(spark, table, 1)
    if not commits:
        raise TableOperationError("TABLE_NOT_FOUND", {"table": str(table)})
    return commits[0].version


def find_commit(
    spark: SparkSession, table: TableRef, marker: str, *, windows: Sequence[int] = (1, 100)
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
        The marker given to :func:`append` or :func:`overwrite`.
    windows
        How many recent commits to look at, one window after another.

    Returns
    -------
    Commit or None
        The commit, or None when none of the looked-at commits carries the marker (for an
        append with a :class:`Transaction`: Delta skipped it as already committed).
    """
    for window in windows:
        commits = _commits(spark, table, window)
        for commit in commits:
            if commit.user_metadata == marker:
                return commit
        if len(commits) < window:
            return None
    return None

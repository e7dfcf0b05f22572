"""Appends and overwrites: one Delta commit each, retried through conflicts, idempotent.

An append may carry a Delta transaction identifier (``txnAppId`` / ``txnVersion``): Delta
skips a write whose identifier it has already committed, atomically, which makes retries of
the same write idempotent even across processes. A marker in the commit's ``userMetadata``
lets the caller find its commit (version, rows) in the table history, or learn that Delta
skipped it. Overwrites are Delta overwrites: history and time travel keep the old data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sparkforge.table_operations.conflicts import retry_on_conflict

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import DataFrame

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["append", "overwrite", "Transaction"]


@dataclass(frozen=True, slots=True)
class Transaction:
    """A Delta transaction identifier making a write idempotent.

    Delta records ``(app_id, version)`` in the commit; a later write with the same ``app_id``
    and a ``version`` not above the recorded one is skipped.
    """

    app_id: str
    version: int = 0


WriteMode = Literal["append", "overwrite"]


def _write(
    df: DataFrame,
    table: TableRef,
    *,
    mode: WriteMode,
    options: Mapping[str, str] | None,
    partition_by: Sequence[str],
) -> None:
    writer = df.write.format("delta").mode(mode)
    if options:
        writer = writer.options(**options)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    if table.path is not None:
        writer.save(table.path)
    else:
        writer.saveAsTable(table.fqn)


def append(
    df: DataFrame,
    table: TableRef,
    *,
    transaction: Transaction | None = None,
    marker: str | None = None,
    options: Mapping[str, str] | None = None,
    max_attempts: int = 5,
    backoff_secs: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Append ``df`` to ``table`` in one Delta commit, retrying on commit conflicts.

    Parameters
    ----------
    df
        The rows to append.
    table
        The target table (created by the append if absent, with ``df``'s schema).
    transaction
        Makes the append idempotent: Delta skips it if this identifier was committed.
    marker
        Stored as the commit's ``userMetadata``; :func:`find_commit` finds the commit by it.
    options
        More Delta writer options (e.g. ``compression``).
    max_attempts, backoff_secs, sleep
        Conflict retries, see :func:`retry_on_conflict`.

    Raises
    ------
    TableOperationError
        When the append failed (the Spark or Delta error is chained).
    """
    opts = dict(options or {})
    if transaction is not None:
        opts["txnAppId"] = transaction.app_id
        opts["txnVersion"] = str(transaction.version)
    if marker is not None:
        opts["userMetadata"] = marker
    retry_on_conflict(
        lambda: _write(df, table, mode="append", options=opts, partition_by=()),
        name="append",
        table=table,
        max_attempts=max_attempts,
        backoff_secs=backoff_secs,
        sleep=sleep,
    )


def overwrite(
    df: DataFrame,
    table: TableRef,
    *,
    transaction: Transaction | None = None,
    marker: str | None = None,
    options: Mapping[str, str] | None = None,
    partition_by: Sequence[str] = (),
    overwrite_schema: bool = False,
    max_attempts: int = 5,
    backoff_secs: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Replace the contents of ``table`` with ``df`` in one Delta commit.

    This is a Delta overwrite: the table is never dropped and earlier versions stay readable
    by time travel.

    Parameters
    ----------
    df
        The new contents.
    table
        The target table (created if absent).
    transaction, marker, options
        As for :func:`append`.
    partition_by
        Partition columns (only needed when the overwrite creates or re-partitions the table).
    overwrite_schema
        Replace the table's schema with ``df``'s (``overwriteSchema``).
    max_attempts, backoff_secs, sleep
        Conflict retries, see :func:`retry_on_conflict`.

    Raises
    ------
    TableOperationError
        When the overwrite failed (the Spark or Delta error is chained).
    """
    opts = dict(options or {})
    if transaction is not None:
        opts["txnAppId"] = transaction.app_id
        opts["txnVersion"] = str(transaction.version)
    if marker is not None:
        opts["userMetadata"] = marker
    if overwrite_schema:
        opts["overwriteSchema"] = "true"
    retry_on_conflict(
        lambda: _write(df, table, mode="overwrite", options=opts, partition_by=partition_by),
        name="overwrite",
        table=table,
        max_attempts=max_attempts,
        backoff_secs=backoff_secs,
        sleep=sleep,
    )

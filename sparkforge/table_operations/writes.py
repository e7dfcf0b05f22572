"""Appends and overwrites: one Delta commit each, retried through conflicts, idempotent.

An append may carry a Delta transaction identifier (``txnAppId`` / ``txnVersion``): Delta
skips a write whose identifier it has already committed, atomically, which makes retries of
the same write idempotent even across processes. A marker in the commit's ``userMetadata``
lets the caller find its commit (version, rows) in the table history, or learn that Delta
skipped it. Overwrites are Delta overwrites: history and time travel keep the old data.

An append never creates its table implicitly. Delta (checked on 4.0.1) runs an append to an
absent catalog table as ``CREATE TABLE AS SELECT`` and drops the ``userMetadata`` option from
that commit, so the caller could not find its commit; [`append`][sparkforge.table_operations.append]
therefore creates an absent table first (``create if not exists``, surviving racing creators), then
appends, so every append commit carries its marker and its transaction identifier.

A session without Delta fails as ``DELTA_NOT_CONFIGURED`` (see
[`check_delta_session`][sparkforge.table_operations.check_delta_session]), not as a raw error.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge.errors import TableOperationError
from sparkforge.models import WriteMode
from sparkforge.table_operations.conflicts import retry_on_conflict
from sparkforge.table_operations.creation import (
    create_table_if_not_exists,
    location_not_empty_error,
    table_exists,
)
from sparkforge.table_operations.session import check_delta_session, missing_delta_error

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import DataFrame

    from sparkforge.models import WriteModeName
    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["append", "overwrite", "Transaction"]


@dataclass(frozen=True, slots=True)
class Transaction:
    """A Delta transaction identifier making a write idempotent.

    Delta records ``(app_id, version)`` in the commit; a later write with the same ``app_id``
    and a ``version`` not above the recorded one is skipped.

    Examples
    --------
    >>> Transaction("orders-load-2026-01-02")
    Transaction(app_id='orders-load-2026-01-02', version=0)

    Pass it to [`append`][sparkforge.table_operations.append] or
    [`overwrite`][sparkforge.table_operations.overwrite] as ``transaction=``.
    """

    app_id: str
    version: int = 0


def _overwrites_in_place(
    df: DataFrame, table: TableRef, mode: WriteMode | WriteModeName, partition_by: Sequence[str]
) -> bool:
    """Whether an overwrite of an existing catalog table goes through ``writeTo``.

    Only on Spark 3.5, from a thread other than the main one (a pipeline's parallel steps),
    where ``saveAsTable`` would drop the table. Elsewhere ``saveAsTable`` overwrites through
    Delta's catalog, which keeps the history and records the commit as ``CREATE OR REPLACE
    TABLE AS SELECT``; ``writeTo``'s overwrite records it as ``WRITE``, with the same schema
    enforcement, properties and history. A re-partitioning overwrite (given ``partition_by``)
    and the creation of a table stay with ``saveAsTable``.
    """
    if WriteMode(mode) is not WriteMode.OVERWRITE or partition_by:
        return False
    if threading.current_thread() is threading.main_thread():
        return False
    spark = df.sparkSession
    return int(spark.version.split(".")[0]) < 4 and table_exists(spark, table)


def _write(
    df: DataFrame,
    table: TableRef,
    *,
    mode: WriteMode | WriteModeName,
    options: Mapping[str, str] | None,
    partition_by: Sequence[str],
) -> None:
    writer = df.write.format("delta").mode(WriteMode(mode).value)
    if options:
        writer = writer.options(**options)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    try:
        if table.path is not None:
            writer.save(table.path)
        elif WriteMode(mode) is WriteMode.APPEND and not partition_by:
            # The append to an existing table that saveAsTable makes (AppendData by name),
            # asked for directly: PySpark 3.5's saveAsTable, called from a thread other than
            # the session's (a pipeline's parallel steps), takes Spark's v1 path, which sees a
            # Delta table's empty catalog schema and refuses the append.
            df.writeTo(table.quoted).options(**(options or {})).append()
        elif _overwrites_in_place(df, table, mode, partition_by):
            # PySpark 3.5's saveAsTable from such a thread takes the same v1 path, which
            # overwrites by dropping the table and creating it again: its history is gone.
            # Delta's own overwrite (OverwriteByExpression of everything) keeps it.
            df.writeTo(table.quoted).options(**(options or {})).overwrite(F.lit(True))
        else:
            writer.saveAsTable(table.quoted)
    except Exception as exc:
        missing = missing_delta_error(exc)
        if missing is not None:
            raise missing from exc
        leftover = location_not_empty_error(table, exc)
        if leftover is not None:
            raise leftover from exc
        raise


def _nullable_field(field: T.StructField) -> T.StructField:
    return T.StructField(field.name, _nullable(field.dataType), True, field.metadata)


def _nullable(data_type: T.DataType) -> T.DataType:
    """Return ``data_type`` with every field and element nullable, as a CTAS makes it."""
    if isinstance(data_type, T.StructType):
        return T.StructType([_nullable_field(field) for field in data_type.fields])
    if isinstance(data_type, T.ArrayType):
        return T.ArrayType(_nullable(data_type.elementType), True)
    if isinstance(data_type, T.MapType):
        return T.MapType(_nullable(data_type.keyType), _nullable(data_type.valueType), True)
    return data_type


def _create_if_absent(
    df: DataFrame,
    table: TableRef,
    *,
    partition_by: Sequence[str],
    max_attempts: int,
    backoff_secs: float,
    sleep: Callable[[float], None],
) -> None:
    spark = df.sparkSession
    try:
        if table_exists(spark, table):
            return
    except TableOperationError as exc:
        missing = missing_delta_error(exc)
        if missing is None:
            raise
        raise missing from exc
    # Before a schema or a directory is made for it: a session without Delta says so.
    check_delta_session(spark)
    create_table_if_not_exists(
        spark,
        table,
        T.StructType([_nullable_field(field) for field in df.schema.fields]),
        partition_by=partition_by,
        max_attempts=max_attempts,
        backoff_secs=backoff_secs,
        sleep=sleep,
    )


def _commit_options(
    options: Mapping[str, str] | None, transaction: Transaction | None, marker: str | None
) -> dict[str, str]:
    """Return the Delta writer options of one commit: its transaction id and its marker."""
    opts = dict(options or {})
    if transaction is not None:
        opts["txnAppId"] = transaction.app_id
        opts["txnVersion"] = str(transaction.version)
    if marker is not None:
        opts["userMetadata"] = marker
    return opts


def append(
    df: DataFrame,
    table: TableRef,
    *,
    transaction: Transaction | None = None,
    marker: str | None = None,
    options: Mapping[str, str] | None = None,
    partition_by: Sequence[str] = (),
    max_attempts: int = 5,
    backoff_secs: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Append ``df`` to ``table`` in one Delta commit, retrying on commit conflicts.

    An absent table is first created (``create if not exists``, in a commit of its own) with
    ``df``'s columns, all nullable, and ``partition_by``; the append is then a commit of its
    own that carries ``marker`` and ``transaction``. Concurrent appenders creating the same
    table are survived.

    Parameters
    ----------
    df
        The rows to append.
    table
        The target table.
    transaction
        Makes the append idempotent: Delta skips it if this identifier was committed.
    marker
        Stored as the commit's ``userMetadata``;
        [`find_commit`][sparkforge.table_operations.find_commit] finds the commit by it.
    options
        More Delta writer options (e.g. ``compression``).
    partition_by
        Partition columns of the table, used when the append creates it.
    max_attempts, backoff_secs, sleep
        Conflict retries, see [`retry_on_conflict`][sparkforge.table_operations.retry_on_conflict],
        and how often to look again for a table a concurrent creator is still committing.

    Raises
    ------
    TableOperationError
        ``DELTA_NOT_CONFIGURED`` when the session cannot use Delta; otherwise when the append
        failed (the Spark or Delta error is chained).

    Examples
    --------
    ```python
    from sparkforge.table_operations import TableRef, Transaction, append, find_commit

    orders = TableRef.named("shop", "orders")
    load = Transaction("orders-load-2026-01-02")
    append(orders_df, orders, transaction=load, marker="orders-load-2026-01-02")
    append(orders_df, orders, transaction=load)  # a retry: Delta skips it
    find_commit(spark, orders, "orders-load-2026-01-02").version
    ```
    """
    opts = _commit_options(options, transaction, marker)
    _create_if_absent(
        df,
        table,
        partition_by=partition_by,
        max_attempts=max_attempts,
        backoff_secs=backoff_secs,
        sleep=sleep,
    )
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
        As for [`append`][sparkforge.table_operations.append].
    partition_by
        Partition columns (only needed when the overwrite creates or re-partitions the table).
    overwrite_schema
        Replace the table's schema with ``df``'s (``overwriteSchema``).
    max_attempts, backoff_secs, sleep
        Conflict retries, see [`retry_on_conflict`][sparkforge.table_operations.retry_on_conflict].

    Raises
    ------
    TableOperationError
        When the overwrite failed (the Spark or Delta error is chained).

    Examples
    --------
    ```python
    from sparkforge.table_operations import TableRef, latest_version, overwrite, read_as_of

    orders = TableRef.named("shop", "orders")
    before = latest_version(spark, orders)
    overwrite(fixed_orders_df, orders)
    read_as_of(spark, orders, version=before).count()  # the rows before the overwrite
    ```
    """
    opts = _commit_options(options, transaction, marker)
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

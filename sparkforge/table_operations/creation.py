"""Creating schemas and tables once, and checking what exists.

Tables are created once (``create if not exists``) through the ``DeltaTable`` builder, never
SQL text; two writers racing to create the same table is normal and survived.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from delta.tables import DeltaTable

from sparkforge.errors import TableOperationError
from sparkforge.table_operations.failures import operation_failed
from sparkforge.table_operations.identifiers import quote_identifier
from sparkforge.table_operations.recovery import remove_abandoned_log

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["create_table_if_not_exists", "ensure_schema", "read_schema", "table_exists"]


def ensure_schema(spark: SparkSession, schema: str) -> None:
    """Create the catalog schema (database) ``schema`` if it does not exist."""
    quoted = quote_identifier(schema, kind="schema")
    if not spark.catalog.databaseExists(schema):
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")


def table_exists(spark: SparkSession, table: TableRef) -> bool:
    """Return whether ``table`` exists (for a path: whether a Delta table is stored there)."""
    try:
        if table.path is not None:
            return bool(DeltaTable.isDeltaTable(spark, table.path))
        return bool(spark.catalog.tableExists(table.fqn))
    except Exception as exc:
        raise operation_failed("existence check", table, exc) from exc


def read_schema(spark: SparkSession, table: TableRef) -> StructType:
    """Return the schema of ``table`` (no Spark job runs).

    Raises
    ------
    TableOperationError
        ``TABLE_NOT_FOUND`` if it does not exist.
    """
    if not table_exists(spark, table):
        raise TableOperationError("TABLE_NOT_FOUND", {"table": str(table)})
    try:
        return table.read(spark).schema
    except Exception as exc:
        raise operation_failed("schema read", table, exc) from exc


def create_table_if_not_exists(
    spark: SparkSession,
    table: TableRef,
    schema: StructType,
    *,
    partition_by: Sequence[str] = (),
    properties: Mapping[str, str] | None = None,
    comment: str | None = None,
    max_attempts: int = 5,
    backoff_secs: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Create ``table`` with ``schema`` unless it exists; survive concurrent creators.

    Non-nullable fields become ``NOT NULL`` columns. When another writer creates the table at
    the same moment, Delta rejects one of the two commits (with errors that differ by timing);
    this function then checks that the table exists and returns. A path table's ``_delta_log``
    without any commit, left by a creator killed before its first commit, is removed once half
    the attempts have waited (see :func:`remove_abandoned_log`).

    Parameters
    ----------
    spark
        The session.
    table
        The table to create.
    schema
        Its columns.
    partition_by
        Partition columns.
    properties
        Table properties.
    comment
        The table comment.
    max_attempts, backoff_secs, sleep
        How often to look again for a table a concurrent creator is still committing.

    Returns
    -------
    bool
        Whether the table was absent when the call began (so this call, or a creator racing
        it, created it: Delta lets both succeed and commits version 0 once).

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when the table could not be created and does not exist.
    """
    if table_exists(spark, table):
        return False
    if table.schema is not None:
        ensure_schema(spark, table.schema)
    delay = backoff_secs
    last: Exception | None = None
    attempt = 0
    cleared = False
    while attempt < max_attempts:
        builder = DeltaTable.createIfNotExists(spark)
        builder = (
            builder.location(table.path) if table.path is not None else builder.tableName(table.fqn)
        )
        builder = builder.addColumns(schema)
        if partition_by:
            builder = builder.partitionedBy(*partition_by)
        for key, value in (properties or {}).items():
            builder = builder.property(key, value)
        if comment is not None:
            builder = builder.comment(comment)
        try:
            builder.execute()
            return True
        # A racing creator surfaces as ProtocolChangedException, a raw Py4J error, or "location
        # is not empty" while its first commit is in flight: whatever it was, look again.
        except Exception as exc:
            last = exc
            if table_exists(spark, table):
                return False
            attempt += 1
            # Half the attempts spent waiting for a racing creator: a commit-less log left by a
            # killed one will never become a table, and blocks creation until removed. The
            # attempt right after removing it is not counted.
            if (
                not cleared
                and attempt >= (max_attempts + 1) // 2
                and remove_abandoned_log(spark, table)
            ):
                cleared = True
                attempt -= 1
                continue
            if attempt < max_attempts:
                sleep(delay)
                delay *= 2
    raise operation_failed("create table", table, last or RuntimeError("unknown")) from last

"""Creating schemas and tables once, and checking what exists.

Tables are created once with ``CREATE TABLE IF NOT EXISTS ... USING DELTA`` (the text built
by `ddl`, names quoted and values escaped), never through
delta-spark's ``DeltaTable`` API, so creation works on Spark Connect sessions too; two writers
racing to create the same table is normal and survived. A catalog table is created in its own
catalog (a three-part name such as Unity Catalog's ``main.ops.run_log`` included). Whether a
path holds a Delta table is asked by resolving it with the DataFrame reader, which loads the
table's snapshot and starts no Spark job.

A catalog table whose metastore entry is gone while its files stayed (a throw-away in-memory
Derby metastore, a dropped external table) cannot be created again over those files; that is
reported as ``TABLE_LOCATION_NOT_EMPTY`` with what to do about it.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from sparkforge.errors import ConfigurationError, TableOperationError
from sparkforge.table_operations.ddl import create_table_statement
from sparkforge.table_operations.failures import operation_failed
from sparkforge.table_operations.identifiers import quote_identifier, validate_identifier
from sparkforge.table_operations.recovery import remove_abandoned_log
from sparkforge.table_operations.session import check_delta_session, missing_delta_error

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from sparkforge.table_operations.table_ref import TableRef

__all__ = [
    "create_table_if_not_exists",
    "ensure_schema",
    "location_not_empty_error",
    "read_schema",
    "table_exists",
]

_NON_EMPTY_LOCATION = re.compile(
    r"DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION|is not empty and also not a Delta table"
)
_LOCATION_IN_TEXT = re.compile(r"location \('([^']*)'\)")
# How Delta says no table is at a path: nothing there, or no commit in its log.
_NO_TABLE_AT_PATH = re.compile(
    r"\[(?:PATH_NOT_FOUND|DELTA_TABLE_NOT_FOUND|DELTA_MISSING_DELTA_TABLE)\]"
    r"|is not a Delta table"
)
_LOCATION_HINT = (
    "the catalog forgot the table but kept its files, as a throw-away metastore (Spark's "
    "default in-memory Derby) does at the end of every session; use a persistent metastore "
    "(a Hive metastore with a fixed javax.jdo.option.ConnectionURL and derby.system.home, or "
    "Unity Catalog), or address the table by path (table_path) at that location, or remove "
    "the directory if its files are not wanted"
)


def ensure_schema(spark: SparkSession, schema: str, *, catalog: str | None = None) -> None:
    """Create the catalog schema (database) ``schema`` if it does not exist.

    Parameters
    ----------
    spark
        The session.
    schema
        The schema name (validated and quoted).
    catalog
        Its catalog; None for the session's current one.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unusable name (before any Spark call), or
        ``TABLE_OPERATION_FAILED`` with Spark's reason when the schema cannot be created.

    Examples
    --------
    With a session ``spark`` (the integration tests run this):

    ```python
    ensure_schema(spark, "user")
    ```
    """
    quoted = quote_identifier(schema, kind="schema", catalog=catalog)
    if catalog is not None:
        quoted = f"{quote_identifier(catalog, kind='catalog', catalog=catalog)}.{quoted}"
    try:
        if not spark.catalog.databaseExists(quoted):
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
    except Exception as exc:
        shown = schema if catalog is None else f"{catalog}.{schema}"
        raise operation_failed("create schema", shown, exc) from exc


def table_exists(spark: SparkSession, table: TableRef) -> bool:
    """Return whether ``table`` exists (for a path: whether a Delta table is stored there).

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark cannot tell (an unknown catalog ...).

    Examples
    --------
    With a session ``spark`` (the integration tests run this):

    ```python
    table_exists(spark, TableRef.named("ops", "run_log"))  # False
    ```
    """
    try:
        if table.path is None:
            return bool(spark.catalog.tableExists(table.quoted))
        # Resolving the path loads the snapshot (as DeltaTable.isDeltaTable would) and runs
        # no job; ``.schema`` makes a Spark Connect session resolve it too.
        _ = spark.read.format("delta").load(table.path).schema
    except Exception as exc:
        if table.path is not None and _NO_TABLE_AT_PATH.search(str(exc)[:2000]):
            return False
        raise operation_failed("existence check", table, exc) from exc
    return True


def read_schema(spark: SparkSession, table: TableRef) -> StructType:
    """Return the schema of ``table`` (no Spark job runs).

    Raises
    ------
    TableOperationError
        ``TABLE_NOT_FOUND`` if it does not exist.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    read_schema(spark, table).fieldNames()  # ['id', 'day']
    ```
    """
    if not table_exists(spark, table):
        raise TableOperationError("TABLE_NOT_FOUND", {"table": str(table)})
    try:
        return table.read(spark).schema
    except Exception as exc:
        raise operation_failed("schema read", table, exc) from exc


def location_not_empty_error(table: TableRef, exc: BaseException) -> TableOperationError | None:
    """Return ``TABLE_LOCATION_NOT_EMPTY`` if ``exc`` is Delta refusing a leftover location.

    Delta refuses to create a catalog table whose location already holds files
    (``DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION``), its own log included, when the catalog
    no longer knows the table. Writes that create a catalog table use this too.

    Parameters
    ----------
    table
        The catalog table being created.
    exc
        What Delta raised.

    Returns
    -------
    TableOperationError or None
        The error (chained to ``exc``), or None when ``exc`` is something else or ``table``
        is a path table.

    Examples
    --------
    >>> from sparkforge.table_operations import TableRef
    >>> error = location_not_empty_error(TableRef.named("ops", "log"), RuntimeError(
    ...     "[DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION] Cannot create table ('`ops`.`log`')."
    ...     " The associated location ('file:/w/ops.db/log') is not empty and also not a "
    ...     "Delta table."))
    >>> error.params["location"]
    'file:/w/ops.db/log'
    """
    if table.path is not None or not _NON_EMPTY_LOCATION.search(str(exc)[:4000]):
        return None
    found = _LOCATION_IN_TEXT.search(str(exc)[:4000])
    error = TableOperationError(
        "TABLE_LOCATION_NOT_EMPTY",
        {
            "table": str(table),
            "location": found.group(1) if found else "(not reported by Delta)",
            "hint": _LOCATION_HINT,
        },
    )
    error.__cause__ = exc
    return error


def create_table_if_not_exists(
    spark: SparkSession,
    table: TableRef,
    schema: StructType,
    *,
    partition_by: Sequence[str] = (),
    cluster_by: Sequence[str] = (),
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
    the attempts have waited (see `remove_abandoned_log`).

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
    cluster_by
        Liquid-clustering columns (``CLUSTER BY``): OPTIMIZE then clusters the files by
        them. A table is partitioned or clustered, not both (Delta refuses both).
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
    ConfigurationError
        ``CONFIG_INVALID`` for both ``partition_by`` and ``cluster_by`` (before any Spark
        call).
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unusable clustering column (before any Spark call);
        ``TABLE_LOCATION_NOT_EMPTY`` when the catalog does not know the table but its
        location holds files (see `location_not_empty_error`);
        ``TABLE_OPERATION_FAILED`` when the table could not be created and does not exist;
        ``TABLE_LOG_ABANDONED`` when a commit-less log blocks creation and cannot safely be
        removed here (it names the directory to remove).

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    create_table_if_not_exists(spark, TableRef.named("ops", "events"), schema)  # True
    ```
    """
    if partition_by and cluster_by:
        raise ConfigurationError(
            "CONFIG_INVALID",
            {
                "option": "partition_by, cluster_by",
                "reason": "a Delta table is either partitioned or clustered, not both "
                f"(got partition_by={list(partition_by)!r}, cluster_by={list(cluster_by)!r})",
            },
        )
    clustering = [validate_identifier(c, kind="column") for c in cluster_by]
    if table_exists(spark, table):
        return False
    # Before a schema or a directory is made for it: a session without Delta says so.
    check_delta_session(spark)
    if table.schema is not None:
        ensure_schema(spark, table.schema, catalog=table.catalog)
    statement = create_table_statement(
        table.sql_name,
        schema,
        partition_by=partition_by,
        cluster_by=clustering,
        properties=properties,
        comment=comment,
    )
    delay = backoff_secs
    last: Exception | None = None
    attempt = 0
    cleared = False
    while attempt < max_attempts:
        try:
            spark.sql(statement).collect()
            if table.path is not None:
                # Delta's IF NOT EXISTS takes a _delta_log without any commit (a killed
                # creator's) for a table and creates nothing: reading the table tells, with
                # Delta's own error (DELTA_TABLE_NOT_FOUND) when nothing was made.
                _ = spark.read.format("delta").load(table.path).schema
            return True
        # A racing creator surfaces as ProtocolChangedException, a raw Py4J error, or "location
        # is not empty" while its first commit is in flight: whatever it was, look again.
        except Exception as exc:
            missing = missing_delta_error(exc)
            if missing is not None:
                raise missing from exc
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
                and remove_abandoned_log(table, exc)
            ):
                cleared = True
                attempt -= 1
                continue
            if attempt < max_attempts:
                sleep(delay)
                delay *= 2
    failure = last or RuntimeError("unknown")
    leftover = location_not_empty_error(table, failure)
    if leftover is not None:
        raise leftover from last
    raise operation_failed("create table", table, failure) from last

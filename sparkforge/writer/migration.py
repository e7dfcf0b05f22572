"""The migration of a legacy log table to schema v1, in place, safe under concurrent writers.

[`migrate_legacy_table`][sparkforge.writer.migrate_legacy_table] rewrites a legacy log table with
the v1 columns in one Delta overwrite, keeping every row and the table's history. It reads the table
at one pinned version and proves, from the commit's own ``readVersion`` in the table history, that
the overwrite replaced exactly that version; a writer that committed in between is never lost
(see the function's Notes).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError
from sparkforge.models import utc_now
from sparkforge.table_operations import TableRef
from sparkforge.writer._legacy_schema import (
    _LEGACY_TYPES,
    _V1_TYPES,
    _has_v1_columns,
    _is_v1,
    _type_mismatches,
)
from sparkforge.writer._legacy_schema import (
    _migrated as _migrated,  # re-exported: tests build the migrated rows with it
)
from sparkforge.writer._migration_commit import _failed, _verified_commit
from sparkforge.writer.config import (
    DEFAULT_MAX_COMMIT_ATTEMPTS,
    DEFAULT_PARTITION_COLUMNS,
    DEFAULT_TABLE_PROPERTIES,
    PARTITIONABLE_COLUMNS,
    SCHEMA_VERSION_PROPERTY,
)
from sparkforge.writer.exceptions import WriterConfigurationError, WriterTableError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import SparkSession

__all__ = ["legacy_run_id", "migrate_legacy_table", "MigrationResult"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIRST_BACKOFF_SECS = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationResult:
    """What [`migrate_legacy_table`][sparkforge.writer.migrate_legacy_table] did.

    Attributes
    ----------
    migrated
        Whether a migration commit was made (False: the table already had schema v1).
    table
        The table.
    version_before
        The version the migration read (the table's version before the call when nothing
        was done).
    version_after
        The version of the migration commit (``version_before`` when nothing was done).
    rows_migrated
        The rows the migration wrote, from Delta's commit metrics (0 when nothing was done;
        None when Delta did not report it).
    properties_set
        The table properties the call set (sorted), in one metadata-only commit after the
        data commit: those of ``table_properties`` the table did not have.
    attempts
        How many times the migration was built and tried (conflicts retry it whole).

    Examples
    --------
    >>> from sparkforge.table_operations import TableRef
    >>> result = MigrationResult(migrated=False, table=TableRef.named("ops", "log"),
    ...                          version_before=3, version_after=3, rows_migrated=0)
    >>> result.migrated, result.attempts
    (False, 1)
    """

    migrated: bool
    table: TableRef
    version_before: int
    version_after: int | None
    rows_migrated: int | None
    properties_set: tuple[str, ...] = ()
    attempts: int = 1


def legacy_run_id(
    run_mode: str | None, started_at: datetime | None, ended_at: datetime | None
) -> str:
    """Return the ``run_id`` that [`sparkforge.writer.migrate_legacy_table`][] gives a legacy run.

    The legacy log has no run id; a run is known by its mode and its start and end instants.
    The id is ``"legacy-"`` and the first 32 hex digits of the SHA-256 of
    ``"{run_mode}|{start}|{end}"``, each instant as its microseconds since the Unix epoch
    (``null`` when missing; a missing mode counts as ``""``). It depends on the instants
    only, never on a time zone. Naive datetimes are taken as local time, as PySpark takes
    them when it stores them.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    >>> legacy_run_id("initial", t, None)
    'legacy-15275b2ce585e7832f11aa4e3237d63f'
    >>> legacy_run_id("initial", t.astimezone(timezone(timedelta(hours=5, minutes=30))), None)
    'legacy-15275b2ce585e7832f11aa4e3237d63f'
    """

    def micros(moment: datetime | None) -> str:
        if moment is None:
            return "null"
        return str((moment.astimezone(timezone.utc) - _EPOCH) // timedelta(microseconds=1))

    key = f"{run_mode or ''}|{micros(started_at)}|{micros(ended_at)}"
    return "legacy-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# --------------------------------------------------------------------------- arguments


def _config_error(option: str, reason: str) -> WriterConfigurationError:
    return WriterConfigurationError("WRITER_CONFIG_INVALID", {"option": option, "reason": reason})


def _check_arguments(
    table: object,
    pipeline_name: object,
    partition_columns: object,
    logged_at: object,
    max_commit_attempts: object,
) -> None:
    if not isinstance(table, TableRef):
        raise _config_error("table", f"expected a TableRef, got {type(table).__name__}")
    if not isinstance(pipeline_name, str) or not pipeline_name.strip():
        raise _config_error("pipeline_name", f"expected a non-empty str, got {pipeline_name!r}")
    if isinstance(partition_columns, str) or not isinstance(partition_columns, (tuple, list)):
        raise _config_error("partition_columns", "expected a sequence of column names")
    for column in partition_columns:
        if column not in PARTITIONABLE_COLUMNS:
            allowed = ", ".join(sorted(PARTITIONABLE_COLUMNS))
            raise _config_error("partition_columns", f"{column!r} is not one of {allowed}")
    if len(set(partition_columns)) != len(partition_columns):
        raise _config_error("partition_columns", "a column is named twice")
    if logged_at is not None and (
        not isinstance(logged_at, datetime) or logged_at.utcoffset() is None
    ):
        raise _config_error("logged_at", "expected a timezone-aware datetime")
    if type(max_commit_attempts) is not int or max_commit_attempts < 1:
        raise _config_error(
            "max_commit_attempts", f"expected an int >= 1, got {max_commit_attempts!r}"
        )


# --------------------------------------------------------------------------- migration


class _Moved(Exception):
    """Another writer committed before the migration's commit began: nothing was changed."""


def migrate_legacy_table(
    spark: SparkSession,
    table: TableRef,
    *,
    pipeline_name: str = "legacy",
    partition_columns: Sequence[str] = DEFAULT_PARTITION_COLUMNS,
    logged_at: datetime | None = None,
    table_properties: Mapping[str, str] = DEFAULT_TABLE_PROPERTIES,
    max_commit_attempts: int = DEFAULT_MAX_COMMIT_ATTEMPTS,
) -> MigrationResult:
    """Upgrade a legacy log table to [`LOG_SCHEMA`][sparkforge.writer.LOG_SCHEMA] (v1), in place.

    The table is read at one pinned version, and one Delta overwrite (with
    ``overwriteSchema``) rewrites that version's rows with the v1 columns; the table is never
    dropped, and the version before stays readable by time travel. A second, metadata-only
    commit then sets the ``table_properties`` the table lacks, so it carries what a log table
    the writer creates carries. Calling it again, or on a table the new writer created, does
    nothing; calling it again after a failure between the two commits sets the missing
    properties.

    Parameters
    ----------
    spark
        The session.
    table
        The legacy log table (a catalog name or a path).
    pipeline_name
        The ``pipeline_name`` of every migrated row (the legacy log had none).
    partition_columns
        How the migrated table is partitioned, as new log tables are (``()`` for none).
    logged_at
        The ``logged_at`` of every migrated row (a timezone-aware instant; default: now).
    table_properties
        The properties a log table should have (default
        `DEFAULT_TABLE_PROPERTIES`). Only those the table lacks are
        set; values it already has are kept.
    max_commit_attempts
        How many times the whole migration (pin, read, rebuild, commit) is tried while other
        writers commit to the table first.

    Returns
    -------
    MigrationResult
        Whether a commit was made, the versions read and written, Delta's count of the rows
        written, and the attempts it took.

    Raises
    ------
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID`` for an invalid argument, before any Spark call.
    WriterTableError
        ``TABLE_NOT_FOUND``; ``TABLE_SCHEMA_MISMATCH`` (saying which columns differ) when the
        table is neither a legacy nor a v1 log table, and it is left untouched;
        ``TABLE_CONFLICT`` when other writers committed first on every attempt (nothing was
        changed); ``TABLE_CONCURRENT_CHANGE`` when a writer committed between the pinned read
        and the start of the overwrite: the overwrite was undone by a ``RESTORE`` to the
        version before it, so the table is the legacy table with that writer's rows;
        ``TABLE_OPERATION_FAILED`` when Delta/Spark failed.

    See Also
    --------
    sparkforge.writer.LogWriter.migrate_legacy_table : the same, with the writer's options.

    Notes
    -----
    Every legacy column keeps its values: counts become BIGINT, ``validation_rate`` DOUBLE
    (the FLOAT value exactly). The new columns are filled as follows:

    - ``run_id``: `legacy_run_id` of the row's mode and run instants. Legacy runs with
      the same mode and the same start and end (both missing, say) cannot be told apart and
      share an id.
    - ``run_status`` and ``step_status``: ``"unknown"`` (the legacy log did not record them).
    - ``run_date``: the UTC date of ``run_started_at``; ``row_kind``: ``"step"``.
    - ``step_index``: 0-based within the run, by phase (bronze, silver, gold), start time, step.
    - ``duration_secs``, ``error_type``, ``error_message``: NULL (never measured).
    - ``rule_results``: empty; ``tags``: ``{"migrated_from": "legacy"}``.
    - ``schema_version``: 0, which marks migrated rows; ``writer_version``: ``"legacy"``.

    Delta makes every column of an overwritten schema nullable, and Spark refuses to make a
    nullable column NOT NULL afterwards, so the migrated table has no NOT NULL constraints.
    Properties the table had before are kept.

    Concurrent writers lose nothing. The rows written are those of the pinned version ``P``;
    the overwrite removes the files of the version its transaction read, ``R`` (Delta's
    ``readVersion`` of the commit, read back from the history). Delta's conflict detection
    covers every commit after ``R``: an append there makes the overwrite fail with a
    conflict, and the whole migration is tried again from a new pin. Only ``R == P`` proves
    that what was removed is exactly what was rewritten, so the migration checks it: when
    ``R > P`` (a writer committed in the moment between the pin and the overwrite's start),
    it restores the version before its own commit, which holds that writer's rows, and
    raises ``TABLE_CONCURRENT_CHANGE``. The pin is also compared with the table's version
    just before writing, so that moment is short and a move found there is retried.

    Examples
    --------
    ```python
    from sparkforge.table_operations import TableRef
    from sparkforge.writer import migrate_legacy_table

    result = migrate_legacy_table(
        spark, TableRef.parse("ops.pipeline_logs"), pipeline_name="orders"
    )
    print(result.migrated, result.rows_migrated, result.version_after)
    migrate_legacy_table(spark, TableRef.parse("ops.pipeline_logs")).migrated  # False
    ```
    """
    _check_arguments(table, pipeline_name, partition_columns, logged_at, max_commit_attempts)
    if not isinstance(table_properties, Mapping):
        raise _config_error("table_properties", f"expected a mapping, got {table_properties!r}")
    try:
        wanted = ops.validate_properties(table_properties)
    except TableOperationError as exc:
        reason = f"property {exc.params['name']!r}: {exc.params['reason']}"
        raise _config_error("table_properties", reason) from None
    stamp = (logged_at or utc_now()).astimezone(timezone.utc)
    delay = _FIRST_BACKOFF_SECS
    reason = ""
    for attempt in range(1, max_commit_attempts + 1):
        try:
            return _attempt(
                spark,
                table,
                pipeline_name=pipeline_name,
                partition_columns=tuple(partition_columns),
                logged_at=stamp,
                wanted=wanted,
                attempt=attempt,
            )
        except _Moved as moved:
            reason = str(moved)
        if attempt < max_commit_attempts:
            time.sleep(delay)
            delay *= 2
    raise WriterTableError(
        "TABLE_CONFLICT",
        {
            "operation": "migrate_legacy_table",
            "table": str(table),
            "attempts": str(max_commit_attempts),
            "reason": reason,
        },
    )


def _attempt(
    spark: SparkSession,
    table: TableRef,
    *,
    pipeline_name: str,
    partition_columns: tuple[str, ...],
    logged_at: datetime,
    wanted: Mapping[str, str],
    attempt: int,
) -> MigrationResult:
    """Pin, read, rebuild and commit once; raise `_Moved` to be tried again."""
    try:
        if not ops.table_exists(spark, table):
            raise WriterTableError("TABLE_NOT_FOUND", {"table": str(table)})
        pinned = ops.latest_version(spark, table)
        snapshot_df = ops.version_frame(spark, table, pinned)
        schema = snapshot_df.schema
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    except WriterTableError:
        raise
    except Exception as exc:
        raise _failed("read", table, exc) from exc
    if _is_v1(schema):
        # A table the writer created has the schema-version property; one without it was
        # migrated by a call that stopped before (or predates) its properties commit.
        completed: tuple[str, ...] = ()
        have = _properties(spark, table)
        if SCHEMA_VERSION_PROPERTY not in have:
            completed = _complete_properties(spark, table, wanted, have)
        return MigrationResult(
            migrated=False,
            table=table,
            version_before=pinned,
            version_after=pinned,
            rows_migrated=0,
            properties_set=completed,
            attempts=attempt,
        )
    # A table with any v1-only column is compared with v1, whatever else it holds.
    against, expected = ("v1", _V1_TYPES) if _has_v1_columns(schema) else ("legacy", _LEGACY_TYPES)
    mismatch = _type_mismatches(schema, expected)
    if mismatch:
        raise WriterTableError(
            "TABLE_SCHEMA_MISMATCH",
            {
                "table": str(table),
                "reason": "it is neither a legacy nor a v1 log table; compared with the "
                f"{against} log schema: {mismatch}",
            },
        )
    marker = f"sparkforge.migrate_legacy_table:{uuid.uuid4().hex}"
    migrated_df = _migrated(snapshot_df, pipeline_name=pipeline_name, logged_at=logged_at)
    try:
        latest = ops.latest_version(spark, table)
        if latest != pinned:
            raise _Moved(f"version {latest} was committed after version {pinned} was read")
        # One attempt here: a retry must re-pin and rebuild, not rewrite the old snapshot.
        ops.overwrite(
            migrated_df,
            table,
            marker=marker,
            partition_by=partition_columns,
            overwrite_schema=True,
            max_attempts=1,
        )
    except TableOperationError as exc:
        if exc.code == "TABLE_CONFLICT":
            reason = f"the overwrite conflicted with a concurrent commit ({exc.message})"
            raise _Moved(reason) from exc
        raise WriterTableError(exc.code, exc.params) from exc
    commit = _verified_commit(spark, table, marker, pinned)
    completed = _complete_properties(spark, table, wanted, _properties(spark, table))
    return MigrationResult(
        migrated=True,
        table=table,
        version_before=pinned,
        version_after=commit.version,
        rows_migrated=commit.num_output_rows,
        properties_set=completed,
        attempts=attempt,
    )


def _properties(spark: SparkSession, table: TableRef) -> dict[str, str]:
    try:
        return ops.read_properties(spark, table)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc


def _complete_properties(
    spark: SparkSession, table: TableRef, wanted: Mapping[str, str], have: Mapping[str, str]
) -> tuple[str, ...]:
    """Set the ``wanted`` properties ``table`` lacks (it ``have``s the others) in one commit.

    Returns the keys set, sorted.
    """
    missing = {key: value for key, value in wanted.items() if key not in have}
    try:
        ops.set_properties(spark, table, missing)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    return tuple(sorted(missing))

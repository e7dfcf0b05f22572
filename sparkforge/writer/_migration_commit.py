"""The migration's commit, checked: proof that it replaced exactly the version it read.

Private helper of `sparkforge.writer.migration`. Delta records in each commit the
version its transaction read (``readVersion``); a migration commit whose ``readVersion`` is
the version the migration pinned and rewrote removed exactly the rows it rewrote. Otherwise
the commit is undone with a ``RESTORE`` of the version before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge import table_operations as ops
from sparkforge.errors import SparkForgeError, TableOperationError
from sparkforge.table_operations import failure_reason
from sparkforge.writer.exceptions import WriterTableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.table_operations import TableRef

__all__: list[str] = []

# How many recent commits are searched for the migration's own commit (and its restore).
_HISTORY_WINDOW = 100
# Attempts at the RESTORE that undoes a migration, while other writers keep committing.
_RESTORE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class _Commit:
    """One commit of the table history, with the version its transaction read."""

    version: int
    read_version: int | None
    operation: str
    num_output_rows: int | None
    user_metadata: str | None


def _recent_commits(
    spark: SparkSession, table: TableRef, *, limit: int = _HISTORY_WINDOW
) -> list[_Commit]:
    """Return the table's ``limit`` latest commits, newest first."""
    rows = (
        ops.history(spark, table, limit=limit)
        .select("version", "readVersion", "operation", "operationMetrics", "userMetadata")
        .collect()
    )
    commits = []
    for row in rows:
        output = (row["operationMetrics"] or {}).get("numOutputRows")
        read_version = row["readVersion"]
        commits.append(
            _Commit(
                version=int(row["version"]),
                read_version=None if read_version is None else int(read_version),
                operation=str(row["operation"]),
                num_output_rows=None if output is None else int(output),
                user_metadata=row["userMetadata"],
            )
        )
    return commits


def _verified_commit(spark: SparkSession, table: TableRef, marker: str, pinned: int) -> _Commit:
    """Return the migration's commit once it is proven to have replaced exactly ``pinned``.

    Otherwise restore the version before it and raise ``TABLE_CONCURRENT_CHANGE``.
    """
    try:
        commits = _recent_commits(spark, table)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    except Exception as exc:
        raise _failed("history", table, exc) from exc
    ours = next((c for c in commits if c.user_metadata == marker), None)
    if ours is None:
        raise _concurrent(
            table,
            f"the migration's commit is not among the {_HISTORY_WINDOW} latest, so it cannot "
            f"be checked; compare the table with version {pinned} (time travel)",
        )
    if ours.read_version == pinned:
        return ours
    before = ours.version - 1
    restored = _restore(spark, table, before, after=ours.version)
    raise _concurrent(
        table,
        f"version {pinned} was migrated but the overwrite began at version "
        f"{ours.read_version}; the migration (version {ours.version}) was undone by restoring "
        f"version {before} {restored}",
    )


def _restore(spark: SparkSession, table: TableRef, version: int, *, after: int) -> str:
    """Restore ``version``; say whether the restore replaced exactly commit ``after``."""
    try:
        # SQL, not DeltaTable.restoreToVersion: it runs on Spark Connect sessions too.
        # Retried through conflicts: another writer's commit after ours does not stop the undo.
        ops.retry_on_conflict(
            lambda: spark.sql(
                f"RESTORE TABLE {table.sql_name} TO VERSION AS OF {int(version)}"
            ).collect(),
            name="restore",
            table=table,
            max_attempts=_RESTORE_ATTEMPTS,
        )
        commits = _recent_commits(spark, table)
    except Exception as exc:
        cause = exc.message if isinstance(exc, SparkForgeError) else failure_reason(exc)
        raise WriterTableError(
            "TABLE_CONCURRENT_CHANGE",
            {
                "operation": "migrate_legacy_table",
                "table": str(table),
                "reason": f"the migration (version {after}) replaced a version other than the "
                f"one it read, and restoring version {version} failed ({cause}); "
                f"restore version {version} by hand",
            },
        ) from exc
    restore = next((c for c in commits if c.operation == "RESTORE"), None)
    if restore is not None and restore.read_version == after:
        return f"(version {restore.version}), so every row is there"
    return (
        "after other commits; check the versions after "
        f"{after} (time travel) for rows of writers that committed meanwhile"
    )


def _concurrent(table: TableRef, reason: str) -> WriterTableError:
    return WriterTableError(
        "TABLE_CONCURRENT_CHANGE",
        {"operation": "migrate_legacy_table", "table": str(table), "reason": reason},
    )


def _failed(operation: str, table: TableRef, exc: BaseException) -> WriterTableError:
    return WriterTableError(
        "TABLE_OPERATION_FAILED",
        {"operation": operation, "table": str(table), "reason": failure_reason(exc)},
    )

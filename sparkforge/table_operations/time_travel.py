"""Time travel: reading a table as of an earlier version or instant, and restoring one.

Everything here is SQL (``RESTORE``) or DataFrame reads (``versionAsOf`` / ``timestampAsOf``
reader options), never ``DeltaTable``, so
it runs on Spark Connect sessions without Delta's Connect plugin too. A version or instant
Delta cannot serve is refused by the call itself as ``TABLE_VERSION_UNAVAILABLE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge._result import Result
from sparkforge.errors import ProblemCollector, TableOperationError
from sparkforge.table_operations.detail import (
    commit_after,
    history_entries,
    latest_entry,
    newer_entries,
    render_lines,
    unix_micros,
)
from sparkforge.table_operations.failures import failure_reason, operation_failed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.table_operations.detail import HistoryEntry
    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["read_as_of", "restore", "RestoreResult", "time_travel_error"]

_VACUUM_OPERATIONS = frozenset({"VACUUM START", "VACUUM END"})
# What Delta says when a version or instant is outside the history it keeps (4.0.1).
_UNAVAILABLE = re.compile(
    r"Cannot time travel|DELTA_VERSION_NOT_FOUND|DELTA_TIMESTAMP_GREATER_THAN_COMMIT"
    r"|DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION|is before the earliest version"
    r"|is after the latest version|is after the latest commit timestamp"
    r"|DELTA_CANNOT_RESTORE_TABLE_VERSION"
    r"|DELTA_CANNOT_RESTORE_TIMESTAMP|Not all files from version \d+ are available"
)
_MISSING_PATH = re.compile(r"PATH_NOT_FOUND|FILE_NOT_EXIST|FileNotFoundException")
_MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class RestoreResult(Result):
    """What one [`restore`][sparkforge.table_operations.restore] did, in Delta's metrics.

    Attributes
    ----------
    restored_version : int
        The version whose state the table has again.
    version : int or None
        The version the RESTORE committed (None if Delta made no commit).
    files_removed, files_restored : int or None
        Files the restore removed from and added back to the current version
        (``num_removed_files``, ``num_restored_files``); None when Delta did not report them.
    files_after : int or None
        Data files of the table after the restore (``num_of_files_after_restore``).

    Examples
    --------
    >>> print(RestoreResult(restored_version=3, version=9, files_removed=1, files_restored=2,
    ...                     files_after=2))
    Restore of version 3 (version 9)
      files_removed   1
      files_restored  2
      files_after     2
    """

    restored_version: int
    version: int | None
    files_removed: int | None
    files_restored: int | None
    files_after: int | None

    def __str__(self) -> str:
        return render_lines(
            f"Restore of version {self.restored_version} (version {self.version})",
            [
                ("files_removed", self.files_removed),
                ("files_restored", self.files_restored),
                ("files_after", self.files_after),
            ],
        )


def _delta_reason(exc: BaseException) -> str:
    """Delta's whole message (its lines joined), without Py4J's preamble or a stack trace."""
    text = str(exc).split("\nJVM stacktrace:", 1)[0]
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip().removeprefix(":").strip()
        if stripped.startswith(("at ", "An error occurred while calling")):
            continue
        if stripped:
            lines.append(stripped)
    joined = " ".join(" ".join(lines).split())[:_MAX_REASON].rstrip().rstrip(".").rstrip()
    return joined or failure_reason(exc)


def time_travel_error(
    table: TableRef, point: str, exc: BaseException
) -> TableOperationError | None:
    """Return ``TABLE_VERSION_UNAVAILABLE`` when ``exc`` is Delta refusing ``point``.

    Delta refuses a version past the latest or older than the log it keeps, an instant
    before the first or after the last commit, and a restore whose files were vacuumed.

    Examples
    --------
    >>> from sparkforge.table_operations import TableRef
    >>> error = time_travel_error(TableRef.parse("ops.log"), "version 9", RuntimeError(
    ...     "Cannot time travel Delta table to version 9. Available versions: [0, 3]."))
    >>> error.params["reason"]
    'Cannot time travel Delta table to version 9. Available versions: [0, 3]'
    """
    if not _UNAVAILABLE.search(str(exc)[:4000]):
        return None
    error = TableOperationError(
        "TABLE_VERSION_UNAVAILABLE",
        {"table": str(table), "point": point, "reason": _delta_reason(exc)},
    )
    error.__cause__ = exc
    return error


def _check_files_kept(
    spark: SparkSession,
    table: TableRef,
    frame: DataFrame,
    point: str,
    newer: Iterable[HistoryEntry],
) -> None:
    """Raise ``TABLE_VERSION_UNAVAILABLE`` when a VACUUM since ``point`` removed its files.

    Only when the history shows a VACUUM after the version: then the version's data files
    are listed (``inputFiles``) and handed to a Parquet read that only resolves them
    (``.schema``, no file is opened); a removed file fails that resolution.
    """
    vacuums = [e for e in newer if e.operation in _VACUUM_OPERATIONS]
    if not vacuums:
        return
    try:
        files = frame.inputFiles()
        if files:
            _ = spark.read.schema("probe INT").parquet(*files).schema
    except Exception as exc:
        if not _MISSING_PATH.search(str(exc)[:4000]):
            raise operation_failed("time travel read", table, exc) from exc
        error = TableOperationError(
            "TABLE_VERSION_UNAVAILABLE",
            {
                "table": str(table),
                "point": point,
                "reason": f"its data files were removed by the VACUUM of version "
                f"{vacuums[0].version} ({failure_reason(exc)})",
            },
        )
        raise error from exc


def _version_at(spark: SparkSession, table: TableRef, micros: int, point: str) -> int:
    """Return the version of the newest commit at or before ``micros``, from the history.

    For catalog tables Delta 4.0.1 reads a ``timestampAsOf`` (or ``TIMESTAMP AS OF``) shifted
    by the session time zone's offset, so their instants are resolved here, by the same
    commit times ``DESCRIBE HISTORY`` reports, and read by version.
    """
    entries: tuple[HistoryEntry, ...] = ()
    reason = "the table has no commit"
    for window in (10, 100, 1000, None):
        entries = history_entries(spark, table, limit=window)
        if not entries:
            break
        if unix_micros(entries[0].timestamp) < micros:
            latest = entries[0]
            reason = (
                f"it is after the latest version, version {latest.version} committed at "
                f"{latest.timestamp.isoformat()}"
            )
            break
        found = next((e for e in entries if unix_micros(e.timestamp) <= micros), None)
        if found is not None:
            return found.version
        oldest = entries[-1]
        reason = (
            f"it is before the earliest version available, version {oldest.version} "
            f"committed at {oldest.timestamp.isoformat()}"
        )
        if window is None or len(entries) < window:
            break
    raise TableOperationError(
        "TABLE_VERSION_UNAVAILABLE", {"table": str(table), "point": point, "reason": reason}
    )


def version_frame(spark: SparkSession, table: TableRef, version: int) -> DataFrame:
    """Return the table as it was at ``version``, with that version's schema.

    ``SELECT ... VERSION AS OF``: on Spark 3.5 a catalog table read with the ``versionAsOf``
    reader option keeps the table's current schema, so a version from before a schema change
    reads wrongly or not at all; the SQL form resolves the version's own schema on every line.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    version_frame(spark, table, 0).count()  # the rows of the first commit
    ```
    """
    return spark.sql(f"SELECT * FROM {table.sql_name} VERSION AS OF {int(version)}")


def read_as_of(
    spark: SparkSession,
    table: TableRef,
    *,
    version: int | None = None,
    timestamp: datetime | None = None,
) -> DataFrame:
    """Return ``table`` as it was at ``version`` or at ``timestamp`` (Delta time travel).

    Every refusal comes from this call, not later from an action: the read is resolved here
    (on Spark Connect too), and when the history shows a VACUUM after the version, the
    version's data files are checked to still exist (one file-listing resolution, no job).

    Parameters
    ----------
    spark
        The session.
    table
        The table.
    version
        A table version (an integer >= 0).
    timestamp
        A timezone-aware instant: the table as of the newest commit at or before it.
        Give exactly one of ``version`` and ``timestamp``.

    Returns
    -------
    DataFrame
        The table's rows at that point, lazily.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` (every problem at once) before any Spark call: both or
        neither given, a version that is not an integer >= 0, a naive timestamp.
    TableOperationError
        ``TABLE_VERSION_UNAVAILABLE`` with Delta's reason for a version after the latest or
        before the oldest one kept, an instant before the first or after the last commit,
        or a version whose files a VACUUM removed; ``TABLE_OPERATION_FAILED`` otherwise.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    read_as_of(spark, table, version=3).count()  # 12
    ```
    """
    from sparkforge.reporting._log_frame import argument_error, check_instant

    problems = ProblemCollector()
    given: object = version
    if (version is None) == (timestamp is None):
        problems.add("version, timestamp", "give exactly one of version and timestamp")
    if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < 0):
        problems.add("version", f"expected an integer >= 0, got {given!r}")
    instant = check_instant(problems, "timestamp", timestamp)
    if problems:
        raise argument_error("time travel arguments", problems)
    if instant is not None:
        micros = unix_micros(instant)
        # An explicit zone, so Delta reads the instant whatever the session time zone is.
        text = instant.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        option = ("timestampAsOf", text + "Z")
        point = instant.isoformat()
        is_newer: Callable[[HistoryEntry], bool] = lambda e: unix_micros(e.timestamp) > micros  # noqa: E731
    else:
        number = int(version or 0)
        option, point = ("versionAsOf", str(number)), f"version {number}"
        is_newer = lambda e: e.version > number  # noqa: E731
    if instant is not None and table.path is None:
        option = ("versionAsOf", str(_version_at(spark, table, micros, point)))
    try:
        if table.path is not None:
            frame = spark.read.format("delta").option(*option).load(table.path)
        else:
            frame = version_frame(spark, table, int(option[1]))
        _ = frame.schema  # resolves the read now, on Spark Connect too
    except Exception as exc:
        refused = time_travel_error(table, point, exc)
        if refused is not None:
            raise refused from exc
        raise operation_failed("time travel read", table, exc) from exc
    _check_files_kept(spark, table, frame, point, newer_entries(spark, table, is_newer))
    return frame


def restore(spark: SparkSession, table: TableRef, version: int) -> RestoreResult:
    """Make the table's current state that of ``version`` again (``RESTORE``), in one commit.

    The versions in between stay in the history (and readable by time travel until
    vacuumed); the restore is a new version.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` when ``version`` is not an integer >= 0.
    TableOperationError
        ``TABLE_VERSION_UNAVAILABLE`` with Delta's reason for a version that does not
        exist, or whose files were vacuumed; ``TABLE_OPERATION_FAILED`` otherwise.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    restore(spark, table, 3).restored_version  # 3
    ```
    """
    given: object = version
    if isinstance(given, bool) or not isinstance(given, int) or given < 0:
        problems = ProblemCollector()
        problems.add("version", f"expected an integer >= 0, got {given!r}")
        from sparkforge.reporting._log_frame import argument_error

        raise argument_error("restore arguments", problems)
    latest = latest_entry(spark, table)
    try:
        (row,) = spark.sql(
            f"RESTORE TABLE {table.sql_name} TO VERSION AS OF {int(version)}"
        ).collect()
    except Exception as exc:
        refused = time_travel_error(table, f"version {version}", exc)
        if refused is not None:
            raise refused from exc
        raise operation_failed("restore", table, exc) from exc
    values = row.asDict()
    commit = commit_after(spark, table, None if latest is None else latest.version, {"RESTORE"})

    def count(name: str) -> int | None:
        value = values.get(name)
        return None if value is None else int(value)

    return RestoreResult(
        restored_version=int(version),
        version=None if commit is None else commit.version,
        files_removed=count("num_removed_files"),
        files_restored=count("num_restored_files"),
        files_after=count("num_of_files_after_restore"),
    )

"""Delta table operations: identifiers, create-if-absent, idempotent appends, overwrites, history.

Every Delta operation sparkforge performs goes through here, so the rules hold everywhere:

- Identifiers are validated (ASCII letters, digits and ``_``; not a reserved SQL word) and
  quoted; values never enter SQL text. Tables are created and inspected through the
  ``DeltaTable`` API, not SQL strings.
- Tables are created once (``create if not exists``); two writers racing to create the same
  table is normal and survived.
- Overwrites are Delta overwrites (history and time travel keep the old data); nothing here
  ever drops a table.
- Delta's commit conflicts are retried a bounded number of times. Delta's Python conflict
  classes share no common base, so they are listed in :data:`CONFLICT_ERRORS`; and because
  delta-spark only converts the JVM's conflicts into those classes after an import with side
  effects (``delta.exceptions.captured``, which sparkforge does not make), a conflict usually
  arrives as a plain Py4J error. :func:`is_conflict` recognises both forms.
- An append may carry a Delta transaction identifier (``txnAppId`` / ``txnVersion``): Delta
  skips a write whose identifier it has already committed, atomically, which makes retries of
  the same write idempotent even across processes. A marker in the commit's ``userMetadata``
  lets the caller find its commit (version, rows) in the table history, or learn that Delta
  skipped it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

from delta.exceptions import (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
    ProtocolChangedException,
)
from delta.tables import DeltaTable

from sparkforge.errors import SparkForgeError, TableOperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = [
    "append",
    "Commit",
    "CONFLICT_ERRORS",
    "create_table_if_not_exists",
    "ensure_schema",
    "find_commit",
    "history",
    "is_conflict",
    "latest_version",
    "optimize",
    "overwrite",
    "quote_identifier",
    "read_properties",
    "read_schema",
    "RESERVED_WORDS",
    "retry_on_conflict",
    "set_properties",
    "table_exists",
    "TableRef",
    "Transaction",
    "vacuum",
    "validate_identifier",
    "validate_properties",
]

_T = TypeVar("_T")

#: Delta's commit-conflict exceptions. They share no base class, so they are listed.
CONFLICT_ERRORS: tuple[type[Exception], ...] = (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
    ProtocolChangedException,
)

#: Words rejected as schema or table names even though quoting would allow them: a log or
#: pipeline table named ``select`` or ``drop`` is a mistake or an attack, never an intent.
# fmt: off
RESERVED_WORDS: frozenset[str] = frozenset({
    "all", "alter", "and", "any", "as", "authorization", "between", "both", "by", "case",
    "cast", "check", "collate", "column", "constraint", "create", "cross", "current_date",
    "current_time", "current_timestamp", "current_user", "delete", "describe", "distinct",
    "drop", "else", "end", "escape", "except", "exists", "false", "fetch", "filter", "for",
    "foreign", "from", "full", "grant", "group", "having", "in", "inner", "insert",
    "intersect", "into", "is", "join", "lateral", "leading", "left", "like", "merge",
    "natural", "not", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
    "primary", "references", "revoke", "right", "select", "session_user", "some", "table",
    "then", "time", "to", "trailing", "truncate", "true", "union", "unique", "unknown",
    "update", "user", "using", "values", "when", "where", "with",
})
# fmt: on

#: Delta's conflicts as they appear in a JVM error's text: the Java class or the error condition.
_CONFLICT_TEXT = re.compile(
    r"io\.delta\.exceptions\.(?:Concurrent\w+|MetadataChanged|ProtocolChanged)Exception"
    r"|\[DELTA_(?:CONCURRENT_\w+|METADATA_CHANGED|PROTOCOL_CHANGED)\]"
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_IDENTIFIER_LENGTH = 128
_PATH_FORBIDDEN = re.compile(r"[`\x00-\x1f\x7f]")
_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
# A property value goes into SQL as a string literal: no quote or backslash (whose meaning
# depends on spark.sql.parser.escapedStringLiterals), no control character.
_PROPERTY_VALUE_FORBIDDEN = re.compile(r"['\\\x00-\x1f\x7f]")


def _identifier_error(kind: str, name: object, reason: str) -> TableOperationError:
    # Never str() an arbitrary object here: a huge int refuses to become text (ValueError).
    shown = name if isinstance(name, str) else f"<{type(name).__name__}>"
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return TableOperationError(
        "IDENTIFIER_INVALID", {"kind": kind, "name": shown, "reason": reason}
    )


def validate_identifier(name: object, *, kind: str = "table") -> str:
    """Return ``name`` if it is a safe schema, table or column name; raise otherwise.

    A safe name is 1-128 ASCII letters, digits and underscores, does not start with a digit,
    and is not a reserved SQL word.

    Parameters
    ----------
    name
        The name to check.
    kind
        What the name names, for the error message (``"schema"``, ``"table"`` ...).

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID``, saying what is wrong with the name.

    Examples
    --------
    >>> validate_identifier("pipeline_logs")
    'pipeline_logs'
    >>> validate_identifier("logs; DROP TABLE x")
    Traceback (most recent call last):
    ...
    sparkforge.errors.TableOperationError: [IDENTIFIER_INVALID] Invalid table name \
'logs; DROP TABLE x': only ASCII letters, digits and _ are allowed, not a digit first.
    """
    if not isinstance(name, str):
        raise _identifier_error(kind, name, f"expected a string, got {type(name).__name__}")
    if not name:
        raise _identifier_error(kind, name, "it is empty")
    if len(name) > _MAX_IDENTIFIER_LENGTH:
        raise _identifier_error(kind, name, f"longer than {_MAX_IDENTIFIER_LENGTH} characters")
    if not _IDENTIFIER.fullmatch(name):
        raise _identifier_error(
            kind, name, "only ASCII letters, digits and _ are allowed, not a digit first"
        )
    if name.lower() in RESERVED_WORDS:
        raise _identifier_error(kind, name, "it is a reserved SQL word")
    return name


def quote_identifier(name: str, *, kind: str = "table") -> str:
    """Validate ``name`` and return it quoted for Spark SQL.

    Examples
    --------
    >>> quote_identifier("logs")
    '`logs`'
    """
    return f"`{validate_identifier(name, kind=kind)}`"


def is_conflict(exc: BaseException) -> bool:
    """Return whether ``exc`` is a Delta commit conflict, in either of the forms it takes.

    Examples
    --------
    >>> is_conflict(RuntimeError("io.delta.exceptions.ConcurrentAppendException: [DELTA_CON..."))
    True
    >>> is_conflict(RuntimeError("[DELTA_CONCURRENT_TRANSACTION] another writer committed"))
    True
    >>> is_conflict(ValueError("bad value"))
    False
    """
    if isinstance(exc, CONFLICT_ERRORS):
        return True
    return _CONFLICT_TEXT.search(str(exc)[:2000]) is not None


def _validate_path(path: object) -> str:
    if not isinstance(path, str):
        raise _identifier_error("path", path, f"expected a string, got {type(path).__name__}")
    if not path.strip():
        raise _identifier_error("path", path, "it is empty")
    if _PATH_FORBIDDEN.search(path):
        raise _identifier_error("path", path, "backticks and control characters are not allowed")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise _identifier_error("path", path, "it is not valid Unicode") from None
    return path


@dataclass(frozen=True, slots=True)
class TableRef:
    """A Delta table, by catalog name (``schema.table``) or by storage path.

    Build one with :meth:`named`, :meth:`parse` or :meth:`at_path`; they validate.

    Examples
    --------
    >>> TableRef.named("analytics", "pipeline_logs").quoted
    '`analytics`.`pipeline_logs`'
    >>> str(TableRef.parse("analytics.pipeline_logs"))
    'analytics.pipeline_logs'
    """

    schema: str | None = None
    name: str | None = None
    path: str | None = None

    @classmethod
    def named(cls, schema: str, name: str) -> TableRef:
        """Refer to the catalog table ``schema.name``."""
        return cls(
            schema=validate_identifier(schema, kind="schema"),
            name=validate_identifier(name, kind="table"),
        )

    @classmethod
    def parse(cls, fqn: str) -> TableRef:
        """Refer to the catalog table named ``"schema.table"``."""
        text: object = fqn
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) != 2:
            raise _identifier_error("table", fqn, "expected schema.table")
        return cls.named(parts[0], parts[1])

    @classmethod
    def at_path(cls, path: str) -> TableRef:
        """Refer to the Delta table stored at ``path``."""
        return cls(path=_validate_path(path))

    @property
    def is_path(self) -> bool:
        """Whether the table is addressed by path."""
        return self.path is not None

    @property
    def fqn(self) -> str:
        """``schema.table`` (unquoted), or the path."""
        if self.path is not None:
            return self.path
        return f"{self.schema}.{self.name}"

    @property
    def quoted(self) -> str:
        """The table as a quoted Spark SQL identifier."""
        if self.path is not None:
            return f"delta.`{self.path}`"
        return f"`{self.schema}`.`{self.name}`"

    def __str__(self) -> str:
        return self.fqn

    def read(self, spark: SparkSession) -> DataFrame:
        """Return the table's current version as a DataFrame."""
        if self.path is not None:
            return spark.read.format("delta").load(self.path)
        return spark.read.table(self.fqn)

    def delta_table(self, spark: SparkSession) -> DeltaTable:
        """Return the ``DeltaTable`` handle of the table."""
        if self.path is not None:
            return DeltaTable.forPath(spark, self.path)
        return DeltaTable.forName(spark, self.fqn)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A Delta transaction identifier making a write idempotent.

    Delta records ``(app_id, version)`` in the commit; a later write with the same ``app_id``
    and a ``version`` not above the recorded one is skipped.
    """

    app_id: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class Commit:
    """One Delta commit, as read from the table history."""

    version: int
    operation: str
    num_output_rows: int | None
    user_metadata: str | None


_PY4J_PREAMBLE = re.compile(r"An error occurred while calling [\w.$]+\.?")


def _reason(exc: BaseException) -> str:
    """Return the first line of ``exc`` that says what failed.

    A Py4J error starts with "An error occurred while calling o94.save." and names the Java
    exception and its message only on the next line (": org...Exception: [CODE] ...").
    """
    for line in str(exc).splitlines():
        text = line.strip().removeprefix(":").strip()
        if text and not _PY4J_PREAMBLE.fullmatch(text):
            return text[:1000]
    return type(exc).__name__


def _failed(operation: str, table: TableRef, exc: BaseException) -> TableOperationError:
    reason = _reason(exc)
    error = TableOperationError(
        "TABLE_OPERATION_FAILED", {"operation": operation, "table": str(table), "reason": reason}
    )
    error.__cause__ = exc
    return error


def retry_on_conflict(
    operation: Callable[[], _T],
    *,
    name: str,
    table: TableRef,
    max_attempts: int = 5,
    backoff_secs: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> _T:
    """Run ``operation``, retrying it while Delta reports a commit conflict.

    Parameters
    ----------
    operation
        The work to run; it must be safe to repeat (an idempotent write is).
    name
        What the operation is, for errors.
    table
        The table it works on, for errors.
    max_attempts
        Attempts in all, at least 1.
    backoff_secs
        The first pause between attempts; it doubles after each conflict.
    sleep
        How to pause (tests pass a recorder).

    Returns
    -------
    object
        What ``operation`` returned.

    Raises
    ------
    TableOperationError
        ``TABLE_CONFLICT`` when every attempt conflicted (the last conflict is chained), or
        ``TABLE_OPERATION_FAILED`` for any other Spark or Delta failure.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    delay = backoff_secs
    for attempt in range(1, max_attempts + 1):
        try:
            return operation()
        except SparkForgeError:
            raise
        except Exception as exc:
            if not is_conflict(exc):
                raise _failed(name, table, exc) from exc
            if attempt == max_attempts:
                error = TableOperationError(
                    "TABLE_CONFLICT",
                    {
                        "operation": name,
                        "table": str(table),
                        "attempts": str(max_attempts),
                        "reason": type(exc).__name__,
                    },
                )
                raise error from exc
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


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
        raise _failed("existence check", table, exc) from exc


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
        raise _failed("schema read", table, exc) from exc


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
    the attempts have waited (see :func:`_remove_abandoned_log`).

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
                and _remove_abandoned_log(spark, table)
            ):
                cleared = True
                attempt -= 1
                continue
            if attempt < max_attempts:
                sleep(delay)
                delay *= 2
    raise _failed("create table", table, last or RuntimeError("unknown")) from last


_COMMIT_FILE = re.compile(r"\d{20}\.")


def _remove_abandoned_log(spark: SparkSession, table: TableRef) -> bool:
    """Remove a path table's ``_delta_log`` that holds no commit; return whether it did.

    A creator killed before its first commit leaves ``_delta_log`` with no commit file (empty,
    or a hidden temporary file of the commit it never made). Delta then neither sees a table
    there nor creates one (``DELTA_TABLE_NOT_FOUND``), and refuses a location holding anything
    else, so the directory is removed: it holds no data and no commit. Catalog tables and
    sessions without a JVM (Spark Connect) are left alone.
    """
    if table.path is None:
        return False
    try:
        jvm = spark.sparkContext._jvm
        log_dir = jvm.org.apache.hadoop.fs.Path(table.path, "_delta_log")  # type: ignore[union-attr]
        fs = log_dir.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if not fs.exists(log_dir):
            return False
        names = [status.getPath().getName() for status in fs.listStatus(log_dir)]
        if any(_COMMIT_FILE.match(name) for name in names):
            return False
        return bool(fs.delete(log_dir, True))
    except Exception:
        return False


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


def history(spark: SparkSession, table: TableRef, *, limit: int | None = None) -> DataFrame:
    """Return the table's commit history, newest first (``DESCRIBE HISTORY``)."""
    try:
        return table.delta_table(spark).history(limit)
    except Exception as exc:
        raise _failed("history", table, exc) from exc


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


def read_properties(spark: SparkSession, table: TableRef) -> dict[str, str]:
    """Return the table's properties (``DESCRIBE DETAIL``)."""
    try:
        (row,) = table.delta_table(spark).detail().select("properties").collect()
    except Exception as exc:
        raise _failed("describe detail", table, exc) from exc
    return {str(k): str(v) for k, v in (row["properties"] or {}).items()}


def validate_properties(properties: Mapping[str, str]) -> dict[str, str]:
    """Check that :func:`set_properties` can set ``properties``; return them as a dict.

    Keys are dotted words (``delta.logRetentionDuration``); values may hold any character but
    a quote, a backslash or a control character.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` naming the first unusable key or value.
    """
    checked: dict[str, str] = {}
    # Typed as str, but given by users: check what they are.
    items: list[tuple[object, object]] = list(properties.items())
    for key, value in items:
        if not isinstance(key, str) or not _PROPERTY_KEY.fullmatch(key):
            raise _identifier_error(
                "table property", key, "expected letters, digits, '_', '-' and '.'"
            )
        if not isinstance(value, str):
            raise _identifier_error(
                "table property", key, f"its value is a {type(value).__name__}, not a str"
            )
        if _PROPERTY_VALUE_FORBIDDEN.search(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise _identifier_error(
                "table property",
                key,
                f"its value {shown!r} holds a quote, a backslash or a control character",
            )
        checked[key] = value
    return checked


def set_properties(spark: SparkSession, table: TableRef, properties: Mapping[str, str]) -> None:
    """Set table properties in one metadata-only commit (``ALTER TABLE ... SET TBLPROPERTIES``).

    The properties are checked by :func:`validate_properties` before any Spark call; a commit
    conflict with a concurrent writer is retried.
    """
    checked = validate_properties(properties)
    if not checked:
        return
    pairs = ", ".join(f"'{key}' = '{value}'" for key, value in checked.items())
    statement = f"ALTER TABLE {table.quoted} SET TBLPROPERTIES ({pairs})"
    retry_on_conflict(lambda: spark.sql(statement), name="set table properties", table=table)


def optimize(spark: SparkSession, table: TableRef, *, zorder_by: Sequence[str] = ()) -> DataFrame:
    """Compact the table's small files (``OPTIMIZE``), optionally Z-ordering them.

    Returns
    -------
    DataFrame
        Delta's OPTIMIZE metrics.
    """
    for column in zorder_by:
        validate_identifier(column, kind="column")
    try:
        builder = table.delta_table(spark).optimize()
        return builder.executeZOrderBy(*zorder_by) if zorder_by else builder.executeCompaction()
    except Exception as exc:
        raise _failed("optimize", table, exc) from exc


def vacuum(spark: SparkSession, table: TableRef, *, retention_hours: float | None = None) -> None:
    """Delete files no longer referenced by versions within the retention (``VACUUM``).

    Time travel to versions older than the retention stops working after a vacuum.
    """
    try:
        table.delta_table(spark).vacuum(retention_hours)
    except Exception as exc:
        raise _failed("vacuum", table, exc) from exc

"""Spark and Delta failures, told in sparkforge's terms.

[`failure_reason`][sparkforge.table_operations.failure_reason] extracts what a Spark or Delta error
says, without the Py4J preamble, for every path that wraps a Spark error (table operations, the
writer, migration); `operation_failed` wraps one into ``TABLE_OPERATION_FAILED``.

On a Spark Connect session the errors are PySpark's Connect exceptions
(``pyspark.errors.exceptions.connect``): plain Python exceptions whose text is the server's
message, then (when the server shows it) ``JVM stacktrace:`` and the stack, so the first line
is the reason. A failure of the connection itself (server gone, unreachable) has gRPC's text,
whose ``status`` and ``details`` are the reason. Every one is an ``Exception``, so every public
call's wrapping catches it like a classic session's error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sparkforge.errors import TableOperationError

if TYPE_CHECKING:
    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["failure_reason", "operation_failed"]

_PY4J_PREAMBLE = re.compile(r"An error occurred while calling [\w.$:]+\.?")
# gRPC's text of a failed Spark Connect call (server gone, unreachable, cancelled).
_GRPC_STATUS = re.compile(r"status = StatusCode\.(\w+)\s+details = \"([^\"\n]*)\"")
_MAX_REASON_LENGTH = 1000


def failure_reason(exc: BaseException) -> str:
    r"""Return what ``exc`` says failed: its first telling line, without a trailing period.

    A Py4J error starts with "An error occurred while calling o94.save." and names the Java
    exception and its message only on the next line (": org...Exception: [CODE] ..."); the
    preamble is skipped. The reason ends without ``"."`` because the error templates it goes
    into end with one.

    Parameters
    ----------
    exc
        The Spark, Delta or Python error.

    Returns
    -------
    str
        At most 1000 characters; the exception's class name if it says nothing.

    Examples
    --------
    >>> failure_reason(RuntimeError(
    ...     "An error occurred while calling o94.save.\n"
    ...     ": org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] No table."
    ... ))
    'org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] No table'
    >>> failure_reason(KeyError())
    'KeyError'
    >>> failure_reason(RuntimeError(
    ...     "<_MultiThreadedRendezvous of RPC that terminated with:\n"
    ...     "\tstatus = StatusCode.UNAVAILABLE\n"
    ...     '\tdetails = "failed to connect to all addresses"\n'
    ... ))
    'Spark Connect call failed (UNAVAILABLE): failed to connect to all addresses'
    """
    grpc = _GRPC_STATUS.search(str(exc)[:4000])
    if grpc is not None:
        return f"Spark Connect call failed ({grpc.group(1)}): {grpc.group(2)}".rstrip(". ")
    for line in str(exc).splitlines():
        text = line.strip().removeprefix(":").strip()
        if text and not _PY4J_PREAMBLE.fullmatch(text):
            text = text[:_MAX_REASON_LENGTH].rstrip().rstrip(".").rstrip()
            if text:
                return text
    return type(exc).__name__


def operation_failed(
    operation: str, table: TableRef | str, exc: BaseException
) -> TableOperationError:
    """Return ``TABLE_OPERATION_FAILED`` for ``operation`` on ``table``, chained to ``exc``.

    Examples
    --------
    >>> str(operation_failed("vacuum", "ops.logs", RuntimeError("disk full.")))
    '[TABLE_OPERATION_FAILED] vacuum on ops.logs failed: disk full.'
    """
    # A session without Delta fails every DeltaTable call its own way: say what it lacks.
    from sparkforge.table_operations.session import missing_delta_error

    missing = missing_delta_error(exc)
    if missing is not None:
        missing.__cause__ = exc
        return missing
    error = TableOperationError(
        "TABLE_OPERATION_FAILED",
        {"operation": operation, "table": str(table), "reason": failure_reason(exc)},
    )
    error.__cause__ = exc
    return error

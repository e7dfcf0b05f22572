"""Delta commit conflicts: recognising them in both their forms, and retrying through them.

Delta's Python conflict classes share no common base, so they are listed in
[`CONFLICT_ERRORS`][sparkforge.table_operations.CONFLICT_ERRORS]; and because delta-spark only
converts the JVM's conflicts into those classes after an import with side effects
(``delta.exceptions.captured``, which sparkforge does not make), a conflict usually arrives as a
plain Py4J error; on a Spark Connect session it arrives as one of PySpark's Connect exceptions
(``pyspark.errors.exceptions.connect``), whose error condition (``getCondition()``) is Delta's,
since no converter runs there. [`is_conflict`][sparkforge.table_operations.is_conflict] recognises
all these forms; [`retry_on_conflict`][sparkforge.table_operations.retry_on_conflict] retries a
bounded number of times.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, TypeVar

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

from sparkforge.errors import ConfigurationError, SparkForgeError, TableOperationError
from sparkforge.table_operations.failures import failure_reason, operation_failed

if TYPE_CHECKING:
    from collections.abc import Callable

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["CONFLICT_ERRORS", "is_conflict", "retry_on_conflict"]

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

#: Delta's conflicts as they appear in a JVM error's text: the Java class or the error condition.
_CONFLICT_TEXT = re.compile(
    r"io\.delta\.exceptions\.(?:Concurrent\w+|MetadataChanged|ProtocolChanged)Exception"
    r"|\[DELTA_(?:CONCURRENT_\w+|METADATA_CHANGED|PROTOCOL_CHANGED)(?:\.\w+)?\]"
)
#: Delta's conflict conditions, as a PySpark exception's ``getCondition()`` reports them.
_CONFLICT_CONDITION = re.compile(r"DELTA_(?:CONCURRENT_\w+|METADATA_CHANGED|PROTOCOL_CHANGED)")


def _condition(exc: BaseException) -> str | None:
    """Return the error condition of a PySpark exception (classic or Connect), else None.

    PySpark 4 names it ``getCondition()``; PySpark 3.5 has only ``getErrorClass()`` (which 4.x
    keeps, deprecated, so it is asked only when ``getCondition`` is missing).
    """
    get_condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    if not callable(get_condition):
        return None
    try:
        condition = get_condition()
    except Exception:  # a foreign object's getCondition: no condition to read
        return None
    return condition if isinstance(condition, str) else None


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

    A Spark Connect session's form, where only the condition may name the conflict (an error
    with PySpark's ``getCondition()``; PySpark 3.5 names it ``getErrorClass()``):

    >>> class ConnectError(Exception):
    ...     def getCondition(self) -> str:
    ...         return "DELTA_CONCURRENT_APPEND"
    >>> is_conflict(ConnectError("a concurrent transaction won"))
    True
    """
    if isinstance(exc, CONFLICT_ERRORS):
        return True
    condition = _condition(exc)
    if condition is not None and _CONFLICT_CONDITION.fullmatch(condition.split(".")[0]):
        return True
    return _CONFLICT_TEXT.search(str(exc)[:2000]) is not None


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
    ConfigurationError
        ``CONFIG_INVALID`` when ``max_attempts`` is below 1 (nothing is run).
    TableOperationError
        ``TABLE_CONFLICT`` when every attempt conflicted (the last conflict is chained), or
        ``TABLE_OPERATION_FAILED`` for any other Spark or Delta failure.

    Examples
    --------
    >>> from sparkforge.table_operations import TableRef
    >>> retry_on_conflict(lambda: 42, name="answer", table=TableRef.named("ops", "logs"))
    42
    """
    # Typed as int, but given by users: check what it is.
    attempts: object = max_attempts
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigurationError(
            "CONFIG_INVALID",
            {"option": "max_attempts", "reason": f"expected an integer >= 1, got {max_attempts!r}"},
        )
    delay = backoff_secs
    for attempt in range(1, max_attempts + 1):
        try:
            return operation()
        except SparkForgeError:
            raise
        except Exception as exc:
            if not is_conflict(exc):
                raise operation_failed(name, table, exc) from exc
            if attempt == max_attempts:
                error = TableOperationError(
                    "TABLE_CONFLICT",
                    {
                        "operation": name,
                        "table": str(table),
                        "attempts": str(max_attempts),
                        "reason": failure_reason(exc),
                    },
                )
                raise error from exc
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover

"""How Spark and Delta failures are told: the reason without the Py4J preamble, and codes."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import TableOperationError
from sparkforge.table_operations import TableRef, failure_reason
from sparkforge.table_operations.creation import location_not_empty_error
from sparkforge.table_operations.failures import operation_failed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "An error occurred while calling o94.save.\n"
            ": org.apache.spark.sql.AnalysisException: [X] No table.",
            "org.apache.spark.sql.AnalysisException: [X] No table",
        ),
        (
            "An error occurred while calling z:io.delta.tables.DeltaTable.forPath.\n"
            ": org.apache.spark.sql.delta.DeltaAnalysisException: [DELTA_MISSING_DELTA_TABLE] "
            "`/t` is not a Delta table.",
            "org.apache.spark.sql.delta.DeltaAnalysisException: [DELTA_MISSING_DELTA_TABLE] "
            "`/t` is not a Delta table",
        ),
        ("[DELTA_TABLE_NOT_FOUND] no such table", "[DELTA_TABLE_NOT_FOUND] no such table"),
        ("disk full...\nmore", "disk full"),
        ("\n\n  \n", "RuntimeError"),
        ("An error occurred while calling o1.x.", "RuntimeError"),
    ],
    ids=["py4j-object", "py4j-static-method", "plain", "trailing-dots", "blank", "only-preamble"],
)
def test_failure_reason_drops_the_py4j_preamble_and_the_final_stop(
    text: str, expected: str
) -> None:
    assert failure_reason(RuntimeError(text)) == expected


@given(st.text(max_size=3000))
def test_failure_reason_is_short_and_never_ends_a_sentence(text: str) -> None:
    reason = failure_reason(RuntimeError(text))
    assert 0 < len(reason) <= 1000
    assert not reason.endswith(".")


def test_operation_failed_message_has_one_stop_and_chains() -> None:
    cause = RuntimeError("An error occurred while calling o3.vacuum.\n: java.io.IOException: gone.")
    error = operation_failed("vacuum", TableRef.at_path("/t"), cause)
    assert error.code == "TABLE_OPERATION_FAILED"
    assert str(error) == "[TABLE_OPERATION_FAILED] vacuum on /t failed: java.io.IOException: gone."
    assert error.__cause__ is cause


_NON_EMPTY = (
    "An error occurred while calling o81.execute.\n: org.apache.spark.sql.delta."
    "DeltaAnalysisException: [DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION] Cannot create table "
    "('`ops`.`log`'). The associated location ('file:/w/ops.db/log') is not empty and also "
    "not a Delta table."
)


def test_location_not_empty_error_names_location_and_what_to_do() -> None:
    error = location_not_empty_error(TableRef.named("ops", "log"), RuntimeError(_NON_EMPTY))
    assert isinstance(error, TableOperationError)
    assert error.code == "TABLE_LOCATION_NOT_EMPTY"
    assert error.params["location"] == "file:/w/ops.db/log"
    assert "javax.jdo.option.ConnectionURL" in error.params["hint"]
    assert "table_path" in error.params["hint"]
    assert "Unity Catalog" in error.params["hint"]
    assert ".." not in str(error)


@pytest.mark.parametrize(
    ("table", "text"),
    [
        (TableRef.at_path("/w/log"), _NON_EMPTY),
        (TableRef.named("ops", "log"), "[DELTA_TABLE_NOT_FOUND] no table"),
    ],
    ids=["path-table", "other-failure"],
)
def test_location_not_empty_error_ignores_other_cases(table: TableRef, text: str) -> None:
    assert location_not_empty_error(table, RuntimeError(text)) is None


# ------------------------------------------------------------------ Spark Connect's exceptions


def _connect_exceptions_carry_conditions() -> bool:
    """Whether PySpark's Connect exceptions take the server's error condition apart.

    PySpark 4's do (``errorClass``, ``server_stacktrace``); PySpark 3.5's client builds them from
    the server's message alone (``convert_exception``): no condition, the stack appended to the
    message after ``JVM stacktrace:``. Their base, ``PySparkException``, says which without
    importing the Connect module (which needs gRPC on PySpark 4): ``errorClass`` against 3.5's
    ``error_class``.
    """
    from pyspark.errors import PySparkException

    return "errorClass" in inspect.signature(PySparkException.__init__).parameters


CONNECT_CONDITIONS = _connect_exceptions_carry_conditions()
needs_connect_conditions = pytest.mark.skipif(
    not CONNECT_CONDITIONS,
    reason="PySpark 3.5's Connect exceptions carry no error condition, only the server's message",
)


def _connect_error(
    message: str, condition: str | None = None, *, stacktrace: str | None = None
) -> Exception:
    """Build the exception a Spark Connect client raises for a server-side failure.

    On PySpark 3.5 it is built as that client builds it: ``condition`` is not kept.
    """
    from pyspark.errors.exceptions.connect import AnalysisException

    if not CONNECT_CONDITIONS:
        if stacktrace is not None:
            message += f"\n\nJVM stacktrace:\n{stacktrace}"
        return AnalysisException(message)
    return AnalysisException(
        message,
        errorClass=condition,
        server_stacktrace=stacktrace,
        display_server_stacktrace=stacktrace is not None,
    )


def test_failure_reason_of_a_connect_exception_leaves_out_the_jvm_stack() -> None:
    error = _connect_error(
        "[DELTA_MISSING_DELTA_TABLE] `/t` is not a Delta table.",
        "DELTA_MISSING_DELTA_TABLE",
        stacktrace="org.apache.spark.sql.delta.DeltaAnalysisException\n\tat org.x.Y(Y.scala:1)",
    )
    assert "JVM stacktrace" in str(error)
    assert failure_reason(error) == "[DELTA_MISSING_DELTA_TABLE] `/t` is not a Delta table"


def test_failure_reason_of_a_lost_connect_server_names_the_grpc_status() -> None:
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException

    error = SparkConnectGrpcException(
        "<_MultiThreadedRendezvous of RPC that terminated with:\n"
        "\tstatus = StatusCode.UNAVAILABLE\n"
        '\tdetails = "failed to connect to all addresses; last error: refused."\n'
        '\tdebug_error_string = "UNKNOWN:Error received from peer"\n>'
    )
    assert failure_reason(error) == (
        "Spark Connect call failed (UNAVAILABLE): failed to connect to all addresses; "
        "last error: refused"
    )


def test_operation_failed_chains_a_connect_exception() -> None:
    cause = _connect_error("[TABLE_OR_VIEW_NOT_FOUND] no `ops`.`log`.", "TABLE_OR_VIEW_NOT_FOUND")
    error = operation_failed("history", "ops.log", cause)
    assert (error.code, error.__cause__) == ("TABLE_OPERATION_FAILED", cause)
    assert error.params["reason"] == "[TABLE_OR_VIEW_NOT_FOUND] no `ops`.`log`"


def test_a_connect_session_without_delta_is_delta_not_configured() -> None:
    cause = _connect_error(
        "[DATA_SOURCE_NOT_FOUND] Failed to find the data source: delta. Make sure ...",
        "DATA_SOURCE_NOT_FOUND",
    )
    assert operation_failed("create table", "ops.log", cause).code == "DELTA_NOT_CONFIGURED"


@pytest.mark.parametrize(
    "condition",
    [
        "DELTA_CONCURRENT_APPEND",
        "DELTA_CONCURRENT_DELETE_DELETE",
        "DELTA_CONCURRENT_DELETE_READ",
        "DELTA_CONCURRENT_TRANSACTION",
        "DELTA_CONCURRENT_WRITE",
        "DELTA_METADATA_CHANGED",
        "DELTA_PROTOCOL_CHANGED",
    ],
    ids=str.lower,
)
@needs_connect_conditions
def test_is_conflict_recognises_connect_conflicts_by_condition(condition: str) -> None:
    from sparkforge.table_operations import is_conflict

    # The message alone names nothing (Connect may send it without the condition's prefix).
    assert is_conflict(_connect_error("a concurrent transaction won", condition))


@pytest.mark.parametrize(
    "condition",
    [None, "TABLE_OR_VIEW_NOT_FOUND", "DELTA_MISSING_DELTA_TABLE", "DELTA_CONCURRENT"],
    ids=["none", "not-found", "delta-other", "prefix-only"],
)
def test_is_conflict_ignores_other_connect_errors(condition: str | None) -> None:
    from sparkforge.table_operations import is_conflict

    assert not is_conflict(_connect_error("it failed", condition))


@pytest.mark.parametrize(
    ("message", "conflict"),
    [
        ("[DELTA_CONCURRENT_APPEND] Files were added by a concurrent update.", True),
        ("[DELTA_PROTOCOL_CHANGED] The protocol version changed.\n\nJVM stacktrace:\nx", True),
        ("[DELTA_CONCURRENT] it failed", False),
        ("[DELTA_MISSING_DELTA_TABLE] `/t` is not a Delta table.", False),
    ],
    ids=["append", "protocol-with-stack", "prefix-only", "delta-other"],
)
def test_is_conflict_reads_a_connect_exception_without_condition_by_its_message(
    message: str, conflict: bool
) -> None:
    # PySpark 3.5's Connect client keeps no condition: the server's message names the conflict.
    from pyspark.errors.exceptions.connect import AnalysisException

    from sparkforge.table_operations import is_conflict

    assert is_conflict(AnalysisException(message)) is conflict


@needs_connect_conditions
def test_retry_on_conflict_retries_connect_conflicts_then_wraps_other_errors() -> None:
    from sparkforge.table_operations import retry_on_conflict

    table = TableRef.named("ops", "log")
    failures = [
        _connect_error("lost the race", "DELTA_CONCURRENT_APPEND"),
        _connect_error("[DELTA_METADATA_CHANGED] the schema moved", "DELTA_METADATA_CHANGED"),
    ]
    pauses: list[float] = []

    def operation() -> int:
        if failures:
            raise failures.pop(0)
        return 42

    assert retry_on_conflict(operation, name="append", table=table, sleep=pauses.append) == 42
    assert pauses == [0.2, 0.4]

    def broken() -> int:
        raise _connect_error("[DIVIDE_BY_ZERO] no", "DIVIDE_BY_ZERO")

    with pytest.raises(TableOperationError) as caught:
        retry_on_conflict(broken, name="append", table=table, sleep=pauses.append)
    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert type(caught.value.__cause__).__module__ == "pyspark.errors.exceptions.connect"

"""How Spark and Delta failures are told: the reason without the Py4J preamble, and codes."""

from __future__ import annotations

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

"""Unit tests of the log schema check and the writer's result dataclasses (no JVM starts).

The package's names are tested in ``test_writer_package.py``, the commit engine in
``test_writer_commit.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pyspark.sql import types as T

from sparkforge.validation import NOT_A_LOG, schema_problems
from sparkforge.writer import (
    LOG_SCHEMA,
    DataQualityCheck,
    DataQualityResult,
    WriteResult,
    WriterTableError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _no_jvm_started() -> Iterator[None]:
    """Fail any test here that starts a SparkContext (unit tests never start a JVM)."""
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    assert SparkContext._active_spark_context is before


# --------------------------------------------------------------------------- schema_problems


def _without(*names: str) -> list[T.StructField]:
    return [f for f in LOG_SCHEMA.fields if f.name not in names]


def _replaced(name: str, data_type: T.DataType) -> T.StructType:
    return T.StructType(
        [T.StructField(name, data_type, True) if f.name == name else f for f in LOG_SCHEMA.fields]
    )


#: The legacy log's schema, as docs/legacy.md describes it.
LEGACY_SCHEMA = T.StructType(
    [
        T.StructField("run_mode", T.StringType(), False),
        T.StructField("run_started_at", T.TimestampType(), True),
        T.StructField("run_ended_at", T.TimestampType(), True),
        T.StructField("phase", T.StringType(), False),
        T.StructField("step", T.StringType(), False),
        T.StructField("start_time", T.TimestampType(), True),
        T.StructField("end_time", T.TimestampType(), True),
        T.StructField("table_fqn", T.StringType(), True),
        T.StructField("write_mode", T.StringType(), True),
        T.StructField("input_rows", T.IntegerType(), True),
        T.StructField("output_rows", T.IntegerType(), True),
        T.StructField("rows_written", T.IntegerType(), True),
        T.StructField("valid_rows", T.IntegerType(), False),
        T.StructField("invalid_rows", T.IntegerType(), False),
        T.StructField("validation_rate", T.FloatType(), False),
        T.StructField("previous_watermark", T.TimestampType(), True),
        T.StructField("filtered_rows", T.IntegerType(), True),
    ]
)


def test_schema_problems_accepts_the_log_schema() -> None:
    assert schema_problems(LOG_SCHEMA) == []


def test_schema_problems_ignores_order_nullability_and_comments() -> None:
    relaxed = T.StructType(
        [T.StructField(f.name, f.dataType, True) for f in reversed(LOG_SCHEMA.fields)]
    )
    assert schema_problems(relaxed) == []


@pytest.mark.parametrize("name", ["run_id", "input_rows", "tags"], ids=["run_id", "count", "map"])
def test_schema_problems_reports_a_missing_column(name: str) -> None:
    [problem] = schema_problems(T.StructType(_without(name)))
    assert name in problem
    assert "missing" in problem


@pytest.mark.parametrize(
    ("name", "data_type"),
    [
        ("input_rows", T.IntegerType()),
        ("validation_rate", T.FloatType()),
        ("logged_at", T.TimestampNTZType()),
        ("run_date", T.StringType()),
        ("tags", T.MapType(T.StringType(), T.IntegerType())),
        ("rule_results", T.ArrayType(T.StringType())),
    ],
    ids=["int_count", "float_rate", "ntz_timestamp", "string_date", "int_map", "string_array"],
)
def test_schema_problems_reports_a_column_of_another_type(name: str, data_type: T.DataType) -> None:
    [problem] = schema_problems(_replaced(name, data_type))
    assert name in problem
    assert data_type.simpleString() in problem


def test_schema_problems_accepts_an_extra_nullable_column() -> None:
    schema = T.StructType([*LOG_SCHEMA.fields, T.StructField("team", T.StringType(), True)])
    assert schema_problems(schema) == []


def test_schema_problems_rejects_an_extra_not_null_column() -> None:
    schema = T.StructType([*LOG_SCHEMA.fields, T.StructField("team", T.StringType(), False)])
    [problem] = schema_problems(schema)
    assert "team" in problem


def test_schema_problems_hints_to_migrate_a_legacy_table() -> None:
    problems = schema_problems(LEGACY_SCHEMA)
    assert "migrate_legacy_table" in problems[0]
    assert len(problems) > 1  # the hint comes on top of the actual differences


def test_schema_problems_calls_a_table_without_log_columns_not_a_log() -> None:
    problems = schema_problems(T.StructType([]))
    assert len(problems) == 1
    assert problems[0].startswith(NOT_A_LOG)


# --------------------------------------------------------------------------- results


def _write_error() -> WriterTableError:
    return WriterTableError(
        "WRITER_WRITE_FAILED", {"runs": "1", "table": "ops.run_log", "reason": "disk full"}
    )


def test_write_result_of_one_written_run() -> None:
    result = WriteResult(
        run_ids=("r1",), written_run_ids=("r1",), rows_written=3, table_versions=(7,)
    )
    assert (result.success, result.run_id, result.table_version) == (True, "r1", 7)
    assert (result.skipped, result.commits) == (False, 1)


def test_write_result_of_a_retried_run_is_skipped() -> None:
    result = WriteResult(run_ids=("r1",), skipped_run_ids=("r1",))
    assert (result.success, result.skipped, result.table_version, result.commits) == (
        True,
        True,
        None,
        0,
    )


def test_write_result_of_several_runs() -> None:
    result = WriteResult(
        run_ids=("r1", "r2", "r3"),
        written_run_ids=("r1", "r3"),
        skipped_run_ids=("r2",),
        table_versions=(4, 5),
    )
    assert (result.skipped, result.table_version, result.commits) == (False, 5, 2)
    with pytest.raises(ValueError, match="3 runs"):
        _ = result.run_id


def test_write_result_of_no_runs() -> None:
    result = WriteResult(run_ids=())
    assert (result.success, result.skipped, result.table_version, result.commits) == (
        True,
        False,
        None,
        0,
    )
    with pytest.raises(ValueError, match="0 runs"):
        _ = result.run_id


def test_write_result_with_an_error_is_not_a_success() -> None:
    error = _write_error()
    result = WriteResult(run_ids=("r1", "r2"), written_run_ids=("r1",), error=error)
    assert result.success is False
    assert result.error is error
    assert result.error.code == "WRITER_WRITE_FAILED"


def _check(name: str, failed_rows: int) -> DataQualityCheck:
    return DataQualityCheck(name=name, description=f"{name} check", failed_rows=failed_rows)


def test_data_quality_result_passes_when_no_check_fails() -> None:
    result = DataQualityResult(total_rows=10, checks=(_check("a", 0), _check("b", 0)))
    assert result.passed is True
    assert result.failures == {}
    assert all(check.passed for check in result.checks)


def test_data_quality_result_lists_only_the_failing_checks() -> None:
    result = DataQualityResult(
        total_rows=10, checks=(_check("a", 0), _check("b", 3), _check("c", 1))
    )
    assert result.passed is False
    assert result.failures == {"b": 3, "c": 1}
    assert [check.passed for check in result.checks] == [True, False, False]


def test_data_quality_result_without_checks_passes() -> None:
    result = DataQualityResult(total_rows=0, checks=())
    assert (result.passed, result.failures) == (True, {})

"""Unit tests of ``sparkforge.validation.log_checks.schema_problems`` (pure: no JVM)."""

from __future__ import annotations

import pytest
from pyspark.sql import types as T

from sparkforge.validation import NOT_A_LOG, not_a_log_reason, schema_problems
from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA


def _without(*names: str) -> T.StructType:
    return T.StructType([f for f in LOG_SCHEMA.fields if f.name not in names])


def test_schema_problems_accepts_the_log_schema() -> None:
    assert schema_problems(LOG_SCHEMA) == []
    assert not_a_log_reason(LOG_SCHEMA) is None


@pytest.mark.parametrize(
    "fields",
    [
        [T.StructField("id", T.LongType()), T.StructField("value", T.StringType())],
        [T.StructField("run_id", T.StringType()), T.StructField("step", T.StringType())],
        [],
    ],
    ids=["none_shared", "two_shared", "no_columns"],
)
def test_schema_problems_other_table_is_one_problem(fields: list[T.StructField]) -> None:
    # Before: one "column ... is missing" line per log column (32 of them).
    problems = schema_problems(T.StructType(fields))
    assert len(problems) == 1
    assert problems[0].startswith(NOT_A_LOG)
    for field in fields:
        assert field.name in problems[0]


def test_schema_problems_names_a_missing_column() -> None:
    assert schema_problems(_without("tags")) == ["column tags is missing"]


def test_schema_problems_names_a_column_of_the_wrong_type() -> None:
    fields = [
        T.StructField(f.name, T.IntegerType(), f.nullable) if f.name == "input_rows" else f
        for f in LOG_SCHEMA.fields
    ]
    assert schema_problems(T.StructType(fields)) == ["column input_rows is int, expected bigint"]


def test_schema_problems_legacy_table_gets_the_migration_hint_first() -> None:
    legacy = T.StructType([f for f in LOG_SCHEMA.fields if f.name in LOG_COLUMNS[:17]])
    problems = schema_problems(legacy)
    assert problems[0] == "it is a legacy log table: upgrade it with migrate_legacy_table()"
    assert len(problems) == 1 + len(LOG_COLUMNS) - 17


def test_schema_problems_extra_not_null_column_blocks_appends() -> None:
    schema = T.StructType([*LOG_SCHEMA.fields, T.StructField("extra", T.StringType(), False)])
    assert schema_problems(schema) == [
        "unknown column extra is NOT NULL, so the log cannot be appended"
    ]

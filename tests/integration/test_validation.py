"""apply_rules on real DataFrames: exact counts, NULL predicates, one pass."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F

from sparkforge.validation import (
    FAILED_RULES_COL,
    Rule,
    apply_rules,
    measure_rules,
    normalize_rules,
    validation_rate,
    validation_rate_column,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.validation import NamedRule, Rules, ValidationResult

ROWS = [
    (1, 10.0, "paid"),  # valid
    (2, -1.0, "paid"),  # positive: FALSE
    (None, 5.0, "paid"),  # id_present: FALSE
    (4, None, "paid"),  # positive: NULL -> invalid
    (5, 3.0, None),  # known_status: NULL -> invalid
    (None, -2.0, "lost"),  # all three fail
    (7, 0.5, "refunded"),  # valid
]


def _rules() -> tuple[NamedRule, ...]:
    rules: Rules = {
        "id": [Rule("id_present", F.col("id").isNotNull())],
        "amount": [Rule("positive", F.col("amount") > 0)],
        "status": {"known_status": F.col("status").isin("paid", "refunded")},
    }
    return normalize_rules(rules, step="orders")


@pytest.fixture(scope="module")
def orders_df(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(ROWS, "id BIGINT, amount DOUBLE, status STRING")


@pytest.fixture(scope="module")
def validated(orders_df: DataFrame) -> Iterator[ValidationResult]:
    with apply_rules(orders_df, _rules()) as result:
        yield result


def test_apply_rules_counts_exactly(validated: ValidationResult) -> None:
    counts = validated.counts
    assert (counts.rows, counts.valid_rows, counts.invalid_rows) == (7, 2, 5)
    assert [(r.rule, r.column, r.failed_rows) for r in counts.rule_results] == [
        ("id_present", "id", 2),
        ("positive", "amount", 3),
        ("known_status", "status", 2),
    ]
    assert counts.validation_rate == pytest.approx(200 / 7)


def test_apply_rules_splits_rows_without_losing_any(
    validated: ValidationResult, orders_df: DataFrame
) -> None:
    valid = {tuple(r) for r in validated.valid_df.collect()}
    invalid = validated.invalid_df.collect()
    assert valid == {(1, 10.0, "paid"), (7, 0.5, "refunded")}
    assert validated.valid_df.columns == orders_df.columns
    assert validated.invalid_df.columns == [*orders_df.columns, FAILED_RULES_COL]
    by_row = {(r["id"], r["amount"], r["status"]): r[FAILED_RULES_COL] for r in invalid}
    assert by_row == {
        (2, -1.0, "paid"): ["positive"],
        (None, 5.0, "paid"): ["id_present"],
        (4, None, "paid"): ["positive"],
        (5, 3.0, None): ["known_status"],
        (None, -2.0, "lost"): ["id_present", "positive", "known_status"],
    }
    # The measured counts are the rows handed on.
    assert len(valid) == validated.counts.valid_rows
    assert len(invalid) == validated.counts.invalid_rows


def test_apply_rules_without_rules_keeps_every_row(orders_df: DataFrame) -> None:
    with apply_rules(orders_df, ()) as result:
        assert (result.counts.rows, result.counts.valid_rows, result.counts.invalid_rows) == (
            7,
            7,
            0,
        )
        assert result.counts.rule_results == ()
        assert result.invalid_df.count() == 0
        assert dict(result.invalid_df.dtypes)[FAILED_RULES_COL] == "array<string>"


def test_apply_rules_on_empty_input(spark: SparkSession) -> None:
    empty = spark.createDataFrame([], "id BIGINT, amount DOUBLE, status STRING")
    with apply_rules(empty, _rules()) as result:
        counts = result.counts
        assert (counts.rows, counts.valid_rows, counts.invalid_rows) == (0, 0, 0)
        assert [r.failed_rows for r in counts.rule_results] == [0, 0, 0]
        assert counts.validation_rate == 100.0


def test_apply_rules_default_names_are_spark_expressions(orders_df: DataFrame) -> None:
    rules = normalize_rules({"amount": [F.col("amount") >= 0]}, step="s")
    with apply_rules(orders_df, rules) as result:
        (rule,) = result.counts.rule_results
    # -1.0 and -2.0 fail; the NULL amount fails too (NULL is never valid).
    # The name is the expression as the running Spark prints it (3.5 prints it infix).
    expected = "(amount >= 0)" if orders_df.sparkSession.version < "4" else ">=(amount, 0)"
    assert (rule.rule, rule.column, rule.failed_rows) == (expected, "amount", 3)


def _jobs(
    spark: SparkSession, df: DataFrame, rules: tuple[NamedRule, ...], *, measure: bool = False
) -> int:
    context = spark.sparkContext
    group = f"sparkforge-test-{uuid.uuid4().hex}"
    context.setJobGroup(group, "count validation jobs")
    try:
        if measure:
            measure_rules(df, rules, extra_aggregates={"_n": F.count_distinct("id")})
        else:
            apply_rules(df, rules).release()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    return len(context.statusTracker().getJobIdsForGroup(group))


def test_apply_rules_is_one_pass_whatever_the_number_of_rules(
    spark: SparkSession, orders_df: DataFrame
) -> None:
    one = normalize_rules({"id": [F.col("id").isNotNull()]}, step="s")
    many = normalize_rules({"amount": [F.col("amount") > i for i in range(12)]}, step="s")
    baseline = _jobs(spark, orders_df, one)
    assert baseline >= 1
    # A count() per rule would add a job per rule; one aggregation adds none.
    assert _jobs(spark, orders_df, many) == baseline


def test_apply_rules_propagates_spark_errors(orders_df: DataFrame) -> None:
    rules = normalize_rules({"nope": [F.col("nope").isNotNull()]}, step="s")
    with pytest.raises(AnalysisException):
        apply_rules(orders_df, rules)


def test_measure_rules_counts_what_apply_rules_counts(
    orders_df: DataFrame, validated: ValidationResult
) -> None:
    counts, extra = measure_rules(
        orders_df, _rules(), extra_aggregates={"ids": F.count_distinct("id")}
    )
    assert counts == validated.counts
    assert extra == {"ids": 5}


def test_measure_rules_is_one_job_whatever_the_number_of_rules(
    spark: SparkSession, orders_df: DataFrame
) -> None:
    one = normalize_rules({"id": [F.col("id").isNotNull()]}, step="s")
    many = normalize_rules({"amount": [F.col("amount") > i for i in range(12)]}, step="s")
    baseline = _jobs(spark, orders_df, one, measure=True)
    assert baseline >= 1
    assert _jobs(spark, orders_df, many, measure=True) == baseline


@pytest.mark.parametrize(
    ("valid", "invalid"),
    [(3, 1), (0, 0), (0, 5), (7, 0), (2**40, 3), (None, 1)],
    ids=["some_invalid", "none_validated", "all_invalid", "all_valid", "large", "null"],
)
def test_validation_rate_column_is_the_formula_in_spark(
    spark: SparkSession, valid: int | None, invalid: int
) -> None:
    df = spark.createDataFrame([(valid, invalid)], "valid long, invalid long")
    (row,) = df.select(
        validation_rate_column(F.col("valid"), F.col("invalid")).alias("rate")
    ).collect()
    expected = None if valid is None else validation_rate(valid, invalid)
    assert row["rate"] == (None if expected is None else pytest.approx(expected))

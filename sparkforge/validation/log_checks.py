"""The checks of the log table itself: its schema, and the data quality of its rows.

[`schema_problems`][sparkforge.validation.schema_problems] says whether a table can hold the log;
[`check_log_quality`][sparkforge.validation.check_log_quality] counts the rows failing each
data-quality check. Each check is a named rule counted by the validation engine's one aggregation
pass ([`sparkforge.validation.measure_rules`][]): one Spark job for all of them.

The log's schema is read from `sparkforge.writer.models` when a check runs (the writer
imports this module, so it cannot be imported here at import time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.validation.engine import measure_rules
from sparkforge.validation.rates import RATE_TOLERANCE, validation_rate_column
from sparkforge.validation.rules import NamedRule

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType, StructType

__all__ = [
    "check_log_quality",
    "DataQualityCheck",
    "DataQualityResult",
    "NOT_A_LOG",
    "not_a_log_reason",
    "schema_problems",
]

#: How :func:`schema_problems` starts the one problem of a table that is not a log at all.
NOT_A_LOG = "not a sparkforge log"

# A table sharing fewer of the log's columns than this is some other table, not a broken log.
_MIN_SHARED_COLUMNS = 8
_LEGACY_COLUMN_COUNT = 17  # the legacy log's columns are the first 17 of LOG_SCHEMA
_SHOWN_COLUMNS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQualityCheck:
    """One data-quality check over the log table and how many rows fail it.

    Examples
    --------
    >>> check = DataQualityCheck(name="negative_counts",
    ...     description="a row count is negative", failed_rows=0)
    >>> check.passed
    True
    """

    name: str
    description: str
    failed_rows: int

    @property
    def passed(self) -> bool:
        """Whether no row fails the check."""
        return self.failed_rows == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQualityResult:
    """The result of [`check_log_quality`][sparkforge.validation.check_log_quality].

    ``LogWriter.validate_data_quality`` returns it too.

    Examples
    --------
    >>> result = DataQualityResult(total_rows=10, checks=(
    ...     DataQualityCheck(name="negative_counts", description="...", failed_rows=0),
    ...     DataQualityCheck(name="rate_mismatch", description="...", failed_rows=2)))
    >>> result.passed, result.failures
    (False, {'rate_mismatch': 2})
    """

    total_rows: int
    checks: tuple[DataQualityCheck, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> dict[str, int]:
        """Failed rows per failing check."""
        return {check.name: check.failed_rows for check in self.checks if not check.passed}


def _plain(data_type: DataType) -> str:
    # Compare types without nullability: Delta may keep NOT NULL differently than asked.
    from pyspark.sql import types as T

    if isinstance(data_type, T.StructType):
        return "struct<" + ",".join(f"{f.name}:{_plain(f.dataType)}" for f in data_type) + ">"
    if isinstance(data_type, T.ArrayType):
        return f"array<{_plain(data_type.elementType)}>"
    if isinstance(data_type, T.MapType):
        return f"map<{_plain(data_type.keyType)},{_plain(data_type.valueType)}>"
    return data_type.simpleString()


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN_COLUMNS])
    more = len(names) - _SHOWN_COLUMNS
    return f"{shown} and {more} more" if more > 0 else shown or "none"


def not_a_log_reason(actual: StructType) -> str | None:
    """Say why a table with schema ``actual`` is no log at all, or None if it may be one.

    A table sharing almost none of the log's columns is some other table (a wrong name, a
    wrong path): one reason says so, instead of a "column missing" line per log column.

    Examples
    --------
    >>> from pyspark.sql import types as T
    >>> not_a_log_reason(T.StructType([T.StructField("id", T.LongType())]))
    "not a sparkforge log (it has none of the log's columns; its columns: id)"
    """
    from sparkforge.writer.models import LOG_COLUMNS

    names = [f.name for f in actual.fields]
    shared = [name for name in names if name in LOG_COLUMNS]
    if len(shared) >= _MIN_SHARED_COLUMNS:
        return None
    if not shared:
        return f"{NOT_A_LOG} (it has none of the log's columns; its columns: {_listed(names)})"
    return (
        f"{NOT_A_LOG} (it has only {len(shared)} of the log's {len(LOG_COLUMNS)} columns, "
        f"{_listed(shared)}; its columns: {_listed(names)})"
    )


def schema_problems(actual: StructType) -> list[str]:
    """Say why a table with schema ``actual`` cannot hold the log (empty: it can).

    Every [`LOG_SCHEMA`][sparkforge.writer.LOG_SCHEMA] column must be there with the same type, and
    nullable where the log may leave it NULL; more columns are fine if they are nullable (the
    writer leaves them NULL). A table sharing almost none of the log's columns gives one
    problem starting with [`NOT_A_LOG`][sparkforge.validation.NOT_A_LOG] (see
    [`not_a_log_reason`][sparkforge.validation.not_a_log_reason]).

    Parameters
    ----------
    actual
        The table's schema.

    Returns
    -------
    list[str]
        Every problem, in words; empty when the table can hold the log.

    Examples
    --------
    >>> from sparkforge.writer.models import LOG_SCHEMA
    >>> schema_problems(LOG_SCHEMA)
    []
    """
    from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA

    found = {f.name: f for f in actual.fields}
    if set(found) == set(LOG_COLUMNS[:_LEGACY_COLUMN_COUNT]):
        legacy = ["it is a legacy log table: upgrade it with migrate_legacy_table()"]
    else:
        legacy = []
        reason = not_a_log_reason(actual)
        if reason is not None:
            return [reason]
    problems = []
    for expected in LOG_SCHEMA.fields:
        have = found.get(expected.name)
        if have is None:
            problems.append(f"column {expected.name} is missing")
        elif _plain(have.dataType) != _plain(expected.dataType):
            problems.append(
                f"column {expected.name} is {have.dataType.simpleString()}, "
                f"expected {expected.dataType.simpleString()}"
            )
        elif expected.nullable and not have.nullable:
            problems.append(f"column {expected.name} is NOT NULL, but the log leaves it NULL")
    for name, extra in found.items():
        if name not in LOG_COLUMNS and not extra.nullable:
            problems.append(f"unknown column {name} is NOT NULL, so the log cannot be appended")
    return legacy + problems


def _any(conditions: list[Column]) -> Column:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined | condition
    return combined


def _check(name: str, column: str, description: str, fails: Column) -> tuple[NamedRule, str]:
    # A row passes unless ``fails`` is TRUE: a NULL comparison (say of a NULL end_time) is no
    # evidence of a problem, so it passes (the engine fails a NULL predicate).
    return NamedRule(name=name, column=column, predicate=~F.coalesce(fails, F.lit(False))), (
        description
    )


def _log_checks() -> list[tuple[NamedRule, str]]:
    """Return the checks in report order, each a rule that a well-formed log row passes."""
    from sparkforge.writer.models import REQUIRED_COLUMNS

    col = F.col
    v1 = col("schema_version") >= 1
    step = col("row_kind") == "step"
    any_null = _any([col(name).isNull() for name in REQUIRED_COLUMNS])
    any_step_null = _any(
        [col(name).isNull() for name in ("phase", "step", "step_index", "step_status")]
    )
    counts = ["input_rows", "output_rows", "rows_written", "valid_rows", "invalid_rows"]
    negative = _any([col(name) < 0 for name in counts])
    total = col("valid_rows") + col("invalid_rows")
    expected_rate = validation_rate_column(col("valid_rows"), col("invalid_rows"))
    rate = col("validation_rate")
    return [
        _check(
            "required_nulls",
            "*",
            "required columns are NULL (v1 rows), or a step row lacks phase/step/index/status",
            (v1 & any_null) | (step & any_step_null),
        ),
        _check("negative_counts", "*", "a row count is negative", negative),
        _check(
            "counts_mismatch",
            "valid_rows",
            "valid_rows + invalid_rows differs from output_rows (v1 rows)",
            v1 & (total != col("output_rows")),
        ),
        _check(
            "end_before_start",
            "end_time",
            "a step or run ends before it starts",
            (col("end_time") < col("start_time")) | (col("run_ended_at") < col("run_started_at")),
        ),
        _check(
            "rate_out_of_range",
            "validation_rate",
            "validation_rate is outside 0-100 or NaN",
            (rate < 0) | (rate > 100) | F.isnan(rate),
        ),
        _check(
            "rate_mismatch",
            "validation_rate",
            "validation_rate does not match valid_rows / (valid_rows + invalid_rows) (v1 rows)",
            v1 & (F.abs(rate - expected_rate) > RATE_TOLERANCE),
        ),
        _check(
            "rows_written_missing",
            "rows_written",
            "a successful step wrote its table but rows_written is NULL: the count was lost "
            "(v1 rows)",
            v1
            & step
            & (col("step_status") == "success")
            & col("write_mode").isNotNull()
            & col("rows_written").isNull(),
        ),
    ]


def check_log_quality(log_df: DataFrame) -> DataQualityResult:
    """Run the log's data-quality checks over ``log_df`` in one aggregation (one Spark job).

    The checks of v1 meanings (counts adding up, the rate matching them, required columns,
    written rows counted) apply to rows written under schema v1; rows migrated from the legacy
    log (schema_version 0) keep the legacy meanings, where the validation counts need not be
    the transform's output.

    Parameters
    ----------
    log_df
        Rows of a log table (all of it, or a filtered part).

    Returns
    -------
    DataQualityResult
        The number of rows failing each check: ``required_nulls``, ``negative_counts``,
        ``counts_mismatch``, ``end_before_start``, ``rate_out_of_range``, ``rate_mismatch``,
        ``rows_written_missing`` and ``duplicate_keys`` (rows repeating a (run_id, step)
        key, beyond the first).

    Examples
    --------
    ```python
    from sparkforge.validation import check_log_quality

    result = check_log_quality(spark.read.table("ops.run_log"))
    print(result.total_rows, result.passed, result.failures)  # ... True {}
    ```
    """
    checks = _log_checks()
    col = F.col
    key = F.concat_ws("\u0000", col("run_id"), col("row_kind"), F.coalesce(col("step"), F.lit("")))
    counts, extra = measure_rules(
        log_df,
        [rule for rule, _ in checks],
        extra_aggregates={"_keys": F.count_distinct(key)},
    )
    results = [
        DataQualityCheck(name=rule.name, description=text, failed_rows=result.failed_rows)
        for (rule, text), result in zip(checks, counts.rule_results, strict=True)
    ]
    keys = extra["_keys"]
    results.append(
        DataQualityCheck(
            name="duplicate_keys",
            description="rows repeat a (run_id, step) key",
            failed_rows=counts.rows - (keys if isinstance(keys, int) else 0),
        )
    )
    return DataQualityResult(total_rows=counts.rows, checks=tuple(results))

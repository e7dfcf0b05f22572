"""The validation rules that failed rows, one row per run, step and rule, as a DataFrame.

[`rule_failures`][sparkforge.reporting.rule_failures.rule_failures] flattens the log's
``rule_results`` arrays into a DataFrame users query (lazily: it starts no Spark job). The summary's
per-step "top failing rules"
([`RuleFailureSummary`][sparkforge.reporting.rule_failures.RuleFailureSummary]) are aggregated from
the same rows, in Spark.

Only rules that failed at least one row are kept: the validation engine records every rule of
a step, the rules that passed (0 failed rows) included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge._result import Result
from sparkforge.errors import ProblemCollector
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    window_filter,
)
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pyspark.sql import DataFrame

__all__ = ["RULE_FAILURE_COLUMNS", "rule_failures", "RuleFailureSummary"]

#: The columns of :func:`rule_failures`, in order.
RULE_FAILURE_COLUMNS: tuple[str, ...] = (
    "pipeline_name",
    "run_id",
    "run_started_at",
    "step",
    "phase",
    "rule",
    "column",
    "failed_rows",
)

#: The log columns :func:`rule_failures` reads.
_LOG_COLUMNS: tuple[str, ...] = (
    "pipeline_name",
    "run_id",
    "run_started_at",
    "run_date",
    "row_kind",
    "step",
    "phase",
    "rule_results",
)

#: The grouping of a step's figures: one step of one pipeline.
STEP_KEY: tuple[str, ...] = ("pipeline_name", "step", "phase")


@dataclass(frozen=True, slots=True)
class RuleFailureSummary(Result):
    """One rule's failures in one step over the summarised window.

    Attributes
    ----------
    rule
        The rule's name.
    column
        The column the rule checks, or None for a rule over several columns.
    failed_rows
        The rows it failed, summed over the window's runs of the step (measured counts).
    runs
        The runs in which it failed at least one row.

    Examples
    --------
    >>> print(RuleFailureSummary("not_null", "id", 1200, 3))
    not_null (id): 1,200 failed rows in 3 run(s)
    """

    rule: str
    column: str | None
    failed_rows: int
    runs: int

    def __str__(self) -> str:
        where = f" ({self.column})" if self.column is not None else ""
        return f"{self.rule}{where}: {self.failed_rows:,} failed rows in {self.runs} run(s)"


def rule_failures(
    log: DataFrame,
    *,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DataFrame:
    """Return the rules that failed rows: one row per run, step and rule, to query.

    Parameters
    ----------
    log
        The run log (the table, or any DataFrame with its columns).
    pipeline_name
        Keep only these pipelines (a name or a sequence of names); None keeps all.
    since, until
        Timezone-aware bounds of ``run_started_at``: runs started in [since, until).

    Returns
    -------
    DataFrame
        Columns ``pipeline_name, run_id, run_started_at, step, phase, rule, column,
        failed_rows``, one row per element of a step row's ``rule_results`` whose
        ``failed_rows`` is above 0 (run-level rows have no rules). ``run_started_at`` stays a
        Spark timestamp. The DataFrame is lazy: building it starts no Spark job.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument, ``ANALYSIS_LOG_INVALID``
        when ``log`` is not a DataFrame with the columns read; both before any Spark job.

    Examples
    --------
    ```python
    from sparkforge.reporting import rule_failures

    failures = rule_failures(spark.table("ops.pipeline_log"), pipeline_name="orders")
    failures.groupBy("rule").sum("failed_rows").show()
    ```
    """
    problems = ProblemCollector()
    pipelines = check_names(problems, "pipeline_name", pipeline_name)
    start = check_instant(problems, "since", since)
    end = check_instant(problems, "until", until)
    if start is not None and end is not None and start >= end:
        problems.add("until", f"expected an instant after since ({start}), got {end}")
    if problems:
        raise argument_error("rule_failures arguments", problems)
    check_log_columns(log, _LOG_COLUMNS, purpose="rule_failures")
    try:
        return exploded(log.where(window_filter(pipelines=pipelines, since=start, until=end)))
    except Exception as exc:  # a Spark analysis error, raised eagerly by classic sessions
        raise operation_failed("rule_failures", "the run log", exc) from exc


def exploded(log: DataFrame) -> DataFrame:
    """Return the `RULE_FAILURE_COLUMNS` of an already filtered log (lazy)."""
    return (
        log.where(F.col("row_kind") == "step")
        .select(
            "pipeline_name",
            "run_id",
            "run_started_at",
            "step",
            "phase",
            F.explode("rule_results").alias("result"),
        )
        .where(F.col("result.failed_rows") > 0)
        .select(
            "pipeline_name",
            "run_id",
            "run_started_at",
            "step",
            "phase",
            F.col("result.rule").alias("rule"),
            F.col("result.column").alias("column"),
            F.col("result.failed_rows").alias("failed_rows"),
        )
    )

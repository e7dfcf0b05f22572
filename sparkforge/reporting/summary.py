"""What the run log says, per pipeline and per step, over a window.

The answer of [`summarize`][sparkforge.reporting.summary.summarize].

The log is read once (the window's rows, filter pushed down, cached for the three
aggregations and released before returning). Run-level facts come from one row per run
(they are repeated on every row of a run), step facts from the step rows, rule failures from
their ``rule_results``. The aggregations hold no ``COUNT(DISTINCT)`` and no window: runs are
grouped with their status as a key (numbers only, hashed) and their errors taken from the
few failed rows; step statistics and each failing rule's figures are one aggregation per
step (or rule), their distinct runs the size of the set of their run ids. Only the small
results are collected; each step's few rules are ranked in Python. Percentiles are exact
(the values of each group sorted once: linear interpolation between the two closest ranks,
as Spark's ``percentile`` and ``numpy.percentile`` do by default).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pyspark.sql import Row
from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    from_micros,
    micros,
    percentile_of_sorted,
    sorted_values,
    window_filter,
)
from sparkforge.reporting._summary_results import LogSummary, PipelineSummary, StepSummary
from sparkforge.reporting.rule_failures import STEP_KEY, RuleFailureSummary, exploded
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pyspark.sql import Column, DataFrame

__all__ = ["LogSummary", "PipelineSummary", "StepSummary", "summarize"]

#: The log columns the summary reads (the window's rows of these are cached).
_COLUMNS: tuple[str, ...] = (
    "pipeline_name", "run_id", "run_status", "run_started_at", "run_ended_at", "run_date",
    "row_kind", "step", "phase", "step_index", "step_status", "duration_secs", "rows_written",
    "validation_rate", "error_message", "rule_results",
)  # fmt: skip


def summarize(
    log: DataFrame,
    *,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    top_rules: int = 5,
) -> LogSummary:
    """Summarise the runs of the log started in [since, until), per pipeline and step.

    Parameters
    ----------
    log
        The run log (the table, or any DataFrame with its columns).
    pipeline_name
        Only these pipelines (a name or a sequence of names); None for all.
    since, until
        Timezone-aware bounds of ``run_started_at``; None leaves the bound open.
    top_rules
        The most failing rules kept per step (an int >= 1).

    Returns
    -------
    LogSummary
        With no pipelines (0 runs) when the window holds no run.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument, ``ANALYSIS_LOG_INVALID``
        when ``log`` is not a DataFrame with the columns read; both before any Spark job.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading or aggregating the log.

    Examples
    --------
    ```python
    from datetime import datetime, timezone
    from sparkforge.reporting import summary

    result = summary(spark.table("ops.pipeline_log"),
                     since=datetime(2026, 1, 1, tzinfo=timezone.utc))
    print(result)
    ```
    """
    problems = ProblemCollector()
    pipelines = check_names(problems, "pipeline_name", pipeline_name)
    start = check_instant(problems, "since", since)
    end = check_instant(problems, "until", until)
    if start is not None and end is not None and start >= end:
        problems.add("until", f"expected an instant after since ({start}), got {end}")
    limit: object = top_rules
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        problems.add("top_rules", f"expected an int >= 1, got {limit!r}")
    if problems:
        raise argument_error("summary arguments", problems)
    check_log_columns(log, _COLUMNS, purpose="summary")
    try:
        condition = window_filter(pipelines=pipelines, since=start, until=end)
        frame = log.where(condition).select(*_COLUMNS).cache()
        try:
            run_rows = _pipeline_level(frame).collect()
            step_rows = _step_level(frame).collect()
            rule_rows = _rule_counts(frame).collect()
        finally:
            frame.unpersist()
    except Exception as exc:
        raise operation_failed("summary", "the run log", exc) from exc
    return _summary(run_rows, step_rows, _top_rules(rule_rows, top_rules), start, end)


def _is(column: str, value: str) -> Column:
    return F.col(column) == F.lit(value)


def _mean(total: Column, count: Column) -> Column:
    return F.when(count > 0, total / count)


def _pipeline_level(frame: DataFrame) -> DataFrame:
    """One row per pipeline (columns named as the fields), aggregated over one row per run.

    The runs are first grouped with their status as a key (so the aggregation holds numbers
    only and is hashed, not sorted), then merged per run (a run's status is the same on all
    its rows; if not, the greatest is kept); the errors come from the few failed rows.
    """
    step = _is("row_kind", "step")
    by_status = frame.groupBy("pipeline_name", "run_id", "run_status").agg(
        F.count(F.lit(1)).alias("log_rows"),
        micros(F.max("run_started_at")).alias("started"),
        micros(F.max("run_ended_at")).alias("ended"),
        F.sum(F.when(step, F.col("rows_written"))).alias("written"),
        F.sum(F.when(step, F.col("validation_rate"))).alias("rate_sum"),
        F.count(F.when(step, F.col("validation_rate"))).alias("rate_count"),
    )
    runs = by_status.groupBy("pipeline_name", "run_id").agg(
        F.sum("log_rows").alias("log_rows"),
        F.max("run_status").alias("status"),
        F.max("started").alias("started"),
        F.max("ended").alias("ended"),
        F.sum("written").alias("written"),
        F.sum("rate_sum").alias("rate_sum"),
        F.sum("rate_count").alias("rate_count"),
    )
    run_error = _is("row_kind", "run") & F.col("error_message").isNotNull()
    failed_step = _is("step_status", "failed")
    errors = (
        frame.where(run_error | failed_step)
        .groupBy("pipeline_name", "run_id")
        .agg(
            F.max(F.when(run_error, F.col("error_message"))).alias("run_error"),
            F.min(F.when(failed_step, F.struct("step_index", "error_message"))).alias("step"),
        )
        .select(
            "pipeline_name",
            "run_id",
            F.coalesce("run_error", "step.error_message").alias("error"),
        )
    )
    runs = runs.join(errors, ["pipeline_name", "run_id"], "left").select(
        "*", ((F.col("ended") - F.col("started")) / F.lit(1_000_000.0)).alias("secs")
    )
    failed = _is("status", "failed")
    latest_failed = F.max(F.when(failed, F.struct("started", "run_id", "error")))
    return (
        runs.groupBy("pipeline_name")
        .agg(
            F.count(F.lit(1)).alias("runs"),
            F.sum("log_rows").alias("log_rows"),
            F.count(F.when(_is("status", "success"), 1)).alias("succeeded_runs"),
            F.count(F.when(failed, 1)).alias("failed_runs"),
            F.min("started").alias("first_run_at"),
            F.max("started").alias("last_run_at"),
            F.max(F.struct("started", "run_id", "status")).alias("latest"),
            latest_failed.alias("latest_failed"),
            sorted_values("secs").alias("secs"),
            F.sum("written").alias("rows_written"),
            _mean(F.sum("rate_sum"), F.sum("rate_count")).alias("mean_validation_rate"),
        )
        .select(
            "*",
            F.col("latest.status").alias("last_status"),
            F.col("latest_failed.started").alias("last_failed_at"),
            F.col("latest_failed.error").alias("last_error_message"),
            percentile_of_sorted("secs", 0.5).alias("run_duration_p50_secs"),
            percentile_of_sorted("secs", 0.95).alias("run_duration_p95_secs"),
        )
        .drop("latest", "latest_failed", "secs")
    )


def _step_level(frame: DataFrame) -> DataFrame:
    """One row per pipeline, step and phase (columns named as the fields)."""
    return (
        frame.where(_is("row_kind", "step"))
        .groupBy(*STEP_KEY)
        .agg(
            F.min("step_index").alias("order"),
            F.size(F.collect_set("run_id")).alias("runs"),
            F.count(F.when(_is("step_status", "failed"), 1)).alias("failed"),
            F.count(F.when(_is("step_status", "skipped"), 1)).alias("skipped"),
            sorted_values("duration_secs").alias("secs"),
            F.max("duration_secs").alias("duration_max_secs"),
            F.sum("rows_written").alias("rows_written"),
            F.avg("validation_rate").alias("mean_validation_rate"),
            F.min("validation_rate").alias("min_validation_rate"),
        )
        .select(
            "*",
            percentile_of_sorted("secs", 0.5).alias("duration_p50_secs"),
            percentile_of_sorted("secs", 0.95).alias("duration_p95_secs"),
        )
        .drop("secs")
    )


def _rule_counts(frame: DataFrame) -> DataFrame:
    """Per failing rule of a step: the rows it failed and the distinct runs it failed in.

    Over `sparkforge.reporting.rule_failures.exploded`: the rows `rule_failures` returns.
    """
    return (
        exploded(frame)
        .groupBy(*STEP_KEY, "rule", "column")
        .agg(
            F.sum(F.col("failed_rows").cast("long")).alias("failed_rows"),
            F.size(F.collect_set("run_id")).alias("runs"),
        )
    )


def _top_rules(rules: list[Row], limit: int) -> list[Row]:
    """Return each step's ``limit`` top rule rows, with their ``rank`` (1 first).

    Rules are ranked per step: most failed rows first, then most runs, then rule and column
    names (NULL first).
    """
    ordered = sorted(
        rules,
        key=lambda r: (
            *((r[k] is not None, r[k] or "") for k in STEP_KEY),
            -(r["failed_rows"] or 0),
            -r["runs"],
            r["rule"] is not None,
            r["rule"] or "",
            r["column"] is not None,
            r["column"] or "",
        ),
    )
    ranked: list[Row] = []
    rank, previous = 0, None
    for row in ordered:
        key = tuple(row[k] for k in STEP_KEY)
        rank = rank + 1 if key == previous else 1
        previous = key
        if rank <= limit:
            ranked.append(Row(**{k: row[k] for k in STEP_KEY}, rank=rank, **{
                k: row[k] for k in ("rule", "column", "failed_rows", "runs")
            }))  # fmt: skip
    return ranked


def _fields(row: Row, *drop: str) -> dict[str, Any]:
    """Return a collected row's values: instants (``*_at``, micros) made aware, NaN made None."""
    return {
        name: from_micros(value) if name.endswith("_at") else _finite(value)
        for name, value in row.asDict().items()
        if name not in drop
    }


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _summary(
    run_rows: list[Row],
    step_rows: list[Row],
    rule_rows: list[Row],
    since: datetime | None,
    until: datetime | None,
) -> LogSummary:
    rules: dict[tuple[object, ...], list[RuleFailureSummary]] = {}
    for row in sorted(rule_rows, key=lambda r: int(r["rank"])):
        rule = RuleFailureSummary(**_fields(row, *STEP_KEY, "rank"))
        rules.setdefault(tuple(row[k] for k in STEP_KEY), []).append(rule)
    steps: dict[str, list[tuple[tuple[float, str, str], StepSummary]]] = {}
    for row in step_rows:
        key = tuple(row[k] for k in STEP_KEY)
        rules_of_step = tuple(rules.get(key, ()))
        step = StepSummary(
            **_fields(row, "pipeline_name", "order"), top_failing_rules=rules_of_step
        )
        order = float(row["order"]) if row["order"] is not None else math.inf
        steps.setdefault(row["pipeline_name"], []).append(
            ((order, row["step"] or "", row["phase"] or ""), step)
        )
    pipelines = tuple(
        PipelineSummary(
            **_fields(row, "log_rows"),
            success_rate=100.0 * row["succeeded_runs"] / row["runs"] if row["runs"] else None,
            steps=tuple(step for _, step in sorted(steps.get(row["pipeline_name"], []))),
        )
        for row in sorted(run_rows, key=lambda r: str(r["pipeline_name"]))
    )
    firsts = [p.first_run_at for p in pipelines if p.first_run_at is not None]
    lasts = [p.last_run_at for p in pipelines if p.last_run_at is not None]
    return LogSummary(
        pipelines=pipelines,
        since=since,
        until=until,
        runs=sum(p.runs for p in pipelines),
        rows=sum(int(row["log_rows"]) for row in run_rows),
        first_run_at=min(firsts, default=None),
        last_run_at=max(lasts, default=None),
    )

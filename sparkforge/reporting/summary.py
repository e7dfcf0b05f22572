"""What the run log says, per pipeline and per step, over a window: :func:`summarize`.

The log is read once (the window's rows, filter pushed down, cached for the three
aggregations and released before returning). Run-level facts come from one row per run
(they are repeated on every row of a run), step facts from the step rows, rule failures from
their ``rule_results``. Each level is one aggregation in Spark; only the small results are
collected. Percentiles are exact (SQL ``percentile``: linear interpolation between the two
closest ranks, as ``numpy.percentile`` does by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    from_micros,
    micros,
    window_filter,
)
from sparkforge.reporting._result import Result
from sparkforge.reporting.rule_failures import STEP_KEY, RuleFailureSummary, top_rule_failures
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pyspark.sql import Column, DataFrame, Row

__all__ = ["LogSummary", "PipelineSummary", "StepSummary", "summarize"]

#: The log columns the summary reads (the window's rows of these are cached).
_COLUMNS: tuple[str, ...] = (
    "pipeline_name", "run_id", "run_status", "run_started_at", "run_ended_at", "run_date",
    "row_kind", "step", "phase", "step_index", "step_status", "duration_secs", "rows_written",
    "validation_rate", "error_message", "rule_results",
)  # fmt: skip
_PERCENTILES = "array(0.5D, 0.95D)"


@dataclass(frozen=True, slots=True)
class StepSummary(Result):
    """One step of one pipeline over the window, from its step rows.

    Attributes
    ----------
    step, phase
        The step and its phase (a step that changed phase has one summary per phase).
    runs
        The runs that have a row for this step.
    failed, skipped
        Its rows with ``step_status`` failed, skipped.
    duration_p50_secs, duration_p95_secs, duration_max_secs
        Exact median, 95th percentile and maximum of ``duration_secs`` over its rows that
        measured one (skipped steps have none); None when none did.
    rows_written
        ``rows_written`` summed over its rows; None when no row measured it.
    mean_validation_rate, min_validation_rate
        Mean and minimum ``validation_rate`` (percent) over its rows that have one.
    top_failing_rules
        At most ``top_rules`` rules, most failed rows first (see :class:`RuleFailureSummary`).

    Examples
    --------
    >>> print(StepSummary("clean", "silver", 4, 1, 0, 2.0, 3.5, 4.0, 1200, 99.5, 98.0,
    ...     (RuleFailureSummary("not_null", "id", 12, 1),)))
    step   phase   runs  failed  skipped     p50     p95     max  written  mean rate  min rate
    clean  silver     4       1        0  2.000s  3.500s  4.000s    1,200     99.50%    98.00%
      not_null (id): 12 failed rows in 1 run(s)
    """

    step: str | None
    phase: str | None
    runs: int
    failed: int
    skipped: int
    duration_p50_secs: float | None
    duration_p95_secs: float | None
    duration_max_secs: float | None
    rows_written: int | None
    mean_validation_rate: float | None
    min_validation_rate: float | None
    top_failing_rules: tuple[RuleFailureSummary, ...]

    def __str__(self) -> str:
        rules = (f"  {rule}" for rule in self.top_failing_rules)
        return "\n".join((_table([self], _STEP_COLUMNS, left=2), *rules))


@dataclass(frozen=True, slots=True)
class PipelineSummary(Result):
    """One pipeline over the window: its runs, then its steps.

    Attributes
    ----------
    pipeline_name
        The pipeline.
    runs, succeeded_runs, failed_runs
        Its runs started in the window; those whose ``run_status`` is success, failed.
    success_rate
        Percent of its runs that succeeded (from the two counts); None when it has no runs.
    first_run_at, last_run_at
        The earliest and latest ``run_started_at`` (UTC).
    last_status
        The ``run_status`` of the latest run (latest start; on a tie, the greatest run id).
    last_failed_at
        The start of the latest failed run; None when no run failed.
    last_error_message
        That run's error: its run-level row's ``error_message``, else that of its failed step
        with the lowest ``step_index``; None when it recorded none.
    run_duration_p50_secs, run_duration_p95_secs
        Exact median and 95th percentile of ``run_ended_at - run_started_at`` (seconds) over
        all its runs that recorded both instants, whatever their status: what runs cost in
        wall time, the failed ones included.
    rows_written
        ``rows_written`` summed over its step rows; None when no step row measured it.
    mean_validation_rate
        Mean ``validation_rate`` (percent) over its step rows that have one.
    steps
        Its steps in run order (lowest ``step_index`` seen, then name).

    Examples
    --------
    >>> p = PipelineSummary("orders", 0, 0, 0, None, None, None, None, None, None, None,
    ...     None, None, None, ())
    >>> print(p)
    orders: runs from - to -
      pipeline  runs  ok  failed  success  p50  p95  written  validation  last
      orders       0   0       0        -    -    -        -           -     -
    """

    pipeline_name: str
    runs: int
    succeeded_runs: int
    failed_runs: int
    success_rate: float | None
    first_run_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    last_failed_at: datetime | None
    last_error_message: str | None
    run_duration_p50_secs: float | None
    run_duration_p95_secs: float | None
    rows_written: int | None
    mean_validation_rate: float | None
    steps: tuple[StepSummary, ...]

    def __str__(self) -> str:
        heading, *details = self._details()
        return "\n".join((heading, _indent(_table([self], _PIPELINE_COLUMNS)), *details))

    def _details(self) -> list[str]:
        """Return the text lines of its runs' span, last failure, steps and failing rules."""
        first, last = _instant(self.first_run_at), _instant(self.last_run_at)
        lines = [f"{self.pipeline_name}: runs from {first} to {last}"]
        if self.last_failed_at is not None:
            message = self.last_error_message or "-"
            lines.append(f"  last failure {_instant(self.last_failed_at)}: {message}")
        if self.steps:
            lines.append(_indent(_table(self.steps, _STEP_COLUMNS, left=2)))
        lines.extend(
            f"  {step.step} rule {rule}" for step in self.steps for rule in step.top_failing_rules
        )
        return lines


@dataclass(frozen=True, slots=True)
class LogSummary(Result):
    """The summary of the log over a window: its totals and one summary per pipeline.

    Attributes
    ----------
    pipelines
        One :class:`PipelineSummary` per pipeline with runs in the window, sorted by name.
    since, until
        The window asked (UTC), or None for an open bound.
    runs
        The runs in the window (all pipelines).
    rows
        The log rows read: every row (step and run rows) of those runs.
    first_run_at, last_run_at
        The earliest and latest ``run_started_at`` in the window.

    Examples
    --------
    >>> print(LogSummary((), None, None, 0, 0, None, None))
    Run log summary, window - to -: 0 run(s), 0 log row(s)
    no runs
    """

    pipelines: tuple[PipelineSummary, ...]
    since: datetime | None
    until: datetime | None
    runs: int
    rows: int
    first_run_at: datetime | None
    last_run_at: datetime | None

    def __str__(self) -> str:
        lines = [
            f"Run log summary, window {_instant(self.since)} to {_instant(self.until)}: "
            f"{self.runs} run(s), {self.rows} log row(s)"
        ]
        if not self.pipelines:
            lines.append("no runs")
            return "\n".join(lines)
        lines.append(f"runs from {_instant(self.first_run_at)} to {_instant(self.last_run_at)}")
        lines.append(_table(self.pipelines, _PIPELINE_COLUMNS))
        lines.extend(line for pipeline in self.pipelines for line in pipeline._details())
        return "\n".join(lines)


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
    .. code-block:: python

        from datetime import datetime, timezone
        from sparkforge.reporting import summary

        result = summary(spark.table("ops.pipeline_log"),
                         since=datetime(2026, 1, 1, tzinfo=timezone.utc))
        print(result)
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
            rule_rows = top_rule_failures(frame, top_rules).collect()
        finally:
            frame.unpersist()
    except Exception as exc:
        raise operation_failed("summary", "the run log", exc) from exc
    return _summary(run_rows, step_rows, rule_rows, start, end)


def _is(column: str, value: str) -> Column:
    return F.col(column) == F.lit(value)


def _pipeline_level(frame: DataFrame) -> DataFrame:
    """One row per pipeline (columns named as the fields), aggregated over one row per run."""
    step = _is("row_kind", "step")
    failed_step = F.when(_is("step_status", "failed"), F.struct("step_index", "error_message"))
    runs = (
        frame.groupBy("pipeline_name", "run_id")
        .agg(
            F.count(F.lit(1)).alias("log_rows"),
            F.max("run_status").alias("status"),
            micros(F.max("run_started_at")).alias("started"),
            micros(F.max("run_ended_at")).alias("ended"),
            F.sum(F.when(step, F.col("rows_written"))).alias("written"),
            F.sum(F.when(step, F.col("validation_rate"))).alias("rate_sum"),
            F.count(F.when(step, F.col("validation_rate"))).alias("rate_count"),
            F.max(F.when(_is("row_kind", "run"), F.col("error_message"))).alias("run_error"),
            F.min(failed_step).alias("failed_step"),
        )
        .select(
            "*",
            ((F.col("ended") - F.col("started")) / F.lit(1_000_000.0)).alias("secs"),
            F.coalesce("run_error", "failed_step.error_message").alias("error"),
        )
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
            F.expr(f"percentile(secs, {_PERCENTILES})").alias("secs"),
            F.sum("written").alias("rows_written"),
            (F.sum("rate_sum") / F.sum("rate_count")).alias("mean_validation_rate"),
        )
        .select(
            "*",
            F.col("latest.status").alias("last_status"),
            F.col("latest_failed.started").alias("last_failed_at"),
            F.col("latest_failed.error").alias("last_error_message"),
            F.col("secs")[0].alias("run_duration_p50_secs"),
            F.col("secs")[1].alias("run_duration_p95_secs"),
        )
        .drop("latest", "latest_failed", "secs")
    )


def _step_level(frame: DataFrame) -> DataFrame:
    """One row per pipeline, step and phase (columns named as the fields), over step rows."""
    return (
        frame.where(_is("row_kind", "step"))
        .groupBy(*STEP_KEY)
        .agg(
            F.min("step_index").alias("order"),
            F.countDistinct("run_id").alias("runs"),
            F.count(F.when(_is("step_status", "failed"), 1)).alias("failed"),
            F.count(F.when(_is("step_status", "skipped"), 1)).alias("skipped"),
            F.expr(f"percentile(duration_secs, {_PERCENTILES})").alias("secs"),
            F.max("duration_secs").alias("duration_max_secs"),
            F.sum("rows_written").alias("rows_written"),
            F.avg("validation_rate").alias("mean_validation_rate"),
            F.min("validation_rate").alias("min_validation_rate"),
        )
        .select(
            "*",
            F.col("secs")[0].alias("duration_p50_secs"),
            F.col("secs")[1].alias("duration_p95_secs"),
        )
        .drop("secs")
    )


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


def _instant(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}%" if name.endswith("rate") else f"{value:.3f}s"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(items: Sequence[object], columns: Sequence[tuple[str, str]], *, left: int = 1) -> str:
    """One line per item: the first ``left`` columns left-aligned, the others right-aligned."""
    rows = [tuple(header for header, _ in columns)]
    rows += [tuple(_cell(name, getattr(item, name)) for _, name in columns) for item in items]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


_PIPELINE_COLUMNS = (
    ("pipeline", "pipeline_name"), ("runs", "runs"), ("ok", "succeeded_runs"),
    ("failed", "failed_runs"), ("success", "success_rate"), ("p50", "run_duration_p50_secs"),
    ("p95", "run_duration_p95_secs"), ("written", "rows_written"),
    ("validation", "mean_validation_rate"), ("last", "last_status"),
)  # fmt: skip
_STEP_COLUMNS = (
    ("step", "step"), ("phase", "phase"), ("runs", "runs"), ("failed", "failed"),
    ("skipped", "skipped"), ("p50", "duration_p50_secs"), ("p95", "duration_p95_secs"),
    ("max", "duration_max_secs"), ("written", "rows_written"),
    ("mean rate", "mean_validation_rate"), ("min rate", "min_validation_rate"),
)  # fmt: skip

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
    window_filter,
)
from sparkforge.reporting._summary_results import LogSummary, PipelineSummary, StepSummary
from sparkforge.reporting.rule_failures import STEP_KEY, RuleFailureSummary, top_rule_failures
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
_PERCENTILES = "array(0.5D, 0.95D)"


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
        rows = _levels(log.where(condition).select(*_COLUMNS)).collect()
    except Exception as exc:
        raise operation_failed("summary", "the run log", exc) from exc
    return _summary(*_split(rows, limit), start, end)


def _is(column: str, value: str) -> Column:
    return F.col(column) == F.lit(value)


def _entry(kind: str, **fields: Column) -> Column:
    """Return one entry of a log row: its ``kind``, its grouping keys and its values."""
    return F.struct(
        F.lit(kind).alias("kind"),
        *(fields.get(name, F.lit(None)).cast(kind_of).alias(name) for name, kind_of in _ENTRY),
    )


def _entries(frame: DataFrame) -> DataFrame:
    """Return the entries of every log row (see :func:`_levels`), exploded."""
    step = _is("row_kind", "step")
    common = {"run_id": F.col("run_id")}
    at_step = {"step": F.col("step"), "phase": F.col("phase")}
    run_entry = _entry(
        "R",
        **common,
        text=F.col("run_status"),
        rows=F.lit(1),
        started=micros("run_started_at"),
        ended=micros("run_ended_at"),
        written=F.when(step, F.col("rows_written")),
        rate=F.when(step, F.col("validation_rate")),
    )
    run_error = _entry("ER", **common, text=F.col("error_message"), rows=F.lit(1))
    step_error = _entry(
        "EF", **common, text=F.col("error_message"), number=F.col("step_index"), rows=F.lit(1)
    )
    step_entry = _entry(
        "S",
        **at_step,
        number=F.col("duration_secs"),
        rows=F.lit(1),
        index=F.col("step_index"),
        failed=_is("step_status", "failed").cast("int"),
        skipped=_is("step_status", "skipped").cast("int"),
        written=F.col("rows_written"),
        rate=F.col("validation_rate"),
    )
    step_run = _entry("U", **at_step, **common, rows=F.lit(1))
    failed_rules = F.filter(
        F.coalesce(F.col("rule_results"), F.array()), lambda r: r["failed_rows"] > 0
    )
    rule_entries = F.transform(
        failed_rules,
        lambda r: _entry(
            "F",
            **at_step,
            **common,
            rule=r["rule"],
            column=r["column"],
            failed_rows=r["failed_rows"],
        ),
    )
    entries = F.concat(
        F.array(run_entry),
        F.when(_is("row_kind", "run") & F.col("error_message").isNotNull(), F.array(run_error))
        .otherwise(F.array().cast(F.array(run_entry).dataType)),
    )
    return frame.select(F.explode(entries).alias("e")).select("e.*")
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

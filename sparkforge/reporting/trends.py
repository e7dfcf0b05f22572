"""How a metric of the run log moves over time, and whether it recently regressed.

[`trends`][sparkforge.reporting.trends.trends] reads the log once (pipeline, step and time-window
filters pushed down), turns every measured value into one (series, instant, value) entry, and
aggregates in Spark, in one job: exact per-bucket percentiles, and the exact medians of the recent
and baseline windows. It collects only one row per series per bucket; the Theil-Sen slope over the
bucket medians is fitted in Python (`sparkforge.reporting.robust`).

Which values a series holds
---------------------------
- Step series (one per pipeline and step): the metric's column on step rows with
  ``step_status = 'success'`` (skipped and failed steps have no counts), of any run.
- Run series (``step`` None), only for ``duration_secs`` and ``rows_written`` and only when no
  ``step`` filter is given: one value per run with ``run_status = 'success'``: the run's
  ``run_ended_at - run_started_at`` in seconds, or the sum of its successful steps'
  ``rows_written`` (a run without any such value has none).

Every value is placed at its run's ``run_started_at`` (all steps of a run share the run's
bucket and window), which is also what ``since`` / ``until`` select on.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector, SparkForgeError
from sparkforge.models import utc_now
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    exact_percentiles,
    from_micros,
    micros,
    window_filter,
)
from sparkforge.reporting._trend_results import TrendPoint, TrendReport, TrendSeries
from sparkforge.reporting.robust import theil_sen_slope
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pyspark.sql import Column, DataFrame, Row

__all__ = ["BUCKETS", "METRICS", "TrendPoint", "TrendReport", "trends", "TrendSeries"]

#: The metrics :func:`trends` follows: the log column of each (``duration_secs`` of a step).
METRICS: tuple[str, ...] = (
    "duration_secs",
    "filtered_rows",
    "input_rows",
    "invalid_rows",
    "rows_written",
    "valid_rows",
    "validation_rate",
)
#: The bucket sizes: UTC hours, UTC days, ISO weeks (Monday 00:00 UTC to Monday).
BUCKETS: tuple[str, ...] = ("hour", "day", "week")

_RUN_LEVEL_METRICS = frozenset({"duration_secs", "rows_written"})
_LOWER_IS_WORSE = frozenset({"validation_rate"})
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_BUCKET_US = {"hour": _HOUR_US, "day": _DAY_US, "week": 7 * _DAY_US}
# The epoch fell on a Thursday: ISO weeks start 3 days before a multiple of 7 days.
_WEEK_OFFSET_US = 3 * _DAY_US
_MAX_DAYS = 36_525
_COLUMNS = (
    "pipeline_name run_id run_status run_started_at run_ended_at run_date row_kind step "
    "step_status step_index"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _check_int(problems: ProblemCollector, name: str, value: object, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        problems.add(name, f"expected an integer from 1 to {maximum}, got {value!r}")
        return 1
    return value


def _check_arguments(**kw: object) -> tuple[TrendReport, tuple[str, ...], tuple[str, ...]]:
    """Return the report without its series, the pipelines and the steps; raise if bad."""
    problems = ProblemCollector()
    metric, bucket = kw["metric"], kw["bucket"]
    if metric not in METRICS:
        problems.add("metric", f"expected one of {', '.join(METRICS)}, got {metric!r}")
    if bucket not in BUCKETS:
        problems.add("bucket", f"expected one of {', '.join(BUCKETS)}, got {bucket!r}")
    pipelines = check_names(problems, "pipeline_name", kw["pipeline_name"])
    steps = check_names(problems, "step", kw["step"])
    start = check_instant(problems, "since", kw["since"])
    end = check_instant(problems, "until", kw["until"])
    if start is not None and end is not None and start >= end:
        problems.add("until", f"expected an instant after since ({start.isoformat()})")
    as_of = kw["as_of"]
    moment = check_instant(problems, "as_of", as_of) if as_of is not None else utc_now()
    recent = _check_int(problems, "recent_days", kw["recent_days"], _MAX_DAYS)
    baseline = _check_int(problems, "baseline_days", kw["baseline_days"], _MAX_DAYS)
    samples = _check_int(problems, "min_samples", kw["min_samples"], 2**31 - 1)
    threshold = kw["regression_threshold"]
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not math.isfinite(threshold)
        or threshold <= 0
    ):
        problems.add("regression_threshold", f"expected a finite number > 0, got {threshold!r}")
        threshold = 1.0
    if problems or moment is None:
        raise argument_error("trends arguments", problems)
    worse = "lower" if metric in _LOWER_IS_WORSE else "higher"
    named = (str(metric), str(bucket), moment, recent, baseline, float(threshold), samples)
    report = TrendReport(*named, start, end, worse, ())
    return report, pipelines, steps


def _bucket_start(instant_us: Column, bucket: str) -> Column:
    """Return the UTC bucket start (epoch microseconds) of an instant, by integer arithmetic.

    Working on epoch microseconds keeps the session time zone out: ``date_trunc`` would cut
    local days.
    """
    size = F.lit(_BUCKET_US[bucket])
    if bucket == "week":
        return instant_us - F.pmod(instant_us + F.lit(_WEEK_OFFSET_US), size)
    return instant_us - F.pmod(instant_us, size)


def _entries(
    log: DataFrame, args: TrendReport, pipelines: tuple[str, ...], steps: tuple[str, ...]
) -> DataFrame:
    """Return (pipeline_name, series_step, instant_us, value): one row per measured value.

    The step values come straight from the step rows; the run values from one hashed
    aggregation per run (no window, no sort), over the same filtered log.
    """
    condition = window_filter(pipelines=pipelines, since=args.since, until=args.until)
    if steps:
        condition = condition & F.col("step").isin(list(steps))
    frame = log.where(condition)
    step_ok = (
        (F.col("row_kind") == "step")
        & (F.col("step_status") == "success")
        & F.col("step").isNotNull()
    )
    frame = frame.withColumn("step_value", F.when(step_ok, F.col(args.metric).cast("double")))
    entries = frame.select(
        "pipeline_name",
        F.col("step").alias("series_step"),
        micros("run_started_at").alias("instant_us"),
        F.col("step_value").alias("value"),
    )
    if args.metric in _RUN_LEVEL_METRICS and not steps:
        # One value per successful run (all rows of a run carry its status and instants).
        runs = (
            frame.where(F.col("run_status") == "success")
            .groupBy("pipeline_name", "run_id")
            .agg(
                F.min(micros("run_started_at")).alias("instant_us"),
                F.max(micros("run_ended_at")).alias("ended_us"),
                F.sum("step_value").alias("written"),
            )
        )
        if args.metric == "duration_secs":
            run_value = (F.col("ended_us") - F.col("instant_us")) / F.lit(1_000_000.0)
        else:
            run_value = F.col("written")
        entries = entries.unionByName(
            runs.select(
                "pipeline_name",
                F.lit(None).cast("string").alias("series_step"),
                "instant_us",
                run_value.alias("value"),
            )
        )
    return entries.where(F.col("value").isNotNull() & ~F.isnan("value"))


#: ``part`` of an aggregated row: a bucket, the recent window, the baseline window.
_BUCKET, _RECENT, _BASELINE = 0, 1, 2


def _aggregate(entries: DataFrame, args: TrendReport) -> DataFrame:
    """Return one row per series and bucket (``part`` 0), and per series window (1, 2).

    Each value is counted in its bucket and, when its run started in the recent or the
    baseline window, once more in that window's group: one sort of the values within their
    group gives every exact percentile (`exact_percentiles`).
    """
    as_of_us = (args.as_of - _EPOCH) // timedelta(microseconds=1)
    split_us = as_of_us - args.recent_days * _DAY_US
    first_us = split_us - args.baseline_days * _DAY_US
    instant = F.col("instant_us")
    recent = (instant > F.lit(split_us)) & (instant <= F.lit(as_of_us))
    baseline = (instant > F.lit(first_us)) & (instant <= F.lit(split_us))
    no_bucket = F.lit(None).cast("long")
    groups = F.array(
        F.struct(F.lit(_BUCKET).alias("part"), _bucket_start(instant, args.bucket).alias("b")),
        F.when(recent, F.struct(F.lit(_RECENT).alias("part"), no_bucket.alias("b"))),
        F.when(baseline, F.struct(F.lit(_BASELINE).alias("part"), no_bucket.alias("b"))),
    )
    tagged = entries.select(
        "pipeline_name",
        "series_step",
        "value",
        F.explode(F.filter(groups, lambda g: g.isNotNull())).alias("g"),
    ).select("pipeline_name", "series_step", "g.part", F.col("g.b").alias("bucket_us"), "value")
    value = F.col("value")
    stats = exact_percentiles(
        tagged,
        ["pipeline_name", "series_step", "part", "bucket_us"],
        "value",
        (0.5, 0.95),
        F.avg(value).alias("mean"),
        F.min(value).alias("min"),
        F.max(value).alias("max"),
    )
    # One row per series, its groups in arrays of numbers: collected without a Row per bucket.
    groups = F.array_sort(F.collect_list(F.struct(*_FIELDS)))
    return stats.groupBy("pipeline_name", "series_step").agg(
        *(F.transform(groups, _field(f)).alias(f) for f in _FIELDS)
    )


def _field(name: str) -> Callable[[Column], Column]:
    return lambda group: group[name]


#: The figures of a group, in the order they sort by (part, then bucket).
_FIELDS = ("part", "bucket_us", "n", "p0", "p1", "mean", "min", "max")


def _regressed(recent: float | None, baseline: float | None, args: TrendReport) -> bool:
    if recent is None or baseline is None or baseline <= 0:
        return False
    if args.worse_when == "lower":
        return recent == 0 or baseline / recent >= args.regression_threshold
    return recent / baseline >= args.regression_threshold


def _series(row: Row, args: TrendReport) -> TrendSeries:
    groups = list(zip(*(row[f] for f in _FIELDS), strict=True))
    buckets = [g for g in groups if g[0] == _BUCKET]
    windows = {g[0]: (float(g[3]), int(g[2])) for g in groups if g[0] != _BUCKET}
    points = tuple(
        TrendPoint(from_micros(g[1]) or _EPOCH, int(g[2]), *map(float, g[3:])) for g in buckets
    )
    recent, recent_n = windows.get(_RECENT, (None, 0))
    baseline, baseline_n = windows.get(_BASELINE, (None, 0))
    change = ratio = None
    if recent is not None and baseline is not None and baseline != 0:
        change, ratio = (recent - baseline) / abs(baseline) * 100.0, recent / baseline
    enough = recent_n >= args.min_samples and baseline_n >= args.min_samples
    return TrendSeries(
        pipeline_name=row["pipeline_name"],
        step=row["series_step"],
        metric=args.metric,
        points=points,
        slope_per_day=theil_sen_slope([g[1] / _DAY_US for g in buckets], [p.p50 for p in points]),
        change_pct=change,
        regression_ratio=ratio,
        recent_samples=recent_n,
        baseline_samples=baseline_n,
        regressed=enough and _regressed(recent, baseline, args),
    )


def trends(
    log: DataFrame,
    metric: str = "duration_secs",
    *,
    pipeline_name: str | Sequence[str] | None = None,
    step: str | Sequence[str] | None = None,
    bucket: str = "day",
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    recent_days: int = 7,
    baseline_days: int = 28,
    regression_threshold: float = 1.5,
    min_samples: int = 3,
) -> TrendReport:
    """Return how ``metric`` moves per bucket, and which series regressed recently.

    Parameters
    ----------
    log
        The run log (any DataFrame with the log's columns).
    metric
        One of `METRICS`.
    pipeline_name, step
        Only these pipelines / steps (a name or names). With ``step``, no run series.
    bucket
        ``"hour"``, ``"day"`` (UTC) or ``"week"`` (ISO, from Monday 00:00 UTC).
    since, until
        Only runs started in ``[since, until)`` (aware datetimes).
    as_of
        The end of the recent window (aware; default: now).
    recent_days, baseline_days
        Window lengths in days (1 to 36525).
    regression_threshold
        Finite factor > 0 the recent median must reach over the baseline's (the inverse for
        ``validation_rate``) for a series to be regressed.
    min_samples
        Values each window must hold (>= 1) for a series to be regressed.

    Returns
    -------
    TrendReport
        One [`TrendSeries`][sparkforge.reporting.trends.TrendSeries] per pipeline and step (and per
        pipeline for the run series).

    Raises
    ------
    sparkforge.errors.ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument (before any Spark job), or
        ``ANALYSIS_LOG_INVALID`` when ``log`` lacks a needed column.
    sparkforge.errors.TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading or aggregating the log.

    Examples
    --------
    ```python
    report = trends(spark.read.table("ops.pipeline_log"), "duration_secs",
                    pipeline_name="orders", as_of=datetime.now(timezone.utc))
    for series in report.regressions:
        print(series)
    ```
    """
    # Every argument but the log, by name, checked before any Spark job.
    args, pipelines, steps = _check_arguments(**{k: v for k, v in locals().items() if k != "log"})
    check_log_columns(log, [*_COLUMNS.split(), args.metric], purpose="trends")
    try:
        rows = _aggregate(_entries(log, args, pipelines, steps), args).collect()
    except SparkForgeError:
        raise
    except Exception as exc:
        raise operation_failed("trends", "the run log", exc) from exc
    rows = sorted(
        rows,
        key=lambda r: (r["pipeline_name"], r["series_step"] is not None, r["series_step"] or ""),
    )
    return replace(args, series=tuple(_series(row, args) for row in rows))

"""How a metric of the run log moves over time, and whether it recently regressed.

:func:`trends` reads the log once (pipeline, step and time-window filters pushed down), turns
every measured value into one (series, instant, value) entry, and aggregates in Spark, in one
job: exact per-bucket percentiles, and the exact medians of the recent and baseline windows.
It collects only one row per series per bucket; the Theil-Sen slope over the bucket medians
is fitted in Python (:mod:`sparkforge.reporting.robust`).

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

from pyspark.sql import Window
from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector, SparkForgeError
from sparkforge.models import utc_now
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    from_micros,
    micros,
    window_filter,
)
from sparkforge.reporting._trend_results import TrendPoint, TrendReport, TrendSeries
from sparkforge.reporting.robust import theil_sen_slope
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    """Return (pipeline_name, series_step, instant_us, value): one row per measured value."""
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
    entries = [F.struct(F.col("step").alias("series_step"), F.col("step_value").alias("value"))]
    if args.metric in _RUN_LEVEL_METRICS and not steps:
        # One value per successful run, kept on its first row (window functions cannot sit
        # inside the explode below, so they are computed first).
        run = Window.partitionBy("pipeline_name", "run_id")
        ordered = run.orderBy(
            F.col("step_index").asc_nulls_first(), F.col("step").asc_nulls_first()
        )
        if args.metric == "duration_secs":
            run_value = (micros("run_ended_at") - micros("run_started_at")) / F.lit(1_000_000.0)
        else:
            run_value = F.sum("step_value").over(run)
        first = (F.row_number().over(ordered) == 1) & (F.col("run_status") == "success")
        frame = frame.withColumn("run_value", F.when(first, run_value))
        entries.append(
            F.struct(
                F.lit(None).cast("string").alias("series_step"),
                F.col("run_value").alias("value"),
            )
        )
    exploded = frame.select(
        "pipeline_name",
        micros("run_started_at").alias("instant_us"),
        F.explode(F.array(*entries)).alias("entry"),
    )
    return exploded.select(
        "pipeline_name",
        "instant_us",
        F.col("entry.series_step").alias("series_step"),
        F.col("entry.value").alias("value"),
    ).where(F.col("value").isNotNull() & ~F.isnan("value"))


def _aggregate(entries: DataFrame, args: TrendReport) -> DataFrame:
    """Return one row per series and bucket: bucket statistics and the window medians."""
    as_of_us = (args.as_of - _EPOCH) // timedelta(microseconds=1)
    split_us = as_of_us - args.recent_days * _DAY_US
    first_us = split_us - args.baseline_days * _DAY_US
    instant = F.col("instant_us")
    recent = (instant > F.lit(split_us)) & (instant <= F.lit(as_of_us))
    baseline = (instant > F.lit(first_us)) & (instant <= F.lit(split_us))
    series = Window.partitionBy("pipeline_name", "series_step")
    value = F.col("value")
    windowed = entries.select(
        "pipeline_name",
        "series_step",
        "value",
        _bucket_start(instant, args.bucket).alias("bucket_us"),
        F.percentile(F.when(recent, value), F.lit(0.5)).over(series).alias("recent_median"),
        F.percentile(F.when(baseline, value), F.lit(0.5)).over(series).alias("baseline_median"),
        F.count(F.when(recent, value)).over(series).alias("recent_samples"),
        F.count(F.when(baseline, value)).over(series).alias("baseline_samples"),
    )
    return windowed.groupBy("pipeline_name", "series_step", "bucket_us").agg(
        F.count("value").alias("runs"),
        F.percentile("value", [0.5, 0.95]).alias("percentiles"),
        F.avg("value").alias("mean"),
        F.min("value").alias("min"),
        F.max("value").alias("max"),
        *(
            F.max(c).alias(c)
            for c in ("recent_median", "baseline_median", "recent_samples", "baseline_samples")
        ),
    )


def _regressed(recent: float | None, baseline: float | None, args: TrendReport) -> bool:
    if recent is None or baseline is None or baseline <= 0:
        return False
    if args.worse_when == "lower":
        return recent == 0 or baseline / recent >= args.regression_threshold
    return recent / baseline >= args.regression_threshold


def _series(key: tuple[str, str | None], rows: list[Row], args: TrendReport) -> TrendSeries:
    rows = sorted(rows, key=lambda r: int(r["bucket_us"]))
    points = tuple(
        TrendPoint(
            from_micros(r["bucket_us"]) or _EPOCH,
            int(r["runs"]),
            *map(float, (*r["percentiles"], r["mean"], r["min"], r["max"])),
        )
        for r in rows
    )
    top = rows[0]
    recent, baseline = top["recent_median"], top["baseline_median"]
    recent_n, baseline_n = int(top["recent_samples"]), int(top["baseline_samples"])
    defined = recent is not None and baseline is not None and baseline != 0
    enough = recent_n >= args.min_samples and baseline_n >= args.min_samples
    return TrendSeries(
        pipeline_name=key[0],
        step=key[1],
        metric=args.metric,
        points=points,
        slope_per_day=theil_sen_slope(
            [int(r["bucket_us"]) / _DAY_US for r in rows], [p.p50 for p in points]
        ),
        change_pct=(recent - baseline) / abs(baseline) * 100.0 if defined else None,
        regression_ratio=recent / baseline if defined else None,
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
        One of :data:`METRICS`.
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
        One :class:`TrendSeries` per pipeline and step (and per pipeline for the run series).

    Raises
    ------
    sparkforge.errors.ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument (before any Spark job), or
        ``ANALYSIS_LOG_INVALID`` when ``log`` lacks a needed column.
    sparkforge.errors.TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading or aggregating the log.

    Examples
    --------
    .. code-block:: python

        report = trends(spark.read.table("ops.pipeline_log"), "duration_secs",
                        pipeline_name="orders", as_of=datetime.now(timezone.utc))
        for series in report.regressions:
            print(series)
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
    grouped: dict[tuple[str, str | None], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row["pipeline_name"], row["series_step"]), []).append(row)
    keys = sorted(grouped, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    return replace(args, series=tuple(_series(k, grouped[k], args) for k in keys))

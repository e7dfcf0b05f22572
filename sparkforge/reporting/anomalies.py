"""Anomaly detection over the run log: robust, seasonal, blind to neither spikes nor drops.

[`detect_anomalies`][sparkforge.reporting.detect_anomalies] scores every point of the detection
window (runs started in ``(as_of - detection_days, as_of]``) against the ``training_days`` before
it, series by series, with the rule of `sparkforge.reporting._anomaly_rule` (median, 1.4826 x MAD, a
relative and an absolute floor), and, with ``freshness=True``, finds the pipelines that have gone
silent (`sparkforge.reporting.freshness`). The log is read once; every statistic is an exact
aggregate computed in Spark; only the anomalies and one summary row per series are collected.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sparkforge.reporting._anomaly_options import check_options, models
from sparkforge.reporting._anomaly_results import (
    Anomaly,
    AnomalyReport,
    SeriesCheck,
    SkippedSeries,
)
from sparkforge.reporting._anomaly_series import MAX_WIDENING, Plan, run_level, scored_series
from sparkforge.reporting._log_frame import (
    check_log_columns,
    from_micros,
    window_filter,
)
from sparkforge.reporting.freshness import freshness_rows
from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, Row

    from sparkforge.reporting._anomaly_options import Options

__all__ = ["Anomaly", "AnomalyReport", "detect_anomalies", "SeriesCheck", "SkippedSeries"]

_BASE_COLUMNS = (
    "pipeline_name",
    "run_id",
    "run_status",
    "run_started_at",
    "run_ended_at",
    "run_date",
    "row_kind",
    "step",
    "step_status",
    # The run-level aggregation (points and freshness) sums it whichever metrics are asked.
    "rows_written",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAY_US = 86_400_000_000


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def detect_anomalies(
    log: DataFrame,
    *,
    metrics: Sequence[str] = ("duration_secs", "rows_written", "invalid_rows", "validation_rate"),
    pipeline_name: str | Sequence[str] | None = None,
    as_of: datetime | None = None,
    detection_days: int = 2,
    training_days: int = 28,
    sensitivity: float = 3.0,
    seasonality: str | None = "auto",
    min_training_runs: int = 7,
    min_relative_change: float = 0.1,
    direction: str = "both",
    freshness: bool = True,
) -> AnomalyReport:
    """Find the points of the detection window that their own history says are abnormal.

    **Series.** Per (pipeline, step, metric), the values of the step rows with
    ``step_status = 'success'`` (skipped and failed steps have no counts); per (pipeline,
    metric) at run level (``step`` None), over succeeded runs: ``duration_secs`` =
    ``run_ended_at - run_started_at`` and ``rows_written`` = the sum of the run's successful
    steps' ``rows_written`` (no point when none was measured). A point's instant is its run's
    ``run_started_at``.

    **Windows.** Detection: runs started in ``(as_of - detection_days, as_of]``. Training:
    the ``training_days`` before the detection window's start (``(start - training_days,
    start]``); it never holds a scored point. A seasonal model may widen its training window to
    2, 3 ... 8 x ``training_days`` (the first multiple giving each of its buckets
    ``min_training_runs`` points); the log is read once over ``8 x training_days +
    detection_days`` days before ``as_of``.

    **Rule** (exact medians, Spark ``percentile(x, 0.5)``): ``expected`` = median of the
    training values, ``spread`` = 1.4826 x median(|x - expected|);
    ``scale = max(spread, min_relative_change * |expected| / sensitivity, 1 / sensitivity)``
    (one row, second or percentage point: no change below one unit is an anomaly);
    ``lower, upper = expected -/+ sensitivity * scale``; ``score = (value - expected) / scale``;
    a spike when ``value > upper``, a drop when ``value < lower`` (kept per ``direction``).
    With a seasonality, expected and spread come from the training values of the point's own
    bucket (UTC day of week or hour of day).

    **Seasonality** "auto": a seasonal model is a candidate when each of its buckets present
    (in the first training window or the detection window) has ``min_training_runs`` training
    points, widening allowed; it is used when it explains the variation: the 0.9 quantile of
    |x - bucket median| is at most half the 0.9 quantile of |x - median| over the same
    window. The candidate with the smaller quantile wins; otherwise no seasonality. A named
    seasonality is used whenever its buckets have the data, else none. A series whose
    unseasonal model lacks ``min_training_runs`` points in the training window (and that
    uses no seasonal model) is skipped.

    **Freshness** (``freshness=True``): see `sparkforge.reporting.freshness`.

    Parameters
    ----------
    log
        The run log (the table, or any DataFrame with its columns).
    metrics
        Metrics scored: any of duration_secs, rows_written, input_rows, invalid_rows,
        valid_rows, validation_rate, filtered_rows (run level: duration_secs, rows_written).
    pipeline_name
        Only these pipelines (a name or a sequence of names); None for all.
    as_of
        The end of the detection window (timezone-aware); default now.
    detection_days, training_days
        Window lengths in days (ints >= 1).
    sensitivity
        How many scales from ``expected`` a point may be (finite > 0; higher: fewer alerts).
    seasonality
        None, "day_of_week", "hour_of_day" or "auto".
    min_training_runs
        Training points needed (per bucket for a seasonal model; intervals for freshness).
    min_relative_change
        The smallest relative change from ``expected`` that may alert (finite >= 0).
    direction
        "both", "spike" or "drop".
    freshness
        Whether to look for late pipelines too.

    Returns
    -------
    AnomalyReport

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument, ``ANALYSIS_LOG_INVALID``
        when ``log`` lacks a column read; both before any Spark job.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading or aggregating the log.

    Examples
    --------
    ```python
    from datetime import datetime, timezone
    from sparkforge.reporting import detect_anomalies

    report = detect_anomalies(spark.table("ops.pipeline_log"),
                              as_of=datetime(2026, 3, 5, 6, tzinfo=timezone.utc))
    print(report)
    ```
    """
    opts = check_options(
        metrics=metrics,
        pipeline_name=pipeline_name,
        as_of=as_of,
        detection_days=detection_days,
        training_days=training_days,
        sensitivity=sensitivity,
        seasonality=seasonality,
        min_training_runs=min_training_runs,
        min_relative_change=min_relative_change,
        direction=direction,
        freshness=freshness,
    )
    columns = (*_BASE_COLUMNS, *[m for m in opts.metrics if m not in _BASE_COLUMNS])
    check_log_columns(log, columns, purpose="anomaly detection")
    as_of_us = _micros(opts.as_of)
    plan = Plan(
        metrics=opts.metrics,
        detection_start_us=as_of_us - opts.detection_days * _DAY_US,
        training_us=opts.training_days * _DAY_US,
        models=models(opts.seasonality),
        auto=opts.seasonality == "auto",
        sensitivity=opts.sensitivity,
        min_relative_change=opts.min_relative_change,
        min_training_runs=opts.min_training_runs,
        direction=opts.direction,
    )
    read_days = MAX_WIDENING * opts.training_days + opts.detection_days
    try:
        condition = window_filter(
            pipelines=opts.pipelines,
            since=opts.as_of - timedelta(days=read_days),
            until=opts.as_of + timedelta(microseconds=1),
        )
        frame = log.where(condition).select(*columns)
        runs = run_level(frame)
        results = scored_series(frame, runs, plan)
        if opts.freshness:
            fresh = freshness_rows(
                runs,
                as_of_us=as_of_us,
                sensitivity=opts.sensitivity,
                min_intervals=opts.min_training_runs,
            )
            results = results.unionByName(fresh, allowMissingColumns=True)
        rows = results.collect()
    except Exception as exc:
        raise operation_failed("anomaly detection", "the run log", exc) from exc
    return _report(opts, rows, read_days)


def _step(row: Row) -> str | None:
    return None if row["level"] == "run" else str(row["step_key"])


def _seasonality(model: str | None) -> str | None:
    return None if model in (None, "none") else model


def _report(opts: Options, rows: list[Row], read_days: int) -> AnomalyReport:
    anomalies: list[Anomaly] = []
    series: list[SeriesCheck] = []
    skipped: list[SkippedSeries] = []
    for row in rows:
        if row["kind"] == "freshness":
            _freshness(row, read_days, opts, anomalies, series, skipped)
            continue
        if row["is_anomaly"]:
            anomalies.append(_anomaly(row))
        if not row["is_summary"]:
            continue
        if row["chosen"] is None:
            skipped.append(
                SkippedSeries(
                    pipeline_name=row["pipeline_name"],
                    step=_step(row),
                    metric=row["metric"],
                    reason=(
                        f"{row['n_train']} training point(s) in the {opts.training_days} d "
                        f"before the detection window, {opts.min_training_runs} needed"
                    ),
                    training_points=int(row["n_train"]),
                )
            )
        else:
            series.append(
                SeriesCheck(
                    pipeline_name=row["pipeline_name"],
                    step=_step(row),
                    metric=row["metric"],
                    seasonality=_seasonality(row["chosen"]),
                    training_days=int(row["k_m"]) * opts.training_days,
                    training_points=int(row["n_train"]),
                    detection_points=int(row["n_det"]),
                )
            )
    anomalies.sort(key=lambda a: (a.run_started_at, a.pipeline_name, a.step or "", a.metric))
    series.sort(key=lambda s: (s.pipeline_name, s.step or "", s.metric))
    skipped.sort(key=lambda s: (s.pipeline_name, s.step or "", s.metric))
    return AnomalyReport(
        as_of=opts.as_of,
        pipeline_name=opts.pipelines,
        metrics=opts.metrics,
        detection_days=opts.detection_days,
        training_days=opts.training_days,
        sensitivity=opts.sensitivity,
        seasonality=opts.seasonality,
        min_training_runs=opts.min_training_runs,
        min_relative_change=opts.min_relative_change,
        direction=opts.direction,
        freshness=opts.freshness,
        anomalies=tuple(anomalies),
        checked_points=sum(s.detection_points for s in series),
        checked_series=len(series),
        series=tuple(series),
        skipped=tuple(skipped),
    )


def _started(row: Row) -> datetime:
    started = from_micros(row["t_us"])
    assert started is not None  # points and runs without a start are filtered out
    return started


def _anomaly(row: Row) -> Anomaly:
    return Anomaly(
        kind="metric",
        pipeline_name=row["pipeline_name"],
        step=_step(row),
        run_id=row["run_id"],
        run_started_at=_started(row),
        metric=row["metric"],
        value=float(row["value"]),
        expected=float(row["expected"]),
        lower=float(row["lower"]),
        upper=float(row["upper"]),
        score=None if row["score"] is None else float(row["score"]),
        direction=row["found"],
        seasonality=_seasonality(row["model"]),
    )


def _freshness(
    row: Row,
    read_days: int,
    opts: Options,
    anomalies: list[Anomaly],
    series: list[SeriesCheck],
    skipped: list[SkippedSeries],
) -> None:
    intervals = int(row["n_train"])
    if row["upper"] is None:
        skipped.append(
            SkippedSeries(
                pipeline_name=row["pipeline_name"],
                step=None,
                metric="freshness",
                reason=(
                    f"{intervals} interval(s) between run starts in the {read_days} d read, "
                    f"{opts.min_training_runs} needed"
                ),
                training_points=intervals,
            )
        )
        return
    series.append(
        SeriesCheck(row["pipeline_name"], None, "freshness", None, read_days, intervals, 1)
    )
    if row["found"] == "late":
        anomalies.append(
            Anomaly(
                kind="freshness",
                pipeline_name=row["pipeline_name"],
                step=None,
                run_id=row["run_id"],
                run_started_at=_started(row),
                metric="freshness",
                value=float(row["value"]),
                expected=float(row["expected"]),
                lower=0.0,
                upper=float(row["upper"]),
                score=None,
                direction="late",
                seasonality=None,
            )
        )

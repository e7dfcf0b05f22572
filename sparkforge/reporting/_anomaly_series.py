"""Spark: the points of every series, their training statistics, seasonality and scores.

One lazy plan over the (already filtered) log: points -> phases (detection window or the
``k``-th training window) -> seasonal buckets -> exact medians and MADs with
``percentile(x, 0.5)`` -> the model each series uses -> the scored detection points. The
formula is the one of `sparkforge.reporting._anomaly_rule`, written as Column
expressions; the result is a small DataFrame of ``series`` rows (one per series with detection
points) and ``anomaly`` rows, collected by `sparkforge.reporting.anomalies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from sparkforge.reporting._anomaly_rule import (
    DISPERSION_QUANTILE,
    EXPLAINED_RATIO,
    FLOOR,
    MAD_SCALE,
    RUN_METRICS,
    STEP_METRICS,
)
from sparkforge.reporting._log_frame import micros

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.window import WindowSpec

__all__ = ["MAX_WIDENING", "Plan", "bucket_column", "run_level", "scale_column", "scored_series"]

#: The training window widens to at most this many times ``training_days`` (seasonal models).
MAX_WIDENING = 8

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_KEYS = ["pipeline_name", "level", "step_key", "metric"]
_MODEL_KEYS = [*_KEYS, "model"]
_BUCKET_KEYS = [*_MODEL_KEYS, "bucket"]


@dataclass(frozen=True, slots=True)
class Plan:
    """The checked options one detection applies (instants in epoch microseconds)."""

    metrics: tuple[str, ...]
    detection_start_us: int
    training_us: int
    models: tuple[str, ...]
    auto: bool
    sensitivity: float
    min_relative_change: float
    min_training_runs: int
    direction: str


def bucket_column(model: str, started_us: Column) -> Column:
    """Return `bucket` as a Column (UTC, epoch math)."""
    if model == "day_of_week":
        return F.pmod(F.floor(started_us / F.lit(float(_DAY_US))) + F.lit(3), F.lit(7))
    if model == "hour_of_day":
        return F.pmod(F.floor(started_us / F.lit(float(_HOUR_US))), F.lit(24))
    return F.lit(0)


def scale_column(
    spread: Column, expected: Column, metric: Column, *, sensitivity: float, relative: float
) -> Column:
    """Return `scale` as a Column."""
    floor = F.coalesce(*[F.when(metric == F.lit(m), F.lit(v)) for m, v in FLOOR.items()])
    return F.greatest(
        spread,
        F.lit(relative) * F.abs(expected) / F.lit(sensitivity),
        floor / F.lit(sensitivity),
    )


def _pairs(values: dict[str, Column]) -> Column:
    return F.explode(
        F.array(*[F.struct(F.lit(m).alias("metric"), v.alias("value")) for m, v in values.items()])
    )


def run_level(log: DataFrame) -> DataFrame:
    """Return one row per run of ``log``: its start, and its values as a succeeded run.

    ``start_us`` is the earliest ``run_started_at`` of its rows (any status); over its rows
    with ``run_status = 'success'`` (``ok_rows`` of them): ``ok_start_us``, ``ok_end_us`` and
    ``written`` (the successful steps' ``rows_written``). One hashed aggregation, read by both
    the run-level points and the freshness check (the same plan: Spark reuses its shuffle).
    """
    ok = F.col("run_status") == "success"
    step_ok = ok & (F.col("row_kind") == "step") & (F.col("step_status") == "success")
    return log.groupBy("pipeline_name", "run_id").agg(
        F.min(micros("run_started_at")).alias("start_us"),
        F.min(F.when(ok, micros("run_started_at"))).alias("ok_start_us"),
        F.max(F.when(ok, micros("run_ended_at"))).alias("ok_end_us"),
        F.sum(F.when(step_ok, F.col("rows_written"))).alias("written"),
        F.count(F.when(ok, 1)).alias("ok_rows"),
    )


def _points(log: DataFrame, runs: DataFrame, metrics: tuple[str, ...]) -> DataFrame:
    """Return one row per point: series keys, run_id, t_us (run start), value (a double)."""
    frames = []
    step_metrics = [m for m in metrics if m in STEP_METRICS]
    if step_metrics:
        steps = log.where(
            (F.col("row_kind") == "step")
            & (F.col("step_status") == "success")
            & F.col("step").isNotNull()
        )
        frames.append(
            steps.select(
                "pipeline_name",
                F.lit("step").alias("level"),
                F.col("step").alias("step_key"),
                "run_id",
                micros("run_started_at").alias("t_us"),
                _pairs({m: F.col(m).cast("double") for m in step_metrics}).alias("p"),
            )
        )
    run_metrics = [m for m in metrics if m in RUN_METRICS]
    if run_metrics:
        values = {
            "duration_secs": (F.col("ok_end_us") - F.col("ok_start_us")) / F.lit(1_000_000.0),
            "rows_written": F.col("written").cast("double"),
        }
        frames.append(
            runs.where(F.col("ok_rows") > 0).select(
                "pipeline_name",
                F.lit("run").alias("level"),
                F.lit("").alias("step_key"),
                "run_id",
                F.col("ok_start_us").alias("t_us"),
                _pairs({m: values[m] for m in run_metrics}).alias("p"),
            )
        )
    points = frames[0]
    for frame in frames[1:]:
        points = points.unionByName(frame)
    return points.select(*_KEYS[:3], "p.metric", "run_id", "t_us", "p.value").where(
        F.col("value").isNotNull() & ~F.isnan("value") & F.col("t_us").isNotNull()
    )


def _series_points(points: DataFrame, plan: Plan) -> DataFrame:
    """Return the points in reach, with ``k`` and one bucket column per model, by series.

    ``k`` is 0 in the detection window, ``k >= 1`` in the ``k``-th training window back
    (points past `MAX_WIDENING` are dropped). Only detection points keep their
    ``run_id`` and ``t_us`` (the training points need neither), so the one shuffle (by
    series) moves narrow rows; every later step reads that same shuffle.
    """
    start = F.lit(plan.detection_start_us)
    t_us = F.col("t_us")
    k = F.when(t_us > start, F.lit(0)).otherwise(
        F.floor((start - t_us) / F.lit(float(plan.training_us))) + F.lit(1)
    )
    detection = F.col("k") == 0
    return (
        points.withColumn("k", k.cast("int"))
        .where(F.col("k") <= MAX_WIDENING)
        .select(
            *_KEYS,
            "k",
            "value",
            *[bucket_column(m, t_us).cast("int").alias(f"b_{m}") for m in plan.models],
            F.when(detection, F.col("run_id")).alias("run_id"),
            F.when(detection, t_us).alias("t_us"),
        )
        .repartition(*_KEYS)
    )


def _by_model(points: DataFrame, plan: Plan) -> DataFrame:
    """Return each point once per model, with its ``model`` and ``bucket``."""
    models = F.explode(
        F.array(
            *[
                F.struct(F.lit(m).alias("model"), F.col(f"b_{m}").alias("bucket"))
                for m in plan.models
            ]
        )
    )
    return points.select(*_KEYS, "k", "value", "run_id", "t_us", models.alias("m")).select(
        *_KEYS, "m.model", "m.bucket", "k", "value", "run_id", "t_us"
    )


def _windows(points: DataFrame, plan: Plan) -> DataFrame:
    """Return per series and model: ``usable``, ``k_m``, ``n_det`` and ``n_first``.

    Counts only (hashed aggregations, no sort): per bucket, the points of each window ``k``;
    ``need_k`` is the first training window whose cumulative count reaches
    ``min_training_runs`` (the window of the ``min_training_runs``-th most recent training
    point); a bucket is present with a point in the detection or the first training window.
    A model is usable when every present bucket has a ``need_k`` (the unseasonal model only
    with ``need_k`` = 1), and then uses ``k_m`` = the largest.
    """
    k = F.col("k")
    counts = [F.count(F.when(k == i, 1)).alias(f"c{i}") for i in range(MAX_WIDENING + 1)]
    buckets = _by_model(points, plan).groupBy(*_BUCKET_KEYS).agg(*counts)
    needed = F.lit(plan.min_training_runs)
    cumulative: Column = F.lit(0)
    need_k: Column = F.lit(None).cast("int")
    for i in range(MAX_WIDENING, 0, -1):
        cumulative = sum((F.col(f"c{j}") for j in range(1, i + 1)), F.lit(0))
        need_k = F.when(cumulative >= needed, F.lit(i)).otherwise(need_k)
    present = (F.col("c0") + F.col("c1")) > 0
    models = buckets.groupBy(*_MODEL_KEYS).agg(
        F.min(F.when(present, need_k.isNotNull().cast("int"))).alias("complete"),
        F.max(F.when(present, need_k)).alias("k_m"),
        F.sum("c0").alias("n_det"),
        F.sum("c1").alias("n_first"),
    )
    usable = (F.col("complete") == 1) & ((F.col("model") != "none") | (F.col("k_m") == 1))
    return models.select(*_MODEL_KEYS, usable.alias("usable"), "k_m", "n_det", "n_first")


def _percentile(column: str, q: float, window: WindowSpec) -> Column:
    # Exact (Spark's ``percentile``); NULLs are ignored, so ``column`` is NULL on the rows a
    # statistic must not see.
    return F.expr(f"percentile({column}, {q!r})").over(window)


def scored_series(log: DataFrame, runs: DataFrame, plan: Plan) -> DataFrame:
    """Return the summary and anomaly rows of ``log`` (already filtered to the read window).

    ``runs`` is `run_level` of ``log`` (the run-level points come from it).

    The points are shuffled once by series (narrow rows, before the models multiply them);
    that shuffle is read twice. First, counts per bucket and window give each model's
    training window (`_windows`, a small table, broadcast). Then only the detection
    points and the training points inside their model's window go on, each model's values
    sorted once per series: every statistic is a window aggregate over a bucket of a model
    (``wb``), a model (``wm``) or the series (``ws``). Over its window, the bucket's
    ``centre`` (median) and ``mad``, and the dispersions ``disp_s`` (0.9 quantile of
    |x - centre|) and ``disp_n`` (of |x - model-wide median|) are exact percentiles.

    Returned columns: series keys, ``model``, ``run_id``, ``t_us``, ``value``, ``expected``,
    ``lower``, ``upper``, ``score``, ``found`` ("spike" | "drop" | None), ``is_anomaly``
    (a detection point of the chosen model outside its bounds), ``is_summary`` (one row per
    series with detection points) carrying ``chosen`` (the model, None: skipped), ``k_m``,
    ``n_train`` and ``n_det``.
    """
    points = _series_points(_points(log, runs, plan.metrics), plan)
    windows = F.broadcast(_windows(points, plan))
    k = F.col("k")
    in_win = F.col("usable") & (k >= 1) & (k <= F.col("k_m"))
    rows = (
        _by_model(points, plan)
        .join(windows, _MODEL_KEYS)
        .where((k == 0) | in_win)
        .withColumn("in_win", in_win)
    )
    ws = Window.partitionBy(*_KEYS)
    wm = Window.partitionBy(*_MODEL_KEYS)
    wb = Window.partitionBy(*_BUCKET_KEYS)
    rows = (
        rows.withColumn("v_win", F.when(F.col("in_win"), F.col("value")))
        .withColumn("centre", _percentile("v_win", 0.5, wb))
        .withColumn("overall", _percentile("v_win", 0.5, wm))
        .withColumn("n_train", F.count("v_win").over(wm))
        .withColumn("d_s", F.when(F.col("in_win"), F.abs(F.col("value") - F.col("centre"))))
        .withColumn("d_n", F.when(F.col("in_win"), F.abs(F.col("value") - F.col("overall"))))
        .withColumn("mad", _percentile("d_s", 0.5, wb))
        .withColumn("disp_s", _percentile("d_s", DISPERSION_QUANTILE, wm))
        .withColumn("disp_n", _percentile("d_n", DISPERSION_QUANTILE, wm))
    )
    seasonal = F.col("model") != "none"
    qualifies = F.col("usable")
    if plan.auto:
        qualifies = qualifies & (
            ~seasonal
            | (
                (F.col("disp_n") > 0)
                & (F.col("disp_s") <= F.lit(EXPLAINED_RATIO) * F.col("disp_n"))
            )
        )
    # The preferred qualifying model: seasonal first, then the smaller dispersion.
    preference = F.struct(
        F.when(seasonal, 0).otherwise(1).alias("priority"),
        F.col("disp_s").alias("disp_s"),
        F.col("model").alias("model"),
        F.col("k_m").alias("k_m"),
        F.col("n_train").alias("n_train"),
    )
    unseasonal = F.col("model") == "none"
    detected = unseasonal & (k == 0)
    latest = F.struct(F.col("t_us"), F.col("run_id"))
    rows = rows.withColumn("choice", F.min(F.when(qualifies, preference)).over(ws)).withColumn(
        "last", F.max(F.when(detected, latest)).over(ws)
    )
    expected = F.col("centre")
    scale = scale_column(
        F.lit(MAD_SCALE) * F.col("mad"),
        expected,
        F.col("metric"),
        sensitivity=plan.sensitivity,
        relative=plan.min_relative_change,
    )
    rows = (
        rows.withColumn("expected", expected)
        .withColumn("scale", scale)
        .withColumn("lower", F.col("expected") - F.lit(plan.sensitivity) * F.col("scale"))
        .withColumn("upper", F.col("expected") + F.lit(plan.sensitivity) * F.col("scale"))
    )
    found = F.when(F.col("value") > F.col("upper"), F.lit("spike")).when(
        F.col("value") < F.col("lower"), F.lit("drop")
    )
    if plan.direction != "both":
        found = F.when(found == F.lit(plan.direction), found)
    chosen = F.col("model") == F.col("choice.model")
    is_anomaly = chosen & (k == 0) & found.isNotNull()
    is_summary = detected & (latest == F.col("last"))
    return (
        rows.withColumn("found", F.when(is_anomaly, found))
        .withColumn("is_anomaly", is_anomaly)
        .withColumn("is_summary", is_summary)
        .where(F.col("is_anomaly") | F.col("is_summary"))
        .select(
            F.lit("metric").alias("kind"),
            *_KEYS,
            "model",
            "run_id",
            "t_us",
            "value",
            "expected",
            "lower",
            "upper",
            F.when(F.col("scale") > 0, (F.col("value") - F.col("expected")) / F.col("scale")).alias(
                "score"
            ),
            "found",
            "is_anomaly",
            "is_summary",
            F.col("choice.model").alias("chosen"),
            F.col("choice.k_m").alias("k_m"),
            F.coalesce(F.col("choice.n_train"), F.col("n_first")).alias("n_train"),
            "n_det",
        )
    )

"""Spark: the points of every series, their training statistics, seasonality and scores.

One lazy plan over the (already filtered) log: points -> phases (detection window or the
``k``-th training window) -> seasonal buckets -> exact medians and MADs with
``percentile(x, 0.5)`` -> the model each series uses -> the scored detection points. The
formula is the one of :mod:`sparkforge.reporting._anomaly_rule`, written as Column
expressions; the result is a small DataFrame of ``series`` rows (one per series with detection
points) and ``anomaly`` rows, collected by :mod:`sparkforge.reporting.anomalies`.
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

__all__ = ["MAX_WIDENING", "Plan", "bucket_column", "scale_column", "scored_series"]

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
    """Return :func:`~sparkforge.reporting._anomaly_rule.bucket` as a Column (UTC, epoch math)."""
    if model == "day_of_week":
        return F.pmod(F.floor(started_us / F.lit(float(_DAY_US))) + F.lit(3), F.lit(7))
    if model == "hour_of_day":
        return F.pmod(F.floor(started_us / F.lit(float(_HOUR_US))), F.lit(24))
    return F.lit(0)


def scale_column(
    spread: Column, expected: Column, metric: Column, *, sensitivity: float, relative: float
) -> Column:
    """Return :func:`~sparkforge.reporting._anomaly_rule.scale` as a Column."""
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


def _points(log: DataFrame, metrics: tuple[str, ...]) -> DataFrame:
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
        step_ok = (F.col("row_kind") == "step") & (F.col("step_status") == "success")
        runs = (
            log.where(F.col("run_status") == "success")
            .groupBy("pipeline_name", "run_id")
            .agg(
                F.min(micros("run_started_at")).alias("t_us"),
                F.max(micros("run_ended_at")).alias("end_us"),
                F.sum(F.when(step_ok, F.col("rows_written"))).alias("written"),
            )
        )
        values = {
            "duration_secs": (F.col("end_us") - F.col("t_us")) / F.lit(1_000_000.0),
            "rows_written": F.col("written").cast("double"),
        }
        frames.append(
            runs.select(
                "pipeline_name",
                F.lit("run").alias("level"),
                F.lit("").alias("step_key"),
                "run_id",
                "t_us",
                _pairs({m: values[m] for m in run_metrics}).alias("p"),
            )
        )
    points = frames[0]
    for frame in frames[1:]:
        points = points.unionByName(frame)
    return points.select(*_KEYS[:3], "p.metric", "run_id", "t_us", "p.value").where(
        F.col("value").isNotNull() & ~F.isnan("value") & F.col("t_us").isNotNull()
    )


def _modelled(points: DataFrame, plan: Plan) -> DataFrame:
    """Add ``k`` (0: detection window, k >= 1: k-th training window back) and model buckets."""
    start = F.lit(plan.detection_start_us)
    k = F.when(F.col("t_us") > start, F.lit(0)).otherwise(
        F.floor((start - F.col("t_us")) / F.lit(float(plan.training_us))) + F.lit(1)
    )
    models = F.explode(
        F.array(
            *[
                F.struct(
                    F.lit(m).alias("model"),
                    bucket_column(m, F.col("t_us")).cast("int").alias("bucket"),
                )
                for m in plan.models
            ]
        )
    )
    return (
        points.withColumn("k", k.cast("int"))
        .where(F.col("k") <= MAX_WIDENING)
        .select(*_KEYS, "run_id", "t_us", "value", "k", models.alias("m"))
        .select(*_KEYS, "run_id", "t_us", "value", "k", "m.model", "m.bucket")
    )


def _candidates(modelled: DataFrame, plan: Plan) -> DataFrame:
    """Return the usable models of each series and the windows they need (``k_m``).

    A model is usable when every bucket present in the first training window or the detection
    window has ``min_training_runs`` training points within ``k_m`` windows; the unseasonal
    model never widens (``k_m`` = 1).
    """
    recent_first = Window.partitionBy(*_BUCKET_KEYS).orderBy(F.col("t_us").desc(), "run_id")
    need = (
        modelled.where(F.col("k") >= 1)
        .withColumn("rn", F.row_number().over(recent_first))
        .groupBy(*_BUCKET_KEYS)
        .agg(F.min(F.when(F.col("rn") == plan.min_training_runs, F.col("k"))).alias("need_k"))
    )
    present = modelled.where(F.col("k") <= 1).select(*_BUCKET_KEYS).distinct()
    return (
        present.join(need, _BUCKET_KEYS, "left")
        .groupBy(*_MODEL_KEYS)
        .agg(
            F.min(F.col("need_k").isNotNull().cast("int")).alias("complete"),
            F.max("need_k").alias("k_m"),
        )
        .where((F.col("complete") == 1) & ((F.col("model") != "none") | (F.col("k_m") == 1)))
        .select(*_MODEL_KEYS, "k_m")
    )


def _percentile(column: str, q: float) -> Column:
    return F.expr(f"percentile({column}, {q!r})")


def scored_series(log: DataFrame, plan: Plan) -> DataFrame:
    """Return the ``series`` and ``anomaly`` rows of ``log`` (filtered to the read window).

    ``series`` rows: keys, the chosen ``model`` (None: skipped), ``k_m`` (training windows
    used), ``n_train`` (its training points; for a skipped series those of the unseasonal model
    in the first window), ``n_det``. ``anomaly`` rows: keys, model, run_id, t_us, value,
    expected, lower, upper, score, found ("spike" | "drop").
    """
    modelled = _modelled(_points(log, plan.metrics), plan)
    train = modelled.where(F.col("k") >= 1)
    candidates = _candidates(modelled, plan)
    window = train.join(candidates, _MODEL_KEYS).where(F.col("k") <= F.col("k_m"))
    buckets = window.groupBy(*_BUCKET_KEYS).agg(_percentile("value", 0.5).alias("centre"))
    overall = window.groupBy(*_MODEL_KEYS).agg(_percentile("value", 0.5).alias("overall"))
    deviations = (
        window.join(buckets, _BUCKET_KEYS)
        .join(overall, _MODEL_KEYS)
        .select(
            *_BUCKET_KEYS,
            F.abs(F.col("value") - F.col("centre")).alias("d_s"),
            F.abs(F.col("value") - F.col("overall")).alias("d_n"),
        )
    )
    mads = deviations.groupBy(*_BUCKET_KEYS).agg(_percentile("d_s", 0.5).alias("mad"))
    dispersion = deviations.groupBy(*_MODEL_KEYS).agg(
        _percentile("d_s", DISPERSION_QUANTILE).alias("disp_s"),
        _percentile("d_n", DISPERSION_QUANTILE).alias("disp_n"),
        F.count(F.lit(1)).alias("n_train"),
    )
    seasonal = F.col("model") != "none"
    qualifies = F.lit(True)
    if plan.auto:
        qualifies = ~seasonal | (
            (F.col("disp_n") > 0) & (F.col("disp_s") <= F.lit(EXPLAINED_RATIO) * F.col("disp_n"))
        )
    preference = Window.partitionBy(*_KEYS).orderBy(
        F.when(seasonal, 0).otherwise(1), F.col("disp_s"), F.col("model")
    )
    chosen = (
        dispersion.join(candidates, _MODEL_KEYS)
        .where(qualifies)
        .withColumn("rank", F.row_number().over(preference))
        .where(F.col("rank") == 1)
        .select(*_MODEL_KEYS, "k_m", "n_train")
    )
    detection = modelled.where(F.col("k") == 0)
    unseasonal = F.col("model") == "none"
    first_window = (
        train.where(unseasonal & (F.col("k") == 1))
        .groupBy(*_KEYS)
        .agg(F.count(F.lit(1)).alias("n_first"))
    )
    series = (
        detection.where(unseasonal)
        .groupBy(*_KEYS)
        .agg(F.count(F.lit(1)).alias("n_det"))
        .join(chosen, _KEYS, "left")
        .join(first_window, _KEYS, "left")
        .select(
            F.lit("series").alias("kind"),
            *_KEYS,
            "model",
            "k_m",
            F.coalesce("n_train", "n_first", F.lit(0)).alias("n_train"),
            "n_det",
        )
    )
    scored = (
        detection.join(chosen.select(*_MODEL_KEYS), _MODEL_KEYS)
        .join(buckets, _BUCKET_KEYS)
        .join(mads, _BUCKET_KEYS)
        .withColumn("expected", F.col("centre"))
        .withColumn(
            "scale",
            scale_column(
                F.lit(MAD_SCALE) * F.col("mad"),
                F.col("expected"),
                F.col("metric"),
                sensitivity=plan.sensitivity,
                relative=plan.min_relative_change,
            ),
        )
        .withColumn("lower", F.col("expected") - F.lit(plan.sensitivity) * F.col("scale"))
        .withColumn("upper", F.col("expected") + F.lit(plan.sensitivity) * F.col("scale"))
    )
    found = F.when(F.col("value") > F.col("upper"), F.lit("spike")).when(
        F.col("value") < F.col("lower"), F.lit("drop")
    )
    if plan.direction != "both":
        found = F.when(found == F.lit(plan.direction), found)
    anomalies = (
        scored.withColumn("found", found)
        .where(F.col("found").isNotNull())
        .select(
            F.lit("anomaly").alias("kind"),
            *_KEYS,
            "model",
            "run_id",
            "t_us",
            "value",
            "expected",
            "lower",
            "upper",
            F.when(
                F.col("scale") > 0, (F.col("value") - F.col("expected")) / F.col("scale")
            ).alias("score"),
            "found",
        )
    )
    return series.unionByName(anomalies, allowMissingColumns=True)

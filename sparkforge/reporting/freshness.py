"""Late pipelines: a pipeline is late when its silence outlasts its usual interval by far.

Per pipeline, from the log rows read (any run status, started before ``as_of`` within the
window read): the start instants of its distinct runs, the intervals between consecutive
starts, their exact median and MAD (one aggregation per pipeline: its starts sorted once,
the intervals and their deviations computed in the array, percentiles interpolated as
Spark's ``percentile``). The threshold is `freshness_threshold`:
``max(2 * median, median + sensitivity * 1.4826 * MAD)`` seconds; the pipeline is late when
more than that has passed between its last start and ``as_of``. A pipeline with fewer than
``min_training_runs`` intervals is not judged (it is listed as skipped, metric
``"freshness"``).

`freshness_rows` builds the small DataFrame (one row per pipeline) that
[`sparkforge.reporting.detect_anomalies`][] collects with its other results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.reporting._anomaly_rule import MAD_SCALE
from sparkforge.reporting._log_frame import percentile_of_sorted, sorted_values

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["freshness_rows"]


def freshness_rows(
    runs: DataFrame, *, as_of_us: int, sensitivity: float, min_intervals: int
) -> DataFrame:
    """Return one ``freshness`` row per pipeline of ``runs`` (the window's runs).

    ``runs`` holds one row per run with its ``pipeline_name``, ``run_id`` and ``start_us``
    (the earliest ``run_started_at`` of its rows, epoch microseconds):
    `sparkforge.reporting._anomaly_series.run_level` of the log read.

    Columns: ``kind`` ("freshness"), ``pipeline_name``, ``run_id`` and ``t_us`` of the last
    run started, ``n_train`` (intervals measured), ``value`` (seconds from the last start to
    ``as_of``), ``expected`` (median interval, seconds), ``lower`` (0.0), ``upper`` (the
    threshold, seconds; None when there are too few intervals) and ``found`` ("late" or None).

    Examples
    --------
    ```python
    rows = freshness_rows(run_level(log), as_of_us=1_780_000_000_000_000, sensitivity=3.0,
                          min_intervals=7).collect()
    ```
    """
    starts = (
        runs.where(F.col("start_us").isNotNull())
        .groupBy("pipeline_name")
        .agg(sorted_values(F.struct(F.col("start_us").alias("t_us"), "run_id")).alias("starts"))
    )
    # Each step its own select: an array the next one reads several times is computed once.
    instants = F.col("instants")
    with_intervals = (
        starts.select(
            "pipeline_name",
            F.element_at("starts", -1).alias("last"),
            F.transform("starts", lambda run: run["t_us"]).alias("instants"),
        )
        .select(
            "pipeline_name",
            "last",
            F.array_sort(
                F.zip_with(
                    F.slice(instants, 2, F.size(instants) - F.lit(1)),
                    F.slice(instants, 1, F.size(instants) - F.lit(1)),
                    lambda later, earlier: (later - earlier) / F.lit(1_000_000.0),
                )
            ).alias("intervals"),
        )
        .select("*", percentile_of_sorted("intervals", 0.5).alias("median"))
    )
    deviations = F.transform("intervals", lambda d: F.abs(d - F.col("median")))
    rows = with_intervals.select(
        "pipeline_name",
        F.col("last.t_us").alias("t_us"),
        F.col("last.run_id").alias("run_id"),
        F.size("intervals").alias("n_train"),
        "median",
        F.array_sort(deviations).alias("deviations"),
    ).select("*", percentile_of_sorted("deviations", 0.5).alias("mad"))
    enough = F.col("n_train") >= F.lit(min_intervals)
    threshold = F.greatest(
        F.lit(2.0) * F.col("median"),
        F.col("median") + F.lit(sensitivity) * F.lit(MAD_SCALE) * F.col("mad"),
    )
    elapsed = (F.lit(as_of_us) - F.col("t_us")) / F.lit(1_000_000.0)
    return (
        rows.withColumn("upper", F.when(enough, threshold))
        .withColumn("value", elapsed)
        .select(
            F.lit("freshness").alias("kind"),
            "pipeline_name",
            "run_id",
            "t_us",
            "n_train",
            "value",
            F.col("median").alias("expected"),
            F.lit(0.0).alias("lower"),
            "upper",
            F.when(enough & (F.col("value") > F.col("upper")), F.lit("late")).alias("found"),
        )
    )

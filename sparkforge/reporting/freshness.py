"""Late pipelines: a pipeline is late when its silence outlasts its usual interval by far.

Per pipeline, from the log rows read (any run status, started before ``as_of`` within the
window read): the start instants of its distinct runs, the intervals between consecutive
starts (a lag window in Spark), their exact median and MAD (``percentile(x, 0.5)``). The
threshold is `freshness_threshold`:
``max(2 * median, median + sensitivity * 1.4826 * MAD)`` seconds; the pipeline is late when
more than that has passed between its last start and ``as_of``. A pipeline with fewer than
``min_training_runs`` intervals is not judged (it is listed as skipped, metric
``"freshness"``).

`freshness_rows` builds the small DataFrame (one row per pipeline) that
[`sparkforge.reporting.detect_anomalies`][] collects with its other results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from sparkforge.reporting._anomaly_rule import MAD_SCALE

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
    starts = runs.select("pipeline_name", "run_id", F.col("start_us").alias("t_us")).where(
        F.col("t_us").isNotNull()
    )
    order = Window.partitionBy("pipeline_name").orderBy("t_us", "run_id")
    pipeline = Window.partitionBy("pipeline_name")
    latest = F.struct(F.col("t_us"), F.col("run_id"))
    rows = (
        starts.withColumn(
            "interval", (F.col("t_us") - F.lag("t_us").over(order)) / F.lit(1_000_000.0)
        )
        .withColumn("median", F.expr("percentile(interval, 0.5)").over(pipeline))
        .withColumn("deviation", F.abs(F.col("interval") - F.col("median")))
        .withColumn("mad", F.expr("percentile(deviation, 0.5)").over(pipeline))
        .withColumn("n_train", F.count("interval").over(pipeline))
        .withColumn("last", F.max(latest).over(pipeline))
        .where(latest == F.col("last"))
    )
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

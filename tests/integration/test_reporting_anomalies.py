"""detect_anomalies on a real Spark log: every injected fault found, nothing else flagged.

The log is tests/analytics_logs.scenario(): 75 days of four pipelines (daily with weekday/
weekend volumes, daily with failed and skipped steps and run-level failures, hourly (40 days) with
night/day volumes that stops 8 h before AS_OF, and a new one with too little history), one
x20 spike inside training and spikes and drops of every default metric in the detection
window. The session's time zone is Asia/Kolkata: buckets and instants must still be UTC.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from sparkforge.reporting._anomaly_rule import bucket, score_value
from sparkforge.reporting.anomalies import detect_anomalies
from sparkforge.writer.models import LOG_SCHEMA
from tests.analytics_logs import AS_OF, scenario

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.reporting.anomalies import AnomalyReport

UTC = timezone.utc
DETECTION_DAYS = 5
DETECTION_START = AS_OF - timedelta(days=DETECTION_DAYS)
METRICS = ("duration_secs", "rows_written", "invalid_rows", "validation_rate")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


#: (pipeline, step, metric, direction, run start) of every anomaly the faults must cause.
EXPECTED = {
    # events_clean x6 slower (Sunday 14:05): the step and its run
    ("events", "events_clean", "duration_secs", "spike", _at(8, 14, 5)),
    ("events", None, "duration_secs", "spike", _at(8, 14, 5)),
    # orders_clean x5 rows on Monday, after a x20 spike inside training
    ("orders", "orders_clean", "rows_written", "spike", _at(9, 2)),
    ("orders", "orders_clean", "invalid_rows", "spike", _at(9, 2)),
    ("orders", None, "rows_written", "spike", _at(9, 2)),
    # events_raw x10 faster at night (Monday 03:05)
    ("events", "events_raw", "duration_secs", "drop", _at(9, 3, 5)),
    ("events", None, "duration_secs", "drop", _at(9, 3, 5)),
    # events_clean 95 % valid instead of 60 %: fewer invalid, more written
    ("events", "events_clean", "validation_rate", "spike", _at(10, 10, 5)),
    ("events", "events_clean", "invalid_rows", "drop", _at(10, 10, 5)),
    ("events", "events_clean", "rows_written", "spike", _at(10, 10, 5)),
    ("events", None, "rows_written", "spike", _at(10, 10, 5)),
    # customers_dim 70 % valid instead of 99 %
    ("customers", "customers_dim", "validation_rate", "drop", _at(10, 12)),
    ("customers", "customers_dim", "invalid_rows", "spike", _at(10, 12)),
    ("customers", "customers_dim", "rows_written", "drop", _at(10, 12)),
    ("customers", None, "rows_written", "drop", _at(10, 12)),
    # orders_clean at weekend volume (3,000) on a Wednesday
    ("orders", "orders_clean", "rows_written", "drop", _at(11, 2)),
    ("orders", "orders_clean", "invalid_rows", "drop", _at(11, 2)),
    ("orders", None, "rows_written", "drop", _at(11, 2)),
    # events silent since Wednesday 21:05 (8 h 55 min before AS_OF)
    ("events", None, "freshness", "late", _at(11, 21, 5)),
}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return scenario()


@pytest.fixture(scope="module")
def log(spark: SparkSession, rows: list[dict[str, Any]]) -> Iterator[DataFrame]:
    # Cached once for the module: each detection below is then one Spark job over memory.
    frame = spark.createDataFrame(rows, LOG_SCHEMA).cache()
    yield frame
    frame.unpersist()


@pytest.fixture(scope="module")
def report(log: DataFrame) -> AnomalyReport:
    return detect_anomalies(log, as_of=AS_OF, detection_days=DETECTION_DAYS)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _points(
    rows: list[dict[str, Any]],
) -> dict[tuple[str, str | None, str], list[tuple[datetime, float]]]:
    """Every series' points, computed in plain Python from the generated rows."""
    series: dict[tuple[str, str | None, str], list[tuple[datetime, float]]] = {}
    runs: dict[str, dict[str, Any]] = {}
    for row in rows:
        run = runs.setdefault(row["run_id"], {"row": row, "written": None})
        if row["row_kind"] != "step" or row["step_status"] != "success":
            continue
        for metric in METRICS:
            if row[metric] is not None:
                key = (row["pipeline_name"], row["step"], metric)
                series.setdefault(key, []).append((row["run_started_at"], float(row[metric])))
        if row["rows_written"] is not None:
            run["written"] = (run["written"] or 0) + row["rows_written"]
    for run in runs.values():
        row = run["row"]
        if row["run_status"] != "success":
            continue
        seconds = (_us(row["run_ended_at"]) - _us(row["run_started_at"])) / 1_000_000.0
        key = (row["pipeline_name"], None, "duration_secs")
        series.setdefault(key, []).append((row["run_started_at"], seconds))
        if run["written"] is not None:
            key = (row["pipeline_name"], None, "rows_written")
            series.setdefault(key, []).append((row["run_started_at"], float(run["written"])))
    return series


def test_every_fault_is_found_and_nothing_else(report: AnomalyReport) -> None:
    found = {
        (a.pipeline_name, a.step, a.metric, a.direction, a.run_started_at) for a in report.anomalies
    }
    assert found == EXPECTED
    assert len(report.anomalies) == len(EXPECTED)
    keys = [(a.run_started_at, a.pipeline_name, a.step or "", a.metric) for a in report.anomalies]
    assert keys == sorted(keys)


def test_instants_are_utc_and_the_runs_are_the_faulty_ones(
    report: AnomalyReport, rows: list[dict[str, Any]]
) -> None:
    run_ids = {(r["pipeline_name"], r["run_started_at"]): r["run_id"] for r in rows}
    for anomaly in report.anomalies:
        assert anomaly.run_started_at.tzinfo is UTC
        assert anomaly.run_id == run_ids[(anomaly.pipeline_name, anomaly.run_started_at)]
    assert report.as_of == AS_OF


def test_spike_after_a_training_spike_keeps_a_normal_expectation(report: AnomalyReport) -> None:
    (spike,) = [
        a
        for a in report.anomalies
        if a.step == "orders_clean" and a.metric == "rows_written" and a.direction == "spike"
    ]
    assert spike.seasonality == "day_of_week"
    assert 9_500 <= spike.expected <= 10_100  # a weekday (9,800 valid rows), not the x20
    assert spike.value > 4 * spike.expected
    (drop,) = [
        a
        for a in report.anomalies
        if a.step == "orders_clean" and a.metric == "rows_written" and a.direction == "drop"
    ]
    assert drop.run_started_at.weekday() == 2  # Wednesday: 3,000 is a weekend's volume
    assert 9_500 <= drop.expected <= 10_100
    assert drop.value < 3_100


def test_seasonal_series_widen_their_training_window(report: AnomalyReport) -> None:
    checks = {(s.pipeline_name, s.step, s.metric): s for s in report.series}
    orders = checks[("orders", "orders_clean", "rows_written")]
    # 4 Mondays in 28 days < 7: the window doubled to 56 days, 8 per weekday
    assert (orders.seasonality, orders.training_days, orders.training_points) == (
        "day_of_week",
        56,
        56,
    )
    assert orders.detection_points == 4  # Sunday to Wednesday; Thursday has not run
    events = checks[("events", "events_clean", "rows_written")]
    assert (events.seasonality, events.training_days, events.training_points) == (
        "hour_of_day",
        28,
        672,
    )
    assert checks[("events", "events_clean", "duration_secs")].seasonality is None
    assert checks[("customers", "customers_dim", "rows_written")].seasonality is None


def test_spark_scores_equal_the_pure_rule(
    report: AnomalyReport, rows: list[dict[str, Any]]
) -> None:
    points = _points(rows)
    checks = {(s.pipeline_name, s.step, s.metric): s for s in report.series}
    metric_anomalies = [a for a in report.anomalies if a.kind == "metric"]
    assert metric_anomalies
    for anomaly in metric_anomalies:
        key = (anomaly.pipeline_name, anomaly.step, anomaly.metric)
        check = checks[key]
        since = DETECTION_START - timedelta(days=check.training_days)
        target = bucket(check.seasonality, _us(anomaly.run_started_at))
        training = [
            v
            for t, v in points[key]
            if since < t <= DETECTION_START and bucket(check.seasonality, _us(t)) == target
        ]
        (value,) = [v for t, v in points[key] if t == anomaly.run_started_at]
        pure = score_value(value, training, metric=anomaly.metric)
        assert (anomaly.value, anomaly.expected, anomaly.lower, anomaly.upper, anomaly.score) == (
            value,
            pure.expected,
            pure.lower,
            pure.upper,
            pure.score,
        )
        assert pure.direction == anomaly.direction


def test_checked_and_skipped_series(report: AnomalyReport, rows: list[dict[str, Any]]) -> None:
    points = _points(rows)
    detection = {
        key: sum(1 for t, _ in values if DETECTION_START < t <= AS_OF)
        for key, values in points.items()
    }
    scored = {k: n for k, n in detection.items() if n and k[0] != "tiny"}
    metric_checks = [s for s in report.series if s.metric != "freshness"]
    assert {(s.pipeline_name, s.step, s.metric): s.detection_points for s in metric_checks} == (
        scored
    )
    fresh = {s.pipeline_name for s in report.series if s.metric == "freshness"}
    assert fresh == {"orders", "customers", "events"}  # orders: 28 h silent, not late
    assert report.checked_points == sum(scored.values()) + len(fresh)
    assert report.checked_series == len(report.series) == len(scored) + len(fresh)
    skipped = {(s.pipeline_name, s.step, s.metric): s for s in report.skipped}
    assert set(skipped) == {k for k, n in detection.items() if n and k[0] == "tiny"} | {
        ("tiny", None, "freshness")
    }
    assert skipped[("tiny", "tiny_load", "rows_written")].training_points == 2
    assert skipped[("tiny", None, "freshness")].training_points == 6
    assert "7 needed" in skipped[("tiny", "tiny_load", "rows_written")].reason


def test_late_pipeline_figures(report: AnomalyReport) -> None:
    (late,) = [a for a in report.anomalies if a.kind == "freshness"]
    assert (late.value, late.expected, late.lower, late.upper) == (32_100.0, 3_600.0, 0.0, 7_200.0)
    assert (late.step, late.score, late.seasonality) == (None, None, None)


def test_without_seasonality_weekends_look_like_drops(log: DataFrame) -> None:
    result = detect_anomalies(
        log,
        as_of=AS_OF,
        detection_days=DETECTION_DAYS,
        pipeline_name="orders",
        seasonality=None,
        direction="drop",
        freshness=False,
        metrics=("rows_written",),
    )
    found = {(a.step, a.run_started_at) for a in result.anomalies}
    assert {a.direction for a in result.anomalies} == {"drop"}
    assert {a.pipeline_name for a in result.anomalies} == {"orders"}
    assert ("orders_clean", _at(8, 2)) in found  # a normal Sunday, judged by weekdays
    assert ("orders_clean", _at(11, 2)) in found
    assert ("orders_clean", _at(9, 2)) not in found  # the spike: direction="drop"
    assert {s.seasonality for s in result.series} == {None}
    assert {s.training_days for s in result.series} == {28}


def test_spark_buckets_and_scale_equal_the_pure_rule(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    from sparkforge.reporting._anomaly_rule import scale
    from sparkforge.reporting._anomaly_series import bucket_column, scale_column

    # around UTC midnight and Kolkata midnight (18:30 UTC), where a zone leak would show
    instants = [_at(8, 23, 59), _at(9, 0, 0), _at(9, 18, 29), _at(9, 18, 31), _at(14, 5, 5)]
    cases = [
        (_us(t), s, e, m)
        for t in instants
        for s, e, m in (
            (0.0, 9_800.0, "rows_written"),
            (7.5, 60.0, "validation_rate"),
            (0.0, 0.0, "invalid_rows"),
        )
    ]
    frame = spark.createDataFrame(cases, "t_us long, spread double, expected double, metric string")
    got = frame.select(
        bucket_column("day_of_week", F.col("t_us")).alias("dow"),
        bucket_column("hour_of_day", F.col("t_us")).alias("hour"),
        scale_column(
            F.col("spread"), F.col("expected"), F.col("metric"), sensitivity=3.0, relative=0.1
        ).alias("scale"),
    ).collect()
    assert [(r["dow"], r["hour"], r["scale"]) for r in got] == [
        (
            bucket("day_of_week", t),
            bucket("hour_of_day", t),
            scale(s, e, metric=m, sensitivity=3.0, min_relative_change=0.1),
        )
        for t, s, e, m in cases
    ]


def test_one_metric_without_rows_written_finds_its_own_faults(
    log: DataFrame, report: AnomalyReport
) -> None:
    # The run-level aggregation sums rows_written whichever metrics are asked for.
    result = detect_anomalies(
        log, as_of=AS_OF, detection_days=DETECTION_DAYS, metrics=("duration_secs",)
    )
    expected = {
        (a.pipeline_name, a.step, a.run_started_at)
        for a in report.anomalies
        if a.metric == "duration_secs"
    }
    assert expected
    assert {(a.pipeline_name, a.step, a.run_started_at) for a in result.anomalies} >= expected
    assert {a.metric for a in result.anomalies} <= {"duration_secs", "freshness"}


def test_freshness_figures_equal_the_pure_rule(spark: SparkSession) -> None:
    # Irregular starts (ties, a long gap, unsorted input, a run without a start): the
    # intervals' median and MAD and the threshold are the pure rule's, to the bit; the last
    # run is the latest start (ties broken by run id); 1 run gives no interval.
    from sparkforge.reporting._anomaly_rule import freshness_threshold, mad, median
    from sparkforge.reporting.freshness import freshness_rows

    second = 1_000_000
    starts = {
        "jagged": [0, 3_600, 3_600, 7_300, 9_000, 30_000, 33_333, 36_000, 39_601, 43_200],
        "single": [5_000],
    }
    rows = [
        (name, f"r{i:02d}", t * second)
        for name, values in starts.items()
        for i, t in reversed(list(enumerate(values)))
    ] + [("jagged", "r99", None)]
    runs = spark.createDataFrame(rows, "pipeline_name string, run_id string, start_us long")
    as_of_us = 50_000 * second
    got = {
        r["pipeline_name"]: r
        for r in freshness_rows(runs, as_of_us=as_of_us, sensitivity=3.0, min_intervals=3).collect()
    }
    values = [float(t) for t in starts["jagged"]]
    intervals = [b - a for a, b in itertools.pairwise(values)]
    jagged = got["jagged"]
    assert (jagged["run_id"], jagged["t_us"], jagged["n_train"]) == ("r09", 43_200 * second, 9)
    assert jagged["expected"] == median(intervals)
    assert jagged["upper"] == freshness_threshold(median(intervals), mad(intervals), 3.0)
    assert (jagged["value"], jagged["found"]) == (6_800.0, None)
    single = got["single"]
    assert (single["n_train"], single["expected"], single["upper"], single["found"]) == (
        0, None, None, None,
    )  # fmt: skip

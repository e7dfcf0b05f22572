"""trends() on a real Spark session (time zone Asia/Kolkata) over a small generated log.

The log: pipeline ``orders`` ran once a day at 12:00 UTC for the 60 days before AS_OF
(day k = 0..59). Its steps:

- ``load``: duration 10 + 2 k seconds (a slope of exactly 2 s/day);
- ``transform``: 5 s, then 12.5 s over the last 7 days (x2.5: a regression); its
  validation rate 99 %, then 40 % over the last 7 days;
- ``publish``: 3 s, failed (with a 999 s duration) on days 55-57 and skipped on 58-59, so
  those runs failed; it has only 2 successful runs in the recent window;
- ``sparse``: 1 s over the baseline, then 100 s on 2 recent days only (min_samples).

Pipeline ``night`` ran at 2026-03-01T23:30Z (a Sunday; already Monday 05:00 in Kolkata) and
at 2026-03-02T00:10Z: UTC buckets must keep them apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from sparkforge.reporting.trends import trends
from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.reporting.trends import TrendReport, TrendSeries

UTC = timezone.utc
AS_OF = datetime(2026, 5, 1, tzinfo=UTC)
DAYS = 60
FAILED_DAYS = {55, 56, 57}
SKIPPED_DAYS = {58, 59}


def _row(
    run_id: str,
    pipeline: str,
    started: datetime,
    ended: datetime,
    run_status: str,
    **values: object,
) -> tuple[object, ...]:
    row: dict[str, object] = dict.fromkeys(LOG_COLUMNS)
    row.update(
        run_mode="incremental",
        run_started_at=started,
        run_ended_at=ended,
        run_id=run_id,
        pipeline_name=pipeline,
        run_status=run_status,
        run_date=started.date(),
        row_kind="step",
        rule_results=[],
        tags={},
        logged_at=ended,
        schema_version=1,
        writer_version="test",
    )
    row.update(values)
    return tuple(row[c] for c in LOG_COLUMNS)


def _step(
    index: int,
    name: str,
    status: str,
    duration: float | None,
    rows: int | None,
    rate: float | None = None,
) -> dict[str, object]:
    return {
        "step": name,
        "step_index": index,
        "step_status": status,
        "duration_secs": duration,
        "rows_written": rows,
        "validation_rate": rate,
    }


def _orders_rows() -> list[tuple[object, ...]]:
    rows = []
    for k in range(DAYS):
        started = AS_OF - timedelta(days=DAYS - k) + timedelta(hours=12)
        ended = started + timedelta(seconds=100 + k)
        recent = k >= DAYS - 7
        if k in FAILED_DAYS:
            publish = _step(2, "publish", "failed", 999.0, None)
        elif k in SKIPPED_DAYS:
            publish = _step(2, "publish", "skipped", None, None)
        else:
            publish = _step(2, "publish", "success", 3.0, 10)
        steps = [
            _step(0, "load", "success", 10.0 + 2 * k, 100),
            _step(1, "transform", "success", 12.5 if recent else 5.0, 50, 40.0 if recent else 99.0),
            publish,
        ]
        if k in (57, 58):
            steps.append(_step(3, "sparse", "success", 100.0, 1))
        elif 25 <= k <= 52:
            steps.append(_step(3, "sparse", "success", 1.0, 1))
        status = "failed" if k in FAILED_DAYS | SKIPPED_DAYS else "success"
        rows += [_row(f"orders-{k}", "orders", started, ended, status, **s) for s in steps]
    return rows


def _night_rows() -> list[tuple[object, ...]]:
    rows = []
    for n, started in enumerate(
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), datetime(2026, 3, 2, 0, 10, tzinfo=UTC))
    ):
        ended = started + timedelta(seconds=10)
        rows.append(
            _row(
                f"night-{n}",
                "night",
                started,
                ended,
                "success",
                **_step(0, "only", "success", 1.0 + n, 5),
            )
        )
    return rows


@pytest.fixture(scope="module")
def log(spark: SparkSession) -> DataFrame:
    assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Kolkata"
    return spark.createDataFrame(_orders_rows() + _night_rows(), LOG_SCHEMA)


def _by_step(report: TrendReport, pipeline: str = "orders") -> dict[str | None, TrendSeries]:
    return {s.step: s for s in report.series if s.pipeline_name == pipeline}


@pytest.fixture(scope="module")
def durations(log: DataFrame) -> TrendReport:
    return trends(log, "duration_secs", as_of=AS_OF)


def test_a_steady_growth_has_its_slope_per_day(durations: TrendReport) -> None:
    load = _by_step(durations)["load"]
    assert len(load.points) == DAYS
    assert load.slope_per_day == pytest.approx(2.0, abs=1e-9)
    first = load.points[0]
    assert first.bucket_start == AS_OF - timedelta(days=DAYS)
    assert (first.runs, first.p50, first.p95, first.min, first.max) == (1, 10.0, 10.0, 10.0, 10.0)
    # Recent k = 53..59 (median k 56), baseline k = 25..52 (median k 38.5): not x1.5.
    assert (load.recent_samples, load.baseline_samples) == (7, 28)
    assert load.regression_ratio == pytest.approx((10 + 2 * 56) / (10 + 2 * 38.5))
    assert load.change_pct == pytest.approx(((10 + 2 * 56) / (10 + 2 * 38.5) - 1) * 100)
    assert not load.regressed


def test_a_step_two_and_a_half_times_slower_lately_regressed(durations: TrendReport) -> None:
    series = _by_step(durations)
    transform = series["transform"]
    assert transform.regression_ratio == pytest.approx(2.5)
    assert transform.change_pct == pytest.approx(150.0)
    assert transform.regressed
    assert [s.step for s in durations.regressions] == ["transform"]
    assert durations.worse_when == "higher"


def test_min_samples_keeps_a_step_with_two_recent_runs_unflagged(durations: TrendReport) -> None:
    sparse = _by_step(durations)["sparse"]
    assert (sparse.recent_samples, sparse.baseline_samples) == (2, 28)
    assert sparse.regression_ratio == pytest.approx(100.0)
    assert not sparse.regressed


def test_failed_and_skipped_steps_and_failed_runs_are_not_counted(
    durations: TrendReport,
) -> None:
    series = _by_step(durations)
    publish = series["publish"]
    assert len(publish.points) == DAYS - 5
    assert max(p.max for p in publish.points) == 3.0
    assert (publish.recent_samples, publish.baseline_samples) == (2, 28)
    run = series[None]
    assert [(s.pipeline_name, s.step) for s in durations.series] == [
        ("night", None), ("night", "only"),
        ("orders", None), ("orders", "load"), ("orders", "publish"), ("orders", "sparse"),
        ("orders", "transform"),
    ]  # fmt: skip
    assert len(run.points) == DAYS - 5
    assert [p.p50 for p in run.points[:3]] == [100.0, 101.0, 102.0]
    assert run.slope_per_day == pytest.approx(1.0, abs=1e-9)
    assert (run.recent_samples, run.baseline_samples) == (2, 28)
    assert {p.runs for p in run.points} == {1}


def test_the_run_series_of_rows_written_sums_the_successful_steps(log: DataFrame) -> None:
    report = trends(log, "rows_written", pipeline_name="orders", as_of=AS_OF)
    assert {s.pipeline_name for s in report.series} == {"orders"}
    run = _by_step(report)[None]
    assert len(run.points) == DAYS - 5
    by_day = {p.bucket_start: p.p50 for p in run.points}
    assert by_day[AS_OF - timedelta(days=DAYS)] == 160.0  # 100 + 50 + 10
    assert set(by_day.values()) == {160.0, 161.0}  # sparse adds 1 on days 25..52
    assert run.regression_ratio == pytest.approx(160.0 / 161.0)


def test_validation_rate_regresses_downwards_and_step_filter_drops_the_run_series(
    log: DataFrame,
) -> None:
    since = AS_OF - timedelta(days=10)
    report = trends(
        log,
        "validation_rate",
        step="transform",
        since=since,
        as_of=AS_OF,
        baseline_days=3,
        regression_threshold=2.0,
    )
    assert [(s.pipeline_name, s.step) for s in report.series] == [("orders", "transform")]
    transform = report.series[0]
    assert len(transform.points) == 10
    assert (transform.recent_samples, transform.baseline_samples) == (7, 3)
    assert transform.regression_ratio == pytest.approx(40.0 / 99.0)
    assert transform.regressed  # 99 / 40 >= 2
    assert report.worse_when == "lower"
    assert report.since == since


def test_buckets_are_utc_days_hours_and_iso_weeks(log: DataFrame, durations: TrendReport) -> None:
    only = _by_step(durations, "night")["only"]
    assert [p.bucket_start for p in only.points] == [
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    ]
    assert [p.p50 for p in only.points] == [1.0, 2.0]
    assert only.slope_per_day == pytest.approx(1.0)
    week = trends(log, pipeline_name="night", step="only", bucket="week", as_of=AS_OF)
    assert [p.bucket_start for p in week.series[0].points] == [
        datetime(2026, 2, 23, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    ]
    hour = trends(log, pipeline_name="night", step="only", bucket="hour", as_of=AS_OF)
    assert [p.bucket_start for p in hour.series[0].points] == [
        datetime(2026, 3, 1, 23, tzinfo=UTC),
        datetime(2026, 3, 2, 0, tzinfo=UTC),
    ]


def test_a_report_prints_and_serialises(durations: TrendReport) -> None:
    import json

    text = str(durations)
    flagged = [line.split()[:2] for line in text.splitlines() if line.endswith(" yes")]
    assert flagged == [["orders", "transform"]]
    assert text.startswith("Trends of duration_secs by day as of 2026-05-01T00:00:00+00:00")
    data = json.loads(json.dumps(durations.to_dict(), allow_nan=False))
    assert data["as_of"] == "2026-05-01T00:00:00+00:00"
    assert len(data["series"]) == 5 + 2  # orders: run + 4 steps; night: run + 1 step


def test_percentiles_of_sorted_values_equal_sparks_bit_for_bit(spark: SparkSession) -> None:
    # Groups of 1 to 40 values with ties, negatives and awkward fractions: every quantile
    # computed from the sorted values is the very double Spark's ``percentile`` returns.
    from pyspark.sql import functions as F

    from sparkforge.reporting._log_frame import exact_percentiles

    values = [
        (g, float(((g * 7919 + i * 104729) % 97) - 40) / 3.0 if (g + i) % 5 else 1.1)
        for g in range(25)
        for i in range(1 + (g * 13) % 40)
    ]
    frame = spark.createDataFrame(values, "g int, v double")
    quantiles = (0.0, 0.1, 0.5, 0.9, 0.95, 1.0)
    ours = {
        r["g"]: (r["n"], [r[f"p{i}"] for i in range(len(quantiles))], r["top"])
        for r in exact_percentiles(frame, ["g"], "v", quantiles, F.max("v").alias("top")).collect()
    }
    sparks = {
        r["g"]: (r["n"], list(r["p"]), r["top"])
        for r in frame.groupBy("g")
        .agg(
            F.count("v").alias("n"),
            F.percentile("v", list(quantiles)).alias("p"),
            F.max("v").alias("top"),
        )
        .collect()
    }
    assert ours == sparks
    assert len(ours) == 25

"""The anomaly rule (pure), the argument checks and the result types, without a JVM."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkforge.errors import ValidationError
from sparkforge.reporting._anomaly_results import (
    Anomaly,
    AnomalyReport,
    SeriesCheck,
    SkippedSeries,
)
from sparkforge.reporting._anomaly_rule import (
    MAD_SCALE,
    bucket,
    classify,
    freshness_threshold,
    mad,
    median,
    percentile,
    scale,
    score_value,
    seasonality_explains,
)
from sparkforge.reporting.anomalies import detect_anomalies

UTC = timezone.utc
FAST = settings(max_examples=60, deadline=None)

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40
)
training_sets = st.lists(
    st.floats(min_value=100.0, max_value=10_000.0, allow_nan=False), min_size=7, max_size=40
)
sensitivities = st.floats(min_value=1.0, max_value=6.0)
relatives = st.floats(min_value=0.0, max_value=0.5)


# --- percentile, median, MAD ---------------------------------------------------------------


@FAST
@given(values, st.floats(min_value=0.0, max_value=1.0))
def test_percentile_matches_inclusive_linear_interpolation(data: list[float], q: float) -> None:
    ordered = sorted(data)
    result = percentile(data, q)
    assert ordered[0] <= result <= ordered[-1]
    if q == 0.5:
        assert result == pytest.approx(statistics.median(data), rel=1e-12, abs=1e-9)


@FAST
@given(values)
def test_median_and_mad_ignore_order_and_one_wild_value(data: list[float]) -> None:
    assert median(data) == median(list(reversed(data)))
    base = [1000.0 + (i % 5) for i in range(9)]
    assert median([*base, 1e9]) <= max(base)
    assert mad([*base, 1e9]) <= max(base) - min(base)


def test_exact_values_on_a_fixed_set() -> None:
    training = [100.0, 104.0, 96.0, 102.0, 98.0, 101.0, 99.0]
    assert median(training) == 100.0
    assert mad(training) == 2.0  # deviations 0 4 4 2 2 1 1 -> median 2
    s = score_value(
        130.0, training, metric="rows_written", sensitivity=3.0, min_relative_change=0.01
    )
    assert s.expected == 100.0
    assert s.spread == 2.0 * MAD_SCALE
    assert s.scale == 2.0 * MAD_SCALE
    assert s.lower == 100.0 - 3.0 * 2.0 * MAD_SCALE
    assert s.upper == 100.0 + 3.0 * 2.0 * MAD_SCALE
    assert s.score == 30.0 / (2.0 * MAD_SCALE)
    assert s.direction == "spike"
    # the relative floor wins: 0.1 * 100 / 3
    s = score_value(88.0, training, metric="rows_written")
    assert s.scale == 0.1 * 100.0 / 3.0
    assert (s.lower, s.upper, s.direction) == (90.0, 110.0, "drop")
    # the unit floor wins for a tiny constant series: bounds 1 row away
    s = score_value(2.0, [0.0] * 7, metric="invalid_rows")
    assert (s.expected, s.spread, s.scale, s.lower, s.upper) == (0.0, 0.0, 1 / 3, -1.0, 1.0)
    assert s.direction == "spike"


# --- the rule's properties ---------------------------------------------------------------


@FAST
@given(training_sets, sensitivities, relatives, st.floats(0.01, 20.0), st.booleans())
def test_an_outlier_beyond_sensitivity_scales_is_flagged(
    training: list[float], sensitivity: float, relative: float, extra: float, up: bool
) -> None:
    base = score_value(
        0.0, training, metric="rows_written", sensitivity=sensitivity, min_relative_change=relative
    )
    k = sensitivity + extra
    value = base.expected + (k if up else -k) * base.scale
    scored = score_value(
        value,
        training,
        metric="rows_written",
        sensitivity=sensitivity,
        min_relative_change=relative,
    )
    assert scored.direction == ("spike" if up else "drop")
    assert scored.score is not None
    assert abs(scored.score) == pytest.approx(k)


@FAST
@given(training_sets, sensitivities, relatives, st.floats(-1.0, 1.0))
def test_a_value_within_the_spread_is_never_an_anomaly(
    training: list[float], sensitivity: float, relative: float, fraction: float
) -> None:
    spread = MAD_SCALE * mad(training)
    value = median(training) + fraction * spread
    scored = score_value(
        value,
        training,
        metric="duration_secs",
        sensitivity=sensitivity,
        min_relative_change=relative,
    )
    assert scored.direction is None
    assert scored.lower <= value <= scored.upper


@FAST
@given(
    st.floats(min_value=50.0, max_value=1e7),
    st.floats(min_value=0.01, max_value=0.5),
    st.floats(min_value=-0.99, max_value=0.99),
    sensitivities,
)
def test_a_constant_series_alerts_only_past_the_relative_change(
    level: float, relative: float, within: float, sensitivity: float
) -> None:
    training = [level] * 10
    small = level * (1 + within * relative)
    assert (
        score_value(
            small,
            training,
            metric="rows_written",
            sensitivity=sensitivity,
            min_relative_change=relative,
        ).direction
        is None
    )
    big = level * (1 + 1.01 * relative) + 1.0
    assert (
        score_value(
            big,
            training,
            metric="rows_written",
            sensitivity=sensitivity,
            min_relative_change=relative,
        ).direction
        == "spike"
    )


@FAST
@given(st.lists(st.floats(9_500.0, 10_500.0), min_size=8, max_size=30), st.integers(0, 7))
def test_one_wild_training_value_does_not_hide_a_later_spike(
    normal: list[float], where: int
) -> None:
    training = list(normal)
    training[where % len(training)] = 20 * 10_000.0
    scored = score_value(5 * 10_000.0, training, metric="rows_written")
    assert scored.direction == "spike"
    assert 9_500.0 <= scored.expected <= 10_500.0


def test_classify_honours_direction() -> None:
    assert classify(5.0, 1.0, 4.0, "spike") == "spike"
    assert classify(0.0, 1.0, 4.0, "spike") is None
    assert classify(0.0, 1.0, 4.0, "drop") == "drop"
    assert classify(4.0, 1.0, 4.0) is None  # on the bound is not beyond it


def test_scale_floors_per_unit() -> None:
    assert (
        scale(0.0, 0.0, metric="validation_rate", sensitivity=2.0, min_relative_change=0.1) == 0.5
    )


# --- seasonality and freshness -----------------------------------------------------------


@FAST
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_buckets_are_utc_weekday_and_hour(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    us = (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert bucket("day_of_week", us) == aware.weekday()
    assert bucket("hour_of_day", us) == aware.hour
    assert bucket(None, us) == 0


def _dispersion(points: list[tuple[int, float]], seasonal: bool) -> float:
    by_bucket: dict[int, list[float]] = {}
    for b, v in points:
        by_bucket.setdefault(b if seasonal else 0, []).append(v)
    centres = {b: median(vs) for b, vs in by_bucket.items()}
    return percentile([abs(v - centres[b if seasonal else 0]) for b, v in points], 0.9)


def test_weekday_weekend_pattern_is_explained_noise_is_not() -> None:
    weekly = [(d % 7, 3_000.0 + d if d % 7 >= 5 else 10_000.0 + d % 3) for d in range(56)]
    assert mad([v for _, v in weekly]) < 10  # the unseasonal MAD misses the pattern
    assert seasonality_explains(_dispersion(weekly, True), _dispersion(weekly, False))
    noise = [(d % 7, 10_000.0 + (d * 37) % 101) for d in range(56)]
    assert not seasonality_explains(_dispersion(noise, True), _dispersion(noise, False))


def test_freshness_threshold_exact() -> None:
    assert freshness_threshold(3600.0, 0.0, 3.0) == 7200.0
    assert freshness_threshold(86_400.0, 0.0, 3.0) == 172_800.0
    assert freshness_threshold(100.0, 50.0, 3.0) == 100.0 + 3.0 * MAD_SCALE * 50.0


# --- arguments ---------------------------------------------------------------------------


def test_every_bad_argument_is_reported_at_once_before_spark() -> None:
    with pytest.raises(ValidationError) as caught:
        detect_anomalies(
            None,  # type: ignore[arg-type]
            metrics=("rows_written", "rows_written", "bogus"),
            pipeline_name=3,  # type: ignore[arg-type]
            as_of=datetime(2026, 3, 1),
            detection_days=0,
            training_days=True,
            sensitivity=float("nan"),
            seasonality="weekly",
            min_training_runs=1,
            min_relative_change=-0.1,
            direction="up",
            freshness="yes",  # type: ignore[arg-type]
        )
    error = caught.value
    assert error.code == "ANALYSIS_ARGUMENT_INVALID"
    paths = [p.path for p in error.problems]
    assert paths == [
        "pipeline_name",
        "metrics",
        "metrics",
        "as_of",
        "detection_days",
        "training_days",
        "sensitivity",
        "seasonality",
        "min_training_runs",
        "min_relative_change",
        "direction",
        "freshness",
    ]


@pytest.mark.parametrize("metrics", [(), "rows_written", ["rows_written", 3]])
def test_metrics_must_be_a_non_empty_sequence_of_known_names(metrics: object) -> None:
    with pytest.raises(ValidationError) as caught:
        detect_anomalies(None, metrics=metrics, as_of=datetime(2026, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["metrics"]


def test_good_arguments_then_check_the_log() -> None:
    with pytest.raises(ValidationError) as caught:
        detect_anomalies(object(), as_of=datetime(2026, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert caught.value.code == "ANALYSIS_LOG_INVALID"


# --- results -----------------------------------------------------------------------------


def test_report_renders_and_is_json_safe() -> None:
    at = datetime(2026, 3, 9, 2, tzinfo=UTC)
    anomaly = Anomaly(
        "metric",
        "orders",
        "orders_clean",
        "r1",
        at,
        "rows_written",
        48_000.0,
        9_800.0,
        8_820.0,
        10_780.0,
        116.0,
        "spike",
        "day_of_week",
    )
    late = Anomaly(
        "freshness",
        "events",
        None,
        "r2",
        at,
        "freshness",
        32_100.0,
        3_600.0,
        0.0,
        7_200.0,
        None,
        "late",
        None,
    )
    report = AnomalyReport(
        as_of=at,
        pipeline_name=(),
        metrics=("rows_written",),
        detection_days=2,
        training_days=28,
        sensitivity=3.0,
        seasonality="auto",
        min_training_runs=7,
        min_relative_change=0.1,
        direction="both",
        freshness=True,
        anomalies=(anomaly, late),
        checked_points=5,
        checked_series=2,
        series=(SeriesCheck("orders", "orders_clean", "rows_written", "day_of_week", 56, 56, 4),),
        skipped=(SkippedSeries("tiny", None, "rows_written", "2 training point(s)", 2),),
    )
    text = str(report)
    assert "2 found in 5 point(s) of 2 series, 1 skipped" in text
    assert "2026-03-09 02:00:00 UTC  orders    orders_clean" in text
    assert "48,000" in text
    assert "+116.0" in text
    assert "late" in text
    assert "tiny/(run) rows_written: 2 training point(s)" in text
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["anomalies"][0]["run_started_at"] == "2026-03-09T02:00:00+00:00"
    assert data["anomalies"][1]["score"] is None
    assert str(anomaly).startswith("spike orders/orders_clean rows_written = 48,000")

"""Robust statistics, trends() argument checks and the trend results, without a JVM."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkforge.errors import ValidationError
from sparkforge.reporting.robust import MAX_SLOPE_POINTS, median, theil_sen_slope
from sparkforge.reporting.trends import METRICS, TrendPoint, TrendReport, TrendSeries, trends

UTC = timezone.utc
AS_OF = datetime(2026, 5, 1, tzinfo=UTC)


class _FakeLog:
    """Looks like a DataFrame to the column check only: any Spark call would fail."""

    columns: ClassVar[list[str]] = [
        "pipeline_name", "run_id", "run_status", "run_started_at", "run_ended_at", "run_date",
        "row_kind", "step", "step_status", "step_index", "rows_written",
    ]  # fmt: skip


# --- median -----------------------------------------------------------------------------------


def test_median_of_odd_and_even_counts() -> None:
    assert median([5.0]) == 5.0
    assert median([3, 1, 2]) == 2.0
    assert median([10, 1, 4, 3]) == 3.5
    assert median([-1.5, -1.5, 7]) == -1.5


def test_median_rejects_empty_and_non_finite_values() -> None:
    with pytest.raises(ValueError, match="no values"):
        median([])
    with pytest.raises(ValueError, match="finite"):
        median([1.0, float("nan")])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_median_agrees_with_the_standard_library(values: list[float]) -> None:
    assert median(values) == pytest.approx(statistics.median(values))


# --- Theil-Sen --------------------------------------------------------------------------------


def test_theil_sen_on_hand_computed_sets() -> None:
    # Pair slopes: (0,1)->2 (0,2)->1.5 (1,2)->1: median 1.5.
    assert theil_sen_slope([0, 1, 2], [0, 2, 3]) == 1.5
    # Pair slopes 1, 1, 1/3, 1, 0, -1: sorted [-1, 0, 1/3, 1, 1, 1] -> (1/3 + 1) / 2.
    assert theil_sen_slope([0, 1, 2, 3], [0, 1, 2, 1]) == pytest.approx(2 / 3)
    assert theil_sen_slope([0, 2], [1, 0]) == -0.5
    # Points sharing an x have no slope: only the pairs with different x count.
    assert theil_sen_slope([1, 1, 3], [0, 4, 2]) == statistics.median([1.0, -1.0])


def test_theil_sen_needs_two_distinct_x() -> None:
    assert theil_sen_slope([], []) is None
    assert theil_sen_slope([2], [5]) is None
    assert theil_sen_slope([2, 2, 2], [1, 5, 9]) is None


def test_theil_sen_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="xs has 2 values but ys has 1"):
        theil_sen_slope([0, 1], [1])
    with pytest.raises(ValueError, match="finite"):
        theil_sen_slope([0, float("inf")], [1, 2])


_coefficient = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    a=_coefficient,
    b=_coefficient,
    n=st.integers(5, 30),
    data=st.data(),
)
def test_theil_sen_ignores_one_huge_outlier(
    a: float, b: float, n: int, data: st.DataObject
) -> None:
    xs = [float(x) for x in range(n)]
    ys = [a + b * x for x in xs]
    where = data.draw(st.integers(0, n - 1))
    ys[where] = data.draw(st.sampled_from([1e12, -1e12]))
    slope = theil_sen_slope(xs, ys)
    assert slope is not None
    assert slope == pytest.approx(b, abs=1e-6 * (1 + abs(a) + abs(b)))


@settings(max_examples=60, deadline=None)
@given(
    ys=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=25),
    shift=st.floats(-1e6, 1e6),
)
def test_theil_sen_is_invariant_to_a_constant_shift(ys: list[float], shift: float) -> None:
    xs = [float(i) for i in range(len(ys))]
    slope = theil_sen_slope(xs, ys)
    shifted = theil_sen_slope(xs, [y + shift for y in ys])
    assert slope is not None
    assert shifted == pytest.approx(slope, abs=1e-6 * (1 + max(abs(y) for y in ys) + abs(shift)))


@settings(max_examples=40, deadline=None)
@given(value=st.floats(-1e9, 1e9), n=st.integers(2, 30))
def test_theil_sen_of_a_constant_series_is_zero(value: float, n: int) -> None:
    assert theil_sen_slope([float(i) * 0.5 for i in range(n)], [value] * n) == 0.0


def test_theil_sen_over_many_points_fits_an_even_subset() -> None:
    n = 3 * MAX_SLOPE_POINTS
    xs = [float(i) for i in range(n)]
    ys = [7.0 - 0.25 * x for x in xs]
    ys[n // 2] = 1e15
    assert theil_sen_slope(xs, ys) == pytest.approx(-0.25)


# --- trends() arguments -----------------------------------------------------------------------


def test_every_bad_argument_is_reported_at_once_before_the_log_is_looked_at() -> None:
    with pytest.raises(ValidationError) as caught:
        trends(
            object(),  # type: ignore[arg-type]
            "latency",
            bucket="month",
            pipeline_name=3,  # type: ignore[arg-type]
            since=datetime(2026, 1, 1),
            as_of="now",  # type: ignore[arg-type]
            recent_days=0,
            baseline_days=True,
            regression_threshold=float("inf"),
            min_samples=0,
        )
    error = caught.value
    assert error.code == "ANALYSIS_ARGUMENT_INVALID"
    paths = [p.path for p in error.problems]
    assert paths == [
        "metric", "bucket", "pipeline_name", "since", "as_of", "recent_days", "baseline_days",
        "min_samples", "regression_threshold",
    ]  # fmt: skip
    assert all(name in str(error) for name in METRICS)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"since": AS_OF, "until": AS_OF}, "until"),
        ({"regression_threshold": 0}, "regression_threshold"),
        ({"regression_threshold": -1.5}, "regression_threshold"),
        ({"regression_threshold": True}, "regression_threshold"),
        ({"recent_days": 1.5}, "recent_days"),
        ({"baseline_days": 36_526}, "baseline_days"),
        ({"step": []}, "step"),
        ({"until": datetime(2026, 1, 1)}, "until"),
    ],
)
def test_each_bad_argument_is_named(options: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        trends(_FakeLog(), as_of=AS_OF, **options)  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == [path]


def test_a_log_without_the_metric_column_is_refused_before_any_spark_job() -> None:
    with pytest.raises(ValidationError) as caught:
        trends(_FakeLog(), "duration_secs", as_of=AS_OF)  # type: ignore[arg-type]
    assert caught.value.code == "ANALYSIS_LOG_INVALID"
    assert "duration_secs" in str(caught.value)
    with pytest.raises(ValidationError, match="needs a Spark DataFrame, got list"):
        trends([], as_of=AS_OF)  # type: ignore[arg-type]


# --- results ----------------------------------------------------------------------------------


def _point(day: int, p50: float) -> TrendPoint:
    start = datetime(2026, 4, 1, tzinfo=UTC) + timedelta(days=day)
    return TrendPoint(start, 2, p50, p50 * 1.5, p50, p50 / 2, p50 * 2)


def _report() -> TrendReport:
    regressed = TrendSeries(
        "orders", "transform", "duration_secs", (_point(0, 5.0), _point(1, 12.5)), 7.5, 150.0,
        2.5, 7, 28, True,
    )  # fmt: skip
    run = TrendSeries("orders", None, "duration_secs", (_point(0, 100.0),), None, None, None,
                      0, 1, False)  # fmt: skip
    return TrendReport("duration_secs", "day", AS_OF, 7, 28, 1.5, 3, None, AS_OF, "higher",
                       (run, regressed))  # fmt: skip


def test_regressions_lists_the_regressed_series() -> None:
    report = _report()
    assert [s.step for s in report.regressions] == ["transform"]


def test_to_dict_is_json_safe() -> None:
    data = _report().to_dict()
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["as_of"] == "2026-05-01T00:00:00+00:00"
    assert back["since"] is None
    assert back["series"][1]["points"][1] == {
        "bucket_start": "2026-04-02T00:00:00+00:00", "runs": 2, "p50": 12.5, "p95": 18.75,
        "mean": 12.5, "min": 6.25, "max": 25.0,
    }  # fmt: skip
    assert back["series"][0]["slope_per_day"] is None


def test_str_renders_aligned_tables() -> None:
    report = _report()
    lines = str(report).splitlines()
    assert lines[0] == (
        "Trends of duration_secs by day as of 2026-05-01T00:00:00+00:00: last 7 d vs 28 d "
        "before, regression at x1.5 (higher is worse, at least 3 values per window); 1 regressed"
    )
    assert lines[1].split() == [
        "pipeline", "step", "points", "slope/day", "change%", "ratio", "recent", "baseline",
        "regressed",
    ]  # fmt: skip
    assert lines[2].split() == ["orders", "(run)", "1", "-", "-", "-", "0", "1", "no"]
    assert lines[3].split() == ["orders", "transform", "2", "7.5", "150", "2.5", "7", "28", "yes"]
    assert lines[2].index("1") == lines[1].index("points")
    series = str(report.series[1]).splitlines()
    assert series[0] == (
        "orders / transform: duration_secs, slope 7.5/day, change 150 %, ratio 2.5 "
        "(7 recent / 28 baseline), REGRESSED"
    )
    assert series[2].split() == ["2026-04-01T00:00:00+00:00", "2", "5", "7.5", "5", "2.5", "10"]


def test_str_of_an_empty_report() -> None:
    report = TrendReport("validation_rate", "week", AS_OF, 7, 28, 2.0, 3, None, None, "lower", ())
    assert str(report).endswith("0 regressed\n(no values)")


@settings(max_examples=30, deadline=None)
@given(ys=st.lists(st.floats(-1e6, 1e6), min_size=MAX_SLOPE_POINTS, max_size=MAX_SLOPE_POINTS))
def test_theil_sen_is_exact_up_to_its_cap(ys: list[float]) -> None:
    # Up to MAX_SLOPE_POINTS points every pair counts: the median of all pairwise slopes.
    xs = [float(i) for i in range(len(ys))]
    pairs = [
        (ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(len(xs)) for j in range(i + 1, len(xs))
    ]
    assert theil_sen_slope(xs, ys) == statistics.median(pairs)

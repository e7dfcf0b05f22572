"""The anomaly rule, as pure Python: the exact formula the Spark code applies to the log.

[`sparkforge.reporting.detect_anomalies`][] computes these statistics in Spark (exact
medians with ``percentile(x, 0.5)``); the functions here state the same rule on plain lists,
so it can be read, tested without a JVM and compared with the Spark results.

The rule, for one point ``value`` of a series scored against its training values:

* ``expected = median(training)``; ``spread = 1.4826 * MAD`` where
  ``MAD = median(|x - expected|)`` (1.4826 makes it the standard deviation for normal data);
* ``scale = max(spread, min_relative_change * |expected| / sensitivity, floor / sensitivity)``
  where ``floor`` is one unit of the metric (`FLOOR`: 1 row, 1 second, 1 percentage
  point), so the bounds are never closer than ``min_relative_change * |expected|`` nor than
  one unit to ``expected``;
* ``lower, upper = expected -/+ sensitivity * scale``; ``score = (value - expected) / scale``;
* the point is a ``"spike"`` when ``value > upper``, a ``"drop"`` when ``value < lower``.

A seasonal model takes ``expected`` and ``spread`` from the training values of the point's
own bucket (`bucket`); `seasonality_explains` says when "auto" picks one.
Freshness: `freshness_threshold`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "COUNT_METRICS",
    "DISPERSION_QUANTILE",
    "EXPLAINED_RATIO",
    "FLOOR",
    "MAD_SCALE",
    "RUN_METRICS",
    "STEP_METRICS",
    "Scored",
    "bucket",
    "classify",
    "freshness_threshold",
    "mad",
    "median",
    "percentile",
    "scale",
    "score_value",
    "seasonality_explains",
]

#: Turns a median absolute deviation into a standard deviation for normally distributed data.
MAD_SCALE = 1.4826

#: The metrics of step series (step rows with ``step_status = 'success'``).
STEP_METRICS: tuple[str, ...] = (
    "duration_secs",
    "rows_written",
    "input_rows",
    "invalid_rows",
    "valid_rows",
    "validation_rate",
    "filtered_rows",
)

#: The metrics of run-level series (succeeded runs; ``step`` is None).
RUN_METRICS: tuple[str, ...] = ("duration_secs", "rows_written")

#: The metrics that count rows.
COUNT_METRICS = frozenset(
    {"rows_written", "input_rows", "invalid_rows", "valid_rows", "filtered_rows"}
)

#: The smallest change that can be an anomaly, per metric, in its unit: one row, one second,
#: one percentage point. The score's scale is never below ``FLOOR / sensitivity``.
FLOOR: dict[str, float] = dict.fromkeys(STEP_METRICS, 1.0)

#: "auto" seasonality compares this quantile of the absolute deviations (see
#: :func:`seasonality_explains`).
DISPERSION_QUANTILE = 0.9

#: A seasonality explains a series when it cuts the dispersion to at most this fraction.
EXPLAINED_RATIO = 0.5


def percentile(values: Sequence[float], q: float) -> float:
    """Return the exact ``q`` quantile, interpolated linearly exactly as Spark's ``percentile``.

    With the values sorted and ``p = q * (n - 1)``: the value at ``p`` when ``p`` is whole (or
    its two neighbours are equal), else ``(ceil(p) - p) * v[floor(p)] + (p - floor(p)) *
    v[ceil(p)]``, the very operations Spark performs, so both give the same float.

    Examples
    --------
    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    >>> percentile([10.0, 0.0, 20.0, 30.0, 40.0, 50.0], 0.9)
    45.0
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(float(v) for v in values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    if low == high or ordered[low] == ordered[high]:
        return ordered[low]
    return (high - position) * ordered[low] + (position - low) * ordered[high]


def median(values: Sequence[float]) -> float:
    """Return the exact median: ``percentile(values, 0.5)``.

    Examples
    --------
    >>> median([3.0, 1.0, 100.0])
    3.0
    """
    return percentile(values, 0.5)


def mad(values: Sequence[float]) -> float:
    """Return the median absolute deviation from the median (not yet scaled by 1.4826).

    Examples
    --------
    >>> mad([1.0, 2.0, 3.0, 4.0, 100.0])
    1.0
    """
    centre = median(values)
    return median([abs(v - centre) for v in values])


def scale(
    spread: float,
    expected: float,
    *,
    metric: str,
    sensitivity: float,
    min_relative_change: float,
) -> float:
    """Return the score's scale: ``max(spread, mrc * |expected| / s, floor / s)``.

    Examples
    --------
    >>> scale(0.0, 1000.0, metric="rows_written", sensitivity=3.0, min_relative_change=0.3)
    100.0
    >>> scale(50.0, 1000.0, metric="rows_written", sensitivity=3.0, min_relative_change=0.3)
    100.0
    """
    return max(
        spread,
        min_relative_change * abs(expected) / sensitivity,
        FLOOR[metric] / sensitivity,
    )


def classify(value: float, lower: float, upper: float, direction: str = "both") -> str | None:
    """Return ``"spike"`` (value > upper), ``"drop"`` (value < lower) or None, kept by direction.

    Examples
    --------
    >>> classify(12.0, 8.0, 11.0), classify(7.0, 8.0, 11.0), classify(9.0, 8.0, 11.0)
    ('spike', 'drop', None)
    >>> classify(12.0, 8.0, 11.0, "drop") is None
    True
    """
    found = "spike" if value > upper else "drop" if value < lower else None
    if found is None or direction not in ("both", found):
        return None
    return found


@dataclass(frozen=True, slots=True)
class Scored:
    """One point scored against its training values (see the module's formula).

    Examples
    --------
    >>> Scored(10.0, 1.0, 1.0, 7.0, 13.0, 2.0, None).upper
    13.0
    """

    expected: float
    spread: float
    scale: float
    lower: float
    upper: float
    score: float | None
    direction: str | None


def score_value(
    value: float,
    training: Sequence[float],
    *,
    metric: str,
    sensitivity: float = 3.0,
    min_relative_change: float = 0.1,
    direction: str = "both",
) -> Scored:
    """Score ``value`` against ``training`` (the values of the same series and bucket).

    Examples
    --------
    >>> s = score_value(150.0, [100.0, 102.0, 98.0, 101.0, 99.0], metric="rows_written")
    >>> s.expected, round(s.spread, 4), s.upper, s.direction
    (100.0, 1.4826, 110.0, 'spike')
    """
    expected = median(training)
    spread = MAD_SCALE * mad(training)
    used = scale(
        spread,
        expected,
        metric=metric,
        sensitivity=sensitivity,
        min_relative_change=min_relative_change,
    )
    lower = expected - sensitivity * used
    upper = expected + sensitivity * used
    return Scored(
        expected=expected,
        spread=spread,
        scale=used,
        lower=lower,
        upper=upper,
        score=(value - expected) / used if used > 0 else None,
        direction=classify(value, lower, upper, direction),
    )


def bucket(seasonality: str | None, started_us: int) -> int:
    """Return the seasonal bucket of a run started ``started_us`` microseconds after the epoch.

    ``"day_of_week"``: 0 = Monday ... 6 = Sunday; ``"hour_of_day"``: 0-23; None: 0. Always in
    UTC, from epoch arithmetic (the Spark session's time zone plays no part).

    Examples
    --------
    >>> bucket("day_of_week", 0), bucket("hour_of_day", 3_600_000_000 * 25), bucket(None, 5)
    (3, 1, 0)
    """
    if seasonality == "day_of_week":
        return (started_us // 86_400_000_000 + 3) % 7
    if seasonality == "hour_of_day":
        return (started_us // 3_600_000_000) % 24
    return 0


def seasonality_explains(seasonal_dispersion: float, unseasonal_dispersion: float) -> bool:
    """Return whether a seasonality explains a series' variation ("auto" may then pick it).

    A dispersion is the 0.9 quantile (`DISPERSION_QUANTILE`) of the training values'
    absolute deviations from their centre: the bucket's median for the seasonal model, the
    series' median for the unseasonal one (over the same training window). The seasonality
    explains the series when it cuts that dispersion at least in half. A quantile, not the
    MAD: five weekdays of 10,000 rows and two weekend days of 3,000 have an unseasonal MAD of
    about zero (most values sit at the median), while their 0.9 quantile shows the 7,000 gap;
    and up to 10 % of wild training values move neither quantile.

    Examples
    --------
    >>> seasonality_explains(150.0, 7000.0), seasonality_explains(900.0, 1000.0)
    (True, False)
    >>> seasonality_explains(0.0, 0.0)
    False
    """
    return unseasonal_dispersion > 0 and seasonal_dispersion <= (
        EXPLAINED_RATIO * unseasonal_dispersion
    )


def freshness_threshold(median_interval: float, mad_interval: float, sensitivity: float) -> float:
    """Return the seconds after its last start past which a pipeline is late.

    ``max(2 * median, median + sensitivity * 1.4826 * MAD)`` of the intervals between
    consecutive run starts; late means strictly more than that since the last start.

    Examples
    --------
    >>> freshness_threshold(3600.0, 0.0, 3.0), freshness_threshold(3600.0, 1200.0, 3.0)
    (7200.0, 8937.36)
    """
    return max(
        2.0 * median_interval,
        median_interval + sensitivity * MAD_SCALE * mad_interval,
    )

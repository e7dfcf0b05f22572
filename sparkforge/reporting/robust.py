"""Robust statistics over small collected results: the median and the Theil-Sen slope.

Pure Python (no pyspark): the analytics aggregate the log in Spark, collect a few hundred
figures at most, and fit them here. Both statistics resist outliers: the median ignores up to
half its values going wild, the Theil-Sen slope (the median of the slopes between every two
points) about 29 % of its points.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MAX_SLOPE_POINTS", "median", "theil_sen_slope"]

#: The most points :func:`theil_sen_slope` fits exactly (2,016 pairs); above it, it fits this
#: many evenly spaced points (always the first and the last), keeping its cost bounded: a year
#: of daily buckets for 550 series is 1.1 million pair slopes in pure Python instead of 36
#: million (about 15 s).
MAX_SLOPE_POINTS = 64


def _finite(values: Sequence[float], name: str) -> list[float]:
    result = [float(v) for v in values]
    if any(not math.isfinite(v) for v in result):
        raise ValueError(f"{name} must hold finite numbers only")
    return result


def median(values: Sequence[float]) -> float:
    """Return the exact median of ``values``: the middle value, or the mean of the two middle.

    Parameters
    ----------
    values
        At least one finite number, in any order.

    Returns
    -------
    float
        The median (for an even count, the mean of the two middle values: the 50th
        percentile with linear interpolation, as Spark's ``percentile(x, 0.5)`` gives).

    Raises
    ------
    ValueError
        When ``values`` is empty or holds a NaN or an infinity.

    Examples
    --------
    >>> median([3, 1, 2])
    2.0
    >>> median([4, 1, 3, 2])
    2.5
    """
    ordered = sorted(_finite(values, "values"))
    if not ordered:
        raise ValueError("the median of no values is undefined")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def _thin(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Return at most `MAX_SLOPE_POINTS` evenly spaced points, sorted by x."""
    pairs = sorted(zip(xs, ys, strict=True))
    n = len(pairs)
    if n <= MAX_SLOPE_POINTS:
        return [p[0] for p in pairs], [p[1] for p in pairs]
    last = MAX_SLOPE_POINTS - 1
    picked = [pairs[round(i * (n - 1) / last)] for i in range(MAX_SLOPE_POINTS)]
    return [p[0] for p in picked], [p[1] for p in picked]


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return the Theil-Sen slope of the points ``(xs[i], ys[i])``, or None with too few.

    The slope is the median of ``(ys[j] - ys[i]) / (xs[j] - xs[i])`` over every pair of points
    with different x (pairs sharing an x have no slope and are left out). It is exact up to
    `MAX_SLOPE_POINTS` points; with more it is the exact slope of that many evenly
    spaced ones (the first and last included).

    Parameters
    ----------
    xs, ys
        Finite numbers, as many of each.

    Returns
    -------
    float or None
        The slope in y units per x unit; None when no two points have different x.

    Raises
    ------
    ValueError
        When ``xs`` and ``ys`` differ in length or hold a NaN or an infinity.

    Examples
    --------
    >>> theil_sen_slope([0, 1, 2, 3], [1, 3, 5, 7])
    2.0
    >>> theil_sen_slope([0, 1, 2, 3, 4], [0, 1, 2, 1000, 4])
    1.0
    >>> theil_sen_slope([1], [5]) is None
    True
    """
    x_values = _finite(xs, "xs")
    y_values = _finite(ys, "ys")
    if len(x_values) != len(y_values):
        raise ValueError(f"xs has {len(x_values)} values but ys has {len(y_values)}")
    x_values, y_values = _thin(x_values, y_values)
    slopes = [
        (y - yi) / (x - xi)
        for i, (xi, yi) in enumerate(zip(x_values, y_values, strict=True))
        for x, y in zip(x_values[i + 1 :], y_values[i + 1 :], strict=True)
        if x != xi
    ]
    if not slopes:
        return None
    return median(slopes)

"""Measure callables fairly: warm-up, interleaved repetitions, robust summaries.

Nothing here imports PySpark, so the statistics and the interleaving are unit-tested without a
JVM (``tests/unit/test_benchmarks.py``). Timing uses a monotonic clock that callers may replace.

The rules every case follows:

- the first ``warmup`` rounds run every variant but are not measured (JIT, caches, imports);
- each measured round runs every variant once, and the order rotates from round to round
  (``A B``, ``B A``, ...), so a variant is never always first or always last;
- summaries give the median, the quartiles, the extremes, the mean and the count, and ratios
  are ratios of medians: ``candidate / baseline`` (below 1 the candidate is faster).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping, Sequence
    from contextlib import AbstractContextManager

__all__ = [
    "paired_ratios",
    "Runs",
    "Summary",
    "interleave",
    "quantile",
    "ratio",
    "rotated",
    "speedup",
    "summarize",
]


def quantile(samples: Sequence[float], q: float) -> float:
    """Return the ``q`` quantile of ``samples`` by linear interpolation between order statistics.

    This is the "inclusive" definition (numpy's default, ``statistics.quantiles(...,
    method="inclusive")``): ``q = 0`` is the minimum, ``q = 1`` the maximum, ``q = 0.5`` the
    median.

    Parameters
    ----------
    samples
        The values (any order; at least one).
    q
        The quantile, in ``[0, 1]``.

    Returns
    -------
    float
        The interpolated quantile.

    Raises
    ------
    ValueError
        If ``samples`` is empty, holds a NaN, or ``q`` is outside ``[0, 1]``.

    Examples
    --------
    >>> quantile([4.0, 1.0, 3.0, 2.0], 0.5)
    2.5
    >>> quantile([1.0, 2.0, 3.0, 4.0, 5.0], 0.25)
    2.0
    """
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be within [0, 1], got {q!r}")
    ordered = sorted(float(s) for s in samples)
    if any(math.isnan(s) for s in ordered):
        raise ValueError("a sample is NaN")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


@dataclass(frozen=True, slots=True)
class Summary:
    """Robust statistics of repeated measurements.

    Attributes
    ----------
    n
        The number of measurements.
    median, q1, q3
        The median and the first and third quartiles (see :func:`quantile`).
    minimum, maximum, mean
        The extremes and the arithmetic mean (the mean includes outliers, such as a Delta
        checkpoint commit; the median does not).
    """

    n: int
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    mean: float

    @property
    def iqr(self) -> float:
        """The interquartile range ``q3 - q1``."""
        return self.q3 - self.q1

    def as_dict(self, *, digits: int = 6) -> dict[str, float | int]:
        """Return the statistics as a JSON-ready dict, rounded to ``digits`` decimals.

        Examples
        --------
        >>> summarize([1.0, 2.0, 4.0]).as_dict(digits=2)
        {'n': 3, 'median': 2.0, 'q1': 1.5, 'q3': 3.0, 'iqr': 1.5, 'min': 1.0, 'max': 4.0, \
'mean': 2.33}
        """
        return {
            "n": self.n,
            "median": round(self.median, digits),
            "q1": round(self.q1, digits),
            "q3": round(self.q3, digits),
            "iqr": round(self.iqr, digits),
            "min": round(self.minimum, digits),
            "max": round(self.maximum, digits),
            "mean": round(self.mean, digits),
        }


def summarize(samples: Sequence[float]) -> Summary:
    """Summarize measurements: median, quartiles, extremes, mean and count.

    Parameters
    ----------
    samples
        The measurements (at least one, no NaN).

    Returns
    -------
    Summary
        Their statistics.

    Raises
    ------
    ValueError
        If ``samples`` is empty or holds a NaN.

    Examples
    --------
    >>> s = summarize([3.0, 1.0, 2.0, 10.0])
    >>> s.median, s.minimum, s.maximum, s.n
    (2.5, 1.0, 10.0, 4)
    """
    values = [float(s) for s in samples]
    return Summary(
        n=len(values),
        median=quantile(values, 0.5),
        q1=quantile(values, 0.25),
        q3=quantile(values, 0.75),
        minimum=min(values),
        maximum=max(values),
        mean=math.fsum(values) / len(values),
    )


def _median(value: Summary | Sequence[float] | float) -> float:
    if isinstance(value, Summary):
        return value.median
    if isinstance(value, (int, float)):
        return float(value)
    return quantile(value, 0.5)


def ratio(
    candidate: Summary | Sequence[float] | float, baseline: Summary | Sequence[float] | float
) -> float:
    """Return ``median(candidate) / median(baseline)``: below 1, the candidate is faster.

    Parameters
    ----------
    candidate, baseline
        Summaries, raw samples, or single values (seconds, or any cost).

    Returns
    -------
    float
        The ratio of the medians.

    Raises
    ------
    ValueError
        If the baseline's median is not positive, or a sample list is empty.

    Examples
    --------
    >>> ratio([1.1, 1.2, 1.3], [1.0, 1.0, 1.0])
    1.2
    """
    base = _median(baseline)
    if not base > 0.0:
        raise ValueError(f"the baseline's median must be positive, got {base!r}")
    return _median(candidate) / base


def speedup(
    candidate: Summary | Sequence[float] | float, baseline: Summary | Sequence[float] | float
) -> float:
    """Return ``median(baseline) / median(candidate)``: how many times faster the candidate is.

    Raises
    ------
    ValueError
        If the candidate's median is not positive, or a sample list is empty.

    Examples
    --------
    >>> speedup(0.5, [5.0, 4.0, 6.0])
    10.0
    """
    fast = _median(candidate)
    if not fast > 0.0:
        raise ValueError(f"the candidate's median must be positive, got {fast!r}")
    return _median(baseline) / fast


def paired_ratios(candidate: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Return the per-round ratios ``candidate[i] / baseline[i]`` of interleaved measurements.

    Both ran in the same round, one right after the other, so a slow spell of the machine
    (another process, a Delta checkpoint) weighs on both: the median of these ratios is less
    sensitive to load drift than the ratio of the medians.

    Raises
    ------
    ValueError
        If the lengths differ, there is no round, or a baseline value is not positive.

    Examples
    --------
    >>> paired_ratios([2.0, 3.0], [1.0, 2.0])
    [2.0, 1.5]
    """
    if len(candidate) != len(baseline) or not candidate:
        raise ValueError("paired ratios need the same, non-zero number of rounds")
    if any(not b > 0.0 for b in baseline):
        raise ValueError("a baseline value is not positive")
    return [c / b for c, b in zip(candidate, baseline, strict=True)]


def rotated(names: Sequence[str], round_index: int) -> list[str]:
    """Return ``names`` rotated left by ``round_index`` (the order of one interleaved round).

    Examples
    --------
    >>> [rotated(["a", "b", "c"], r) for r in range(4)]
    [['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c']]
    """
    if not names:
        return []
    shift = round_index % len(names)
    return [*names[shift:], *names[:shift]]


@dataclass(slots=True)
class Runs:
    """What :func:`interleave` measured for one variant.

    Attributes
    ----------
    seconds
        One duration per measured round, in round order.
    warmup_seconds
        The durations of the warm-up rounds (reported, never summarized).
    extras
        Per measured round, the figures the instrument recorded (e.g. ``jobs``).
    """

    seconds: list[float] = field(default_factory=list)
    warmup_seconds: list[float] = field(default_factory=list)
    extras: list[dict[str, float]] = field(default_factory=list)

    def summary(self) -> Summary:
        """Summarize the measured durations."""
        return summarize(self.seconds)

    def extra(self, name: str) -> list[float]:
        """Return the figure ``name`` of every measured round that recorded it."""
        return [e[name] for e in self.extras if name in e]


def interleave(
    variants: Mapping[str, Callable[[int], object]],
    *,
    repetitions: int,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    instrument: Callable[[str], AbstractContextManager[MutableMapping[str, float]]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Runs]:
    """Run every variant once per round, rotating the order, and time each call.

    Parameters
    ----------
    variants
        Name -> callable taking the round index (0-based over warm-up and measured rounds,
        so each call can use its own prepared input, e.g. a fresh run id).
    repetitions
        Measured rounds (at least 1).
    warmup
        Rounds run first and not measured (at least 0).
    clock
        A monotonic clock in seconds.
    instrument
        Optional: called with the variant's name around each call, outside the timed part;
        the dict it yields is stored in :attr:`Runs.extras` for measured rounds.
    progress
        Optional: receives one line of text per round.

    Returns
    -------
    dict[str, Runs]
        The measurements of each variant, by name, in the order given.

    Raises
    ------
    ValueError
        If there is no variant, ``repetitions < 1`` or ``warmup < 0``.
    """
    if not variants:
        raise ValueError("no variants to measure")
    if repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions!r}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup!r}")
    names = list(variants)
    runs = {name: Runs() for name in names}
    for round_index in range(warmup + repetitions):
        measured = round_index >= warmup
        for name in rotated(names, round_index):
            context: AbstractContextManager[MutableMapping[str, float]] = (
                instrument(name) if instrument is not None else nullcontext({})
            )
            with context as figures:
                start = clock()
                variants[name](round_index)
                elapsed = clock() - start
            if measured:
                runs[name].seconds.append(elapsed)
                runs[name].extras.append(dict(figures))
            else:
                runs[name].warmup_seconds.append(elapsed)
        if progress is not None:
            kind = "round" if measured else "warm-up"
            number = round_index - warmup + 1 if measured else round_index + 1
            total = repetitions if measured else warmup
            last = ", ".join(
                f"{name} {(runs[name].seconds or runs[name].warmup_seconds)[-1]:.3f}s"
                for name in names
            )
            progress(f"{kind} {number}/{total}: {last}")
    return runs

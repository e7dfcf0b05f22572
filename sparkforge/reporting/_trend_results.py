"""The answer of [`sparkforge.reporting.trends.trends`][]: series of bucket statistics.

The result classes and their text rendering; the computation lives in
[`sparkforge.reporting.trends`][], which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge._result import Result

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["TrendPoint", "TrendReport", "TrendSeries"]


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def _table(header: str, rows: list[list[str]]) -> list[str]:
    lines = [header.split(), *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines]


@dataclass(frozen=True, slots=True)
class TrendPoint(Result):
    """One bucket of a series: exact statistics of the values whose run started in it.

    Attributes
    ----------
    bucket_start
        The bucket's first instant (UTC): an hour, a UTC midnight, or a Monday 00:00 UTC.
    runs
        How many values the bucket holds (one per run for run series and step series).
    p50, p95
        Exact percentiles of those values (linear interpolation between the closest two).
    mean, min, max
        Their mean, smallest and largest.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> point = TrendPoint(datetime(2026, 3, 1, tzinfo=timezone.utc), 2, 1.5, 1.95, 1.5, 1, 2)
    >>> point.to_dict()["bucket_start"]
    '2026-03-01T00:00:00+00:00'
    """

    bucket_start: datetime
    runs: int
    p50: float
    p95: float
    mean: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class TrendSeries(Result):
    """The trend of one metric of one pipeline's step (or of its runs, ``step`` None).

    Attributes
    ----------
    pipeline_name, step, metric
        What the series follows; ``step`` None is the run series.
    points
        Its buckets, oldest first (only buckets holding values).
    slope_per_day
        Theil-Sen slope of the bucket medians (``p50``) against the bucket starts, in metric
        units per day; None with fewer than 2 points.
    change_pct
        ``(recent median - baseline median) / |baseline median| * 100``; None when a window
        holds no value or the baseline median is 0.
    regression_ratio
        Exact median of the raw values of the recent window over that of the baseline window
        (both computed in Spark); None when a window is empty or the baseline median is 0.
    recent_samples, baseline_samples
        How many values each window holds.
    regressed
        Both windows hold at least ``min_samples`` values and the change goes the bad way by
        the threshold: ``regression_ratio >= threshold``, or for ``validation_rate`` (lower is
        worse) ``baseline / recent >= threshold`` (a recent median of 0 below a positive
        baseline counts as regressed).

    Examples
    --------
    >>> series = TrendSeries("orders", None, "duration_secs", (), None, None, None, 0, 0, False)
    >>> series.to_dict()["points"]
    []
    """

    pipeline_name: str
    step: str | None
    metric: str
    points: tuple[TrendPoint, ...]
    slope_per_day: float | None
    change_pct: float | None
    regression_ratio: float | None
    recent_samples: int
    baseline_samples: int
    regressed: bool

    def __str__(self) -> str:
        name = f"{self.pipeline_name} / {self.step or '(run)'}"
        head = (
            f"{name}: {self.metric}, slope {_fmt(self.slope_per_day)}/day, change "
            f"{_fmt(self.change_pct)} %, ratio {_fmt(self.regression_ratio)} "
            f"({self.recent_samples} recent / {self.baseline_samples} baseline)"
            f"{', REGRESSED' if self.regressed else ''}"
        )
        rows = [
            [p.bucket_start.isoformat(), str(p.runs)]
            + [_fmt(v) for v in (p.p50, p.p95, p.mean, p.min, p.max)]
            for p in self.points
        ]
        header = "bucket_start runs p50 p95 mean min max"
        return "\n".join([head, *_table(header, rows)])


@dataclass(frozen=True, slots=True)
class TrendReport(Result):
    """The answer of [`trends`][sparkforge.reporting.trends.trends]: a series per pipeline and step.

    It also holds the arguments `trends` was called with.

    Attributes
    ----------
    metric, bucket, as_of, recent_days, baseline_days, regression_threshold, min_samples
        The arguments used (``as_of`` UTC). The recent window is
        ``(as_of - recent_days, as_of]``, the baseline ``(as_of - recent_days -
        baseline_days, as_of - recent_days]``, on the runs' ``run_started_at``.
    since, until
        The time filter on ``run_started_at`` (``[since, until)``), None when open.
    worse_when
        ``"higher"``, or ``"lower"`` for ``validation_rate``: which way a regression goes.
    series
        The series, by pipeline, the run series first, then steps by name.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> report = TrendReport("duration_secs", "day", datetime(2026, 3, 1, tzinfo=timezone.utc),
    ...                      7, 28, 1.5, 3, None, None, "higher", ())
    >>> report.regressions
    ()
    """

    metric: str
    bucket: str
    as_of: datetime
    recent_days: int
    baseline_days: int
    regression_threshold: float
    min_samples: int
    since: datetime | None
    until: datetime | None
    worse_when: str
    series: tuple[TrendSeries, ...]

    @property
    def regressions(self) -> tuple[TrendSeries, ...]:
        """The series that regressed."""
        return tuple(s for s in self.series if s.regressed)

    def __str__(self) -> str:
        head = (
            f"Trends of {self.metric} by {self.bucket} as of {self.as_of.isoformat()}: last "
            f"{self.recent_days} d vs {self.baseline_days} d before, regression at "
            f"x{_fmt(self.regression_threshold)} ({self.worse_when} is worse, at least "
            f"{self.min_samples} values per window); {len(self.regressions)} regressed"
        )
        header = "pipeline step points slope/day change% ratio recent baseline regressed"
        rows = [
            [s.pipeline_name, s.step or "(run)", str(len(s.points))]
            + [_fmt(v) for v in (s.slope_per_day, s.change_pct, s.regression_ratio)]
            + [str(s.recent_samples), str(s.baseline_samples), "yes" if s.regressed else "no"]
            for s in self.series
        ]
        return "\n".join([head, *_table(header, rows)]) if rows else f"{head}\n(no values)"

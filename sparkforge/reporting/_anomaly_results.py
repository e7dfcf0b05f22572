"""The answer of [`sparkforge.reporting.detect_anomalies`][]: anomalies and what was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import TYPE_CHECKING

from sparkforge._result import Result

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

__all__ = ["Anomaly", "AnomalyReport", "SeriesCheck", "SkippedSeries"]


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]


@dataclass(frozen=True, slots=True)
class Anomaly(Result):
    """One anomalous point, or one late pipeline.

    ``kind`` is ``"metric"`` (a point of a series outside its bounds) or ``"freshness"`` (a
    pipeline silent for longer than its threshold). ``step`` is None for run-level series and
    for freshness. ``run_id``/``run_started_at`` name the run scored (freshness: the last run
    started). ``value`` is the measured value (freshness: seconds from the last start to
    ``as_of``); ``expected`` the training median (of the point's seasonal bucket; freshness:
    the median interval between starts, seconds); ``lower``/``upper`` the bounds
    ``expected -/+ sensitivity * scale`` (freshness: 0.0 and the threshold);
    ``score`` = ``(value - expected) / scale`` (None for freshness); ``direction`` ``"spike"``
    (above ``upper``), ``"drop"`` (below ``lower``) or ``"late"``; ``seasonality`` the model
    the expectation came from (None, ``"day_of_week"`` or ``"hour_of_day"``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> a = Anomaly("metric", "orders", "clean", "r1", datetime(2026, 3, 2, tzinfo=timezone.utc),
    ...             "rows_written", 50000.0, 9800.0, 8820.0, 10780.0, 123.0, "spike", None)
    >>> a.to_dict()["run_started_at"]
    '2026-03-02T00:00:00+00:00'
    """

    kind: str
    pipeline_name: str
    step: str | None
    run_id: str
    run_started_at: datetime
    metric: str
    value: float
    expected: float
    lower: float
    upper: float
    score: float | None
    direction: str
    seasonality: str | None

    def __str__(self) -> str:
        where = self.pipeline_name if self.step is None else f"{self.pipeline_name}/{self.step}"
        return (
            f"{self.direction} {where} {self.metric} = {_number(self.value)} at "
            f"{_instant(self.run_started_at)} (expected {_number(self.expected)}, range "
            f"{_number(self.lower)}..{_number(self.upper)})"
        )


@dataclass(frozen=True, slots=True)
class SeriesCheck(Result):
    """One series that was scored: which model and how much training data it used.

    ``training_days`` is the training window used: ``training_days`` of the call, or a multiple
    of it (up to 8x) when a seasonal model needed more runs per bucket. For freshness checks
    (``metric = "freshness"``) it is the whole window read, ``training_points`` the intervals
    measured and ``detection_points`` 1 (the one check at ``as_of``).

    Examples
    --------
    >>> SeriesCheck("orders", None, "rows_written", "day_of_week", 56, 56, 4).training_days
    56
    """

    pipeline_name: str
    step: str | None
    metric: str
    seasonality: str | None
    training_days: int
    training_points: int
    detection_points: int

    def __str__(self) -> str:
        return (
            f"{self.pipeline_name}/{self.step or '(run)'} {self.metric}: "
            f"{self.detection_points} point(s) vs {self.training_points} training point(s) over "
            f"{self.training_days} d, seasonality {self.seasonality or 'none'}"
        )


@dataclass(frozen=True, slots=True)
class SkippedSeries(Result):
    """A series with detection points but too little training data: never an anomaly.

    Examples
    --------
    >>> SkippedSeries("orders", "clean", "rows_written", "3 training points, 7 needed", 3).reason
    '3 training points, 7 needed'
    """

    pipeline_name: str
    step: str | None
    metric: str
    reason: str
    training_points: int

    def __str__(self) -> str:
        return f"{self.pipeline_name}/{self.step or '(run)'} {self.metric}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AnomalyReport(Result):
    """What [`detect_anomalies`][sparkforge.reporting.detect_anomalies] found and what it checked.

    ``anomalies`` are sorted by ``run_started_at``, then pipeline, step (run level first) and
    metric. ``checked_points`` counts the detection-window points scored (plus one per
    pipeline checked for freshness), ``checked_series`` the series scored (``series``, freshness
    checks included); ``skipped`` the series that had detection points but not enough training
    data. The other fields are the options the detection used.

    Examples
    --------
    ```python
    report = detect_anomalies(log, as_of=datetime(2026, 3, 5, 6, tzinfo=timezone.utc))
    print(report)
    late = [a for a in report.anomalies if a.kind == "freshness"]
    ```
    """

    as_of: datetime
    pipeline_name: tuple[str, ...]
    metrics: tuple[str, ...]
    detection_days: int
    training_days: int
    sensitivity: float
    seasonality: str | None
    min_training_runs: int
    min_relative_change: float
    direction: str
    freshness: bool
    anomalies: tuple[Anomaly, ...]
    checked_points: int
    checked_series: int
    series: tuple[SeriesCheck, ...]
    skipped: tuple[SkippedSeries, ...]

    def __str__(self) -> str:
        lines = [
            f"Anomalies as of {_instant(self.as_of)} (detection {self.detection_days} d, "
            f"training {self.training_days} d, sensitivity {self.sensitivity:g}, "
            f"seasonality {self.seasonality or 'none'}): {len(self.anomalies)} found in "
            f"{self.checked_points} point(s) of {self.checked_series} series, "
            f"{len(self.skipped)} skipped"
        ]
        if self.anomalies:
            header = (
                "started",
                "pipeline",
                "step",
                "metric",
                "value",
                "expected",
                "lower",
                "upper",
                "score",
                "direction",
                "seasonality",
            )
            rows = [
                (
                    _instant(a.run_started_at),
                    a.pipeline_name,
                    a.step or "-",
                    a.metric,
                    _number(a.value),
                    _number(a.expected),
                    _number(a.lower),
                    _number(a.upper),
                    "-" if a.score is None else f"{a.score:+.1f}",
                    a.direction,
                    a.seasonality or "-",
                )
                for a in self.anomalies
            ]
            lines += _table(header, rows, right={4, 5, 6, 7, 8})
        if self.skipped:
            lines.append("Skipped (too little training data):")
            lines += [f"  {s}" for s in self.skipped]
        return "\n".join(lines)

"""A report's facts built by hand (no Spark): for the unit tests, the browser test and docs.

:func:`sample_facts` gives :class:`~sparkforge.reporting._html_data.ReportFacts` for any
pipeline names, each with a regressed run series, anomalies on three charts (and one on a
series that is not drawn), a failing rule, a failed run and a failing data-quality check.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sparkforge.reporting._anomaly_results import Anomaly, AnomalyReport
from sparkforge.reporting._html_charts import RunMark
from sparkforge.reporting._html_data import ReportFacts
from sparkforge.reporting._summary_results import LogSummary, PipelineSummary, StepSummary
from sparkforge.reporting._trend_results import TrendPoint, TrendReport, TrendSeries
from sparkforge.reporting.rule_failures import RuleFailureSummary
from sparkforge.validation import DataQualityCheck, DataQualityResult

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["anomaly", "AS_OF", "HOSTILE", "sample_facts", "series", "START"]

UTC = timezone.utc
AS_OF = datetime(2026, 3, 12, 6, tzinfo=UTC)
START = datetime(2026, 3, 1, 2, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def series(pipeline: str, step: str | None, metric: str, *, regressed: bool = False) -> TrendSeries:
    """Return a 10-day series of ``metric`` (daily points), regressed or not."""
    points = tuple(
        TrendPoint(START + timedelta(days=i), 1, 10.0 + i % 3, 12.0, 10.5, 9.0, 12.0)
        for i in range(10)
    )
    ratio = 1.8 if regressed else 1.0
    return TrendSeries(pipeline, step, metric, points, 0.1, 80.0, ratio, 7, 28, regressed)


def anomaly(pipeline: str, step: str | None, metric: str, direction: str, day: int) -> Anomaly:
    """Return a metric anomaly of the run started ``day`` days after :data:`START`."""
    return Anomaly(
        "metric", pipeline, step, f"run-{day}", START + timedelta(days=day), metric,
        50.0 if direction == "spike" else 1.0, 10.0, 9.0, 11.0, 9.0, direction, None,
    )  # fmt: skip


def _pipeline(name: str, step: str, runs: int) -> PipelineSummary:
    rule = RuleFailureSummary("not_null", "<id>", 120, 3)
    steps = (StepSummary(step, "silver", runs, 1, 0, 1.0, 2.0, 3.0, 900, 99.0, 90.0, (rule,)),)
    return PipelineSummary(
        name, runs, runs - 1, 1, 90.0, START, START + timedelta(days=9), "success",
        START + timedelta(days=3), "boom <b>bold</b> & more", 60.0, 70.0, 900, 99.0, steps,
    )  # fmt: skip


def sample_facts(
    names: Sequence[str] = (HOSTILE,), step: str = "$x</text>", *, runs: int = 10
) -> ReportFacts:
    """Return the facts of a report of ``names`` (no pipeline at all when ``runs`` is 0)."""
    shown = tuple(names) if runs else ()
    pipelines = tuple(_pipeline(name, step, runs) for name in shown)
    summary = LogSummary(pipelines, None, AS_OF, runs * len(shown), 2 * runs, None, None)
    # (metric, step of its series, regressed): run series for the first two, as the charts.
    per_metric = (
        ("duration_secs", None, True),
        ("rows_written", None, False),
        ("invalid_rows", step, False),
        ("validation_rate", step, False),
    )
    trend_reports = tuple(
        TrendReport(
            metric, "day", AS_OF, 7, 28, 1.5, 3, None, AS_OF, "higher",
            tuple(series(name, of, metric, regressed=regressed) for name in shown),
        )
        for metric, of, regressed in per_metric
    )  # fmt: skip
    found = tuple(
        a
        for name in shown
        for a in (
            anomaly(name, None, "rows_written", "spike", 9),
            anomaly(name, step, "invalid_rows", "spike", 9),
            anomaly(name, step, "validation_rate", "drop", 8),
            anomaly(name, "other_step", "validation_rate", "drop", 8),  # no series drawn
        )
    )
    anomalies = AnomalyReport(
        AS_OF, (), ("duration_secs",), 2, 28, 3.0, "auto", 7, 0.1, "both", True,
        found, len(found), len(found), (), (),
    )  # fmt: skip
    quality = DataQualityResult(
        total_rows=2 * runs * len(shown),
        checks=(
            DataQualityCheck(name="required_nulls", description="required columns", failed_rows=0),
            DataQualityCheck(name="rate_mismatch", description="rate <vs> counts", failed_rows=2),
        ),
    )
    marks = tuple(
        RunMark(name, f"r{i}", START + timedelta(days=i), "failed" if i == 3 else "success")
        for name in shown
        for i in range(runs)
    )
    return ReportFacts(AS_OF, None, AS_OF, (), summary, trend_reports, anomalies, quality, marks)

"""What the HTML report shows, asked of the log: the analytics' answers and the runs.

`gather` calls the log's own questions ([`summary`][sparkforge.reporting.summary.summarize],
[`trends`][sparkforge.reporting.trends.trends] per charted metric,
[`detect_anomalies`][sparkforge.reporting.detect_anomalies],
[`check_log_quality`][sparkforge.validation.check_log_quality]) over the same window and ``as_of``,
and reads one more small thing they do not answer: each run's start and status, for the timeline.
The report draws and lists these answers; it computes no statistic itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.reporting._html_charts import CHART_METRICS, RunMark
from sparkforge.reporting._html_page import TOP_RULES
from sparkforge.reporting._log_frame import check_log_columns, from_micros, micros, window_filter
from sparkforge.reporting.anomalies import detect_anomalies
from sparkforge.reporting.summary import summarize
from sparkforge.reporting.trends import trends
from sparkforge.table_operations.failures import operation_failed
from sparkforge.validation import check_log_quality

if TYPE_CHECKING:
    from datetime import datetime

    from pyspark.sql import DataFrame

    from sparkforge.reporting._anomaly_results import AnomalyReport
    from sparkforge.reporting._summary_results import LogSummary
    from sparkforge.reporting._trend_results import TrendReport
    from sparkforge.validation import DataQualityResult

__all__ = ["gather", "ReportFacts"]

_RUN_COLUMNS = ("pipeline_name", "run_id", "run_status", "run_started_at", "run_date")


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """Everything one report shows, as the analytics returned it.

    ``until`` is the exclusive end of the window read (one microsecond after ``as_of``: a
    report as of an instant shows no run started after it).
    """

    as_of: datetime
    since: datetime | None
    until: datetime
    pipeline_filter: tuple[str, ...]
    summary: LogSummary
    trends: tuple[TrendReport, ...]
    anomalies: AnomalyReport
    quality: DataQualityResult
    runs: tuple[RunMark, ...]


def _runs(
    log_df: DataFrame, pipelines: tuple[str, ...], since: datetime | None, until: datetime
) -> tuple[RunMark, ...]:
    """Return each run of the window once: pipeline, id, start and (greatest) status."""
    check_log_columns(log_df, _RUN_COLUMNS, purpose="the HTML report's timeline")
    try:
        rows = (
            log_df.where(window_filter(pipelines=pipelines, since=since, until=until))
            .groupBy("pipeline_name", "run_id")
            .agg(
                micros(F.min("run_started_at")).alias("started"),
                F.max("run_status").alias("status"),
            )
            .collect()
        )
    except Exception as exc:
        raise operation_failed("the HTML report's timeline", "the run log", exc) from exc
    marks = []
    for row in rows:
        started = from_micros(row["started"])
        if started is not None:
            status = str(row["status"]) if row["status"] is not None else "unknown"
            marks.append(RunMark(row["pipeline_name"], row["run_id"], started, status))
    marks.sort(key=lambda m: (m.pipeline_name, m.started_at, m.run_id))
    return tuple(marks)


def _quality(
    log_df: DataFrame, pipelines: tuple[str, ...], since: datetime | None, until: datetime
) -> DataQualityResult:
    try:
        return check_log_quality(
            log_df.where(window_filter(pipelines=pipelines, since=since, until=until))
        )
    except Exception as exc:
        raise operation_failed("the HTML report's data-quality checks", "the run log", exc) from exc


def gather(
    log_df: DataFrame,
    *,
    pipelines: tuple[str, ...],
    since: datetime | None,
    as_of: datetime,
) -> ReportFacts:
    """Ask the log every question the report shows, over one window and one ``as_of``.

    Raises
    ------
    ValidationError
        ``ANALYSIS_LOG_INVALID`` when ``log_df`` lacks a column read.
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading the log.
    """
    until = as_of + timedelta(microseconds=1)
    names = pipelines or None
    summary = summarize(log_df, pipeline_name=names, since=since, until=until, top_rules=TOP_RULES)
    trend_reports = tuple(
        trends(
            log_df,
            chart.metric,
            pipeline_name=names,
            since=since,
            until=until,
            as_of=as_of,
        )
        for chart in CHART_METRICS
    )
    anomalies = detect_anomalies(
        log_df,
        metrics=tuple(chart.metric for chart in CHART_METRICS),
        pipeline_name=names,
        as_of=as_of,
    )
    return ReportFacts(
        as_of=as_of,
        since=since,
        until=until,
        pipeline_filter=pipelines,
        summary=summary,
        trends=trend_reports,
        anomalies=anomalies,
        quality=_quality(log_df, pipelines, since, until),
        runs=_runs(log_df, pipelines, since, until),
    )

"""Everything that reads pipeline reports and the run log, and answers people.

- One run's report as text: [`format_report`][sparkforge.reporting.format_report].
- The log's answers, each over any DataFrame with the log's columns (the table, a
  time-travelled version, an export read back): [`summary`][sparkforge.reporting.summary.summarize]
  (per pipeline and step), [`rule_failures`][sparkforge.reporting.rule_failures.rule_failures] (one
  row per rule that rejected rows), [`trends`][sparkforge.reporting.trends.trends] (a metric over
  time, its slope and regressions) and [`detect_anomalies`][sparkforge.reporting.detect_anomalies]
  (runs out of line with their own history, and late pipelines). ``LogWriter`` has methods of the
  same names over its table.
- The log as a page people read: [`render_html`][sparkforge.reporting.render_html] (one
  self-contained HTML file: summary, runs timeline, charts with anomalies and regressions, failures,
  rules, data quality; needs ``sparkforge[report]``).
- The log for other tools: [`export`][sparkforge.reporting.export.export] (Parquet, CSV, JSON,
  OpenLineage JSON lines), [`openlineage_events`][sparkforge.reporting.openlineage_events] and
  [`emit_openlineage`][sparkforge.reporting.emit_openlineage] (needs ``sparkforge[openlineage]``).

Every answer is a frozen dataclass whose instants are UTC-aware, printable, with a JSON-safe
``to_dict()``.

Examples
--------
>>> from sparkforge.reporting import detect_anomalies, summary, trends
>>> callable(summary) and callable(trends) and callable(detect_anomalies)
True
"""

from __future__ import annotations

from sparkforge.reporting.anomalies import (
    Anomaly,
    AnomalyReport,
    SeriesCheck,
    SkippedSeries,
    detect_anomalies,
)
from sparkforge.reporting.export import ExportResult, export
from sparkforge.reporting.html_report import HtmlReport, render_html
from sparkforge.reporting.openlineage import (
    EmitResult,
    OpenLineageClientLike,
    emit_openlineage,
    openlineage_events,
)
from sparkforge.reporting.rule_failures import RuleFailureSummary, rule_failures
from sparkforge.reporting.runs import RunListing, StepListing, list_runs, list_steps
from sparkforge.reporting.summary import LogSummary, PipelineSummary, StepSummary
from sparkforge.reporting.summary import summarize as summary
from sparkforge.reporting.text import format_report, rows_read_from_sources
from sparkforge.reporting.trends import TrendPoint, TrendReport, TrendSeries, trends

__all__ = [
    "Anomaly",
    "AnomalyReport",
    "detect_anomalies",
    "emit_openlineage",
    "EmitResult",
    "export",
    "ExportResult",
    "format_report",
    "HtmlReport",
    "list_runs",
    "list_steps",
    "LogSummary",
    "openlineage_events",
    "OpenLineageClientLike",
    "PipelineSummary",
    "render_html",
    "rows_read_from_sources",
    "rule_failures",
    "RuleFailureSummary",
    "RunListing",
    "SeriesCheck",
    "SkippedSeries",
    "StepListing",
    "StepSummary",
    "summary",
    "TrendPoint",
    "TrendReport",
    "trends",
    "TrendSeries",
]

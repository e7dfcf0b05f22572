"""What a [`LogWriter`][sparkforge.writer.LogWriter] answers from its log, and how it shares it.

Each method reads the writer's own table and hands it to the function of the same name in
`sparkforge.reporting`, which works on any log DataFrame; so the two always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkforge.validation import check_log_quality
from sparkforge.writer._state import WriterState

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from os import PathLike

    from pyspark.sql import DataFrame

    from sparkforge.reporting.anomalies import AnomalyReport
    from sparkforge.reporting.export import ExportResult
    from sparkforge.reporting.html_report import HtmlReport
    from sparkforge.reporting.openlineage import EmitResult, OpenLineageClientLike
    from sparkforge.reporting.summary import LogSummary
    from sparkforge.reporting.trends import TrendReport
    from sparkforge.validation import DataQualityResult

__all__ = ["LogQuestions"]

_DEFAULT_METRICS = ("duration_secs", "rows_written", "invalid_rows", "validation_rate")


class LogQuestions(WriterState):
    """The writer's analytics and exports (a base of ``LogWriter``)."""

    def summary(
        self,
        *,
        pipeline_name: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        top_rules: int = 5,
    ) -> LogSummary:
        """Summarise the log: per pipeline and per step, runs, failures, durations, rows.

        See [`sparkforge.reporting.summary`][sparkforge.reporting.summary.summarize] for every
        figure and what it is computed from; this reads the writer's table once.

        Raises
        ------
        WriterValidationError
            ``ANALYSIS_ARGUMENT_INVALID`` naming every bad argument (nothing is read).
        WriterTableError
            If the table does not exist or cannot be read.

        Examples
        --------
        With a ``writer`` whose log holds runs (the integration tests run this):

        ```python
        for pipeline in writer.summary().pipelines:
            print(pipeline.pipeline_name, pipeline.success_rate)
        ```
        """
        from sparkforge.reporting.summary import summarize

        return self._answer(
            "summary",
            lambda: summarize(
                self._read("summary"),
                pipeline_name=pipeline_name,
                since=since,
                until=until,
                top_rules=top_rules,
            ),
        )

    def rule_failures(
        self,
        *,
        pipeline_name: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DataFrame:
        """Return one row per (run, step, rule) that rejected rows: no ``explode`` needed.

        Columns: ``pipeline_name``, ``run_id``, ``run_started_at``, ``step``, ``phase``,
        ``rule``, ``column``, ``failed_rows`` (see
        [`sparkforge.reporting.rule_failures`][sparkforge.reporting.rule_failures.rule_failures]).

        Examples
        --------
        ```python
        writer.rule_failures(pipeline_name="orders").groupBy("rule").sum("failed_rows")
        ```
        """
        from sparkforge.reporting.rule_failures import rule_failures

        return self._answer(
            "rule failures",
            lambda: rule_failures(
                self._read("rule failures"), pipeline_name=pipeline_name, since=since, until=until
            ),
        )

    def trends(
        self,
        metric: str = "duration_secs",
        *,
        pipeline_name: str | Sequence[str] | None = None,
        step: str | Sequence[str] | None = None,
        bucket: str = "day",
        since: datetime | None = None,
        until: datetime | None = None,
        as_of: datetime | None = None,
        recent_days: int = 7,
        baseline_days: int = 28,
        regression_threshold: float = 1.5,
        min_samples: int = 3,
    ) -> TrendReport:
        """Follow ``metric`` over time per (pipeline, step): buckets, slope, regressions.

        See [`sparkforge.reporting.trends`][sparkforge.reporting.trends.trends] for the figures and
        the regression rule.

        Examples
        --------
        ```python
        report = writer.trends("duration_secs", pipeline_name="orders")
        [(s.step, s.regression_ratio) for s in report.series if s.regressed]
        ```
        """
        from sparkforge.reporting.trends import trends

        return self._answer(
            "trends",
            lambda: trends(
                self._read("trends"),
                metric,
                pipeline_name=pipeline_name,
                step=step,
                bucket=bucket,
                since=since,
                until=until,
                as_of=as_of if as_of is not None else self._clock(),
                recent_days=recent_days,
                baseline_days=baseline_days,
                regression_threshold=regression_threshold,
                min_samples=min_samples,
            ),
        )

    def detect_anomalies(
        self,
        *,
        metrics: Sequence[str] = _DEFAULT_METRICS,
        pipeline_name: str | Sequence[str] | None = None,
        as_of: datetime | None = None,
        detection_days: int = 2,
        training_days: int = 28,
        sensitivity: float = 3.0,
        seasonality: str | None = "auto",
        min_training_runs: int = 7,
        min_relative_change: float = 0.1,
        direction: str = "both",
        freshness: bool = True,
    ) -> AnomalyReport:
        """Find the runs of the last ``detection_days`` that are out of line, and late pipelines.

        See [`sparkforge.reporting.detect_anomalies`][] for the rule (robust, with training
        that never holds the scored points, and seasonality chosen per series).

        Examples
        --------
        ```python
        for anomaly in writer.detect_anomalies().anomalies:
            print(anomaly.pipeline_name, anomaly.step, anomaly.metric, anomaly.direction)
        ```
        """
        from sparkforge.reporting.anomalies import detect_anomalies

        return self._answer(
            "anomaly detection",
            lambda: detect_anomalies(
                self._read("anomaly detection"),
                metrics=metrics,
                pipeline_name=pipeline_name,
                as_of=as_of if as_of is not None else self._clock(),
                detection_days=detection_days,
                training_days=training_days,
                sensitivity=sensitivity,
                seasonality=seasonality,
                min_training_runs=min_training_runs,
                min_relative_change=min_relative_change,
                direction=direction,
                freshness=freshness,
            ),
        )

    def export(
        self,
        path: str,
        *,
        format: str,
        pipeline_name: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        mode: str = "error",
    ) -> ExportResult:
        """Write the log's rows (or their OpenLineage events) to files other tools read.

        ``format`` is ``"parquet"``, ``"csv"``, ``"json"`` or ``"openlineage"`` (JSON lines
        of events, in this writer's ``openlineage_namespace``); see
        [`sparkforge.reporting.export`][sparkforge.reporting.export.export].

        Examples
        --------
        ```python
        writer.export("/exports/run_log", format="parquet", pipeline_name="orders")
        ```
        """
        from sparkforge.reporting.export import export

        return self._answer(
            "export",
            lambda: export(
                self._read("export"),
                path,
                format=format,
                pipeline_name=pipeline_name,
                since=since,
                until=until,
                mode=mode,
                namespace=self.config.openlineage_namespace,
            ),
        )

    def render_html(
        self,
        path: str | PathLike[str],
        *,
        pipeline_name: str | Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> HtmlReport:
        """Write the log's run report to ``path``: one self-contained HTML file.

        The report answers as of this writer's clock (now): the summary, a runs timeline,
        per pipeline the trends with the detected anomalies marked and regressions called out,
        the latest failures, the most failing rules and the log's data-quality checks; see
        [`sparkforge.reporting.render_html`][]. Needs ``sparkforge[report]``.

        Raises
        ------
        WriterValidationError
            ``ANALYSIS_ARGUMENT_INVALID`` naming every bad argument (nothing is read).
        ReportError
            ``OPTIONAL_DEPENDENCY_MISSING`` without matplotlib or Jinja2,
            ``REPORT_RENDER_FAILED`` when the file cannot be written.
        WriterTableError
            If the table does not exist or cannot be read.

        Examples
        --------
        ```python
        report = writer.render_html("/tmp/run_report.html", since=last_month)
        print(report.path, report.size_bytes, report.anomalies)
        ```
        """
        from sparkforge.reporting.html_report import render_html

        return self._answer(
            "HTML report",
            lambda: render_html(
                self._read("HTML report"),
                path,
                pipeline_name=pipeline_name,
                since=since,
                as_of=self._clock(),
            ),
        )

    def emit_openlineage(
        self,
        *,
        client: OpenLineageClientLike | None = None,
        pipeline_name: str | Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> EmitResult:
        """Send each run's OpenLineage events (start, then complete or fail) to a client.

        ``client`` defaults to ``OpenLineageClient()``, configured the client's usual way
        (``openlineage.yml``, ``OPENLINEAGE_URL`` ...); see
        [`sparkforge.reporting.emit_openlineage`][].

        Examples
        --------
        ```python
        writer.emit_openlineage(since=datetime(2026, 1, 1, tzinfo=timezone.utc)).events
        ```
        """
        from sparkforge.reporting.openlineage import emit_openlineage

        return self._answer(
            "OpenLineage emission",
            lambda: emit_openlineage(
                self._read("OpenLineage emission"),
                client=client,
                namespace=self.config.openlineage_namespace,
                pipeline_name=pipeline_name,
                since=since,
                until=until,
            ),
        )

    def validate_data_quality(self) -> DataQualityResult:
        """Check the log table itself, in one pass over it.

        Returns
        -------
        DataQualityResult
            Each check with the number of rows failing it; ``passed`` when none fail.

        Raises
        ------
        WriterTableError
            If the table does not exist or cannot be read.

        See Also
        --------
        sparkforge.validation.check_log_quality : the same checks, on any log DataFrame.

        Examples
        --------
        ```python
        from sparkforge.writer import LogWriter, WriterConfig

        writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
        quality = writer.validate_data_quality()
        print(quality.total_rows, quality.passed)  # 120 True
        for check in quality.checks:
            print(check.name, check.failed_rows)  # required_nulls 0, negative_counts 0, ...
        quality.failures  # {} when every check passed; else failed rows by check name
        ```
        """
        log_df = self._read("quality check")
        return self._answer("quality check", lambda: check_log_quality(log_df))

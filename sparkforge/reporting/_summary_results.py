"""The answer of [`sparkforge.reporting.summary.summarize`][]: per log, pipeline and step.

The result classes and their text rendering; the computation lives in
[`sparkforge.reporting.summary`][], which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge._result import Result

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sparkforge.reporting.rule_failures import RuleFailureSummary

__all__ = ["LogSummary", "PipelineSummary", "StepSummary"]


@dataclass(frozen=True, slots=True)
class StepSummary(Result):
    """One step of one pipeline over the window, from its step rows.

    Attributes
    ----------
    step, phase
        The step and its phase (a step that changed phase has one summary per phase).
    runs
        The runs that have a row for this step.
    failed, skipped
        Its rows with ``step_status`` failed, skipped.
    duration_p50_secs, duration_p95_secs, duration_max_secs
        Exact median, 95th percentile and maximum of ``duration_secs`` over its rows that
        measured one (skipped steps have none); None when none did.
    rows_written
        ``rows_written`` summed over its rows; None when no row measured it.
    mean_validation_rate, min_validation_rate
        Mean and minimum ``validation_rate`` (percent) over its rows that have one.
    top_failing_rules
        At most ``top_rules`` rules, most failed rows first (see
        [`RuleFailureSummary`][sparkforge.reporting.rule_failures.RuleFailureSummary]).

    Examples
    --------
    >>> from sparkforge.reporting.rule_failures import RuleFailureSummary
    >>> print(StepSummary("clean", "silver", 4, 1, 0, 2.0, 3.5, 4.0, 1200, 99.5, 98.0,
    ...     (RuleFailureSummary("not_null", "id", 12, 1),)))
    step   phase   runs  failed  skipped     p50     p95     max  written  mean rate  min rate
    clean  silver     4       1        0  2.000s  3.500s  4.000s    1,200     99.50%    98.00%
      not_null (id): 12 failed rows in 1 run(s)
    """

    step: str | None
    phase: str | None
    runs: int
    failed: int
    skipped: int
    duration_p50_secs: float | None
    duration_p95_secs: float | None
    duration_max_secs: float | None
    rows_written: int | None
    mean_validation_rate: float | None
    min_validation_rate: float | None
    top_failing_rules: tuple[RuleFailureSummary, ...]

    def __str__(self) -> str:
        rules = (f"  {rule}" for rule in self.top_failing_rules)
        return "\n".join((_table([self], _STEP_COLUMNS, left=2), *rules))


@dataclass(frozen=True, slots=True)
class PipelineSummary(Result):
    """One pipeline over the window: its runs, then its steps.

    Attributes
    ----------
    pipeline_name
        The pipeline.
    runs, succeeded_runs, failed_runs
        Its runs started in the window; those whose ``run_status`` is success, failed.
    success_rate
        Percent of its runs that succeeded (from the two counts); None when it has no runs.
    first_run_at, last_run_at
        The earliest and latest ``run_started_at`` (UTC).
    last_status
        The ``run_status`` of the latest run (latest start; on a tie, the greatest run id).
    last_failed_at
        The start of the latest failed run; None when no run failed.
    last_error_message
        That run's error: its run-level row's ``error_message``, else that of its failed step
        with the lowest ``step_index``; None when it recorded none.
    run_duration_p50_secs, run_duration_p95_secs
        Exact median and 95th percentile of ``run_ended_at - run_started_at`` (seconds) over
        all its runs that recorded both instants, whatever their status: what runs cost in
        wall time, the failed ones included.
    rows_written
        ``rows_written`` summed over its step rows; None when no step row measured it.
    mean_validation_rate
        Mean ``validation_rate`` (percent) over its step rows that have one.
    steps
        Its steps in run order (lowest ``step_index`` seen, then name).

    Examples
    --------
    >>> p = PipelineSummary("orders", 0, 0, 0, None, None, None, None, None, None, None,
    ...     None, None, None, ())
    >>> print(p)
    orders: runs from - to -
      pipeline  runs  ok  failed  success  p50  p95  written  validation  last
      orders       0   0       0        -    -    -        -           -     -
    """

    pipeline_name: str
    runs: int
    succeeded_runs: int
    failed_runs: int
    success_rate: float | None
    first_run_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    last_failed_at: datetime | None
    last_error_message: str | None
    run_duration_p50_secs: float | None
    run_duration_p95_secs: float | None
    rows_written: int | None
    mean_validation_rate: float | None
    steps: tuple[StepSummary, ...]

    def __str__(self) -> str:
        heading, *details = self._details()
        return "\n".join((heading, _indent(_table([self], _PIPELINE_COLUMNS)), *details))

    def _details(self) -> list[str]:
        """Return the text lines of its runs' span, last failure, steps and failing rules."""
        first, last = _instant(self.first_run_at), _instant(self.last_run_at)
        lines = [f"{self.pipeline_name}: runs from {first} to {last}"]
        if self.last_failed_at is not None:
            message = self.last_error_message or "-"
            lines.append(f"  last failure {_instant(self.last_failed_at)}: {message}")
        if self.steps:
            lines.append(_indent(_table(self.steps, _STEP_COLUMNS, left=2)))
        lines.extend(
            f"  {step.step} rule {rule}" for step in self.steps for rule in step.top_failing_rules
        )
        return lines


@dataclass(frozen=True, slots=True)
class LogSummary(Result):
    """The summary of the log over a window: its totals and one summary per pipeline.

    Attributes
    ----------
    pipelines
        One [`PipelineSummary`][sparkforge.reporting.PipelineSummary] per pipeline with runs in the
        window, sorted by name.
    since, until
        The window asked (UTC), or None for an open bound.
    runs
        The runs in the window (all pipelines).
    rows
        The log rows read: every row (step and run rows) of those runs.
    first_run_at, last_run_at
        The earliest and latest ``run_started_at`` in the window.

    Examples
    --------
    >>> print(LogSummary((), None, None, 0, 0, None, None))
    Run log summary, window - to -: 0 run(s), 0 log row(s)
    no runs
    """

    pipelines: tuple[PipelineSummary, ...]
    since: datetime | None
    until: datetime | None
    runs: int
    rows: int
    first_run_at: datetime | None
    last_run_at: datetime | None

    def __str__(self) -> str:
        lines = [
            f"Run log summary, window {_instant(self.since)} to {_instant(self.until)}: "
            f"{self.runs} run(s), {self.rows} log row(s)"
        ]
        if not self.pipelines:
            lines.append("no runs")
            return "\n".join(lines)
        lines.append(f"runs from {_instant(self.first_run_at)} to {_instant(self.last_run_at)}")
        lines.append(_table(self.pipelines, _PIPELINE_COLUMNS))
        lines.extend(line for pipeline in self.pipelines for line in pipeline._details())
        return "\n".join(lines)


def _instant(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}%" if name.endswith("rate") else f"{value:.3f}s"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(items: Sequence[object], columns: Sequence[tuple[str, str]], *, left: int = 1) -> str:
    """One line per item: the first ``left`` columns left-aligned, the others right-aligned."""
    rows = [tuple(header for header, _ in columns)]
    rows += [tuple(_cell(name, getattr(item, name)) for _, name in columns) for item in items]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


_PIPELINE_COLUMNS = (
    ("pipeline", "pipeline_name"), ("runs", "runs"), ("ok", "succeeded_runs"),
    ("failed", "failed_runs"), ("success", "success_rate"), ("p50", "run_duration_p50_secs"),
    ("p95", "run_duration_p95_secs"), ("written", "rows_written"),
    ("validation", "mean_validation_rate"), ("last", "last_status"),
)  # fmt: skip
_STEP_COLUMNS = (
    ("step", "step"), ("phase", "phase"), ("runs", "runs"), ("failed", "failed"),
    ("skipped", "skipped"), ("p50", "duration_p50_secs"), ("p95", "duration_p95_secs"),
    ("max", "duration_max_secs"), ("written", "rows_written"),
    ("mean rate", "mean_validation_rate"), ("min rate", "min_validation_rate"),
)  # fmt: skip

"""Render one run's report as text for people.

[`format_report`][sparkforge.reporting.format_report] turns a
[`PipelineReport`][sparkforge.PipelineReport] into plain text: a header (pipeline, run, mode,
status, times, the rows the run read from its sources and wrote), the counts of each phase, one
table row per step, then the rules that failed rows, the watermarks of incremental steps and the
errors. Instants are shown in UTC; ``-`` marks a count that was not measured.

"Rows read" is what the run read from its sources: the input rows of its bronze steps. A silver
step's input is (derived from) rows the bronze steps already read, so adding every step's input
would count the same rows once per phase; the per-phase line shows each phase apart.
"""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING

from sparkforge.models import Phase

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from sparkforge.models import PipelineReport, StepResult

__all__ = ["format_report", "rows_read_from_sources"]

_COLUMNS: tuple[tuple[str, bool], ...] = (
    # (header, right-aligned)
    ("step", False),
    ("phase", False),
    ("status", False),
    ("read", True),
    ("filtered", True),
    ("output", True),
    ("valid", True),
    ("invalid", True),
    ("rate", True),
    ("written", True),
    ("mode", False),
    ("secs", True),
    ("table", False),
)


def _instant(moment: datetime | None, *, precise: bool = False) -> str:
    if moment is None:
        return "-"
    utc = moment.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%d %H:%M:%S")
    if precise and utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return f"{text} UTC"


def _since(watermark: datetime | None) -> str:
    if watermark is None:
        return "no watermark yet (new or empty table), every row kept"
    return f"rows newer than {_instant(watermark, precise=True)}"


def _first_line(message: str, *, limit: int = 300) -> str:
    # Spark's messages run over many lines (plans, stack hints); the first one says what failed.
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _total(counts: Iterable[int | None]) -> int | None:
    """Sum the measured counts; None when none was measured."""
    known = [count for count in counts if count is not None]
    return sum(known) if known else None


def rows_read_from_sources(steps: Iterable[StepResult]) -> int | None:
    """Return the rows a run read from its sources: the input rows of its bronze steps.

    Silver and gold steps read what earlier phases produced, so their input is not counted
    again.

    Parameters
    ----------
    steps
        The run's steps.

    Returns
    -------
    int or None
        The sum of the bronze steps' measured input rows; None when no bronze step measured
        its input (or the run has none).

    Examples
    --------
    >>> from sparkforge.models import Phase, StepResult, StepStatus
    >>> def step(name, phase, rows):
    ...     return StepResult(step_name=name, phase=phase, status=StepStatus.SUCCESS,
    ...         started_at=None, ended_at=None, duration_secs=None, input_rows=rows)
    >>> rows_read_from_sources([step("orders", Phase.BRONZE, 10),
    ...     step("clean", Phase.SILVER, 10), step("daily", Phase.GOLD, 8)])
    10
    >>> rows_read_from_sources([step("clean", Phase.SILVER, 10)]) is None
    True
    """
    return _total(s.input_rows for s in steps if Phase(s.phase) is Phase.BRONZE)


def _phase_counts(steps: Sequence[StepResult]) -> str:
    parts = []
    for phase in Phase:
        own = [s for s in steps if Phase(s.phase) is phase]
        if not own:
            continue
        figures = (
            ("input", _total(s.input_rows for s in own)),
            ("valid", _total(s.valid_rows for s in own)),
            ("invalid", _total(s.invalid_rows for s in own)),
            ("written", _total(s.rows_written for s in own)),
        )
        parts.append(f"{phase.value} " + ", ".join(f"{k} {_count(v)}" for k, v in figures))
    return "Rows per phase: " + "; ".join(parts)


def _cells(step: StepResult) -> list[str]:
    return [
        step.step_name,
        str(step.phase),
        str(step.status),
        _count(step.input_rows),
        _count(step.filtered_rows),
        _count(step.output_rows),
        _count(step.valid_rows),
        _count(step.invalid_rows),
        "-" if step.validation_rate is None else f"{step.validation_rate:.2f}%",
        _count(step.rows_written),
        step.write_mode or "-",
        "-" if step.duration_secs is None else f"{step.duration_secs:.2f}",
        step.table_fqn or "-",
    ]


def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(right))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(row, widths, right, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_report(report: PipelineReport) -> str:
    """Return a readable, multi-line text rendering of one run's report.

    Parameters
    ----------
    report
        The run's report.

    Returns
    -------
    str
        The rendering, without a trailing newline.

    See Also
    --------
    rows_read_from_sources : The "rows read" figure of the header.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sparkforge.models import (Phase, PipelineMetrics, PipelineReport, RunMode,
    ...     RunStatus, StepResult, StepStatus)
    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    >>> step = StepResult(step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS,
    ...     started_at=t, ended_at=t, duration_secs=1.5, input_rows=4, output_rows=4,
    ...     valid_rows=3, invalid_rows=1, validation_rate=75.0)
    >>> text = format_report(PipelineReport(run_id="r1", pipeline_name="shop",
    ...     mode=RunMode.INITIAL, status=RunStatus.SUCCESS, started_at=t, ended_at=t,
    ...     steps=(step,), metrics=PipelineMetrics.from_steps((step,))))
    >>> for line in text.splitlines()[:4]:
    ...     print(line)
    Pipeline shop | run r1 | initial | SUCCESS
    Started 2026-01-02 03:04:05 UTC, ended 2026-01-02 03:04:05 UTC (0.00 s)
    Steps: 1 (1 succeeded, 0 failed, 0 skipped); rows read from sources 4, written 0
    Rows per phase: bronze input 4, valid 3, invalid 1, written -
    >>> print(text.splitlines()[-1][:47])
    orders  bronze  success     4         -       4
    """
    metrics = report.metrics
    seconds = (report.ended_at - report.started_at).total_seconds()
    lines = [
        f"Pipeline {report.pipeline_name} | run {report.run_id} | {report.mode} | "
        f"{str(report.status).upper()}",
        f"Started {_instant(report.started_at)}, ended {_instant(report.ended_at)} "
        f"({seconds:.2f} s)",
        f"Steps: {metrics.total_steps} ({metrics.successful_steps} succeeded, "
        f"{metrics.failed_steps} failed, {metrics.skipped_steps} skipped); "
        f"rows read from sources {_count(rows_read_from_sources(report.steps))}, "
        f"written {metrics.rows_written:,}",
    ]
    if report.steps:
        lines.append(_phase_counts(report.steps))
        rows = [[header for header, _ in _COLUMNS], *(_cells(s) for s in report.steps)]
        lines += ["", *_table(rows, [align for _, align in _COLUMNS])]
    failures = [
        [step.step_name, rule.column or "-", rule.rule, f"{rule.failed_rows:,}"]
        for step in report.steps
        for rule in step.rule_results
        if rule.failed_rows
    ]
    if failures:
        lines += ["", "Rule failures (rows):"]
        lines += ["  " + line for line in _table(failures, [False, False, False, True])]
    watermarks = [
        f"  {s.step_name}: {_since(s.previous_watermark)}; "
        f"{_count(s.filtered_rows)} row(s) not newer filtered out"
        for s in report.steps
        if s.previous_watermark is not None or s.filtered_rows is not None
    ]
    if watermarks:
        lines += ["", "Incremental steps:", *watermarks]
    errors = [
        f"  {s.step_name} ({s.status}): {s.error.type}: {_first_line(s.error.message)}"
        for s in report.steps
        if s.error is not None
    ]
    if errors:
        lines += ["", "Step errors:", *errors]
    if report.error is not None:
        message = _first_line(report.error.message)
        lines += ["", f"Run error: {report.error.type}: {message}"]
    return "\n".join(lines)

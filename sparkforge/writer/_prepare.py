"""Reports -> checked, flattened runs: everything a write does before it touches Spark."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sparkforge.errors import ProblemCollector
from sparkforge.validation import report_problems
from sparkforge.writer._commit import PreparedRun
from sparkforge.writer._table import partition_problems
from sparkforge.writer.exceptions import WriterConfigurationError, WriterValidationError
from sparkforge.writer.models import rows_from_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from sparkforge.models import ExecutionContext, PipelineReport
    from sparkforge.writer.config import WriterConfig


def prepare_runs(
    items: list[tuple[PipelineReport, ExecutionContext | None]],
    config: WriterConfig,
    clock: Callable[[], datetime],
    *,
    prefix: bool,
) -> list[PreparedRun]:
    """Check every report (all problems at once), then flatten each into its rows.

    Raises
    ------
    WriterValidationError
        If any report is malformed; its paths are prefixed ``reports[i].`` when ``prefix``.
    WriterConfigurationError
        If ``clock`` does not return an aware datetime.
    """
    problems = ProblemCollector()
    seen: dict[str, int] = {}
    consistency = config.enable_data_quality_checks
    for i, (report, context) in enumerate(items):
        lead = f"reports[{i}]." if prefix else ""
        problems.extend(report_problems(report, context, consistency=consistency), prefix=lead)
        problems.extend(partition_problems(report, config.partition_columns), prefix=lead)
        run_id = getattr(report, "run_id", None)
        if isinstance(run_id, str):
            if run_id in seen:
                problems.add(f"{lead}run_id", f"run {run_id!r} is also reports[{seen[run_id]}]")
            seen.setdefault(run_id, i)
    if problems:
        raise WriterValidationError(
            "WRITER_INPUT_INVALID",
            {"subject": "reports" if prefix else "report", "problems": problems.render()},
            problems=problems.problems,
        )
    logged_at: object = clock()
    if not isinstance(logged_at, datetime) or logged_at.utcoffset() is None:
        raise WriterConfigurationError(
            "WRITER_CONFIG_INVALID",
            {"option": "clock", "reason": f"it returned {logged_at!r}, not an aware datetime"},
        )
    tags = {"environment": config.environment} if config.environment else None
    return [
        PreparedRun(
            report.run_id,
            rows_from_report(report, context, logged_at=logged_at, extra_tags=tags),
        )
        for report, context in items
    ]

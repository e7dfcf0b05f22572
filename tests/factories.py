"""Build consistent reports for tests: every count and rate agrees, every instant is aware."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineMetrics,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
)

#: 23:30 UTC: the next calendar day in Asia/Kolkata (the test session's time zone).
BASE_TIME = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)


def make_step(
    name: str,
    *,
    phase: Phase = Phase.SILVER,
    index: int = 0,
    valid: int = 90,
    invalid: int = 10,
    status: StepStatus = StepStatus.SUCCESS,
    start: datetime = BASE_TIME,
) -> StepResult:
    """Return a consistent step that ran ``index`` seconds after ``start``."""
    started = start + timedelta(seconds=index)
    if status is StepStatus.SKIPPED:
        return StepResult(
            step_name=name,
            phase=phase,
            status=status,
            started_at=None,
            ended_at=None,
            duration_secs=None,
            error=ErrorInfo(type="UpstreamFailed", message="an upstream step failed"),
        )
    total = valid + invalid
    return StepResult(
        step_name=name,
        phase=phase,
        status=status,
        started_at=started,
        ended_at=started + timedelta(milliseconds=750),
        duration_secs=0.75,
        table_fqn=None if phase is Phase.BRONZE else f"lake.{name}",
        write_mode=None if phase is Phase.BRONZE else "append",
        input_rows=total + 5,
        output_rows=total,
        rows_written=None if phase is Phase.BRONZE else valid,
        valid_rows=valid,
        invalid_rows=invalid,
        validation_rate=100.0 * valid / total if total else 100.0,
        rule_results=(
            RuleResult(rule="amount_positive", column="amount", failed_rows=invalid),
            RuleResult(rule="id_not_null", column="id", failed_rows=0),
        ),
        previous_watermark=BASE_TIME - timedelta(days=1) if phase is Phase.SILVER else None,
        filtered_rows=5,
        error=(
            ErrorInfo(type="ValueError", message="boom", traceback=None)
            if status is StepStatus.FAILED
            else None
        ),
    )


def make_report(
    steps: int = 3,
    *,
    pipeline: str = "orders",
    run_id: str | None = None,
    start: datetime = BASE_TIME,
    failed_step: int | None = None,
    tags: dict[str, str] | None = None,
    mode: RunMode = RunMode.INITIAL,
) -> PipelineReport:
    """Return a consistent report with ``steps`` steps (bronze first, then silver, then gold)."""
    rid = run_id or str(uuid.uuid4())
    phases = [Phase.BRONZE, Phase.SILVER, Phase.GOLD]
    results = tuple(
        make_step(
            f"step_{i}",
            phase=phases[min(i * 3 // max(steps, 1), 2)],
            index=i,
            start=start,
            status=StepStatus.FAILED if i == failed_step else StepStatus.SUCCESS,
        )
        for i in range(steps)
    )
    ended = start + timedelta(seconds=steps + 1)
    status = RunStatus.FAILED if failed_step is not None else RunStatus.SUCCESS
    context = ExecutionContext(
        run_id=rid,
        pipeline_name=pipeline,
        mode=mode,
        started_at=start,
        ended_at=ended,
        spark_version="4.0.1",
        user="tester",
        tags=tags or {"env": "test"},
    )
    return PipelineReport(
        run_id=rid,
        pipeline_name=pipeline,
        mode=mode,
        status=status,
        started_at=start,
        ended_at=ended,
        steps=results,
        metrics=PipelineMetrics.from_steps(results),
        context=context,
    )


def make_failed_before_steps(*, pipeline: str = "orders") -> PipelineReport:
    """Return a run that failed before its first step."""
    rid = str(uuid.uuid4())
    return PipelineReport(
        run_id=rid,
        pipeline_name=pipeline,
        mode=RunMode.INCREMENTAL,
        status=RunStatus.FAILED,
        started_at=BASE_TIME,
        ended_at=BASE_TIME + timedelta(seconds=1),
        error=ErrorInfo(type="PipelineError", message="bronze source orders is missing"),
    )

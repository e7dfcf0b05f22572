"""format_report: the text rendering of a run's report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.models import (
    ErrorInfo,
    Phase,
    PipelineMetrics,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
)
from sparkforge.reporting import format_report, rows_read_from_sources

IST = timezone(timedelta(hours=5, minutes=30))
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _steps() -> tuple[StepResult, ...]:
    end = START + timedelta(seconds=2)
    return (
        StepResult(
            step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS,
            started_at=START, ended_at=end, duration_secs=2.0, input_rows=12_345,
            output_rows=12_345, valid_rows=12_000, invalid_rows=345,
            validation_rate=100 * 12_000 / 12_345,
            rule_results=(
                RuleResult(rule="id_present", column="order_id", failed_rows=345),
                RuleResult(rule="amount_present", column="amount", failed_rows=0),
            ),
        ),
        StepResult(
            step_name="clean_orders", phase=Phase.SILVER, status=StepStatus.SUCCESS,
            started_at=START, ended_at=end, duration_secs=1.25, table_fqn="shop.clean_orders",
            write_mode="append", input_rows=12_000, output_rows=11_000, rows_written=10_990,
            valid_rows=10_990, invalid_rows=10, validation_rate=100 * 10_990 / 11_000,
            previous_watermark=datetime(2026, 2, 28, 23, 0, 0, 123456, tzinfo=IST),
            filtered_rows=1_000,
        ),
        StepResult(
            step_name="fresh", phase=Phase.SILVER, status=StepStatus.FAILED,
            started_at=START, ended_at=end, duration_secs=0.5, table_fqn="shop.fresh",
            input_rows=0, filtered_rows=0,
            error=ErrorInfo(type="AnalysisException", message="[UNRESOLVED] x\n  plan...\n"),
        ),
        StepResult(
            step_name="revenue", phase=Phase.GOLD, status=StepStatus.SKIPPED, started_at=None,
            ended_at=None, duration_secs=None, table_fqn="shop.revenue",
            error=ErrorInfo(type="StepError", message="[STEP_SKIPPED] upstream fresh failed."),
        ),
    )  # fmt: skip


def _report(**changes: object) -> PipelineReport:
    steps = _steps()
    fields: dict[str, object] = {
        "run_id": "run-1",
        "pipeline_name": "shop",
        "mode": RunMode.INCREMENTAL,
        "status": RunStatus.FAILED,
        "started_at": START.astimezone(IST),
        "ended_at": START + timedelta(seconds=3.5),
        "steps": steps,
        "metrics": PipelineMetrics.from_steps(steps),
    }
    fields.update(changes)
    return PipelineReport(**fields)  # type: ignore[arg-type]


def test_format_report_header_says_what_ran_in_utc() -> None:
    lines = format_report(_report()).splitlines()
    assert lines[0] == "Pipeline shop | run run-1 | incremental | FAILED"
    # The start was given in +05:30; it is shown as the same instant in UTC.
    assert lines[1] == "Started 2026-03-01 12:00:00 UTC, ended 2026-03-01 12:00:03 UTC (3.50 s)"
    assert lines[2] == (
        "Steps: 4 (2 succeeded, 1 failed, 1 skipped); rows read from sources 12,345, written 10,990"
    )


def test_format_report_counts_rows_read_once_from_the_bronze_sources() -> None:
    # orders (bronze) read 12,345 rows; clean_orders (silver) took 12,000 of them as input:
    # the run read 12,345 rows, not 24,345.
    text = format_report(_report())
    assert "rows read from sources 12,345," in text
    assert "24,345" not in text


def test_format_report_shows_each_phase_apart() -> None:
    lines = format_report(_report()).splitlines()
    assert lines[3] == (
        "Rows per phase: bronze input 12,345, valid 12,000, invalid 345, written -; "
        "silver input 12,000, valid 10,990, invalid 10, written 10,990; "
        "gold input -, valid -, invalid -, written -"
    )


def _step(name: str, phase: Phase, input_rows: int | None) -> StepResult:
    return StepResult(
        step_name=name, phase=phase, status=StepStatus.SUCCESS, started_at=START,
        ended_at=START, duration_secs=0.1, input_rows=input_rows,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((), None),
        ((("a", Phase.BRONZE, 5), ("b", Phase.BRONZE, 7), ("s", Phase.SILVER, 12)), 12),
        ((("a", Phase.BRONZE, None), ("s", Phase.SILVER, 12)), None),
        ((("a", Phase.BRONZE, None), ("b", Phase.BRONZE, 3)), 3),
        ((("s", Phase.SILVER, 4), ("g", Phase.GOLD, 4)), None),
        ((("a", Phase.BRONZE, 0),), 0),
    ],
    ids=["no-steps", "two-sources", "unmeasured", "one-measured", "no-bronze", "zero"],
)
def test_rows_read_from_sources_sums_bronze_inputs_only(
    steps: tuple[tuple[str, Phase, int | None], ...], expected: int | None
) -> None:
    assert rows_read_from_sources([_step(*s) for s in steps]) == expected


@given(
    bronze=st.lists(st.integers(min_value=0, max_value=10**12), max_size=5),
    later=st.lists(
        st.tuples(st.sampled_from([Phase.SILVER, Phase.GOLD]), st.integers(0, 10**12)),
        max_size=5,
    ),
)
def test_rows_read_from_sources_ignores_what_later_phases_read(
    bronze: list[int], later: list[tuple[Phase, int]]
) -> None:
    steps = [_step(f"b{i}", Phase.BRONZE, n) for i, n in enumerate(bronze)]
    steps += [_step(f"l{i}", phase, n) for i, (phase, n) in enumerate(later)]
    assert rows_read_from_sources(steps) == (sum(bronze) if bronze else None)


def test_format_report_has_one_aligned_row_per_step() -> None:
    lines = format_report(_report()).splitlines()
    table = lines[5:10]
    header, *rows = table
    assert header.split() == [
        "step", "phase", "status", "read", "filtered", "output", "valid", "invalid", "rate",
        "written", "mode", "secs", "table",
    ]  # fmt: skip
    assert rows[0].split() == [
        "orders", "bronze", "success", "12,345", "-", "12,345", "12,000", "345", "97.21%", "-",
        "-", "2.00", "-",
    ]  # fmt: skip
    assert rows[1].split() == [
        "clean_orders", "silver", "success", "12,000", "1,000", "11,000", "10,990", "10",
        "99.91%", "10,990", "append", "1.25", "shop.clean_orders",
    ]  # fmt: skip
    assert rows[3].split()[:3] == ["revenue", "gold", "skipped"]
    assert rows[3].split()[3:12] == ["-"] * 9
    # Columns line up: every row has its phase where the header has it.
    column = header.index("phase")
    assert all(row[column:].startswith(("bronze", "silver", "gold")) for row in rows)


def test_format_report_lists_only_rules_that_failed_rows() -> None:
    text = format_report(_report())
    assert "Rule failures (rows):\n  orders  order_id  id_present  345" in text
    assert "amount_present" not in text


def test_format_report_shows_watermarks_precisely_in_utc() -> None:
    text = format_report(_report())
    assert (
        "  clean_orders: rows newer than 2026-02-28 17:30:00.123456 UTC; "
        "1,000 row(s) not newer filtered out"
    ) in text
    assert "  fresh: no watermark yet (new or empty table), every row kept; 0 row(s)" in text


def test_format_report_shows_first_line_of_each_error() -> None:
    text = format_report(_report())
    assert "  fresh (failed): AnalysisException: [UNRESOLVED] x\n" in text
    assert "plan..." not in text
    assert "  revenue (skipped): StepError: [STEP_SKIPPED] upstream fresh failed." in text


def test_format_report_run_error_without_steps() -> None:
    long_message = "[PIPELINE_INPUT_INVALID] " + "x" * 400
    report = _report(
        steps=(),
        metrics=PipelineMetrics(),
        error=ErrorInfo(type="PipelineError", message=long_message + "\nsecond line"),
    )
    lines = format_report(report).splitlines()
    assert lines[2] == (
        "Steps: 0 (0 succeeded, 0 failed, 0 skipped); rows read from sources -, written 0"
    )
    assert not any(line.startswith("Rows per phase") for line in lines)
    assert lines[-1].startswith("Run error: PipelineError: [PIPELINE_INPUT_INVALID] xxx")
    assert lines[-1].endswith("...")
    assert len(lines[-1]) == len("Run error: PipelineError: ") + 300
    assert "step  phase" not in "\n".join(lines)


def test_format_report_of_a_clean_run_has_no_problem_sections() -> None:
    step = StepResult(
        step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS, started_at=START,
        ended_at=START, duration_secs=0.1, input_rows=0, output_rows=0, valid_rows=0,
        invalid_rows=0, validation_rate=100.0,
    )  # fmt: skip
    text = format_report(
        _report(
            status=RunStatus.SUCCESS, steps=(step,), metrics=PipelineMetrics.from_steps((step,))
        )
    )
    for section in ("Rule failures", "Incremental steps", "Step errors", "Run error"):
        assert section not in text
    assert "100.00%" in text
    assert text.splitlines()[0].endswith("| SUCCESS")

"""summarize and rule_failures without a JVM: argument checks, results, their text and JSON."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import Row

from sparkforge.errors import ValidationError
from sparkforge.reporting.rule_failures import RuleFailureSummary, rule_failures
from sparkforge.reporting.summary import (
    LogSummary,
    PipelineSummary,
    StepSummary,
    _summary,
    _top_rules,
    summarize,
)
from sparkforge.writer.models import LOG_COLUMNS

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
T0_US = 1_772_407_800_000_000  # T0 as microseconds since the epoch


class _Log:
    """A stand-in for a log DataFrame: its column names, and nothing else may be touched."""

    def __init__(self, columns: tuple[str, ...] = LOG_COLUMNS) -> None:
        self.columns = list(columns)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the log was used ({name}) before the arguments were checked")


def _argument_error(call: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
    return caught.value


def test_t0_micros() -> None:
    assert T0 - datetime(1970, 1, 1, tzinfo=timezone.utc) == timedelta(microseconds=T0_US)


@pytest.mark.parametrize("function", [summarize, rule_failures])
def test_every_bad_argument_is_reported_at_once(function: Any) -> None:
    error = _argument_error(
        lambda: function(_Log(), pipeline_name=3, since=datetime(2026, 1, 1), until="tomorrow")
    )
    assert [problem.path for problem in error.problems] == ["pipeline_name", "since", "until"]


@pytest.mark.parametrize("function", [summarize, rule_failures])
def test_since_must_be_before_until(function: Any) -> None:
    error = _argument_error(lambda: function(_Log(), since=T0, until=T0))
    assert [problem.path for problem in error.problems] == ["until"]


@settings(max_examples=30, deadline=None)
@given(
    st.one_of(
        st.integers(max_value=0),
        st.booleans(),
        st.floats(allow_nan=True),
        st.text(max_size=3),
        st.none(),
    )
)
def test_top_rules_must_be_an_int_of_at_least_one(top_rules: object) -> None:
    error = _argument_error(lambda: summarize(_Log(), top_rules=top_rules))  # type: ignore[arg-type]
    assert [problem.path for problem in error.problems] == ["top_rules"]


@settings(max_examples=30, deadline=None)
@given(
    st.one_of(
        st.integers(),
        st.just([]),
        st.lists(st.integers(), min_size=1, max_size=3),
        st.lists(st.one_of(st.text(max_size=3), st.none()), min_size=1, max_size=3).filter(
            lambda names: None in names
        ),
    )
)
def test_pipeline_name_must_be_names(pipeline_name: object) -> None:
    for function in (summarize, rule_failures):
        error = _argument_error(lambda f=function: f(_Log(), pipeline_name=pipeline_name))
        assert [problem.path for problem in error.problems] == ["pipeline_name"]


@pytest.mark.parametrize("function", [summarize, rule_failures])
def test_log_must_have_the_columns(function: Any) -> None:
    missing = tuple(c for c in LOG_COLUMNS if c != "rule_results")
    for log, text in ((_Log(missing), "rule_results"), (object(), "DataFrame")):
        with pytest.raises(ValidationError) as caught:
            function(log)
        assert caught.value.code == "ANALYSIS_LOG_INVALID"
        assert text in str(caught.value)


def _rows() -> tuple[list[Row], list[Row], list[Row]]:
    """Return rows as the three aggregations give them (instants as micros)."""
    pipeline = Row(
        pipeline_name="orders", runs=3, log_rows=7, succeeded_runs=2, failed_runs=1,
        first_run_at=T0_US, last_run_at=T0_US + 7_200_000_000, rows_written=620,
        mean_validation_rate=97.0, last_status="failed", last_failed_at=T0_US + 7_200_000_000,
        last_error_message="boom", run_duration_p50_secs=20.0, run_duration_p95_secs=29.0,
    )  # fmt: skip
    empty = Row(
        pipeline_name="billing", runs=1, log_rows=1, succeeded_runs=0, failed_runs=1,
        first_run_at=T0_US, last_run_at=T0_US, rows_written=None, mean_validation_rate=None,
        last_status="failed", last_failed_at=T0_US, last_error_message=None,
        run_duration_p50_secs=float("nan"), run_duration_p95_secs=None,
    )  # fmt: skip

    def step(name: str, phase: str | None, order: int | None, **values: Any) -> Row:
        return Row(
            pipeline_name="orders", step=name, phase=phase, order=order, runs=3, failed=0,
            skipped=0, duration_max_secs=3.0, rows_written=10, mean_validation_rate=99.0,
            min_validation_rate=98.0, duration_p50_secs=1.0, duration_p95_secs=2.0, **values,
        )  # fmt: skip

    steps = [step("publish", "gold", None), step("clean", "silver", 1), step("load", "bronze", 0)]

    def rule(rank: int, name: str, failed: int) -> Row:
        return Row(
            pipeline_name="orders", step="clean", phase="silver", rank=rank, rule=name,
            column="id", failed_rows=failed, runs=rank,
        )  # fmt: skip

    return [pipeline, empty], steps, [rule(2, "b", 5), rule(1, "a", 9)]


def test_results_from_collected_rows() -> None:
    result = _summary(*_rows(), T0, None)
    assert (result.since, result.until, result.runs, result.rows) == (T0, None, 4, 8)
    assert (result.first_run_at, result.last_run_at) == (T0, T0 + timedelta(hours=2))
    billing, orders = result.pipelines
    assert billing.pipeline_name == "billing"
    assert billing.success_rate == 0.0
    assert billing.run_duration_p50_secs is None  # NaN is never stored
    assert billing.steps == ()
    assert orders.success_rate == pytest.approx(200 / 3, rel=1e-15)
    assert orders.last_failed_at == T0 + timedelta(hours=2)
    assert orders.last_failed_at is not None
    assert orders.last_failed_at.tzinfo is timezone.utc
    assert [s.step for s in orders.steps] == ["load", "clean", "publish"]
    assert orders.steps[1].top_failing_rules == (
        RuleFailureSummary("a", "id", 9, 1),
        RuleFailureSummary("b", "id", 5, 2),
    )
    assert orders.steps[0].top_failing_rules == ()


def test_empty_summary() -> None:
    result = _summary([], [], [], None, None)
    assert result == LogSummary((), None, None, 0, 0, None, None)
    assert str(result) == "Run log summary, window - to -: 0 run(s), 0 log row(s)\nno runs"


def test_to_dict_is_json_without_nan() -> None:
    result = _summary(*_rows(), T0, T0 + timedelta(days=1))
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["since"] == "2026-03-01T23:30:00+00:00"
    assert data["until"] == "2026-03-02T23:30:00+00:00"
    orders = data["pipelines"][1]
    assert orders["steps"][1]["top_failing_rules"][0] == {
        "rule": "a",
        "column": "id",
        "failed_rows": 9,
        "runs": 1,
    }
    assert orders["last_failed_at"] == "2026-03-02T01:30:00+00:00"
    assert data["pipelines"][0]["run_duration_p50_secs"] is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        min_size=6,
        max_size=6,
    )
)
def test_to_dict_of_any_step_is_json(values: list[float | None]) -> None:
    p50, p95, top, mean, low, run_p50 = values
    step = StepSummary("s", None, 1, 0, 1, p50, p95, top, None, mean, low, ())
    pipeline = PipelineSummary(
        "p", 1, 0, 1, 0.0, T0, T0, "failed", T0, None, run_p50, None, 7, None, (step,)
    )
    text = json.dumps(LogSummary((pipeline,), None, None, 1, 2, T0, T0).to_dict(), allow_nan=False)
    for value in values:
        if value is not None and math.isfinite(value):
            assert json.dumps(value) in text


def test_text_contents() -> None:
    text = str(_summary(*_rows(), T0, None))
    lines = text.splitlines()
    assert (
        lines[0] == "Run log summary, window 2026-03-01 23:30:00 UTC to -: 4 run(s), 8 log row(s)"
    )
    assert lines[1] == "runs from 2026-03-01 23:30:00 UTC to 2026-03-02 01:30:00 UTC"
    assert lines[2].split() == [
        "pipeline", "runs", "ok", "failed", "success", "p50", "p95", "written", "validation",
        "last",
    ]  # fmt: skip
    assert lines[3].split() == ["billing", "1", "0", "1", "0.00%", "-", "-", "-", "-", "failed"]
    assert lines[4].split() == [
        "orders", "3", "2", "1", "66.67%", "20.000s", "29.000s", "620", "97.00%", "failed",
    ]  # fmt: skip
    assert "  last failure 2026-03-02 01:30:00 UTC: boom" in lines
    assert "  clean rule a (id): 9 failed rows in 1 run(s)" in lines
    assert "  last failure 2026-03-01 23:30:00 UTC: -" in lines
    # Columns line up: every row of the pipelines table is as wide as its header.
    assert len({len(line) for line in lines[2:5]}) == 1


def test_top_rules_rank_per_step() -> None:
    def count(step: str, rule: str | None, column: str | None, runs: int, failed: int) -> Row:
        return Row(
            pipeline_name="orders", step=step, phase="silver", rule=rule, column=column,
            runs=runs, failed_rows=failed,
        )  # fmt: skip

    counts = [
        count("clean", "b", "id", 2, 9),
        count("clean", "a", "id", 3, 9),  # same failed rows, more runs: first
        count("clean", "c", "id", 1, 9),
        count("clean", "c", None, 1, 9),  # same figures and rule: the NULL column first
        count("clean", "d", "id", 5, 8),  # fewer failed rows: last, beyond the top 3
        count("load", "z", "x", 1, 1),
    ]
    ranked = _top_rules(counts, 3)
    assert [(r["step"], r["rank"], r["rule"], r["column"], r["runs"]) for r in ranked] == [
        ("clean", 1, "a", "id", 3),
        ("clean", 2, "b", "id", 2),
        ("clean", 3, "c", None, 1),
        ("load", 1, "z", "x", 1),
    ]
    assert all(r["failed_rows"] in (9, 1) for r in ranked)

"""Unit tests of ``sparkforge.validation.report_checks``: one bad value, one problem."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.models import RuleResult, StepStatus
from sparkforge.validation import report_problems
from tests.factories import make_report

if TYPE_CHECKING:
    from sparkforge.models import PipelineReport

COUNTS = ["input_rows", "output_rows", "rows_written", "valid_rows", "invalid_rows"]


def _with_step(report: PipelineReport, index: int, **changes: object) -> PipelineReport:
    """Return ``report`` with fields of step ``index`` set, bypassing their declared types."""
    step = dataclasses.replace(report.steps[index])
    for name, value in changes.items():
        object.__setattr__(step, name, value)
    steps = list(report.steps)
    steps[index] = step
    return dataclasses.replace(report, steps=tuple(steps))


def _found(report: PipelineReport) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in report_problems(report)]


@given(
    st.integers(min_value=1, max_value=6),
    st.data(),
    st.sampled_from(COUNTS),
    st.integers(max_value=-1) | st.sampled_from([True, 1.5, "3", 2**63]),
)
def test_report_problems_one_bad_count_gives_one_problem(
    steps: int, data: st.DataObject, name: str, bad: object
) -> None:
    report = make_report(steps)
    index = data.draw(st.integers(0, steps - 1))
    found = _found(_with_step(report, index, **{name: bad}))
    assert [path for path, _ in found] == [f"steps[{index}].{name}"], found


@given(
    st.floats(max_value=-0.001)
    | st.floats(min_value=100.001)
    | st.just(float("nan"))
    | st.just(float("inf"))
    | st.just("99")
)
def test_report_problems_one_bad_rate_gives_one_problem(rate: object) -> None:
    found = _found(_with_step(make_report(2), 1, validation_rate=rate))
    assert [path for path, _ in found] == ["steps[1].validation_rate"], found


@pytest.mark.parametrize(
    "bad",
    [-1, None, "10"],
    ids=["negative", "none", "string"],
)
def test_report_problems_one_bad_rule_count_gives_one_problem(bad: object) -> None:
    report = make_report(2)
    rules = list(report.steps[1].rule_results)
    rule = dataclasses.replace(rules[0])
    object.__setattr__(rule, "failed_rows", bad)
    rules[0] = rule
    found = _found(_with_step(report, 1, rule_results=tuple(rules)))
    assert [path for path, _ in found] == ["steps[1].rule_results[0].failed_rows"], found


def test_report_problems_unknown_step_status_gives_one_problem() -> None:
    report = _with_step(make_report(2), 0, status="exploded")
    found = _found(report)
    assert [path for path, _ in found] == ["steps[0].status"], found
    assert "'exploded'" in found[0][1]


def test_report_problems_negative_valid_rows_reports_nothing_else() -> None:
    # Before: also "valid_rows and invalid_rows come together" and "validation_rate is set
    # but valid_rows/invalid_rows are not" -- follow-ons of the one bad value.
    found = _found(_with_step(make_report(1), 0, valid_rows=-1))
    assert found == [("steps[0].valid_rows", "must be >= 0, got -1")]


def test_report_problems_still_checks_consistency_of_valid_values() -> None:
    report = make_report(1)
    step = report.steps[0]
    assert step.valid_rows is not None
    found = _found(_with_step(report, 0, valid_rows=step.valid_rows + 1))
    assert [path for path, _ in found] == ["steps[0].valid_rows", "steps[0].validation_rate"]


def test_report_problems_missing_pair_member_is_still_reported() -> None:
    found = _found(_with_step(make_report(1), 0, invalid_rows=None, validation_rate=None))
    assert [path for path, _ in found] == ["steps[0].invalid_rows"], found


def test_report_problems_failed_step_without_error_is_still_reported() -> None:
    found = _found(_with_step(make_report(1), 0, status=StepStatus.FAILED, error=None))
    assert ("steps[0].error", "a failed step must say why") in found


def test_report_problems_rules_with_a_bad_count_skip_the_rule_sums() -> None:
    report = make_report(1)
    rules = (RuleResult(rule="only", column=None, failed_rows=-5),)
    found = _found(_with_step(report, 0, rule_results=rules))
    assert [path for path, _ in found] == ["steps[0].rule_results[0].failed_rows"], found


@pytest.mark.parametrize(
    ("start", "refused"),
    [
        (datetime(1899, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), True),
        (datetime(1900, 1, 1, 5, 29, tzinfo=timezone(timedelta(hours=5, minutes=30))), True),
        (datetime(1900, 1, 1, tzinfo=timezone.utc), False),
        (datetime(2262, 4, 10, 23, tzinfo=timezone.utc), False),
        (datetime(2262, 4, 11, tzinfo=timezone.utc), True),
    ],
    ids=["just_before_1900", "before_1900_in_utc", "1900", "before_2262_04_11", "2262_04_11"],
)
def test_report_problems_instants_outside_what_spark_and_readers_keep(
    start: datetime, refused: bool
) -> None:
    # Spark 3.5 cannot write an INT96 instant before 1900; readers overflow from 2262-04-11.
    found = _found(make_report(1, start=start))
    reason = "is outside 1900-01-01 .. 2262-04-11 UTC (what Spark and Delta's readers keep)"
    assert (("started_at", reason) in found) is refused

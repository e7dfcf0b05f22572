"""PipelineRunner input checks: a bad run input gives a failed report without steps, no JVM."""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING, cast

import pytest

from sparkforge.errors import PipelineError
from sparkforge.models import PipelineConfig, RunMode, RunStatus
from sparkforge.pipeline import PipelineBuilder
from sparkforge.writer.models import report_problems
from tests.unit._fakes import NoSpark

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineReport
    from sparkforge.pipeline import PipelineRunner


def _runner(*, raise_on_failure: bool = False) -> PipelineRunner:
    return (
        PipelineBuilder(
            cast("SparkSession", NoSpark()),
            schema="shop",
            config=PipelineConfig(raise_on_failure=raise_on_failure),
            pipeline_name="orders",
        )
        .with_bronze_rules(name="orders", rules={})
        .with_bronze_rules(name="customers", rules={})
        .to_pipeline()
    )


MODES: list[tuple[RunMode, Callable[[PipelineRunner], Callable[..., PipelineReport]]]] = [
    (RunMode.INITIAL, lambda r: r.run_initial_load),
    (RunMode.INCREMENTAL, lambda r: r.run_incremental),
    (RunMode.FULL_REFRESH, lambda r: r.run_full_refresh),
    (RunMode.VALIDATION_ONLY, lambda r: r.run_validation_only),
]


@pytest.mark.parametrize(("mode", "method"), MODES, ids=[mode.value for mode, _ in MODES])
def test_runner_missing_source_gives_a_failed_report_without_steps(
    mode: RunMode, method: Callable[[PipelineRunner], Callable[..., PipelineReport]]
) -> None:
    report = method(_runner())(bronze_sources={})
    assert (report.status, report.mode, report.steps) == (RunStatus.FAILED, mode, ())
    assert report.error is not None
    assert report.error.type == "PipelineError"
    assert report.error.message == (
        "[PIPELINE_INPUT_INVALID] Invalid input to the pipeline run: 2 problem(s): "
        "bronze_sources: no DataFrame for bronze step 'orders'; "
        "bronze_sources: no DataFrame for bronze step 'customers'."
    )
    assert report.started_at.tzinfo is timezone.utc
    assert report.started_at <= report.ended_at
    assert report.metrics.total_steps == 0
    assert report.context is not None
    assert (report.context.run_id, report.context.mode) == (report.run_id, mode)
    # The log writer accepts it (and will log it as one run row).
    assert report_problems(report) == []


@pytest.mark.parametrize(
    ("sources", "tags", "problems"),
    [
        (
            {"orders": 42, "customers": None, "ordres": 1},
            None,
            [
                "bronze_sources['orders']: expected a DataFrame, got int",
                "bronze_sources['customers']: expected a DataFrame, got NoneType",
                "bronze_sources: 'ordres' is not a bronze step of the pipeline "
                "(bronze steps: orders, customers)",
            ],
        ),
        (
            [("orders", 1)],
            None,
            ["bronze_sources: expected a mapping of bronze step name to DataFrame, got list"],
        ),
        (
            {"orders": 1, "customers": 2},
            {"env": 3},
            [
                "bronze_sources['orders']: expected a DataFrame, got int",
                "bronze_sources['customers']: expected a DataFrame, got int",
                "tags: expected a mapping of strings to strings",
            ],
        ),
    ],
    ids=["wrong-values-and-unknown-name", "not-a-mapping", "bad-tags"],
)
def test_runner_reports_every_input_problem(
    sources: object, tags: object, problems: list[str]
) -> None:
    report = _runner().run_initial_load(
        bronze_sources=cast("dict[str, DataFrame]", sources),
        tags=cast("dict[str, str] | None", tags),
    )
    assert report.error is not None
    for problem in problems:
        assert problem in report.error.message
    assert f"{len(problems)} problem(s)" in report.error.message
    assert report.context is not None
    assert dict(report.context.tags) == {}


def test_runner_raises_after_building_the_report_when_asked() -> None:
    with pytest.raises(PipelineError) as caught:
        _runner(raise_on_failure=True).run_incremental(bronze_sources={})
    error = caught.value
    assert error.code == "PIPELINE_RUN_FAILED"
    report = error.report
    assert report is not None
    assert (report.status, report.mode) == (RunStatus.FAILED, RunMode.INCREMENTAL)
    assert dict(error.params) == {
        "pipeline": "orders",
        "run_id": report.run_id,
        "reason": f"PipelineError: {report.error.message}" if report.error else "",
    }
    assert isinstance(error.__cause__, PipelineError)
    assert error.__cause__.code == "PIPELINE_INPUT_INVALID"


def test_runner_gives_each_run_its_own_id() -> None:
    runner = _runner()
    ids = {runner.run_validation_only(bronze_sources={}).run_id for _ in range(3)}
    assert len(ids) == 3

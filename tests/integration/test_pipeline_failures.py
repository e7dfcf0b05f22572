"""Failing steps: recorded, dependents skipped, the run failed; raising only when asked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F

from sparkforge import table_operations as tables
from sparkforge.errors import PipelineError
from sparkforge.models import (
    PipelineConfig,
    RunStatus,
    StepStatus,
    ValidationThresholds,
)
from sparkforge.pipeline import PipelineBuilder
from sparkforge.validation import Rule
from sparkforge.writer.models import report_problems

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import (
        PipelineReport,
    )

pytestmark = pytest.mark.delta

EVENTS = [(1, "a"), (2, "b"), (3, None)]
EVENTS_DDL = "id BIGINT, kind STRING"


def identity(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    return df


def broken(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    raise RuntimeError("boom in transform")


def not_a_dataframe(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    return 42  # type: ignore[return-value]


def first_silver(spark: SparkSession, silvers: dict[str, DataFrame]) -> DataFrame:
    return next(iter(silvers.values()))


@dataclass(frozen=True)
class Failed:
    schema: str
    report: PipelineReport


@pytest.fixture(scope="module")
def failed(spark: SparkSession) -> Iterator[Failed]:
    schema = f"t_fail_{uuid.uuid4().hex[:8]}"
    config = PipelineConfig(
        thresholds=ValidationThresholds(bronze=0.0, silver=0.0, gold=0.0),
        quarantine_invalid=False,
    )
    pipeline = (
        PipelineBuilder(spark, schema=schema, config=config, pipeline_name="failing")
        .with_bronze_rules(name="events", rules={})
        .add_silver_transform(
            name="ok",
            source_bronze="events",
            transform=identity,
            rules={"kind": [Rule("kind_present", F.col("kind").isNotNull())]},
            table_name="ok",
        )
        .add_silver_transform(
            name="broken", source_bronze="events", transform=broken, rules={}, table_name="broken"
        )
        .add_silver_transform(
            name="after_broken",
            source_bronze="events",
            source_silvers=["broken"],
            transform=identity,
            rules={},
            table_name="after_broken",
        )
        .add_silver_transform(
            name="not_df",
            source_bronze="events",
            transform=not_a_dataframe,
            rules={},
            table_name="not_df",
        )
        .add_silver_transform(
            name="bad_rule",
            source_bronze="events",
            transform=identity,
            rules={"missing": [F.col("missing").isNotNull()]},
            table_name="bad_rule",
        )
        .add_gold_transform(
            name="uses_broken",
            transform=first_silver,
            rules={},
            table_name="uses_broken",
            source_silvers=["ok", "after_broken"],
        )
        .add_gold_transform(
            name="uses_ok",
            transform=first_silver,
            rules={},
            table_name="uses_ok",
            source_silvers=["ok"],
        )
        .to_pipeline()
    )
    report = pipeline.run_initial_load(
        bronze_sources={"events": spark.createDataFrame(EVENTS, EVENTS_DDL)}
    )
    yield Failed(schema, report)
    spark.sql(f"DROP DATABASE IF EXISTS {schema} CASCADE")


def _exists(spark: SparkSession, schema: str, table: str) -> bool:
    return tables.table_exists(spark, tables.TableRef.named(schema, table))


def test_failing_transform_fails_its_step_not_the_call(failed: Failed) -> None:
    report = failed.report
    assert report.status is RunStatus.FAILED
    assert report.error is None  # the failures are the steps'
    step = report.step("broken")
    assert step.status is StepStatus.FAILED
    assert step.error is not None
    assert (step.error.type, step.error.message) == ("RuntimeError", "boom in transform")
    assert step.error.traceback is not None
    assert "in broken" in step.error.traceback
    # Measured before the failure: the rows read; nothing after it.
    assert (step.input_rows, step.output_rows, step.valid_rows, step.rows_written) == (
        3,
        None,
        None,
        None,
    )
    assert step.started_at is not None
    assert step.duration_secs is not None
    assert report_problems(report) == []


def test_dependents_of_a_failure_are_skipped_with_the_cause(failed: Failed) -> None:
    for name in ("after_broken", "uses_broken"):
        step = failed.report.step(name)
        assert step.status is StepStatus.SKIPPED
        assert (step.started_at, step.ended_at, step.duration_secs) == (None, None, None)
        assert step.input_rows is None
        assert step.error is not None
        assert step.error.type == "StepError"
        assert step.error.message.startswith("[STEP_SKIPPED]")
        assert "upstream step broken failed" in step.error.message
        assert step.error.traceback is None


def test_independent_steps_still_run(spark: SparkSession, failed: Failed) -> None:
    ok, uses_ok = failed.report.step("ok"), failed.report.step("uses_ok")
    assert (ok.status, ok.rows_written, ok.valid_rows, ok.invalid_rows) == (
        StepStatus.SUCCESS,
        2,
        2,
        1,
    )
    assert uses_ok.status is StepStatus.SUCCESS
    assert spark.table(f"{failed.schema}.ok").count() == 2
    assert spark.table(f"{failed.schema}.uses_ok").count() == uses_ok.rows_written == 2


def test_failed_and_skipped_steps_write_no_table(spark: SparkSession, failed: Failed) -> None:
    for table in ("broken", "after_broken", "not_df", "bad_rule", "uses_broken"):
        assert not _exists(spark, failed.schema, table)


def test_quarantine_off_keeps_no_invalid_rows(spark: SparkSession, failed: Failed) -> None:
    assert failed.report.step("ok").invalid_rows == 1
    assert not _exists(spark, failed.schema, "ok_quarantine")


def test_transform_returning_a_non_dataframe_fails_clearly(failed: Failed) -> None:
    step = failed.report.step("not_df")
    assert step.status is StepStatus.FAILED
    assert step.error is not None
    assert step.error.type == "StepError"
    assert step.error.message == (
        "[STEP_FAILED] Step not_df (silver) failed: its transform returned int, "
        "expected a DataFrame."
    )


def test_rule_on_a_missing_column_fails_the_step(failed: Failed) -> None:
    step = failed.report.step("bad_rule")
    assert step.status is StepStatus.FAILED
    assert step.error is not None
    assert step.error.type == "AnalysisException"
    assert "missing" in step.error.message
    assert (step.input_rows, step.output_rows) == (3, None)


def test_failed_run_metrics(failed: Failed) -> None:
    metrics = failed.report.metrics
    assert (metrics.total_steps, metrics.successful_steps) == (8, 3)
    assert (metrics.failed_steps, metrics.skipped_steps) == (3, 2)


def test_threshold_failure_raises_when_asked(spark: SparkSession, schema: str) -> None:
    config = PipelineConfig(
        thresholds=ValidationThresholds(bronze=90.0, silver=90.0, gold=0.0),
        raise_on_failure=True,
        quarantine_invalid=True,
    )
    kind_present = {"kind": [Rule("kind_present", F.col("kind").isNotNull())]}
    pipeline = (
        PipelineBuilder(spark, schema=schema, config=config, pipeline_name="strict")
        .with_bronze_rules(name="strict", rules=kind_present)
        .with_bronze_rules(name="loose", rules={})
        .add_silver_transform(
            name="from_strict", source_bronze="strict", transform=identity, rules={},
            table_name="from_strict",
        )
        .add_silver_transform(
            name="from_loose", source_bronze="loose", transform=identity, rules=kind_present,
            table_name="from_loose",
        )
        .to_pipeline()
    )  # fmt: skip
    events = spark.createDataFrame(EVENTS, EVENTS_DDL)
    with pytest.raises(PipelineError) as caught:
        pipeline.run_initial_load(bronze_sources={"strict": events, "loose": events})
    assert caught.value.code == "PIPELINE_RUN_FAILED"
    assert "step(s) strict, from_loose failed" in str(caught.value)
    report = caught.value.report
    assert report is not None
    assert report.status is RunStatus.FAILED
    assert caught.value.params["run_id"] == report.run_id
    bronze = report.step("strict")
    assert (bronze.status, bronze.valid_rows, bronze.invalid_rows) == (StepStatus.FAILED, 2, 1)
    assert bronze.error is not None
    assert bronze.error.type == "ValidationError"
    assert bronze.error.message == (
        "[VALIDATION_THRESHOLD] Step strict (bronze) validation rate 66.66% is below the "
        "bronze minimum of 90%."
    )
    assert report.step("from_strict").status is StepStatus.SKIPPED
    silver = report.step("from_loose")
    # Counted, below the threshold, so nothing written: not even the quarantine.
    assert (silver.status, silver.valid_rows, silver.invalid_rows) == (StepStatus.FAILED, 2, 1)
    assert (silver.rows_written, silver.write_mode) == (None, None)
    assert silver.error is not None
    assert silver.error.message.startswith("[VALIDATION_THRESHOLD] Step from_loose (silver)")
    for table in ("from_strict", "from_loose", "from_loose_quarantine"):
        assert not _exists(spark, schema, table)
    assert report_problems(report) == []

"""Validation-only runs, concurrent steps, empty inputs and incremental edge cases."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F

from sparkforge import table_operations as tables
from sparkforge.models import PipelineConfig, RunStatus, StepStatus, ValidationThresholds
from sparkforge.pipeline import PipelineBuilder
from sparkforge.validation import Rule

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineReport

pytestmark = pytest.mark.delta

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc)
EVENTS_DDL = "id BIGINT, at TIMESTAMP, score DOUBLE"
NO_LIMITS = ValidationThresholds(bronze=0.0, silver=0.0, gold=0.0)
Event = tuple[int, "datetime | None", "float | None"]


def identity(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    return df


def _exists(spark: SparkSession, schema: str, table: str) -> bool:
    return tables.table_exists(spark, tables.TableRef.named(schema, table))


def _events(spark: SparkSession, rows: Sequence[Event]) -> DataFrame:
    return spark.createDataFrame(rows, EVENTS_DDL)


# ----------------------------------------------------------------------------- validation only


def test_validation_only_measures_everything_and_writes_nothing(spark: SparkSession) -> None:
    schema = f"t_vo_{uuid.uuid4().hex[:8]}"  # never created: the run must not create it
    positive = {"score": [Rule("positive", F.col("score") > 0)]}
    pipeline = (
        PipelineBuilder(
            spark,
            schema=schema,
            config=PipelineConfig(thresholds=NO_LIMITS, quarantine_invalid=True),
        )
        .with_bronze_rules(
            name="events", rules={"id": [F.col("id").isNotNull()]}, incremental_col="at"
        )
        .add_silver_transform(
            name="scored",
            source_bronze="events",
            transform=identity,
            rules=positive,
            table_name="scored",
        )
        .add_gold_transform(
            name="total",
            transform=lambda spark, silvers: silvers["scored"].agg(F.sum("score").alias("total")),
            rules={},
            table_name="total",
        )
        .to_pipeline()
    )
    rows: list[Event] = [(1, T0, 1.0), (2, T0, -1.0), (3, T0, 2.0), (4, None, None)]
    report = pipeline.run_validation_only(bronze_sources={"events": _events(spark, rows)})
    assert report.status is RunStatus.SUCCESS
    scored, total = report.step("scored"), report.step("total")
    assert (scored.input_rows, scored.valid_rows, scored.invalid_rows) == (4, 2, 2)
    assert (scored.rows_written, scored.write_mode, scored.filtered_rows) == (None, None, None)
    # Gold reads the silver step's valid rows, since no table holds them.
    assert (total.input_rows, total.output_rows, total.valid_rows) == (2, 1, 1)
    assert (total.rows_written, total.write_mode) == (None, None)
    assert scored.table_fqn == f"{schema}.scored"
    assert not spark.catalog.databaseExists(schema)


# ----------------------------------------------------------------------------- concurrency


def _two_silvers(
    spark: SparkSession, parallel: int, transform_hook: threading.Barrier | None
) -> tuple[PipelineReport, int]:
    lock = threading.Lock()
    state = {"active": 0, "peak": 0}

    def tracked(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        try:
            if transform_hook is not None:
                transform_hook.wait(timeout=60)  # both must be inside at once to get past
            return df
        finally:
            with lock:
                state["active"] -= 1

    pipeline = (
        PipelineBuilder(
            spark,
            schema="t_parallel",
            config=PipelineConfig(thresholds=NO_LIMITS, max_parallel_steps=parallel),
        )
        .with_bronze_rules(name="events", rules={})
        .add_silver_transform(
            name="a", source_bronze="events", transform=tracked, rules={}, table_name="a"
        )
        .add_silver_transform(
            name="b", source_bronze="events", transform=tracked, rules={}, table_name="b"
        )
        .to_pipeline()
    )
    report = pipeline.run_validation_only(bronze_sources={"events": _events(spark, [(1, T0, 1.0)])})
    return report, state["peak"]


def test_max_parallel_steps_runs_independent_silvers_at_once(spark: SparkSession) -> None:
    report, peak = _two_silvers(spark, 2, threading.Barrier(2))
    assert report.status is RunStatus.SUCCESS
    assert peak == 2
    a, b = report.step("a"), report.step("b")
    assert a.started_at is not None and b.started_at is not None  # noqa: PT018
    assert a.ended_at is not None and b.ended_at is not None  # noqa: PT018
    assert a.started_at < b.ended_at
    assert b.started_at < a.ended_at


def test_max_parallel_steps_one_runs_steps_one_by_one(spark: SparkSession) -> None:
    report, peak = _two_silvers(spark, 1, None)
    assert report.status is RunStatus.SUCCESS
    assert peak == 1
    a, b = report.step("a"), report.step("b")
    assert a.ended_at is not None and b.started_at is not None  # noqa: PT018
    assert a.ended_at <= b.started_at


# ----------------------------------------------------------------------------- incremental edges


def test_incremental_edge_cases_on_real_tables(spark: SparkSession, schema: str) -> None:
    config = PipelineConfig(thresholds=NO_LIMITS)
    pipeline = (
        PipelineBuilder(spark, schema=schema, config=config)
        .with_bronze_rules(name="events", rules={}, incremental_col="at")
        .with_bronze_rules(name="other", rules={}, incremental_col="missing_col")
        .add_silver_transform(
            name="all_events", source_bronze="events", transform=identity, rules={},
            table_name="all_events",
        )
        .add_silver_transform(
            name="typed", source_bronze="events", transform=identity, rules={}, table_name="typed",
            watermark_col="id",
        )
        .add_silver_transform(
            name="no_wm", source_bronze="events", rules={}, table_name="no_wm",
            transform=lambda spark, df, prior: df.drop("at"),
        )
        .add_silver_transform(
            name="from_other", source_bronze="other", transform=identity, rules={},
            table_name="from_other",
        )
        .to_pipeline()
    )  # fmt: skip
    first: list[Event] = [(1, T0, 1.0), (2, T0 + timedelta(hours=1), 2.0)]
    newer: Event = (3, T0 + timedelta(hours=2), 3.0)

    def run(mode: str, rows: Sequence[Event]) -> PipelineReport:
        sources = {"events": _events(spark, rows), "other": _events(spark, rows)}
        if mode == "incremental":
            return pipeline.run_incremental(bronze_sources=sources)
        return pipeline.run_initial_load(bronze_sources=sources)

    # 1. Incremental into tables that do not exist, with nothing to load: created empty.
    report = run("incremental", [])
    step = report.step("all_events")
    assert (step.status, step.previous_watermark, step.input_rows, step.filtered_rows) == (
        StepStatus.SUCCESS, None, 0, 0,
    )  # fmt: skip
    assert (step.output_rows, step.rows_written, step.write_mode) == (0, 0, "append")
    assert spark.table(f"{schema}.all_events").count() == 0
    other = report.step("from_other")
    assert other.status is StepStatus.FAILED
    assert other.error is not None
    assert "incremental column 'missing_col' is not a column of 'other'" in other.error.message

    # 2. The table is empty, so there is no watermark yet: every row is appended.
    report = run("incremental", first)
    step = report.step("all_events")
    assert (step.previous_watermark, step.filtered_rows, step.rows_written) == (None, 0, 2)
    assert spark.table(f"{schema}.all_events").count() == 2

    # 3. Then only the newer row is appended; bad watermark columns fail their step only.
    report = run("incremental", [*first, newer])
    step = report.step("all_events")
    assert (step.previous_watermark, step.input_rows, step.filtered_rows, step.rows_written) == (
        T0 + timedelta(hours=1), 3, 2, 1,
    )  # fmt: skip
    assert {r["id"] for r in spark.table(f"{schema}.all_events").collect()} == {1, 2, 3}
    typed, no_wm = report.step("typed"), report.step("no_wm")
    assert typed.status is no_wm.status is StepStatus.FAILED
    assert typed.error is not None
    assert no_wm.error is not None
    assert typed.error.message == (
        f"[STEP_FAILED] Step typed (silver) failed: watermark column 'id' of {schema}.typed "
        "is bigint, expected timestamp."
    )
    assert f"watermark column 'at' is not a column of {schema}.no_wm" in no_wm.error.message
    assert report.status is RunStatus.FAILED

    # 4. Nothing new: an append of no rows makes no commit and writes 0 rows.
    report = run("incremental", first)
    step = report.step("all_events")
    assert (step.input_rows, step.filtered_rows, step.rows_written) == (2, 2, 0)
    assert step.previous_watermark == T0 + timedelta(hours=2)

    # 5. An initial load of nothing empties the tables, by a Delta overwrite.
    report = run("initial", [])
    step = report.step("all_events")
    assert (step.input_rows, step.valid_rows, step.validation_rate, step.rows_written) == (
        0,
        0,
        100.0,
        0,
    )
    assert step.write_mode == "overwrite"
    assert report.step("from_other").status is StepStatus.SUCCESS  # no filtering in full loads
    assert spark.table(f"{schema}.all_events").count() == 0
    history = tables.history(spark, tables.TableRef.named(schema, "all_events"))
    operations = [r["operation"] for r in history.orderBy("version").collect()]
    # Run 1 created the table by itself (then appended nothing); run 4's empty append made
    # no commit.
    assert operations == [
        "CREATE TABLE", "WRITE", "WRITE", "CREATE OR REPLACE TABLE AS SELECT",
    ]  # fmt: skip


def test_first_run_incremental_measures_rows_written_from_delta(
    spark: SparkSession, schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = PipelineConfig(thresholds=NO_LIMITS, quarantine_invalid=True)
    pipeline = (
        PipelineBuilder(spark, schema=schema, config=config)
        .with_bronze_rules(name="events", rules={}, incremental_col="at")
        .add_silver_transform(
            name="scored", source_bronze="events", transform=identity, table_name="scored",
            rules={"score": [Rule("positive", F.col("score") > 0)]},
        )
        .to_pipeline()
    )  # fmt: skip
    rows: list[Event] = [(1, T0, 1.0), (2, T0, 2.0), (3, T0, -1.0)]
    with caplog.at_level("WARNING", logger="sparkforge"):
        report = pipeline.run_incremental(bronze_sources={"events": _events(spark, rows)})
    assert report.status is RunStatus.SUCCESS
    step = report.step("scored")
    assert (step.write_mode, step.valid_rows, step.invalid_rows) == ("append", 2, 1)
    # The silver table did not exist: the append created it, and its commit was still found.
    history = tables.history(spark, tables.TableRef.named(schema, "scored"))
    commits = history.orderBy("version").select("operation", "operationMetrics").collect()
    assert [c["operation"] for c in commits] == ["CREATE TABLE", "WRITE"]
    assert step.rows_written == int(commits[1]["operationMetrics"]["numOutputRows"]) == 2
    assert not [r for r in caplog.records if "rows_written not measured" in r.getMessage()]

"""summarize and rule_failures over a real log (Spark + Delta), every field checked exactly.

The log: two pipelines, five runs. ``orders``: two successful runs, then one whose ``clean``
step failed (its ``publish`` step skipped), with no run-level row. ``billing``: one success,
then a failed run with a failed step and a run-level error row. The session time zone is
Asia/Kolkata (tests/conftest.py) and the first run starts at 23:30 UTC, the next day there.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge.errors import TableOperationError, ValidationError
from sparkforge.reporting.rule_failures import RULE_FAILURE_COLUMNS, rule_failures
from sparkforge.reporting.summary import summarize
from sparkforge.writer.models import LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, Row, SparkSession

    from sparkforge.reporting.summary import LogSummary

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def _rule(rule: str, column: str | None, failed: int) -> dict[str, Any]:
    return {"rule": rule, "column": column, "failed_rows": failed}


def _run(
    pipeline: str,
    run_id: str,
    started: datetime,
    secs: float,
    status: str,
    steps: list[dict[str, Any]],
    run_error: str | None = None,
) -> list[dict[str, Any]]:
    base: dict[str, Any] = dict.fromkeys(LOG_SCHEMA.fieldNames())
    base.update(
        run_mode="initial",
        run_started_at=started,
        run_ended_at=started + timedelta(seconds=secs),
        run_id=run_id,
        pipeline_name=pipeline,
        run_status=status,
        run_date=started.date(),
        row_kind="step",
        rule_results=[],
        tags={},
        logged_at=started,
        schema_version=1,
        writer_version="test",
    )
    rows = [{**base, "step_index": index, **step} for index, step in enumerate(steps)]
    if run_error is not None or not steps:
        rows.append({**base, "row_kind": "run", "error_message": run_error})
    return rows


def _step(
    name: str,
    phase: str,
    *,
    secs: float | None,
    written: int | None = None,
    rate: float | None = None,
    status: str = "success",
    rules: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "step": name,
        "phase": phase,
        "step_status": status,
        "duration_secs": secs,
        "rows_written": written,
        "validation_rate": rate,
        "rule_results": rules or [],
        "error_message": error,
    }


def _rows() -> list[dict[str, Any]]:
    passed = _rule("not_null", "id", 0)
    return [
        *_run("orders", "o1", T0, 10.0, "success", [
            _step("load", "bronze", secs=2.0, written=100, rate=100.0, rules=[passed]),
            _step("clean", "silver", secs=4.0, written=90, rate=90.0,
                  rules=[_rule("not_null", "id", 6), _rule("positive", "amount", 4)]),
        ]),
        *_run("orders", "o2", T0 + HOUR, 20.0, "success", [
            _step("load", "bronze", secs=3.0, written=200, rate=100.0, rules=[passed]),
            _step("clean", "silver", secs=5.0, written=180, rate=95.0,
                  rules=[_rule("not_null", "id", 10)]),
        ]),
        *_run("orders", "o3", T0 + 2 * HOUR, 30.0, "failed", [
            _step("load", "bronze", secs=1.0, written=50, rate=100.0),
            _step("clean", "silver", secs=6.0, status="failed", error="boom in clean"),
            _step("publish", "gold", secs=None, status="skipped"),
        ]),
        *_run("billing", "b1", T0 + HOUR / 2, 7.5, "success", [
            _step("ingest", "bronze", secs=1.5, written=10, rate=80.0,
                  rules=[_rule("range", None, 2)]),
        ]),
        *_run("billing", "b2", T0 + 3 * HOUR, 1.0, "failed", [
            _step("ingest", "bronze", secs=0.5, status="failed", error="ingest failed"),
        ], run_error="connection lost"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def log(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> DataFrame:
    """Return the log, written to a Delta path and read back: the summary reads real Delta."""
    path = str(tmp_path_factory.mktemp("summary_log") / "log")
    spark.createDataFrame(_rows(), LOG_SCHEMA).write.format("delta").save(path)
    return spark.read.format("delta").load(path)


def _jobs(spark: SparkSession, action: Callable[[], object]) -> int:
    context = spark.sparkContext
    group = f"sparkforge-summary-{uuid.uuid4().hex}"
    context.setJobGroup(group, "summary")
    try:
        action()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
    return len(context.statusTracker().getJobIdsForGroup(group))


def _linear(values: list[float], q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _instants(result: object) -> int:
    """Return how many instants ``result`` holds, checking each is UTC-aware (tzinfo UTC)."""
    if isinstance(result, datetime):
        assert result.tzinfo is timezone.utc
        return 1
    if isinstance(result, tuple):
        return sum(_instants(item) for item in result)
    if dataclasses.is_dataclass(result):
        return sum(_instants(getattr(result, f.name)) for f in dataclasses.fields(result))
    return 0


def _cache_is_empty(spark: SparkSession) -> bool:
    return bool(spark._jsparkSession.sharedState().cacheManager().isEmpty())


def test_summary_every_field_exact(
    spark: SparkSession, log: DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spy on collect: the summary collects three small results, each read from the cache.
    plans: list[str] = []
    # The classic DataFrame class (pyspark.sql.classic's on PySpark 4, pyspark.sql's on 3.5).
    frame_type = type(log)
    collect = frame_type.collect

    def spy(self: Any) -> list[Row]:
        plans.append(self._jdf.queryExecution().optimizedPlan().toString())
        return collect(self)

    monkeypatch.setattr(frame_type, "collect", spy)
    results: list[LogSummary] = []
    jobs = _jobs(spark, lambda: results.append(summarize(log)))
    monkeypatch.undo()
    assert len(plans) == 3
    assert all("InMemoryRelation" in plan for plan in plans)  # the window's rows, cached
    assert _cache_is_empty(spark)  # and released
    # Measured 14: adaptive execution runs each shuffle stage of the three as its own job.
    assert 3 <= jobs <= 20, jobs
    (result,) = results

    assert (result.since, result.until) == (None, None)
    assert (result.runs, result.rows) == (5, 10)
    assert result.first_run_at == T0
    assert result.last_run_at == T0 + 3 * HOUR
    assert _instants(result) == 2 + 2 * 3  # first, last; first, last, failed per pipeline
    assert [p.pipeline_name for p in result.pipelines] == ["billing", "orders"]
    billing, orders = result.pipelines

    assert (orders.runs, orders.succeeded_runs, orders.failed_runs) == (3, 2, 1)
    assert orders.success_rate == pytest.approx(200 / 3, rel=1e-15)
    assert (orders.first_run_at, orders.last_run_at) == (T0, T0 + 2 * HOUR)
    assert orders.last_status == "failed"
    assert orders.last_failed_at == T0 + 2 * HOUR
    assert orders.last_error_message == "boom in clean"  # the failed step's: no run row
    assert orders.run_duration_p50_secs == 20.0
    assert orders.run_duration_p95_secs == pytest.approx(29.0, abs=1e-9)
    assert orders.run_duration_p95_secs == pytest.approx(_linear([10.0, 20.0, 30.0], 0.95))
    assert orders.rows_written == 100 + 90 + 200 + 180 + 50
    assert orders.mean_validation_rate == pytest.approx(97.0, abs=1e-12)
    assert [(s.step, s.phase) for s in orders.steps] == [
        ("load", "bronze"),
        ("clean", "silver"),
        ("publish", "gold"),
    ]
    load, clean, publish = orders.steps
    assert (load.runs, load.failed, load.skipped) == (3, 0, 0)
    assert load.duration_p50_secs == 2.0
    assert load.duration_p95_secs == pytest.approx(2.9, abs=1e-9)
    assert load.duration_max_secs == 3.0
    assert (load.rows_written, load.mean_validation_rate, load.min_validation_rate) == (
        350,
        100.0,
        100.0,
    )
    assert load.top_failing_rules == ()  # rules with 0 failed rows are not failures
    assert (clean.runs, clean.failed, clean.skipped) == (3, 1, 0)
    assert clean.duration_p50_secs == 5.0
    assert clean.duration_p95_secs == pytest.approx(5.9, abs=1e-9)
    assert clean.duration_max_secs == 6.0
    assert (clean.rows_written, clean.mean_validation_rate, clean.min_validation_rate) == (
        270,
        92.5,
        90.0,
    )
    assert [r.to_dict() for r in clean.top_failing_rules] == [
        {"rule": "not_null", "column": "id", "failed_rows": 16, "runs": 2},
        {"rule": "positive", "column": "amount", "failed_rows": 4, "runs": 1},
    ]
    assert (publish.runs, publish.failed, publish.skipped) == (1, 0, 1)
    assert (publish.duration_p50_secs, publish.duration_p95_secs) == (None, None)
    assert publish.duration_max_secs is None
    assert (publish.rows_written, publish.mean_validation_rate) == (None, None)
    assert (publish.min_validation_rate, publish.top_failing_rules) == (None, ())

    assert (billing.runs, billing.succeeded_runs, billing.failed_runs) == (2, 1, 1)
    assert billing.success_rate == 50.0
    assert (billing.first_run_at, billing.last_run_at) == (T0 + HOUR / 2, T0 + 3 * HOUR)
    assert (billing.last_status, billing.last_failed_at) == ("failed", T0 + 3 * HOUR)
    assert billing.last_error_message == "connection lost"  # the run row's error wins
    assert billing.run_duration_p50_secs == 4.25
    assert billing.run_duration_p95_secs == pytest.approx(7.175, abs=1e-9)
    assert (billing.rows_written, billing.mean_validation_rate) == (10, 80.0)
    (ingest,) = billing.steps
    assert (ingest.step, ingest.phase, ingest.runs, ingest.failed, ingest.skipped) == (
        "ingest",
        "bronze",
        2,
        1,
        0,
    )
    assert (ingest.duration_p50_secs, ingest.duration_max_secs) == (1.0, 1.5)
    assert ingest.duration_p95_secs == pytest.approx(1.45, abs=1e-9)
    assert (ingest.rows_written, ingest.mean_validation_rate, ingest.min_validation_rate) == (
        10,
        80.0,
        80.0,
    )
    assert [str(r) for r in ingest.top_failing_rules] == ["range: 2 failed rows in 1 run(s)"]
    text = str(result)
    assert "billing" in text
    assert "boom in clean" in text
    assert "2026-03-01 23:30:00 UTC" in text


def test_summary_window_pipeline_and_top_rules(log: DataFrame) -> None:
    since, until = T0 + HOUR, T0 + 3 * HOUR
    windowed = summarize(log, since=since, until=until, top_rules=1)
    assert (windowed.since, windowed.until) == (since, until)
    assert (windowed.runs, windowed.rows) == (2, 5)  # o2 and o3; b2 starts at until
    (orders,) = windowed.pipelines
    assert (orders.pipeline_name, orders.runs, orders.first_run_at) == ("orders", 2, since)
    assert orders.run_duration_p50_secs == 25.0
    clean = orders.steps[1]
    assert [(r.rule, r.failed_rows, r.runs) for r in clean.top_failing_rules] == [
        ("not_null", 10, 1)
    ]

    only = summarize(log, pipeline_name=["billing"], since=T0.astimezone(timezone(HOUR)))
    assert [p.pipeline_name for p in only.pipelines] == ["billing"]
    assert only.since == T0
    assert _instants(only) == 1 + 2 + 3  # since; first, last; one pipeline

    empty = summarize(log, pipeline_name="nobody")
    assert (empty.pipelines, empty.runs, empty.rows) == ((), 0, 0)
    assert (empty.first_run_at, empty.last_run_at) == (None, None)


def test_rule_failures_rows_and_filters(spark: SparkSession, log: DataFrame) -> None:
    frame = rule_failures(log)
    assert tuple(frame.columns) == RULE_FAILURE_COLUMNS
    assert isinstance(frame.schema["run_started_at"].dataType, T.TimestampType)
    rows = frame.select(
        "pipeline_name",
        "run_id",
        F.unix_micros("run_started_at").alias("us"),
        "step",
        "phase",
        "rule",
        "column",
        "failed_rows",
    ).collect()
    got = sorted(tuple(row) for row in rows)

    def us(moment: datetime) -> int:
        return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)

    assert got == [
        ("billing", "b1", us(T0 + HOUR / 2), "ingest", "bronze", "range", None, 2),
        ("orders", "o1", us(T0), "clean", "silver", "not_null", "id", 6),
        ("orders", "o1", us(T0), "clean", "silver", "positive", "amount", 4),
        ("orders", "o2", us(T0 + HOUR), "clean", "silver", "not_null", "id", 10),
    ]
    assert rule_failures(log, pipeline_name="billing").count() == 1
    assert rule_failures(log, since=T0 + HOUR / 2, until=T0 + HOUR).count() == 1
    assert rule_failures(log, since=T0 + HOUR).count() == 1


def test_rule_failures_is_lazy(spark: SparkSession, log: DataFrame) -> None:
    assert _jobs(spark, lambda: rule_failures(log, pipeline_name=("orders",), since=T0)) == 0


def test_missing_column_is_reported_before_any_job(spark: SparkSession, log: DataFrame) -> None:
    partial = log.drop("rule_results")
    errors: list[ValidationError] = []

    def attempt(call: Callable[[], object]) -> None:
        with pytest.raises(ValidationError) as caught:
            call()
        errors.append(caught.value)

    assert _jobs(spark, lambda: attempt(lambda: summarize(partial))) == 0
    assert _jobs(spark, lambda: attempt(lambda: rule_failures(partial))) == 0
    assert [error.code for error in errors] == ["ANALYSIS_LOG_INVALID"] * 2
    assert all("rule_results" in str(error) for error in errors)


def test_bad_arguments_are_reported_before_any_job(spark: SparkSession, log: DataFrame) -> None:
    def attempt() -> None:
        with pytest.raises(ValidationError) as caught:
            summarize(log, since=T0, until=T0, top_rules=0)
        assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
        assert "until" in str(caught.value)
        assert "top_rules" in str(caught.value)

    assert _jobs(spark, attempt) == 0


def test_spark_failure_is_wrapped_and_the_cache_released(
    spark: SparkSession, log: DataFrame
) -> None:
    # rule_results of the wrong type: analysed only when the rule level is built, after the
    # run and step levels ran over the cached window.
    broken = log.withColumn("rule_results", F.lit("not an array"))
    with pytest.raises(TableOperationError) as caught:
        summarize(broken)
    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert "summary on the run log failed" in str(caught.value)
    assert _cache_is_empty(spark)
    with pytest.raises(TableOperationError) as caught:
        rule_failures(broken)
    assert "rule_failures on the run log failed" in str(caught.value)

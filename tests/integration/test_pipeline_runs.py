"""A pipeline with known bad rows, run three times; every count is checked against Delta.

One module-scoped pipeline runs an initial load, an incremental run and a full refresh. The
Spark session's time zone is Asia/Kolkata (conftest) and, while the runs execute, the Python
process's local time zone is America/New_York, so any instant that picks up either zone shows
up as a wrong watermark, a wrong filter or a wrong timestamp.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F

from sparkforge import table_operations as tables
from sparkforge.logging import context_of
from sparkforge.models import (
    PipelineConfig,
    PipelineReport,
    RunMode,
    RunStatus,
    StepStatus,
    ValidationThresholds,
)
from sparkforge.pipeline import QUARANTINE_AT_COL, QUARANTINE_RUN_ID_COL, PipelineBuilder
from sparkforge.validation import FAILED_RULES_COL, Rule
from sparkforge.writer.models import report_problems

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.delta

T0 = datetime(2026, 1, 5, 0, 0, 0, 123456, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ORDERS_DDL = (
    "order_id BIGINT, customer_id STRING, amount DOUBLE, status STRING, ordered_at TIMESTAMP"
)


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


BATCH_1 = [
    (1, "c1", 10.0, "paid", _h(1)),
    (2, "c2", 20.0, "paid", _h(2)),
    (3, "c1", -5.0, "paid", _h(3)),  # silver: non_negative
    (None, "c3", 7.0, "paid", _h(4)),  # bronze: id_present
    (5, "c2", None, "paid", _h(5)),  # bronze: amount_present
    (6, "c3", 30.0, None, _h(6)),  # silver: known_status is NULL -> invalid
    (7, "c1", 40.0, "refunded", _h(7)),
    (8, "c2", -15.0, "bogus", _h(8)),  # silver: non_negative AND known_status
    (9, "c3", 12.5, "paid", _h(9)),  # the newest valid row: the watermark
    (10, None, 5.0, "paid", _h(10)),  # silver: customer_present (newer, but never stored)
]
BATCH_2 = [
    (11, "c1", 50.0, "paid", _h(11)),
    (12, "c2", -1.0, "paid", _h(12)),  # silver: non_negative
    (None, "c1", 3.0, "paid", _h(13)),  # bronze: id_present
    (14, "c3", 8.0, "paid", _h(9)),  # equal to the watermark: not newer, filtered
    (15, "c1", 9.0, "paid", _h(2)),  # older: filtered
    (16, "c3", 11.0, "paid", None),  # no timestamp: not newer, filtered
    (18, "c2", 6.0, "paid", _h(9) + timedelta(microseconds=1)),  # 1 us newer: kept
]
CUSTOMERS = [("c1", "gold"), ("c2", "silver"), ("c3", None), (None, "gold")]


def clean_orders(
    spark: SparkSession, bronze_df: DataFrame, prior: dict[str, DataFrame]
) -> DataFrame:
    return bronze_df.withColumn("amount_cents", (F.col("amount") * 100).cast("long"))


def customer_orders(
    spark: SparkSession, bronze_df: DataFrame, prior: dict[str, DataFrame]
) -> DataFrame:
    per_customer = (
        prior["clean_orders"].groupBy("customer_id").agg(F.count(F.lit(1)).alias("orders"))
    )
    return bronze_df.join(per_customer, "customer_id", "left").select(
        "customer_id", "tier", F.coalesce("orders", F.lit(0)).alias("orders")
    )


def customer_revenue(spark: SparkSession, silvers: dict[str, DataFrame]) -> DataFrame:
    return (
        silvers["clean_orders"]
        .groupBy("customer_id")
        .agg(F.sum("amount").alias("revenue"), F.count(F.lit(1)).alias("orders"))
    )


def silver_sizes(spark: SparkSession, silvers: dict[str, DataFrame]) -> DataFrame:
    sizes = [
        df.select(F.lit(name).alias("silver"), F.lit(1).alias("one"))
        for name, df in silvers.items()
    ]
    union = sizes[0]
    for df in sizes[1:]:
        union = union.unionByName(df)
    return union.groupBy("silver").agg(F.count(F.lit(1)).alias("rows"))


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass(frozen=True)
class Shop:
    schema: str
    initial: PipelineReport
    incremental: PipelineReport
    refresh: PipelineReport
    window: tuple[datetime, datetime]
    logs: list[logging.LogRecord]


@pytest.fixture(scope="module")
def shop(spark: SparkSession) -> Iterator[Shop]:
    schema = f"t_shop_{uuid.uuid4().hex[:8]}"
    config = PipelineConfig(
        thresholds=ValidationThresholds(bronze=50.0, silver=40.0, gold=50.0),
        max_parallel_steps=2,
        quarantine_invalid=True,
    )
    pipeline = (
        PipelineBuilder(spark, schema=schema, config=config, pipeline_name="shop")
        .with_bronze_rules(
            name="orders",
            rules={
                "order_id": [Rule("id_present", F.col("order_id").isNotNull())],
                "amount": [Rule("amount_present", F.col("amount").isNotNull())],
            },
            incremental_col="ordered_at",
        )
        .with_bronze_rules(
            name="customers",
            rules={"customer_id": {"customer_present": F.col("customer_id").isNotNull()}},
        )
        .add_silver_transform(
            name="clean_orders",
            source_bronze="orders",
            transform=clean_orders,
            rules={
                "amount": [Rule("non_negative", F.col("amount") >= 0)],
                "status": [Rule("known_status", F.col("status").isin("paid", "refunded"))],
                "customer_id": [Rule("customer_present", F.col("customer_id").isNotNull())],
            },
            table_name="clean_orders",
        )
        .add_silver_transform(
            name="customer_orders",
            source_bronze="customers",
            source_silvers=["clean_orders"],
            transform=customer_orders,
            rules={"tier": [Rule("known_tier", F.col("tier").isin("gold", "silver"))]},
            table_name="customer_orders",
        )
        .add_gold_transform(
            name="customer_revenue",
            transform=customer_revenue,
            rules={"revenue": [Rule("min_revenue", F.col("revenue") >= 15)]},
            table_name="customer_revenue",
            source_silvers=["clean_orders"],
        )
        .add_gold_transform(
            name="silver_sizes", transform=silver_sizes, rules={}, table_name="silver_sizes"
        )
        .to_pipeline()
    )
    customers = spark.createDataFrame(CUSTOMERS, "customer_id STRING, tier STRING")
    handler = _Records()
    library_log = logging.getLogger("sparkforge")
    old_level = library_log.level
    library_log.addHandler(handler)
    library_log.setLevel(logging.INFO)
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        # Built under the hostile zone: aware datetimes must still become the right instants.
        batch_1 = spark.createDataFrame(BATCH_1, ORDERS_DDL)
        batch_2 = spark.createDataFrame(BATCH_2, ORDERS_DDL)
        before = datetime.now(timezone.utc)
        initial = pipeline.run_initial_load(
            bronze_sources={"orders": batch_1, "customers": customers}, tags={"batch": "1"}
        )
        incremental = pipeline.run_incremental(
            bronze_sources={"orders": batch_2, "customers": customers}
        )
        refresh = pipeline.run_full_refresh(
            bronze_sources={"orders": batch_1.unionByName(batch_2), "customers": customers}
        )
        after = datetime.now(timezone.utc)
    finally:
        if old_tz is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old_tz
        time.tzset()
        library_log.removeHandler(handler)
        library_log.setLevel(old_level)
    yield Shop(schema, initial, incremental, refresh, (before, after), handler.records)
    spark.sql(f"DROP DATABASE IF EXISTS {schema} CASCADE")


# ----------------------------------------------------------------------------- helpers


def _table(spark: SparkSession, shop: Shop, name: str, version: int | None = None) -> DataFrame:
    # SQL time travel: it reads the version's own schema on Spark 3.5 too.
    suffix = "" if version is None else f" VERSION AS OF {version}"
    return spark.sql(f"SELECT * FROM {shop.schema}.{name}{suffix}")


def _ids(df: DataFrame) -> set[int | None]:
    return {row["order_id"] for row in df.select("order_id").collect()}


def _history(spark: SparkSession, shop: Shop, name: str) -> list[tuple[int, str, int]]:
    ref = tables.TableRef.named(shop.schema, name)
    rows = tables.history(spark, ref).select("version", "operation", "operationMetrics").collect()
    return sorted(
        (r["version"], r["operation"], int(r["operationMetrics"]["numOutputRows"])) for r in rows
    )


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _counts(report: PipelineReport, step: str) -> dict[str, object]:
    result = report.step(step)
    return {
        "status": result.status,
        "input": result.input_rows,
        "filtered": result.filtered_rows,
        "output": result.output_rows,
        "valid": result.valid_rows,
        "invalid": result.invalid_rows,
        "written": result.rows_written,
        "mode": result.write_mode,
        "rules": {r.rule: r.failed_rows for r in result.rule_results},
    }


# ----------------------------------------------------------------------------- the reports


def test_runs_succeed_with_every_step(shop: Shop) -> None:
    order = [
        "orders",
        "customers",
        "clean_orders",
        "customer_orders",
        "customer_revenue",
        "silver_sizes",
    ]
    for report, mode in (
        (shop.initial, RunMode.INITIAL),
        (shop.incremental, RunMode.INCREMENTAL),
        (shop.refresh, RunMode.FULL_REFRESH),
    ):
        assert (report.status, report.mode, report.error) == (RunStatus.SUCCESS, mode, None)
        assert [s.step_name for s in report.steps] == order
        assert {s.status for s in report.steps} == {StepStatus.SUCCESS}
        # The writer accepts the report as it is: types, ranges and cross-field facts.
        assert report_problems(report) == []


def test_initial_load_counts_are_exact(shop: Shop) -> None:
    report = shop.initial
    assert _counts(report, "orders") == {
        "status": StepStatus.SUCCESS, "input": 10, "filtered": None, "output": 10, "valid": 8,
        "invalid": 2, "written": None, "mode": None,
        "rules": {"id_present": 1, "amount_present": 1},
    }  # fmt: skip
    assert _counts(report, "clean_orders") == {
        "status": StepStatus.SUCCESS, "input": 8, "filtered": None, "output": 8, "valid": 4,
        "invalid": 4, "written": 4, "mode": "overwrite",
        "rules": {"non_negative": 2, "known_status": 2, "customer_present": 1},
    }  # fmt: skip
    assert _counts(report, "customers")["rules"] == {"customer_present": 1}
    assert _counts(report, "customer_orders") == {
        "status": StepStatus.SUCCESS, "input": 3, "filtered": None, "output": 3, "valid": 2,
        "invalid": 1, "written": 2, "mode": "overwrite", "rules": {"known_tier": 1},
    }  # fmt: skip
    assert _counts(report, "customer_revenue") == {
        "status": StepStatus.SUCCESS, "input": 4, "filtered": None, "output": 3, "valid": 2,
        "invalid": 1, "written": 2, "mode": "overwrite", "rules": {"min_revenue": 1},
    }  # fmt: skip
    # silver_sizes reads every silver table: 4 orders + 2 customers.
    assert _counts(report, "silver_sizes")["input"] == 6
    assert report.step("clean_orders").validation_rate == 50.0
    assert report.step("orders").validation_rate == 80.0
    assert report.step("customer_orders").validation_rate == pytest.approx(200 / 3)


def test_incremental_counts_are_exact(shop: Shop) -> None:
    report = shop.incremental
    assert _counts(report, "orders") == {
        "status": StepStatus.SUCCESS, "input": 7, "filtered": None, "output": 7, "valid": 6,
        "invalid": 1, "written": None, "mode": None,
        "rules": {"id_present": 1, "amount_present": 0},
    }  # fmt: skip
    # 6 valid bronze rows read; 14 (= watermark), 15 (older), 16 (no time) filtered out.
    assert _counts(report, "clean_orders") == {
        "status": StepStatus.SUCCESS, "input": 6, "filtered": 3, "output": 3, "valid": 2,
        "invalid": 1, "written": 2, "mode": "append",
        "rules": {"non_negative": 1, "known_status": 0, "customer_present": 0},
    }  # fmt: skip
    # Without an incremental column, customer_orders is recomputed and overwritten.
    assert _counts(report, "customer_orders")["mode"] == "overwrite"
    assert _counts(report, "customer_orders")["filtered"] is None
    assert _counts(report, "customer_revenue") == {
        "status": StepStatus.SUCCESS, "input": 6, "filtered": None, "output": 3, "valid": 2,
        "invalid": 1, "written": 2, "mode": "overwrite", "rules": {"min_revenue": 1},
    }  # fmt: skip
    assert _counts(report, "silver_sizes")["input"] == 8


def test_incremental_watermark_is_the_exact_utc_instant(shop: Shop) -> None:
    step = shop.incremental.step("clean_orders")
    # The silver table's max(ordered_at): order 9, not the newer but invalid order 10.
    assert step.previous_watermark == _h(9)
    assert step.previous_watermark is not None
    assert step.previous_watermark.tzinfo is timezone.utc
    assert step.previous_watermark.microsecond == 123456
    for report in (shop.initial, shop.refresh):
        assert report.step("clean_orders").previous_watermark is None
        assert report.step("clean_orders").filtered_rows is None


def test_full_refresh_overwrites_with_every_valid_row(shop: Shop) -> None:
    assert _counts(shop.refresh, "clean_orders") == {
        "status": StepStatus.SUCCESS, "input": 14, "filtered": None, "output": 14, "valid": 9,
        "invalid": 5, "written": 9, "mode": "overwrite",
        "rules": {"non_negative": 3, "known_status": 2, "customer_present": 1},
    }  # fmt: skip


# ----------------------------------------------------------------------------- the tables


@pytest.mark.parametrize(
    "table", ["clean_orders", "customer_orders", "customer_revenue", "silver_sizes"],
    ids=["clean_orders", "customer_orders", "customer_revenue", "silver_sizes"],
)  # fmt: skip
def test_rows_written_equal_what_delta_holds(spark: SparkSession, shop: Shop, table: str) -> None:
    history = _history(spark, shop, table)
    reports = [shop.initial, shop.incremental, shop.refresh]
    # One commit per run, in run order; Delta's own metrics agree with each report.
    assert [v for v, _, _ in history] == [0, 1, 2]
    for (version, _, delta_rows), report in zip(history, reports, strict=True):
        step = report.step(table)
        assert step.rows_written == delta_rows == step.valid_rows
        if step.write_mode == "overwrite":
            assert _table(spark, shop, table, version).count() == step.rows_written
    assert _table(spark, shop, table).count() == _table(spark, shop, table, 2).count()


def test_incremental_run_appends_only_the_new_rows(spark: SparkSession, shop: Shop) -> None:
    history = _history(spark, shop, "clean_orders")
    assert [op for _, op, _ in history][1] == "WRITE"
    v0 = _table(spark, shop, "clean_orders", 0)
    v1 = _table(spark, shop, "clean_orders", 1)
    assert _ids(v0) == {1, 2, 7, 9}
    assert _ids(v1) == {1, 2, 7, 9, 11, 18}
    assert v1.count() == v0.count() + shop.incremental.step("clean_orders").rows_written  # type: ignore[operator]
    assert _ids(_table(spark, shop, "clean_orders")) == {1, 2, 7, 9, 11, 14, 15, 16, 18}
    # The transform's column is there, and the appended instants are the bronze instants.
    row = v1.filter("order_id = 18").select(F.unix_micros("ordered_at"), "amount_cents").first()
    assert row is not None
    assert (row[0], row[1]) == (_micros(_h(9)) + 1, 600)


def test_gold_is_recomputed_from_whole_silver_tables(spark: SparkSession, shop: Shop) -> None:
    def revenue(version: int) -> dict[str, float]:
        rows = _table(spark, shop, "customer_revenue", version).collect()
        return {r["customer_id"]: r["revenue"] for r in rows}

    assert revenue(0) == {"c1": 50.0, "c2": 20.0}  # c3's 12.5 fails min_revenue
    assert revenue(1) == {"c1": 100.0, "c2": 26.0}
    sizes = {r["silver"]: r["rows"] for r in _table(spark, shop, "silver_sizes", 1).collect()}
    assert sizes == {"clean_orders": 6, "customer_orders": 2}


def test_prior_silvers_are_the_tables_after_their_step(spark: SparkSession, shop: Shop) -> None:
    def orders(version: int) -> dict[str, int]:
        rows = _table(spark, shop, "customer_orders", version).collect()
        return {r["customer_id"]: r["orders"] for r in rows}

    assert orders(0) == {"c1": 2, "c2": 1}
    assert orders(1) == {"c1": 3, "c2": 2}  # after clean_orders appended 11 and 18


def test_quarantine_holds_exactly_the_invalid_rows(spark: SparkSession, shop: Shop) -> None:
    quarantine = _table(spark, shop, "clean_orders_quarantine")
    per_run = {
        r[QUARANTINE_RUN_ID_COL]: r["n"]
        for r in quarantine.groupBy(QUARANTINE_RUN_ID_COL)
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    }
    assert per_run == {
        report.run_id: report.step("clean_orders").invalid_rows
        for report in (shop.initial, shop.incremental, shop.refresh)
    }
    initial = quarantine.filter(F.col(QUARANTINE_RUN_ID_COL) == shop.initial.run_id)
    failed = {r["order_id"]: r[FAILED_RULES_COL] for r in initial.collect()}
    assert failed == {
        3: ["non_negative"],
        6: ["known_status"],
        8: ["non_negative", "known_status"],
        10: ["customer_present"],
    }
    # The quarantine instant is a UTC instant inside the run, whatever the zones.
    low, high = _micros(shop.initial.started_at), _micros(shop.initial.ended_at)
    stamps = [r[0] for r in initial.select(F.unix_micros(QUARANTINE_AT_COL)).collect()]
    assert all(low <= stamp <= high for stamp in stamps)
    gold_q = _table(spark, shop, "customer_revenue_quarantine")
    assert gold_q.count() == sum(
        r.step("customer_revenue").invalid_rows or 0
        for r in (shop.initial, shop.incremental, shop.refresh)
    )


def test_no_quarantine_table_for_steps_without_invalid_rows(
    spark: SparkSession, shop: Shop
) -> None:
    ref = tables.TableRef.named(shop.schema, "silver_sizes_quarantine")
    assert not tables.table_exists(spark, ref)


# ----------------------------------------------------------------------------- time and context


def test_report_instants_are_utc_and_within_the_runs(shop: Shop) -> None:
    low, high = shop.window
    for report in (shop.initial, shop.incremental, shop.refresh):
        assert report.started_at.tzinfo is timezone.utc
        assert report.ended_at.tzinfo is timezone.utc
        assert low <= report.started_at <= report.ended_at <= high
        for step in report.steps:
            assert step.started_at is not None
            assert step.ended_at is not None
            assert step.started_at.tzinfo is timezone.utc
            assert report.started_at <= step.started_at <= step.ended_at <= report.ended_at
            assert step.duration_secs is not None
            assert 0 <= step.duration_secs <= (report.ended_at - report.started_at).total_seconds()
    assert shop.initial.ended_at <= shop.incremental.started_at


def test_report_context_and_metrics(spark: SparkSession, shop: Shop) -> None:
    report = shop.initial
    context = report.context
    assert context is not None
    assert (context.run_id, context.pipeline_name, context.mode) == (
        report.run_id,
        "shop",
        RunMode.INITIAL,
    )
    assert (context.started_at, context.ended_at) == (report.started_at, report.ended_at)
    assert context.spark_version == spark.version
    assert context.app_id == spark.conf.get("spark.app.id")
    assert dict(context.tags) == {"batch": "1"}
    metrics = report.metrics
    assert metrics.total_steps == metrics.successful_steps == 6
    assert metrics.input_rows == sum(s.input_rows or 0 for s in report.steps)
    assert metrics.rows_written == 4 + 2 + 2 + 2
    assert len({r.run_id for r in (shop.initial, shop.incremental, shop.refresh)}) == 3
    assert PipelineReport.from_dict(report.to_dict()) == report


def test_each_step_logs_its_start_and_end_with_counts(shop: Shop) -> None:
    for report in (shop.initial, shop.incremental):
        mine = [r for r in shop.logs if context_of(r)["run_id"] == report.run_id]
        for step in report.steps:
            records = [r for r in mine if context_of(r)["step"] == step.step_name]
            messages = [r.getMessage() for r in records]
            assert any(m.startswith("step started") for m in messages)
            (end,) = [m for m in messages if m.startswith("step succeeded")]
            assert f"valid={step.valid_rows} invalid={step.invalid_rows}" in end
            assert all(r.levelno == logging.INFO for r in records)
            assert all(context_of(r)["pipeline"] == "shop" for r in records)

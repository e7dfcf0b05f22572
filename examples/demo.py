"""The sparkforge demo: an orders pipeline on local Spark, with Delta tables on disk.

Run it with ``.venv/bin/python -m examples.demo``. It builds a local Spark session whose
warehouse and metastore live in ``./demo-warehouse``, then runs a small shop pipeline twice:

- an initial load of the first batch of orders (two rows fail bronze rules: a missing order
  id, a missing amount; two fail silver rules: a negative amount, an unknown status), and
- an incremental run with a second batch: new orders are appended, a late row older than the
  silver table's watermark is filtered out, and the gold table is recomputed.

Each run writes its own report to the Delta run log ``sparkforge_demo.pipeline_run_log`` when
it ends (the pipeline is built with a :class:`sparkforge.writer.LogWriter` as its
``log_writer``); each report is printed with how its logging went, then the log is shown.
Running the demo again starts the pipeline over (the initial load overwrites its tables; Delta
keeps their history) while the log keeps growing: it shows every run of every demo.

The pipeline::

    bronze orders    --> silver clean_orders (incremental on ordered_at) +
    bronze customers --> silver clean_customers (recomputed every run) --+--> gold customer_revenue
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from examples.local_spark import local_delta_session
from sparkforge.models import PipelineConfig, RunStatus, ValidationThresholds
from sparkforge.pipeline import PipelineBuilder
from sparkforge.reporting import format_report
from sparkforge.validation import Rule
from sparkforge.writer import LogWriter, WriterConfig

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineReport
    from sparkforge.pipeline import PipelineRunner

__all__ = [
    "CUSTOMERS",
    "FIRST_ORDERS",
    "SECOND_ORDERS",
    "build_pipeline",
    "logged_line",
    "main",
    "run_demo",
]

DEFAULT_WAREHOUSE = "demo-warehouse"
DEFAULT_SCHEMA = "sparkforge_demo"
LOG_TABLE = "pipeline_run_log"

ORDERS_DDL = (
    "order_id BIGINT, customer_id STRING, amount DOUBLE, status STRING, ordered_at TIMESTAMP"
)
CUSTOMERS_DDL = "customer_id STRING, name STRING, country STRING"

_DAY = datetime(2026, 1, 5, tzinfo=timezone.utc)


def _at(hour: int, minute: int = 0) -> datetime:
    return _DAY + timedelta(hours=hour, minutes=minute)


OrderRow = tuple[int | None, str | None, float | None, str | None, datetime | None]

#: The first day's orders: 12 rows, 2 failing bronze rules and 2 failing silver rules.
FIRST_ORDERS: list[OrderRow] = [
    (1001, "c1", 120.00, "paid", _at(8, 5)),
    (1002, "c2", 35.50, "paid", _at(8, 40)),
    (1003, "c3", 18.25, "PAID ", _at(9, 15)),
    (None, "c1", 60.00, "paid", _at(9, 30)),  # bronze: no order id
    (1005, "c4", -15.00, "paid", _at(10, 0)),  # silver: negative amount
    (1006, "c2", 240.00, "refunded", _at(10, 45)),
    (1007, "c1", None, "paid", _at(11, 20)),  # bronze: no amount
    (1008, "c3", 75.00, "shipped?", _at(12, 0)),  # silver: unknown status
    (1009, "c4", 12.99, "paid", _at(13, 10)),
    (1010, "c2", 99.90, "paid", _at(14, 30)),
    (1011, "c1", 5.00, "refunded", _at(15, 0)),
    (1012, "c3", 42.00, "paid", _at(16, 45)),
]

#: The next batch: 3 new valid orders, 1 failing bronze, 1 failing silver, 1 late arrival.
SECOND_ORDERS: list[OrderRow] = [
    (1013, "c2", 55.00, "paid", _at(17, 5)),
    (1014, "c4", 310.00, "paid", _at(18, 20)),
    (None, "c3", 20.00, "paid", _at(18, 30)),  # bronze: no order id
    (1016, "c1", -2.50, "paid", _at(19, 0)),  # silver: negative amount
    (1017, "c3", 64.00, "refunded", _at(20, 15)),
    (1004, "c1", 60.00, "paid", _at(9, 30)),  # late: older than the watermark, filtered out
]

#: The customer master data, sent in full with each run.
CUSTOMERS: list[tuple[str | None, str | None, str | None]] = [
    ("c1", "Ada Lovelace", "gb"),
    ("c2", "Grace Hopper", "us"),
    ("c3", "Alan Turing", "gb"),
    ("c4", "Katherine Johnson", "us"),
    (None, "Unknown", "fr"),  # bronze: no customer id
]


def clean_orders(
    spark: SparkSession, bronze_df: DataFrame, prior: dict[str, DataFrame]
) -> DataFrame:
    """Normalise the status and round the amount of the valid bronze orders."""
    return bronze_df.select(
        "order_id",
        "customer_id",
        F.round("amount", 2).alias("amount"),
        F.lower(F.trim("status")).alias("status"),
        "ordered_at",
    )


def clean_customers(
    spark: SparkSession, bronze_df: DataFrame, prior: dict[str, DataFrame]
) -> DataFrame:
    """Upper-case the country codes of the valid customers."""
    return bronze_df.select("customer_id", "name", F.upper("country").alias("country"))


def customer_revenue(spark: SparkSession, silvers: dict[str, DataFrame]) -> DataFrame:
    """Paid orders and revenue per customer, refunds excluded."""
    paid = (
        silvers["clean_orders"]
        .filter(F.col("status") == "paid")
        .groupBy("customer_id")
        .agg(F.count(F.lit(1)).alias("paid_orders"), F.sum("amount").alias("revenue"))
    )
    return (
        silvers["clean_customers"]
        .join(paid, "customer_id", "left")
        .select(
            "customer_id",
            "name",
            "country",
            F.coalesce("paid_orders", F.lit(0)).alias("paid_orders"),
            F.round(F.coalesce("revenue", F.lit(0.0)), 2).alias("revenue"),
        )
    )


def build_pipeline(
    spark: SparkSession, *, schema: str, log_writer: LogWriter | None = None
) -> PipelineRunner:
    """Declare the demo pipeline: two bronze sources, two silver tables, one gold table.

    With a ``log_writer``, every run writes its report to that log when it ends.
    """
    config = PipelineConfig(
        thresholds=ValidationThresholds(bronze=75.0, silver=70.0, gold=99.0),
        max_parallel_steps=2,  # the two silver steps are independent
        quarantine_invalid=True,
    )
    return (
        PipelineBuilder(
            spark,
            schema=schema,
            config=config,
            pipeline_name="shop_orders",
            log_writer=log_writer,
        )
        .with_bronze_rules(
            name="orders",
            rules={
                "order_id": [Rule("order_id_present", F.col("order_id").isNotNull())],
                "amount": [Rule("amount_present", F.col("amount").isNotNull())],
            },
            incremental_col="ordered_at",
        )
        .with_bronze_rules(
            name="customers",
            rules={"customer_id": {"customer_id_present": F.col("customer_id").isNotNull()}},
        )
        .add_silver_transform(
            name="clean_orders",
            source_bronze="orders",
            transform=clean_orders,
            rules={
                "amount": [Rule("non_negative_amount", F.col("amount") >= 0)],
                "status": [Rule("known_status", F.col("status").isin("paid", "refunded"))],
            },
            table_name="clean_orders",
            watermark_col="ordered_at",
        )
        .add_silver_transform(
            name="clean_customers",
            source_bronze="customers",
            transform=clean_customers,
            rules={"country": [Rule("country_code", F.length("country") == 2)]},
            table_name="clean_customers",
        )
        .add_gold_transform(
            name="customer_revenue",
            transform=customer_revenue,
            rules={
                "revenue": [Rule("non_negative_revenue", F.col("revenue") >= 0)],
                "customer_id": [Rule("customer_id_present", F.col("customer_id").isNotNull())],
            },
            table_name="customer_revenue",
            source_silvers=["clean_orders", "clean_customers"],
        )
        .to_pipeline()
    )


def run_demo(
    spark: SparkSession, *, schema: str, log_writer: LogWriter | None = None
) -> list[PipelineReport]:
    """Run the demo pipeline: an initial load, then an incremental run with new orders.

    Parameters
    ----------
    spark
        The session (with Delta).
    schema
        The schema of the demo tables; created if missing, its tables overwritten.
    log_writer
        Where each run logs its report when it ends; None logs nothing.

    Returns
    -------
    list[PipelineReport]
        The reports of the initial load and of the incremental run.
    """
    pipeline = build_pipeline(spark, schema=schema, log_writer=log_writer)
    customers = spark.createDataFrame(CUSTOMERS, CUSTOMERS_DDL)
    initial = pipeline.run_initial_load(
        bronze_sources={
            "orders": spark.createDataFrame(FIRST_ORDERS, ORDERS_DDL),
            "customers": customers,
        },
        tags={"demo": "initial"},
    )
    incremental = pipeline.run_incremental(
        bronze_sources={
            "orders": spark.createDataFrame(SECOND_ORDERS, ORDERS_DDL),
            "customers": customers,
        },
        tags={"demo": "incremental"},
    )
    return [initial, incremental]


def main(argv: Sequence[str] | None = None) -> int:
    """Build a local Delta session, run the demo, print each report; 0 when all succeeded."""
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__)
    parser.add_argument("--warehouse", default=DEFAULT_WAREHOUSE, help="local warehouse dir")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="schema of the demo tables")
    parser.add_argument("--verbose", action="store_true", help="log each step at INFO")
    args = parser.parse_args(argv)
    # sparkforge's records carry the run context (run_id, pipeline, step); show the step.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(step)s] %(message)s"))
    library_log = logging.getLogger("sparkforge")
    library_log.addHandler(handler)
    library_log.setLevel(logging.INFO if args.verbose else logging.WARNING)
    spark = local_delta_session(
        "sparkforge-demo",
        work_dir=args.warehouse,
        extra_conf={"spark.sql.session.timeZone": "UTC"},
    )
    try:
        writer = LogWriter(spark, WriterConfig(table_schema=args.schema, table_name=LOG_TABLE))
        reports = run_demo(spark, schema=args.schema, log_writer=writer)
        for report in reports:
            print(format_report(report))
            print()
        for report in reports:
            print(logged_line(report))
        print()
        show_log(writer)
    finally:
        spark.stop()
    healthy = all(
        r.status is RunStatus.SUCCESS and r.log_write is not None and r.log_write.success
        for r in reports
    )
    return 0 if healthy else 1


def logged_line(report: PipelineReport) -> str:
    """Say how writing a run's report to the log went (the run wrote it when it ended)."""
    outcome = report.log_write
    if outcome is None:
        return f"run {report.run_id} was not logged"
    if outcome.error is not None:
        return f"logging run {report.run_id} to {outcome.table} failed: {outcome.error.message}"
    return (
        f"logged run {report.run_id}: {outcome.rows_written} rows "
        f"at version {outcome.table_version} of {outcome.table}"
    )


def show_log(writer: LogWriter) -> None:
    """Print the log's summary, the steps of the latest run, and any anomalies found."""
    print(writer.summary())
    print()
    latest = writer.history(limit=1)[0]
    log_df = writer.read_logs()
    latest_run = log_df.orderBy(F.col("run_started_at").desc()).select("run_id").first()
    if latest_run is not None:
        run_id = latest_run["run_id"]
        print(f"Steps of the latest run {run_id} (log table version {latest.version}):")
        (
            log_df.where(F.col("run_id") == run_id)
            .orderBy("step_index")
            .select(
                "step_index",
                "phase",
                "step",
                "step_status",
                "input_rows",
                "valid_rows",
                "invalid_rows",
                "validation_rate",
                "rows_written",
                "filtered_rows",
                F.round("duration_secs", 3).alias("secs"),
            )
            .show(truncate=False)
        )
    print(writer.detect_anomalies())


if __name__ == "__main__":
    sys.exit(main())

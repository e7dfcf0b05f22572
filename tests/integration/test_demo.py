"""The demo pipeline on the test session: its reports against its Delta tables and its data."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from examples.demo import CUSTOMERS, FIRST_ORDERS, LOG_TABLE, SECOND_ORDERS, logged_line, run_demo
from sparkforge.models import RunMode, RunStatus
from sparkforge.pipeline import QUARANTINE_RUN_ID_COL
from sparkforge.reporting import format_report
from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.models import report_problems

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

    from examples.demo import OrderRow
    from sparkforge.models import PipelineReport

pytestmark = pytest.mark.delta


@pytest.fixture(scope="module")
def demo(spark: SparkSession) -> Iterator[tuple[str, list[PipelineReport]]]:
    schema = f"t_demo_{uuid.uuid4().hex[:8]}"
    writer = LogWriter(spark, WriterConfig(table_schema=schema, table_name=LOG_TABLE))
    reports = run_demo(spark, schema=schema, log_writer=writer)
    yield schema, reports
    spark.sql(f"DROP DATABASE IF EXISTS {schema} CASCADE")


# An oracle in plain Python, from the demo's own data.
def _bronze_valid(rows: list[OrderRow]) -> list[OrderRow]:
    return [r for r in rows if r[0] is not None and r[2] is not None]


def _silver_valid(rows: list[OrderRow]) -> list[OrderRow]:
    def ok(row: OrderRow) -> bool:
        status = (row[3] or "").strip().lower()
        return row[2] is not None and row[2] >= 0 and status in ("paid", "refunded")

    return [r for r in rows if ok(r)]


def _newer(rows: list[OrderRow], watermark: datetime) -> list[OrderRow]:
    return [r for r in rows if r[4] is not None and r[4] > watermark]


def _table(spark: SparkSession, schema: str, name: str, version: int | None = None) -> DataFrame:
    # SQL time travel: it reads the version's own schema on Spark 3.5 too.
    suffix = "" if version is None else f" VERSION AS OF {version}"
    return spark.sql(f"SELECT * FROM {schema}.{name}{suffix}")


def test_demo_runs_succeed(demo: tuple[str, list[PipelineReport]]) -> None:
    _, (initial, incremental) = demo
    assert (initial.mode, incremental.mode) == (RunMode.INITIAL, RunMode.INCREMENTAL)
    for report in (initial, incremental):
        assert report.status is RunStatus.SUCCESS
        assert report_problems(report) == []
        text = format_report(report)
        assert text.splitlines()[0].endswith("| SUCCESS")
        for step in report.steps:
            assert step.step_name in text


def test_demo_counts_match_the_data(demo: tuple[str, list[PipelineReport]]) -> None:
    _, (initial, incremental) = demo
    first_bronze = _bronze_valid(FIRST_ORDERS)
    first_silver = _silver_valid(first_bronze)
    orders = initial.step("orders")
    assert (orders.input_rows, orders.valid_rows) == (len(FIRST_ORDERS), len(first_bronze))
    clean = initial.step("clean_orders")
    assert (clean.input_rows, clean.valid_rows) == (len(first_bronze), len(first_silver))
    assert clean.invalid_rows == len(first_bronze) - len(first_silver)

    watermark = max(r[4] for r in first_silver if r[4] is not None)
    second_bronze = _bronze_valid(SECOND_ORDERS)
    kept = _newer(second_bronze, watermark)
    clean = incremental.step("clean_orders")
    assert clean.previous_watermark == watermark
    assert (clean.input_rows, clean.filtered_rows) == (
        len(second_bronze),
        len(second_bronze) - len(kept),
    )
    assert (clean.output_rows, clean.valid_rows) == (len(kept), len(_silver_valid(kept)))
    customers = incremental.step("customers")
    assert customers.valid_rows == sum(1 for c in CUSTOMERS if c[0] is not None)


def test_demo_rows_written_match_the_tables(
    spark: SparkSession, demo: tuple[str, list[PipelineReport]]
) -> None:
    schema, (initial, incremental) = demo
    for name in ("clean_orders", "clean_customers", "customer_revenue"):
        first, second = initial.step(name), incremental.step(name)
        assert first.rows_written == first.valid_rows
        assert second.rows_written == second.valid_rows
        assert _table(spark, schema, name, 0).count() == first.rows_written
        if second.write_mode == "append":
            expected = (first.rows_written or 0) + (second.rows_written or 0)
        else:
            expected = second.rows_written or 0
        assert _table(spark, schema, name).count() == expected
    assert incremental.step("clean_orders").write_mode == "append"


def test_demo_gold_revenue_is_right(
    spark: SparkSession, demo: tuple[str, list[PipelineReport]]
) -> None:
    schema, _ = demo
    first_silver = _silver_valid(_bronze_valid(FIRST_ORDERS))
    watermark = max(r[4] for r in first_silver if r[4] is not None)
    stored = first_silver + _silver_valid(_newer(_bronze_valid(SECOND_ORDERS), watermark))
    expected: dict[str, float] = {c[0]: 0.0 for c in CUSTOMERS if c[0] is not None}
    for row in stored:
        if (row[3] or "").strip().lower() == "paid" and row[1] is not None and row[2] is not None:
            expected[row[1]] = round(expected[row[1]] + row[2], 2)
    rows = _table(spark, schema, "customer_revenue").collect()
    assert {r["customer_id"]: r["revenue"] for r in rows} == expected


def test_demo_quarantine_keeps_the_invalid_rows(
    spark: SparkSession, demo: tuple[str, list[PipelineReport]]
) -> None:
    schema, reports = demo
    quarantine = _table(spark, schema, "clean_orders_quarantine")
    for report in reports:
        rows = quarantine.filter(quarantine[QUARANTINE_RUN_ID_COL] == report.run_id).count()
        assert rows == report.step("clean_orders").invalid_rows


def test_demo_runs_are_logged_by_themselves(
    spark: SparkSession, demo: tuple[str, list[PipelineReport]]
) -> None:
    schema, reports = demo
    writer = LogWriter(spark, WriterConfig(table_schema=schema, table_name=LOG_TABLE))
    for report in reports:
        outcome = report.log_write
        assert outcome is not None
        assert outcome.error is None
        assert outcome.table == str(writer.table)
        logged = writer.read_logs(run_id=report.run_id).orderBy("step_index").collect()
        assert [r["step"] for r in logged] == [s.step_name for s in report.steps]
        assert outcome.rows_written == len(logged)
        assert logged_line(report) == (
            f"logged run {report.run_id}: {len(logged)} rows "
            f"at version {outcome.table_version} of {writer.table}"
        )
    assert [h.version for h in writer.history()][:2] == [
        reports[1].log_write.table_version,  # type: ignore[union-attr]
        reports[0].log_write.table_version,  # type: ignore[union-attr]
    ]


@pytest.mark.slow
def test_demo_main_twice_keeps_both_runs_in_the_log(tmp_path: Path) -> None:
    """The README's main job, as a user runs it: two processes, one log that keeps both."""
    from deltalake import DeltaTable

    from examples.demo import DEFAULT_SCHEMA, LOG_TABLE

    warehouse = tmp_path / "warehouse"
    command = [sys.executable, "-m", "examples.demo", "--warehouse", str(warehouse)]
    root = Path(__file__).resolve().parents[2]
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout)

    log_path = warehouse / "warehouse" / f"{DEFAULT_SCHEMA}.db" / LOG_TABLE
    run_ids = DeltaTable(str(log_path)).to_pyarrow_table(columns=["run_id"]).column("run_id")
    assert len(set(run_ids.to_pylist())) == 4  # two runs per demo, two demos
    for output in outputs:
        assert output.count("logged run ") == 2
        assert "Run log summary" in output
        assert "Anomalies as of" in output

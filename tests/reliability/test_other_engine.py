"""Another engine reads it: delta-rs sees the log table's rows and types exactly as Spark does.

The log is written by Spark (single runs and a batch, with a checkpoint every two commits so
that readers must use one), with every kind of row: steps that succeeded, failed and were skipped,
runs that failed before any step, NULL counts, counts of 2**63 - 1, rates of 0 and 100, hostile
strings, instants in odd zones. delta-rs then reads it through pyarrow and through its SQL
engine (DataFusion): every row and column must equal what Spark reads, the Arrow types must be
those of ``LOG_SCHEMA``, and the table's partitioning, properties and transaction ids (which
make retries idempotent) must be visible without Spark.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest
from deltalake import DeltaTable, QueryBuilder
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.models import ErrorInfo, RunStatus, StepStatus
from sparkforge.writer import LOG_SCHEMA, LogWriter, WriterConfig, WriterValidationError
from tests.factories import BASE_TIME, make_failed_before_steps, make_report, make_step
from tests.reliability.support import (
    HOSTILE_STRINGS,
    arrow_rows,
    delta_rs_table,
    expected_rows,
    record_figures,
    spark_rows,
)
from tests.reliability.writer_child import LOGGED_AT, fixed_clock, time_zone_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport

pytestmark = [pytest.mark.delta, pytest.mark.slow]

_MAX = 2**63 - 1
_SOME_HOSTILE = {
    "'; DROP TABLE x; --",
    "back`tick`s",
    "emoji 🚀🔥💾 and 👩\u200d💻 (ZWJ)",
    "\u202eRTL override\u202c",
    "nul\x00char",
    "line\nbreak\rreturn",
}


def _arrow_type(data_type: T.DataType) -> pa.DataType:
    """Return the Arrow type a Delta reader must give a Spark column type."""
    if isinstance(data_type, T.StringType):
        return pa.string()
    if isinstance(data_type, T.LongType):
        return pa.int64()
    if isinstance(data_type, T.IntegerType):
        return pa.int32()
    if isinstance(data_type, T.DoubleType):
        return pa.float64()
    if isinstance(data_type, T.DateType):
        return pa.date32()
    if isinstance(data_type, T.TimestampType):
        return pa.timestamp("us", tz="UTC")
    if isinstance(data_type, T.ArrayType):
        return pa.list_(_arrow_type(data_type.elementType))
    if isinstance(data_type, T.MapType):
        return pa.map_(_arrow_type(data_type.keyType), _arrow_type(data_type.valueType))
    if isinstance(data_type, T.StructType):
        return pa.struct([pa.field(f.name, _arrow_type(f.dataType)) for f in data_type.fields])
    raise AssertionError(f"no Arrow type for {data_type}")


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Compare Arrow types, ignoring the nullability and names of nested fields."""
    if pa.types.is_large_string(actual) or pa.types.is_string_view(actual):
        return bool(pa.types.is_string(expected))
    if pa.types.is_map(actual) and pa.types.is_map(expected):
        return _same_type(actual.key_type, expected.key_type) and _same_type(
            actual.item_type, expected.item_type
        )
    if pa.types.is_list(actual) or pa.types.is_large_list(actual):
        return pa.types.is_list(expected) and _same_type(actual.value_type, expected.value_type)
    if pa.types.is_struct(actual) and pa.types.is_struct(expected):
        return [f.name for f in actual] == [f.name for f in expected] and all(
            _same_type(a.type, e.type) for a, e in zip(actual, expected, strict=True)
        )
    same: bool = actual.equals(expected)
    return same


def _varied_reports() -> list[PipelineReport]:
    """Return reports with every kind of row and value the log holds."""
    reports: list[PipelineReport] = [
        make_report(n % 4 + 1, start=BASE_TIME + timedelta(hours=n)) for n in range(6)
    ]
    reports.append(make_report(3, failed_step=1, pipeline="failing"))
    reports.append(make_failed_before_steps(pipeline="no_steps"))
    reports.append(time_zone_report("tz-for-delta-rs"))
    ran = make_step("ran", index=0)
    failed = make_step("broke", index=1, status=StepStatus.FAILED)
    skipped = make_step("never", index=2, status=StepStatus.SKIPPED)
    base = make_report(3, failed_step=1)
    reports.append(replace(base, steps=(ran, failed, skipped)))
    half = 2**62
    extreme = replace(
        make_step("extreme", index=0),
        input_rows=_MAX,
        output_rows=_MAX,
        rows_written=_MAX,
        valid_rows=half,
        invalid_rows=_MAX - half,
        validation_rate=100.0 * half / _MAX,
        filtered_rows=_MAX,
        duration_secs=1e9,
        rule_results=(),
    )
    empty = replace(
        make_step("empty", index=1),
        input_rows=0,
        output_rows=0,
        rows_written=0,
        valid_rows=0,
        invalid_rows=0,
        validation_rate=100.0,
        filtered_rows=0,
        duration_secs=0.0,
        rule_results=(),
        previous_watermark=None,
    )
    reports.append(replace(make_report(2), steps=(extreme, empty)))
    for i, text in enumerate(h for h in HOSTILE_STRINGS if h in _SOME_HOSTILE or len(h) > 9000):
        hostile = make_report(2, pipeline=text, tags={text: text}, failed_step=1)
        steps = (
            replace(hostile.steps[0], step_name=text),
            replace(hostile.steps[1], error=ErrorInfo(type=text, message=text)),
        )
        context = replace(hostile.context, run_id=f"hostile-{i}") if hostile.context else None
        reports.append(replace(hostile, run_id=f"hostile-{i}", steps=steps, context=context))
    edge = datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc)
    reports.append(make_report(1, start=edge, pipeline="edge_1900"))
    reports.append(make_report(1, start=datetime(2199, 12, 31, 12, tzinfo=timezone.utc)))
    assert any(r.status is RunStatus.FAILED for r in reports)
    return reports


def test_other_engine_reads_the_same_rows_and_types(spark: SparkSession, tmp_path: Path) -> None:
    started = time.monotonic()
    path = str(tmp_path / "log")
    config = WriterConfig(table_path=path, table_properties={"delta.checkpointInterval": "2"})
    writer = LogWriter(spark, config, clock=fixed_clock)
    reports = _varied_reports()
    singles, batch = reports[:4], reports[4:]
    for report in singles:
        writer.write_report(report)
    writer.write_reports(batch)
    version = ops.latest_version(spark, writer.table)
    # A reader must start from a checkpoint, and replay the commits after it.
    assert list((tmp_path / "log" / "_delta_log").glob("*.checkpoint.parquet"))
    assert version % 2 == 1

    rows = spark_rows(writer.read_logs())
    assert rows == expected_rows(reports, logged_at=LOGGED_AT)
    arrow = delta_rs_table(path)
    assert arrow_rows(arrow) == rows
    table = DeltaTable(path)
    sql = pa.table(QueryBuilder().register("log", table).execute("SELECT * FROM log").read_all())
    assert arrow_rows(sql) == rows

    assert arrow.schema.names == list(LOG_SCHEMA.fieldNames())
    for field in LOG_SCHEMA.fields:
        actual = arrow.schema.field(field.name)
        expected = _arrow_type(field.dataType)
        assert _same_type(actual.type, expected), (field.name, actual.type, expected)
        assert actual.nullable == field.nullable, field.name
    assert table.version() == version
    assert table.metadata().partition_columns == []
    configuration = table.metadata().configuration
    assert configuration["sparkforge.log.schemaVersion"] == "1"
    assert configuration["delta.setTransactionRetentionDuration"] == "interval 30 days"
    # The transaction ids of the commits (what makes a resend a no-op) are readable too.
    transactions = _transactions(Path(path))
    assert len(transactions) == len(singles) + 1
    for app_id, txn_version in transactions.items():
        assert table.transaction_version(app_id) == txn_version
    record_figures(
        "other_engine",
        engine=f"delta-rs {_version()}",
        readers="pyarrow,datafusion",
        runs=len(reports),
        rows=len(rows),
        columns=len(LOG_SCHEMA.fields),
        commits=version + 1,
        rows_differing=0,
        seconds=round(time.monotonic() - started),
    )


def _transactions(path: Path) -> dict[str, int]:
    """Return the transaction ids (``txn`` actions) recorded in the table's commit files."""
    found: dict[str, int] = {}
    for commit in sorted((path / "_delta_log").glob("*.json")):
        for line in commit.read_text(encoding="utf-8").splitlines():
            txn = json.loads(line).get("txn")
            if txn is not None:
                found[txn["appId"]] = int(txn["version"])
    return found


def _version() -> str:
    import deltalake

    return str(deltalake.__version__)


FAR_INSTANTS = (
    datetime(1, 1, 2, tzinfo=timezone.utc),
    datetime(1500, 6, 1, tzinfo=timezone.utc),
    datetime(1677, 9, 21, tzinfo=timezone.utc),
    datetime(2262, 4, 12, tzinfo=timezone.utc),
    datetime(2300, 1, 1, tzinfo=timezone.utc),
    datetime(9999, 12, 30, tzinfo=timezone.utc),
)


def test_other_engine_reads_far_instants_exactly_or_they_are_refused(
    spark: SparkSession, tmp_path: Path
) -> None:
    """An instant is either refused as invalid, or every reader reads it back unchanged.

    Spark writes timestamps as Parquet INT96 by default, which readers decode through
    nanoseconds: outside 1677-09-21 .. 2262-04-11 the value overflows.
    """
    path = str(tmp_path / "log")
    writer = LogWriter(spark, WriterConfig(table_path=path), clock=fixed_clock)
    logged: list[PipelineReport] = []
    refused = []
    for moment in FAR_INSTANTS:
        report = make_report(1, start=moment, pipeline=f"far_{moment.year}")
        try:
            writer.write_report(report)
        except WriterValidationError:
            refused.append(moment.year)
            continue
        logged.append(report)
    outcome = "refused all"
    if logged:
        rows = spark_rows(writer.read_logs())
        assert rows == expected_rows(logged, logged_at=LOGGED_AT)
        years = [r.started_at.year for r in logged]
        try:
            arrow = arrow_rows(delta_rs_table(path))
        except Exception as exc:
            raise AssertionError(
                f"delta-rs cannot read a log holding runs of the years {years}: {exc}"
            ) from exc
        sql = arrow_rows(
            pa.table(
                QueryBuilder()
                .register("log", DeltaTable(path))
                .execute("SELECT * FROM log")
                .read_all()
            )
        )
        wrong = sorted({str(r["pipeline_name"]) for r in sql if r not in rows})
        assert arrow == rows
        assert not wrong, f"DataFusion reads other instants for {wrong}"
        outcome = "read exactly"
    record_figures(
        "other_engine.far_instants",
        instants=len(FAR_INSTANTS),
        refused=len(refused),
        logged=len(logged),
        outcome=outcome,
    )

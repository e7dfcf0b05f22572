"""The legacy API through the public ``LogWriter``, and the road from a legacy log to v1."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import pytest

from sparkforge import table_operations as ops
from sparkforge.writer import (
    LogWriter,
    WriterConfig,
    WriterConfigurationError,
    WriterTableError,
)
from sparkforge.writer.legacy import MIN_LOG_SCHEMA, LegacyLogWriter, _flatten_report_min
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta

START = datetime(2026, 2, 1, 6, 0)


def legacy_report(offset_minutes: int = 0) -> dict[str, object]:
    start = START + timedelta(minutes=offset_minutes)
    validation = {
        "start_at": start,
        "end_at": start + timedelta(seconds=5),
        "valid_rows": 95,
        "invalid_rows": 5,
        "validation_rate": 95.0,
    }
    write = {
        "start_at": start + timedelta(seconds=6),
        "end_at": start + timedelta(seconds=9),
        "mode": "append",
        "rows_written": 95,
    }
    transform = {
        "start_at": start + timedelta(seconds=5),
        "end_at": start + timedelta(seconds=6),
        "input_rows": 95,
        "output_rows": 95,
    }
    return {
        "run": {"mode": "initial", "started_at": start, "ended_at": start + timedelta(minutes=1)},
        "bronze": {"orders": {"validation": validation}},
        "silver": {
            "clean_orders": {
                "transform": transform,
                "write": write,
                "validation": validation,
                "table_fqn": "lake.clean_orders",
            }
        },
        "gold": {
            "revenue": {"write": write, "validation": validation, "table_fqn": "lake.revenue"}
        },
    }


def legacy_writer(spark: SparkSession, schema: str) -> LegacyLogWriter:
    # LogWriter as the legacy code calls it (mypy reads LogWriter's signature from __init__).
    legacy_form = cast("Callable[..., LegacyLogWriter]", LogWriter)
    with pytest.warns(DeprecationWarning, match=r"WriterConfig") as caught:
        writer = legacy_form(spark, schema, "pipeline_logs")
    assert len(caught) == 1
    assert type(writer) is LegacyLogWriter
    return writer


def test_legacy_form_keeps_its_attributes(spark: SparkSession, schema: str) -> None:
    writer = legacy_writer(spark, schema)

    assert writer.spark is spark
    assert (writer.write_schema, writer.logs_table_name) == (schema, "pipeline_logs")
    assert writer.schema == MIN_LOG_SCHEMA


def test_legacy_methods_write_the_legacy_rows_and_warn_once_each(
    spark: SparkSession, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = legacy_writer(spark, schema)
    first, second = legacy_report(), legacy_report(30)

    with pytest.warns(DeprecationWarning, match=r"create_table\(\)") as created:
        first_df = writer.create_table(first)
    with pytest.warns(DeprecationWarning, match=r"write_report") as appended:
        writer.append(second)
    with pytest.warns(DeprecationWarning, match=r"read_logs") as shown:
        writer.show(2)

    # Deprecations only: py4j may drop an unclosed socket (a ResourceWarning) at any moment.
    deprecations = [
        [w for w in caught if issubclass(w.category, DeprecationWarning)]
        for caught in (created, appended, shown)
    ]
    assert [len(found) for found in deprecations] == [1, 1, 1]
    table = spark.table(f"{schema}.pipeline_logs")
    # Delta stores a DataFrame-written table as nullable, as it did for the legacy code.
    assert table.schema.simpleString() == MIN_LOG_SCHEMA.simpleString()
    expected = [tuple(row.values()) for row in _flatten_report_min(first)]
    assert [tuple(row) for row in first_df.collect()] == expected
    stored = sorted(tuple(row) for row in table.collect())
    both = [*_flatten_report_min(first), *_flatten_report_min(second)]
    assert stored == sorted(tuple(row.values()) for row in both)
    assert "only showing top 2 rows" in capsys.readouterr().out


def test_legacy_writer_refuses_the_v1_methods(spark: SparkSession, schema: str) -> None:
    writer = legacy_writer(spark, schema)

    calls: list[Callable[[], object]] = [
        lambda: writer.write_report(make_report(1)),
        lambda: writer.read_logs(),
        lambda: writer.create_table(),
        lambda: writer.migrate_legacy_table(),
    ]
    for call in calls:
        with pytest.raises(WriterConfigurationError) as caught:
            call()
        assert caught.value.code == "WRITER_MODE_MISMATCH"


def test_from_legacy_log_to_v1_log(spark: SparkSession, schema: str) -> None:
    old = legacy_writer(spark, schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.create_table(legacy_report())
        old.append(legacy_report(30))
    new = LogWriter(
        spark,
        WriterConfig(
            table_schema=schema,
            table_name="pipeline_logs",
            table_properties={"delta.logRetentionDuration": "interval 90 days"},
        ),
    )

    # A v1 writer refuses the legacy table, says why, and leaves it alone.
    with pytest.raises(WriterTableError) as refused:
        new.write_report(make_report(2))
    assert "migrate_legacy_table()" in refused.value.params["reason"]
    assert spark.table(f"{schema}.pipeline_logs").count() == 6

    result = new.migrate_legacy_table(pipeline_name="orders")
    again = new.migrate_legacy_table(pipeline_name="orders")
    report = make_report(2, pipeline="orders")
    written = new.write_report(report)

    assert result.migrated
    assert not again.migrated
    # The migrated table gets what a table this writer creates gets, its options included.
    assert result.properties_set == (
        "delta.logRetentionDuration",
        "delta.setTransactionRetentionDuration",
        "sparkforge.log.schemaVersion",
    )
    assert ops.read_properties(spark, new.table)["delta.logRetentionDuration"] == (
        "interval 90 days"
    )
    assert written.rows_written == 2
    logged = new.read_logs(pipeline_name="orders")
    assert logged.count() == 8
    assert logged.where("schema_version = 0").select("run_id").distinct().count() == 2
    assert new.validate_data_quality().passed
    # The legacy writer now refuses the migrated table instead of corrupting it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(WriterTableError):
            old.append(legacy_report(60))
    assert logged.count() == 8

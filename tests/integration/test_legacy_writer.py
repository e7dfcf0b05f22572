"""The legacy writer on real Spark + Delta: the rows it writes, overwrite history, refusals."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from sparkforge import table_operations as ops
from sparkforge.table_operations import TableRef
from sparkforge.writer.exceptions import WriterTableError, WriterValidationError
from sparkforge.writer.legacy import MIN_LOG_SCHEMA, LegacyLogWriter, _flatten_report_min
from sparkforge.writer.models import LOG_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.writer.legacy import MinimalLogRow

# The warnings of the legacy API are tested in test_writer_legacy_api.py.
pytestmark = [
    pytest.mark.delta,
    pytest.mark.filterwarnings("ignore:LogWriter.*is deprecated:DeprecationWarning"),
]

NAMES = MIN_LOG_SCHEMA.fieldNames()
T0 = datetime(2026, 1, 1, 20, 0, tzinfo=timezone.utc)
TABLE = "pipeline_logs"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def report(mode: str, start: datetime | None, rate: float) -> dict[str, Any]:
    v = {"valid_rows": 973, "invalid_rows": 27, "validation_rate": rate}
    return {
        "run": {"mode": mode, "started_at": start, "ended_at": at(30)},
        "bronze": {"events": {"validation": {"start_at": at(1), "end_at": at(2), **v}}},
        "silver": {
            "orders": {
                "transform": {"start_at": at(3), "input_rows": 1000, "output_rows": 1000},
                "write": {"end_at": at(4), "mode": "append", "rows_written": 973},
                "validation": v,
                "table_fqn": "analytics.orders",
            },
            "rules_only": {"write": {"mode": "overwrite", "rows_written": "5"}},
        },
        "gold": {"summary": {"write": {"rows_written": True}, "table_fqn": "analytics.summary"}},
    }


# Legacy users passed naive datetimes (local time) as often as aware ones.
REPORT_1 = report("initial", datetime(2026, 1, 1, 19, 0), 97.3)
REPORT_2 = report("incremental", None, 99.9)


def as_stored(rows: list[MinimalLogRow]) -> list[tuple[object, ...]]:
    """Rows as Spark gives them back: naive local datetimes, the rate as a 32-bit float."""

    def stored(name: str, value: object) -> object:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone().replace(tzinfo=None)
        if name == "validation_rate":
            return struct.unpack("f", struct.pack("f", value))[0]
        return value

    return sorted(
        (tuple(stored(n, row[n]) for n in NAMES) for row in rows),  # type: ignore[literal-required]
        key=repr,
    )


def table_rows(df: DataFrame) -> list[tuple[object, ...]]:
    return sorted((tuple(row[n] for n in NAMES) for row in df.collect()), key=repr)


def names_and_types(df: DataFrame) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]


def test_legacy_writer_appends_shows_and_overwrites(
    spark: SparkSession, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = LegacyLogWriter(spark, schema, TABLE)
    created_df = writer.append(REPORT_1)  # as the legacy append did, it creates a missing table
    appended_df = writer.append(REPORT_2)

    assert created_df.schema == appended_df.schema == MIN_LOG_SCHEMA
    assert table_rows(appended_df) == as_stored(_flatten_report_min(REPORT_2))
    name = f"{schema}.{TABLE}"
    both = as_stored(_flatten_report_min(REPORT_1) + _flatten_report_min(REPORT_2))
    assert len(both) == 8
    logs_df = spark.read.table(name)
    assert table_rows(logs_df) == both
    assert names_and_types(logs_df) == [
        (f.name, f.dataType.simpleString()) for f in MIN_LOG_SCHEMA.fields
    ]

    capsys.readouterr()
    writer.show(2)
    shown = capsys.readouterr().out
    assert "|run_mode|run_started_at|" in shown.replace(" ", "")
    assert "only showing top 2 rows" in shown
    writer.show()
    assert capsys.readouterr().out.count("rules_only") == 2

    # create_table is a Delta overwrite: the earlier rows stay readable by time travel.
    writer.create_table(REPORT_1)
    assert table_rows(spark.read.table(name)) == as_stored(_flatten_report_min(REPORT_1))
    history = ops.history(spark, TableRef.named(schema, TABLE)).collect()
    # The first append creates the table (with the schema a CTAS gives it), then appends.
    assert [(h["version"], h["operation"]) for h in history] == [
        (3, "CREATE OR REPLACE TABLE AS SELECT"),
        (2, "WRITE"),
        (1, "WRITE"),
        (0, "CREATE TABLE"),
    ]
    assert table_rows(spark.sql(f"SELECT * FROM {name} VERSION AS OF 2")) == both


def test_legacy_writer_bad_input_writes_nothing(spark: SparkSession, schema: str) -> None:
    ref = TableRef.named(schema, TABLE)
    ops.create_table_if_not_exists(spark, ref, MIN_LOG_SCHEMA)
    writer = LegacyLogWriter(spark, schema, TABLE)
    bad = report("initial", at(0), 90.0)
    bad["silver"]["orders"]["write"]["rows_written"] = None
    bad["gold"]["summary"]["transform"] = "not a block"

    for write in (writer.create_table, writer.append):
        with pytest.raises(WriterValidationError) as caught:
            write(bad)
        assert caught.value.code == "WRITER_INPUT_INVALID"
        assert [p.path for p in caught.value.problems] == [
            "silver.orders.write.rows_written",
            "gold.summary.transform",
        ]
    assert ops.latest_version(spark, ref) == 0


def test_legacy_writer_refuses_a_v1_table(spark: SparkSession, schema: str) -> None:
    ref = TableRef.named(schema, TABLE)
    ops.create_table_if_not_exists(spark, ref, LOG_SCHEMA)
    writer = LegacyLogWriter(spark, schema, TABLE)

    for write in (writer.create_table, writer.append):
        with pytest.raises(WriterTableError) as caught:
            write(REPORT_1)
        assert caught.value.code == "WRITER_LEGACY_TABLE"
        assert caught.value.params["table"] == ref.fqn
        assert "write_report" in caught.value.params["reason"]
    assert ops.latest_version(spark, ref) == 0
    assert names_and_types(spark.read.table(ref.fqn))[-1] == ("writer_version", "string")


def test_legacy_writer_show_of_a_missing_table_raises(spark: SparkSession, schema: str) -> None:
    with pytest.raises(WriterTableError) as caught:
        LegacyLogWriter(spark, schema, TABLE).show()
    assert caught.value.code == "TABLE_NOT_FOUND"

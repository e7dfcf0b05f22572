"""Legacy log table -> schema v1, in place, on real Spark + Delta."""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

import pytest
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.table_operations import TableRef
from sparkforge.validation import schema_problems
from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.config import DEFAULT_TABLE_PROPERTIES
from sparkforge.writer.exceptions import WriterConfigurationError, WriterTableError
from sparkforge.writer.legacy import MIN_LOG_SCHEMA, LegacyLogWriter
from sparkforge.writer.migration import MigrationResult, _migrated, migrate_legacy_table
from sparkforge.writer.models import LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, Row, SparkSession

# The legacy writer builds the legacy tables these tests migrate; its warnings are tested
# in test_writer_legacy_api.py.
pytestmark = [
    pytest.mark.delta,
    pytest.mark.filterwarnings("ignore:LogWriter.*is deprecated:DeprecationWarning"),
]

LEGACY = MIN_LOG_SCHEMA.fieldNames()
IST = timezone(timedelta(hours=5, minutes=30))
STAMP = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=timezone.utc)


def validation(start: datetime | None, valid: int, invalid: int, rate: float) -> dict[str, Any]:
    return {
        "start_at": start,
        "valid_rows": valid,
        "invalid_rows": invalid,
        "validation_rate": rate,
    }


# Run A starts at 20:00 UTC on Jan 1, already Jan 2 in the test session's Asia/Kolkata.
RUN_A = {
    "run": {"mode": "initial", "started_at": utc(1, 20), "ended_at": utc(1, 21)},
    "bronze": {"events": {"validation": validation(utc(1, 20, 1), 973, 27, 97.3)}},
    "silver": {
        "orders": {
            "transform": {"start_at": utc(1, 20, 5), "input_rows": 1000, "output_rows": 973},
            "write": {"mode": "append", "rows_written": 973},
            "validation": validation(None, 973, 0, 100.0),
            "table_fqn": "analytics.orders",
        }
    },
    "gold": {"daily": {"write": {"mode": "overwrite", "rows_written": 12}, "table_fqn": "a.d"}},
}
# Run B recorded no instants at all: NULL timestamps everywhere.
RUN_B = {
    "run": {"mode": "incremental"},
    "bronze": {"b2": {}, "b1": {"validation": validation(None, 5, 5, 50.0)}},
    "silver": {"s": {"transform": None, "write": {"rows_written": 10}}},
}
# Run C, given in IST, is 21:30 UTC on Jan 1; its gold step started before its silver steps,
# and two silver steps started at the same instant.
RUN_C = {
    "run": {
        "mode": "incremental",
        "started_at": datetime(2026, 1, 2, 3, 0, tzinfo=IST),
        "ended_at": datetime(2026, 1, 2, 4, 0, tzinfo=IST),
    },
    "gold": {"g": {"transform": {"start_at": utc(1, 21, 31)}}},
    "silver": {
        "zeta": {"transform": {"start_at": utc(1, 21, 40)}},
        "alpha": {"transform": {"start_at": utc(1, 21, 40)}},
        "early": {"validation": validation(utc(1, 21, 35), 1, 0, 100.0)},
    },
}
RUNS: dict[str, dict[str, Any]] = {"A": RUN_A, "B": RUN_B, "C": RUN_C}
EXPECTED_STEP_ORDER = {
    "A": ["events", "orders", "daily"],
    "B": ["b1", "b2", "s"],
    "C": ["early", "alpha", "zeta", "g"],
}
EXPECTED_RUN_DATE = {"A": date(2026, 1, 1), "B": None, "C": date(2026, 1, 1)}


def oracle_run_id(run: Any) -> str:
    """Compute the documented formula, independently of the implementation."""

    def micros(moment: datetime | None) -> str:
        if moment is None:
            return "null"
        return str(int(moment.timestamp()) * 1_000_000 + moment.microsecond)

    key = f"{run['mode']}|{micros(run.get('started_at'))}|{micros(run.get('ended_at'))}"
    return "legacy-" + hashlib.sha256(key.encode()).hexdigest()[:32]


STEPS_OF_RUN = {
    name: {step for phase in ("bronze", "silver", "gold") for step in report.get(phase, {})}
    for name, report in RUNS.items()
}


def run_of(row: Row) -> str:
    """Say which of RUNS a row belongs to (step names are unique across them)."""
    (name,) = [name for name, steps in STEPS_OF_RUN.items() if row["step"] in steps]
    return name


def legacy_tuples(rows: list[Row]) -> list[tuple[object, ...]]:
    return sorted((tuple(row[n] for n in LEGACY) for row in rows), key=repr)


@dataclass(frozen=True)
class Migrated:
    table: TableRef
    legacy_rows: list[Row]
    result: MigrationResult
    rows: list[Row]
    df: DataFrame


@pytest.fixture(scope="module")
def database(spark: SparkSession) -> Iterator[str]:
    """One database for the module's tables (each test creating its own costs seconds)."""
    name = f"t_migration_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {name}")
    yield name
    spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")


@pytest.fixture(scope="module")
def migrated(spark: SparkSession, database: str) -> Migrated:
    """One legacy table, written by the legacy writer and migrated once for the module."""
    writer = LegacyLogWriter(spark, database, "pipeline_logs")
    writer.create_table(RUN_A)
    writer.append(RUN_B)
    writer.append(RUN_C)
    table = TableRef.named(database, "pipeline_logs")
    legacy_rows = table.read(spark).collect()
    result = migrate_legacy_table(spark, table, pipeline_name="orders_pipeline", logged_at=STAMP)
    migrated_df = table.read(spark)
    return Migrated(table, legacy_rows, result, migrated_df.collect(), migrated_df)


def test_migrate_legacy_table_result_comes_from_the_commit(
    spark: SparkSession, migrated: Migrated
) -> None:
    result = migrated.result
    assert result.migrated
    assert result.table == migrated.table
    assert result.version_before == 2
    assert result.version_after == 3
    assert result.rows_migrated == len(migrated.legacy_rows) == 10
    assert result.properties_set == (
        "delta.setTransactionRetentionDuration",
        "sparkforge.log.schemaVersion",
    )
    commits = ops.history(spark, migrated.table, limit=2).collect()
    assert [(c["version"], c["operation"]) for c in commits] == [
        (4, "SET TBLPROPERTIES"),
        (3, "CREATE OR REPLACE TABLE AS SELECT"),
    ]


def test_migrate_legacy_table_gives_the_properties_of_a_new_log_table(
    spark: SparkSession, migrated: Migrated
) -> None:
    properties = ops.read_properties(spark, migrated.table)
    assert {k: properties.get(k) for k in DEFAULT_TABLE_PROPERTIES} == dict(
        DEFAULT_TABLE_PROPERTIES
    )


def test_migrate_legacy_table_schema_is_v1(migrated: Migrated) -> None:
    actual = migrated.df.schema
    assert [(f.name, f.dataType) for f in actual.fields] == [
        (f.name, f.dataType) for f in LOG_SCHEMA.fields
    ]
    assert [f.metadata for f in actual.fields] == [f.metadata for f in LOG_SCHEMA.fields]
    # Delta makes every column nullable when a write replaces the schema; if this starts to
    # fail, Delta keeps NOT NULL now and the migration can declare the required columns.
    assert all(f.nullable for f in actual.fields)


def test_migrate_legacy_table_passes_the_writer_schema_check(migrated: Migrated) -> None:
    assert schema_problems(migrated.df.schema) == []


def test_migrate_legacy_table_keeps_every_legacy_value(migrated: Migrated) -> None:
    assert legacy_tuples(migrated.rows) == legacy_tuples(migrated.legacy_rows)
    (events,) = [row for row in migrated.rows if row["step"] == "events"]
    assert events["validation_rate"] == struct.unpack("f", struct.pack("f", 97.3))[0]
    assert (events["valid_rows"], events["invalid_rows"]) == (973, 27)
    (orders,) = [row for row in migrated.rows if row["step"] == "orders"]
    assert (orders["input_rows"], orders["output_rows"], orders["rows_written"]) == (1000, 973, 973)
    (s,) = [row for row in migrated.rows if row["step"] == "s"]
    assert (s["input_rows"], s["run_started_at"], s["start_time"]) == (None, None, None)


def test_migrate_legacy_table_fills_the_new_columns(migrated: Migrated) -> None:
    stamp = STAMP.astimezone().replace(tzinfo=None)  # Spark returns local naive datetimes
    for row in migrated.rows:
        assert row["pipeline_name"] == "orders_pipeline"
        assert (row["run_status"], row["step_status"], row["row_kind"]) == (
            "unknown",
            "unknown",
            "step",
        )
        assert (row["duration_secs"], row["error_type"], row["error_message"]) == (None,) * 3
        assert row["rule_results"] == []
        assert row["tags"] == {"migrated_from": "legacy"}
        assert row["logged_at"] == stamp
        assert (row["schema_version"], row["writer_version"]) == (0, "legacy")


def test_migrate_legacy_table_run_ids_are_deterministic_per_run(migrated: Migrated) -> None:
    ids_by_run: dict[str, set[str]] = {}
    for row in migrated.rows:
        ids_by_run.setdefault(run_of(row), set()).add(row["run_id"])
    assert ids_by_run == {name: {oracle_run_id(report["run"])} for name, report in RUNS.items()}
    assert len({next(iter(ids)) for ids in ids_by_run.values()}) == len(RUNS)


def test_migrate_legacy_table_run_date_is_the_utc_date(migrated: Migrated) -> None:
    dates = {run_of(row): row["run_date"] for row in migrated.rows}
    assert dates == EXPECTED_RUN_DATE


def test_migrate_legacy_table_step_index_follows_phase_start_step(migrated: Migrated) -> None:
    steps: dict[str, list[tuple[int, str]]] = {}
    for row in migrated.rows:
        steps.setdefault(run_of(row), []).append((row["step_index"], row["step"]))
    assert {run: [s for _, s in sorted(pairs)] for run, pairs in steps.items()} == (
        EXPECTED_STEP_ORDER
    )
    assert all([i for i, _ in sorted(pairs)] == list(range(len(pairs))) for pairs in steps.values())


def test_migrate_legacy_table_takes_the_default_layout(
    spark: SparkSession, migrated: Migrated
) -> None:
    detail = migrated.table.delta_table(spark).detail().collect()[0]
    assert detail["partitionColumns"] == []


def test_migrate_legacy_table_time_travel_gives_the_legacy_table(
    spark: SparkSession, migrated: Migrated
) -> None:
    before_df = ops.version_frame(spark, migrated.table, migrated.result.version_before)
    assert [(f.name, f.dataType) for f in before_df.schema.fields] == [
        (f.name, f.dataType) for f in MIN_LOG_SCHEMA.fields
    ]
    assert legacy_tuples(before_df.collect()) == legacy_tuples(migrated.legacy_rows)


def test_migrate_legacy_table_again_is_a_no_op(spark: SparkSession, migrated: Migrated) -> None:
    again = migrate_legacy_table(spark, migrated.table, pipeline_name="other")
    assert again == MigrationResult(
        migrated=False,
        table=migrated.table,
        version_before=4,
        version_after=4,
        rows_migrated=0,
        properties_set=(),
    )
    assert ops.latest_version(spark, migrated.table) == 4


def test_migrate_legacy_table_keeps_the_properties_the_table_has(
    spark: SparkSession, database: str
) -> None:
    table = TableRef.named(database, "tuned_logs")
    LegacyLogWriter(spark, database, "tuned_logs").create_table(RUN_A)
    ops.set_properties(
        spark, table, {"delta.setTransactionRetentionDuration": "interval 7 days", "team": "x"}
    )
    result = migrate_legacy_table(spark, table, logged_at=STAMP)
    properties = ops.read_properties(spark, table)
    assert result.properties_set == ("sparkforge.log.schemaVersion",)
    assert properties["delta.setTransactionRetentionDuration"] == "interval 7 days"
    assert (properties["team"], properties["sparkforge.log.schemaVersion"]) == ("x", "1")


def test_migrate_legacy_table_again_completes_an_unfinished_migration(
    spark: SparkSession, database: str
) -> None:
    # As a call that stopped between its two commits (or one made before properties were set)
    # leaves it: v1 rows, none of the properties.
    table = TableRef.named(database, "half_migrated")
    LegacyLogWriter(spark, database, "half_migrated").create_table(RUN_A)
    first = migrate_legacy_table(spark, table, logged_at=STAMP, table_properties={})
    assert (first.migrated, first.properties_set) == (True, ())
    assert "sparkforge.log.schemaVersion" not in ops.read_properties(spark, table)
    rows_before = table.read(spark).collect()

    second = migrate_legacy_table(spark, table, logged_at=STAMP)
    third = migrate_legacy_table(spark, table, logged_at=STAMP)

    assert (second.migrated, second.properties_set) == (
        False,
        ("delta.setTransactionRetentionDuration", "sparkforge.log.schemaVersion"),
    )
    assert (third.properties_set, ops.latest_version(spark, table)) == ((), 2)
    assert sorted(table.read(spark).collect()) == sorted(rows_before)


def test_migrate_legacy_table_leaves_a_writer_created_table_alone(
    spark: SparkSession, database: str
) -> None:
    table = TableRef.named(database, "v1_logs")
    LogWriter(spark, WriterConfig(table_schema=database, table_name="v1_logs")).create_table()
    result = migrate_legacy_table(
        spark, table, table_properties={"delta.logRetentionDuration": "interval 90 days"}
    )
    assert (result.migrated, result.properties_set) == (False, ())
    assert ops.latest_version(spark, table) == 0


def test_migrate_legacy_table_ids_do_not_depend_on_the_session_time_zone(
    spark: SparkSession, migrated: Migrated
) -> None:
    # What the migration writes, computed again from the legacy rows in another time zone.
    version = migrated.result.version_before
    legacy_df = ops.version_frame(spark, migrated.table, version)
    zone = spark.conf.get("spark.sql.session.timeZone")
    assert zone == "Asia/Kolkata"
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        rows = _migrated(legacy_df, pipeline_name="orders_pipeline", logged_at=STAMP).collect()
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    keys = ["run_id", "run_date", "phase", "step", "step_index"]

    def facts(rows: list[Row]) -> list[tuple[object, ...]]:
        return sorted((tuple(row[k] for k in keys) for row in rows), key=repr)

    assert facts(rows) == facts(migrated.rows)


def test_migrate_legacy_table_refuses_a_foreign_table(spark: SparkSession, database: str) -> None:
    table = TableRef.named(database, "not_a_log")
    foreign = T.StructType(
        [
            T.StructField("run_mode", T.IntegerType()),  # wrong type
            *MIN_LOG_SCHEMA.fields[1:-1],  # filtered_rows missing
            T.StructField("note", T.StringType()),  # not a log column
        ]
    )
    ops.create_table_if_not_exists(spark, table, foreign)
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, table)
    assert caught.value.code == "TABLE_SCHEMA_MISMATCH"
    assert caught.value.params["reason"] == (
        "it is neither a legacy nor a v1 log table; compared with the legacy log schema: "
        "missing columns filtered_rows; unexpected columns note; "
        "column run_mode is int, expected string"
    )
    assert ops.latest_version(spark, table) == 0

    # A table with v1 columns is compared with v1.
    almost_v1 = TableRef.named(database, "almost_v1")
    fields = [
        T.StructField(f.name, T.StringType()) if f.name == "step_index" else f for f in LOG_SCHEMA
    ]
    ops.create_table_if_not_exists(spark, almost_v1, T.StructType(fields))
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, almost_v1)
    assert caught.value.params["reason"] == (
        "it is neither a legacy nor a v1 log table; compared with the v1 log schema: "
        "column step_index is string, expected int"
    )


def test_migrate_legacy_table_of_a_missing_table_raises(spark: SparkSession, database: str) -> None:
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, TableRef.named(database, "absent"))
    assert caught.value.code == "TABLE_NOT_FOUND"


class _NoSpark:
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AssertionError(f"Spark was touched ({name}) before the arguments were checked")


@pytest.mark.parametrize(
    ("option", "kwargs"),
    [
        ("table", {"table": "analytics.pipeline_logs"}),
        ("pipeline_name", {"pipeline_name": " "}),
        ("pipeline_name", {"pipeline_name": None}),
        ("partition_columns", {"partition_columns": "run_date"}),
        ("partition_columns", {"partition_columns": ("run_id",)}),
        ("partition_columns", {"partition_columns": ("run_date", "run_date")}),
        ("logged_at", {"logged_at": datetime(2026, 1, 1)}),
        ("table_properties", {"table_properties": [("k", "v")]}),
        ("table_properties", {"table_properties": {"k": "it's"}}),
    ],
    ids=[
        "table_text",
        "blank_pipeline",
        "none_pipeline",
        "partition_text",
        "partition_high_cardinality",
        "partition_twice",
        "naive_logged_at",
        "properties_list",
        "property_quote",
    ],
)
def test_migrate_legacy_table_checks_arguments_before_spark(
    option: str, kwargs: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {"table": TableRef.named("analytics", "pipeline_logs"), **kwargs}
    with pytest.raises(WriterConfigurationError) as caught:
        migrate_legacy_table(cast("SparkSession", _NoSpark()), **arguments)
    assert caught.value.code == "WRITER_CONFIG_INVALID"
    assert caught.value.params["option"] == option

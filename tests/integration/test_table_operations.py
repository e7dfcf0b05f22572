"""table_operations on real Delta: creation races, idempotent appends, conflicts, maintenance."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.delta

SCHEMA = T.StructType(
    [
        T.StructField("id", T.LongType(), False),
        T.StructField("day", T.DateType(), True),
        T.StructField("note", T.StringType(), True),
    ]
)


def rows(spark: SparkSession, *ids: int) -> DataFrame:
    return (
        spark.range(0)
        .select(F.lit(0).cast("long").alias("id"))
        .limit(0)
        .unionByName(spark.createDataFrame([(i,) for i in ids], "id long"))
        .select(
            "id",
            F.to_date(F.lit("2026-01-01")).alias("day"),
            F.lit("x").alias("note"),
        )
    )


def test_create_table_if_not_exists_named_with_constraints(
    spark: SparkSession, schema: str
) -> None:
    table = ops.TableRef.named(schema, "events")

    created = ops.create_table_if_not_exists(
        spark,
        table,
        SCHEMA,
        partition_by=["day"],
        properties={"data.owner": "platform"},
        comment="c",
    )

    assert created is True
    assert ops.create_table_if_not_exists(spark, table, SCHEMA) is False
    detail = ops.describe_table(spark, table)
    assert detail.partition_columns == ("day",)
    assert detail.properties["data.owner"] == "platform"
    assert not ops.read_schema(spark, table)["id"].nullable
    assert ops.latest_version(spark, table) == 0


ODD_TEXT = "it's a \\'quoted\\' \\n text\n`with` backticks; DROP TABLE x --"


def test_create_table_if_not_exists_keeps_odd_text_and_nested_columns(
    spark: SparkSession, table_path: str
) -> None:
    """Comments and property values enter the DDL text escaped, and come back unchanged."""
    nested = T.StructType(
        [
            T.StructField("odd`name", T.LongType(), False, {"comment": ODD_TEXT}),
            T.StructField(
                "inner",
                T.StructType([T.StructField("n", T.IntegerType(), False, {"comment": "n"})]),
                True,
            ),
            T.StructField("tags", T.MapType(T.StringType(), T.StringType()), True),
            T.StructField("amount", T.DecimalType(12, 2), True),
        ]
    )
    table = ops.TableRef.at_path(table_path)

    assert ops.create_table_if_not_exists(
        spark, table, nested, properties={"note": ODD_TEXT}, comment=ODD_TEXT
    )

    created = ops.read_schema(spark, table)
    assert created == nested
    assert created["odd`name"].metadata == {"comment": ODD_TEXT}
    (detail,) = spark.sql(f"DESCRIBE DETAIL {table.sql_name}").collect()
    assert (detail["description"], detail["properties"]["note"]) == (ODD_TEXT, ODD_TEXT)


def test_create_table_if_not_exists_creates_the_schema(spark: SparkSession) -> None:
    name = f"auto_{time.time_ns()}"
    try:
        ops.create_table_if_not_exists(spark, ops.TableRef.named(name, "t"), SCHEMA)
        assert spark.catalog.databaseExists(name)
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS {ops.quote_identifier(name)} CASCADE")


def test_concurrent_creators_of_one_path_all_succeed(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    barrier = threading.Barrier(4)
    results: list[object] = []

    def create() -> None:
        barrier.wait()
        try:
            results.append(ops.create_table_if_not_exists(spark, table, SCHEMA))
        except Exception as exc:  # collected and asserted on below
            results.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Delta lets every racing creator succeed (IF NOT EXISTS) and commits version 0 once.
    assert all(isinstance(result, bool) for result in results), results
    assert True in results
    assert ops.latest_version(spark, table) == 0
    assert ops.create_table_if_not_exists(spark, table, SCHEMA) is False


def test_append_with_transaction_is_applied_once(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, SCHEMA)
    txn = ops.Transaction(app_id="job-42")

    ops.append(rows(spark, 1, 2), table, transaction=txn, marker="first")
    ops.append(rows(spark, 1, 2), table, transaction=txn, marker="second")

    assert table.read(spark).count() == 2
    commit = ops.find_commit(spark, table, "first")
    assert commit is not None
    assert (commit.version, commit.operation, commit.num_output_rows) == (1, "WRITE", 2)
    assert ops.find_commit(spark, table, "second") is None


def test_find_commit_looks_beyond_the_latest_commit(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, SCHEMA)
    ops.append(rows(spark, 1), table, marker="old")
    for i in range(3):
        ops.append(rows(spark, i), table)

    commit = ops.find_commit(spark, table, "old", windows=(1, 2, 10))

    assert commit is not None
    assert commit.version == 1


def test_overwrite_replaces_rows_and_keeps_history(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, SCHEMA)
    ops.append(rows(spark, 1, 2, 3), table)

    ops.overwrite(rows(spark, 9), table)

    assert [r["id"] for r in table.read(spark).collect()] == [9]
    old = spark.read.format("delta").option("versionAsOf", 1).load(table_path)
    assert sorted(r["id"] for r in old.collect()) == [1, 2, 3]
    operations = [r["operation"] for r in ops.history(spark, table).collect()]
    assert operations == ["WRITE", "WRITE", "CREATE TABLE"]


def test_append_failure_is_translated_with_its_cause(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, SCHEMA)
    wrong = spark.createDataFrame([("a",)], "id string")

    with pytest.raises(TableOperationError) as caught:
        ops.append(wrong, table)

    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert caught.value.params["operation"] == "append"
    assert caught.value.__cause__ is not None
    assert ops.latest_version(spark, table) == 0


def test_read_schema_of_missing_table(spark: SparkSession, table_path: str) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.read_schema(spark, ops.TableRef.at_path(table_path))
    assert caught.value.code == "TABLE_NOT_FOUND"


@pytest.mark.slow
def test_real_conflict_is_retried_or_reported(spark: SparkSession, table_path: str) -> None:
    """A metadata change lands while an append computes: Delta rejects the append's commit."""
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(spark, table, SCHEMA)

    def wait_then(value: int) -> int:
        time.sleep(4)
        return value

    # A lambda has no annotations: PySpark >= 4.1 reads a function's (string) annotations to
    # pick a pandas or Arrow UDF and refuses plain ones.
    slowly = F.udf(lambda value: wait_then(value), "long")

    def slow_rows() -> DataFrame:
        return rows(spark, 1).withColumn("id", slowly(F.col("id")))

    def change_metadata_soon(key: str) -> threading.Thread:
        def change() -> None:
            time.sleep(1.5)
            spark.sql(f"ALTER TABLE delta.`{table_path}` SET TBLPROPERTIES ('{key}' = 'x')")

        thread = threading.Thread(target=change)
        thread.start()
        return thread

    changer = change_metadata_soon("first")
    with pytest.raises(TableOperationError) as caught:
        ops.append(slow_rows(), table, max_attempts=1)
    changer.join()
    assert caught.value.code == "TABLE_CONFLICT"

    changer = change_metadata_soon("second")
    ops.append(slow_rows(), table, max_attempts=3, backoff_secs=0.1)
    changer.join()
    assert table.read(spark).count() == 1


def test_optimize_compacts_and_vacuum_runs(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    for i in range(3):
        ops.append(rows(spark, i), table)

    compacted = ops.optimize(spark, table)
    # The test session's own conf: Delta's VACUUM lists files in 10000 tasks by default.
    listing = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
    saved = spark.conf.get(listing, None)
    spark.conf.set(listing, "2")
    try:
        vacuumed = ops.vacuum(spark, table, retention_hours=168)
    finally:
        if saved is None:
            spark.conf.unset(listing)
        else:
            spark.conf.set(listing, saved)

    assert compacted.files_removed >= 3
    assert compacted.files_added == 1
    assert table.read(spark).count() == 3
    assert ops.history(spark, table, limit=2).collect()[0]["operation"] == "VACUUM END"
    assert vacuumed.files_deleted == 0


def test_optimize_rejects_hostile_zorder_column(spark: SparkSession, table_path: str) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.optimize(spark, ops.TableRef.at_path(table_path), zorder_by=["id; DROP"])
    assert caught.value.code == "IDENTIFIER_INVALID"


@pytest.mark.parametrize(
    ("leftover", "as_uri"),
    [
        ((), False),
        ((".00000000000000000000.json.5f1e.tmp",), False),
        (("_commits/",), False),
        ((".00000000000000000000.json.5f1e.tmp",), True),
    ],
    ids=["empty-log", "temporary-commit-file", "empty-commits-dir", "file-uri"],
)
def test_create_survives_a_creator_killed_before_its_first_commit(
    spark: SparkSession, table_path: str, leftover: tuple[str, ...], as_uri: bool
) -> None:
    # What a creator SIGKILLed before its first commit leaves: a _delta_log without a commit.
    # Delta neither sees a table there nor creates one, so creation must clear it.
    log_dir = Path(table_path) / "_delta_log"
    log_dir.mkdir(parents=True)
    for name in leftover:
        if name.endswith("/"):
            (log_dir / name).mkdir()
        else:
            (log_dir / name).write_text('{"commitInfo":{}}')
    table = ops.TableRef.at_path(f"file://{table_path}" if as_uri else table_path)
    sleeps: list[float] = []

    created = ops.create_table_if_not_exists(spark, table, SCHEMA, sleep=sleeps.append)

    assert created
    assert ops.read_schema(spark, table).fieldNames() == SCHEMA.fieldNames()
    assert ops.latest_version(spark, table) == 0
    assert len(sleeps) < 5  # it did not wait out every attempt


def test_create_never_clears_a_log_that_holds_a_commit(
    spark: SparkSession, table_path: str
) -> None:
    # A log whose only commit Delta cannot read is not an abandoned creation: it is refused and
    # kept for a human to look at.
    log_dir = Path(table_path) / "_delta_log"
    log_dir.mkdir(parents=True)
    commit = log_dir / "00000000000000000000.json"
    commit.write_text("not json")
    table = ops.TableRef.at_path(table_path)
    with pytest.raises(TableOperationError) as caught:
        ops.create_table_if_not_exists(spark, table, SCHEMA, sleep=lambda _: None)
    assert caught.value.code == "TABLE_OPERATION_FAILED"
    # Spark 4 names the condition; Spark 3.5 names the commit file its job could not read.
    assert re.search(
        r"FAILED_READ_FILE|Error while reading file|_delta_log/00000000000000000000\.json",
        caught.value.params["reason"],
    )
    assert commit.read_text() == "not json"


def test_create_refuses_a_commit_less_log_holding_unknown_files(
    spark: SparkSession, table_path: str
) -> None:
    log_dir = Path(table_path) / "_delta_log"
    log_dir.mkdir(parents=True)
    (log_dir / "notes.txt").write_text("mine")
    table = ops.TableRef.at_path(table_path)

    with pytest.raises(TableOperationError) as caught:
        ops.create_table_if_not_exists(spark, table, SCHEMA, sleep=lambda _: None)

    assert caught.value.code == "TABLE_LOG_ABANDONED"
    assert caught.value.params["directory"] == str(log_dir)
    assert (log_dir / "notes.txt").read_text() == "mine"

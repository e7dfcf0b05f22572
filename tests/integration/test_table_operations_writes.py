"""Appends and overwrites on real Delta: commits keep their marker, tables keep their shape."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING

import pytest
from delta.tables import DeltaTable
from pyspark.sql import types as T

from sparkforge import table_operations as tables
from sparkforge.errors import TableOperationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.delta

ROWS_DDL = "id BIGINT, kind STRING"


def _rows(spark: SparkSession, *ids: int) -> DataFrame:
    return spark.createDataFrame([(i, f"k{i % 2}") for i in ids], ROWS_DDL)


def _ref(kind: str, schema: str, table_path: str) -> tables.TableRef:
    if kind == "catalog":
        return tables.TableRef.named(schema, "events")
    return tables.TableRef.at_path(table_path)


def _history(spark: SparkSession, table: tables.TableRef) -> list[tuple[int, str, str | None]]:
    rows = tables.history(spark, table).select("version", "operation", "userMetadata").collect()
    return sorted((r["version"], r["operation"], r["userMetadata"]) for r in rows)


# ----------------------------------------------------------------------------- what Delta does


def test_delta_append_creating_a_catalog_table_drops_user_metadata(
    spark: SparkSession, schema: str
) -> None:
    # Checked on Delta 4.0.1: a plain DataFrameWriter append to an absent catalog table runs
    # as CREATE TABLE AS SELECT, which drops userMetadata but records txnAppId/txnVersion.
    # This is why tables.append creates the table first; if an upgrade changes it, this fails.
    name = f"{schema}.raw"
    df = _rows(spark, 1, 2)
    options = {"userMetadata": "raw-marker", "txnAppId": "raw-app", "txnVersion": "1"}
    df.write.format("delta").mode("append").options(**options).saveAsTable(name)
    ((_, operation, metadata),) = _history(spark, tables.TableRef.parse(name))
    assert (operation, metadata) == ("CREATE TABLE AS SELECT", None)
    df.write.format("delta").mode("append").options(**options).saveAsTable(name)
    assert spark.table(name).count() == 2  # the same transaction again: skipped


# ----------------------------------------------------------------------------- appends


@pytest.mark.parametrize("kind", ["catalog", "path"], ids=["catalog", "path"])
def test_append_creating_the_table_keeps_marker_and_transaction(
    spark: SparkSession, schema: str, table_path: str, kind: str
) -> None:
    table = _ref(kind, schema, table_path)
    transaction = tables.Transaction(app_id=f"app-{uuid.uuid4()}", version=1)
    tables.append(_rows(spark, 1, 2, 3), table, transaction=transaction, marker="first")
    commit = tables.find_commit(spark, table, "first")
    assert commit is not None
    assert (commit.operation, commit.num_output_rows) == ("WRITE", 3)
    assert commit.version == tables.latest_version(spark, table)
    # The same transaction again is skipped by Delta: its transaction id was committed.
    tables.append(_rows(spark, 1, 2, 3), table, transaction=transaction, marker="retry")
    assert tables.find_commit(spark, table, "retry") is None
    assert table.read(spark).count() == 3
    assert [op for _, op, _ in _history(spark, table)] == ["CREATE TABLE", "WRITE"]


def test_append_creating_the_table_uses_partitioning_and_nullable_columns(
    spark: SparkSession, schema: str
) -> None:
    table = tables.TableRef.named(schema, "events")
    strict = T.StructType(
        [
            T.StructField("id", T.LongType(), False),
            T.StructField("tags", T.ArrayType(T.StringType(), containsNull=False), nullable=False),
            T.StructField("kind", T.StringType(), False),
        ]
    )
    df = spark.createDataFrame([(1, ["a"], "x"), (2, [], "y")], strict)
    tables.append(df, table, marker="m", partition_by=("kind",))
    (detail,) = DeltaTable.forName(spark, table.fqn).detail().collect()
    assert detail["partitionColumns"] == ["kind"]
    # As a CREATE TABLE AS SELECT would: nothing NOT NULL that the rows did not ask for.
    stored = tables.read_schema(spark, table)
    assert [f.nullable for f in stored.fields] == [True, True, True]
    tags = stored["tags"].dataType
    assert isinstance(tags, T.ArrayType)
    assert tags.containsNull
    nulls = spark.createDataFrame([(None, None, "x")], "id BIGINT, tags ARRAY<STRING>, kind STRING")
    tables.append(nulls, table)
    assert table.read(spark).count() == 3


def test_append_of_no_rows_to_an_absent_table_creates_it_empty(
    spark: SparkSession, schema: str
) -> None:
    table = tables.TableRef.named(schema, "events")
    tables.append(_rows(spark), table, marker="empty")
    assert tables.table_exists(spark, table)
    assert table.read(spark).count() == 0
    assert tables.find_commit(spark, table, "empty") is None  # Delta commits no empty append


def test_append_racing_creators_all_commit_with_their_markers(
    spark: SparkSession, schema: str
) -> None:
    table = tables.TableRef.named(schema, "events")
    writers = 3
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            tables.append(_rows(spark, index * 10, index * 10 + 1), table, marker=f"w{index}")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    for index in range(writers):
        commit = tables.find_commit(spark, table, f"w{index}")
        assert commit is not None
        assert (commit.operation, commit.num_output_rows) == ("WRITE", 2)
    assert table.read(spark).count() == 2 * writers
    operations = [op for _, op, _ in _history(spark, table)]
    assert operations == ["CREATE TABLE"] + ["WRITE"] * writers


def test_append_from_another_thread_keeps_marker_transaction_and_options(
    spark: SparkSession, schema: str
) -> None:
    # A pipeline's parallel steps append from worker threads, to tables an overwrite created.
    table = tables.TableRef.named(schema, "events")
    tables.overwrite(_rows(spark, 1), table)
    transaction = tables.Transaction(app_id=f"app-{uuid.uuid4()}", version=1)
    wider = spark.createDataFrame([(2, "k0", "new")], f"{ROWS_DDL}, note STRING")

    def write(marker: str) -> None:
        tables.append(
            wider, table, transaction=transaction, marker=marker, options={"mergeSchema": "true"}
        )

    for marker in ("first", "retry"):
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(write, marker).result(timeout=300)
    commit = tables.find_commit(spark, table, "first")
    assert commit is not None
    assert (commit.operation, commit.num_output_rows) == ("WRITE", 1)
    assert tables.find_commit(spark, table, "retry") is None  # the same transaction: skipped
    stored = table.read(spark)
    assert stored.columns == ["id", "kind", "note"]
    assert sorted(stored.select("id", "note").collect()) == [(1, None), (2, "new")]


# ----------------------------------------------------------------------------- overwrites


def test_overwrite_of_a_catalog_table_keeps_partitioning_not_null_and_properties(
    spark: SparkSession, schema: str
) -> None:
    # Checked on Delta 4.0.1: overwrite goes through saveAsTable(mode="overwrite"), which Delta
    # runs as CREATE OR REPLACE TABLE AS SELECT, and that keeps the table's partitioning, NOT
    # NULL columns, properties and comment. An upgrade that changes this fails here.
    table = tables.TableRef.named(schema, "run_log")
    log_schema = T.StructType(
        [
            T.StructField("run_id", T.StringType(), False),
            T.StructField("run_date", T.DateType(), False),
            T.StructField("rows_written", T.LongType(), True),
        ]
    )
    properties = {"delta.logRetentionDuration": "interval 60 days", "sparkforge.kind": "log"}
    tables.create_table_if_not_exists(
        spark,
        table,
        log_schema,
        partition_by=("run_date",),
        properties=properties,
        comment="a run log",
    )
    # The new contents come without the NOT NULL flags: the table's own must stay.
    loose_df = spark.createDataFrame(
        [("r1", date(2026, 1, 1), 3)], "run_id STRING, run_date DATE, rows_written BIGINT"
    )
    tables.overwrite(loose_df, table, marker="replace")
    commit = tables.find_commit(spark, table, "replace")
    assert commit is not None
    assert commit.num_output_rows == 1
    (detail,) = DeltaTable.forName(spark, table.fqn).detail().collect()
    assert detail["partitionColumns"] == ["run_date"]
    assert detail["description"] == "a run log"
    assert properties.items() <= tables.read_properties(spark, table).items()
    stored = tables.read_schema(spark, table)
    assert [(f.name, f.nullable) for f in stored.fields] == [
        ("run_id", False),
        ("run_date", False),
        ("rows_written", True),
    ]
    with pytest.raises(TableOperationError) as caught:
        tables.append(
            spark.createDataFrame(
                [(None, date(2026, 1, 2), 1)], "run_id STRING, run_date DATE, rows_written BIGINT"
            ),
            table,
        )
    assert "DELTA_NOT_NULL_CONSTRAINT_VIOLATED" in caught.value.params["reason"]

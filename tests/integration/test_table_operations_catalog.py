"""Catalog names on real Spark + Delta: three-part names, keywords, leftovers, relative paths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.errors import TableOperationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.delta

SCHEMA = T.StructType(
    [T.StructField("id", T.LongType(), False), T.StructField("note", T.StringType(), True)]
)


def rows(spark: SparkSession, *ids: int) -> DataFrame:
    return spark.createDataFrame([(i, f"n{i}") for i in ids], SCHEMA)


@pytest.fixture
def keyword_schema(spark: SparkSession) -> Iterator[str]:
    """Yield the schema name ``user`` (a SQL keyword); drop that schema afterwards."""
    spark.sql("DROP DATABASE IF EXISTS `user` CASCADE")
    yield "user"
    spark.sql("DROP DATABASE IF EXISTS `user` CASCADE")


def _round_trip(spark: SparkSession, table: ops.TableRef) -> None:
    assert ops.create_table_if_not_exists(spark, table, SCHEMA) is True
    assert ops.table_exists(spark, table)
    ops.append(rows(spark, 1, 2), table)
    ops.set_properties(spark, table, {"data.owner": "platform"})

    assert sorted(r["id"] for r in table.read(spark).collect()) == [1, 2]
    assert ops.read_schema(spark, table).fieldNames() == ["id", "note"]
    assert ops.read_properties(spark, table)["data.owner"] == "platform"
    assert [c.operation for c in ops.recent_commits(spark, table, limit=None)] == [
        "SET TBLPROPERTIES",
        "WRITE",
        "CREATE TABLE",
    ]
    assert ops.create_table_if_not_exists(spark, table, SCHEMA) is False


def test_table_ref_with_spark_catalog_works_end_to_end(spark: SparkSession, schema: str) -> None:
    table = ops.TableRef.parse(f"spark_catalog.{schema}.events")

    _round_trip(spark, table)

    assert ops.table_exists(spark, ops.TableRef.named(schema, "events"))
    assert ops.latest_version(spark, table) == 2


@pytest.mark.parametrize(
    "table_name", ["events", "select", "1st_events"], ids=["plain", "keyword", "digit-first"]
)
def test_table_ref_with_keyword_schema_works_end_to_end(
    spark: SparkSession, keyword_schema: str, table_name: str
) -> None:
    _round_trip(spark, ops.TableRef.named(keyword_schema, table_name))


def test_table_ref_with_keyword_schema_and_catalog_works_end_to_end(
    spark: SparkSession, keyword_schema: str
) -> None:
    _round_trip(spark, ops.TableRef.named(keyword_schema, "events", catalog="spark_catalog"))


def test_session_catalog_refuses_what_sparkforge_refuses(spark: SparkSession) -> None:
    # The rule of validate_identifier is Spark's own: its session catalog refuses the name.
    # Spark 4 names the condition; Spark 3.5 says the name is not valid.
    with pytest.raises(Exception, match=r"INVALID_SCHEMA_OR_RELATION_NAME|is not a valid name"):
        spark.sql("CREATE SCHEMA IF NOT EXISTS `sales-eu`")
    with pytest.raises(TableOperationError) as caught:
        ops.TableRef.named("sales-eu", "events")
    assert caught.value.code == "IDENTIFIER_INVALID"


def test_ensure_schema_wraps_spark_failures(spark: SparkSession) -> None:
    with pytest.raises(TableOperationError) as caught:
        ops.ensure_schema(spark, "ops", catalog="no_such_catalog")

    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert caught.value.params["table"] == "no_such_catalog.ops"
    assert "An error occurred" not in str(caught.value)
    assert ".." not in str(caught.value)


def test_table_exists_in_an_unknown_catalog_is_a_wrapped_failure(spark: SparkSession) -> None:
    table = ops.TableRef.named("ops", "events", catalog="no_such_catalog")
    with pytest.raises(TableOperationError) as caught:
        ops.create_table_if_not_exists(spark, table, SCHEMA)
    assert caught.value.code == "TABLE_OPERATION_FAILED"
    assert "An error occurred" not in caught.value.params["reason"]


def _schema_directory(spark: SparkSession, schema: str) -> Path:
    location = spark.catalog.getDatabase(schema).locationUri
    return Path(urlsplit(location).path)


@pytest.mark.parametrize("leftover", ["delta", "parquet"], ids=["delta-log", "parquet-files"])
def test_create_over_files_the_catalog_forgot_says_what_to_do(
    spark: SparkSession, schema: str, leftover: str
) -> None:
    # What a session with a throw-away metastore leaves: the table's files in the warehouse,
    # at the place the next process's catalog puts the table again, and no catalog entry.
    location = _schema_directory(spark, schema) / "events"
    rows(spark, 1).write.format(leftover).save(str(location))
    table = ops.TableRef.named(schema, "events")
    assert not ops.table_exists(spark, table)

    with pytest.raises(TableOperationError) as caught:
        ops.create_table_if_not_exists(spark, table, SCHEMA, sleep=lambda _: None)

    assert caught.value.code == "TABLE_LOCATION_NOT_EMPTY"
    assert caught.value.params["table"] == f"{schema}.events"
    assert caught.value.params["location"].endswith(f"{schema}.db/events")
    assert "persistent metastore" in caught.value.params["hint"]
    assert "table_path" in caught.value.params["hint"]
    assert ".." not in str(caught.value)
    assert (location / ("_delta_log" if leftover == "delta" else "")).is_dir()


def test_table_ref_at_relative_path_writes_under_pythons_directory(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    jvm_start_dir = Path(os.environ.get("PWD", "/nonexistent"))
    table = ops.TableRef.at_path("rel/events")

    ops.create_table_if_not_exists(spark, table, SCHEMA)
    ops.append(rows(spark, 7), table)

    assert (tmp_path / "rel" / "events" / "_delta_log").is_dir()
    assert [
        r["id"] for r in ops.TableRef.at_path(str(tmp_path / "rel/events")).read(spark).collect()
    ] == [7]
    assert not (jvm_start_dir / "rel" / "events").exists()

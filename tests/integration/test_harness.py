"""The test harness itself: a real Delta table, appends, history and time travel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta


def test_harness_delta_history_and_time_travel(spark: SparkSession, schema: str) -> None:
    table = f"{schema}.events"
    spark.range(3).write.format("delta").saveAsTable(table)
    spark.range(3, 5).write.format("delta").mode("append").saveAsTable(table)

    history = spark.sql(f"DESCRIBE HISTORY {table}").select("version", "operation").collect()
    assert sorted((row.version, row.operation) for row in history) == [
        (0, "CREATE TABLE AS SELECT"),
        (1, "WRITE"),
    ]
    assert spark.table(table).count() == 5
    version_0 = spark.sql(f"SELECT * FROM {table} VERSION AS OF 0")
    assert sorted(row.id for row in version_0.collect()) == [0, 1, 2]


def test_harness_path_table_is_delta(spark: SparkSession, table_path: str) -> None:
    from delta.tables import DeltaTable

    spark.range(2).write.format("delta").save(table_path)
    assert DeltaTable.isDeltaTable(spark, table_path)


def test_harness_session_is_local_and_quiet(spark: SparkSession) -> None:
    conf = spark.conf
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.sql.shuffle.partitions") == "2"
    assert conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"

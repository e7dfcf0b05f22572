"""History, detail and maintenance on real Delta: typed commits, UTC instants, wrapped errors."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.errors import ConfigurationError, TableOperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.delta

SCHEMA = T.StructType(
    [T.StructField("id", T.LongType(), False), T.StructField("day", T.StringType(), True)]
)


def rows(spark: SparkSession, *ids: int) -> DataFrame:
    return spark.createDataFrame([(i, "2026-01-01") for i in ids], SCHEMA)


@pytest.fixture
def python_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the test with the Python process in a third time zone (neither UTC nor the session's)."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("python_time_zone")
def test_recent_commits_are_typed_with_utc_instants(spark: SparkSession, table_path: str) -> None:
    assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Kolkata"
    table = ops.TableRef.at_path(table_path)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    ops.create_table_if_not_exists(spark, table, SCHEMA)
    ops.append(rows(spark, 1, 2, 3), table, marker="m-1")
    ops.set_properties(spark, table, {"data.owner": "x"})
    after = datetime.now(timezone.utc) + timedelta(seconds=1)

    commits = ops.recent_commits(spark, table, limit=None)

    assert [(c.version, c.operation, c.num_output_rows, c.user_metadata) for c in commits] == [
        (2, "SET TBLPROPERTIES", None, None),
        (1, "WRITE", 3, "m-1"),
        (0, "CREATE TABLE", None, None),
    ]
    for commit in commits:
        assert commit.timestamp.utcoffset() == timedelta(0)
        assert before <= commit.timestamp <= after
    assert commits[0].timestamp >= commits[1].timestamp >= commits[2].timestamp
    assert [c.version for c in ops.recent_commits(spark, table, limit=2)] == [2, 1]


@pytest.mark.parametrize("limit", [0, -3, True, 1.5], ids=["zero", "negative", "bool", "float"])
def test_recent_commits_refuses_an_unusable_limit(spark: SparkSession, limit: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ops.recent_commits(spark, ops.TableRef.at_path("/nowhere"), limit=limit)  # type: ignore[arg-type]
    assert caught.value.code == "CONFIG_INVALID"


def test_find_commit_with_a_whole_history_window(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.append(rows(spark, 1), table, marker="old")
    for i in range(3):
        ops.append(rows(spark, i), table)

    assert ops.find_commit(spark, table, "old", windows=(1, 2)) is None
    found = ops.find_commit(spark, table, "old", windows=(1, None))
    assert found is not None
    assert (found.user_metadata, found.operation, found.num_output_rows) == ("old", "WRITE", 1)
    assert found.version == ops.latest_version(spark, table) - 3
    assert ops.find_commit(spark, table, "never", windows=(None,)) is None


def test_describe_table_reads_the_layout_once(spark: SparkSession, table_path: str) -> None:
    table = ops.TableRef.at_path(table_path)
    ops.create_table_if_not_exists(
        spark, table, SCHEMA, partition_by=["day"], properties={"data.owner": "platform"}
    )
    ops.append(rows(spark, 1, 2), table)

    detail = ops.describe_table(spark, table)

    assert detail.partition_columns == ("day",)
    assert detail.clustering_columns == ()
    assert detail.properties["data.owner"] == "platform"
    assert detail.num_files >= 1
    assert detail.size_in_bytes > 0
    assert detail.location.endswith(table_path)


_CALLS: dict[str, Callable[[SparkSession, ops.TableRef], object]] = {
    "history": lambda s, t: ops.history(s, t),
    "recent_commits": lambda s, t: ops.recent_commits(s, t, limit=5),
    "latest_version": ops.latest_version,
    "read_properties": ops.read_properties,
    "describe_table": ops.describe_table,
    "optimize": lambda s, t: ops.optimize(s, t),
    "vacuum": lambda s, t: ops.vacuum(s, t),
}


@pytest.mark.parametrize("call", list(_CALLS.values()), ids=list(_CALLS))
def test_reads_and_maintenance_of_a_non_delta_location_give_deltas_reason(
    spark: SparkSession, tmp_path: Path, call: Callable[[SparkSession, ops.TableRef], object]
) -> None:
    (tmp_path / "plain").mkdir()
    table = ops.TableRef.at_path(str(tmp_path / "plain"))

    with pytest.raises(TableOperationError) as caught:
        call(spark, table)

    error = caught.value
    reason = error.params["reason"]
    assert error.code == "TABLE_OPERATION_FAILED"
    # DESCRIBE HISTORY says DELTA_TABLE_ONLY_OPERATION, the other commands and reads
    # DELTA_MISSING_DELTA_TABLE; both say the location "is not a Delta table".
    assert "[DELTA_MISSING_DELTA_TABLE]" in reason or "[DELTA_TABLE_ONLY_OPERATION]" in reason
    assert "is not a Delta table" in reason
    assert "An error occurred" not in str(error)
    assert not reason.endswith(".")
    assert str(error).endswith(f"{reason}.")

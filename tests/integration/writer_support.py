"""Helpers shared by the writer's integration tests: read a log back exactly."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge.writer import LOG_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.table_operations import TableRef
    from sparkforge.writer import LogRow

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TIMESTAMPS = [f.name for f in LOG_SCHEMA.fields if isinstance(f.dataType, T.TimestampType)]


def micros(moment: datetime | None) -> int | None:
    """Return an aware instant as microseconds since the epoch (what Spark stores)."""
    if moment is None:
        return None
    return (moment - _EPOCH) // (datetime.resolution)


def comparable(row: LogRow) -> dict[str, object]:
    """Return a row with instants as epoch microseconds, independent of any time zone."""
    out: dict[str, object] = dict(row)
    for name in _TIMESTAMPS:
        value = row[name]  # type: ignore[literal-required]
        out[name] = micros(value) if isinstance(value, datetime) else value
    out["rule_results"] = [dict(r) for r in row["rule_results"]]
    out["tags"] = dict(row["tags"])
    return out


def read_rows(df: DataFrame) -> list[dict[str, object]]:
    """Collect log rows with instants as epoch microseconds (Spark's own conversion)."""
    selected = df.select(
        *[F.unix_micros(F.col(n)).alias(n) if n in _TIMESTAMPS else F.col(n) for n in df.columns]
    )
    rows = []
    for row in selected.collect():
        data = row.asDict(recursive=True)
        data["rule_results"] = list(data["rule_results"])
        rows.append(data)
    return sorted(rows, key=lambda r: (str(r["run_id"]), r["step_index"] or -1))


def versions(spark: SparkSession, table: TableRef) -> list[int]:
    """Return the table's commit versions, oldest first."""
    from sparkforge import table_operations as ops

    return sorted(int(r["version"]) for r in ops.history(spark, table).select("version").collect())
